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
    /// Our own ranges in the watched regions (read where a blocklist is configured): the VPCs'
    /// CIDR blocks and the NAT gateways' Elastic IPs. `b` never blocks an address inside one.
    #[serde(default)]
    pub own_ranges: Vec<super::address::OwnRange>,
}

/// An IP set a console may add addresses to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct IpSet {
    pub name: String,
    pub id: String,
    pub arn: String,
    pub scope: WafScope,
    pub region: String,
    /// The account it was read in, when the console watches several (`[[account]]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<super::AccountRef>,
    /// "IPV4" or "IPV6": a set holds one kind.
    pub version: String,
    /// CIDRs, as WAF keeps them ("192.0.2.44/32").
    pub addresses: Vec<String>,
    /// The web ACL (by name) it blocks for, from `[[waf.blocklist]]`.
    pub web_acl: String,
}

/// Addresses AWS lets one IP set hold.
pub const IP_SET_QUOTA: usize = 10_000;

/// How an unreadable region's own ranges are named in `WafView::unreadable`: "Our own
/// addresses (us-east-1)". While one was never read, `b` refuses.
pub const OWN_RANGES: &str = "Our own addresses";

impl WafView {
    /// A place whose own addresses were never read, if there is one: a region's VPC and NAT
    /// ranges, or a whole account that could not be read (none of its addresses are known).
    /// While there is, `b` refuses: a block there might hit one of our own addresses.
    pub fn own_ranges_unknown(&self) -> Option<&super::Unreadable> {
        self.unreadable.iter().find(|u| {
            u.data_from.is_none() && (u.place.contains(OWN_RANGES) || u.is_whole_account())
        })
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash, JsonSchema)]
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
    /// The account it was read in, when the console watches several (`[[account]]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<super::AccountRef>,
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
    // Answers 402 Payment Required with a price (CloudFront web ACLs only).
    Monetize,
}

impl RuleAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleAction::Allow => "Allow",
            RuleAction::Block => "Block",
            RuleAction::Count => "Count",
            RuleAction::Captcha => "Captcha",
            RuleAction::Challenge => "Challenge",
            RuleAction::Monetize => "Monetize",
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
    /// What `b` and `t` need to know of the rule's statement beyond that.
    #[serde(default, skip_serializing_if = "Matching::is_empty")]
    pub matching: Matching,
}

/// How a rule matches, as far as blocking an address and counting a group go.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default, JsonSchema)]
pub struct Matching {
    /// The sets of `ip_sets` WAF matches against an address in a request header
    /// (`IPSetForwardedIPConfig`) rather than the address the request came from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forwarded: Vec<ForwardedSet>,
    /// A reference to one of the account's rule groups: the group's rules that block the
    /// addresses of an IP set, as the reference leaves them (its rule overrides applied).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_blocks: Vec<GroupBlock>,
    /// The labels the rule's statement looks for (`LabelMatchStatement`s anywhere in it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<LabelMatch>,
    /// A rule-group reference: the namespace of the labels the group's rules add
    /// (`awswaf:111122223333:rulegroup:name:`, `awswaf:managed:aws:core-rule-set:`), where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_namespace: Option<String>,
    /// The addresses of the sets of `ip_sets`, as last read: only for the Allow rules of a web
    /// ACL a blocklist names (does an earlier rule let the address through?).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set_addresses: Vec<SetAddresses>,
}

impl Matching {
    pub fn is_empty(&self) -> bool {
        *self == Matching::default()
    }

    /// How the rule reads the address it looks up in set `arn`: `None` for the request's own.
    pub fn forwarded_for(&self, arn: &str) -> Option<&ForwardedIp> {
        self.forwarded.iter().find(|f| f.arn == arn).map(|f| &f.ip)
    }
}

/// An IP set matched against a header's address.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct ForwardedSet {
    pub arn: String,
    #[serde(flatten)]
    pub ip: ForwardedIp,
}

/// Where WAF takes the address from (`IPSetForwardedIPConfig`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct ForwardedIp {
    /// "X-Forwarded-For".
    pub header: String,
    pub position: ForwardedPosition,
    /// What WAF decides when the header holds no valid address at that position
    /// (`FallbackBehavior` MATCH): the rule matches. A request without the header at all is
    /// never matched.
    pub fallback_matches: bool,
}

