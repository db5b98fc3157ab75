//! Tailed access logs: S5's nginx proxy in its own log format, and S2's two httpd web servers,
//! whose traffic follows their health (silent while the drill has httpd stopped or the host is
//! drained, doubled on the other while one is out).
//!
//! Lines are generated per simulated second from (seed, log, second), so a backlog is what the log
//! "already had". They are made safe with the sanitiser here, at the source boundary, because
//! `LogEntry::Line.text` promises sanitised text; the raw lines do carry the odd escape sequence.

use super::dynamics::{Changes, TargetKey};
use super::{DemoWorld, rng_for};
use crate::model::{LogEntry, TargetState};
use crate::sanitize::sanitize_owned;
use crate::source::{LogBatch, LogSource, SourceError};
use futures::future::BoxFuture;
use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus;
use std::sync::Arc;
use tokio::sync::mpsc;

/// New lines are delivered in batches this often.
const BATCH_EVERY: std::time::Duration = std::time::Duration::from_millis(250);
/// How far back a backlog looks before giving up (a host may have been silent).
const MAX_LOOKBACK_SECS: i64 = 3 * 3600;
/// ELB health checks reach each web server every 10 s from each of ha-lbint's two nodes.
const HEALTH_CHECK_EVERY_SECS: i64 = 10;
const LBINT_NODES: [&str; 2] = ["10.0.20.37", "10.0.21.142"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// S5's `log_format main`.
    NginxProxy,
    /// httpd's combined format, as on S2's Amazon Linux web servers.
    ApacheCombined,
    /// The WordPress image's httpd behind CloudFront and the ALB (S4), with mod_remoteip: the
    /// first field is the client, from X-Forwarded-For.
    WordPress,
}

/// How a log reaches the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delivery {
    /// A file tailed over SSH: lines as they are written.
    Ssh,
    /// A CloudWatch Logs group of Fargate tasks (awslogs): lines in the batches a poll of the
    /// group brings, every `GROUP_EVERY`, each with its event time.
    LogGroup,
}

/// How often a log group's lines arrive (the console's `FilterLogEvents` pace for one group).
const GROUP_EVERY: std::time::Duration = crate::source::aws::log_groups::POLL_EVERY;

struct LogSpec {
    name: &'static str,
    format: Format,
    delivery: Delivery,
    /// Mean lines per second: of the host, or of its whole target group when `serves_as` is set.
    per_second: f64,
    /// Target group where this host is a target: its share of the group's traffic follows health.
    serves_as: Option<&'static str>,
    /// Its clients reach it from the internet: the demo's IP set blocks them (a simplification:
    /// the one set the demo's `b` writes to stands in front of both Fargate services).
    blocked_by_waf: bool,
    /// The target groups whose tasks write this log group: `l` on one of their targets follows it.
    tasks_of: &'static [&'static str],
}

const LOGS: &[LogSpec] = &[
    // S5's nginx runs on Fargate: its log is the awslogs group of its tasks.
    LogSpec {
        name: "s5-nginx-proxy",
        format: Format::NginxProxy,
        delivery: Delivery::LogGroup,
        per_second: 2.5,
        serves_as: None,
        blocked_by_waf: true,
        tasks_of: &["reverseproxy-tg"],
    },
    LogSpec {
        name: "ha-web-left",
        format: Format::ApacheCombined,
        delivery: Delivery::Ssh,
        per_second: 3.0,
        serves_as: Some("ha-web-tg"),
        blocked_by_waf: false,
        tasks_of: &[],
    },
    LogSpec {
        name: "ha-web-right",
        format: Format::ApacheCombined,
        delivery: Delivery::Ssh,
        per_second: 3.0,
        serves_as: Some("ha-web-tg"),
        blocked_by_waf: false,
        tasks_of: &[],
    },
    // S4's WordPress tasks on Fargate, through CloudWatch Logs like S5's.
    LogSpec {
        name: "hwi-wordpress",
        format: Format::WordPress,
        delivery: Delivery::LogGroup,
        per_second: 1.5,
        serves_as: None,
        blocked_by_waf: true,
        tasks_of: &["hwi-tg1", "hwi-tg2"],
    },
];

