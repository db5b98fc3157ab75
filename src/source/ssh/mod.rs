//! Log sources tailed over SSH: `tail -F` on a host (directly or through jump hosts), with
//! strict host key checking, agent and key-file authentication, and reconnects that mark the
//! lines they may have missed.
//!
//! Each tail runs one libssh2 session on its own thread: a session is a single lock, so a
//! blocking read would stall anything else sharing it.

mod auth;
mod connect;
mod error;
mod follow;
mod hostkey;
mod lines;
mod phase;
mod prompt;
mod relay;
mod target;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

pub use auth::{AgentSource, PassphraseProvider, fixed_passphrase};
pub use hostkey::{HostKeyPolicy, KnownHostsFiles, fingerprint, known_hosts_line};
pub use lines::MAX_LINE;
pub use prompt::{PassphrasePrompt, PassphraseRequest};
pub use target::{SshConfigSource, SshTarget, TargetOverrides, resolve_target};

use crate::config::LogSourceConfig;
use crate::source::{ErrorKind, LogBatch, LogSource, SourceError};

/// How long to wait between reconnect attempts: `first`, doubling up to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            first: Duration::from_secs(1),
            max: Duration::from_secs(30),
        }
    }
}

/// Settings shared by every SSH log source.
#[derive(Clone, Default)]
pub struct SshOptions {
    pub ssh_config: SshConfigSource,
    pub host_key_policy: HostKeyPolicy,
    pub agent: AgentSource,
    /// Asked for the passphrase of an encrypted key file (the console's dialog).
    pub passphrase: Option<Arc<dyn PassphraseProvider>>,
}

/// What the console needs to start tails while it runs (`l` on an instance): the shared options,
/// with the passphrase prompt it answers from its dialog.
#[derive(Clone)]
pub struct SshAccess {
    pub options: SshOptions,
    pub prompt: Arc<PassphrasePrompt>,
}

impl SshAccess {
    pub fn new(mut options: SshOptions) -> SshAccess {
        let prompt = Arc::new(PassphrasePrompt::default());
        options.passphrase = Some(prompt.clone());
        SshAccess { options, prompt }
    }
}

/// A remote file followed with `tail -F` over SSH.
#[derive(Clone)]
pub struct SshTail {
    name: String,
    target: SshTarget,
    path: String,
    policy: HostKeyPolicy,
    agent: AgentSource,
    passphrase: Option<Arc<dyn PassphraseProvider>>,
    backoff: Backoff,
}

impl std::fmt::Debug for SshTail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshTail")
            .field("name", &self.name)
            .field("target", &self.target)
            .field("path", &self.path)
            .field("policy", &self.policy)
            .field("agent", &self.agent)
            .field("backoff", &self.backoff)
            .finish_non_exhaustive()
    }
}

impl SshTail {
    /// Follows `path` on `target`, shown as `name`. Strict host key checking, the agent from
    /// `$SSH_AUTH_SOCK`, no passphrase provider.
    pub fn new(
        name: impl Into<String>,
        target: SshTarget,
        path: impl Into<String>,
    ) -> Result<SshTail, SourceError> {
        let path = path.into();
        if path.is_empty() || path.contains(['\0', '\n', '\r']) {
            return Err(SourceError::new(
                ErrorKind::Other,
                format!("{path:?} is not a usable log path"),
            ));
        }
        Ok(SshTail {
            name: name.into(),
            target,
            path,
            policy: HostKeyPolicy::default(),
            agent: AgentSource::default(),
            passphrase: None,
            backoff: Backoff::default(),
        })
    }

    pub fn with_host_key_policy(mut self, policy: HostKeyPolicy) -> Self {
        self.policy = policy;
        self
    }

    pub fn with_agent(mut self, agent: AgentSource) -> Self {
        self.agent = agent;
        self
    }

    /// Unlocks encrypted key files with this passphrase.
    pub fn with_passphrase(self, passphrase: impl Into<String>) -> Self {
        self.with_passphrase_provider(fixed_passphrase(passphrase))
    }

