//! The interactive console: terminal setup that is always undone (quit, panic, SIGINT, SIGTERM,
//! SIGHUP), and the loop that turns input and source events into frames.

use crate::action::journal::{self, Journal};
use crate::app::{App, Effect, Event, undo_words};
use crate::config::Theme;
use crate::config::{Config, ConfigError, Settings};
use crate::runtime::Runtime;
use crate::source::Session;
use crate::ui;
use chrono::Utc;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture, EventStream};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use futures::StreamExt;
use ratatui::backend::CrosstermBackend;
use std::io::{self, Stdout};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

mod diff;
mod screen;
pub use screen::Screen;

/// Tick while something is loading (spinners move) and when idle (ages move).
const BUSY_TICK: Duration = Duration::from_millis(120);
const IDLE_TICK: Duration = Duration::from_secs(1);
/// Frames for data and ticks come at most this often (log lines arrive several times a second;
/// a wall runs for months); keys, mouse and resizes are drawn at once.
const DATA_FRAME: Duration = Duration::from_millis(500);

/// Owns raw mode and the alternate screen; dropping it puts the terminal back.
struct TerminalGuard {
    screen: Screen<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        enable_raw_mode()?;
        let mut out = io::stdout();
        if let Err(e) = execute!(out, EnterAlternateScreen, EnableMouseCapture) {
            restore();
            return Err(e);
        }
        // The size is asked once; resize events follow it (asking on every frame would open
        // /dev/tty each time).
        let screen = crossterm::terminal::size().and_then(|(w, h)| {
            Screen::new(
                CrosstermBackend::new(out),
                ratatui::layout::Rect::new(0, 0, w, h),
            )
        });
        match screen {
            Ok(screen) => Ok(TerminalGuard { screen }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
        let _ = self.screen.show_cursor();
    }
}

/// Leaves the alternate screen and raw mode; safe to call more than once.
pub fn restore() {
    let _ = execute!(io::stdout(), DisableMouseCapture, LeaveAlternateScreen);
    let _ = disable_raw_mode();
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// Runs the console until the operator quits or a signal asks it to stop.
/// Reads the configuration again (wall mode reloads it on SIGHUP instead of quitting).
pub type Reload = Box<dyn Fn() -> Result<Config, ConfigError>>;

/// Runs the console until the operator quits or a signal asks it to stop. With `reload`, SIGHUP
/// re-reads the configuration (theme, keymap, intervals) and carries on. A signal cannot ask
/// what to do with the undos this console scheduled: they are recorded in `journal` as left
/// scheduled (the next start says so) and said on stderr.
pub async fn run(
    session: Session,
    settings: Settings,
    mut app: App,
    mut theme: Theme,
    reload: Option<Reload>,
    journal: Option<PathBuf>,
) -> anyhow::Result<()> {
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut guard = TerminalGuard::enter()?;
    let size = guard.screen.area();
    app.update(Event::Resize(size.width, size.height));
    app.world.logs.followed |= !session.sources.logs.is_empty();

    let (tx, mut rx) = mpsc::channel(1024);
    let mut runtime = Runtime::start(&session, &settings, tx);
    let mut input = EventStream::new();

    // The tick keeps its own schedule, so a busy log stream cannot starve the clock.
    let mut next_tick = tokio::time::Instant::now();
    // What is on screen is older than the state: draw at `draw_at` (now, for input).
    let mut draw_at = Some(tokio::time::Instant::now());
    let mut drawn_at = tokio::time::Instant::now();
    // Frames rendered; the screen counts those that changed a cell and were written.
    let mut rendered: u64 = 0;
    // How the console ended: `Ok(None)` the operator quit; `Ok(Some(why))` something that
    // cannot be asked (a signal, the terminal gone).
    let ended: anyhow::Result<Option<&str>> = 'console: loop {
        if draw_at.is_some_and(|at| at <= tokio::time::Instant::now()) {
            if let Err(e) = guard.screen.draw(|f| ui::draw_on(f, &app, &theme)) {
                break 'console Err(e.into());
            }
            rendered += 1;
            drawn_at = tokio::time::Instant::now();
            draw_at = None;
        }
        let event = tokio::select! {
            _ = sleep_until_some(draw_at) => continue,
            maybe = input.next() => match maybe {
                Some(Ok(ev)) => match from_terminal(ev) {
                    Some(e) => e,
                    None => continue,
                },
                Some(Err(e)) => break 'console Err(e.into()),
                None => break 'console Ok(Some("the terminal closing")),
            },
            Some(ev) = rx.recv() => ev,
            _ = tokio::time::sleep_until(next_tick) => {
                next_tick = tokio::time::Instant::now() + if app.is_busy() { BUSY_TICK } else { IDLE_TICK };
                Event::Tick(Utc::now())
            }
            _ = sigterm.recv() => break 'console Ok(Some("SIGTERM")),
            _ = sighup.recv() => match &reload {
                None => break 'console Ok(Some("SIGHUP")),
                Some(reload) => match reload() {
                    Ok(config) => {
                        theme = config.theme;
                        app.keymap = config.keymap;
                        app.intervals = config.settings.polled_intervals();
                        // New intervals need new pollers; the old ones stop when dropped.
                        let (new_tx, new_rx) = mpsc::channel(1024);
                        runtime = Runtime::start(&session, &config.settings, new_tx);
                        rx = new_rx;
                        Event::Status("configuration reloaded".to_string(), Utc::now())
                    }
                    Err(e) => Event::Status(format!("configuration not reloaded: {e}"), Utc::now()),
                },
            },
            _ = sigint.recv() => break 'console Ok(Some("SIGINT")),
        };
        let input = matches!(event, Event::Key(_) | Event::Mouse(_) | Event::Resize(..));
        let tick = matches!(event, Event::Tick(_));
        if let Event::Resize(w, h) = event {
            // The viewport is fixed (no size query per frame): follow the terminal here.
            if let Err(e) = guard.screen.resize(ratatui::layout::Rect::new(0, 0, w, h)) {
                break 'console Err(e.into());
            }
        }
        let mut refreshed = a_refresh(&event);
        let mut effects = app.update(event);
        // Apply everything already waiting before drawing again: one frame per burst.
        while let Ok(ev) = rx.try_recv() {
            refreshed |= a_refresh(&ev);
            effects.extend(app.update(ev));
        }
        if refreshed {
            // The answer it replaced is freed: its pages go back now, not at the next peak.
            crate::memory::give_back_freed();
        }
        let kind = if input {
            Arrived::Input
        } else if tick {
            Arrived::Tick
        } else {
            Arrived::Data
        };
        if let Some(next) = frame_due(kind, app.is_busy(), drawn_at, tokio::time::Instant::now()) {
            draw_at = Some(draw_at.map_or(next, |at| at.min(next)));
        }
        for effect in effects {
            if let Effect::Copy(text) = &effect {
                // OSC 52: the terminal puts it on the clipboard where it allows that. A write
                // that fails loses only the copy; the text is still shown under the panel.
                let copy =
                    crossterm::clipboard::CopyToClipboard::to_clipboard_from(text.as_bytes());
                if let Err(e) = crossterm::execute!(guard.screen.backend_mut(), copy) {
                    tracing::warn!(error = %e, "copy to the clipboard failed");
                }
                continue;
            }
            if !runtime.perform(effect) {
                break 'console Ok(None);
            }
        }
    };
    tracing::info!(
        rendered,
        written = guard.screen.frames_written(),
        bodies_reused = guard.screen.bodies_reused(),
        "frames of this console"
    );
    let left = match &ended {
        Ok(None) => None,
        Ok(Some(why)) => leave_scheduled(&app, journal.as_deref(), why),
        Err(e) => leave_scheduled(&app, journal.as_deref(), &format!("an error ({e})")),
    };
    drop(runtime);
    drop(guard);
    // On the main screen again: where the operator looks after a stop they did not choose.
    if let Some(left) = left {
        eprintln!("opsconsole: {left}");
    }
    ended.map(|_| ())
}

/// Records in the journal each undo this console leaves behind when `why` stopped it without
/// asking, so the next start says they were left. What to say about them, if any were left.
fn leave_scheduled(app: &App, journal: Option<&Path>, why: &str) -> Option<String> {
    let left = app.undos_left_behind();
    if left.is_empty() {
        return None;
    }
    let now = Utc::now();
    let recorded = match journal {
        None => Err("no state directory for the journal".to_string()),
        Some(path) => Journal::open(path)
            .and_then(|j| {
                left.iter().try_for_each(|p| {
                    let scope = &app.world.scope;
                    let entry = journal::left_scheduled(
                        p,
                        why,
                        scope.caller_arn.clone(),
                        scope.account.clone(),
                        now,
                    );
                    j.append(&entry)
                })
            })
            .map_err(|e| format!("the journal {} could not record them: {e}", path.display())),
    };
    let words: Vec<String> = left.iter().map(|p| undo_words(p, now)).collect();
    let mut said = format!(
        "stopped by {why} with {} scheduled ({}): nobody carries {} out unless a console with write access runs then",
        if left.len() == 1 {
            "1 undo".to_string()
        } else {
            format!("{} undos", left.len())
        },
        words.join("; "),
        if left.len() == 1 { "it" } else { "them" },
    );
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "undos left scheduled not journaled");
        said = format!("{said}; {e}");
    }
    Some(said)
}

