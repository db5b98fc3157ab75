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