    /// Asks `provider` for the passphrase of an encrypted key file, once per tail (the answer is
    /// reused on reconnects).
    pub fn with_passphrase_provider(mut self, provider: Arc<dyn PassphraseProvider>) -> Self {
        self.passphrase = Some(provider);
        self
    }

    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    pub fn target(&self) -> &SshTarget {
        &self.target
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    fn job(&self) -> follow::Job {
        follow::Job {
            name: self.name.clone(),
            target: self.target.clone(),
            path: self.path.clone(),
            policy: self.policy,
            creds: auth::Credentials::new(self.agent.clone(), self.passphrase.clone()),
            backoff: self.backoff,
        }
    }
}

/// Builds the tail for a `[[log]]` entry. `instance_address` is the address an `instance`
/// entry was resolved to (its private IP, by the caller); the host, or that address, is also
/// looked up in the ssh config as a `Host` alias.
pub fn from_config(
    cfg: &LogSourceConfig,
    instance_address: Option<&str>,
    opts: &SshOptions,
) -> Result<SshTail, SourceError> {
    let invalid =
        |m: String| SourceError::new(ErrorKind::Other, format!("[[log]] {}: {m}", cfg.name));
    let host = match (&cfg.host, &cfg.instance) {
        (Some(h), None) => h.as_str(),
        (None, Some(id)) => instance_address
            .ok_or_else(|| invalid(format!("instance {id} has not been resolved to an address")))?,
        (Some(_), Some(_)) => return Err(invalid("set only one of `host` and `instance`".into())),
        (None, None) => return Err(invalid("set `host` or `instance`".into())),
    };
    let over = TargetOverrides {
        port: cfg.port,
        user: cfg.user.clone(),
        identity_file: cfg.identity_file.clone(),
        known_hosts: cfg.known_hosts.clone(),
        jump: cfg.jump.clone(),
    };
    let target = resolve_target(host, &over, &opts.ssh_config)?;
    let tail = SshTail::new(&cfg.name, target, &cfg.path)?
        .with_host_key_policy(opts.host_key_policy)
        .with_agent(opts.agent.clone());
    Ok(match &opts.passphrase {
        Some(p) => tail.with_passphrase_provider(p.clone()),
        None => tail,
    })
}

/// A configured log source that could not be set up: tailing it reports why, in the panel.
pub struct Misconfigured {
    pub name: String,
    pub error: SourceError,
}

impl LogSource for Misconfigured {
    fn name(&self) -> &str {
        &self.name
    }

    fn tail(
        &self,
        _backlog: usize,
        _sink: mpsc::Sender<LogBatch>,
    ) -> BoxFuture<'static, Result<(), SourceError>> {
        let error = self.error.clone();
        Box::pin(async move { Err(error) })
    }
}

/// Log sources for every `[[log]]` entry. `instance` entries look their instance up (by id or
/// Name tag, for its private IP) in `instances` when the tail starts, and again on every restart,
/// so a replaced instance is found and the console's first frame never waits for EC2. An entry
/// that cannot be set up becomes a source that says why.
pub fn configured(
    entries: &[LogSourceConfig],
    instances: Option<Arc<dyn crate::source::Source<crate::model::InstancesView>>>,
    opts: &SshOptions,
) -> Vec<Arc<dyn LogSource>> {
    entries
        .iter()
        // A log group is followed through CloudWatch Logs, not SSH.
        .filter(|cfg| !cfg.is_log_group())
        .map(|cfg| match (&cfg.instance, &instances) {
            (Some(_), Some(instances)) => Arc::new(InstanceTail {
                cfg: cfg.clone(),
                instances: instances.clone(),
                opts: opts.clone(),
            }) as Arc<dyn LogSource>,
            _ => match from_config(cfg, None, opts) {
                Ok(tail) => Arc::new(tail) as Arc<dyn LogSource>,
                Err(error) => Arc::new(Misconfigured {
                    name: cfg.name.clone(),
                    error,
                }),
            },
        })
        .collect()
}

