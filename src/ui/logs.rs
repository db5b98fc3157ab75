//! The log tail: the newest lines that fit, coloured by HTTP status class or level.

use super::Canvas;
use crate::app::App;
use crate::config::Theme;
use crate::view::{Role, logs::line_role};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// At most this many tails side by side; more would be unreadably narrow.
const MAX_COLUMNS: usize = 4;

/// What the panel's title adds: the source shown (a host, a log group, a task's stream), or how
/// many are merged, so lines without a name still say where they come from.
pub fn title(app: &App, theme: &Theme) -> Vec<Span<'static>> {
    app.logs_title()
        .map(|t| vec![Span::styled(format!("· {t} "), theme.style(Role::Title))])
        .unwrap_or_default()
}

pub fn draw(frame: &mut Canvas, app: &App, theme: &Theme, area: Rect) {
    let sources = app.world.logs.sources.len();
    if app.panels.logs.split && sources > 1 {
        let shown = sources.min(MAX_COLUMNS);
        let columns = Layout::horizontal(vec![Constraint::Fill(1); shown])
            .spacing(1)
            .split(area);
        for (i, column) in columns.iter().enumerate() {
            let [title, body] =
                Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(*column);
            let name = crate::view::clean(&app.world.logs.sources[i]);
            frame.render_kept(
                Paragraph::new(Span::styled(format!("▌{name}"), theme.style(Role::Title))),
                title,
            );
            draw_lines(frame, app, theme, body, Some(i), false);
        }
        return;
    }
    let several = sources > 1 && app.panels.logs.source.is_none();
    draw_lines(frame, app, theme, area, app.panels.logs.source, several);
}

fn draw_lines(
    frame: &mut Canvas,
    app: &App,
    theme: &Theme,
    area: Rect,
    source: Option<usize>,
    several: bool,
) {
    let buffer = &app.world.logs;
    // What the shown tails wait for (a reconnect, the SSH greeting…): on the last line, so lines
    // already received stay and the wait is never mistaken for a quiet log.
    let waits: Vec<String> = buffer
        .waiting
        .iter()
        .filter(|(name, _)| source.is_none_or(|i| buffer.sources.get(i) == Some(*name)))
        .map(|(name, what)| {
            format!(
                "⋯ {}: {}",
                crate::view::clean(name),
                crate::view::clean(what)
            )
        })
        .collect();
    let room = (area.height as usize).saturating_sub(waits.len().min(1));
    let lines: Vec<Line> = app
        .panels
        .logs
        .visible_from(buffer, room, source)
        .into_iter()
        .map(|e| {
            let text = e.entry.as_text();
            let mut spans = Vec::with_capacity(2);
            if several {
                spans.push(Span::styled(
                    format!("{} ", crate::view::clean(buffer.source_name(e))),
                    theme.style(Role::Muted),
                ));
            }
            // A line of an address blocked now says so, with the expiry.
            let format = app.log_format(buffer.source_name(e));
            if let Some(access) = crate::model::access::parse_entry(format, &e.entry)
                && let Some(until) = app.blocked_until(&access.client.to_string())
            {
                spans.push(Span::styled(
                    format!("{} ", crate::view::waf::blocked_mark(until)),
                    theme.style(Role::Warning),
                ));
            }
            let role = match e.entry {
                crate::model::LogEntry::Gap { .. } => Role::Warning,
                _ => line_role(&text),
            };
            let style = theme.style(role);
            let mut at = 0;
            for hit in app.panels.logs.search_hits(&text) {
                spans.push(Span::styled(text[at..hit.start].to_string(), style));
                spans.push(Span::styled(
                    text[hit.clone()].to_string(),
                    theme.style(Role::Selection),
                ));
                at = hit.end;
            }
            spans.push(Span::styled(text[at..].to_string(), style));
            Line::from(spans)
        })
        .collect();
    let waiting = |text: &String| Line::from(Span::styled(text.clone(), theme.style(Role::Muted)));
    if lines.is_empty() {
        let mut text: Vec<Line> = Vec::new();
        if !buffer.followed {
            text.push(Line::from("no log followed: add a [[log]] entry to the config, or tail an instance's log from the Instances panel"));
        } else if !app.panels.logs.filter.is_empty() {
            text.push(Line::from(format!(
                "no lines match /{}",
                crate::view::clean(&app.panels.logs.filter)
            )));
        } else {
            if let Some(error) = &buffer.error {
                text.push(Line::from(Span::styled(
                    format!("✗ {}", crate::view::clean(error)),
                    theme.style(Role::Warning),
                )));
            }
            text.extend(waits.iter().map(waiting));
            if text.is_empty() {
                text.push(Line::from("waiting for lines…"));
            }
        }
        frame.render_kept(
            Paragraph::new(text)
                .style(theme.style(Role::Muted))
                .wrap(ratatui::widgets::Wrap { trim: false }),
            area,
        );
        return;
    }
    let mut lines = lines;
    // Only the first wait fits under the lines; the others show when the panel is empty.
    lines.extend(waits.iter().take(1).map(waiting));
    frame.render_kept(Paragraph::new(lines), area);
}
