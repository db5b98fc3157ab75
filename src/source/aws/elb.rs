//! ELBv2: load balancers, listeners and where they forward, target groups with their
//! deregistration delay, and the health of every target, per region.
//!
//! A refresh is one pipeline per region: load balancers and target groups side by side, then
//! every listener and target health read (and a few group attributes) through one queue, with
//! the groups' CloudWatch load beside it. Nothing waits for a read it does not need.

use super::super::{ErrorKind, Source, SourceError};
use super::clients::RegionClients;
use super::ec2::InstanceZones;
use super::error::from_sdk;
use super::listener_rules::{Plan, RuleListings, attached_digest};
use super::metrics::{self, MetricQuery};
use super::pace::Pace;
use crate::model::{
    DEFAULT_DEREGISTRATION_DELAY_SECS, Forward, LbKind, Listener, ListenerRule, LoadBalancer,
    Registration, Target, TargetGroup, TargetGroupMetrics, TargetState, TargetsView,
};
use aws_sdk_elasticloadbalancingv2 as elb;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::{StreamExt, TryStreamExt};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Reads in flight at once within one region's refresh.
const IN_FLIGHT: usize = 10;
/// ELBv2's `Describe*` bucket, per account and region: 40 tokens, refilled at 10 a second
/// ("Request throttling for the ELB API"). The console never asks faster, so a refresh of a
/// large estate is paced rather than throttled and retried.
const QUOTA_BURST: u32 = 40;
const QUOTA_PER_SECOND: u32 = 10;
/// Average `Describe*` calls a second the console allows itself per region: a fifth of the
/// bucket's refill, the rest left to the account's other tooling. A large estate refreshes less
/// often than `[refresh] targets` asks: 50 groups behind 50 HTTP listeners cost 62 calls a
/// refresh, every 31 s, with a few listings of rules now and then (`listener_rules`; 112 calls
/// every 56 s when every listener's rules were listed every refresh); a small one is
/// unaffected (BENCHMARKS.md §18).
const CALLS_PER_SECOND_ON_AVERAGE: f64 = 2.0;
/// Group attributes not read yet that one refresh reads beside the health reads (ELBv2 has no
/// batch call for them). A group with a draining target is read at once whatever this says.
const ATTRIBUTE_READS_PER_REFRESH: usize = 8;
/// `DescribeInstances` calls in flight at once when the console looks up its targets' zones
/// (100 instances each, `ec2::described_by_id`): each answer is ~1 MB of the SDK's model
/// while it is turned into (id, zone), and the lookup happens once per instance, so a console
/// keeps few of them at a time.
const ZONE_CALLS_IN_FLIGHT: usize = 2;
/// The same for a snapshot, whose time is its longest chain of calls and whose zone lookup is
/// the last link of the Targets panel's: 800 instance targets in one round trip. EC2's
/// `Describe*` calls share a bucket of 100 requests refilled at 20 a second.
const ZONE_CALLS_IN_FLIGHT_ONE_SHOT: usize = 8;
/// ELBv2 returns at most 400 per page.
const PAGE_SIZE: i32 = 400;
/// Target group ARN → its load.
type GroupLoad = HashMap<String, TargetGroupMetrics>;

/// CloudWatch's period for load balancer metrics: asking more often buys nothing.
const METRIC_PERIOD_SECS: i64 = 60;
/// Minutes of load a target group row summarises.
const LOAD_MINUTES: u32 = 5;

/// One region's clients, the pace its `Describe*` calls keep, and what its last refresh cost.
struct Region {
    clients: RegionClients,
    pace: Pace,
    last_calls: AtomicUsize,
}

pub struct ElbSource {
    regions: Vec<Region>,
    /// Deregistration delay and cross-zone setting per target group ARN: attributes rarely
    /// change, so they are read once per group rather than every refresh.
    attributes: Mutex<HashMap<String, GroupAttributes>>,
    /// `load_balancing.cross_zone.enabled` of network and gateway load balancers, by ARN (read
    /// once, like the groups' attributes; an ALB's is always on).
    lb_cross_zone: Mutex<HashMap<String, bool>>,
    /// Zone of instance targets whose health description omits it (an instance never moves),
    /// shared with the instances panel.
    zones: InstanceZones,
    /// Target group load per region, with when it was fetched.
    load_cache: Mutex<HashMap<String, (DateTime<Utc>, GroupLoad)>>,
    /// Seconds between CloudWatch reads (never under the metrics' one-minute period).
    metrics_every: i64,
    /// Attributes not read yet that a refresh reads (none in a snapshot: only draining groups).
    attribute_reads: usize,
    /// `DescribeInstances` calls in flight at once to learn the targets' zones.
    zone_calls: usize,
    /// Whether every HTTP(S) listener's rules are read (a console), or only the listeners'
    /// whose load balancer has a group no default action serves (a snapshot).
    every_rule: bool,
    /// A console's listings of its listeners' rules (`listener_rules`).
    rule_listings: RuleListings,
    /// Each region's last answer and when it was read, shown while the region cannot be read.
    last_read: super::LastRead<LoadBalancer>,
}

/// One ELBv2 read of a refresh, queued with the others.
enum Read {
    Listeners(String),
    /// A network or gateway load balancer's attributes: whether it balances across zones.
    LbAttributes(String),
    Health(String),
    Attributes(String),
    /// The rules of one listener (its ARN): a group reached by host or path is served too.
    Rules(String),
    /// Rules described by their ARNs (`listener_rules::RULE_ARNS_PER_CALL` at most).
    RulesByArn(Vec<String>),
}

