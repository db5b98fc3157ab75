//! ELBv2: load balancers, listeners and where they forward, target groups with their
//! deregistration delay, and the health of every target, per region.

use super::super::{Source, SourceError};
use super::clients::RegionClients;
use super::error::from_sdk;
use super::metrics::{self, MetricQuery};
use crate::model::{
    Forward, LbKind, Listener, LoadBalancer, Target, TargetGroup, TargetGroupMetrics, TargetState,
    TargetsView,
};
use aws_sdk_elasticloadbalancingv2 as elb;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::sync::Mutex;

/// Requests in flight at once within one refresh: ELBv2's Describe* bucket refills at 10/s.
const CONCURRENCY: usize = 4;
/// ELBv2 returns at most 400 per page.
const PAGE_SIZE: i32 = 400;
/// Target group ARN → its load.
type GroupLoad = HashMap<String, TargetGroupMetrics>;

/// CloudWatch's period for load balancer metrics: asking more often buys nothing.
const METRIC_PERIOD_SECS: i64 = 60;
/// Minutes of load a target group row summarises.
const LOAD_MINUTES: u32 = 5;
/// The delay a group has unless its attributes say otherwise (the AWS default).
const DEFAULT_DELAY_SECS: u32 = 300;

pub struct ElbSource {
    regions: Vec<RegionClients>,
    /// Deregistration delay per target group ARN: attributes rarely change, so they are read once
    /// per group rather than every refresh.
    delays: Mutex<HashMap<String, u32>>,
    /// Zone of instance targets whose health description omits it (an instance never moves).
    zones: Mutex<HashMap<String, String>>,
    /// Target group load per region, with when it was fetched.
    load_cache: Mutex<HashMap<String, (DateTime<Utc>, GroupLoad)>>,
    /// Seconds between CloudWatch reads (never under the metrics' one-minute period).
    metrics_every: i64,
}

impl ElbSource {
    pub fn new(regions: &[RegionClients]) -> Self {
        ElbSource {
            regions: regions.to_vec(),
            delays: Mutex::new(HashMap::new()),
            zones: Mutex::new(HashMap::new()),
            load_cache: Mutex::new(HashMap::new()),
            metrics_every: METRIC_PERIOD_SECS,
        }
    }

    /// Reads the groups' CloudWatch metrics every `secs` (at least the one-minute period).
    pub fn with_metrics_every(mut self, secs: u64) -> Self {
        self.metrics_every = (secs as i64).max(METRIC_PERIOD_SECS);
        self
    }

