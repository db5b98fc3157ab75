//! The demo tells one story: what it shows depends on the wall clock and the seed, never on
//! when the process started; a blocked sender is refused everywhere it shows; no address plays
//! two parts; another process's changes reach it through the journal.

use super::logs::testing::raw_lines;
use super::*;
use crate::action::{IpSetRef, JournalEntry, Mutation};
use crate::model::{Answer, WafView};
use chrono::{DateTime, Duration, Utc};

/// A minute inside an `/xmlrpc.php` burst (minute 6 of its ten), well after the demo's epoch.
fn in_a_burst() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-04T13:26:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// A world whose process started at `started`, and the hand that moves its clock.
fn started_at(seed: u64, started: DateTime<Utc>) -> (Arc<DemoWorld>, ManualClock) {
    let (clock, hand) = Clock::manual(started);
    (DemoWorld::new(seed, clock), hand)
}

fn set_ref(view: &WafView) -> IpSetRef {
    let set = &view.ip_sets[0];
    IpSetRef {
        account: set.account.clone(),
        region: set.region.clone(),
        scope: set.scope,
        name: set.name.clone(),
        id: set.id.clone(),
        arn: set.arn.clone(),
        web_acl: set.web_acl.clone(),
    }
}

fn block(world: &DemoWorld, address: &str) -> Mutation {
    Mutation::Block {
        set: set_ref(&world.waf_view()),
        address: format!("{address}/32"),
        until: None,
    }
}

/// (allowed, blocked, counted) summed over the window of one rule of hwi-web-acl.
fn totals(view: &WafView, rule: &str) -> crate::model::RuleCounts {
    view.acls
        .iter()
        .flat_map(|a| &a.rules)
        .find(|r| r.name == rule)
        .map(|r| r.totals())
        .unwrap_or_default()
}

#[test]
fn worlds_started_minutes_apart_agree_at_the_same_instant() {
    let now = in_a_burst();
    // A console started 7 minutes ago beside a wall started 3 hours and 2 minutes ago.
    let (console, console_hand) = started_at(9, now - Duration::minutes(7));
    let (wall, wall_hand) = started_at(9, now - Duration::minutes(182));
    // Every 20 s over a whole drill cycle of ha-web-right (and into ha-utm-left's).
    for step in 0..60 {
        let t = now + Duration::seconds(20 * step);
        console_hand.set(t);
        wall_hand.set(t);
        assert_eq!(
            console.targets_view(),
            wall.targets_view(),
            "targets at {t}"
        );
        assert_eq!(console.waf_view(), wall.waf_view(), "WAF at {t}");
        assert_eq!(
            console.instances_view(),
            wall.instances_view(),
            "events at {t}"
        );
    }
    let (ms_c, ms_w) = (console.now_ms(), wall.now_ms());
    assert_eq!(
        raw_lines(&console, "hwi-wordpress", ms_c - 60_000, ms_c),
        raw_lines(&wall, "hwi-wordpress", ms_w - 60_000, ms_w)
    );
    let (acl, rule) = {
        let view = console.waf_view();
        let acl = view.acls.iter().find(|a| a.name == "hwi-web-acl").unwrap();
        (acl.id.clone(), "block-xmlrpc")
    };
    assert_eq!(
        console.rule_samples(&acl, rule).unwrap(),
        wall.rule_samples(&acl, rule).unwrap()
    );
}

/// The scheduled events stay in the future, whenever the demo is looked at, and name the same
/// instant in every process.
#[test]
fn scheduled_events_are_dated_by_the_calendar() {
    for days in [0, 1, 3, 5, 13, 40, 400] {
        let now = in_a_burst() + Duration::days(days);
        let world = DemoWorld::new(1, Clock::Fixed(now));
        let events: Vec<_> = world
            .instances_view()
            .instances
            .into_iter()
            .flat_map(|i| i.events)
            .collect();
        assert_eq!(events.len(), 2, "{events:?}");
        for e in events {
            let at = e.not_before.unwrap();
            assert!(
                at > now + Duration::days(1),
                "{} at {at} is not ahead of {now}",
                e.code
            );
            assert!(at <= now + Duration::days(21), "{} at {at}", e.code);
        }
    }
}

