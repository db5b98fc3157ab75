//! The incident timeline in a snapshot: what consoles saw change (the timeline file beside the
//! journal) and what the journal says was done, in the window, oldest first, in every format,
//! with remote text made safe.

use chrono::{Duration, Utc};
use opsconsole::timeline::{Entry, Origin, Subject};
use std::io::Write;
use std::path::Path;

fn observed(minutes_ago: i64, name: &str) -> Entry {
    let time = Utc::now() - Duration::minutes(minutes_ago);
    Entry {
        time,
        since: Some(time - Duration::seconds(15)),
        account: None,
        region: "ap-northeast-1".into(),
        subject: Subject {
            name: name.into(),
            id: "i-0aaf0f7f0d1e2c3b4".into(),
        },
        what: "target state in ha-web-tg".into(),
        before: Some("healthy".into()),
        after: Some("unhealthy (Target.Timeout)".into()),
        who: None,
        source: Origin::Observed,
        panel: opsconsole::model::PanelId::Targets,
        row: None,
    }
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut f = std::fs::File::create(path).expect("file");
    for l in lines {
        writeln!(f, "{l}").expect("line");
    }
}

fn snapshot(state: &Path, format: &str) -> String {
    let out = crate::support::offline_binary()
        .env("OPSCONSOLE_STATE_DIR", state)
        .env("OPSCONSOLE_CONFIG_DIR", state.join("config"))
        .env_remove("OPSCONSOLE_CONFIG")
        .args(["--demo", "--snapshot", "--format", format])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).expect("UTF-8")
}

#[test]
fn a_snapshot_prints_what_changed_in_its_window_and_who_did_it() {
    let dir = tempfile::tempdir().expect("dir");
    let state = dir.path();
    let recent = observed(5, "ha-web-right\u{1b}[31m");
    let old = observed(120, "long-gone");
    write_lines(
        &state.join("timeline-demo.jsonl"),
        &[
            serde_json::to_string(&old).expect("json"),
            "{ torn".to_string(),
            serde_json::to_string(&recent).expect("json"),
        ],
    );
    let drained = serde_json::json!({
        "time": (Utc::now() - Duration::minutes(3)).to_rfc3339(),
        "caller_arn": "arn:aws:sts::123456789012:assumed-role/Deployer/ci-bot",
        "account": null,
        "region": "ap-northeast-1",
        "action": "drain",
        "resource": "i-0aaf0f7f0d1e2c3b4:80 in ha-web-tg (ha-lbint)",
        "before": "healthy",
        "after": "draining",
        "request_id": "req-1",
        "outcome": "done",
        "message": ""
    });
    write_lines(&state.join("journal-demo.jsonl"), &[drained.to_string()]);

    let json: serde_json::Value =
        serde_json::from_str(&snapshot(state, "json")).expect("the snapshot is JSON");
    let entries = json["timeline"]
        .as_array()
        .expect("a top-level timeline list");
    // The demo's own story fills the window too; these are the ones written above.
    let written: Vec<&serde_json::Value> = entries
        .iter()
        .filter(|e| e["subject"]["id"] == "i-0aaf0f7f0d1e2c3b4" || e["source"] == "journal")
        .collect();
    assert_eq!(written.len(), 2, "{entries:#?}");
    assert!(
        !entries.iter().any(|e| e["subject"]["name"] == "long-gone"),
        "{entries:#?}"
    );
    let seen = written[0];
    assert_eq!(seen["source"], "observed");
    assert_eq!(seen["subject"]["id"], "i-0aaf0f7f0d1e2c3b4");
    assert_eq!(seen["subject"]["name"], "ha-web-right\\x1b[31m");
    assert_eq!(seen["before"], "healthy");
    assert!(seen["since"].is_string(), "{seen}");
    let done = written[1];
    assert_eq!(done["source"], "journal");
    assert_eq!(done["who"], "assumed-role/Deployer/ci-bot");
    assert_eq!(done["what"], "drain");
    assert!(
        json["timeline_note"]
            .as_str()
            .is_some_and(|e| e.contains("1 lines could not be read")),
        "{}",
        json["timeline_note"]
    );

    let md = snapshot(state, "md");
    let section = md
        .split("## Timeline (last 15m)")
        .nth(1)
        .expect("a timeline section");
    // Markdown escapes the backslash of the shown escape too.
    assert!(section.contains("ha-web-right\\\\x1b"), "{section}");
    assert!(!md.contains('\u{1b}'), "an escape reached the markdown");
    assert!(
        section.contains("healthy → unhealthy (Target.Timeout)"),
        "{section}"
    );
    assert!(section.contains("(after "), "{section}");
    assert!(
        section.contains("assumed-role/Deployer/ci-bot"),
        "{section}"
    );
    assert!(!section.contains("long-gone"), "{section}");

    // And the story itself: the drill that takes ha-web-right down every six minutes.
    assert!(
        entries
            .iter()
            .any(|e| e["subject"]["name"] == "ha-web-right"
                && e["source"] == "observed"
                && e["subject"]["id"] != "i-0aaf0f7f0d1e2c3b4"),
        "{entries:#?}"
    );

    let text = snapshot(state, "text");
    assert!(text.contains("== Timeline (last 15m)"), "{text}");
    assert!(!text.contains('\u{1b}'), "an escape reached the terminal");
}

