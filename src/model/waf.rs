//! Web ACLs, their rules in priority order, per-rule request counts and sampled requests.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default, JsonSchema)]
pub struct WafView {
    pub acls: Vec<WebAcl>,
    /// Width of the count window, in minutes (one point of `series` per minute).
    pub window_minutes: u32,
    /// Places (region × scope) the last refresh could not read; their last ACLs are in `acls`.
    #[serde(default)]
    pub unreadable: Vec<super::Unreadable>,
    /// The IP sets `[[waf.blocklist]]` names, as last read.
    #[serde(default)]
    pub ip_sets: Vec<IpSet>,
    /// The watched regions' VPC ranges (read where a blocklist is configured): `b` never
    /// blocks an address inside one.
    #[serde(default)]
    pub vpc_ranges: Vec<VpcRange>,
}

/// One CIDR block of a VPC.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct VpcRange {
    pub region: String,
    pub vpc_id: String,
    pub cidr: String,
}

/// An IP set a console may add addresses to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct IpSet {
    pub name: String,
    pub id: String,
    pub arn: String,
    pub scope: WafScope,
    pub region: String,
    /// "IPV4" or "IPV6": a set holds one kind.
    pub version: String,
    /// CIDRs, as WAF keeps them ("192.0.2.44/32").
    pub addresses: Vec<String>,
    /// The web ACL (by name) it blocks for, from `[[waf.blocklist]]`.
    pub web_acl: String,
}

/// Addresses AWS lets one IP set hold.
pub const IP_SET_QUOTA: usize = 10_000;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum WafScope {
    Regional,
    Cloudfront,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct WebAcl {
    pub name: String,
    pub id: String,
    pub scope: WafScope,
    pub region: String,
    pub default_action: RuleAction,
    /// Names of the load balancers or distributions this ACL protects.
    pub protects: Vec<String>,
    /// Rules sorted by priority.
    pub rules: Vec<WafRule>,
    /// Every request the ACL evaluated, per minute, oldest first: CloudWatch's `Rule=ALL`,
    /// so the requests its default action allowed count too (the rules' sum leaves them out).
    /// Empty where not read.
    #[serde(default)]
    pub series: Vec<RuleCounts>,
    /// The requests no rule ended, decided by the default action, per minute (CloudWatch's
    /// `Rule=Default_Action`). Empty where not read.
    #[serde(default)]
    pub default_series: Vec<RuleCounts>,
}

impl WebAcl {
    /// The ACL's totals over the window: its own (`Rule=ALL`) where read, else its rules' sum.
    pub fn totals(&self) -> RuleCounts {
        let mut total = RuleCounts::default();
        if self.series.is_empty() {
            self.rules.iter().for_each(|r| total.add(&r.totals()));
        } else {
            self.series.iter().for_each(|c| total.add(c));
        }
        total
    }
}

/// The action of a plain rule.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub enum RuleAction {
    Allow,
    Block,
    Count,
    Captcha,
    Challenge,
}

impl RuleAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleAction::Allow => "Allow",
            RuleAction::Block => "Block",
            RuleAction::Count => "Count",
            RuleAction::Captcha => "Captcha",
            RuleAction::Challenge => "Challenge",
        }
    }
}

/// The override of a rule-group reference: `None` keeps the group's own actions.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub enum OverrideAction {
    None,
    Count,
}

