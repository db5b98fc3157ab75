//! Load balancers, their listeners, target groups and the health of each target.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default, JsonSchema)]
pub struct TargetsView {
    pub load_balancers: Vec<LoadBalancer>,
    /// Regions the last refresh could not read (their last data is in `load_balancers`).
    #[serde(default)]
    pub unreadable: Vec<super::Unreadable>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LbKind {
    Application,
    Network,
    Gateway,
}

impl LbKind {
    pub fn short(self) -> &'static str {
        match self {
            LbKind::Application => "ALB",
            LbKind::Network => "NLB",
            LbKind::Gateway => "GWLB",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct LoadBalancer {
    pub name: String,
    pub arn: String,
    pub kind: LbKind,
    /// "internet-facing" or "internal".
    pub scheme: String,
    pub region: String,
    /// The account it was read in, when the console watches several (`[[account]]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<super::AccountRef>,
    pub dns_name: String,
    pub listeners: Vec<Listener>,
    pub target_groups: Vec<TargetGroup>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Listener {
    pub port: u16,
    pub protocol: String,
    /// Where the default action forwards to; several entries with weights for blue/green.
    pub forwards: Vec<Forward>,
    /// Rules other than the default (host, path, header conditions) that forward elsewhere,
    /// by priority. `None` (`null`): not read. A snapshot reads a load balancer's rules only
    /// when one of its groups takes no traffic by a listener's default action, the one case in
    /// which a rule changes what it reports (whether a group serves): ELBv2 allows 40 reads at
    /// once and 10 a second, and every listener's rules cost a call of their own.
    #[serde(default)]
    pub rules: Option<Vec<ListenerRule>>,
    /// When a console last listed which rules the listener has, where that was before this
    /// refresh: what each rule says is read every refresh, which rules there are only every few
    /// minutes or when the groups attached to the load balancer change. Absent: listed now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules_listed_at: Option<DateTime<Utc>>,
}

/// A listener rule that forwards: requests matching its conditions go to its groups.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct ListenerRule {
    /// Rules are evaluated lowest priority first.
    pub priority: String,
    /// "host api.example.com · path /api/*".
    pub conditions: String,
    pub forwards: Vec<Forward>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Forward {
    pub target_group: String,
    pub weight: Option<u32>,
}

impl Listener {
    /// "HTTPS:443 → wp-tg1 100%, wp-tg2 0%"
    pub fn describe(&self) -> String {
        let to: Vec<String> = self
            .forwards
            .iter()
            .map(|f| match f.weight {
                Some(w) if self.forwards.len() > 1 => format!("{} {w}%", f.target_group),
                _ => f.target_group.clone(),
            })
            .collect();
        let unread = if self.rules.is_none() {
            " (rules not read)"
        } else {
            ""
        };
        format!(
            "{}:{} → {}{unread}",
            self.protocol,
            self.port,
            to.join(", ")
        )
    }

    /// Whether this listener sends traffic (non-zero weight) to the named target group, by its
    /// default action or by a rule.
    pub fn is_live_for(&self, target_group: &str) -> bool {
        self.forwards
            .iter()
            .chain(self.rules.iter().flatten().flat_map(|r| &r.forwards))
            .any(|f| f.target_group == target_group && f.weight.is_none_or(|w| w > 0))
    }
}

/// The deregistration delay a group has unless its attributes say otherwise (AWS's default).
pub const DEFAULT_DEREGISTRATION_DELAY_SECS: u32 = 300;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct TargetGroup {
    pub name: String,
    pub arn: String,
    pub protocol: String,
    pub port: u16,
    /// "instance", "ip", "alb" or "lambda".
    pub target_type: String,
    /// The VPC its targets are in (`DescribeTargetGroups`' `VpcId`; none for a Lambda group):
    /// an ip target's task is looked for there, as two VPCs may use the same private range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    /// `deregistration_delay.timeout_seconds`, once read: attributes are read once per group, a
    /// few groups a refresh and at once for a group with a draining target (ELBv2 has no batch
    /// call, and its request quota is shared by the whole account). `None` (`null`): not read yet.
    pub deregistration_delay_secs: Option<u32>,
    /// Whether the load balancer sends this group's traffic across zones, once known: from the
    /// group's `load_balancing.cross_zone.enabled` (true, false, or the load balancer's
    /// setting), else the load balancer's (always on for an ALB; off by default for an NLB).
    /// With it on, a zone left without healthy targets is still served from the others.
    #[serde(default)]
    pub cross_zone: Option<bool>,
    pub targets: Vec<Target>,
    /// CloudWatch figures over the last minutes, when known.
    #[serde(default)]
    pub metrics: Option<TargetGroupMetrics>,
}

/// A target group's load, from CloudWatch (`AWS/ApplicationELB`, `AWS/NetworkELB`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Default, JsonSchema)]
pub struct TargetGroupMetrics {
    /// Minutes the figures cover.
    pub minutes: u32,
    /// Average `HealthyHostCount` as the load balancer saw it.
    pub healthy_hosts: Option<f64>,
    pub unhealthy_hosts: Option<f64>,
    /// `HTTPCode_Target_5XX_Count` summed (Application Load Balancers only).
    pub target_5xx: Option<u64>,
    /// Average `TargetResponseTime`, in milliseconds (Application Load Balancers only).
    pub response_ms: Option<f64>,
}

impl TargetGroupMetrics {
    /// "5xx 3 · 120 ms" — what matters in a narrow cell.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(n) = self.target_5xx {
            parts.push(format!("5xx {n}"));
        }
        if let Some(ms) = self.response_ms {
            parts.push(format!("{ms:.0} ms"));
        }
        parts.join(" · ")
    }
}

/// A target's health state, as ELBv2 reports it.
#[derive(
    Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum TargetState {
    Unhealthy,
    UnhealthyDraining,
    Unavailable,
    Draining,
    Initial,
    Unused,
    Healthy,
}

impl TargetState {
    /// The ELBv2 spelling, e.g. `unhealthy.draining`.
    pub fn as_aws(self) -> &'static str {
        match self {
            TargetState::Initial => "initial",
            TargetState::Healthy => "healthy",
            TargetState::Unhealthy => "unhealthy",
            TargetState::UnhealthyDraining => "unhealthy.draining",
            TargetState::Unused => "unused",
            TargetState::Draining => "draining",
            TargetState::Unavailable => "unavailable",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Target {
    /// Instance id, IP address, ALB ARN or Lambda function ARN, by the group's target type.
    pub id: String,
    /// The instance's Name tag (or the ALB's name) when known.
    pub name: Option<String>,
    /// The port traffic goes to (the group's port where the target has none of its own; 0 for
    /// a Lambda function, which has no port).
    pub port: u16,
    /// The zone the target serves from, when known: from its health description or, for an
    /// instance, from EC2. `None` for a target whose zone is not known (an ALB behind an NLB,
    /// an instance EC2 would not describe, an IP outside the VPC).
    pub az: Option<String>,
    /// The target exactly as `DescribeTargetHealth` described it: what a drain or a register
    /// sends back, so AWS never sees a field it refuses for this target type.
    #[serde(default)]
    pub registration: Registration,
    pub state: TargetState,
    /// ELBv2's reason code, e.g. `Target.ResponseCodeMismatch`.
    pub reason: Option<String>,
    /// Seconds left until a draining target becomes unused, when known.
    pub drain_remaining_secs: Option<u32>,
}

/// A target's own port and zone as ELBv2 described it (`TargetDescription`). AWS refuses a
/// zone for instance and alb targets and a port for Lambda functions, and describes none.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default, JsonSchema)]
pub struct Registration {
    pub port: Option<u16>,
    pub availability_zone: Option<String>,
}

/// ELBv2's reason for a target of a group whose health checks are off (a Lambda group's
/// default): the load balancer sends it traffic without checking it.
pub const HEALTH_CHECK_DISABLED: &str = "Target.HealthCheckDisabled";

/// Healthy and total targets in some grouping ("1 of 2 healthy").
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default, JsonSchema)]
pub struct HealthCount {
    pub healthy: usize,
    pub total: usize,
    /// Targets served without health checks (`unavailable`, `Target.HealthCheckDisabled`).
    #[serde(default)]
    pub unchecked: usize,
}

impl HealthCount {
    pub fn add(&mut self, t: &Target) {
        self.total += 1;
        if t.state == TargetState::Healthy {
            self.healthy += 1;
        } else if t.is_unchecked() {
            self.unchecked += 1;
        }
    }

