//! The log tail: the newest lines that fit, coloured by HTTP status class or level.

use crate::app::App;
use crate::config::Theme;
use crate::view::{Role, logs::line_role};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let buffer = &app.world.logs;
    let several = buffer.sources.len() > 1 && app.logs.source.is_none();
    let lines: Vec<Line> = app
        .logs
        .visible(buffer, area.height as usize)
        .into_iter()
        .map(|e| {
            let text = e.entry.text();
            let mut spans = Vec::with_capacity(2);
            if several {
                spans.push(Span::styled(
                    format!("{} ", buffer.source_name(e)),
                    theme.style(Role::Muted),
                ));
            }
            let role = match e.entry {
                crate::model::LogEntry::Gap { .. } => Role::Warning,
                _ => line_role(&text),
            };
            spans.push(Span::styled(text, theme.style(role)));
            Line::from(spans)
        })
        .collect();
    if lines.is_empty() {
        let text = if app.logs.filter.is_empty() {
            "waiting for lines…".to_string()
        } else {
            format!("no lines match /{}", crate::view::clean(&app.logs.filter))
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.style(Role::Muted))),
            area,
        );
        return;
    }
    frame.render_widget(Paragraph::new(lines), area);
}
