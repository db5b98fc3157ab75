//! Undos that are due later: a block's expiry, a timed Count's restore. They are kept in the
//! state directory, so whichever console runs next carries them out, and one whose undo failed
//! stays listed (overdue) until it is done, never silently dropped.

use super::{Done, Executor, Failed, Mutation};
use crate::model::address;
use crate::source::aws::shared_state::{PutError, SharedStore};
use crate::source::{Identity, Source};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// File name of the pending undos in the state directory.
pub const PENDING_FILE: &str = "pending.json";

/// First wait after an undo failed for a reason that may pass (throttled, denied, the network);
/// it doubles after each failure, up to [`LONGEST_WAIT`].
pub const FIRST_WAIT: chrono::Duration = chrono::Duration::seconds(15);
pub const LONGEST_WAIT: chrono::Duration = chrono::Duration::minutes(15);
/// While one console carries an undo out, others leave it alone this long.
const CLAIM: chrono::Duration = chrono::Duration::minutes(2);

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
    /// The account the change was made in: only a console acting in that account carries the
    /// undo out or reports it (`None`: written before undos were keyed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The endpoint the change was sent to (an emulator's); `None`: AWS itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Not tried again before this time: a failure's back-off, or another console's claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<DateTime<Utc>>,
    /// It can never succeed (what it changes is gone): not retried, a problem until dismissed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_for_good: Option<String>,
}

impl Pending {
    /// Its time has come and it was tried and failed, or no console that may change things
    /// has carried it out within a minute (only read-only consoles are running).
    /// One that failed for good is a problem until dismissed, whatever the clock says.
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        self.failed_for_good.is_some()
            || (self.due <= now
                && (self.attempts > 0 || now - self.due > chrono::Duration::minutes(1)))
    }

    /// Whether a console should try it now.
    fn ready(&self, now: DateTime<Utc>) -> bool {
        self.failed_for_good.is_none()
            && self.due <= now
            && self.retry_at.is_none_or(|at| at <= now)
    }

    /// Whether it was made by a console acting as `whose`.
    pub fn belongs_to(&self, whose: &Whose) -> bool {
        self.endpoint == whose.endpoint
            && match (&self.account, &whose.account) {
                (None, _) => true,
                (Some(a), Some(b)) => a == b,
                // A console that does not know its account yet cannot tell: not its own.
                (Some(_), None) => false,
            }
    }
}

/// The wait before the next try after `attempts` failures: 15 s, doubling, at most 15 min.
pub fn backoff(attempts: u32) -> chrono::Duration {
    let doublings = attempts.saturating_sub(1).min(16);
    (FIRST_WAIT * 2i32.pow(doublings)).min(LONGEST_WAIT)
}

/// Whether `m` may wait in the file at all: only undos, the removal of one address from an IP
/// set or a rule's restore from Count. Anything else there was not written by the console
/// (a change from a file must not bypass the checks a key press gets).
pub fn undo_kind(m: &Mutation) -> Result<(), String> {
    match m {
        Mutation::Unblock { address: a, .. } => match address::not_one_address(a) {
            None => Ok(()),
            Some(why) => Err(format!("a removal of {a}: {why}")),
        },
        Mutation::SetRule {
            from,
            to,
            until: None,
            ..
        } if from.is_counting() && !to.is_counting() => Ok(()),
        Mutation::SetRule { .. } => {
            Err("a rule change that is not a restore from Count".to_string())
        }
        other => Err(format!("not an undo ({})", other.summary())),
    }
}

/// An entry of the file that is refused: kept in the file as it was, shown, never carried out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Refused {
    /// The entry as written (compact JSON; remote text in it is escaped before display).
    pub entry: String,
    pub why: String,
}

/// What the file holds for one console: its own undos, soonest first, and refused entries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listing {
    pub pending: Vec<Pending>,
    pub refused: Vec<Refused>,
}

/// The account and endpoint a console acts in: the key its undos are kept under.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Whose {
    pub account: Option<String>,
    pub endpoint: Option<String>,
}

