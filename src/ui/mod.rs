//! Drawing the console: `draw(frame, &app, &theme)` reads state and never changes it.

mod canvas;
mod dialog;
mod header;
pub mod layout;
mod logs;
mod panel;
mod table;
mod talkers;
mod timeline;
mod wall;

use crate::app::{App, Overlay};
use crate::config::{KeyContext, Theme};
use crate::model::PanelId;
use crate::view::Role;
pub use canvas::{Body, Canvas};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Draws everything on a ratatui frame.
pub fn draw(frame: &mut ratatui::Frame, app: &App, theme: &Theme) {
    draw_on(&mut Canvas::new(frame.buffer_mut()), app, theme);
}

/// Draws on `frame`, taking from the screen what it still shows unchanged.
pub fn draw_on(frame: &mut Canvas, app: &App, theme: &Theme) {
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
    let (footer, lines) = footer(app, theme, area.width);
    // A long message takes a second line, drawn over the border above the footer: the panels
    // keep their rows (and the console's idea of where they are).
    let footer_area = ratatui::layout::Rect {
        y: screen.footer.y.saturating_sub(lines.saturating_sub(1)),
        height: lines.min(screen.footer.y + 1),
        ..screen.footer
    };
    frame.render_kept(footer, footer_area);
    match &app.overlay {
        Some(Overlay::Help { scroll }) => dialog::help(frame, app, theme, *scroll),
        Some(Overlay::Confirm(c)) => dialog::confirm(frame, app, theme, c),
        Some(Overlay::Quit(guard)) => dialog::quit(frame, app, theme, guard),
        Some(Overlay::Notice { title, text }) => dialog::notice(frame, theme, title, text),
        Some(Overlay::Stats) => dialog::stats(frame, app, theme),
        Some(Overlay::Talkers(t)) => talkers::talkers(frame, app, theme, t),
        Some(Overlay::Problems { selected }) => dialog::problems(frame, app, theme, *selected),
        Some(Overlay::Timeline(t)) => timeline::draw(frame, app, theme, t),
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

/// Lines a footer message may take; past them it is cut at a word, with an ellipsis.
const MESSAGE_LINES: usize = 2;

/// A message in the footer: on one line, or wrapped at words onto two (what is left of a
/// longer one cut at a word, with an ellipsis); the paragraph and the lines it takes.
fn message<'a>(text: &str, style: ratatui::style::Style, width: u16) -> (Paragraph<'a>, u16) {
    let lines: Vec<Line> = wrap_words(text, usize::from(width.saturating_sub(1)), MESSAGE_LINES)
        .into_iter()
        .map(|l| Line::from(Span::styled(format!(" {l}"), style)))
        .collect();
    let n = lines.len().max(1) as u16;
    (Paragraph::new(lines), n)
}

/// `text` in lines of at most `width` cells, broken at spaces, at most `max_lines` of them: the
/// last one kept ends with " …" when words were left out, so no word is cut without an
/// ellipsis. A word wider than a whole line is cut in its middle (`ab…yz`).
pub(crate) fn wrap_words(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthStr;
    if text.width() <= width || width == 0 || max_lines == 0 {
        return vec![text.to_string()];
    }
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for token in text.split_inclusive(' ') {
        let word = token.trim_end_matches(' ');
        let spaces = &token[word.len()..];
        if word.is_empty() {
            // A run of spaces stays inside a line and is dropped at its start.
            if !line.is_empty() {
                line.push_str(spaces);
            }
            continue;
        }
        let word = if word.width() > width {
            table::fit(word, u16::try_from(width).unwrap_or(u16::MAX))
        } else {
            word.to_string()
        };
        if !line.is_empty() && line.width() + word.width() > width {
            lines.push(line.trim_end().to_string());
            line.clear();
        }
        line.push_str(&word);
        line.push_str(spaces);
    }
    if !line.trim_end().is_empty() {
        lines.push(line.trim_end().to_string());
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            while !last.is_empty() && last.width() + 2 > width {
                let cut = last.rfind(' ').unwrap_or(0);
                last.truncate(cut);
                let trimmed = last.trim_end().len();
                last.truncate(trimmed);
            }
            last.push_str(if last.is_empty() { "…" } else { " …" });
        }
    }
    lines
}

fn footer<'a>(app: &'a App, theme: &Theme, width: u16) -> (Paragraph<'a>, u16) {
    if let Some(banner) = header::credentials_banner(app) {
        return message(&banner, theme.style(Role::Problem), width);
    }
    // A wall's footer is its stacks line, but a key's answer ("read-only: …") is said there
    // first for its few seconds: whoever pressed it must see why nothing happened.
    if app.wall.is_some() && !recent_status(app) {
        return (header::stacks(app, theme, width), 1);
    }
    if let Some(Overlay::Filter { panel, .. }) = &app.overlay {
        let prompt = Paragraph::new(Line::from(vec![
            Span::styled(
                format!(" filter {}: /", panel.title()),
                theme.style(Role::Hint),
            ),
            Span::styled(
                app.panels.filter(*panel).to_string(),
                theme.style(Role::Normal),
            ),
            Span::styled("█", theme.style(Role::Focus)),
            Span::styled("  Enter keep · Esc cancel", theme.style(Role::Muted)),
        ]));
        return (prompt, 1);
    }
    if let Some(Overlay::Search { .. }) = &app.overlay {
        let prompt = Paragraph::new(Line::from(vec![
            Span::styled(" search Logs: ", theme.style(Role::Hint)),
            Span::styled(app.panels.logs.search.clone(), theme.style(Role::Normal)),
            Span::styled("█", theme.style(Role::Focus)),
            Span::styled(
                "  Enter keep · Esc cancel · then n older, N newer",
                theme.style(Role::Muted),
            ),
        ]));
        return (prompt, 1);
    }
    if let Some(status) = &app.status
        && recent_status(app)
    {
        return message(&status.text, theme.style(status.role), width);
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
    (Paragraph::new(Line::from(spans)), 1)
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

#[cfg(test)]
mod tests {
    use super::wrap_words;

    #[test]
    fn words_wrap_and_what_is_left_out_ends_in_an_ellipsis() {
        assert_eq!(wrap_words("short", 10, 2), ["short"]);
        assert_eq!(
            wrap_words("one two three four", 9, 2),
            ["one two", "three …"]
        );
        assert_eq!(wrap_words("one two three", 9, 2), ["one two", "three"]);
        // A word wider than a line is cut in its middle, with an ellipsis.
        assert_eq!(
            wrap_words("arn:aws:elasticloadbalancing:ap-northeast-1 x", 12, 2),
            ["arn:aw…ast-1", "x"]
        );
        for line in wrap_words(&"lorem ipsum ".repeat(30), 40, 2) {
            assert!(line.chars().count() <= 40, "{line}");
        }
    }
}
