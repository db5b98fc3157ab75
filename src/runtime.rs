//! Runs the sources: one task per panel on its own interval with one request in flight, on-demand
//! sampled requests (newest request replaces a waiting one), log tails, and the executor. Results
//! arrive at the front end as events on one channel; the UI never waits on any of it.

use crate::action::{Executor, Mutation};
use crate::app::{Data, Effect, Event, Secret};
use crate::config::{AddressKind, LogSettings, LogSourceConfig, Settings};
use crate::model::PanelId;
use crate::source::aws::tasks::{TaskTarget, Workload, account_of};
use crate::source::ssh::{PassphrasePrompt, SshAccess};
use crate::source::{LogBatch, LogSource, Session, Source};
use chrono::Utc;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;

/// How long one fetch may take before it counts as failed.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(30);
/// The caller identity rarely changes; re-read it now and then (credentials are refreshed).
const IDENTITY_EVERY: Duration = Duration::from_secs(15 * 60);
/// First wait before a log tail that ended is started again; doubles up to a minute.
const LOG_RETRY: Duration = Duration::from_secs(1);

pub struct Runtime {
    refresh: HashMap<PanelId, Arc<Notify>>,
    samples: watch::Sender<Option<(String, String)>>,
    executor: Option<Arc<dyn Executor>>,
    events: mpsc::Sender<Event>,
    tasks: Vec<JoinHandle<()>>,
    /// Starting tails while the console runs (`l` on an instance); `None` in the demo world.
    ssh: Option<SshAccess>,
    logs: LogSettings,
    /// Tails started with `l`, by name: a second `l` doesn't start another.
    instance_tails: HashSet<String>,
    /// Wakes the pending undos' task: a change was made, its list may have changed.
    pending_changed: Arc<Notify>,
    /// The pending undos, where a failed one is dismissed (only with an executor).
    pending: Option<Arc<crate::action::PendingStore>>,
    /// ECS tasks' logs found by address; `None` in the demo world.
    task_logs: Option<Arc<crate::source::aws::tasks::TaskLogs>>,
    /// Tails of tasks started with `l` (found, then followed, in one task each).
    tasks_running: Vec<JoinHandle<()>>,
    /// Where observed changes are kept (`None`: memory only).
    timeline: Option<Arc<crate::timeline::store::Timeline>>,
    /// Who made the changes (CloudTrail), when the session can tell.
    history: Option<Arc<dyn crate::source::History>>,
}

impl Runtime {
    pub fn start(session: &Session, settings: &Settings, events: mpsc::Sender<Event>) -> Runtime {
        let s = &session.sources;
        let mut refresh: HashMap<PanelId, Arc<Notify>> = HashMap::new();
        let mut notify = |p: PanelId| refresh.entry(p).or_default().clone();
        let every = |p: PanelId| settings.interval(p);
        let (t, w, d, i) = (
            PanelId::Targets,
            PanelId::Waf,
            PanelId::Dns,
            PanelId::Instances,
        );
        let mut tasks = vec![
            spawn_poller(
                s.identity.clone(),
                IDENTITY_EVERY,
                Arc::default(),
                events.clone(),
                Data::Identity,
                None,
            ),
            spawn_poller(
                s.targets.clone(),
                every(t),
                notify(t),
                events.clone(),
                Data::Targets,
                Some(t),
            ),
            spawn_poller(
                s.waf.clone(),
                every(w),
                notify(w),
                events.clone(),
                Data::Waf,
                Some(w),
            ),
            spawn_poller(
                s.dns.clone(),
                every(d),
                notify(d),
                events.clone(),
                Data::Dns,
                Some(d),
            ),
            spawn_poller(
                s.instances.clone(),
                every(i),
                notify(i),
                events.clone(),
                Data::Instances,
                Some(i),
            ),
        ];

        let (samples, wanted) = watch::channel(None);
        tasks.push(spawn_samples(s.samples.clone(), wanted, events.clone()));
        // Connected before any tail starts, so the first login can already ask.
        if let Some(ssh) = &session.ssh {
            tasks.push(spawn_passphrase_questions(&ssh.prompt, events.clone()));
        }
        let pending_changed = Arc::new(Notify::new());
        if let Some(store) = &session.pending {
            tasks.push(spawn_pending(
                store.clone(),
                session.executor.clone(),
                pending_changed.clone(),
                events.clone(),
                PENDING_EVERY,
            ));
        }
        for log in &s.logs {
            tasks.push(spawn_tail(
                log.clone(),
                settings.logs.backlog,
                events.clone(),
            ));
        }
        Runtime {
            refresh,
            samples,
            executor: session.executor.clone(),
            events,
            tasks,
            ssh: session.ssh.clone(),
            logs: settings.logs.clone(),
            instance_tails: HashSet::new(),
            pending_changed,
            pending: session.executor.as_ref().and(session.pending.clone()),
            task_logs: session.tasks.clone(),
            tasks_running: Vec::new(),
            timeline: session.timeline.clone(),
            history: session.history.clone().filter(|h| h.tells_who()),
        }
    }

