//! The strict AWS layer: a proxy on 127.0.0.1 in front of the emulator that refuses, with AWS's
//! own error code and shape, the requests AWS documents as invalid and moto accepts; and that
//! can reshape answers into states real accounts have and moto never produces.
//!
//! `Moto::start()` puts one in front of every emulator, so every AWS-backed suite goes through
//! it: a new call that breaks a documented rule fails a test. Each refusal is kept, and a test
//! harness checks none happened unless a test expects one (`StrictAws::refusals`). A check that
//! needs a read of its own (the IP set an update replaces, a group's target type, the instances
//! ids name) refuses the call when that read fails: unchecked is never accepted.
//!
//! The rules, each from the operation's API reference:
//! - ELBv2 `TargetDescription`: `AvailabilityZone` is refused for targets of type `instance` and
//!   `alb` (and is only ever `all` for `lambda`); `Port` must be 1–65535. `PageSize` 1–400.
//! - CloudWatch `GetMetricData`: at most 500 `MetricDataQueries`.
//! - WAFv2 `GetSampledRequests`: `MaxItems` 1–500, a `TimeWindow` within the last 3 hours;
//!   `List*` `Limit` 1–100.
//! - EC2 `DescribeInstances` / `DescribeInstanceStatus`: an id AWS no longer knows (unknown, or
//!   terminated long ago) fails the whole call with `InvalidInstanceID.NotFound`; `MaxResults`
//!   5–1000 and never together with `InstanceId`s.
//! - Route53: `maxitems` at most 300 for record sets, 1000 for health checks, 100 for zones.
//! - EC2 `DescribeNatGateways`: `MaxResults` 5–1000; on request, answers pages smaller than asked
//!   for (AWS may), with a `NextToken` the caller must follow.
//! - STS `AssumeRole`: `RoleArn` (20–2048 characters) and `RoleSessionName` (2–64 of
//!   `[\w+=,.@-]`) required; `DurationSeconds` 900–43200; `ExternalId` 2–1224 of
//!   `[\w+=,.@:\/-]`: `ValidationError` naming every broken constraint.
//! - Organizations `ListAccounts`: `MaxResults` 1–20, and a `NextToken` only as an answer gave
//!   it (`InvalidInputException` with its `Reason`); on request, pages smaller than asked and an
//!   empty second page, with a `NextToken` the caller must follow (Organizations documents both).
//!
//! Answers reshaped as AWS gives them: a group with health checks off reports its targets
//! `unavailable` / `Target.HealthCheckDisabled`; instance and alb targets are described without
//! a zone, ip targets with theirs; a web ACL without moto's extra `LockToken` field; Route53
//! names with `\052` for `*` and SOA values as plain text. On request: target groups that vanish between list and read, scheduled events;
//! `FilterLogEvents` pages smaller than moto's (AWS's hold at most 10,000 events or 1 MB and are
//! often partly full, even empty with a `nextToken`); `StartLiveTail` streams that stop sending
//! frames while the connection stays open.
//!
//! Accounts: every request is counted in the account its access key acts in (the account an
//! `AssumeRole` answer named for that key, else moto's default 123456789012), so a test can say
//! where an action went (`calls_in`). On request: `AssumeRole` into a role refused with
//! `AccessDenied` (403), as a role whose trust policy does not name the caller; sessions
//! shortened (`Expiration` now + a duration), and every later request signed with an expired
//! key refused as AWS refuses it: `ExpiredToken` (403) for STS, ELBv2, CloudWatch and Route53,
//! `ExpiredTokenException` (400) for the JSON services, `RequestExpired` (400) for EC2,
//! `ExpiredToken` (400) for S3.

use super::wire::{Request, accept, forward, listen, reply};
use std::collections::{HashMap, HashSet};
use std::io::{BufReader, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// A request the layer refused, as the client was told.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub operation: String,
    pub code: String,
    pub message: String,
}

/// A scheduled event added to an instance's `DescribeInstanceStatus` answer.
#[derive(Debug, Clone)]
pub struct InstanceEvent {
    pub instance_id: String,
    pub code: String,
    pub description: String,
    pub not_before: String,
}

/// One request as the layer saw it.
#[derive(Debug, Clone)]
struct Call {
    operation: String,
    /// Size of its batch where it has one.
    batch: usize,
    /// The account its access key acts in.
    account: String,
    /// The role an `AssumeRole` asks for.
    role: Option<String>,
}

/// moto's default account: where the base credentials, and any key moto does not know, act.
pub const DEFAULT_ACCOUNT: &str = "123456789012";

#[derive(Default)]
struct State {
    refusals: Vec<Refusal>,
    /// Every request, in order.
    requests: Vec<Call>,
    /// Access key id → (account, the assumed-role ARN), from the `AssumeRole` answers passed on.
    keys: HashMap<String, (String, String)>,
    /// Access key id → when its session ends, for sessions issued while shortened.
    key_expiry: HashMap<String, SystemTime>,
    /// `AssumeRole` answers expire this long after they are given (`shorten_sessions`).
    session_length: Option<Duration>,
    /// Role ARNs whose `AssumeRole` is refused with `AccessDenied`.
    refused_roles: HashSet<String>,
    /// (operation, account) of each call refused because its session had expired.
    expired_calls: Vec<(String, String)>,
    /// `ListAccounts` answers at most this many accounts a page (moto answers up to 100).
    account_page: Option<usize>,
    /// `ListAccounts` `NextToken`s answered, and those asked for since.
    account_tokens: HashSet<String>,
    account_tokens_asked: HashSet<String>,
    /// Listings the layer paged itself, so each one's tokens are its own.
    account_listings: usize,
    /// Target group ARNs whose `DescribeTargetHealth` answers `TargetGroupNotFound`.
    vanished_groups: HashSet<String>,
    events: Vec<InstanceEvent>,
    /// Operations refused as a least-privilege role would (`AccessDenied`).
    denied: HashSet<String>,
    /// Regions where every call is refused, as an SCP that denies unused regions refuses them.
    denied_regions: HashSet<String>,
    /// Where the layer's own reads go instead of the emulator (`cut_own_reads`).
    own_reads: Option<String>,
    /// `DescribeNatGateways` answers at most this many a page (moto answers all at once).
    nat_page: Option<usize>,
    /// `FilterLogEvents` pages hold at most this many events, and go round `log_page_sizes`.
    log_page: Option<usize>,
    /// `FilterLogEvents` pages answered while capped.
    log_pages: usize,
    /// `StartLiveTail` answers still to stall.
    live_stalls: usize,
    /// Target group ARN → (type, health checks enabled), read from the emulator once.
    groups: HashMap<String, (String, bool)>,
    /// (group ARN, ip) → the zone it was registered in: AWS describes an ip target with its
    /// zone, moto without.
    ip_zones: HashMap<(String, String), String>,
}

pub struct StrictAws {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl StrictAws {
    /// Serves 127.0.0.1:<free port>, passing what AWS would accept on to `upstream` (host:port).
    pub fn start(upstream: &str) -> StrictAws {
        let state = Arc::new(Mutex::new(State::default()));
        let port = listen(upstream, state.clone(), serve);
        StrictAws {
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
            state,
        }
    }

    /// What was refused so far for breaking a documented rule.
    pub fn refusals(&self) -> Vec<Refusal> {
        self.lock().refusals.clone()
    }

    /// The refusals so far, forgotten: a test that provokes one on purpose takes it, so that
    /// only unexpected ones fail the test when the emulator is dropped.
    pub fn take_refusals(&self) -> Vec<Refusal> {
        std::mem::take(&mut self.lock().refusals)
    }

    /// Calls to `operation` so far.
    pub fn calls_to(&self, operation: &str) -> usize {
        self.lock()
            .requests
            .iter()
            .filter(|c| c.operation == operation)
            .count()
    }

