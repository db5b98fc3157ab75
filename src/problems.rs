//! What counts as a problem, decided in one place for the console's badges, the wall header and
//! the snapshot's summary.

use crate::model::{
    CheckStatus, Health, LbKind, PanelId, RuleCounts, TargetState, Unreadable, World, format_age,
};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::HashSet;
use std::time::Duration;

/// How bad a problem is. DOWN: something serves nothing; DEGRADED: redundancy or health lost;
/// WARNING: worth a look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Down,
    Degraded,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Down => "DOWN",
            Severity::Degraded => "DEGRADED",
            Severity::Warning => "WARNING",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Problem {
    pub severity: Severity,
    pub panel: PanelId,
    /// What the problem is about: a target group, a rule, a record set, an instance, a panel.
    pub subject: String,
    pub text: String,
    /// The key of the row it concerns in its panel, for the problems view to jump to.
    #[serde(skip)]
    #[schemars(skip)]
    pub row: Option<String>,
    /// A scheduled undo that failed for good: the problems view can dismiss it.
    #[serde(skip)]
    #[schemars(skip)]
    pub undo: Option<crate::action::Mutation>,
}

/// Facts from outside the world that some rules need.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Each polled panel's refresh interval: data older than twice that is stale.
    pub intervals: Vec<(PanelId, Duration)>,
    /// (web ACL id, rule) the console set to Count and has not restored.
    pub counting_by_console: HashSet<(String, String)>,
    /// Undos waiting for their time; one tried and failed is overdue, a problem.
    pub pending: Vec<crate::action::Pending>,
    /// Entries of the pending file that are not undos: refused, never carried out.
    pub refused_undos: Vec<crate::action::pending::Refused>,
    /// Why the undos cannot be read, and since when.
    pub pending_unreadable: Option<(String, DateTime<Utc>)>,
}

/// Blocked requests in the last minute must exceed this many times the median of the window
/// before it, and this floor, to count as a spike.
const SPIKE_FACTOR: u64 = 3;
const SPIKE_FLOOR: u64 = 20;

/// Every problem in the world, worst first.
pub fn find(world: &World, now: DateTime<Utc>, ctx: &Context) -> Vec<Problem> {
    with_staleness(world, now, ctx, &in_data(world, ctx))
}

/// The problems the data itself shows; they change only when data arrives, so a console keeps
/// them between clock ticks instead of finding them again every second.
pub fn in_data(world: &World, ctx: &Context) -> Vec<Problem> {
    let mut out = Vec::new();
    targets(world, &mut out);
    waf(world, ctx, &mut out);
    dns(world, &mut out);
    instances(world, &mut out);
    out
}

/// `in_data`'s problems with the panels that are stale at `now`, worst first.
pub fn with_staleness(
    world: &World,
    now: DateTime<Utc>,
    ctx: &Context,
    in_data: &[Problem],
) -> Vec<Problem> {
    merged(&on_the_clock(world, now, ctx), in_data)
}

/// The problems the clock makes: panels stale at `now`, undos overdue. A console finds them on
/// every tick; most ticks find the same ones as the last (usually none).
pub fn on_the_clock(world: &World, now: DateTime<Utc>, ctx: &Context) -> Vec<Problem> {
    let mut out = Vec::new();
    staleness(world, now, ctx, &mut out);
    overdue(now, ctx, &mut out);
    out
}

/// The clock's problems and the data's, worst first; of equal severity the clock's come first.
pub fn merged(on_the_clock: &[Problem], in_data: &[Problem]) -> Vec<Problem> {
    let mut out = Vec::with_capacity(on_the_clock.len() + in_data.len());
    out.extend_from_slice(on_the_clock);
    out.extend_from_slice(in_data);
    out.sort_by_key(|p| p.severity);
    out
}

