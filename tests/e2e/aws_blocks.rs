//! Blocking a client address against the AWS emulator (moto), through the real SDK: from a
//! sampled request and from a log line, through the console's keys; only the IP set's
//! `Addresses` change; a concurrent change is not overwritten; an expired block is removed by
//! the next console; a timed Count is restored, and not over someone else's change.

use crate::support;

use aws_sdk_wafv2 as waf;
use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsconsole::action::pending::{PENDING_FILE, run_due};
use opsconsole::action::{Executor, IpSetRef, Mutation, PendingStore, RuleRef, Scheduled};
use opsconsole::app::{App, Data, Effect, Event, Overlay};
use opsconsole::config::settings::Blocklist;
use opsconsole::config::{Keymap, Settings};
use opsconsole::model::{
    LogEntry, PanelId, RuleAction, RuleKind, RuleSamples, SampledRequest, WafScope, WafView,
};
use opsconsole::source::aws::{self, AwsExecutor};
use opsconsole::source::{LogBatch, Session};
use std::sync::Arc;
use support::{Moto, console_options, seed};

const ACL: &str = "edge-acl";
const SET: &str = "edge-blocked";
const DESCRIPTION: &str = "Addresses blocked by on-call";
const OFFICE_RANGE: &str = "192.0.2.0/24";

struct Estate {
    client: waf::Client,
    set_id: String,
    set_arn: String,
    acl_id: String,
}

fn scope() -> waf::types::Scope {
    waf::types::Scope::Regional
}

use support::seed::visibility;

/// An IP set holding one range, and a web ACL whose Block rule references it, beside a Block
/// rule with a custom response (what a timed Count must put back exactly).
async fn estate(moto: &Moto) -> Estate {
    let client = waf::Client::new(&moto.sdk_config(seed::TOKYO).await);
    let set = client
        .create_ip_set()
        .name(SET)
        .scope(scope())
        .description(DESCRIPTION)
        .ip_address_version(waf::types::IpAddressVersion::Ipv4)
        .addresses(OFFICE_RANGE)
        .send()
        .await
        .expect("CreateIPSet")
        .summary
        .expect("summary");
    let set_arn = set.arn.expect("arn");
    let reference = waf::types::Statement::builder()
        .ip_set_reference_statement(
            waf::types::IpSetReferenceStatement::builder()
                .arn(&set_arn)
                .build()
                .expect("reference"),
        )
        .build();
    let block = waf::types::RuleAction::builder()
        .block(waf::types::BlockAction::builder().build())
        .build();
    let custom_block = waf::types::RuleAction::builder()
        .block(
            waf::types::BlockAction::builder()
                .custom_response(
                    waf::types::CustomResponse::builder()
                        .response_code(429)
                        .build()
                        .expect("custom response"),
                )
                .build(),
        )
        .build();
    let path = waf::types::Statement::builder()
        .byte_match_statement(
            waf::types::ByteMatchStatement::builder()
                .search_string(aws_smithy_types::Blob::new("/xmlrpc.php"))
                .field_to_match(
                    waf::types::FieldToMatch::builder()
                        .uri_path(waf::types::UriPath::builder().build())
                        .build(),
                )
                .text_transformations(
                    waf::types::TextTransformation::builder()
                        .priority(0)
                        .r#type(waf::types::TextTransformationType::None)
                        .build()
                        .expect("transformation"),
                )
                .positional_constraint(waf::types::PositionalConstraint::Contains)
                .build()
                .expect("byte match"),
        )
        .build();
    let rule = |name: &str, priority, statement, action| {
        waf::types::Rule::builder()
            .name(name)
            .priority(priority)
            .statement(statement)
            .action(action)
            .visibility_config(visibility(name))
            .build()
            .expect("rule")
    };
    let acl = client
        .create_web_acl()
        .name(ACL)
        .scope(scope())
        .default_action(
            waf::types::DefaultAction::builder()
                .allow(waf::types::AllowAction::builder().build())
                .build(),
        )
        .rules(rule("block-listed", 0, reference, block))
        .rules(rule("block-xmlrpc", 1, path, custom_block))
        .visibility_config(visibility(ACL))
        .send()
        .await
        .expect("CreateWebACL")
        .summary
        .expect("summary");
    Estate {
        client,
        set_id: set.id.expect("id"),
        set_arn,
        acl_id: acl.id.expect("acl id"),
    }
}

async fn console(moto: &Moto) -> Session {
    console_keeping(moto, None).await
}

/// A console keeping the rules' original actions in `originals` (as in the state directory).
async fn console_keeping(moto: &Moto, originals: Option<&std::path::Path>) -> Session {
    aws::connect(&aws::AwsOptions {
        originals_file: originals.map(std::path::Path::to_path_buf),
        regions: vec![seed::TOKYO.to_string()],
        blocklists: vec![Blocklist {
            web_acl: ACL.to_string(),
            ip_set: SET.to_string(),
            scope: WafScope::Regional,
            region: None,
        }],
        ..console_options(&moto.endpoint, false)
    })
    .await
    .expect("connect")
}

/// The set's (description, addresses, name) as the emulator holds them.
async fn set_now(e: &Estate) -> (Option<String>, Vec<String>, String) {
    let out = e
        .client
        .get_ip_set()
        .scope(scope())
        .name(SET)
        .id(&e.set_id)
        .send()
        .await
        .expect("GetIPSet");
    let s = out.ip_set.expect("set");
    (s.description, s.addresses, s.name)
}

fn set_ref(e: &Estate) -> IpSetRef {
    IpSetRef {
        account: None,
        region: seed::TOKYO.to_string(),
        scope: WafScope::Regional,
        name: SET.to_string(),
        id: e.set_id.clone(),
        arn: e.set_arn.clone(),
        web_acl: ACL.to_string(),
    }
}

