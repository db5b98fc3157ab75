//! Plain-text output for a terminal: the same tables, aligned, with a heading per panel.

use super::report::{Meta, Report};
use crate::view::{Table, clean};
use std::fmt::Write;
use unicode_width::UnicodeWidthStr;

/// Widest a column may grow before its text is cut.
const MAX_COLUMN: usize = 60;

pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let account = match r.scope.accounts.as_slice() {
        [] => r
            .scope
            .account
            .clone()
            .unwrap_or_else(|| r.scope.mode.clone()),
        accounts if r.scope.mode == "demo" => format!("demo · {} accounts", accounts.len()),
        accounts => format!("{} accounts", accounts.len()),
    };
    let _ = writeln!(
        out,
        "opsconsole {} · {} · {} · {}",
        r.opsconsole_version,
        clean(&account),
        clean(&r.scope.regions.join(", ")),
        r.generated_at.format("%Y-%m-%d %H:%M:%S UTC")
    );
    let _ = writeln!(out, "\n== Problems ({})", r.problems.len());
    for p in &r.problems {
        let _ = writeln!(
            out,
            "{:<8}  {:<9}  {}  {}",
            p.severity.as_str(),
            p.panel.title(),
            clean(&p.subject),
            clean(&p.text)
        );
    }
    let by_account = r.account_tables();
    for (i, (panel, table, meta)) in r.tables().into_iter().enumerate() {
        let _ = writeln!(out, "\n== {} ({})", panel.title(), meta.describe());
        if by_account.is_empty() {
            match table {
                Some(t) => table_text(&mut out, &t),
                None => out.push_str("no data\n"),
            }
        }
        for (account, error, tables) in &by_account {
            let _ = writeln!(out, "\n-- {}", clean(account));
            if let Some(e) = error {
                let _ = writeln!(out, "not read: {}", clean(e));
            }
            match tables.get(i).and_then(|(_, t)| t.as_ref()) {
                Some(t) => table_text(&mut out, t),
                None => out.push_str("no data\n"),
            }
        }
        if panel == crate::model::PanelId::Waf {
            for s in &r.waf_samples {
                let _ = writeln!(out, "\n-- Sampled requests · {}", clean(&s.rule));
                table_text(&mut out, &crate::view::waf::samples_table(s));
            }
        }
    }
    let _ = writeln!(out, "\n== Timeline (last {})", super::markdown::window(r));
    if let Some(e) = &r.timeline_note {
        let _ = writeln!(out, "{}", clean(e));
    }
    if r.timeline.is_empty() {
        let _ = writeln!(out, "nothing changed that a console saw or did");
    }
    for e in &r.timeline {
        let _ = writeln!(
            out,
            "{}  {}  {}  {}  {}  {}  {}",
            e.when("%Y-%m-%d %H:%M:%S"),
            clean(&e.region),
            clean(&format!("{}{}", r.account_of(e), e.subject.name)),
            clean(&e.what),
            clean(&e.change("new: ")),
            clean(e.who.as_deref().unwrap_or("-")),
            e.source.as_str(),
        );
    }
    let _ = writeln!(
        out,
        "\n== Actions (audit journal, last {})",
        super::markdown::window(r)
    );
    for e in r
        .actions
        .data
        .iter()
        .flatten()
        .filter(|e| e.outcome != "attempted")
    {
        let _ = writeln!(
            out,
            "{}  {}  {}  {} → {}  {}  {}",
            e.time.format("%Y-%m-%d %H:%M:%S"),
            clean(&e.action),
            clean(&e.resource),
            clean(&e.before),
            clean(&e.after),
            clean(&e.outcome),
            clean(&e.message)
        );
    }
    for (set, rows) in blocked_addresses(r) {
        let _ = writeln!(out, "\n-- Blocked addresses · {}", clean(&set));
        for (address, until) in rows {
            let _ = writeln!(out, "{}  {}", clean(&address), clean(&until));
        }
    }
    let _ = writeln!(out, "\n== Scheduled undos (block expiries, Count restores)");
    for p in &r.pending {
        let _ = writeln!(
            out,
            "{}  {}",
            clean(&p.undo.summary()),
            clean(&when_due(p, r.generated_at))
        );
    }
    let _ = writeln!(out, "\n== Logs ({})", Meta::of(&r.logs).describe());
    for l in r.logs.data.as_deref().unwrap_or_default() {
        let _ = writeln!(out, "{} {}", clean(&l.source), clean(&l.text));
    }
    out
}

fn table_text(out: &mut String, t: &Table) {
    let cell = |row: &crate::view::Row, i: usize| -> String {
        let text = row.cells.get(i).map(|c| c.text.as_str()).unwrap_or("");
        if i == 0 {
            format!("{}{}", "  ".repeat(row.depth as usize), text)
        } else {
            text.to_string()
        }
    };
    let widths: Vec<usize> = (0..t.columns.len())
        .map(|i| {
            let content = t.rows.iter().map(|r| cell(r, i).width()).max().unwrap_or(0);
            content.max(t.columns[i].title.width()).min(MAX_COLUMN)
        })
        .collect();
    let line = |cells: Vec<String>| -> String {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| pad(c, *w)).collect();
        padded.join("  ").trim_end().to_string()
    };
    let _ = writeln!(
        out,
        "{}",
        line(t.columns.iter().map(|c| c.title.to_string()).collect())
    );
    for row in &t.rows {
        let _ = writeln!(
            out,
            "{}",
            line((0..t.columns.len()).map(|i| cell(row, i)).collect())
        );
    }
}

/// Pads or cuts `s` to exactly `w` display cells.
fn pad(s: &str, w: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for ch in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
        if used + cw > w {
            break;
        }
        out.push(ch);
        used += cw;
    }
    out.push_str(&" ".repeat(w - used));
    out
}

/// "due 11:42 UTC (45 m left)", or that it is overdue and why.
pub fn when_due(p: &crate::action::Pending, now: chrono::DateTime<chrono::Utc>) -> String {
    let at = p.due.format("%Y-%m-%d %H:%M UTC");
    if p.due > now {
        let left = (p.due - now).num_seconds();
        return format!("due {at} ({} left)", crate::model::format_age(left));
    }
    match &p.last_error {
        Some(e) => format!("OVERDUE since {at} ({} attempts): {e}", p.attempts),
        None => format!("due since {at}: the next console to start carries it out"),
    }
}

/// Each blocklist IP set ("hwi-blocked-addresses for hwi-web-acl, 2 of 10000") with its
/// addresses and how long each stays: its pending removal's time left, else "until removed".
pub fn blocked_addresses(r: &Report) -> Vec<(String, Vec<(String, String)>)> {
    let Some(waf) = &r.waf.data else {
        return Vec::new();
    };
    waf.ip_sets
        .iter()
        .map(|set| {
            let rows = set
                .addresses
                .iter()
                .map(|a| {
                    let removal = r.pending.iter().find(|p| {
                        matches!(&p.undo, crate::action::Mutation::Unblock { set: s, address }
                            if s.arn == set.arn && address == a)
                    });
                    let until = match removal {
                        Some(p) => format!("until {}", when_due(p, r.generated_at)),
                        None => "until removed".to_string(),
                    };
                    (a.clone(), until)
                })
                .collect();
            (
                format!(
                    "{} for {}, {} of {}",
                    set.name,
                    set.web_acl,
                    set.addresses.len(),
                    crate::model::waf::IP_SET_QUOTA
                ),
                rows,
            )
        })
        .collect()
}
