//! Time-driven target health: S2's failover drills, registration after a drain/register, and the
//! history of every mutation, so health at any simulated instant can be recomputed.

use super::{DemoWorld, rng_for};
use crate::model::{RuleKind, TargetState, TargetsView};
use rand::RngExt;
use std::collections::BTreeMap;

/// A recurring failover drill on one target, as in S2's write-up.
pub(super) struct Drill {
    /// The target's Name tag.
    pub target: &'static str,
    pub period_ms: i64,
    /// When in each period the service is stopped.
    pub down_at_ms: i64,
    pub down_for_ms: i64,
    /// After restarting, the target is `initial` until it passes the healthy threshold.
    pub checking_for_ms: i64,
    /// One is picked per cycle (seeded): how the failure shows in ELB's reason code.
    pub reasons: &'static [&'static str],
}

/// The drills running in the demo world.
///
/// `ha-web-right`: every 6 minutes httpd is stopped at 2:30 for 90 s, then 20 s of
/// `initial` (healthy threshold 2 × 10 s interval). Its instance stays `ok`: it is httpd, not the
/// VM. `ha-utm-left`: every 18 minutes its WAF is disabled at 10:00 for 60 s (the second drill
/// of the write-up); it never overlaps the web drill's down phase.
pub(super) const DRILLS: &[Drill] = &[
    Drill {
        target: "ha-web-right",
        period_ms: 360_000,
        down_at_ms: 150_000,
        down_for_ms: 90_000,
        checking_for_ms: 20_000,
        reasons: &["Target.FailedHealthChecks", "Target.Timeout"],
    },
    Drill {
        target: "ha-utm-left",
        period_ms: 1_080_000,
        down_at_ms: 600_000,
        down_for_ms: 60_000,
        checking_for_ms: 20_000,
        reasons: &["Target.ResponseCodeMismatch"],
    },
];

/// How long a registered target stays `initial` (`Elb.RegistrationInProgress`).
pub(super) const REGISTRATION_MS: i64 = 10_000;

/// One registered target, exactly as ELBv2 identifies it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct TargetKey {
    pub target_group_arn: String,
    pub id: String,
    pub port: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Registration {
    Deregistered,
    Registered,
}

/// Every mutation applied, in order, each with its simulated time (ms since the origin).
#[derive(Debug, Clone, Default)]
pub(super) struct Changes {
    pub registrations: BTreeMap<TargetKey, Vec<(i64, Registration)>>,
    /// Keyed by (web ACL id, rule name).
    pub rules: BTreeMap<(String, String), Vec<(i64, RuleKind)>>,
    /// Additions to (`true`) and removals from S4's IP set, oldest first (it starts empty).
    pub blocks: Vec<(i64, (String, bool))>,
}

impl Changes {
    /// What S4's IP set held at `t_ms`.
    pub fn blocked_at(&self, t_ms: i64) -> Vec<String> {
        let mut held: Vec<String> = Vec::new();
        for (_, (address, added)) in self.blocks.iter().filter(|(at, _)| *at <= t_ms) {
            held.retain(|a| a != address);
            if *added {
                held.push(address.clone());
            }
        }
        held
    }

    fn registration_at(&self, key: &TargetKey, t_ms: i64) -> Option<(i64, Registration)> {
        self.registrations
            .get(key)?
            .iter()
            .rev()
            .find(|(at, _)| *at <= t_ms)
            .copied()
    }

    /// The rule's kind in effect at `t_ms`, if it was ever changed before then.
    pub fn rule_kind_at(&self, acl_id: &str, rule: &str, t_ms: i64) -> Option<&RuleKind> {
        self.rules
            .get(&(acl_id.to_string(), rule.to_string()))?
            .iter()
            .rev()
            .find(|(at, _)| *at <= t_ms)
            .map(|(_, kind)| kind)
    }
}

/// A target's health at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Health {
    pub state: TargetState,
    pub reason: Option<&'static str>,
    pub drain_remaining_secs: Option<u32>,
}

impl Health {
    fn of(state: TargetState, reason: Option<&'static str>) -> Health {
        Health {
            state,
            reason,
            drain_remaining_secs: None,
        }
    }
}

impl DemoWorld {
    /// The targets panel at `t_ms`.
    pub(super) fn targets_view_at(&self, changes: &Changes, t_ms: i64) -> TargetsView {
        let mut load_balancers = self.estate.load_balancers.clone();
        for tg in load_balancers
            .iter_mut()
            .flat_map(|lb| &mut lb.target_groups)
        {
            let (arn, delay) = (tg.arn.clone(), tg.deregistration_delay());
            for target in &mut tg.targets {
                let key = TargetKey {
                    target_group_arn: arn.clone(),
                    id: target.id.clone(),
                    port: target.port,
                };
                let h = self.health_at(changes, &key, target.name.as_deref(), delay, t_ms);
                target.state = h.state;
                target.reason = h.reason.map(str::to_string);
                target.drain_remaining_secs = h.drain_remaining_secs;
            }
        }
        TargetsView {
            load_balancers,
            ..Default::default()
        }
    }

    /// Health of one registered target at `t_ms`: a deregistration or registration in effect
    /// wins over what the target itself is doing.
    pub(super) fn health_at(
        &self,
        changes: &Changes,
        key: &TargetKey,
        name: Option<&str>,
        delay_secs: u32,
        t_ms: i64,
    ) -> Health {
        let natural = self.natural_health(&key.id, name, t_ms);
        match changes.registration_at(key, t_ms) {
            Some((at, Registration::Deregistered)) => {
                let ends = at + i64::from(delay_secs) * 1000;
                if t_ms < ends {
                    let remaining = (ends - t_ms + 999) / 1000;
                    let state = if natural.state == TargetState::Unhealthy {
                        TargetState::UnhealthyDraining
                    } else {
                        TargetState::Draining
                    };
                    Health {
                        state,
                        reason: Some("Target.DeregistrationInProgress"),
                        drain_remaining_secs: u32::try_from(remaining).ok(),
                    }
                } else {
                    // Kept listed (as AWS does for a while) so the operator can undo the drain.
                    Health::of(TargetState::Unused, Some("Target.NotRegistered"))
                }
            }
            Some((at, Registration::Registered)) if t_ms < at + REGISTRATION_MS => {
                Health::of(TargetState::Initial, Some("Elb.RegistrationInProgress"))
            }
            _ => natural,
        }
    }

    /// What ELB would report for a registered target left alone: stopped instances are unused,
    /// drilled ones follow their drill, the rest are healthy.
    fn natural_health(&self, id: &str, name: Option<&str>, t_ms: i64) -> Health {
        if self.estate.stopped.contains(id) {
            return Health::of(TargetState::Unused, Some("Target.InvalidState"));
        }
        let Some(drill) = name.and_then(|n| DRILLS.iter().find(|d| d.target == n)) else {
            return Health::of(TargetState::Healthy, None);
        };
        let cycle = t_ms.div_euclid(drill.period_ms);
        let phase = t_ms.rem_euclid(drill.period_ms);
        let down_ends = drill.down_at_ms + drill.down_for_ms;
        if (drill.down_at_ms..down_ends).contains(&phase) {
            let pick = rng_for(self.seed, &format!("drill/{}", drill.target), cycle)
                .random_range(0..drill.reasons.len().max(1));
            Health::of(TargetState::Unhealthy, drill.reasons.get(pick).copied())
        } else if (down_ends..down_ends + drill.checking_for_ms).contains(&phase) {
            Health::of(TargetState::Initial, Some("Elb.InitialHealthChecking"))
        } else {
            Health::of(TargetState::Healthy, None)
        }
    }
}
