//! A recording TCP proxy on 127.0.0.1: everything a client sends to the emulator passes through
//! it and is kept, so a test can check at the HTTP layer which AWS operations were requested.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

pub struct RecordingProxy {
    pub endpoint: String,
    sent: Arc<Mutex<Vec<u8>>>,
    /// While set, connections are closed at once: the endpoint looks dead.
    down: Arc<AtomicBool>,
}

impl RecordingProxy {
    /// Forwards 127.0.0.1:<free port> to `upstream` (host:port), recording client → upstream.
    pub fn start(upstream: &str) -> RecordingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("proxy addr").port();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let down = Arc::new(AtomicBool::new(false));
        let upstream = upstream.to_string();
        let record = sent.clone();
        let dead = down.clone();
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if dead.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
                    continue;
                };
                let rec = record.clone();
                thread::spawn(move || pump(client, server, Some(rec)));
                thread::spawn(move || pump(s2, c2, None));
            }
        });
        RecordingProxy {
            endpoint: format!("http://127.0.0.1:{port}"),
            sent,
            down,
        }
    }

    /// Makes the endpoint look dead (true) or alive again (false).
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// Everything clients sent so far, as text.
    pub fn sent(&self) -> String {
        String::from_utf8_lossy(&self.sent.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }

    /// The AWS operations requested: query-protocol `Action=…`, JSON `X-Amz-Target: …`, and
    /// REST request lines (Route53).
    pub fn operations(&self) -> Vec<String> {
        let text = self.sent();
        let mut ops = Vec::new();
        for part in text.split(['&', '\r', '\n']) {
            if let Some(op) = part.strip_prefix("Action=") {
                ops.push(op.to_string());
            }
            let lower = part.to_ascii_lowercase();
            if lower.starts_with("x-amz-target:") {
                let target = part[13..].trim();
                ops.push(target.rsplit('.').next().unwrap_or(target).to_string());
            }
            for method in ["GET ", "POST ", "PUT ", "DELETE ", "PATCH "] {
                if part.starts_with(method)
                    && part.contains(" HTTP/1.1")
                    && part.contains("/2013-04-01/")
                {
                    ops.push(part.trim_end_matches(" HTTP/1.1").to_string());
                }
            }
        }
        ops
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, record: Option<Arc<Mutex<Vec<u8>>>>) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if let Some(r) = &record {
                    r.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .extend_from_slice(&buf[..n]);
                }
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
