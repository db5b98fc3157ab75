//! The Targets table: load balancer → listeners and target groups → targets.

use super::table::{Cell, Column, Row, Table};
use super::{Role, clean, in_account};
use crate::model::{HealthCount, LoadBalancer, Target, TargetGroup, TargetState, TargetsView};
use std::collections::{BTreeMap, HashMap};

/// Ordered by importance: narrow panels cut the names, then drop the other columns from the
/// right; the state and the zones' health are what the panel answers, and stay.
pub fn columns() -> Vec<Column> {
    vec![
        Column::new("Load balancer / target group / target", 30),
        Column::state("State", 14),
        Column::new("Reason / detail", 22),
        Column::state("AZ", 15),
        Column::new("Port", 5),
    ]
}

/// Instance id → Name tag, for targets the load balancer knows only by id.
pub type Names = HashMap<String, String>;

pub fn table(view: &TargetsView, names: &Names) -> Table {
    let mut rows = super::unreadable_rows(&view.unreadable, columns().len());
    rows.extend(super::under_accounts(
        &view.load_balancers,
        |lb| lb.account.as_ref(),
        |lb, rows| lb_rows(lb, names, rows),
        account_summary,
    ));
    Table {
        columns: columns(),
        rows,
    }
}

/// An account's row: how many of its targets are healthy, and how many load balancers it has.
fn account_summary(lbs: &[&LoadBalancer]) -> Vec<Cell> {
    let mut health = HealthCount::default();
    for t in lbs
        .iter()
        .flat_map(|lb| &lb.target_groups)
        .flat_map(|tg| &tg.targets)
    {
        health.add(t);
    }
    let role = match (health.total, health.healthy == health.total) {
        (0, _) => Role::Muted,
        (_, true) => Role::Ok,
        _ => Role::Warning,
    };
    vec![
        Cell::styled(health.describe(), role),
        Cell::styled(
            format!(
                "{} load balancer{}",
                lbs.len(),
                if lbs.len() == 1 { "" } else { "s" }
            ),
            Role::Muted,
        ),
        Cell::new(""),
        Cell::new(""),
    ]
}

fn lb_rows(lb: &LoadBalancer, names: &Names, rows: &mut Vec<Row>) {
    let account = lb.account.as_ref();
    let live_down = lb.target_groups.iter().any(|tg| {
        let serving = lb.listeners.iter().any(|l| l.is_live_for(&tg.name));
        serving && tg.health().is_down()
    });
    let role = if live_down {
        Role::Problem
    } else {
        Role::Title
    };
    rows.push(
        Row::new(
            in_account(account, format!("lb:{}", lb.arn)),
            0,
            role,
            vec![
                Cell::new(format!("{} {}", clean(&lb.name), lb.kind.short())),
                Cell::styled(clean(&lb.scheme), Role::Muted),
                Cell::styled(clean(&lb.region), Role::Muted),
                Cell::new(""),
                Cell::new(""),
            ],
        )
        .detail(&lb.arn),
    );
    for l in &lb.listeners {
        rows.push(
            Row::new(
                in_account(account, format!("listener:{}:{}", lb.arn, l.port)),
                1,
                Role::Muted,
                vec![
                    Cell::new(clean(&l.describe())),
                    Cell::new(""),
                    // Which rules it has is listed every few minutes; what they say is current.
                    Cell::new(match l.rules_listed_at {
                        Some(at) => format!("listener; rules listed {} UTC", at.format("%H:%M")),
                        None => "listener".to_string(),
                    }),
                    Cell::new(""),
                    Cell::new(l.port.to_string()),
                ],
            )
            .pinned(),
        );
        // Rules that forward by host, path or header: the groups they reach are served too.
        for r in l.rules.iter().flatten() {
            let to: Vec<String> = r.forwards.iter().map(|f| clean(&f.target_group)).collect();
            rows.push(Row::new(
                in_account(
                    account,
                    format!("rule:{}:{}:{}", lb.arn, l.port, r.priority),
                ),
                2,
                Role::Muted,
                vec![
                    Cell::new(format!("{} → {}", clean(&r.conditions), to.join(", "))),
                    Cell::new(""),
                    Cell::new(format!("rule {}", clean(&r.priority))),
                    Cell::new(""),
                    Cell::new(l.port.to_string()),
                ],
            ));
        }
    }
    for tg in &lb.target_groups {
        let live = lb.listeners.iter().any(|l| l.is_live_for(&tg.name));
        group_rows(lb, tg, live, names, rows);
    }
}

fn group_rows(lb: &LoadBalancer, tg: &TargetGroup, live: bool, names: &Names, rows: &mut Vec<Row>) {
    let health = tg.health();
    let by_az = tg.health_by_az();
    let az_down = by_az.values().any(HealthCount::is_down);
    let role = if health.is_down() {
        Role::Problem
    } else if az_down {
        Role::Warning
    } else {
        Role::Normal
    };
    let health_role = match (health.is_down(), az_down, health.total) {
        (_, _, 0) => Role::Muted,
        (true, _, _) => Role::Problem,
        (false, true, _) => Role::Warning,
        _ => Role::Ok,
    };
    let traffic = if live { "live" } else { "standby" };
    rows.push(
        Row::new(
            in_account(lb.account.as_ref(), group_key(&tg.arn)),
            1,
            role,
            vec![
                Cell::new(format!("{} [{traffic}]", clean(&tg.name))),
                Cell::styled(health.describe(), health_role),
                group_detail(tg),
                Cell::styled(
                    az_summary(tg, &by_az),
                    if az_down { Role::Problem } else { Role::Muted },
                ),
                // A Lambda group has neither port nor protocol.
                Cell::new(if tg.port == 0 {
                    "—".to_string()
                } else {
                    tg.port.to_string()
                }),
            ],
        )
        .detail(&tg.arn),
    );
    for t in &tg.targets {
        rows.push(target_row(lb, tg, t, names));
    }
}