/// What a rule does: either a plain rule with an action, or a reference to a rule group.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RuleKind {
    Plain {
        action: RuleAction,
    },
    Group {
        /// "AWS/AWSManagedRulesPHPRuleSet" for managed groups, the group's name for own ones.
        group: String,
        override_action: OverrideAction,
        /// Per-rule overrides inside the group (`RuleActionOverrides`), shown read-only.
        rule_overrides: Vec<RuleOverride>,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct RuleOverride {
    pub rule: String,
    pub action: RuleAction,
}

impl RuleKind {
    /// "Block", or "group: None" / "group: Count" for references.
    pub fn describe(&self) -> String {
        match self {
            RuleKind::Plain { action } => action.as_str().to_string(),
            RuleKind::Group {
                override_action, ..
            } => match override_action {
                OverrideAction::None => "Group (None)".to_string(),
                OverrideAction::Count => "Group (Count)".to_string(),
            },
        }
    }

    /// The rule currently only counts, whether by its action or by its group override.
    pub fn is_counting(&self) -> bool {
        matches!(
            self,
            RuleKind::Plain {
                action: RuleAction::Count
            } | RuleKind::Group {
                override_action: OverrideAction::Count,
                ..
            }
        )
    }
}

/// Requests per minute for one rule; `series[last]` is the most recent minute.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default, JsonSchema)]
pub struct RuleCounts {
    pub allowed: u64,
    pub blocked: u64,
    pub counted: u64,
}

impl RuleCounts {
    pub fn add(&mut self, other: &RuleCounts) {
        self.allowed += other.allowed;
        self.blocked += other.blocked;
        self.counted += other.counted;
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct WafRule {
    pub name: String,
    pub priority: i64,
    #[serde(flatten)]
    pub kind: RuleKind,
    /// One point per minute over the view's window, oldest first.
    pub series: Vec<RuleCounts>,
    /// The rule publishes no CloudWatch metrics (`CloudWatchMetricsEnabled=false`): its counts
    /// are not known, not zero.
    #[serde(default)]
    pub metrics_off: bool,
    /// Set for a rule group Firewall Manager puts in the ACL ("Firewall Manager, first" or
    /// "…, last": evaluated before or after the ACL's own rules). Only its policy changes it.
    #[serde(default)]
    pub managed_by: Option<String>,
    /// ARNs of the IP sets an address in which alone makes the rule match (its statement is
    /// the reference, or an Or of it): with a Block action, adding to one blocks.
    #[serde(default)]
    pub ip_sets: Vec<String>,
}

impl WafRule {
    /// Totals over the window.
    pub fn totals(&self) -> RuleCounts {
        let mut sum = RuleCounts::default();
        self.series.iter().for_each(|p| sum.add(p));
        sum
    }
}

/// One request AWS WAF sampled. URI, method and headers are attacker-controlled text.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct SampledRequest {
    pub time: DateTime<Utc>,
    pub client_ip: String,
    pub country: String,
    pub method: String,
    pub uri: String,
    pub action: String,
}

/// Sampled requests of one rule, fetched on demand for the selected rule.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct RuleSamples {
    pub acl_id: String,
    pub rule: String,
    pub requests: Vec<SampledRequest>,
    /// The time the sample really covers, as WAF reports it: WAF samples the first 5,000
    /// requests of the window asked for, so on a busy ACL it ends before the window does.
    #[serde(default)]
    pub window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Requests in that window the sample was drawn from.
    #[serde(default)]
    pub population: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_sum_the_window() {
        let rule = WafRule {
            metrics_off: false,
            managed_by: None,
            ip_sets: vec![],
            name: "block-xmlrpc".into(),
            priority: 1,
            kind: RuleKind::Plain {
                action: RuleAction::Block,
            },
            series: vec![
                RuleCounts {
                    allowed: 0,
                    blocked: 3,
                    counted: 0,
                },
                RuleCounts {
                    allowed: 1,
                    blocked: 40,
                    counted: 2,
                },
            ],
        };
        assert_eq!(
            rule.totals(),
            RuleCounts {
                allowed: 1,
                blocked: 43,
                counted: 2
            }
        );
        assert!(!rule.kind.is_counting());
    }

    #[test]
    fn group_override_count_is_counting() {
        let kind = RuleKind::Group {
            group: "AWS/AWSManagedRulesPHPRuleSet".into(),
            override_action: OverrideAction::Count,
            rule_overrides: vec![],
        };
        assert!(kind.is_counting());
        assert_eq!(kind.describe(), "Group (Count)");
    }
}
