//! Every panel's view state in one place, keyed by panel id: what the operator has done to a
//! panel (selection, scroll, filter, sort) as opposed to the data it shows (`World`).
//!
//! Code that acts on "the focused panel" or "every table" asks the registry by id instead of
//! naming each panel, so a new dimension (accounts) adds no special case per panel. What really
//! differs between panels (how their rows are built, the logs' scrolling) stays with the callers.

use super::{LogPanel, TablePanel};
use crate::config::Settings;
use crate::model::PanelId;

pub struct Panels {
    /// The polled panels' tables, in `PanelId::TABLES` order.
    tables: [(PanelId, TablePanel); PanelId::TABLES.len()],
    /// The selected WAF rule's sampled requests: a table under the WAF panel's rules, never
    /// focused on its own, so no panel id reaches it.
    pub samples: TablePanel,
    /// The log tail: scrolled and searched, not a table of rows.
    pub logs: LogPanel,
}

impl Panels {
    /// Every panel as a console starts, with the filters the configuration starts them with.
    pub fn new(settings: &Settings) -> Panels {
        Panels {
            tables: PanelId::TABLES
                .map(|p| (p, TablePanel::with_filter(settings.initial_filter(p)))),
            samples: TablePanel::default(),
            logs: LogPanel::new(settings.initial_filter(PanelId::Logs)),
        }
    }

    /// A table panel's state; `None` for the logs, which are no table.
    pub fn get(&self, panel: PanelId) -> Option<&TablePanel> {
        self.tables
            .iter()
            .find(|(p, _)| *p == panel)
            .map(|(_, table)| table)
    }

    pub fn get_mut(&mut self, panel: PanelId) -> Option<&mut TablePanel> {
        self.tables
            .iter_mut()
            .find(|(p, _)| *p == panel)
            .map(|(_, table)| table)
    }

    /// The filter a panel is shown with, the logs' included (shown in every panel's title).
    pub fn filter(&self, panel: PanelId) -> &str {
        match self.get(panel) {
            Some(table) => &table.filter,
            None => &self.logs.filter,
        }
    }
}
