//! Operator actions against the AWS emulator (moto), through the real SDK: drain and undo, WAF
//! rule toggles (plain rule and managed group) and back, optimistic locking, and the journal.

use crate::support;

use aws_sdk_wafv2 as waf;
use opsconsole::action::{Executor, JournalEntry, Mutation, RuleRef};
use opsconsole::model::{OverrideAction, RuleAction, RuleKind, TargetState, WafScope};
use opsconsole::source::Session;
use opsconsole::source::aws::{self, AwsExecutor};
use support::{Moto, Seeded, console_options, rule_ref, seed_scenarios, target_ref, target_state};

async fn writable() -> (Moto, Seeded, Session) {
    let moto = Moto::start();
    let seeded = seed_scenarios(&moto).await;
    let session = aws::connect(&console_options(&moto.endpoint, false))
        .await
        .expect("connect");
    (moto, seeded, session)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_and_undo() {
    let (_moto, seeded, session) = writable().await;
    let exec = session.executor.clone().expect("writable session");
    let target = target_ref(&seeded, "ha-web-tg", "ha-web-right");
    assert_eq!(
        target_state(&session, "ha-web-tg", &target.id).await,
        Some(TargetState::Healthy)
    );
    let done = exec
        .execute(&Mutation::Drain {
            target: target.clone(),
        })
        .await
        .expect("drain");
    assert!(done.message.contains("draining"), "{}", done.message);
    // The emulator deregisters at once (AWS would show `draining` for the delay first).
    let after = target_state(&session, "ha-web-tg", &target.id).await;
    assert!(
        matches!(
            after,
            None | Some(TargetState::Draining) | Some(TargetState::Unused)
        ),
        "{after:?}"
    );
    // The other target was not touched.
    let left = target_ref(&seeded, "ha-web-tg", "ha-web-left");
    assert_eq!(
        target_state(&session, "ha-web-tg", &left.id).await,
        Some(TargetState::Healthy)
    );
    exec.execute(&Mutation::Register {
        target: target.clone(),
    })
    .await
    .expect("register");
    assert_eq!(
        target_state(&session, "ha-web-tg", &target.id).await,
        Some(TargetState::Healthy)
    );
}

async fn read(moto: &Moto, r: &RuleRef) -> (waf::types::WebAcl, String) {
    let region = if r.scope == WafScope::Cloudfront {
        "us-east-1"
    } else {
        r.region.as_str()
    };
    let client = waf::Client::new(&moto.sdk_config(region).await);
    let scope = if r.scope == WafScope::Cloudfront {
        waf::types::Scope::Cloudfront
    } else {
        waf::types::Scope::Regional
    };
    let out = client
        .get_web_acl()
        .name(&r.acl_name)
        .id(&r.acl_id)
        .scope(scope)
        .send()
        .await
        .expect("GetWebACL");
    (out.web_acl.expect("acl"), out.lock_token.expect("token"))
}

/// Everything but the one rule's action/override is exactly as before.
fn assert_only_rule_changed(before: &waf::types::WebAcl, after: &waf::types::WebAcl, rule: &str) {
    let strip = |acl: &waf::types::WebAcl| {
        let mut acl = acl.clone();
        for r in acl.rules.iter_mut().flatten() {
            if r.name == rule {
                r.action = None;
                r.override_action = None;
            }
        }
        acl
    };
    assert_eq!(
        strip(before),
        strip(after),
        "fields other than {rule}'s action changed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_rule_to_count_and_back() {
    let (moto, seeded, session) = writable().await;
    let exec = session.executor.clone().expect("writable");
    let r = rule_ref(&seeded, "hwi-web-acl", "block-xmlrpc");
    let (original, _) = read(&moto, &r).await;
    let block = RuleKind::Plain {
        action: RuleAction::Block,
    };
    let count = RuleKind::Plain {
        action: RuleAction::Count,
    };
    exec.execute(&Mutation::SetRule {
        until: None,
        rule: r.clone(),
        from: block.clone(),
        to: count.clone(),
    })
    .await
    .expect("to count");
    let (counting, _) = read(&moto, &r).await;
    let rule = counting
        .rules()
        .iter()
        .find(|x| x.name == "block-xmlrpc")
        .expect("rule");
    assert!(rule.action().and_then(|a| a.count()).is_some(), "{rule:?}");
    assert_only_rule_changed(&original, &counting, "block-xmlrpc");
    exec.execute(&Mutation::SetRule {
        until: None,
        rule: r.clone(),
        from: count,
        to: block,
    })
    .await
    .expect("back");
    let (restored, _) = read(&moto, &r).await;
    assert_eq!(
        original.rules, restored.rules,
        "the rule is back exactly as it was"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_group_override_to_count_and_back() {
    let (moto, seeded, session) = writable().await;
    let exec = session.executor.clone().expect("writable");
    let r = rule_ref(&seeded, "hwi-web-acl", "AWS-AWSManagedRulesPHPRuleSet");
    let (original, _) = read(&moto, &r).await;
    let kind = |o| RuleKind::Group {
        group: "AWS/AWSManagedRulesPHPRuleSet".into(),
        override_action: o,
        rule_overrides: vec![],
    };
    let from = kind(OverrideAction::None);
    let to = kind(OverrideAction::Count);
    exec.execute(&Mutation::SetRule {
        until: None,
        rule: r.clone(),
        from: from.clone(),
        to: to.clone(),
    })
    .await
    .expect("to count");
    let (counting, _) = read(&moto, &r).await;
    let rule = counting
        .rules()
        .iter()
        .find(|x| x.name == r.rule)
        .expect("rule");
    assert!(
        rule.override_action().and_then(|o| o.count()).is_some(),
        "{rule:?}"
    );
    assert_only_rule_changed(&original, &counting, &r.rule);
    exec.execute(&Mutation::SetRule {
        until: None,
        rule: r.clone(),
        from: to,
        to: from,
    })
    .await
    .expect("back");
    let (restored, _) = read(&moto, &r).await;
    assert_eq!(original.rules, restored.rules);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_changed_by_someone_else_is_not_overwritten() {
    let moto = Moto::start();
    let seeded = seed_scenarios(&moto).await;
    // The executor's two halves, read and write, with someone else's edit in between.
    let exec = AwsExecutor::new(
        &[],
        &aws::for_region(
            &moto.sdk_config("us-east-1").await,
            "us-east-1",
            Default::default(),
        ),
    );
    let r = rule_ref(&seeded, "hwi-web-acl", "block-xmlrpc");
    // Our read...
    let ours = exec.read_acl(&r).await.expect("read");
    // ...someone else's edit in between (another rule to Count)...
    let (theirs, token) = read(&moto, &r).await;
    let changed = aws::with_rule_changed(
        theirs,
        "block-wp-admin-outside",
        &RuleKind::Plain {
            action: RuleAction::Count,
        },
        None,
    )
    .expect("their change");
    let client = waf::Client::new(&moto.sdk_config("us-east-1").await);
    client
        .update_web_acl()
        .name(&changed.name)
        .id(&changed.id)
        .scope(waf::types::Scope::Cloudfront)
        .set_default_action(changed.default_action.clone())
        .set_rules(changed.rules.clone())
        .set_visibility_config(changed.visibility_config.clone())
        .lock_token(token)
        .send()
        .await
        .expect("their update");
    // ...then our write with the stale token: refused, explained, nothing overwritten.
    let err = exec
        .write_rule(
            &r,
            ours,
            &RuleKind::Plain {
                action: RuleAction::Block,
            },
            &RuleKind::Plain {
                action: RuleAction::Count,
            },
        )
        .await
        .expect_err("stale lock token");
    assert!(
        err.message.contains("someone changed web ACL hwi-web-acl"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("block-wp-admin-outside"),
        "says what changed: {}",
        err.message
    );
    let (now, _) = read(&moto, &r).await;
    let their_rule = now
        .rules()
        .iter()
        .find(|x| x.name == "block-wp-admin-outside")
        .expect("rule");
    assert!(
        their_rule.action().and_then(|a| a.count()).is_some(),
        "their edit survived"
    );
    let ours_rule = now
        .rules()
        .iter()
        .find(|x| x.name == "block-xmlrpc")
        .expect("rule");
    assert!(
        ours_rule.action().and_then(|a| a.block()).is_some(),
        "our change was not applied"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_action_is_journaled_with_who_what_and_outcome() {
    let (_moto, seeded, session) = writable().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (exec, path) = support::journaled(&session, dir.path());
    let target = target_ref(&seeded, "ha-web-tg", "ha-web-right");
    exec.execute(&Mutation::Drain {
        target: target.clone(),
    })
    .await
    .expect("drain");
    // A mutation AWS refuses is journaled as failed.
    let mut bogus = target.clone();
    bogus.target_group_arn = bogus.target_group_arn.replace("ha-web-tg", "no-such-tg");
    exec.execute(&Mutation::Drain { target: bogus })
        .await
        .expect_err("unknown group");
    let entries: Vec<JournalEntry> = support::journal_entries(&path);
    let outcomes: Vec<&str> = entries.iter().map(|e| e.outcome.as_str()).collect();
    assert_eq!(outcomes, ["attempted", "done", "attempted", "failed"]);
    let done = &entries[1];
    assert_eq!(done.action, "drain");
    assert_eq!(done.region, "us-east-1");
    assert_eq!(done.account.as_deref(), Some(support::seed::ACCOUNT));
    assert!(
        done.caller_arn
            .as_deref()
            .is_some_and(|a| a.contains(support::seed::ACCOUNT))
    );
    assert!(done.resource.contains(&target.id) && done.resource.contains("ha-web-tg"));
    assert_eq!(
        (done.before.as_str(), done.after.as_str()),
        ("registered", "deregistered")
    );
    assert!(done.request_id.is_some(), "request id recorded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_sessions_have_no_executor() {
    let moto = Moto::start();
    let session = aws::connect(&console_options(&moto.endpoint, true))
        .await
        .expect("connect");
    assert!(session.executor.is_none());
}
