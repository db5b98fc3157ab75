//! Tests of the demo world as the console sees it: through its views, sources and executor.

use super::logs::testing::{log_names, raw_lines};
use super::*;
use crate::action::{Mutation, RuleRef, TargetRef, toggled_rule};
use crate::model::{
    CheckStatus, LogEntry, RoutingPolicy, RuleAction, RuleKind, TargetState, TargetsView,
};
use crate::source::{ErrorKind, LogBatch};
use chrono::{DateTime, Duration, Utc};
use regex::Regex;
use tokio::sync::mpsc;

/// The instant of the write-up's log line; a whole minute, so it is the origin itself.
fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-03-26T20:30:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn fixed(seed: u64, after_secs: i64) -> Arc<DemoWorld> {
    DemoWorld::new(seed, Clock::Fixed(t0() + Duration::seconds(after_secs)))
}

fn manual(seed: u64) -> (Arc<DemoWorld>, ManualClock) {
    let (clock, hand) = Clock::manual(t0());
    (DemoWorld::new(seed, clock), hand)
}

fn target_ref(view: &TargetsView, name: &str) -> TargetRef {
    for lb in &view.load_balancers {
        for tg in &lb.target_groups {
            if let Some(t) = tg.targets.iter().find(|t| t.name.as_deref() == Some(name)) {
                return TargetRef::of(lb, tg, t);
            }
        }
    }
    panic!("no target named {name}");
}

/// (state, reason, seconds left) of the named target now.
fn health(world: &DemoWorld, name: &str) -> (TargetState, Option<String>, Option<u32>) {
    let view = world.targets_view();
    let t = view
        .load_balancers
        .iter()
        .flat_map(|lb| &lb.target_groups)
        .flat_map(|tg| &tg.targets)
        .find(|t| t.name.as_deref() == Some(name))
        .unwrap()
        .clone();
    (t.state, t.reason, t.drain_remaining_secs)
}

fn rule_ref(world: &DemoWorld, acl: &str, rule: &str) -> (RuleRef, RuleKind) {
    let view = world.waf_view();
    let a = view.acls.iter().find(|a| a.name == acl).unwrap();
    let r = a.rules.iter().find(|r| r.name == rule).unwrap();
    (
        RuleRef {
            account: a.account.clone(),
            region: a.region.clone(),
            scope: a.scope,
            acl_name: a.name.clone(),
            acl_id: a.id.clone(),
            rule: r.name.clone(),
        },
        r.kind.clone(),
    )
}

#[test]
fn same_seed_and_time_give_identical_views() {
    let (a, b) = (fixed(7, 500), fixed(7, 500));
    assert_eq!(a.targets_view(), b.targets_view());
    assert_eq!(a.waf_view(), b.waf_view());
    assert_eq!(a.dns_view(), b.dns_view());
    assert_eq!(a.instances_view(), b.instances_view());
    let (rule, _) = rule_ref(&a, "hwi-web-acl", "block-xmlrpc");
    assert_eq!(
        a.rule_samples(&rule.acl_id, &rule.rule).unwrap(),
        b.rule_samples(&rule.acl_id, &rule.rule).unwrap()
    );
    let c = fixed(8, 500);
    assert_ne!(a.waf_view(), c.waf_view());
}

#[test]
fn order_of_items_is_stable_over_time() {
    let (world, hand) = manual(1);
    let names = |w: &DemoWorld| -> Vec<String> {
        w.targets_view()
            .load_balancers
            .iter()
            .flat_map(|lb| lb.target_groups.iter().map(|tg| tg.name.clone()))
            .chain(
                w.waf_view()
                    .acls
                    .iter()
                    .flat_map(|a| a.rules.iter().map(|r| r.name.clone())),
            )
            .collect()
    };
    let before = names(&world);
    hand.advance(Duration::seconds(777));
    assert_eq!(before, names(&world));
}

#[test]
fn drill_takes_ha_web_right_down_and_back() {
    let (world, hand) = manual(3);
    assert_eq!(health(&world, "ha-web-right").0, TargetState::Healthy);
    hand.set(t0() + Duration::seconds(200));
    let (state, reason, _) = health(&world, "ha-web-right");
    assert_eq!(state, TargetState::Unhealthy);
    assert!(matches!(
        reason.as_deref(),
        Some("Target.FailedHealthChecks" | "Target.Timeout")
    ));
    // Its instance is fine: httpd is down, not the VM.
    let vm = world
        .instances_view()
        .instances
        .into_iter()
        .find(|i| i.name.as_deref() == Some("ha-web-right"))
        .unwrap();
    assert_eq!(vm.instance_status, CheckStatus::Ok);
    assert_eq!(health(&world, "ha-web-left").0, TargetState::Healthy);
    hand.set(t0() + Duration::seconds(250));
    let (state, reason, _) = health(&world, "ha-web-right");
    assert_eq!(state, TargetState::Initial);
    assert_eq!(reason.as_deref(), Some("Elb.InitialHealthChecking"));
    hand.set(t0() + Duration::seconds(300));
    assert_eq!(health(&world, "ha-web-right").0, TargetState::Healthy);
    // Every six minutes.
    hand.set(t0() + Duration::seconds(200 + 360));
    assert_eq!(health(&world, "ha-web-right").0, TargetState::Unhealthy);
}

