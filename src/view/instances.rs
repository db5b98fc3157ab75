//! The Instances table: one row per EC2 instance with its checks, events and target groups.

use super::table::{Cell, Column, Row, Table};
use super::{Role, clean};
use crate::model::{CheckStatus, Instance, InstancesView, TargetsView};
use std::collections::HashMap;

/// Ordered by importance: narrow panels cut the names, then drop columns from the right; the
/// state and the status checks stay (a stopped instance's "not-applicable/not-applicable" is
/// cut in the middle rather than widening the column for one row).
pub fn columns() -> Vec<Column> {
    vec![
        Column::new("Instance", 24),
        Column::state("State", 8),
        Column::state("Sys/Inst check", 14).up_to(14),
        Column::new("Events", 16),
        Column::new("Target groups", 16),
        Column::new("Private IP", 13),
        Column::new("Type", 10),
        Column::new("AZ", 15),
    ]
}

/// Target groups each target id is registered in, for the instances' last column.
pub fn groups_by_target(view: &TargetsView) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for tg in view.load_balancers.iter().flat_map(|lb| &lb.target_groups) {
        for t in &tg.targets {
            let groups = map.entry(t.id.clone()).or_default();
            if !groups.contains(&tg.name) {
                groups.push(tg.name.clone());
            }
        }
    }
    map
}

pub fn table(view: &InstancesView, groups: &HashMap<String, Vec<String>>) -> Table {
    let mut rows = super::unreadable_rows(&view.unreadable, columns().len());
    rows.extend(super::under_accounts(
        &view.instances,
        |i| i.account.as_ref(),
        |i, rows| {
            rows.push(instance_row(
                i,
                groups.get(&i.id).map(Vec::as_slice).unwrap_or(&[]),
            ))
        },
        |instances| {
            let mut cells = vec![Cell::new(""); columns().len() - 1];
            let running = instances.iter().filter(|i| i.state == "running").count();
            if let Some(events) = cells.get_mut(2) {
                *events = Cell::styled(
                    format!("{running}/{} running", instances.len()),
                    Role::Muted,
                );
            }
            cells
        },
    ));
    Table {
        columns: columns(),
        rows,
    }
}

fn check_role(c: CheckStatus) -> Role {
    match c {
        CheckStatus::Ok => Role::Ok,
        CheckStatus::Impaired => Role::Problem,
        CheckStatus::InsufficientData | CheckStatus::Initializing => Role::Warning,
        CheckStatus::NotApplicable => Role::Muted,
    }
}

fn instance_row(i: &Instance, groups: &[String]) -> Row {
    let checks_role = check_role(i.system_status).worse(check_role(i.instance_status));
    let state_role = match i.state.as_str() {
        "running" => Role::Ok,
        "stopped" | "stopping" if !groups.is_empty() => Role::Problem,
        "pending" | "stopping" | "shutting-down" => Role::Warning,
        _ => Role::Muted,
    };
    let events = i
        .events
        .iter()
        .map(|e| match e.not_before {
            Some(t) => format!("{} {}", clean(&e.code), t.format("%m-%d")),
            None => clean(&e.code),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let role = if checks_role == Role::Problem || state_role == Role::Problem {
        Role::Problem
    } else if !i.events.is_empty() {
        Role::Warning
    } else {
        Role::Normal
    };
    Row::new(
        super::in_account(i.account.as_ref(), instance_key(&i.id)),
        0,
        role,
        vec![
            match &i.name {
                Some(n) => Cell::name_then_id(&clean(n), &clean(&i.id)),
                None => Cell::new(clean(&i.id)),
            },
            Cell::styled(clean(&i.state), state_role),
            Cell::styled(
                format!(
                    "{}/{}",
                    i.system_status.as_str(),
                    i.instance_status.as_str()
                ),
                checks_role,
            ),
            Cell::styled(events, Role::Warning),
            Cell::styled(
                groups
                    .iter()
                    .map(|g| clean(g))
                    .collect::<Vec<_>>()
                    .join(", "),
                Role::Muted,
            ),
            Cell::new(i.private_ip.as_deref().map(clean).unwrap_or_default()),
            Cell::styled(clean(&i.instance_type), Role::Muted),
            Cell::styled(clean(&i.az), Role::Muted),
        ],
    )
    .detail(&i.id)
}

/// The row key of an instance.
pub fn instance_key(id: &str) -> String {
    format!("i:{id}")
}