impl Read {
    /// What `Answer::Gone` says is gone when the read finds its resource deleted.
    fn gone(&self) -> Answer {
        match self {
            Read::Listeners(a)
            | Read::Health(a)
            | Read::Attributes(a)
            | Read::Rules(a)
            | Read::LbAttributes(a) => Answer::Gone(a.clone()),
            Read::RulesByArn(arns) => Answer::RulesGone(arns.clone()),
        }
    }
}

enum Answer {
    Listeners(String, Vec<elb::types::Listener>),
    Health(String, Vec<elb::types::TargetHealthDescription>),
    Rules(String, Vec<elb::types::Rule>),
    RulesByArn(Vec<elb::types::Rule>),
    /// One of these rules was deleted since its listener was listed.
    RulesGone(Vec<String>),
    /// Kept in `attributes`.
    Delay,
    /// The resource (this ARN) was deleted between the listing and this read: a blue/green
    /// deployment replacing a group, a load balancer torn down.
    Gone(String),
}

/// What a group's attributes say that the console uses.
#[derive(Clone)]
struct GroupAttributes {
    delay: u32,
    /// `load_balancing.cross_zone.enabled`: "true", "false" or
    /// "use_load_balancer_configuration" (the default); absent where not supported.
    cross_zone: Option<String>,
}

/// Whether the load balancer sends a group's traffic across zones. `group`: `None` while the
/// group's attributes are unread; inside, its `cross_zone` setting. An ALB always balances across
/// zones unless the group turns it off; a network or gateway load balancer as its own attribute
/// says (off by default).
fn cross_zone(kind: LbKind, group: Option<Option<&str>>, lb: Option<bool>) -> Option<bool> {
    match group {
        Some(Some("true")) => Some(true),
        Some(Some("false")) => Some(false),
        Some(_) if kind == LbKind::Application => Some(true),
        Some(_) => lb,
        None => None,
    }
}

/// A refresh's answers, filed by kind.
#[derive(Default)]
struct Answers {
    listeners: HashMap<String, Vec<elb::types::Listener>>,
    healths: HashMap<String, Vec<elb::types::TargetHealthDescription>>,
    rules: HashMap<String, Vec<elb::types::Rule>>,
    described: Vec<elb::types::Rule>,
    rules_gone: Vec<String>,
    gone: std::collections::HashSet<String>,
}

impl Answers {
    fn file(&mut self, answers: Vec<Answer>) {
        for answer in answers {
            match answer {
                Answer::Listeners(arn, l) => {
                    self.listeners.insert(arn, l);
                }
                Answer::Health(arn, h) => {
                    self.healths.insert(arn, h);
                }
                Answer::Rules(arn, r) => {
                    self.rules.insert(arn, r);
                }
                Answer::RulesByArn(r) => self.described.extend(r),
                Answer::RulesGone(arns) => self.rules_gone.extend(arns),
                Answer::Delay => {}
                Answer::Gone(arn) => {
                    self.gone.insert(arn);
                }
            }
        }
    }
}

/// A target group as attached to one load balancer: what its CloudWatch metrics are keyed by.
struct Placement {
    kind: LbKind,
    lb_arn: String,
    tg_arn: String,
}

impl ElbSource {
    pub fn new(regions: &[RegionClients]) -> Self {
        ElbSource {
            regions: regions
                .iter()
                .map(|rc| Region {
                    clients: rc.clone(),
                    pace: Pace::new(QUOTA_PER_SECOND, QUOTA_BURST),
                    last_calls: AtomicUsize::new(0),
                })
                .collect(),
            attributes: Mutex::new(HashMap::new()),
            lb_cross_zone: Mutex::new(HashMap::new()),
            zones: InstanceZones::default(),
            load_cache: Mutex::new(HashMap::new()),
            metrics_every: METRIC_PERIOD_SECS,
            attribute_reads: ATTRIBUTE_READS_PER_REFRESH,
            zone_calls: ZONE_CALLS_IN_FLIGHT,
            every_rule: true,
            rule_listings: RuleListings::default(),
            last_read: Mutex::new(HashMap::new()),
        }
    }

    /// Looks up and keeps the targets' zones in `zones`, which the instances panel fills too.
    pub fn with_zones(mut self, zones: InstanceZones) -> Self {
        self.zones = zones;
        self
    }

    /// Reads the groups' CloudWatch metrics every `secs` (at least the one-minute period).
    pub fn with_metrics_every(mut self, secs: u64) -> Self {
        self.metrics_every = (secs as i64).max(METRIC_PERIOD_SECS);
        self
    }

    /// For a snapshot: a group's attributes are read only where a target is draining (its delay
    /// sets the countdown); elsewhere the delay stays unread rather than cost a call per group.
    /// The targets' zones are read with more calls at once. A listener's rules are read only
    /// where they can change whether a group serves (`rules_can_matter`): each is a paced call
    /// of its own, and a snapshot's time is the pace of its ELBv2 calls (BENCHMARKS.md §15).
    pub fn one_shot(mut self) -> Self {
        self.attribute_reads = 0;
        self.zone_calls = ZONE_CALLS_IN_FLIGHT_ONE_SHOT;
        self.every_rule = false;
        self
    }

