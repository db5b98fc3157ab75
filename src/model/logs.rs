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
        self.as_text().into_owned()
    }

    /// The text without copying a line (a gap's marker is made up on the spot).
    pub fn as_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            LogEntry::Line { text, .. } => std::borrow::Cow::Borrowed(text),
            LogEntry::Gap {
                lost_at,
                resumed_at,
            } => std::borrow::Cow::Owned(format!(
                "— connection lost {}, resumed {} —",
                lost_at.format("%H:%M:%S"),
                resumed_at.format("%H:%M:%S")
            )),
        }
    }
}
