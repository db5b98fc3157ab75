//! The audit journal: every mutation, attempted and finished, appended as one JSON line and
//! flushed to disk before the console reports anything.

use crate::jsonl::Lines;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{self, Read as _, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// File name of the journal in the state directory.
pub const JOURNAL_FILE: &str = "journal.jsonl";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct JournalEntry {
    pub time: DateTime<Utc>,
    /// The ARN the console acted as (STS), when known.
    pub caller_arn: Option<String>,
    pub account: Option<String>,
    pub region: String,
    /// "drain", "register", "set-rule", "block" or "unblock".
    pub action: String,
    /// What was changed, e.g. "i-0abc:80 in ha-web-tg (ha-lbint)".
    pub resource: String,
    pub before: String,
    pub after: String,
    /// The AWS request id of the call, when one was made.
    pub request_id: Option<String>,
    /// "attempted", "done" or "failed".
    // Also LEFT_SCHEDULED: an undo a console stopped by a signal left to be carried out.
    pub outcome: String,
    pub message: String,
    /// The mutation itself, for tools that need more than the words above.
    #[serde(default)]
    pub mutation: Option<super::Mutation>,
}

/// The journal is rotated past this size: the current file becomes `journal.jsonl.1` (the
/// one before it is dropped), so two files of at most this size are kept.
pub const ROTATE_AT: u64 = 16 * 1024 * 1024;

pub struct Journal(Lines);

/// The rotated journal beside `path`: "journal.jsonl.1".
pub fn rotated(path: &Path) -> PathBuf {
    crate::jsonl::rotated(path)
}

impl Journal {
    /// Opens (creating if needed) the journal for appending.
    pub fn open(path: &Path) -> io::Result<Journal> {
        Ok(Journal(Lines::open(path, ROTATE_AT)?))
    }

    /// The same journal, rotated at `bytes` (tests use a small size).
    pub fn rotating_at(mut self, bytes: u64) -> Journal {
        self.0.rotate_at(bytes);
        self
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// Appends one entry and waits until it is on disk; rotates first when the file has
    /// reached its size.
    pub fn append(&self, entry: &JournalEntry) -> io::Result<()> {
        self.0.append(entry)
    }
}

/// The outcome of an undo still pending when a signal stopped the console (SIGTERM, SIGHUP:
/// it could not ask), so the next start can say it was left.
pub const LEFT_SCHEDULED: &str = "left-scheduled";

/// The entry saying `p` was left scheduled when `why` (the signal) stopped the console of
/// `caller_arn` in `account` at `at`.
pub fn left_scheduled(
    p: &super::Pending,
    why: &str,
    caller_arn: Option<String>,
    account: Option<String>,
    at: DateTime<Utc>,
) -> JournalEntry {
    let (action, resource, before, after) = super::journaled::describe(&p.undo);
    JournalEntry {
        time: at,
        caller_arn,
        account,
        region: p.undo.region().to_string(),
        action: action.to_string(),
        resource,
        before,
        after,
        request_id: None,
        outcome: LEFT_SCHEDULED.to_string(),
        message: format!(
            "due {}; the console was stopped by {why}: nobody carries it out unless a console with write access runs then",
            p.due.to_rfc3339()
        ),
        mutation: Some(p.undo.clone()),
    }
}

/// How much of the journal's end is read for the undos left scheduled: they are its last
/// entries, a few hundred bytes each.
const TAIL_BYTES: u64 = 256 * 1024;

/// The undos the journal's last entries say were left scheduled (oldest first; empty when
/// the last entry is anything else, or there is no journal).
pub fn left_scheduled_at_end(path: &Path) -> io::Result<Vec<JournalEntry>> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(TAIL_BYTES)))?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail)?;
    let mut left = Vec::new();
    // From the end back; the first line of the tail may be cut, and ends the run like any
    // other entry that is not one of these.
    for line in tail.split(|b| *b == b'\n').rev() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<JournalEntry>(line) {
            Ok(e) if e.outcome == LEFT_SCHEDULED => left.push(e),
            _ => break,
        }
    }
    left.reverse();
    Ok(left)
}

/// Rules the journal says were set to Count through the console and not set back, as
/// (web ACL id, rule): these are problems until someone restores them.
pub fn left_counting(entries: &[JournalEntry]) -> std::collections::HashSet<(String, String)> {
    let mut counting = std::collections::HashSet::new();
    for e in entries.iter().filter(|e| e.outcome == "done") {
        if let Some(super::Mutation::SetRule { rule, to, .. }) = &e.mutation {
            let key = (rule.acl_id.clone(), rule.rule.clone());
            if to.is_counting() {
                counting.insert(key);
            } else {
                counting.remove(&key);
            }
        }
    }
    counting
}

/// What was read of the journal: its entries, oldest first, and how many lines could not be
/// read (a torn write, a damaged byte): skipped and counted, never fatal.
pub type Read = crate::jsonl::Read<JournalEntry>;

/// Entries at or after `since`, oldest first, from the rotated file and the current one.
/// Lines that are not UTF-8 or don't parse are skipped and counted: the journal is evidence,
/// and the rest of it still counts.
pub fn read_window(path: &Path, since: DateTime<Utc>) -> io::Result<Read> {
    crate::jsonl::read(path, |e: &JournalEntry| e.time >= since)
}

