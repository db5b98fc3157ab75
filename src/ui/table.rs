//! The one table widget every panel uses: header, visible rows only, tree indentation, roles.

use crate::app::TablePanel;
use crate::config::Theme;
use crate::view::Role;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table};

pub fn draw(frame: &mut Frame, panel: &TablePanel, theme: &Theme, area: Rect, focused: bool) {
    if area.height == 0 {
        return;
    }
    let t = &panel.table;
    if t.rows.is_empty() {
        let text = if panel.filter.is_empty() {
            "nothing here".to_string()
        } else {
            format!("no rows match /{}", crate::view::clean(&panel.filter))
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.style(Role::Muted))),
            area,
        );
        return;
    }
    let widths = column_widths(&t.columns, area.width);
    let shown = widths.len();
    let header = Row::new(t.columns.iter().take(shown).map(|c| Line::from(c.title)))
        .style(theme.style(Role::Header));
    let visible = (area.height as usize).saturating_sub(1);
    let rows = t
        .rows
        .iter()
        .enumerate()
        .skip(panel.offset)
        .take(visible)
        .map(|(i, row)| {
            let row_style = theme.style(row.role);
            let cells = row.cells.iter().take(shown).enumerate().map(|(c, cell)| {
                let style = cell.role.map(|r| theme.style(r)).unwrap_or(row_style);
                let text = if c == 0 {
                    format!("{}{}", "  ".repeat(row.depth as usize), cell.text)
                } else {
                    cell.text.clone()
                };
                Line::from(Span::styled(text, style))
            });
            let r = Row::new(cells);
            if i == panel.selected {
                r.style(selection(theme, focused))
            } else {
                r
            }
        });
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        area,
    );
}

/// The selected row stands out in the focused panel and is only hinted in others.
fn selection(theme: &Theme, focused: bool) -> Style {
    if focused {
        theme.style(Role::Selection)
    } else {
        Style::default().add_modifier(ratatui::style::Modifier::UNDERLINED)
    }
}

/// The flexible column may shrink to this before columns are dropped.
const FLEX_MIN: u16 = 20;

/// Widths for the columns that fit: every column keeps its width except the flexible one, which
/// takes what is left; when even that is too narrow the rightmost columns are left out (columns
/// are ordered by importance).
fn column_widths(columns: &[crate::view::Column], width: u16) -> Vec<Constraint> {
    let flex = columns.iter().position(|c| c.flex).unwrap_or(0);
    let flex_min = FLEX_MIN.min(columns.get(flex).map_or(0, |c| c.width));
    let mut shown = columns.len();
    loop {
        let fixed: u16 = columns
            .iter()
            .take(shown)
            .enumerate()
            .filter(|(i, _)| *i != flex)
            .map(|(_, c)| c.width + 1)
            .sum();
        let rest = width.saturating_sub(fixed);
        if rest >= flex_min || shown <= flex + 1 {
            return columns
                .iter()
                .take(shown)
                .enumerate()
                .map(|(i, c)| Constraint::Length(if i == flex { rest.max(1) } else { c.width }))
                .collect();
        }
        shown -= 1;
    }
}
