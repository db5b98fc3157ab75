//! `--snapshot`: the current state, fetched once from the same sources as the console and printed
//! as markdown (incident notes), JSON (scripts) or text (a terminal).

mod collect;
mod json;
mod markdown;
mod report;
mod text;

pub use collect::{Collected, Options, collect};
pub use json::schema;
pub use report::{Report, SCHEMA_VERSION};

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// GitHub-flavoured markdown, for incident notes.
    Md,
    /// JSON with a schema_version, for scripts.
    Json,
    /// Aligned plain text, for a terminal.
    Text,
}

/// Renders the world as it stands, in the chosen format.
pub fn render(collected: &Collected, format: Format, generated_at: DateTime<Utc>) -> String {
    let report = Report::new(collected, generated_at);
    match format {
        Format::Md => markdown::render(&report),
        Format::Json => json::render(&report),
        Format::Text => text::render(&report),
    }
}