/// A wall against the emulator, and changes made outside it — a target drained and a rule set to
/// Count by another console, an instance stopped by another hand. The wall (read-only) keeps
/// what it saw change in the timeline file; a snapshot taken after the wall stopped prints each
/// change, dated inside the window the wall ran.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wall_records_changes_made_elsewhere_and_a_later_snapshot_prints_them() {
    use crate::support::{Moto, console_options, rule_ref, seed_scenarios, target_ref};
    use opsconsole::action::Mutation;
    use opsconsole::app::{App, Effect, Event};
    use opsconsole::config::{Keymap, Settings};
    use opsconsole::model::{RuleAction, RuleKind};
    use opsconsole::runtime::Runtime;
    use opsconsole::source::aws;
    use std::sync::Arc;
    use std::time::Duration as StdDuration;

    let moto = Moto::start();
    let seeded = seed_scenarios(&moto).await;
    let dir = tempfile::tempdir().expect("state dir");
    let journal = dir.path().join("journal.jsonl");
    let timeline_file = opsconsole::timeline::store::beside(&journal);
    let mut wall_session = aws::connect(&console_options(&moto.endpoint, true))
        .await
        .expect("connect");
    wall_session.timeline = Some(Arc::new(
        opsconsole::timeline::store::Timeline::open(&timeline_file).expect("timeline"),
    ));
    let mut settings = Settings::default();
    settings.apply_interval_override(1);
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let mut runtime = Runtime::start(&wall_session, &settings, tx);
    let mut wall = App::new(
        wall_session.sources.scope.clone(),
        Keymap::builtin("default").expect("keymap"),
        &settings,
        true,
        Utc::now(),
    )
    .into_wall(None);
    let started = Utc::now();
    // Runs the wall until `done` holds of its timeline, or a minute passed.
    async fn run_until(
        wall: &mut App,
        rx: &mut tokio::sync::mpsc::Receiver<Event>,
        runtime: &mut Runtime,
        done: impl Fn(&App) -> bool,
    ) -> bool {
        let until = tokio::time::Instant::now() + StdDuration::from_secs(60);
        while tokio::time::Instant::now() < until {
            if done(wall) {
                return true;
            }
            if let Ok(Some(ev)) =
                tokio::time::timeout(StdDuration::from_millis(200), rx.recv()).await
            {
                for effect in wall.update(ev) {
                    if !matches!(effect, Effect::Quit) {
                        runtime.perform(effect);
                    }
                }
            }
            wall.update(Event::Tick(Utc::now()));
        }
        done(wall)
    }
    let loaded = |w: &App| {
        w.world.targets.value.is_some()
            && w.world.waf.value.is_some()
            && w.world.instances.value.is_some()
    };
    assert!(
        run_until(&mut wall, &mut rx, &mut runtime, loaded).await,
        "the wall never loaded"
    );

    // Elsewhere: another console drains a target and counts a rule; another hand stops an
    // instance.
    let other = aws::connect(&console_options(&moto.endpoint, false))
        .await
        .expect("connect");
    let exec = other.executor.clone().expect("writable");
    let target = target_ref(&seeded, "ha-web-tg", "ha-web-right");
    exec.execute(&Mutation::Drain {
        target: target.clone(),
    })
    .await
    .expect("drain");
    let rule = rule_ref(&seeded, "hwi-web-acl", "block-xmlrpc");
    exec.execute(&Mutation::SetRule {
        until: None,
        rule,
        from: RuleKind::Plain {
            action: RuleAction::Block,
        },
        to: RuleKind::Plain {
            action: RuleAction::Count,
        },
    })
    .await
    .expect("count");
    let running = seeded
        .instances
        .iter()
        .find(|i| i.state == "running" && i.name != "ha-web-right")
        .expect("a running instance");
    let ec2 = aws_sdk_ec2::Client::new(&moto.sdk_config(&running.region).await);
    ec2.stop_instances()
        .instance_ids(&running.id)
        .send()
        .await
        .expect("stop");

    let saw = |w: &App, id: &str, what: &str| {
        w.timeline
            .iter()
            .any(|e| e.subject.id == id && e.what.starts_with(what))
    };
    let (target_id, instance_id) = (target.id.clone(), running.id.clone());
    let all_seen = move |w: &App| {
        saw(w, &target_id, "target state")
            && w.timeline.iter().any(|e| e.what == "rule action")
            && saw(w, &instance_id, "instance state")
    };
    let seen = run_until(&mut wall, &mut rx, &mut runtime, all_seen).await;
    let stopped = Utc::now();
    assert!(
        seen,
        "the wall did not see every change: {:#?}",
        wall.timeline
    );
    drop(runtime);
    // The file is written off the UI's thread: give the last write a moment.
    tokio::time::sleep(StdDuration::from_millis(500)).await;

    let snapshot_session = aws::connect(&console_options(&moto.endpoint, true))
        .await
        .expect("connect");
    let options = opsconsole::snapshot::Options {
        journal: Some(journal.clone()),
        since: chrono::Duration::minutes(15),
        ..crate::support::snapshot_options()
    };
    let collected = opsconsole::snapshot::collect(&snapshot_session, &options).await;
    // The emulator has no CloudTrail lookup: the snapshot says it could not ask who, and still
    // prints what was seen.
    assert!(
        collected
            .timeline_error
            .as_deref()
            .is_some_and(|e| e.contains("LookupEvents")),
        "{:?}",
        collected.timeline_error
    );
    crate::support::assert_in_the_iam_policy(&snapshot_session);
    let inside = |e: &&Entry| e.time >= started && e.time <= stopped;
    let find = |id: &str, what: &str| {
        collected
            .timeline
            .iter()
            .filter(inside)
            .find(|e| e.subject.id == id && e.what.starts_with(what))
            .cloned()
            .unwrap_or_else(|| panic!("no {what} of {id} in {:#?}", collected.timeline))
    };
    let drained = find(&target.id, "target state");
    assert_eq!(drained.before.as_deref(), Some("healthy"), "{drained:?}");
    assert_eq!(drained.source, Origin::Observed);
    assert!(
        drained
            .since
            .is_some_and(|s| s >= started && s < drained.time)
    );
    let stopped_entry = find(&running.id, "instance state");
    assert_eq!(stopped_entry.before.as_deref(), Some("running"));
    let counted = collected
        .timeline
        .iter()
        .filter(inside)
        .find(|e| e.what == "rule action")
        .expect("the rule's change");
    assert_eq!(counted.before.as_deref(), Some("Block"));
    assert_eq!(counted.after.as_deref(), Some("Count"));
}

