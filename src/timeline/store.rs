//! The timeline file in the state directory (`timeline.jsonl`): appended by every console as it
//! observes changes, read by a later snapshot. Bounded like the journal: past 4 MiB it becomes
//! `timeline.jsonl.1`, so at most 8 MiB are kept however long a wall runs.

use super::Entry;
use crate::jsonl::{self, Lines};
use chrono::{DateTime, Utc};
use std::io;
use std::path::Path;

/// File name in the state directory.
pub const TIMELINE_FILE: &str = "timeline.jsonl";

/// The size past which the file is rotated.
pub const ROTATE_AT: u64 = 4 * 1024 * 1024;

/// The timeline beside a journal: `journal.jsonl` → `timeline.jsonl`, the demo's
/// `journal-demo.jsonl` → `timeline-demo.jsonl`.
pub fn beside(journal: &Path) -> std::path::PathBuf {
    let name = journal
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("journal"))
        .map_or_else(
            || TIMELINE_FILE.to_string(),
            |rest| format!("timeline{rest}"),
        );
    journal.with_file_name(name)
}

pub struct Timeline(Lines);

impl Timeline {
    pub fn open(path: &Path) -> io::Result<Timeline> {
        Ok(Timeline(Lines::open(path, ROTATE_AT)?))
    }

    /// The same timeline, rotated at `bytes` (tests use a small size).
    pub fn rotating_at(mut self, bytes: u64) -> Timeline {
        self.0.rotate_at(bytes);
        self
    }

    /// Appends the entries, each on disk before the next.
    pub fn record(&self, entries: &[Entry]) -> io::Result<()> {
        entries.iter().try_for_each(|e| self.0.append(e))
    }
}

/// Entries at or after `since` (of `account`, when one is given), oldest first, and how many
/// lines could not be read.
pub fn read_since(
    path: &Path,
    since: DateTime<Utc>,
    account: Option<&str>,
) -> io::Result<jsonl::Read<Entry>> {
    jsonl::read(path, |e: &Entry| e.time >= since && belongs_to(e, account))
}

/// Whether `e` is of `account` (an entry whose account was never known belongs to every one;
/// `None`: any account).
pub fn belongs_to(e: &Entry, account: Option<&str>) -> bool {
    account.is_none_or(|a| e.account.as_deref().is_none_or(|x| x == a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::{Origin, Subject};

    fn entry(minute: i64, account: &str) -> Entry {
        Entry {
            time: DateTime::from_timestamp(1_800_000_000 + minute * 60, 0).expect("time"),
            since: DateTime::from_timestamp(1_800_000_000 + minute * 60 - 15, 0),
            account: Some(account.into()),
            region: "ap-northeast-1".into(),
            subject: Subject {
                name: "ha-web-right".into(),
                id: "i-0aaf0f7f".into(),
            },
            what: "target state in ha-web-tg".into(),
            before: Some("healthy".into()),
            after: Some(format!("unhealthy ({minute})")),
            who: None,
            source: Origin::Observed,
            panel: crate::model::PanelId::Targets,
            row: None,
        }
    }

    #[test]
    fn a_later_reader_gets_the_window_of_its_account() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join(TIMELINE_FILE);
        let timeline = Timeline::open(&path).expect("open");
        timeline
            .record(&[entry(0, "111"), entry(5, "222"), entry(10, "111")])
            .expect("record");
        let since = entry(5, "111").time;
        let read = read_since(&path, since, Some("111")).expect("read");
        assert_eq!(read.entries, vec![entry(10, "111")]);
        let all = read_since(&path, since, None).expect("read");
        assert_eq!(all.entries.len(), 2);
    }

    /// A wall that runs for weeks keeps at most two files of the rotation size.
    #[test]
    fn the_file_stays_bounded_and_keeps_the_newest() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join(TIMELINE_FILE);
        let timeline = Timeline::open(&path).expect("open").rotating_at(4096);
        for minute in 0..500 {
            timeline.record(&[entry(minute, "111")]).expect("record");
        }
        let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let line = serde_json::to_string(&entry(499, "111"))
            .expect("json")
            .len() as u64
            + 1;
        let total = size(&path) + size(&crate::jsonl::rotated(&path));
        assert!(total <= 2 * (4096 + line), "{total} bytes kept");
        let read = read_since(&path, DateTime::UNIX_EPOCH, None).expect("read");
        assert_eq!(read.entries.last(), Some(&entry(499, "111")));
        assert!(
            read.entries.len() < 100,
            "{} entries kept",
            read.entries.len()
        );
    }
}
