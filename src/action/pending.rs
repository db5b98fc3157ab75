//! Undos that are due later: a block's expiry, a timed Count's restore. They are kept in the
//! state directory, so whichever console runs next carries them out, and one whose undo failed
//! stays listed (overdue) until it is done, never silently dropped.

use super::{Done, Executor, Failed, Mutation};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// File name of the pending undos in the state directory.
pub const PENDING_FILE: &str = "pending.json";

/// One undo waiting for its time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Pending {
    pub due: DateTime<Utc>,
    /// The change that puts things back.
    pub undo: Mutation,
    /// The change it undoes, in words.
    pub of: String,
    /// Why the last attempt failed, while it is overdue.
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub attempts: u32,
}

impl Pending {
    /// Its time has come and it was tried and failed, or no console that may change things
    /// has carried it out within a minute (only read-only consoles are running).
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        self.due <= now && (self.attempts > 0 || now - self.due > chrono::Duration::minutes(1))
    }
}

/// Whether a change carried out now is the same undo as `pending` (done by hand before its
/// time, or by the schedule): then the pending one is finished.
fn same_undo(pending: &Mutation, done: &Mutation) -> bool {
    match (pending, done) {
        (Mutation::Unblock { set, address }, Mutation::Unblock { set: s, address: a }) => {
            set.arn == s.arn && address == a
        }
        (Mutation::SetRule { rule, .. }, Mutation::SetRule { rule: r, .. }) => {
            rule.acl_id == r.acl_id && rule.rule == r.rule
        }
        _ => false,
    }
}

/// The pending undos on disk. Written whole to a temporary file and renamed, so a crash
/// leaves the old list or the new one.
pub struct PendingStore {
    path: PathBuf,
    lock: Mutex<()>,
}

impl PendingStore {
    pub fn new(path: &Path) -> PendingStore {
        PendingStore {
            path: path.to_path_buf(),
            lock: Mutex::new(()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The list, soonest first; no file is an empty list. A file that does not parse is an
    /// error (its undos must not be forgotten by overwriting it).
    pub fn load(&self) -> io::Result<Vec<Pending>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut list: Vec<Pending> = serde_json::from_str(&text).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} does not parse: {e}", self.path.display()),
            )
        })?;
        list.sort_by_key(|p| p.due);
        Ok(list)
    }

    fn save(&self, list: &[Pending]) -> io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(list).map_err(io::Error::other)?;
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)
    }

    /// Changes the list under the store's lock.
    fn edit<T>(&self, change: impl FnOnce(&mut Vec<Pending>) -> T) -> io::Result<T> {
        let _held = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut list = self.load()?;
        let out = change(&mut list);
        self.save(&list)?;
        Ok(out)
    }

    /// After `done` was carried out: its own undo is kept for its time, and any pending undo
    /// it is (a block removed by hand early) is finished.
    pub fn record(&self, done: &Mutation) -> io::Result<()> {
        let kept = done.until().zip(done.undo());
        let finishes = |p: &Pending| same_undo(&p.undo, done);
        self.edit(|list| {
            list.retain(|p| !finishes(p));
            if let Some((due, undo)) = kept {
                // A new block or Count replaces an older schedule for the same thing.
                list.retain(|p| !same_undo(&p.undo, &undo));
                list.push(Pending {
                    due,
                    undo,
                    of: done.summary(),
                    last_error: None,
                    attempts: 0,
                });
            }
        })
    }

    /// An undo that was tried: dropped when done or moot, else kept with its error.
    fn tried(&self, undo: &Mutation, result: &Result<Done, Failed>) -> io::Result<()> {
        self.edit(|list| match result {
            Ok(_) | Err(Failed { moot: true, .. }) => list.retain(|p| !same_undo(&p.undo, undo)),
            Err(f) => {
                for p in list.iter_mut().filter(|p| same_undo(&p.undo, undo)) {
                    p.attempts = p.attempts.saturating_add(1);
                    p.last_error = Some(f.message.clone());
                }
            }
        })
    }
}

