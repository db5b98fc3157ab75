//! WAFv2: web ACLs (REGIONAL in every selected region, CLOUDFRONT in us-east-1), their rules,
//! what they protect, per-rule counts from CloudWatch, and sampled requests on demand.
//!
//! `GetWebACL` is called only when an ACL's lock token in `ListWebACLs` changed; counts are
//! fetched no faster than CloudWatch's one-minute period.

use super::super::{ErrorKind, SampleSource, Source, SourceError};
use super::clients::{RegionClients, has_cloudfront_waf};
use super::error::from_sdk;
use super::metrics::{self, MetricQuery};
use crate::model::waf::{ForwardedSet, Header, LabelMatch, Matching, SetAddresses};
use crate::model::{
    OverrideAction, RuleAction, RuleCounts, RuleKind, RuleOverride, RuleSamples, SampledRequest,
    WafRule, WafScope, WafView, WebAcl,
};
use aws_sdk_wafv2 as waf;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::{StreamExt, TryStreamExt};
use std::collections::HashMap;
use std::sync::Mutex;

/// Counts are per-minute sums; fetching them more often buys nothing and costs money.
const METRIC_PERIOD_SECS: i64 = 60;
const LIST_LIMIT: i32 = 100;
/// Web ACLs read at once when their lock tokens changed (an account has a handful).
const ACL_READS_IN_FLIGHT: usize = 4;
const SAMPLE_ITEMS: i64 = 100;
/// Minutes of the most recent traffic a sample is asked for. WAF samples from the first 5,000
/// requests of the window it is given: on a busy ACL a 15-minute window would show its oldest
/// minutes, not what is happening now.
const SAMPLE_MINUTES: i64 = 3;
/// Seconds between reads of what an ACL protects.
const ASSOCIATIONS_EVERY_SECS: i64 = 300;
/// Every regional resource type an ACL can protect (`ListResourcesForWebACL` lists one type a
/// call).
const PROTECTED_TYPES: &[waf::types::ResourceType] = &[
    waf::types::ResourceType::ApplicationLoadBalancer,
    waf::types::ResourceType::ApiGateway,
    waf::types::ResourceType::Appsync,
    waf::types::ResourceType::CognitioUserPool,
    waf::types::ResourceType::AppRunnerService,
    waf::types::ResourceType::VerifiedAccessInstance,
];
/// The key of an ACL's own totals among its rules' counts (no rule name has a NUL in it).
const ACL_TOTALS: &str = "\0ALL";
/// The key of the requests an ACL's default action decided (`Rule=Default_Action`).
const ACL_DEFAULT: &str = "\0Default_Action";

/// One place web ACLs live: a region and a scope, with the clients to reach them.
#[derive(Clone)]
struct Place {
    region: String,
    scope: WafScope,
    clients: RegionClients,
}

impl Place {
    /// "ap-northeast-1", "CloudFront (us-east-1)": where an operator would look for it.
    fn label(&self) -> String {
        match self.scope {
            WafScope::Regional => self.region.clone(),
            WafScope::Cloudfront => format!("CloudFront ({})", self.region),
        }
    }

    fn sdk_scope(&self) -> waf::types::Scope {
        match self.scope {
            WafScope::Regional => waf::types::Scope::Regional,
            WafScope::Cloudfront => waf::types::Scope::Cloudfront,
        }
    }
}

/// What GetWebACL told us, kept until the lock token changes.
#[derive(Clone)]
struct CachedAcl {
    lock_token: String,
    acl: WebAcl,
    arn: String,
    /// Rule name → the metric name its counts are published under.
    metric_names: HashMap<String, String>,
    /// Rule name → its reference to one of the account's rule groups (whose rules `b` looks
    /// into when a blocklist names the ACL).
    group_refs: HashMap<String, waf::types::RuleGroupReferenceStatement>,
}

#[derive(Default)]
struct Counts {
    fetched_at: Option<DateTime<Utc>>,
    /// (ACL id, rule name) → per-minute counts, oldest first.
    series: HashMap<(String, String), Vec<RuleCounts>>,
}

