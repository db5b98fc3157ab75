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
    let timeline = &json["timeline"];
    let entries = timeline["data"].as_array().expect("timeline entries");
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
        timeline["error"]
            .as_str()
            .is_some_and(|e| e.contains("1 lines could not be read")),
        "{timeline}"
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
