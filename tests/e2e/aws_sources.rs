//! The console's AWS sources against a real AWS-protocol emulator (moto), through the real SDK
//! clients: what was seeded (the five stacks, two regions, a zone that needs two pages) is what
//! the model shows. `AWS_ENDPOINT_URL`-style override, static credentials, explicit regions: no
//! traffic leaves 127.0.0.1.

use crate::support;

use opsconsole::model::{
    Answer, CheckStatus, OverrideAction, RuleAction, RuleKind, TargetState, WafScope,
};
use opsconsole::source::Session;
use opsconsole::source::aws::{self, AwsOptions};
use support::{Moto, Seeded, seed_scenarios, target_ref};

const REGIONS: [&str; 2] = ["ap-northeast-1", "us-east-1"];

async fn seeded() -> (Moto, Seeded, Session) {
    let moto = Moto::start();
    let seeded = seed_scenarios(&moto).await;
    let session = aws::connect(&AwsOptions {
        log_groups: Default::default(),
        originals_file: Default::default(),
        endpoint_url: Some(moto.endpoint.clone()),
        regions: REGIONS.iter().map(|r| r.to_string()).collect(),
        waf_window_minutes: 15,
        metrics_every_secs: 60,
        static_credentials: Some(aws_credential_types::Credentials::new(
            "testing", "testing", None, None, "test",
        )),
        profile: None,
        read_only: true,
        one_shot: false,
        blocklists: vec![],
        shared_state: Default::default(),
        accounts: Default::default(),
    })
    .await
    .expect("connect");
    (moto, seeded, session)
}