pub struct WafSource {
    places: Vec<Place>,
    /// ACL ARN → what it protects and when that was read.
    associations: super::LastRead<String>,
    /// Each place's last ACLs and when they were read, shown while it cannot be read.
    last_read: super::LastRead<(Place, CachedAcl)>,
    window_minutes: u32,
    acls: Mutex<HashMap<String, CachedAcl>>,
    counts: Mutex<Counts>,
    /// Seconds between CloudWatch reads (never under the metrics' one-minute period).
    metrics_every: i64,
    /// The IP sets `[[waf.blocklist]]` names, and their last reads.
    blocklists: Vec<super::ip_sets::Wanted>,
    /// Where our own ranges (VPCs, NAT gateways) are read (only when there are blocklists:
    /// `b` refuses inside them).
    vpc_regions: Vec<RegionClients>,
    ip_sets: super::ip_sets::IpSets,
}

impl WafSource {
    pub fn new(regions: &[RegionClients], global: &RegionClients, window_minutes: u32) -> Self {
        let mut places: Vec<Place> = regions
            .iter()
            .map(|r| Place {
                region: r.region.clone(),
                scope: WafScope::Regional,
                clients: r.clone(),
            })
            .collect();
        if has_cloudfront_waf(&global.region) {
            places.push(Place {
                region: global.region.clone(),
                scope: WafScope::Cloudfront,
                clients: global.clone(),
            });
        }
        WafSource {
            places,
            associations: Mutex::new(HashMap::new()),
            last_read: Mutex::new(HashMap::new()),
            window_minutes: window_minutes.clamp(1, 180),
            acls: Mutex::new(HashMap::new()),
            counts: Mutex::new(Counts::default()),
            metrics_every: METRIC_PERIOD_SECS,
            blocklists: Vec::new(),
            // Their EC2 clients are built only if a blocklist needs our ranges.
            vpc_regions: regions.to_vec(),
            ip_sets: Default::default(),
        }
    }

    /// Also reads the IP sets `b` adds addresses to.
    pub fn with_blocklists(mut self, blocklists: Vec<super::ip_sets::Wanted>) -> Self {
        self.blocklists = blocklists;
        self
    }

    /// Reads the rules' CloudWatch counts every `secs` (at least the one-minute period).
    pub fn with_metrics_every(mut self, secs: u64) -> Self {
        self.metrics_every = (secs as i64).max(METRIC_PERIOD_SECS);
        self
    }

