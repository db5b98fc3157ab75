//! Credentials as the AWS CLI resolves them, through the real binary against the emulator:
//! `--profile` wins over keys in the environment (and says so), and a credential process that
//! takes a while (an MFA prompt, an SSO refresh) is waited for and said, not reported as
//! "no credentials".

use crate::support;

use std::path::Path;
use support::Moto;
use support::proxy::RecordingProxy;

const PROFILE_KEY: &str = "AKIAPROFILEKEY000001";
const ENV_KEY: &str = "AKIAENVIRONMENTKEY01";

/// A home with `config` as its AWS config file.
fn aws_home(config: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("home");
    std::fs::create_dir_all(home.path().join(".aws")).expect(".aws");
    std::fs::write(home.path().join(".aws/config"), config).expect("config");
    home
}

/// A snapshot through `endpoint` with `home`'s AWS files, the environment's keys set or not.
fn snapshot(home: &Path, endpoint: &str, profile: &str, env_keys: bool) -> (bool, String, String) {
    let mut cmd = support::offline_binary();
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    ] {
        cmd.env_remove(var);
    }
    if env_keys {
        cmd.env("AWS_ACCESS_KEY_ID", ENV_KEY)
            .env("AWS_SECRET_ACCESS_KEY", "environment-secret");
    }
    let out = cmd
        .env("HOME", home)
        .env("AWS_CONFIG_FILE", home.join(".aws/config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join(".aws/credentials"))
        .env("OPSCONSOLE_STATE_DIR", home.join("state"))
        .args(["--snapshot", "--format", "json", "--profile", profile])
        .args(["--endpoint-url", endpoint, "--region", "us-east-1"])
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .expect("run");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_profile_asked_for_wins_over_keys_in_the_environment() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(moto.endpoint.trim_start_matches("http://"));
    let home = aws_home(&format!(
        "[profile prod]\nregion = us-east-1\naws_access_key_id = {PROFILE_KEY}\naws_secret_access_key = profile-secret\n"
    ));
    let (ok, _, stderr) = snapshot(home.path(), &proxy.endpoint, "prod", true);
    assert!(ok, "{stderr}");
    let sent = proxy.sent();
    assert!(
        sent.contains(&format!("Credential={PROFILE_KEY}/")),
        "not signed with the profile's keys"
    );
    assert!(
        !sent.contains(ENV_KEY),
        "signed with the environment's keys"
    );
    assert!(
        stderr.contains("using AWS profile `prod` as asked; the credentials in the environment"),
        "{stderr}"
    );
}

#[test]
fn a_slow_credential_process_is_waited_for_and_said() {
    let moto = Moto::start();
    let home = aws_home("");
    // Answers after 6 s, as a process asking for a second factor does.
    let script = home.path().join("slow-credentials.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nsleep 6\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIASLOWPROCESS00001\", \"SecretAccessKey\": \"slow-secret\"}'\n",
    )
    .expect("script");
    std::fs::write(
        home.path().join(".aws/config"),
        format!(
            "[profile mfa]\nregion = us-east-1\ncredential_process = sh {}\n",
            script.display()
        ),
    )
    .expect("config");
    let started = std::time::Instant::now();
    let (ok, stdout, stderr) = snapshot(home.path(), &moto.endpoint, "mfa", false);
    assert!(ok, "{stderr}");
    assert!(started.elapsed() >= std::time::Duration::from_secs(6));
    assert!(
        stderr.contains(
            "waiting for the credentials of AWS profile `mfa` (its credential_process; up to 60 s)"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("no AWS credentials found"), "{stderr}");
    serde_json::from_str::<serde_json::Value>(&stdout).expect("a JSON snapshot");
}