/// The demo log group a target group's Fargate tasks write to, as ECS would name it for `l`.
pub fn task_log(target_group: &str) -> Option<&'static str> {
    LOGS.iter()
        .find(|l| l.delivery == Delivery::LogGroup && l.tasks_of.contains(&target_group))
        .map(|l| l.name)
}

/// One log source per host, in a stable order.
pub(super) fn log_sources(world: &Arc<DemoWorld>) -> Vec<Arc<dyn LogSource>> {
    (0..LOGS.len())
        .map(|index| {
            Arc::new(DemoLog {
                world: world.clone(),
                index,
            }) as Arc<dyn LogSource>
        })
        .collect()
}

struct DemoLog {
    world: Arc<DemoWorld>,
    index: usize,
}

impl LogSource for DemoLog {
    fn name(&self) -> &str {
        LOGS[self.index].name
    }

    fn tail(
        &self,
        backlog: usize,
        sink: mpsc::Sender<LogBatch>,
    ) -> BoxFuture<'static, Result<(), SourceError>> {
        let world = self.world.clone();
        let index = self.index;
        Box::pin(async move {
            world.follow(index, backlog, sink).await;
            Ok(())
        })
    }
}

fn pick<'a>(rng: &mut Xoshiro256PlusPlus, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

fn doc_ip(rng: &mut Xoshiro256PlusPlus) -> String {
    let net = pick(rng, &["192.0.2", "198.51.100", "203.0.113"]);
    format!("{net}.{}", rng.random_range(1..255u8))
}

const BROWSERS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
];

/// An escape sequence in a user agent: rare, raw here, neutralised before it leaves the source.
const HOSTILE_AGENT: &str = "\x1b]0;pwned\x07Mozilla/5.0 (compatible; evil/1.0)";