    /// Calls to `operation` so far that acted in `account` (12 digits): signed with a key
    /// an `AssumeRole` into that account gave, or, for `DEFAULT_ACCOUNT`, with the base keys.
    /// The harness's own calls count too (seeding an account registers targets there).
    pub fn calls_in(&self, operation: &str, account: &str) -> usize {
        self.lock()
            .requests
            .iter()
            .filter(|c| c.operation == operation && c.account == account)
            .count()
    }

    /// The account each call to `operation` acted in, in order.
    pub fn accounts_of(&self, operation: &str) -> Vec<String> {
        self.lock()
            .requests
            .iter()
            .filter(|c| c.operation == operation)
            .map(|c| c.account.clone())
            .collect()
    }

    /// `AssumeRole` calls into `role_arn` so far, answered or refused.
    pub fn assume_role_calls(&self, role_arn: &str) -> usize {
        self.lock()
            .requests
            .iter()
            .filter(|c| c.operation == "AssumeRole" && c.role.as_deref() == Some(role_arn))
            .count()
    }

    /// The account an access key acts in: the one its `AssumeRole` answer named, else moto's
    /// default account.
    pub fn account_of_key(&self, access_key_id: &str) -> String {
        account_of_key(&self.lock(), access_key_id)
    }

    /// From now on `AssumeRole` into `role_arn` is refused with `AccessDenied` (HTTP 403), as
    /// AWS refuses a caller the role's trust policy does not name.
    pub fn refuse_assume_role(&self, role_arn: &str) {
        self.lock().refused_roles.insert(role_arn.to_string());
    }

    /// `AssumeRole` into `role_arn` is answered again.
    pub fn allow_assume_role(&self, role_arn: &str) {
        self.lock().refused_roles.remove(role_arn);
    }

    /// From now on every `AssumeRole` answer's `Expiration` is now + `length` (second
    /// precision), and any later request signed with such a key once that time has passed is
    /// refused as AWS refuses an expired session: `ExpiredToken` (HTTP 403) for STS, ELBv2,
    /// CloudWatch and Route53, `ExpiredTokenException` (400) for the JSON services (WAFv2, Logs,
    /// ECS, CloudTrail, Organizations), `RequestExpired` (400) for EC2, `ExpiredToken` (400) for
    /// S3. Such refusals are arranged, not rule refusals: `expired_calls` lists them. Call it
    /// after seeding, or the seeding keys expire too.
    pub fn shorten_sessions(&self, length: Duration) {
        self.lock().session_length = Some(length);
    }

    /// (operation, account) of every call refused because its session had expired, in order.
    pub fn expired_calls(&self) -> Vec<(String, String)> {
        self.lock().expired_calls.clone()
    }

    /// From now on `ListAccounts` answers at most `size` accounts a page, whatever
    /// `MaxResults` asked for, with a `NextToken` for the rest; and its second page is empty
    /// but for a `NextToken` (Organizations documents both: fewer than asked, and empty pages
    /// before the end). A caller that stops at a short or empty page misses accounts.
    pub fn page_accounts(&self, size: usize) {
        self.lock().account_page = Some(size.max(1));
    }

    /// `ListAccounts` `NextToken`s answered and never asked for since: a listing left
    /// unfinished (empty once every listing was followed to its last page).
    pub fn unfollowed_account_pages(&self) -> Vec<String> {
        let s = self.lock();
        let mut left: Vec<String> = s
            .account_tokens
            .difference(&s.account_tokens_asked)
            .cloned()
            .collect();
        left.sort();
        left
    }

    /// Batch sizes of the calls to `operation` (queries of a `GetMetricData`, ids of a
    /// `DescribeInstances`, named or in an `instance-id` filter), in order.
    pub fn batch_sizes(&self, operation: &str) -> Vec<usize> {
        self.lock()
            .requests
            .iter()
            .filter(|c| c.operation == operation)
            .map(|c| c.batch)
            .collect()
    }

    /// Every operation requested so far, in order, one entry a request.
    pub fn operations(&self) -> Vec<String> {
        self.lock()
            .requests
            .iter()
            .map(|c| c.operation.clone())
            .collect()
    }

    /// From now on, `DescribeTargetHealth` of `arn` answers `TargetGroupNotFound`, as AWS does
    /// for a group deleted after the refresh listed it.
    pub fn vanish_target_group(&self, arn: &str) {
        self.lock().vanished_groups.insert(arn.to_string());
    }

    /// Adds a scheduled event to an instance's status, as AWS reports (and keeps for a week
    /// after it completed, its description starting `[Completed]`).
    pub fn add_instance_event(&self, event: InstanceEvent) {
        self.lock().events.push(event);
    }

    /// From now on `DescribeNatGateways` answers `size` gateways a page, with a `NextToken`
    /// for the rest, whatever `MaxResults` asked for (as AWS may).
    pub fn page_nat_gateways(&self, size: usize) {
        self.lock().nat_page = Some(size.max(1));
    }

    /// From now on `FilterLogEvents` answers at most `cap` events a page, and partly full pages
    /// as AWS does: the sizes go round `cap`, a third of it, none (an empty page with a
    /// `nextToken`), `cap` and one.
    pub fn cap_log_pages(&self, cap: usize) {
        self.lock().log_page = Some(cap.max(1));
    }

    /// The next `count` `StartLiveTail` answers send their first frame and then nothing, the
    /// connection held open, as a session AWS stopped sending on (it sends every second).
    pub fn stall_live_tail(&self, count: usize) {
        self.lock().live_stalls = count;
    }

    /// From now on the layer's own reads (the IP set before an update, a target group's type,
    /// the instances an id list names) find nothing listening: every call whose check needs one
    /// is refused as unchecked, never passed on.
    pub fn cut_own_reads(&self) {
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a loopback port to close");
        self.lock().own_reads = Some(closed.to_string());
    }

    /// Refuses `operation` with `AccessDenied`/`UnauthorizedOperation`, as a role without that
    /// permission is refused.
    pub fn deny(&self, operation: &str) {
        self.lock().denied.insert(operation.to_string());
    }

    /// Refuses every call signed for `region` with `AccessDenied`, as an SCP denying the
    /// regions an account does not use does.
    pub fn deny_region(&self, region: &str) {
        self.lock().denied_regions.insert(region.to_string());
    }

