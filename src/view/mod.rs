//! Panel tables built from the model, shared by the TUI and the snapshot: what each row says and
//! which role (ok, warning, problem...) it has. No terminal types here.

pub mod dns;
pub mod instances;
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