/// Who sends a kind of request: decides its user agent and referer.
#[derive(Debug, Clone, Copy)]
enum Client {
    /// A person in a browser: a browser agent, sometimes a referer.
    Browser,
    /// A program or scanner with this agent, no referer.
    Tool(&'static str),
    /// Not HTTP at all: no agent.
    Bare,
    /// A user agent carrying an escape sequence.
    Hostile,
}

/// Kinds of requests S5's proxy sees: (share per mille, request line, status, bytes, client).
/// The backend is a single-page app that answers unknown paths with its 2676-byte index: hence
/// the write-up's `"GET /v4/ws/usdt HTTP/1.1" 200 2676`.
#[rustfmt::skip]
const PROXIED: &[(u32, &str, u16, u32, Client)] = &[
    (300, "GET / HTTP/1.1", 200, 2676, Client::Browser),
    (150, "GET /static/js/main.4f1c2a9e.js HTTP/1.1", 200, 184_233, Client::Browser),
    (100, "GET /static/css/main.9b2d41c0.css HTTP/1.1", 304, 0, Client::Browser),
    (150, "GET /api/v1/rates?pair=usdt_jpy HTTP/1.1", 200, 512, Client::Browser),
    (60, "POST /api/v1/orders HTTP/1.1", 201, 128, Client::Browser),
    (40, "GET /favicon.ico HTTP/1.1", 200, 1150, Client::Browser),
    (18, "GET /markets HTTP/1.1", 200, 2676, Client::Browser),
    (20, "GET /api/v1/health HTTP/1.1", 200, 15, Client::Tool("okhttp/4.12.0")),
    // Scanners.
    (40, "GET /v4/ws/usdt HTTP/1.1", 200, 2676, Client::Tool("Go-http-client/1.1")),
    (20, "GET /.env HTTP/1.1", 200, 2676, Client::Tool("Mozilla/5.0 (l9scan/2.0.; +https://leakix.net)")),
    (20, "POST /xmlrpc.php HTTP/1.1", 404, 153, Client::Tool("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101 Firefox/115.0")),
    (20, "GET /wp-login.php HTTP/1.1", 404, 153, Client::Tool("Mozilla/5.0 zgrab/0.x")),
    (15, "GET /.git/config HTTP/1.1", 404, 153, Client::Tool("Mozilla/5.0 (compatible; Odin; https://docs.getodin.com/)")),
    (10, "GET /cgi-bin/luci/;stok=/locale?form=country HTTP/1.1", 404, 153, Client::Tool("Go-http-client/1.1")),
    // TLS spoken to the plain port: nginx logs the bytes escaped, as text.
    (10, "\\x16\\x03\\x01\\x00\\xca\\x01\\x00\\x00\\xc6\\x03\\x03", 400, 157, Client::Bare),
    // Upstream trouble and impatient clients.
    (15, "GET /api/v1/rates?pair=btc_jpy HTTP/1.1", 502, 157, Client::Browser),
    (10, "GET /api/v1/orders/history HTTP/1.1", 499, 0, Client::Browser),
    (2, "GET / HTTP/1.1", 200, 2676, Client::Hostile),
];

/// (request, status, bytes, referer, user agent) of one proxied request.
fn proxied_request(rng: &mut Xoshiro256PlusPlus) -> (&'static str, u16, u32, String, String) {
    let total: u32 = PROXIED.iter().map(|k| k.0).sum();
    let mut roll = rng.random_range(0..total.max(1));
    let browser = pick(rng, BROWSERS);
    let referer = pick(
        rng,
        &["-", "https://example.com/", "https://example.com/markets"],
    );
    let mut chosen = PROXIED[0];
    for kind in PROXIED {
        if roll < kind.0 {
            chosen = *kind;
            break;
        }
        roll -= kind.0;
    }
    let (_, request, status, bytes, client) = chosen;
    let (referer, agent) = match client {
        Client::Browser => (referer, browser),
        Client::Tool(agent) => ("-", agent),
        Client::Bare => ("-", "-"),
        Client::Hostile => ("-", HOSTILE_AGENT),
    };
    (
        request,
        status,
        bytes,
        referer.to_string(),
        agent.to_string(),
    )
}

/// The scanners of the write-up, each from its own address (user agent → address).
const SCANNERS: &[(&str, &str)] = &[
    ("Go-http-client", "198.51.100.23"),
    ("zgrab", "192.0.2.66"),
    ("Odin", "203.0.113.150"),
];

/// What a known sender of the demo usually asks for: the flood's `/xmlrpc.php`, a scanner's
/// probe, else the WordPress login brute force.
pub(super) fn usual_request(ip: &str) -> (&'static str, &'static str) {
    if super::waf::FLOOD.iter().any(|(f, _)| *f == ip) {
        return ("POST", "/xmlrpc.php");
    }
    match SCANNERS
        .iter()
        .find(|(_, a)| *a == ip)
        .map(|(tool, _)| *tool)
    {
        Some("Go-http-client") => ("GET", "/v4/ws/usdt"),
        Some("zgrab") => ("GET", "/wp-login.php"),
        Some(_) => ("GET", "/.git/config"),
        None => ("POST", "/wp-login.php"),
    }
}

/// One S5 line: `$proxy_protocol_addr:$proxy_protocol_port $remote_addr:$remote_port $remote_user
/// [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $server_port`.
/// Proxy protocol is off (the target group preserves client IPs instead), so the first field is
/// `-:-`, as in the write-up.
fn nginx_line(rng: &mut Xoshiro256PlusPlus, time_local: &str, blocked: Blocked) -> Written {
    let port = rng.random_range(1024..65535u16);
    let (req, status, bytes, referer, agent) = proxied_request(rng);
    // Scanners come back from the same few addresses; browsers from anywhere.
    let ip = match SCANNERS.iter().find(|(tool, _)| agent.contains(tool)) {
        Some((_, ip)) => ip.to_string(),
        None => doc_ip(rng),
    };
    // A blocked sender is answered 403 (nginx's own page is as long as its 404's).
    let refused = blocked(&ip);
    let (status, bytes) = if refused { (403, 153) } else { (status, bytes) };
    Written {
        refused,
        text: format!(
            "-:- {ip}:{port} - [{time_local}] \"{req}\" {status} {bytes} \"{referer}\" \"{agent}\" 80"
        ),
    }
}

/// One request reaching an S2 web server through a UTM and ha-lbint (whose node is the client).
fn apache_line(rng: &mut Xoshiro256PlusPlus, host: &str, time_local: &str) -> String {
    let node = pick(rng, &LBINT_NODES);
    let index_bytes = format!("<html><body>{host}</body></html>\n").len();
    let roll = rng.random_range(0..100u32);
    let browser = pick(rng, BROWSERS);
    let (req, status, bytes, agent) = match roll {
        0..=84 => ("GET / HTTP/1.1", 200, index_bytes, browser),
        85..=94 => ("GET /favicon.ico HTTP/1.1", 404, 209, browser),
        95..=97 => ("HEAD / HTTP/1.1", 200, 0, "curl/7.88.1"),
        // What the UTM's WAF let through.
        _ => (
            "GET /phpmyadmin/ HTTP/1.1",
            404,
            210,
            "Mozilla/5.0 zgrab/0.x",
        ),
    };
    format!("{node} - - [{time_local}] \"{req}\" {status} {bytes} \"-\" \"{agent}\"")
}

/// One request reaching S4's WordPress through CloudFront and the ALB: readers, the editors'
/// admin pages, and a login brute force from the flood's senders (the WAF blocks their
/// `/xmlrpc.php`, not the login page, until an operator puts them in the IP set).
fn wordpress_line(rng: &mut Xoshiro256PlusPlus, time_local: &str, blocked: Blocked) -> Written {
    let browser = pick(rng, BROWSERS);
    let (ip, req, status, bytes, agent) = match rng.random_range(0..100u32) {
        0..=59 => (
            doc_ip(rng),
            pick(
                rng,
                &[
                    "GET / HTTP/1.1",
                    "GET /2026/11/hello-world/ HTTP/1.1",
                    "GET /feed/ HTTP/1.1",
                ],
            ),
            200,
            rng.random_range(9_000..48_000u32),
            browser,
        ),
        60..=79 => (
            doc_ip(rng),
            "GET /wp-content/themes/twentytwentyfour/style.css HTTP/1.1",
            200,
            1_204,
            browser,
        ),
        80..=94 => (
            pick(rng, &["203.0.113.201", "192.0.2.145"]).to_string(),
            "POST /wp-login.php HTTP/1.1",
            200,
            4_023,
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101 Firefox/115.0",
        ),
        _ => (
            "203.0.113.10".to_string(),
            "GET /wp-admin/ HTTP/1.1",
            200,
            31_554,
            browser,
        ),
    };
    // A blocked sender gets WAF's 403 from then on, and the line says so.
    let refused = blocked(&ip);
    let (status, bytes) = if refused { (403, 199) } else { (status, bytes) };
    Written {
        refused,
        text: format!("{ip} - - [{time_local}] \"{req}\" {status} {bytes} \"-\" \"{agent}\""),
    }
}

/// Whether an address is in the demo's IP set at the time of the request being written.
type Blocked<'a> = &'a dyn Fn(&str) -> bool;

/// One request as its log wrote it; `refused`: its sender was blocked (the line shows the 403).
struct Written {
    refused: bool,
    text: String,
}

impl Written {
    fn served(text: String) -> Written {
        Written {
            refused: false,
            text,
        }
    }
}

impl DemoWorld {
    /// Health of the host behind a log, if it is a target: (state, healthy targets in its group).
    fn host_health(
        &self,
        changes: &Changes,
        spec: &LogSpec,
        t_ms: i64,
    ) -> Option<(TargetState, usize)> {
        let group = spec.serves_as?;
        let tg = self
            .estate
            .load_balancers
            .iter()
            .flat_map(|lb| &lb.target_groups)
            .find(|tg| tg.name == group)?;
        let mut own = None;
        let mut healthy = 0;
        for target in &tg.targets {
            let key = TargetKey {
                target_group_arn: tg.arn.clone(),
                id: target.id.clone(),
                port: target.port,
            };
            let h = self.health_at(
                changes,
                &key,
                target.name.as_deref(),
                tg.deregistration_delay(),
                t_ms,
            );
            if h.state == TargetState::Healthy {
                healthy += 1;
            }
            if target.name.as_deref() == Some(spec.name) {
                own = Some(h.state);
            }
        }
        own.map(|s| (s, healthy))
    }

