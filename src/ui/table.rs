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
    let widths = column_widths(&t.columns, &panel.needed, area.width);
    let shown = widths.len();
    let fitted: Vec<u16> = widths
        .iter()
        .map(|w| match w {
            Constraint::Length(n) => *n,
            _ => 0,
        })
        .collect();
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
                let (text, keep) = if c == 0 {
                    let indent = "  ".repeat(row.depth as usize);
                    let keep = if cell.keep > 0 {
                        cell.keep + indent.len()
                    } else {
                        0
                    };
                    (format!("{indent}{}", cell.text), keep)
                } else {
                    (cell.text.clone(), cell.keep)
                };
                Line::from(Span::styled(fit_keeping(&text, fitted[c], keep), style))
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
/// A column sized by its content grows to at most this many times its declared width.
const GROW: u16 = 2;

/// Widths for the columns that fit. Each column but the flexible one gets the width its content
/// needs (up to twice its declared width) and the flexible one what is left; where that leaves
/// the flexible one too narrow, grown columns go back to their declared width; where even that
/// is too narrow, the rightmost columns are left out (columns are ordered by importance). A
/// column whose content is narrower than declared gives the difference to the flexible one.
fn column_widths(columns: &[crate::view::Column], needed: &[u16], width: u16) -> Vec<Constraint> {
    let flex = columns.iter().position(|c| c.flex).unwrap_or(0);
    let flex_min = FLEX_MIN.min(columns.get(flex).map_or(0, |c| c.width));
    let sized = |i: usize, c: &crate::view::Column, grow: u16| {
        needed
            .get(i)
            .copied()
            .unwrap_or(c.width)
            .min(c.width.saturating_mul(grow))
            .max(1)
    };
    let layout = |shown: usize, grow: u16| -> Option<Vec<Constraint>> {
        let fixed: u16 = columns
            .iter()
            .take(shown)
            .enumerate()
            .filter(|(i, _)| *i != flex)
            .map(|(i, c)| sized(i, c, grow) + 1)
            .sum();
        let rest = width.saturating_sub(fixed);
        (rest >= flex_min || shown <= flex + 1).then(|| {
            columns
                .iter()
                .take(shown)
                .enumerate()
                .map(|(i, c)| {
                    Constraint::Length(if i == flex {
                        rest.max(1)
                    } else {
                        sized(i, c, grow)
                    })
                })
                .collect()
        })
    };
    if let Some(all) = layout(columns.len(), GROW) {
        return all;
    }
    (1..=columns.len())
        .rev()
        .find_map(|shown| layout(shown, 1))
        .unwrap_or_default()
}

/// `text` made to fit `width` cells: what does not fit is cut from the middle, keeping its start
/// (indentation, priority, name) and its end, where names that share a long prefix differ
/// (`AWS-AWSManagedRules…CommonRuleSet`, `arn:aws:…/91c24c82`).
/// [`fit`], keeping the first `keep` characters whole where they fit with room for a cut rest:
/// "mt-web-01 i-01a77…", not "mt-web-0…a9597ab4972".
pub fn fit_keeping(text: &str, width: u16, keep: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    let head: String = text.chars().take(keep).collect();
    let room = usize::from(width);
    if keep == 0 || text.width() <= room || head.width() + 2 > room {
        return fit(text, width);
    }
    let rest: String = text.chars().skip(keep).collect();
    let mut out = head;
    let budget = room - out.width() - 1;
    let mut used = 0;
    for ch in rest.chars() {
        let w = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
        if used + w > budget {
            break;
        }
        out.push(ch);
        used += w;
    }
    out.push('…');
    out
}

pub fn fit(text: &str, width: u16) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    let width = usize::from(width);
    if text.width() <= width || width < 8 {
        return text.to_string();
    }
    let tail_budget = (width - 1) / 2;
    let head_budget = width - 1 - tail_budget;
    let mut head = String::new();
    let mut used = 0;
    for ch in text.chars() {
        let w = ch.width().unwrap_or(0);
        if used + w > head_budget {
            break;
        }
        head.push(ch);
        used += w;
    }
    let mut tail: Vec<char> = Vec::new();
    let mut used = 0;
    for ch in text.chars().rev() {
        let w = ch.width().unwrap_or(0);
        if used + w > tail_budget {
            break;
        }
        tail.push(ch);
        used += w;
    }
    tail.reverse();
    format!("{head}…{}", tail.into_iter().collect::<String>())
}
