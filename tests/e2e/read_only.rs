//! Read-only is a property of the session, not of the keys: a read-only console pointed at the
//! emulator, sent every key of every context on every row of every panel, each followed by every
//! way a confirmation is answered (`y`; the id it asks to be typed, then Enter), requests no
//! mutating AWS operation (checked request by request on the wire) and leaves the emulator's
//! state unchanged. The same sequences on a writable console do reach AWS: the check can fail.

use crate::support;

use aws_sdk_elasticloadbalancingv2 as elb;
use aws_sdk_wafv2 as waf;
use crossterm::event::{KeyEvent, KeyModifiers};
use opsconsole::action::PendingStore;
use opsconsole::app::{App, Effect, Event, Overlay};
use opsconsole::config::settings::Blocklist;
use opsconsole::config::{KeyContext, Keymap, Settings};
use opsconsole::model::{PanelId, WafScope};
use opsconsole::runtime::Runtime;
use opsconsole::source::aws;
use std::sync::Arc;
use std::time::Duration;
use support::{Moto, Seeded, console_options, seed_scenarios};
use tokio::sync::mpsc;

/// Operation name prefixes that change something.
const MUTATING: &[&str] = &[
    "Register",
    "Deregister",
    "Update",
    "Create",
    "Delete",
    "Modify",
    "Put",
    "Associate",
    "Disassociate",
    "Change",
    "Set",
    "Stop",
    "Start",
    "Terminate",
    "Reboot",
    "Add",
    "Remove",
    "Tag",
    "Untag",
];

fn mutating(ops: &[String]) -> Vec<String> {
    ops.iter()
        .filter(|op| {
            MUTATING.iter().any(|m| op.starts_with(m))
                || ["POST ", "PUT ", "DELETE ", "PATCH "]
                    .iter()
                    .any(|m| op.starts_with(m))
        })
        .cloned()
        .collect()
}

/// Target health of every group and every ACL's lock token, read straight from the emulator.
async fn state(moto: &Moto, seeded: &Seeded) -> Vec<String> {
    let mut out = Vec::new();
    for tg in &seeded.target_groups {
        let c = elb::Client::new(&moto.sdk_config(&tg.region).await);
        let h = c
            .describe_target_health()
            .target_group_arn(&tg.arn)
            .send()
            .await
            .expect("health");
        for d in h.target_health_descriptions() {
            out.push(format!(
                "{} {:?} {:?}",
                tg.name,
                d.target().and_then(|t| t.id()),
                d.target_health().and_then(|t| t.state())
            ));
        }
    }
    for acl in &seeded.web_acls {
        let c = waf::Client::new(&moto.sdk_config(&acl.region).await);
        let scope = if acl.scope == "CLOUDFRONT" {
            waf::types::Scope::Cloudfront
        } else {
            waf::types::Scope::Regional
        };
        let got = c
            .get_web_acl()
            .name(&acl.name)
            .id(&acl.id)
            .scope(scope)
            .send()
            .await
            .expect("acl");
        out.push(format!("{} {:?}", acl.name, got.lock_token()));
    }
    out
}

const BLOCK_ACL: &str = "edge-acl";
const BLOCK_SET: &str = "edge-blocked";

/// An IP set a Block rule of a web ACL references, for `b`; returns the set's lock token
/// reader (its state for the before/after check).
async fn blocklist(moto: &Moto) -> (waf::Client, String, String) {
    let client = waf::Client::new(&moto.sdk_config(support::seed::TOKYO).await);
    let set = client
        .create_ip_set()
        .name(BLOCK_SET)
        .scope(waf::types::Scope::Regional)
        .ip_address_version(waf::types::IpAddressVersion::Ipv4)
        // Blocked earlier, with an expiry that is due (see `due_expiry`).
        .set_addresses(Some(vec![EXPIRED.to_string()]))
        .send()
        .await
        .expect("CreateIPSet")
        .summary
        .expect("summary");
    let visibility = waf::types::VisibilityConfig::builder()
        .sampled_requests_enabled(true)
        .cloud_watch_metrics_enabled(true)
        .metric_name(BLOCK_ACL)
        .build()
        .expect("visibility");
    let rule = waf::types::Rule::builder()
        .name("block-listed")
        .priority(0)
        .statement(
            waf::types::Statement::builder()
                .ip_set_reference_statement(
                    waf::types::IpSetReferenceStatement::builder()
                        .arn(set.arn.clone().expect("arn"))
                        .build()
                        .expect("reference"),
                )
                .build(),
        )
        .action(
            waf::types::RuleAction::builder()
                .block(waf::types::BlockAction::builder().build())
                .build(),
        )
        .visibility_config(visibility.clone())
        .build()
        .expect("rule");
    client
        .create_web_acl()
        .name(BLOCK_ACL)
        .scope(waf::types::Scope::Regional)
        .default_action(
            waf::types::DefaultAction::builder()
                .allow(waf::types::AllowAction::builder().build())
                .build(),
        )
        .rules(rule)
        .visibility_config(visibility)
        .send()
        .await
        .expect("CreateWebACL");
    (client, set.id.expect("id"), set.arn.expect("arn"))
}

