//! A demo console and a demo snapshot taken at the same moment say the same thing: the same
//! problems, the same IP set, the same figures, even when the snapshot is another process
//! started later (the console's changes reach it through the demo journal).

use chrono::{DateTime, Duration, Utc};
use opsconsole::action::{IpSetRef, Journal, JournalEntry, Mutation};
use opsconsole::app::{App, Data, Event};
use opsconsole::config::{Keymap, Settings};
use opsconsole::snapshot;
use opsconsole::source::Session;
use opsconsole::source::demo::{Clock, DemoWorld};
use std::path::Path;
use std::sync::Arc;

/// Half a minute into an `/xmlrpc.php` burst (minute 6 of its ten).
fn at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-04T13:26:30Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn options(journal: &Path) -> snapshot::Options {
    snapshot::Options {
        log_backlog: 10,
        journal: Some(journal.to_path_buf()),
        pending: None,
        endpoint: None,
        since: Duration::minutes(15),
        intervals: Settings::default().polled_intervals(),
    }
}

/// The console: the session's panels read once at `now`, fed to an App as the runtime would.
fn console(session: &Session, journal: &Path, now: DateTime<Utc>) -> App {
    let collected = runtime().block_on(snapshot::collect(session, &options(journal)));
    let mut app = App::new(
        session.sources.scope.clone(),
        Keymap::builtin("default").unwrap(),
        &Settings::default(),
        false,
        now,
    );
    let w = collected.world;
    app.update(Event::Data(Data::Targets(
        now,
        w.targets.value.ok_or_else(String::new),
    )));
    app.update(Event::Data(Data::Waf(
        now,
        w.waf.value.ok_or_else(String::new),
    )));
    app.update(Event::Data(Data::Dns(
        now,
        w.dns.value.ok_or_else(String::new),
    )));
    app.update(Event::Data(Data::Instances(
        now,
        w.instances.value.ok_or_else(String::new),
    )));
    app.update(Event::Tick(now));
    app
}

/// The console blocks the flood's top sender at `at()`, as its journaled executor records it.
fn block_in_console(world: &Arc<DemoWorld>, journal: &Path) {
    let set = world.waf_view().ip_sets[0].clone();
    let mutation = Mutation::Block {
        set: IpSetRef {
            account: None,
            region: set.region,
            scope: set.scope,
            name: set.name,
            id: set.id,
            arn: set.arn,
            web_acl: set.web_acl,
        },
        address: "198.51.100.77/32".into(),
        until: None,
    };
    let message = world.apply(&mutation).expect("blocked");
    let entry = JournalEntry {
        time: at(),
        caller_arn: None,
        account: None,
        region: "us-east-1".into(),
        action: "block".into(),
        resource: "198.51.100.77/32 in hwi-blocked-addresses".into(),
        before: "not in the set".into(),
        after: "in the set".into(),
        request_id: None,
        outcome: "done".into(),
        message,
        mutation: Some(mutation),
    };
    Journal::open(journal).unwrap().append(&entry).unwrap();
}

fn subjects(problems: &[opsconsole::problems::Problem]) -> Vec<String> {
    let mut s: Vec<String> = problems
        .iter()
        .map(|p| format!("{} {}: {}", p.severity.as_str(), p.subject, p.text))
        .collect();
    s.sort();
    s
}

#[test]
fn a_snapshot_started_later_finds_the_consoles_problems() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal-demo.jsonl");
    // The console has run for twenty minutes; it blocks the flood's top sender.
    let (clock, hand) = Clock::manual(at() - Duration::minutes(20));
    let console_world = DemoWorld::new(5, clock);
    hand.set(at());
    block_in_console(&console_world, &journal);
    // A block takes effect from the next minute (the one under way was shown whole).
    hand.set(at() + Duration::seconds(70));
    let now = at() + Duration::seconds(70);
    let app = console(&console_world.session(), &journal, now);

    // `opsconsole --demo --snapshot`, started just now, in a process of its own.
    let snapshot_world = DemoWorld::new(5, Clock::Fixed(now));
    snapshot_world.replay_journal(&journal).unwrap();
    let taken = runtime().block_on(snapshot::collect(
        &snapshot_world.session(),
        &options(&journal),
    ));

    assert!(
        app.problems
            .iter()
            .any(|p| p.subject.contains("block-listed-addresses")),
        "the block shows in the console: {:#?}",
        subjects(&app.problems)
    );
    assert_eq!(
        taken.problems.len(),
        app.problems.len(),
        "snapshot {:#?}\nconsole {:#?}",
        subjects(&taken.problems),
        subjects(&app.problems)
    );
    assert_eq!(subjects(&taken.problems), subjects(&app.problems));
    let set =
        |w: &opsconsole::model::World| w.waf.value.as_ref().map(|v| v.ip_sets[0].addresses.clone());
    assert_eq!(set(&taken.world), set(&app.world));
    assert_eq!(
        set(&taken.world),
        Some(vec!["198.51.100.77/32".to_string()])
    );
}

/// `--snapshot --since 1h` reads an hour of WAF counts where the console keeps 15 minutes: a
/// spike is still judged against the same quarter of an hour, so both find the same problems.
#[test]
fn a_longer_snapshot_window_finds_the_same_problems() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal-demo.jsonl");
    let now = at() + Duration::seconds(20);
    let console_world = DemoWorld::new(5, Clock::Fixed(now));
    let app = console(&console_world.session(), &journal, now);
    for minutes in [30, 60, 180] {
        let snapshot_world = DemoWorld::with_waf_window(5, Clock::Fixed(now), minutes);
        let options = snapshot::Options {
            since: Duration::minutes(i64::from(minutes)),
            ..options(&journal)
        };
        let taken = runtime().block_on(snapshot::collect(&snapshot_world.session(), &options));
        assert_eq!(
            subjects(&taken.problems),
            subjects(&app.problems),
            "--since {minutes}m"
        );
    }
}
