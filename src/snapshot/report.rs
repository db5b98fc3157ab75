//! The snapshot's content, independent of its format: header facts, one section per panel with
//! the age and error of its data, the tables the console shows.

use super::Collected;
use crate::action::JournalEntry;
use crate::model::{
    AccountRef, DnsView, InstancesView, PanelData, PanelId, RuleSamples, Scope, TargetsView,
    Unreadable, WafView,
};
use crate::problems::Problem;
use crate::view::{self, Table};
use chrono::{DateTime, Local, Utc};
use schemars::JsonSchema;
use serde::Serialize;

/// Bumped whenever the JSON layout changes incompatibly. 2: a target group's
/// `deregistration_delay_secs` is `null` until read (a snapshot reads it only for a group with a
/// draining target). 3: a target's `az` is `null` where its zone is not known (it was "all"),
/// each target carries its `registration` as ELBv2 described it, and a panel lists the places
/// it could not read (`unreadable`). 4: a listener's `rules` is `null` where they were not read
/// (a snapshot reads them only where they decide whether a group serves).
pub const SCHEMA_VERSION: u32 = 4;

#[derive(Debug, Serialize, JsonSchema)]
pub struct Report {
    pub schema_version: u32,
    pub generated_at: DateTime<Utc>,
    /// The same moment in the local time zone of the machine that took the snapshot.
    pub generated_at_local: String,
    pub opsconsole_version: String,
    pub scope: Scope,
    pub targets: Section<TargetsView>,
    pub waf: Section<WafView>,
    /// Sampled requests of the rules that blocked or counted requests in the window.
    pub waf_samples: Vec<RuleSamples>,
    pub dns: Section<DnsView>,
    pub instances: Section<InstancesView>,
    pub logs: Section<Vec<LogLine>>,
    /// Panels whose last fetch failed.
    pub failed_panels: Vec<PanelId>,
    /// Changes made through the console (audit journal) in the window.
    pub actions: Section<Vec<JournalEntry>>,
    /// Everything that needs attention, worst first.
    pub problems: Vec<Problem>,
    /// Blocks that will expire and Counts that will be restored, soonest first.
    pub pending: Vec<crate::action::Pending>,
    /// The window of WAF counts and actions, in minutes.
    pub window_minutes: i64,
    /// What changed in the window, oldest first: what consoles (walls included) saw change
    /// between two reads, and what the journal says was done, each with its `source`.
    pub timeline: Vec<crate::timeline::Entry>,
    /// What to know of the timeline's limits: lines of the file that could not be read, a
    /// history that could not be asked, changes too recent for CloudTrail to say who.
    pub timeline_note: Option<String>,
    /// With `[[account]]` / `[organization]`: each account's rows, under its id and name (the
    /// top-level sections then keep only their age and error in JSON). Absent for one account.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<AccountSection>,
}

/// One watched account's part of the snapshot.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AccountSection {
    /// The account id.
    pub account: String,
    pub name: String,
    /// Why the account could not be read (its role refused, its session expired): its
    /// sections then hold what was last read, if anything.
    pub error: Option<String>,
    pub targets: Section<TargetsView>,
    pub waf: Section<WafView>,
    pub dns: Section<DnsView>,
    pub instances: Section<InstancesView>,
}

/// A panel's view narrowed to the rows of one account, and the places of it not read.
trait OfAccount: Sized + Clone {
    fn of_account(&self, account: &AccountRef) -> Self;
    /// The rows without their account: under the account's own heading, the tables need no
    /// account level of their own.
    fn forget_account(&mut self);
}

fn in_account(of: Option<&AccountRef>, account: &AccountRef) -> bool {
    of.is_some_and(|a| a.id == account.id)
}

fn places_of(places: &[Unreadable], account: &AccountRef) -> Vec<Unreadable> {
    places
        .iter()
        .filter(|u| in_account(u.account.as_ref(), account))
        .cloned()
        .collect()
}

impl OfAccount for TargetsView {
    fn forget_account(&mut self) {
        for row in &mut self.load_balancers {
            row.account = None;
        }
    }

    fn of_account(&self, account: &AccountRef) -> Self {
        TargetsView {
            load_balancers: (self.load_balancers.iter())
                .filter(|lb| in_account(lb.account.as_ref(), account))
                .cloned()
                .collect(),
            unreadable: places_of(&self.unreadable, account),
        }
    }
}

impl OfAccount for WafView {
    fn forget_account(&mut self) {
        for row in &mut self.acls {
            row.account = None;
        }
    }