    /// Carries out what the console asked for; `false` when it asked to quit.
    pub fn perform(&mut self, effect: Effect) -> bool {
        match effect {
            Effect::Quit => return false,
            Effect::Refresh(p) => self.refresh(p),
            Effect::FetchSamples { acl_id, rule } => self.fetch_samples(acl_id, rule),
            Effect::Execute(m) => self.execute(m),
            Effect::DismissUndo(m) => self.dismiss_undo(m),
            Effect::CarryOutUndosNow => self.carry_out_undos_now(),
            Effect::Timeline(entries) => self.keep_timeline(entries),
            Effect::AskWho(entries) => self.ask_who(entries),
            // The terminal's to write: the console loop does it before this is reached.
            Effect::Copy(_) => {}
            Effect::Passphrase { id, passphrase } => self.answer_passphrase(id, passphrase),
            Effect::TailInstance {
                name,
                id,
                region,
                private_ip,
                public_ip,
            } => {
                if !self.tail_instance(name.clone(), private_ip, public_ip) {
                    self.tail_task(name, Workload::Instance(id), region);
                }
            }
            Effect::TailTask {
                name,
                address,
                port,
                target_group_arn,
                vpc,
                region,
            } => {
                let target = TaskTarget {
                    address,
                    port,
                    vpc,
                    account: account_of(&target_group_arn),
                };
                self.tail_task(name, Workload::Address(target), region)
            }
        }
        true
    }

    /// Forgets a scheduled undo that failed for good (the operator read it in `p`); the
    /// pending task then shows the list without it.
    fn dismiss_undo(&self, undo: Mutation) {
        let Some(store) = self.pending.clone() else {
            return;
        };
        let changed = self.pending_changed.clone();
        let events = self.events.clone();
        tokio::spawn(async move {
            let said = match store.dismiss(&undo).await {
                Ok(_) => None,
                Err(e) => Some(format!("the failed undo could not be dismissed: {e}")),
            };
            if let Some(why) = said {
                events.send(Event::Status(why, Utc::now())).await.ok();
            }
            changed.notify_one();
        });
    }

    /// Carries out this console's scheduled undos now (the operator quits and asked for them):
    /// each outcome as `Event::Undone`, then `Event::UndosCarriedOut` with what is left.
    fn carry_out_undos_now(&self) {
        let events = self.events.clone();
        let (Some(store), Some(executor)) = (self.pending.clone(), self.executor.clone()) else {
            let why = "read-only session: no executor to carry out undos".to_string();
            tokio::spawn(async move { events.send(Event::UndosCarriedOut(Err(why))).await.ok() });
            return;
        };
        let changed = self.pending_changed.clone();
        tokio::spawn(async move {
            let run = crate::action::pending::run_now(&store, executor.as_ref(), Utc::now()).await;
            let left = match run {
                Ok((outcomes, listing)) => {
                    if !send_undone(&events, outcomes).await {
                        return;
                    }
                    Ok(listing)
                }
                Err(e) => Err(format!(
                    "the scheduled undos cannot be read ({}): {e}",
                    store.describe()
                )),
            };
            events.send(Event::UndosCarriedOut(left)).await.ok();
            changed.notify_one();
        });
    }

