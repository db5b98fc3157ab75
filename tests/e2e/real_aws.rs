//! States real accounts have and the emulator alone never produces, made through the strict AWS
//! layer (`support/strict.rs`) and shown as an operator must read them: a Lambda group with
//! health checks off, a group reached only by a listener rule, a live group with no target, a
//! terminated instance still registered, a completed maintenance event, a group deleted in the
//! middle of a refresh, a region an SCP denies; and drains that AWS accepts for targets whose
//! zone was never learned and for an ALB behind an NLB.

use crate::support;

use aws_sdk_elasticloadbalancingv2 as elb;
use elb::types::{Action, ActionTypeEnum, RuleCondition, TargetDescription, TargetTypeEnum};
use opsconsole::action::{Mutation, TargetRef};
use opsconsole::model::{TargetState, TargetsView};
use opsconsole::source::Session;
use opsconsole::source::aws;
use support::seed::{TOKYO, VIRGINIA};
use support::{InstanceEvent, Moto, Seeded, console_options, seed_scenarios};

async fn session(moto: &Moto, read_only: bool) -> Session {
    aws::connect(&console_options(&moto.endpoint, read_only))
        .await
        .expect("connect")
}

fn elb_client(conf: &aws_config::SdkConfig) -> elb::Client {
    elb::Client::new(conf)
}

/// The extra groups, attached to mt-alb's HTTPS listener by rules.
struct Extras {
    lambda_tg: String,
    terminated_id: String,
}

/// Adds to the seeded estate: a Lambda group (health checks off, AWS's default for Lambda), a
/// group holding only a stopped instance reached by a path rule, a group with no target reached
/// by a host rule, and a terminated instance left registered beside a running one.
async fn add_real_states(moto: &Moto, seeded: &Seeded) -> Extras {
    let conf = moto.sdk_config(TOKYO).await;
    let c = elb_client(&conf);
    let lb = seeded.load_balancer("mt-alb");
    let vpc = seeded
        .vpcs
        .iter()
        .find(|v| v.name == lb.vpc)
        .expect("mt-alb's vpc");
    let listener = &lb.listeners[0].arn;
    let group = |name: &str, kind: TargetTypeEnum| {
        let mut b = c.create_target_group().name(name).target_type(kind.clone());
        if kind != TargetTypeEnum::Lambda {
            b = b
                .protocol(elb::types::ProtocolEnum::Http)
                .port(80)
                .vpc_id(&vpc.id);
        }
        b
    };
    let arn = |out: elb::operation::create_target_group::CreateTargetGroupOutput| {
        out.target_groups()[0]
            .target_group_arn()
            .expect("group arn")
            .to_string()
    };
    let lambda_tg = arn(group("api-lambda-tg", TargetTypeEnum::Lambda)
        .send()
        .await
        .expect("lambda group"));
    let rule_tg = arn(group("mt-api-tg", TargetTypeEnum::Instance)
        .send()
        .await
        .expect("rule group"));
    let empty_tg = arn(group("mt-empty-tg", TargetTypeEnum::Instance)
        .send()
        .await
        .expect("empty group"));
    for (priority, field, value, tg) in [
        (10, "path-pattern", "/lambda/*", &lambda_tg),
        (20, "path-pattern", "/api/*", &rule_tg),
        (30, "host-header", "empty.example.jp", &empty_tg),
    ] {
        forward_rule(&c, listener, priority, field, value, tg).await;
    }
    // A Lambda target: its id is the function ARN, with no port and no zone.
    c.register_targets()
        .target_group_arn(&lambda_tg)
        .targets(
            TargetDescription::builder()
                .id("arn:aws:lambda:ap-northeast-1:123456789012:function:api")
                .build(),
        )
        .send()
        .await
        .expect("register lambda");
    // Two instances launched: one serves the /api/* rule alone and is then stopped (the group
    // has no healthy target); one is registered beside mt-web-01 in mt-web-tg and terminated.
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let run = ec2
        .run_instances()
        .image_id("ami-12345678")
        .min_count(2)
        .max_count(2)
        .subnet_id(&vpc.subnets[0].id)
        .send()
        .await
        .expect("run instances");
    let ids: Vec<String> = run
        .instances()
        .iter()
        .filter_map(|i| i.instance_id())
        .map(str::to_string)
        .collect();
    let (stopped, terminated_id) = (ids[0].clone(), ids[1].clone());
    for (tg, id) in [
        (rule_tg.as_str(), &stopped),
        (
            seeded.target_group("mt-web-tg").arn.as_str(),
            &terminated_id,
        ),
    ] {
        c.register_targets()
            .target_group_arn(tg)
            .targets(TargetDescription::builder().id(id).port(80).build())
            .send()
            .await
            .expect("register");
    }
    ec2.stop_instances()
        .instance_ids(&stopped)
        .send()
        .await
        .expect("stop");
    ec2.terminate_instances()
        .instance_ids(&terminated_id)
        .send()
        .await
        .expect("terminate");
    Extras {
        lambda_tg,
        terminated_id,
    }
}