    async fn place(&self, p: &Place) -> Result<Vec<CachedAcl>, SourceError> {
        let c = p.clients.waf();
        let mut summaries = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let out = c
                .list_web_acls()
                .scope(p.sdk_scope())
                .limit(LIST_LIMIT)
                .set_next_marker(marker.take())
                .send()
                .await
                .map_err(|e| from_sdk("wafv2 ListWebACLs", e))?;
            let page = out.web_acls().to_vec();
            let empty = page.is_empty();
            summaries.extend(page);
            match out.next_marker() {
                Some(m) if !m.is_empty() && !empty => marker = Some(m.to_string()),
                _ => break,
            }
        }
        // ACLs whose token changed are read side by side, in the order listed.
        futures::stream::iter(summaries)
            .map(|s| self.acl(p, s))
            .buffered(ACL_READS_IN_FLIGHT)
            .try_filter_map(|a| async move { Ok(a) })
            .try_collect()
            .await
    }

    /// The ACL as cached while its lock token is the one listed, else read again.
    async fn acl(
        &self,
        p: &Place,
        s: waf::types::WebAclSummary,
    ) -> Result<Option<CachedAcl>, SourceError> {
        let (Some(id), Some(name), Some(token)) = (s.id(), s.name(), s.lock_token()) else {
            return Ok(None);
        };
        let cached = self
            .acls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned();
        if let Some(c) = cached.filter(|c| c.lock_token == token) {
            return Ok(Some(c));
        }
        let fresh = self.read_acl(p, id, name).await?;
        self.acls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_string(), fresh.clone());
        Ok(Some(fresh))
    }

    async fn read_acl(&self, p: &Place, id: &str, name: &str) -> Result<CachedAcl, SourceError> {
        let out = p
            .clients
            .waf()
            .get_web_acl()
            .scope(p.sdk_scope())
            .id(id)
            .name(name)
            .send()
            .await
            .map_err(|e| from_sdk("wafv2 GetWebACL", e))?;
        let Some(acl) = out.web_acl() else {
            return Err(SourceError::new(
                ErrorKind::NotFound,
                format!("web ACL {name} vanished"),
            ));
        };
        let mut rules: Vec<&waf::types::Rule> = acl.rules().iter().collect();
        rules.sort_by_key(|r| r.priority());
        // Firewall Manager's groups run before (pre-process) and after (post-process) the
        // ACL's own rules.
        let managed = |groups: &[waf::types::FirewallManagerRuleGroup], when: &str| {
            let mut groups: Vec<WafRule> = groups.iter().map(|g| fms_rule(g, when)).collect();
            groups.sort_by_key(|g| g.priority);
            groups
        };
        let fms_metrics = acl
            .pre_process_firewall_manager_rule_groups()
            .iter()
            .chain(acl.post_process_firewall_manager_rule_groups())
            .map(|g| {
                let metric = g
                    .visibility_config()
                    .map(|v| v.metric_name().to_string())
                    .unwrap_or_else(|| g.name().to_string());
                (g.name().to_string(), metric)
            });
        let metric_names = rules
            .iter()
            .map(|r| {
                let metric = r
                    .visibility_config()
                    .map(|v| v.metric_name().to_string())
                    .unwrap_or_else(|| r.name().to_string());
                (r.name().to_string(), metric)
            })
            .chain(fms_metrics)
            .collect();
        let group_refs = rules
            .iter()
            .filter_map(|r| {
                let g = r.statement()?.rule_group_reference_statement()?;
                Some((r.name().to_string(), g.clone()))
            })
            .collect();
        let own = rules.into_iter().map(|r| WafRule {
            name: r.name().to_string(),
            priority: i64::from(r.priority()),
            kind: rule_kind(r),
            series: Vec::new(),
            metrics_off: r
                .visibility_config()
                .is_some_and(|v| !v.cloud_watch_metrics_enabled()),
            managed_by: None,
            ip_sets: super::ip_sets::matching_ip_sets(r.statement()),
            matching: matching(r.statement()),
        });
        Ok(CachedAcl {
            lock_token: out.lock_token().unwrap_or_default().to_string(),
            arn: acl.arn().to_string(),
            metric_names,
            group_refs,
            acl: WebAcl {
                account: None,
                series: Vec::new(),
                default_series: Vec::new(),
                name: acl.name().to_string(),
                id: acl.id().to_string(),
                scope: p.scope,
                region: p.region.clone(),
                default_action: match acl.default_action().and_then(|d| d.block()) {
                    Some(_) => RuleAction::Block,
                    None => RuleAction::Allow,
                },
                // Filled in beside the counts, on their own clock (`associations`).
                protects: Vec::new(),
                rules: managed(acl.pre_process_firewall_manager_rule_groups(), "first")
                    .into_iter()
                    .chain(own)
                    .chain(managed(
                        acl.post_process_firewall_manager_rule_groups(),
                        "last",
                    ))
                    .collect(),
            },
        })
    }

    /// Names of the resources a regional ACL protects, of every type WAF associates (without
    /// `ResourceType` the call lists load balancers only). Associating a resource does not
    /// change the ACL's lock token, so this is read on its own clock, every
    /// `ASSOCIATIONS_EVERY`, beside the counts and never before them. A type the caller may not
    /// list (each needs its service's permission too) is left out; the rules still show.
    async fn protected(&self, p: &Place, arn: &str) -> Vec<String> {
        // CloudFront ACLs protect distributions, which this call does not list.
        if p.scope != WafScope::Regional || arn.is_empty() {
            return Vec::new();
        }
        let now = Utc::now();
        if let Some((at, names)) = self
            .associations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(arn)
            && (now - *at).num_seconds() < ASSOCIATIONS_EVERY_SECS
        {
            return names.clone();
        }
        let asks = PROTECTED_TYPES.iter().map(|kind| {
            p.clients
                .waf()
                .list_resources_for_web_acl()
                .web_acl_arn(arn)
                .resource_type(kind.clone())
                .send()
        });
        let mut names = Vec::new();
        for answer in futures::future::join_all(asks).await {
            match answer {
                Ok(out) => names.extend(out.resource_arns().iter().map(|a| resource_name(a))),
                Err(e) => {
                    tracing::debug!(error = %from_sdk("wafv2 ListResourcesForWebACL", e), "association unknown")
                }
            }
        }
        names.sort();
        names.dedup();
        self.associations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(arn.to_string(), (now, names.clone()));
        names
    }

    /// Per-rule allowed/blocked/counted per minute, one batched GetMetricData per region, at most
    /// once per metric period.
    async fn counts(
        &self,
        acls: &[(Place, CachedAcl)],
    ) -> Result<HashMap<(String, String), Vec<RuleCounts>>, SourceError> {
        let now = Utc::now();
        {
            let c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(at) = c.fetched_at
                && (now - at).num_seconds() < self.metrics_every
            {
                return Ok(c.series.clone());
            }
        }
        // Whole minutes, so buckets match CloudWatch's periods; the last bucket is the minute now
        // under way, where a burst shows first.
        let minute = DateTime::from_timestamp(now.timestamp() / 60 * 60, 0).unwrap_or(now);
        let end = minute + chrono::Duration::minutes(1);
        let start = end - chrono::Duration::minutes(i64::from(self.window_minutes));
        let mut series = HashMap::new();
        let mut by_region: HashMap<String, Vec<&(Place, CachedAcl)>> = HashMap::new();
        for a in acls {
            by_region.entry(a.0.region.clone()).or_default().push(a);
        }
        for (_, group) in by_region {
            let Some(client) = group.first().map(|(p, _)| p.clients.cloudwatch().clone()) else {
                continue;
            };
            let mut queries = Vec::new();
            let mut keys = Vec::new();
            for (place, cached) in &group {
                // Each rule by its metric name, then the ACL's own totals (`Rule=ALL`, the
                // default action included).
                // A rule that publishes no metrics is not asked for (each metric is billed).
                let rules = cached
                    .acl
                    .rules
                    .iter()
                    .filter(|r| !r.metrics_off)
                    .map(|rule| {
                        let metric_name = cached
                            .metric_names
                            .get(&rule.name)
                            .cloned()
                            .unwrap_or_else(|| rule.name.clone());
                        (rule.name.clone(), metric_name)
                    });
                let all = [
                    (ACL_TOTALS.to_string(), "ALL".to_string()),
                    (ACL_DEFAULT.to_string(), "Default_Action".to_string()),
                ];
                for (key, metric_name) in rules.chain(all) {
                    for metric in ["AllowedRequests", "BlockedRequests", "CountedRequests"] {
                        let mut dimensions = vec![
                            ("WebACL", cached.acl.name.clone()),
                            ("Rule", metric_name.clone()),
                        ];
                        if place.scope == WafScope::Regional {
                            dimensions.push(("Region", place.region.clone()));
                        }
                        queries.push(MetricQuery {
                            namespace: "AWS/WAFV2",
                            metric,
                            dimensions,
                            stat: "Sum",
                        });
                    }
                    keys.push((cached.acl.id.clone(), key));
                }
            }
            let results =
                metrics::fetch(&client, &queries, start, end, METRIC_PERIOD_SECS as i32).await?;
            for (i, key) in keys.into_iter().enumerate() {
                // An ACL whose own totals returned no datapoint at all (its metrics are off)
                // keeps none: its row then sums its rules rather than claim zero traffic.
                if (key.1 == ACL_TOTALS || key.1 == ACL_DEFAULT)
                    && (0..3).all(|j| results[i * 3 + j].is_empty())
                {
                    continue;
                }
                let per =
                    |j: usize| metrics::per_minute(&results[i * 3 + j], end, self.window_minutes);
                let (allowed, blocked, counted) = (per(0), per(1), per(2));
                let points = (0..self.window_minutes as usize)
                    .map(|m| RuleCounts {
                        allowed: allowed[m],
                        blocked: blocked[m],
                        counted: counted[m],
                    })
                    .collect();
                series.insert(key, points);
            }
        }
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        c.fetched_at = Some(now);
        c.series = series.clone();
        Ok(series)
    }
}

