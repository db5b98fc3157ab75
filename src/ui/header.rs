//! The console's top line (who, where, when, and how things stand) and, on a wall, the bottom
//! line with each stack's status.

use crate::app::App;
use crate::config::Theme;
use crate::model::PanelId;
use crate::problems::{self, Freshness, Severity};
use crate::view::Role;
use chrono::{DateTime, Utc};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

fn severity_role(s: Option<Severity>) -> Role {
    match s {
        Some(Severity::Down) | Some(Severity::Degraded) => Role::Problem,
        Some(Severity::Warning) => Role::Warning,
        None => Role::Ok,
    }
}

/// The role of a wall status: a problem for DOWN/DEGRADED, stale for data that is not fresh,
/// warning for a warning, ok only for fresh, clean data.
fn status_role(worst: Option<Severity>, fresh: Freshness) -> Role {
    match (worst, fresh) {
        (Some(Severity::Down | Severity::Degraded), _) => Role::Problem,
        (_, Freshness::Stale | Freshness::Unknown) => Role::Stale,
        (w, Freshness::Fresh) => severity_role(w),
    }
}

pub fn header<'a>(app: &'a App, theme: &Theme) -> Paragraph<'a> {
    let scope = &app.world.scope;
    let account = scope
        .account
        .as_deref()
        .unwrap_or(match scope.mode.as_str() {
            "demo" => "demo world",
            _ => "account unknown",
        });
    let worst = problems::worst(&app.problems);
    let mut spans = vec![Span::styled(" opsconsole ", theme.style(Role::Title))];
    if app.wall.is_some() {
        // What the data shows, without the staleness warnings: freshness is said on its own.
        let data_worst = problems::worst(&app.data_problems);
        let fresh = problems::overall_freshness(&app.world, app.now, &app.intervals);
        spans.push(Span::styled(
            format!(" {} ", problems::status_word(data_worst, fresh)),
            theme.style(status_role(data_worst, fresh)),
        ));
    }
    match where_(scope) {
        Some((accounts, regions)) => {
            spans.push(Span::styled(
                format!(" {accounts} "),
                theme.style(Role::Normal),
            ));
            spans.push(Span::styled(
                format!("· {regions} "),
                theme.style(Role::Muted),
            ));
        }
        None => {
            spans.push(Span::styled(
                format!(" {account} "),
                theme.style(Role::Normal),
            ));
            spans.push(Span::styled(
                format!("· {} ", scope.regions.join(", ")),
                theme.style(Role::Muted),
            ));
        }
    }
    if let Some(profile) = &scope.profile {
        spans.push(Span::styled(
            format!("· profile {profile} "),
            theme.style(Role::Muted),
        ));
    }
    if app.read_only && app.wall.is_none() {
        spans.push(Span::styled(" READ-ONLY ", theme.style(Role::Warning)));
    }
    let count = app.problems.len();
    if count > 0 {
        let worst_word = worst.map(Severity::as_str).unwrap_or("");
        spans.push(Span::styled(
            format!(
                " ⚠ {count} problem{} ({worst_word}) ",
                if count == 1 { "" } else { "s" }
            ),
            theme.style(severity_role(worst)),
        ));
    }
    if let Some(scheduled) = scheduled(app) {
        spans.push(Span::styled(scheduled, theme.style(Role::Normal)));
    }
    spans.push(Span::styled(
        format!(" {} UTC", app.now.format("%Y-%m-%d %H:%M:%S")),
        theme.style(Role::Muted),
    ));
    Paragraph::new(Line::from(spans))
}

