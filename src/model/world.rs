//! Everything the console currently knows, panel by panel: what the TUI draws and what a
//! snapshot prints.

use super::{DnsView, InstancesView, LogEntry, PanelData, PanelId, RuleSamples, Scope};
use super::{TargetsView, Unreadable, WafView};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::VecDeque;

#[derive(Debug, Clone, Serialize, Default, JsonSchema)]
pub struct World {
    pub scope: Scope,
    pub targets: PanelData<TargetsView>,
    pub waf: PanelData<WafView>,
    /// Sampled requests of the rule last asked for.
    pub samples: PanelData<RuleSamples>,
    pub dns: PanelData<DnsView>,
    pub instances: PanelData<InstancesView>,
    pub logs: LogBuffer,
}

/// A bounded buffer of log entries from one or more sources: the oldest fall off the front, so
/// memory stays flat however long the console runs.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LogBuffer {
    pub capacity: usize,
    pub sources: Vec<String>,
    pub entries: VecDeque<SourcedEntry>,
    /// Last error of any log source, with its time.
    pub error: Option<String>,
    pub last_received: Option<DateTime<Utc>>,
    /// Entries dropped from the front since the start.
    pub dropped: u64,
    /// A tail was started: until its first line or error the panel is loading. Without one
    /// there is nothing to wait for (and no spinner to keep a wall busy).
    #[serde(skip)]
    pub followed: bool,
    /// What a tail is waiting for before its next lines (connecting, the SSH greeting, …), by
    /// source name. A snapshot says it in its error instead.
    #[serde(skip)]
    pub waiting: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SourcedEntry {
    /// Index into `LogBuffer::sources`.
    pub source: usize,
    #[serde(flatten)]
    pub entry: LogEntry,
}

impl Default for LogBuffer {
    fn default() -> Self {
        LogBuffer::with_capacity(100_000)
    }
}

impl LogBuffer {
    pub fn with_capacity(capacity: usize) -> Self {
        LogBuffer {
            capacity: capacity.max(1),
            sources: Vec::new(),
            entries: VecDeque::new(),
            error: None,
            last_received: None,
            dropped: 0,
            followed: false,
            waiting: Default::default(),
        }
    }

    pub fn push(
        &mut self,
        source: &str,
        entries: impl IntoIterator<Item = LogEntry>,
        at: DateTime<Utc>,
    ) {
        let idx = match self.sources.iter().position(|s| s == source) {
            Some(i) => i,
            None => {
                self.sources.push(source.to_string());
                self.sources.len() - 1
            }
        };
        for entry in entries {
            if self.entries.len() == self.capacity {
                self.entries.pop_front();
                self.dropped += 1;
            }
            self.entries.push_back(SourcedEntry { source: idx, entry });
        }
        self.last_received = Some(at);
    }

    pub fn source_name(&self, e: &SourcedEntry) -> &str {
        self.sources
            .get(e.source)
            .map(String::as_str)
            .unwrap_or("?")
    }
}

/// What a panel says about its data whatever the data's type: when it was read, why not, whether
/// a read is under way, and the places it could not reach. The badges, the staleness and the
/// failures all read this, so none of them names the panels one by one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PanelStatus<'a> {
    pub fetched_at: Option<DateTime<Utc>>,
    pub error: Option<&'a str>,
    pub loading: bool,
    /// Places (a region, a WAF scope) the last read could not reach: the data is not whole.
    pub unreadable: &'a [Unreadable],
}

impl<'a> PanelStatus<'a> {
    /// A polled panel's status; `places` says where its kind of data lists what it could not
    /// read (nowhere for a kind that never reads part of its data).
    fn polled<T>(data: &'a PanelData<T>, places: fn(&T) -> &[Unreadable]) -> Self {
        PanelStatus {
            fetched_at: data.fetched_at,
            error: data.error.as_deref(),
            loading: data.is_loading(),
            unreadable: data.value.as_ref().map_or(&[], places),
        }
    }
}

impl World {
    /// A panel's status: the one place a panel id picks the world's typed field.
    pub fn panel_status(&self, panel: PanelId) -> PanelStatus<'_> {
        match panel {
            PanelId::Targets => PanelStatus::polled(&self.targets, |v| &v.unreadable),
            PanelId::Waf => PanelStatus::polled(&self.waf, |v| &v.unreadable),
            // Route53 is global: what goes unread is a whole account, when several are watched.
            PanelId::Dns => PanelStatus::polled(&self.dns, |v| &v.unreadable),
            PanelId::Instances => PanelStatus::polled(&self.instances, |v| &v.unreadable),
            // Streamed, not polled: its age is its last batch's, and it waits only for a tail.
            PanelId::Logs => PanelStatus {
                fetched_at: self.logs.last_received,
                error: self.logs.error.as_deref(),
                loading: self.logs.followed
                    && self.logs.last_received.is_none()
                    && self.logs.error.is_none(),
                unreadable: &[],
            },
        }
    }

    /// When a panel's data was fetched, and its last error: for the badges every front end shows.
    pub fn status(&self, panel: PanelId) -> (Option<DateTime<Utc>>, Option<&str>, bool) {
        let s = self.panel_status(panel);
        (s.fetched_at, s.error, s.loading)
    }

    /// Panels whose last fetch failed, for the snapshot's exit code.
    pub fn failed_panels(&self) -> Vec<PanelId> {
        self.failures().into_iter().map(|(p, _)| p).collect()
    }

    /// Each panel whose last fetch failed, in whole or for some of its places (a region, a WAF
    /// scope), with why: data missing a region is not a complete answer.
    pub fn failures(&self) -> Vec<(PanelId, String)> {
        PanelId::ALL
            .into_iter()
            .filter_map(|p| {
                let status = self.panel_status(p);
                let places = || {
                    let said: Vec<String> = status
                        .unreadable
                        .iter()
                        .map(|u| format!("{} not read: {}", u.place, u.error))
                        .collect();
                    (!said.is_empty()).then(|| said.join("; "))
                };
                let why = status.error.map(str::to_string).or_else(places)?;
                Some((p, why))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> LogEntry {
        LogEntry::Line {
            received_at: DateTime::from_timestamp(0, 0).unwrap_or_default(),
            text: text.into(),
        }
    }

    #[test]
    fn log_buffer_stays_within_capacity() {
        let mut b = LogBuffer::with_capacity(3);
        let at = DateTime::from_timestamp(0, 0).unwrap();
        b.push("a", (0..5).map(|i| line(&i.to_string())), at);
        assert_eq!(b.entries.len(), 3);
        assert_eq!(b.dropped, 2);
        assert_eq!(
            b.entries.front().map(|e| e.entry.text()),
            Some("2".to_string())
        );
        b.push("b", [line("x")], at);
        assert_eq!(b.source_name(&b.entries[2]), "b");
    }
}