/// What one scheduled undo came to: the undo and its outcome in words.
pub type Outcome = (Mutation, Result<String, String>);

/// Carries out every undo whose time has come through `executor` (the journaled one, so each
/// is in the audit journal). Returns their outcomes and what is still pending.
pub async fn run_due(
    store: &PendingStore,
    executor: &dyn Executor,
    now: DateTime<Utc>,
) -> io::Result<(Vec<Outcome>, Vec<Pending>)> {
    let mut outcomes = Vec::new();
    for p in store.load()?.into_iter().filter(|p| p.due <= now) {
        let result = executor.execute(&p.undo).await;
        match &result {
            Ok(d) => {
                tracing::info!(undo = %p.undo.summary(), outcome = %d.message, "scheduled undo done")
            }
            Err(f) => {
                tracing::warn!(undo = %p.undo.summary(), error = %f.message, "scheduled undo failed")
            }
        }
        store.tried(&p.undo, &result)?;
        let said = result.map(|d| d.message).map_err(|f| f.message);
        outcomes.push((p.undo, said));
    }
    Ok((outcomes, store.load()?))
}

/// An executor that keeps the undo of every timed change in the store once it is done.
pub struct Scheduled {
    inner: Arc<dyn Executor>,
    store: Arc<PendingStore>,
}

impl Scheduled {
    pub fn new(inner: Arc<dyn Executor>, store: Arc<PendingStore>) -> Scheduled {
        Scheduled { inner, store }
    }
}

impl Executor for Scheduled {
    fn execute<'a>(&'a self, mutation: &'a Mutation) -> BoxFuture<'a, Result<Done, Failed>> {
        Box::pin(async move {
            let mut done = self.inner.execute(mutation).await?;
            if let Err(e) = self.store.record(mutation) {
                // Done, and said so; but the operator must know the undo will not happen.
                done.message = format!(
                    "{} — but its undo could not be kept in {}: {e}; undo it by hand",
                    done.message,
                    self.store.path().display()
                );
            }
            Ok(done)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::IpSetRef;
    use crate::model::WafScope;

    fn block(address: &str, until: Option<DateTime<Utc>>) -> Mutation {
        Mutation::Block {
            set: IpSetRef {
                region: "ap-northeast-1".into(),
                scope: WafScope::Regional,
                name: "blocked".into(),
                id: "id".into(),
                arn: "arn:set".into(),
                web_acl: "acl".into(),
            },
            address: address.into(),
            until,
        }
    }

    #[test]
    fn a_timed_block_keeps_its_removal_until_it_is_done() {
        let dir = tempfile::tempdir().unwrap();
        let store = PendingStore::new(&dir.path().join(PENDING_FILE));
        let at = DateTime::from_timestamp(1_000, 0).unwrap();
        store.record(&block("192.0.2.1/32", Some(at))).unwrap();
        // Until removed: nothing scheduled.
        store.record(&block("192.0.2.2/32", None)).unwrap();
        let list = store.load().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].due, at);
        let undo = block("192.0.2.1/32", None).undo().unwrap();
        assert_eq!(list[0].undo, undo);
        // A failed attempt keeps it, overdue, with the reason.
        store.tried(&undo, &Err(Failed::new("throttled"))).unwrap();
        let list = store.load().unwrap();
        assert!(list[0].overdue(at));
        assert_eq!(list[0].last_error.as_deref(), Some("throttled"));
        // Removed by hand before its time: finished.
        store.record(&undo).unwrap();
        assert!(store.load().unwrap().is_empty());
    }

    #[test]
    fn a_corrupt_file_is_an_error_not_an_empty_list() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PENDING_FILE);
        std::fs::write(&path, "[{\"due\":").unwrap();
        let store = PendingStore::new(&path);
        assert!(store.load().is_err());
        assert!(store.record(&block("192.0.2.1/32", None)).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "[{\"due\":");
    }
}