    /// No target that can serve although some are registered: none healthy, none served
    /// unchecked.
    pub fn is_down(&self) -> bool {
        self.total > 0 && self.healthy == 0 && self.unchecked == 0
    }

    pub fn describe(&self) -> String {
        match self.unchecked {
            0 => format!("{} of {} healthy", self.healthy, self.total),
            n if n == self.total => format!("{n} served unchecked (health checks off)"),
            n => format!("{} of {} healthy, {n} unchecked", self.healthy, self.total),
        }
    }
}

impl Target {
    /// Served without health checks: its group has them off (a Lambda group's default).
    pub fn is_unchecked(&self) -> bool {
        self.state == TargetState::Unavailable
            && self.reason.as_deref() == Some(HEALTH_CHECK_DISABLED)
    }
}

impl TargetGroup {
    /// A zone left without healthy targets is still served from the others: cross-zone load
    /// balancing as the group sets it, else the load balancer's default (on for an ALB, off
    /// for an NLB or a gateway).
    pub fn other_zones_serve(&self, lb: LbKind) -> bool {
        match (self.cross_zone, lb) {
            (Some(on), _) => on,
            (None, LbKind::Application) => true,
            (None, _) => false,
        }
    }

    /// The delay as read, or AWS's default while it has not been read.
    pub fn deregistration_delay(&self) -> u32 {
        self.deregistration_delay_secs
            .unwrap_or(DEFAULT_DEREGISTRATION_DELAY_SECS)
    }