/// Whether a change carried out now supersedes the pending undo: any successful block or
/// removal of the same address in the same set, any change of the same rule. The later change
/// stands; an older expiry must not undo it.
fn supersedes(done: &Mutation, pending: &Mutation) -> bool {
    match (done, pending) {
        (
            Mutation::Block { set, address, .. } | Mutation::Unblock { set, address },
            Mutation::Unblock { set: s, address: a },
        ) => set.arn == s.arn && address::same_cidr(address, a),
        (Mutation::SetRule { rule, .. }, Mutation::SetRule { rule: r, .. }) => {
            rule.region == r.region
                && rule.scope == r.scope
                && rule.acl_id == r.acl_id
                && rule.rule == r.rule
        }
        _ => false,
    }
}

/// The file as read: its entries parsed, each either an undo or refused (kept as written).
struct OnDisk {
    undos: Vec<Pending>,
    refused: Vec<(serde_json::Value, String)>,
}

/// The entries of a pending document: a bare list (the state directory's file), or the shared
/// store's `{"format": 1, "undos": [...]}`; a format newer than this console's is refused.
fn parse_entries(text: &str, from: &str) -> io::Result<OnDisk> {
    let invalid = |why: String| io::Error::new(io::ErrorKind::InvalidData, why);
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| invalid(format!("{from} does not parse: {e}")))?;
    let entries = match doc {
        serde_json::Value::Array(entries) => entries,
        serde_json::Value::Object(mut doc) => {
            let format = doc.get("format").and_then(serde_json::Value::as_u64);
            match format {
                Some(f) if f <= u64::from(SHARED_FORMAT) => {}
                Some(f) => {
                    return Err(invalid(format!(
                        "{from} was written by a newer opsconsole (format {f}; this one reads {SHARED_FORMAT}): upgrade to use it"
                    )));
                }
                None => return Err(invalid(format!("{from} has no format number"))),
            }
            match doc.remove("undos") {
                Some(serde_json::Value::Array(entries)) => entries,
                _ => return Err(invalid(format!("{from} has no list of undos"))),
            }
        }
        _ => return Err(invalid(format!("{from} is not a list of undos"))),
    };
    let mut disk = OnDisk {
        undos: Vec::new(),
        refused: Vec::new(),
    };
    for raw in entries {
        match serde_json::from_value::<Pending>(raw.clone()) {
            Ok(p) => match undo_kind(&p.undo) {
                Ok(()) => disk.undos.push(p),
                Err(why) => disk.refused.push((raw, why)),
            },
            Err(e) => disk.refused.push((raw, format!("not an undo entry: {e}"))),
        }
    }
    disk.undos.sort_by_key(|p| p.due);
    Ok(disk)
}

/// The entries to write back: the undos, then the refused ones as they were written.
fn entries_of(disk: OnDisk) -> io::Result<Vec<serde_json::Value>> {
    let mut entries = Vec::with_capacity(disk.undos.len() + disk.refused.len());
    for p in &disk.undos {
        entries.push(serde_json::to_value(p).map_err(io::Error::other)?);
    }
    entries.extend(disk.refused.into_iter().map(|(raw, _)| raw));
    Ok(entries)
}

/// The format of the shared store's documents (see `source::aws::shared_state`).
const SHARED_FORMAT: u32 = crate::source::aws::shared_state::FORMAT;
/// A shared document that keeps changing under us is given up after this many tries.
const SHARED_TRIES: usize = 8;

/// Where the undos are kept.
enum Place {
    /// The state directory (see [`crate::state_dir`]): changed under a lock that holds across
    /// processes, written whole and renamed.
    Local(PathBuf),
    /// A team's store on S3, per account: changed by conditional writes.
    Shared(Arc<SharedStore>),
}

/// The pending undos, in the state directory or a team's shared store.
pub struct PendingStore {
    place: Place,
    lock: tokio::sync::Mutex<()>,
    endpoint: Option<String>,
    identity: Option<Arc<dyn Source<Identity>>>,
    account: tokio::sync::OnceCell<Option<String>>,
}

impl PendingStore {
    /// Kept in the state directory, in `path`.
    pub fn new(path: &Path) -> PendingStore {
        PendingStore::at(Place::Local(path.to_path_buf()))
    }

    /// Kept in a team's store, under the account the console acts in.
    pub fn shared(store: Arc<SharedStore>) -> PendingStore {
        PendingStore::at(Place::Shared(store))
    }

    fn at(place: Place) -> PendingStore {
        PendingStore {
            place,
            lock: tokio::sync::Mutex::new(()),
            endpoint: None,
            identity: None,
            account: tokio::sync::OnceCell::new(),
        }
    }

