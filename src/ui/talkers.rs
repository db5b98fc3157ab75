//! The "who is hitting us" view: one counted list at a time, with counts and shares.

use super::Canvas;
use super::dialog::{centered, dialog_block};
use crate::app::App;
use crate::app::talkers::Talkers;
use crate::config::{KeyContext, Theme};
use crate::view::Role;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn talkers(frame: &mut Canvas, app: &App, theme: &Theme, t: &Talkers) {
    let area = centered(frame.area(), 96, frame.area().height.saturating_sub(4));
    let rows = t.rows();
    // Title, tabs, header, hint and the border take six rows; an old sample's age one more.
    let taken = if t.stale.is_some() { 7 } else { 6 };
    let room = usize::from(area.height.saturating_sub(taken)).max(1);
    let first = t.selected.saturating_sub(room.saturating_sub(1));
    let mut lines = vec![Line::from(Span::styled(
        t.title.clone(),
        theme.style(Role::Title),
    ))];
    if let Some(stale) = &t.stale {
        lines.push(Line::from(Span::styled(
            stale.clone(),
            theme.style(Role::Stale),
        )));
    }
    let mut tabs = Vec::new();
    for (i, list) in t.lists.iter().enumerate() {
        let (text, role) = if i == t.list {
            (format!("[{}]", list.name), Role::Selection)
        } else {
            (format!(" {} ", list.name), Role::Muted)
        };
        tabs.push(Span::styled(text, theme.style(role)));
        tabs.push(Span::raw("  "));
    }
    lines.push(Line::from(tabs));
    let order = if t.by_key { "by name" } else { "most first" };
    lines.push(Line::from(Span::styled(
        format!("{:>7} {:>6}  {:<40} ({order})", "Count", "Share", "Value"),
        theme.style(Role::Header),
    )));
    let total = t.current().map(|l| l.total).unwrap_or(0).max(1);
    if rows.is_empty() {
        lines.push(Line::from(Span::styled(
            t.current()
                .map(|l| l.empty_text())
                .unwrap_or("Nothing counted."),
            theme.style(Role::Muted),
        )));
    }
    for (i, r) in rows.iter().enumerate().skip(first).take(room) {
        let share = r.count as f64 * 100.0 / total as f64;
        let text = format!(
            "{:>7} {:>5.1}%  {:<40} {}",
            r.count,
            share,
            crate::ui::table::fit(&r.key, 40),
            r.note
        );
        let role = if i == t.selected {
            Role::Selection
        } else if r.note.contains("BLOCKED") {
            Role::Warning
        } else {
            Role::Dialog
        };
        lines.push(Line::from(Span::styled(text, theme.style(role))));
    }
    let key = |a| {
        app.keymap
            .key_for(KeyContext::Panel(t.from), a)
            .map(|k| k.to_string())
            .unwrap_or_else(|| "?".to_string())
    };
    let block_hint = if t.current().is_some_and(|l| l.addresses) && !app.read_only {
        format!(
            "{} blocks the selected address · ",
            key(crate::app::Action::Block)
        )
    } else {
        String::new()
    };
    lines.push(Line::from(Span::styled(
        format!(
            "{block_hint}Tab next list · {} sort · Esc closes",
            key(crate::app::Action::Sort)
        ),
        theme.style(Role::Muted),
    )));
    frame.render_kept(
        Paragraph::new(lines).block(dialog_block(theme, " Who is hitting us ")),
        area,
    );
}
