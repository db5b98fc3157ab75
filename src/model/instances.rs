//! EC2 instances: state, status checks and scheduled events.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default, JsonSchema)]
pub struct InstancesView {
    pub instances: Vec<Instance>,
    /// Regions the last refresh could not read (their last instances are in `instances`).
    #[serde(default)]
    pub unreadable: Vec<super::Unreadable>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Instance {
    pub id: String,
    pub name: Option<String>,
    pub instance_type: String,
    pub az: String,
    pub region: String,
    /// The account it was read in, when the console watches several (`[[account]]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<super::AccountRef>,
    pub private_ip: Option<String>,
    /// Only for instances that have one; `l` can connect to it (`[logs.instance] address`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_ip: Option<String>,
    /// pending, running, stopping, stopped, shutting-down, terminated.
    pub state: String,
    pub system_status: CheckStatus,
    pub instance_status: CheckStatus,
    pub events: Vec<ScheduledEvent>,
}

/// An EC2 status check result.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CheckStatus {
    Ok,
    Impaired,
    InsufficientData,
    NotApplicable,
    Initializing,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Ok => "ok",
            CheckStatus::Impaired => "impaired",
            CheckStatus::InsufficientData => "insufficient-data",
            CheckStatus::NotApplicable => "not-applicable",
            CheckStatus::Initializing => "initializing",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct ScheduledEvent {
    /// e.g. `system-reboot`, `instance-retirement`.
    pub code: String,
    pub description: String,
    pub not_before: Option<DateTime<Utc>>,
}

impl InstancesView {
    /// Instance id → Name tag, for things that know an instance only by id.
    pub fn names(&self) -> std::collections::HashMap<String, String> {
        self.instances
            .iter()
            .filter_map(|i| Some((i.id.clone(), i.name.clone()?)))
            .collect()
    }
}

impl Instance {
    /// "Name (i-0abc)" or the id alone.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("{n} ({})", self.id),
            None => self.id.clone(),
        }
    }
}