    async fn region(&self, r: &Region) -> Result<Vec<LoadBalancer>, SourceError> {
        let (lbs, groups) = futures::try_join!(self.load_balancers(r), self.target_groups(r))?;
        let mut calls = 2;

        let mut reads: Vec<Read> = lbs
            .iter()
            .filter_map(|lb| lb.load_balancer_arn())
            .map(|arn| Read::Listeners(arn.to_string()))
            .chain(
                groups
                    .iter()
                    .filter_map(|g| g.target_group_arn())
                    .map(|arn| Read::Health(arn.to_string())),
            )
            .collect();
        let unread: Vec<String> = {
            let known = self.attributes.lock().unwrap_or_else(|e| e.into_inner());
            groups
                .iter()
                .filter_map(|g| g.target_group_arn())
                .filter(|arn| !known.contains_key(*arn))
                .map(str::to_string)
                .collect()
        };
        reads.extend(
            unread
                .iter()
                .take(self.attribute_reads)
                .map(|arn| Read::Attributes(arn.clone())),
        );
        // Whether a network load balancer balances across zones decides whether draining a
        // zone's last healthy target leaves that zone unserved: read once per load balancer.
        if self.attribute_reads > 0 {
            let known = self.lb_cross_zone.lock().unwrap_or_else(|e| e.into_inner());
            reads.extend(
                lbs.iter()
                    .filter(|lb| kind(lb) != LbKind::Application)
                    .filter_map(|lb| lb.load_balancer_arn())
                    .filter(|arn| !known.contains_key(*arn))
                    .map(|arn| Read::LbAttributes(arn.to_string())),
            );
        }
        calls += reads.len();
        let placed = placements(&lbs, &groups);
        let (answers, load) =
            futures::join!(self.read_all(r, reads), self.load(&r.clients, &placed));
        let mut read = Answers::default();
        read.file(answers?);
        // A draining target's countdown needs its group's delay now, not in a few refreshes;
        // a listener's rules (HTTP and HTTPS only: other listeners have none) say which groups
        // it serves by host or path.
        let mut then: Vec<Read> = {
            let known = self.attributes.lock().unwrap_or_else(|e| e.into_inner());
            read.healths
                .iter()
                .filter(|(arn, d)| !known.contains_key(*arn) && d.iter().any(is_draining))
                .map(|(arn, _)| Read::Attributes(arn.clone()))
                .collect()
        };
        let mut rules_unread = HashSet::new();
        // A console's listeners, each with a digest of the groups attached to its load balancer.
        let mut listed_by_plan: Vec<(String, u64)> = Vec::new();
        for (lb_arn, ls) in &read.listeners {
            let wanted = self.every_rule || rules_can_matter(lb_arn, ls, &groups);
            let attached =
                attached_digest(attached_to(&groups, lb_arn).filter_map(|g| g.target_group_arn()));
            for arn in ls
                .iter()
                .filter(|l| has_rules(l))
                .filter_map(|l| l.listener_arn())
            {
                if !wanted {
                    rules_unread.insert(arn.to_string());
                } else if self.every_rule {
                    listed_by_plan.push((arn.to_string(), attached));
                } else {
                    // A snapshot lists them: it reads once.
                    then.push(Read::Rules(arn.to_string()));
                }
            }
        }
        let plan = self.rule_listings.plan(&listed_by_plan, Utc::now());
        then.extend(plan.list.iter().map(|a| Read::Rules(a.clone())));
        then.extend(plan.by_arn.iter().map(|b| Read::RulesByArn(b.clone())));
        calls += then.len();
        if !then.is_empty() {
            read.file(self.read_all(r, then).await?);
        }
        // A rule deleted since its listener was listed: that listener is listed now.
        let relist: std::collections::BTreeSet<&String> = read
            .rules_gone
            .iter()
            .filter_map(|rule| plan.listener_of.get(rule))
            .collect();
        if !relist.is_empty() {
            calls += relist.len();
            let reads = relist.into_iter().map(|a| Read::Rules(a.clone())).collect();
            read.file(self.read_all(r, reads).await?);
        }
        let Answers {
            listeners,
            healths,
            mut rules,
            described,
            gone,
            ..
        } = read;
        let rules_listed_at = if self.every_rule {
            let seen: HashSet<&str> = listeners
                .values()
                .flatten()
                .filter_map(|l| l.listener_arn())
                .collect();
            self.rules_as_listed(r, &plan, &listed_by_plan, &seen, &mut rules, described)
        } else {
            HashMap::new()
        };
        // What vanished since it was listed is not shown as it was a moment ago.
        let lbs: Vec<_> = lbs
            .into_iter()
            .filter(|lb| lb.load_balancer_arn().is_none_or(|a| !gone.contains(a)))
            .collect();
        let groups: Vec<_> = groups
            .into_iter()
            .filter(|g| g.target_group_arn().is_none_or(|a| !gone.contains(a)))
            .collect();

        r.last_calls.store(calls, Ordering::Relaxed);

        let zones = self.instance_zones(&r.clients, &groups, &healths).await;
        let attributes = self
            .attributes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let lb_cross_zone = self
            .lb_cross_zone
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let tg_names: HashMap<&str, &str> = groups
            .iter()
            .filter_map(|g| Some((g.target_group_arn()?, g.target_group_name()?)))
            .collect();
        let lb_names: HashMap<&str, &str> = lbs
            .iter()
            .filter_map(|lb| Some((lb.load_balancer_arn()?, lb.load_balancer_name()?)))
            .collect();

        Ok(lbs
            .iter()
            .map(|lb| {
                let arn = lb.load_balancer_arn().unwrap_or_default();
                let ls = listeners.get(arn).map(Vec::as_slice).unwrap_or_default();
                let rules_of = |l: &elb::types::Listener| {
                    let arn = l.listener_arn().unwrap_or_default();
                    (!rules_unread.contains(arn))
                        .then(|| rules.get(arn).map(Vec::as_slice).unwrap_or_default())
                };
                let listed_at =
                    |l: &elb::types::Listener| rules_listed_at.get(l.listener_arn()?).copied();
                LoadBalancer {
                    account: None,
                    name: lb.load_balancer_name().unwrap_or_default().to_string(),
                    arn: arn.to_string(),
                    kind: kind(lb),
                    scheme: lb
                        .scheme()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    region: r.clients.region.clone(),
                    dns_name: lb.dns_name().unwrap_or_default().to_string(),
                    listeners: ls
                        .iter()
                        .map(|l| listener(l, rules_of(l), listed_at(l), &tg_names))
                        .collect(),
                    target_groups: attached_to(&groups, arn)
                        .map(|g| {
                            let tg_arn = g.target_group_arn().unwrap_or_default();
                            let mut tg = target_group(
                                g,
                                healths.get(tg_arn).map(Vec::as_slice).unwrap_or_default(),
                                &lb_names,
                                &zones,
                            );
                            let attributes = attributes.get(tg_arn);
                            tg.deregistration_delay_secs = attributes.map(|a| a.delay);
                            tg.cross_zone = cross_zone(
                                kind(lb),
                                attributes.map(|a| a.cross_zone.as_deref()),
                                lb_cross_zone.get(arn).copied(),
                            );
                            tg.metrics = load.get(tg_arn).copied();
                            tg
                        })
                        .collect(),
                }
            })
            .collect())
    }

