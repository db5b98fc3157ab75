//! Faults between the console and AWS: a proxy in front of the emulator (moto) throttles in each
//! protocol's own form, answers 5xx, adds latency, resets connections, loses replies and cuts
//! bodies short. Every panel still converges to the truth and recovers when the faults stop; a
//! snapshot completes or names the panel that failed; a mutation whose reply was lost is
//! reconciled by reading the state again, never applied twice, never misreported, always
//! journaled.

use crate::support;

use opsconsole::action::{Executor, Mutation, RuleRef};
use opsconsole::model::{Health, RuleAction, RuleKind, TargetState};
use opsconsole::runtime::fetch_once;
use opsconsole::source::Session;
use opsconsole::source::aws;
use support::{
    Fault, FaultPlan, FaultProxy, Moto, console_options, journaled, rule_ref, seed_scenarios,
    target_ref, target_state,
};

/// The share of calls that fail in the convergence tests.
const RATE: f64 = 0.3;
/// Fetches a panel may need before it shows the truth (the console keeps polling; a test stops).
const ATTEMPTS: usize = 12;

/// The journal's outcomes, in order.
fn outcomes(path: &std::path::Path) -> Vec<String> {
    support::journal_entries(path)
        .into_iter()
        .map(|e| e.outcome)
        .collect()
}

fn upstream(moto: &Moto) -> String {
    moto.endpoint.trim_start_matches("http://").to_string()
}

async fn session_via(endpoint: &str, read_only: bool) -> Session {
    aws::connect(&console_options(endpoint, read_only))
        .await
        .expect("connect")
}

/// The facts a panel shows, without what moves on its own (ages, metric values).
#[derive(Debug, PartialEq)]
struct Facts {
    targets: Vec<(String, String, TargetState)>,
    rules: Vec<(String, String, String)>,
    records: Vec<String>,
    instances: Vec<(String, String)>,
}

/// The places a view could not read this time (regions, WAF scopes), with their errors.
trait Partial {
    fn unread(&self) -> Vec<String>;
}

impl Partial for opsconsole::model::TargetsView {
    fn unread(&self) -> Vec<String> {
        self.unreadable
            .iter()
            .map(|u| format!("{}: {}", u.place, u.error))
            .collect()
    }
}

impl Partial for opsconsole::model::WafView {
    fn unread(&self) -> Vec<String> {
        self.unreadable
            .iter()
            .map(|u| format!("{}: {}", u.place, u.error))
            .collect()
    }
}

impl Partial for opsconsole::model::DnsView {
    fn unread(&self) -> Vec<String> {
        Vec::new()
    }
}

impl Partial for opsconsole::model::InstancesView {
    fn unread(&self) -> Vec<String> {
        self.unreadable
            .iter()
            .map(|u| format!("{}: {}", u.place, u.error))
            .collect()
    }
}

