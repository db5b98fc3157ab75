//! The real binary in tmux on the demo world: a rule counted for 15 minutes leaves a restore
//! that only a console with write access carries out, so quitting asks first (`Esc` stays, `k`
//! keeps it scheduled, `r` restores the rule before quitting), and a SIGTERM, which cannot
//! ask, journals it as left scheduled and the next start says so.

use crate::support;

use std::process::Command;
use support::tmux::Tmux;

fn journal(t: &Tmux) -> Vec<serde_json::Value> {
    std::fs::read_to_string(t.dir.path().join("state/journal-demo.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// (action, outcome, after) of each journal entry past "attempted".
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

fn pending(t: &Tmux) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(t.dir.path().join("state/pending-demo.json"))
        .expect("pending undos kept");
    serde_json::from_str(&text).expect("json")
}

/// Starts the demo and counts `block-xmlrpc` for 15 minutes from the keyboard; the header
/// then counts down to its restore.
fn counting_for_15_minutes(name: &str) -> Tmux {
    let t = Tmux::start(name, "");
    t.wait_for("ha-web-left");
    t.keys(&["2", "/"]);
    t.keys(&["-l", "block-xmlrpc"]);
    t.keys(&["Enter", "t"]);
    t.wait_for("[until restored]");
    t.keys(&["2"]);
    let dialog = t.wait_for("[15 m, then restore]");
    assert!(
        dialog.contains("Undone by: this machine, while a console with write access runs"),
        "who restores it:\n{dialog}"
    );
    t.keys(&["y"]);
    t.wait_for("block-xmlrpc in hwi-web-acl is now Count");
    t.wait_for("⟲ 1 scheduled · next");
    t
}

/// The quit dialog's last line: it is open.
const ASKS: &str = "Esc  stay (the default)";

/// The text of the dialog on `screen`, its wrapped lines joined.
fn dialog_text(screen: &str) -> String {
    let rows: Vec<&str> = screen
        .lines()
        .filter_map(|l| {
            let start = l.find('║')? + '║'.len_utf8();
            let end = l.rfind('║')?;
            l.get(start..end).map(str::trim)
        })
        .filter(|t| !t.is_empty())
        .collect();
    rows.join(" ")
}

#[test]
fn q_asks_first_esc_stays_and_k_keeps_the_restore_scheduled() {
    let t = counting_for_15_minutes("quitk");
    t.keys(&["q"]);
    let asked = dialog_text(&t.wait_for(ASKS));
    assert!(
        asked.starts_with("1 undo is scheduled (restore block-xmlrpc to Block at")
            && asked.contains(
                "UTC) and nobody will carry it out unless a console with write access runs then."
            )
            && asked
                .contains("r    carry them out now, then quit k    keep them scheduled and quit"),
        "{asked}"
    );
    // A lone ESC followed at once by a key reads as Alt+key: wait for the dialog to close.
    t.keys(&["Escape"]);
    t.wait_until(|s| !s.contains(ASKS), "Esc to stay");
    t.keys(&["C-c"]);
    t.wait_for(ASKS);
    t.keys(&["Enter"]);
    t.wait_until(|s| !s.contains(ASKS), "Enter to stay");
    t.keys(&["q"]);
    t.wait_for(ASKS);
    t.keys(&["k"]);
    t.wait_exit();
    let left = pending(&t);
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["undo"]["action"], "set-rule", "{left:?}");
    assert_eq!(left[0]["undo"]["rule"]["rule"], "block-xmlrpc", "{left:?}");
    assert_eq!(left[0]["undo"]["to"]["action"], "Block", "{left:?}");
}

#[test]
fn r_restores_the_rule_before_quitting() {
    let t = counting_for_15_minutes("quitr");
    t.keys(&["q"]);
    t.wait_for(ASKS);
    t.keys(&["r"]);
    t.wait_exit();
    let done = finished(&t);
    assert_eq!(done.len(), 2, "{done:?}");
    assert!(done[0].2.starts_with("Count until"), "{done:?}");
    assert_eq!(
        (done[1].0.as_str(), done[1].1.as_str(), done[1].2.as_str()),
        ("set-rule", "done", "Block"),
        "{done:?}"
    );
    assert!(pending(&t).is_empty(), "nothing left pending");
}

#[test]
fn sigterm_leaves_the_restore_scheduled_and_the_next_start_says_so() {
    let t = counting_for_15_minutes("quitterm");
    let pid = t.pid();
    assert!(!pid.is_empty(), "no console process found");
    let killed = Command::new("kill").args(["-TERM", &pid]).status();
    assert!(killed.expect("kill").success());
    t.wait_exit();
    let last = journal(&t).pop().expect("journal");
    assert_eq!(last["outcome"], "left-scheduled", "{last}");
    assert_eq!(last["action"], "set-rule", "{last}");
    let said = t.wait_for("opsconsole: stopped by SIGTERM with 1 undo scheduled");
    assert!(said.contains("restore block-xmlrpc to Block at"), "{said}");

    // The next console on this machine (its state directory: the same one) says so first.
    let state = t.dir.path().join("state");
    let config = t.dir.path().join("config");
    // The helper puts its own directories in front of the command; this shell function drops
    // those two words and runs the console on the first console's directories instead.
    let same_dirs = format!(
        "f() {{ shift 2; OPSCONSOLE_STATE_DIR={} OPSCONSOLE_CONFIG_DIR={} \"$@\"; }}; f",
        state.display(),
        config.display()
    );
    let next = Tmux::start_with("quitterm2", "--demo", &same_dirs);
    let notice = dialog_text(&next.wait_for("Undos left scheduled"));
    assert!(
        notice.contains(
            "(it could not ask) and left 1 undo scheduled: restore block-xmlrpc to Block at"
        ) && notice.contains("this console carries it out when the time comes"),
        "{notice}"
    );
    next.keys(&["Escape"]);
    next.wait_until(
        |s| !s.contains("Undos left scheduled"),
        "the notice to close",
    );
    next.keys(&["q"]);
    next.wait_for(ASKS);
    next.keys(&["k"]);
    next.wait_exit();
}
