//! Credentials never leak: the secret key and session token the console signs with, and a key
//! passphrase, appear in no output, diagnostics log (even at `trace`), snapshot, journal or
//! error message. Nor do the credential providers' secrets, at `trace` with every module asked
//! for by name and the SDK told to log sensitive bodies (`LOG_SENSITIVE_BODIES=true`): an SSO
//! profile's bearer token, refresh token and client secret, and the credentials STS answers an
//! assumed role with.

use crate::support;

use opsconsole::action::{Executor, Mutation};
use opsconsole::source::aws;
use std::path::Path;
use support::{Moto, console_options, seed_scenarios, target_ref};

const SECRET: &str = "wJalrXUtnFEMI-k7MDENG-SECRETMARKER";
const TOKEN: &str = "IQoJb3JpZ2luX2VjE-SESSIONTOKENMARKER";

/// `trace`, and each module known to print requests, responses or signing input asked for by
/// its own name (a more specific directive would win over a plain cap).
const TRACE_EVERYTHING: &str = "trace,aws_sigv4=trace,aws_sigv4::http_request::sign=trace,\
    aws_smithy_runtime=trace,aws_smithy_runtime::client::orchestrator=trace,\
    aws_smithy_runtime::client::orchestrator::http=trace,aws_smithy_runtime_api=trace,\
    aws_config=trace,aws_config::sso=trace,hyper=trace,h2=trace";

fn assert_clean(what: &str, text: &str) {
    for (name, secret) in [("secret key", SECRET), ("session token", TOKEN)] {
        assert!(!text.contains(secret), "{name} leaked into {what}");
        // Not even a good part of it.
        assert!(
            !text.contains(&secret[..16]),
            "part of the {name} leaked into {what}"
        );
    }
}

fn run_snapshot(endpoint: &str, dir: &Path) -> (String, String, String) {
    let log = dir.join("diagnostics.log");
    let out = support::offline_binary()
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_SESSION_TOKEN", TOKEN)
        .env("OPSCONSOLE_STATE_DIR", dir)
        // Asking for the signer's trace by name, down to the module that prints the canonical
        // request, must not bring it back.
        .env("OPSCONSOLE_LOG", TRACE_EVERYTHING)
        .args(["--snapshot", "--format", "json", "--stats", "--log-file"])
        .arg(&log)
        .args(["--endpoint-url", endpoint, "--region", "us-east-1"])
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .expect("run");
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        log,
    )
}

#[test]
fn no_output_or_trace_log_carries_the_credentials() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(seed_scenarios(&moto));
    let dir = tempfile::tempdir().expect("tempdir");
    let (stdout, stderr, log) = run_snapshot(&moto.endpoint, dir.path());
    assert!(stdout.contains("schema_version"), "no snapshot: {stderr}");
    assert!(
        log.lines().count() > 10,
        "the trace log is nearly empty:\n{log}"
    );
    assert_clean("the snapshot", &stdout);
    assert_clean("stderr", &stderr);
    assert_clean("the trace log", &log);

    // Failing calls carry their error messages everywhere: still nothing.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let endpoint = format!("http://{}", dead.local_addr().expect("addr"));
    drop(dead);
    let (stdout, stderr, log) = run_snapshot(&endpoint, dir.path());
    assert!(stderr.contains("failed"), "{stderr}");
    assert_clean("a failed snapshot", &stdout);
    assert_clean("a failed snapshot's stderr", &stderr);
    assert_clean("a failed snapshot's log", &log);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_and_action_errors_carry_no_credentials() {
    let moto = Moto::start();
    let seeded = seed_scenarios(&moto).await;
    let mut options = console_options(&moto.endpoint, false);
    options.static_credentials = Some(aws_credential_types::Credentials::new(
        "AKIAIOSFODNN7EXAMPLE",
        SECRET,
        Some(TOKEN.to_string()),
        None,
        "test",
    ));
    let session = aws::connect(&options).await.expect("connect");
    let dir = tempfile::tempdir().expect("tempdir");
    let (exec, path) = support::journaled(&session, dir.path());
    let target = target_ref(&seeded, "ha-web-tg", "ha-web-right");
    exec.execute(&Mutation::Drain {
        target: target.clone(),
    })
    .await
    .expect("drain");
    let mut bogus = target;
    bogus.target_group_arn = bogus.target_group_arn.replace("ha-web-tg", "no-such-tg");
    let failed = exec
        .execute(&Mutation::Drain { target: bogus })
        .await
        .expect_err("unknown group");
    assert_clean("an action's error", &failed.message);
    assert_clean(
        "the journal",
        &std::fs::read_to_string(&path).expect("journal"),
    );
    assert_clean("the session's debug output", &format!("{options:?}"));
}

/// A SSO session's cached token, as `aws sso login` leaves it. Its distinctive parts must
/// never be logged.
const SSO_ACCESS: &str = "aoaAAAAAGc-SSOACCESSTOKENMARKER-0123456789";
const SSO_REFRESH: &str = "aorvJYubGpU6i91YnH7Mfo-SSOREFRESHMARKER-0123";
const SSO_CLIENT_SECRET: &str = "eyJraWQiOiJrZXktMTU2-SSOCLIENTSECRETMARKER";
/// The session the profile names, and the cache file `aws sso login` writes for it: the SHA-1
/// of the session name (`printf %s opsc-sso | sha1sum`).
const SSO_SESSION: &str = "opsc-sso";
const SSO_CACHE_FILE: &str = "4663f7aa7d0c801bfe5e9813ae86bb04517aad2a.json";
/// How moto's STS starts every session token it hands out.
const MOTO_SESSION_TOKEN_PREFIX: &str = "FQoGZXIvYXdzEBYaD";
const BASE_SECRET: &str = "wJalrXUtnFEMI-BASEPROFILE-SECRETMARKER";