    /// The raw lines log `index` wrote during simulated second `second`, in time order.
    fn lines_in_second(&self, changes: &Changes, index: usize, second: i64) -> Vec<(i64, String)> {
        self.requests_in_second(changes, index, second)
            .into_iter()
            .map(|(at, w)| (at, w.text))
            .collect()
    }

    /// What log `index` wrote during second `second`, each line with whether its sender was
    /// blocked (refused with a 403).
    fn requests_in_second(
        &self,
        changes: &Changes,
        index: usize,
        second: i64,
    ) -> Vec<(i64, Written)> {
        let spec = &LOGS[index];
        let start = second * 1000;
        let mut rng = rng_for(self.seed, &format!("log/{}", spec.name), second);
        let (rate, checks) = match self.host_health(changes, spec, start) {
            None => (spec.per_second, false),
            // The group's traffic is shared by its healthy targets; a draining, unused or
            // stopped-httpd host gets none, and health checks reach only a running httpd.
            Some((TargetState::Healthy, healthy)) => {
                (spec.per_second / healthy.max(1) as f64, true)
            }
            Some((TargetState::Initial, _)) => (0.0, true),
            Some(_) => (0.0, false),
        };
        let count =
            (rate * rng.random_range(0.0..2.0) + rng.random_range(0.0..1.0)).floor() as usize;
        let mut offsets: Vec<i64> = (0..count).map(|_| rng.random_range(0..1000)).collect();
        offsets.sort_unstable();
        let in_set = changes.blocked_at(start);
        let blocked = |ip: &str| in_set.iter().any(|b| super::waf::same_address(b, ip));
        let mut lines: Vec<(i64, Written)> = offsets
            .into_iter()
            .map(|offset| {
                let at = start + offset;
                let time_local = self.instant(at).format("%d/%b/%Y:%H:%M:%S %z").to_string();
                let written = match spec.format {
                    Format::NginxProxy => nginx_line(&mut rng, &time_local, &blocked),
                    Format::ApacheCombined => {
                        Written::served(apache_line(&mut rng, spec.name, &time_local))
                    }
                    Format::WordPress => wordpress_line(&mut rng, &time_local, &blocked),
                };
                (at, written)
            })
            .collect();
        if checks {
            let phase = second.rem_euclid(HEALTH_CHECK_EVERY_SECS);
            // The two nodes check half a period apart.
            for (i, node) in LBINT_NODES.iter().enumerate() {
                if phase == i as i64 * HEALTH_CHECK_EVERY_SECS / 2 {
                    let time_local = self.instant(start).format("%d/%b/%Y:%H:%M:%S %z");
                    let bytes = format!("<html><body>{}</body></html>\n", spec.name).len();
                    lines.push((start, Written::served(format!(
                        "{node} - - [{time_local}] \"GET / HTTP/1.1\" 200 {bytes} \"-\" \"ELB-HealthChecker/2.0\""
                    ))));
                }
            }
            lines.sort_by_key(|(at, _)| *at);
        }
        lines
    }

