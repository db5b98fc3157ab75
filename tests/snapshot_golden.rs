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
        pending: None,
        endpoint: None,
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

/// Found by fuzzing (fuzz/regressions/snapshot): a log source's name in markdown and a
/// geolocation code in every format reached the output raw.
#[test]
fn hostile_log_source_names_and_locations_are_escaped_in_every_format() {
    let mut c = collected();
    let evil = "evil\u{1b}]0;pwned\u{7}\u{202e}";
    let entry = opsconsole::model::LogEntry::Line {
        received_at: at(),
        text: "GET / 200".into(),
    };
    c.world.logs.push(evil, [entry], at());
    let dns = c.world.dns.value.as_mut().expect("demo dns");
    let record = dns
        .zones
        .iter_mut()
        .flat_map(|z| z.record_sets.iter_mut())
        .flat_map(|s| s.records.iter_mut())
        .find(|r| r.location.is_some())
        .expect("a geolocation record");
    if let Some(loc) = record.location.as_mut() {
        loc.country = Some(format!("J{evil}P"));
    }
    for format in [Format::Md, Format::Text, Format::Json] {
        let out = snapshot::render(&c, format, at());
        assert!(out.contains("evil"), "{format:?} lost the name");
        for bad in ['\u{1b}', '\u{7}', '\u{202e}'] {
            assert!(!out.contains(bad), "{format:?} carries {bad:?}");
        }
    }
}

/// Found by reading the fuzz harness: a source named with backticks closed the log block early.
#[test]
fn a_log_source_name_cannot_close_the_markdown_log_block() {
    let mut c = collected();
    let entry = opsconsole::model::LogEntry::Line {
        received_at: at(),
        text: String::new(),
    };
    c.world.logs.push("````````", [entry], at());
    let out = snapshot::render(&c, Format::Md, at());
    let fence_line = out
        .lines()
        .find(|l| l.starts_with("```") && l.ends_with("text"))
        .expect("the log block");
    let fence = fence_line.trim_end_matches("text");
    assert!(
        fence.len() > 8,
        "fence {fence:?} is not longer than the name"
    );
}

/// Every markdown table row has as many cells as its header: a short row is malformed markdown
/// and an empty column to whoever reads the incident notes.
#[test]
fn every_markdown_row_has_a_cell_for_each_column() {
    let md = snapshot::render(&collected(), Format::Md, at());
    // Cells are separated by `|` not escaped as `\|`.
    let cells = |line: &str| {
        let bytes = line.as_bytes();
        (0..bytes.len())
            .filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\'))
            .count()
            .saturating_sub(1)
    };
    let mut header = None;
    let mut tables = 0;
    for line in md.lines() {
        if !line.starts_with('|') {
            header = None;
            continue;
        }
        match header {
            None => {
                header = Some(cells(line));
                tables += 1;
            }
            Some(n) => assert_eq!(cells(line), n, "row with the wrong cell count: {line}"),
        }
    }
    assert!(tables >= 5, "{tables} tables");
}

/// A block for an hour, a block until removed and a timed Count, as a snapshot lists them:
/// each blocked address with how long it stays, and the undos with their time left.
#[test]
fn active_blocks_are_listed_with_their_time_left() {
    use opsconsole::action::{Executor, Mutation, PendingStore, Scheduled};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let world = DemoWorld::new(11, Clock::Fixed(at()));
    let session = world.session();
    let dir = tempfile::tempdir().unwrap();
    let pending = dir.path().join("pending.json");
    let store = std::sync::Arc::new(PendingStore::new(&pending));
    let exec = Scheduled::new(session.executor.clone().unwrap(), store);
    let set = world.waf_view().ip_sets[0].clone();
    let set_ref = opsconsole::action::IpSetRef {
        account: None,
        region: set.region.clone(),
        scope: set.scope,
        name: set.name.clone(),
        id: set.id.clone(),
        arn: set.arn.clone(),
        web_acl: set.web_acl.clone(),
    };
    for (address, until) in [
        (
            "198.51.100.77/32",
            Some(at() + chrono::Duration::minutes(42)),
        ),
        ("192.0.2.145/32", None),
    ] {
        rt.block_on(exec.execute(&Mutation::Block {
            set: set_ref.clone(),
            address: address.into(),
            until,
        }))
        .unwrap();
    }
    // A rule counted for 20 minutes: its restore is listed with the time left.
    let view = world.waf_view();
    let (acl, rule) = view
        .acls
        .iter()
        .find_map(|a| {
            let r = a.rules.iter().find(|r| {
                r.kind
                    == opsconsole::model::RuleKind::Plain {
                        action: opsconsole::model::RuleAction::Block,
                    }
            })?;
            Some((a, r))
        })
        .expect("a Block rule");
    rt.block_on(exec.execute(&Mutation::SetRule {
        rule: opsconsole::action::RuleRef {
            account: None,
            region: acl.region.clone(),
            scope: acl.scope,
            acl_name: acl.name.clone(),
            acl_id: acl.id.clone(),
            rule: rule.name.clone(),
        },
        from: rule.kind.clone(),
        to: opsconsole::model::RuleKind::Plain {
            action: opsconsole::model::RuleAction::Count,
        },
        until: Some(at() + chrono::Duration::minutes(20)),
    }))
    .unwrap();
    let restore = format!(
        "- Set WAF rule {} in {} from Count to Block — due 2026-11-21 10:23 UTC (20m left)",
        rule.name, acl.name
    );
    let options = snapshot::Options {
        // A line of each demo log: with none asked for, each would be waited for 5 s.
        log_backlog: 1,
        journal: None,
        pending: Some(pending),
        endpoint: None,
        since: chrono::Duration::minutes(15),
        intervals: vec![],
    };
    let collected = rt.block_on(snapshot::collect(&session, &options));
    let md = snapshot::render(&collected, Format::Md, at());
    let section = md
        .split("### Blocked addresses")
        .nth(1)
        .expect("a blocked addresses section");
    assert!(
        section.contains("hwi-blocked-addresses for hwi-web-acl, 2 of 10000"),
        "{section}"
    );
    assert!(
        section.contains("- 198.51.100.77/32 — until due 2026-11-21 10:45 UTC (42m left)"),
        "{section}"
    );
    assert!(
        section.contains("- 192.0.2.145/32 — until removed"),
        "{section}"
    );
    assert!(
        md.contains("- Remove 198.51.100.77/32 from IP set hwi-blocked-addresses (hwi-web-acl) — due 2026-11-21 10:45 UTC (42m left)"),
        "{md}"
    );
    assert!(md.contains(&restore), "{restore}\n{md}");
    let text = snapshot::render(&collected, Format::Text, at());
    assert!(text.contains("192.0.2.145/32  until removed"), "{text}");
}
