//! Credentials never leak: the secret key and session token the console signs with, and a key
//! passphrase, appear in no output, diagnostics log (even at `trace`), snapshot, journal or
//! error message.

mod support;

use opsconsole::action::{Executor, Mutation};
use opsconsole::source::aws;
use std::path::Path;
use support::{Moto, console_options, seed_scenarios, target_ref};

const SECRET: &str = "wJalrXUtnFEMI-k7MDENG-SECRETMARKER";
const TOKEN: &str = "IQoJb3JpZ2luX2VjE-SESSIONTOKENMARKER";

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
        // Asking for the signer's trace by name must not bring the canonical request back.
        .env("OPSCONSOLE_LOG", "trace,aws_sigv4=trace")
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
