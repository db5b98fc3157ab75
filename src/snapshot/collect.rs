//! Fetches every panel once, all at the same time, for a snapshot.

use crate::action::JournalEntry;
use crate::model::PanelId;
use crate::model::{RuleCounts, RuleSamples, WafView, World};
use crate::problems::{self, Problem};
use crate::runtime::{FETCH_TIMEOUT, fetch_retrying};
use crate::source::Session;
use chrono::DateTime;
use chrono::Utc;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;

/// Rules whose sampled requests a snapshot includes: the busiest blocking/counting ones.
const SAMPLED_RULES: usize = 3;
/// How long to wait for a log source's first lines.
const LOG_WAIT: Duration = Duration::from_secs(5);
/// Tries per panel before a snapshot reports it failed.
const ATTEMPTS: u32 = 3;

/// What a snapshot prints: the world, sampled requests of the busiest rules, the actions the
/// audit journal recorded in the window, and the problems found in all of it.
pub struct Collected {
    pub world: World,
    pub samples: Vec<RuleSamples>,
    pub actions: Vec<JournalEntry>,
    /// Why the journal could not be read, if it could not.
    pub journal_error: Option<String>,
    pub problems: Vec<Problem>,
    /// Block expiries and Count restores waiting for their time.
    pub pending: Vec<crate::action::Pending>,
    /// The window of WAF counts and journal actions.
    pub since: chrono::Duration,
    /// What changed in the window, oldest first: what consoles observed (the timeline file)
    /// and what the journal says was done.
    pub timeline: Vec<crate::timeline::Entry>,
    /// Why the timeline file could not be read (or lines of it), if so.
    pub timeline_error: Option<String>,
}

/// How a snapshot is taken.
#[derive(Debug, Clone)]
pub struct Options {
    pub log_backlog: usize,
    pub journal: Option<PathBuf>,
    /// The pending undos (block expiries, Count restores), listed with their time left.
    pub pending: Option<PathBuf>,
    /// The endpoint the console talks to (an emulator's; `None`: AWS): undos made against
    /// another endpoint or in another account are not this snapshot's.
    pub endpoint: Option<String>,
    pub since: chrono::Duration,
    /// Refresh intervals, against which data counts as stale.
    pub intervals: Vec<(PanelId, Duration)>,
}