/// The entries of [`read_window`], for callers that only count what could be read.
pub fn read_since(path: &Path, since: DateTime<Utc>) -> io::Result<Vec<JournalEntry>> {
    read_window(path, since).map(|r| r.entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn entry(t: i64, outcome: &str) -> JournalEntry {
        JournalEntry {
            time: DateTime::from_timestamp(t, 0).unwrap(),
            caller_arn: Some("arn:aws:iam::123456789012:user/oncall".into()),
            account: Some("123456789012".into()),
            region: "ap-northeast-1".into(),
            action: "drain".into(),
            resource: "i-1:80 in web-tg (web-alb)".into(),
            before: "healthy".into(),
            after: "draining".into(),
            request_id: Some("req-1".into()),
            outcome: outcome.into(),
            message: String::new(),
            mutation: None,
        }
    }

    #[test]
    fn appends_and_reads_back_a_window() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/journal.jsonl");
        let j = Journal::open(&path).unwrap();
        j.append(&entry(100, "attempted")).unwrap();
        j.append(&entry(200, "done")).unwrap();
        // A torn line from a crash does not hide the others.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"time\":")
            .unwrap();
        let all = read_since(&path, DateTime::from_timestamp(0, 0).unwrap()).unwrap();
        assert_eq!(all.len(), 2);
        let recent = read_since(&path, DateTime::from_timestamp(150, 0).unwrap()).unwrap();
        assert_eq!(recent, vec![entry(200, "done")]);
        assert!(
            read_since(
                &dir.path().join("none"),
                DateTime::from_timestamp(0, 0).unwrap()
            )
            .unwrap()
            .is_empty()
        );
    }

    #[test]
    fn a_torn_write_is_mended_and_damaged_lines_are_counted_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        Journal::open(&path)
            .unwrap()
            .append(&entry(100, "done"))
            .unwrap();
        // A crash mid-line, then a damaged byte on a line of its own.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"{\"time\":\"2026-").unwrap();
        drop(f);
        let j = Journal::open(&path).unwrap();
        j.append(&entry(200, "done")).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"\xff\xfe\n")
            .unwrap();
        j.append(&entry(300, "done")).unwrap();
        let read = read_window(&path, DateTime::from_timestamp(0, 0).unwrap()).unwrap();
        // The entry after the torn line starts a line of its own and is read.
        assert_eq!(
            read.entries,
            vec![entry(100, "done"), entry(200, "done"), entry(300, "done")]
        );
        assert_eq!(read.skipped, 2);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn the_undos_left_scheduled_are_the_journals_last_entries() {
        use crate::action::{IpSetRef, Mutation, Pending};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        assert!(
            left_scheduled_at_end(&path).unwrap().is_empty(),
            "no journal yet"
        );
        let undo = |address: &str| Pending {
            due: DateTime::from_timestamp(1_000, 0).unwrap(),
            undo: Mutation::Unblock {
                set: IpSetRef {
                    account: None,
                    region: "us-east-1".into(),
                    scope: crate::model::WafScope::Regional,
                    name: "blocked".into(),
                    id: "id".into(),
                    arn: "arn:set".into(),
                    web_acl: "acl".into(),
                },
                address: address.into(),
            },
            of: "a block".into(),
            last_error: None,
            attempts: 0,
            account: None,
            endpoint: None,
            retry_at: None,
            failed_for_good: None,
        };
        let at = DateTime::from_timestamp(500, 0).unwrap();
        let j = Journal::open(&path).unwrap();
        j.append(&left_scheduled(
            &undo("192.0.2.1/32"),
            "SIGTERM",
            None,
            None,
            at,
        ))
        .unwrap();
        j.append(&entry(600, "done")).unwrap();
        // A later entry ends what an earlier stop left: a console ran since.
        assert!(left_scheduled_at_end(&path).unwrap().is_empty());
        for a in ["192.0.2.2/32", "192.0.2.3/32"] {
            j.append(&left_scheduled(&undo(a), "SIGHUP", None, None, at))
                .unwrap();
        }
        let left = left_scheduled_at_end(&path).unwrap();
        let undos: Vec<_> = left.iter().map(|e| e.mutation.clone().unwrap()).collect();
        assert_eq!(
            undos,
            vec![undo("192.0.2.2/32").undo, undo("192.0.2.3/32").undo]
        );
        assert_eq!(left[0].action, "unblock");
        assert!(left[0].message.contains("SIGHUP"), "{}", left[0].message);
    }

    #[test]
    fn the_journal_rotates_at_its_size_and_both_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let j = Journal::open(&path).unwrap().rotating_at(600);
        for t in 0..10 {
            j.append(&entry(t, "done")).unwrap();
        }
        let current = std::fs::metadata(&path).unwrap().len();
        assert!(current <= 600 + 400, "not rotated: {current} bytes");
        assert!(rotated(&path).exists());
        let read = read_window(&path, DateTime::from_timestamp(0, 0).unwrap()).unwrap();
        // Two files of at most the size are kept: the newest entries, in order.
        let times: Vec<i64> = read.entries.iter().map(|e| e.time.timestamp()).collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
        assert_eq!(times.last(), Some(&9));
        assert!(times.len() < 10, "nothing was dropped: {times:?}");
    }
}