/// A Firewall Manager rule group as a rule of the ACL (evaluated `when`: "first" or "last").
fn fms_rule(g: &waf::types::FirewallManagerRuleGroup, when: &str) -> WafRule {
    let statement = g.firewall_manager_statement();
    let group = group_name(
        statement.and_then(|s| s.managed_rule_group_statement()),
        statement.and_then(|s| s.rule_group_reference_statement()),
    );
    WafRule {
        name: g.name().to_string(),
        priority: i64::from(g.priority()),
        kind: RuleKind::Group {
            group,
            override_action: if g.override_action().and_then(|o| o.count()).is_some() {
                OverrideAction::Count
            } else {
                OverrideAction::None
            },
            rule_overrides: Vec::new(),
        },
        series: Vec::new(),
        metrics_off: g
            .visibility_config()
            .is_some_and(|v| !v.cloud_watch_metrics_enabled()),
        managed_by: Some(format!("Firewall Manager, {when}")),
        ip_sets: Vec::new(),
        matching: Matching::default(),
    }
}

/// What a rule's statement says beyond its IP sets: which of them are matched on a header,
/// the labels it looks for, and for a group reference the namespace of the group's labels.
fn matching(statement: Option<&waf::types::Statement>) -> Matching {
    let forwarded = super::ip_sets::references(statement)
        .into_iter()
        .filter_map(|(arn, f)| Some(ForwardedSet { arn, ip: f? }))
        .collect();
    let mut labels = Vec::new();
    if let Some(s) = statement {
        label_matches(s, &mut labels);
    }
    Matching {
        forwarded,
        labels,
        label_namespace: statement.and_then(label_namespace),
        ..Matching::default()
    }
}