    /// Asks the session's history who made these changes, in a task of its own; the answer comes
    /// back as an event (never a dialog: the operator's keys stay theirs).
    fn ask_who(&self, mut entries: Vec<crate::timeline::Entry>) {
        let Some(history) = self.history.clone() else {
            return;
        };
        let events = self.events.clone();
        tokio::spawn(async move {
            let window = chrono::Duration::minutes(15);
            let answer =
                match tokio::time::timeout(FETCH_TIMEOUT, history.explain(window, &mut entries))
                    .await
                {
                    Ok(Ok(_)) => Ok(entries),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("CloudTrail did not answer in time".to_string()),
                };
            let _ = events.send(Event::Who(answer)).await;
        });
    }

    /// Writes observed changes to the timeline file, off the UI's thread (each line is synced).
    fn keep_timeline(&self, entries: Vec<crate::timeline::Entry>) {
        let Some(timeline) = self.timeline.clone() else {
            return;
        };
        tokio::task::spawn_blocking(move || {
            if let Err(e) = timeline.record(&entries) {
                tracing::warn!(error = %e, "the timeline file could not be written");
            }
        });
    }

    /// Fetches a panel now instead of at its next interval (coalesced if a fetch is running).
    pub fn refresh(&self, panel: PanelId) {
        if let Some(n) = self.refresh.get(&panel) {
            n.notify_one();
        }
    }

    pub fn fetch_samples(&self, acl_id: String, rule: String) {
        self.samples.send_replace(Some((acl_id, rule)));
    }

    /// The operator's answer to a tail's passphrase question.
    pub fn answer_passphrase(&self, id: u64, passphrase: Option<Secret>) {
        if let Some(ssh) = &self.ssh {
            ssh.prompt.answer(id, passphrase.map(Secret::into_exposed));
        }
    }

    /// Starts tailing an instance's log as `[logs.instance]` says; problems are reported in the
    /// footer, and a tail that cannot connect reports in the logs panel like any other.
    /// Starts tailing an instance's file as `[logs.instance]` says. `false` when no file is
    /// configured and the console watches AWS: its ECS tasks' logs are looked for instead.
    pub fn tail_instance(
        &mut self,
        name: String,
        private_ip: Option<String>,
        public_ip: Option<String>,
    ) -> bool {
        if self.logs.instance.path.is_none() && self.task_logs.is_some() {
            return false;
        }
        match self.instance_log(&name, private_ip, public_ip) {
            Ok(None) => {}
            Ok(Some(tail)) => {
                self.instance_tails.insert(name);
                self.tasks
                    .push(spawn_tail(tail, self.logs.backlog, self.events.clone()));
            }
            Err(why) => {
                let tx = self.events.clone();
                tokio::spawn(async move { tx.send(Event::Status(why, Utc::now())).await.ok() });
            }
        }
        true
    }

    /// Finds the log of the ECS task `what` names and follows it (a Fargate target's task, or
    /// the task on an instance with no file configured); what could not be found is said in
    /// the footer.
    pub fn tail_task(&mut self, name: String, what: Workload, region: String) {
        let tx = self.events.clone();
        let Some(tasks) = self.task_logs.clone() else {
            let why = "the demo world has only its simulated logs: `l` finds an ECS task's log when watching AWS".to_string();
            tokio::spawn(async move { tx.send(Event::Status(why, Utc::now())).await.ok() });
            return;
        };
        if !self.instance_tails.insert(name.clone()) {
            return;
        }
        let backlog = self.logs.backlog;
        self.tasks_running.push(tokio::spawn(async move {
            match tasks.tail_of(name.clone(), &what, &region).await {
                Ok(tail) => follow(Arc::new(tail), backlog, tx).await,
                Err(why) => {
                    let why = format!("{name}: {why}");
                    tx.send(Event::Status(why, Utc::now())).await.ok();
                }
            }
        }));
    }