async fn facts(session: &Session, proxy: Option<&FaultProxy>) -> Facts {
    let s = &session.sources;
    let mut failures = Vec::new();
    macro_rules! converge {
        ($source:expr) => {{
            let mut got = None;
            for _ in 0..ATTEMPTS {
                match fetch_once($source.as_ref()).await {
                    // A place not read this time is shown with its error beside the others:
                    // the panel has not converged yet.
                    Ok(v) if !Partial::unread(&v).is_empty() => {
                        failures.push(Partial::unread(&v).join("; "));
                    }
                    Ok(v) => {
                        got = Some(v);
                        break;
                    }
                    Err(e) => {
                        assert!(!e.trim().is_empty(), "an error without a message");
                        failures.push(e);
                    }
                }
            }
            got.unwrap_or_else(|| panic!("never converged; errors: {failures:#?}"))
        }};
    }
    let targets = converge!(s.targets);
    let waf = converge!(s.waf);
    let dns = converge!(s.dns);
    let instances = converge!(s.instances);
    if let Some(p) = proxy {
        eprintln!(
            "{} calls, {} faults injected {:?}; {} fetches failed on the way, e.g. {:?}",
            p.calls(),
            p.total_injected(),
            p.injected(),
            failures.len(),
            failures.first()
        );
    }
    let mut f = Facts {
        targets: targets
            .load_balancers
            .iter()
            .flat_map(|l| &l.target_groups)
            .flat_map(|g| {
                g.targets
                    .iter()
                    .map(|t| (g.name.clone(), t.id.clone(), t.state))
            })
            .collect(),
        rules: waf
            .acls
            .iter()
            .flat_map(|a| {
                a.rules
                    .iter()
                    .map(|r| (a.name.clone(), r.name.clone(), format!("{:?}", r.kind)))
            })
            .collect(),
        records: dns
            .zones
            .iter()
            .flat_map(|z| z.record_sets.iter().map(|r| format!("{r:?}")))
            .collect(),
        instances: instances
            .instances
            .iter()
            .map(|i| (i.id.clone(), i.state.clone()))
            .collect(),
    };
    f.targets.sort();
    f.rules.sort();
    f.records.sort();
    f.instances.sort();
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_panel_converges_under_30_percent_faults_and_recovers_when_they_stop() {
    let moto = Moto::start();
    seed_scenarios(&moto).await;
    let truth = facts(&session_via(&moto.endpoint, true).await, None).await;
    assert!(!truth.targets.is_empty() && !truth.rules.is_empty());

    let proxy = FaultProxy::start(&upstream(&moto), FaultPlan::mixed(RATE), 7);
    let session = session_via(&proxy.endpoint, true).await;
    assert_eq!(facts(&session, Some(&proxy)).await, truth);
    let injected = proxy.injected();
    assert!(
        proxy.total_injected() * 10 >= proxy.calls(),
        "fewer faults than planned: {injected:?} in {} calls",
        proxy.calls()
    );
    for kind in ["throttle", "5xx", "reset", "lost reply", "truncated"] {
        assert!(
            injected.contains_key(kind),
            "no {kind} injected: {injected:?}"
        );
    }

    // The faults stop: the same session answers at once, no restart.
    proxy.set_plan(FaultPlan::none());
    let s = &session.sources;
    fetch_once(s.targets.as_ref()).await.expect("targets");
    fetch_once(s.waf.as_ref()).await.expect("waf");
    fetch_once(s.dns.as_ref()).await.expect("dns");
    fetch_once(s.instances.as_ref()).await.expect("instances");
}

/// A check whose status call fails is not "unknown": the refresh fails, so the panel keeps the
/// verdict it had with its age and the error, and the next refresh shows the truth.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_health_check_status_that_cannot_be_read_fails_the_refresh_not_the_verdict() {
    let moto = Moto::start();
    seed_scenarios(&moto).await;
    // Route53 is REST: the operation is the request line, `GET …/healthcheck/{id}/status`.
    let proxy = FaultProxy::start(
        &upstream(&moto),
        FaultPlan::always(Fault::ServerError, "/status"),
        9,
    );
    let session = session_via(&proxy.endpoint, true).await;
    let failed = session
        .sources
        .dns
        .fetch()
        .await
        .expect_err("a refresh with an unreadable check");
    assert!(
        failed.message.contains("GetHealthCheckStatus"),
        "{}",
        failed.message
    );
    assert!(proxy.total_injected() >= 1);

    proxy.set_plan(FaultPlan::none());
    let view = session.sources.dns.fetch().await.expect("dns");
    let checked: Vec<Health> = view
        .zones
        .iter()
        .flat_map(|z| &z.record_sets)
        .flat_map(|s| &s.records)
        .filter(|r| r.health_check_id.is_some())
        .map(|r| r.health)
        .collect();
    assert!(!checked.is_empty(), "the scenarios have health checks");
    assert!(!checked.contains(&Health::Unknown), "{checked:?}");
}

