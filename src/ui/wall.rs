//! The wall's problem list: what is wrong, worst first, readable from across the room without
//! opening anything (nobody presses `p` on a wall).

use super::Canvas;
use crate::app::App;
use crate::config::Theme;
use crate::problems::{Problem, Severity};
use crate::view::Role;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

/// Below this height the panels need every row.
const ROOM_FROM: u16 = 40;
/// At most this many problems listed; the rest are counted.
const LISTED: usize = 5;

/// Rows the list takes: none unless this is a wall with problems to list; on a screen too short
/// for the list, one line, the worst problem: a wall of any size says why it is not OK.
pub fn problems_height(app: &App, area: Rect) -> u16 {
    if app.wall.is_none() || app.problems.is_empty() {
        return 0;
    }
    if area.height < ROOM_FROM {
        return 1;
    }
    // Borders, and a line per problem (the last one says how many more when they do not fit).
    app.problems.len().min(LISTED) as u16 + 2
}

/// The worst problem on one line of `width` cells, with how many more there are: its text is
/// cut at a word, with an ellipsis, so the count always shows.
pub fn worst_line(app: &App, width: u16) -> Option<(String, Role)> {
    let worst = app.problems.first()?;
    let (text, role) = described(worst);
    let more = match app.problems.len() - 1 {
        0 => String::new(),
        n => format!("  (+{n} more)"),
    };
    let room = usize::from(width).saturating_sub(1 + more.chars().count());
    let lines = super::wrap_words(&text, room, 1);
    Some((
        format!(" {}{more}", lines.first().map(String::as_str).unwrap_or("")),
        role,
    ))
}

/// One problem on one line, as the wall and the problems view show it, and its colour.
pub fn described(p: &Problem) -> (String, Role) {
    let role = match p.severity {
        Severity::Down | Severity::Degraded => Role::Problem,
        Severity::Warning => Role::Warning,
    };
    let text = format!(
        "{:<9}{:<10}{} — {}",
        p.severity.as_str(),
        p.panel.title(),
        crate::view::clean(&p.subject),
        crate::view::clean(&p.text)
    );
    (text, role)
}

pub fn problems(frame: &mut Canvas, app: &App, theme: &Theme, area: Rect) {
    if area.height < 3 {
        if let Some((text, role)) = worst_line(app, area.width) {
            frame.render_kept(Paragraph::new(Span::styled(text, theme.style(role))), area);
        }
        return;
    }
    let rows = usize::from(area.height.saturating_sub(2));
    let more = app.problems.len().saturating_sub(rows);
    let shown = if more > 0 {
        rows.saturating_sub(1)
    } else {
        rows
    };
    let mut lines: Vec<Line> = app
        .problems
        .iter()
        .take(shown)
        .map(|p| {
            let (text, role) = described(p);
            Line::from(Span::styled(text, theme.style(role)))
        })
        .collect();
    if more > 0 {
        lines.push(Line::from(Span::styled(
            format!("… and {} more", app.problems.len() - shown),
            theme.style(Role::Muted),
        )));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.style(Role::Border))
        .title(Span::styled(
            format!(" Problems ({}) ", app.problems.len()),
            theme.style(Role::Title),
        ));
    frame.render_kept(Paragraph::new(lines).block(block), area);
}