    fn instance_log(
        &self,
        name: &str,
        private_ip: Option<String>,
        public_ip: Option<String>,
    ) -> Result<Option<Arc<dyn LogSource>>, String> {
        let Some(ssh) = &self.ssh else {
            return Err("the demo world has only its simulated logs: `l` connects to instances when watching AWS".into());
        };
        if self.instance_tails.contains(name) {
            return Ok(None);
        }
        let wanted = &self.logs.instance;
        let Some(path) = wanted.path.clone() else {
            return Err(format!(
                "no log source for {name}: set [logs.instance] path (e.g. \"/var/log/nginx/access.log\") or add a [[log]] entry in the config"
            ));
        };
        let (address, which) = match wanted.address {
            AddressKind::Private => (private_ip, "private"),
            AddressKind::Public => (public_ip, "public"),
        };
        let Some(address) = address else {
            return Err(format!(
                "{name} has no {which} IP address to connect to ([logs.instance] address)"
            ));
        };
        let cfg = LogSourceConfig {
            name: name.to_string(),
            host: Some(address),
            instance: None,
            port: wanted.port,
            user: wanted.user.clone(),
            identity_file: wanted.identity_file.clone(),
            known_hosts: wanted.known_hosts.clone(),
            path,
            jump: wanted.jump.clone(),
            format: wanted.format.clone(),
            ..Default::default()
        };
        match crate::source::ssh::from_config(&cfg, None, &ssh.options) {
            Ok(tail) => Ok(Some(Arc::new(tail))),
            Err(e) => Err(format!("{name}: {e}")),
        }
    }

    /// Runs a confirmed mutation. A read-only session has no executor: refuse, loudly.
    pub fn execute(&self, mutation: Mutation) {
        let tx = self.events.clone();
        let Some(executor) = self.executor.clone() else {
            let refused = Event::Done {
                mutation,
                at: Utc::now(),
                result: Err("read-only session: no executor".to_string()),
            };
            tokio::spawn(async move { tx.send(refused).await.ok() });
            return;
        };
        let pending_changed = self.pending_changed.clone();
        tokio::spawn(async move {
            tracing::info!(mutation = %mutation.summary(), "executing");
            let result = executor
                .execute(&mutation)
                .await
                .map(|d| d.message)
                .map_err(|f| f.message);
            match &result {
                Ok(m) => tracing::info!(outcome = %m, "done"),
                Err(e) => tracing::warn!(error = %e, "mutation failed"),
            }
            let done = Event::Done {
                mutation,
                at: Utc::now(),
                result,
            };
            tx.send(done).await.ok();
            pending_changed.notify_one();
        });
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        for t in self.tasks.iter().chain(&self.tasks_running) {
            t.abort();
        }
    }
}

/// Fetches with a deadline, turning a hang into an error the panel can show.
pub async fn fetch_once<T>(source: &dyn Source<T>) -> Result<T, String> {
    let result = match tokio::time::timeout(FETCH_TIMEOUT, source.fetch()).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("timed out after {}s", FETCH_TIMEOUT.as_secs())),
    };
    if let Err(e) = &result {
        tracing::warn!(error = %e, "fetch failed");
    }
    result
}

/// A snapshot has one chance per panel: a failed fetch is tried again (after 1 s, then 2 s)
/// before the panel counts as failed, as the console's own polling would.
pub async fn fetch_retrying<T>(source: &dyn Source<T>, attempts: u32) -> Result<T, String> {
    let mut wait = Duration::from_secs(1);
    let mut result = fetch_once(source).await;
    for _ in 1..attempts.max(1) {
        if result.is_ok() {
            break;
        }
        tokio::time::sleep(wait.mul_f64(rand::random_range(0.8..1.2))).await;
        wait *= 2;
        result = fetch_once(source).await;
    }
    result
}

fn spawn_poller<T: Send + 'static>(
    source: Arc<dyn Source<T>>,
    every: Duration,
    now: Arc<Notify>,
    events: mpsc::Sender<Event>,
    wrap: fn(chrono::DateTime<Utc>, Result<T, String>) -> Data,
    panel: Option<PanelId>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut failures = 0u32;
        let mut told = every;
        loop {
            let result = fetch_once(source.as_ref()).await;
            failures = if result.is_ok() {
                0
            } else {
                failures.saturating_add(1)
            };
            if events
                .send(Event::Data(wrap(Utc::now(), result)))
                .await
                .is_err()
            {
                return;
            }
            // The source may ask for more time between refreshes than configured; the console
            // then judges the panel's staleness by the interval it really gets.
            let paced = every.max(source.min_interval().unwrap_or_default());
            if let Some(panel) = panel
                && paced != told
            {
                told = paced;
                if events.send(Event::Paced(panel, paced)).await.is_err() {
                    return;
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(next_wait(paced, failures)) => {}
                _ = now.notified() => {}
            }
        }
    })
}

