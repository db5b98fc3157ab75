//! Several accounts against the emulator, each reached through an assumed role (moto keeps an
//! estate per account): a snapshot holds every account's rows under its id and a refused role
//! fails alone; a drain in the console acts in its row's account only and the journal says
//! which; an organization's listing is followed page by page; assumed sessions are renewed
//! before they expire.

use crate::support::{self, Moto, seed};
use opsconsole::config::AccountConfig;
use opsconsole::source::aws::{self, accounts::AccountsWanted};
use std::time::Duration;

const ALPHA: &str = "222222222222";
const BETA: &str = "333333333333";
const LOCKED: &str = "444444444444";

fn role(account: &str) -> String {
    format!("arn:aws:iam::{account}:role/OpsConsole")
}

/// `[[account]]` entries of the config file for (name, account id).
fn accounts_toml(accounts: &[(&str, &str)]) -> String {
    accounts
        .iter()
        .map(|(name, id)| {
            format!(
                "[[account]]\nname = \"{name}\"\nrole_arn = \"{}\"\nexternal_id = \"ops-2026\"\n\n",
                role(id)
            )
        })
        .collect()
}

/// A config file for the emulator behind `moto`, with `rest` after the regions.
fn config(moto: &Moto, dir: &std::path::Path, rest: &str) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "regions = [\"{}\"]\nendpoint_url = \"{}\"\n\n{rest}",
            seed::TOKYO,
            moto.endpoint
        ),
    )
    .expect("config");
    path
}