    /// Requests of blocked senders that the demo's internet-facing logs (S4's WordPress, S5's
    /// proxy) wrote during minute `minute`, up to `now_ms`: what the IP set's Block rule
    /// counts besides the flood. Nothing to count while the set is empty.
    pub(super) fn refused_in_minute(&self, changes: &Changes, minute: i64, now_ms: i64) -> u64 {
        let (from, to) = (minute * 60_000, ((minute + 1) * 60_000 - 1).min(now_ms));
        let touched = !changes.blocked_at(from).is_empty()
            || changes
                .blocks
                .iter()
                .any(|(at, _)| (from..=to).contains(at));
        if !touched {
            return 0;
        }
        let behind_waf = LOGS.iter().enumerate().filter(|(_, l)| l.blocked_by_waf);
        behind_waf
            .flat_map(|(index, _)| {
                (minute * 60..(minute + 1) * 60)
                    .flat_map(move |s| self.requests_in_second(changes, index, s))
            })
            .filter(|(at, w)| w.refused && *at <= to)
            .count() as u64
    }

    /// Raw lines with `from_ms < time <= to_ms`, in time order.
    fn lines_between(
        &self,
        changes: &Changes,
        index: usize,
        from_ms: i64,
        to_ms: i64,
    ) -> Vec<(i64, String)> {
        (from_ms.div_euclid(1000)..=to_ms.div_euclid(1000))
            .flat_map(|s| self.lines_in_second(changes, index, s))
            .filter(|(at, _)| *at > from_ms && *at <= to_ms)
            .collect()
    }