/// A block that expired, as a writable console left it in the state directory: due now.
const EXPIRED: &str = "198.51.100.50/32";

/// The state directory's pending undos, holding the due removal of `EXPIRED`.
fn due_expiry(dir: &std::path::Path, set_id: &str, set_arn: &str) -> Arc<PendingStore> {
    let path = dir.join(opsconsole::action::pending::PENDING_FILE);
    let entry = serde_json::json!([{
        "due": (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339(),
        "of": "Block 198.51.100.50/32 for 15 m",
        "undo": {"action": "unblock", "address": EXPIRED, "set": {
            "region": support::seed::TOKYO, "scope": "REGIONAL", "name": BLOCK_SET,
            "id": set_id, "arn": set_arn, "web_acl": BLOCK_ACL}},
    }]);
    std::fs::write(&path, entry.to_string()).expect("pending file");
    Arc::new(PendingStore::new(&path))
}

/// The IP set's addresses and lock token, straight from the emulator.
async fn blocklist_state(client: &waf::Client, id: &str) -> String {
    let got = client
        .get_ip_set()
        .name(BLOCK_SET)
        .id(id)
        .scope(waf::types::Scope::Regional)
        .send()
        .await
        .expect("GetIPSet");
    format!("{:?} {:?}", got.ip_set.map(|s| s.addresses), got.lock_token)
}

/// A scanner's line (seed S5's format) in the logs panel: `b` on it blocks its client.
fn scanner_line(app: &mut App) {
    let now = chrono::Utc::now();
    app.update(Event::Data(opsconsole::app::Data::Logs(
        now,
        opsconsole::source::LogBatch {
            source: "proxy".into(),
            entries: vec![opsconsole::model::LogEntry::Line {
                received_at: now,
                text: "198.51.100.23:40000 10.0.1.17:51234 - [26/Nov/2026:10:00:00 +0000] \"GET /v4/ws/usdt HTTP/1.1\" 200 2676 \"-\" \"Go-http-client/1.1\" 443".into(),
            }],
            waiting: None,
        },
    )));
}

/// Carries out effects exactly as the console does.
fn apply(runtime: &mut Runtime, effects: Vec<Effect>) {
    for e in effects {
        runtime.perform(e);
    }
}

fn drain_events(app: &mut App, rx: &mut mpsc::Receiver<Event>, runtime: &mut Runtime) {
    while let Ok(ev) = rx.try_recv() {
        let effects = app.update(ev);
        apply(runtime, effects);
    }
}

/// How a confirmation is answered after a key asked for one.
#[derive(Clone, Copy)]
enum Answer {
    Yes,
    /// The id the dialog asks to be typed (the last healthy target), then Enter.
    TypedId,
}

/// Mutations the console asked the runtime to carry out, all runs together.
static EXECUTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn press(app: &mut App, runtime: &mut Runtime, key: KeyEvent) {
    let effects = app.update(Event::Key(key));
    let executes = effects
        .iter()
        .filter(|e| matches!(e, Effect::Execute(_)))
        .count();
    EXECUTED.fetch_add(executes, std::sync::atomic::Ordering::Relaxed);
    apply(runtime, effects);
}

fn char_key(c: char) -> KeyEvent {
    KeyEvent::new(crossterm::event::KeyCode::Char(c), KeyModifiers::NONE)
}

/// Every key of every context of the console's keymap (and the mutation keys of both keymaps),
/// on every row of every panel, each followed by each answer. Returns the keys sent; stops early
/// once `enough` holds (checked after each sequence).
fn press_everywhere(
    app: &mut App,
    rx: &mut mpsc::Receiver<Event>,
    runtime: &mut Runtime,
    enough: &dyn Fn() -> bool,
) -> usize {
    let keys: Vec<KeyEvent> = KeyContext::ALL
        .iter()
        .flat_map(|ctx| app.keymap.bindings(*ctx).to_vec())
        .map(|b| KeyEvent::new(b.key.code, b.key.modifiers))
        .chain(['d', 'u', 't', 'b'].map(char_key))
        .collect();
    let mut sent = 0;
    // Logs first: later sequences toggle every rule, the blocking one included (a block is
    // then refused, rightly, as doing nothing).
    for panel in [PanelId::Logs]
        .into_iter()
        .chain(PanelId::ALL.into_iter().filter(|p| *p != PanelId::Logs))
    {
        let rows = app
            .panels
            .get(panel)
            .map_or(1, |p| p.table.rows.len().max(1));
        for row in 0..rows {
            for key in &keys {
                for answer in [Answer::Yes, Answer::TypedId] {
                    app.focus = panel;
                    app.overlay = None;
                    app.zoomed = false;
                    // A filter or search typed by an earlier sequence would hide the line.
                    app.panels.logs.set_filter(String::new());
                    app.panels.logs.set_search(String::new());
                    app.panels.logs.source = None;
                    app.panels.logs.scroll = 0;
                    app.panels.logs.index(&app.world.logs);
                    let h = app.viewport(panel);
                    if let Some(p) = app.panels.get_mut(panel) {
                        p.select(row, h);
                    }
                    press(app, runtime, *key);
                    sent += 1;
                    // Who is hitting us: `b` there blocks the selected address.
                    if let Some(Overlay::Talkers(_)) = &app.overlay {
                        press(app, runtime, char_key('b'));
                        sent += 1;
                    }
                    if let Some(Overlay::Confirm(c)) = &app.overlay {
                        let typed = c.type_to_confirm.clone();
                        match (answer, typed) {
                            (Answer::TypedId, Some(id)) => {
                                for ch in id.chars() {
                                    press(app, runtime, char_key(ch));
                                }
                                press(
                                    app,
                                    runtime,
                                    KeyEvent::new(
                                        crossterm::event::KeyCode::Enter,
                                        KeyModifiers::NONE,
                                    ),
                                );
                            }
                            _ => press(app, runtime, char_key('y')),
                        }
                        sent += 1;
                    }
                    drain_events(app, rx, runtime);
                    if enough() {
                        return sent;
                    }
                }
            }
        }
    }
    sent
}

/// A console on `endpoint`, with every panel's first data in.
async fn console(
    endpoint: &str,
    read_only: bool,
    pending: Arc<PendingStore>,
) -> (
    App,
    Runtime,
    mpsc::Receiver<Event>,
    opsconsole::source::Session,
) {
    let session = aws::connect(&aws::AwsOptions {
        blocklists: vec![Blocklist {
            web_acl: BLOCK_ACL.to_string(),
            ip_set: BLOCK_SET.to_string(),
            scope: WafScope::Regional,
            region: Some(support::seed::TOKYO.to_string()),
        }],
        ..console_options(endpoint, read_only)
    })
    .await
    .expect("connect");
    let session = opsconsole::source::Session {
        pending: Some(pending),
        ..session
    };
    assert_eq!(
        session.executor.is_none(),
        read_only,
        "a read-only session holds no executor; a writable one does"
    );
    let settings = Settings::default();
    let (tx, mut rx) = mpsc::channel(4096);
    let mut runtime = Runtime::start(&session, &settings, tx);
    let mut app = App::new(
        session.sources.scope.clone(),
        Keymap::builtin("default").expect("keymap"),
        &settings,
        read_only,
        chrono::Utc::now(),
    );
    app.update(Event::Resize(160, 45));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while [
        PanelId::Targets,
        PanelId::Waf,
        PanelId::Dns,
        PanelId::Instances,
    ]
    .iter()
    .any(|p| app.world.status(*p).0.is_none())
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "panels never loaded"
        );
        if let Ok(Some(ev)) = tokio::time::timeout(Duration::from_secs(1), rx.recv()).await {
            let effects = app.update(ev);
            apply(&mut runtime, effects);
        }
    }
    (app, runtime, rx, session)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_key_in_read_only_mode_requests_nothing_that_writes() {
    let moto = Moto::start();
    let seeded = seed_scenarios(&moto).await;
    let (sets, set_id, set_arn) = blocklist(&moto).await;
    let state_dir = tempfile::tempdir().expect("state dir");
    let pending = due_expiry(state_dir.path(), &set_id, &set_arn);
    let before = state(&moto, &seeded).await;
    let set_before = blocklist_state(&sets, &set_id).await;
    // What the consoles ask for comes after what seeding wrote.
    let seeding = moto.strict.operations().len();

    let (mut app, mut runtime, mut rx, _session) =
        console(&moto.endpoint, true, pending.clone()).await;
    scanner_line(&mut app);
    assert!(
        app.world
            .waf
            .value
            .as_ref()
            .is_some_and(|w| w.ip_sets.len() == 1),
        "the blocklist was read: {:?}",
        app.world.waf.value.as_ref().map(|w| &w.unreadable)
    );
    let mut sent = 0;
    for keymap in ["default", "vim"] {
        app.keymap = Keymap::builtin(keymap).expect("keymap");
        sent += press_everywhere(&mut app, &mut rx, &mut runtime, &|| false);
    }
    assert!(sent > 5000, "only {sent} keys sent");
    // The console itself refuses: not one mutation was handed to the runtime.
    assert_eq!(
        EXECUTED.load(std::sync::atomic::Ordering::Relaxed),
        0,
        "a read-only console asked for a mutation"
    );
    // Let whatever the keys set off reach the wire.
    tokio::time::sleep(Duration::from_secs(2)).await;
    drain_events(&mut app, &mut rx, &mut runtime);
    drop(runtime);

    // Request by request, as the strict layer in front of the emulator recorded them.
    let ops = moto.strict.operations().split_off(seeding);
    for read in [
        "DescribeTargetHealth",
        "ListWebACLs",
        "DescribeInstances",
        "GetMetricData",
    ] {
        assert!(
            ops.iter().any(|o| o == read),
            "{read} never seen: the wire saw {ops:?}"
        );
    }
    assert_eq!(
        mutating(&ops),
        Vec::<String>::new(),
        "a read-only console requested a mutation"
    );
    assert_eq!(
        state(&moto, &seeded).await,
        before,
        "the emulator's state changed"
    );
    assert_eq!(
        blocklist_state(&sets, &set_id).await,
        set_before,
        "the IP set changed"
    );
    // The due expiry was shown, never carried out: it waits for a console that may act.
    assert_eq!(app.pending.len(), 1, "the expiry was not listed");
    assert_eq!(
        pending.load().await.expect("pending").len(),
        1,
        "carried out"
    );

    // The detector and the sequences work: on a writable console the same keys and answers
    // reach the executor, and the mutations are seen on the wire.
    let (mut app, mut runtime, mut rx, _session) =
        console(&moto.endpoint, false, pending.clone()).await;
    scanner_line(&mut app);
    let strict = &moto.strict;
    let read_only_ops = strict.operations().len();
    let seen = || {
        let ops = mutating(&strict.operations().split_off(read_only_ops));
        ["DeregisterTargets", "UpdateWebACL", "UpdateIPSet"]
            .iter()
            .all(|m| ops.iter().any(|o| o == m))
    };
    press_everywhere(&mut app, &mut rx, &mut runtime, &seen);
    assert!(EXECUTED.load(std::sync::atomic::Ordering::Relaxed) > 0);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !seen() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "a writable console's drain, toggle and block never reached the wire: {:?}",
            mutating(&strict.operations().split_off(read_only_ops))
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        drain_events(&mut app, &mut rx, &mut runtime);
    }
    // ...and the due expiry was carried out by the writable console.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !pending.load().await.expect("pending").is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "a writable console never carried out the due expiry"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        drain_events(&mut app, &mut rx, &mut runtime);
    }
}
