//! The incident timeline: what changed, when, and (where known) who did it.
//!
//! Every console, a wall and a read-only one included, compares each new read of a panel with
//! the one before and records what changed (`observe`), with the time of the read that saw it and
//! the time of the read before: the change happened within that interval, and the entry says so
//! rather than claiming a moment it cannot know. Entries are kept in the state directory
//! (`store`), bounded, so a later snapshot prints what a wall saw.

pub mod observe;
pub mod store;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where an entry comes from.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Two reads of the console differed.
    Observed,
    /// CloudTrail's record of a write call.
    Cloudtrail,
    /// This console's (or a teammate's) own journal.
    Journal,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Observed => "observed",
            Origin::Cloudtrail => "cloudtrail",
            Origin::Journal => "journal",
        }
    }
}

/// What an entry is about, by the name an operator knows it by and the id AWS knows it by.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct Subject {
    pub name: String,
    pub id: String,
}

/// One change.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Entry {
    /// When the read that saw the change was made (for CloudTrail and the journal: the event's
    /// own time).
    pub time: DateTime<Utc>,
    /// The read before, for an observed change: it happened after this and by `time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    /// The account, once known.
    #[serde(default)]
    pub account: Option<String>,
    pub region: String,
    pub subject: Subject,
    /// What changed, in the operator's words: "target state", "listener forward",
    /// "rule action", "blocked per minute", "health check", "instance state", …
    pub what: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Who made the change, where known (CloudTrail's principal, the journal's user).
    #[serde(default)]
    pub who: Option<String>,
    pub source: Origin,
    /// The panel that shows the subject.
    pub panel: crate::model::PanelId,
    /// The key of the subject's row in that panel, for `T`'s Enter to jump to (`None`: the
    /// panel only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<String>,
}

impl Entry {
    /// "ha-web-right target state healthy → unhealthy".
    pub fn describe(&self) -> String {
        format!("{} {} {}", self.subject.name, self.what, self.change(""))
            .trim_end()
            .to_string()
    }

    /// "healthy → unhealthy (Target.Timeout)"; a value that is new, after `new`; one that went,
    /// "… → gone".
    pub fn change(&self, new: &str) -> String {
        match (&self.before, &self.after) {
            (Some(b), Some(a)) => format!("{b} → {a}"),
            (None, Some(a)) => format!("{new}{a}"),
            (Some(b), None) => format!("{b} → gone"),
            (None, None) => String::new(),
        }
    }

    /// When it happened, `time` in `format`: for an observed change with the read before
    /// (`10:02:11 (after 10:01:56)`), since it happened in between.
    pub fn when(&self, format: &str) -> String {
        let at = self.time.format(format);
        match self.since {
            Some(since) => format!("{at} (after {})", since.format("%H:%M:%S")),
            None => at.to_string(),
        }
    }
}

/// The write calls that can cause a change of this kind (`what` of an observed entry): a health
/// check failing, a spike or a status check is nobody's call.
pub fn caused_by(what: &str) -> &'static [&'static str] {
    if what.starts_with("target state") {
        &["RegisterTargets", "DeregisterTargets"]
    } else if what == "listener forward" {
        &["ModifyListener", "ModifyRule"]
    } else if what == "rule action" {
        &["UpdateWebACL"]
    } else if what == "instance state" {
        &[
            "StopInstances",
            "StartInstances",
            "RebootInstances",
            "TerminateInstances",
        ]
    } else if what == "record answer" {
        &["ChangeResourceRecordSets"]
    } else {
        &[]
    }
}

/// The principal of an ARN as CloudTrail and IAM print it: `assumed-role/Deployer/ci-bot`,
/// `user/oncall`.
pub fn principal(arn: &str) -> String {
    arn.rsplit_once(':').map_or(arn, |(_, p)| p).to_string()
}

impl Entry {
    /// A change the journal recorded as done, as a timeline entry (`None`: an attempt, a
    /// failure, or anything else that changed nothing).
    pub fn from_journal(j: &crate::action::JournalEntry) -> Option<Entry> {
        (j.outcome == "done").then(|| Entry {
            time: j.time,
            since: None,
            account: j.account.clone(),
            region: j.region.clone(),
            subject: Subject {
                name: j.resource.clone(),
                id: j.resource.split(' ').next().unwrap_or_default().to_string(),
            },
            what: j.action.clone(),
            before: Some(j.before.clone()),
            after: Some(j.after.clone()),
            who: j.caller_arn.as_deref().map(principal),
            source: Origin::Journal,
            panel: j
                .mutation
                .as_ref()
                .map_or(crate::model::PanelId::Targets, journal_panel),
            row: j.mutation.as_ref().and_then(journal_row),
        })
    }
}