/// ("3 accounts", "2 regions") when the console watches several accounts: the header counts
/// them (each row names its own); `None` with one account, named as before.
pub fn where_(scope: &crate::model::Scope) -> Option<(String, String)> {
    if scope.accounts.is_empty() {
        return None;
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    Some((
        plural(scope.accounts.len(), "account"),
        plural(scope.regions.len(), "region"),
    ))
}

/// " ⟲ 2 scheduled · next 14:32 (in 13 m) ": the undos waiting for their time (UTC, like the
/// clock beside it), so everyone watching knows a change will be put back, and when. Overdue
/// ones are left out: they are problems.
pub fn scheduled(app: &App) -> Option<String> {
    let waiting: Vec<DateTime<Utc>> = app
        .pending
        .iter()
        .filter(|p| !p.overdue(app.now))
        .map(|p| p.due)
        .collect();
    let next = waiting.iter().min()?;
    Some(format!(
        " ⟲ {} scheduled · next {} ({}) ",
        waiting.len(),
        next.format("%H:%M"),
        time_left(*next - app.now)
    ))
}

/// "in 42 s", "in 14 m", "in 23 h 05 m", or "due now" (carried out within 15 s).
fn time_left(left: chrono::Duration) -> String {
    let secs = left.num_seconds();
    match secs {
        ..=0 => "due now".to_string(),
        1..60 => format!("in {secs} s"),
        // Minutes rounded up: "in 1 m" until the last minute starts.
        60..3600 => format!("in {} m", (secs + 59) / 60),
        _ => format!("in {} h {:02} m", secs / 3600, secs % 3600 / 60),
    }
}

/// Each load balancer (the entry of a stack) with the worst of its problems, in `width` cells:
/// where they do not all fit, the stacks that are not OK are named and the OK ones counted
/// (`stacks: trace-member-alb WARNING · 6 OK`), then as many of those as fit and how many more.
pub fn stacks<'a>(app: &'a App, theme: &Theme, width: u16) -> Paragraph<'a> {
    let all = stack_states(app);
    let head = Span::styled(" stacks: ", theme.style(Role::Muted));
    let entry = |name: &str, word: &str, role: Role| {
        [
            Span::styled(crate::view::clean(name), theme.style(Role::Normal)),
            Span::styled(format!(" {word} "), theme.style(role)),
            Span::raw(" "),
        ]
    };
    let line = |entries: &[&(String, String, Role)], tail: Option<String>| {
        let mut spans = vec![head.clone()];
        for (name, word, role) in entries {
            spans.extend(entry(name, word, *role));
        }
        if let Some(tail) = tail {
            spans.push(Span::styled(tail, theme.style(Role::Muted)));
        }
        Line::from(spans)
    };
    let every: Vec<&(String, String, Role)> = all.iter().collect();
    let whole = line(&every, None);
    if whole.width() <= usize::from(width) {
        return Paragraph::new(whole);
    }
    let (ok, not_ok): (Vec<_>, Vec<_>) = every.into_iter().partition(|(_, w, _)| w == "OK");
    let counted = |shown: usize| {
        let hidden = not_ok.len() - shown;
        let mut parts = Vec::new();
        if hidden > 0 {
            parts.push(format!("+{hidden} more not OK"));
        }
        if !ok.is_empty() {
            parts.push(format!("{} OK", ok.len()));
        }
        (!parts.is_empty()).then(|| format!("· {}", parts.join(" · ")))
    };
    for shown in (0..=not_ok.len()).rev() {
        let l = line(&not_ok[..shown], counted(shown));
        if l.width() <= usize::from(width) || shown == 0 {
            return Paragraph::new(l);
        }
    }
    Paragraph::new(whole)
}

/// Each load balancer's name, status word and its role, as the wall's footer lists them.
fn stack_states(app: &App) -> Vec<(String, String, Role)> {
    let mut states = Vec::new();
    let interval = app
        .intervals
        .iter()
        .find(|(p, _)| *p == PanelId::Targets)
        .map(|(_, i)| *i)
        .unwrap_or(std::time::Duration::from_secs(10));
    // The panel's age and last error; a place it could not read makes only the stacks in
    // that place stale (an account locked out, a region refused), not every other one.
    let (fetched, error, _) = app.world.status(PanelId::Targets);
    let targets_fresh = if fetched.is_none() {
        Freshness::Unknown
    } else if error.is_some()
        || problems::stale_for(&app.world, PanelId::Targets, app.now, interval).is_some()
    {
        Freshness::Stale
    } else {
        Freshness::Fresh
    };
    let unread: Vec<&str> = app
        .world
        .targets
        .value
        .iter()
        .flat_map(|v| &v.unreadable)
        .map(|u| u.place.as_str())
        .collect();
    for lb in app
        .world
        .targets
        .value
        .iter()
        .flat_map(|v| &v.load_balancers)
    {
        let tag = format!("({})", lb.name);
        // Its account's problems only: two accounts may name their load balancers alike.
        let account = crate::view::account_prefix(lb.account.as_ref());
        let worst = app
            .data_problems
            .iter()
            .filter(|p| p.subject.ends_with(&tag) && p.subject.starts_with(&account))
            .map(|p| p.severity)
            .min();
        // A stack's status is as fresh as the Targets panel, and stale when its region (or,
        // with several accounts, its account or its account's region) was not read.
        let place = match &lb.account {
            Some(a) => format!("{} {}", a.label(), lb.region),
            None => lb.region.clone(),
        };
        let account_unread = lb
            .account
            .as_ref()
            .is_some_and(|a| unread.contains(&a.label().as_str()));
        let fresh = if unread.contains(&place.as_str()) || account_unread {
            targets_fresh.max(Freshness::Stale)
        } else {
            targets_fresh
        };
        let name = match &lb.account {
            Some(a) => format!("{}/{}", a.name, lb.name),
            None => lb.name.clone(),
        };
        states.push((
            name,
            problems::status_word(worst, fresh),
            status_role(worst, fresh),
        ));
    }
    // An account never read shows no stack at all: it is named, its status unknown, so the
    // wall counts every account it watches.
    for a in &app.world.scope.accounts {
        let label = a.label();
        let shows_stacks = app
            .world
            .targets
            .value
            .iter()
            .flat_map(|v| &v.load_balancers)
            .any(|lb| lb.account.as_ref() == Some(a));
        if !shows_stacks && unread.contains(&label.as_str()) {
            states.push((
                a.name.clone(),
                problems::status_word(None, Freshness::Unknown),
                status_role(None, Freshness::Unknown),
            ));
        }
    }
    states
}