    fn of_account(&self, account: &AccountRef) -> Self {
        WafView {
            acls: (self.acls.iter())
                .filter(|a| in_account(a.account.as_ref(), account))
                .cloned()
                .collect(),
            ip_sets: (self.ip_sets.iter())
                .filter(|s| in_account(s.account.as_ref(), account))
                .cloned()
                .collect(),
            unreadable: places_of(&self.unreadable, account),
            ..self.clone()
        }
    }
}

impl OfAccount for DnsView {
    fn forget_account(&mut self) {
        for row in &mut self.zones {
            row.account = None;
        }
    }

    fn of_account(&self, account: &AccountRef) -> Self {
        DnsView {
            zones: (self.zones.iter())
                .filter(|z| in_account(z.account.as_ref(), account))
                .cloned()
                .collect(),
            unreadable: places_of(&self.unreadable, account),
        }
    }
}

impl OfAccount for InstancesView {
    fn forget_account(&mut self) {
        for row in &mut self.instances {
            row.account = None;
        }
    }

    fn of_account(&self, account: &AccountRef) -> Self {
        InstancesView {
            instances: (self.instances.iter())
                .filter(|i| in_account(i.account.as_ref(), account))
                .cloned()
                .collect(),
            unreadable: places_of(&self.unreadable, account),
        }
    }
}

/// A section to show under its account's heading: its rows without their account.
fn headed<T: OfAccount>(s: &Section<T>) -> Section<T> {
    Section {
        fetched_at: s.fetched_at,
        age_secs: s.age_secs,
        error: s.error.clone(),
        data: s.data.clone().map(|mut d| {
            d.forget_account();
            d
        }),
    }
}

/// A section narrowed to one account's rows: the same age and panel error.
fn section_of<T: OfAccount>(s: &Section<T>, account: &AccountRef) -> Section<T> {
    Section {
        fetched_at: s.fetched_at,
        age_secs: s.age_secs,
        error: s.error.clone(),
        data: s.data.as_ref().map(|d| d.of_account(account)),
    }
}

impl AccountSection {
    fn of(r: &Report, account: &AccountRef) -> AccountSection {
        let targets = section_of(&r.targets, account);
        let waf = section_of(&r.waf, account);
        let dns = section_of(&r.dns, account);
        let instances = section_of(&r.instances, account);
        // The account's own failure (not one region's) is said by every panel alike.
        let label = account.label();
        let error = [
            targets.data.as_ref().map(|d| &d.unreadable),
            waf.data.as_ref().map(|d| &d.unreadable),
            dns.data.as_ref().map(|d| &d.unreadable),
            instances.data.as_ref().map(|d| &d.unreadable),
        ]
        .into_iter()
        .flatten()
        .flatten()
        .find(|u| u.is_whole_account())
        .map(|u| u.error.clone())
        // Every account refused: the panels' own error names each ("prod (…): why; …").
        .or_else(|| {
            let prefix = format!("{label}: ");
            [
                &r.targets.error,
                &r.waf.error,
                &r.dns.error,
                &r.instances.error,
            ]
            .into_iter()
            .flatten()
            .flat_map(|e| e.split("; "))
            .find_map(|part| part.strip_prefix(&prefix).map(str::to_string))
        });
        AccountSection {
            account: account.id.clone(),
            name: account.name.clone(),
            error,
            targets,
            waf,
            dns,
            instances,
        }
    }
}

/// One panel's data with how old it is and the last error.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Section<T> {
    pub fetched_at: Option<DateTime<Utc>>,
    pub age_secs: Option<i64>,
    pub error: Option<String>,
    pub data: Option<T>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct LogLine {
    pub source: String,
    pub text: String,
}

impl<T: Clone> Section<T> {
    fn of(d: &PanelData<T>, now: DateTime<Utc>) -> Section<T> {
        Section {
            fetched_at: d.fetched_at,
            age_secs: d.age_secs(now),
            error: d.error.clone(),
            data: d.value.clone(),
        }
    }
}

