//! Shared support for integration tests: a real AWS emulator (`moto`) per test and the S1–S5
//! estate seeded into it. A test binary uses it with `mod support;`.
#![allow(dead_code, unused_imports)]

pub mod faults;
pub mod moto;
pub mod proxy;
pub mod seed;
pub mod strict;
pub mod tmux;
pub mod wire;

pub use faults::{Fault, FaultPlan, FaultProxy};
pub use moto::Moto;
pub use proxy::RecordingProxy;
pub use seed::{Seeded, seed_scenarios};
pub use strict::{InstanceEvent, Refusal, StrictAws};

use opsconsole::action::{Journal, JournalEntry, Journaled, RuleRef, TargetRef, journal};
use opsconsole::model::{Registration, TargetState, WafScope};
use opsconsole::source::Session;
use opsconsole::source::aws::AwsOptions;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How the console connects to an emulator (or a proxy in front of it): both seeded regions,
/// static test credentials, nothing from the environment.
pub fn console_options(endpoint: &str, read_only: bool) -> AwsOptions {
    AwsOptions {
        log_groups: Default::default(),
        originals_file: Default::default(),
        endpoint_url: Some(endpoint.to_string()),
        regions: vec![seed::TOKYO.to_string(), seed::VIRGINIA.to_string()],
        waf_window_minutes: 15,
        metrics_every_secs: 60,
        static_credentials: Some(aws_credential_types::Credentials::new(
            "testing", "testing", None, None, "test",
        )),
        profile: None,
        read_only,
        one_shot: false,
        blocklists: vec![],
        shared_state: Default::default(),
        accounts: Default::default(),
    }
}

/// A snapshot of the last 15 minutes with a short log tail and no journal, as the emulator
/// suites take one.
pub fn snapshot_options() -> opsconsole::snapshot::Options {
    opsconsole::snapshot::Options {
        log_backlog: 10,
        journal: None,
        pending: None,
        endpoint: None,
        since: chrono::Duration::minutes(15),
        intervals: vec![],
    }
}

/// A snapshot taken on another machine: a state directory of its own, empty, and the team's
/// store at `endpoint`.
pub async fn snapshot_elsewhere(
    session: &Session,
    endpoint: &str,
) -> opsconsole::snapshot::Collected {
    let other = tempfile::tempdir().expect("the snapshot's state directory");
    opsconsole::snapshot::collect(
        session,
        &opsconsole::snapshot::Options {
            pending: Some(other.path().join("pending.json")),
            endpoint: Some(endpoint.to_string()),
            ..snapshot_options()
        },
    )
    .await
}

/// The seeded target named `name` (or with id `name`) in `group`, as the console's actions
/// refer to it.
pub fn target_ref(seeded: &Seeded, group: &str, name: &str) -> TargetRef {
    let tg = seeded.target_group(group);
    let t = tg
        .targets
        .iter()
        .find(|t| t.name.as_deref() == Some(name) || t.id == name)
        .unwrap_or_else(|| panic!("{name} not in {group}"));
    // As `DescribeTargetHealth` describes it: AWS gives a zone only for ip targets.
    let described_zone = (tg.target_type == "ip").then(|| t.az.clone());
    TargetRef {
        account: None,
        region: tg.region.clone(),
        load_balancer: tg.load_balancer.clone(),
        target_group: tg.name.clone(),
        target_group_arn: tg.arn.clone(),
        id: t.id.clone(),
        name: t.name.clone(),
        port: t.port,
        az: (t.az != "all").then(|| t.az.clone()),
        registration: Registration {
            port: Some(t.port),
            availability_zone: described_zone,
        },
    }
}

/// The seeded rule `rule` of web ACL `acl`, as the console's actions refer to it.
pub fn rule_ref(seeded: &Seeded, acl: &str, rule: &str) -> RuleRef {
    let a = seeded.web_acl(acl);
    RuleRef {
        account: None,
        region: a.region.clone(),
        scope: if a.scope == "CLOUDFRONT" {
            WafScope::Cloudfront
        } else {
            WafScope::Regional
        },
        acl_name: a.name.clone(),
        acl_id: a.id.clone(),
        rule: rule.to_string(),
    }
}

/// A target's state as the console's Targets source reads it now.
pub async fn target_state(session: &Session, group: &str, id: &str) -> Option<TargetState> {
    let view = session.sources.targets.fetch().await.expect("targets");
    view.load_balancers
        .iter()
        .flat_map(|l| &l.target_groups)
        .filter(|g| g.name == group)
        .flat_map(|g| &g.targets)
        .find(|t| t.id == id)
        .map(|t| t.state)
}

/// The session's executor writing the audit journal `dir/journal.jsonl`, as the console runs it.
pub fn journaled(session: &Session, dir: &Path) -> (Journaled, PathBuf) {
    let path = dir.join("journal.jsonl");
    let journal = Arc::new(Journal::open(&path).expect("journal"));
    let inner = session.executor.clone().expect("writable session");
    (
        Journaled::new(inner, journal, session.sources.identity.clone()),
        path,
    )
}

/// Every entry of the journal at `path`.
pub fn journal_entries(path: &Path) -> Vec<JournalEntry> {
    journal::read_since(path, chrono::DateTime::UNIX_EPOCH).expect("read journal")
}

/// The binary with nothing from the environment that could reach elsewhere: no HTTP proxy, no
/// profile, no instance metadata.
pub fn offline_binary() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("opsconsole").expect("binary");
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "AWS_PROFILE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

/// Every operation `session` sent (counted by the console's own interceptor) is in the IAM
/// policy `--iam-policy` prints: a watching operation in the watch policy, a change in the act
/// policy. Feature tests end with it, so a new call cannot slip past the printed policy.
pub fn assert_in_the_iam_policy(session: &Session) {
    use opsconsole::source::aws::permissions::need_of;
    let calls = session.stats.as_ref().expect("counted").report().calls;
    assert!(!calls.is_empty(), "nothing was counted");
    for (service, op, _) in calls {
        assert!(
            need_of(&service, &op).is_some(),
            "{service} {op} was sent but is not in the IAM policy (src/source/aws/permissions.rs)"
        );
    }
}