    /// The account the console acts in, already read (a snapshot reads its identity with the
    /// panels): `whose` then asks STS no second time.
    pub fn knowing_account(self, account: Option<String>) -> PendingStore {
        let _ = self.account.set(account);
        self
    }

    /// Keys what this console keeps, and what it carries out, by the account `identity` acts
    /// in and the `endpoint` it talks to.
    pub fn acting_as(
        mut self,
        endpoint: Option<String>,
        identity: Arc<dyn Source<Identity>>,
    ) -> PendingStore {
        self.endpoint = endpoint;
        self.identity = Some(identity);
        self
    }

    /// The team's store's URL, when the undos are shared.
    pub fn shared_url(&self) -> Option<&str> {
        match &self.place {
            Place::Shared(s) => Some(s.url()),
            Place::Local(_) => None,
        }
    }

    /// The file the undos are kept in, when it is in the state directory.
    pub fn local_file(&self) -> Option<&Path> {
        match &self.place {
            Place::Local(p) => Some(p),
            Place::Shared(_) => None,
        }
    }

    /// Where the undos are kept, for messages: the file, or the store's URL.
    pub fn describe(&self) -> String {
        match &self.place {
            Place::Local(p) => p.display().to_string(),
            Place::Shared(s) => s.url().to_string(),
        }
    }

    /// The account and endpoint this console acts in (the account once known).
    pub async fn whose(&self) -> Whose {
        let account = match &self.identity {
            None => None,
            Some(identity) => self
                .account
                .get_or_try_init(|| async {
                    identity.fetch().await.map(|id| id.account).map_err(|_| ())
                })
                .await
                .ok()
                .cloned()
                .flatten(),
        };
        Whose {
            account,
            endpoint: self.endpoint.clone(),
        }
    }

    /// The account a shared store keeps this console's undos under.
    async fn shared_account(&self) -> io::Result<String> {
        self.whose().await.account.ok_or_else(|| {
            io::Error::other(
                "the account this console acts in is not known yet (STS GetCallerIdentity), so the shared store cannot be read",
            )
        })
    }

    async fn read(&self) -> io::Result<(OnDisk, Option<String>)> {
        match &self.place {
            Place::Local(path) => match crate::state_dir::read(path)? {
                None => Ok((
                    OnDisk {
                        undos: Vec::new(),
                        refused: Vec::new(),
                    },
                    None,
                )),
                Some(text) => Ok((parse_entries(&text, &path.display().to_string())?, None)),
            },
            Place::Shared(store) => {
                let account = self.shared_account().await?;
                match store.get(&account, PENDING_FILE).await? {
                    None => Ok((
                        OnDisk {
                            undos: Vec::new(),
                            refused: Vec::new(),
                        },
                        None,
                    )),
                    Some((text, etag)) => Ok((
                        parse_entries(&text, &store.describe(&account, PENDING_FILE))?,
                        Some(etag),
                    )),
                }
            }
        }
    }

    /// Every undo kept, whoever made it, soonest first. A file that does not parse is an
    /// error (its undos must not be forgotten by overwriting it).
    pub async fn load(&self) -> io::Result<Vec<Pending>> {
        Ok(self.read().await?.0.undos)
    }

    /// What concerns the console acting as `whose`: its undos, and the refused entries.
    pub async fn listing(&self, whose: &Whose) -> io::Result<Listing> {
        let disk = self.read().await?.0;
        Ok(Listing {
            pending: disk
                .undos
                .into_iter()
                .filter(|p| p.belongs_to(whose))
                .collect(),
            refused: disk
                .refused
                .into_iter()
                .map(|(raw, why)| Refused {
                    entry: raw.to_string(),
                    why,
                })
                .collect(),
        })
    }