    /// Serves `region` again.
    pub fn allow_region(&self, region: &str) {
        self.lock().denied_regions.remove(region);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The region a request is signed for: `Credential=KEY/DATE/REGION/SERVICE/aws4_request`.
fn signed_region(r: &Request) -> Option<String> {
    let auth = r.header("authorization")?;
    let scope = auth.split("Credential=").nth(1)?;
    scope.split('/').nth(2).map(str::to_string)
}

/// The access key a request is signed with: `Credential=KEY/DATE/REGION/SERVICE/aws4_request`.
fn access_key(r: &Request) -> Option<String> {
    let auth = r.header("authorization")?;
    let scope = auth.split("Credential=").nth(1)?;
    scope.split('/').next().map(str::to_string)
}

/// The service a request is signed for (`s3`, `sts`, `elasticloadbalancing`, …).
fn signed_service(r: &Request) -> Option<String> {
    let auth = r.header("authorization")?;
    let scope = auth.split("Credential=").nth(1)?;
    scope.split('/').nth(3).map(str::to_string)
}

fn account_of_key(s: &State, key: &str) -> String {
    s.keys
        .get(key)
        .map(|(account, _)| account.clone())
        .unwrap_or_else(|| DEFAULT_ACCOUNT.to_string())
}

/// Which AWS protocol (and so which error shape) a request speaks.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Protocol {
    /// awsQuery: ELBv2, CloudWatch (as pinned), STS.
    Query,
    Ec2,
    /// awsJson1_1: WAFv2.
    Json,
    /// restXml: Route53.
    RestXml,
    /// The emulator's own API (`/moto-api/`), passed through.
    Emulator,
}

fn protocol(r: &Request) -> Protocol {
    if r.is_json() {
        Protocol::Json
    } else if r.is_ec2() {
        Protocol::Ec2
    } else if r.head.contains(" /2013-04-01/") {
        Protocol::RestXml
    } else if r.head.contains(" /moto-api") {
        Protocol::Emulator
    } else {
        Protocol::Query
    }
}

fn serve(client: TcpStream, upstream: &str, state: &Mutex<State>) {
    let Some((mut client, request)) = accept(client) else {
        return;
    };
    let stall = request.operation == "StartLiveTail" && {
        let mut s = lock(state);
        let stall = s.live_stalls > 0;
        s.live_stalls = s.live_stalls.saturating_sub(1);
        stall
    };
    if let Some(bytes) = answer(&request, upstream, state) {
        if stall {
            return hold_after_first_frame(client, &bytes);
        }
        let _ = client.write_all(&bytes);
    }
    // Every reply says `Connection: close`.
    let _ = client.shutdown(Shutdown::Both);
}

/// Sends an event stream's head and first frame, then nothing until the client hangs up (or a
/// minute passes): a session that went silent with its connection open.
fn hold_after_first_frame(mut client: TcpStream, reply: &[u8]) {
    let Some(end) = reply.windows(4).position(|w| w == b"\r\n\r\n") else {
        return;
    };
    let (head, body) = (&reply[..end + 4], &reply[end + 4..]);
    let chunked = String::from_utf8_lossy(head)
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        unchunk(body)
    } else {
        body.to_vec()
    };
    // An event stream message starts with its total length (4 bytes, big-endian).
    let first = body
        .get(..4)
        .map(|n| u32::from_be_bytes([n[0], n[1], n[2], n[3]]) as usize)
        .and_then(|n| body.get(..n))
        .unwrap_or_default();
    let _ = client.write_all(head);
    if chunked {
        let _ = client.write_all(format!("{:x}\r\n", first.len()).as_bytes());
        let _ = client.write_all(first);
        let _ = client.write_all(b"\r\n");
    } else {
        let _ = client.write_all(first);
    }
    let _ = client.set_read_timeout(Some(Duration::from_millis(200)));
    let mut buf = [0u8; 512];
    let until = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < until {
        match std::io::Read::read(&mut client, &mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return,
        }
    }
}

/// A chunked body's bytes.
fn unchunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&body[..line_end])
            .ok()
            .and_then(|l| usize::from_str_radix(l.split(';').next().unwrap_or("").trim(), 16).ok())
            .unwrap_or(0);
        let start = line_end + 2;
        if size == 0 || body.len() < start + size {
            break;
        }
        out.extend_from_slice(&body[start..start + size]);
        body = body.get(start + size + 2..).unwrap_or_default();
    }
    out
}

/// The reply for one request: refused, passed on, or passed on and reshaped.
fn answer(r: &Request, upstream: &str, state: &Mutex<State>) -> Option<Vec<u8>> {
    let proto = protocol(r);
    if proto == Protocol::Emulator {
        return forward(upstream, r);
    }
    let op = r.operation.clone();
    let params = Params::of(r, proto);
    let key = access_key(r);
    let expired = {
        let mut s = lock(state);
        let account = key
            .as_deref()
            .map_or_else(|| DEFAULT_ACCOUNT.to_string(), |k| account_of_key(&s, k));
        let expired = key
            .as_deref()
            .and_then(|k| s.key_expiry.get(k))
            .is_some_and(|until| SystemTime::now() >= *until);
        if expired {
            s.expired_calls.push((op.clone(), account.clone()));
        }
        s.requests.push(Call {
            operation: op.clone(),
            batch: params.batch_size(&op),
            account,
            role: (op == "AssumeRole")
                .then(|| params.get("RoleArn").map(str::to_string))
                .flatten(),
        });
        expired
    };
    // AWS checks the signature's session before anything else.
    if expired {
        return Some(expired_reply(r, proto));
    }
    // What a test arranged (a denied permission, a vanished group) is no refusal of a rule.
    if let Some((status, code, message)) = arranged(&op, &params, r, proto, state) {
        return Some(error_reply(proto, status, &code, &message));
    }
    if let Some((status, code, message)) = check(&op, &params, r, upstream, state) {
        lock(state).refusals.push(Refusal {
            operation: op.clone(),
            code: code.clone(),
            message: message.clone(),
        });
        return Some(error_reply(proto, status, &code, &message));
    }
    if op == "RegisterTargets"
        && let Some(arn) = params.get("TargetGroupArn")
    {
        let mut s = lock(state);
        for t in params.members("Targets") {
            if let (Some(id), Some(az)) = (t.get("Id"), t.get("AvailabilityZone")) {
                s.ip_zones.insert((arn.to_string(), id.clone()), az.clone());
            }
        }
    }
    if op == "FilterLogEvents"
        && let Some(size) = next_log_page(state)
    {
        return log_events_page(r, &params.json, size, upstream);
    }
    let account_page = lock(state).account_page;
    if op == "ListAccounts"
        && let Some(size) = account_page
        && let Some(page) = accounts_page(r, &params.json, size, upstream, state)
    {
        return Some(page);
    }
    let reply = forward(upstream, r)?;
    Some(reshape(&op, &params, r, reply, upstream, state))
}

/// The size of the next `FilterLogEvents` page, when they are capped.
fn next_log_page(state: &Mutex<State>) -> Option<usize> {
    let mut s = lock(state);
    let cap = s.log_page?;
    s.log_pages += 1;
    Some(log_page_size(cap, s.log_pages - 1))
}

/// The `n`th capped page's size: full, a third, empty, full, one.
fn log_page_size(cap: usize, n: usize) -> usize {
    [cap, (cap / 3).max(1), 0, cap, 1][n % 5]
}

/// What a token of an empty page stands for: the emulator's own token, or none.
const EMPTY_PAGE: &str = "strict-empty:";