/// What changed the state since the last frame.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Arrived {
    /// A key, the mouse or a resize: drawn at once.
    Input,
    /// The clock: the header's seconds and the panels' ages move.
    Tick,
    /// A refresh, log lines, a pending list.
    Data,
}

/// When the frame for what `arrived` is due; `None`: the next tick's frame shows it.
fn frame_due(
    arrived: Arrived,
    busy: bool,
    drawn_at: tokio::time::Instant,
    now: tokio::time::Instant,
) -> Option<tokio::time::Instant> {
    match arrived {
        Arrived::Input => Some(now),
        Arrived::Tick => Some(drawn_at + DATA_FRAME),
        Arrived::Data if busy => Some(drawn_at + DATA_FRAME),
        // Idle, the clock moves the screen every second anyway: data waits for that frame
        // (under a second) instead of costing one of its own.
        Arrived::Data => None,
    }
}

/// A panel's refresh: a new answer replaced the one before.
fn a_refresh(event: &Event) -> bool {
    use crate::app::Data;
    matches!(
        event,
        Event::Data(Data::Targets(..) | Data::Waf(..) | Data::Dns(..) | Data::Instances(..))
    )
}

/// Sleeps until `at`, or forever without one (a `select!` branch that never fires).
async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn from_terminal(ev: crossterm::event::Event) -> Option<Event> {
    use crossterm::event::Event as T;
    match ev {
        T::Key(k) => Some(Event::Key(k)),
        T::Mouse(m) => Some(Event::Mouse(m)),
        T::Resize(w, h) => Some(Event::Resize(w, h)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::backend::{Backend, TestBackend};
    use ratatui::layout::Rect;
    use ratatui::widgets::Paragraph;

    fn screen() -> Screen<TestBackend> {
        Screen::new(TestBackend::new(8, 1), Rect::new(0, 0, 8, 1)).expect("a test screen")
    }

    #[test]
    fn an_idle_console_draws_data_with_the_next_tick() {
        let drawn_at = tokio::time::Instant::now();
        let now = drawn_at + Duration::from_millis(300);
        assert_eq!(frame_due(Arrived::Data, false, drawn_at, now), None);
        assert_eq!(
            frame_due(Arrived::Tick, false, drawn_at, now),
            Some(drawn_at + DATA_FRAME)
        );
        // Loading: spinners move, data is drawn within half a second.
        assert_eq!(
            frame_due(Arrived::Data, true, drawn_at, now),
            Some(drawn_at + DATA_FRAME)
        );
        assert_eq!(frame_due(Arrived::Input, false, drawn_at, now), Some(now));
    }

    fn text(t: &'static str) -> impl FnOnce(&mut ui::Canvas) {
        move |f: &mut ui::Canvas| f.render_widget(Paragraph::new(t), f.area())
    }

    /// What a terminal would be sent, counted.
    #[derive(Clone, Default)]
    struct Tape(std::rc::Rc<std::cell::Cell<usize>>);

    impl io::Write for Tape {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.set(self.0.get() + buf.len());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn an_unchanged_screen_writes_not_one_byte() {
        let tape = Tape::default();
        let mut screen = Screen::new(CrosstermBackend::new(tape.clone()), Rect::new(0, 0, 8, 1))
            .expect("a terminal writing to memory");
        screen.draw(text("12:00:01")).expect("drawn");
        let first = tape.0.get();
        assert!(first > 0);
        screen.draw(text("12:00:01")).expect("drawn");
        assert_eq!(
            tape.0.get(),
            first,
            "an unchanged frame wrote colours or the cursor"
        );
        screen.draw(text("12:00:02")).expect("drawn");
        assert!(tape.0.get() > first);
        assert_eq!(screen.frames_written(), 2);
    }

    #[test]
    fn after_a_clear_the_same_frame_is_written_whole() {
        let mut screen = screen();
        screen.draw(text("12:00:01")).expect("drawn");
        screen.clear().expect("cleared");
        // The clear reached the screen, and the same frame, no cell of which changed, is then
        // written again whole.
        screen.backend().assert_buffer_lines(["        "]);
        screen.draw(text("12:00:01")).expect("drawn");
        screen.backend().assert_buffer_lines(["12:00:01"]);
        assert_eq!(screen.frames_written(), 2);
    }

    #[test]
    fn a_frame_not_written_leaves_the_next_one_whole() {
        let mut screen = screen();
        screen.draw(text("abc")).expect("drawn");
        screen.draw(text("abc")).expect("drawn");
        // A shorter text: the cells the skipped frame rendered must not linger.
        screen.draw(text("a")).expect("drawn");
        screen.backend().assert_buffer_lines(["a       "]);
    }

    #[test]
    fn a_resized_screen_is_written_whole_at_its_new_size() {
        let mut screen = screen();
        screen.draw(text("abc")).expect("drawn");
        screen.backend_mut().resize(4, 2);
        // What a terminal shows after a resize is its own: here a cell the frames never drew.
        let junk = ratatui::buffer::Cell::new("Z");
        screen
            .backend_mut()
            .draw([(3, 1, &junk)].into_iter())
            .expect("junk");
        screen.resize(Rect::new(0, 0, 4, 2)).expect("resized");
        screen.draw(text("abc")).expect("drawn");
        screen.backend().assert_buffer_lines(["abc ", "    "]);
        assert_eq!(screen.area(), Rect::new(0, 0, 4, 2));
    }
}