/// The flood's senders and the scanners are clients, never one of the demo's DNS answers.
#[test]
fn no_sender_is_also_a_dns_answer() {
    let world = DemoWorld::new(1, Clock::Fixed(in_a_burst()));
    let answers: Vec<String> = world
        .dns_view()
        .zones
        .iter()
        .flat_map(|z| &z.record_sets)
        .flat_map(|s| &s.records)
        .filter_map(|r| match &r.answer {
            Answer::Values { values, .. } => Some(values.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(!answers.is_empty());
    let senders = waf::FLOOD.iter().map(|(ip, _)| *ip).chain([
        "198.51.100.23",
        "192.0.2.66",
        "203.0.113.150",
        "203.0.113.45",
    ]);
    for sender in senders {
        assert!(
            !answers.iter().any(|a| a == sender),
            "{sender} sends requests and is a DNS answer too"
        );
    }
}

/// Blocking a sender changes what it gets: its log lines are 403 from then on, its sampled
/// requests are BLOCK by the IP set's rule (and gone from block-xmlrpc's), and its requests
/// count as blocked by that rule.
#[test]
fn a_blocked_sender_is_refused_in_logs_samples_and_counts() {
    let sender = "192.0.2.145";
    let (world, hand) = started_at(4, in_a_burst());
    let acl = world
        .waf_view()
        .acls
        .iter()
        .find(|a| a.name == "hwi-web-acl")
        .unwrap()
        .id
        .clone();
    let logins = |from: i64, to: i64| -> Vec<String> {
        raw_lines(&world, "hwi-wordpress", from, to)
            .into_iter()
            .filter(|l| l.starts_with(&format!("{sender} ")) && l.contains("wp-login"))
            .collect()
    };
    let t_block = world.now_ms();
    let before = logins(t_block - 600_000, t_block);
    assert!(!before.is_empty());
    assert!(before.iter().all(|l| l.contains("\" 200 ")), "{before:?}");
    world.apply(&block(&world, sender)).unwrap();
    hand.advance(Duration::seconds(150));
    let now = world.now_ms();
    let after = logins(t_block, now);
    assert!(!after.is_empty(), "the brute force goes on");
    assert!(after.iter().all(|l| l.contains("\" 403 ")), "{after:?}");

    let listed = world.rule_samples(&acl, waf::BLOCKED_RULE).unwrap();
    assert!(!listed.requests.is_empty(), "the listed rule has samples");
    for r in &listed.requests {
        assert_eq!(r.client_ip, sender);
        assert_eq!(r.action, "BLOCK");
    }
    let xmlrpc = world.rule_samples(&acl, "block-xmlrpc").unwrap();
    assert!(xmlrpc.requests.iter().all(|r| r.client_ip != sender));

    // The refused logins count as blocked by the set's rule, besides its flood share.
    let view = world.waf_view();
    let listed_blocked = totals(&view, waf::BLOCKED_RULE).blocked;
    let refused: u64 = (t_block.div_euclid(60_000)..=now.div_euclid(60_000))
        .map(|m| world.refused_in_minute(&world.changes_snapshot(), m, now))
        .sum();
    assert!(refused >= after.len() as u64, "{refused} < {}", after.len());
    assert!(listed_blocked >= refused, "{listed_blocked} < {refused}");
    assert_eq!(
        listed.population,
        Some(
            view.acls
                .iter()
                .flat_map(|a| &a.rules)
                .find(|r| r.name == waf::BLOCKED_RULE)
                .map(|r| r
                    .series
                    .iter()
                    .rev()
                    .take(3)
                    .map(|p| p.blocked as i64)
                    .sum())
                .unwrap()
        ),
        "the samples stand for the rule's own figures"
    );
}

/// A snapshot or wall started after a console blocked someone shows the block: the journal's
/// changes are replayed at their times.
#[test]
fn a_later_process_replays_the_journal() {
    let now = in_a_burst();
    let (console, hand) = started_at(4, now);
    let mutation = block(&console, "198.51.100.77");
    let message = console.apply(&mutation).unwrap();
    let entry = JournalEntry {
        time: now,
        caller_arn: None,
        account: mutation.account().map(|a| a.id.clone()),
        region: "us-east-1".into(),
        action: "block".into(),
        resource: "198.51.100.77/32".into(),
        before: String::new(),
        after: String::new(),
        request_id: None,
        outcome: "done".into(),
        message,
        mutation: Some(mutation),
    };
    hand.advance(Duration::seconds(70));
    let later = DemoWorld::new(4, Clock::Fixed(now + Duration::seconds(70)));
    let attempted = JournalEntry {
        outcome: "attempted".into(),
        ..entry.clone()
    };
    assert_eq!(later.replay(&[attempted, entry]), 1);
    assert_eq!(later.waf_view(), console.waf_view());
    assert!(totals(&later.waf_view(), waf::BLOCKED_RULE).blocked > 0);
}

/// A scanner blocked from its log line (it sends no flood): every request it makes from then
/// on is a 403 line, and the IP set's rule counts exactly those.
#[test]
fn a_blocked_scanner_is_counted_by_the_sets_rule() {
    let scanner = "198.51.100.23";
    let (world, hand) = started_at(5, in_a_burst());
    let from = world.now_ms();
    world.apply(&block(&world, scanner)).unwrap();
    hand.advance(Duration::seconds(170));
    let now = world.now_ms();
    let refused: Vec<String> = ["s5-nginx-proxy", "hwi-wordpress"]
        .iter()
        .flat_map(|log| raw_lines(&world, log, from - 1, now))
        .filter(|l| l.contains(&format!(" {scanner}:")) || l.starts_with(&format!("{scanner} ")))
        .collect();
    assert!(!refused.is_empty(), "the scanner goes on scanning");
    assert!(refused.iter().all(|l| l.contains("\" 403 ")), "{refused:?}");
    let view = world.waf_view();
    let counted = totals(&view, waf::BLOCKED_RULE).blocked;
    assert_eq!(counted, refused.len() as u64);
    // Moved from what the default action allowed, not counted twice.
    let (clock, _) = Clock::manual(in_a_burst() + Duration::seconds(170));
    let unblocked = DemoWorld::new(5, clock).waf_view();
    let acl = |v: &WafView| {
        let a = v.acls.iter().find(|a| a.name == "hwi-web-acl").unwrap();
        let sum = |s: &[crate::model::RuleCounts]| s.iter().map(|c| c.allowed).sum::<u64>();
        (sum(&a.default_series), a.totals())
    };
    let ((allowed_then, totals_then), (allowed_now, totals_now)) = (acl(&unblocked), acl(&view));
    assert_eq!(allowed_then - allowed_now, counted);
    assert_eq!(
        totals_then.allowed + totals_then.blocked,
        totals_now.allowed + totals_now.blocked,
        "the same requests"
    );
}

/// A wall beside a console: the wall's world follows the journal, so a block the console makes
/// after the wall started shows at the wall's next refresh.
#[test]
fn a_wall_follows_the_journal_a_console_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal-demo.jsonl");
    let now = in_a_burst();
    let (wall, wall_hand) = started_at(4, now - Duration::minutes(30));
    wall_hand.set(now);
    assert_eq!(wall.follow_journal(&path).unwrap(), 0, "no journal yet");
    let (console, console_hand) = started_at(4, now - Duration::minutes(2));
    console_hand.set(now);
    let mutation = block(&console, "198.51.100.77");
    let message = console.apply(&mutation).unwrap();
    let journal = crate::action::Journal::open(&path).unwrap();
    let entry = JournalEntry {
        time: now,
        caller_arn: None,
        account: mutation.account().map(|a| a.id.clone()),
        region: "us-east-1".into(),
        action: "block".into(),
        resource: "198.51.100.77/32".into(),
        before: String::new(),
        after: String::new(),
        request_id: None,
        outcome: "done".into(),
        message,
        mutation: Some(mutation.clone()),
    };
    journal.append(&entry).unwrap();
    // The journal keeps the account the change was made in (the IP set's, S4's).
    let read = crate::action::journal::read_window(&path, DateTime::UNIX_EPOCH).unwrap();
    let replayed = read.entries[0].mutation.as_ref().unwrap();
    assert_eq!(replayed.account(), Some(&estate::Home::Apps.account()));
    assert_eq!(read.entries[0].account.as_deref(), Some("444455556666"));
    wall_hand.set(now + Duration::seconds(5));
    console_hand.set(now + Duration::seconds(5));
    assert_eq!(
        wall.waf_view(),
        console.waf_view(),
        "the wall shows the block"
    );
    // Removed again by the console: gone from the wall too.
    let undo = mutation.undo().unwrap();
    let message = console.apply(&undo).unwrap();
    journal
        .append(&JournalEntry {
            time: now + Duration::seconds(5),
            message,
            mutation: Some(undo),
            ..entry
        })
        .unwrap();
    wall_hand.set(now + Duration::seconds(9));
    console_hand.set(now + Duration::seconds(9));
    assert_eq!(wall.waf_view(), console.waf_view());
    assert!(wall.waf_view().ip_sets[0].addresses.is_empty());
}
