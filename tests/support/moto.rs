//! A real AWS emulator for integration tests: `moto_server` (PyPI `moto[server]`) on a free
//! loopback port, one process per `Moto` value, killed when the value is dropped.
//!
//! Every test that calls `Moto::start()` gets its own emulator, so tests can run in parallel and
//! never see each other's resources. Starting one takes under a second; each holds ~200 MB.
//!
//! Every emulator is reached through the strict AWS layer (`strict.rs`): `endpoint` and `port`
//! are the layer's, so every client, proxy and seed goes through it, and a request AWS would
//! refuse fails the test that made it (checked when the value is dropped).
//!
//! Nothing here touches the process environment: code under test gets the endpoint explicitly,
//! through `Moto::endpoint` or `Moto::sdk_config`.
#![allow(dead_code)]

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// How long the emulator may take to answer after it was spawned.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts at starting when the port picked was taken in between (a race with other processes).
const START_ATTEMPTS: u32 = 3;
/// The venv `.ci/run` creates, relative to `$HOME`.
const VENV_MOTO_SERVER: &str = ".cache/opsconsole/moto-venv/bin/moto_server";

const INSTALL_HINT: &str = "run `.ci/run`, or install it yourself: \
     python3 -m venv ~/.cache/opsconsole/moto-venv && \
     ~/.cache/opsconsole/moto-venv/bin/pip install 'moto[server]==5.2.5' \
     (or point MOTO_SERVER at a moto_server executable)";

/// A running `moto_server` on 127.0.0.1, behind the strict AWS layer.
pub struct Moto {
    /// `http://127.0.0.1:PORT` of the strict layer, for `endpoint_url`.
    pub endpoint: String,
    /// The strict layer's port.
    pub port: u16,
    /// The emulator's own port, behind the strict layer.
    pub emulator_port: u16,
    /// What AWS would refuse, refused; what moto cannot produce, arranged.
    pub strict: super::strict::StrictAws,
    child: Child,
    log: PathBuf,
    /// Holds the log file; removed on drop.
    _dir: tempfile::TempDir,
}

