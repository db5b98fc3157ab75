//! A fault-injecting HTTP proxy on 127.0.0.1 in front of the emulator: request by request it
//! passes the call on, or answers with throttling in the calling protocol's own form, a 5xx,
//! added latency, a reset connection, a lost reply (the call reached the emulator, its answer
//! never comes back) or a truncated body. Which calls fail is drawn from a seeded generator, so
//! a failing run can be repeated.

use super::wire::{Request, accept, forward, listen, reply};
use std::collections::HashMap;
use std::io::{BufReader, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// `Throttling` (query/XML), `ThrottlingException` (JSON), `RequestLimitExceeded` (EC2).
    Throttle,
    /// 500 `InternalFailure` / 503 `ServiceUnavailable`.
    ServerError,
    /// The call goes through after this long.
    Latency(Duration),
    /// The connection is reset before the call reaches the emulator.
    Reset,
    /// The call reaches the emulator; the connection is reset before its reply.
    LostReply,
    /// The reply's headers promise more body than comes.
    Truncated,
}

/// Which calls fail, and how.
#[derive(Debug, Clone)]
pub struct FaultPlan {
    /// Share of calls that fail (0.0..=1.0).
    pub rate: f64,
    /// Drawn from evenly.
    pub faults: Vec<Fault>,
    /// Only calls to these operations fail (all, if empty).
    pub only: Vec<String>,
    /// Stop failing after this many faults.
    pub limit: Option<usize>,
}

impl FaultPlan {
    pub fn none() -> FaultPlan {
        FaultPlan {
            rate: 0.0,
            faults: vec![],
            only: vec![],
            limit: None,
        }
    }

    /// Every call to `operation` fails with `fault`.
    pub fn always(fault: Fault, operation: &str) -> FaultPlan {
        FaultPlan {
            rate: 1.0,
            faults: vec![fault],
            only: vec![operation.to_string()],
            limit: None,
        }
    }

    /// Every kind of fault, at `rate`.
    pub fn mixed(rate: f64) -> FaultPlan {
        FaultPlan {
            rate,
            faults: vec![
                Fault::Throttle,
                Fault::ServerError,
                Fault::Latency(Duration::from_millis(300)),
                Fault::Reset,
                Fault::LostReply,
                Fault::Truncated,
            ],
            only: vec![],
            limit: None,
        }
    }
}

struct State {
    plan: FaultPlan,
    /// xorshift state: the same seed fails the same calls.
    rng: u64,
    injected: HashMap<String, usize>,
    calls: usize,
}

pub struct FaultProxy {
    pub endpoint: String,
    state: Arc<Mutex<State>>,
}

impl FaultProxy {
    pub fn start(upstream: &str, plan: FaultPlan, seed: u64) -> FaultProxy {
        let state = Arc::new(Mutex::new(State {
            plan,
            rng: seed.max(1),
            injected: HashMap::new(),
            calls: 0,
        }));
        let port = listen(upstream, state.clone(), serve);
        FaultProxy {
            endpoint: format!("http://127.0.0.1:{port}"),
            state,
        }
    }

    pub fn set_plan(&self, plan: FaultPlan) {
        self.lock().plan = plan;
    }

    /// Faults injected so far, by kind ("throttle", "reset", …).
    pub fn injected(&self) -> HashMap<String, usize> {
        self.lock().injected.clone()
    }

    pub fn total_injected(&self) -> usize {
        self.lock().injected.values().sum()
    }

    /// Calls seen so far, failed or not.
    pub fn calls(&self) -> usize {
        self.lock().calls
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One request per connection: the proxy asks the emulator to close after each reply, and
/// passes that on, so every call is decided (and failed) on its own.
fn serve(client: TcpStream, upstream: &str, state: &Mutex<State>) {
    let Some((mut client, request)) = accept(client) else {
        return;
    };
    {
        let fault = decide(state, &request);
        match fault {
            Some(Fault::Throttle) => {
                let _ = client.write_all(&throttle_reply(&request));
            }
            Some(Fault::ServerError) => {
                let _ = client.write_all(&server_error_reply(&request));
            }
            Some(Fault::Reset) => {
                let _ = client.shutdown(Shutdown::Both);
                return;
            }
            Some(Fault::Latency(d)) => {
                thread::sleep(d);
                let Some(reply) = forward(upstream, &request) else {
                    return;
                };
                let _ = client.write_all(&reply);
            }
            Some(Fault::LostReply) => {
                let _ = forward(upstream, &request);
                let _ = client.shutdown(Shutdown::Both);
                return;
            }
            Some(Fault::Truncated) => {
                let Some(reply) = forward(upstream, &request) else {
                    return;
                };
                let head = reply
                    .windows(4)
                    .position(|w| w == b"\r\n\r\n")
                    .map_or(reply.len(), |i| i + 4);
                let cut = head + (reply.len() - head) / 2;
                let _ = client.write_all(&reply[..cut]);
                let _ = client.shutdown(Shutdown::Both);
                return;
            }
            None => {
                let Some(reply) = forward(upstream, &request) else {
                    return;
                };
                let _ = client.write_all(&reply);
            }
        }
    }
    // Every reply says `Connection: close`.
    let _ = client.shutdown(Shutdown::Both);
}

fn decide(state: &Mutex<State>, request: &Request) -> Option<Fault> {
    let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
    s.calls += 1;
    let plan = &s.plan;
    if plan.faults.is_empty()
        || (!plan.only.is_empty() && !plan.only.iter().any(|o| request.operation.contains(o)))
        || plan
            .limit
            .is_some_and(|l| s.injected.values().sum::<usize>() >= l)
    {
        return None;
    }
    let (rate, kinds) = (plan.rate, plan.faults.len() as u64);
    let roll = next(&mut s.rng);
    if (roll % 10_000) as f64 >= rate * 10_000.0 {
        return None;
    }
    let pick = (next(&mut s.rng) % kinds) as usize;
    let fault = s.plan.faults[pick];
    let name = match fault {
        Fault::Throttle => "throttle",
        Fault::ServerError => "5xx",
        Fault::Latency(_) => "latency",
        Fault::Reset => "reset",
        Fault::LostReply => "lost reply",
        Fault::Truncated => "truncated",
    };
    *s.injected.entry(name.to_string()).or_default() += 1;
    Some(fault)
}

fn next(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

fn throttle_reply(r: &Request) -> Vec<u8> {
    if r.is_json() {
        reply(
            "400 Bad Request",
            "application/x-amz-json-1.1",
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
        )
    } else if r.is_ec2() {
        reply(
            "503 Service Unavailable",
            "text/xml",
            "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>",
        )
    } else {
        reply(
            "400 Bad Request",
            "text/xml",
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>",
        )
    }
}

fn server_error_reply(r: &Request) -> Vec<u8> {
    if r.is_json() {
        reply(
            "500 Internal Server Error",
            "application/x-amz-json-1.1",
            r#"{"__type":"WAFInternalErrorException","message":"injected"}"#,
        )
    } else if r.is_ec2() {
        reply(
            "503 Service Unavailable",
            "text/xml",
            "<Response><Errors><Error><Code>Unavailable</Code><Message>injected</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>",
        )
    } else {
        reply(
            "500 Internal Server Error",
            "text/xml",
            "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>injected</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>",
        )
    }
}