    pub fn health(&self) -> HealthCount {
        let mut c = HealthCount::default();
        self.targets.iter().for_each(|t| c.add(t));
        c
    }

    /// Healthy/total per availability zone, sorted by zone name. Targets whose zone is not
    /// known are counted in no zone (never in a made-up one).
    pub fn health_by_az(&self) -> BTreeMap<String, HealthCount> {
        let mut by_az: BTreeMap<String, HealthCount> = BTreeMap::new();
        for t in &self.targets {
            if let Some(az) = &t.az {
                by_az.entry(az.clone()).or_default().add(t);
            }
        }
        by_az
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(id: &str, az: &str, state: TargetState) -> Target {
        Target {
            id: id.into(),
            name: None,
            port: 80,
            az: Some(az.into()),
            registration: Registration {
                port: Some(80),
                availability_zone: None,
            },
            state,
            reason: None,
            drain_remaining_secs: None,
        }
    }

    #[test]
    fn counts_per_group_and_zone() {
        let tg = TargetGroup {
            name: "ha-web".into(),
            arn: "arn".into(),
            protocol: "HTTP".into(),
            port: 80,
            target_type: "instance".into(),
            vpc_id: None,
            deregistration_delay_secs: Some(300),
            cross_zone: None,
            metrics: None,
            targets: vec![
                target("i-1", "ap-northeast-1a", TargetState::Healthy),
                target("i-2", "ap-northeast-1c", TargetState::Unhealthy),
            ],
        };
        assert_eq!(tg.health().describe(), "1 of 2 healthy");
        let az = tg.health_by_az();
        assert!(!az["ap-northeast-1a"].is_down());
        assert!(az["ap-northeast-1c"].is_down());
    }

    #[test]
    fn listener_describes_blue_green_weights() {
        let l = Listener {
            port: 443,
            protocol: "HTTPS".into(),
            forwards: vec![
                Forward {
                    target_group: "tg1".into(),
                    weight: Some(100),
                },
                Forward {
                    target_group: "tg2".into(),
                    weight: Some(0),
                },
            ],
            rules: Some(vec![]),
            rules_listed_at: None,
        };
        assert_eq!(l.describe(), "HTTPS:443 → tg1 100%, tg2 0%");
        assert!(l.is_live_for("tg1"));
        assert!(!l.is_live_for("tg2"));
    }
}
