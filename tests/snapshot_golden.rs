//! Golden snapshots of `--snapshot` for the demo world at a fixed time and seed: markdown, text
//! and JSON, exactly as printed (the one line in the machine's local time zone aside).

use chrono::{DateTime, Utc};
use opsconsole::snapshot::{self, Format};
use opsconsole::source::demo::{Clock, DemoWorld};

fn at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-21T10:03:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn collected() -> snapshot::Collected {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let session = DemoWorld::new(11, Clock::Fixed(at())).session();
    let options = snapshot::Options {
        log_backlog: 12,
        journal: None,
        since: chrono::Duration::minutes(15),
        intervals: vec![],
    };
    rt.block_on(snapshot::collect(&session, &options))
}

/// Drops what depends on the machine or the moment the data was fetched, not on the world.
fn stable(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("- Local time:") && !l.contains("\"generated_at_local\""))
        .map(|l| {
            // Fetch timestamps are real time; the world itself is at the fixed clock.
            let re = regex::Regex::new(r"data \d+[smhd] old").unwrap();
            re.replace_all(l, "data N old").into_owned()
        })
        .filter(|l| !l.contains("\"fetched_at\"") && !l.contains("\"age_secs\""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn demo_markdown() {
    insta::assert_snapshot!(stable(&snapshot::render(&collected(), Format::Md, at())));
}

#[test]
fn demo_text() {
    insta::assert_snapshot!(stable(&snapshot::render(&collected(), Format::Text, at())));
}

#[test]
fn demo_json() {
    insta::assert_snapshot!(stable(&snapshot::render(&collected(), Format::Json, at())));
}