/// A block that should have expired, a Count that should have been restored: tried and
/// failed (retried after a back-off, or failed for good and waiting to be dismissed), or due
/// with no console that may change things running; and entries of the file that are refused.
fn overdue(now: DateTime<Utc>, ctx: &Context, out: &mut Vec<Problem>) {
    for p in ctx.pending.iter().filter(|p| p.overdue(now)) {
        let text = match (&p.failed_for_good, &p.last_error) {
            (Some(e), _) => format!(
                "failed for good at its time ({} UTC) and not retried: {e}. Check by hand, then dismiss it here with x",
                p.due.format("%H:%M")
            ),
            (None, Some(e)) => format!(
                "overdue since {} UTC ({} attempts; next try {}): {e}",
                p.due.format("%H:%M"),
                p.attempts,
                p.retry_at
                    .map(|t| format!("at {} UTC", t.format("%H:%M:%S")))
                    .unwrap_or_else(|| "soon".to_string())
            ),
            (None, None) => format!(
                "due since {} UTC and not carried out: no console that may change things is running (read-only consoles only show it)",
                p.due.format("%H:%M")
            ),
        };
        push(
            out,
            Severity::Degraded,
            PanelId::Waf,
            p.undo.summary(),
            text,
        );
        if p.failed_for_good.is_some()
            && let Some(last) = out.last_mut()
        {
            last.undo = Some(p.undo.clone());
        }
    }
    if let Some((why, since)) = &ctx.pending_unreadable {
        push(
            out,
            Severity::Degraded,
            PanelId::Waf,
            "scheduled undos".to_string(),
            format!(
                "unreadable since {} UTC ({} ago): {why} — nothing scheduled is carried out or shown, and timed blocks and Counts are refused until they can be read",
                since.format("%H:%M:%S"),
                crate::model::format_age((now - *since).num_seconds().max(0))
            ),
        );
    }
    for r in &ctx.refused_undos {
        push(
            out,
            Severity::Warning,
            PanelId::Waf,
            "an entry of the pending undos file".to_string(),
            format!(
                "refused, never carried out: {} ({})",
                r.why,
                crate::sanitize::sanitize(&r.entry.chars().take(160).collect::<String>())
            ),
        );
    }
}

fn push(out: &mut Vec<Problem>, severity: Severity, panel: PanelId, subject: String, text: String) {
    out.push(Problem {
        severity,
        panel,
        subject,
        text,
        row: None,
        undo: None,
    });
}

/// Marks the problems pushed since `from` (that have no row yet) as concerning row `row`.
/// Names the row of the problems found since `from`, if any: most rows have none, and their
/// key is not worth making (`row` makes it).
fn at_row(out: &mut [Problem], from: usize, row: impl FnOnce() -> String) {
    if out.len() <= from {
        return;
    }
    let row = row();
    for p in out.iter_mut().skip(from).filter(|p| p.row.is_none()) {
        p.row = Some(row.clone());
    }
}

/// A panel whose data is older than twice its interval, or whose last fetch failed.
pub fn stale_for(
    world: &World,
    panel: PanelId,
    now: DateTime<Utc>,
    interval: Duration,
) -> Option<i64> {
    let (fetched, _, loading) = world.status(panel);
    if loading {
        return None;
    }
    let age = fetched
        .map(|t| (now - t).num_seconds().max(0))
        .unwrap_or(i64::MAX);
    (age > 2 * interval.as_secs() as i64).then_some(age)
}

fn staleness(world: &World, now: DateTime<Utc>, ctx: &Context, out: &mut Vec<Problem>) {
    for (panel, interval) in &ctx.intervals {
        let (_, error, _) = world.status(*panel);
        let stale = stale_for(world, *panel, now, *interval);
        let text = match (stale, error) {
            (Some(age), Some(e)) if age != i64::MAX => format!("STALE {}: {e}", format_age(age)),
            (Some(_), Some(e)) => format!("no data: {e}"),
            (Some(age), None) if age != i64::MAX => format!("STALE {}", format_age(age)),
            (Some(_), None) => "no data".to_string(),
            (None, Some(e)) => format!("last refresh failed: {e}"),
            (None, None) => continue,
        };
        push(
            out,
            Severity::Warning,
            *panel,
            panel.title().to_string(),
            text,
        );
    }
}

/// A place a panel could not read is a warning of its own, beside the places that were read.
/// A place no panel could read for the same reason (an account whose role cannot be assumed)
/// is one problem, under the first panel that says so.
fn unreadable(places: &[Unreadable], panel: PanelId, out: &mut Vec<Problem>) {
    for u in places {
        let said = out
            .iter()
            .any(|p| p.subject == u.place && p.text.contains(&u.error));
        if said {
            continue;
        }
        let text = match u.data_from {
            Some(at) => format!(
                "could not be read: {}; its data is from {}",
                u.error,
                at.format("%H:%M:%S UTC")
            ),
            None => format!("could not be read: {}", u.error),
        };
        push(out, Severity::Warning, panel, u.place.clone(), text);
        let last = out.len() - 1;
        at_row(out, last, || format!("unreadable:{}", u.place));
    }
}