#[test]
fn xmlrpc_rule_has_a_periodic_burst() {
    let world = fixed(11, 0);
    let view = world.waf_view();
    assert_eq!(view.window_minutes, 15);
    let rule = view
        .acls
        .iter()
        .flat_map(|a| &a.rules)
        .find(|r| r.name == "block-xmlrpc")
        .unwrap();
    assert_eq!(rule.series.len(), 15);
    let mut blocked: Vec<u64> = rule.series.iter().map(|p| p.blocked).collect();
    // Minutes -4..-2 of the window at the origin are a burst (6, 7, 8 of their ten).
    assert!(blocked[10..13].iter().all(|b| *b >= 80), "{blocked:?}");
    blocked.sort_unstable();
    assert!(blocked[7] < 20, "the usual level stays low: {blocked:?}");
    // Ten minutes later it is back.
    let later = fixed(11, 600).waf_view();
    let again = later
        .acls
        .iter()
        .flat_map(|a| &a.rules)
        .find(|r| r.name == "block-xmlrpc")
        .unwrap();
    assert!(again.series[10..13].iter().all(|p| p.blocked >= 80));
}

#[test]
fn group_counts_follow_the_override() {
    let world = fixed(5, 0);
    let view = world.waf_view();
    let trace = view
        .acls
        .iter()
        .find(|a| a.name == "trace-member-acl")
        .unwrap();
    let common = trace
        .rules
        .iter()
        .find(|r| r.name == "AWS-AWSManagedRulesCommonRuleSet")
        .unwrap();
    assert!(common.kind.is_counting());
    assert_eq!(common.totals().blocked, 0);
    assert!(common.totals().counted > 0);
    let terminals = trace
        .rules
        .iter()
        .find(|r| r.name == "allow-handheld-terminals")
        .unwrap();
    assert!(terminals.totals().allowed > 1000);
    let mt = view.acls.iter().find(|a| a.name == "mt-web-acl").unwrap();
    let xss = mt
        .rules
        .iter()
        .find(|r| r.name == "AWS-AWSManagedRulesCommonRuleSet")
        .unwrap();
    // A per-rule Count override inside a blocking group: most blocked, a share counted.
    assert!(xss.totals().blocked > xss.totals().counted && xss.totals().counted > 0);
}

#[test]
fn drain_then_register_walks_through_every_state() {
    let (world, hand) = manual(2);
    let exec = world.session().executor.unwrap();
    hand.set(t0() + Duration::seconds(10));
    let target = target_ref(&world.targets_view(), "ha-web-left");
    let msg = futures::executor::block_on(exec.execute(&Mutation::Drain {
        target: target.clone(),
    }))
    .unwrap()
    .message;
    assert!(msg.contains("ha-web-left"), "{msg}");
    let (state, reason, left) = health(&world, "ha-web-left");
    assert_eq!(state, TargetState::Draining);
    assert_eq!(reason.as_deref(), Some("Target.DeregistrationInProgress"));
    assert_eq!(left, Some(30));
    hand.advance(Duration::seconds(12));
    assert_eq!(health(&world, "ha-web-left").2, Some(18));
    // Draining twice is refused.
    assert!(
        world
            .apply(&Mutation::Drain {
                target: target.clone()
            })
            .is_err()
    );
    hand.advance(Duration::seconds(20));
    let (state, reason, _) = health(&world, "ha-web-left");
    assert_eq!(state, TargetState::Unused);
    assert_eq!(reason.as_deref(), Some("Target.NotRegistered"));
    world
        .apply(&Mutation::Register {
            target: target.clone(),
        })
        .unwrap();
    let (state, reason, _) = health(&world, "ha-web-left");
    assert_eq!(state, TargetState::Initial);
    assert_eq!(reason.as_deref(), Some("Elb.RegistrationInProgress"));
    hand.advance(Duration::seconds(11));
    assert_eq!(health(&world, "ha-web-left").0, TargetState::Healthy);
    assert!(world.apply(&Mutation::Register { target }).is_err());
}