fn group<'a>(view: &'a TargetsView, arn: &str) -> &'a opsconsole::model::TargetGroup {
    view.load_balancers
        .iter()
        .flat_map(|lb| &lb.target_groups)
        .find(|g| g.arn == arn)
        .unwrap_or_else(|| panic!("group {arn} not in the view"))
}

/// The estate with every real-account state, as the snapshot an operator pastes into an
/// incident shows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_of_real_account_states_tells_the_truth() {
    let moto = Moto::start();
    let seeded = seed_scenarios(&moto).await;
    let extras = add_real_states(&moto, &seeded).await;
    let web01 = seeded.instance("mt-web-01");
    let web02 = seeded.instance("mt-web-02");
    moto.strict.add_instance_event(InstanceEvent {
        instance_id: web01.id.clone(),
        code: "system-reboot".into(),
        description: "[Completed] scheduled reboot".into(),
        not_before: "2026-11-20T02:00:00.000Z".into(),
    });
    moto.strict.add_instance_event(InstanceEvent {
        instance_id: web02.id.clone(),
        code: "instance-retirement".into(),
        description: "The instance is running on degraded hardware".into(),
        not_before: "2030-01-10T02:00:00.000Z".into(),
    });
    let session = session(&moto, true).await;
    let view = session.sources.targets.fetch().await.expect("targets");

    // Lambda: no port, no zone, served unchecked.
    let lambda = group(&view, &extras.lambda_tg);
    assert_eq!(lambda.targets.len(), 1);
    let l = &lambda.targets[0];
    assert_eq!(l.state, TargetState::Unavailable);
    assert_eq!(l.reason.as_deref(), Some("Target.HealthCheckDisabled"));
    assert!(l.is_unchecked());
    assert_eq!(l.registration.port, None, "a Lambda target has no port");
    assert!(!lambda.health().is_down(), "{}", lambda.health().describe());

    // The terminated instance did not cost the other targets their zones.
    let web = group(&view, &seeded.target_group("mt-web-tg").arn);
    let zone_of = |id: &str| {
        web.targets
            .iter()
            .find(|t| t.id == id)
            .and_then(|t| t.az.clone())
    };
    assert_eq!(zone_of(&web01.id), Some(web01.az.clone()));
    assert_eq!(zone_of(&extras.terminated_id), None);

    let options = support::snapshot_options();
    let collected = opsconsole::snapshot::collect(&session, &options).await;
    let problems: Vec<String> = collected
        .problems
        .iter()
        .map(|p| format!("{} {} {}", p.severity.as_str(), p.subject, p.text))
        .collect();
    let about =
        |name: &str| -> Vec<&String> { problems.iter().filter(|p| p.contains(name)).collect() };
    assert!(
        about("api-lambda-tg").is_empty(),
        "a Lambda group with health checks off is no problem: {problems:#?}"
    );
    assert!(
        about("mt-api-tg")
            .iter()
            .any(|p| p.starts_with("DOWN") && p.contains("no healthy target")),
        "a group served by a path rule with no healthy target is DOWN: {problems:#?}"
    );
    assert!(
        about("mt-empty-tg")
            .iter()
            .any(|p| p.starts_with("DOWN") && p.contains("no target registered")),
        "a live group with no target is DOWN: {problems:#?}"
    );
    assert!(
        !problems.iter().any(|p| p.contains("Completed")),
        "a completed event is not upcoming: {problems:#?}"
    );
    let instances = collected.world.instances.value.as_ref().expect("instances");
    let events_of = |id: &str| {
        instances
            .instances
            .iter()
            .find(|i| i.id == id)
            .map(|i| i.events.len())
    };
    assert_eq!(events_of(&web01.id), Some(0), "completed event listed");
    assert_eq!(events_of(&web02.id), Some(1), "upcoming event missing");

    let md = opsconsole::snapshot::render(
        &collected,
        opsconsole::snapshot::Format::Md,
        chrono::Utc::now(),
    );
    assert!(md.contains("path /api/\\* → mt-api-tg"), "{md}");
    assert!(md.contains("host empty.example.jp → mt-empty-tg"), "{md}");
    assert!(!md.contains("| all"), "no made-up zone 'all': {md}");
}