/// Expired or missing credentials fail every panel the same way: say how to fix it, once.
pub fn credentials_banner(app: &App) -> Option<String> {
    // Found at start, before any panel could be read: the sentence that names the fix.
    if let Some(problem) = &app.credential_problem
        && crate::model::PanelId::ALL
            .iter()
            .all(|p| app.world.status(*p).0.is_none())
    {
        return Some(format!(
            // What the console does first: the cause can be longer than the line.
            "no usable AWS credentials yet (the console keeps trying): {}",
            crate::view::clean(problem)
        ));
    }
    let (failing, why) = crate::source::aws::refusal_in(&app.world)?;
    // The fix first: the line may be cut on a narrow screen.
    Some(format!(
        "{why} — the data below is the last that was read ({})",
        crate::view::clean(failing)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::{IpSetRef, Mutation, Pending};
    use crate::config::{Keymap, Settings};

    fn at(hms: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2026-11-21T{hms}Z"))
            .unwrap()
            .with_timezone(&Utc)
    }

    fn removal(due: &str) -> Pending {
        Pending {
            due: at(due),
            undo: Mutation::Unblock {
                set: IpSetRef {
                    account: None,
                    region: "us-east-1".into(),
                    scope: crate::model::WafScope::Regional,
                    name: "blocked".into(),
                    id: "id".into(),
                    arn: "arn:set".into(),
                    web_acl: "acl".into(),
                },
                address: "198.51.100.9/32".into(),
            },
            of: "a block".into(),
            last_error: None,
            attempts: 0,
            account: None,
            endpoint: None,
            retry_at: None,
            failed_for_good: None,
        }
    }

    fn app(now: &str, pending: Vec<Pending>) -> App {
        let mut a = App::new(
            crate::model::Scope::default(),
            Keymap::builtin("default").unwrap(),
            &Settings::default(),
            true,
            at(now),
        );
        a.pending = pending;
        a
    }

    #[test]
    fn the_header_counts_down_to_the_next_scheduled_undo() {
        assert_eq!(scheduled(&app("14:00:00", vec![])), None);
        let overdue = Pending {
            attempts: 2,
            ..removal("13:00:00")
        };
        let pending = vec![removal("15:10:00"), overdue, removal("14:32:00")];
        // Overdue ones are problems, not counted down.
        assert_eq!(
            scheduled(&app("14:18:10", pending.clone())).as_deref(),
            Some(" ⟲ 2 scheduled · next 14:32 (in 14 m) ")
        );
        let soon = scheduled(&app("14:31:18", pending.clone()));
        assert_eq!(
            soon.as_deref(),
            Some(" ⟲ 2 scheduled · next 14:32 (in 42 s) ")
        );
        let far = scheduled(&app("12:00:00", vec![removal("14:32:00")]));
        assert_eq!(
            far.as_deref(),
            Some(" ⟲ 1 scheduled · next 14:32 (in 2 h 32 m) ")
        );
        // Its time has come: carried out within 15 s, not yet a problem.
        let due = scheduled(&app("14:32:05", vec![removal("14:32:00")]));
        assert_eq!(
            due.as_deref(),
            Some(" ⟲ 1 scheduled · next 14:32 (due now) ")
        );
    }
}