#[test]
fn registering_during_the_drill_ends_unhealthy() {
    let (world, hand) = manual(2);
    hand.set(t0() + Duration::seconds(100));
    let target = target_ref(&world.targets_view(), "ha-web-right");
    world
        .apply(&Mutation::Drain {
            target: target.clone(),
        })
        .unwrap();
    hand.set(t0() + Duration::seconds(170));
    // Drained before the drill, and httpd down now: unused (not registered) wins.
    assert_eq!(health(&world, "ha-web-right").0, TargetState::Unused);
    world.apply(&Mutation::Register { target }).unwrap();
    assert_eq!(health(&world, "ha-web-right").0, TargetState::Initial);
    hand.advance(Duration::seconds(15));
    assert_eq!(health(&world, "ha-web-right").0, TargetState::Unhealthy);
}

#[test]
fn stopped_instance_is_an_unused_target_and_cannot_be_registered() {
    let world = fixed(1, 0);
    let (state, reason, _) = health(&world, "trace-member-03");
    assert_eq!(state, TargetState::Unused);
    assert_eq!(reason.as_deref(), Some("Target.InvalidState"));
    let target = target_ref(&world.targets_view(), "trace-member-03");
    assert!(world.apply(&Mutation::Register { target }).is_err());
    let instances = world.instances_view().instances;
    let stopped = instances.iter().find(|i| i.state == "stopped").unwrap();
    assert_eq!(stopped.name.as_deref(), Some("trace-member-03"));
    assert!(instances.iter().any(|i| {
        i.events
            .iter()
            .any(|e| e.code == "system-reboot" && e.not_before.is_some_and(|t| t > t0()))
    }));
}

#[test]
fn unknown_targets_and_rules_are_refused_clearly() {
    let world = fixed(1, 0);
    let mut target = target_ref(&world.targets_view(), "mt-web-01");
    target.id = "i-0000000000000000".into();
    let err = world.apply(&Mutation::Drain { target }).unwrap_err();
    assert!(err.contains("not a target of mt-web-tg"), "{err}");
    let (mut rule, kind) = rule_ref(&world, "mt-web-acl", "AWS-AWSManagedRulesSQLiRuleSet");
    rule.rule = "no-such-rule".into();
    let err = world
        .apply(&Mutation::SetRule {
            until: None,
            rule,
            from: kind.clone(),
            to: kind,
        })
        .unwrap_err();
    assert!(err.contains("no rule named no-such-rule"), "{err}");
    let e = world.rule_samples("nope", "block-xmlrpc").unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    let (rule, _) = rule_ref(&world, "hwi-web-acl", "block-xmlrpc");
    let e = world.rule_samples(&rule.acl_id, "nope").unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
}

#[test]
fn set_rule_toggles_and_refuses_a_stale_from() {
    let (world, hand) = manual(4);
    hand.set(t0() + Duration::seconds(90));
    let (rule, kind) = rule_ref(&world, "hwi-web-acl", "AWS-AWSManagedRulesWordPressRuleSet");
    let counting = toggled_rule(&kind, None);
    let stale = world.apply(&Mutation::SetRule {
        until: None,
        rule: rule.clone(),
        from: counting.clone(),
        to: kind.clone(),
    });
    assert!(stale.unwrap_err().contains("meanwhile"));
    world
        .apply(&Mutation::SetRule {
            until: None,
            rule: rule.clone(),
            from: kind.clone(),
            to: counting.clone(),
        })
        .unwrap();
    let (_, now) = rule_ref(&world, "hwi-web-acl", "AWS-AWSManagedRulesWordPressRuleSet");
    assert!(now.is_counting());
    let view = world.waf_view();
    let series = &view
        .acls
        .iter()
        .flat_map(|a| &a.rules)
        .find(|r| r.name == "AWS-AWSManagedRulesWordPressRuleSet")
        .unwrap()
        .series;
    // History keeps what happened, the minute under way too (its requests were shown blocked
    // already): the rule counts from the next minute on.
    let last = series.last().unwrap();
    assert!(last.blocked > 0 && last.counted == 0, "{last:?}");
    assert!(series.iter().all(|p| p.counted == 0));
    // Samples from before the change were blocked, those after it only counted.
    hand.advance(Duration::seconds(60));
    let view = world.waf_view();
    let rule_series = |view: &crate::model::WafView| {
        view.acls
            .iter()
            .flat_map(|a| &a.rules)
            .find(|r| r.name == "AWS-AWSManagedRulesWordPressRuleSet")
            .unwrap()
            .series
            .clone()
    };
    let next = rule_series(&view);
    assert_eq!(next[..14], series[1..], "the past was rewritten");
    let last = next.last().unwrap();
    assert!(last.blocked == 0 && last.counted > 0, "{last:?}");
    let samples = world.rule_samples(&rule.acl_id, &rule.rule).unwrap();
    let change = t0() + Duration::seconds(90);
    assert!(samples.requests.iter().any(|r| r.action == "COUNT"));
    for r in &samples.requests {
        assert_eq!(r.action == "COUNT", r.time >= change, "{r:?}");
    }
    // The same stale click again is refused; so is turning a group into a plain rule.
    assert!(
        world
            .apply(&Mutation::SetRule {
                until: None,
                rule: rule.clone(),
                from: kind.clone(),
                to: counting.clone()
            })
            .is_err()
    );
    let plain = RuleKind::Plain {
        action: RuleAction::Block,
    };
    assert!(
        world
            .apply(&Mutation::SetRule {
                until: None,
                rule,
                from: counting,
                to: plain
            })
            .is_err()
    );
}