pub async fn collect(session: &Session, options: &Options) -> Collected {
    let log_backlog = options.log_backlog;
    let s = &session.sources;
    // The sampled requests need only the WAF counts: they follow the WAF panel, not the slowest.
    let waf_and_samples = async {
        let waf = fetch_retrying(s.waf.as_ref(), ATTEMPTS).await;
        let samples = match &waf {
            Ok(view) => busiest_samples(session, view).await,
            Err(_) => Vec::new(),
        };
        (waf, samples)
    };
    // The undos are listed as soon as the identity is known (they are kept per account), beside
    // the panels rather than after them.
    let identity_and_undos = async {
        let identity = fetch_retrying(s.identity.as_ref(), ATTEMPTS).await;
        let store = crate::action::pending::store_for(
            session,
            options.pending.as_deref(),
            options.endpoint.clone(),
        )
        .map(|store| match &identity {
            Ok(id) => store.knowing_account(id.account.clone()),
            Err(_) => store,
        });
        let listing = match &store {
            Some(store) => {
                let whose = store.whose().await;
                store.listing(&whose).await.map(Some)
            }
            None => Ok(None),
        };
        // With a team's store, the team's actions in the window too (ours are there as well).
        let team_actions = match (&session.shared, &store) {
            (Some(shared), Some(store)) => {
                Some(shared_actions(shared, store, Utc::now() - options.since).await)
            }
            _ => None,
        };
        (identity, listing, team_actions)
    };
    let (
        (identity, listing, team_actions),
        targets,
        (waf, sampled),
        dns,
        instances,
        logs,
        (observed, timeline_error),
    ) = tokio::join!(
        identity_and_undos,
        fetch_retrying(s.targets.as_ref(), ATTEMPTS),
        waf_and_samples,
        fetch_retrying(s.dns.as_ref(), ATTEMPTS),
        fetch_retrying(s.instances.as_ref(), ATTEMPTS),
        collect_logs(session, log_backlog),
        // Needs none of the panels: its file read and its history (CloudTrail) overlap them.
        timeline_of(session, options),
    );
    let mut world = World {
        scope: s.scope.clone(),
        logs,
        ..World::default()
    };
    if let Ok(id) = identity {
        world.scope.account = id.account.or(world.scope.account.take());
        world.scope.caller_arn = id.arn;
    }
    let at = Utc::now();
    world.targets.record(at, targets);
    world.dns.record(at, dns);
    world.instances.record(at, instances);
    world.waf.record(at, waf);
    let mut samples = Vec::new();
    for s in sampled {
        match s {
            Ok(s) => samples.push(s),
            Err(e) => world.samples.record(at, Err(e)),
        }
    }
    // The whole journal is read: a rule set to Count days ago and never restored is a problem now.
    let (journal, journal_error) = match &options.journal {
        Some(path) => match crate::action::journal::read_window(path, DateTime::UNIX_EPOCH) {
            Ok(read) if read.skipped > 0 => (
                read.entries,
                Some(format!(
                    "journal {}: {} lines could not be read (a torn or damaged write) and were skipped",
                    path.display(),
                    read.skipped
                )),
            ),
            Ok(read) => (read.entries, None),
            Err(e) => (Vec::new(), Some(format!("journal {}: {e}", path.display()))),
        },
        None => (Vec::new(), None),
    };
    let (listing, unreadable) = match listing {
        Ok(l) => (l.unwrap_or_default(), None),
        Err(e) => (Default::default(), Some((e.to_string(), at))),
    };
    let pending = listing.pending;
    let context = problems::Context {
        intervals: options.intervals.clone(),
        counting_by_console: crate::action::journal::left_counting(&journal),
        pending: pending.clone(),
        refused_undos: listing.refused,
        pending_unreadable: unreadable,
    };
    let problems = problems::find(&world, at, &context);
    let mut actions: Vec<JournalEntry> = journal
        .into_iter()
        .filter(|e| e.time >= at - options.since)
        .collect();
    let (mut actions, journal_error) = match team_actions {
        Some(Ok(theirs)) => {
            actions.extend(theirs);
            (actions, journal_error)
        }
        Some(Err(e)) => (
            actions,
            Some(journal_error.map_or(e.clone(), |j| format!("{j}; {e}"))),
        ),
        None => (actions, journal_error),
    };
    actions.sort_by_key(|e| e.time);
    actions.dedup_by(|a, b| a.time == b.time && a.resource == b.resource && a.outcome == b.outcome);
    let account = world.scope.account.as_deref();
    let observed = observed
        .into_iter()
        .filter(|e| crate::timeline::store::belongs_to(e, account))
        .collect();
    let timeline = crate::timeline::merged(observed, &actions);
    Collected {
        world,
        samples,
        actions,
        journal_error,
        problems,
        pending,
        since: options.since,
        timeline,
        timeline_error,
    }
}