/// Every `LabelMatchStatement` in a statement, however nested.
fn label_matches(s: &waf::types::Statement, out: &mut Vec<LabelMatch>) {
    if let Some(l) = s.label_match_statement() {
        out.push(LabelMatch {
            namespace: *l.scope() == waf::types::LabelMatchScope::Namespace,
            key: l.key().to_string(),
        });
    }
    let nested = s
        .and_statement()
        .map(|a| a.statements())
        .into_iter()
        .chain(s.or_statement().map(|o| o.statements()))
        .flatten()
        .chain(s.not_statement().and_then(|n| n.statement()))
        .chain(
            s.rate_based_statement()
                .and_then(|r| r.scope_down_statement()),
        )
        .chain(
            s.managed_rule_group_statement()
                .and_then(|m| m.scope_down_statement()),
        );
    for inner in nested {
        label_matches(inner, out);
    }
}

/// The namespace a referenced group's labels are added under: `awswaf:<account>:rulegroup:
/// <name>:` for one of the account's, `awswaf:managed:aws:<group>:` for AWS's managed groups
/// the console knows. `None` for anything else.
fn label_namespace(s: &waf::types::Statement) -> Option<String> {
    if let Some(g) = s.rule_group_reference_statement() {
        // arn:aws:wafv2:<region>:<account>:regional/rulegroup/<name>/<id>
        let account = g.arn().split(':').nth(4).filter(|a| !a.is_empty())?;
        let name = g.arn().rsplit('/').nth(1)?;
        return Some(format!("awswaf:{account}:rulegroup:{name}:"));
    }
    let m = s.managed_rule_group_statement()?;
    crate::model::waf::managed_label_namespace(m.vendor_name(), m.name())
}