    /// A console's rules after a refresh: records the listings it made (with the groups their
    /// load balancer had attached, `listed_by_plan`), forgets listeners no longer `seen`, and files
    /// the rules described by ARN under their listeners in `rules`, in priority order. What it
    /// returns: when the rules of each listener not listed this refresh were listed.
    fn rules_as_listed(
        &self,
        r: &Region,
        plan: &Plan,
        listed_by_plan: &[(String, u64)],
        seen: &HashSet<&str>,
        rules: &mut HashMap<String, Vec<elb::types::Rule>>,
        described: Vec<elb::types::Rule>,
    ) -> HashMap<String, DateTime<Utc>> {
        let now = plan.made_at;
        let attached: HashMap<&str, u64> = listed_by_plan
            .iter()
            .map(|(a, d)| (a.as_str(), *d))
            .collect();
        for (listener, listed) in rules.iter() {
            let own = listed
                .iter()
                .filter(|r| r.is_default() != Some(true))
                .filter_map(|r| r.rule_arn())
                .map(str::to_string)
                .collect();
            let digest = attached.get(listener.as_str()).copied().unwrap_or_default();
            self.rule_listings.listed(listener, own, digest, now);
        }
        self.rule_listings.keep_only(&r.clients.region, seen);
        let mut by_listener: HashMap<&str, Vec<elb::types::Rule>> = HashMap::new();
        for rule in described {
            if let Some(l) = rule.rule_arn().and_then(|a| plan.listener_of.get(a)) {
                by_listener.entry(l.as_str()).or_default().push(rule);
            }
        }
        // In the order a listener lists them (the API does not say it keeps the asked order).
        for listed in by_listener.values_mut() {
            listed.sort_by_key(|r| r.priority().and_then(|p| p.parse::<u32>().ok()));
        }
        let mut listed_at = HashMap::new();
        for (listener, at) in &plan.described {
            if rules.contains_key(listener) {
                continue; // listed again this refresh
            }
            rules.insert(
                listener.clone(),
                by_listener.remove(listener.as_str()).unwrap_or_default(),
            );
            listed_at.insert(listener.clone(), *at);
        }
        listed_at
    }

