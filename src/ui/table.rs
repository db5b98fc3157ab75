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
    let widths: Vec<Constraint> = t
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i == 0 {
                Constraint::Min(c.width)
            } else {
                Constraint::Length(c.width)
            }
        })
        .collect();
    let header =
        Row::new(t.columns.iter().map(|c| Line::from(c.title))).style(theme.style(Role::Header));
    let visible = (area.height as usize).saturating_sub(1);
    let rows = t
        .rows
        .iter()
        .enumerate()
        .skip(panel.offset)
        .take(visible)
        .map(|(i, row)| {
            let row_style = theme.style(row.role);
            let cells = row.cells.iter().enumerate().map(|(c, cell)| {
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
