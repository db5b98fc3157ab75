//! The snapshot's content, independent of its format: header facts, one section per panel with
//! the age and error of its data, the tables the console shows.

use super::Collected;
use crate::action::JournalEntry;
use crate::model::{
    DnsView, InstancesView, PanelData, PanelId, RuleSamples, Scope, TargetsView, WafView,
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
/// it could not read (`unreadable`).
pub const SCHEMA_VERSION: u32 = 3;

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
        Report {
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
        }
    }

    /// The tables of every panel, as the console shows them, for the text formats.
    /// Unhealthy rows first within each level, except WAF rules, whose order is their priority.
    pub fn tables(&self) -> Vec<(PanelId, Option<Table>, Meta<'_>)> {
        let problems_first = |mut t: Table| {
            t.sort(view::SortOrder::ProblemsFirst);
            t
        };
        let groups = self
            .targets
            .data
            .as_ref()
            .map(view::instances::groups_by_target)
            .unwrap_or_default();
        let names = self
            .instances
            .data
            .as_ref()
            .map(crate::model::InstancesView::names)
            .unwrap_or_default();
        vec![
            (
                PanelId::Targets,
                self.targets
                    .data
                    .as_ref()
                    .map(|t| problems_first(view::targets::table(t, &names))),
                Meta::of(&self.targets),
            ),
            (
                PanelId::Waf,
                self.waf.data.as_ref().map(view::waf::table),
                Meta::of(&self.waf),
            ),
            (
                PanelId::Dns,
                self.dns
                    .data
                    .as_ref()
                    .map(view::dns::table)
                    .map(problems_first),
                Meta::of(&self.dns),
            ),
            (
                PanelId::Instances,
                self.instances
                    .data
                    .as_ref()
                    .map(|v| problems_first(view::instances::table(v, &groups))),
                Meta::of(&self.instances),
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
