//! The timeline view (`T`): one line per change, newest first — its time (and the read before,
//! for an observed change), its region, what changed from what to what, who, and where the
//! entry comes from.

use super::Canvas;
use super::dialog::{centered, dialog_block};
use crate::app::{App, timeline::TimelineView};
use crate::config::Theme;
use crate::timeline::{Entry, Origin};
use crate::view::{Role, clean};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// One entry as a line: `10:02:11 (after 10:01:56)  ap-northeast-1  ha-web-right target state …`,
/// with the name of its account first when several are watched.
pub fn line_of(e: &Entry, accounts: &[crate::model::AccountRef]) -> String {
    let account = match (accounts.is_empty(), e.account.as_deref()) {
        (true, _) | (false, None) => String::new(),
        (false, Some(id)) => accounts
            .iter()
            .find(|a| a.id == id)
            .map_or_else(|| format!("{id}  "), |a| format!("{}  ", a.name)),
    };
    let when = e.when("%H:%M:%S");
    let who = e
        .who
        .as_deref()
        .map(|w| format!("  by {w}"))
        .unwrap_or_default();
    clean(&format!(
        "{when}  {account}{}  {}{who}  [{}]",
        e.region,
        e.describe(),
        e.source.as_str()
    ))
}

pub fn draw(frame: &mut Canvas, app: &App, theme: &Theme, t: &TimelineView) {
    let shown = app.timeline_shown(&t.filter);
    // As tall as its lines (filter, entries, the hint, borders), at most the screen less 4.
    let wanted = u16::try_from(shown.len().max(1) + 5).unwrap_or(u16::MAX);
    let area = centered(
        frame.area(),
        140,
        wanted.min(frame.area().height.saturating_sub(4)),
    );
    let inner_rows = usize::from(area.height.saturating_sub(5)).max(1);
    let first = t.selected.saturating_sub(inner_rows.saturating_sub(1));
    let filter = if t.typing {
        format!("/{}▏", t.filter)
    } else if t.filter.is_empty() {
        "/ filter".to_string()
    } else {
        format!("/{}", t.filter)
    };
    let mut lines = vec![Line::from(Span::styled(
        clean(&filter),
        theme.style(Role::Hint),
    ))];
    if let Some(why) = &app.who_error {
        lines.push(Line::from(Span::styled(
            clean(&format!("Who made these changes is not known: {why}")),
            theme.style(Role::Warning),
        )));
    } else if app.asks_who {
        lines.push(Line::from(Span::styled(
            "Who: from CloudTrail, asked once a minute; it delivers calls about 5 minutes late",
            theme.style(Role::Muted),
        )));
    }
    if shown.is_empty() {
        let why = if app.timeline.is_empty() {
            "Nothing has changed since this console started (a change shows at the read that sees it)."
        } else {
            "No change matches the filter."
        };
        lines.push(Line::from(Span::styled(why, theme.style(Role::Muted))));
    }
    for (i, e) in shown.iter().enumerate().skip(first).take(inner_rows) {
        let role = if i == t.selected {
            Role::Selection
        } else if e.source == Origin::Journal {
            Role::Warning
        } else {
            Role::Normal
        };
        lines.push(Line::from(Span::styled(
            line_of(e, &app.world.scope.accounts),
            theme.style(role),
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "Up/Down choose · Enter go to its row · / filter · Esc or T close",
        theme.style(Role::Muted),
    )));
    frame.render_kept(
        Paragraph::new(lines).block(dialog_block(
            theme,
            &format!(" Timeline ({} of {}) · T ", shown.len(), app.timeline.len()),
        )),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AccountRef;

    #[test]
    fn a_change_names_its_account_when_several_are_watched() {
        let e: Entry = serde_json::from_value(serde_json::json!({
            "time": "2026-11-21T10:02:11Z",
            "account": "222222222222",
            "region": "us-east-1",
            "subject": {"name": "ha-web-right", "id": "i-1"},
            "what": "target state",
            "before": "healthy",
            "after": "unhealthy",
            "who": null,
            "source": "observed",
            "panel": "targets",
            "row": null
        }))
        .expect("an entry");
        let accounts = [AccountRef {
            id: "222222222222".into(),
            name: "cms-prod".into(),
        }];
        let line = line_of(&e, &accounts);
        assert!(line.contains("10:02:11  cms-prod  us-east-1  "), "{line}");
        let alone = line_of(&e, &[]);
        assert!(
            !alone.contains("cms-prod") && alone.contains("10:02:11  us-east-1"),
            "{alone}"
        );
    }
}
