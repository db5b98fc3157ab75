//! One table panel's view state: its rows after filter and sort, and a selection that follows
//! the same row (by key) across refreshes.

use crate::view::{Role, SortOrder, Table};

#[derive(Debug, Clone, Default)]
pub struct TablePanel {
    /// Rows after filter and sort, as drawn.
    pub table: Table,
    /// Every row as built from the data, while a filter or sort order hides or moves some: a new
    /// filter or order starts from here instead of from the data. Without either, `table` holds
    /// every row and no second copy is kept (a wall shows 10,000 targets unfiltered for weeks).
    all: Option<Table>,
    pub selected: usize,
    selected_key: Option<String>,
    /// First visible row.
    pub offset: usize,
    pub filter: String,
    /// The width each column's content needs, measured when the rows change (not every frame).
    pub needed: Vec<u16>,
    /// The filter the rows were last shaped with: a new one moves the selection to the first
    /// row that matches it (not a parent kept for context).
    shaped_with: String,
    pub sort: SortOrder,
}

impl TablePanel {
    pub fn with_filter(filter: Option<&str>) -> Self {
        TablePanel {
            filter: filter.unwrap_or_default().to_string(),
            ..Default::default()
        }
    }

    /// Replaces the rows (already built from fresh data), keeping the selection on the same key.
    pub fn set_table(&mut self, mut table: Table, viewport: usize) {
        // Rows are pushed one by one; the slack a growing vector leaves (up to half of it: 0.3
        // MB on a zone of 2,000 records) would stay until the next refresh (BENCHMARKS.md §16).
        table.rows.shrink_to_fit();
        self.all = Some(table);
        self.reshape(viewport);
    }

    /// Applies the current filter and sort order again to the rows already built.
    pub fn reshape(&mut self, viewport: usize) {
        let all = self
            .all
            .take()
            .unwrap_or_else(|| std::mem::take(&mut self.table));
        if self.filter.trim().is_empty() && self.sort == SortOrder::Natural {
            self.table = all;
        } else {
            let mut table = all.filtered(&self.filter);
            table.sort(self.sort);
            self.table = table;
            self.all = Some(all);
        }
        let new_filter = self.filter != self.shaped_with;
        self.shaped_with = self.filter.clone();
        let first_match = new_filter
            .then(|| self.table.first_match(&self.filter))
            .flatten();
        let found = first_match.or_else(|| {
            self.selected_key
                .as_ref()
                .and_then(|k| self.table.rows.iter().position(|r| &r.key == k))
        });
        match found {
            Some(i) => self.selected = i,
            None => self.selected = self.selected.min(self.table.rows.len().saturating_sub(1)),
        }
        self.needed = self.table.needed_widths();
        self.remember_key();
        self.keep_visible(viewport);
    }

    /// Rows a problem concerns take at least that problem's role (`marks`: row key → role),
    /// whatever their cells say, so they look like problems and sort with them.
    pub fn mark(&mut self, marks: &std::collections::HashMap<String, Role>, viewport: usize) {
        if marks.is_empty() {
            return;
        }
        for table in [self.all.as_mut(), Some(&mut self.table)]
            .into_iter()
            .flatten()
        {
            for row in &mut table.rows {
                if let Some(role) = marks.get(row.key.as_str())
                    && role.severity() > row.role.severity()
                {
                    row.role = *role;
                }
            }
        }
        if self.sort != SortOrder::Natural {
            self.reshape(viewport);
        }
    }

    pub fn selected_key(&self) -> Option<&str> {
        self.selected_key.as_deref()
    }

    /// Moves the selection by `delta` rows, clamped to the table.
    pub fn move_by(&mut self, delta: isize, viewport: usize) {
        let last = self.table.rows.len().saturating_sub(1);
        let target = (self.selected as isize + delta).clamp(0, last as isize);
        self.select(target as usize, viewport);
    }

    pub fn select(&mut self, index: usize, viewport: usize) {
        self.selected = index.min(self.table.rows.len().saturating_sub(1));
        self.remember_key();
        self.keep_visible(viewport);
    }

    /// Selects the row with this key if it is shown; a key given without its account (by a
    /// part of the console that does not know it) finds the first row it names in any account.
    pub fn select_key(&mut self, key: &str, viewport: usize) -> bool {
        let found = self
            .table
            .rows
            .iter()
            .position(|r| r.key == key)
            .or_else(|| {
                self.table
                    .rows
                    .iter()
                    .position(|r| crate::view::split_account(&r.key).1 == key)
            });
        match found {
            Some(i) => {
                self.select(i, viewport);
                true
            }
            None => false,
        }
    }

    fn remember_key(&mut self) {
        self.selected_key = self.table.rows.get(self.selected).map(|r| r.key.clone());
    }