/// What a JSON snapshot says exists: every target (by group), rule (by ACL), record (by set
/// identifier) and instance, sorted; a panel that failed contributes nothing.
fn snapshot_facts(json: &serde_json::Value) -> Vec<String> {
    let items = |v: &serde_json::Value, key: &str| v[key].as_array().cloned().unwrap_or_default();
    let text = |v: &serde_json::Value, key: &str| v[key].as_str().unwrap_or("").to_string();
    let mut facts = Vec::new();
    for lb in items(&json["targets"]["data"], "load_balancers") {
        for tg in items(&lb, "target_groups") {
            for t in items(&tg, "targets") {
                facts.push(format!("target {} {}", text(&tg, "name"), text(&t, "id")));
            }
        }
    }
    for acl in items(&json["waf"]["data"], "acls") {
        for r in items(&acl, "rules") {
            facts.push(format!("rule {} {}", text(&acl, "name"), text(&r, "name")));
        }
    }
    for zone in items(&json["dns"]["data"], "zones") {
        for set in items(&zone, "record_sets") {
            for r in items(&set, "records") {
                facts.push(format!(
                    "record {} {}",
                    text(&set, "name"),
                    text(&r, "set_identifier")
                ));
            }
        }
    }
    for i in items(&json["instances"]["data"], "instances") {
        facts.push(format!("instance {}", text(&i, "id")));
    }
    facts.sort();
    facts
}

/// Runs `--snapshot --format json` through `endpoint`: (exit code, JSON, stderr).
fn json_snapshot(
    endpoint: &str,
    state: &std::path::Path,
) -> (Option<i32>, serde_json::Value, String) {
    let out = support::offline_binary()
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("OPSCONSOLE_STATE_DIR", state)
        .args(["--snapshot", "--format", "json", "--endpoint-url", endpoint])
        .args(["--region", "ap-northeast-1", "--region", "us-east-1"])
        .timeout(std::time::Duration::from_secs(180))
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (out.status.code(), json, stderr)
}