    /// Changes the undos: loaded, changed and saved under the lock that holds across
    /// processes (the state directory), or as a compare-and-swap tried again when another
    /// console wrote first (the shared store; `change` may then run more than once).
    /// Refused entries are written back as they were.
    async fn edit<T>(&self, mut change: impl FnMut(&mut Vec<Pending>) -> T) -> io::Result<T> {
        let _held = self.lock.lock().await;
        match &self.place {
            Place::Local(path) => {
                let _across = crate::state_dir::lock(path)?;
                let (mut disk, _) = self.read().await?;
                let out = change(&mut disk.undos);
                let text =
                    serde_json::to_string_pretty(&entries_of(disk)?).map_err(io::Error::other)?;
                crate::state_dir::write(path, text.as_bytes())?;
                Ok(out)
            }
            Place::Shared(store) => {
                let account = self.shared_account().await?;
                for _ in 0..SHARED_TRIES {
                    let (mut disk, etag) = self.read().await?;
                    let out = change(&mut disk.undos);
                    let doc = serde_json::json!({
                        "format": SHARED_FORMAT,
                        "undos": entries_of(disk)?,
                    });
                    let text = serde_json::to_string_pretty(&doc).map_err(io::Error::other)?;
                    match store
                        .put(&account, PENDING_FILE, &text, etag.as_deref())
                        .await
                    {
                        Ok(()) => return Ok(out),
                        Err(PutError::Conflict) => continue,
                        Err(PutError::Failed(e)) => return Err(e),
                    }
                }
                Err(io::Error::other(format!(
                    "{} kept changing under us ({SHARED_TRIES} tries): try again",
                    store.describe(&account, PENDING_FILE)
                )))
            }
        }
    }

    /// After `done` was carried out by the console acting as `whose`: every pending undo it
    /// supersedes is finished, and its own undo is kept for its time.
    pub async fn record(&self, done: &Mutation, whose: &Whose) -> io::Result<()> {
        let kept = done.until().zip(done.undo());
        self.edit(|list| {
            list.retain(|p| !(p.belongs_to(whose) && supersedes(done, &p.undo)));
            if let Some((due, undo)) = &kept {
                list.push(Pending {
                    due: *due,
                    undo: undo.clone(),
                    of: done.summary(),
                    last_error: None,
                    attempts: 0,
                    account: whose.account.clone(),
                    endpoint: whose.endpoint.clone(),
                    retry_at: None,
                    failed_for_good: None,
                });
            }
        })
        .await
    }

    /// Takes `p` to carry it out now, if `wanted` still says it may be tried (its time has
    /// come, or the operator asked): other consoles leave it alone while this one tries.
    /// `false`: another console has it, or it is done. In the shared store the claim is a
    /// conditional write: of two consoles, one wins.
    async fn claim(
        &self,
        p: &Pending,
        now: DateTime<Utc>,
        wanted: impl Fn(&Pending) -> bool,
    ) -> io::Result<bool> {
        self.edit(|list| match list.iter_mut().find(|q| *q == p) {
            Some(q) if wanted(q) => {
                q.retry_at = Some(now + CLAIM);
                true
            }
            _ => false,
        })
        .await
    }

    /// An undo that was tried: dropped when done or moot, failed for good when it never can
    /// succeed, else kept with its error and tried again after its back-off.
    async fn tried(
        &self,
        claimed: &Pending,
        result: &Result<Done, Failed>,
        now: DateTime<Utc>,
    ) -> io::Result<()> {
        let same = |q: &Pending| q.undo == claimed.undo && q.due == claimed.due;
        self.edit(|list| match result {
            Ok(_) | Err(Failed { moot: true, .. }) => list.retain(|q| !same(q)),
            Err(f) => {
                for q in list.iter_mut().filter(|q| same(q)) {
                    q.attempts = q.attempts.saturating_add(1);
                    q.last_error = Some(f.message.clone());
                    if f.for_good {
                        q.failed_for_good = Some(f.message.clone());
                        q.retry_at = None;
                    } else {
                        q.retry_at = Some(now + backoff(q.attempts));
                    }
                }
            }
        })
        .await
    }

    /// The operator has read that `undo` failed for good and dismisses it (from `p`).
    pub async fn dismiss(&self, undo: &Mutation) -> io::Result<bool> {
        self.edit(|list| {
            let before = list.len();
            list.retain(|q| !(q.undo == *undo && q.failed_for_good.is_some()));
            list.len() != before
        })
        .await
    }
}