/// The real binary on the demo world: `T` opens on the story of the last hour (ha-web-right's
/// drill), `/` filters it, Enter goes to the target's row.
#[test]
fn t_in_the_console_lists_what_changed_and_goes_to_its_row() {
    let t = crate::support::tmux::Tmux::start("timeline", "");
    t.wait_for("ha-web-left");
    // From another panel: Enter must take the operator to Targets.
    t.keys(&["3"]);
    t.wait_for("┏ 3 Route53");
    t.keys(&["T"]);
    // The whole view drawn: its last line too (a capture can land mid-frame).
    t.wait_until(
        |s| s.contains("Timeline (") && s.contains("Esc or T close"),
        "the timeline view",
    );
    t.keys(&["/"]);
    t.keys(&["-l", "ha-web-right target"]);
    t.keys(&["Enter"]);
    let filtered = t.wait_until(
        |s| s.contains("/ha-web-right target") && s.contains("Esc or T close"),
        "the filtered timeline",
    );
    assert!(
        filtered.contains("ha-web-right target state in ha-web-tg"),
        "the demo's drill is not in the timeline:\n{filtered}"
    );
    assert!(!filtered.contains("ha-utm-left target"), "{filtered}");
    t.keys(&["Enter"]);
    let back = t.wait_until(|s| !s.contains("Timeline ("), "the timeline closed");
    assert!(
        back.contains("┏ 1 Targets"),
        "Targets is not focused:\n{back}"
    );
}