    async fn load_balancers(
        &self,
        r: &Region,
    ) -> Result<Vec<elb::types::LoadBalancer>, SourceError> {
        r.pace.ready().await;
        r.clients
            .elb()
            .describe_load_balancers()
            .page_size(PAGE_SIZE)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| from_sdk("elbv2 DescribeLoadBalancers", e))
    }

    async fn target_groups(&self, r: &Region) -> Result<Vec<elb::types::TargetGroup>, SourceError> {
        r.pace.ready().await;
        r.clients
            .elb()
            .describe_target_groups()
            .page_size(PAGE_SIZE)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| from_sdk("elbv2 DescribeTargetGroups", e))
    }

    /// Every read, up to `IN_FLIGHT` at once and at the quota's pace. A resource deleted since
    /// it was listed is `Gone`; any other failure fails the region's refresh (it keeps its last
    /// answer, with its age and this error).
    async fn read_all(&self, r: &Region, reads: Vec<Read>) -> Result<Vec<Answer>, SourceError> {
        futures::stream::iter(reads)
            .map(|read| async move {
                let gone = read.gone();
                match self.read(r, read).await {
                    Err(e) if e.kind == ErrorKind::NotFound => Ok(gone),
                    other => other,
                }
            })
            .buffer_unordered(IN_FLIGHT)
            .try_collect()
            .await
    }

    async fn read(&self, r: &Region, read: Read) -> Result<Answer, SourceError> {
        r.pace.ready().await;
        let c = r.clients.elb();
        match read {
            Read::Listeners(arn) => {
                let l = c
                    .describe_listeners()
                    .load_balancer_arn(&arn)
                    .page_size(PAGE_SIZE)
                    .into_paginator()
                    .items()
                    .send()
                    .collect::<Result<_, _>>()
                    .await
                    .map_err(|e| from_sdk("elbv2 DescribeListeners", e))?;
                Ok(Answer::Listeners(arn, l))
            }
            Read::Health(arn) => {
                let out = c
                    .describe_target_health()
                    .target_group_arn(&arn)
                    .send()
                    .await
                    .map_err(|e| from_sdk("elbv2 DescribeTargetHealth", e))?;
                Ok(Answer::Health(
                    arn,
                    out.target_health_descriptions.unwrap_or_default(),
                ))
            }
            Read::Rules(arn) => {
                // DescribeRules has no paginator in the SDK: follow the marker by hand.
                let mut all = Vec::new();
                let mut marker = None;
                loop {
                    let out = c
                        .describe_rules()
                        .listener_arn(&arn)
                        .page_size(PAGE_SIZE)
                        .set_marker(marker)
                        .send()
                        .await
                        .map_err(|e| from_sdk("elbv2 DescribeRules", e))?;
                    all.extend(out.rules.unwrap_or_default());
                    marker = out.next_marker.filter(|m| !m.is_empty());
                    if marker.is_none() {
                        break;
                    }
                    r.pace.ready().await;
                }
                Ok(Answer::Rules(arn, all))
            }
            Read::RulesByArn(arns) => {
                // As many rules as asked for come back: no page follows.
                let out = c
                    .describe_rules()
                    .set_rule_arns(Some(arns))
                    .send()
                    .await
                    .map_err(|e| from_sdk("elbv2 DescribeRules", e))?;
                Ok(Answer::RulesByArn(out.rules.unwrap_or_default()))
            }
            Read::Attributes(arn) => {
                let out = c
                    .describe_target_group_attributes()
                    .target_group_arn(&arn)
                    .send()
                    .await
                    .map_err(|e| from_sdk("elbv2 DescribeTargetGroupAttributes", e))?;
                let value = |key: &str| {
                    out.attributes()
                        .iter()
                        .find(|a| a.key() == Some(key))
                        .and_then(|a| a.value())
                        .map(str::to_string)
                };
                let attributes = GroupAttributes {
                    delay: value("deregistration_delay.timeout_seconds")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(DEFAULT_DEREGISTRATION_DELAY_SECS),
                    cross_zone: value("load_balancing.cross_zone.enabled"),
                };
                self.attributes
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(arn.clone(), attributes);
                Ok(Answer::Delay)
            }
            Read::LbAttributes(arn) => {
                let out = c
                    .describe_load_balancer_attributes()
                    .load_balancer_arn(&arn)
                    .send()
                    .await
                    .map_err(|e| from_sdk("elbv2 DescribeLoadBalancerAttributes", e))?;
                // Off unless set: the default for network and gateway load balancers.
                let on = out
                    .attributes()
                    .iter()
                    .find(|a| a.key() == Some("load_balancing.cross_zone.enabled"))
                    .and_then(|a| a.value())
                    .is_some_and(|v| v == "true");
                self.lb_cross_zone
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(arn.clone(), on);
                Ok(Answer::Delay)
            }
        }
    }

    /// Zones of instance targets reported without one: those the instances panel read, the
    /// others from EC2 (kept per instance).
    async fn instance_zones(
        &self,
        rc: &RegionClients,
        groups: &[elb::types::TargetGroup],
        healths: &HashMap<String, Vec<elb::types::TargetHealthDescription>>,
    ) -> HashMap<String, String> {
        let wanted: std::collections::BTreeSet<&str> = groups
            .iter()
            .filter(|g| g.target_type() == Some(&elb::types::TargetTypeEnum::Instance))
            .filter_map(|g| healths.get(g.target_group_arn()?))
            .flat_map(|d| d.iter())
            .filter_map(|d| d.target())
            .filter(|t| t.availability_zone().is_none())
            .filter_map(|t| t.id())
            .collect();
        let known = self.zones.of(&rc.region, wanted.iter().copied());
        let missing: Vec<String> = wanted
            .iter()
            .filter(|id| !known.contains_key(**id))
            .map(|id| id.to_string())
            .collect();
        if missing.is_empty() {
            return known;
        }
        // By filter, not by id: one id EC2 no longer knows (an instance terminated an hour ago
        // and still registered) would fail a call by ids whole, and leave every zone unknown.
        // 100 ids a call, each answer turned into (id, zone) before it is let go.
        let zone = |i: &aws_sdk_ec2::types::Instance| {
            Some((
                i.instance_id()?.to_string(),
                i.placement()?.availability_zone()?.to_string(),
            ))
        };
        let mut answers = super::ec2::described_by_id(rc, &missing, self.zone_calls, &zone);
        while let Some(answer) = answers.next().await {
            match answer {
                Ok(zones) => self.zones.learn(&rc.region, zones),
                // Without EC2 access the targets still show, their zone not known.
                Err(e) => tracing::debug!(error = %e, "target zones unknown"),
            }
        }
        self.zones.of(&rc.region, wanted)
    }
}

fn is_draining(d: &elb::types::TargetHealthDescription) -> bool {
    matches!(
        d.target_health().and_then(|h| h.state()),
        Some(elb::types::TargetHealthStateEnum::Draining)
            | Some(elb::types::TargetHealthStateEnum::UnhealthyDraining)
    )
}

fn kind(lb: &elb::types::LoadBalancer) -> LbKind {
    match lb.r#type() {
        Some(elb::types::LoadBalancerTypeEnum::Network) => LbKind::Network,
        Some(elb::types::LoadBalancerTypeEnum::Gateway) => LbKind::Gateway,
        _ => LbKind::Application,
    }
}

