//! Everything the console currently knows, panel by panel: what the TUI draws and what a
//! snapshot prints.

use super::{DnsView, InstancesView, LogEntry, PanelData, PanelId, RuleSamples, Scope};
use super::{TargetsView, WafView};
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

impl World {
    /// When a panel's data was fetched, and its last error: for the badges every front end shows.
    pub fn status(&self, panel: PanelId) -> (Option<DateTime<Utc>>, Option<&str>, bool) {
        fn of<T>(d: &PanelData<T>) -> (Option<DateTime<Utc>>, Option<&str>, bool) {
            (d.fetched_at, d.error.as_deref(), d.is_loading())
        }
        match panel {
            PanelId::Targets => of(&self.targets),
            PanelId::Waf => of(&self.waf),
            PanelId::Dns => of(&self.dns),
            PanelId::Instances => of(&self.instances),
            PanelId::Logs => (
                self.logs.last_received,
                self.logs.error.as_deref(),
                self.logs.followed
                    && self.logs.last_received.is_none()
                    && self.logs.error.is_none(),
            ),
        }
    }

    /// Panels whose last fetch failed, for the snapshot's exit code.
    pub fn failed_panels(&self) -> Vec<PanelId> {
        self.failures().into_iter().map(|(p, _)| p).collect()
    }

    /// Each panel whose last fetch failed, in whole or for some of its places (a region, a WAF
    /// scope), with why: data missing a region is not a complete answer.
    pub fn failures(&self) -> Vec<(PanelId, String)> {
        let places = |unreadable: Option<&Vec<super::Unreadable>>| {
            let said: Vec<String> = unreadable
                .into_iter()
                .flatten()
                .map(|u| format!("{} not read: {}", u.place, u.error))
                .collect();
            (!said.is_empty()).then(|| said.join("; "))
        };
        PanelId::ALL
            .into_iter()
            .filter_map(|p| {
                let why = self.status(p).1.map(str::to_string).or_else(|| match p {
                    PanelId::Targets => places(self.targets.value.as_ref().map(|v| &v.unreadable)),
                    PanelId::Waf => places(self.waf.value.as_ref().map(|v| &v.unreadable)),
                    PanelId::Instances => {
                        places(self.instances.value.as_ref().map(|v| &v.unreadable))
                    }
                    PanelId::Dns | PanelId::Logs => None,
                })?;
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
