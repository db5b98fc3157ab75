//! From the keyboard, in the real binary on the demo world (tmux): a scanner's address seen in a
//! log line is blocked for 15 minutes, a managed rule group counts for 15 minutes; when their
//! time comes (moved forward in the state directory's `pending-demo.json`, which the console
//! re-reads) the console undoes both by itself, and every step is in the journal.

use crate::support;

use std::time::{Duration, Instant};
use support::tmux::Tmux;

fn journal(t: &Tmux) -> Vec<serde_json::Value> {
    std::fs::read_to_string(t.dir.path().join("state/journal-demo.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// (action, outcome, after) of each finished journal entry.
fn finished(t: &Tmux) -> Vec<(String, String, String)> {
    journal(t)
        .iter()
        .filter(|e| e["outcome"] != "attempted")
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            (s("action"), s("outcome"), s("after"))
        })
        .collect()
}

#[test]
fn a_scanner_is_blocked_a_group_counts_and_both_are_undone_on_time() {
    let t = Tmux::start("block", "--demo-seed 5");
    t.wait_for("ha-web-left");
    // The logs: find a scanner's line (seed S5's Go client) and block its client.
    t.keys(&["5", "s"]);
    t.keys(&["-l", "Go-http-client"]);
    t.keys(&["Enter"]);
    t.wait_for("Go-http-client");
    t.keys(&["b"]);
    let dialog = t.wait_for("Proceed?");
    assert!(
        dialog.contains("Address 198.51.100.23") && dialog.contains("hwi-blocked-addresses"),
        "{dialog}"
    );
    assert!(dialog.contains("[1 h]"), "an hour unless chosen:\n{dialog}");
    t.keys(&["1", "y"]);
    t.wait_for("198.51.100.23/32 is blocked");

    // The WAF panel: the noisy managed group counts for 15 minutes.
    // A lone ESC followed at once by a key reads as Alt+key: wait for the search to clear.
    t.keys(&["Escape"]);
    t.wait_until(
        |s| !s.contains("search: Go-http-client"),
        "the search to clear",
    );
    t.keys(&["2", "/"]);
    t.keys(&["-l", "WordPressRuleSet"]);
    t.keys(&["Enter", "t"]);
    t.wait_for("[until restored]");
    t.keys(&["2", "y"]);
    t.wait_for("is now Group (Count)");
    let done = finished(&t);
    assert_eq!(done.len(), 2, "{done:?}");
    assert_eq!(done[0].0, "block");
    assert!(done[0].2.starts_with("in the set until"), "{done:?}");
    assert!(done[1].2.starts_with("Group (Count) until"), "{done:?}");

    // Their time comes: the console, which looks every 15 s, undoes both by itself.
    let pending_file = t.dir.path().join("state/pending-demo.json");
    let text = std::fs::read_to_string(&pending_file).expect("pending undos kept");
    let mut pending: Vec<serde_json::Value> = serde_json::from_str(&text).expect("json");
    assert_eq!(pending.len(), 2, "{text}");
    // Each undo is due when the lifetime chosen (`1`: 15 m for the block, `2`: 15 m for the
    // Count) ends, before any time is moved.
    let mut due: Vec<(String, i64)> = pending
        .iter()
        .map(|p| {
            let at = p["due"]
                .as_str()
                .and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok())
                .unwrap_or_else(|| panic!("no due time: {p}"));
            let left = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
            let action = p["undo"]["action"].as_str().unwrap_or_default().to_string();
            (action, left.num_seconds())
        })
        .collect();
    due.sort();
    for (action, left) in &due {
        assert!(
            (14 * 60..=16 * 60).contains(left),
            "{action} due in {left} s, not 15 minutes: {due:?}"
        );
    }
    assert_eq!(
        due.iter().map(|(a, _)| a.as_str()).collect::<Vec<_>>(),
        ["set-rule", "unblock"],
        "{text}"
    );
    let past = (chrono::Utc::now() - chrono::Duration::seconds(1)).to_rfc3339();
    for p in &mut pending {
        p["due"] = serde_json::Value::String(past.clone());
    }
    std::fs::write(
        &pending_file,
        serde_json::to_string(&pending).expect("json"),
    )
    .expect("write");
    let deadline = Instant::now() + Duration::from_secs(45);
    while finished(&t).len() < 4 {
        assert!(
            Instant::now() < deadline,
            "undos not carried out: {:?}",
            finished(&t)
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let done = finished(&t);
    assert_eq!(
        done[2..]
            .iter()
            .map(|(a, o, after)| (a.as_str(), o.as_str(), after.as_str()))
            .collect::<Vec<_>>(),
        [
            ("unblock", "done", "not in the set"),
            ("set-rule", "done", "Group (None)")
        ],
        "{done:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&pending_file)
            .expect("pending")
            .trim(),
        "[]",
        "nothing left pending"
    );
    t.wait_for("Group (None)");
    t.keys(&["q"]);
    t.wait_exit();
}
