//! The interactive console: terminal setup that is always undone (quit, panic, SIGINT, SIGTERM,
//! SIGHUP), and the loop that turns input and source events into frames.

use crate::app::{App, Effect, Event};
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
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{self, Stdout};
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

/// Tick while something is loading (spinners move) and when idle (ages move).
const BUSY_TICK: Duration = Duration::from_millis(120);
const IDLE_TICK: Duration = Duration::from_secs(1);
/// Frames for data and ticks come at most this often (log lines arrive several times a second;
/// a wall runs for months); keys, mouse and resizes are drawn at once.
const DATA_FRAME: Duration = Duration::from_millis(500);

/// Owns raw mode and the alternate screen; dropping it puts the terminal back.
struct TerminalGuard {
    terminal: Terminal<CrosstermBackend<Stdout>>,
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
        // A fixed viewport: ratatui would otherwise ask the terminal for its size on every
        // frame (an open of /dev/tty each time); resize events set it instead.
        let options = match crossterm::terminal::size() {
            Ok((w, h)) => ratatui::TerminalOptions {
                viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, w, h)),
            },
            Err(_) => ratatui::TerminalOptions::default(),
        };
        match Terminal::with_options(CrosstermBackend::new(out), options) {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
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
        let _ = self.terminal.show_cursor();
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
/// re-reads the configuration (theme, keymap, intervals) and carries on.
pub async fn run(
    session: Session,
    settings: Settings,
    mut app: App,
    mut theme: Theme,
    reload: Option<Reload>,
) -> anyhow::Result<()> {
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut guard = TerminalGuard::enter()?;
    let size = guard.terminal.size()?;
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
    'console: loop {
        if draw_at.is_some_and(|at| at <= tokio::time::Instant::now()) {
            guard.terminal.draw(|f| ui::draw(f, &app, &theme))?;
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
                Some(Err(e)) => return Err(e.into()),
                None => break 'console,
            },
            Some(ev) = rx.recv() => ev,
            _ = tokio::time::sleep_until(next_tick) => {
                next_tick = tokio::time::Instant::now() + if app.is_busy() { BUSY_TICK } else { IDLE_TICK };
                Event::Tick(Utc::now())
            }
            _ = sigterm.recv() => break 'console,
            _ = sighup.recv() => match &reload {
                None => break 'console,
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
            _ = sigint.recv() => break 'console,
        };
        let input = matches!(event, Event::Key(_) | Event::Mouse(_) | Event::Resize(..));
        if let Event::Resize(w, h) = event {
            // The viewport is fixed (no size query per frame): follow the terminal here.
            guard
                .terminal
                .resize(ratatui::layout::Rect::new(0, 0, w, h))?;
        }
        let mut effects = app.update(event);
        // Apply everything already waiting before drawing again: one frame per burst.
        while let Ok(ev) = rx.try_recv() {
            effects.extend(app.update(ev));
        }
        let next = if input {
            tokio::time::Instant::now()
        } else {
            drawn_at + DATA_FRAME
        };
        draw_at = Some(draw_at.map_or(next, |at| at.min(next)));
        for effect in effects {
            if let Effect::Copy(text) = &effect {
                // OSC 52: the terminal puts it on the clipboard where it allows that. A write
                // that fails loses only the copy; the text is still shown under the panel.
                let copy =
                    crossterm::clipboard::CopyToClipboard::to_clipboard_from(text.as_bytes());
                if let Err(e) = crossterm::execute!(guard.terminal.backend_mut(), copy) {
                    tracing::warn!(error = %e, "copy to the clipboard failed");
                }
                continue;
            }
            if !runtime.perform(effect) {
                break 'console;
            }
        }
    }
    drop(runtime);
    drop(guard);
    Ok(())
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
