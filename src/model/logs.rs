//! Lines of a tailed log, already made safe for a terminal.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One entry in a log view: a line, a piece of a line too long to keep whole, or a marker for
/// a gap in the stream.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LogEntry {
    Line {
        received_at: DateTime<Utc>,
        /// Sanitised text: no control characters or escape sequences left.
        text: String,
    },
    /// Part of a line the source cut because it was too long. Shown like a line, but it names
    /// no client: a continuation starts with whatever the request's sender wrote there (a URI,
    /// a user agent), and a head's fields may run on into the next piece.
    Piece {
        received_at: DateTime<Utc>,
        /// Sanitised, as a line's.
        text: String,
        piece: Piece,
    },
    /// Lines not shown between two times: the connection was lost, or (with `skipped`) the
    /// source wrote faster than it could be read and the tail skipped ahead to its newest lines.
    Gap {
        lost_at: DateTime<Utc>,
        resumed_at: DateTime<Utc>,
        /// About how many lines were skipped (estimated from the rate the source wrote at).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        skipped: Option<u64>,
    },
}

/// Which part of a cut line a piece is.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Piece {
    /// The line's start; the rest follows in other pieces (or was dropped).
    Head,
    /// What followed a cut: it starts in the middle of the line.
    Continuation,
}

impl Piece {
    /// For a message: "the start of a line cut for length".
    pub fn describe(self) -> &'static str {
        match self {
            Piece::Head => "the start of a line cut for length",
            Piece::Continuation => "the rest of a line cut for length",
        }
    }
}

impl LogEntry {
    /// When the entry happened: a line's arrival, or the end of a gap.
    pub fn time(&self) -> DateTime<Utc> {
        match self {
            LogEntry::Line { received_at, .. } | LogEntry::Piece { received_at, .. } => {
                *received_at
            }
            LogEntry::Gap { resumed_at, .. } => *resumed_at,
        }
    }

    /// A whole line's text: what a client address may be read from (never a piece or a gap).
    pub fn whole_line(&self) -> Option<&str> {
        match self {
            LogEntry::Line { text, .. } => Some(text),
            LogEntry::Piece { .. } | LogEntry::Gap { .. } => None,
        }
    }

    /// Which part of a cut line this is, if it is one.
    pub fn piece(&self) -> Option<Piece> {
        match self {
            LogEntry::Piece { piece, .. } => Some(*piece),
            LogEntry::Line { .. } | LogEntry::Gap { .. } => None,
        }
    }

    pub fn text(&self) -> String {
        self.as_text().into_owned()
    }

    /// The text without copying a line (a gap's marker is made up on the spot).
    pub fn as_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            LogEntry::Line { text, .. } | LogEntry::Piece { text, .. } => {
                std::borrow::Cow::Borrowed(text)
            }
            LogEntry::Gap {
                lost_at,
                resumed_at,
                skipped: None,
            } => std::borrow::Cow::Owned(format!(
                "— connection lost {}, resumed {} —",
                lost_at.format("%H:%M:%S"),
                resumed_at.format("%H:%M:%S")
            )),
            LogEntry::Gap {
                lost_at,
                resumed_at,
                skipped: Some(n),
            } => std::borrow::Cow::Owned(format!(
                "… {} skipped ({}–{}): written faster than they can be read —",
                match n {
                    0 => "lines".to_string(),
                    1 => "about 1 line".to_string(),
                    n => format!("about {} lines", thousands(*n)),
                },
                lost_at.format("%H:%M:%S"),
                resumed_at.format("%H:%M:%S")
            )),
        }
    }
}

/// 41000 → "41,000".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