impl Moto {
    /// Starts a fresh emulator and waits until it answers. Panics (never skips) when
    /// `moto_server` is missing or does not come up, with the tail of its log.
    pub fn start() -> Moto {
        let exe = moto_server_path();
        let dir = tempfile::Builder::new()
            .prefix("opsconsole-moto-")
            .tempdir()
            .expect("creating a temporary directory for the moto_server log");
        for attempt in 1..=START_ATTEMPTS {
            let port = free_port();
            let log = dir.path().join(format!("moto_server-{attempt}.log"));
            // The request log goes to a file, never to an undrained pipe: a full pipe stalls it.
            let out = File::create(&log)
                .unwrap_or_else(|e| panic!("creating the log file {}: {e}", log.display()));
            let err = out
                .try_clone()
                .expect("duplicating the moto_server log file handle");
            let mut child = Command::new(&exe)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "could not run {}: {e}\nTo install the emulator, {INSTALL_HINT}",
                        exe.display()
                    )
                });
            match wait_until_ready(&mut child, port) {
                Ok(()) => {
                    let strict = super::strict::StrictAws::start(&format!("127.0.0.1:{port}"));
                    return Moto {
                        endpoint: strict.endpoint.clone(),
                        port: strict.port,
                        emulator_port: port,
                        strict,
                        child,
                        log,
                        _dir: dir,
                    };
                }
                Err(why) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let tail = log_tail(&log, 40);
                    if attempt < START_ATTEMPTS && tail.contains("Address already in use") {
                        continue;
                    }
                    panic!(
                        "moto_server ({}) did not start on 127.0.0.1:{port}: {why}\n\
                         --- last lines of its log ---\n{tail}",
                        exe.display()
                    );
                }
            }
        }
        unreachable!("the last start attempt either returns or panics")
    }

    /// SDK configuration pointing every client at this emulator: explicit endpoint, region and
    /// static credentials, so no profile, SSO or instance-metadata lookup happens, and timeouts
    /// so a wedged emulator fails a test instead of hanging it.
    pub async fn sdk_config(&self, region: &str) -> SdkConfig {
        refuse_proxies_for_loopback();
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(Region::new(region.to_string()))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(Duration::from_secs(30))
                    .operation_timeout(Duration::from_secs(90))
                    .build(),
            )
            .load()
            .await
    }

    /// As `sdk_config`, but signing with `credentials` (an assumed role's, see `assume_role`):
    /// every client made from it acts in the account those credentials belong to.
    pub async fn sdk_config_with(&self, region: &str, credentials: Credentials) -> SdkConfig {
        refuse_proxies_for_loopback();
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(Region::new(region.to_string()))
            .credentials_provider(credentials)
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(Duration::from_secs(30))
                    .operation_timeout(Duration::from_secs(90))
                    .build(),
            )
            .load()
            .await
    }

    /// The base credentials every test signs with unless it assumed a role (`testing` /
    /// `testing`): they act in moto's default account, `seed::ACCOUNT` (123456789012).
    pub fn base_credentials() -> Credentials {
        Credentials::new(BASE_ACCESS_KEY, "testing", None, None, "moto")
    }

    /// `sts:AssumeRole` into `role_arn` with the base credentials, through the strict layer, with
    /// the session name the console uses (`opsconsole`) and moto's default duration (an hour).
    /// moto accepts any role ARN, existing or not, and the credentials it returns act in the
    /// account the ARN names, in that account's own estate (empty until seeded): this is how a
    /// test reaches a second account. The call counts in the layer like any other
    /// (`StrictAws::assume_role_calls`); a role refused with `StrictAws::refuse_assume_role`
    /// panics here.
    pub async fn assume_role(&self, role_arn: &str) -> Assumed {
        let conf = self.sdk_config(super::seed::VIRGINIA).await;
        let answer = aws_sdk_sts::Client::new(&conf)
            .assume_role()
            .role_arn(role_arn)
            .role_session_name("opsconsole")
            .send()
            .await
            .unwrap_or_else(|e| panic!("AssumeRole {role_arn}: {e:?}"));
        let c = answer
            .credentials
            .expect("AssumeRole answered no Credentials");
        let expires = SystemTime::try_from(c.expiration).expect("an Expiration as a time");
        let account_id = answer
            .assumed_role_user
            .and_then(|u| u.arn.split(':').nth(4).map(str::to_string))
            .expect("AssumeRole answered no AssumedRoleUser ARN");
        Assumed {
            account_id,
            role_arn: role_arn.to_string(),
            credentials: Credentials::new(
                c.access_key_id,
                c.secret_access_key,
                Some(c.session_token),
                Some(expires),
                "assumed",
            ),
            expires,
        }
    }

    /// Credentials acting in account `account_id` (12 digits), assumed through the role
    /// `SEED_ROLE` there, so the console's own role (whatever a test configures it to assume)
    /// is counted apart from the harness's (`StrictAws::assume_role_calls`). Seed the account with
    /// `seed::seed_scenarios_in` or `seed::seed_lone_alb`.
    pub async fn account(&self, account_id: &str) -> Assumed {
        self.assume_role(&format!("arn:aws:iam::{account_id}:role/{SEED_ROLE}"))
            .await
    }

    /// SDK configuration acting in `account`'s estate (`sdk_config_with` its credentials).
    pub async fn sdk_config_in(&self, account: &Assumed, region: &str) -> SdkConfig {
        self.sdk_config_with(region, account.credentials.clone())
            .await
    }

    /// An AWS Organizations call (JSON protocol), made with the base credentials through the
    /// strict layer: `operation` is the API name (`ListAccounts`), `body` its JSON input. The
    /// answer's JSON, or the error's (HTTP status, `__type`, whole body). There is no
    /// Organizations SDK client among the dependencies; moto does not check signatures, so the
    /// request carries an `Authorization` header naming the base key and the service only.
    pub fn organizations(
        &self,
        operation: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, (u16, String, String)> {
        let body = body.to_string();
        let date = chrono::Utc::now().format("%Y%m%d");
        let headers = format!(
            "Authorization: AWS4-HMAC-SHA256 Credential={BASE_ACCESS_KEY}/{date}/us-east-1/organizations/aws4_request, SignedHeaders=host;x-amz-target, Signature=0\r\n\
             X-Amz-Target: AWSOrganizationsV20161128.{operation}\r\n\
             Content-Type: application/x-amz-json-1.1\r\n"
        );
        let (status, answer) = http_raw(self.port, "POST", "/", &headers, &body)
            .unwrap_or_else(|e| panic!("Organizations {operation}: {e}"));
        let json: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
        if status == 200 {
            return Ok(json);
        }
        let code = json["__type"]
            .as_str()
            .map(|t| t.rsplit('#').next().unwrap_or(t).to_string())
            .unwrap_or_default();
        Err((status, code, answer))
    }

    /// An AWS Organization in moto's default account (the management account, 123456789012,
    /// listed by `ListAccounts` as `master`), with `active` member accounts created and left
    /// ACTIVE, then `suspended` more created and closed: moto's `CloseAccount` marks an account
    /// `SUSPENDED` at once (`Status` and `State`; AWS passes through `PENDING_CLOSURE`). moto
    /// picks the ids (random 12 digits): the answer says which. `CreateAccount` also creates the
    /// role `OrganizationAccountAccessRole` in each new account, though moto's `AssumeRole` needs
    /// no role to exist. Panics if an organization exists already.
    pub fn seed_organization(&self, active: usize, suspended: usize) -> Organization {
        let ok = |op: &str, body: serde_json::Value| {
            self.organizations(op, &body)
                .unwrap_or_else(|e| panic!("Organizations {op}: {e:?}"))
        };
        ok(
            "CreateOrganization",
            serde_json::json!({"FeatureSet": "ALL"}),
        );
        let created = |n: usize, prefix: &str| -> Vec<OrgAccount> {
            (1..=n)
                .map(|i| {
                    let name = format!("{prefix}-{i:02}");
                    let status = ok(
                        "CreateAccount",
                        serde_json::json!({
                            "AccountName": name,
                            "Email": format!("{name}@example.com"),
                        }),
                    );
                    let id = status["CreateAccountStatus"]["AccountId"]
                        .as_str()
                        .expect("CreateAccount answered no AccountId")
                        .to_string();
                    OrgAccount { id, name }
                })
                .collect()
        };
        let active = created(active, "member");
        let suspended = created(suspended, "closed");
        for a in &suspended {
            ok("CloseAccount", serde_json::json!({"AccountId": a.id}));
        }
        Organization {
            management: super::seed::ACCOUNT.to_string(),
            active,
            suspended,
        }
    }

    /// `POST /moto-api/reset`: forget every resource in every region.
    pub fn reset(&self) {
        let (status, body) = http(self.port, "POST", "/moto-api/reset")
            .unwrap_or_else(|e| panic!("POST /moto-api/reset on {}: {e}", self.endpoint));
        assert_eq!(
            status, 200,
            "POST /moto-api/reset answered {status}: {body}"
        );
    }

    /// ECS tasks stay RUNNING (moto moves a task a step towards STOPPED at every describe).
    pub fn hold_ecs_tasks(&self) {
        let transition =
            r#"{"model_name":"ecs::task","transition":{"progression":"manual","times":1000000}}"#;
        let (status, body) = http_with(
            self.port,
            "POST",
            "/moto-api/state-manager/set-transition",
            transition,
        )
        .unwrap_or_else(|e| panic!("set-transition: {e}"));
        assert_eq!(status, 201, "set-transition answered {status}: {body}");
    }

    /// The emulator's request log so far (for a failing test's message).
    pub fn log_tail(&self, lines: usize) -> String {
        log_tail(&self.log, lines)
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A request AWS would have refused fails the test, even if the code under test
        // swallowed the error.
        let refused = self.strict.take_refusals();
        if !refused.is_empty() && !std::thread::panicking() {
            panic!("requests AWS would refuse (strict AWS layer): {refused:#?}");
        }
    }
}

