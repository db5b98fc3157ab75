//! Plain data the console shows: one type per panel, with no UI and no AWS types in it.
//!
//! Every source (demo world, AWS) produces these; the TUI, the wall and the snapshot read them.

pub mod access;
pub mod address;
pub mod dns;
pub mod instances;
pub mod logs;
pub mod targets;
pub mod waf;
pub mod world;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use dns::*;
pub use instances::*;
pub use logs::*;
pub use targets::*;
pub use waf::*;
pub use world::*;

/// An AWS account the console watches (`[[account]]`, `[organization]`): what every row read
/// in it carries, so it is shown, filtered, acted on and reported where it lives.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub struct AccountRef {
    /// The 12-digit account id.
    pub id: String,
    /// The label from the config (or the organization's account name).
    pub name: String,
}

impl AccountRef {
    /// "prod (222222222222)": how the console names an account wherever it names one.
    pub fn label(&self) -> String {
        format!("{} ({})", self.name, self.id)
    }
}

/// A place (a region, or a region and WAF scope) the last refresh could not read. The panel
/// shows what the other places returned, and this place's last data with its own error and age.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Unreadable {
    /// "eu-west-1", "CloudFront (us-east-1)".
    pub place: String,
    pub error: String,
    /// When the data still shown for this place was read; `None`: never read, none shown.
    pub data_from: Option<DateTime<Utc>>,
    /// The account the place is in, when several are watched (the place is the account itself
    /// when the whole account could not be read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountRef>,
}

impl Unreadable {
    /// The whole account could not be read (its role refused, its session expired), not one
    /// of its places.
    pub fn is_whole_account(&self) -> bool {
        self.account
            .as_ref()
            .is_some_and(|a| self.place == a.label())
    }
}

/// The five panels, in the order of their number keys.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum PanelId {
    Targets,
    Waf,
    Dns,
    Instances,
    Logs,
}

impl PanelId {
    pub const ALL: [PanelId; 5] = [
        PanelId::Targets,
        PanelId::Waf,
        PanelId::Dns,
        PanelId::Instances,
        PanelId::Logs,
    ];

    /// The panels that are tables of polled data (all but the streamed Logs).
    pub const TABLES: [PanelId; 4] = [
        PanelId::Targets,
        PanelId::Waf,
        PanelId::Dns,
        PanelId::Instances,
    ];

    pub fn title(self) -> &'static str {
        match self {
            PanelId::Targets => "Targets",
            PanelId::Waf => "WAF",
            PanelId::Dns => "Route53",
            PanelId::Instances => "Instances",
            PanelId::Logs => "Logs",
        }
    }

    /// 1-based number shown in the panel title and bound to the number keys.
    pub fn number(self) -> usize {
        PanelId::ALL.iter().position(|p| *p == self).unwrap_or(0) + 1
    }

    pub fn from_number(n: usize) -> Option<PanelId> {
        n.checked_sub(1).and_then(|i| PanelId::ALL.get(i).copied())
    }
}

/// What a panel knows about its data: the newest value, when it was fetched, and the last error.
///
/// A failed refresh keeps the previous value so the operator still sees the last truth, with its
/// age and the error beside it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct PanelData<T> {
    pub value: Option<T>,
    pub fetched_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    /// When the last error happened (the value may be older).
    pub error_at: Option<DateTime<Utc>>,
}

impl<T> Default for PanelData<T> {
    fn default() -> Self {
        PanelData {
            value: None,
            fetched_at: None,
            error: None,
            error_at: None,
        }
    }
}

impl<T> PanelData<T> {
    /// Records the outcome of one fetch.
    pub fn record(&mut self, at: DateTime<Utc>, outcome: Result<T, String>) {
        match outcome {
            Ok(value) => {
                self.value = Some(value);
                self.fetched_at = Some(at);
                self.error = None;
                self.error_at = None;
            }
            Err(error) => {
                self.error = Some(error);
                self.error_at = Some(at);
            }
        }
    }

    /// Like `record`; hands back what the new value replaced, and when that was read.
    pub fn record_replacing(&mut self, at: DateTime<Utc>, outcome: Result<T, String>) -> Replaced<T>
    where
        T: PartialEq,
    {
        match outcome {
            Ok(v) if self.value.as_ref() == Some(&v) => {
                self.record(at, Ok(v));
                Replaced::Unchanged
            }
            Ok(v) => {
                let before = self.value.take().zip(self.fetched_at);
                self.record(at, Ok(v));
                match before {
                    Some((before, since)) => Replaced::Changed { before, since },
                    None => Replaced::First,
                }
            }
            Err(e) => {
                self.record(at, Err(e));
                Replaced::Unchanged
            }
        }
    }

    /// Nothing has arrived yet, neither data nor an error.
    pub fn is_loading(&self) -> bool {
        self.value.is_none() && self.error.is_none()
    }

    /// Seconds since the data was fetched, if there is data.
    pub fn age_secs(&self, now: DateTime<Utc>) -> Option<i64> {
        self.fetched_at.map(|t| (now - t).num_seconds().max(0))
    }
}

/// What a new read did to a panel's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Replaced<T> {
    /// The same value again, or an error (the old value stays).
    Unchanged,
    /// The panel's first value.
    First,
    /// A different value replaced `before`, which was read at `since`.
    Changed { before: T, since: DateTime<Utc> },
}

impl<T> Replaced<T> {
    pub fn changed(&self) -> bool {
        !matches!(self, Replaced::Unchanged)
    }
}

/// Who and where the console is looking at: shown in the header and every snapshot.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default, JsonSchema)]
pub struct Scope {
    /// "demo" for the embedded world, otherwise "aws".
    pub mode: String,
    pub account: Option<String>,
    pub profile: Option<String>,
    pub regions: Vec<String>,
    /// The ARN the console acts as (STS GetCallerIdentity), when known.
    #[serde(default)]
    pub caller_arn: Option<String>,
    /// The accounts watched side by side (`[[account]]`, `[organization]`); empty: the
    /// caller's own account only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<AccountRef>,
}

/// Formats an age the way the panels show it: "12s ago", "3m ago", "2h ago".
pub fn format_age(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_fetch_keeps_previous_value() {
        let t0 = DateTime::from_timestamp(1_000, 0).unwrap();
        let t1 = DateTime::from_timestamp(1_030, 0).unwrap();
        let mut d = PanelData::default();
        assert!(d.is_loading());
        d.record(t0, Ok(5));
        d.record(t1, Err("throttled".to_string()));
        assert_eq!(d.value, Some(5));
        assert_eq!(d.fetched_at, Some(t0));
        assert_eq!(d.error.as_deref(), Some("throttled"));
        assert_eq!(d.age_secs(t1), Some(30));
        d.record(t1, Ok(6));
        assert_eq!(d.error, None);
    }

    #[test]
    fn ages_read_naturally() {
        assert_eq!(format_age(12), "12s");
        assert_eq!(format_age(125), "2m");
        assert_eq!(format_age(7200), "2h");
        assert_eq!(format_age(200_000), "2d");
    }

    #[test]
    fn panel_numbers_round_trip() {
        for p in PanelId::ALL {
            assert_eq!(PanelId::from_number(p.number()), Some(p));
        }
        assert_eq!(PanelId::from_number(0), None);
        assert_eq!(PanelId::from_number(6), None);
    }
}