/// Longest wait between attempts while a source keeps failing.
const MAX_BACKOFF: Duration = Duration::from_secs(600);

/// The interval while all is well; after failures, doubling waits (never shorter than the
/// interval, so a throttled API gets relief) with ±20% jitter so consoles and panels don't retry
/// in step.
pub fn next_wait(every: Duration, failures: u32) -> Duration {
    if failures == 0 {
        return every;
    }
    let doubled = every.saturating_mul(1u32 << (failures - 1).min(10));
    let base = doubled.min(MAX_BACKOFF).max(every);
    let jitter = rand::random_range(0.8..1.2);
    base.mul_f64(jitter)
}

fn spawn_samples(
    source: Arc<dyn crate::source::SampleSource>,
    mut wanted: watch::Receiver<Option<(String, String)>>,
    events: mpsc::Sender<Event>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        while wanted.changed().await.is_ok() {
            let Some((acl, rule)) = wanted.borrow_and_update().clone() else {
                continue;
            };
            let result =
                match tokio::time::timeout(FETCH_TIMEOUT, source.sampled_requests(&acl, &rule))
                    .await
                {
                    Ok(r) => r.map_err(|e| e.to_string()),
                    Err(_) => Err("sampled requests timed out".to_string()),
                };
            if events
                .send(Event::Data(Data::Samples(Utc::now(), result)))
                .await
                .is_err()
            {
                return;
            }
        }
    })
}

/// Tells the console what each scheduled undo came to; `false` when the console is gone.
async fn send_undone(
    events: &mpsc::Sender<Event>,
    outcomes: Vec<crate::action::pending::Outcome>,
) -> bool {
    for (mutation, result) in outcomes {
        let undone = Event::Undone {
            mutation,
            at: Utc::now(),
            result,
        };
        if events.send(undone).await.is_err() {
            return false;
        }
    }
    true
}

/// How often the pending undos are looked at: a block expires within this of its time.
const PENDING_EVERY: Duration = Duration::from_secs(15);

/// Carries out the undos whose time has come (with an executor; a read-only console only
/// shows them), and tells the console what is still pending. Looks every `every`; while none of
/// this console's undos is pending and the store is a file, a look is the file's metadata and
/// the store is read again only when the file changed (a wall runs for months with none).
fn spawn_pending(
    store: Arc<crate::action::PendingStore>,
    executor: Option<Arc<dyn Executor>>,
    changed: Arc<Notify>,
    events: mpsc::Sender<Event>,
    every: Duration,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        // Refused entries are said once each, then only listed among the problems.
        let mut said: HashSet<String> = HashSet::new();
        // The file as it was when last read, while that read found nothing to wait for.
        let mut quiet_since: Option<FileStamp> = None;
        loop {
            let stamp = store.local_file().map(FileStamp::of);
            if quiet_since.is_none() || quiet_since != stamp {
                quiet_since = None;
                let read = match &executor {
                    Some(e) => {
                        crate::action::pending::run_due(&store, e.as_ref(), Utc::now()).await
                    }
                    None => {
                        let whose = store.whose().await;
                        store.listing(&whose).await.map(|list| (Vec::new(), list))
                    }
                };
                let sent = match read {
                    Ok((outcomes, listing)) => {
                        if !send_undone(&events, outcomes).await {
                            return;
                        }
                        for r in &listing.refused {
                            if said.insert(r.entry.clone()) {
                                let why = format!(
                                    "an entry of {} is refused and will not be carried out: {}",
                                    store.describe(),
                                    r.why
                                );
                                if events.send(Event::Status(why, Utc::now())).await.is_err() {
                                    return;
                                }
                            }
                        }
                        // The stamp from before the read: a write during it is read next time.
                        if listing.pending.is_empty() && listing.refused.is_empty() {
                            quiet_since = stamp;
                        }
                        events.send(Event::Pending(listing)).await
                    }
                    Err(e) => {
                        let why = format!(
                            "block expiries and Count restores cannot be read ({}): {e}",
                            store.describe()
                        );
                        events.send(Event::PendingUnreadable(why, Utc::now())).await
                    }
                };
                if sent.is_err() {
                    return;
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                // A change of this console's: read whatever the file says.
                _ = changed.notified() => quiet_since = None,
            }
        }
    })
}

