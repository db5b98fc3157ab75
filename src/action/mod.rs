//! Changes to the world as values: what the operator asked for, checked and described before one
//! executor carries it out.

pub mod guard;
mod impact;
pub mod journal;
pub(crate) mod journaled;
pub mod pending;
mod toggle_impact;

pub use impact::{DrainImpact, drain_impact};
pub use journal::{Journal, JournalEntry};
pub use journaled::Journaled;
pub use pending::{Listing, Pending, PendingStore, Scheduled, Whose};
pub use toggle_impact::toggle_impact;

use crate::model::{
    LoadBalancer, OverrideAction, Registration, RuleAction, RuleKind, Target, TargetGroup, WafScope,
};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

/// Identifies one registered target exactly as ELBv2 needs it to (de)register it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TargetRef {
    pub region: String,
    /// The account it was read in, when the console watches several (`[[account]]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<crate::model::AccountRef>,
    pub load_balancer: String,
    pub target_group: String,
    pub target_group_arn: String,
    pub id: String,
    pub name: Option<String>,
    /// The port traffic goes to (0 for a Lambda function).
    pub port: u16,
    /// The zone it serves from, when known.
    pub az: Option<String>,
    /// Exactly as `DescribeTargetHealth` described it: what (de)registering it sends.
    #[serde(default)]
    pub registration: Registration,
}

impl TargetRef {
    /// `t` of group `tg` behind load balancer `lb`, as an action refers to it.
    pub fn of(lb: &LoadBalancer, tg: &TargetGroup, t: &Target) -> TargetRef {
        TargetRef {
            account: lb.account.clone(),
            region: lb.region.clone(),
            load_balancer: lb.name.clone(),
            target_group: tg.name.clone(),
            target_group_arn: tg.arn.clone(),
            id: t.id.clone(),
            name: t.name.clone(),
            port: t.port,
            az: t.az.clone(),
            registration: t.registration.clone(),
        }
    }

    pub fn label(&self) -> String {
        let at = match self.registration.port {
            Some(p) => format!("{}:{p}", self.id),
            None if self.port == 0 => self.id.clone(),
            None => format!("{}:{}", self.id, self.port),
        };
        match &self.name {
            Some(n) => format!("{n} ({at})"),
            None => at,
        }
    }

    /// "zone ap-northeast-1a", or that it is not known.
    pub fn zone(&self) -> String {
        match &self.az {
            Some(az) => format!("zone {az}"),
            None => "zone not known".to_string(),
        }
    }
}

/// Identifies one rule of one web ACL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RuleRef {
    pub region: String,
    /// The account it was read in, when the console watches several (`[[account]]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<crate::model::AccountRef>,
    pub scope: WafScope,
    pub acl_name: String,
    pub acl_id: String,
    pub rule: String,
}

/// Identifies one IP set a block goes into, and the web ACL it blocks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IpSetRef {
    pub region: String,
    /// The account it was read in, when the console watches several (`[[account]]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<crate::model::AccountRef>,
    pub scope: WafScope,
    pub name: String,
    pub id: String,
    pub arn: String,
    /// The web ACL (by name) whose Block rule references the set.
    pub web_acl: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Mutation {
    /// Deregister a target: it drains for the group's deregistration delay.
    Drain { target: TargetRef },
    /// Register a target again with the same port and zone (the undo of a drain).
    Register { target: TargetRef },
    /// Change one rule's action (plain rule) or override (rule-group reference).
    SetRule {
        rule: RuleRef,
        from: RuleKind,
        to: RuleKind,
        /// Set it back to `from` at this time (a Count for a while); `None`: until restored.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<DateTime<Utc>>,
    },
    /// Add one address (a /32 or /128) to an IP set a Block rule references.
    Block {
        set: IpSetRef,
        /// CIDR, as WAF keeps it: "192.0.2.44/32".
        address: String,
        /// Remove it again at this time; `None`: until removed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<DateTime<Utc>>,
    },
    /// Remove one address from an IP set (the undo of a block).
    Unblock { set: IpSetRef, address: String },
}

impl Mutation {
    /// The account whose resource it changes, when the console watches several.
    pub fn account(&self) -> Option<&crate::model::AccountRef> {
        match self {
            Mutation::Drain { target } | Mutation::Register { target } => target.account.as_ref(),
            Mutation::SetRule { rule, .. } => rule.account.as_ref(),
            Mutation::Block { set, .. } | Mutation::Unblock { set, .. } => set.account.as_ref(),
        }
    }

    /// One line naming the exact change.
    pub fn summary(&self) -> String {
        match self {
            Mutation::Drain { target } => format!(
                "Drain {} from {} ({})",
                target.label(),
                target.target_group,
                target.load_balancer
            ),
            Mutation::Register { target } => format!(
                "Register {} in {} again ({})",
                target.label(),
                target.target_group,
                target.load_balancer
            ),
            Mutation::SetRule {
                rule,
                from,
                to,
                until,
            } => format!(
                "Set WAF rule {} in {} from {} to {}{}",
                rule.rule,
                rule.acl_name,
                from.describe(),
                to.describe(),
                for_a_while(*until)
            ),
            Mutation::Block {
                set,
                address,
                until,
            } => format!(
                "Block {address} in IP set {} ({}){}",
                set.name,
                set.web_acl,
                for_a_while(*until)
            ),
            Mutation::Unblock { set, address } => format!(
                "Remove {address} from IP set {} ({})",
                set.name, set.web_acl
            ),
        }
    }