/// The pending undos a console reads and keeps: the team's store when `session` has one, else
/// the state directory's `local` file; keyed by the account the session acts in and `endpoint`.
pub fn store_for(
    session: &crate::source::Session,
    local: Option<&Path>,
    endpoint: Option<String>,
) -> Option<PendingStore> {
    let store = match (&session.shared, local) {
        (Some(shared), _) => PendingStore::shared(shared.clone()),
        (None, Some(path)) => PendingStore::new(path),
        (None, None) => return None,
    };
    Some(store.acting_as(endpoint, session.sources.identity.clone()))
}

/// What one scheduled undo came to: the undo and its outcome in words.
pub type Outcome = (Mutation, Result<String, String>);

/// Carries out this console's undos whose time has come through `executor` (the journaled
/// one, so each is in the audit journal): each claimed first, so two consoles never both try
/// it. Returns their outcomes and what is still pending.
pub async fn run_due(
    store: &PendingStore,
    executor: &dyn Executor,
    now: DateTime<Utc>,
) -> io::Result<(Vec<Outcome>, Listing)> {
    run_those(store, executor, now, |p| p.ready(now)).await
}

/// Carries out every undo of this console now, whatever its time (the operator is leaving
/// and asked for them before going), claimed and recorded as [`run_due`] does. One that
/// failed for good, or that another console holds or waits on after a failure, is left as it
/// is: it stays in the listing returned.
pub async fn run_now(
    store: &PendingStore,
    executor: &dyn Executor,
    now: DateTime<Utc>,
) -> io::Result<(Vec<Outcome>, Listing)> {
    run_those(store, executor, now, |p| {
        p.failed_for_good.is_none() && p.retry_at.is_none_or(|at| at <= now)
    })
    .await
}

/// Carries out this console's undos that `wanted` picks, each claimed first.
async fn run_those(
    store: &PendingStore,
    executor: &dyn Executor,
    now: DateTime<Utc>,
    wanted: impl Fn(&Pending) -> bool,
) -> io::Result<(Vec<Outcome>, Listing)> {
    let whose = store.whose().await;
    let mut outcomes = Vec::new();
    let picked: Vec<Pending> = store
        .listing(&whose)
        .await?
        .pending
        .into_iter()
        .filter(|p| wanted(p))
        .collect();
    for p in picked {
        if !store.claim(&p, now, &wanted).await? {
            continue;
        }
        let result = executor.execute(&p.undo).await;
        match &result {
            Ok(d) => {
                tracing::info!(undo = %p.undo.summary(), outcome = %d.message, "scheduled undo done")
            }
            Err(f) => {
                tracing::warn!(undo = %p.undo.summary(), error = %f.message, for_good = f.for_good, "scheduled undo failed")
            }
        }
        store.tried(&p, &result, now).await?;
        let said = result.map(|d| d.message).map_err(|f| f.message);
        outcomes.push((p.undo, said));
    }
    Ok((outcomes, store.listing(&whose).await?))
}

