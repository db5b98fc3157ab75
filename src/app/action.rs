//! What a key can ask for. Keymaps bind keys to these by name.

use crate::model::PanelId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    NextPanel,
    PrevPanel,
    FocusPanel(PanelId),
    Zoom,
    Filter,
    Sort,
    Refresh,
    Drain,
    Undo,
    ToggleRule,
    /// Block a client address in a WAF IP set (or remove it again).
    Block,
    /// Who is hitting us: top client addresses, countries, paths.
    Who,
    TailLogs,
    Follow,
    Split,
    Search,
    SearchOlder,
    SearchNewer,
    Help,
    Stats,
    /// The problems view: every problem, worst first; Enter jumps to its row.
    Problems,
    /// The timeline: what changed, newest first; Enter jumps to its row.
    Timeline,
    /// The selected row's id or ARN to the terminal's clipboard.
    Copy,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Confirm,
    Cancel,
}

/// Every action with its keymap name and a default description, written once.
pub const ACTIONS: &[(&str, Action, &str)] = &[
    ("quit", Action::Quit, "Quit"),
    ("next-panel", Action::NextPanel, "Next panel"),
    ("prev-panel", Action::PrevPanel, "Previous panel"),
    (
        "panel-1",
        Action::FocusPanel(PanelId::Targets),
        "Targets panel",
    ),
    ("panel-2", Action::FocusPanel(PanelId::Waf), "WAF panel"),
    ("panel-3", Action::FocusPanel(PanelId::Dns), "Route53 panel"),
    (
        "panel-4",
        Action::FocusPanel(PanelId::Instances),
        "Instances panel",
    ),
    ("panel-5", Action::FocusPanel(PanelId::Logs), "Logs panel"),
    ("zoom", Action::Zoom, "Zoom the panel / back"),
    ("filter", Action::Filter, "Filter rows"),
    ("sort", Action::Sort, "Cycle sort order"),
    ("refresh", Action::Refresh, "Refresh now"),
    ("drain", Action::Drain, "Drain the selected target"),
    ("undo", Action::Undo, "Register a drained target again"),
    (
        "toggle-rule",
        Action::ToggleRule,
        "Toggle rule: action ↔ Count",
    ),
    ("block", Action::Block, "Block a client address"),
    ("who", Action::Who, "Top clients, countries, paths"),
    ("tail-logs", Action::TailLogs, "Tail the instance's log"),
    ("follow", Action::Follow, "Follow / pause"),
    ("split", Action::Split, "Tails side by side / merged"),
    ("search", Action::Search, "Search: highlight, n/N jump"),
    ("search-older", Action::SearchOlder, "Next match, older"),
    ("search-newer", Action::SearchNewer, "Next match, newer"),
    ("help", Action::Help, "Show keys"),
    ("stats", Action::Stats, "API calls and CloudWatch cost"),
    ("problems", Action::Problems, "Problems, worst first"),
    ("timeline", Action::Timeline, "What changed, newest first"),
    ("copy", Action::Copy, "Copy the selected id / ARN"),
    ("up", Action::Up, "Up"),
    ("down", Action::Down, "Down"),
    ("page-up", Action::PageUp, "Page up"),
    ("page-down", Action::PageDown, "Page down"),
    ("top", Action::Top, "First row"),
    ("bottom", Action::Bottom, "Last row"),
    ("confirm", Action::Confirm, "Yes"),
    ("cancel", Action::Cancel, "No / close / clear filter"),
];

impl Action {
    pub fn from_name(name: &str) -> Option<Action> {
        ACTIONS
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, a, _)| *a)
    }

    pub fn name(self) -> &'static str {
        ACTIONS
            .iter()
            .find(|(_, a, _)| *a == self)
            .map(|(n, _, _)| *n)
            .unwrap_or("unknown")
    }

    /// Actions that would change the world; refused in read-only mode.
    pub fn mutates(self) -> bool {
        matches!(
            self,
            Action::Drain | Action::Undo | Action::ToggleRule | Action::Block
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (name, action, _) in ACTIONS {
            assert_eq!(Action::from_name(name), Some(*action));
            assert_eq!(action.name(), *name);
        }
        assert_eq!(Action::from_name("explode"), None);
    }
}
