//! The audit journal: every mutation, attempted and finished, appended as one JSON line and
//! flushed to disk before the console reports anything.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

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
    pub outcome: String,
    pub message: String,
    /// The mutation itself, for tools that need more than the words above.
    #[serde(default)]
    pub mutation: Option<super::Mutation>,
}

pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
}

impl Journal {
    /// Opens (creating if needed) the journal for appending.
    pub fn open(path: &Path) -> io::Result<Journal> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Journal {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one entry and waits until it is on disk.
    pub fn append(&self, entry: &JournalEntry) -> io::Result<()> {
        let mut line = serde_json::to_string(entry).map_err(io::Error::other)?;
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(line.as_bytes())?;
        file.flush()?;
        file.sync_data()
    }
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

/// Entries at or after `since`, oldest first. Lines that don't parse (a torn last line after a
/// crash) are skipped, not fatal: the journal is evidence, and the rest of it still counts.
pub fn read_since(path: &Path, since: DateTime<Utc>) -> io::Result<Vec<JournalEntry>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for line in BufReader::new(file).lines() {
        let line = line?;
        if let Ok(entry) = serde_json::from_str::<JournalEntry>(&line)
            && entry.time >= since
        {
            out.push(entry);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
