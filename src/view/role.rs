//! Named roles for everything that has a style. Panels speak in roles; themes give them colours.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Ordinary text.
    Normal,
    /// Secondary detail: reasons, ids, hints.
    Muted,
    Ok,
    Warning,
    Problem,
    /// Data older than it should be.
    Stale,
    Border,
    /// The border and title of the focused panel.
    Focus,
    /// The selected row.
    Selection,
    /// Table headers.
    Header,
    /// Panel titles and the app header.
    Title,
    /// Key hints in the footer.
    Hint,
    /// Sparklines.
    Spark,
    /// Dialog background and text.
    Dialog,
}

impl Role {
    pub const ALL: [Role; 14] = [
        Role::Normal,
        Role::Muted,
        Role::Ok,
        Role::Warning,
        Role::Problem,
        Role::Stale,
        Role::Border,
        Role::Focus,
        Role::Selection,
        Role::Header,
        Role::Title,
        Role::Hint,
        Role::Spark,
        Role::Dialog,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::Normal => "normal",
            Role::Muted => "muted",
            Role::Ok => "ok",
            Role::Warning => "warning",
            Role::Problem => "problem",
            Role::Stale => "stale",
            Role::Border => "border",
            Role::Focus => "focus",
            Role::Selection => "selection",
            Role::Header => "header",
            Role::Title => "title",
            Role::Hint => "hint",
            Role::Spark => "spark",
            Role::Dialog => "dialog",
        }
    }

    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }

    /// The role of the two that needs more attention.
    pub fn worse(self, other: Role) -> Role {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }

    /// How much a row in this role needs attention; used by "problems first" sorting.
    pub fn severity(self) -> u8 {
        match self {
            Role::Problem => 3,
            Role::Stale => 2,
            Role::Warning => 2,
            _ => 0,
        }
    }
}