impl Report {
    pub fn new(collected: &Collected, now: DateTime<Utc>) -> Report {
        let (world, samples) = (&collected.world, &collected.samples);
        let logs = &world.logs;
        let lines = logs
            .entries
            .iter()
            .map(|e| LogLine {
                source: logs.source_name(e).to_string(),
                text: e.entry.text(),
            })
            .collect();
        let mut report = Report {
            schema_version: SCHEMA_VERSION,
            generated_at: now,
            generated_at_local: now
                .with_timezone(&Local)
                .format("%Y-%m-%d %H:%M:%S %:z")
                .to_string(),
            opsconsole_version: env!("CARGO_PKG_VERSION").to_string(),
            scope: world.scope.clone(),
            targets: Section::of(&world.targets, now),
            waf: Section::of(&world.waf, now),
            waf_samples: samples.to_vec(),
            dns: Section::of(&world.dns, now),
            instances: Section::of(&world.instances, now),
            logs: Section {
                fetched_at: logs.last_received,
                age_secs: logs.last_received.map(|t| (now - t).num_seconds().max(0)),
                error: logs.error.clone(),
                data: Some(lines),
            },
            failed_panels: world.failed_panels(),
            problems: collected.problems.clone(),
            pending: collected.pending.clone(),
            window_minutes: collected.since.num_minutes(),
            actions: Section {
                fetched_at: Some(now),
                age_secs: Some(0),
                error: collected.journal_error.clone(),
                data: Some(collected.actions.clone()),
            },
            timeline: collected.timeline.clone(),
            timeline_note: collected.timeline_error.clone(),
            accounts: Vec::new(),
        };
        report.accounts = (world.scope.accounts.iter())
            .map(|a| AccountSection::of(&report, a))
            .collect();
        report
    }

    /// The tables of every panel, as the console shows them, for the text formats.
    /// Unhealthy rows first within each level, except WAF rules, whose order is their priority.
    pub fn tables(&self) -> Vec<(PanelId, Option<Table>, Meta<'_>)> {
        tables_of(&self.targets, &self.waf, &self.dns, &self.instances)
    }

    /// "cms-prod · " before a timeline entry's subject when several accounts are watched (the
    /// entry's account by name), nothing with one.
    pub fn account_of(&self, e: &crate::timeline::Entry) -> String {
        if self.scope.accounts.is_empty() {
            return String::new();
        }
        let id = e.account.as_deref().unwrap_or("?");
        match self.scope.accounts.iter().find(|a| a.id == id) {
            Some(a) => format!("{} · ", a.name),
            None => format!("{id} · "),
        }
    }

    /// Each account's tables, panel by panel, with the account's heading ("prod
    /// (222222222222)") and why it could not be read; empty for one account.
    pub fn account_tables(&self) -> Vec<AccountTables<'_>> {
        (self.accounts.iter())
            .map(|a| {
                let tables = tables_of(
                    &headed(&a.targets),
                    &headed(&a.waf),
                    &headed(&a.dns),
                    &headed(&a.instances),
                )
                .into_iter()
                .map(|(p, t, _)| (p, t))
                .collect();
                (
                    format!("{} ({})", a.name, a.account),
                    a.error.as_deref(),
                    tables,
                )
            })
            .collect()
    }
}

/// One account's heading, why it was not read, and its tables panel by panel.
pub type AccountTables<'a> = (String, Option<&'a str>, Vec<(PanelId, Option<Table>)>);

/// The tables of the four polled panels, as the console shows them.
fn tables_of<'a>(
    targets: &'a Section<TargetsView>,
    waf: &'a Section<WafView>,
    dns: &'a Section<DnsView>,
    instances: &'a Section<InstancesView>,
) -> Vec<(PanelId, Option<Table>, Meta<'a>)> {
    {
        let problems_first = |mut t: Table| {
            t.sort(view::SortOrder::ProblemsFirst);
            t
        };
        let groups = targets
            .data
            .as_ref()
            .map(view::instances::groups_by_target)
            .unwrap_or_default();
        let names = instances
            .data
            .as_ref()
            .map(crate::model::InstancesView::names)
            .unwrap_or_default();
        vec![
            (
                PanelId::Targets,
                targets
                    .data
                    .as_ref()
                    .map(|t| problems_first(view::targets::table(t, &names))),
                Meta::of(targets),
            ),
            (
                PanelId::Waf,
                waf.data.as_ref().map(view::waf::table),
                Meta::of(waf),
            ),
            (
                PanelId::Dns,
                dns.data.as_ref().map(view::dns::table).map(problems_first),
                Meta::of(dns),
            ),
            (
                PanelId::Instances,
                instances
                    .data
                    .as_ref()
                    .map(|v| problems_first(view::instances::table(v, &groups))),
                Meta::of(instances),
            ),
        ]
    }
}

/// Age and error of a section, for headings.
pub struct Meta<'a> {
    pub age_secs: Option<i64>,
    pub error: Option<&'a str>,
}

impl<'a> Meta<'a> {
    pub fn of<T>(s: &'a Section<T>) -> Meta<'a> {
        Meta {
            age_secs: s.age_secs,
            error: s.error.as_deref(),
        }
    }

    /// "data 2s old" / "no data" plus the error, for a section heading.
    pub fn describe(&self) -> String {
        let age = match self.age_secs {
            Some(a) => format!("data {} old", crate::model::format_age(a)),
            None => "no data".to_string(),
        };
        match self.error {
            Some(e) => format!("{age} · error: {}", view::clean(e)),
            None => age,
        }
    }
}