/// What says a file changed without reading it: its metadata (`None` inside: no file).
#[derive(Debug, Clone, PartialEq)]
struct FileStamp(Option<(Option<std::time::SystemTime>, u64, u64)>);

impl FileStamp {
    fn of(path: &std::path::Path) -> FileStamp {
        use std::os::unix::fs::MetadataExt;
        FileStamp(
            std::fs::metadata(path)
                .ok()
                .map(|m| (m.modified().ok(), m.len(), m.ino())),
        )
    }
}

/// Forwards the tails' passphrase questions to the console as events.
fn spawn_passphrase_questions(
    prompt: &PassphrasePrompt,
    events: mpsc::Sender<Event>,
) -> JoinHandle<()> {
    let mut questions = prompt.connect();
    tokio::spawn(async move {
        while let Some(q) = questions.recv().await {
            let asked = Event::PassphraseWanted {
                id: q.id,
                key_file: q.key_file.display().to_string(),
            };
            if events.send(asked).await.is_err() {
                return;
            }
        }
    })
}

fn spawn_tail(
    source: Arc<dyn crate::source::LogSource>,
    backlog: usize,
    events: mpsc::Sender<Event>,
) -> JoinHandle<()> {
    tokio::spawn(follow(source, backlog, events))
}

/// Follows one log source until the console is gone: its batches become events, and a tail
/// that ends is started again after 1, 2, 4 … 60 s, each time said in the panel.
async fn follow(
    source: Arc<dyn crate::source::LogSource>,
    backlog: usize,
    events: mpsc::Sender<Event>,
) {
    let mut retry = LOG_RETRY;
    loop {
        let (tx, mut rx) = mpsc::channel::<LogBatch>(64);
        let tail = source.tail(backlog, tx);
        let forward = async {
            while let Some(batch) = rx.recv().await {
                if events
                    .send(Event::Data(Data::Logs(Utc::now(), batch)))
                    .await
                    .is_err()
                {
                    return false;
                }
            }
            true
        };
        let (ended, keep_going) = tokio::join!(tail, forward);
        if !keep_going {
            return;
        }
        let why = match ended {
            Ok(()) => "log stream ended".to_string(),
            Err(e) => e.to_string(),
        };
        let why = format!("{why}; retrying in {} s", retry.as_secs());
        let name = source.name().to_string();
        if events
            .send(Event::Data(Data::LogError(Utc::now(), name, why)))
            .await
            .is_err()
        {
            return;
        }
        tokio::time::sleep(retry).await;
        retry = (retry * 2).min(Duration::from_secs(60));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many times the pending task read the store (each read ends in one of these).
    fn reads(events: &mut mpsc::Receiver<Event>) -> usize {
        let mut n = 0;
        while let Ok(e) = events.try_recv() {
            n += usize::from(matches!(
                e,
                Event::Pending(_) | Event::PendingUnreadable(..)
            ));
        }
        n
    }

    #[tokio::test]
    async fn with_no_undo_pending_the_store_is_read_again_only_when_its_file_changes() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("pending.json");
        let store = Arc::new(crate::action::PendingStore::new(&path));
        let (tx, mut rx) = mpsc::channel(256);
        let every = Duration::from_millis(20);
        let task = spawn_pending(store, None, Arc::new(Notify::new()), tx, every);
        // Fifteen looks at a store with nothing in it (no file yet): one read.
        tokio::time::sleep(every * 15).await;
        assert_eq!(reads(&mut rx), 1);
        // Another console writes the file: it is read again, once.
        crate::state_dir::write(&path, b"[]").expect("written");
        tokio::time::sleep(every * 15).await;
        assert_eq!(reads(&mut rx), 1);
        task.abort();
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let every = Duration::from_secs(10);
        assert_eq!(next_wait(every, 0), every);
        for _ in 0..50 {
            let first = next_wait(every, 1);
            assert!(first >= Duration::from_secs(8) && first <= Duration::from_secs(12));
            let third = next_wait(every, 3);
            assert!(third >= Duration::from_secs(32) && third <= Duration::from_secs(48));
            assert!(next_wait(every, 30) <= MAX_BACKOFF.mul_f64(1.2));
        }
    }
}