    /// The last `count` raw lines written up to `now_ms`, in time order.
    fn backlog(
        &self,
        changes: &Changes,
        index: usize,
        now_ms: i64,
        count: usize,
    ) -> Vec<(i64, String)> {
        let mut newest_first: Vec<(i64, String)> = Vec::with_capacity(count);
        let now_s = now_ms.div_euclid(1000);
        for second in (now_s - MAX_LOOKBACK_SECS..=now_s).rev() {
            if newest_first.len() >= count {
                break;
            }
            let lines = self.lines_in_second(changes, index, second);
            newest_first.extend(lines.into_iter().rev().filter(|(at, _)| *at <= now_ms));
        }
        newest_first.truncate(count);
        newest_first.reverse();
        newest_first
    }

    /// Sends the backlog, then new lines every 250 ms (a log group: every 2 s, as its polls
    /// bring them) until the receiver goes away. With a fixed clock nothing new is ever
    /// written, so only the backlog is sent.
    async fn follow(&self, index: usize, backlog: usize, sink: mpsc::Sender<LogBatch>) {
        let spec = &LOGS[index];
        let every = match spec.delivery {
            Delivery::Ssh => BATCH_EVERY,
            Delivery::LogGroup => GROUP_EVERY,
        };
        let source = spec.name.to_string();
        let batch = |entries: Vec<LogEntry>| LogBatch::lines(source.clone(), entries);
        let mut last = self.now_ms();
        if backlog > 0 {
            let received_at = self.instant(last);
            let lines = self.backlog(&self.changes_snapshot(), index, last, backlog);
            let entries = lines
                .into_iter()
                .map(|(at, text)| LogEntry::Line {
                    // A tail's backlog arrives now; a group's events carry their own times.
                    received_at: match spec.delivery {
                        Delivery::Ssh => received_at,
                        Delivery::LogGroup => self.instant(at),
                    },
                    text: sanitize_owned(text),
                })
                .collect();
            if sink.send(batch(entries)).await.is_err() {
                return;
            }
        }
        if !self.clock.advances() {
            sink.closed().await;
            return;
        }
        loop {
            tokio::select! {
                _ = sink.closed() => return,
                _ = tokio::time::sleep(every) => {}
            }
            let now = self.now_ms();
            if now <= last {
                continue;
            }
            let lines = self.lines_between(&self.changes_snapshot(), index, last, now);
            last = now;
            if lines.is_empty() {
                continue;
            }
            let entries = lines
                .into_iter()
                .map(|(at, text)| LogEntry::Line {
                    received_at: self.instant(at),
                    text: sanitize_owned(text),
                })
                .collect();
            if sink.send(batch(entries)).await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
pub(super) mod testing {
    //! Access to raw lines for the tests.
    use super::*;

    pub fn log_names() -> Vec<&'static str> {
        LOGS.iter().map(|l| l.name).collect()
    }

    pub fn raw_lines(world: &DemoWorld, name: &str, from_ms: i64, to_ms: i64) -> Vec<String> {
        let index = LOGS.iter().position(|l| l.name == name).expect("known log");
        world
            .lines_between(&world.changes_snapshot(), index, from_ms, to_ms)
            .into_iter()
            .map(|(_, text)| text)
            .collect()
    }
}
