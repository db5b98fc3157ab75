//! The emulator harness works: `moto_server` starts, the S1–S5 estate is seeded into it, and
//! plain SDK calls (not the console's code) find what `Seeded` says is there.

use crate::support;

use aws_sdk_cloudwatch as cloudwatch;
use aws_sdk_ec2 as ec2;
use aws_sdk_elasticloadbalancingv2 as elbv2;
use aws_sdk_route53 as route53;
use aws_sdk_wafv2 as wafv2;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use support::seed::{FLEET_RECORDS, FLEET_ZONE, METRIC_MINUTES, TOKYO, VIRGINIA};
use support::{Moto, Seeded, seed_scenarios};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seeded_estate_is_visible_through_plain_sdk_calls() {
    let moto = Moto::start();
    let started = Instant::now();
    let seeded = seed_scenarios(&moto).await;
    eprintln!("seeding took {:?}", started.elapsed());

    check_load_balancers(&moto, &seeded).await;
    check_instances(&moto, &seeded).await;
    check_web_acls(&moto, &seeded).await;
    check_route53(&moto, &seeded).await;
    check_metrics(&moto, &seeded).await;
}

async fn check_load_balancers(moto: &Moto, seeded: &Seeded) {
    for region in [TOKYO, VIRGINIA] {
        let elb = elbv2::Client::new(&moto.sdk_config(region).await);
        let found: BTreeSet<String> = elb
            .describe_load_balancers()
            .send()
            .await
            .expect("DescribeLoadBalancers")
            .load_balancers()
            .iter()
            .filter_map(|lb| lb.load_balancer_name().map(str::to_string))
            .collect();
        let expected: BTreeSet<String> = seeded
            .load_balancers_in(region)
            .iter()
            .map(|lb| lb.name.clone())
            .collect();
        assert_eq!(found, expected, "load balancers in {region}");
    }
    let names = |region| -> BTreeSet<&str> {
        seeded
            .load_balancers_in(region)
            .iter()
            .map(|l| l.name.as_str())
            .collect()
    };
    assert_eq!(names(VIRGINIA), BTreeSet::from(["ha-lbext", "ha-lbint"]));
    assert_eq!(
        names(TOKYO),
        BTreeSet::from([
            "mt-alb",
            "trace-handy-nlb",
            "trace-member-alb",
            "hwi-alb",
            "reverseproxy-nlb"
        ])
    );

    let tokyo = elbv2::Client::new(&moto.sdk_config(TOKYO).await);
    // The stopped member is `unused`, the others healthy — as `Seeded` says.
    let tg = seeded.target_group("trace-member-tg");
    let health = tokyo
        .describe_target_health()
        .target_group_arn(&tg.arn)
        .send()
        .await
        .expect("DescribeTargetHealth trace-member-tg");
    let states: BTreeSet<(String, String, Option<String>)> = health
        .target_health_descriptions()
        .iter()
        .map(|d| {
            let h = d.target_health().expect("a target without health");
            (
                d.target()
                    .and_then(|t| t.id())
                    .unwrap_or_default()
                    .to_string(),
                h.state()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                h.reason().map(|r| r.as_str().to_string()),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String, Option<String>)> = tg
        .targets
        .iter()
        .map(|t| (t.id.clone(), t.state.clone(), t.reason.clone()))
        .collect();
    assert_eq!(states, expected);
    let stopped = seeded.instance("trace-member-03");
    assert!(states.contains(&(
        stopped.id.clone(),
        "unused".to_string(),
        Some("Target.InvalidState".to_string())
    )));

    // S4's blue/green listener forwards 100/0.
    let hwi = seeded.load_balancer("hwi-alb");
    let listeners = tokyo
        .describe_listeners()
        .load_balancer_arn(&hwi.arn)
        .send()
        .await
        .expect("DescribeListeners hwi-alb");
    let forward = listeners.listeners()[0].default_actions()[0]
        .forward_config()
        .expect("hwi-alb's listener has a weighted forward");
    let weights: Vec<(String, Option<i32>)> = forward
        .target_groups()
        .iter()
        .map(|t| {
            let arn = t.target_group_arn().unwrap_or_default();
            let tg = seeded
                .target_groups
                .iter()
                .find(|g| g.arn == arn)
                .expect("a seeded target group");
            (tg.name.clone(), t.weight())
        })
        .collect();
    assert_eq!(
        weights,
        vec![
            ("hwi-tg1".to_string(), Some(100)),
            ("hwi-tg2".to_string(), Some(0))
        ]
    );

    // S2's fast deregistration delay.
    let virginia = elbv2::Client::new(&moto.sdk_config(VIRGINIA).await);
    let attrs = virginia
        .describe_target_group_attributes()
        .target_group_arn(&seeded.target_group("ha-web-tg").arn)
        .send()
        .await
        .expect("DescribeTargetGroupAttributes ha-web-tg");
    let delay = attrs
        .attributes()
        .iter()
        .find(|a| a.key() == Some("deregistration_delay.timeout_seconds"))
        .and_then(|a| a.value());
    assert_eq!(delay, Some("30"));
}

async fn check_instances(moto: &Moto, seeded: &Seeded) {
    let ec2 = ec2::Client::new(&moto.sdk_config(TOKYO).await);
    let out = ec2
        .describe_instances()
        .send()
        .await
        .expect("DescribeInstances");
    let found: BTreeSet<(String, String, String)> = out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .map(|i| {
            let name = i
                .tags()
                .iter()
                .find(|t| t.key() == Some("Name"))
                .and_then(|t| t.value())
                .unwrap_or_default();
            let state = i
                .state()
                .and_then(|s| s.name())
                .map(|n| n.as_str().to_string())
                .unwrap_or_default();
            (
                i.instance_id().unwrap_or_default().to_string(),
                name.to_string(),
                state,
            )
        })
        .collect();
    let expected: BTreeSet<(String, String, String)> = seeded
        .instances
        .iter()
        .filter(|i| i.region == TOKYO)
        .map(|i| (i.id.clone(), i.name.clone(), i.state.clone()))
        .collect();
    assert_eq!(found, expected);
    assert_eq!(seeded.instance("trace-member-03").state, "stopped");
}

async fn check_web_acls(moto: &Moto, seeded: &Seeded) {
    use wafv2::types::Scope;
    let tokyo = wafv2::Client::new(&moto.sdk_config(TOKYO).await);
    let virginia = wafv2::Client::new(&moto.sdk_config(VIRGINIA).await);
    let list = |client: &wafv2::Client, scope: Scope| {
        let request = client.list_web_acls().scope(scope);
        async move {
            request
                .send()
                .await
                .expect("ListWebACLs")
                .web_acls()
                .iter()
                .filter_map(|a| a.name().map(str::to_string))
                .collect::<BTreeSet<String>>()
        }
    };
    assert_eq!(
        list(&tokyo, Scope::Regional).await,
        BTreeSet::from(["mt-web-acl".to_string(), "trace-member-acl".to_string()])
    );
    assert_eq!(
        list(&virginia, Scope::Cloudfront).await,
        BTreeSet::from(["hwi-web-acl".to_string()])
    );

    // Rules in priority order, with the seeded actions and metric names.
    let hwi = seeded.web_acl("hwi-web-acl");
    let got = virginia
        .get_web_acl()
        .name(&hwi.name)
        .id(&hwi.id)
        .scope(Scope::Cloudfront)
        .send()
        .await
        .expect("GetWebACL hwi-web-acl");
    let acl = got.web_acl().expect("GetWebACL returned no ACL");
    let rules: Vec<(String, i32, String)> = acl
        .rules()
        .iter()
        .map(|r| {
            (
                r.name().to_string(),
                r.priority(),
                r.visibility_config()
                    .map(|v| v.metric_name().to_string())
                    .unwrap_or_default(),
            )
        })
        .collect();
    let expected: Vec<(String, i32, String)> = hwi
        .rules
        .iter()
        .map(|r| (r.name.clone(), r.priority, r.metric_name.clone()))
        .collect();
    assert_eq!(rules, expected);
    let xmlrpc = acl
        .rules()
        .iter()
        .find(|r| r.name() == "block-xmlrpc")
        .expect("block-xmlrpc");
    assert!(xmlrpc.action().and_then(|a| a.block()).is_some());
    let search = xmlrpc
        .statement()
        .and_then(|s| s.byte_match_statement())
        .map(|b| b.search_string().as_ref().to_vec());
    assert_eq!(search.as_deref(), Some(&b"/xmlrpc.php"[..]));
    assert_eq!(hwi.rule("block-xmlrpc").in_window.blocked, 150);

    // S1's managed group that counts one rule, and the ACL's association with mt-alb.
    let mt = seeded.web_acl("mt-web-acl");
    let got = tokyo
        .get_web_acl()
        .name(&mt.name)
        .id(&mt.id)
        .scope(Scope::Regional)
        .send()
        .await
        .expect("GetWebACL mt-web-acl");
    let common = got
        .web_acl()
        .expect("GetWebACL returned no ACL")
        .rules()
        .iter()
        .find(|r| r.name() == "AWS-AWSManagedRulesCommonRuleSet")
        .expect("the common rule set reference");
    let overrides: Vec<&str> = common
        .statement()
        .and_then(|s| s.managed_rule_group_statement())
        .map(|m| m.rule_action_overrides().iter().map(|o| o.name()).collect())
        .unwrap_or_default();
    assert_eq!(overrides, vec!["SizeRestrictions_BODY"]);
    let for_alb = tokyo
        .get_web_acl_for_resource()
        .resource_arn(&seeded.load_balancer("mt-alb").arn)
        .send()
        .await
        .expect("GetWebACLForResource mt-alb");
    assert_eq!(
        for_alb.web_acl().map(|a| a.name()),
        Some("mt-web-acl"),
        "mt-alb is protected by mt-web-acl"
    );
}

async fn check_route53(moto: &Moto, seeded: &Seeded) {
    let r53 = route53::Client::new(&moto.sdk_config(VIRGINIA).await);
    let zones: BTreeSet<String> = r53
        .list_hosted_zones()
        .send()
        .await
        .expect("ListHostedZones")
        .hosted_zones()
        .iter()
        .map(|z| z.name().to_string())
        .collect();
    let expected: BTreeSet<String> = seeded.zones.iter().map(|z| z.name.clone()).collect();
    assert_eq!(zones, expected);

    // The big zone needs two pages; follow them, guarding against a page repeating.
    let fleet = seeded.zone(FLEET_ZONE);
    let mut start: Option<(String, route53::types::RrType)> = None;
    let mut pages = 0;
    let mut records = 0;
    let mut seen_starts = BTreeSet::new();
    loop {
        let mut request = r53.list_resource_record_sets().hosted_zone_id(&fleet.id);
        if let Some((name, rtype)) = &start {
            assert!(
                seen_starts.insert(format!("{name}/{rtype}")),
                "the same page came back twice"
            );
            request = request
                .start_record_name(name)
                .start_record_type(rtype.clone());
        }
        let page = request.send().await.expect("ListResourceRecordSets");
        pages += 1;
        records += page.resource_record_sets().len();
        if pages == 1 {
            assert!(
                page.is_truncated(),
                "the first page of {FLEET_ZONE} is truncated"
            );
        }
        if !page.is_truncated() {
            break;
        }
        start = Some((
            page.next_record_name().expect("NextRecordName").to_string(),
            page.next_record_type().expect("NextRecordType").clone(),
        ));
        assert!(pages < 10, "too many pages");
    }
    assert_eq!(pages, 2);
    assert_eq!(records, FLEET_RECORDS + 2);
    assert_eq!(records, fleet.total_record_sets);

    // S4's geolocation set: CN to the documentation address, a default `*`; S5's has no `*`.
    let tal = seeded.zone("taltalsister.cf.");
    let sets = r53
        .list_resource_record_sets()
        .hosted_zone_id(&tal.id)
        .send()
        .await
        .expect("ListResourceRecordSets taltalsister.cf.");
    let cn = sets
        .resource_record_sets()
        .iter()
        .find(|s| s.geo_location().and_then(|g| g.country_code()) == Some("CN"))
        .expect("a CN geolocation record");
    let values: Vec<&str> = cn.resource_records().iter().map(|r| r.value()).collect();
    assert_eq!(values, vec!["192.0.2.1"]);
    assert!(
        sets.resource_record_sets()
            .iter()
            .any(|s| s.geo_location().and_then(|g| g.country_code()) == Some("*")),
        "taltalsister.cf. has a default location"
    );
    assert!(tal.geolocation_answers().contains(&(
        "taltalsister.cf.".into(),
        "CN".into(),
        vec!["192.0.2.1".into()]
    )));
    let net = seeded.zone("example.net.");
    assert!(
        net.geolocation_answers()
            .iter()
            .all(|(_, location, _)| location != "*")
    );
    assert_eq!(seeded.health_checks.len(), 5);
}

async fn check_metrics(moto: &Moto, seeded: &Seeded) {
    use cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
    let query = |id: &str, m: &support::seed::SeededMetric| {
        // Name order, as seeded (moto compares dimension lists by order).
        let mut dimensions = m.dimensions.clone();
        dimensions.sort();
        MetricDataQuery::builder()
            .id(id)
            .metric_stat(
                MetricStat::builder()
                    .metric(
                        Metric::builder()
                            .namespace(&m.namespace)
                            .metric_name(&m.metric_name)
                            .set_dimensions(Some(
                                dimensions
                                    .iter()
                                    .map(|(k, v)| Dimension::builder().name(k).value(v).build())
                                    .collect(),
                            ))
                            .build(),
                    )
                    .period(60)
                    .stat(&m.stat)
                    .build(),
            )
            .build()
    };
    let start = cloudwatch::primitives::DateTime::from_secs(seeded.metrics_start.timestamp());
    let end = cloudwatch::primitives::DateTime::from_secs(seeded.metrics_end.timestamp());

    // S4's CloudFront ACL: metrics in us-east-1, dimensions WebACL and Rule.
    let xmlrpc = seeded.metrics_matching(
        "BlockedRequests",
        &[("WebACL", "hwi-web-acl"), ("Rule", "block-xmlrpc")],
    );
    assert_eq!(xmlrpc.len(), 1);
    // S1's regional ACL and the member ALB's healthy hosts (the stopped one not counted).
    let sqli = seeded.metrics_matching(
        "BlockedRequests",
        &[
            ("WebACL", "mt-web-acl"),
            ("Region", TOKYO),
            ("Rule", "AWS-AWSManagedRulesSQLiRuleSet"),
        ],
    );
    assert_eq!(sqli.len(), 1);
    let member_tg = &seeded.target_group("trace-member-tg").metric_dimension;
    let healthy = seeded.metrics_matching("HealthyHostCount", &[("TargetGroup", member_tg)]);
    assert_eq!(healthy.len(), 1);
    assert_eq!(healthy[0].per_minute, 2.0);

    for (region, queries, expected_sums) in [
        (
            VIRGINIA,
            vec![query("xmlrpc", xmlrpc[0])],
            vec![("xmlrpc", 150.0)],
        ),
        (
            TOKYO,
            vec![query("sqli", sqli[0]), query("healthy", healthy[0])],
            vec![("sqli", 5.0 * f64::from(METRIC_MINUTES)), ("healthy", 30.0)],
        ),
    ] {
        let cw = cloudwatch::Client::new(&moto.sdk_config(region).await);
        let out = cw
            .get_metric_data()
            .set_metric_data_queries(Some(queries))
            .start_time(start)
            .end_time(end)
            .send()
            .await
            .expect("GetMetricData");
        for (id, sum) in expected_sums {
            let result = out
                .metric_data_results()
                .iter()
                .find(|r| r.id() == Some(id))
                .unwrap_or_else(|| panic!("no result {id} in {region}"));
            assert_eq!(
                result.values().len(),
                METRIC_MINUTES as usize,
                "{id}: one value per minute"
            );
            assert_eq!(
                result.values().iter().sum::<f64>(),
                sum,
                "{id} over the window"
            );
        }
    }
    assert_eq!(
        seeded
            .web_acl("hwi-web-acl")
            .rule("block-xmlrpc")
            .in_window
            .blocked,
        150
    );
}

/// Each `Moto` is its own world, and dropping it stops the process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emulators_are_isolated_and_stop_on_drop() {
    let a = Moto::start();
    let b = Moto::start();
    assert_ne!(a.endpoint, b.endpoint);
    let in_a = ec2::Client::new(&a.sdk_config(TOKYO).await);
    let in_b = ec2::Client::new(&b.sdk_config(TOKYO).await);
    in_a.create_vpc()
        .cidr_block("10.99.0.0/16")
        .send()
        .await
        .expect("CreateVpc");
    let cidrs = |out: ec2::operation::describe_vpcs::DescribeVpcsOutput| -> Vec<String> {
        out.vpcs()
            .iter()
            .filter_map(|v| v.cidr_block().map(str::to_string))
            .collect()
    };
    let seen_a = cidrs(in_a.describe_vpcs().send().await.expect("DescribeVpcs a"));
    let seen_b = cidrs(in_b.describe_vpcs().send().await.expect("DescribeVpcs b"));
    assert!(seen_a.contains(&"10.99.0.0/16".to_string()));
    assert!(!seen_b.contains(&"10.99.0.0/16".to_string()));

    a.reset();
    let after_reset = cidrs(in_a.describe_vpcs().send().await.expect("DescribeVpcs a"));
    assert!(!after_reset.contains(&"10.99.0.0/16".to_string()));

    let port = b.emulator_port;
    drop(b);
    let refused = std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(500),
    );
    assert!(refused.is_err(), "the emulator still answers after drop");
}