#[test]
fn samples_fit_their_rule_and_carry_raw_hostile_text() {
    let world = fixed(9, 0);
    let (rule, _) = rule_ref(&world, "hwi-web-acl", "block-xmlrpc");
    let samples = world.rule_samples(&rule.acl_id, &rule.rule).unwrap();
    assert!(!samples.requests.is_empty() && samples.requests.len() <= 20);
    assert!(
        samples
            .requests
            .iter()
            .all(|r| r.uri.contains("xmlrpc.php"))
    );
    assert!(samples.requests.iter().all(|r| r.action == "BLOCK"));
    assert!(samples.requests.windows(2).all(|w| w[0].time >= w[1].time));
    assert!(samples.requests.iter().all(|r| r.time <= t0()));
    let doc = Regex::new(r"^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+$").unwrap();
    assert!(samples.requests.iter().all(|r| doc.is_match(&r.client_ip)));
    // Deliberately unsanitised: the front end must neutralise it.
    assert!(samples.requests.iter().any(|r| r.uri.contains('\x1b')));
    let (sqli, _) = rule_ref(&world, "mt-web-acl", "AWS-AWSManagedRulesSQLiRuleSet");
    let s = world.rule_samples(&sqli.acl_id, &sqli.rule).unwrap();
    assert!(s.requests.iter().any(|r| r.uri.contains("OR")));
}

#[test]
fn geolocation_sets_with_and_without_default() {
    let dns = fixed(1, 0).dns_view();
    let sets: Vec<_> = dns.zones.iter().flat_map(|z| &z.record_sets).collect();
    let s4 = sets.iter().find(|s| s.name == "taltalsister.cf.").unwrap();
    assert_eq!(s4.policy, RoutingPolicy::Geolocation);
    assert!(!s4.lacks_default_location());
    let cn = s4
        .records
        .iter()
        .find(|r| r.location.as_ref().and_then(|l| l.country.as_deref()) == Some("CN"))
        .unwrap();
    assert!(cn.answer.describe().starts_with("192.0.2."));
    assert!(sets.iter().any(|s| s.lacks_default_location()));
    for policy in [
        RoutingPolicy::Weighted,
        RoutingPolicy::Failover,
        RoutingPolicy::Simple,
    ] {
        assert!(sets.iter().any(|s| s.policy == policy), "{policy:?}");
    }
    let records: Vec<_> = sets.iter().flat_map(|s| &s.records).collect();
    use crate::model::Health;
    for h in [Health::Healthy, Health::Unhealthy, Health::NotChecked] {
        assert!(records.iter().any(|r| r.health == h), "{h:?}");
    }
}

#[test]
fn every_stack_name_appears() {
    let world = fixed(1, 0);
    let session = world.session();
    assert_eq!(session.sources.scope.mode, "demo");
    let all = [
        serde_json::to_string(&world.targets_view()).unwrap(),
        serde_json::to_string(&world.waf_view()).unwrap(),
        serde_json::to_string(&world.dns_view()).unwrap(),
        serde_json::to_string(&world.instances_view()).unwrap(),
        session
            .sources
            .logs
            .iter()
            .map(|l| l.name().to_string())
            .collect::<Vec<_>>()
            .join(" "),
    ]
    .join("\n");
    let names = [
        // S1
        "mt-alb",
        "mt-web-tg",
        "mt-cms-tg",
        "mt-web-01",
        "mt-web-02",
        "mt-cms",
        "mt-bastion",
        "mt-web-acl",
        "mt-cms-allow-office",
        "mt-cms-block-non-office",
        "AWSManagedRulesSQLiRuleSet",
        "AWSManagedRulesCommonRuleSet",
        "www.example.jp.",
        "cloudfront.net",
        // S2
        "ha-lbext",
        "ha-lbint",
        "ha-utm-tg",
        "ha-web-tg",
        "ha-utm-left",
        "ha-utm-right",
        "ha-web-left",
        "ha-web-right",
        "10.0.10.10",
        "10.0.11.10",
        "10.0.20.10",
        "10.0.21.10",
        "www.ha-demo.example.com.",
        // S3
        "trace-handy-nlb",
        "trace-handy-alb-tg",
        "trace-member-alb",
        "trace-member-tg",
        "trace-member-01",
        "trace-member-02",
        "trace-member-03",
        "trace-nat-relay",
        "trace-member-acl",
        "handy.trace.internal.",
        // S4
        "hwi-alb",
        "hwi-tg1",
        "hwi-tg2",
        "hwi-web-acl",
        "block-xmlrpc",
        "block-wp-admin-outside",
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesPHPRuleSet",
        "AWSManagedRulesWordPressRuleSet",
        "taltalsister.cf.",
        "192.0.2.1",
        "hwi-build-host",
        // S5
        "reverseproxy-nlb",
        "reverseproxy-tg",
        "proxy.example.net.",
        "s5-nginx-proxy",
    ];
    for name in names {
        assert!(all.contains(name), "{name} is missing");
    }
    assert_eq!(
        log_names(),
        [
            "s5-nginx-proxy",
            "ha-web-left",
            "ha-web-right",
            "hwi-wordpress"
        ]
    );
}