/// Under faults a snapshot either has every fact the estate holds (exit 0; a failed fetch may
/// not pass for an empty panel) or names the panels it could not read (exit 3), and those
/// alone lack their facts. One run is made to fail (Route53 always answers 500) so the exit 3
/// branch is taken, not just allowed.
#[test]
fn a_snapshot_under_faults_completes_or_names_the_failed_panel() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(seed_scenarios(&moto));
    let state = tempfile::tempdir().expect("tempdir");
    let (code, json, stderr) = json_snapshot(&moto.endpoint, state.path());
    assert_eq!(code, Some(0), "{stderr}");
    let all = snapshot_facts(&json);
    for kind in ["target ", "rule ", "record ", "instance "] {
        assert!(
            all.iter().any(|f| f.starts_with(kind)),
            "no {kind}in {all:?}"
        );
    }
    let failing_dns = FaultProxy::start(
        &upstream(&moto),
        FaultPlan::always(Fault::ServerError, "/2013-04-01/"),
        1,
    );
    let runs = [1, 2, 3]
        .map(|seed| FaultProxy::start(&upstream(&moto), FaultPlan::mixed(RATE), seed))
        .into_iter()
        .chain([failing_dns]);
    let mut partial = 0;
    for proxy in runs {
        let (code, json, stderr) = json_snapshot(&proxy.endpoint, state.path());
        assert!(json.get("schema_version").is_some());
        let got = snapshot_facts(&json);
        let failed: Vec<String> = json["failed_panels"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        match code {
            Some(0) => {
                assert!(failed.is_empty(), "exit 0 with failed panels {failed:?}");
                let missing: Vec<&String> = all.iter().filter(|f| !got.contains(f)).collect();
                assert!(
                    missing.is_empty(),
                    "exit 0 but facts are missing: {missing:?} {stderr}"
                );
                assert_eq!(got.len(), all.len(), "exit 0 with facts that do not exist");
            }
            Some(3) => {
                partial += 1;
                assert!(!failed.is_empty(), "exit 3 and no failed panel in the JSON");
                let title = |id: &str| match id {
                    "targets" => "Targets",
                    "waf" => "WAF",
                    "dns" => "Route53",
                    "instances" => "Instances",
                    _ => "Logs",
                };
                for panel in &failed {
                    assert!(
                        stderr.contains("failed") && stderr.contains(title(panel)),
                        "exit 3 without naming {panel}: {stderr}"
                    );
                }
                // What was read is all there: every fact outside the failed panels.
                let missing: Vec<&String> = all.iter().filter(|f| !got.contains(f)).collect();
                let from_failed = |f: &String| {
                    (f.starts_with("record ") && failed.iter().any(|p| p == "dns"))
                        || (f.starts_with("target ") && failed.iter().any(|p| p == "targets"))
                        || (f.starts_with("rule ") && failed.iter().any(|p| p == "waf"))
                        || (f.starts_with("instance ") && failed.iter().any(|p| p == "instances"))
                };
                assert!(
                    missing.iter().all(|f| from_failed(f)),
                    "facts missing outside the failed panels {failed:?}: {missing:?}"
                );
            }
            other => panic!("exit {other:?}: {stderr}"),
        }
        eprintln!(
            "exit {code:?}, failed {failed:?}, {} calls, faults {:?}",
            proxy.calls(),
            proxy.injected()
        );
    }
    assert!(partial >= 1, "the exit 3 branch never ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_whose_replies_are_all_lost_is_confirmed_by_reading_the_target() {
    let moto = Moto::start();
    let seeded = seed_scenarios(&moto).await;
    // Every attempt the SDK makes reaches the emulator; no reply comes back.
    let proxy = FaultProxy::start(
        &upstream(&moto),
        FaultPlan::always(Fault::LostReply, "DeregisterTargets"),
        3,
    );
    let session = session_via(&proxy.endpoint, false).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (exec, path) = journaled(&session, dir.path());
    let target = target_ref(&seeded, "ha-web-tg", "ha-web-right");
    let done = exec
        .execute(&Mutation::Drain {
            target: target.clone(),
        })
        .await
        .unwrap_or_else(|f| panic!("reported failed although it happened: {}", f.message));
    assert!(done.message.contains("confirmed"), "{}", done.message);
    assert!(proxy.total_injected() >= 1);
    let direct = session_via(&moto.endpoint, true).await;
    let state = target_state(&direct, "ha-web-tg", &target.id).await;
    assert!(
        matches!(
            state,
            None | Some(TargetState::Draining | TargetState::Unused)
        ),
        "{state:?}"
    );
    assert_eq!(outcomes(&path), ["attempted", "done"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_that_never_reached_aws_is_reported_failed() {
    let moto = Moto::start();
    let seeded = seed_scenarios(&moto).await;
    let proxy = FaultProxy::start(
        &upstream(&moto),
        FaultPlan::always(Fault::Reset, "DeregisterTargets"),
        3,
    );
    let session = session_via(&proxy.endpoint, false).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (exec, path) = journaled(&session, dir.path());
    let target = target_ref(&seeded, "ha-web-tg", "ha-web-right");
    let failed = exec
        .execute(&Mutation::Drain {
            target: target.clone(),
        })
        .await
        .expect_err("never reached AWS");
    assert!(failed.message.contains("healthy"), "{}", failed.message);
    let direct = session_via(&moto.endpoint, true).await;
    assert_eq!(
        target_state(&direct, "ha-web-tg", &target.id).await,
        Some(TargetState::Healthy)
    );
    assert_eq!(outcomes(&path), ["attempted", "failed"]);
}

async fn rule_kind(session: &Session, r: &RuleRef) -> Option<RuleKind> {
    let view = session.sources.waf.fetch().await.expect("waf");
    view.acls
        .iter()
        .find(|a| a.id == r.acl_id)
        .and_then(|a| a.rules.iter().find(|x| x.name == r.rule))
        .map(|x| x.kind.clone())
}

/// The first `UpdateWebACL` lands and its reply is lost; the SDK's retry carries the lock token
/// that write used up and is refused. That is our own change, not someone else's: done, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waf_toggle_whose_reply_is_lost_is_done_once_not_a_conflict() {
    let moto = Moto::start();
    let seeded = seed_scenarios(&moto).await;
    let proxy = FaultProxy::start(
        &upstream(&moto),
        FaultPlan {
            limit: Some(1),
            ..FaultPlan::always(Fault::LostReply, "UpdateWebACL")
        },
        5,
    );
    let session = session_via(&proxy.endpoint, false).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (exec, path) = journaled(&session, dir.path());
    let (acl, rule) = seeded
        .web_acls
        .iter()
        .find_map(|a| {
            let r = a
                .rules
                .iter()
                .find(|r| r.action.as_deref() == Some("Block"))?;
            Some((a, r))
        })
        .expect("a seeded Block rule");
    let r = rule_ref(&seeded, &acl.name, &rule.name);
    let from = RuleKind::Plain {
        action: RuleAction::Block,
    };
    let to = RuleKind::Plain {
        action: RuleAction::Count,
    };
    assert_eq!(rule_kind(&session, &r).await, Some(from.clone()));
    let done = exec
        .execute(&Mutation::SetRule {
            until: None,
            rule: r.clone(),
            from,
            to: to.clone(),
        })
        .await
        .unwrap_or_else(|f| panic!("our own write reported as failed: {}", f.message));
    assert!(done.message.contains("confirmed"), "{}", done.message);
    assert_eq!(proxy.total_injected(), 1);
    assert_eq!(rule_kind(&session, &r).await, Some(to));
    assert_eq!(outcomes(&path), ["attempted", "done"]);
}

/// A block whose `UpdateIPSet` reply is lost: the SDK's retry meets the lock token our own write
/// used up. Reading the set again shows the address in place: done once, not a conflict.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_whose_reply_is_lost_is_done_once_not_a_conflict() {
    use aws_sdk_wafv2 as waf;
    let moto = Moto::start();
    let client = waf::Client::new(&moto.sdk_config(support::seed::TOKYO).await);
    let set = client
        .create_ip_set()
        .name("edge-blocked")
        .scope(waf::types::Scope::Regional)
        .ip_address_version(waf::types::IpAddressVersion::Ipv4)
        .addresses("192.0.2.0/24")
        .send()
        .await
        .expect("CreateIPSet")
        .summary
        .expect("summary");
    let proxy = FaultProxy::start(
        &upstream(&moto),
        FaultPlan {
            limit: Some(1),
            ..FaultPlan::always(Fault::LostReply, "UpdateIPSet")
        },
        5,
    );
    let session = session_via(&proxy.endpoint, false).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (exec, path) = journaled(&session, dir.path());
    let block = Mutation::Block {
        set: opsconsole::action::IpSetRef {
            account: None,
            region: support::seed::TOKYO.to_string(),
            scope: opsconsole::model::WafScope::Regional,
            name: "edge-blocked".into(),
            id: set.id.clone().expect("id"),
            arn: set.arn.clone().expect("arn"),
            web_acl: "edge-acl".into(),
        },
        address: "198.51.100.9/32".into(),
        until: None,
    };
    let done = exec
        .execute(&block)
        .await
        .unwrap_or_else(|f| panic!("our own write reported as failed: {}", f.message));
    assert!(done.message.contains("confirmed"), "{}", done.message);
    assert_eq!(proxy.total_injected(), 1);
    let held = client
        .get_ip_set()
        .name("edge-blocked")
        .id(set.id.expect("id"))
        .scope(waf::types::Scope::Regional)
        .send()
        .await
        .expect("GetIPSet")
        .ip_set
        .expect("set")
        .addresses;
    assert_eq!(held, ["192.0.2.0/24", "198.51.100.9/32"], "added once");
    assert_eq!(outcomes(&path), ["attempted", "done"]);
}