/// `MOTO_SERVER`, else the venv `.ci/run` creates, else `moto_server` on `PATH`.
fn moto_server_path() -> PathBuf {
    if let Some(p) = std::env::var_os("MOTO_SERVER").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "MOTO_SERVER is set to {}, which is not a file",
            p.display()
        );
        return p;
    }
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        let p = Path::new(&home).join(VENV_MOTO_SERVER);
        if p.is_file() {
            return p;
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let p = dir.join("moto_server");
            if p.is_file() {
                return p;
            }
        }
    }
    panic!(
        "the AWS emulator `moto_server` was not found (not in $MOTO_SERVER, \
         ~/{VENV_MOTO_SERVER} or PATH). To install it, {INSTALL_HINT}"
    );
}

/// A port that was free a moment ago on 127.0.0.1 (the listener is dropped before returning).
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .expect("binding 127.0.0.1:0 to find a free port");
    listener
        .local_addr()
        .expect("reading the port of a listener bound to 127.0.0.1:0")
        .port()
}

fn wait_until_ready(child: &mut Child, port: u16) -> Result<(), String> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Some(status) = child
            .try_wait()
            .map_err(|e| format!("checking on the process: {e}"))?
        {
            return Err(format!("it exited with {status}"));
        }
        if let Ok((200, _)) = http(port, "GET", "/moto-api/") {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "no answer to GET /moto-api/ within {}s",
                START_TIMEOUT.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What `Moto::seed_organization` created.
#[derive(Debug, Clone)]
pub struct Organization {
    /// The management account: moto's default account, 123456789012, where the organization
    /// was created (its `ListAccounts` entry is named `master`, ACTIVE).
    pub management: String,
    /// Member accounts left ACTIVE, in creation order (`member-01`, `member-02`, …).
    pub active: Vec<OrgAccount>,
    /// Member accounts closed: `SUSPENDED` in `ListAccounts` (`closed-01`, …).
    pub suspended: Vec<OrgAccount>,
}

impl Organization {
    /// Every ACTIVE account `ListAccounts` lists: the management account, then the members.
    pub fn active_ids(&self) -> Vec<String> {
        std::iter::once(self.management.clone())
            .chain(self.active.iter().map(|a| a.id.clone()))
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct OrgAccount {
    pub id: String,
    pub name: String,
}

/// Credentials acting in another account of the emulator, from `Moto::assume_role`.
#[derive(Debug, Clone)]
pub struct Assumed {
    /// The account the credentials act in (from the answer's `AssumedRoleUser` ARN).
    pub account_id: String,
    pub role_arn: String,
    /// Access key, secret and session token, with their expiry.
    pub credentials: Credentials,
    /// As answered (`StrictAws::shorten_sessions` shortens it).
    pub expires: SystemTime,
}

impl Assumed {
    /// The access key id the layer maps to `account_id` (`StrictAws::account_of_key`).
    pub fn access_key_id(&self) -> &str {
        self.credentials.access_key_id()
    }
}

/// The base credentials' access key id: moto maps it to its default account.
pub const BASE_ACCESS_KEY: &str = "testing";
/// The role `Moto::account` assumes in an account to seed it.
pub const SEED_ROLE: &str = "opsconsole-test-seed";

/// A minimal HTTP/1.0 exchange with the emulator: (status, body).
fn http(port: u16, method: &str, path: &str) -> Result<(u16, String), String> {
    http_with(port, method, path, "")
}

fn http_with(port: u16, method: &str, path: &str, body: &str) -> Result<(u16, String), String> {
    http_raw(
        port,
        method,
        path,
        "Content-Type: application/json\r\n",
        body,
    )
}

/// An HTTP/1.0 exchange with `headers` (each line ending in CRLF) besides Host and length.
fn http_raw(
    port: u16,
    method: &str,
    path: &str,
    headers: &str,
    body: &str,
) -> Result<(u16, String), String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))
        .map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| format!("set_read_timeout: {e}"))?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| format!("send: {e}"))?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .map_err(|e| format!("read: {e}"))?;
    let text = String::from_utf8_lossy(&response);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP response: {:?}", text.lines().next()))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

fn log_tail(log: &Path, lines: usize) -> String {
    match std::fs::read(log) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("(could not read {}: {e})", log.display()),
    }
}

/// With `BehaviorVersion::latest()` the SDK's HTTP client honours `HTTP_PROXY`/`ALL_PROXY`; a
/// proxy that does not exempt loopback would carry the emulator's traffic off this machine.
fn refuse_proxies_for_loopback() {
    let set = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let proxy = ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .find_map(|k| set(k).map(|v| (*k, v)));
    let Some((var, value)) = proxy else { return };
    let exempt = set("NO_PROXY")
        .or_else(|| set("no_proxy"))
        .is_some_and(|rules| {
            rules
                .split(',')
                .map(str::trim)
                .any(|r| matches!(r, "*" | "127.0.0.1" | "127.0.0.0/8" | "127.0.0.1/32"))
        });
    assert!(
        exempt,
        "{var}={value} is set and NO_PROXY does not exempt 127.0.0.1: the AWS SDK would send the \
         emulator's traffic through that proxy. Unset {var} or add 127.0.0.1 to NO_PROXY."
    );
}
