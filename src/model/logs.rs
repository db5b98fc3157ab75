//! Lines of a tailed log, already made safe for a terminal.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One entry in a log view: a line, or a marker for a gap in the stream.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LogEntry {
    Line {
        received_at: DateTime<Utc>,
        /// Sanitised text: no control characters or escape sequences left.
        text: String,
    },
    Gap {
        lost_at: DateTime<Utc>,
        resumed_at: DateTime<Utc>,
    },
}

impl LogEntry {
    /// When the entry happened: a line's arrival, or the end of a gap.
    pub fn time(&self) -> DateTime<Utc> {
        match self {
            LogEntry::Line { received_at, .. } => *received_at,
            LogEntry::Gap { resumed_at, .. } => *resumed_at,
        }
    }

    pub fn text(&self) -> String {
        match self {
            LogEntry::Line { text, .. } => text.clone(),
            LogEntry::Gap {
                lost_at,
                resumed_at,
            } => format!(
                "— connection lost {}, resumed {} —",
                lost_at.format("%H:%M:%S"),
                resumed_at.format("%H:%M:%S")
            ),
        }
    }
}
