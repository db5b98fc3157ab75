//! Markdown output for incident notes: header facts, then one section per panel with GitHub
//! tables, each saying how old its data is.

use super::report::{Meta, Report};
use crate::model::format_age;
use crate::view::{Table, clean};
use std::fmt::Write;

pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# opsconsole snapshot — {}",
        r.generated_at.format("%Y-%m-%d %H:%M:%S UTC")
    );
    let _ = writeln!(out);
    let account = r
        .scope
        .account
        .clone()
        .unwrap_or_else(|| match r.scope.mode.as_str() {
            "demo" => "demo world (simulated)".to_string(),
            _ => "unknown".to_string(),
        });
    let _ = writeln!(out, "- Local time: {}", r.generated_at_local);
    match r.scope.accounts.as_slice() {
        [] => {
            let _ = writeln!(out, "- Account: {}", escape(&account));
        }
        accounts => {
            let named: Vec<String> = accounts.iter().map(|a| a.label()).collect();
            // The demo's accounts are made up: said, so no one looks for them in AWS.
            let demo = if r.scope.mode == "demo" {
                ", simulated demo world"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "- Accounts ({}{demo}): {}",
                accounts.len(),
                escape(&named.join(", "))
            );
        }
    }
    let _ = writeln!(out, "- Regions: {}", escape(&r.scope.regions.join(", ")));
    let _ = writeln!(
        out,
        "- Profile: {}",
        escape(r.scope.profile.as_deref().unwrap_or("—"))
    );
    let _ = writeln!(out, "- opsconsole {}", r.opsconsole_version);
    if !r.failed_panels.is_empty() {
        let names: Vec<&str> = r.failed_panels.iter().map(|p| p.title()).collect();
        let _ = writeln!(out, "- **Incomplete**: {} failed", names.join(", "));
    }
    problems(&mut out, r);
    let by_account = r.account_tables();
    for (i, (panel, table, meta)) in r.tables().into_iter().enumerate() {
        let _ = writeln!(out, "\n## {} ({})\n", panel.title(), meta.describe());
        if by_account.is_empty() {
            table_or_none(&mut out, table.as_ref());
        }
        for (account, error, tables) in &by_account {
            let _ = writeln!(out, "### {}\n", escape(account));
            if let Some(e) = error {
                let _ = writeln!(out, "**Not read**: {}\n", escape(e));
            }
            table_or_none(&mut out, tables.get(i).and_then(|(_, t)| t.as_ref()));
            out.push('\n');
        }
        if panel == crate::model::PanelId::Waf {
            samples(&mut out, r);
            blocked(&mut out, r);
        }
    }
    timeline(&mut out, r);
    actions(&mut out, r);
    pending(&mut out, r);
    logs(&mut out, r);
    out
}

fn table_or_none(out: &mut String, table: Option<&Table>) {
    match table {
        Some(t) if !t.rows.is_empty() => table_md(out, t),
        Some(_) => out.push_str("_nothing here_\n"),
        None => out.push_str("_no data_\n"),
    }
}

/// What the blocklist IP sets hold, each address with how long it stays.
fn blocked(out: &mut String, r: &Report) {
    for (set, rows) in super::text::blocked_addresses(r) {
        let _ = writeln!(out, "\n### Blocked addresses · {}\n", escape(&set));
        if rows.is_empty() {
            out.push_str("_none_\n");
        }
        for (address, until) in rows {
            let _ = writeln!(out, "- {} — {}", escape(&address), escape(&until));
        }
    }
}

/// Blocks in place for a while and Counts to be restored: what will change by itself.
fn pending(out: &mut String, r: &Report) {
    out.push_str("\n## Scheduled undos (block expiries, Count restores)\n\n");
    if r.pending.is_empty() {
        out.push_str("_none_\n");
        return;
    }
    for p in &r.pending {
        let _ = writeln!(
            out,
            "- {} — {} (undoes: {})",
            escape(&p.undo.summary()),
            escape(&super::text::when_due(p, r.generated_at)),
            escape(&p.of)
        );
    }
}

/// Problems first: what an incident note needs at the top.
fn problems(out: &mut String, r: &Report) {
    let _ = writeln!(out, "\n## Problems ({})\n", r.problems.len());
    if r.problems.is_empty() {
        out.push_str("_none_\n");
        return;
    }
    out.push_str("| Severity | Panel | Where | Problem |\n|---|---|---|---|\n");
    for p in &r.problems {
        let _ = writeln!(
            out,
            "| **{}** | {} | {} | {} |",
            p.severity.as_str(),
            p.panel.title(),
            escape(&p.subject),
            escape(&p.text)
        );
    }
}

