//! What arrives at the console (keys, data, results) and what it asks the runtime to do.

use crate::action::Mutation;
use crate::model::{DnsView, InstancesView, PanelId, RuleSamples, TargetsView, WafView};
use crate::source::LogBatch;
use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};

#[derive(Debug, Clone)]
pub enum Event {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// The clock moved: ages and spinners advance.
    Tick(DateTime<Utc>),
    /// The answer to `Effect::AskWho`: the entries with who made them where known, and the
    /// calls that explained them; or why the history could not be asked.
    Who(Result<Vec<crate::timeline::Entry>, String>),
    Data(Data),
    /// A panel's source refreshes at this interval rather than the configured one (it keeps to
    /// its API's quota): the panel is stale only against this.
    Paced(PanelId, std::time::Duration),
    /// Something the operator should read in the footer (e.g. configuration reloaded).
    Status(String, DateTime<Utc>),
    /// A log tail asks for the passphrase of an encrypted key file.
    PassphraseWanted {
        id: u64,
        key_file: String,
    },
    /// The undos waiting for their time (block expiries, Count restores), as they stand, and
    /// the entries of the file that are refused.
    Pending(crate::action::Listing),
    /// The undos could not be read (a corrupt file, an unreachable shared store): a problem
    /// with its age until they can; timed actions are refused meanwhile.
    PendingUnreadable(String, DateTime<Utc>),
    /// A scheduled undo was carried out in the background: said in the footer and the
    /// problems, never in a dialog over the operator's work.
    Undone {
        mutation: Mutation,
        at: DateTime<Utc>,
        result: Result<String, String>,
    },
    /// The undos the operator asked to carry out before quitting (`r`) were tried (each
    /// outcome came as `Undone` before this): what is still pending, or why it cannot be read.
    UndosCarriedOut(Result<crate::action::Listing, String>),
    /// An executed mutation finished.
    Done {
        mutation: Mutation,
        at: DateTime<Utc>,
        result: Result<String, String>,
    },
}

/// The outcome of one fetch, for one panel.
#[derive(Debug, Clone)]
pub enum Data {
    Identity(DateTime<Utc>, Result<crate::source::Identity, String>),
    Targets(DateTime<Utc>, Result<TargetsView, String>),
    Waf(DateTime<Utc>, Result<WafView, String>),
    Samples(DateTime<Utc>, Result<RuleSamples, String>),
    Dns(DateTime<Utc>, Result<DnsView, String>),
    Instances(DateTime<Utc>, Result<InstancesView, String>),
    Logs(DateTime<Utc>, LogBatch),
    /// A tail of this source ended with this error (it is retried).
    LogError(DateTime<Utc>, String, String),
}

/// Work the console asks of the runtime; `update` itself never does I/O.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Quit,
    Refresh(PanelId),
    FetchSamples {
        acl_id: String,
        rule: String,
    },
    Execute(Mutation),
    /// Forget a scheduled undo that failed for good: the operator has read it (from `p`).
    DismissUndo(Mutation),
    /// Carry out this console's scheduled undos now, whatever their time: the operator is
    /// quitting (`r` in the quit dialog). Answered with `Event::UndosCarriedOut`.
    CarryOutUndosNow,
    /// Keep these observed changes in the timeline file.
    Timeline(Vec<crate::timeline::Entry>),
    /// Ask the session's history who made these changes; answered with `Event::Who`.
    AskWho(Vec<crate::timeline::Entry>),
    /// Put this text on the clipboard, through the terminal (OSC 52).
    Copy(String),
    /// The answer to `Event::PassphraseWanted` (`None`: declined).
    Passphrase {
        id: u64,
        passphrase: Option<super::Secret>,
    },
    /// Tail the CloudWatch Logs stream of the ECS task with this address (a Fargate target).
    TailTask {
        /// The log source's name.
        name: String,
        address: String,
        /// The target's port: the container whose port mapping serves it is followed.
        port: u16,
        /// The target group's: the task is looked for in its VPC and account.
        target_group_arn: String,
        vpc: Option<String>,
        region: String,
    },
    /// Tail the log of an instance that has no `[[log]]` entry, as `[logs.instance]` says.
    TailInstance {
        /// The log source's name: the instance's Name tag, else its id.
        name: String,
        /// Where it runs: its ECS tasks' logs are looked for when no file is configured.
        id: String,
        region: String,
        private_ip: Option<String>,
        public_ip: Option<String>,
    },
}
