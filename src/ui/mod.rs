//! Drawing the console: `draw(frame, &app, &theme)` reads state and never changes it.

mod dialog;
mod header;
pub mod layout;
mod logs;
mod panel;
mod table;
mod talkers;
mod wall;

use crate::app::{App, Overlay};
use crate::config::{KeyContext, Theme};
use crate::model::PanelId;
use crate::view::Role;
use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    // A wall lists its problems above the footer when the screen is tall enough to keep the
    // panels readable; the panels give up the rows from the bottom (the logs).
    let strip = wall::problems_height(app, area);
    let mut screen = layout::screen(
        ratatui::layout::Rect {
            height: area.height - strip,
            ..area
        },
        app.zoomed,
        app.focus,
    );
    if strip > 0 {
        let list = ratatui::layout::Rect {
            y: screen.footer.y,
            height: strip,
            ..area
        };
        screen.footer.y += strip;
        wall::problems(frame, app, theme, list);
    }
    frame.render_widget(header::header(app, theme), screen.header);
    for (panel, rect) in &screen.panels {
        panel::draw(frame, app, theme, *panel, *rect);
    }
    frame.render_widget(footer(app, theme), screen.footer);
    match &app.overlay {
        Some(Overlay::Help { scroll }) => dialog::help(frame, app, theme, *scroll),
        Some(Overlay::Confirm(c)) => dialog::confirm(frame, app, theme, c),
        Some(Overlay::Quit(guard)) => dialog::quit(frame, app, theme, guard),
        Some(Overlay::Notice { title, text }) => dialog::notice(frame, theme, title, text),
        Some(Overlay::Stats) => dialog::stats(frame, app, theme),
        Some(Overlay::Talkers(t)) => talkers::talkers(frame, app, theme, t),
        Some(Overlay::Problems { selected }) => dialog::problems(frame, app, theme, *selected),
        Some(Overlay::Passphrase {
            key_file, typed, ..
        }) => dialog::passphrase(frame, theme, key_file, typed.len()),
        Some(Overlay::Filter { .. } | Overlay::Search { .. }) | None => {}
    }
}

/// The actions whose keys the footer hints at, in this order.
const HINTS: &[crate::app::Action] = {
    use crate::app::Action::*;
    &[
        NextPanel, Zoom, Filter, Sort, Refresh, Drain, Undo, ToggleRule, Who, Block, TailLogs,
        Follow, Problems, Help, Quit,
    ]
};

fn footer<'a>(app: &'a App, theme: &Theme) -> Paragraph<'a> {
    if let Some(banner) = header::credentials_banner(app) {
        return Paragraph::new(Span::styled(
            format!(" {banner}"),
            theme.style(Role::Problem),
        ));
    }
    // A wall's footer is its stacks line, but a key's answer ("read-only: …") is said there
    // first for its few seconds: whoever pressed it must see why nothing happened.
    if app.wall.is_some() && !recent_status(app) {
        return header::stacks(app, theme);
    }
    if let Some(Overlay::Filter { panel, .. }) = &app.overlay {
        return Paragraph::new(Line::from(vec![
            Span::styled(
                format!(" filter {}: /", panel.title()),
                theme.style(Role::Hint),
            ),
            Span::styled(app.filter_of(*panel).to_string(), theme.style(Role::Normal)),
            Span::styled("█", theme.style(Role::Focus)),
            Span::styled("  Enter keep · Esc cancel", theme.style(Role::Muted)),
        ]));
    }
    if let Some(Overlay::Search { .. }) = &app.overlay {
        return Paragraph::new(Line::from(vec![
            Span::styled(" search Logs: ", theme.style(Role::Hint)),
            Span::styled(app.logs.search.clone(), theme.style(Role::Normal)),
            Span::styled("█", theme.style(Role::Focus)),
            Span::styled(
                "  Enter keep · Esc cancel · then n older, N newer",
                theme.style(Role::Muted),
            ),
        ]));
    }
    if let Some(status) = &app.status
        && recent_status(app)
    {
        return Paragraph::new(Span::styled(
            format!(" {}", status.text),
            theme.style(status.role),
        ));
    }
    let ctx = KeyContext::Panel(app.focus);
    let mut spans = Vec::new();
    for action in HINTS {
        if action.mutates() && app.read_only {
            continue;
        }
        let here = app.keymap.bindings(ctx);
        // A global key the panel binds to something else is not offered for its global job.
        let Some(b) = here
            .iter()
            .chain(
                app.keymap
                    .bindings(KeyContext::Global)
                    .iter()
                    .filter(|g| !here.iter().any(|h| h.key == g.key)),
            )
            .find(|b| b.action == *action)
        else {
            continue;
        };
        spans.push(Span::styled(format!(" {}", b.key), theme.style(Role::Hint)));
        spans.push(Span::styled(
            format!(" {} ", short_hint(*action)),
            theme.style(Role::Muted),
        ));
    }
    Paragraph::new(Line::from(spans))
}

/// A footer message is shown for 8 seconds after it was said.
fn recent_status(app: &App) -> bool {
    app.status
        .as_ref()
        .is_some_and(|s| (app.now - s.at).num_seconds() < 8)
}

fn short_hint(a: crate::app::Action) -> &'static str {
    use crate::app::Action::*;
    match a {
        NextPanel => "panels",
        Zoom => "zoom",
        Filter => "filter",
        Sort => "sort",
        Refresh => "refresh",
        Drain => "drain",
        Undo => "undo",
        ToggleRule => "toggle",
        Who => "who",
        Block => "block",
        Problems => "problems",
        TailLogs => "logs",
        Follow => "follow",
        Help => "help",
        Quit => "quit",
        _ => "",
    }
}

/// Whether `panel` is the one drawn with the focus style.
fn focused(app: &App, panel: PanelId) -> bool {
    app.focus == panel
}
