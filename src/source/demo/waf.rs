//! The web ACLs of S1, S3 and S4 and their per-minute request counts: seeded noise around each
//! rule's usual rate, plus the recurring `/xmlrpc.php` burst on S4.

use super::dynamics::Changes;
use super::estate::{Home, TOKYO, VIRGINIA, distribution};
use super::{DemoWorld, fnv64, hex_id, rng_for};
use crate::model::{
    OverrideAction, RuleAction, RuleCounts, RuleKind, RuleOverride, WafRule, WafScope, WafView,
    WebAcl,
};
use rand::RngExt;

/// Minutes of counts per rule in the WAF view (one point per minute, like CloudWatch).
/// The window when nothing else is asked for (`[waf] window_minutes`'s default).
pub(super) const WINDOW_MINUTES: u32 = 15;
/// The `/xmlrpc.php` burst: minutes 6, 7 and 8 of every 10 (so one is already in the window when
/// the demo starts).
pub(super) const SPIKE_PERIOD_MIN: i64 = 10;
pub(super) const SPIKE_FIRST_MIN: i64 = 6;
pub(super) const SPIKE_MINUTES: i64 = 3;
/// Share of a group's matches that its per-rule Count overrides take.
const OVERRIDE_COUNT_SHARE: f64 = 0.25;

/// What kind of request a rule matches: drives both its sampled requests and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Category {
    CmsOffice,
    CmsOutside,
    Sqli,
    Xss,
    Terminal,
    CommonCounted,
    BadInputs,
    RateLimit,
    Xmlrpc,
    WpAdmin,
    IpReputation,
    Php,
    WordPress,
    /// Requests from the addresses operators blocked (S4's IP set).
    Listed,
}

/// How much traffic one rule sees.
#[derive(Debug, Clone, Copy)]
pub(super) struct RuleTraffic {
    /// Usual matches per minute.
    pub per_minute: f64,
    /// Subject to the periodic `/xmlrpc.php` burst.
    pub spike: bool,
    pub category: Category,
}

/// A web ACL as configured, with each rule's traffic (same order as `acl.rules`).
pub(super) struct AclSpec {
    pub acl: WebAcl,
    pub traffic: Vec<RuleTraffic>,
}

impl AclSpec {
    pub fn rule(&self, name: &str) -> Option<(&WafRule, RuleTraffic)> {
        self.acl
            .rules
            .iter()
            .zip(&self.traffic)
            .find(|(r, _)| r.name == name)
            .map(|(r, t)| (r, *t))
    }
}