/// Every group on every load balancer it is attached to.
fn placements(
    lbs: &[elb::types::LoadBalancer],
    groups: &[elb::types::TargetGroup],
) -> Vec<Placement> {
    let kinds: HashMap<&str, LbKind> = lbs
        .iter()
        .filter_map(|lb| Some((lb.load_balancer_arn()?, kind(lb))))
        .collect();
    groups
        .iter()
        .filter_map(|g| Some((g.target_group_arn()?, g.load_balancer_arns())))
        .flat_map(|(tg, on)| {
            on.iter().filter_map(|lb| {
                Some(Placement {
                    kind: *kinds.get(lb.as_str())?,
                    lb_arn: lb.clone(),
                    tg_arn: tg.to_string(),
                })
            })
        })
        .collect()
}

/// Whether a listener has rules beside its default action: HTTP and HTTPS ones only.
fn has_rules(l: &elb::types::Listener) -> bool {
    matches!(
        l.protocol(),
        Some(elb::types::ProtocolEnum::Http | elb::types::ProtocolEnum::Https)
    )
}

/// Whether the rules of a load balancer's listeners can change whether one of its groups
/// serves: only when a group attached to it (a rule's group is attached too) takes no traffic
/// by any listener's default action. A rule only adds forwards, so where the defaults already
/// serve every group, the rules change nothing the Targets panel reports about health.
fn rules_can_matter(
    lb_arn: &str,
    listeners: &[elb::types::Listener],
    groups: &[elb::types::TargetGroup],
) -> bool {
    let served: HashSet<&str> = listeners
        .iter()
        .flat_map(|l| l.default_actions())
        .flat_map(|a| {
            let weighted = a
                .forward_config()
                .map(|f| f.target_groups())
                .unwrap_or_default();
            let live = weighted
                .iter()
                .filter(|t| t.weight().is_none_or(|w| w > 0))
                .filter_map(|t| t.target_group_arn());
            // A forward with one group names it here, with or without a forward config.
            let single = weighted.is_empty().then(|| a.target_group_arn()).flatten();
            live.chain(single)
        })
        .collect();
    attached_to(groups, lb_arn)
        .filter_map(|g| g.target_group_arn())
        .any(|arn| !served.contains(arn))
}

/// The groups attached to the load balancer `lb_arn` (by a listener's default action or a rule).
fn attached_to<'a>(
    groups: &'a [elb::types::TargetGroup],
    lb_arn: &'a str,
) -> impl Iterator<Item = &'a elb::types::TargetGroup> {
    groups
        .iter()
        .filter(move |g| g.load_balancer_arns().iter().any(|a| a == lb_arn))
}

fn listener(
    l: &elb::types::Listener,
    rules: Option<&[elb::types::Rule]>,
    rules_listed_at: Option<DateTime<Utc>>,
    tg_names: &HashMap<&str, &str>,
) -> Listener {
    Listener {
        port: l.port().and_then(|p| u16::try_from(p).ok()).unwrap_or(0),
        protocol: l
            .protocol()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        forwards: forwards(l.default_actions(), tg_names),
        rules: rules.map(|rules| {
            rules
                .iter()
                // The default rule is the listener's default action, read above.
                .filter(|r| r.is_default() != Some(true))
                .filter_map(|r| {
                    let forwards = forwards(r.actions(), tg_names);
                    (!forwards.is_empty()).then(|| ListenerRule {
                        priority: r.priority().unwrap_or_default().to_string(),
                        conditions: conditions(r.conditions()),
                        forwards,
                    })
                })
                .collect()
        }),
        rules_listed_at,
    }
}

/// The groups `actions` forward to, with their weights where there are several.
fn forwards(actions: &[elb::types::Action], tg_names: &HashMap<&str, &str>) -> Vec<Forward> {
    let name = |arn: &str| {
        tg_names
            .get(arn)
            .map(|n| n.to_string())
            .unwrap_or_else(|| arn.to_string())
    };
    let mut out = Vec::new();
    for action in actions {
        let weighted = action
            .forward_config()
            .map(|f| f.target_groups())
            .unwrap_or_default();
        if !weighted.is_empty() {
            out.extend(weighted.iter().filter_map(|t| {
                Some(Forward {
                    target_group: name(t.target_group_arn()?),
                    weight: t.weight().map(|w| w.max(0) as u32),
                })
            }));
        } else if let Some(arn) = action.target_group_arn() {
            out.push(Forward {
                target_group: name(arn),
                weight: None,
            });
        }
    }
    out
}