/// Which of the header's addresses WAF looks at.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum ForwardedPosition {
    /// The first: usually the client's own.
    First,
    /// The last: the proxy nearest to AWS.
    Last,
    /// Any of them (of more than 10, the last 10).
    Any,
}

impl ForwardedPosition {
    pub fn as_str(self) -> &'static str {
        match self {
            ForwardedPosition::First => "FIRST",
            ForwardedPosition::Last => "LAST",
            ForwardedPosition::Any => "ANY",
        }
    }
}

/// A rule inside a referenced rule group that blocks the addresses of an IP set.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct GroupBlock {
    /// The rule's name inside the group.
    pub rule: String,
    pub ip_set: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded: Option<ForwardedIp>,
}

/// One `LabelMatchStatement`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct LabelMatch {
    /// Matched as a whole label (`LABEL`) or as a namespace (`NAMESPACE`).
    pub namespace: bool,
    pub key: String,
}

impl LabelMatch {
    /// Whether this statement can match a label added under `namespace` (which ends in `:`).
    /// A key that is not fully qualified only matches labels added where the statement is
    /// (the web ACL's own rules), never a rule group's.
    pub fn matches_namespace(&self, namespace: &str) -> bool {
        if self.key.starts_with(namespace) {
            return true;
        }
        // A namespace key may name a wider namespace that holds the group's.
        let key = self.key.trim_end_matches(':');
        self.namespace && key.starts_with("awswaf:") && namespace.starts_with(&format!("{key}:"))
    }
}

/// The namespace the labels of a managed rule group carry (`awswaf:managed:aws:core-rule-set:`
/// for AWS's core rule set), for the groups the console knows; `None` for others.
pub fn managed_label_namespace(vendor: &str, group: &str) -> Option<String> {
    if vendor != "AWS" {
        return None;
    }
    let short = AWS_LABEL_NAMESPACES.iter().find(|(g, _)| *g == group)?.1;
    Some(format!("awswaf:managed:aws:{short}:"))
}

/// AWS managed rule groups and the namespace their rules' labels carry.
const AWS_LABEL_NAMESPACES: &[(&str, &str)] = &[
    ("AWSManagedRulesCommonRuleSet", "core-rule-set"),
    ("AWSManagedRulesAdminProtectionRuleSet", "admin-protection"),
    ("AWSManagedRulesKnownBadInputsRuleSet", "known-bad-inputs"),
    ("AWSManagedRulesSQLiRuleSet", "sql-database"),
    ("AWSManagedRulesLinuxRuleSet", "linux-os"),
    ("AWSManagedRulesUnixRuleSet", "posix-os"),
    ("AWSManagedRulesWindowsRuleSet", "windows-os"),
    ("AWSManagedRulesPHPRuleSet", "php-app"),
    ("AWSManagedRulesWordPressRuleSet", "wordpress-app"),
    ("AWSManagedRulesAmazonIpReputationList", "amazon-ip-list"),
    ("AWSManagedRulesAnonymousIpList", "anonymous-ip-list"),
    ("AWSManagedRulesBotControlRuleSet", "bot-control"),
    ("AWSManagedRulesATPRuleSet", "atp"),
    ("AWSManagedRulesACFPRuleSet", "acfp"),
];

/// An IP set's addresses, as last read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct SetAddresses {
    pub arn: String,
    pub name: String,
    pub addresses: Vec<String>,
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
    /// The request's headers as WAF saw them, in order (names and values as sent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<Header>,
    /// How many requests this sample stands for (WAF's `Weight`: a sample of weight 3 stands
    /// for about three times as many as one of weight 1).
    #[serde(default = "one")]
    pub weight: u64,
}

fn one() -> u64 {
    1
}

impl SampledRequest {
    /// The value of header `name` (case-insensitive), the first if sent more than once.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// The request came through a CloudFront edge: CloudFront adds `Via: … CloudFront` and
    /// `X-Amz-Cf-Id` to what it forwards. Its address is then the edge's, shared by every
    /// viewer that edge serves.
    pub fn through_cloudfront(&self) -> bool {
        self.header("x-amz-cf-id").is_some()
            || self
                .header("via")
                .is_some_and(|v| v.to_ascii_lowercase().contains("cloudfront"))
    }
}

/// One request header. Both halves are the sender's text.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Header {
    pub name: String,
    pub value: String,
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
            matching: Default::default(),
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
