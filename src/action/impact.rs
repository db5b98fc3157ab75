//! What a drain would leave behind, so the confirmation can say it before anything changes.

use super::TargetRef;
use crate::model::{TargetState, TargetsView};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrainImpact {
    /// Healthy targets left in the target group after the drain.
    pub group_healthy_after: usize,
    pub group_total: usize,
    /// Healthy targets left in the target's zone (within the group) after the drain; `None`
    /// when the target's zone is not known.
    pub zone_healthy_after: Option<usize>,
    /// Other target groups the same target id is registered in.
    pub other_groups: Vec<String>,
    /// `None`: not read yet.
    pub deregistration_delay_secs: Option<u32>,
    /// Whether a zone left without healthy targets goes unserved: cross-zone load balancing is
    /// off for the group (an NLB's default), or not known for an NLB. Behind an ALB (cross-zone
    /// on unless the group turns it off) the other zones serve it, and the zone figure is
    /// information only.
    pub zone_unserved_when_empty: bool,
    /// The target is healthy and would leave its group, or a zone that nothing else serves,
    /// with none.
    pub removes_last_healthy: bool,
}

/// Computes the impact of draining `target`, or `None` if it is no longer in the view.
pub fn drain_impact(view: &TargetsView, target: &TargetRef) -> Option<DrainImpact> {
    let (lb, group) = view
        .load_balancers
        .iter()
        .flat_map(|lb| lb.target_groups.iter().map(move |tg| (lb, tg)))
        .find(|(_, tg)| tg.arn == target.target_group_arn)?;
    let zone_unserved_when_empty = !group.other_zones_serve(lb.kind);
    let this = group
        .targets
        .iter()
        .find(|t| t.id == target.id && t.port == target.port)?;
    // A target served without health checks (a Lambda group's default) serves all the same.
    let healthy = |t: &&crate::model::Target| t.state == TargetState::Healthy || t.is_unchecked();
    let others = || {
        group
            .targets
            .iter()
            .filter(|t| !(t.id == target.id && t.port == target.port))
    };
    let group_healthy_after = others().filter(healthy).count();
    let zone_healthy_after = this.az.as_ref().map(|az| {
        others()
            .filter(|t| t.az.as_ref() == Some(az))
            .filter(healthy)
            .count()
    });
    let mut other_groups: Vec<String> = view
        .load_balancers
        .iter()
        .flat_map(|lb| &lb.target_groups)
        .filter(|tg| tg.arn != group.arn && tg.targets.iter().any(|t| t.id == target.id))
        .map(|tg| tg.name.clone())
        .collect();
    other_groups.dedup();
    let removes_last_healthy = healthy(&this)
        && (group_healthy_after == 0
            || (zone_unserved_when_empty && zone_healthy_after == Some(0)));
    Some(DrainImpact {
        group_healthy_after,
        group_total: group.targets.len(),
        zone_healthy_after,
        other_groups,
        deregistration_delay_secs: group.deregistration_delay_secs,
        zone_unserved_when_empty,
        removes_last_healthy,
    })
}
