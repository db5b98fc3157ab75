//! Panel tables built from the model, shared by the TUI and the snapshot: what each row says and
//! which role (ok, warning, problem...) it has. No terminal types here.

pub mod dns;
pub mod instances;
pub mod legend;
pub mod logs;
pub mod role;
pub mod table;
pub mod targets;
pub mod waf;

pub use role::Role;
pub use table::{Cell, Column, Row, SortOrder, Table};

use crate::model::AccountRef;
use crate::sanitize::sanitize;

/// Remote text made safe for display: every table cell from a source goes through here.
pub fn clean(text: &str) -> String {
    sanitize(text).into_owned()
}

/// A row key made unique across accounts: `@222222222222/lb:arn…` for a row read in an account
/// the console watches beside others (two accounts may hold equal ids: an emulator's, the
/// demo's), the key itself with one account.
pub fn in_account(account: Option<&AccountRef>, key: String) -> String {
    match account {
        Some(a) => format!("@{}/{key}", a.id),
        None => key,
    }
}

/// The account id of a key made by [`in_account`] (if any), and the key without it.
pub fn split_account(key: &str) -> (Option<&str>, &str) {
    key.strip_prefix('@')
        .and_then(|k| k.split_once('/'))
        .map_or((None, key), |(id, rest)| (Some(id), rest))
}

/// The key of an account's own row.
pub fn account_key(account: &AccountRef) -> String {
    format!("account:{}", account.id)
}

/// "cms-prod · ": what a problem's subject starts with when its row belongs to an account
/// (nothing with one account).
pub fn account_prefix(account: Option<&AccountRef>) -> String {
    match account {
        Some(a) => format!("{} · ", a.name),
        None => String::new(),
    }
}

/// The rows of a panel's top-level things (load balancers, web ACLs, zones, instances), each
/// built by `build` from depth 0. When they carry accounts, each account's things go one level
/// deeper, under a row naming the account by name and id (in the order the accounts first
/// appear), whose cells after the name `summary` gives; each of their rows is also found by a
/// filter on the account's name or id. With one account (no account on any), the rows as
/// built.
pub fn under_accounts<'a, T>(
    items: &'a [T],
    account_of: impl Fn(&T) -> Option<&AccountRef>,
    mut build: impl FnMut(&'a T, &mut Vec<Row>),
    summary: impl Fn(&[&'a T]) -> Vec<Cell>,
) -> Vec<Row> {
    let mut rows = Vec::new();
    if items.iter().all(|i| account_of(i).is_none()) {
        for item in items {
            build(item, &mut rows);
        }
        return rows;
    }
    let mut groups: Vec<(Option<&AccountRef>, Vec<&'a T>)> = Vec::new();
    for item in items {
        let account = account_of(item);
        match groups.iter_mut().find(|(a, _)| *a == account) {
            Some((_, members)) => members.push(item),
            None => groups.push((account, vec![item])),
        }
    }
    for (account, members) in groups {
        let Some(account) = account else {
            // Read with no account beside accounts: shown as read, above none.
            for item in members {
                build(item, &mut rows);
            }
            continue;
        };
        let name = clean(&account.name);
        let id = clean(&account.id);
        let mut cells = vec![Cell::name_then_id(&name, &format!("({id})"))];
        cells.extend(summary(&members));
        rows.push(Row::new(account_key(account), 0, Role::Title, cells).detail(&account.id));
        let from = rows.len();
        for item in members {
            build(item, &mut rows);
        }
        let context = format!("{name}\n{id}");
        for row in &mut rows[from..] {
            row.depth = row.depth.saturating_add(1);
            row.context = Some(context.clone());
        }
    }
    rows
}

/// One row per place the last refresh could not read, above the data, so an operator sees
/// which part of the panel is old and why: `columns` cells, the place, its state and the error.
pub fn unreadable_rows(unreadable: &[crate::model::Unreadable], columns: usize) -> Vec<Row> {
    unreadable
        .iter()
        .map(|u| {
            let (state, detail) = match u.data_from {
                Some(at) => (
                    "STALE",
                    format!(
                        "{} (showing data from {})",
                        clean(&u.error),
                        at.format("%H:%M:%S UTC")
                    ),
                ),
                None => ("NO DATA", clean(&u.error)),
            };
            let mut cells = vec![
                Cell::new(format!("{}: not read", clean(&u.place))),
                Cell::styled(state, Role::Problem),
                Cell::styled(detail, Role::Problem),
            ];
            cells.resize(columns.max(3), Cell::new(""));
            cells.truncate(columns);
            Row::new(format!("unreadable:{}", u.place), 0, Role::Problem, cells)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Unreadable;
    use crate::source::demo::{Clock, DemoWorld};

    /// Every row of every panel's table has exactly as many cells as the table has columns:
    /// a short row leaves a column empty in the console and breaks a markdown table.
    #[test]
    fn every_row_of_every_panel_has_a_cell_for_each_column() {
        let (clock, _) = Clock::manual(chrono::Utc::now());
        let demo = DemoWorld::new(3, clock);
        let unread = vec![Unreadable {
            account: None,
            place: "eu-west-1".into(),
            error: "AccessDenied".into(),
            data_from: None,
        }];
        let mut targets = demo.targets_view();
        targets.unreadable = unread.clone();
        let mut waf_view = demo.waf_view();
        waf_view.unreadable = unread.clone();
        let mut instances = demo.instances_view();
        instances.unreadable = unread;
        let groups = instances::groups_by_target(&targets);
        let acl = &waf_view.acls[0];
        let samples = demo
            .rule_samples(&acl.id, &acl.rules[0].name)
            .expect("samples");
        let tables = [
            ("targets", targets::table(&targets, &Default::default())),
            ("waf", waf::table(&waf_view)),
            ("samples", waf::samples_table(&samples)),
            ("dns", dns::table(&demo.dns_view())),
            ("instances", instances::table(&instances, &groups)),
        ];
        for (name, table) in tables {
            assert!(!table.rows.is_empty(), "{name}: no rows");
            for row in &table.rows {
                assert_eq!(
                    row.cells.len(),
                    table.columns.len(),
                    "{name}: row {} has {} cells for {} columns",
                    row.key,
                    row.cells.len(),
                    table.columns.len()
                );
            }
        }
    }
}