/// A home directory with an AWS config: an SSO profile logged in (its token expiring within
/// minutes, so the SDK refreshes it first), and a profile that assumes a role with static keys.
fn aws_home(dir: &Path) {
    let aws = dir.join(".aws");
    std::fs::create_dir_all(aws.join("sso/cache")).expect("dirs");
    std::fs::write(
        aws.join("config"),
        format!(
            "[profile sso-ops]\nsso_session = {SSO_SESSION}\nsso_account_id = 123456789012\n\
             sso_role_name = ReadOnly\nregion = us-east-1\n\n\
             [sso-session {SSO_SESSION}]\nsso_start_url = https://opsc.awsapps.com/start\n\
             sso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n\
             [profile assumer]\nrole_arn = arn:aws:iam::123456789012:role/ops\n\
             source_profile = base\nregion = us-east-1\n\n\
             [profile base]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n\
             aws_secret_access_key = {BASE_SECRET}\n"
        ),
    )
    .expect("config");
    std::fs::write(aws.join("credentials"), "").expect("credentials");
    let expires = (chrono::Utc::now() + chrono::Duration::minutes(2))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let token = serde_json::json!({
        "accessToken": SSO_ACCESS,
        "expiresAt": expires,
        "refreshToken": SSO_REFRESH,
        "clientId": "opsc-client-id",
        "clientSecret": SSO_CLIENT_SECRET,
        "registrationExpiresAt": "2099-01-01T00:00:00Z",
        "region": "us-east-1",
        "startUrl": "https://opsc.awsapps.com/start"
    });
    std::fs::write(
        aws.join("sso/cache").join(SSO_CACHE_FILE),
        token.to_string(),
    )
    .expect("token");
}

/// A snapshot as `profile`, every credential provider's endpoint the emulator, at full trace
/// with sensitive bodies asked for: (stdout, stderr, the log).
fn run_profile(endpoint: &str, home: &Path, profile: &str) -> (String, String, String) {
    let log = home.join(format!("{profile}.log"));
    let mut cmd = support::offline_binary();
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd
        .env("HOME", home)
        .env("OPSCONSOLE_STATE_DIR", home.join("state"))
        .env("OPSCONSOLE_LOG", TRACE_EVERYTHING)
        .env("LOG_SENSITIVE_BODIES", "true")
        .env("AWS_ENDPOINT_URL_SSO", endpoint)
        .env("AWS_ENDPOINT_URL_SSO_OIDC", endpoint)
        .env("AWS_ENDPOINT_URL_STS", endpoint)
        .args([
            "--snapshot",
            "--format",
            "json",
            "--profile",
            profile,
            "--log-file",
        ])
        .arg(&log)
        .args(["--endpoint-url", endpoint, "--region", "us-east-1"])
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .expect("run");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        std::fs::read_to_string(&log).unwrap_or_default(),
    )
}

fn assert_absent(what: &str, text: &str, secrets: &[(&str, &str)]) {
    for (name, secret) in secrets {
        assert!(!text.contains(secret), "the {name} leaked into {what}");
    }
}

/// An SSO profile: the SDK refreshes the token (SSO OIDC `CreateToken`, the refresh token and
/// client secret in its body) and asks for role credentials (SSO `GetRoleCredentials`, the
/// access token in a header). The emulator serves neither, so the login fails; the trace of
/// both calls is in the log, the tokens are not.
#[test]
fn an_sso_profiles_tokens_never_reach_the_trace_log() {
    let moto = Moto::start();
    let home = tempfile::tempdir().expect("tempdir");
    aws_home(home.path());
    let (stdout, stderr, log) = run_profile(&moto.endpoint, home.path(), "sso-ops");
    assert!(
        stderr.contains("sso-ops"),
        "the login should fail: {stderr}"
    );
    assert!(
        log.contains("GetRoleCredentials") && log.contains("CreateToken"),
        "the trace does not show the SSO calls:\n{}",
        tail(&log)
    );
    assert!(
        log.lines().filter(|l| l.contains(" TRACE ")).count() > 10,
        "the log holds no trace:\n{}",
        tail(&log)
    );
    let secrets = [
        ("SSO access token", SSO_ACCESS),
        ("SSO refresh token", SSO_REFRESH),
        ("SSO client secret", SSO_CLIENT_SECRET),
    ];
    assert_absent("the trace log", &log, &secrets);
    assert_absent("stderr", &stderr, &secrets);
    assert_absent("stdout", &stdout, &secrets);
}

/// A profile that assumes a role: STS answers `AssumeRole` with a secret key and session token
/// (moto's start `FQoGZXIvYXdzEBYaD`), which then sign every call. None of them is logged.
#[test]
fn assumed_role_credentials_never_reach_the_trace_log() {
    let moto = Moto::start();
    let home = tempfile::tempdir().expect("tempdir");
    aws_home(home.path());
    let (stdout, stderr, log) = run_profile(&moto.endpoint, home.path(), "assumer");
    assert!(stdout.contains("schema_version"), "no snapshot: {stderr}");
    assert!(
        log.contains("AssumeRole"),
        "the trace does not show the STS call:\n{}",
        tail(&log)
    );
    assert!(
        log.lines().filter(|l| l.contains(" TRACE ")).count() > 10,
        "the log holds no trace:\n{}",
        tail(&log)
    );
    let secrets = [
        ("assumed session token", MOTO_SESSION_TOKEN_PREFIX),
        ("assumed secret key", "<SecretAccessKey>"),
        ("base profile's secret key", BASE_SECRET),
    ];
    assert_absent("the trace log", &log, &secrets);
    assert_absent("stderr", &stderr, &secrets);
    assert_absent("the snapshot", &stdout, &secrets);
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