/// The instance a `[[log]]` entry's `instance` names, by id or Name tag; `None` if none does.
/// A name several instances carry (an Auto Scaling group's, a copy left running, another
/// region's) is refused, naming each: the tail would otherwise connect to whichever EC2 listed
/// first. A terminated instance is no candidate: it has no address and was replaced.
pub fn instance_named<'a>(
    instances: &'a [crate::model::Instance],
    wanted: &str,
) -> Result<Option<&'a crate::model::Instance>, String> {
    let matching: Vec<&crate::model::Instance> = instances
        .iter()
        .filter(|i| i.state != "terminated")
        .filter(|i| i.id == wanted || i.name.as_deref() == Some(wanted))
        .collect();
    match matching.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        several => {
            let clean = |t: &str| crate::sanitize::sanitize(t).into_owned();
            let named: Vec<String> = several
                .iter()
                .map(|i| {
                    format!(
                        "{} {} ({}, {})",
                        clean(i.name.as_deref().unwrap_or("(no name)")),
                        clean(&i.id),
                        clean(&i.state),
                        clean(&i.region)
                    )
                })
                .collect();
            Err(format!(
                "{} instances match {:?}: {}. Name one by its id (instance = \"i-…\")",
                several.len(),
                clean(wanted),
                named.join(", ")
            ))
        }
    }
}

/// How long a tail waits for EC2 to say where its instance is.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(30);

/// A `[[log]]` entry naming an instance: resolved to its address when the tail (re)starts.
struct InstanceTail {
    cfg: LogSourceConfig,
    instances: Arc<dyn crate::source::Source<crate::model::InstancesView>>,
    opts: SshOptions,
}

impl LogSource for InstanceTail {
    fn name(&self) -> &str {
        &self.cfg.name
    }

    fn tail(
        &self,
        backlog: usize,
        sink: mpsc::Sender<LogBatch>,
    ) -> BoxFuture<'static, Result<(), SourceError>> {
        let (cfg, instances, opts) = (self.cfg.clone(), self.instances.clone(), self.opts.clone());
        Box::pin(async move {
            let lookup_failed = |why: String| {
                SourceError::new(
                    ErrorKind::Other,
                    format!("[[log]] {}: looking up its instance: {why}", cfg.name),
                )
            };
            let view = tokio::time::timeout(LOOKUP_TIMEOUT, instances.fetch())
                .await
                .map_err(|_| lookup_failed("EC2 did not answer in time".into()))?
                .map_err(|e| lookup_failed(e.to_string()))?;
            let wanted = cfg.instance.as_deref().unwrap_or_default();
            let address = instance_named(&view.instances, wanted)
                .map_err(lookup_failed)?
                .and_then(|i| i.private_ip.clone());
            let tail = from_config(&cfg, address.as_deref(), &opts)?;
            tail.tail(backlog, sink).await
        })
    }
}

impl LogSource for SshTail {
    fn name(&self) -> &str {
        &self.name
    }

    fn tail(
        &self,
        backlog: usize,
        sink: mpsc::Sender<LogBatch>,
    ) -> BoxFuture<'static, Result<(), SourceError>> {
        let job = self.job();
        Box::pin(async move {
            let (done, result) = oneshot::channel();
            let spawned = std::thread::Builder::new()
                .name("opsc-ssh-tail".into())
                .spawn(move || {
                    // Also stop if whoever awaits this tail gave up on it.
                    let stopped = || sink.is_closed() || done.is_closed();
                    let outcome = follow::run(&job, backlog, &sink, &stopped);
                    let _ = done.send(outcome);
                });
            if let Err(e) = spawned {
                return Err(SourceError::new(
                    ErrorKind::Other,
                    format!("can't start a thread to tail logs: {e}"),
                ));
            }
            result.await.unwrap_or_else(|_| {
                Err(SourceError::new(
                    ErrorKind::Other,
                    "the SSH tail thread stopped unexpectedly",
                ))
            })
        })
    }
}
