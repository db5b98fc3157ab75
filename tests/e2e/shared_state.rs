//! A team's store on S3 (`[state] shared`), against the emulator's S3 with its conditional
//! writes: a timed Count scheduled by one console and left when it quit is listed by a snapshot
//! on another machine, shown overdue by a wall, carried out exactly once by whichever of two
//! writable consoles gets it first, and never claimed or written by a read-only console.

use crate::support;

use aws_sdk_s3 as s3;
use aws_sdk_wafv2 as waf;
use chrono::Utc;
use opsconsole::action::pending::{run_due, store_for};
use opsconsole::action::{Executor, Journal, Journaled, Mutation, RuleRef, Scheduled};
use opsconsole::app::{App, Event};
use opsconsole::config::settings::StateSettings;
use opsconsole::config::{Keymap, Settings};
use opsconsole::model::{RuleAction, RuleKind, WafScope};
use opsconsole::source::Session;
use opsconsole::source::aws;
use std::sync::Arc;
use support::{Moto, console_options, seed};

const BUCKET: &str = "team-ops";
const STORE: &str = "s3://team-ops/opsconsole";
const ACL: &str = "shared-acl";
const RULE: &str = "block-bad-bots";

/// A web ACL with one Block rule, and the team's bucket.
async fn estate(moto: &Moto) -> String {
    let config = moto.sdk_config(seed::TOKYO).await;
    seed::team_bucket(&config, BUCKET).await;
    let client = waf::Client::new(&config);
    use support::seed::visibility;
    let bots = waf::types::Statement::builder()
        .byte_match_statement(
            waf::types::ByteMatchStatement::builder()
                .search_string(aws_smithy_types::Blob::new("BadBot"))
                .field_to_match(
                    waf::types::FieldToMatch::builder()
                        .single_header(
                            waf::types::SingleHeader::builder()
                                .name("user-agent")
                                .build()
                                .expect("header"),
                        )
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
    let acl = client
        .create_web_acl()
        .name(ACL)
        .scope(waf::types::Scope::Regional)
        .default_action(
            waf::types::DefaultAction::builder()
                .allow(waf::types::AllowAction::builder().build())
                .build(),
        )
        .rules(
            waf::types::Rule::builder()
                .name(RULE)
                .priority(0)
                .statement(bots)
                .action(
                    waf::types::RuleAction::builder()
                        .block(waf::types::BlockAction::builder().build())
                        .build(),
                )
                .visibility_config(visibility(RULE))
                .build()
                .expect("rule"),
        )
        .visibility_config(visibility(ACL))
        .send()
        .await
        .expect("CreateWebACL");
    acl.summary.and_then(|s| s.id).expect("acl id")
}

/// A console naming the team's store; writable or not.
async fn console(moto: &Moto, read_only: bool) -> Session {
    aws::connect(&aws::AwsOptions {
        regions: vec![seed::TOKYO.to_string()],
        shared_state: StateSettings {
            shared: Some(STORE.to_string()),
            region: None,
        },
        ..console_options(&moto.endpoint, read_only)
    })
    .await
    .expect("connect")
}

/// A writable console as the binary builds it, with its own state directory `dir`: undos and
/// journal entries go to the team's store, the journal to `dir` too.
fn writer(
    moto: &Moto,
    session: &Session,
    dir: &std::path::Path,
) -> (Journaled, Arc<opsconsole::action::PendingStore>) {
    writer_at(moto, session, dir, STORE)
}

/// [`writer`] for a console naming the store at `url`.
fn writer_at(
    moto: &Moto,
    session: &Session,
    dir: &std::path::Path,
    url: &str,
) -> (Journaled, Arc<opsconsole::action::PendingStore>) {
    let store = Arc::new(
        store_for(
            session,
            Some(&dir.join("pending.json")),
            Some(moto.endpoint.clone()),
        )
        .expect("store"),
    );
    assert_eq!(store.shared_url(), Some(url), "the team's store is used");
    let scheduled = Arc::new(Scheduled::new(
        session.executor.clone().expect("writable"),
        store.clone(),
    ));
    let journal = Arc::new(Journal::open(&dir.join("journal.jsonl")).expect("journal"));
    let shared = session.shared.clone().expect("shared store");
    let journaled =
        Journaled::new(scheduled, journal, session.sources.identity.clone()).sharing(shared);
    (journaled, store)
}

fn rule(acl_id: &str) -> RuleRef {
    RuleRef {
        account: None,
        region: seed::TOKYO.to_string(),
        scope: WafScope::Regional,
        acl_name: ACL.to_string(),
        acl_id: acl_id.to_string(),
        rule: RULE.to_string(),
    }
}

/// The rule's action as the console reads it now.
async fn action_now(session: &Session) -> String {
    let view = session.sources.waf.fetch().await.expect("waf");
    view.acls
        .iter()
        .flat_map(|a| &a.rules)
        .find(|r| r.name == RULE)
        .map(|r| r.kind.describe())
        .expect("rule")
}

/// Writes to the team's store seen on the wire (S3 speaks REST: the request line).
fn store_writes(moto: &Moto, from: usize) -> Vec<String> {
    moto.strict
        .operations()
        .split_off(from)
        .into_iter()
        .filter(|o| o.starts_with("PUT ") && o.contains(BUCKET))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_left_by_one_console_is_carried_out_once_by_any_other() {
    let moto = Moto::start();
    let acl_id = estate(&moto).await;

    // Console A counts the rule for 15 minutes, then quits keeping the restore scheduled.
    let due = {
        let dir = tempfile::tempdir().expect("A's state directory");
        let session = console(&moto, false).await;
        let (exec, _) = writer(&moto, &session, dir.path());
        let due = Utc::now() + chrono::Duration::minutes(15);
        exec.execute(&Mutation::SetRule {
            rule: rule(&acl_id),
            from: RuleKind::Plain {
                action: RuleAction::Block,
            },
            to: RuleKind::Plain {
                action: RuleAction::Count,
            },
            until: Some(due),
        })
        .await
        .expect("count for 15 m");
        assert_eq!(action_now(&session).await, "Count");
        due
    };

    // A snapshot on another machine (another state directory, the same store) lists it.
    let watcher = console(&moto, true).await;
    let asked_who = moto.strict.calls_to("GetCallerIdentity");
    let collected = support::snapshot_elsewhere(&watcher, &moto.endpoint).await;
    assert_eq!(collected.pending.len(), 1, "{:?}", collected.journal_error);
    assert_eq!(collected.pending[0].due, due);
    // Who the console is was read once, with the panels: the store's account is that one (a
    // second read after the panels would add a round trip to every snapshot).
    assert_eq!(moto.strict.calls_to("GetCallerIdentity") - asked_who, 1);
    // And A's change, from the team's journal (this machine's journal has none of it).
    let journaled: Vec<(&str, &str)> = collected
        .actions
        .iter()
        .map(|e| (e.action.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(journaled, [("set-rule", "attempted"), ("set-rule", "done")]);
    assert!(
        collected.pending[0].undo.summary().contains("to Block"),
        "{}",
        collected.pending[0].undo.summary()
    );

    // A wall on any machine shows it overdue when no writer has run; reading claims nothing.
    let before_wall = moto.strict.operations().len();
    let store = store_for(&watcher, None, Some(moto.endpoint.clone())).expect("store");
    let whose = store.whose().await;
    let listing = store.listing(&whose).await.expect("listing");
    let mut wall = App::new(
        watcher.sources.scope.clone(),
        Keymap::builtin("default").expect("keymap"),
        &Settings::default(),
        true,
        Utc::now(),
    )
    .into_wall(None);
    wall.update(Event::Pending(listing));
    wall.update(Event::Tick(due + chrono::Duration::minutes(2)));
    assert!(
        wall.problems
            .iter()
            .any(|p| p.text.contains("not carried out")),
        "{:?}",
        wall.problems
    );
    assert_eq!(
        store_writes(&moto, before_wall),
        Vec::<String>::new(),
        "a wall wrote to the store"
    );

    // Its time comes: consoles B and C (third and fourth state directories) race for it.
    let updates_before = moto.strict.calls_to("UpdateWebACL");
    let (b_dir, c_dir) = (
        tempfile::tempdir().expect("B"),
        tempfile::tempdir().expect("C"),
    );
    let (b, c) = (console(&moto, false).await, console(&moto, false).await);
    let (b_exec, b_store) = writer(&moto, &b, b_dir.path());
    let (c_exec, c_store) = writer(&moto, &c, c_dir.path());
    let at = due + chrono::Duration::seconds(1);
    let (b_run, c_run) = tokio::join!(
        run_due(&b_store, &b_exec, at),
        run_due(&c_store, &c_exec, at)
    );
    let (b_done, _) = b_run.expect("B");
    let (c_done, _) = c_run.expect("C");
    assert_eq!(
        b_done.len() + c_done.len(),
        1,
        "carried out by both or neither: {b_done:?} {c_done:?}"
    );
    // Whichever carried it out, nothing is left once both have finished.
    let whose = b_store.whose().await;
    let left = b_store.listing(&whose).await.expect("listing");
    assert!(left.pending.is_empty(), "{left:?}");
    assert_eq!(
        moto.strict.calls_to("UpdateWebACL") - updates_before,
        1,
        "one UpdateWebACL on the wire"
    );
    assert_eq!(action_now(&b).await, "Block", "restored");
    for console in [&b, &c, &watcher] {
        support::assert_in_the_iam_policy(console);
    }

    // The journal is in the store, an object an entry: A's Count and the restore.
    let config = moto.sdk_config(seed::TOKYO).await;
    let s3 = seed::s3_client(&config);
    let listed = s3
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix("opsconsole/123456789012/journal/")
        .send()
        .await
        .expect("ListObjectsV2");
    assert_eq!(
        listed.contents().len(),
        4,
        "attempted and done, twice: {:?}",
        listed.contents()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_written_by_a_newer_version_is_refused_with_its_version() {
    let moto = Moto::start();
    estate(&moto).await;
    let config = moto.sdk_config(seed::TOKYO).await;
    let s3 = seed::s3_client(&config);
    s3.put_object()
        .bucket(BUCKET)
        .key("opsconsole/123456789012/pending.json")
        .body(s3::primitives::ByteStream::from_static(
            br#"{"format": 7, "undos": []}"#,
        ))
        .send()
        .await
        .expect("PutObject");
    let session = console(&moto, false).await;
    let store = store_for(&session, None, Some(moto.endpoint.clone())).expect("store");
    let whose = store.whose().await;
    let e = store.listing(&whose).await.expect_err("refused");
    assert!(e.to_string().contains("format 7"), "{e}");
    // And a timed change is refused rather than kept nowhere.
    let dir = tempfile::tempdir().expect("dir");
    let (exec, _) = writer(&moto, &session, dir.path());
    let refused = exec
        .execute(&Mutation::SetRule {
            rule: rule("any"),
            from: RuleKind::Plain {
                action: RuleAction::Block,
            },
            to: RuleKind::Plain {
                action: RuleAction::Count,
            },
            until: Some(Utc::now() + chrono::Duration::minutes(15)),
        })
        .await
        .expect_err("refused");
    assert!(
        refused.message.contains("its undo could not be kept"),
        "{}",
        refused.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_store_is_a_problem_with_its_age_and_refuses_timed_actions() {
    let moto = Moto::start();
    let acl_id = estate(&moto).await;
    let session = aws::connect(&aws::AwsOptions {
        regions: vec![seed::TOKYO.to_string()],
        shared_state: StateSettings {
            shared: Some("s3://no-such-team-bucket/opsconsole".to_string()),
            region: None,
        },
        ..console_options(&moto.endpoint, false)
    })
    .await
    .expect("connect");
    let dir = tempfile::tempdir().expect("dir");
    let (exec, store) = writer_at(
        &moto,
        &session,
        dir.path(),
        "s3://no-such-team-bucket/opsconsole",
    );
    let session = Session {
        pending: Some(store),
        ..session
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    let _runtime = opsconsole::runtime::Runtime::start(&session, &Settings::default(), tx);
    let mut app = App::new(
        session.sources.scope.clone(),
        Keymap::builtin("default").expect("keymap"),
        &Settings::default(),
        false,
        Utc::now(),
    );
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.pending_unreadable.is_none() {
        assert!(tokio::time::Instant::now() < deadline, "never said");
        if let Ok(Some(ev)) =
            tokio::time::timeout(std::time::Duration::from_secs(1), rx.recv()).await
        {
            app.update(ev);
        }
    }
    let since = app
        .pending_unreadable
        .as_ref()
        .map(|(_, s)| *s)
        .expect("since");
    app.update(Event::Tick(since + chrono::Duration::minutes(3)));
    let problem = app
        .problems
        .iter()
        .find(|p| p.text.contains("unreadable since"))
        .expect("a problem");
    assert!(problem.text.contains("(3m ago)"), "{}", problem.text);
    assert!(
        problem.text.contains("no-such-team-bucket"),
        "{}",
        problem.text
    );
    // The console keeps working: a change without an end goes through; a timed one is refused.
    let count = |until| Mutation::SetRule {
        rule: rule(&acl_id),
        from: RuleKind::Plain {
            action: RuleAction::Block,
        },
        to: RuleKind::Plain {
            action: RuleAction::Count,
        },
        until,
    };
    let refused = exec
        .execute(&count(Some(Utc::now() + chrono::Duration::minutes(15))))
        .await
        .expect_err("a timed Count with nowhere to keep its restore");
    assert!(
        refused.message.contains("its undo could not be kept"),
        "{}",
        refused.message
    );
    exec.execute(&count(None)).await.expect("an untimed Count");
}