fn targets(world: &World, out: &mut Vec<Problem>) {
    let Some(view) = &world.targets.value else {
        return;
    };
    unreadable(&view.unreadable, PanelId::Targets, out);
    let names = world
        .instances
        .value
        .as_ref()
        .map(|v| v.names())
        .unwrap_or_default();
    // Instances not running, by account (ids are unique in one account only).
    let running: HashSet<(Option<&str>, &str)> = world
        .instances
        .value
        .iter()
        .flat_map(|v| &v.instances)
        .filter(|i| i.state != "running")
        .map(|i| (i.account.as_ref().map(|a| a.id.as_str()), i.id.as_str()))
        .collect();
    for lb in &view.load_balancers {
        let account = lb.account.as_ref();
        for tg in &lb.target_groups {
            // What a problem names: made only for a group or target that has one.
            let subject = || {
                format!(
                    "{}{} ({})",
                    crate::view::account_prefix(account),
                    tg.name,
                    lb.name
                )
            };
            let group_from = out.len();
            let health = tg.health();
            let serving = lb.listeners.iter().any(|l| l.is_live_for(&tg.name));
            if health.total == 0 && serving {
                push(
                    out,
                    Severity::Down,
                    PanelId::Targets,
                    subject(),
                    match lb.kind {
                        LbKind::Application => "no target registered, yet a listener sends it traffic: the load balancer answers 503".to_string(),
                        _ => "no target registered, yet a listener sends it traffic: connections fail".to_string(),
                    },
                );
            } else if health.is_down() {
                let sev = if serving {
                    Severity::Down
                } else {
                    Severity::Degraded
                };
                push(
                    out,
                    sev,
                    PanelId::Targets,
                    subject(),
                    format!("no healthy target ({})", health.describe()),
                );
            } else {
                // Behind cross-zone load balancing the other zones serve it: a warning.
                let (sev, served) = if tg.other_zones_serve(lb.kind) {
                    (
                        Severity::Warning,
                        " (served from the other zones: cross-zone load balancing)",
                    )
                } else {
                    (Severity::Degraded, "")
                };
                for (az, c) in tg.health_by_az() {
                    if c.is_down() {
                        push(
                            out,
                            sev,
                            PanelId::Targets,
                            subject(),
                            format!("zone {az}: {}{served}", c.describe()),
                        );
                    }
                }
            }
            at_row(out, group_from, || {
                crate::view::in_account(account, crate::view::targets::group_key(&tg.arn))
            });
            for t in &tg.targets {
                let target_from = out.len();
                let who = || {
                    (t.name.as_ref())
                        .or_else(|| names.get(&t.id))
                        .unwrap_or(&t.id)
                };
                match t.state {
                    TargetState::Unhealthy | TargetState::UnhealthyDraining => push(
                        out,
                        Severity::Degraded,
                        PanelId::Targets,
                        subject(),
                        format!(
                            "{} {}{}",
                            who(),
                            t.state.as_aws(),
                            (t.reason.as_deref())
                                .map(|r| format!(" ({r})"))
                                .unwrap_or_default()
                        ),
                    ),
                    TargetState::Draining => push(
                        out,
                        Severity::Warning,
                        PanelId::Targets,
                        subject(),
                        format!("{} draining", who()),
                    ),
                    _ => {}
                }
                if running.contains(&(account.map(|a| a.id.as_str()), t.id.as_str())) {
                    push(
                        out,
                        Severity::Warning,
                        PanelId::Targets,
                        subject(),
                        format!("{} is registered but its instance is not running", who()),
                    );
                }
                at_row(out, target_from, || {
                    crate::view::in_account(
                        account,
                        crate::view::targets::target_key(&tg.arn, &t.id, t.port),
                    )
                });
            }
        }
    }
}