/// "AWS/AWSManagedRulesPHPRuleSet" for a managed group, the group's own name for one of the
/// account's (from its ARN).
fn group_name(
    managed: Option<&waf::types::ManagedRuleGroupStatement>,
    own: Option<&waf::types::RuleGroupReferenceStatement>,
) -> String {
    match (managed, own) {
        (Some(m), _) => format!("{}/{}", m.vendor_name(), m.name()),
        (None, Some(g)) => g.arn().rsplit('/').nth(1).unwrap_or(g.arn()).to_string(),
        (None, None) => "rule group".to_string(),
    }
}

pub(super) fn rule_kind(r: &waf::types::Rule) -> RuleKind {
    if let Some(o) = r.override_action() {
        let statement = r.statement();
        let managed = statement.and_then(|s| s.managed_rule_group_statement());
        let own = statement.and_then(|s| s.rule_group_reference_statement());
        let group = group_name(managed, own);
        let overrides = managed
            .map(|m| m.rule_action_overrides())
            .or(own.map(|g| g.rule_action_overrides()))
            .unwrap_or_default();
        return RuleKind::Group {
            group,
            override_action: if o.count().is_some() {
                OverrideAction::Count
            } else {
                OverrideAction::None
            },
            rule_overrides: overrides
                .iter()
                .map(|ov| RuleOverride {
                    rule: ov.name().to_string(),
                    action: ov.action_to_use().map(action).unwrap_or(RuleAction::Count),
                })
                .collect(),
        };
    }
    RuleKind::Plain {
        action: r.action().map(action).unwrap_or(RuleAction::Count),
    }
}

pub(super) fn action(a: &waf::types::RuleAction) -> RuleAction {
    if a.block().is_some() {
        RuleAction::Block
    } else if a.allow().is_some() {
        RuleAction::Allow
    } else if a.captcha().is_some() {
        RuleAction::Captcha
    } else if a.challenge().is_some() {
        RuleAction::Challenge
    } else if a.monetize().is_some() {
        RuleAction::Monetize
    } else {
        RuleAction::Count
    }
}

/// `arn:aws:elasticloadbalancing:…:loadbalancer/app/wp-alb/50dc6c495c0c9188` → `wp-alb`.
fn resource_name(arn: &str) -> String {
    match arn.split_once(":loadbalancer/") {
        Some((_, rest)) => rest.split('/').nth(1).unwrap_or(rest).to_string(),
        None => arn.rsplit('/').next().unwrap_or(arn).to_string(),
    }
}

#[cfg(test)]
impl WafSource {
    /// The ACLs as read from WAF, with what they protect and without counts (tests that don't
    /// mock CloudWatch).
    pub async fn acls_for_test(&self) -> Result<Vec<WebAcl>, SourceError> {
        let mut out = Vec::new();
        for p in &self.places {
            for c in self.place(p).await? {
                let mut acl = c.acl;
                acl.protects = self.protected(p, &c.arn).await;
                out.push(acl);
            }
        }
        Ok(out)
    }
}