/// A snapshot reads a load balancer's rules only where they can change whether a group serves:
/// mt-alb has groups reached by rules alone, so its rules are read; a load balancer whose every
/// group takes traffic by a default action costs no `DescribeRules` call, and its listeners say
/// their rules were not read. A console reads every listener's rules.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_reads_rules_only_where_they_decide_what_serves() {
    let moto = Moto::start();
    let seeded = seed_scenarios(&moto).await;
    add_real_states(&moto, &seeded).await;
    let mut options = console_options(&moto.endpoint, true);
    options.one_shot = true;
    let snapshot = aws::connect(&options).await.expect("connect");
    let before = moto.strict.calls_to("DescribeRules");
    let view = snapshot.sources.targets.fetch().await.expect("targets");
    let rules_calls = moto.strict.calls_to("DescribeRules") - before;

    let http = |l: &opsconsole::model::Listener| l.protocol == "HTTP" || l.protocol == "HTTPS";
    let served_by_defaults = |lb: &opsconsole::model::LoadBalancer| {
        lb.target_groups.iter().all(|g| {
            lb.listeners.iter().any(|l| {
                l.forwards
                    .iter()
                    .any(|f| f.target_group == g.name && f.weight.is_none_or(|w| w > 0))
            })
        })
    };
    let mt = view
        .load_balancers
        .iter()
        .find(|lb| lb.name == "mt-alb")
        .expect("mt-alb");
    assert!(
        !served_by_defaults(mt),
        "mt-alb has groups reached by rules alone"
    );
    let mt_rules: Vec<&str> = mt
        .listeners
        .iter()
        .flat_map(|l| l.rules.iter().flatten())
        .map(|r| r.conditions.as_str())
        .collect();
    assert!(mt_rules.contains(&"path /api/*"), "{mt_rules:?}");
    let mut read = 0;
    let mut unread = 0;
    for lb in &view.load_balancers {
        for l in lb.listeners.iter().filter(|l| http(l)) {
            if served_by_defaults(lb) {
                assert_eq!(l.rules, None, "{} {}: rules read", lb.name, l.port);
                assert!(
                    l.describe().ends_with("(rules not read)"),
                    "{}",
                    l.describe()
                );
                unread += 1;
            } else {
                assert!(l.rules.is_some(), "{} {}: rules not read", lb.name, l.port);
                read += 1;
            }
        }
        for l in lb.listeners.iter().filter(|l| !http(l)) {
            assert_eq!(
                l.rules,
                Some(vec![]),
                "{} {}: a TCP listener has none",
                lb.name,
                l.port
            );
        }
    }
    assert!(unread > 0, "no load balancer served by its defaults alone");
    assert_eq!(
        rules_calls, read,
        "one DescribeRules per listener read, none for the others"
    );

    // A console reads them all.
    let console = session(&moto, true).await;
    let view = console.sources.targets.fetch().await.expect("targets");
    for lb in &view.load_balancers {
        for l in &lb.listeners {
            assert!(
                l.rules.is_some(),
                "{} {}: a console reads every rule",
                lb.name,
                l.port
            );
        }
    }
}