    pub fn region(&self) -> &str {
        match self {
            Mutation::Drain { target } | Mutation::Register { target } => &target.region,
            Mutation::SetRule { rule, .. } => &rule.region,
            Mutation::Block { set, .. } | Mutation::Unblock { set, .. } => &set.region,
        }
    }

    /// When its undo is due (a block's expiry, a Count's restore), if it has one.
    pub fn until(&self) -> Option<DateTime<Utc>> {
        match self {
            Mutation::SetRule { until, .. } | Mutation::Block { until, .. } => *until,
            _ => None,
        }
    }

    /// The change that puts back what this one changed, as it will be carried out at
    /// `until()`: a block's removal, a rule's restore. `None` for a drain (its undo is `u`).
    pub fn undo(&self) -> Option<Mutation> {
        match self {
            Mutation::SetRule { rule, from, to, .. } => Some(Mutation::SetRule {
                rule: rule.clone(),
                from: to.clone(),
                to: from.clone(),
                until: None,
            }),
            Mutation::Block { set, address, .. } => Some(Mutation::Unblock {
                set: set.clone(),
                address: address.clone(),
            }),
            _ => None,
        }
    }
}

/// " until 11:42 UTC", or nothing for a change with no end.
fn for_a_while(until: Option<DateTime<Utc>>) -> String {
    until
        .map(|u| format!(" until {} UTC", u.format("%H:%M")))
        .unwrap_or_default()
}

/// The toggle of a rule: a plain rule goes to Count and back to the action it had; a group
/// reference flips its override between None and Count.
pub fn toggled_rule(current: &RuleKind, remembered: Option<RuleAction>) -> RuleKind {
    match current {
        RuleKind::Plain {
            action: RuleAction::Count,
        } => RuleKind::Plain {
            action: remembered.unwrap_or(RuleAction::Count),
        },
        RuleKind::Plain { .. } => RuleKind::Plain {
            action: RuleAction::Count,
        },
        RuleKind::Group {
            group,
            override_action,
            rule_overrides,
        } => RuleKind::Group {
            group: group.clone(),
            override_action: match override_action {
                OverrideAction::None => OverrideAction::Count,
                OverrideAction::Count => OverrideAction::None,
            },
            rule_overrides: rule_overrides.clone(),
        },
    }
}

/// A mutation that was carried out.
#[derive(Debug, Clone, PartialEq)]
pub struct Done {
    /// A short confirmation in the operator's words.
    pub message: String,
    /// The AWS request id, for the journal and for AWS support.
    pub request_id: Option<String>,
}

/// A mutation that was not (or not entirely) carried out, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Failed {
    pub message: String,
    pub request_id: Option<String>,
    /// The world is no longer as the change expects (someone else changed the rule, removed
    /// the address): trying again cannot help, so a scheduled undo is given up, not retried.
    pub moot: bool,
    /// What it changes is gone (the IP set or web ACL deleted, the rule renamed or removed):
    /// it can never succeed, so a scheduled undo is failed for good, said once, not retried.
    pub for_good: bool,
}

impl Done {
    pub fn new(message: impl Into<String>) -> Done {
        Done {
            message: message.into(),
            request_id: None,
        }
    }
}

impl Failed {
    pub fn new(message: impl Into<String>) -> Failed {
        Failed {
            message: message.into(),
            request_id: None,
            moot: false,
            for_good: false,
        }
    }

    /// A failure no retry can mend: what the change is about no longer exists.
    pub fn for_good(message: impl Into<String>) -> Failed {
        Failed {
            for_good: true,
            ..Failed::new(message)
        }
    }

    /// A refusal because someone else changed what this change expects.
    pub fn moot(message: impl Into<String>) -> Failed {
        Failed {
            moot: true,
            ..Failed::new(message)
        }
    }
}

/// Carries out mutations. Only sessions allowed to change the world hold one.
pub trait Executor: Send + Sync {
    fn execute<'a>(&'a self, mutation: &'a Mutation) -> BoxFuture<'a, Result<Done, Failed>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_rule_toggles_to_count_and_back_to_its_own_action() {
        let captcha = RuleKind::Plain {
            action: RuleAction::Captcha,
        };
        let counting = toggled_rule(&captcha, None);
        assert_eq!(
            counting,
            RuleKind::Plain {
                action: RuleAction::Count
            }
        );
        assert_eq!(toggled_rule(&counting, Some(RuleAction::Captcha)), captcha);
    }

    #[test]
    fn group_reference_flips_override() {
        let g = RuleKind::Group {
            group: "AWS/AWSManagedRulesPHPRuleSet".into(),
            override_action: OverrideAction::None,
            rule_overrides: vec![],
        };
        let t = toggled_rule(&g, None);
        assert!(t.is_counting());
        assert_eq!(toggled_rule(&t, None), g);
    }
}