    async fn region(&self, rc: &RegionClients) -> Result<Vec<LoadBalancer>, SourceError> {
        let c = &rc.elb;
        let lbs: Vec<elb::types::LoadBalancer> = c
            .describe_load_balancers()
            .page_size(PAGE_SIZE)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| from_sdk("elbv2 DescribeLoadBalancers", e))?;
        let groups: Vec<elb::types::TargetGroup> = c
            .describe_target_groups()
            .page_size(PAGE_SIZE)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| from_sdk("elbv2 DescribeTargetGroups", e))?;

        let lb_arns: Vec<String> = lbs
            .iter()
            .filter_map(|lb| lb.load_balancer_arn().map(str::to_string))
            .collect();
        let mut listeners: HashMap<String, Vec<elb::types::Listener>> = HashMap::new();
        for chunk in lb_arns.chunks(CONCURRENCY) {
            let got =
                futures::future::try_join_all(chunk.iter().map(|arn| listeners_of(c, arn))).await?;
            listeners.extend(chunk.iter().cloned().zip(got));
        }
        let tg_arns: Vec<String> = groups
            .iter()
            .filter_map(|g| g.target_group_arn().map(str::to_string))
            .collect();
        let mut healths: HashMap<String, (Vec<elb::types::TargetHealthDescription>, u32)> =
            HashMap::new();
        for chunk in tg_arns.chunks(CONCURRENCY) {
            let got = futures::future::try_join_all(chunk.iter().map(|arn| self.health_of(c, arn)))
                .await?;
            healths.extend(chunk.iter().cloned().zip(got));
        }

        let zones = self.instance_zones(rc, &groups, &healths).await;
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
                let attached: Vec<&elb::types::TargetGroup> = groups
                    .iter()
                    .filter(|g| g.load_balancer_arns().iter().any(|a| a == arn))
                    .collect();
                LoadBalancer {
                    name: lb.load_balancer_name().unwrap_or_default().to_string(),
                    arn: arn.to_string(),
                    kind: match lb.r#type() {
                        Some(elb::types::LoadBalancerTypeEnum::Network) => LbKind::Network,
                        Some(elb::types::LoadBalancerTypeEnum::Gateway) => LbKind::Gateway,
                        _ => LbKind::Application,
                    },
                    scheme: lb
                        .scheme()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    region: rc.region.clone(),
                    dns_name: lb.dns_name().unwrap_or_default().to_string(),
                    listeners: ls.iter().map(|l| listener(l, &tg_names)).collect(),
                    target_groups: attached
                        .into_iter()
                        .map(|g| {
                            target_group(
                                g,
                                healths.get(g.target_group_arn().unwrap_or_default()),
                                &lb_names,
                                &zones,
                            )
                        })
                        .collect(),
                }
            })
            .collect())
    }

    /// Zones of instance targets reported without one, from EC2 (cached per instance).
    async fn instance_zones(
        &self,
        rc: &RegionClients,
        groups: &[elb::types::TargetGroup],
        healths: &HashMap<String, (Vec<elb::types::TargetHealthDescription>, u32)>,
    ) -> HashMap<String, String> {
        let missing: Vec<String> = {
            let known = self.zones.lock().unwrap_or_else(|e| e.into_inner());
            groups
                .iter()
                .filter(|g| g.target_type() == Some(&elb::types::TargetTypeEnum::Instance))
                .filter_map(|g| healths.get(g.target_group_arn()?))
                .flat_map(|(d, _)| d.iter())
                .filter_map(|d| d.target())
                .filter(|t| t.availability_zone().is_none())
                .filter_map(|t| t.id())
                .filter(|id| !known.contains_key(*id))
                .map(str::to_string)
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect()
        };
        if !missing.is_empty() {
            match rc
                .ec2
                .describe_instances()
                .set_instance_ids(Some(missing))
                .send()
                .await
            {
                Ok(out) => {
                    let mut known = self.zones.lock().unwrap_or_else(|e| e.into_inner());
                    for i in out.reservations().iter().flat_map(|r| r.instances()) {
                        if let (Some(id), Some(az)) = (
                            i.instance_id(),
                            i.placement().and_then(|p| p.availability_zone()),
                        ) {
                            known.insert(id.to_string(), az.to_string());
                        }
                    }
                }
                // Without EC2 access the targets still show, in zone "all".
                Err(e) => {
                    tracing::debug!(error = %from_sdk("ec2 DescribeInstances", e), "target zones unknown")
                }
            }
        }
        self.zones.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    async fn health_of(
        &self,
        c: &elb::Client,
        arn: &str,
    ) -> Result<(Vec<elb::types::TargetHealthDescription>, u32), SourceError> {
        // Independent calls: side by side, one round trip instead of two.
        let health = async {
            c.describe_target_health()
                .target_group_arn(arn)
                .send()
                .await
                .map_err(|e| from_sdk("elbv2 DescribeTargetHealth", e))
        };
        let (out, delay) = futures::try_join!(health, self.delay(c, arn))?;
        Ok((out.target_health_descriptions().to_vec(), delay))
    }

    async fn delay(&self, c: &elb::Client, arn: &str) -> Result<u32, SourceError> {
        if let Some(d) = self
            .delays
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(arn)
        {
            return Ok(*d);
        }
        let out = c
            .describe_target_group_attributes()
            .target_group_arn(arn)
            .send()
            .await
            .map_err(|e| from_sdk("elbv2 DescribeTargetGroupAttributes", e))?;
        let delay = out
            .attributes()
            .iter()
            .find(|a| a.key() == Some("deregistration_delay.timeout_seconds"))
            .and_then(|a| a.value())
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_DELAY_SECS);
        self.delays
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(arn.to_string(), delay);
        Ok(delay)
    }
}

