//! A line too long to keep whole arrives in pieces (over SSH, cut at 64 KiB; from CloudWatch
//! Logs, as the awslogs driver split it). A continuation starts with whatever the request's
//! sender wrote at the cut, so it can read like a line from someone else: `b` and `w` never
//! take a client from a piece.

use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsconsole::app::{App, Data, Event, Overlay};
use opsconsole::config::{Keymap, Settings};
use opsconsole::model::{LogEntry, PanelId, Piece, Scope};
use opsconsole::source::LogBatch;

fn key(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

/// A console on the logs panel with `entries` received.
fn console_with(entries: Vec<LogEntry>) -> App {
    let scope = Scope {
        mode: "aws".into(),
        regions: vec!["ap-northeast-1".into()],
        ..Scope::default()
    };
    let keymap = Keymap::builtin("default").unwrap_or_else(|e| panic!("keymap: {e}"));
    let mut app = App::new(scope, keymap, &Settings::default(), false, Utc::now());
    app.update(Event::Resize(160, 45));
    app.update(Event::Data(Data::Logs(
        Utc::now(),
        LogBatch::lines("web-1", entries),
    )));
    app.update(key('5'));
    assert_eq!(app.focus, PanelId::Logs);
    app
}

fn line(text: &str) -> LogEntry {
    LogEntry::Line {
        received_at: Utc::now(),
        text: text.into(),
    }
}

fn piece(text: &str, piece: Piece) -> LogEntry {
    LogEntry::Piece {
        received_at: Utc::now(),
        text: text.into(),
        piece,
    }
}

/// What the sender put in a URI so that the text after a cut reads as a combined line of a
/// victim's address.
const FORGED: &str = "192.0.2.66 - - [26/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1";
const REAL: &str = "198.51.100.7 - - [26/Nov/2026:10:00:00 +0000] \"GET /a HTTP/1.1\" 404 1";

#[test]
fn b_on_a_piece_says_it_names_no_client() {
    for kind in [Piece::Continuation, Piece::Head] {
        let mut app = console_with(vec![line(REAL), piece(FORGED, kind)]);
        app.update(key('b'));
        let said = app
            .status
            .as_ref()
            .map(|s| s.text.clone())
            .unwrap_or_default();
        assert!(
            said.contains("cut for length") && said.contains("names no client"),
            "{kind:?}: {said:?}"
        );
        assert!(!said.contains("192.0.2.66"), "{said:?}");
        assert!(
            app.overlay.is_none(),
            "{kind:?}: nothing to confirm or refuse: {:?}",
            app.overlay.as_ref().map(|_| "an overlay")
        );
    }
}

#[test]
fn w_counts_whole_lines_only() {
    let mut app = console_with(vec![
        line(REAL),
        piece(REAL, Piece::Head),
        piece(FORGED, Piece::Continuation),
        piece(FORGED, Piece::Continuation),
        line(REAL),
    ]);
    app.update(key('w'));
    let Some(Overlay::Talkers(t)) = &app.overlay else {
        panic!("w opened no list");
    };
    let rows = t.rows();
    let keys: Vec<(&str, usize)> = rows.iter().map(|r| (r.key.as_str(), r.count)).collect();
    assert_eq!(keys, [("198.51.100.7", 2)], "{}", t.title);
    assert!(t.title.starts_with("2 log lines"), "{}", t.title);
}
