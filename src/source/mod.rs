//! Where panel data comes from: one trait per kind of data, implemented by the demo world (and by
//! AWS and SSH sources). Nothing here knows about the terminal.

pub mod accounts;
pub mod aws;
pub mod demo;
pub mod ssh;
pub mod stats;

use crate::action::Executor;
use crate::model::{DnsView, InstancesView, LogEntry, RuleSamples, Scope, TargetsView, WafView};
use futures::future::BoxFuture;
use std::fmt;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Why a fetch failed, in words an operator can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    pub kind: ErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Throttled,
    AccessDenied,
    Timeout,
    Network,
    NotFound,
    Other,
}

impl SourceError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        SourceError {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SourceError {}

/// A panel's data source: each call fetches the whole current view.
pub trait Source<T>: Send + Sync {
    fn fetch(&self) -> BoxFuture<'_, Result<T, SourceError>>;

    /// The least time between refreshes this source asks for, whatever the configured interval
    /// (an API whose quota the account shares, read at a cost that grows with the estate).
    fn min_interval(&self) -> Option<std::time::Duration> {
        None
    }
}

/// Sampled requests are fetched on demand, for the rule the operator selected.
pub trait SampleSource: Send + Sync {
    fn sampled_requests<'a>(
        &'a self,
        acl_id: &'a str,
        rule: &'a str,
    ) -> BoxFuture<'a, Result<RuleSamples, SourceError>>;
}

/// A batch of log entries from one named log source.
#[derive(Debug, Clone)]
pub struct LogBatch {
    pub source: String,
    pub entries: Vec<LogEntry>,
    /// Set on a batch without entries: what the tail is waiting for before it can send lines
    /// (e.g. "the SSH greeting from 10.0.1.5:22, up to 15 s"), so the panel can say so.
    pub waiting: Option<String>,
}

impl LogBatch {
    pub fn lines(source: impl Into<String>, entries: Vec<LogEntry>) -> LogBatch {
        LogBatch {
            source: source.into(),
            entries,
            waiting: None,
        }
    }

    pub fn waiting(source: impl Into<String>, what: impl Into<String>) -> LogBatch {
        LogBatch {
            source: source.into(),
            entries: Vec::new(),
            waiting: Some(what.into()),
        }
    }
}

/// A followed log: sends the last `backlog` lines, then new lines as they come, until the
/// receiver is dropped.
pub trait LogSource: Send + Sync {
    fn name(&self) -> &str;
    fn tail(
        &self,
        backlog: usize,
        sink: mpsc::Sender<LogBatch>,
    ) -> BoxFuture<'static, Result<(), SourceError>>;
}

/// What happened before a read: the changes of a window that no console of this machine saw
/// (the demo's story), and who made the changes consoles saw (CloudTrail).
pub trait History: Send + Sync {
    /// Adds to `timeline` (oldest first) what this history knows of the last `window` (up to
    /// its own now: the demo's clock, AWS's), and fills in who made the changes in it where it
    /// knows. Returns what the reader should know of its limits (how late its record is).
    fn explain<'a>(
        &'a self,
        window: chrono::Duration,
        timeline: &'a mut Vec<crate::timeline::Entry>,
    ) -> BoxFuture<'a, Result<Option<String>, SourceError>>;

    /// Whether it can say who made the changes a console observes (CloudTrail can; the demo's
    /// story only adds its own changes): a running console asks it once a minute.
    fn tells_who(&self) -> bool {
        false
    }
}

/// Who the console acts as.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Identity {
    pub account: Option<String>,
    pub arn: Option<String>,
}

/// An identity known in advance (the demo world has no account).
pub struct FixedIdentity(pub Identity);

impl Source<Identity> for FixedIdentity {
    fn fetch(&self) -> BoxFuture<'_, Result<Identity, SourceError>> {
        let id = self.0.clone();
        Box::pin(async move { Ok(id) })
    }
}

/// Everything the console reads from.
#[derive(Clone)]
pub struct Sources {
    pub scope: Scope,
    pub identity: Arc<dyn Source<Identity>>,
    pub targets: Arc<dyn Source<TargetsView>>,
    pub waf: Arc<dyn Source<WafView>>,
    pub samples: Arc<dyn SampleSource>,
    pub dns: Arc<dyn Source<DnsView>>,
    pub instances: Arc<dyn Source<InstancesView>>,
    pub logs: Vec<Arc<dyn LogSource>>,
}

/// What a front end is handed: the sources, and an executor only when mutations are allowed.
///
/// A read-only session is built without an executor, so no key can reach a mutating call.
#[derive(Clone)]
pub struct Session {
    pub sources: Sources,
    pub executor: Option<Arc<dyn Executor>>,
    /// Tails over SSH can be started while the console runs; `None` in the demo world, which
    /// never contacts a host.
    pub ssh: Option<ssh::SshAccess>,
    /// The API calls this session made; `None` in the demo world, which makes none.
    pub stats: Option<Arc<stats::ApiStats>>,
    /// Finds an ECS task's log by its address (`l` on a Fargate target); `None` in the demo.
    pub tasks: Option<Arc<aws::tasks::TaskLogs>>,
    /// Undos waiting for their time (block expiries, Count restores): carried out by a
    /// session with an executor, only shown by one without.
    pub pending: Option<Arc<crate::action::PendingStore>>,
    /// The team's store (`[state] shared`): undos, rule originals and the journal shared by
    /// every console that names it; `None`: this machine's state directory only.
    pub shared: Option<Arc<aws::shared_state::SharedStore>>,
    /// What happened before a read, for the timeline; `None`: only what consoles observed.
    pub history: Option<Arc<dyn History>>,
    /// Where this console keeps what it saw change (the state directory's timeline file, a
    /// wall's and a read-only console's too); `None`: kept in memory only.
    pub timeline: Option<Arc<crate::timeline::store::Timeline>>,
}

impl Session {
    pub fn read_only(mut self) -> Self {
        self.executor = None;
        self
    }
}
