//! Read-only is a property of the session, not of the keys: a read-only console pointed at the
//! emulator, sent every key of every context on every panel and many rows, requests no mutating
//! AWS operation (checked on the wire, through a recording proxy) and leaves the emulator's state
//! unchanged.

mod support;

use aws_sdk_elasticloadbalancingv2 as elb;
use aws_sdk_wafv2 as waf;
use crossterm::event::{KeyEvent, KeyModifiers};
use opsconsole::action::Mutation;
use opsconsole::app::{App, Effect, Event};
use opsconsole::config::{KeyContext, Keymap, Settings};
use opsconsole::model::PanelId;
use opsconsole::runtime::Runtime;
use opsconsole::source::aws;
use std::time::Duration;
use support::{Moto, RecordingProxy, Seeded, console_options, seed_scenarios, target_ref};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_key_in_read_only_mode_requests_nothing_that_writes() {
    let moto = Moto::start();
    let seeded = seed_scenarios(&moto).await;
    let before = state(&moto, &seeded).await;
    let proxy = RecordingProxy::start(&format!("127.0.0.1:{}", moto.port));
    let session = aws::connect(&console_options(&proxy.endpoint, true))
        .await
        .expect("connect");
    assert!(
        session.executor.is_none(),
        "a read-only session holds no executor"
    );

    let settings = Settings::default();
    let (tx, mut rx) = mpsc::channel(4096);
    let mut runtime = Runtime::start(&session, &settings, tx);
    let mut app = App::new(
        session.sources.scope.clone(),
        Keymap::builtin("default").expect("keymap"),
        &settings,
        true,
        chrono::Utc::now(),
    );
    app.update(Event::Resize(160, 45));
    // Wait for every panel's first data.
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

    let mut sent = 0;
    for keymap in ["default", "vim"] {
        app.keymap = Keymap::builtin(keymap).expect("keymap");
        let keys: Vec<KeyEvent> = KeyContext::ALL
            .iter()
            .flat_map(|ctx| app.keymap.bindings(*ctx).to_vec())
            .map(|b| KeyEvent::new(b.key.code, b.key.modifiers))
            .chain(
                ['y', 'Y', 'd', 'u', 't']
                    .map(|c| KeyEvent::new(crossterm::event::KeyCode::Char(c), KeyModifiers::NONE)),
            )
            .collect();
        for panel in PanelId::ALL {
            for row in 0..12 {
                for key in &keys {
                    app.focus = panel;
                    app.overlay = None;
                    let h = app.viewport(panel);
                    if let Some(p) = app.table_panel_mut(panel) {
                        p.select(row, h);
                    }
                    let effects = app.update(Event::Key(*key));
                    apply(&mut runtime, effects);
                    sent += 1;
                    drain_events(&mut app, &mut rx, &mut runtime);
                }
            }
        }
    }
    assert!(sent > 1000, "only {sent} keys sent");
    // Let whatever the keys set off reach the wire.
    tokio::time::sleep(Duration::from_secs(2)).await;
    drain_events(&mut app, &mut rx, &mut runtime);
    drop(runtime);

    let ops = proxy.operations();
    for read in [
        "DescribeTargetHealth",
        "ListWebACLs",
        "DescribeInstances",
        "GetMetricData",
    ] {
        assert!(
            ops.iter().any(|o| o == read),
            "{read} never seen: the proxy saw {ops:?}"
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

    // The detector itself works: a writable session's drain is seen on the wire.
    let writable = aws::connect(&console_options(&proxy.endpoint, false))
        .await
        .expect("connect");
    let drain = Mutation::Drain {
        target: target_ref(&seeded, "ha-web-tg", "ha-web-left"),
    };
    writable
        .executor
        .expect("writable")
        .execute(&drain)
        .await
        .expect("drain");
    assert!(mutating(&proxy.operations()).contains(&"DeregisterTargets".to_string()));
}
