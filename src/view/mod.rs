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

use crate::sanitize::sanitize;

/// Remote text made safe for display: every table cell from a source goes through here.
pub fn clean(text: &str) -> String {
    sanitize(text).into_owned()
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
