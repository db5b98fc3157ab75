//! The wall display against the emulator: when the endpoint dies, every panel turns STALE within
//! twice its interval and says why; when it comes back, the panels recover without a restart.

use crate::support;

use opsconsole::app::{App, Event};
use opsconsole::config::{Keymap, Settings};
use opsconsole::model::PanelId;
use opsconsole::runtime::Runtime;
use opsconsole::source::aws;
use std::time::Duration;
use support::{Moto, RecordingProxy, console_options, seed_scenarios};
use tokio::sync::mpsc;

/// The wall's header (first line) and footer (last line) as drawn at 160×45.
fn header_and_footer(app: &App) -> (String, String) {
    use ratatui::{Terminal, backend::TestBackend};
    let mut terminal = Terminal::new(TestBackend::new(160, 45)).expect("terminal");
    let theme = opsconsole::config::Theme::load("high-contrast", false).expect("theme");
    terminal
        .draw(|f| opsconsole::ui::draw(f, app, &theme))
        .expect("draw");
    let buffer = terminal.backend().buffer();
    let line = |y: u16| {
        (0..160)
            .map(|x| buffer[(x, y)].symbol())
            .collect::<String>()
    };
    (line(0), line(44))
}

/// Feeds the console events for `secs` seconds (ticking the clock), then returns.
async fn run_for(app: &mut App, rx: &mut mpsc::Receiver<Event>, runtime: &Runtime, secs: u64) {
    let until = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < until {
        if let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
            for e in app.update(ev) {
                if let opsconsole::app::Effect::Refresh(p) = e {
                    runtime.refresh(p);
                }
            }
        }
        app.update(Event::Tick(chrono::Utc::now()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_endpoint_turns_the_wall_stale_and_it_recovers() {
    let moto = Moto::start();
    seed_scenarios(&moto).await;
    let proxy = RecordingProxy::start(&format!("127.0.0.1:{}", moto.port));
    let session = aws::connect(&console_options(&proxy.endpoint, true))
        .await
        .expect("connect");
    let mut settings = Settings::default();
    settings.apply_interval_override(1);
    let (tx, mut rx) = mpsc::channel(1024);
    let runtime = Runtime::start(&session, &settings, tx);
    let mut app = App::new(
        session.sources.scope.clone(),
        Keymap::builtin("default").expect("keymap"),
        &settings,
        true,
        chrono::Utc::now(),
    )
    .into_wall(None);
    app.update(Event::Resize(160, 45));

    run_for(&mut app, &mut rx, &runtime, 4).await;
    for p in [PanelId::Targets, PanelId::Instances] {
        assert!(app.world.status(p).0.is_some(), "{p:?} never loaded");
        assert_eq!(
            app.stale_secs(p),
            None,
            "{p:?} stale while the endpoint is up"
        );
    }

    // Targets keep to ELBv2's budget (2 calls a second): a 1 s interval is stretched, and the
    // wall judges the panel against the interval it really gets.
    let paced = app
        .intervals
        .iter()
        .find(|(p, _)| *p == PanelId::Targets)
        .map(|(_, every)| *every);
    assert!(
        paced.is_some_and(|every| every > Duration::from_secs(1)),
        "{paced:?}"
    );

    // Fresh data: the wall may say what the data shows.
    let (header, _) = header_and_footer(&app);
    assert!(
        !header.contains("STALE") && !header.contains("UNKNOWN"),
        "{header}"
    );

    proxy.set_down(true);
    let died = tokio::time::Instant::now();
    // Every polled panel turns STALE within twice the interval it really gets (+ slack for a
    // slow machine), each judged on its own: not just the one a test happens to look at.
    let effective: Vec<(PanelId, Duration)> = app.intervals.clone();
    assert_eq!(effective.len(), 4, "{effective:?}");
    let mut pending = effective.clone();
    while !pending.is_empty() {
        run_for(&mut app, &mut rx, &runtime, 1).await;
        pending.retain(|(p, every)| {
            let stale = app.stale_secs(*p).is_some();
            assert!(
                stale || died.elapsed() < *every * 2 + Duration::from_secs(10),
                "{p:?} not STALE within twice its interval ({every:?}) after the endpoint died"
            );
            !stale
        });
    }
    // Backoff doubles from the 1 s interval; give it time to fail and the data time to age past 2 s.
    run_for(&mut app, &mut rx, &runtime, 2).await;
    // Read from across the room: the status word says STALE, never OK, as soon as any panel is.
    let (header, _) = header_and_footer(&app);
    assert!(
        header.contains("STALE") && !header.contains(" OK "),
        "{header}"
    );
    // Each stack's status follows the Targets panel: STALE within twice its (paced) interval.
    let targets_every = paced.unwrap_or(Duration::from_secs(1));
    let deadline = tokio::time::Instant::now() + targets_every * 2 + Duration::from_secs(10);
    loop {
        let (header, footer) = header_and_footer(&app);
        assert!(!header.contains(" OK "), "{header}");
        if footer.contains("STALE") {
            assert!(!footer.contains(" OK "), "{footer}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "stacks not STALE within twice the Targets interval ({targets_every:?}): {footer}"
        );
        run_for(&mut app, &mut rx, &runtime, 1).await;
    }
    let stale = app.stale_secs(PanelId::Instances);
    assert!(
        stale.is_some_and(|s| s >= 2),
        "instances not stale: {stale:?}"
    );
    let (_, error, _) = app.world.status(PanelId::Instances);
    assert!(error.is_some(), "the failure is shown");
    assert!(
        app.problems
            .iter()
            .any(|p| p.panel == PanelId::Instances && p.text.starts_with("STALE")),
        "{:?}",
        app.problems
    );

    proxy.set_down(false);
    // Backed-off pollers come back within their (capped) waits; the panel forgets its staleness.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(45);
    while app.stale_secs(PanelId::Instances).is_some()
        || app.world.status(PanelId::Instances).1.is_some()
    {
        assert!(tokio::time::Instant::now() < deadline, "never recovered");
        run_for(&mut app, &mut rx, &runtime, 1).await;
    }
}

/// The bound the wall claims, exactly: a panel is STALE once its data is more than twice the
/// interval it gets old, not at twice, and not only at three times. A panel paced by its source
/// (ELBv2's budget) is judged against the interval it really gets, on the same bound.
#[test]
fn a_panel_is_stale_just_past_twice_the_interval_it_gets() {
    let settings = Settings::default();
    let configured =
        chrono::Duration::from_std(settings.interval(PanelId::Targets)).expect("an interval");
    let t0 = chrono::Utc::now();
    let mut app = App::new(
        opsconsole::model::Scope::default(),
        Keymap::builtin("default").expect("keymap"),
        &settings,
        true,
        t0,
    )
    .into_wall(None);
    app.update(Event::Data(opsconsole::app::Data::Targets(
        t0,
        Ok(Default::default()),
    )));
    let stale_at = |app: &mut App, after: chrono::Duration| {
        app.update(Event::Tick(t0 + after));
        app.stale_secs(PanelId::Targets)
    };
    let second = chrono::Duration::seconds(1);
    assert_eq!(stale_at(&mut app, configured * 2), None, "at twice");
    assert_eq!(
        stale_at(&mut app, configured * 2 + second),
        Some((configured * 2 + second).num_seconds()),
        "just past twice"
    );
    // A large estate: the panel gets a refresh every 4× the interval.
    let paced = configured * 4;
    app.update(Event::Paced(
        PanelId::Targets,
        paced.to_std().expect("paced"),
    ));
    assert_eq!(stale_at(&mut app, paced * 2), None, "at twice the paced");
    assert!(
        stale_at(&mut app, paced * 2 + second).is_some(),
        "just past twice the paced"
    );
}