/// What changed in the window, before the account is known: what consoles observed (the file
/// beside the journal) and what the session's history adds or explains; and what to know of it.
async fn timeline_of(
    session: &Session,
    options: &Options,
) -> (Vec<crate::timeline::Entry>, Option<String>) {
    let path = options
        .journal
        .as_deref()
        .map(crate::timeline::store::beside);
    let (mut observed, note) = observed_since(path.as_deref(), Utc::now() - options.since);
    let Some(history) = &session.history else {
        return (observed, note);
    };
    let told = match history.explain(options.since, &mut observed).await {
        Ok(told) => told,
        Err(e) => Some(e.to_string()),
    };
    let note = match (note, told) {
        (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        (a, b) => a.or(b),
    };
    (observed, note)
}

/// What consoles observed from `since` on, from the timeline file.
fn observed_since(
    path: Option<&std::path::Path>,
    since: DateTime<Utc>,
) -> (Vec<crate::timeline::Entry>, Option<String>) {
    let Some(path) = path else {
        return (Vec::new(), None);
    };
    match crate::timeline::store::read_since(path, since, None) {
        Ok(read) if read.skipped > 0 => (
            read.entries,
            Some(format!(
                "timeline {}: {} lines could not be read and were skipped",
                path.display(),
                read.skipped
            )),
        ),
        Ok(read) => (read.entries, None),
        Err(e) => (
            Vec::new(),
            Some(format!("timeline {}: {e}", path.display())),
        ),
    }
}

/// The journal entries the team's store holds from `since` on, for the account the console
/// acts in (read from the window's start: the store's keys begin with their time).
async fn shared_actions(
    shared: &crate::source::aws::shared_state::SharedStore,
    store: &crate::action::PendingStore,
    since: DateTime<Utc>,
) -> Result<Vec<JournalEntry>, String> {
    let Some(account) = store.whose().await.account else {
        return Err("the team's journal: the account is not known".to_string());
    };
    let lines = shared
        .journal_since(&account, since)
        .await
        .map_err(|e| format!("the team's journal: {e}"))?;
    Ok(lines
        .iter()
        .filter_map(|l| serde_json::from_str::<JournalEntry>(l).ok())
        .filter(|e| e.time >= since)
        .collect())
}

/// Sampled requests of the rules with the most blocked + counted requests in the window.
async fn busiest_samples(session: &Session, waf: &WafView) -> Vec<Result<RuleSamples, String>> {
    let mut busiest: Vec<(u64, String, String)> = waf
        .acls
        .iter()
        .flat_map(|acl| {
            acl.rules.iter().map(move |r| {
                let RuleCounts {
                    blocked, counted, ..
                } = r.totals();
                (blocked + counted, acl.id.clone(), r.name.clone())
            })
        })
        .filter(|(hits, _, _)| *hits > 0)
        .collect();
    busiest.sort_by_key(|b| std::cmp::Reverse(b.0));
    busiest.truncate(SAMPLED_RULES);
    let fetches = busiest.iter().map(|(_, acl, rule)| {
        let src = session.sources.samples.clone();
        async move { tokio::time::timeout(FETCH_TIMEOUT, src.sampled_requests(acl, rule)).await }
    });
    futures::future::join_all(fetches)
        .await
        .into_iter()
        .map(|r| match r {
            Ok(Ok(s)) => Ok(s),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("sampled requests timed out".to_string()),
        })
        .collect()
}

async fn collect_logs(session: &Session, backlog: usize) -> crate::model::LogBuffer {
    let mut buffer =
        crate::model::LogBuffer::with_capacity(backlog.max(1) * session.sources.logs.len().max(1));
    for log in &session.sources.logs {
        let (tx, mut rx) = mpsc::channel(4);
        let mut tail = tokio::spawn(log.tail(backlog, tx));
        let deadline = tokio::time::Instant::now() + LOG_WAIT;
        // What the tail said it was waiting for, to name it if no line comes.
        let mut waiting = None;
        loop {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(batch)) if batch.waiting.is_some() => waiting = batch.waiting,
                // The tail started; its lines follow.
                Ok(Some(batch)) if batch.entries.is_empty() => waiting = None,
                Ok(Some(batch)) => {
                    buffer.push(&batch.source, batch.entries, Utc::now());
                    break;
                }
                Ok(None) => {
                    let why = match (&mut tail).await {
                        Ok(Err(e)) => e.to_string(),
                        _ => "no lines".to_string(),
                    };
                    buffer.error = Some(format!("{}: {why}", log.name()));
                    break;
                }
                Err(_) => {
                    let still = waiting.map(|w| format!(", still {w}")).unwrap_or_default();
                    buffer.error = Some(format!(
                        "{}: no lines within {} s{still}",
                        log.name(),
                        LOG_WAIT.as_secs()
                    ));
                    break;
                }
            }
        }
        tail.abort();
    }
    // Sources were read one after another: put their lines back in time order.
    buffer
        .entries
        .make_contiguous()
        .sort_by_key(|e| e.entry.time());
    buffer
}
