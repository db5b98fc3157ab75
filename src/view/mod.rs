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