/// Minutes a spike is judged on: the last one against the 14 before it, however many minutes
/// were read (a snapshot's `--since 1h` reads 60), so a console and a snapshot agree.
const SPIKE_WINDOW: usize = 15;

/// The last minute's blocked count against the median of the minutes before it.
pub fn blocked_spike(series: &[RuleCounts]) -> Option<(u64, u64)> {
    let series = &series[series.len().saturating_sub(SPIKE_WINDOW)..];
    let (last, before) = series.split_last()?;
    let mut earlier: Vec<u64> = before.iter().map(|p| p.blocked).collect();
    if earlier.is_empty() {
        return None;
    }
    earlier.sort_unstable();
    let median = earlier[earlier.len() / 2];
    (last.blocked >= SPIKE_FLOOR && last.blocked > SPIKE_FACTOR * median.max(1))
        .then_some((last.blocked, median))
}

fn waf(world: &World, ctx: &Context, out: &mut Vec<Problem>) {
    let Some(view) = &world.waf.value else { return };
    unreadable(&view.unreadable, PanelId::Waf, out);
    for acl in &view.acls {
        for rule in &acl.rules {
            let subject = || {
                format!(
                    "{}{} / {}",
                    crate::view::account_prefix(acl.account.as_ref()),
                    acl.name,
                    rule.name
                )
            };
            let from = out.len();
            if let Some((now, usual)) = blocked_spike(&rule.series) {
                push(
                    out,
                    Severity::Warning,
                    PanelId::Waf,
                    subject(),
                    format!("blocked {now} in the last minute (usually {usual})"),
                );
            }
            if rule.kind.is_counting()
                && ctx
                    .counting_by_console
                    .contains(&(acl.id.clone(), rule.name.clone()))
            {
                push(
                    out,
                    Severity::Warning,
                    PanelId::Waf,
                    subject(),
                    "left in Count by a toggle: matching requests pass".to_string(),
                );
            }
            at_row(out, from, || {
                crate::view::in_account(
                    acl.account.as_ref(),
                    crate::view::waf::rule_key(&acl.id, &rule.name),
                )
            });
        }
    }
}

fn dns(world: &World, out: &mut Vec<Problem>) {
    let Some(view) = &world.dns.value else { return };
    unreadable(&view.unreadable, PanelId::Dns, out);
    for zone in &view.zones {
        for set in &zone.record_sets {
            let subject = || {
                format!(
                    "{}{} {}",
                    crate::view::account_prefix(zone.account.as_ref()),
                    set.name,
                    set.rtype
                )
            };
            let from = out.len();
            if set.lacks_default_location() {
                push(
                    out,
                    Severity::Warning,
                    PanelId::Dns,
                    subject(),
                    crate::view::dns::NO_DEFAULT_WARNING.to_string(),
                );
            }
            for r in &set.records {
                let where_ = || {
                    (r.location.as_ref())
                        .map(|l| l.describe())
                        .or(r.set_identifier.clone())
                        .unwrap_or_default()
                };
                match r.health {
                    // The fallback down while the primary serves: nothing is degraded yet.
                    Health::Unhealthy if is_idle_secondary(set, r) => push(
                        out,
                        Severity::Warning,
                        PanelId::Dns,
                        subject(),
                        format!("{}: failover has no healthy secondary", where_()),
                    ),
                    Health::Unhealthy => push(
                        out,
                        Severity::Degraded,
                        PanelId::Dns,
                        subject(),
                        format!("{} answers with an unhealthy endpoint", where_()),
                    ),
                    Health::Unknown => push(
                        out,
                        Severity::Warning,
                        PanelId::Dns,
                        subject(),
                        format!("{}: health unknown", where_()),
                    ),
                    _ => {}
                }
            }
            at_row(out, from, || crate::view::dns::set_key(zone, set));
        }
    }
}

/// A failover set's SECONDARY record while its PRIMARY is not unhealthy: Route53 answers
/// with the primary, and the secondary is only the fallback.
fn is_idle_secondary(set: &crate::model::RecordSet, record: &crate::model::Record) -> bool {
    let role = |r: &crate::model::Record| r.policy_detail.as_deref().map(str::to_ascii_uppercase);
    set.policy == crate::model::RoutingPolicy::Failover
        && role(record).as_deref() == Some("SECONDARY")
        && set
            .records
            .iter()
            .any(|r| role(r).as_deref() == Some("PRIMARY") && r.health != Health::Unhealthy)
}