fn key(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

/// A console that has read the WAF panel as the emulator has it.
async fn app_with(session: &Session) -> (App, WafView) {
    let view = session.sources.waf.fetch().await.expect("waf");
    let mut settings = Settings::default();
    settings.waf.never_block = vec!["203.0.113.0/24".parse().expect("cidr")];
    let mut app = App::new(
        session.sources.scope.clone(),
        Keymap::builtin("default").expect("keymap"),
        &settings,
        false,
        Utc::now(),
    );
    app.update(Event::Resize(160, 45));
    app.update(Event::Data(Data::Waf(Utc::now(), Ok(view.clone()))));
    (app, view)
}

/// Presses `y` on the open confirmation; the mutation it asks the runtime to execute.
fn confirm(app: &mut App) -> Mutation {
    assert!(
        matches!(app.overlay, Some(Overlay::Confirm(_))),
        "no confirmation: {:?} / {:?}",
        app.overlay,
        app.status
    );
    let effects = app.update(key('y'));
    match effects.as_slice() {
        [Effect::Execute(m)] => m.clone(),
        other => panic!("expected one Execute, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_from_a_sample_and_a_log_line_change_only_the_addresses() {
    let moto = Moto::start();
    let e = estate(&moto).await;
    let session = console(&moto).await;
    let exec = session.executor.clone().expect("writable");
    let (mut app, view) = app_with(&session).await;
    // What the console read: the set, and the rule that blocks with it.
    assert_eq!(view.ip_sets.len(), 1, "{:?}", view.unreadable);
    assert_eq!(view.ip_sets[0].addresses, [OFFICE_RANGE]);
    let acl = view.acls.iter().find(|a| a.name == ACL).expect("acl");
    assert_eq!(acl.rules[0].ip_sets, std::slice::from_ref(&e.set_arn));
    assert!(acl.rules[1].ip_sets.is_empty());

    // From a log line in seed S5's format: the proxy-protocol address, never the balancer's.
    app.update(Event::Data(Data::Logs(
        Utc::now(),
        LogBatch {
            source: "proxy-1".into(),
            entries: vec![LogEntry::Line {
                received_at: Utc::now(),
                text: "198.51.100.9:40000 10.0.1.17:51234 - [26/Nov/2026:10:00:00 +0000] \"GET /v4/ws/usdt HTTP/1.1\" 200 2676 \"-\" \"Go-http-client/1.1\" 443".into(),
            }],
            waiting: None,
        },
    )));
    app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('5'),
        KeyModifiers::NONE,
    )));
    assert_eq!(app.focus, PanelId::Logs);
    app.update(key('b'));
    let m = confirm(&mut app);
    let Mutation::Block { address, until, .. } = &m else {
        panic!("{m:?}")
    };
    assert_eq!(address, "198.51.100.9/32");
    // The dialog's default lifetime is an hour.
    let left = until.expect("timed") - Utc::now();
    assert!((3500..=3600).contains(&left.num_seconds()), "{left:?}");
    exec.execute(&m).await.expect("block from a log line");
    let (description, addresses, name) = set_now(&e).await;
    assert_eq!(
        description.as_deref(),
        Some(DESCRIPTION),
        "description kept"
    );
    assert_eq!(name, SET);
    assert_eq!(addresses, [OFFICE_RANGE, "198.51.100.9/32"]);
    // The panel refreshes after a change, as the console does: the set is read again.
    let fresh = session.sources.waf.fetch().await.expect("waf");
    assert_eq!(
        fresh.ip_sets[0].addresses.len(),
        2,
        "re-read after its change"
    );
    app.update(Event::Data(Data::Waf(Utc::now(), Ok(fresh))));

    // From a sampled request of the rule: `w` lists the clients, `b` blocks the first.
    app.update(key('2'));
    while app.selected_rule().map(|(_, r)| r.name.as_str()) != Some("block-xmlrpc") {
        app.update(Event::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)));
        let rules = app.panels.get(PanelId::Waf).unwrap();
        assert!(rules.selected < 20, "rule row not found");
    }
    let sample = |ip: &str, country: &str| SampledRequest {
        time: Utc::now(),
        client_ip: ip.into(),
        country: country.into(),
        method: "POST".into(),
        uri: "/xmlrpc.php".into(),
        action: "BLOCK".into(),
        headers: vec![],
        weight: 1,
    };
    app.update(Event::Data(Data::Samples(
        Utc::now(),
        Ok(RuleSamples {
            acl_id: e.acl_id.clone(),
            rule: "block-xmlrpc".into(),
            requests: vec![
                sample("198.51.100.77", "RU"),
                sample("198.51.100.77", "RU"),
                sample("192.0.2.145", "BR"),
            ],
            window: None,
            population: None,
        }),
    )));
    app.update(key('w'));
    assert!(matches!(app.overlay, Some(Overlay::Talkers(_))));
    app.update(key('b'));
    let Some(Overlay::Confirm(c)) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    let said = c.details.join("\n");
    assert!(said.contains("country RU"), "{said}");
    assert!(said.contains("Made 2 of the 3 sampled requests"), "{said}");
    assert!(said.contains("2 of 10000 addresses"), "{said}");
    assert!(said.contains("its rule block-listed blocks"), "{said}");
    // Until removed: the fourth choice.
    app.update(key('4'));
    let m = confirm(&mut app);
    assert_eq!(m.until(), None);
    exec.execute(&m).await.expect("block from a sample");
    let (description, addresses, _) = set_now(&e).await;
    assert_eq!(description.as_deref(), Some(DESCRIPTION));
    assert_eq!(
        addresses,
        [OFFICE_RANGE, "198.51.100.9/32", "198.51.100.77/32"]
    );
    // Blocking it again is refused by AWS's state, not sent twice.
    let again = exec.execute(&m).await.expect_err("already blocked");
    assert!(again.moot, "{}", again.message);
    assert_eq!(
        moto.strict.calls_to("UpdateIPSet"),
        2,
        "one write for each block, none for the one refused"
    );
    support::assert_in_the_iam_policy(&session);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_block_ranges_vpc_ranges_and_sets_no_rule_uses_are_refused() {
    let moto = Moto::start();
    let e = estate(&moto).await;
    // A VPC on a publicly routable range (AWS allows it): its addresses are ours.
    aws_sdk_ec2::Client::new(&moto.sdk_config(seed::TOKYO).await)
        .create_vpc()
        .cidr_block("198.51.100.128/25")
        .send()
        .await
        .expect("CreateVpc");
    let session = console(&moto).await;
    let (mut app, mut view) = app_with(&session).await;
    let line = |text: &str| {
        Event::Data(Data::Logs(
            Utc::now(),
            LogBatch {
                source: "web".into(),
                entries: vec![LogEntry::Line {
                    received_at: Utc::now(),
                    text: text.into(),
                }],
                waiting: None,
            },
        ))
    };
    // What the console asks the runtime to write: nothing, for any key pressed here.
    let writes = |effects: Vec<Effect>| -> Vec<Effect> {
        effects
            .into_iter()
            .filter(|e| matches!(e, Effect::Execute(_)))
            .collect()
    };
    app.update(key('5'));
    for (client, why) in [
        ("203.0.113.10", "never_block"),
        ("10.0.20.15", "internal address"),
        ("198.51.100.200", "198.51.100.128/25, the range of VPC vpc-"),
    ] {
        app.update(line(&format!(
            "{client} - - [26/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1"
        )));
        assert_eq!(writes(app.update(key('b'))), [], "{client}");
        let Some(Overlay::Notice { text, .. }) = &app.overlay else {
            panic!("{client}: {:?}", app.overlay)
        };
        assert!(text.contains(why), "{client}: {text}");
        assert_eq!(writes(app.update(key('y'))), [], "{client}");
        assert!(app.overlay.is_none());
    }
    // The same set, no longer referenced by a Block rule: adding to it would block nothing.
    for acl in &mut view.acls {
        for r in &mut acl.rules {
            r.ip_sets.clear();
        }
    }
    app.update(Event::Data(Data::Waf(Utc::now(), Ok(view))));
    app.update(line(
        "198.51.100.9 - - [26/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1",
    ));
    assert_eq!(writes(app.update(key('b'))), []);
    let Some(Overlay::Notice { text, .. }) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    assert!(text.contains("no Block rule of web ACL edge-acl"), "{text}");
    assert_eq!(writes(app.update(key('y'))), []);
    assert_eq!(set_now(&e).await.1, [OFFICE_RANGE], "nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_between_read_and_write_is_not_overwritten() {
    let moto = Moto::start();
    let e = estate(&moto).await;
    // The executor's two halves, read and write, with someone else's edit in between.
    let tokyo = aws::for_region(
        &moto.sdk_config(seed::TOKYO).await,
        seed::TOKYO,
        Default::default(),
    );
    let exec = AwsExecutor::new(std::slice::from_ref(&tokyo), &tokyo);
    let r = set_ref(&e);
    let read = exec.read_ip_set(&r).await.expect("read");
    // Someone else adds an address with the token we also hold.
    e.client
        .update_ip_set()
        .scope(scope())
        .name(SET)
        .id(&e.set_id)
        .description(DESCRIPTION)
        .addresses(OFFICE_RANGE)
        .addresses("198.51.100.1/32")
        .lock_token(&read.lock_token)
        .send()
        .await
        .expect("their update");
    let failed = exec
        .write_ip_set(&r, read, "203.0.113.50/32", true)
        .await
        .expect_err("stale token");
    assert!(
        failed
            .message
            .contains("someone changed IP set edge-blocked")
            && failed.message.contains("+198.51.100.1/32"),
        "{}",
        failed.message
    );
    assert_eq!(
        set_now(&e).await.1,
        [OFFICE_RANGE, "198.51.100.1/32"],
        "theirs stands, ours not written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_blocks_and_timed_counts_are_undone_by_the_next_console() {
    let moto = Moto::start();
    let e = estate(&moto).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(PendingStore::new(&dir.path().join(PENDING_FILE)));
    let originals = dir.path().join(aws::originals::ORIGINALS_FILE);
    let past = Utc::now() - chrono::Duration::seconds(5);
    let rule = |name: &str| RuleRef {
        account: None,
        region: seed::TOKYO.to_string(),
        scope: WafScope::Regional,
        acl_name: ACL.to_string(),
        acl_id: e.acl_id.clone(),
        rule: name.to_string(),
    };
    let block = RuleKind::Plain {
        action: RuleAction::Block,
    };
    let count = RuleKind::Plain {
        action: RuleAction::Count,
    };
    {
        // The first console blocks for a while and counts two rules for a while, then quits.
        let session = console_keeping(&moto, Some(&originals)).await;
        let exec = Scheduled::new(session.executor.clone().expect("writable"), store.clone());
        exec.execute(&Mutation::Block {
            set: set_ref(&e),
            address: "198.51.100.9/32".into(),
            until: Some(past),
        })
        .await
        .expect("block");
        exec.execute(&Mutation::SetRule {
            rule: rule("block-listed"),
            from: block.clone(),
            to: count.clone(),
            until: Some(past),
        })
        .await
        .expect("count");
        exec.execute(&Mutation::SetRule {
            rule: rule("block-xmlrpc"),
            from: block.clone(),
            to: count.clone(),
            until: Some(past),
        })
        .await
        .expect("count");
        assert_eq!(store.load().await.expect("pending").len(), 3);
    }
    // What is to expire happened: the address is in the set, both rules count.
    assert_eq!(
        set_now(&e).await.1,
        [OFFICE_RANGE, "198.51.100.9/32"],
        "the block landed"
    );
    assert_eq!(
        rule_actions(&e).await,
        [
            ("block-listed".to_string(), "Count".to_string()),
            ("block-xmlrpc".to_string(), "Count".to_string())
        ],
        "the counts landed"
    );
    // Meanwhile someone sets block-listed to Allow: its restore must not overwrite that.
    let got = e
        .client
        .get_web_acl()
        .scope(scope())
        .name(ACL)
        .id(&e.acl_id)
        .send()
        .await
        .expect("GetWebACL");
    let mut acl = got.web_acl.expect("acl");
    for r in acl.rules.iter_mut().flatten() {
        if r.name == "block-listed" {
            r.action = Some(
                waf::types::RuleAction::builder()
                    .allow(waf::types::AllowAction::builder().build())
                    .build(),
            );
        }
    }
    e.client
        .update_web_acl()
        .scope(scope())
        .name(ACL)
        .id(&e.acl_id)
        .set_default_action(acl.default_action)
        .set_rules(acl.rules)
        .set_visibility_config(acl.visibility_config)
        .lock_token(got.lock_token.expect("token"))
        .send()
        .await
        .expect("their change");

    // The next console starts after the expiries: it carries them out, journaled, and puts
    // back block-xmlrpc's custom response from what the first console kept.
    let session = console_keeping(&moto, Some(&originals)).await;
    let (journaled, journal) = support::journaled(&session, dir.path());
    let (outcomes, left) = run_due(&store, &journaled, Utc::now()).await.expect("run");
    assert!(left.pending.is_empty(), "done or given up: {left:?}");
    assert_eq!(outcomes.len(), 3, "{outcomes:?}");
    assert_eq!(set_now(&e).await.1, [OFFICE_RANGE], "the block expired");
    let view = session.sources.waf.fetch().await.expect("waf");
    let kinds: Vec<(String, String)> = view
        .acls
        .iter()
        .flat_map(|a| &a.rules)
        .map(|r| (r.name.clone(), r.kind.describe()))
        .collect();
    assert!(
        kinds.contains(&("block-xmlrpc".into(), "Block".into())),
        "restored: {kinds:?}"
    );
    assert_eq!(custom_response(&e).await, Some(429), "exactly as it was");
    assert!(
        kinds.contains(&("block-listed".into(), "Allow".into())),
        "someone else's change stands: {kinds:?}"
    );
    let refused = outcomes
        .iter()
        .find(|(m, _)| matches!(m, Mutation::SetRule { rule, .. } if rule.rule == "block-listed"))
        .expect("outcome");
    assert!(
        refused
            .1
            .as_ref()
            .is_err_and(|e| e.contains("changed meanwhile")),
        "{refused:?}"
    );
    let entries = support::journal_entries(&journal);
    let journaled: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e.action.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        journaled,
        [
            ("unblock", "attempted"),
            ("unblock", "done"),
            ("set-rule", "attempted"),
            ("set-rule", "failed"),
            ("set-rule", "attempted"),
            ("set-rule", "done"),
        ]
    );
    support::assert_in_the_iam_policy(&session);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_count_puts_back_the_exact_action_in_the_same_console() {
    let moto = Moto::start();
    let e = estate(&moto).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(PendingStore::new(&dir.path().join(PENDING_FILE)));
    let session = console(&moto).await;
    let exec = Scheduled::new(session.executor.clone().expect("writable"), store.clone());
    exec.execute(&Mutation::SetRule {
        rule: RuleRef {
            account: None,
            region: seed::TOKYO.to_string(),
            scope: WafScope::Regional,
            acl_name: ACL.to_string(),
            acl_id: e.acl_id.clone(),
            rule: "block-xmlrpc".into(),
        },
        from: RuleKind::Plain {
            action: RuleAction::Block,
        },
        to: RuleKind::Plain {
            action: RuleAction::Count,
        },
        until: Some(Utc::now() - chrono::Duration::seconds(1)),
    })
    .await
    .expect("count");
    let (outcomes, _) = run_due(&store, &exec, Utc::now()).await.expect("run");
    assert!(outcomes[0].1.is_ok(), "{outcomes:?}");
    assert_eq!(custom_response(&e).await, Some(429), "exactly as it was");
}

/// Each rule's action as the emulator holds it, by name.
async fn rule_actions(e: &Estate) -> Vec<(String, String)> {
    let acl = e
        .client
        .get_web_acl()
        .scope(scope())
        .name(ACL)
        .id(&e.acl_id)
        .send()
        .await
        .expect("GetWebACL")
        .web_acl
        .expect("acl");
    acl.rules()
        .iter()
        .map(|r| {
            let action = r.action.as_ref();
            let name = if action.is_some_and(|a| a.count().is_some()) {
                "Count"
            } else if action.is_some_and(|a| a.block().is_some()) {
                "Block"
            } else if action.is_some_and(|a| a.allow().is_some()) {
                "Allow"
            } else {
                "other"
            };
            (r.name.clone(), name.to_string())
        })
        .collect()
}

/// block-xmlrpc's custom response code, as the emulator holds the rule.
async fn custom_response(e: &Estate) -> Option<i32> {
    let acl = e
        .client
        .get_web_acl()
        .scope(scope())
        .name(ACL)
        .id(&e.acl_id)
        .send()
        .await
        .expect("GetWebACL")
        .web_acl
        .expect("acl");
    let action = acl
        .rules()
        .iter()
        .find(|r| r.name == "block-xmlrpc")
        .and_then(|r| r.action.clone())
        .expect("action");
    action
        .block()
        .and_then(|b| b.custom_response())
        .map(|c| c.response_code())
}

/// The console as it runs with write access: every block checked again by the guard (its
/// WAF source read once, so our own ranges are known), every timed change's undo kept in the
/// store, everything journaled in `dir`.
async fn guarded_console(
    session: &Session,
    store: &Arc<PendingStore>,
    dir: &std::path::Path,
) -> (opsconsole::action::Journaled, std::path::PathBuf) {
    let office = vec!["203.0.113.0/24".parse().expect("cidr")];
    let guarded = opsconsole::action::guard::guarded(session.clone(), office);
    guarded.sources.waf.fetch().await.expect("waf");
    let scheduled = Arc::new(Scheduled::new(
        guarded.executor.clone().expect("writable"),
        store.clone(),
    ));
    let path = dir.join("journal.jsonl");
    let journal = Arc::new(opsconsole::action::Journal::open(&path).expect("journal"));
    (
        opsconsole::action::Journaled::new(scheduled, journal, session.sources.identity.clone()),
        path,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_office_address_written_as_mapped_ipv6_is_never_blocked() {
    let moto = Moto::start();
    let e = estate(&moto).await;
    let session = console(&moto).await;
    // never_block = ["203.0.113.0/24"]; dual-stack nginx logs the IPv4 client mapped.
    let (mut app, _) = app_with(&session).await;
    app.update(Event::Data(Data::Logs(
        Utc::now(),
        LogBatch {
            source: "web-1".into(),
            entries: vec![LogEntry::Line {
                received_at: Utc::now(),
                text: "::ffff:203.0.113.10 - - [26/Nov/2026:10:00:00 +0000] \"POST /wp-login.php HTTP/1.1\" 200 512 \"-\" \"curl\"".into(),
            }],
            waiting: None,
        },
    )));
    app.update(key('5'));
    let effects = app.update(key('b'));
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Execute(_))),
        "{effects:?}"
    );
    let Some(Overlay::Notice { text, .. }) = &app.overlay else {
        panic!("not refused: {:?}", app.overlay)
    };
    assert!(
        text.contains("203.0.113.10 is inside 203.0.113.0/24"),
        "{text}"
    );
    // Nor can the address, or a range, reach the set another way: the executor checks again.
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(PendingStore::new(&dir.path().join(PENDING_FILE)));
    let (exec, journal) = guarded_console(&session, &store, dir.path()).await;
    for address in ["::ffff:203.0.113.10/128", "203.0.113.10/32", "0.0.0.0/1"] {
        let m = Mutation::Block {
            set: set_ref(&e),
            address: address.into(),
            until: None,
        };
        let refused = exec.execute(&m).await.expect_err(address);
        assert!(
            refused.message.starts_with("not done"),
            "{}",
            refused.message
        );
    }
    assert_eq!(set_now(&e).await.1, [OFFICE_RANGE], "nothing written");
    // Each refusal is on the record.
    let outcomes: Vec<String> = support::journal_entries(&journal)
        .into_iter()
        .map(|j| j.outcome)
        .collect();
    assert_eq!(outcomes.iter().filter(|o| *o == "failed").count(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_written_entry_that_is_not_an_undo_is_refused_and_kept() {
    let moto = Moto::start();
    let e = estate(&moto).await;
    let session = console(&moto).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(PENDING_FILE);
    let set = serde_json::to_value(set_ref(&e)).expect("json");
    let planted = serde_json::json!([
        {"due": "2026-01-01T00:00:00Z", "of": "planted",
         "undo": {"action": "block", "set": set, "address": "0.0.0.0/1"}},
        {"due": "2026-01-01T00:00:00Z", "of": "planted",
         "undo": {"action": "set-rule",
                  "rule": {"region": seed::TOKYO, "scope": "REGIONAL", "acl_name": ACL,
                           "acl_id": e.acl_id, "rule": "block-listed"},
                  "from": {"kind": "plain", "action": "block"},
                  "to": {"kind": "plain", "action": "count"}}},
    ]);
    std::fs::write(&path, planted.to_string()).expect("plant");
    let store = Arc::new(PendingStore::new(&path));
    let (exec, journal) = guarded_console(&session, &store, dir.path()).await;
    let (outcomes, listing) = run_due(&store, &exec, Utc::now()).await.expect("run");
    assert!(outcomes.is_empty(), "carried out: {outcomes:?}");
    assert_eq!(listing.refused.len(), 2, "{listing:?}");
    assert!(listing.pending.is_empty());
    assert_eq!(set_now(&e).await.1, [OFFICE_RANGE], "nothing written");
    let view = session.sources.waf.fetch().await.expect("waf");
    let listed = view.acls[0].rules.iter().find(|r| r.name == "block-listed");
    assert_eq!(listed.map(|r| r.kind.describe()), Some("Block".to_string()));
    assert!(support::journal_entries(&journal).is_empty());
    // Kept visible: a problem on every console, and still in the file.
    let (mut app, _) = app_with(&session).await;
    app.update(Event::Pending(listing));
    let refused = app
        .problems
        .iter()
        .filter(|p| p.text.contains("refused, never carried out"))
        .count();
    assert_eq!(refused, 2, "{:?}", app.problems);
    let kept: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("file")).expect("json");
    assert_eq!(kept.as_array().map(Vec::len), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_block_of_the_same_address_is_not_removed_by_an_old_expiry() {
    let moto = Moto::start();
    let e = estate(&moto).await;
    let session = console(&moto).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(PendingStore::new(&dir.path().join(PENDING_FILE)));
    let (exec, _) = guarded_console(&session, &store, dir.path()).await;
    let block = |until| Mutation::Block {
        set: set_ref(&e),
        address: "198.51.100.9/32".into(),
        until,
    };
    let soon = Utc::now() + chrono::Duration::minutes(15);
    exec.execute(&block(Some(soon)))
        .await
        .expect("block for 15 m");
    assert_eq!(store.load().await.expect("pending").len(), 1);
    // Removed outside the console, then blocked again until removed.
    remove_outside(&e, "198.51.100.9/32").await;
    exec.execute(&block(None))
        .await
        .expect("block until removed");
    assert!(
        store.load().await.expect("pending").is_empty(),
        "old expiry kept"
    );
    let later = soon + chrono::Duration::minutes(5);
    let (outcomes, _) = run_due(&store, &exec, later).await.expect("run");
    assert!(outcomes.is_empty(), "{outcomes:?}");
    assert_eq!(set_now(&e).await.1, [OFFICE_RANGE, "198.51.100.9/32"]);
}

/// Someone removes `address` from the set with the AWS CLI.
async fn remove_outside(e: &Estate, address: &str) {
    let got = e
        .client
        .get_ip_set()
        .scope(scope())
        .name(SET)
        .id(&e.set_id)
        .send()
        .await
        .expect("GetIPSet");
    let set = got.ip_set.expect("set");
    e.client
        .update_ip_set()
        .scope(scope())
        .name(SET)
        .id(&e.set_id)
        .set_description(set.description)
        .set_addresses(Some(
            set.addresses.into_iter().filter(|a| a != address).collect(),
        ))
        .lock_token(got.lock_token.expect("token"))
        .send()
        .await
        .expect("their removal");
}

/// Someone deletes the IP set (its rule first, as WAF requires).
async fn delete_set_outside(e: &Estate) {
    let got = e
        .client
        .get_web_acl()
        .scope(scope())
        .name(ACL)
        .id(&e.acl_id)
        .send()
        .await
        .expect("GetWebACL");
    let acl = got.web_acl.expect("acl");
    let rules = acl.rules.unwrap_or_default();
    e.client
        .update_web_acl()
        .scope(scope())
        .name(ACL)
        .id(&e.acl_id)
        .set_default_action(acl.default_action)
        .set_rules(Some(
            rules
                .into_iter()
                .filter(|r| r.name != "block-listed")
                .collect(),
        ))
        .set_visibility_config(acl.visibility_config)
        .lock_token(got.lock_token.expect("token"))
        .send()
        .await
        .expect("rule removed");
    let token = e
        .client
        .get_ip_set()
        .scope(scope())
        .name(SET)
        .id(&e.set_id)
        .send()
        .await
        .expect("GetIPSet")
        .lock_token
        .expect("token");
    e.client
        .delete_ip_set()
        .scope(scope())
        .name(SET)
        .id(&e.set_id)
        .lock_token(token)
        .send()
        .await
        .expect("DeleteIPSet");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_undo_of_a_deleted_set_fails_once_for_good_then_is_quiet() {
    let moto = Moto::start();
    let e = estate(&moto).await;
    let session = console(&moto).await;
    let root = tempfile::tempdir().expect("tempdir");
    // A state directory that does not exist yet, as on a first start.
    let dir = root.path().join("state");
    let store = Arc::new(PendingStore::new(&dir.join(PENDING_FILE)));
    let (exec, journal) = guarded_console(&session, &store, &dir).await;
    let due = Utc::now() + chrono::Duration::minutes(15);
    exec.execute(&Mutation::Block {
        set: set_ref(&e),
        address: "198.51.100.9/32".into(),
        until: Some(due),
    })
    .await
    .expect("block");
    delete_set_outside(&e).await;
    // Its time comes: one attempt, failed for good; an hour of checks later, still one.
    let (outcomes, listing) = run_due(&store, &exec, due).await.expect("run");
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    assert!(listing.pending[0].failed_for_good.is_some(), "{listing:?}");
    for minutes in (1..=60).step_by(5) {
        let at = due + chrono::Duration::minutes(minutes);
        let (again, _) = run_due(&store, &exec, at).await.expect("run");
        assert!(again.is_empty(), "retried at +{minutes} m: {again:?}");
    }
    let unblocks: Vec<String> = support::journal_entries(&journal)
        .into_iter()
        .filter(|j| j.action == "unblock")
        .map(|j| j.outcome)
        .collect();
    assert_eq!(unblocks, ["attempted", "failed"]);
    // The console hears of it in the footer and the problems, never in a dialog.
    let (mut app, _) = app_with(&session).await;
    app.update(key('2'));
    let Some((mutation, result)) = outcomes.into_iter().next() else {
        panic!("no outcome")
    };
    app.update(Event::Undone {
        mutation,
        at: Utc::now(),
        result,
    });
    assert!(app.overlay.is_none(), "{:?}", app.overlay);
    app.update(Event::Pending(listing));
    let i = app
        .problems
        .iter()
        .position(|p| p.text.contains("failed for good"))
        .expect("a problem");
    // Dismissed from `p` with x.
    app.update(key('p'));
    for _ in 0..i {
        app.update(Event::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)));
    }
    let effects = app.update(key('x'));
    let [Effect::DismissUndo(undo)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(store.dismiss(undo).await.expect("dismiss"));
    assert!(store.load().await.expect("pending").is_empty());
    // The state directory and its files are the user's alone.
    use std::os::unix::fs::PermissionsExt;
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("mode").permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    for f in std::fs::read_dir(&dir).expect("dir") {
        let f = f.expect("entry").path();
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
}

// ---- Blocks where WAF really matches, one address one meaning, a group's Count ----

/// A web ACL in Tokyo referencing AWS's core rule set (override None), with a rule after it
/// that blocks what the group labels and one that looks at another group's labels.
async fn group_acl(moto: &Moto) -> (waf::Client, String) {
    let client = waf::Client::new(&moto.sdk_config(seed::TOKYO).await);
    let managed = waf::types::Statement::builder()
        .managed_rule_group_statement(
            waf::types::ManagedRuleGroupStatement::builder()
                .vendor_name("AWS")
                .name("AWSManagedRulesCommonRuleSet")
                .build()
                .expect("managed"),
        )
        .build();
    let label = |key: &str, scope| {
        waf::types::Statement::builder()
            .label_match_statement(
                waf::types::LabelMatchStatement::builder()
                    .scope(scope)
                    .key(key)
                    .build()
                    .expect("label match"),
            )
            .build()
    };
    let block = waf::types::RuleAction::builder()
        .block(waf::types::BlockAction::builder().build())
        .build();
    let group = waf::types::Rule::builder()
        .name("AWS-AWSManagedRulesCommonRuleSet")
        .priority(0)
        .statement(managed)
        .override_action(
            waf::types::OverrideAction::builder()
                .none(waf::types::NoneAction::builder().build())
                .build(),
        )
        .visibility_config(visibility("crs"))
        .build()
        .expect("group rule");
    let labelled = |name: &str, priority, statement| {
        waf::types::Rule::builder()
            .name(name)
            .priority(priority)
            .statement(statement)
            .action(block.clone())
            .visibility_config(visibility(name))
            .build()
            .expect("rule")
    };
    let acl = client
        .create_web_acl()
        .name("group-acl")
        .scope(scope())
        .default_action(
            waf::types::DefaultAction::builder()
                .allow(waf::types::AllowAction::builder().build())
                .build(),
        )
        .rules(group)
        .rules(labelled(
            "block-no-user-agent",
            1,
            label(
                "awswaf:managed:aws:core-rule-set:NoUserAgent_Header",
                waf::types::LabelMatchScope::Label,
            ),
        ))
        .rules(labelled(
            "block-crs-namespace",
            2,
            label(
                "awswaf:managed:aws:core-rule-set:",
                waf::types::LabelMatchScope::Namespace,
            ),
        ))
        .rules(labelled(
            "block-bad-inputs",
            3,
            label(
                "awswaf:managed:aws:known-bad-inputs:",
                waf::types::LabelMatchScope::Namespace,
            ),
        ))
        .visibility_config(visibility("group-acl"))
        .send()
        .await
        .expect("CreateWebACL")
        .summary
        .expect("summary");
    (client, acl.id.expect("id"))
}

/// Someone adds a per-rule override to the group reference with the AWS CLI.
async fn override_rule_in_group_outside(client: &waf::Client, acl_id: &str) {
    let got = client
        .get_web_acl()
        .scope(scope())
        .name("group-acl")
        .id(acl_id)
        .send()
        .await
        .expect("GetWebACL");
    let mut acl = got.web_acl.expect("acl");
    let count = waf::types::RuleAction::builder()
        .count(waf::types::CountAction::builder().build())
        .build();
    for r in acl.rules.iter_mut().flatten() {
        if let Some(m) = r
            .statement
            .as_mut()
            .and_then(|s| s.managed_rule_group_statement.as_mut())
        {
            m.rule_action_overrides = Some(vec![
                waf::types::RuleActionOverride::builder()
                    .name("SizeRestrictions_BODY")
                    .action_to_use(count.clone())
                    .build()
                    .expect("override"),
            ]);
        }
    }
    client
        .update_web_acl()
        .scope(scope())
        .name("group-acl")
        .id(acl_id)
        .set_default_action(acl.default_action)
        .set_rules(acl.rules)
        .set_visibility_config(acl.visibility_config)
        .lock_token(got.lock_token.expect("token"))
        .send()
        .await
        .expect("their override");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_groups_timed_count_restores_its_override_and_keeps_rule_overrides_set_meanwhile() {
    let moto = Moto::start();
    let (client, acl_id) = group_acl(&moto).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(PendingStore::new(&dir.path().join(PENDING_FILE)));
    let session = console(&moto).await;
    let exec = Scheduled::new(session.executor.clone().expect("writable"), store.clone());
    let group = |override_action| RuleKind::Group {
        group: "AWS/AWSManagedRulesCommonRuleSet".into(),
        override_action,
        rule_overrides: vec![],
    };
    exec.execute(&Mutation::SetRule {
        rule: RuleRef {
            account: None,
            region: seed::TOKYO.to_string(),
            scope: WafScope::Regional,
            acl_name: "group-acl".into(),
            acl_id: acl_id.clone(),
            rule: "AWS-AWSManagedRulesCommonRuleSet".into(),
        },
        from: group(opsconsole::model::OverrideAction::None),
        to: group(opsconsole::model::OverrideAction::Count),
        until: Some(Utc::now() - chrono::Duration::seconds(1)),
    })
    .await
    .expect("count the group");
    // Meanwhile someone counts one rule of the group, in the same reference.
    override_rule_in_group_outside(&client, &acl_id).await;
    let (outcomes, left) = run_due(&store, &exec, Utc::now()).await.expect("run");
    assert!(outcomes[0].1.is_ok(), "restore refused: {outcomes:?}");
    assert!(left.pending.is_empty(), "{left:?}");
    let view = session.sources.waf.fetch().await.expect("waf");
    let rule = view
        .acls
        .iter()
        .flat_map(|a| &a.rules)
        .find(|r| r.name == "AWS-AWSManagedRulesCommonRuleSet")
        .expect("rule");
    let RuleKind::Group {
        override_action,
        rule_overrides,
        ..
    } = &rule.kind
    else {
        panic!("{:?}", rule.kind)
    };
    assert_eq!(*override_action, opsconsole::model::OverrideAction::None);
    assert_eq!(
        rule_overrides
            .iter()
            .map(|o| o.rule.as_str())
            .collect::<Vec<_>>(),
        ["SizeRestrictions_BODY"],
        "their override stands"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_groups_count_dialog_names_the_rules_that_still_act_on_its_labels() {
    let moto = Moto::start();
    let (_, _) = group_acl(&moto).await;
    let session = console(&moto).await;
    let (mut app, _) = app_with(&session).await;
    app.update(key('2'));
    while app.selected_rule().map(|(_, r)| r.name.as_str())
        != Some("AWS-AWSManagedRulesCommonRuleSet")
    {
        app.update(Event::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)));
        let rules = app.panels.get(PanelId::Waf).unwrap();
        assert!(rules.selected < 20, "rule row not found");
    }
    app.update(key('t'));
    let Some(Overlay::Confirm(c)) = &app.overlay else {
        panic!("{:?} / {:?}", app.overlay, app.status)
    };
    let said = c
        .details
        .iter()
        .find(|l| l.contains("labels are still added"))
        .cloned()
        .unwrap_or_else(|| c.details.join("\n"));
    assert!(said.contains("labels are still added"), "{said}");
    assert!(said.contains("block-no-user-agent (Block)"), "{said}");
    assert!(said.contains("block-crs-namespace (Block)"), "{said}");
    assert!(
        !said.contains("block-bad-inputs"),
        "another group's labels: {said}"
    );
}

/// `n` NAT gateways in a Tokyo VPC, each with its own Elastic IP: (gateway id, address).
async fn nat_gateways(moto: &Moto, n: usize) -> Vec<(String, String)> {
    let ec2 = aws_sdk_ec2::Client::new(&moto.sdk_config(seed::TOKYO).await);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.20.0.0/16")
        .send()
        .await
        .expect("CreateVpc")
        .vpc
        .and_then(|v| v.vpc_id)
        .expect("vpc id");
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.20.1.0/24")
        .send()
        .await
        .expect("CreateSubnet")
        .subnet
        .and_then(|s| s.subnet_id)
        .expect("subnet id");
    let mut out = Vec::new();
    for _ in 0..n {
        let eip = ec2
            .allocate_address()
            .domain(aws_sdk_ec2::types::DomainType::Vpc)
            .send()
            .await
            .expect("AllocateAddress");
        let nat = ec2
            .create_nat_gateway()
            .subnet_id(&subnet)
            .allocation_id(eip.allocation_id.expect("allocation"))
            .send()
            .await
            .expect("CreateNatGateway")
            .nat_gateway
            .and_then(|g| g.nat_gateway_id)
            .expect("nat id");
        out.push((nat, eip.public_ip.expect("public ip")));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nat_gateways_elastic_ips_are_never_blocked_on_every_page() {
    let moto = Moto::start();
    let e = estate(&moto).await;
    let nats = nat_gateways(&moto, 3).await;
    // AWS may answer fewer gateways than asked for: every page must be read.
    moto.strict.page_nat_gateways(2);
    let session = console(&moto).await;
    let (mut app, view) = app_with(&session).await;
    assert!(
        moto.strict.calls_to("DescribeNatGateways") >= 2,
        "one page only"
    );
    app.update(key('5'));
    for (nat, ip) in &nats {
        assert!(
            view.own_ranges.iter().any(|r| r.cidr == format!("{ip}/32")),
            "{ip} not read: {:?}",
            view.own_ranges
        );
        app.update(Event::Data(Data::Logs(
            Utc::now(),
            LogBatch {
                source: "web".into(),
                entries: vec![LogEntry::Line {
                    received_at: Utc::now(),
                    text: format!("{ip} - - [26/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1"),
                }],
                waiting: None,
            },
        )));
        app.update(key('b'));
        let Some(Overlay::Notice { text, .. }) = &app.overlay else {
            panic!("{ip}: not refused: {:?}", app.overlay)
        };
        assert!(
            text.contains(&format!(
                "NAT gateway {nat}'s Elastic IP in {}",
                seed::TOKYO
            )),
            "{text}"
        );
        app.update(key('y'));
    }
    // The executor refuses them too, whatever asks.
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(PendingStore::new(&dir.path().join(PENDING_FILE)));
    let (exec, _) = guarded_console(&session, &store, dir.path()).await;
    let (_, ip) = &nats[2];
    let refused = exec
        .execute(&Mutation::Block {
            set: set_ref(&e),
            address: format!("{ip}/32"),
            until: None,
        })
        .await
        .expect_err("our own egress");
    assert!(
        refused.message.contains("NAT gateway"),
        "{}",
        refused.message
    );
    assert_eq!(set_now(&e).await.1, [OFFICE_RANGE], "nothing written");
    // Without a blocklist, the console never asks.
    let asked = moto.strict.calls_to("DescribeNatGateways");
    let plain = aws::connect(&console_options(&moto.endpoint, false))
        .await
        .expect("connect");
    plain.sources.waf.fetch().await.expect("waf");
    assert_eq!(moto.strict.calls_to("DescribeNatGateways"), asked);
    support::assert_in_the_iam_policy(&session);
}

/// Where a set is matched on a header: `X-Forwarded-For`, its first address.
fn xff_first() -> waf::types::IpSetForwardedIpConfig {
    waf::types::IpSetForwardedIpConfig::builder()
        .header_name("X-Forwarded-For")
        .position(waf::types::ForwardedIpPosition::First)
        .fallback_behavior(waf::types::FallbackBehavior::NoMatch)
        .build()
        .expect("forwarded ip config")
}

/// A web ACL and IP set named as `estate`'s, in `region`, whose one Block rule `rule`
/// references the set (matched on `forwarded` when given).
async fn estate_in(
    moto: &Moto,
    region: &str,
    rule: &str,
    forwarded: Option<waf::types::IpSetForwardedIpConfig>,
) -> Estate {
    let client = waf::Client::new(&moto.sdk_config(region).await);
    let set = client
        .create_ip_set()
        .name(SET)
        .scope(scope())
        .description(DESCRIPTION)
        .ip_address_version(waf::types::IpAddressVersion::Ipv4)
        .addresses(OFFICE_RANGE)
        .send()
        .await
        .expect("CreateIPSet")
        .summary
        .expect("summary");
    let set_arn = set.arn.expect("arn");
    let reference = waf::types::Statement::builder()
        .ip_set_reference_statement(
            waf::types::IpSetReferenceStatement::builder()
                .arn(&set_arn)
                .set_ip_set_forwarded_ip_config(forwarded)
                .build()
                .expect("reference"),
        )
        .build();
    let acl = client
        .create_web_acl()
        .name(ACL)
        .scope(scope())
        .default_action(
            waf::types::DefaultAction::builder()
                .allow(waf::types::AllowAction::builder().build())
                .build(),
        )
        .rules(
            waf::types::Rule::builder()
                .name(rule)
                .priority(0)
                .statement(reference)
                .action(
                    waf::types::RuleAction::builder()
                        .block(waf::types::BlockAction::builder().build())
                        .build(),
                )
                .visibility_config(visibility(rule))
                .build()
                .expect("rule"),
        )
        .visibility_config(visibility(ACL))
        .send()
        .await
        .expect("CreateWebACL")
        .summary
        .expect("summary");
    Estate {
        client,
        set_id: set.id.expect("id"),
        set_arn,
        acl_id: acl.id.expect("acl id"),
    }
}

/// A console watching Tokyo and Virginia with these blocklist entries.
async fn console_blocking(moto: &Moto, blocklists: Vec<Blocklist>) -> Session {
    aws::connect(&aws::AwsOptions {
        blocklists,
        ..console_options(&moto.endpoint, false)
    })
    .await
    .expect("connect")
}

fn blocklist_in(region: &str) -> Blocklist {
    Blocklist {
        web_acl: ACL.to_string(),
        ip_set: SET.to_string(),
        scope: WafScope::Regional,
        region: Some(region.to_string()),
    }
}

/// The set's addresses in `e`'s region.
async fn addresses_of(e: &Estate) -> Vec<String> {
    e.client
        .get_ip_set()
        .scope(scope())
        .name(SET)
        .id(&e.set_id)
        .send()
        .await
        .expect("GetIPSet")
        .ip_set
        .expect("set")
        .addresses
}

/// Moves the WAF panel's selection onto rule `rule` of the ACL with id `acl_id`.
fn select_rule(app: &mut App, acl_id: &str, rule: &str) {
    app.update(key('2'));
    app.update(Event::Key(KeyEvent::new(KeyCode::Home, KeyModifiers::NONE)));
    for _ in 0..60 {
        if app
            .selected_rule()
            .is_some_and(|(a, r)| a.id == acl_id && r.name == rule)
        {
            return;
        }
        app.update(Event::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)));
    }
    panic!("rule {rule} of {acl_id} not found");
}

fn sampled(ip: &str, headers: &[(&str, &str)], weight: u64) -> SampledRequest {
    SampledRequest {
        time: Utc::now(),
        client_ip: ip.into(),
        country: "NL".into(),
        method: "POST".into(),
        uri: "/xmlrpc.php".into(),
        action: "BLOCK".into(),
        headers: headers
            .iter()
            .map(|(name, value)| opsconsole::model::waf::Header {
                name: name.to_string(),
                value: value.to_string(),
            })
            .collect(),
        weight,
    }
}

fn samples_of(acl_id: &str, rule: &str, requests: Vec<SampledRequest>) -> Event {
    Event::Data(Data::Samples(
        Utc::now(),
        Ok(RuleSamples {
            acl_id: acl_id.to_string(),
            rule: rule.to_string(),
            requests,
            window: None,
            population: None,
        }),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_named_acls_and_sets_in_two_regions_block_in_the_samples_region() {
    let moto = Moto::start();
    let tokyo = estate(&moto).await;
    let virginia = estate_in(&moto, seed::VIRGINIA, "block-listed-virginia", None).await;
    let session = console_blocking(
        &moto,
        vec![blocklist_in(seed::TOKYO), blocklist_in(seed::VIRGINIA)],
    )
    .await;
    let exec = session.executor.clone().expect("writable");
    let (mut app, view) = app_with(&session).await;
    assert_eq!(view.ip_sets.len(), 2, "{:?}", view.unreadable);
    // A flood sampled by the Virginia ACL's rule.
    select_rule(&mut app, &virginia.acl_id, "block-listed-virginia");
    app.update(samples_of(
        &virginia.acl_id,
        "block-listed-virginia",
        vec![sampled("198.51.100.77", &[], 1)],
    ));
    app.update(key('w'));
    app.update(key('b'));
    let Some(Overlay::Confirm(c)) = &app.overlay else {
        panic!("{:?} / {:?}", app.overlay, app.status)
    };
    let said = c.details.join("\n");
    assert!(
        said.contains("its rule block-listed-virginia blocks"),
        "{said}"
    );
    let m = confirm(&mut app);
    let Mutation::Block { set, .. } = &m else {
        panic!("{m:?}")
    };
    assert_eq!(
        (set.region.as_str(), set.arn.as_str()),
        (seed::VIRGINIA, virginia.set_arn.as_str())
    );
    exec.execute(&m).await.expect("block in Virginia");
    assert_eq!(
        addresses_of(&virginia).await,
        [OFFICE_RANGE, "198.51.100.77/32"]
    );
    assert_eq!(
        addresses_of(&tokyo).await,
        [OFFICE_RANGE],
        "Tokyo untouched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_set_matched_on_x_forwarded_for_blocks_the_address_in_the_header() {
    let moto = Moto::start();
    let e = estate_in(&moto, seed::TOKYO, "block-listed-xff", Some(xff_first())).await;
    let session = console(&moto).await;
    let exec = session.executor.clone().expect("writable");
    let (mut app, view) = app_with(&session).await;
    let rule = view.acls[0]
        .rules
        .iter()
        .find(|r| r.name == "block-listed-xff")
        .expect("rule");
    assert_eq!(
        rule.matching
            .forwarded_for(&e.set_arn)
            .map(|f| f.header.as_str()),
        Some("X-Forwarded-For"),
        "read as matched on the header"
    );
    // Behind a proxy at 192.0.2.10: the clients are in X-Forwarded-For, one request has none.
    let proxy = "192.0.2.10";
    select_rule(&mut app, &e.acl_id, "block-listed-xff");
    app.update(samples_of(
        &e.acl_id,
        "block-listed-xff",
        vec![
            sampled(
                proxy,
                &[("x-forwarded-for", "198.51.100.23, 192.0.2.10")],
                2,
            ),
            sampled(proxy, &[("X-Forwarded-For", "198.51.100.24")], 1),
            sampled(proxy, &[("User-Agent", "curl/8.4.0")], 1),
        ],
    ));
    app.update(key('w'));
    let Some(Overlay::Talkers(t)) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    let rows: Vec<(String, usize)> = t.rows().iter().map(|r| (r.key.clone(), r.count)).collect();
    assert_eq!(
        rows,
        [
            ("198.51.100.23".to_string(), 2),
            (proxy.to_string(), 1),
            ("198.51.100.24".to_string(), 1)
        ]
    );
    app.update(key('b'));
    let Some(Overlay::Confirm(c)) = &app.overlay else {
        panic!("{:?} / {:?}", app.overlay, app.status)
    };
    let said = c.details.join("\n");
    assert!(said.contains("X-Forwarded-For"), "{said}");
    let m = confirm(&mut app);
    let Mutation::Block { address, .. } = &m else {
        panic!("{m:?}")
    };
    assert_eq!(address, "198.51.100.23/32");
    exec.execute(&m)
        .await
        .expect("block the client in the header");
    assert_eq!(addresses_of(&e).await, [OFFICE_RANGE, "198.51.100.23/32"]);
    // The request without the header: WAF does not apply the rule to it at all.
    app.update(key('w'));
    app.update(Event::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)));
    app.update(key('b'));
    let Some(Overlay::Notice { text, .. }) = &app.overlay else {
        panic!("not refused: {:?}", app.overlay)
    };
    assert!(text.contains("no X-Forwarded-For header"), "{text}");
    app.update(key('y'));
    // A log line shows no header: which address WAF would match is not known.
    app.update(key('5'));
    app.update(Event::Data(Data::Logs(
        Utc::now(),
        LogBatch {
            source: "web".into(),
            entries: vec![LogEntry::Line {
                received_at: Utc::now(),
                text: "198.51.100.50 - - [26/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1"
                    .into(),
            }],
            waiting: None,
        },
    )));
    app.update(key('b'));
    let Some(Overlay::Notice { text, .. }) = &app.overlay else {
        panic!("not refused: {:?}", app.overlay)
    };
    assert!(text.contains("X-Forwarded-For"), "{text}");
    assert_eq!(addresses_of(&e).await, [OFFICE_RANGE, "198.51.100.23/32"]);
    support::assert_in_the_iam_policy(&session);
}

/// An IP set, a rule group of the account whose Block rule references it, and a web ACL that
/// lets the office's set through first and then references the group.
async fn group_estate(moto: &Moto) -> Estate {
    let e_client = waf::Client::new(&moto.sdk_config(seed::TOKYO).await);
    let create_set = |name: &'static str, address: &'static str| {
        let c = e_client.clone();
        async move {
            c.create_ip_set()
                .name(name)
                .scope(scope())
                .description(DESCRIPTION)
                .ip_address_version(waf::types::IpAddressVersion::Ipv4)
                .addresses(address)
                .send()
                .await
                .expect("CreateIPSet")
                .summary
                .expect("summary")
        }
    };
    let set = create_set(SET, OFFICE_RANGE).await;
    let office = create_set("office-allowed", "198.51.100.0/24").await;
    let reference = |arn: &str| {
        waf::types::Statement::builder()
            .ip_set_reference_statement(
                waf::types::IpSetReferenceStatement::builder()
                    .arn(arn)
                    .build()
                    .expect("reference"),
            )
            .build()
    };
    let action = |a: &str| {
        let b = waf::types::RuleAction::builder();
        match a {
            "allow" => b.allow(waf::types::AllowAction::builder().build()),
            _ => b.block(waf::types::BlockAction::builder().build()),
        }
        .build()
    };
    let set_arn = set.arn.clone().expect("arn");
    let group = e_client
        .create_rule_group()
        .name("blocking-group")
        .scope(scope())
        .capacity(10)
        .rules(
            waf::types::Rule::builder()
                .name("block-listed-in-group")
                .priority(0)
                .statement(reference(&set_arn))
                .action(action("block"))
                .visibility_config(visibility("block-listed-in-group"))
                .build()
                .expect("rule"),
        )
        .visibility_config(visibility("blocking-group"))
        .send()
        .await
        .expect("CreateRuleGroup")
        .summary
        .expect("summary");
    let acl = e_client
        .create_web_acl()
        .name(ACL)
        .scope(scope())
        .default_action(
            waf::types::DefaultAction::builder()
                .allow(waf::types::AllowAction::builder().build())
                .build(),
        )
        .rules(
            waf::types::Rule::builder()
                .name("allow-office")
                .priority(0)
                .statement(reference(office.arn.as_deref().expect("arn")))
                .action(action("allow"))
                .visibility_config(visibility("allow-office"))
                .build()
                .expect("rule"),
        )
        .rules(
            waf::types::Rule::builder()
                .name("blocking-group-ref")
                .priority(1)
                .statement(
                    waf::types::Statement::builder()
                        .rule_group_reference_statement(
                            waf::types::RuleGroupReferenceStatement::builder()
                                .arn(group.arn.expect("group arn"))
                                .build()
                                .expect("group reference"),
                        )
                        .build(),
                )
                .override_action(
                    waf::types::OverrideAction::builder()
                        .none(waf::types::NoneAction::builder().build())
                        .build(),
                )
                .visibility_config(visibility("blocking-group-ref"))
                .build()
                .expect("rule"),
        )
        .visibility_config(visibility(ACL))
        .send()
        .await
        .expect("CreateWebACL")
        .summary
        .expect("summary");
    Estate {
        client: e_client,
        set_id: set.id.expect("id"),
        set_arn,
        acl_id: acl.id.expect("acl id"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_rule_inside_a_referenced_group_blocks_and_an_earlier_allow_is_named() {
    let moto = Moto::start();
    let e = group_estate(&moto).await;
    let session = console(&moto).await;
    let exec = session.executor.clone().expect("writable");
    let (mut app, _) = app_with(&session).await;
    app.update(key('5'));
    let line = |client: &str| {
        Event::Data(Data::Logs(
            Utc::now(),
            LogBatch {
                source: "web".into(),
                entries: vec![LogEntry::Line {
                    received_at: Utc::now(),
                    text: format!(
                        "{client} - - [26/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1"
                    ),
                }],
                waiting: None,
            },
        ))
    };
    app.update(line("192.0.2.77"));
    app.update(key('b'));
    let Some(Overlay::Confirm(c)) = &app.overlay else {
        panic!("{:?} / {:?}", app.overlay, app.status)
    };
    let said = c.details.join("\n");
    assert!(said.contains("blocking-group-ref"), "{said}");
    assert!(said.contains("block-listed-in-group"), "{said}");
    assert_eq!(c.warning, None);
    let m = confirm(&mut app);
    exec.execute(&m).await.expect("block");
    assert_eq!(addresses_of(&e).await, [OFFICE_RANGE, "192.0.2.77/32"]);
    // An address the office's Allow rule lets through first: said in the dialog.
    app.update(line("198.51.100.9"));
    app.update(key('b'));
    let Some(Overlay::Confirm(c)) = &app.overlay else {
        panic!("{:?} / {:?}", app.overlay, app.status)
    };
    let warning = c.warning.clone().unwrap_or_default();
    assert!(
        warning.contains("allow-office (Allow")
            && warning.contains("office-allowed")
            && warning.contains("198.51.100.9"),
        "{warning}"
    );
    support::assert_in_the_iam_policy(&session);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_block_while_a_regions_own_addresses_were_never_read() {
    let moto = Moto::start();
    let e = estate(&moto).await;
    // A role without ec2:DescribeNatGateways: Tokyo's NAT addresses cannot be known.
    moto.strict.deny("DescribeNatGateways");
    let session = console(&moto).await;
    let (mut app, view) = app_with(&session).await;
    let unread = view
        .unreadable
        .iter()
        .find(|u| u.place.contains(seed::TOKYO) && u.place.starts_with("Our own addresses"))
        .expect("said as unreadable");
    assert!(
        unread.error.contains("DescribeNatGateways"),
        "{}",
        unread.error
    );
    app.update(key('5'));
    app.update(Event::Data(Data::Logs(
        Utc::now(),
        LogBatch {
            source: "web".into(),
            entries: vec![LogEntry::Line {
                received_at: Utc::now(),
                text: "198.51.100.9 - - [26/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1"
                    .into(),
            }],
            waiting: None,
        },
    )));
    app.update(key('b'));
    let Some(Overlay::Notice { text, .. }) = &app.overlay else {
        panic!("not refused: {:?}", app.overlay)
    };
    assert!(
        text.contains("Our own addresses (ap-northeast-1) could not be read"),
        "{text}"
    );
    assert_eq!(set_now(&e).await.1, [OFFICE_RANGE], "nothing written");
}

/// What blocking costs a refresh: each place's IP sets and rule groups listed once, a set or
/// group read again only when its lock token changed, our own ranges once in ten minutes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_refresh_lists_once_and_reads_nothing_again() {
    let moto = Moto::start();
    group_estate(&moto).await;
    let session = console(&moto).await;
    let before = |op: &str| moto.strict.calls_to(op);
    let ops = [
        "ListIPSets",
        "GetIPSet",
        "ListRuleGroups",
        "GetRuleGroup",
        "DescribeVpcs",
        "DescribeNatGateways",
    ];
    let start: Vec<usize> = ops.iter().map(|op| before(op)).collect();
    for _ in 0..3 {
        session.sources.waf.fetch().await.expect("waf");
    }
    let calls: Vec<(&str, usize)> = ops
        .iter()
        .zip(start)
        .map(|(op, s)| (*op, moto.strict.calls_to(op) - s))
        .collect();
    assert_eq!(
        calls,
        [
            ("ListIPSets", 3),
            // The blocklist's set and the office set the Allow rule matches, once each.
            ("GetIPSet", 2),
            ("ListRuleGroups", 3),
            ("GetRuleGroup", 1),
            // The one watched region, once in ten minutes.
            ("DescribeVpcs", 1),
            ("DescribeNatGateways", 1),
        ]
    );
}