/// mt-alb's HTTPS listener as a console's refresh shows it.
fn mt_https(view: &TargetsView) -> &opsconsole::model::Listener {
    view.load_balancers
        .iter()
        .find(|lb| lb.name == "mt-alb")
        .and_then(|lb| lb.listeners.iter().find(|l| l.protocol == "HTTPS"))
        .expect("mt-alb's HTTPS listener")
}

fn conditions(l: &opsconsole::model::Listener) -> Vec<&str> {
    l.rules
        .iter()
        .flatten()
        .map(|r| r.conditions.as_str())
        .collect()
}

/// A console lists each listener's rules when it first sees it, and then describes the rules
/// it found by ARN, 20 to a call, every refresh: a rule's new condition shows at the next
/// refresh. Which rules there are is listed again when one of them is gone, or when the groups
/// attached to the load balancer change; until then the listener says when they were listed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_lists_rules_once_and_then_describes_them_by_arn() {
    let moto = Moto::start();
    let seeded = seed_scenarios(&moto).await;
    add_real_states(&moto, &seeded).await;
    let conf = moto.sdk_config(TOKYO).await;
    let c = elb_client(&conf);
    let listener = seeded.load_balancer("mt-alb").listeners[0].arn.clone();
    let console = session(&moto, true).await;
    let refresh = || async {
        let before = moto.strict.calls_to("DescribeRules");
        let view = console.sources.targets.fetch().await.expect("targets");
        (view, moto.strict.calls_to("DescribeRules") - before)
    };

    let (view, calls) = refresh().await;
    let http: usize = view
        .load_balancers
        .iter()
        .flat_map(|lb| &lb.listeners)
        .filter(|l| l.protocol == "HTTP" || l.protocol == "HTTPS")
        .count();
    assert!(http > 1, "the scenarios have HTTP listeners: {http}");
    assert_eq!(
        calls, http,
        "the first refresh lists every HTTP(S) listener's rules"
    );
    assert!(conditions(mt_https(&view)).contains(&"path /api/*"));
    assert_eq!(mt_https(&view).rules_listed_at, None, "listed now");

    // The second: mt-alb's three rules in one call by ARN; listeners with only a default
    // rule cost nothing.
    let (view, calls) = refresh().await;
    assert_eq!(calls, 1, "one DescribeRules by ARN");
    let l = mt_https(&view);
    assert_eq!(
        conditions(l),
        vec!["path /lambda/*", "path /api/*", "host empty.example.jp"],
        "in priority order"
    );
    assert!(
        l.rules_listed_at.is_some(),
        "says when its rules were listed"
    );

    // What a rule says is read every refresh.
    let listed = c
        .describe_rules()
        .listener_arn(&listener)
        .send()
        .await
        .expect("rules");
    let arn_of = |priority: &str| {
        listed
            .rules()
            .iter()
            .find(|r| r.priority() == Some(priority))
            .and_then(|r| r.rule_arn())
            .expect("rule")
            .to_string()
    };
    c.modify_rule()
        .rule_arn(arn_of("20"))
        .conditions(
            RuleCondition::builder()
                .field("path-pattern")
                .values("/v2/api/*")
                .build(),
        )
        .send()
        .await
        .expect("modify rule");
    let (view, calls) = refresh().await;
    assert_eq!(calls, 1);
    assert!(conditions(mt_https(&view)).contains(&"path /v2/api/*"));

    // A rule added to a group already attached is found at the next listing; meanwhile the
    // listener says when its rules were listed.
    let api_tg = seeded_group_arn(&c, "mt-api-tg").await;
    forward_rule(&c, &listener, 40, "host-header", "new.example.jp", &api_tg).await;
    let (view, calls) = refresh().await;
    assert_eq!(calls, 1);
    assert!(!conditions(mt_https(&view)).contains(&"host new.example.jp"));
    assert!(mt_https(&view).rules_listed_at.is_some());

    // A rule gone: the call by ARN is refused (RuleNotFound) and the listener is listed again
    // in the same refresh, with the rule added meanwhile.
    c.delete_rule()
        .rule_arn(arn_of("20"))
        .send()
        .await
        .expect("delete rule");
    let (view, calls) = refresh().await;
    assert_eq!(calls, 2, "the refused call by ARN, then the listing");
    let l = mt_https(&view);
    assert_eq!(
        conditions(l),
        vec![
            "path /lambda/*",
            "host empty.example.jp",
            "host new.example.jp"
        ]
    );
    assert_eq!(l.rules_listed_at, None, "listed now");

    // A group attached by a new rule changes what the load balancer has attached: listed now.
    let new_tg = c
        .create_target_group()
        .name("mt-new-tg")
        .protocol(elb::types::ProtocolEnum::Http)
        .port(80)
        .vpc_id(
            &seeded
                .vpcs
                .iter()
                .find(|v| v.name == seeded.load_balancer("mt-alb").vpc)
                .expect("vpc")
                .id,
        )
        .send()
        .await
        .expect("new group");
    let new_tg = new_tg.target_groups()[0]
        .target_group_arn()
        .expect("arn")
        .to_string();
    forward_rule(&c, &listener, 50, "path-pattern", "/new/*", &new_tg).await;
    let (view, _) = refresh().await;
    let l = mt_https(&view);
    assert!(
        conditions(l).contains(&"path /new/*"),
        "{:?}",
        conditions(l)
    );
    assert_eq!(l.rules_listed_at, None, "listed now");
}