/// "host api.example.com · path /api/*": a rule's conditions in a few words.
fn conditions(conditions: &[elb::types::RuleCondition]) -> String {
    conditions
        .iter()
        .map(|c| {
            let field = c.field().unwrap_or("condition");
            let mut values: Vec<&str> = c.values().iter().map(String::as_str).collect();
            if values.is_empty() {
                values = c
                    .host_header_config()
                    .map(|h| h.values())
                    .or_else(|| c.path_pattern_config().map(|p| p.values()))
                    .or_else(|| c.http_request_method_config().map(|m| m.values()))
                    .or_else(|| c.source_ip_config().map(|s| s.values()))
                    .unwrap_or_default()
                    .iter()
                    .map(String::as_str)
                    .collect();
            }
            let field = match field {
                "host-header" => "host",
                "path-pattern" => "path",
                other => other,
            };
            format!("{field} {}", values.join(","))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// A group and its targets; its delay and load are filled in by the caller.
fn target_group(
    g: &elb::types::TargetGroup,
    descriptions: &[elb::types::TargetHealthDescription],
    lb_names: &HashMap<&str, &str>,
    zones: &HashMap<String, String>,
) -> TargetGroup {
    TargetGroup {
        name: g.target_group_name().unwrap_or_default().to_string(),
        arn: g.target_group_arn().unwrap_or_default().to_string(),
        protocol: g
            .protocol()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        port: g.port().and_then(|p| u16::try_from(p).ok()).unwrap_or(0),
        target_type: g
            .target_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        vpc_id: g.vpc_id().map(str::to_string),
        deregistration_delay_secs: None,
        cross_zone: None,
        metrics: None,
        targets: descriptions
            .iter()
            .map(|d| target(d, g, lb_names, zones))
            .collect(),
    }
}

fn target(
    d: &elb::types::TargetHealthDescription,
    g: &elb::types::TargetGroup,
    lb_names: &HashMap<&str, &str>,
    zones: &HashMap<String, String>,
) -> Target {
    let t = d.target();
    let id = t.and_then(|t| t.id()).unwrap_or_default().to_string();
    let health = d.target_health();
    let port = |p: Option<i32>| p.and_then(|p| u16::try_from(p).ok());
    let registration = Registration {
        port: port(t.and_then(|t| t.port())),
        availability_zone: t.and_then(|t| t.availability_zone()).map(str::to_string),
    };
    Target {
        // An ALB registered as an NLB's target is named by its ARN; show its name.
        name: lb_names.get(id.as_str()).map(|n| n.to_string()),
        port: registration.port.or(port(g.port())).unwrap_or(0),
        // "all" (an IP outside the VPC) is no zone: such a target is in none.
        az: registration
            .availability_zone
            .clone()
            .filter(|az| az != "all")
            .or_else(|| zones.get(&id).cloned()),
        registration,
        state: health
            .and_then(|h| h.state())
            .map(state)
            .unwrap_or(TargetState::Unavailable),
        reason: health
            .and_then(|h| h.reason())
            .map(|r| r.as_str().to_string()),
        drain_remaining_secs: None,
        id,
    }
}

pub fn state(s: &elb::types::TargetHealthStateEnum) -> TargetState {
    use elb::types::TargetHealthStateEnum as S;
    match s {
        S::Healthy => TargetState::Healthy,
        S::Initial => TargetState::Initial,
        S::Unhealthy => TargetState::Unhealthy,
        S::UnhealthyDraining => TargetState::UnhealthyDraining,
        S::Unused => TargetState::Unused,
        S::Draining => TargetState::Draining,
        S::Unavailable => TargetState::Unavailable,
        _ => TargetState::Unavailable,
    }
}

impl ElbSource {
    /// Target group load from CloudWatch: one batched GetMetricData per region, no more often
    /// than the metrics' one-minute period. A failure here leaves the health data standing.
    async fn load(&self, rc: &RegionClients, placements: &[Placement]) -> GroupLoad {
        let now = Utc::now();
        if let Some((at, cached)) = self
            .load_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&rc.region)
            && (now - *at).num_seconds() < self.metrics_every
        {
            return cached.clone();
        }
        let mut queries = Vec::new();
        let mut keys = Vec::new();
        for p in placements {
            let (namespace, lb_dim) = match (p.kind, p.lb_arn.split_once(":loadbalancer/")) {
                (LbKind::Application, Some((_, d))) => ("AWS/ApplicationELB", d),
                (LbKind::Network, Some((_, d))) => ("AWS/NetworkELB", d),
                _ => continue,
            };
            // `arn:…:targetgroup/name/id` → `targetgroup/name/id`.
            let Some((_, tg_dim)) = p.tg_arn.rsplit_once(':') else {
                continue;
            };
            let dims = || {
                vec![
                    ("LoadBalancer", lb_dim.to_string()),
                    ("TargetGroup", tg_dim.to_string()),
                ]
            };
            let mut wanted = vec![
                ("HealthyHostCount", "Average"),
                ("UnHealthyHostCount", "Average"),
            ];
            if p.kind == LbKind::Application {
                wanted.push(("HTTPCode_Target_5XX_Count", "Sum"));
                wanted.push(("TargetResponseTime", "Average"));
            }
            for (metric, stat) in wanted {
                queries.push(MetricQuery {
                    namespace,
                    metric,
                    dimensions: dims(),
                    stat,
                });
                keys.push((p.tg_arn.clone(), metric));
            }
        }
        let end = now;
        let start = end - chrono::Duration::minutes(i64::from(LOAD_MINUTES));
        let series = match metrics::fetch(rc.cloudwatch(), &queries, start, end, 60).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "target group metrics unavailable");
                return HashMap::new();
            }
        };
        let mut out: HashMap<String, TargetGroupMetrics> = HashMap::new();
        for ((arn, metric), s) in keys.into_iter().zip(series) {
            let m = out.entry(arn).or_insert(TargetGroupMetrics {
                minutes: LOAD_MINUTES,
                ..Default::default()
            });
            let values: Vec<f64> = s.iter().map(|(_, v)| *v).collect();
            let avg =
                (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64);
            match metric {
                "HealthyHostCount" => m.healthy_hosts = avg,
                "UnHealthyHostCount" => m.unhealthy_hosts = avg,
                "HTTPCode_Target_5XX_Count" => {
                    m.target_5xx = Some(values.iter().sum::<f64>().max(0.0).round() as u64)
                }
                // CloudWatch reports seconds.
                _ => m.response_ms = avg.map(|s| s * 1000.0),
            }
        }
        self.load_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(rc.region.clone(), (now, out.clone()));
        out
    }
}