fn acl_id(name: &str) -> String {
    let h = hex_id(&format!("webacl/{name}"), 32);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn plain(action: RuleAction) -> RuleKind {
    RuleKind::Plain { action }
}

fn managed(group: &str, override_action: OverrideAction, counted: &[&str]) -> RuleKind {
    RuleKind::Group {
        group: format!("AWS/{group}"),
        override_action,
        rule_overrides: counted
            .iter()
            .map(|r| RuleOverride {
                rule: r.to_string(),
                action: RuleAction::Count,
            })
            .collect(),
    }
}

fn acl(
    home: Home,
    name: &str,
    scope: WafScope,
    region: &str,
    protects: Vec<String>,
    rules: Vec<(&str, RuleKind, f64, Category)>,
) -> AclSpec {
    let traffic = rules
        .iter()
        .map(|(_, _, per_minute, category)| RuleTraffic {
            per_minute: *per_minute,
            spike: *category == Category::Xmlrpc,
            category: *category,
        })
        .collect();
    AclSpec {
        acl: WebAcl {
            account: Some(home.account()),
            name: name.to_string(),
            id: acl_id(name),
            scope,
            region: region.to_string(),
            default_action: RuleAction::Allow,
            protects,
            rules: rules
                .into_iter()
                .enumerate()
                .map(|(priority, (rule, kind, _, _))| WafRule {
                    name: rule.to_string(),
                    priority: priority as i64,
                    series: vec![],
                    metrics_off: false,
                    managed_by: None,
                    ip_sets: if rule == BLOCKED_RULE {
                        vec![ip_set_arn()]
                    } else {
                        vec![]
                    },
                    matching: crate::model::waf::Matching {
                        label_namespace: match &kind {
                            RuleKind::Group { group, .. } => {
                                group.split_once('/').and_then(|(vendor, name)| {
                                    crate::model::waf::managed_label_namespace(vendor, name)
                                })
                            }
                            RuleKind::Plain { .. } => None,
                        },
                        ..Default::default()
                    },
                    kind,
                })
                .collect(),
            series: vec![],
            default_series: Vec::new(),
        },
        traffic,
    }
}

/// S4's rule blocking the addresses in its IP set, and the set (in S4's account).
pub(super) const BLOCKED_RULE: &str = "block-listed-addresses";
pub(super) const BLOCKED_SET: &str = "hwi-blocked-addresses";
pub(super) const BLOCKED_ACL: &str = "hwi-web-acl";
pub(super) const BLOCKED_HOME: Home = Home::Apps;

pub(super) fn ip_set_arn() -> String {
    format!(
        "arn:aws:wafv2:us-east-1:{}:global/ipset/{BLOCKED_SET}/{}",
        BLOCKED_HOME.id(),
        acl_id(BLOCKED_SET)
    )
}

/// The web ACLs in stack order.
pub(super) fn acls() -> Vec<AclSpec> {
    use Category::*;
    use OverrideAction::{Count, None};
    use RuleAction::{Allow, Block};
    let (hwi_cf, _) = distribution("hwi-dynamic");
    vec![
        // S1: SQLi/XSS protection for Movable Type, and the CMS open to the office only.
        acl(
            Home::Cms,
            "mt-web-acl",
            WafScope::Regional,
            TOKYO,
            vec!["mt-alb".to_string()],
            vec![
                ("mt-cms-allow-office", plain(Allow), 4.0, CmsOffice),
                ("mt-cms-block-non-office", plain(Block), 2.5, CmsOutside),
                (
                    "AWS-AWSManagedRulesSQLiRuleSet",
                    managed("AWSManagedRulesSQLiRuleSet", None, &[]),
                    5.0,
                    Sqli,
                ),
                (
                    "AWS-AWSManagedRulesCommonRuleSet",
                    // MT's entry editor posts large bodies: that one rule only counts.
                    managed(
                        "AWSManagedRulesCommonRuleSet",
                        None,
                        &["SizeRestrictions_BODY"],
                    ),
                    7.0,
                    Xss,
                ),
            ],
        ),
        // S3: L7 protection the NLB could not give the Debian 6 member servers.
        acl(
            Home::Apps,
            "trace-member-acl",
            WafScope::Regional,
            TOKYO,
            vec!["trace-member-alb".to_string()],
            vec![
                ("allow-handheld-terminals", plain(Allow), 120.0, Terminal),
                (
                    "AWS-AWSManagedRulesCommonRuleSet",
                    // Still only counting: the old application's false positives are unknown.
                    managed("AWSManagedRulesCommonRuleSet", Count, &[]),
                    3.0,
                    CommonCounted,
                ),
                (
                    "AWS-AWSManagedRulesKnownBadInputsRuleSet",
                    managed("AWSManagedRulesKnownBadInputsRuleSet", None, &[]),
                    1.5,
                    BadInputs,
                ),
                ("rate-limit-member-login", plain(Block), 0.8, RateLimit),
            ],
        ),
        // S4: on the WordPress distribution; the custom rules come first.
        acl(
            BLOCKED_HOME,
            BLOCKED_ACL,
            WafScope::Cloudfront,
            VIRGINIA,
            vec![format!("taltalsister.cf ({hwi_cf})")],
            vec![
                // Empty at the start: it matches nothing until an operator blocks someone.
                (BLOCKED_RULE, plain(Block), 0.0, Listed),
                ("block-xmlrpc", plain(Block), 6.0, Xmlrpc),
                ("block-wp-admin-outside", plain(Block), 9.0, WpAdmin),
                (
                    "AWS-AWSManagedRulesAmazonIpReputationList",
                    managed("AWSManagedRulesAmazonIpReputationList", None, &[]),
                    12.0,
                    IpReputation,
                ),
                (
                    "AWS-AWSManagedRulesPHPRuleSet",
                    managed("AWSManagedRulesPHPRuleSet", None, &[]),
                    3.0,
                    Php,
                ),
                (
                    // The noisy one: a candidate for Count while false positives are checked.
                    "AWS-AWSManagedRulesWordPressRuleSet",
                    managed("AWSManagedRulesWordPressRuleSet", None, &[]),
                    15.0,
                    WordPress,
                ),
            ],
        ),
    ]
}

/// Whether minute `minute` (since the origin) is inside an `/xmlrpc.php` burst.
pub(super) fn in_spike(minute: i64) -> bool {
    let phase = minute.rem_euclid(SPIKE_PERIOD_MIN);
    (SPIKE_FIRST_MIN..SPIKE_FIRST_MIN + SPIKE_MINUTES).contains(&phase)
}

/// Requests matching a rule during one minute: a pure function of (seed, rule, minute).
pub(super) fn matches(seed: u64, acl_id: &str, rule: &str, t: RuleTraffic, minute: i64) -> u64 {
    let mut rng = rng_for(seed, &format!("waf/{acl_id}/{rule}"), minute);
    // Draw everything every time, so one branch never shifts another's numbers.
    let level = t.per_minute * rng.random_range(0.55..1.45);
    let jitter = rng.random_range(0.0..1.0);
    let burst = rng.random_range(80..220u64);
    let base = (level + jitter).floor() as u64;
    if t.spike && in_spike(minute) {
        base + burst
    } else {
        base
    }
}

/// Where a rule's matches land given what it does: a plain rule by its action, a group reference
/// blocks unless overridden to Count (per-rule Count overrides take a share).
pub(super) fn bucket(kind: &RuleKind, n: u64) -> RuleCounts {
    let mut c = RuleCounts::default();
    match kind {
        RuleKind::Plain {
            action: RuleAction::Allow,
        } => c.allowed = n,
        RuleKind::Plain {
            action: RuleAction::Count,
        }
        | RuleKind::Group {
            override_action: OverrideAction::Count,
            ..
        } => c.counted = n,
        RuleKind::Plain { .. } => c.blocked = n,
        RuleKind::Group { rule_overrides, .. } => {
            let counts_some = rule_overrides.iter().any(|o| o.action == RuleAction::Count);
            let counted = if counts_some {
                (n as f64 * OVERRIDE_COUNT_SHARE).round() as u64
            } else {
                0
            };
            c.counted = counted;
            c.blocked = n - counted;
        }
    }
    c
}

impl DemoWorld {
    /// The rule's kind at `t_ms`: the last change before then, or as configured.
    pub(super) fn rule_kind_at<'a>(
        &'a self,
        changes: &'a Changes,
        acl_id: &str,
        rule: &'a WafRule,
        t_ms: i64,
    ) -> &'a RuleKind {
        changes
            .rule_kind_at(acl_id, &rule.name, t_ms)
            .unwrap_or(&rule.kind)
    }

    /// The requests no rule ended, per minute, as CloudWatch's `Rule=Default_Action` gives
    /// them: the ordinary traffic the default action (Allow in every demo ACL) let through,
    /// several hundred requests a minute.
    fn default_action(&self, acl: &WebAcl, first: i64, current: i64) -> Vec<RuleCounts> {
        let base = 300 + fnv64(&format!("{}/{}/default", self.seed, acl.id)) % 600;
        (first..=current)
            .map(|m| RuleCounts {
                allowed: base + fnv64(&format!("{}/{}/default/{m}", self.seed, acl.id)) % 120,
                ..RuleCounts::default()
            })
            .collect()
    }

    /// The ACL's own per-minute totals, as CloudWatch's `Rule=ALL` gives them: what its rules
    /// allowed, blocked and counted, plus what its default action decided.
    fn acl_totals(acl: &WebAcl) -> Vec<RuleCounts> {
        acl.default_series
            .iter()
            .enumerate()
            .map(|(i, default)| {
                let mut c = *default;
                acl.rules
                    .iter()
                    .filter_map(|r| r.series.get(i))
                    .for_each(|r| c.add(r));
                c
            })
            .collect()
    }

    /// The requests rule `rule` matched in minute `m` (seen at `now_ms`): its usual traffic,
    /// except that the requests of blocked senders end at the IP set's rule (priority 0): the
    /// flood's share that the set holds, and the requests the demo's logs show refused.
    pub(super) fn matched_in_minute(
        &self,
        changes: &Changes,
        spec: &AclSpec,
        (rule, traffic): (&str, RuleTraffic),
        m: i64,
        now_ms: i64,
    ) -> u64 {
        let acl_id = spec.acl.id.as_str();
        let flood = Self::flood_rule(spec);
        // As the set was when the minute began: the demo shows a minute's whole count from its
        // first second, so a block takes effect from the next minute (like a toggle); taking
        // the set at the minute's end moved requests already shown under block-xmlrpc to the
        // IP set's rule the moment `b` was pressed, and block-xmlrpc's Blocked went back.
        let share = blocked_share(&changes.blocked_at(m * 60_000 - 1));
        match traffic.category {
            Category::Listed => {
                let flood_n = flood.map_or(0.0, |(name, t)| {
                    matches(self.seed, acl_id, &name, t, m) as f64 * share
                });
                flood_n.round() as u64 + self.refused_in_minute(changes, m, now_ms)
            }
            Category::Xmlrpc => {
                let all = matches(self.seed, acl_id, rule, traffic, m);
                all - (all as f64 * share).round() as u64
            }
            _ => matches(self.seed, acl_id, rule, traffic, m),
        }
    }

    /// The flood's rule of an ACL (the one its blocked senders' requests would otherwise end at).
    pub(super) fn flood_rule(spec: &AclSpec) -> Option<(String, RuleTraffic)> {
        spec.acl
            .rules
            .iter()
            .zip(&spec.traffic)
            .find(|(_, t)| t.category == Category::Xmlrpc)
            .map(|(r, t)| (r.name.clone(), *t))
    }

    /// The WAF panel at `now_ms`: each rule's current kind and its last 15 minutes, oldest first.
    pub(super) fn waf_view_at(&self, changes: &Changes, now_ms: i64) -> WafView {
        let current = now_ms.div_euclid(60_000);
        let first = current - i64::from(self.waf_window) + 1;
        let acls = self
            .estate
            .acls
            .iter()
            .map(|spec| {
                let mut acl = spec.acl.clone();
                for (rule, traffic) in acl.rules.iter_mut().zip(&spec.traffic) {
                    let original = rule.clone();
                    rule.series = (first..=current)
                        .map(|m| {
                            // A minute's requests end as the rule was when the minute began.
                            // The demo shows a minute's whole count from its first second, so
                            // a change takes effect from the next minute: taking the kind at
                            // the minute's end (or now) re-labelled the requests already shown
                            // blocked as counted the moment `t` was pressed, and the rule's
                            // Blocked figure went back (124 → 117).
                            let kind =
                                self.rule_kind_at(changes, &acl.id, &original, m * 60_000 - 1);
                            let n = self.matched_in_minute(
                                changes,
                                spec,
                                (&rule.name, *traffic),
                                m,
                                now_ms,
                            );
                            bucket(kind, n)
                        })
                        .collect();
                    rule.kind = self
                        .rule_kind_at(changes, &acl.id, &original, now_ms)
                        .clone();
                }
                acl.default_series = self.default_action(&acl, first, current);
                // The logged requests of blocked senders were the default action's to allow;
                // now the IP set's rule blocks them instead.
                let listed = spec.traffic.iter().any(|t| t.category == Category::Listed);
                if listed {
                    for (m, d) in (first..=current).zip(acl.default_series.iter_mut()) {
                        let refused = self.refused_in_minute(changes, m, now_ms);
                        d.allowed = d.allowed.saturating_sub(refused);
                    }
                }
                acl.series = Self::acl_totals(&acl);
                acl
            })
            .collect();
        WafView {
            own_ranges: Default::default(),
            acls,
            window_minutes: self.waf_window,
            unreadable: vec![],
            ip_sets: vec![crate::model::waf::IpSet {
                account: Some(BLOCKED_HOME.account()),
                name: BLOCKED_SET.to_string(),
                id: acl_id(BLOCKED_SET),
                arn: ip_set_arn(),
                scope: WafScope::Cloudfront,
                region: VIRGINIA.to_string(),
                version: "IPV4".to_string(),
                addresses: changes.blocked_at(now_ms),
                web_acl: BLOCKED_ACL.to_string(),
            }],
        }
    }
}

/// The `/xmlrpc.php` flood's senders (seed S4) and their shares of it; the rest comes from
/// anywhere. Samples draw from the same table.
pub(super) const FLOOD: &[(&str, f64)] = &[
    ("198.51.100.77", 0.6),
    ("192.0.2.145", 0.2),
    ("203.0.113.201", 0.1),
];

/// The part of the flood the IP set's addresses make.
fn blocked_share(blocked: &[String]) -> f64 {
    FLOOD
        .iter()
        .filter(|(ip, _)| blocked.iter().any(|b| same_address(b, ip)))
        .map(|(_, share)| share)
        .sum()
}

/// Whether an IP set entry (`192.0.2.44/32`, as WAF keeps it) is the address `ip`.
pub(super) fn same_address(entry: &str, ip: &str) -> bool {
    entry.strip_suffix("/32").unwrap_or(entry) == ip
}
