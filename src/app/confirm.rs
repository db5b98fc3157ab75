//! The confirmation a mutation needs before it runs: the exact change, its impact, and when the
//! impact is severe, the target id typed back.

use super::App;
use crate::action::{Mutation, drain_impact, toggle_impact};

#[derive(Debug, Clone, PartialEq)]
pub struct Confirmation {
    pub mutation: Mutation,
    /// Lines stating the exact change and its impact.
    pub details: Vec<String>,
    /// A line shown in the problem style: why this one is dangerous.
    pub warning: Option<String>,
    /// When set, the operator must type this text to confirm (a plain `y` is not enough).
    pub type_to_confirm: Option<String>,
    pub typed: String,
    /// Why the last answer was not taken (a mistyped id), shown until the next key.
    pub refused: Option<String>,
    /// How long the change lasts, chosen with the number keys (empty: no choice).
    pub lifetimes: Vec<Lifetime>,
    pub lifetime: usize,
}

/// One choice of how long a change lasts: its label and minutes (`None`: until undone).
pub type Lifetime = (&'static str, Option<i64>);

/// A block's lifetimes; the dialog starts on 1 h.
pub const BLOCK_LIFETIMES: &[Lifetime] = &[
    ("15 m", Some(15)),
    ("1 h", Some(60)),
    ("24 h", Some(24 * 60)),
    ("until removed", None),
];

/// A rule's Count: until restored by hand (the toggle), or for a while.
pub const COUNT_LIFETIMES: &[Lifetime] = &[
    ("until restored", None),
    ("15 m, then restore", Some(15)),
    ("1 h, then restore", Some(60)),
];

/// Who carries out a timed change's undo, shown under its lifetimes: the team's store
/// (`shared_state`, its URL) when there is one, else this machine only.
pub fn undone_by(shared_state: Option<&str>) -> String {
    match shared_state {
        Some(url) => format!(
            "Undone by: any console with write access sharing {}",
            crate::view::clean(url)
        ),
        None => {
            "Undone by: this machine, while a console with write access runs (the undo stays here)"
                .to_string()
        }
    }
}

impl Confirmation {
    pub fn for_mutation(app: &App, mutation: Mutation) -> Confirmation {
        // " · account 123456789012": the one the console signs in to. Where several are watched
        // the dialog names the row's own above the details instead.
        let account = match mutation.account() {
            Some(_) => String::new(),
            None => format!(
                " · account {}",
                app.world
                    .scope
                    .account
                    .clone()
                    .unwrap_or_else(|| app.world.scope.mode.clone())
            ),
        };
        let mut details = Vec::new();
        let mut warning = None;
        let mut type_to_confirm = None;
        match &mutation {
            Mutation::Drain { target } | Mutation::Register { target } => {
                details.push(format!(
                    "Target {} · {}{}",
                    match &target.name {
                        Some(n) => format!("{n} {}", target.id),
                        None => target.id.clone(),
                    },
                    match target
                        .registration
                        .port
                        .or((target.port > 0).then_some(target.port))
                    {
                        Some(p) => format!("port {p} · "),
                        None => String::new(),
                    },
                    target.zone()
                ));
                details.push(format!(
                    "Group {} · load balancer {}{account} · {}",
                    target.target_group, target.load_balancer, target.region
                ));
                let impact = app
                    .world
                    .targets
                    .value
                    .as_ref()
                    .and_then(|v| drain_impact(v, target));
                if let (Mutation::Drain { .. }, Some(i)) = (&mutation, impact) {
                    details.push(match (i.zone_healthy_after, &target.az) {
                        (Some(0), Some(az)) if !i.zone_unserved_when_empty => format!(
                            "After: {} of {} healthy left in the group, none in {az} (served from the other zones: cross-zone load balancing)",
                            i.group_healthy_after, i.group_total
                        ),
                        (Some(n), Some(az)) => format!(
                            "After: {} of {} healthy left in the group, {n} healthy left in {az}",
                            i.group_healthy_after, i.group_total
                        ),
                        _ => format!(
                            "After: {} of {} healthy left in the group (its zone is not known)",
                            i.group_healthy_after, i.group_total
                        ),
                    });
                    if !i.other_groups.is_empty() {
                        details.push(format!("Also registered in: {}", i.other_groups.join(", ")));
                    }
                    details.push(match i.deregistration_delay_secs {
                        Some(secs) => {
                            format!("Drains for the deregistration delay: {secs}s, then unused")
                        }
                        None => "Drains for the group's deregistration delay (not read yet), then unused"
                            .to_string(),
                    });
                    if i.removes_last_healthy {
                        warning = Some(format!(
                            "This is the LAST healthy target of its {}. Type {} and Enter to drain it anyway.",
                            if i.group_healthy_after == 0 {
                                "target group"
                            } else {
                                "zone"
                            },
                            target.id
                        ));
                        type_to_confirm = Some(target.id.clone());
                    }
                }
            }
            Mutation::Block { .. } | Mutation::Unblock { .. } => {}
            Mutation::SetRule { rule, from, to, .. } => {
                details.push(format!(
                    "Web ACL {} · {}{account}",
                    rule.acl_name, rule.region
                ));
                details.push(format!(
                    "Rule {}: {} → {}",
                    rule.rule,
                    from.describe(),
                    to.describe()
                ));
                details.extend(toggle_impact(
                    app.world.waf.value.as_ref(),
                    &rule.acl_id,
                    &rule.rule,
                    from,
                    to,
                ));
            }
        }
        Confirmation {
            mutation,
            details,
            warning,
            type_to_confirm,
            typed: String::new(),
            refused: None,
            lifetimes: Vec::new(),
            lifetime: 0,
        }
    }

    /// The mutation as confirmed at `now`: with the chosen lifetime's end.
    pub fn mutation_at(&self, now: chrono::DateTime<chrono::Utc>) -> Mutation {
        let minutes = self.lifetimes.get(self.lifetime).and_then(|(_, m)| *m);
        let end = minutes.map(|m| now + chrono::Duration::minutes(m));
        let mut m = self.mutation.clone();
        match &mut m {
            Mutation::Block { until, .. } | Mutation::SetRule { until, .. } => *until = end,
            _ => {}
        }
        m
    }

    pub fn typed_matches(&self) -> bool {
        self.type_to_confirm.as_deref() == Some(self.typed.as_str())
    }
}