/// "5xx 3 · 120 ms · HTTP instance · delay 300s": load first, it changes; then the setup.
fn group_detail(tg: &TargetGroup) -> Cell {
    let mut setup = format!("{} {}", clean(&tg.protocol), clean(&tg.target_type))
        .trim()
        .to_string();
    if let Some(secs) = tg.deregistration_delay_secs {
        setup.push_str(&format!(" · delay {secs}s"));
    }
    match tg
        .metrics
        .map(|m| (m.describe(), m.target_5xx.unwrap_or(0)))
    {
        Some((load, errors)) if !load.is_empty() => Cell::styled(
            format!("{load} · {setup}"),
            if errors > 0 {
                Role::Warning
            } else {
                Role::Muted
            },
        ),
        _ => Cell::styled(setup, Role::Muted),
    }
}

/// "1a 1/1 · 1c 0/1": healthy/total per zone, by the zone's short suffix; "—" for targets
/// whose zones are not known (an ALB behind an NLB, a Lambda function).
fn az_summary(tg: &TargetGroup, by_az: &BTreeMap<String, HealthCount>) -> String {
    if by_az.is_empty() && !tg.targets.is_empty() {
        return "—".to_string();
    }
    by_az
        .iter()
        .map(|(az, c)| format!("{} {}/{}", az_suffix(az), c.healthy, c.total))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn az_suffix(az: &str) -> String {
    // "ap-northeast-1a" → "1a": the region is on the load balancer's row. Anything unusual is
    // shown whole.
    let s = clean(az);
    match s.rsplit_once('-') {
        Some((_, tail)) if !tail.is_empty() => tail.to_string(),
        _ => s,
    }
}

pub fn state_role(state: TargetState) -> Role {
    match state {
        TargetState::Healthy => Role::Ok,
        TargetState::Unhealthy | TargetState::UnhealthyDraining => Role::Problem,
        TargetState::Draining | TargetState::Initial => Role::Warning,
        TargetState::Unused | TargetState::Unavailable => Role::Muted,
    }
}

fn target_row(lb: &LoadBalancer, tg: &TargetGroup, t: &Target, names: &Names) -> Row {
    let label = match t.name.as_ref().or_else(|| names.get(&t.id)) {
        Some(n) => Cell::name_then_id(&clean(n), &clean(&t.id)),
        None => Cell::new(clean(&t.id)),
    };
    let mut detail = t.reason.as_deref().map(clean).unwrap_or_default();
    if let Some(left) = t.drain_remaining_secs {
        detail = format!("{detail} {left}s left").trim().to_string();
    }
    let role = state_role(t.state);
    Row::new(
        in_account(lb.account.as_ref(), target_key(&tg.arn, &t.id, t.port)),
        2,
        if role == Role::Problem {
            Role::Problem
        } else {
            Role::Normal
        },
        vec![
            label,
            Cell::styled(t.state.as_aws(), role),
            Cell::styled(detail, Role::Muted),
            // "—": the zone is not known (an ALB behind an NLB, an instance EC2 would not
            // describe); a Lambda function has no port.
            Cell::new(t.az.as_deref().map_or("—".to_string(), az_suffix)),
            Cell::new(if t.port == 0 && t.registration.port.is_none() {
                "—".to_string()
            } else {
                t.port.to_string()
            }),
        ],
    )
    .detail(&t.id)
}

/// The row key of a target group (see [`super::in_account`] for one read in an account).
pub fn group_key(tg_arn: &str) -> String {
    format!("tg:{tg_arn}")
}

/// The row key of a target, used to find it again after a refresh or an action.
pub fn target_key(tg_arn: &str, id: &str, port: u16) -> String {
    format!("t:{tg_arn}:{id}:{port}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Forward, LbKind, Listener, Registration};

    fn target(id: &str, az: &str, state: TargetState) -> Target {
        Target {
            id: id.into(),
            name: Some(format!("web-{id}")),
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
    fn zone_without_healthy_target_is_a_problem() {
        let view = TargetsView {
            unreadable: vec![],
            load_balancers: vec![LoadBalancer {
                account: None,
                name: "ha-lbint".into(),
                arn: "arn:lb".into(),
                kind: LbKind::Application,
                scheme: "internal".into(),
                region: "ap-northeast-1".into(),
                dns_name: "x".into(),
                listeners: vec![Listener {
                    port: 80,
                    protocol: "HTTP".into(),
                    forwards: vec![Forward {
                        target_group: "ha-web".into(),
                        weight: None,
                    }],
                    rules: Some(vec![]),
                    rules_listed_at: None,
                }],
                target_groups: vec![TargetGroup {
                    name: "ha-web".into(),
                    arn: "arn:tg".into(),
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
                }],
            }],
        };
        let t = table(&view, &Names::new());
        let tg = t.rows.iter().find(|r| r.key == "tg:arn:tg").unwrap();
        assert_eq!(tg.cells[3].text, "1a 1/1 · 1c 0/1");
        assert_eq!(tg.cells[3].role, Some(Role::Problem));
        assert_eq!(tg.cells[1].text, "1 of 2 healthy");
        assert!(tg.cells[0].text.contains("[live]"));
        let bad = t.rows.iter().find(|r| r.key == "t:arn:tg:i-2:80").unwrap();
        assert_eq!(bad.role, Role::Problem);
    }
}