impl Source<WafView> for WafSource {
    fn fetch(&self) -> BoxFuture<'_, Result<WafView, SourceError>> {
        Box::pin(async move {
            let per_place =
                futures::future::join_all(self.places.iter().map(|p| self.place(p))).await;
            // Each place stands on its own: one that cannot be read (a region an SCP denies,
            // CloudFront's us-east-1 outside an account's regions) keeps its last ACLs with its
            // own error beside the places that were read.
            let answers = self
                .places
                .iter()
                .zip(per_place)
                .map(|(p, r)| {
                    let read = r.map(|acls| acls.into_iter().map(|a| (p.clone(), a)).collect());
                    (p.label(), read)
                })
                .collect();
            let (acls, mut unreadable): (Vec<(Place, CachedAcl)>, _) =
                super::by_place(&self.last_read, answers)?;
            let (ip_sets, allow_sets, groups, sets_unread) = self.blocking(&acls).await;
            unreadable.extend(sets_unread);
            let own_ranges = if self.blocklists.is_empty() {
                Vec::new()
            } else {
                let (ranges, unread) = self.ip_sets.own_ranges(&self.vpc_regions).await;
                unreadable.extend(unread);
                ranges
            };
            // What each ACL protects is read beside the counts, never before them.
            let protects =
                futures::future::join_all(acls.iter().map(|(p, c)| self.protected(p, &c.arn)));
            let (counts, protects) = futures::join!(self.counts(&acls), protects);
            let counts = counts?;
            let acls = acls
                .into_iter()
                .zip(protects)
                .map(|((p, c), protects)| {
                    let mut acl = c.acl;
                    if self
                        .blocklists
                        .iter()
                        .any(|w| w.is_for(&acl.name, &p.region, p.scope))
                    {
                        blocking_facts(&mut acl, &c.group_refs, &allow_sets, &groups);
                    }
                    acl.protects = protects;
                    acl.series = counts
                        .get(&(acl.id.clone(), ACL_TOTALS.to_string()))
                        .cloned()
                        .unwrap_or_default();
                    acl.default_series = counts
                        .get(&(acl.id.clone(), ACL_DEFAULT.to_string()))
                        .cloned()
                        .unwrap_or_default();
                    for rule in &mut acl.rules {
                        rule.series = counts
                            .get(&(acl.id.clone(), rule.name.clone()))
                            .cloned()
                            .unwrap_or_default();
                    }
                    acl
                })
                .collect();
            Ok(WafView {
                acls,
                window_minutes: self.window_minutes,
                unreadable,
                ip_sets,
                own_ranges,
            })
        })
    }
}

/// The account's rule groups read for blocking, by ARN.
type Groups = HashMap<String, super::ip_sets::ReadGroup>;

impl WafSource {
    /// What `b` needs of the ACLs a blocklist names: the configured sets, the sets their Allow
    /// rules match, and the account's rule groups they reference.
    async fn blocking(
        &self,
        acls: &[(Place, CachedAcl)],
    ) -> (
        Vec<crate::model::waf::IpSet>,
        Vec<crate::model::waf::IpSet>,
        Groups,
        Vec<crate::model::Unreadable>,
    ) {
        let named: Vec<&(Place, CachedAcl)> = acls
            .iter()
            .filter(|(p, c)| {
                self.blocklists
                    .iter()
                    .any(|w| w.is_for(&c.acl.name, &p.region, p.scope))
            })
            .collect();
        let mut allow_arns: Vec<(super::ip_sets::PlaceKey, waf::Client, Vec<String>)> = Vec::new();
        let mut groups = Groups::new();
        for (p, c) in &named {
            let arns: Vec<String> = c
                .acl
                .rules
                .iter()
                .filter(|r| {
                    matches!(
                        r.kind,
                        RuleKind::Plain {
                            action: RuleAction::Allow
                        }
                    )
                })
                .flat_map(|r| r.ip_sets.iter().cloned())
                .collect();
            if !arns.is_empty() {
                allow_arns.push(((p.region.clone(), p.scope), p.clients.waf().clone(), arns));
            }
            let group_arns: Vec<String> =
                c.group_refs.values().map(|g| g.arn().to_string()).collect();
            groups.extend(
                self.ip_sets
                    .groups(p.clients.waf(), p.scope, &group_arns)
                    .await,
            );
        }
        let (sets, allow_sets, unreadable) = self.ip_sets.read(&self.blocklists, &allow_arns).await;
        (sets, allow_sets, groups, unreadable)
    }
}