fn state(s: &str) -> TargetState {
    match s {
        "healthy" => TargetState::Healthy,
        "unused" => TargetState::Unused,
        "initial" => TargetState::Initial,
        "unhealthy" => TargetState::Unhealthy,
        "draining" => TargetState::Draining,
        other => panic!("unexpected seeded state {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_seeded_target_with_its_state() {
    let (_moto, seeded, session) = seeded().await;
    // Group attributes are read a few groups a refresh (ELBv2 has no batch call): every delay is
    // known after a few refreshes, and no refresh reads more than its share.
    let groups = |v: &opsconsole::model::TargetsView| {
        v.load_balancers
            .iter()
            .flat_map(|l| &l.target_groups)
            .map(|g| (g.arn.clone(), g.deregistration_delay_secs))
            .collect::<std::collections::HashMap<_, _>>()
    };
    let mut view = session.sources.targets.fetch().await.expect("targets");
    let read_first = groups(&view).values().filter(|d| d.is_some()).count();
    assert!(
        read_first >= 1 && read_first <= 8 * REGIONS.len(),
        "{read_first} read at once"
    );
    for _ in 0..seeded.target_groups.len() {
        if groups(&view).values().all(Option::is_some) {
            break;
        }
        view = session.sources.targets.fetch().await.expect("targets");
    }
    for lb in &seeded.load_balancers {
        let got = view
            .load_balancers
            .iter()
            .find(|l| l.name == lb.name)
            .unwrap_or_else(|| panic!("load balancer {} missing", lb.name));
        assert_eq!(got.region, lb.region, "{}", lb.name);
        for l in &lb.listeners {
            let gl = got
                .listeners
                .iter()
                .find(|x| x.port == l.port)
                .expect("listener");
            let forwards: Vec<(String, Option<u32>)> = gl
                .forwards
                .iter()
                .map(|f| (f.target_group.clone(), f.weight))
                .collect();
            let want: Vec<(String, Option<u32>)> = l
                .forwards
                .iter()
                .map(|(tg, w)| (tg.clone(), w.map(|w| w as u32)))
                .collect();
            assert_eq!(forwards, want, "listener {}:{}", lb.name, l.port);
        }
    }
    for tg in &seeded.target_groups {
        let got = view
            .load_balancers
            .iter()
            .flat_map(|l| &l.target_groups)
            .find(|g| g.name == tg.name)
            .unwrap_or_else(|| panic!("target group {} missing", tg.name));
        assert_eq!(
            got.deregistration_delay_secs,
            Some(tg.deregistration_delay_secs),
            "{}",
            tg.name
        );
        assert_eq!(got.port, tg.port);
        assert_eq!(
            got.targets.len(),
            tg.targets.len(),
            "targets of {}",
            tg.name
        );
        for t in &tg.targets {
            let gt = got
                .targets
                .iter()
                .find(|x| x.id == t.id && x.port == t.port)
                .unwrap_or_else(|| panic!("target {} missing from {}", t.id, tg.name));
            assert_eq!(gt.state, state(&t.state), "{} in {}", t.id, tg.name);
            assert_eq!(gt.reason, t.reason, "{} in {}", t.id, tg.name);
            // Instance targets are described without a zone (the console finds it through EC2),
            // ip targets with theirs; an ALB behind an NLB has none of its own.
            let zone = (tg.target_type != "alb").then(|| t.az.clone());
            assert_eq!(gt.az, zone, "zone of {}", t.id);
            // A drain sends back exactly what was described.
            assert_eq!(
                gt.registration,
                target_ref(&seeded, &tg.name, t.name.as_deref().unwrap_or(&t.id)).registration,
                "registration of {}",
                t.id
            );
        }
    }
    // Load from CloudWatch: the seeded HealthyHostCount of the member group (the stopped
    // instance not counted).
    let member = view
        .load_balancers
        .iter()
        .flat_map(|l| &l.target_groups)
        .find(|g| g.name == "trace-member-tg")
        .expect("member group");
    let healthy = seeded
        .metrics_matching(
            "HealthyHostCount",
            &[(
                "TargetGroup",
                seeded
                    .target_group("trace-member-tg")
                    .metric_dimension
                    .as_str(),
            )],
        )
        .first()
        .map(|m| m.per_minute);
    assert_eq!(member.metrics.and_then(|m| m.healthy_hosts), healthy);
    let stopped = seeded.instance("trace-member-03");
    let t = view
        .load_balancers
        .iter()
        .flat_map(|l| &l.target_groups)
        .flat_map(|g| &g.targets)
        .find(|t| t.id == stopped.id)
        .expect("stopped instance's target");
    assert_eq!(
        (t.state, t.reason.as_deref()),
        (TargetState::Unused, Some("Target.InvalidState"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rule_with_its_action_and_blocked_count() {
    let (_moto, seeded, session) = seeded().await;
    let before = chrono::Utc::now();
    let view = session.sources.waf.fetch().await.expect("waf");
    let after = chrono::Utc::now();
    // The console's window ends with the minute under way; seeded points that fell out of it
    // (the clock may have passed a minute since seeding) are not expected.
    let points = |now: chrono::DateTime<chrono::Utc>| {
        let window_start = chrono::DateTime::from_timestamp(now.timestamp() / 60 * 60, 0)
            .expect("minute")
            - chrono::Duration::minutes(14);
        let first = seeded.metrics_start.max(window_start);
        ((seeded.metrics_end - first).num_minutes().max(0)) as u64
    };
    let expected = |per_minute: u64| [points(before) * per_minute, points(after) * per_minute];
    for acl in &seeded.web_acls {
        let got = view
            .acls
            .iter()
            .find(|a| a.name == acl.name)
            .unwrap_or_else(|| panic!("web ACL {} missing", acl.name));
        let scope = if acl.scope == "CLOUDFRONT" {
            WafScope::Cloudfront
        } else {
            WafScope::Regional
        };
        assert_eq!(got.scope, scope);
        // The ACL's own row: CloudWatch's Rule=ALL, the default action's allowed requests
        // included (the rules' sum would leave them out).
        let totals = got.totals();
        assert!(
            expected(acl.all_per_minute.allowed).contains(&totals.allowed)
                && expected(acl.all_per_minute.blocked).contains(&totals.blocked),
            "totals of {}: {totals:?} (seeded {:?} per minute)",
            acl.name,
            acl.all_per_minute
        );
        let names: Vec<&str> = got.rules.iter().map(|r| r.name.as_str()).collect();
        let mut want: Vec<&SeededRuleRef> = acl.rules.iter().collect();
        want.sort_by_key(|r| r.priority);
        assert_eq!(
            names,
            want.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            "rule order of {}",
            acl.name
        );
        for rule in &acl.rules {
            let gr = got
                .rules
                .iter()
                .find(|r| r.name == rule.name)
                .expect("rule");
            match (&rule.action, &rule.override_action, &gr.kind) {
                (Some(a), None, RuleKind::Plain { action }) => assert_eq!(
                    action.as_str().to_uppercase(),
                    a.to_uppercase(),
                    "{}",
                    rule.name
                ),
                (
                    None,
                    Some(o),
                    RuleKind::Group {
                        override_action,
                        rule_overrides,
                        ..
                    },
                ) => {
                    let want = if o.eq_ignore_ascii_case("count") {
                        OverrideAction::Count
                    } else {
                        OverrideAction::None
                    };
                    assert_eq!(*override_action, want, "{}", rule.name);
                    let overrides: Vec<(String, String)> = rule_overrides
                        .iter()
                        .map(|o| (o.rule.clone(), o.action.as_str().to_uppercase()))
                        .collect();
                    let want: Vec<(String, String)> = rule
                        .rule_action_overrides
                        .iter()
                        .map(|(r, a)| (r.clone(), a.to_uppercase()))
                        .collect();
                    assert_eq!(overrides, want, "overrides of {}", rule.name);
                }
                other => panic!("rule {} has the wrong kind: {other:?}", rule.name),
            }
            let totals = gr.totals();
            assert!(
                expected(rule.per_minute.blocked).contains(&totals.blocked),
                "blocked count of {}: {} (seeded {} per minute)",
                rule.name,
                totals.blocked,
                rule.per_minute.blocked
            );
            assert!(
                expected(rule.per_minute.counted).contains(&totals.counted),
                "counted count of {}: {}",
                rule.name,
                totals.counted
            );
        }
    }
    let xmlrpc = view
        .acls
        .iter()
        .flat_map(|a| &a.rules)
        .find(|r| r.name == "block-xmlrpc")
        .expect("block-xmlrpc");
    assert_eq!(
        xmlrpc.kind,
        RuleKind::Plain {
            action: RuleAction::Block
        }
    );
    let seeded_xmlrpc = seeded.web_acl("hwi-web-acl").rule("block-xmlrpc");
    assert!(expected(seeded_xmlrpc.per_minute.blocked).contains(&xmlrpc.totals().blocked));
    assert!(xmlrpc.totals().blocked > 0);
}

type SeededRuleRef = support::seed::SeededRule;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_geo_record_with_its_location_and_answer_across_pages() {
    let (_moto, seeded, session) = seeded().await;
    let view = session.sources.dns.fetch().await.expect("dns");
    for zone in &seeded.zones {
        let got = view
            .zones
            .iter()
            .find(|z| z.name == zone.name)
            .unwrap_or_else(|| panic!("zone {} missing", zone.name));
        let count: usize = got.record_sets.iter().map(|s| s.records.len()).sum();
        assert_eq!(
            count, zone.total_record_sets,
            "records of {} (pagination)",
            zone.name
        );
        for (name, location, answers) in zone.geolocation_answers() {
            let set = got
                .record_sets
                .iter()
                .find(|s| s.name == name)
                .expect("geo set");
            let found = set.records.iter().any(|r| {
                let loc = r
                    .location
                    .as_ref()
                    .map(|l| match (&l.country, &l.continent) {
                        (Some(c), _) => c.clone(),
                        (None, Some(c)) => format!("continent:{c}"),
                        _ => String::new(),
                    });
                let answer = match &r.answer {
                    Answer::Values { values, .. } => values.clone(),
                    Answer::Alias { target, .. } => vec![target.clone()],
                };
                loc.as_deref() == Some(location.as_str()) && answer == answers
            });
            assert!(found, "{name} {location} → {answers:?} missing");
        }
    }
    let with_default = view
        .zones
        .iter()
        .flat_map(|z| &z.record_sets)
        .find(|s| s.name == "taltalsister.cf.")
        .expect("S4 set");
    assert!(!with_default.lacks_default_location());
    let without = view
        .zones
        .iter()
        .flat_map(|z| &z.record_sets)
        .find(|s| s.name == "proxy.example.net.")
        .expect("S5 set");
    assert!(without.lacks_default_location());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_instance_with_its_state() {
    let (_moto, seeded, session) = seeded().await;
    let view = session.sources.instances.fetch().await.expect("instances");
    assert_eq!(view.instances.len(), seeded.instances.len());
    for i in &seeded.instances {
        let got = view
            .instances
            .iter()
            .find(|x| x.id == i.id)
            .unwrap_or_else(|| panic!("{} missing", i.name));
        assert_eq!(got.name.as_deref(), Some(i.name.as_str()));
        assert_eq!(got.state, i.state, "{}", i.name);
        assert_eq!(got.az, i.az);
        assert_eq!(got.region, i.region);
        assert_eq!(got.private_ip.as_deref(), Some(i.private_ip.as_str()));
        let want = if i.state == "running" {
            CheckStatus::Ok
        } else {
            CheckStatus::NotApplicable
        };
        assert_eq!(got.instance_status, want, "{}", i.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caller_identity_names_the_account() {
    let (_moto, _seeded, session) = seeded().await;
    let id = session.sources.identity.fetch().await.expect("identity");
    assert_eq!(id.account.as_deref(), Some(support::seed::ACCOUNT));
}

/// One failing service leaves the others working: a stopped emulator makes fetches fail with a
/// network error, quickly, instead of hanging.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_endpoint_fails_fast_with_a_clear_error() {
    let (moto, _seeded, session) = seeded().await;
    drop(moto);
    let started = std::time::Instant::now();
    let err = session
        .sources
        .targets
        .fetch()
        .await
        .expect_err("emulator is gone");
    // Load balancers and target groups are read side by side: either names the failure.
    assert!(err.message.starts_with("elbv2 Describe"), "{err}");
    assert!(err.message.contains("connection"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

/// More than 500 metrics need more than one GetMetricData call, and every series comes back in
/// the order asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metric_queries_are_batched_by_500() {
    use aws_sdk_cloudwatch as cw;
    use opsconsole::source::aws::metrics::{self, MetricQuery};
    let moto = Moto::start();
    let client = cw::Client::new(&moto.sdk_config("us-east-1").await);
    let now = chrono::Utc::now();
    let minute = chrono::DateTime::from_timestamp(now.timestamp() / 60 * 60, 0).expect("minute");
    let rules: Vec<String> = (0..520).map(|i| format!("rule-{i:03}")).collect();
    // One datapoint per rule, value = its number, in the current minute.
    for chunk in rules.chunks(20) {
        let data: Vec<cw::types::MetricDatum> = chunk
            .iter()
            .map(|r| {
                cw::types::MetricDatum::builder()
                    .metric_name("BlockedRequests")
                    // Name order, as the console asks (moto compares dimension lists by order).
                    .dimensions(
                        cw::types::Dimension::builder()
                            .name("Rule")
                            .value(r)
                            .build(),
                    )
                    .dimensions(
                        cw::types::Dimension::builder()
                            .name("WebACL")
                            .value("big")
                            .build(),
                    )
                    .timestamp(aws_smithy_types::DateTime::from_secs(
                        minute.timestamp() + 5,
                    ))
                    .value(r[5..].parse::<f64>().expect("number"))
                    .build()
            })
            .collect();
        client
            .put_metric_data()
            .namespace("AWS/WAFV2")
            .set_metric_data(Some(data))
            .send()
            .await
            .expect("PutMetricData");
    }
    let queries: Vec<MetricQuery> = rules
        .iter()
        .map(|r| MetricQuery {
            namespace: "AWS/WAFV2",
            metric: "BlockedRequests",
            dimensions: vec![("WebACL", "big".to_string()), ("Rule", r.clone())],
            stat: "Sum",
        })
        .collect();
    let end = minute + chrono::Duration::minutes(1);
    let series = metrics::fetch(
        &client,
        &queries,
        end - chrono::Duration::minutes(15),
        end,
        60,
    )
    .await
    .expect("GetMetricData");
    assert_eq!(series.len(), 520);
    for (i, s) in series.iter().enumerate() {
        let total: f64 = s.iter().map(|(_, v)| v).sum();
        assert_eq!(total, i as f64, "series {i}");
    }
    // Counted on the wire: two calls of at most 500 queries (the strict layer refuses more,
    // as AWS does).
    let sizes = moto.strict.batch_sizes("GetMetricData");
    assert_eq!(sizes.len(), 2, "{sizes:?}");
    assert!(sizes.iter().all(|n| *n <= 500), "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), 520, "{sizes:?}");
}

/// The snapshot of the seeded stacks lists their real problems at the top, and its JSON passes
/// the schema.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_snapshot_of_the_seeded_stacks_lists_their_problems_first() {
    let (_moto, _seeded, session) = seeded().await;
    let options = support::snapshot_options();
    let collected = opsconsole::snapshot::collect(&session, &options).await;
    let texts: Vec<String> = collected
        .problems
        .iter()
        .map(|p| format!("{} {}", p.subject, p.text))
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("trace-member-03") && t.contains("not running")),
        "{texts:#?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("proxy.example.net. A no default (*) record")),
        "{texts:#?}"
    );
    let md = opsconsole::snapshot::render(
        &collected,
        opsconsole::snapshot::Format::Md,
        chrono::Utc::now(),
    );
    let problems = md.find("## Problems").expect("problems section");
    assert!(
        problems < md.find("## Targets").expect("targets"),
        "problems first"
    );
    assert!(
        md.contains("- Account: 123456789012"),
        "account id in the header"
    );
}

/// The console counts its own requests (`S`, `--snapshot --stats`): a second WAF refresh with
/// unchanged lock tokens reads no web ACL again, and metrics go at most 500 to a call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_calls_are_counted_and_a_steady_refresh_rereads_no_acl() {
    let (_moto, seeded, session) = seeded().await;
    let stats = session
        .stats
        .clone()
        .expect("an AWS session counts its calls");
    let calls = |op: &str| stats.report().calls_to(op);
    session.sources.targets.fetch().await.expect("targets");
    session.sources.waf.fetch().await.expect("waf");
    session.sources.instances.fetch().await.expect("instances");
    assert!(calls("DescribeLoadBalancers") >= REGIONS.len() as u64);
    assert!(calls("DescribeInstances") >= REGIONS.len() as u64);
    let acls_read = calls("GetWebACL");
    assert_eq!(acls_read, seeded.web_acls.len() as u64, "one read per ACL");
    let metric_calls = calls("GetMetricData");
    assert!(metric_calls >= 1);
    let report = stats.report();
    assert!(report.metrics_requested > 0);
    assert!(report.metrics_requested <= 500 * metric_calls);

    session.sources.waf.fetch().await.expect("waf again");
    assert_eq!(
        calls("GetWebACL"),
        acls_read,
        "lock tokens unchanged: no re-read"
    );
    assert!(calls("ListWebACLs") > 0);
    assert_eq!(
        calls("GetMetricData"),
        metric_calls,
        "counts are read once per metrics interval, not per refresh"
    );
    let text = stats.report().to_text();
    assert!(
        text.contains("GetMetricData") && text.contains("a month"),
        "{text}"
    );
}

/// The console reads instance descriptions only when the status listing changes (or every
/// `DESCRIPTIONS_KEPT_FOR` refreshes); status checks on every refresh. A stopped instance
/// shows as stopped on the next refresh, a renamed one within the kept refreshes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_descriptions_are_reread_only_when_the_listing_changes() {
    let (moto, seeded, session) = seeded().await;
    let stats = session.stats.clone().expect("counted");
    let calls = |op: &str| stats.report().calls_to(op);
    let regions = REGIONS.len() as u64;
    let first = session.sources.instances.fetch().await.expect("instances");
    assert_eq!(calls("DescribeInstances"), regions);
    let second = session.sources.instances.fetch().await.expect("again");
    assert_eq!(first, second, "nothing changed, nothing differs");
    assert_eq!(calls("DescribeInstances"), regions, "descriptions kept");
    assert_eq!(
        calls("DescribeInstanceStatus"),
        2 * regions,
        "checks read each time"
    );

    // Another hand stops a running instance and renames another.
    let running = seeded
        .instances
        .iter()
        .find(|i| i.state == "running")
        .expect("a running instance");
    let ec2 = aws_sdk_ec2::Client::new(&moto.sdk_config(&running.region).await);
    ec2.stop_instances()
        .instance_ids(&running.id)
        .send()
        .await
        .expect("stop");
    let renamed = seeded
        .instances
        .iter()
        .find(|i| i.id != running.id)
        .expect("another instance");
    let ec2 = aws_sdk_ec2::Client::new(&moto.sdk_config(&renamed.region).await);
    ec2.create_tags()
        .resources(&renamed.id)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("Name")
                .value("renamed-by-hand")
                .build(),
        )
        .send()
        .await
        .expect("rename");

    let third = session.sources.instances.fetch().await.expect("third");
    let stopped = third
        .instances
        .iter()
        .find(|i| i.id == running.id)
        .expect("still listed");
    assert_eq!(
        stopped.state, "stopped",
        "a changed listing re-reads at once"
    );
    assert_eq!(stopped.instance_status, CheckStatus::NotApplicable);
    assert!(calls("DescribeInstances") > regions);

    // The rename changes no state: it shows once the kept descriptions are read again.
    let name_of = |view: &opsconsole::model::InstancesView| {
        view.instances
            .iter()
            .find(|i| i.id == renamed.id)
            .and_then(|i| i.name.clone())
    };
    let mut refreshes = 0;
    let mut view = third;
    while name_of(&view).as_deref() != Some("renamed-by-hand") {
        refreshes += 1;
        assert!(
            refreshes <= aws::DESCRIPTIONS_KEPT_FOR,
            "rename not shown after {refreshes} refreshes"
        );
        view = session.sources.instances.fetch().await.expect("refresh");
    }
}

/// `DescribeInstances` is read a page of 100 at a time (so a large estate's descriptions are
/// never all decoded at once): every instance of a region with more than a page is listed.
/// (moto pages by reservation, so each instance is launched on its own.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_estate_larger_than_a_page_is_listed_whole() {
    const LAUNCHED: usize = 130;
    let moto = Moto::start();
    let region = REGIONS[1];
    let ec2 = aws_sdk_ec2::Client::new(&moto.sdk_config(region).await);
    for _ in 0..LAUNCHED {
        ec2.run_instances()
            .image_id(support::seed::AMI)
            .min_count(1)
            .max_count(1)
            .send()
            .await
            .expect("RunInstances");
    }
    let session = aws::connect(&AwsOptions {
        regions: vec![region.to_string()],
        ..support::console_options(&moto.endpoint, true)
    })
    .await
    .expect("connect");
    let view = session.sources.instances.fetch().await.expect("instances");
    let mut ids: Vec<&str> = view.instances.iter().map(|i| i.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), LAUNCHED, "each instance once");
    let describes = session
        .stats
        .expect("counted")
        .report()
        .calls_to("DescribeInstances");
    assert_eq!(describes, 2, "pages of 100");
}

/// However the instances were launched, no `DescribeInstances` answer holds more than 100 of
/// them: 130 launched by one `RunInstances` (one reservation, which the emulator counts as one
/// item of `MaxResults`, as a page of 100 would have held all of them) are described by id in
/// two calls, and every one is listed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_reservation_larger_than_a_page_is_described_in_parts() {
    const LAUNCHED: i32 = 130;
    let moto = Moto::start();
    let region = REGIONS[1];
    let ec2 = aws_sdk_ec2::Client::new(&moto.sdk_config(region).await);
    ec2.run_instances()
        .image_id(support::seed::AMI)
        .min_count(LAUNCHED)
        .max_count(LAUNCHED)
        .send()
        .await
        .expect("RunInstances");
    let session = aws::connect(&AwsOptions {
        regions: vec![region.to_string()],
        ..support::console_options(&moto.endpoint, true)
    })
    .await
    .expect("connect");
    let view = session.sources.instances.fetch().await.expect("instances");
    let mut ids: Vec<&str> = view.instances.iter().map(|i| i.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), LAUNCHED as usize, "each instance once");
    let describes = session
        .stats
        .expect("counted")
        .report()
        .calls_to("DescribeInstances");
    assert_eq!(describes, 2, "at most 100 instances an answer");
}

/// One ALB with `targets` instance targets (`seed_lone_alb`) and a read-only console on it.
async fn lone_alb_console(name: &str, targets: usize) -> (Moto, support::seed::LoneAlb, Session) {
    let moto = Moto::start();
    let alb = support::seed::seed_lone_alb(&moto, &Moto::base_credentials(), name, targets).await;
    let session = aws::connect(&AwsOptions {
        regions: vec![alb.region.clone()],
        ..support::console_options(&moto.endpoint, true)
    })
    .await
    .expect("connect");
    (moto, alb, session)
}

/// Every target of the seeded group once, each with its subnet's zone: `seed_lone_alb` puts
/// instance k (from 1) in subnet (k - 1) % 2, zone a, then c.
fn assert_seeded_zones(
    view: &opsconsole::model::TargetsView,
    alb: &support::seed::LoneAlb,
    count: usize,
) {
    let targets: Vec<_> = view
        .load_balancers
        .iter()
        .flat_map(|lb| &lb.target_groups)
        .filter(|g| g.arn == alb.target_group_arn)
        .flat_map(|g| &g.targets)
        .collect();
    assert_eq!(targets.len(), count, "every target once");
    for t in targets {
        let k = alb
            .instances
            .iter()
            .position(|id| *id == t.id)
            .expect("a seeded instance");
        let zone = ["ap-northeast-1a", "ap-northeast-1c"][k % 2];
        assert_eq!(t.az.as_deref(), Some(zone), "zone of {}", t.id);
    }
}

/// The Targets panel learns its instance targets' zones from EC2 (ELBv2 describes them without
/// one) 100 ids a `DescribeInstances` call, so no answer holds more than 100 instances: 130
/// registered instances are looked up in two calls, and every target has its subnet's zone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_zones_of_many_instance_targets_are_looked_up_100_at_a_time() {
    const TARGETS: usize = 130;
    let (moto, alb, session) = lone_alb_console("zones", TARGETS).await;
    let view = session.sources.targets.fetch().await.expect("targets");
    assert_seeded_zones(&view, &alb, TARGETS);
    let sizes = moto.strict.batch_sizes("DescribeInstances");
    assert!(sizes.len() >= 2, "{sizes:?}");
    assert!(sizes.iter().all(|n| *n <= 100), "{sizes:?}");
    assert_eq!(
        sizes.iter().sum::<usize>(),
        TARGETS,
        "each id asked once: {sizes:?}"
    );
}

/// What the instances panel read spares the Targets panel a lookup: once every instance is
/// described, the targets' zones come without a `DescribeInstances` call of their own (in a
/// snapshot that call is the last round trip of the Targets panel's chain).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_targets_zones_come_from_the_instances_panel_when_it_read_them() {
    const TARGETS: usize = 12;
    let (moto, alb, session) = lone_alb_console("shared", TARGETS).await;
    session.sources.instances.fetch().await.expect("instances");
    let described = moto.strict.calls_to("DescribeInstances");
    let view = session.sources.targets.fetch().await.expect("targets");
    assert_eq!(
        moto.strict.calls_to("DescribeInstances"),
        described,
        "the Targets panel looked up zones the instances panel had read"
    );
    assert_seeded_zones(&view, &alb, TARGETS);
}
