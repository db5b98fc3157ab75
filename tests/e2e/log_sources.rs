//! The logs panel says where its lines come from: the source in the title and before each line
//! of a merged view, a filter that finds a source by the name shown, the age of the newest line,
//! a footer that says what `l` did, and `l` on the demo's Fargate target following its log group.

use chrono::{DateTime, Duration, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsconsole::app::{App, Data, Event};
use opsconsole::config::{Keymap, Settings, Theme};
use opsconsole::model::{LogEntry, PanelId};
use opsconsole::source::LogBatch;
use opsconsole::source::demo::{Clock, DemoWorld};
use opsconsole::view::Role;
use opsconsole::{snapshot, ui};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-21T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// The demo console at `at()`, every log's backlog in, the footer saying something unrelated.
fn console() -> App {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let session = DemoWorld::new(7, Clock::Fixed(at())).session();
    let options = snapshot::Options {
        log_backlog: 20,
        journal: None,
        pending: None,
        endpoint: None,
        since: Duration::minutes(15),
        intervals: vec![],
    };
    let w = rt.block_on(snapshot::collect(&session, &options)).world;
    let mut app = App::new(
        session.sources.scope.clone(),
        Keymap::builtin("default").unwrap(),
        &Settings::default(),
        false,
        at(),
    );
    app.update(Event::Resize(160, 45));
    app.update(Event::Data(Data::Targets(
        at(),
        w.targets.value.ok_or_else(String::new),
    )));
    app.update(Event::Data(Data::Instances(
        at(),
        w.instances.value.ok_or_else(String::new),
    )));
    app.world.logs = w.logs;
    app.say("copied 3 lines", Role::Normal, at());
    app.update(Event::Tick(at()));
    app
}

fn screen(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(160, 45)).unwrap();
    let theme = Theme::load("dark", false).unwrap();
    terminal.draw(|f| ui::draw(f, app, &theme)).unwrap();
    format!("{}", terminal.backend())
}

fn press(app: &mut App, code: KeyCode) {
    app.update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn keys(app: &mut App, text: &str) {
    text.chars().for_each(|c| press(app, KeyCode::Char(c)));
}

fn select(app: &mut App, panel: PanelId, containing: &str) {
    let h = app.viewport(panel);
    let p = app.panels.get_mut(panel).unwrap();
    let key = p
        .table
        .rows
        .iter()
        .find(|r| r.cells.first().is_some_and(|c| c.text.contains(containing)))
        .map(|r| r.key.clone())
        .unwrap_or_else(|| panic!("no row containing {containing}"));
    p.select_key(&key, h);
}

fn source_of(app: &App) -> Option<&str> {
    app.panels
        .logs
        .source
        .and_then(|i| app.world.logs.sources.get(i))
        .map(String::as_str)
}

fn footer(app: &App) -> String {
    app.status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

#[test]
fn l_on_an_instance_names_its_log_in_the_title_and_the_footer() {
    let mut app = console();
    // Merged, every line says whose it is, and the title how many are merged.
    let merged = screen(&app);
    assert!(merged.contains("5 Logs · 4 sources"), "{merged}");
    keys(&mut app, "4");
    select(&mut app, PanelId::Instances, "ha-web-left");
    keys(&mut app, "l");
    assert_eq!(source_of(&app), Some("ha-web-left"));
    let shown = screen(&app);
    assert!(shown.contains("5 Logs · ha-web-left"), "{shown}");
    let said = footer(&app);
    assert!(
        said.contains("ha-web-left") && !said.contains("copied"),
        "the footer says what l did: {said}"
    );
}

#[test]
fn a_filter_finds_a_source_by_the_name_shown() {
    let mut app = console();
    keys(&mut app, "5/ha-web-left");
    press(&mut app, KeyCode::Enter);
    let shown: Vec<String> = app
        .panels
        .logs
        .visible(&app.world.logs, 30)
        .into_iter()
        .map(|e| app.world.logs.source_name(e).to_string())
        .collect();
    assert!(!shown.is_empty(), "/ha-web-left finds its lines");
    assert!(shown.iter().all(|s| s == "ha-web-left"), "{shown:?}");
    // `!` hides a source the same way.
    press(&mut app, KeyCode::Esc);
    keys(&mut app, "/!ha-web-");
    press(&mut app, KeyCode::Enter);
    let shown = app.panels.logs.visible(&app.world.logs, 30);
    assert!(!shown.is_empty());
    assert!(
        shown
            .iter()
            .all(|e| !app.world.logs.source_name(e).starts_with("ha-web-"))
    );
}

#[test]
fn the_title_gives_the_newest_lines_age() {
    let mut app = console();
    let line = |secs: i64| LogEntry::Line {
        received_at: at() + Duration::seconds(secs),
        text: "203.0.113.9 - - \"GET / HTTP/1.1\" 200 12".into(),
    };
    app.update(Event::Data(Data::Logs(
        at() + Duration::seconds(2),
        LogBatch::lines("hwi-wordpress", vec![line(2)]),
    )));
    // Forty seconds later a poll brings nothing: the newest line is still 40 s old.
    let later = at() + Duration::seconds(42);
    app.update(Event::Data(Data::Logs(
        later,
        LogBatch::lines("hwi-wordpress", vec![]),
    )));
    app.update(Event::Tick(later));
    let shown = screen(&app);
    let title = shown
        .lines()
        .find(|l| l.contains("5 Logs"))
        .unwrap_or_default()
        .to_string();
    assert!(title.contains(" 40s ago "), "{title}");
}

#[test]
fn l_on_the_demos_fargate_target_follows_its_log_group() {
    let mut app = console();
    keys(&mut app, "1");
    select(&mut app, PanelId::Targets, "10.0.139.57");
    press(&mut app, KeyCode::Char('l'));
    assert_eq!(app.focus, PanelId::Logs);
    assert_eq!(source_of(&app), Some("hwi-wordpress"));
    let said = footer(&app);
    assert!(
        said.contains("hwi-wordpress") && said.contains("hwi-tg1"),
        "{said}"
    );
    assert!(screen(&app).contains("5 Logs · hwi-wordpress"));
}