/// Fills in what `b` needs of an ACL a blocklist names: the addresses its Allow rules let
/// through, and the rules inside the groups it references that block an IP set's addresses.
fn blocking_facts(
    acl: &mut WebAcl,
    group_refs: &HashMap<String, waf::types::RuleGroupReferenceStatement>,
    allow_sets: &[crate::model::waf::IpSet],
    groups: &Groups,
) {
    for rule in &mut acl.rules {
        rule.matching.set_addresses = rule
            .ip_sets
            .iter()
            .filter_map(|arn| allow_sets.iter().find(|s| &s.arn == arn))
            .map(|s| SetAddresses {
                arn: s.arn.clone(),
                name: s.name.clone(),
                addresses: s.addresses.clone(),
            })
            .collect();
        rule.matching.group_blocks = group_refs
            .get(&rule.name)
            .and_then(|r| Some(super::ip_sets::group_blocks(groups.get(r.arn())?, r)))
            .unwrap_or_default();
    }
}

impl SampleSource for WafSource {
    fn sampled_requests<'a>(
        &'a self,
        acl_id: &'a str,
        rule: &'a str,
    ) -> BoxFuture<'a, Result<RuleSamples, SourceError>> {
        Box::pin(async move {
            let cached = self
                .acls
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(acl_id)
                .cloned();
            let Some(cached) = cached else {
                return Err(SourceError::new(
                    ErrorKind::NotFound,
                    format!("unknown web ACL {acl_id}"),
                ));
            };
            let place = self
                .places
                .iter()
                .find(|p| p.region == cached.acl.region && p.scope == cached.acl.scope)
                .ok_or_else(|| {
                    SourceError::new(ErrorKind::NotFound, "no client for the ACL's region")
                })?;
            let metric = cached.metric_names.get(rule).ok_or_else(|| {
                SourceError::new(
                    ErrorKind::NotFound,
                    format!("no rule {rule} in {}", cached.acl.name),
                )
            })?;
            let end = Utc::now();
            let start =
                end - chrono::Duration::minutes(SAMPLE_MINUTES.min(i64::from(self.window_minutes)));
            let window = waf::types::TimeWindow::builder()
                .start_time(aws_smithy_types::DateTime::from_secs(start.timestamp()))
                .end_time(aws_smithy_types::DateTime::from_secs(end.timestamp()))
                .build()
                .map_err(|e| SourceError::new(ErrorKind::Other, e.to_string()))?;
            let out = place
                .clients
                .waf()
                .get_sampled_requests()
                .web_acl_arn(&cached.arn)
                .rule_metric_name(metric)
                .scope(place.sdk_scope())
                .time_window(window)
                .max_items(SAMPLE_ITEMS)
                .send()
                .await
                .map_err(|e| from_sdk("wafv2 GetSampledRequests", e))?;
            let at = |t: &aws_smithy_types::DateTime| DateTime::from_timestamp(t.secs(), 0);
            Ok(RuleSamples {
                acl_id: acl_id.to_string(),
                rule: rule.to_string(),
                requests: out.sampled_requests().iter().map(sample).collect(),
                window: out
                    .time_window()
                    .and_then(|w| Some((at(w.start_time())?, at(w.end_time())?))),
                population: Some(out.population_size()),
            })
        })
    }
}

/// Raw remote text: the view layer cleans it before display.
fn sample(s: &waf::types::SampledHttpRequest) -> SampledRequest {
    let r = s.request();
    SampledRequest {
        time: s
            .timestamp()
            .and_then(|t| DateTime::from_timestamp(t.secs(), 0))
            .unwrap_or_default(),
        client_ip: r
            .and_then(|r| r.client_ip())
            .unwrap_or_default()
            .to_string(),
        country: r.and_then(|r| r.country()).unwrap_or_default().to_string(),
        method: r.and_then(|r| r.method()).unwrap_or_default().to_string(),
        uri: r.and_then(|r| r.uri()).unwrap_or_default().to_string(),
        action: s.action().unwrap_or_default().to_string(),
        headers: r
            .map(|r| r.headers())
            .unwrap_or_default()
            .iter()
            .map(|h| Header {
                name: h.name().unwrap_or_default().to_string(),
                value: h.value().unwrap_or_default().to_string(),
            })
            .collect(),
        // A weight under 1 would be WAF's mistake: the sample still stands for a request.
        weight: u64::try_from(s.weight()).unwrap_or(1).max(1),
    }
}