/// Runs `--snapshot --format FORMAT` with the base test keys: (exit code, stdout, stderr).
fn snapshot(
    config: &std::path::Path,
    format: &str,
    extra: &[&str],
) -> (Option<i32>, String, String) {
    let state = tempfile::tempdir().expect("state");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_opsconsole"))
        .args(["--snapshot", "--format", format, "--config"])
        .arg(config)
        .args(extra)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env("OPSCONSOLE_STATE_DIR", state.path())
        .env("OPSCONSOLE_CONFIG_DIR", state.path().join("config"))
        .output()
        .expect("run the snapshot");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// (account id, load balancer names) of each account of a JSON snapshot, in its order.
fn load_balancers_by_account(json: &serde_json::Value) -> Vec<(String, Vec<String>)> {
    json["accounts"]
        .as_array()
        .map(|accounts| {
            accounts
                .iter()
                .map(|a| {
                    let names = a["targets"]["data"]["load_balancers"]
                        .as_array()
                        .map(|lbs| {
                            lbs.iter()
                                .map(|lb| {
                                    // Each row names its account too.
                                    assert_eq!(lb["account"]["id"], a["account"], "{lb}");
                                    lb["name"].as_str().unwrap_or_default().to_string()
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    (a["account"].as_str().unwrap_or_default().to_string(), names)
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_shows_each_account_and_a_locked_one_fails_alone() {
    let moto = Moto::start();
    let alpha = moto.account(ALPHA).await;
    let beta = moto.account(BETA).await;
    seed::seed_lone_alb(&moto, &alpha.credentials, "alpha", 2).await;
    seed::seed_lone_alb(&moto, &beta.credentials, "beta", 1).await;
    moto.strict.refuse_assume_role(&role(LOCKED));
    let dir = tempfile::tempdir().expect("dir");
    let config = config(
        &moto,
        dir.path(),
        &accounts_toml(&[("alpha", ALPHA), ("beta", BETA), ("locked", LOCKED)]),
    );

    let (code, out, stderr) = snapshot(&config, "json", &[]);
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(
        code,
        Some(3),
        "the locked account makes it partial: {stderr}"
    );
    assert!(
        stderr.contains("locked (444444444444) not read: cannot assume arn:aws:iam::444444444444:role/OpsConsole"),
        "stderr names the account and why: {stderr}"
    );
    assert!(
        !stderr.contains("alpha (") && !stderr.contains("beta ("),
        "only the locked account failed: {stderr}"
    );
    assert_eq!(
        load_balancers_by_account(&json),
        [
            (ALPHA.to_string(), vec!["alpha".to_string()]),
            (BETA.to_string(), vec!["beta".to_string()]),
            (LOCKED.to_string(), vec![]),
        ]
    );
    let names: Vec<&str> = json["accounts"]
        .as_array()
        .map(|a| a.iter().filter_map(|a| a["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["alpha", "beta", "locked"]);
    assert!(json["accounts"][0]["error"].is_null());
    assert!(
        json["accounts"][2]["error"]
            .as_str()
            .is_some_and(|e| e.contains("AccessDenied")),
        "{}",
        json["accounts"][2]
    );
    // The rows are under their accounts only, not a second time at the top.
    assert!(json["targets"]["data"].is_null());
    assert_eq!(json["scope"]["accounts"].as_array().map(Vec::len), Some(3));
    // Each account's instances are its own.
    let instances = |i: usize| {
        json["accounts"][i]["instances"]["data"]["instances"]
            .as_array()
            .map(Vec::len)
    };
    assert_eq!((instances(0), instances(1)), (Some(2), Some(1)));
    // Every role was assumed with the console's session name (the strict layer checks it is
    // one STS accepts), and only through the base keys.
    for id in [ALPHA, BETA, LOCKED] {
        assert!(
            moto.strict.assume_role_calls(&role(id)) >= 1,
            "{id} was never assumed"
        );
    }
    // Reads went to each account: the alpha ALB's target health was asked in alpha only.
    assert!(moto.strict.calls_in("DescribeTargetHealth", ALPHA) >= 1);
    assert!(moto.strict.calls_in("DescribeTargetHealth", BETA) >= 1);
    assert_eq!(moto.strict.calls_in("DescribeTargetHealth", LOCKED), 0);

    // Markdown groups each panel by account, and says which one was not read.
    let (_, md, _) = snapshot(&config, "md", &[]);
    let targets = md
        .split("\n## Targets")
        .nth(1)
        .and_then(|t| t.split("\n## ").next())
        .unwrap_or_default();
    let alpha_at = targets.find("### alpha (222222222222)");
    let beta_at = targets.find("### beta (333333333333)");
    assert!(alpha_at.is_some() && beta_at.is_some(), "{targets}");
    assert!(targets.contains("**Not read**: cannot assume"), "{targets}");
    let alpha_part = &targets[alpha_at.unwrap_or(0)..beta_at.unwrap_or(0)];
    assert!(
        alpha_part.contains("alpha-tg") && !alpha_part.contains("beta-tg"),
        "{alpha_part}"
    );

    // --account keeps only the named ones: no locked account, nothing partial.
    let (code, out, stderr) = snapshot(&config, "json", &["--account", "beta"]);
    assert_eq!(code, Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(
        load_balancers_by_account(&json),
        [(BETA.to_string(), vec!["beta".to_string()])]
    );
    // The locked account alone: every panel fails, and its section still says why.
    let (code, out, stderr) = snapshot(&config, "json", &["--account", "locked"]);
    assert_eq!(code, Some(3), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert!(
        json["accounts"][0]["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("cannot assume") && e.contains("AccessDenied")),
        "{}",
        json["accounts"][0]
    );
    let (code, _, stderr) = snapshot(&config, "json", &["--account", "gamma"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--account gamma: no such account"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_in_the_console_acts_in_its_rows_account_only() {
    let moto = Moto::start();
    let alpha = moto.account(ALPHA).await;
    let beta = moto.account(BETA).await;
    seed::seed_lone_alb(&moto, &alpha.credentials, "alpha", 2).await;
    let beta_alb = seed::seed_lone_alb(&moto, &beta.credentials, "beta", 2).await;
    let dir = tempfile::tempdir().expect("dir");
    let config = config(
        &moto,
        dir.path(),
        &accounts_toml(&[("alpha", ALPHA), ("beta", BETA)]),
    );
    let env = "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true HTTP_PROXY= HTTPS_PROXY=";
    let t = support::tmux::Tmux::start_with(
        "accounts-drain",
        &format!("--config {}", config.display()),
        env,
    );
    // The Targets panel's own rows (the instances panel names the same instances earlier).
    t.wait_until(
        |s| s.contains("alpha ALB") && s.contains("beta ALB") && s.contains("beta-web-01"),
        "both accounts' targets",
    );
    let target = &beta_alb.instances[0];
    // A filter on the id selects the target's row (its name shows whole; under an account its
    // id is cut to fit), then d and y.
    t.keys(&["1", "/"]);
    t.keys(&["-l", target]);
    t.keys(&["Enter"]);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !crate::terminal::reversed_at(&t.screen_with_colours(), "beta-web-01") {
        assert!(
            std::time::Instant::now() < deadline,
            "{target} is not the selected row:\n{}",
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    t.keys(&["d"]);
    t.wait_for("beta (333333333333)");
    let dialog = t.wait_until(
        |s| s.contains("In account beta (333333333333)"),
        "the confirmation names the account",
    );
    assert!(dialog.contains("beta-web-01"), "{dialog}");
    t.keys(&["y"]);
    t.wait_until(
        |s| s.contains("draining") || s.contains("Drain"),
        "the drain said",
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while moto.strict.calls_in("DeregisterTargets", BETA) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "no DeregisterTargets in beta:\n{}",
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(moto.strict.calls_in("DeregisterTargets", BETA), 1);
    assert_eq!(moto.strict.calls_in("DeregisterTargets", ALPHA), 0);
    assert_eq!(
        moto.strict.calls_in("DeregisterTargets", seed::ACCOUNT),
        0,
        "nothing is changed in the account the console signs in with"
    );
    // The target left beta's group, as beta's own keys see it.
    let elb =
        aws_sdk_elasticloadbalancingv2::Client::new(&moto.sdk_config_in(&beta, seed::TOKYO).await);
    let health = elb
        .describe_target_health()
        .target_group_arn(&beta_alb.target_group_arn)
        .send()
        .await
        .expect("DescribeTargetHealth");
    let state = health
        .target_health_descriptions()
        .iter()
        .find(|d| d.target().and_then(|t| t.id()) == Some(target.as_str()))
        .and_then(|d| d.target_health())
        .and_then(|h| h.state())
        .map(|s| s.as_str().to_string());
    assert_ne!(state.as_deref(), Some("healthy"), "{health:?}");
    t.keys(&["q"]);
    // The journal records the account acted in, by id, and the change names it.
    let journal = t.dir.path().join("state").join("journal.jsonl");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let done = loop {
        let text = std::fs::read_to_string(&journal).unwrap_or_default();
        if let Some(line) = text
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|e| e["outcome"] == "done" && e["action"] == "drain")
        {
            break line;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no done drain in {text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(done["account"], BETA, "{done}");
    assert_eq!(
        done["mutation"]["target"]["account"]["name"], "beta",
        "{done}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organizations_accounts_are_listed_page_by_page_and_each_watched() {
    let moto = Moto::start();
    let org = moto.seed_organization(2, 1);
    let member = org.active[0].id.clone();
    let assumed = moto.account(&member).await;
    seed::seed_lone_alb(&moto, &assumed.credentials, "member", 1).await;
    // One account a page: the console must follow every token.
    moto.strict.page_accounts(1);
    let dir = tempfile::tempdir().expect("dir");
    let config = config(
        &moto,
        dir.path(),
        "[organization]\nrole_name = \"OrganizationAccountAccessRole\"\n",
    );
    let (code, out, stderr) = snapshot(&config, "json", &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let mut watched: Vec<String> = json["accounts"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|a| a["account"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    watched.sort();
    let mut active = org.active_ids();
    active.sort();
    assert_eq!(watched, active, "every ACTIVE account, and only those");
    for suspended in &org.suspended {
        assert!(
            !watched.contains(&suspended.id),
            "{} is suspended",
            suspended.id
        );
    }
    assert!(
        moto.strict.unfollowed_account_pages().is_empty(),
        "the listing stopped early"
    );
    let member_lbs: Vec<(String, Vec<String>)> = load_balancers_by_account(&json)
        .into_iter()
        .filter(|(id, _)| *id == member)
        .collect();
    assert_eq!(member_lbs, [(member.clone(), vec!["member".to_string()])]);
    assert!(
        moto.strict.assume_role_calls(&format!(
            "arn:aws:iam::{member}:role/OrganizationAccountAccessRole"
        )) >= 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assumed_sessions_are_renewed_before_they_expire() {
    let moto = Moto::start();
    let alpha = moto.account(ALPHA).await;
    seed::seed_lone_alb(&moto, &alpha.credentials, "alpha", 1).await;
    // From now on the emulator's sessions last 30 s, and a key used after that is refused.
    moto.strict.shorten_sessions(Duration::from_secs(30));
    let options = aws::AwsOptions {
        accounts: AccountsWanted {
            accounts: vec![AccountConfig {
                name: "alpha".into(),
                profile: None,
                role_arn: Some(role(ALPHA)),
                external_id: None,
                regions: vec![],
            }],
            ..Default::default()
        },
        regions: vec![seed::TOKYO.to_string()],
        ..support::console_options(&moto.endpoint, true)
    };
    let session = aws::connect(&options).await.expect("connect");
    let first = session.sources.targets.fetch().await.expect("first read");
    assert_eq!(first.load_balancers.len(), 1);
    // Past the first session's end: the read is signed with a renewed one.
    tokio::time::sleep(Duration::from_secs(35)).await;
    let later = session.sources.targets.fetch().await;
    assert!(
        later.as_ref().is_ok_and(|v| v.unreadable.is_empty()),
        "{later:?}"
    );
    assert!(
        moto.strict.expired_calls().is_empty(),
        "{:?}",
        moto.strict.expired_calls()
    );
    assert!(
        moto.strict.assume_role_calls(&role(ALPHA)) >= 2,
        "the role was assumed again"
    );
}

/// With a team's store, a change made in a watched account is journaled where the team's
/// snapshots read it (under the account the consoles sign in with), saying the account acted in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_teams_journal_has_a_change_made_in_a_watched_account() {
    use opsconsole::action::{Executor, Journal, Journaled, Mutation, TargetRef};
    use opsconsole::config::settings::StateSettings;
    use std::sync::Arc;

    let moto = Moto::start();
    let beta = moto.account(BETA).await;
    let alb = seed::seed_lone_alb(&moto, &beta.credentials, "beta", 2).await;
    let base = moto.sdk_config(seed::TOKYO).await;
    seed::team_bucket(&base, "team-ops").await;
    let options = |read_only: bool| aws::AwsOptions {
        accounts: AccountsWanted {
            accounts: vec![AccountConfig {
                name: "beta".into(),
                profile: None,
                role_arn: Some(role(BETA)),
                external_id: None,
                regions: vec![],
            }],
            ..Default::default()
        },
        regions: vec![seed::TOKYO.to_string()],
        shared_state: StateSettings {
            shared: Some("s3://team-ops/opsconsole".into()),
            region: None,
        },
        ..support::console_options(&moto.endpoint, read_only)
    };
    let session = aws::connect(&options(false)).await.expect("connect");
    let dir = tempfile::tempdir().expect("state directory");
    let journaled = Journaled::new(
        session.executor.clone().expect("writable"),
        Arc::new(Journal::open(&dir.path().join("journal.jsonl")).expect("journal")),
        session.sources.identity.clone(),
    )
    .sharing(session.shared.clone().expect("the team's store"));
    let view = session.sources.targets.fetch().await.expect("targets");
    let lb = &view.load_balancers[0];
    let tg = &lb.target_groups[0];
    let t = tg
        .targets
        .iter()
        .find(|t| t.id == alb.instances[0])
        .expect("the target");
    journaled
        .execute(&Mutation::Drain {
            target: TargetRef::of(lb, tg, t),
        })
        .await
        .expect("drained");
    assert_eq!(moto.strict.calls_in("DeregisterTargets", BETA), 1);

    // A snapshot elsewhere (no journal of its own) lists it from the team's store.
    let watcher = aws::connect(&options(true)).await.expect("connect");
    let collected = support::snapshot_elsewhere(&watcher, &moto.endpoint).await;
    let drains: Vec<(&str, Option<&str>)> = collected
        .actions
        .iter()
        .filter(|e| e.action == "drain" && e.outcome == "done")
        .map(|e| (e.resource.as_str(), e.account.as_deref()))
        .collect();
    assert_eq!(
        drains.len(),
        1,
        "{:?} {:?}",
        collected.actions,
        collected.journal_error
    );
    assert_eq!(drains[0].1, Some(BETA));
}