fn instances(world: &World, out: &mut Vec<Problem>) {
    let Some(view) = &world.instances.value else {
        return;
    };
    unreadable(&view.unreadable, PanelId::Instances, out);
    for i in &view.instances {
        let subject = || {
            format!(
                "{}{}",
                crate::view::account_prefix(i.account.as_ref()),
                i.label()
            )
        };
        let from = out.len();
        if i.system_status == CheckStatus::Impaired || i.instance_status == CheckStatus::Impaired {
            push(
                out,
                Severity::Degraded,
                PanelId::Instances,
                subject(),
                format!(
                    "status checks {}/{}",
                    i.system_status.as_str(),
                    i.instance_status.as_str()
                ),
            );
        }
        for e in &i.events {
            let when = e
                .not_before
                .map(|t| format!(" from {}", t.format("%Y-%m-%d %H:%M UTC")))
                .unwrap_or_default();
            push(
                out,
                Severity::Warning,
                PanelId::Instances,
                subject(),
                format!("scheduled {}{when}", e.code),
            );
        }
        at_row(out, from, || {
            crate::view::in_account(
                i.account.as_ref(),
                crate::view::instances::instance_key(&i.id),
            )
        });
    }
}

/// The worst severity, if any: what a stack's or the wall's header says.
pub fn worst(problems: &[Problem]) -> Option<Severity> {
    problems.iter().map(|p| p.severity).min()
}

/// Whether the data behind a panel (or the whole wall) can be trusted as current.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Freshness {
    Fresh,
    /// Older than twice its interval, its last refresh failed, or a place in it was not read.
    Stale,
    /// No data at all yet (or ever).
    Unknown,
}

/// How fresh `panel`'s data is at `now`.
pub fn freshness(
    world: &World,
    panel: PanelId,
    now: DateTime<Utc>,
    interval: Duration,
) -> Freshness {
    let (fetched, error, _) = world.status(panel);
    if fetched.is_none() {
        return Freshness::Unknown;
    }
    let places_unread = !world.panel_status(panel).unreadable.is_empty();
    if error.is_some() || places_unread || stale_for(world, panel, now, interval).is_some() {
        Freshness::Stale
    } else {
        Freshness::Fresh
    }
}

/// The least fresh of the polled panels.
pub fn overall_freshness(
    world: &World,
    now: DateTime<Utc>,
    intervals: &[(PanelId, Duration)],
) -> Freshness {
    intervals
        .iter()
        .map(|(p, i)| freshness(world, *p, now, *i))
        .max()
        .unwrap_or(Freshness::Fresh)
}

