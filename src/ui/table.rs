//! The one table widget every panel uses: header, visible rows only, tree indentation, roles.

use super::Canvas;
use crate::app::TablePanel;
use crate::config::Theme;
use crate::view::Role;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table};

pub fn draw(frame: &mut Canvas, panel: &TablePanel, theme: &Theme, area: Rect, focused: bool) {
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
        frame.render_kept(
            Paragraph::new(Span::styled(text, theme.style(Role::Muted))),
            area,
        );
        return;
    }
    // A frame the clock moved finds most bodies on the screen as they are to be drawn.
    let drawn_from = drawn_from(panel, theme, area, focused);
    if frame.reuse_body(area, drawn_from) {
        return;
    }
    let widths = column_widths(&t.columns, &panel.needed, area.width);
    // The columns shown, with their widths, in column order.
    let shown: Vec<(usize, u16)> = widths
        .iter()
        .enumerate()
        .filter_map(|(i, w)| w.map(|w| (i, w)))
        .collect();
    let header = Row::new(
        shown
            .iter()
            .filter_map(|(i, _)| t.columns.get(*i))
            .map(|c| Line::from(c.title)),
    )
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
            let cells = shown.iter().map(|&(c, width)| {
                let Some(cell) = row.cells.get(c) else {
                    return Line::from("");
                };
                let style = cell.role.map(|r| theme.style(r)).unwrap_or(row_style);
                if cell.role == Some(Role::Spark) {
                    // A sparkline is made to fit by bucketing its minutes, never cut: the whole
                    // window stays on screen, whatever --since.
                    return Line::from(Span::styled(
                        crate::view::waf::fit_sparkline(&cell.text, usize::from(width)),
                        style,
                    ));
                }
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
                Line::from(Span::styled(fit_keeping(&text, width, keep), style))
            });
            let r = Row::new(cells);
            if i == panel.selected {
                r.style(selection(theme, focused))
            } else {
                r
            }
        });
    let constraints = shown.iter().map(|(_, w)| Constraint::Length(*w));
    frame.render_widget(
        Table::new(rows, constraints)
            .header(header)
            .column_spacing(1),
        area,
    );
    frame.drew_body(area, drawn_from);
}

/// A digest of everything a body is drawn from: the area, the columns and the widths their
/// content needs, the visible rows' cells, depths and roles with the theme's style for each,
/// which row is selected and whether the panel has the focus. Bodies with the same digest are
/// drawn the same, cell for cell.
fn drawn_from(panel: &TablePanel, theme: &Theme, area: Rect, focused: bool) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = super::canvas::hasher();
    let t = &panel.table;
    (area, focused, &panel.needed).hash(&mut h);
    (theme.style(Role::Header), selection(theme, focused)).hash(&mut h);
    for c in &t.columns {
        (c.title, c.width, c.flex, c.state, c.max).hash(&mut h);
    }
    let visible = (area.height as usize).saturating_sub(1);
    for (i, row) in t.rows.iter().enumerate().skip(panel.offset).take(visible) {
        (i == panel.selected, row.depth, theme.style(row.role)).hash(&mut h);
        row.cells.len().hash(&mut h);
        for cell in &row.cells {
            (&cell.text, cell.keep, cell.role).hash(&mut h);
            cell.role.map(|r| theme.style(r)).hash(&mut h);
        }
    }
    h.finish()
}

/// The selected row stands out in the focused panel and is only hinted in others.
fn selection(theme: &Theme, focused: bool) -> Style {
    if focused {
        theme.style(Role::Selection)
    } else {
        Style::default().add_modifier(ratatui::style::Modifier::UNDERLINED)
    }
}