/// Adds a rule to `listener` that forwards requests whose `field` matches `value` to `group`.
async fn forward_rule(
    c: &elb::Client,
    listener: &str,
    priority: i32,
    field: &str,
    value: &str,
    group: &str,
) {
    c.create_rule()
        .listener_arn(listener)
        .priority(priority)
        .conditions(RuleCondition::builder().field(field).values(value).build())
        .actions(
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn(group)
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("rule {priority} ({field} {value}): {e:?}"));
}

async fn seeded_group_arn(c: &elb::Client, name: &str) -> String {
    c.describe_target_groups()
        .names(name)
        .send()
        .await
        .expect("group")
        .target_groups()[0]
        .target_group_arn()
        .expect("arn")
        .to_string()
}

/// A group deleted between the listing and its health read (every blue/green deployment) is
/// dropped from that refresh; everything else stands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_deleted_mid_refresh_is_dropped_and_the_rest_stands() {
    let moto = Moto::start();
    let seeded = seed_scenarios(&moto).await;
    let gone = seeded.target_group("hwi-tg2").arn.clone();
    moto.strict.vanish_target_group(&gone);
    let session = session(&moto, true).await;
    let view = session.sources.targets.fetch().await.expect("targets");
    let groups: Vec<&str> = view
        .load_balancers
        .iter()
        .flat_map(|lb| &lb.target_groups)
        .map(|g| g.name.as_str())
        .collect();
    assert!(!groups.contains(&"hwi-tg2"), "{groups:?}");
    assert!(groups.contains(&"hwi-tg1"), "{groups:?}");
    assert_eq!(groups.len(), seeded.target_groups.len() - 1, "{groups:?}");
    assert!(view.unreadable.is_empty(), "{:?}", view.unreadable);
}