/// An executor that keeps the undo of every timed change in the store once it is done, and
/// finishes the pending undos a change supersedes.
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
            let whose = self.store.whose().await;
            if mutation.until().is_some()
                && let Err(e) = self.store.listing(&whose).await
            {
                // Its undo could not be kept: a timed change would never end. Refused is
                // safer than a change nobody will put back.
                return Err(Failed::new(format!(
                    "not done: its undo could not be kept ({e}); make a change without an end, or fix {} first",
                    self.store.describe()
                )));
            }
            let mut done = self.inner.execute(mutation).await?;
            if let Err(e) = self.store.record(mutation, &whose).await {
                // Done, and said so; but the operator must know the undo will not happen.
                done.message = format!(
                    "{} — but its undo could not be kept in {}: {e}; undo it by hand",
                    done.message,
                    self.store.describe()
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

    fn set() -> IpSetRef {
        IpSetRef {
            account: None,
            region: "ap-northeast-1".into(),
            scope: WafScope::Regional,
            name: "blocked".into(),
            id: "id".into(),
            arn: "arn:set".into(),
            web_acl: "acl".into(),
        }
    }

    fn block(address: &str, until: Option<DateTime<Utc>>) -> Mutation {
        Mutation::Block {
            set: set(),
            address: address.into(),
            until,
        }
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    fn store() -> (tempfile::TempDir, PendingStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = PendingStore::new(&dir.path().join(PENDING_FILE));
        (dir, store)
    }

    #[tokio::test]
    async fn a_timed_block_keeps_its_removal_until_it_is_done() {
        let (_dir, store) = store();
        let me = Whose::default();
        store
            .record(&block("192.0.2.1/32", Some(at(1_000))), &me)
            .await
            .unwrap();
        // Until removed: nothing scheduled.
        store
            .record(&block("192.0.2.2/32", None), &me)
            .await
            .unwrap();
        let list = store.load().await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].due, at(1_000));
        let undo = block("192.0.2.1/32", None).undo().unwrap();
        assert_eq!(list[0].undo, undo);
        // A failed attempt keeps it, overdue, with the reason, and waits before the next.
        store
            .tried(&list[0], &Err(Failed::new("throttled")), at(1_000))
            .await
            .unwrap();
        let list = store.load().await.unwrap();
        assert!(list[0].overdue(at(1_000)));
        assert_eq!(list[0].last_error.as_deref(), Some("throttled"));
        assert!(!list[0].ready(at(1_010)), "tried again within its back-off");
        assert!(list[0].ready(at(1_015)));
        // Removed by hand before its time: finished.
        store.record(&undo, &me).await.unwrap();
        assert!(store.load().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_later_block_of_the_same_address_supersedes_an_old_expiry() {
        let (_dir, store) = store();
        let me = Whose::default();
        store
            .record(&block("192.0.2.1/32", Some(at(900))), &me)
            .await
            .unwrap();
        // Removed outside the console, then blocked again until removed: the old expiry
        // must not remove the new block when its time comes.
        store
            .record(&block("192.0.2.1/32", None), &me)
            .await
            .unwrap();
        assert!(store.load().await.unwrap().is_empty());
        // However the address is written.
        store
            .record(&block("192.0.2.7/32", Some(at(900))), &me)
            .await
            .unwrap();
        store
            .record(
                &Mutation::Unblock {
                    set: set(),
                    address: "::ffff:192.0.2.7/128".into(),
                },
                &me,
            )
            .await
            .unwrap();
        assert!(store.load().await.unwrap().is_empty());
    }

    /// Carries out what it is given and remembers what, in order.
    #[derive(Default)]
    struct Recorder(std::sync::Mutex<Vec<Mutation>>);

    impl Executor for Recorder {
        fn execute<'a>(&'a self, m: &'a Mutation) -> BoxFuture<'a, Result<Done, Failed>> {
            self.0.lock().unwrap().push(m.clone());
            Box::pin(async { Ok(Done::new("done")) })
        }
    }

    #[tokio::test]
    async fn run_now_carries_out_every_undo_before_its_time_but_none_held_or_failed_for_good() {
        let (_dir, store) = store();
        let me = Whose::default();
        for a in [
            "192.0.2.1/32",
            "192.0.2.2/32",
            "192.0.2.3/32",
            "192.0.2.4/32",
        ] {
            store.record(&block(a, Some(at(5_000))), &me).await.unwrap();
        }
        let list = store.load().await.unwrap();
        let gone = Failed::for_good("wafv2 GetIPSet: WAFNonexistentItemException");
        store.tried(&list[1], &Err(gone), at(100)).await.unwrap();
        // Another console is carrying this one out.
        let held = store.load().await.unwrap().remove(2);
        assert!(store.claim(&held, at(100), |_| true).await.unwrap());
        let executor = Recorder::default();
        // Not due at 100: run_due leaves them all alone.
        let (outcomes, _) = run_due(&store, &executor, at(100)).await.unwrap();
        assert!(outcomes.is_empty());
        let (outcomes, left) = run_now(&store, &executor, at(100)).await.unwrap();
        let undone: Vec<Mutation> = ["192.0.2.1/32", "192.0.2.4/32"]
            .iter()
            .map(|a| block(a, None).undo().unwrap())
            .collect();
        assert_eq!(*executor.0.lock().unwrap(), undone);
        assert_eq!(outcomes.len(), 2);
        assert!(outcomes.iter().all(|(_, r)| r.is_ok()), "{outcomes:?}");
        // What it did not carry out is still listed, as it was.
        let left: Vec<&str> = left
            .pending
            .iter()
            .map(|p| match &p.undo {
                Mutation::Unblock { address, .. } => address.as_str(),
                _ => "",
            })
            .collect();
        assert_eq!(left, ["192.0.2.2/32", "192.0.2.3/32"]);
    }

    #[test]
    fn back_off_doubles_from_15_seconds_to_15_minutes() {
        let waits: Vec<i64> = (1..=9).map(|n| backoff(n).num_seconds()).collect();
        assert_eq!(waits, vec![15, 30, 60, 120, 240, 480, 900, 900, 900]);
        assert_eq!(backoff(u32::MAX).num_seconds(), 900);
    }

    #[tokio::test]
    async fn an_undo_that_can_never_succeed_is_not_tried_again() {
        let (_dir, store) = store();
        let me = Whose::default();
        store
            .record(&block("192.0.2.1/32", Some(at(900))), &me)
            .await
            .unwrap();
        let p = store.load().await.unwrap().remove(0);
        let gone = Failed::for_good("wafv2 GetIPSet: WAFNonexistentItemException");
        store.tried(&p, &Err(gone), at(900)).await.unwrap();
        let p = store.load().await.unwrap().remove(0);
        assert!(p.failed_for_good.is_some());
        assert!(p.overdue(at(100_000)), "a problem until dismissed");
        assert!(!p.ready(at(100_000)), "never tried again");
        assert!(store.dismiss(&p.undo).await.unwrap());
        assert!(store.load().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn only_the_console_of_the_same_account_and_endpoint_owns_an_undo() {
        let (_dir, store) = store();
        let prod = Whose {
            account: Some("111111111111".into()),
            endpoint: None,
        };
        store
            .record(&block("192.0.2.1/32", Some(at(900))), &prod)
            .await
            .unwrap();
        let staging = Whose {
            account: Some("222222222222".into()),
            endpoint: None,
        };
        let emulator = Whose {
            account: Some("111111111111".into()),
            endpoint: Some("http://127.0.0.1:5000".into()),
        };
        let unknown = Whose::default();
        assert_eq!(store.listing(&prod).await.unwrap().pending.len(), 1);
        for other in [&staging, &emulator, &unknown] {
            assert!(
                store.listing(other).await.unwrap().pending.is_empty(),
                "{other:?}"
            );
        }
    }

    #[tokio::test]
    async fn only_undos_are_kept_in_the_file_and_anything_else_is_refused_and_kept() {
        let (dir, store) = store();
        let path = dir.path().join(PENDING_FILE);
        let planted = serde_json::json!([
            {"due": "2026-01-01T00:00:00Z", "of": "planted",
             "undo": {"action": "block", "set": serde_json::to_value(set()).unwrap(),
                      "address": "0.0.0.0/1"}},
            {"due": "2026-01-01T00:00:00Z", "of": "planted",
             "undo": {"action": "unblock", "set": serde_json::to_value(set()).unwrap(),
                      "address": "0.0.0.0/1"}},
            {"due": "2026-01-01T00:00:00Z", "of": "a real expiry",
             "undo": {"action": "unblock", "set": serde_json::to_value(set()).unwrap(),
                      "address": "192.0.2.1/32"}},
        ]);
        crate::state_dir::write(&path, planted.to_string().as_bytes()).unwrap();
        let listing = store.listing(&Whose::default()).await.unwrap();
        assert_eq!(listing.pending.len(), 1);
        assert_eq!(listing.pending[0].of, "a real expiry");
        assert_eq!(listing.refused.len(), 2);
        assert!(
            listing.refused[0].why.contains("not an undo"),
            "{:?}",
            listing.refused
        );
        assert!(
            listing.refused[1].why.contains("0.0.0.0/1"),
            "{:?}",
            listing.refused
        );
        // A change of the list keeps the refused entries as they were, for the operator.
        store
            .record(&block("192.0.2.9/32", Some(at(900))), &Whose::default())
            .await
            .unwrap();
        let listing = store.listing(&Whose::default()).await.unwrap();
        assert_eq!(listing.pending.len(), 2);
        assert_eq!(listing.refused.len(), 2);
    }

    #[tokio::test]
    async fn a_corrupt_file_is_an_error_not_an_empty_list() {
        let (dir, store) = store();
        let path = dir.path().join(PENDING_FILE);
        crate::state_dir::write(&path, b"[{\"due\":").unwrap();
        assert!(store.load().await.is_err());
        assert!(
            store
                .record(&block("192.0.2.1/32", None), &Whose::default())
                .await
                .is_err()
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "[{\"due\":");
    }
}