/// The flexible column (the names) is cut down to this before other columns give way.
const FLEX_MIN: u16 = 20;
/// ... and further down to this before a state column is left out.
const NAME_MIN: u16 = 12;
/// A detail column (a reason, an answer) is cut down to this rather than left out.
const DETAIL_MIN: u16 = 10;
/// The width of each column, `None` for one left out. Where everything fits, each column but
/// the flexible one gets the width its content needs (up to twice its declared width) and the
/// flexible one what is left. Where it does not, what matters least gives way first:
///
/// 1. the names (the flexible column) are cut, down to 20 cells, and grown columns go back to
///    their declared width;
/// 2. the detail columns (reasons, answers, ids, sparklines) are kept, by importance (left to
///    right), while they fit at their declared width; the first one that does not is cut
///    (to no less than 10 cells) and the ones after it are left out;
/// 3. the names are cut further, down to 12 cells;
/// 4. only then are state columns (health, zones, state, counts) left out, rightmost first.
///
/// State columns always get the width their content needs (when space runs out, up to their
/// `max`): a state, a count or its share is never cut (`1482 11%`, never `1482 11`).
fn column_widths(columns: &[crate::view::Column], needed: &[u16], width: u16) -> Vec<Option<u16>> {
    let n = columns.len();
    let Some(flex) = columns.iter().position(|c| c.flex).or((n > 0).then_some(0)) else {
        return Vec::new();
    };
    let need = |i: usize| needed.get(i).copied().unwrap_or(columns[i].width).max(1);
    // What its content needs, up to twice the declared width.
    let grown = |i: usize| need(i).min(columns[i].width.saturating_mul(2)).max(1);
    let declared = |i: usize| {
        if columns[i].state {
            need(i).min(columns[i].max).max(1)
        } else {
            need(i).min(columns[i].width).max(1)
        }
    };
    let floor = |min: u16| min.min(columns[flex].width);
    // The flexible column gets what the others (and a space after each) leave, if that is at
    // least `min`.
    let place = |mut widths: Vec<Option<u16>>, min: u16| -> Option<Vec<Option<u16>>> {
        let fixed: u32 = widths
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != flex)
            .filter_map(|(_, w)| w.map(|w| u32::from(w) + 1))
            .sum();
        let rest = u32::from(width).checked_sub(fixed)?;
        let rest = u16::try_from(rest).ok()?;
        (rest >= floor(min)).then(|| {
            widths[flex] = Some(rest.max(1));
            widths
        })
    };
    let grown_all: Vec<Option<u16>> = (0..n).map(|i| Some(grown(i))).collect();
    if let Some(w) = place(grown_all, FLEX_MIN) {
        return w;
    }
    let states: Vec<usize> = (0..n).filter(|&i| i != flex && columns[i].state).collect();
    let details: Vec<usize> = (0..n).filter(|&i| i != flex && !columns[i].state).collect();
    let mut w: Vec<Option<u16>> = vec![None; n];
    for &i in &states {
        w[i] = Some(declared(i));
    }
    let taken = |w: &[Option<u16>]| -> u32 {
        w.iter()
            .enumerate()
            .filter(|(i, _)| *i != flex)
            .filter_map(|(_, w)| w.map(|w| u32::from(w) + 1))
            .sum()
    };
    let room =
        |w: &[Option<u16>]| i64::from(width) - i64::from(floor(FLEX_MIN)) - i64::from(taken(w));
    if room(&w) >= 0 {
        for &i in &details {
            let left = room(&w) - 1;
            let d = i64::from(declared(i));
            if left >= d {
                w[i] = Some(declared(i));
            } else {
                if left >= i64::from(DETAIL_MIN.min(declared(i))) {
                    w[i] = u16::try_from(left).ok();
                }
                break;
            }
        }
        if let Some(done) = place(w.clone(), FLEX_MIN) {
            return done;
        }
    }
    for keep in (0..=states.len()).rev() {
        let mut w: Vec<Option<u16>> = vec![None; n];
        for &i in &states[..keep] {
            w[i] = Some(declared(i));
        }
        if let Some(done) = place(w, NAME_MIN) {
            return done;
        }
    }
    let mut w = vec![None; n];
    w[flex] = Some(width.max(1));
    w
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::Column;

    /// As space runs out the names are cut, then the details (an answer) are cut and left
    /// out, then the names are cut further; the state column (health) goes last.
    #[test]
    fn state_columns_outlast_names_and_details() {
        let columns = vec![
            Column::new("Name", 30),
            Column::new("Answer", 28),
            Column::state("Health", 11),
        ];
        let needed = [40, 50, 11];
        let at = |width| column_widths(&columns, &needed, width);
        assert_eq!(at(200), [Some(137), Some(50), Some(11)]);
        assert_eq!(at(52), [Some(20), Some(19), Some(11)]);
        assert_eq!(at(40), [Some(28), None, Some(11)]);
        assert_eq!(at(24), [Some(12), None, Some(11)]);
        assert_eq!(at(20), [Some(20), None, None]);
    }

    /// A count with its share is never cut to fit its declared width: the name gives way.
    #[test]
    fn a_count_and_its_share_keep_their_width() {
        let columns = vec![
            Column::new("Web ACL / rule", 26),
            Column::state("Action", 13),
            Column::state("Allowed", 7),
            Column::state("Blocked", 7),
            Column::state("Counted", 7),
            Column::new("Last 15m", 15),
        ];
        let needed = [40, 13, 7, 8, 7, 15];
        assert_eq!(
            column_widths(&columns, &needed, 58),
            [Some(19), Some(13), Some(7), Some(8), Some(7), None]
        );
    }
}