    /// Scrolls just enough to keep the selected row inside a viewport of `height` rows.
    pub fn keep_visible(&mut self, height: usize) {
        let height = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        let max_offset = self.table.rows.len().saturating_sub(height);
        self.offset = self.offset.min(max_offset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::{Cell, Role, Row};

    fn table(keys: &[&str]) -> Table {
        Table {
            columns: vec![],
            rows: keys
                .iter()
                .map(|k| Row::new(*k, 0, Role::Normal, vec![Cell::new(*k)]))
                .collect(),
        }
    }

    #[test]
    fn rows_kept_for_a_panel_hold_no_slack() {
        // As a view builds them: one push at a time, the vector doubling as it goes.
        let mut t = Table::default();
        for i in 0..2_500 {
            t.rows.push(Row::new(
                i.to_string(),
                0,
                Role::Normal,
                vec![Cell::new("x")],
            ));
        }
        assert!(t.rows.capacity() > t.rows.len());
        let mut p = TablePanel::default();
        p.set_table(t, 10);
        assert_eq!(p.table.rows.capacity(), 2_500);
        assert_eq!(p.table.rows.len(), 2_500);
    }

    #[test]
    fn selection_follows_its_row_across_refreshes() {
        let mut p = TablePanel::default();
        p.set_table(table(&["a", "b", "c"]), 10);
        p.move_by(2, 10);
        assert_eq!(p.selected_key(), Some("c"));
        p.set_table(table(&["new", "a", "b", "c"]), 10);
        assert_eq!(p.selected, 3);
        assert_eq!(p.selected_key(), Some("c"));
    }

    #[test]
    fn a_filter_narrows_and_widens_without_new_data() {
        let mut p = TablePanel::default();
        p.set_table(table(&["web-01", "web-02", "db-01", "Web-10"]), 10);
        p.filter = "WEB-0".into();
        p.reshape(10);
        let keys = |p: &TablePanel| -> Vec<String> {
            p.table.rows.iter().map(|r| r.key.clone()).collect()
        };
        assert_eq!(keys(&p), ["web-01", "web-02"]);
        p.filter = "web".into();
        p.reshape(10);
        assert_eq!(keys(&p), ["web-01", "web-02", "Web-10"]);
        // No match across cells or rows: "01\nweb" is not in any single cell.
        p.filter = "01web".into();
        p.reshape(10);
        assert!(keys(&p).is_empty());
        p.filter.clear();
        p.reshape(10);
        assert_eq!(keys(&p).len(), 4);
    }

    #[test]
    fn only_a_filtered_or_sorted_panel_keeps_a_second_copy_of_its_rows() {
        let mut p = TablePanel::default();
        p.set_table(table(&["web-01", "db-01"]), 10);
        assert!(p.all.is_none());
        p.filter = "db".into();
        p.reshape(10);
        assert_eq!(p.all.as_ref().map(|t| t.rows.len()), Some(2));
        assert_eq!(p.table.rows.len(), 1);
        // New data under the filter, then the filter cleared: every new row is back.
        p.set_table(table(&["web-01", "db-01", "db-02"]), 10);
        assert_eq!(p.table.rows.len(), 2);
        p.filter.clear();
        p.reshape(10);
        assert!(p.all.is_none());
        assert_eq!(p.table.rows.len(), 3);
        p.sort = SortOrder::ProblemsFirst;
        p.reshape(10);
        assert!(p.all.is_some());
        assert_eq!(p.table.rows.len(), 3);
    }

    #[test]
    fn vanished_row_keeps_position_clamped() {
        let mut p = TablePanel::default();
        p.set_table(table(&["a", "b", "c"]), 10);
        p.move_by(2, 10);
        p.set_table(table(&["a", "b"]), 10);
        assert_eq!(p.selected, 1);
        assert_eq!(p.selected_key(), Some("b"));
    }

    #[test]
    fn scrolling_keeps_selection_visible() {
        let keys: Vec<String> = (0..50).map(|i| i.to_string()).collect();
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let mut p = TablePanel::default();
        p.set_table(table(&refs), 10);
        p.move_by(25, 10);
        assert_eq!(p.offset, 16);
        p.move_by(-20, 10);
        assert_eq!(p.offset, 5);
        p.move_by(-100, 10);
        assert_eq!((p.selected, p.offset), (0, 0));
    }

    #[test]
    fn empty_table_is_safe() {
        let mut p = TablePanel::default();
        p.set_table(table(&[]), 10);
        p.move_by(5, 10);
        p.move_by(-5, 10);
        assert_eq!(p.selected, 0);
        assert_eq!(p.selected_key(), None);
    }
}