/// S5's `log_format main`, field by field.
fn s5_format() -> Regex {
    Regex::new(concat!(
        r#"^(-|[0-9a-f.:]+):(-|\d+) (\d{1,3}(?:\.\d{1,3}){3}):(\d+) (-|\S+) "#,
        r#"\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "#,
        r#""([^"]*)" (\d{3}) (\d+) "([^"]*)" "([^"]*)" (\d+)$"#,
    ))
    .unwrap()
}

async fn first_batch(world: &Arc<DemoWorld>, log: &str, backlog: usize) -> LogBatch {
    let source = world
        .session()
        .sources
        .logs
        .into_iter()
        .find(|l| l.name() == log)
        .unwrap();
    let (tx, mut rx) = mpsc::channel(8);
    let task = tokio::spawn(source.tail(backlog, tx));
    let batch = rx.recv().await.unwrap();
    drop(rx);
    // The tail ends by itself once nobody listens.
    assert!(task.await.unwrap().is_ok());
    batch
}

#[tokio::test]
async fn nginx_backlog_has_the_s5_format_and_scans() {
    let world = fixed(21, 0);
    let batch = first_batch(&world, "s5-nginx-proxy", 300).await;
    assert_eq!(batch.source, "s5-nginx-proxy");
    assert_eq!(batch.entries.len(), 300);
    let re = s5_format();
    let texts: Vec<String> = batch.entries.iter().map(LogEntry::text).collect();
    for text in &texts {
        assert!(re.is_match(text), "not S5's format: {text}");
        assert!(!text.chars().any(char::is_control), "unsanitised: {text}");
    }
    assert!(
        texts
            .iter()
            .any(|t| t
                .contains(r#""GET /v4/ws/usdt HTTP/1.1" 200 2676 "-" "Go-http-client/1.1" 80"#))
    );
    for probe in ["/.env", "/wp-login.php", "/xmlrpc.php"] {
        assert!(texts.iter().any(|t| t.contains(probe)), "{probe}");
    }
    assert!(
        texts
            .iter()
            .any(|t| t.contains(r#"" 502 "#) || t.contains(r#"" 404 "#))
    );
    // Raw lines do carry the odd escape sequence in a user agent.
    let raw = raw_lines(&world, "s5-nginx-proxy", -3_600_000, 0);
    assert!(raw.iter().any(|l| l.contains('\x1b')));
    assert!(raw.iter().all(|l| re.is_match(l)));
}

#[tokio::test]
async fn fixed_clock_tail_sends_its_backlog_only() {
    let world = fixed(21, 0);
    let batch = first_batch(&world, "ha-web-left", 50).await;
    assert_eq!(batch.entries.len(), 50);
    assert!(
        batch
            .entries
            .iter()
            .any(|e| e.text().contains("ELB-HealthChecker/2.0"))
    );
    assert!(
        batch
            .entries
            .iter()
            .all(|e| matches!(e, LogEntry::Line { received_at, .. } if *received_at == t0()))
    );
}

#[test]
fn web_logs_follow_the_drill() {
    let world = fixed(6, 0);
    // ha-web-right's httpd is stopped from 150 s to 240 s: silence; the left one takes it all.
    let right = raw_lines(&world, "ha-web-right", 155_000, 235_000);
    assert!(right.is_empty(), "{right:?}");
    let left_during = raw_lines(&world, "ha-web-left", 155_000, 235_000).len();
    let left_before = raw_lines(&world, "ha-web-left", 0, 80_000).len();
    assert!(left_during > left_before, "{left_during} vs {left_before}");
    assert!(!raw_lines(&world, "ha-web-right", 0, 80_000).is_empty());
}

#[tokio::test]
async fn manual_clock_tail_delivers_new_lines_as_time_moves() {
    let (world, hand) = manual(13);
    let source = world
        .session()
        .sources
        .logs
        .into_iter()
        .find(|l| l.name() == "s5-nginx-proxy")
        .unwrap();
    let (tx, mut rx) = mpsc::channel(8);
    let task = tokio::spawn(source.tail(10, tx));
    assert_eq!(rx.recv().await.unwrap().entries.len(), 10);
    hand.advance(Duration::seconds(20));
    let next = tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(!next.entries.is_empty());
    for e in &next.entries {
        let LogEntry::Line { received_at, .. } = e else {
            panic!("a gap")
        };
        assert!(*received_at > t0() && *received_at <= t0() + Duration::seconds(20));
    }
    drop(rx);
    assert!(task.await.unwrap().is_ok());
}

/// Blocking the flood's top sender (seed S4) moves its requests from block-xmlrpc to the rule
/// that blocks the IP set's addresses, from the minute it is blocked; removing it moves them back.
#[test]
fn a_blocked_flood_sender_ends_at_the_listed_rule() {
    let (world, hand) = manual(4);
    hand.set(t0() + Duration::seconds(30));
    let view = world.waf_view();
    let set = &view.ip_sets[0];
    assert!(set.addresses.is_empty());
    let rule_now = |view: &crate::model::WafView, name: &str| {
        view.acls
            .iter()
            .flat_map(|a| &a.rules)
            .find(|r| r.name == name)
            .and_then(|r| r.series.last().copied())
            .unwrap_or_default()
            .blocked
    };
    let before = rule_now(&view, "block-xmlrpc");
    assert!(before > 0);
    assert_eq!(rule_now(&view, super::waf::BLOCKED_RULE), 0);
    let block = crate::action::Mutation::Block {
        set: crate::action::IpSetRef {
            account: set.account.clone(),
            region: set.region.clone(),
            scope: set.scope,
            name: set.name.clone(),
            id: set.id.clone(),
            arn: set.arn.clone(),
            web_acl: set.web_acl.clone(),
        },
        address: "198.51.100.77/32".into(),
        until: None,
    };
    world.apply(&block).unwrap();
    assert!(
        world
            .apply(&block)
            .unwrap_err()
            .contains("already in IP set")
    );
    let view = world.waf_view();
    assert_eq!(view.ip_sets[0].addresses, ["198.51.100.77/32"]);
    // The minute under way was shown whole from its first second: its requests stay where
    // they were shown, or block-xmlrpc's Blocked would go back the moment `b` was pressed.
    assert_eq!(
        rule_now(&view, "block-xmlrpc"),
        before,
        "the minute already shown moved"
    );
    // From the next minute, the sender's requests end at the IP set's rule.
    hand.set(t0() + Duration::seconds(95));
    let (unblocked, unblocked_hand) = manual(4);
    unblocked_hand.set(t0() + Duration::seconds(95));
    let whole = rule_now(&unblocked.waf_view(), "block-xmlrpc");
    let view = world.waf_view();
    let listed = rule_now(&view, super::waf::BLOCKED_RULE);
    let xmlrpc = rule_now(&view, "block-xmlrpc");
    assert!(listed > 0, "the listed rule blocks the sender now");
    assert!(
        xmlrpc < whole,
        "block-xmlrpc still ends the sender's requests"
    );
    assert_eq!(
        listed + xmlrpc,
        whole + {
            let now = world.ms_at(t0() + Duration::seconds(95));
            world.refused_in_minute(&world.changes_snapshot(), now.div_euclid(60_000), now)
        },
        "the same requests, ended elsewhere (and the sender's refused logins)"
    );
    world.apply(&block.undo().unwrap()).unwrap();
    hand.set(t0() + Duration::seconds(215));
    let view = world.waf_view();
    assert!(view.ip_sets[0].addresses.is_empty());
    assert_eq!(rule_now(&view, super::waf::BLOCKED_RULE), 0);
}

/// S4's WordPress and S5's nginx run on Fargate: their logs come as CloudWatch Logs groups do,
/// each line with its event time (an SSH tail's backlog arrives all at once, now); S4's shows
/// the login brute force of the flood's senders, each line naming its client.
#[tokio::test]
async fn fargate_logs_come_as_log_groups_with_their_event_times() {
    let world = fixed(3, 600);
    let session = world.session();
    let backlog = |name: &'static str| {
        let source = session
            .sources
            .logs
            .iter()
            .find(|l| l.name() == name)
            .cloned()
            .unwrap();
        async move {
            let (tx, mut rx) = tokio::sync::mpsc::channel(4);
            let tail = tokio::spawn(source.tail(60, tx));
            let batch = rx.recv().await.unwrap();
            tail.abort();
            batch.entries
        }
    };
    let times = |entries: &[crate::model::LogEntry]| {
        entries
            .iter()
            .map(|e| e.time())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    let wordpress = backlog("hwi-wordpress").await;
    assert!(times(&wordpress) > 10, "event times, not one arrival");
    assert!(times(&backlog("s5-nginx-proxy").await) > 10);
    assert_eq!(
        times(&backlog("ha-web-left").await),
        1,
        "a tail's backlog arrives now"
    );
    let format = crate::model::access::LogFormat::Auto;
    let brute: Vec<String> = wordpress
        .iter()
        .map(|e| e.text())
        .filter(|t| t.contains("POST /wp-login.php"))
        .filter_map(|t| crate::model::access::parse(&format, &t).map(|a| a.client.to_string()))
        .collect();
    assert!(!brute.is_empty());
    assert!(
        brute
            .iter()
            .all(|c| c == "203.0.113.201" || c == "192.0.2.145"),
        "{brute:?}"
    );
}

/// The demo's stacks and the account each lives in: (name prefix of its resources, its zone,
/// its account).
const STACK_HOMES: &[(&str, &str, &str)] = &[
    ("mt-", "example.jp.", "cms-prod (111122223333)"),
    ("ha-", "ha-demo.example.com.", "cms-prod (111122223333)"),
    ("trace-", "trace.internal.", "apps-prod (444455556666)"),
    ("hwi-", "taltalsister.cf.", "apps-prod (444455556666)"),
    ("reverseproxy-", "example.net.", "apps-prod (444455556666)"),
];

/// The account label a resource named `name` (or the zone `name`) should carry.
fn home_of(name: &str) -> &'static str {
    STACK_HOMES
        .iter()
        .find(|(prefix, zone, _)| name.starts_with(prefix) || name == *zone)
        .map(|(_, _, home)| *home)
        .unwrap_or_else(|| panic!("{name} belongs to no stack"))
}

fn label(account: &Option<crate::model::AccountRef>, what: &str) -> String {
    account
        .as_ref()
        .unwrap_or_else(|| panic!("{what} carries no account"))
        .label()
}

/// S1 and S2 in one account, S3, S4 and S5 in the other: every row of every panel carries its
/// stack's account, and each account holds rows of every panel it has stacks in.
#[test]
fn each_stack_lives_in_its_account() {
    let world = fixed(1, 0);
    let mut seen: Vec<(String, &str)> = Vec::new();
    let targets = world.targets_view();
    for lb in &targets.load_balancers {
        assert_eq!(
            label(&lb.account, &lb.name),
            home_of(&lb.name),
            "{}",
            lb.name
        );
        seen.push((label(&lb.account, &lb.name), "load balancer"));
    }
    let waf = world.waf_view();
    for acl in &waf.acls {
        assert_eq!(
            label(&acl.account, &acl.name),
            home_of(&acl.name),
            "{}",
            acl.name
        );
        seen.push((label(&acl.account, &acl.name), "web ACL"));
    }
    for set in &waf.ip_sets {
        assert_eq!(
            label(&set.account, &set.name),
            home_of(&set.name),
            "{}",
            set.name
        );
        // The set is in the account of the web ACL that uses it.
        let acl = waf.acls.iter().find(|a| a.name == set.web_acl).unwrap();
        assert_eq!(set.account, acl.account);
    }
    for zone in &world.dns_view().zones {
        assert_eq!(
            label(&zone.account, &zone.name),
            home_of(&zone.name),
            "{}",
            zone.name
        );
        seen.push((label(&zone.account, &zone.name), "zone"));
    }
    for i in &world.instances_view().instances {
        let name = i.name.as_deref().unwrap();
        assert_eq!(label(&i.account, name), home_of(name), "{name}");
        seen.push((label(&i.account, name), "instance"));
    }
    for account in ["cms-prod (111122223333)", "apps-prod (444455556666)"] {
        for panel in ["load balancer", "web ACL", "zone", "instance"] {
            assert!(
                seen.iter().any(|(a, p)| a == account && *p == panel),
                "no {panel} in {account}"
            );
        }
    }
    // Every stack has rows: none was left out by the table above.
    for (prefix, _, _) in STACK_HOMES {
        assert!(
            targets
                .load_balancers
                .iter()
                .any(|lb| lb.name.starts_with(prefix)),
            "no load balancer of {prefix}*"
        );
    }
}

/// Every ARN the demo makes names the account of its row, so a TargetRef, an IP set reference
/// and the NLB's ALB target all agree with the account they are shown under.
#[test]
fn arns_name_their_rows_account() {
    let world = fixed(1, 0);
    let in_account = |arn: &str, id: &str| arn.split(':').nth(4) == Some(id);
    for lb in world.targets_view().load_balancers {
        let id = lb.account.as_ref().unwrap().id.clone();
        assert!(in_account(&lb.arn, &id), "{} in {id}", lb.arn);
        for tg in &lb.target_groups {
            assert!(in_account(&tg.arn, &id), "{} in {id}", tg.arn);
            for t in tg.targets.iter().filter(|t| t.id.starts_with("arn:")) {
                assert!(in_account(&t.id, &id), "target {} in {id}", t.id);
            }
            for t in &tg.targets {
                let r = TargetRef::of(&lb, tg, t);
                assert_eq!(r.account, lb.account);
            }
        }
    }
    for set in world.waf_view().ip_sets {
        let id = set.account.as_ref().unwrap().id.clone();
        assert!(in_account(&set.arn, &id), "{} in {id}", set.arn);
    }
}

/// The demo watches two accounts, as a console with two `[[account]]` entries would.
#[test]
fn the_scope_lists_both_accounts() {
    let session = fixed(1, 0).session();
    let labels: Vec<String> = (session.sources.scope.accounts.iter())
        .map(|a| a.label())
        .collect();
    assert_eq!(
        labels,
        ["cms-prod (111122223333)", "apps-prod (444455556666)"]
    );
}

/// A change acts in its row's account only: made for the other account, a drain, a rule change
/// and a block are refused, saying where the resource lives, and nothing changes. The same
/// change made in the right account goes through.
#[test]
fn a_change_for_another_account_is_refused() {
    let world = fixed(1, 0);
    let cms = super::estate::Home::Cms.account();
    let apps = super::estate::Home::Apps.account();
    let before = (world.targets_view(), world.waf_view());

    let mut target = target_ref(&world.targets_view(), "mt-web-01");
    assert_eq!(target.account.as_ref(), Some(&cms));
    target.account = Some(apps.clone());
    let err = world.apply(&Mutation::Drain { target }).unwrap_err();
    assert_eq!(
        err,
        "Target group mt-web-tg is in account cms-prod (111122223333), not in apps-prod \
         (444455556666): a change made in apps-prod cannot reach it. Nothing was changed"
    );

    let (mut rule, kind) = rule_ref(&world, "hwi-web-acl", "AWS-AWSManagedRulesWordPressRuleSet");
    assert_eq!(rule.account.as_ref(), Some(&apps));
    rule.account = Some(cms.clone());
    let toggle = Mutation::SetRule {
        until: None,
        rule,
        from: kind.clone(),
        to: toggled_rule(&kind, None),
    };
    let err = world.apply(&toggle).unwrap_err();
    assert!(
        err.starts_with(
            "Web ACL hwi-web-acl is in account apps-prod (444455556666), not in cms-prod"
        ),
        "{err}"
    );

    let set = &before.1.ip_sets[0];
    let block = Mutation::Block {
        set: crate::action::IpSetRef {
            account: Some(cms.clone()),
            region: set.region.clone(),
            scope: set.scope,
            name: set.name.clone(),
            id: set.id.clone(),
            arn: set.arn.clone(),
            web_acl: set.web_acl.clone(),
        },
        address: "198.51.100.77/32".into(),
        until: None,
    };
    let err = world.apply(&block).unwrap_err();
    assert!(
        err.starts_with("IP set hwi-blocked-addresses is in account apps-prod (444455556666)"),
        "{err}"
    );
    assert_eq!(
        (world.targets_view(), world.waf_view()),
        before,
        "nothing changed"
    );

    // Journaled elsewhere (refused there), such a change is not replayed here either.
    let entry = |mutation: Mutation| crate::action::JournalEntry {
        time: t0(),
        caller_arn: None,
        account: mutation.account().map(|a| a.id.clone()),
        region: "us-east-1".into(),
        action: "block".into(),
        resource: String::new(),
        before: String::new(),
        after: String::new(),
        request_id: None,
        outcome: "done".into(),
        message: String::new(),
        mutation: Some(mutation),
    };
    assert_eq!(world.replay(&[entry(block.clone()), entry(toggle)]), 0);

    // In the resource's own account the same changes go through.
    let Mutation::Block {
        mut set,
        address,
        until,
    } = block
    else {
        unreachable!()
    };
    set.account = Some(apps.clone());
    world
        .apply(&Mutation::Block {
            set,
            address,
            until,
        })
        .unwrap();
    let mut target = target_ref(&world.targets_view(), "mt-web-01");
    target.account = Some(cms);
    world.apply(&Mutation::Drain { target }).unwrap();
}

/// What the story's timeline says changed is stamped with the account of the row it concerns:
/// the drill on ha-web-right in S2's account, the `/xmlrpc.php` burst in S4's.
#[test]
fn the_story_s_changes_carry_their_row_s_account() {
    let world = fixed(1, 0);
    let entries = world.seen_changes(t0(), t0() + Duration::minutes(20));
    assert!(!entries.is_empty());
    let mut names = Vec::new();
    for e in &entries {
        // "block-xmlrpc in hwi-web-acl": a rule is named with its web ACL.
        let row = e.subject.name.rsplit(" in ").next().unwrap_or_default();
        let home = home_of(row);
        let id = &home[home.len() - 13..home.len() - 1];
        assert_eq!(e.account.as_deref(), Some(id), "{}", e.describe());
        names.push(e.subject.name.clone());
    }
    for name in ["ha-web-right", "hwi-web-acl"] {
        assert!(
            names.iter().any(|n| n.contains(name)),
            "{name} not in {names:?}"
        );
    }
}