/// A region an SCP denies shows as not read, with its error, beside the region that was read;
/// the WAF panel keeps the regions it could read when CloudFront's us-east-1 is denied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_region_is_its_own_error_beside_the_regions_that_were_read() {
    let moto = Moto::start();
    let seeded = seed_scenarios(&moto).await;
    moto.strict.deny_region(VIRGINIA);
    let session = session(&moto, true).await;
    let view = session.sources.targets.fetch().await.expect("targets");
    assert_eq!(view.unreadable.len(), 1, "{:?}", view.unreadable);
    assert_eq!(view.unreadable[0].place, VIRGINIA);
    assert!(view.unreadable[0].error.contains("AccessDenied"));
    assert_eq!(view.unreadable[0].data_from, None);
    assert!(
        view.load_balancers.iter().all(|lb| lb.region == TOKYO)
            && view.load_balancers.len() == seeded.load_balancers_in(TOKYO).len()
    );
    let waf = session.sources.waf.fetch().await.expect("waf");
    let places: Vec<&str> = waf.unreadable.iter().map(|u| u.place.as_str()).collect();
    assert!(places.contains(&VIRGINIA), "{places:?}");
    assert!(places.contains(&"CloudFront (us-east-1)"), "{places:?}");
    assert!(waf.acls.iter().any(|a| a.region == TOKYO));
    let instances = session.sources.instances.fetch().await.expect("instances");
    let places: Vec<&str> = instances
        .unreadable
        .iter()
        .map(|u| u.place.as_str())
        .collect();
    assert_eq!(places, [VIRGINIA]);
    assert!(
        !instances.instances.is_empty() && instances.instances.iter().all(|i| i.region == TOKYO)
    );

    let table = opsconsole::view::targets::table(&view, &Default::default());
    assert!(
        table.rows[0].cells[0].text.contains("us-east-1: not read")
            && table.rows[0].cells[1].text == "NO DATA",
        "the unreadable region leads the panel"
    );

    // Once the region answers again, its data comes back; when it fails after that, its last
    // data stays, with the time it was read.
    moto.strict.allow_region(VIRGINIA);
    let back = session.sources.targets.fetch().await.expect("targets");
    assert!(back.unreadable.is_empty(), "{:?}", back.unreadable);
    assert_eq!(back.load_balancers.len(), seeded.load_balancers.len());
    moto.strict.deny_region(VIRGINIA);
    let kept = session.sources.targets.fetch().await.expect("targets");
    assert_eq!(kept.load_balancers.len(), seeded.load_balancers.len());
    assert!(
        kept.unreadable[0].data_from.is_some(),
        "{:?}",
        kept.unreadable
    );
    let table = opsconsole::view::targets::table(&kept, &Default::default());
    assert_eq!(table.rows[0].cells[1].text, "STALE");
    assert!(table.rows[0].cells[2].text.contains("showing data from"));
}

/// Drains AWS accepts: an instance target whose zone the console never learned (no
/// `ec2:DescribeInstances`), and the ALB registered behind an NLB. The strict layer refuses a
/// zone for either, as AWS does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drains_aws_accepts_for_targets_whose_zone_was_never_learned() {
    let moto = Moto::start();
    let seeded = seed_scenarios(&moto).await;
    moto.strict.deny("DescribeInstances");
    let session = session(&moto, false).await;
    let executor = session.executor.clone().expect("a writable session");
    let view = session.sources.targets.fetch().await.expect("targets");
    let target = |group: &str, id: &str| -> TargetRef {
        for lb in &view.load_balancers {
            for tg in &lb.target_groups {
                if tg.name == group
                    && let Some(t) = tg.targets.iter().find(|t| t.id == id)
                {
                    return TargetRef::of(lb, tg, t);
                }
            }
        }
        panic!("{id} not in {group}")
    };
    let web01 = target("mt-web-tg", &seeded.instance("mt-web-01").id);
    assert_eq!(web01.az, None, "EC2 was denied: the zone is not known");
    let alb = target(
        "trace-handy-alb-tg",
        &seeded.load_balancer("trace-member-alb").arn,
    );
    assert_eq!(alb.az, None);
    for t in [web01, alb] {
        executor
            .execute(&Mutation::Drain { target: t.clone() })
            .await
            .unwrap_or_else(|e| panic!("drain {}: {}", t.id, e.message));
        executor
            .execute(&Mutation::Register { target: t.clone() })
            .await
            .unwrap_or_else(|e| panic!("register {}: {}", t.id, e.message));
    }
    assert_eq!(moto.strict.calls_to("DeregisterTargets"), 2);
    assert!(
        moto.strict.refusals().is_empty(),
        "{:?}",
        moto.strict.refusals()
    );
}