impl Entry {
    /// A change this console made, as its journal records it.
    pub fn from_done(
        m: &crate::action::Mutation,
        time: DateTime<Utc>,
        account: Option<String>,
        caller_arn: Option<&str>,
    ) -> Entry {
        let (action, resource, before, after) = crate::action::journaled::describe(m);
        Entry {
            time,
            since: None,
            account: m.account().map(|a| a.id.clone()).or(account),
            region: m.region().to_string(),
            subject: Subject {
                id: resource.split(' ').next().unwrap_or_default().to_string(),
                name: resource,
            },
            what: action.to_string(),
            before: Some(before),
            after: Some(after),
            who: caller_arn.map(principal),
            source: Origin::Journal,
            panel: journal_panel(m),
            row: journal_row(m),
        }
    }
}

/// The window's changes from every origin, oldest first: what consoles observed, and what the
/// journal says was done (an observed change and the journal entry that caused it both stay:
/// one says when it was seen, the other who did it).
pub fn merged(observed: Vec<Entry>, journal: &[crate::action::JournalEntry]) -> Vec<Entry> {
    let mut all = one_per_change(observed);
    all.extend(journal.iter().filter_map(Entry::from_journal));
    all.sort_by_key(|e| e.time);
    all
}

/// Two consoles on one machine (a wall and an operator's console) both see a change: the file
/// holds it twice, with overlapping intervals. One entry is kept per change: the one whose two
/// reads bracket it most closely.
fn one_per_change(mut observed: Vec<Entry>) -> Vec<Entry> {
    observed.sort_by_key(|e| e.time);
    let mut kept: Vec<Entry> = Vec::with_capacity(observed.len());
    let same = |a: &Entry, b: &Entry| {
        a.source == Origin::Observed
            && b.source == Origin::Observed
            && a.subject.id == b.subject.id
            && a.what == b.what
            && a.before == b.before
            && a.after == b.after
            && a.since.unwrap_or(a.time) <= b.time
            && b.since.unwrap_or(b.time) <= a.time
    };
    let width = |e: &Entry| e.time - e.since.unwrap_or(e.time);
    for e in observed {
        match kept.iter_mut().rev().take(64).find(|k| same(k, &e)) {
            Some(k) if width(&e) < width(k) => *k = e,
            Some(_) => {}
            None => kept.push(e),
        }
    }
    kept
}

fn journal_panel(m: &crate::action::Mutation) -> crate::model::PanelId {
    use crate::action::Mutation;
    match m {
        Mutation::Drain { .. } | Mutation::Register { .. } => crate::model::PanelId::Targets,
        Mutation::SetRule { .. } | Mutation::Block { .. } | Mutation::Unblock { .. } => {
            crate::model::PanelId::Waf
        }
    }
}

fn journal_row(m: &crate::action::Mutation) -> Option<String> {
    use crate::action::Mutation;
    match m {
        Mutation::Drain { target } | Mutation::Register { target } => Some(
            crate::view::targets::target_key(&target.target_group_arn, &target.id, target.port),
        ),
        Mutation::SetRule { rule, .. } => {
            Some(crate::view::waf::rule_key(&rule.acl_id, &rule.rule))
        }
        Mutation::Block { .. } | Mutation::Unblock { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(since: i64, time: i64, after: &str) -> Entry {
        Entry {
            time: DateTime::from_timestamp(time, 0).expect("time"),
            since: DateTime::from_timestamp(since, 0),
            account: None,
            region: "ap-northeast-1".into(),
            subject: Subject {
                name: "ha-web-right".into(),
                id: "i-0aaf".into(),
            },
            what: "target state in ha-web-tg".into(),
            before: Some("healthy".into()),
            after: Some(after.into()),
            who: None,
            source: Origin::Observed,
            panel: crate::model::PanelId::Targets,
            row: None,
        }
    }

    /// A wall reading every 30 s and a console reading every 5 s both saw the drain: one entry,
    /// the console's, whose reads bracket it closer. A later, separate change stays.
    #[test]
    fn a_change_two_consoles_saw_is_listed_once() {
        let wall = seen(1000, 1030, "draining");
        let console = seen(1015, 1020, "draining");
        let again = seen(2000, 2005, "draining");
        let other = seen(1015, 1020, "unhealthy");
        let all = merged(
            vec![wall, console.clone(), again.clone(), other.clone()],
            &[],
        );
        assert_eq!(all.len(), 3, "{all:#?}");
        assert!(all.contains(&console) && all.contains(&again) && all.contains(&other));
    }
}