/// What changed in the window, oldest first, and who did it where that is known.
fn timeline(out: &mut String, r: &Report) {
    let _ = writeln!(out, "\n## Timeline (last {})\n", window(r));
    if let Some(e) = &r.timeline_note {
        let _ = writeln!(out, "_{}_\n", escape(e));
    }
    let entries = &r.timeline;
    if entries.is_empty() {
        out.push_str("_nothing changed that a console saw or did_\n");
        return;
    }
    out.push_str("| Time (UTC) | Region | Subject | What | Change | Who | Source |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for e in entries {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            e.when("%Y-%m-%d %H:%M:%S"),
            escape(&e.region),
            escape(&format!("{}{}", r.account_of(e), e.subject.name)),
            escape(&e.what),
            escape(&e.change("new: ")),
            escape(e.who.as_deref().unwrap_or("")),
            e.source.as_str(),
        );
    }
}

/// Changes made through the console, from the audit journal: what finished (done or failed).
fn actions(out: &mut String, r: &Report) {
    let _ = writeln!(out, "\n## Actions (audit journal, last {})\n", window(r));
    if let Some(e) = &r.actions.error {
        let _ = writeln!(out, "_could not read the journal: {}_", escape(e));
        return;
    }
    let done: Vec<_> = r
        .actions
        .data
        .iter()
        .flatten()
        .filter(|e| e.outcome != "attempted")
        .collect();
    if done.is_empty() {
        out.push_str("_none_\n");
        return;
    }
    out.push_str("| Time (UTC) | Who | Action | Resource | Change | Outcome | Request id |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for e in done {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} → {} | {} | {} |",
            e.time.format("%Y-%m-%d %H:%M:%S"),
            escape(e.caller_arn.as_deref().unwrap_or("unknown")),
            escape(&e.action),
            escape(&e.resource),
            escape(&e.before),
            escape(&e.after),
            escape(&if e.message.is_empty() {
                e.outcome.clone()
            } else {
                format!("{}: {}", e.outcome, e.message)
            }),
            escape(e.request_id.as_deref().unwrap_or("")),
        );
    }
}

fn samples(out: &mut String, r: &Report) {
    for s in &r.waf_samples {
        let _ = writeln!(
            out,
            "\n### Sampled requests · {}\n",
            escape(&clean(&s.rule))
        );
        let t = crate::view::waf::samples_table(s);
        if t.rows.is_empty() {
            out.push_str("_none sampled_\n");
        } else {
            table_md(out, &t);
        }
    }
}

fn logs(out: &mut String, r: &Report) {
    let meta = Meta::of(&r.logs);
    let _ = writeln!(out, "\n## Logs ({})\n", meta.describe());
    let lines = r.logs.data.as_deref().unwrap_or_default();
    if lines.is_empty() {
        out.push_str("_no lines_\n");
        return;
    }
    // A fenced block keeps log text verbatim; a line of backticks inside cannot close it early
    // because the fence is longer than any run of backticks in the text.
    let longest = lines
        .iter()
        .map(|l| longest_backtick_run(&l.text).max(longest_backtick_run(&l.source)))
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let _ = writeln!(out, "{fence}text");
    for l in lines {
        let _ = writeln!(out, "{} {}", clean(&l.source), clean(&l.text));
    }
    let _ = writeln!(out, "{fence}");
    if let Some(age) = r.logs.age_secs {
        let _ = writeln!(out, "\n_last line received {} ago_", format_age(age));
    }
}

fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

fn table_md(out: &mut String, t: &Table) {
    let header: Vec<String> = t.columns.iter().map(|c| escape(c.title)).collect();
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(t.columns.len()));
    for row in &t.rows {
        let cells: Vec<String> = row
            .cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let text = escape(&c.text);
                if i == 0 && row.depth > 0 {
                    // Non-breaking spaces survive markdown's whitespace trimming in cells.
                    format!("{}└ {text}", "\u{a0}\u{a0}".repeat(row.depth as usize - 1))
                } else {
                    text
                }
            })
            .collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
}

/// Escapes text for a markdown table cell: characters that would start formatting, links, HTML
/// or end the cell are backslash-escaped.
/// "15m", "2h" — the snapshot's window as the operator gave it.
/// The window as given ("2h 30m"), not rounded to its largest unit as an age is.
pub fn window(r: &Report) -> String {
    let secs = u64::try_from(r.window_minutes.max(0)).unwrap_or(0) * 60;
    humantime::format_duration(std::time::Duration::from_secs(secs)).to_string()
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in clean(s).chars() {
        if matches!(
            c,
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' | '~' | '!' | '&'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markdown_and_terminal() {
        assert_eq!(escape("a|b*c_<script>"), "a\\|b\\*c\\_\\<script\\>");
        assert_eq!(escape("x\x1b[2Jy"), "x\\\\x1b\\[2Jy");
    }
}