/// The layer itself: a target sent with a zone AWS refuses is refused with AWS's code, and the
/// console's own refusal check would catch it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_strict_layer_refuses_what_aws_refuses() {
    let moto = Moto::start();
    let seeded = seed_scenarios(&moto).await;
    let conf = moto.sdk_config(TOKYO).await;
    let c = elb_client(&conf);
    let tg = seeded.target_group("mt-web-tg");
    let err = c
        .deregister_targets()
        .target_group_arn(&tg.arn)
        .targets(
            TargetDescription::builder()
                .id(&tg.targets[0].id)
                .port(80)
                .availability_zone("all")
                .build(),
        )
        .send()
        .await
        .expect_err("AWS refuses a zone for an instance target");
    assert!(format!("{err:?}").contains("ValidationError"), "{err:?}");
    let err = c
        .describe_target_health()
        .target_group_arn(&tg.arn)
        .targets(
            TargetDescription::builder()
                .id(&tg.targets[0].id)
                .port(0)
                .build(),
        )
        .send()
        .await
        .expect_err("port 0 is out of range");
    assert!(format!("{err:?}").contains("ValidationError"), "{err:?}");
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let err = ec2
        .describe_instances()
        .instance_ids(&seeded.instance("mt-web-01").id)
        .instance_ids("i-0123456789abcdef0")
        .send()
        .await
        .expect_err("an unknown id fails the whole call");
    assert!(
        format!("{err:?}").contains("InvalidInstanceID.NotFound"),
        "{err:?}"
    );
    let refused: Vec<String> = moto
        .strict
        .take_refusals()
        .into_iter()
        .map(|r| format!("{} {}", r.operation, r.code))
        .collect();
    assert_eq!(
        refused,
        [
            "DeregisterTargets ValidationError",
            "DescribeTargetHealth ValidationError",
            "DescribeInstances InvalidInstanceID.NotFound"
        ]
    );
}