async fn listeners_of(
    c: &elb::Client,
    arn: &str,
) -> Result<Vec<elb::types::Listener>, SourceError> {
    c.describe_listeners()
        .load_balancer_arn(arn)
        .page_size(PAGE_SIZE)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|e| from_sdk("elbv2 DescribeListeners", e))
}

fn listener(l: &elb::types::Listener, tg_names: &HashMap<&str, &str>) -> Listener {
    let name = |arn: &str| {
        tg_names
            .get(arn)
            .map(|n| n.to_string())
            .unwrap_or_else(|| arn.to_string())
    };
    let mut forwards = Vec::new();
    for action in l.default_actions() {
        let weighted = action
            .forward_config()
            .map(|f| f.target_groups())
            .unwrap_or_default();
        if !weighted.is_empty() {
            forwards.extend(weighted.iter().filter_map(|t| {
                Some(Forward {
                    target_group: name(t.target_group_arn()?),
                    weight: t.weight().map(|w| w.max(0) as u32),
                })
            }));
        } else if let Some(arn) = action.target_group_arn() {
            forwards.push(Forward {
                target_group: name(arn),
                weight: None,
            });
        }
    }
    Listener {
        port: l.port().and_then(|p| u16::try_from(p).ok()).unwrap_or(0),
        protocol: l
            .protocol()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        forwards,
    }
}

fn target_group(
    g: &elb::types::TargetGroup,
    health: Option<&(Vec<elb::types::TargetHealthDescription>, u32)>,
    lb_names: &HashMap<&str, &str>,
    zones: &HashMap<String, String>,
) -> TargetGroup {
    let (descriptions, delay) = match health {
        Some((d, delay)) => (d.as_slice(), *delay),
        None => (&[][..], DEFAULT_DELAY_SECS),
    };
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
        deregistration_delay_secs: delay,
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
    Target {
        // An ALB registered as an NLB's target is named by its ARN; show its name.
        name: lb_names.get(id.as_str()).map(|n| n.to_string()),
        port: t
            .and_then(|t| t.port())
            .or(g.port())
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(0),
        az: t
            .and_then(|t| t.availability_zone())
            .or_else(|| zones.get(&id).map(String::as_str))
            .unwrap_or("all")
            .to_string(),
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
    async fn load(
        &self,
        rc: &RegionClients,
        lbs: &[LoadBalancer],
    ) -> HashMap<String, TargetGroupMetrics> {
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
        for lb in lbs {
            let (namespace, lb_dim) = match (lb.kind, lb.arn.split_once(":loadbalancer/")) {
                (LbKind::Application, Some((_, d))) => ("AWS/ApplicationELB", d),
                (LbKind::Network, Some((_, d))) => ("AWS/NetworkELB", d),
                _ => continue,
            };
            for tg in &lb.target_groups {
                // `arn:…:targetgroup/name/id` → `targetgroup/name/id`.
                let Some((_, tg_dim)) = tg.arn.rsplit_once(':') else {
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
                if lb.kind == LbKind::Application {
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
                    keys.push((tg.arn.clone(), metric));
                }
            }
        }
        let end = now;
        let start = end - chrono::Duration::minutes(i64::from(LOAD_MINUTES));
        let series = match metrics::fetch(&rc.cloudwatch, &queries, start, end, 60).await {
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
    fn fetch(&self) -> BoxFuture<'_, Result<TargetsView, SourceError>> {
        Box::pin(async move {
            let per_region = futures::future::join_all(self.regions.iter().map(|rc| async move {
                let mut lbs = self.region(rc).await?;
                let load = self.load(rc, &lbs).await;
                for tg in lbs.iter_mut().flat_map(|lb| lb.target_groups.iter_mut()) {
                    tg.metrics = load.get(&tg.arn).copied();
                }
                Ok::<_, SourceError>(lbs)
            }))
            .await;
            let mut load_balancers = Vec::new();
            for r in per_region {
                load_balancers.extend(r?);
            }
            Ok(TargetsView { load_balancers })
        })
    }
}
