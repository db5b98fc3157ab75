//! The Route53 table: hosted zone → record set → one row per location (or policy entry).

use super::table::{Cell, Column, Row, Table};
use super::{Role, clean, in_account};
use crate::model::{DnsView, Health, HostedZone, Record, RecordSet, RoutingPolicy};

pub fn columns() -> Vec<Column> {
    vec![
        Column::new("Zone / record set / location", 30),
        Column::new("Answer", 28),
        // What Route53 thinks of the answer: stays when the names and answers are cut.
        Column::state("Health", 11),
    ]
}

pub fn table(view: &DnsView) -> Table {
    let mut rows = super::unreadable_rows(&view.unreadable, columns().len());
    rows.extend(super::under_accounts(
        &view.zones,
        |zone| zone.account.as_ref(),
        zone_rows,
        |zones| {
            vec![
                Cell::styled(
                    format!(
                        "{} zone{}",
                        zones.len(),
                        if zones.len() == 1 { "" } else { "s" }
                    ),
                    Role::Muted,
                ),
                Cell::new(""),
            ]
        },
    ));
    Table {
        columns: columns(),
        rows,
    }
}

/// The warning shown on a geolocation set with no default location.
pub const NO_DEFAULT_WARNING: &str = "no default (*) record: unmatched locations get no answer";

fn zone_rows(zone: &HostedZone, rows: &mut Vec<Row>) {
    rows.push(
        Row::new(
            in_account(zone.account.as_ref(), format!("zone:{}", zone.id)),
            0,
            Role::Title,
            vec![
                Cell::new(clean(&zone.name)),
                Cell::styled(
                    if zone.private {
                        "private zone"
                    } else {
                        "public zone"
                    },
                    Role::Muted,
                ),
                Cell::new(""),
            ],
        )
        .detail(&zone.id),
    );
    for set in &zone.record_sets {
        set_rows(zone, set, rows);
    }
}

/// The row key of a record set (in its zone's account, when it has one).
pub fn set_key(zone: &HostedZone, set: &RecordSet) -> String {
    in_account(
        zone.account.as_ref(),
        format!("set:{}:{}:{}", zone.id, set.name, set.rtype),
    )
}

fn set_rows(zone: &HostedZone, set: &RecordSet, rows: &mut Vec<Row>) {
    let set_key = set_key(zone, set);
    let missing_default = set.lacks_default_location();
    let (detail, role) = if missing_default {
        (format!("⚠ {NO_DEFAULT_WARNING}"), Role::Warning)
    } else {
        (String::new(), Role::Normal)
    };
    rows.push(
        Row::new(
            set_key.clone(),
            1,
            role,
            vec![
                Cell::new(format!(
                    "{} {} {}",
                    clean(&set.name),
                    clean(&set.rtype),
                    set.policy.as_str()
                )),
                Cell::styled(detail, role),
                Cell::new(""),
            ],
        )
        .detail(&set.name),
    );
    for (i, record) in set.records.iter().enumerate() {
        rows.push(record_row(&set_key, set.policy, i, record));
    }
}

pub fn health_role(h: Health) -> Role {
    match h {
        Health::Healthy => Role::Ok,
        Health::Unhealthy => Role::Problem,
        Health::Unknown => Role::Warning,
        Health::NotChecked => Role::Muted,
    }
}

fn record_row(set_key: &str, policy: RoutingPolicy, index: usize, r: &Record) -> Row {
    // The set identifier is shown beside the location or policy: problems name a record by
    // it, and a filter must find it.
    let label = match (&r.location, &r.policy_detail, &r.set_identifier) {
        (Some(loc), _, Some(id)) => format!("{} {}", clean(&loc.describe()), clean(id)),
        (Some(loc), _, None) => clean(&loc.describe()),
        (None, Some(detail), Some(id)) => format!("{} {}", clean(detail), clean(id)),
        (None, Some(detail), None) => clean(detail),
        (None, None, Some(id)) => clean(id),
        (None, None, None) => policy.as_str().to_string(),
    };
    let id = r
        .set_identifier
        .as_deref()
        .map(clean)
        .unwrap_or_else(|| index.to_string());
    let role = if r.health == Health::Unhealthy {
        Role::Problem
    } else {
        Role::Normal
    };
    Row::new(
        format!("{set_key}:{id}"),
        2,
        role,
        vec![
            Cell::new(label),
            Cell::new(clean(&r.answer.describe())),
            Cell::styled(r.health.as_str(), health_role(r.health)),
        ],
    )
    .detail(r.answer.value())
}