impl Source<TargetsView> for ElbSource {
    /// Every region side by side. A region that cannot be read (not enabled in the account,
    /// denied by policy, throttled) shows its last answer with its own error; only when no
    /// region can be read does the refresh fail.
    fn fetch(&self) -> BoxFuture<'_, Result<TargetsView, SourceError>> {
        Box::pin(async move {
            let per_region =
                futures::future::join_all(self.regions.iter().map(|r| self.region(r))).await;
            let answers = self
                .regions
                .iter()
                .map(|r| r.clients.region.clone())
                .zip(per_region)
                .collect();
            let (load_balancers, unreadable) = super::by_place(&self.last_read, answers)?;
            Ok(TargetsView {
                load_balancers,
                unreadable,
            })
        })
    }

    /// Long enough that the last refresh's calls average out under the console's share of the
    /// quota, in the busiest region.
    fn min_interval(&self) -> Option<Duration> {
        let calls = self
            .regions
            .iter()
            .map(|r| r.last_calls.load(Ordering::Relaxed))
            .max()?;
        Some(Duration::from_secs_f64(
            calls as f64 / CALLS_PER_SECOND_ON_AVERAGE,
        ))
    }
}

#[cfg(test)]
mod cross_zone_tests {
    use super::*;

    #[test]
    fn cross_zone_follows_the_group_then_the_load_balancer() {
        let alb = LbKind::Application;
        let nlb = LbKind::Network;
        let inherit = Some(Some("use_load_balancer_configuration"));
        // An ALB balances across zones unless the group turns it off.
        assert_eq!(cross_zone(alb, inherit, None), Some(true));
        assert_eq!(cross_zone(alb, Some(Some("false")), None), Some(false));
        // An NLB as its own attribute says, unless the group overrides it.
        assert_eq!(cross_zone(nlb, inherit, Some(false)), Some(false));
        assert_eq!(cross_zone(nlb, inherit, Some(true)), Some(true));
        assert_eq!(cross_zone(nlb, Some(Some("true")), Some(false)), Some(true));
        assert_eq!(cross_zone(nlb, inherit, None), None);
        // Unread group attributes: not known.
        assert_eq!(cross_zone(alb, None, None), None);
    }
}

#[cfg(test)]
mod vpc_tests {
    use super::*;

    /// A group's VPC is kept: `l` on its ip target looks for the task there.
    #[test]
    fn a_target_group_keeps_its_vpc() {
        let g = elb::types::TargetGroup::builder()
            .target_group_name("shop-prd-tg")
            .target_group_arn("arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/shop-prd-tg/1")
            .target_type(elb::types::TargetTypeEnum::Ip)
            .vpc_id("vpc-0prd")
            .build();
        let group = target_group(&g, &[], &HashMap::new(), &HashMap::new());
        assert_eq!(group.vpc_id.as_deref(), Some("vpc-0prd"));
    }
}

#[cfg(test)]
mod rules_tests {
    use super::*;
    use elb::types::{Action, ActionTypeEnum, ForwardActionConfig, TargetGroupTuple};

    const LB: &str =
        "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/wp/1";

    fn group(name: &str) -> elb::types::TargetGroup {
        elb::types::TargetGroup::builder()
            .target_group_name(name)
            .target_group_arn(format!("arn:tg/{name}"))
            .load_balancer_arns(LB)
            .build()
    }

    fn listener(default: Action) -> elb::types::Listener {
        elb::types::Listener::builder()
            .protocol(elb::types::ProtocolEnum::Https)
            .default_actions(default)
            .build()
    }

    fn weighted(weights: &[(&str, i32)]) -> Action {
        let mut config = ForwardActionConfig::builder();
        for (name, weight) in weights {
            config = config.target_groups(
                TargetGroupTuple::builder()
                    .target_group_arn(format!("arn:tg/{name}"))
                    .weight(*weight)
                    .build(),
            );
        }
        Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .forward_config(config.build())
            .build()
    }

    /// Rules only add forwards: they can change whether a group serves only where a group the
    /// load balancer holds takes nothing by a default action (none at all, or weight 0).
    #[test]
    fn rules_matter_only_for_a_group_the_defaults_do_not_serve() {
        let blue_green = [group("wp-blue"), group("wp-green")];
        let both = listener(weighted(&[("wp-blue", 100), ("wp-green", 1)]));
        assert!(!rules_can_matter(LB, &[both], &blue_green));
        // The standby at weight 0 may still be reached by a rule.
        let standby = listener(weighted(&[("wp-blue", 100), ("wp-green", 0)]));
        assert!(rules_can_matter(LB, &[standby], &blue_green));
        // A plain forward to one group, and a group reached by nothing the defaults name.
        let plain = listener(
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn("arn:tg/wp-blue")
                .build(),
        );
        assert!(!rules_can_matter(
            LB,
            std::slice::from_ref(&plain),
            &blue_green[..1]
        ));
        assert!(rules_can_matter(LB, &[plain], &blue_green));
        // A group attached to another load balancer is not this one's concern.
        let elsewhere = elb::types::TargetGroup::builder()
            .target_group_arn("arn:tg/api")
            .load_balancer_arns("arn:other")
            .build();
        let only_blue = listener(weighted(&[("wp-blue", 1)]));
        assert!(!rules_can_matter(
            LB,
            &[only_blue],
            &[group("wp-blue"), elsewhere]
        ));
    }
}
