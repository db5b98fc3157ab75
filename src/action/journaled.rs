//! An executor that writes every mutation to the audit journal: "attempted" before the call,
//! "done" or "failed" after it, each on disk before the operator hears of it. If the journal
//! cannot be written, nothing is changed.

use super::journal::{Journal, JournalEntry};
use super::{Done, Executor, Failed, Mutation};
use crate::source::aws::shared_state::SharedStore;
use crate::source::{Identity, Source};
use chrono::Utc;
use futures::future::BoxFuture;
use std::sync::Arc;
use tokio::sync::OnceCell;

pub struct Journaled {
    inner: Arc<dyn Executor>,
    journal: Arc<Journal>,
    identity: Arc<dyn Source<Identity>>,
    known: OnceCell<Identity>,
    /// The team's store, where each entry is also appended as an object of its own.
    shared: Option<Arc<SharedStore>>,
}

impl Journaled {
    pub fn new(
        inner: Arc<dyn Executor>,
        journal: Arc<Journal>,
        identity: Arc<dyn Source<Identity>>,
    ) -> Self {
        Journaled {
            inner,
            journal,
            identity,
            known: OnceCell::new(),
            shared: None,
        }
    }

    /// Appends every entry to the team's store too. The local journal stays the gate (no
    /// entry on disk, no change); an entry the store could not take is logged and said, but
    /// does not stop a change, so an unreachable store never stops a drain.
    pub fn sharing(mut self, store: Arc<SharedStore>) -> Self {
        self.shared = Some(store);
        self
    }

    /// Appends `entry` to the shared journal, if there is one, under `account`, the account
    /// the console signs in with (where the team's undos are kept and its snapshots read; with
    /// several accounts the entry itself says which one was acted in); what went wrong, if it
    /// did.
    async fn share(&self, entry: &JournalEntry, account: Option<&String>) -> Option<String> {
        let store = self.shared.as_ref()?;
        let Some(account) = account else {
            return Some("the shared journal was not written: the account is not known".into());
        };
        let line = match serde_json::to_string(entry) {
            Ok(l) => l,
            Err(e) => return Some(e.to_string()),
        };
        match store.append_journal(account, entry.time, &line).await {
            Ok(()) => None,
            Err(e) => {
                tracing::warn!(error = %e, "shared journal not written");
                Some(format!("the shared journal was not written: {e}"))
            }
        }
    }

    async fn who(&self) -> Identity {
        if let Some(id) = self.known.get() {
            return id.clone();
        }
        match self.identity.fetch().await {
            Ok(id) => {
                let _ = self.known.set(id.clone());
                id
            }
            // Unknown is recorded as unknown; it does not block the action.
            Err(_) => Identity::default(),
        }
    }
}

/// What the journal says about a mutation: its action name, resource, and before → after.
pub fn describe(m: &Mutation) -> (&'static str, String, String, String) {
    match m {
        Mutation::Drain { target } => (
            "drain",
            format!(
                "{}:{} in {} ({})",
                target.id, target.port, target.target_group, target.load_balancer
            ),
            "registered".to_string(),
            "deregistered".to_string(),
        ),
        Mutation::Register { target } => (
            "register",
            format!(
                "{}:{} in {} ({})",
                target.id, target.port, target.target_group, target.load_balancer
            ),
            "deregistered".to_string(),
            "registered".to_string(),
        ),
        Mutation::SetRule {
            rule,
            from,
            to,
            until,
        } => (
            "set-rule",
            format!(
                "rule {} in web ACL {} ({})",
                rule.rule, rule.acl_name, rule.acl_id
            ),
            from.describe(),
            match until {
                Some(u) => format!("{} until {}", to.describe(), u.to_rfc3339()),
                None => to.describe(),
            },
        ),
        Mutation::Block {
            set,
            address,
            until,
        } => (
            "block",
            format!("{address} in IP set {} ({})", set.name, set.arn),
            "not in the set".to_string(),
            match until {
                Some(u) => format!("in the set until {}", u.to_rfc3339()),
                None => "in the set until removed".to_string(),
            },
        ),
        Mutation::Unblock { set, address } => (
            "unblock",
            format!("{address} in IP set {} ({})", set.name, set.arn),
            "in the set".to_string(),
            "not in the set".to_string(),
        ),
    }
}

impl Executor for Journaled {
    fn execute<'a>(&'a self, mutation: &'a Mutation) -> BoxFuture<'a, Result<Done, Failed>> {
        Box::pin(async move {
            let who = self.who().await;
            let (action, resource, before, after) = describe(mutation);
            let entry = |outcome: &str, message: &str, request_id: Option<String>| JournalEntry {
                time: Utc::now(),
                caller_arn: who.arn.clone(),
                // Where the change was made: the row's account when the console watches
                // several (the caller's is where the console signs in, not where it acts).
                account: (mutation.account().map(|a| a.id.clone())).or_else(|| who.account.clone()),
                region: mutation.region().to_string(),
                action: action.to_string(),
                resource: resource.clone(),
                before: before.clone(),
                after: after.clone(),
                request_id,
                outcome: outcome.to_string(),
                message: message.to_string(),
                mutation: Some(mutation.clone()),
            };
            let attempted_now = entry("attempted", "", None);
            self.journal.append(&attempted_now).map_err(|e| {
                Failed::new(format!(
                    "not done: the audit journal {} cannot be written: {e}",
                    self.journal.path().display()
                ))
            })?;
            let mut unshared = self.share(&attempted_now, who.account.as_ref()).await;
            let result = self.inner.execute(mutation).await;
            let record = match &result {
                Ok(done) => entry("done", &done.message, done.request_id.clone()),
                Err(failed) => entry("failed", &failed.message, failed.request_id.clone()),
            };
            unshared = unshared.or(self.share(&record, who.account.as_ref()).await);
            if let Err(e) = self.journal.append(&record) {
                let what = match &result {
                    Ok(d) => format!("{} — but the journal could not record it: {e}", d.message),
                    Err(f) => format!("{} — and the journal could not record it: {e}", f.message),
                };
                return Err(Failed::new(what));
            }
            match (result, unshared) {
                (Ok(mut done), Some(why)) => {
                    done.message = format!("{} — {why}", done.message);
                    Ok(done)
                }
                (result, _) => result,
            }
        })
    }
}