/// A wall's status word, read from across a room: never OK unless the data behind it is fresh
/// and clean. What the data shows comes first (DOWN, DEGRADED, WARNING, OK); data that is not
/// fresh says so (STALE, or UNKNOWN with none at all), beside a DOWN or DEGRADED it still shows.
pub fn status_word(data_worst: Option<Severity>, fresh: Freshness) -> String {
    let data = match data_worst {
        Some(Severity::Down) => Some("DOWN"),
        Some(Severity::Degraded) => Some("DEGRADED"),
        Some(Severity::Warning) => Some("WARNING"),
        None => None,
    };
    let age = match fresh {
        Freshness::Fresh => None,
        Freshness::Stale => Some("STALE"),
        Freshness::Unknown => Some("UNKNOWN"),
    };
    match (data, age) {
        (Some(d @ ("DOWN" | "DEGRADED")), Some(a)) => format!("{d} · {a}"),
        (_, Some(a)) => a.to_string(),
        (Some(d), None) => d.to_string(),
        (None, None) => "OK".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AccountRef;
    use crate::source::demo::{Clock, DemoWorld};

    #[test]
    fn the_wall_says_ok_only_for_fresh_clean_data() {
        use Freshness::*;
        assert_eq!(status_word(None, Fresh), "OK");
        assert_eq!(status_word(Some(Severity::Warning), Fresh), "WARNING");
        assert_eq!(status_word(None, Stale), "STALE");
        assert_eq!(status_word(Some(Severity::Warning), Stale), "STALE");
        assert_eq!(status_word(None, Unknown), "UNKNOWN");
        assert_eq!(status_word(Some(Severity::Down), Stale), "DOWN · STALE");
        assert_eq!(status_word(Some(Severity::Degraded), Fresh), "DEGRADED");
    }

    fn start() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-21T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    /// The demo world's views at `minutes` after its start, as the console would hold them.
    fn world_at(seconds: i64) -> (World, DateTime<Utc>) {
        let (clock, hand) = Clock::manual(start());
        let demo = DemoWorld::new(5, clock);
        let now = start() + chrono::Duration::seconds(seconds);
        hand.set(now);
        let mut w = World::default();
        w.targets.record(now, Ok(demo.targets_view()));
        w.waf.record(now, Ok(demo.waf_view()));
        w.dns.record(now, Ok(demo.dns_view()));
        w.instances.record(now, Ok(demo.instances_view()));
        in_accounts(&mut w, None, None);
        (w, now)
    }

    /// Puts every row of `w` in account `a` (`None`: in no account, the console's own), and
    /// with `b`, the instances and the zones in account `b`.
    fn in_accounts(w: &mut World, a: Option<&AccountRef>, b: Option<&AccountRef>) {
        let b = b.or(a);
        for lb in w
            .targets
            .value
            .iter_mut()
            .flat_map(|v| &mut v.load_balancers)
        {
            lb.account = a.cloned();
        }
        if let Some(v) = w.waf.value.as_mut() {
            v.acls.iter_mut().for_each(|acl| acl.account = a.cloned());
            v.ip_sets.iter_mut().for_each(|s| s.account = a.cloned());
        }
        for zone in w.dns.value.iter_mut().flat_map(|v| &mut v.zones) {
            zone.account = b.cloned();
        }
        for i in w.instances.value.iter_mut().flat_map(|v| &mut v.instances) {
            i.account = b.cloned();
        }
    }

    fn account(id: &str, name: &str) -> AccountRef {
        AccountRef {
            id: id.into(),
            name: name.into(),
        }
    }

    #[test]
    fn problems_name_the_account_of_their_row() {
        let (mut w, now) = world_at(3 * 60);
        let prod = account("222222222222", "cms-prod");
        let stage = account("333333333333", "stage");
        in_accounts(&mut w, Some(&prod), Some(&stage));
        if let Some(v) = w.dns.value.as_mut() {
            v.unreadable.push(Unreadable {
                account: None,
                place: stage.label(),
                error: "cannot assume arn:aws:iam::333333333333:role/OpsConsole: AccessDenied"
                    .into(),
                data_from: None,
            });
        }
        let problems = find(&w, now, &Context::default());
        let all = texts(&problems);
        let drill = problems
            .iter()
            .find(|p| p.text.starts_with("ha-web-right unhealthy"))
            .unwrap_or_else(|| panic!("{all:#?}"));
        assert_eq!(drill.subject, "cms-prod · ha-web-tg (ha-lbint)");
        // Its row is the one in that account.
        assert!(
            drill
                .row
                .as_deref()
                .is_some_and(|r| r.starts_with("@222222222222/t:")),
            "{:?}",
            drill.row
        );
        assert!(
            all.iter()
                .any(|t| t.starts_with("WARNING stage · mt-cms (i-")),
            "{all:#?}"
        );
        // Route53's accounts not read are problems too, naming the account.
        assert!(
            problems.iter().any(|p| p.panel == PanelId::Dns
                && p.subject == "stage (333333333333)"
                && p.text.contains("cannot assume")),
            "{all:#?}"
        );
    }

    fn texts(problems: &[Problem]) -> Vec<String> {
        problems
            .iter()
            .map(|p| format!("{} {} {}", p.severity.as_str(), p.subject, p.text))
            .collect()
    }

    #[test]
    fn standing_problems_of_the_demo_estate() {
        // One account: subjects as they always were, naming no account.
        let (w, now) = world_at(30);
        let all = texts(&find(&w, now, &Context::default()));
        let has = |needle: &str| all.iter().any(|t| t.contains(needle));
        assert!(
            has("WARNING proxy.example.net. A no default (*) record"),
            "{all:#?}"
        );
        assert!(
            has("trace-member-03 is registered but its instance is not running"),
            "{all:#?}"
        );
        assert!(has("scheduled system-reboot"), "{all:#?}");
        assert!(
            has("DEGRADED proxy.example.net. A continent NA answers with an unhealthy endpoint"),
            "{all:#?}"
        );
        assert!(
            !has("ha-web-right unhealthy"),
            "the drill has not started yet: {all:#?}"
        );
    }

    #[test]
    fn the_failover_drill_is_a_problem_while_it_lasts() {
        let (w, now) = world_at(3 * 60);
        let problems = find(&w, now, &Context::default());
        let all = texts(&problems);
        assert!(
            all.iter()
                .any(|t| t.starts_with("DEGRADED ha-web-tg (ha-lbint) ha-web-right unhealthy")),
            "{all:#?}"
        );
        assert!(
            all.iter()
                .any(|t| t.contains("ha-web-tg (ha-lbint) zone us-east-1b: 0 of 1 healthy")),
            "{all:#?}"
        );
        // Worst first.
        assert!(problems.windows(2).all(|w| w[0].severity <= w[1].severity));
        assert_eq!(worst(&problems), Some(Severity::Degraded));
    }

    #[test]
    fn a_group_with_no_healthy_target_that_serves_traffic_is_down() {
        let (mut w, now) = world_at(30);
        if let Some(v) = w.targets.value.as_mut() {
            for tg in v
                .load_balancers
                .iter_mut()
                .flat_map(|l| l.target_groups.iter_mut())
                .filter(|g| g.name == "ha-web-tg")
            {
                for t in &mut tg.targets {
                    t.state = TargetState::Unhealthy;
                }
            }
        }
        let problems = find(&w, now, &Context::default());
        assert_eq!(
            problems[0].severity,
            Severity::Down,
            "{:#?}",
            texts(&problems)
        );
        assert!(
            problems[0]
                .text
                .contains("no healthy target (0 of 2 healthy)")
        );
    }

    #[test]
    fn a_blocked_spike_stands_out_from_the_window() {
        let p = |b| RuleCounts {
            allowed: 0,
            blocked: b,
            counted: 0,
        };
        assert_eq!(blocked_spike(&[p(5), p(6), p(4), p(90)]), Some((90, 5)));
        assert_eq!(
            blocked_spike(&[p(30), p(32), p(28), p(40)]),
            None,
            "not 3× the usual"
        );
        assert_eq!(blocked_spike(&[p(0), p(0), p(10)]), None, "below the floor");
        assert_eq!(blocked_spike(&[p(50)]), None, "no history");
    }

    #[test]
    fn stale_and_failing_panels_are_problems() {
        let (mut w, now) = world_at(30);
        let later = now + chrono::Duration::seconds(95);
        w.targets.record(later, Err("connection refused".into()));
        let ctx = Context {
            intervals: vec![
                (PanelId::Targets, Duration::from_secs(10)),
                (PanelId::Dns, Duration::from_secs(60)),
            ],
            ..Context::default()
        };
        let all = texts(&find(&w, later, &ctx));
        assert!(
            all.iter()
                .any(|t| t == "WARNING Targets STALE 1m: connection refused"),
            "{all:#?}"
        );
        assert!(
            !all.iter().any(|t| t.starts_with("WARNING Route53")),
            "within 2× its interval: {all:#?}"
        );
    }

    #[test]
    fn a_rule_left_in_count_by_the_console() {
        let (mut w, now) = world_at(30);
        let acl = w
            .waf
            .value
            .as_mut()
            .and_then(|v| v.acls.iter_mut().find(|a| a.name == "hwi-web-acl"))
            .unwrap();
        let rule = acl
            .rules
            .iter_mut()
            .find(|r| r.name == "block-xmlrpc")
            .unwrap();
        rule.kind = crate::model::RuleKind::Plain {
            action: crate::model::RuleAction::Count,
        };
        let key = (acl.id.clone(), "block-xmlrpc".to_string());
        let ctx = Context {
            counting_by_console: [key].into_iter().collect(),
            ..Context::default()
        };
        let all = texts(&find(&w, now, &ctx));
        assert!(
            all.iter()
                .any(|t| t.contains("hwi-web-acl / block-xmlrpc left in Count by a toggle")),
            "{all:#?}"
        );
    }
}