/// A `FilterLogEvents` page of at most `size` events: the emulator asked with that `limit`
/// (its token carries on after the page's last event), or an empty page whose token asks for
/// the same again.
fn log_events_page(
    r: &Request,
    json: &serde_json::Value,
    size: usize,
    upstream: &str,
) -> Option<Vec<u8>> {
    let asked = json["nextToken"].as_str().map(|t| {
        t.strip_prefix(EMPTY_PAGE)
            .map(str::to_string)
            .unwrap_or_else(|| t.to_string())
    });
    if size == 0 {
        let page = serde_json::json!({
            "events": [],
            "searchedLogStreams": [],
            "nextToken": format!("{EMPTY_PAGE}{}", asked.unwrap_or_default()),
        });
        return Some(reply(
            "200 OK",
            "application/x-amz-json-1.1",
            &page.to_string(),
        ));
    }
    let mut question = json.clone();
    let limit = json["limit"]
        .as_u64()
        .map_or(size, |l| (l as usize).min(size));
    question["limit"] = serde_json::json!(limit);
    match asked.filter(|t| !t.is_empty()) {
        Some(t) => question["nextToken"] = serde_json::json!(t),
        None => {
            if let Some(o) = question.as_object_mut() {
                o.remove("nextToken");
            }
        }
    }
    let body = question.to_string();
    let head: String = r
        .head
        .lines()
        .filter(|l| {
            !l.is_empty()
                && !l
                    .split_once(':')
                    .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        })
        .map(|l| format!("{l}\r\n"))
        .collect();
    let capped = Request {
        head: format!("{head}Content-Length: {}\r\n\r\n", body.len()),
        body: body.into_bytes(),
        operation: r.operation.clone(),
    };
    forward(upstream, &capped)
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// A request's parameters: the form of a query request, the JSON body, or the query string of
/// a REST request.
struct Params {
    form: Vec<(String, String)>,
    json: serde_json::Value,
}

impl Params {
    fn of(r: &Request, proto: Protocol) -> Params {
        let form = match proto {
            Protocol::Query | Protocol::Ec2 => form_urlencoded::parse(&r.body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            Protocol::RestXml => {
                let target = r.head.split_whitespace().nth(1).unwrap_or_default();
                let query = target.split_once('?').map(|(_, q)| q).unwrap_or_default();
                form_urlencoded::parse(query.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            }
            _ => Vec::new(),
        };
        let json = if proto == Protocol::Json {
            serde_json::from_slice(&r.body).unwrap_or(serde_json::Value::Null)
        } else {
            serde_json::Value::Null
        };
        Params { form, json }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Values of `Prefix.1`, `Prefix.2`, … (EC2 lists) in order.
    fn list(&self, prefix: &str) -> Vec<&str> {
        let mut items: Vec<(usize, &str)> = self
            .form
            .iter()
            .filter_map(|(k, v)| {
                let n = k.strip_prefix(prefix)?.strip_prefix('.')?.parse().ok()?;
                Some((n, v.as_str()))
            })
            .collect();
        items.sort();
        items.into_iter().map(|(_, v)| v).collect()
    }

    /// Values of the EC2 filter named `name` (`Filter.N.Name`, `Filter.N.Value.M`).
    fn filter_values(&self, name: &str) -> Vec<&str> {
        let Some(n) = self.form.iter().find_map(|(k, v)| {
            let n = k.strip_prefix("Filter.")?.strip_suffix(".Name")?;
            (v == name).then_some(n)
        }) else {
            return Vec::new();
        };
        self.list(&format!("Filter.{n}.Value"))
    }

    /// The members of a query-protocol list of structures: `Targets.member.N.Field` → N → fields.
    fn members(&self, list: &str) -> Vec<HashMap<String, String>> {
        let mut by_index: std::collections::BTreeMap<usize, HashMap<String, String>> =
            Default::default();
        let prefix = format!("{list}.member.");
        for (k, v) in &self.form {
            let Some(rest) = k.strip_prefix(&prefix) else {
                continue;
            };
            let (n, field) = rest.split_once('.').unwrap_or((rest, ""));
            if let Ok(n) = n.parse() {
                by_index
                    .entry(n)
                    .or_default()
                    .insert(field.to_string(), v.clone());
            }
        }
        by_index.into_values().collect()
    }

    fn batch_size(&self, op: &str) -> usize {
        match op {
            "GetMetricData" => self.members("MetricDataQueries").len(),
            // By id, or by the values of an `instance-id` filter (the console's way).
            "DescribeInstances" | "DescribeInstanceStatus" => self
                .list("InstanceId")
                .len()
                .max(self.filter_values("instance-id").len()),
            "RegisterTargets" | "DeregisterTargets" | "DescribeTargetHealth" => {
                self.members("Targets").len()
            }
            _ => 0,
        }
    }
}

/// (HTTP status, error code, message).
type Refused = (&'static str, String, String);

fn invalid(code: &str, message: String) -> Option<Refused> {
    Some(("400 Bad Request", code.to_string(), message))
}

fn denied(op: &str, proto: Protocol) -> Refused {
    let code = if proto == Protocol::Ec2 {
        "UnauthorizedOperation"
    } else if proto == Protocol::Json {
        "AccessDeniedException"
    } else {
        "AccessDenied"
    };
    (
        "403 Forbidden",
        code.to_string(),
        format!(
            "User: arn:aws:sts::123456789012:assumed-role/ReadOnly/test is not authorized to perform: {op}"
        ),
    )
}

fn arranged(
    op: &str,
    p: &Params,
    r: &Request,
    proto: Protocol,
    state: &Mutex<State>,
) -> Option<Refused> {
    let s = lock(state);
    let region_denied = signed_region(r).is_some_and(|region| s.denied_regions.contains(&region));
    if s.denied.contains(op) || region_denied {
        return Some(denied(op, proto));
    }
    if op == "AssumeRole"
        && let Some(role) = p.get("RoleArn")
        && s.refused_roles.contains(role)
    {
        // The caller as AWS names it: an assumed role by its session ARN, else the user.
        let key = access_key(r).unwrap_or_default();
        let caller = s.keys.get(&key).map_or_else(
            || format!("arn:aws:iam::{DEFAULT_ACCOUNT}:user/{key}"),
            |(_, arn)| arn.clone(),
        );
        return Some((
            "403 Forbidden",
            "AccessDenied".to_string(),
            format!(
                "User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role}"
            ),
        ));
    }
    let arn = p.get("TargetGroupArn")?;
    (op == "DescribeTargetHealth" && s.vanished_groups.contains(arn)).then(|| {
        (
            "400 Bad Request",
            "TargetGroupNotFound".to_string(),
            format!("Target groups '{arn}' not found"),
        )
    })
}

fn check(
    op: &str,
    p: &Params,
    r: &Request,
    upstream: &str,
    state: &Mutex<State>,
) -> Option<Refused> {
    match op {
        "DescribeLoadBalancers"
        | "DescribeTargetGroups"
        | "DescribeListeners"
        | "DescribeRules" => page_size(p, "PageSize", 1, 400),
        "RegisterTargets" | "DeregisterTargets" | "DescribeTargetHealth" => {
            targets(p, r, upstream, state)
        }
        "GetMetricData" => {
            let n = p.members("MetricDataQueries").len();
            (n > 500).then(|| {
                (
                    "400 Bad Request",
                    "ValidationError".to_string(),
                    format!(
                        "The collection MetricDataQueries must not have a size greater than 500 (it has {n})."
                    ),
                )
            })
        }
        "GetSampledRequests" => sampled_requests(&p.json),
        "UpdateIPSet" => ip_set_update(&p.json, r, upstream, state),
        "FilterLogEvents" => filter_log_events(&p.json),
        "StartLiveTail" => start_live_tail(&p.json),
        "ListWebACLs" | "ListIPSets" | "ListRuleGroups" | "ListResourcesForWebACL" => {
            match p.json.get("Limit").and_then(|l| l.as_i64()) {
                Some(l) if !(1..=100).contains(&l) => invalid(
                    "WAFInvalidParameterException",
                    format!(
                        "Error reason: The parameter contains formatting that is not valid., field: LIMIT, parameter: {l}"
                    ),
                ),
                _ => None,
            }
        }
        "DescribeInstances" | "DescribeInstanceStatus" => instances(p, r, upstream, state),
        "AssumeRole" => assume_role(p),
        "ListAccounts" => list_accounts(&p.json, state),
        "DescribeNatGateways" => {
            let max = p.get("MaxResults")?;
            (!max.parse::<i64>().is_ok_and(|n| (5..=1000).contains(&n))).then(|| {
                (
                    "400 Bad Request",
                    "InvalidParameterValue".to_string(),
                    format!(
                        "Value ( {max} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000."
                    ),
                )
            })
        }
        _ if r.head.contains("/rrset") => page_size(p, "maxitems", 1, 300),
        _ if r.head.contains("/healthcheck?") => page_size(p, "maxitems", 1, 1000),
        _ if r.head.contains("/hostedzone?") => page_size(p, "maxitems", 1, 100),
        _ => None,
    }
}

fn page_size(p: &Params, key: &str, min: i64, max: i64) -> Option<Refused> {
    let size: i64 = p.get(key)?.parse().unwrap_or(-1);
    if (min..=max).contains(&size) {
        return None;
    }
    let code = if key == "maxitems" {
        "InvalidInput"
    } else {
        "ValidationError"
    };
    invalid(
        code,
        format!(
            "1 validation error detected: Value '{size}' at '{key}' failed to satisfy constraint: Member must have value between {min} and {max}"
        ),
    )
}

/// `TargetDescription` as AWS checks it against the group's target type.
fn targets(p: &Params, r: &Request, upstream: &str, state: &Mutex<State>) -> Option<Refused> {
    let arn = p.get("TargetGroupArn")?;
    let kind = match group(arn, r, upstream, state) {
        Ok(Read::Got((kind, _))) => kind,
        // ELBv2 refuses a call on a group it does not know, as the emulator will.
        Ok(Read::Missing) => return None,
        Err(why) => return cannot_check(&format!("target group {arn}"), why),
    };
    for t in p.members("Targets") {
        if let Some(port) = t.get("Port") {
            if kind == "lambda" {
                return invalid(
                    "ValidationError",
                    "A port cannot be specified for targets of type 'lambda'".to_string(),
                );
            }
            if !port.parse::<i64>().is_ok_and(|n| (1..=65535).contains(&n)) {
                return invalid(
                    "ValidationError",
                    format!(
                        "1 validation error detected: Value '{port}' at 'targets.member.port' failed to satisfy constraint: Member must have value between 1 and 65535"
                    ),
                );
            }
        }
        if t.contains_key("AvailabilityZone") && (kind == "instance" || kind == "alb") {
            return invalid(
                "ValidationError",
                format!("You cannot specify an Availability Zone for targets of type '{kind}'"),
            );
        }
    }
    None
}

/// The group's (target type, health checks enabled), asked of the emulator once.
fn group(
    arn: &str,
    r: &Request,
    upstream: &str,
    state: &Mutex<State>,
) -> Result<Read<(String, bool)>, String> {
    if let Some(g) = lock(state).groups.get(arn) {
        return Ok(Read::Got(g.clone()));
    }
    let body = format!(
        "Action=DescribeTargetGroups&Version=2015-12-01&TargetGroupArns.member.1={}",
        form_urlencoded::byte_serialize(arn.as_bytes()).collect::<String>()
    );
    let Read::Got(xml) = ask(&reads_from(upstream, state), r, &body)? else {
        return Ok(Read::Missing);
    };
    let kind = tag(&xml, "TargetType").ok_or("DescribeTargetGroups named no TargetType")?;
    let enabled = tag(&xml, "HealthCheckEnabled").is_none_or(|v| v != "false");
    let g = (kind, enabled);
    lock(state).groups.insert(arn.to_string(), g.clone());
    Ok(Read::Got(g))
}

fn sampled_requests(json: &serde_json::Value) -> Option<Refused> {
    let bad = |field: &str, why: String| {
        invalid(
            "WAFInvalidParameterException",
            format!("Error reason: {why}, field: {field}"),
        )
    };
    if let Some(n) = json.get("MaxItems").and_then(|m| m.as_i64())
        && !(1..=500).contains(&n)
    {
        return bad(
            "MAX_ITEMS",
            format!("The value {n} is not between 1 and 500"),
        );
    }
    let window = json.get("TimeWindow")?;
    let time = |k: &str| window.get(k).and_then(|t| t.as_f64());
    let (start, end) = (time("StartTime")?, time("EndTime")?);
    let now = chrono::Utc::now().timestamp() as f64;
    let three_hours = 3.0 * 3600.0;
    if end < start || end - start > three_hours || start < now - three_hours - 60.0 {
        return bad(
            "TIME_WINDOW",
            "The time window must lie within the previous three hours".to_string(),
        );
    }
    None
}

/// EC2 refuses the whole call when one id is unknown (terminated instances stay visible for
/// about an hour; the layer treats every terminated one as gone), and `MaxResults` with ids.
fn instances(p: &Params, r: &Request, upstream: &str, state: &Mutex<State>) -> Option<Refused> {
    let ids = p.list("InstanceId");
    if let Some(max) = p.get("MaxResults") {
        if !ids.is_empty() {
            return invalid(
                "InvalidParameterCombination",
                "The parameter instancesSet cannot be used with the parameter maxResults"
                    .to_string(),
            );
        }
        if !max.parse::<i64>().is_ok_and(|n| (5..=1000).contains(&n)) {
            return invalid(
                "InvalidParameterValue",
                format!(
                    "Value ( {max} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000."
                ),
            );
        }
    }
    if ids.is_empty() {
        return None;
    }
    let mut body = "Action=DescribeInstances&Version=2016-11-15".to_string();
    for (i, id) in ids.iter().enumerate() {
        body.push_str(&format!("&Filter.1.Value.{}={id}", i + 1));
    }
    body.push_str("&Filter.1.Name=instance-id");
    // A filter finds what exists: an answer that says something is missing is no answer.
    let xml = match ask(&reads_from(upstream, state), r, &body) {
        Ok(Read::Got(xml)) => xml,
        Ok(Read::Missing) => return cannot_check("the instances", "answered not found".into()),
        Err(why) => return cannot_check("the instances", why),
    };
    let live: HashSet<String> = instance_items(&xml)
        .into_iter()
        .filter(|(_, state)| state != "terminated")
        .map(|(id, _)| id)
        .collect();
    let gone: Vec<&str> = ids.into_iter().filter(|id| !live.contains(*id)).collect();
    match gone.as_slice() {
        [] => None,
        [one] => invalid(
            "InvalidInstanceID.NotFound",
            format!("The instance ID '{one}' does not exist"),
        ),
        many => invalid(
            "InvalidInstanceID.NotFound",
            format!("The instance IDs '{}' do not exist", many.join(", ")),
        ),
    }
}

/// (instance id, state name) of every instance in a `DescribeInstances` answer.
fn instance_items(xml: &str) -> Vec<(String, String)> {
    let Ok(doc) = roxmltree::Document::parse(xml) else {
        return Vec::new();
    };
    doc.descendants()
        .filter(|n| n.has_tag_name("instancesSet"))
        .flat_map(|set| set.children().filter(|c| c.has_tag_name("item")))
        .filter_map(|item| {
            let child = |name: &str| item.children().find(|c| c.has_tag_name(name));
            let id = child("instanceId")?.text()?.to_string();
            let state = child("instanceState")?
                .children()
                .find(|c| c.has_tag_name("name"))?
                .text()?
                .to_string();
            Some((id, state))
        })
        .collect()
}

/// `AssumeRole` as STS checks it (moto only checks that a session name is at most 64
/// characters): `RoleArn` 20–2048 characters and `RoleSessionName` 2–64 of `[\w+=,.@-]`, both
/// required; `DurationSeconds` 900–43200; `ExternalId` 2–1224 of `[\w+=,.@:/-]`. Every
/// broken constraint is named, as AWS's validation does.
fn assume_role(p: &Params) -> Option<Refused> {
    let mut errors = Vec::new();
    let mut fail = |field: &str, value: Option<&str>, constraint: String| {
        let shown = value.map_or("null".to_string(), |v| format!("'{v}'"));
        errors.push(format!(
            "Value {shown} at '{field}' failed to satisfy constraint: {constraint}"
        ));
    };
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut text =
        |field: &str, value: Option<&str>, required: bool, len: (usize, usize), extra: &str| {
            let Some(v) = value else {
                if required {
                    fail(field, None, "Member must not be null".to_string());
                }
                return;
            };
            let n = v.chars().count();
            if n < len.0 {
                fail(
                    field,
                    value,
                    format!("Member must have length greater than or equal to {}", len.0),
                );
            } else if n > len.1 {
                fail(
                    field,
                    value,
                    format!("Member must have length less than or equal to {}", len.1),
                );
            }
            if !extra.is_empty() && !v.chars().all(|c| word(c) || extra.contains(c)) {
                let class = extra.replace('/', "\\/");
                fail(
                    field,
                    value,
                    format!("Member must satisfy regular expression pattern: [\\w{class}]*"),
                );
            }
        };
    text("roleArn", p.get("RoleArn"), true, (20, 2048), "");
    text(
        "roleSessionName",
        p.get("RoleSessionName"),
        true,
        (2, 64),
        "+=,.@-",
    );
    text(
        "externalId",
        p.get("ExternalId"),
        false,
        (2, 1224),
        "+=,.@:/-",
    );
    if let Some(d) = p.get("DurationSeconds") {
        match d.parse::<i64>() {
            Ok(n) if n < 900 => fail(
                "durationSeconds",
                Some(d),
                "Member must have value greater than or equal to 900".to_string(),
            ),
            Ok(n) if n > 43200 => fail(
                "durationSeconds",
                Some(d),
                "Member must have value less than or equal to 43200".to_string(),
            ),
            Ok(_) => {}
            Err(_) => fail(
                "durationSeconds",
                Some(d),
                "Member must be an integer".to_string(),
            ),
        }
    }
    match errors.len() {
        0 => None,
        1 => invalid(
            "ValidationError",
            format!("1 validation error detected: {}", errors[0]),
        ),
        n => invalid(
            "ValidationError",
            format!("{n} validation errors detected: {}", errors.join("; ")),
        ),
    }
}

/// `InvalidInputException` reasons of Organizations, by the start of the message the layer
/// gives with each: an Organizations error carries its reason beside the message.
const ORGANIZATIONS_REASONS: &[(&str, &str)] = &[
    (
        "You provided a value that exceeds the maximum",
        "MAX_VALUE_EXCEEDED",
    ),
    (
        "You provided a value that is less than the minimum",
        "MIN_VALUE_EXCEEDED",
    ),
    (
        "You specified an invalid value for nextToken",
        "INVALID_NEXT_TOKEN",
    ),
];

/// `ListAccounts`: `MaxResults` 1–20, and a `NextToken` only as an earlier answer gave it.
fn list_accounts(json: &serde_json::Value, state: &Mutex<State>) -> Option<Refused> {
    let bad = |m: String| invalid("InvalidInputException", m);
    if let Some(n) = json.get("MaxResults").and_then(|m| m.as_i64()) {
        if n > 20 {
            return bad(format!(
                "You provided a value that exceeds the maximum allowed value: MaxResults {n}, at most 20."
            ));
        }
        if n < 1 {
            return bad(format!(
                "You provided a value that is less than the minimum allowed value: MaxResults {n}, at least 1."
            ));
        }
    }
    if let Some(token) = json.get("NextToken").and_then(|t| t.as_str()) {
        let mut s = lock(state);
        if !s.account_tokens.contains(token) {
            return bad(format!(
                "You specified an invalid value for nextToken. You must get the value from the response to a previous call to the API ({token})."
            ));
        }
        s.account_tokens_asked.insert(token.to_string());
    }
    None
}

/// A `ListAccounts` page the layer answers itself while pages are capped: every account the
/// emulator lists (followed to its last page), cut at the offset the token names
/// (`strict-accounts-LISTING-OFFSET-PAGE`); the second page empty. `None` passes the call on as it came
/// (an emulator's own token, or an emulator that refuses the listing).
fn accounts_page(
    r: &Request,
    json: &serde_json::Value,
    size: usize,
    upstream: &str,
    state: &Mutex<State>,
) -> Option<Vec<u8>> {
    let token = json.get("NextToken").and_then(|t| t.as_str());
    let (listing, from, page): (usize, usize, usize) = match token {
        None => {
            let mut s = lock(state);
            s.account_listings += 1;
            (s.account_listings, 0, 0)
        }
        Some(t) => {
            let mut parts = t.strip_prefix("strict-accounts-")?.split('-');
            let mut next = || parts.next()?.parse().ok();
            (next()?, next()?, next()?)
        }
    };
    let mut all = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let question = match &next {
            Some(t) => serde_json::json!({ "NextToken": t }),
            None => serde_json::json!({}),
        };
        let reply = forward(upstream, &with_body(r, &question.to_string()))?;
        let text = String::from_utf8_lossy(&reply).into_owned();
        let (head, body) = text.split_once("\r\n\r\n")?;
        if !head.contains(" 200 ") {
            return None;
        }
        let answer: serde_json::Value = serde_json::from_str(body).ok()?;
        all.extend(answer["Accounts"].as_array().cloned().unwrap_or_default());
        match answer["NextToken"].as_str() {
            Some(t) => next = Some(t.to_string()),
            None => break,
        }
    }
    let asked = json
        .get("MaxResults")
        .and_then(|m| m.as_u64())
        .map_or(size, |m| (m as usize).min(size));
    let n = if page == 1 { 0 } else { asked };
    let to = (from + n).min(all.len());
    let mut out = serde_json::json!({ "Accounts": all.get(from..to).unwrap_or_default() });
    if to < all.len() {
        let t = format!("strict-accounts-{listing}-{to}-{}", page + 1);
        lock(state).account_tokens.insert(t.clone());
        out["NextToken"] = serde_json::json!(t);
    }
    Some(reply(
        "200 OK",
        "application/x-amz-json-1.1",
        &out.to_string(),
    ))
}

/// `r` with another body (its length set to match).
fn with_body(r: &Request, body: &str) -> Request {
    let head: String = r
        .head
        .lines()
        .filter(|l| {
            !l.is_empty()
                && !l
                    .split_once(':')
                    .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        })
        .map(|l| format!("{l}\r\n"))
        .collect();
    Request {
        head: format!("{head}Content-Length: {}\r\n\r\n", body.len()),
        body: body.as_bytes().to_vec(),
        operation: r.operation.clone(),
    }
}

/// The refusal of a call signed with a session that has expired, as each protocol gives it.
fn expired_reply(r: &Request, proto: Protocol) -> Vec<u8> {
    const EXPIRED: &str = "The security token included in the request is expired";
    if signed_service(r).as_deref() == Some("s3") {
        return reply(
            "400 Bad Request",
            "application/xml",
            "<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message><RequestId>strict-aws</RequestId></Error>",
        );
    }
    match proto {
        // EC2 answers an expired session as it answers a stale signature.
        Protocol::Ec2 => error_reply(
            proto,
            "400 Bad Request",
            "RequestExpired",
            "Request has expired.",
        ),
        Protocol::Json => error_reply(proto, "400 Bad Request", "ExpiredTokenException", EXPIRED),
        _ => error_reply(proto, "403 Forbidden", "ExpiredToken", EXPIRED),
    }
}

/// `FilterLogEvents` as AWS checks it (moto reads neither `logGroupIdentifier` nor
/// `logStreamNamePrefix`, and so refuses or ignores what AWS takes, and takes what AWS refuses).
fn filter_log_events(json: &serde_json::Value) -> Option<Refused> {
    let bad = |m: &str| invalid("InvalidParameterException", m.to_string());
    let has = |k: &str| json.get(k).is_some_and(|v| !v.is_null());
    if has("logGroupName") == has("logGroupIdentifier") {
        return bad("You must include one of logGroupName and logGroupIdentifier, but not both.");
    }
    if has("logStreamNames") && has("logStreamNamePrefix") {
        return bad("logStreamNames and logStreamNamePrefix are mutually exclusive.");
    }
    if json["logStreamNames"]
        .as_array()
        .is_some_and(|n| n.is_empty() || n.len() > 100)
    {
        return bad("logStreamNames takes 1 to 100 names.");
    }
    if json["limit"]
        .as_i64()
        .is_some_and(|l| !(1..=10_000).contains(&l))
    {
        return bad("limit must be between 1 and 10000.");
    }
    if json["filterPattern"]
        .as_str()
        .is_some_and(|f| f.len() > 1024)
    {
        return bad("filterPattern is at most 1024 characters.");
    }
    None
}

/// `StartLiveTail`: 1 to 10 group ARNs (none ending in `*`); stream names or prefixes, not
/// both, and only with one group.
fn start_live_tail(json: &serde_json::Value) -> Option<Refused> {
    let bad = |m: &str| invalid("InvalidParameterException", m.to_string());
    let groups = json["logGroupIdentifiers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if groups.is_empty() || groups.len() > 10 {
        return bad("logGroupIdentifiers takes 1 to 10 log group ARNs.");
    }
    if groups.iter().any(|g| {
        g.as_str()
            .is_none_or(|g| !g.starts_with("arn:") || g.ends_with('*'))
    }) {
        return bad("logGroupIdentifiers are ARNs, and can't end with an asterisk.");
    }
    let names = json.get("logStreamNames").is_some_and(|v| !v.is_null());
    let prefixes = json
        .get("logStreamNamePrefixes")
        .is_some_and(|v| !v.is_null());
    if names && prefixes {
        return bad("logStreamNames and logStreamNamePrefixes are mutually exclusive.");
    }
    if (names || prefixes) && groups.len() > 1 {
        return bad("Stream names or prefixes can be given only with one log group.");
    }
    None
}

/// `UpdateIPSet` as AWS checks it (moto checks none of it): the lock token and the whole
/// address list are required; each address is a CIDR with its prefix written out, never /0,
/// with no host bits set; at most 10,000. And because the update replaces the whole set, a
/// Description left out is erased on AWS (moto keeps it): refused here when the set has one.
fn ip_set_update(
    json: &serde_json::Value,
    r: &Request,
    upstream: &str,
    state: &Mutex<State>,
) -> Option<Refused> {
    let bad = |m: String| invalid("WAFInvalidParameterException", m);
    if json.get("LockToken").and_then(|t| t.as_str()).is_none() {
        return bad("Error reason: A required field is missing., field: LOCK_TOKEN".into());
    }
    let Some(addresses) = json.get("Addresses").and_then(|a| a.as_array()) else {
        return bad("Error reason: A required field is missing., field: IP_ADDRESS".into());
    };
    if addresses.len() > 10_000 {
        return invalid(
            "WAFLimitsExceededException",
            format!(
                "An IP set holds at most 10000 addresses ({})",
                addresses.len()
            ),
        );
    }
    for a in addresses {
        let text = a.as_str().unwrap_or_default();
        let valid = text.contains('/')
            && text
                .parse::<ipnet::IpNet>()
                .is_ok_and(|n| n.prefix_len() > 0 && n.trunc() == n);
        if !valid {
            return bad(format!(
                "Error reason: The parameter contains formatting that is not valid., field: IP_ADDRESS, parameter: {text}"
            ));
        }
    }
    if json.get("Description").is_none() {
        let question = serde_json::json!({
            "Name": json.get("Name"),
            "Scope": json.get("Scope"),
            "Id": json.get("Id"),
        });
        let asked = ask_json(
            &reads_from(upstream, state),
            r,
            "GetIPSet",
            &question.to_string(),
        );
        let held = match asked {
            Ok(Read::Got(held)) => held,
            // WAF refuses the update of a set it does not know, as the emulator will.
            Ok(Read::Missing) => return None,
            // Unread, the description might be erased: refused, never counted as accepted.
            Err(why) => return cannot_check("the IP set", why),
        };
        if held["IPSet"]["Description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
        {
            return bad(
                "strict: UpdateIPSet without Description would erase the set's description on AWS (the update replaces every field)".into(),
            );
        }
    }
    None
}

/// What the layer's own read, made before it checks a call, came to.
enum Read<T> {
    Got(T),
    /// The emulator knows no such resource; the call itself is refused the same way, on AWS too.
    Missing,
}

/// Where the layer's own reads go: the emulator, unless a test cut them.
fn reads_from(upstream: &str, state: &Mutex<State>) -> String {
    lock(state)
        .own_reads
        .clone()
        .unwrap_or_else(|| upstream.to_string())
}

/// A call the layer could not check because its own read failed: refused (and so kept among
/// the refusals), since passing it on unchecked would let a call AWS refuses through unseen.
fn cannot_check(what: &str, why: String) -> Option<Refused> {
    invalid(
        "StrictCannotCheck",
        format!(
            "strict: could not read {what} to check this call against ({why}); refused, not passed on unchecked"
        ),
    )
}

/// The emulator's answer to a question of the layer's own: its body, `Missing` for a
/// resource it does not know, or why there is neither.
fn own_read(upstream: &str, question: &Request) -> Result<Read<String>, String> {
    let reply = forward(upstream, question).ok_or_else(|| format!("no answer from {upstream}"))?;
    let text = String::from_utf8_lossy(&reply).into_owned();
    let (status, body) = text
        .split_once("\r\n\r\n")
        .ok_or("an answer without an HTTP head")?;
    if status.contains(" 200 ") {
        return Ok(Read::Got(body.to_string()));
    }
    if ["TargetGroupNotFound", "WAFNonexistentItemException"]
        .iter()
        .any(|code| body.contains(code))
    {
        return Ok(Read::Missing);
    }
    Err(format!(
        "{}: {}",
        status.lines().next().unwrap_or_default(),
        body.chars().take(300).collect::<String>()
    ))
}

/// Asks the emulator a JSON-protocol question of its own on behalf of `r` (same service,
/// region and credentials), e.g. `GetIPSet` before an `UpdateIPSet`.
fn ask_json(
    upstream: &str,
    r: &Request,
    operation: &str,
    body: &str,
) -> Result<Read<serde_json::Value>, String> {
    let mut service = String::new();
    let head: String = r
        .head
        .lines()
        .filter(|l| !l.is_empty())
        .filter_map(|l| match l.split_once(':') {
            Some((k, v)) if k.trim().eq_ignore_ascii_case("x-amz-target") => {
                service = v.trim().split('.').next().unwrap_or_default().to_string();
                None
            }
            Some((k, _)) if k.trim().eq_ignore_ascii_case("content-length") => None,
            _ => Some(format!("{l}\r\n")),
        })
        .collect();
    let head = format!(
        "{head}X-Amz-Target: {service}.{operation}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let question = Request {
        head,
        body: body.as_bytes().to_vec(),
        operation: String::new(),
    };
    match own_read(upstream, &question)? {
        Read::Got(text) => serde_json::from_str(&text)
            .map(Read::Got)
            .map_err(|e| format!("{operation} answered what is not JSON: {e}")),
        Read::Missing => Ok(Read::Missing),
    }
}

/// Asks the emulator a question of its own on behalf of `r` (same region and credentials).
fn ask(upstream: &str, r: &Request, body: &str) -> Result<Read<String>, String> {
    let head: String = r
        .head
        .lines()
        .filter(|l| {
            !l.is_empty()
                && !l.split_once(':').is_some_and(|(k, _)| {
                    let k = k.trim();
                    k.eq_ignore_ascii_case("content-length")
                        || k.eq_ignore_ascii_case("x-amz-target")
                        || k.eq_ignore_ascii_case("content-type")
                })
        })
        .map(|l| format!("{l}\r\n"))
        .collect();
    let head = format!(
        "{head}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let question = Request {
        head,
        body: body.as_bytes().to_vec(),
        operation: String::new(),
    };
    own_read(upstream, &question)
}

fn tag(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(xml[start..end].to_string())
}

/// The emulator's answer made into what AWS returns.
fn reshape(
    op: &str,
    p: &Params,
    r: &Request,
    reply: Vec<u8>,
    upstream: &str,
    state: &Mutex<State>,
) -> Vec<u8> {
    let Some(end) = reply.windows(4).position(|w| w == b"\r\n\r\n") else {
        return reply;
    };
    let (head, body) = (&reply[..end], &reply[end + 4..]);
    let head = String::from_utf8_lossy(head);
    if !head.contains(" 200 ") {
        return reply;
    }
    let body = String::from_utf8_lossy(body).into_owned();
    let new = match op {
        "DescribeTargetHealth" => p.get("TargetGroupArn").and_then(|arn| {
            let Ok(Read::Got((kind, checks))) = group(arn, r, upstream, state) else {
                return None;
            };
            let zones: HashMap<String, String> = lock(state)
                .ip_zones
                .iter()
                .filter(|((g, _), _)| g == arn)
                .map(|((_, ip), az)| (ip.clone(), az.clone()))
                .collect();
            Some(target_health_as_aws(&body, &kind, checks, &zones))
        }),
        "DescribeInstanceStatus" => {
            let events = lock(state).events.clone();
            Some(with_events(&body, &events))
        }
        "DescribeNatGateways" => {
            let page = lock(state).nat_page;
            page.and_then(|size| nat_gateways_page(&body, p.get("NextToken"), size))
        }
        "AssumeRole" => assumed(&body, state),
        "ListAccounts" => {
            let answer: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            if let Some(t) = answer["NextToken"].as_str() {
                lock(state).account_tokens.insert(t.to_string());
            }
            None
        }
        // Route53 returns names with `*` (and any character outside a–z, 0–9, `-`, `_`) as
        // an octal escape, and an SOA value as plain text; moto returns `*` raw and the SOA
        // value as a Python dict.
        _ if r.head.contains("/rrset") => Some(route53_as_aws(&body)),
        // moto repeats the lock token inside the ACL; AWS's WebACL has no such field.
        "GetWebACL" => serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|mut v| {
                v.get_mut("WebACL")?.as_object_mut()?.remove("LockToken")?;
                Some(v.to_string())
            }),
        _ => None,
    };
    let Some(new) = new.filter(|n| *n != body) else {
        return reply;
    };
    let head: String = head
        .lines()
        .filter(|l| {
            !l.split_once(':')
                .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        })
        .map(|l| format!("{l}\r\n"))
        .collect();
    let mut out = format!("{head}Content-Length: {}\r\n\r\n", new.len()).into_bytes();
    out.extend_from_slice(new.as_bytes());
    out
}

/// An `AssumeRole` answer remembered (its key → the account and session it acts as), and its
/// `Expiration` brought forward when sessions are shortened.
fn assumed(body: &str, state: &Mutex<State>) -> Option<String> {
    let key = tag(body, "AccessKeyId")?;
    let arn = tag(body, "Arn")?;
    let account = arn.split(':').nth(4)?.to_string();
    let mut s = lock(state);
    s.keys.insert(key.clone(), (account, arn));
    let length = s.session_length?;
    let until = chrono::Utc::now() + chrono::Duration::from_std(length).ok()?;
    let shown = until.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let until = chrono::DateTime::parse_from_rfc3339(&shown).ok()?;
    s.key_expiry.insert(key, until.into());
    let old = tag(body, "Expiration")?;
    Some(body.replacen(
        &format!("<Expiration>{old}</Expiration>"),
        &format!("<Expiration>{shown}</Expiration>"),
        1,
    ))
}

/// AWS describes instance and alb targets without a zone and ip targets with theirs, and a
/// group with health checks off reports every target `unavailable` with
/// `Target.HealthCheckDisabled`.
fn target_health_as_aws(
    body: &str,
    kind: &str,
    checks: bool,
    ip_zones: &HashMap<String, String>,
) -> String {
    let mut out = body.to_string();
    if kind == "ip" {
        for (ip, az) in ip_zones {
            let bare = format!("<Id>{ip}</Id>");
            let Some(at) = out.find(&bare) else { continue };
            let target_end = out[at..].find("</Target>").map(|e| at + e);
            if let Some(end) = target_end
                && !out[at..end].contains("<AvailabilityZone>")
            {
                out.insert_str(end, &format!("<AvailabilityZone>{az}</AvailabilityZone>"));
            }
        }
    }
    if kind == "instance" || kind == "alb" {
        while let (Some(s), Some(e)) = (
            out.find("<AvailabilityZone>"),
            out.find("</AvailabilityZone>"),
        ) {
            out.replace_range(s..e + "</AvailabilityZone>".len(), "");
        }
    }
    if !checks {
        let mut rebuilt = String::new();
        let mut rest = out.as_str();
        while let Some(s) = rest.find("<TargetHealth>") {
            let Some(e) = rest[s..].find("</TargetHealth>") else {
                break;
            };
            rebuilt.push_str(&rest[..s]);
            rebuilt.push_str(
                "<TargetHealth><State>unavailable</State><Reason>Target.HealthCheckDisabled</Reason><Description>Health checks are disabled</Description></TargetHealth>",
            );
            rest = &rest[s + e + "</TargetHealth>".len()..];
        }
        rebuilt.push_str(rest);
        out = rebuilt;
    }
    out
}

fn route53_as_aws(body: &str) -> String {
    let mut out = body.replace("<Name>*.", "<Name>\\052.");
    while let Some(start) = out.find("<Value>{'Value': '") {
        let from = start + "<Value>".len();
        let Some(end) = out[from..].find("'}</Value>") else {
            break;
        };
        let inner = out[from + "{'Value': '".len()..from + end].to_string();
        out.replace_range(from..from + end + "'}".len(), &inner);
    }
    out
}

/// One page of a `DescribeNatGateways` answer: `size` gateways from the offset `token` names
/// (`strict-N`), and a `NextToken` when more are left.
fn nat_gateways_page(body: &str, token: Option<&str>, size: usize) -> Option<String> {
    let doc = roxmltree::Document::parse(body).ok()?;
    let set = doc
        .descendants()
        .find(|n| n.has_tag_name("natGatewaySet"))?;
    let items: Vec<std::ops::Range<usize>> = set
        .children()
        .filter(|c| c.has_tag_name("item"))
        .map(|c| c.range())
        .collect();
    let (first, last) = (items.first()?.start, items.last()?.end);
    let from: usize = token
        .and_then(|t| t.strip_prefix("strict-"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let to = (from + size).min(items.len());
    let kept: String = items
        .get(from..to)
        .unwrap_or_default()
        .iter()
        .map(|r| &body[r.clone()])
        .collect();
    let mut out = format!("{}{kept}{}", &body[..first], &body[last..]);
    if to < items.len() {
        let close = "</DescribeNatGatewaysResponse>";
        let at = out.rfind(close)?;
        out.insert_str(at, &format!("<nextToken>strict-{to}</nextToken>"));
    }
    Some(out)
}

fn with_events(body: &str, events: &[InstanceEvent]) -> String {
    let mut out = body.to_string();
    for e in events {
        let anchor = format!("<instanceId>{}</instanceId>", e.instance_id);
        if let Some(at) = out.find(&anchor) {
            let set = format!(
                "<eventsSet><item><code>{}</code><description>{}</description><notBefore>{}</notBefore></item></eventsSet>",
                e.code, e.description, e.not_before
            );
            out.insert_str(at + anchor.len(), &set);
        }
    }
    out
}

/// An error in the protocol's own shape, which the SDK parses into the operation's error.
fn error_reply(proto: Protocol, status: &str, code: &str, message: &str) -> Vec<u8> {
    let message = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    match proto {
        Protocol::Json => {
            let mut body = serde_json::json!({ "__type": code, "Message": message });
            if let Some((_, reason)) = ORGANIZATIONS_REASONS
                .iter()
                .find(|(start, _)| code == "InvalidInputException" && message.starts_with(start))
            {
                body["Reason"] = serde_json::json!(reason);
            }
            reply(status, "application/x-amz-json-1.1", &body.to_string())
        }
        Protocol::Ec2 => reply(
            status,
            "text/xml",
            &format!(
                "<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>strict-aws</RequestID></Response>"
            ),
        ),
        _ => reply(
            status,
            "text/xml",
            &format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>strict-aws</RequestId></ErrorResponse>"
            ),
        ),
    }
}