/// `--iam-policy` is generated from one list of operations: a whole session (every panel, a
/// rule's sampled requests), a drain and its undo and a WAF toggle and back, counted by the
/// console's own interceptor, send nothing outside it, and nothing that changes the world is in
/// the watching policy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_the_console_sends_is_in_its_iam_policy() {
    use opsconsole::model::{RuleAction, RuleKind};
    use opsconsole::source::aws::permissions::{Need, need_of};
    let moto = Moto::start();
    let seeded = seed_scenarios(&moto).await;
    let session = session(&moto, false).await;
    let s = &session.sources;
    s.identity.fetch().await.expect("identity");
    s.targets.fetch().await.expect("targets");
    let waf = s.waf.fetch().await.expect("waf");
    s.dns.fetch().await.expect("dns");
    s.instances.fetch().await.expect("instances");
    let acl = waf
        .acls
        .iter()
        .find(|a| a.name == "hwi-web-acl")
        .expect("hwi-web-acl");
    // The emulator does not serve GetSampledRequests; the request is sent and counted all the
    // same, which is what this test is about.
    let _ = s.samples.sampled_requests(&acl.id, "block-xmlrpc").await;
    let watched: Vec<(String, String)> = session
        .stats
        .as_ref()
        .expect("counted")
        .report()
        .calls
        .into_iter()
        .map(|(service, op, _)| (service, op))
        .collect();
    for (service, op) in &watched {
        assert_eq!(
            need_of(service, op),
            Some(Need::Watch),
            "{service} {op} was sent while watching: it must be in the watch policy"
        );
    }

    let exec = session.executor.clone().expect("writable");
    let t = support::target_ref(&seeded, "mt-web-tg", "mt-web-01");
    exec.execute(&Mutation::Drain { target: t.clone() })
        .await
        .expect("drain");
    exec.execute(&Mutation::Register { target: t })
        .await
        .expect("register");
    let r = support::rule_ref(&seeded, "hwi-web-acl", "block-xmlrpc");
    let (block, count) = (
        RuleKind::Plain {
            action: RuleAction::Block,
        },
        RuleKind::Plain {
            action: RuleAction::Count,
        },
    );
    for (from, to) in [(block.clone(), count.clone()), (count, block)] {
        exec.execute(&Mutation::SetRule {
            until: None,
            rule: r.clone(),
            from,
            to,
        })
        .await
        .expect("toggle");
    }
    let all = session.stats.as_ref().expect("counted").report().calls;
    let acted: Vec<String> = all
        .iter()
        .filter(|(service, op, _)| need_of(service, op) == Some(Need::Act))
        .map(|(_, op, _)| op.clone())
        .collect();
    for (service, op, _) in &all {
        assert!(
            need_of(service, op).is_some(),
            "{service} {op} is not in the generated policy"
        );
    }
    for op in ["DeregisterTargets", "RegisterTargets", "UpdateWebACL"] {
        assert!(acted.iter().any(|a| a == op), "{op} not counted: {all:?}");
    }
}

/// Route53 as AWS answers: a wildcard name comes back as `\052` (shown as `*`), an SOA value as
/// plain text (moto's Python rendering is reshaped by the strict layer, as AWS sends it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route53_names_and_soa_values_are_shown_as_operators_write_them() {
    use aws_sdk_route53 as r53;
    let moto = Moto::start();
    let seeded = seed_scenarios(&moto).await;
    let zone = seeded.zone("example.jp.");
    let r53 = r53::Client::new(&moto.sdk_config(VIRGINIA).await);
    r53.change_resource_record_sets()
        .hosted_zone_id(&zone.id)
        .change_batch(
            r53::types::ChangeBatch::builder()
                .changes(
                    r53::types::Change::builder()
                        .action(r53::types::ChangeAction::Create)
                        .resource_record_set(
                            r53::types::ResourceRecordSet::builder()
                                .name("*.example.jp.")
                                .r#type(r53::types::RrType::A)
                                .ttl(60)
                                .resource_records(
                                    r53::types::ResourceRecord::builder()
                                        .value("192.0.2.44")
                                        .build()
                                        .expect("value"),
                                )
                                .build()
                                .expect("record"),
                        )
                        .build()
                        .expect("change"),
                )
                .build()
                .expect("batch"),
        )
        .send()
        .await
        .expect("wildcard record");
    let session = session(&moto, true).await;
    let view = session.sources.dns.fetch().await.expect("dns");
    let z = view
        .zones
        .iter()
        .find(|z| z.name == "example.jp.")
        .expect("zone");
    assert!(
        z.record_sets.iter().any(|s| s.name == "*.example.jp."),
        "{:?}",
        z.record_sets.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    let soa = z
        .record_sets
        .iter()
        .find(|s| s.rtype == "SOA")
        .expect("SOA");
    let text = format!("{:?}", soa.records[0].answer);
    assert!(
        text.contains("hostmaster") && !text.contains("{'Value'"),
        "{text}"
    );
}
