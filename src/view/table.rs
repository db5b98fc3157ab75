//! A table as every front end sees it: columns, and rows of plain-text cells with roles.
//!
//! Rows form a tree through `depth` (load balancer → target group → target); filtering keeps the
//! ancestors of a match, and sorting reorders siblings only, so the tree stays readable.

use super::Role;

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub title: &'static str,
    /// Width in cells; the flexible column's is its minimum.
    pub width: u16,
    /// Takes the width the others leave. The first column, unless another one says so.
    pub flex: bool,
    /// Carries the row's state (health, zone health, state, counts and their share): never cut,
    /// and left out last, after every other column has given way and the names are cut.
    pub state: bool,
    /// A state column's most when space runs out (past it the content is cut in the middle):
    /// twice `width`, unless said otherwise. Where everything fits, every column takes what
    /// its content needs up to twice `width`.
    pub max: u16,
}

impl Column {
    pub const fn new(title: &'static str, width: u16) -> Column {
        Column {
            title,
            width,
            flex: false,
            state: false,
            max: width.saturating_mul(2),
        }
    }

    /// A column that takes the width the others leave.
    pub const fn flex(title: &'static str, width: u16) -> Column {
        Column {
            flex: true,
            ..Column::new(title, width)
        }
    }

    /// A column that carries the row's state: it keeps the width its content needs (up to
    /// `max`), and is left out only when nothing else is left to cut.
    pub const fn state(title: &'static str, width: u16) -> Column {
        Column {
            state: true,
            ..Column::new(title, width)
        }
    }

    /// When space runs out, at most `max` cells wide, whatever its content (cut in the middle
    /// past that): for a state whose rare long form would take the room of every other column.
    pub const fn up_to(self, max: u16) -> Column {
        Column { max, ..self }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub text: String,
    /// Overrides the row's role for this cell (e.g. the state column).
    pub role: Option<Role>,
    /// Characters at its start kept whole when the cell is cut (a name before its id: the
    /// name tells rows apart, the id is in the detail line).
    pub keep: usize,
}

impl Cell {
    pub fn new(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            role: None,
            keep: 0,
        }
    }

    pub fn styled(text: impl Into<String>, role: Role) -> Cell {
        Cell {
            text: text.into(),
            role: Some(role),
            keep: 0,
        }
    }

    /// "name id": the name is kept whole when the cell is cut, the id is cut.
    pub fn name_then_id(name: &str, id: &str) -> Cell {
        Cell {
            keep: name.chars().count(),
            ..Cell::new(format!("{name} {id}"))
        }
    }
}

#[derive(Debug, Clone)]
pub struct Row {
    /// Stable identity across refreshes, so the selection stays on the same thing.
    pub key: String,
    pub depth: u8,
    pub cells: Vec<Cell>,
    pub role: Role,
    /// Stays first among its siblings whatever the sort order: a load balancer's listeners
    /// read before its groups.
    pub pinned: bool,
    /// The full identity of what the row shows (an ARN, an id, a whole answer), which its cells
    /// may cut: shown under the panel for the selected row and copied by `c`.
    pub detail: Option<String>,
    /// Text a filter finds the row by without it being shown in the row: the account it
    /// belongs to (named on its account's row above it), so `/stage` keeps every row of `stage`.
    pub context: Option<String>,
    /// The cells' text lowercased, made on the first filter and kept: typing a filter then
    /// costs a substring search per row, not a lowercase copy of every cell per keystroke.
    haystack: std::sync::OnceLock<String>,
}

/// Rows are equal by what they show; the filter's cache doesn't count.
impl PartialEq for Row {
    fn eq(&self, other: &Row) -> bool {
        (&self.key, self.depth, &self.cells, self.role)
            == (&other.key, other.depth, &other.cells, other.role)
    }
}

impl Row {
    pub fn new(key: impl Into<String>, depth: u8, role: Role, cells: Vec<Cell>) -> Row {
        Row {
            key: key.into(),
            depth,
            cells,
            role,
            pinned: false,
            detail: None,
            context: None,
            haystack: std::sync::OnceLock::new(),
        }
    }

    /// This row stays first among its siblings when they are sorted.
    pub fn pinned(mut self) -> Row {
        self.pinned = true;
        self
    }

    /// The full identity of what the row shows; see [`Row::detail`].
    pub fn detail(mut self, full: impl Into<String>) -> Row {
        self.detail = Some(super::clean(&full.into()));
        self
    }

    /// Text a filter also finds this row by; see [`Row::context`].
    pub fn context(mut self, text: impl Into<String>) -> Row {
        self.context = Some(text.into());
        self
    }

    /// The row's worst role among itself and its cells.
    pub fn severity(&self) -> u8 {
        self.cells
            .iter()
            .filter_map(|c| c.role)
            .chain(std::iter::once(self.role))
            .map(Role::severity)
            .max()
            .unwrap_or(0)
    }

    fn matches(&self, needle: &str) -> bool {
        self.haystack
            .get_or_init(|| {
                // Cells are joined by a newline so a needle never matches across two of them.
                // The full identity counts too: a name cut or shortened on screen ("SQLi (AWS)")
                // is still found by what the operator knows it as.
                let texts: Vec<&str> = self
                    .cells
                    .iter()
                    .map(|c| c.text.as_str())
                    .chain(self.detail.as_deref())
                    .chain(self.context.as_deref())
                    .collect();
                texts.join("\n").to_lowercase()
            })
            .contains(needle)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

/// Row orders the `s` key cycles through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// As the source lists them (priority order for WAF rules).
    #[default]
    Natural,
    /// Rows needing attention first, among their siblings.
    ProblemsFirst,
    /// Alphabetical by the first column, among siblings.
    Name,
}

impl SortOrder {
    pub fn next(self) -> SortOrder {
        match self {
            SortOrder::Natural => SortOrder::ProblemsFirst,
            SortOrder::ProblemsFirst => SortOrder::Name,
            SortOrder::Name => SortOrder::Natural,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortOrder::Natural => "natural",
            SortOrder::ProblemsFirst => "problems first",
            SortOrder::Name => "name",
        }
    }
}

impl Table {
    /// Keeps rows whose text contains `filter` (case-insensitive) and the ancestors of each.
    pub fn filter(&mut self, filter: &str) {
        let keep = self.kept(filter);
        let mut it = keep.into_iter();
        self.rows.retain(|_| it.next().unwrap_or(true));
    }

    /// The rows `filter` keeps, copied; the table itself stays whole (a panel filters the same
    /// table again on every keystroke).
    pub fn filtered(&self, filter: &str) -> Table {
        let keep = self.kept(filter);
        Table {
            columns: self.columns.clone(),
            rows: self
                .rows
                .iter()
                .zip(keep)
                .filter(|(_, k)| *k)
                .map(|(r, _)| r.clone())
                .collect(),
        }
    }

    /// The width each column's content needs: its title and its widest cell (the first column
    /// with its rows' indentation).
    pub fn needed_widths(&self) -> Vec<u16> {
        use unicode_width::UnicodeWidthStr;
        self.columns
            .iter()
            .enumerate()
            .map(|(c, col)| {
                let widest = self
                    .rows
                    .iter()
                    .filter_map(|r| {
                        let cell = r.cells.get(c)?;
                        let indent = if c == 0 { 2 * usize::from(r.depth) } else { 0 };
                        Some(cell.text.width() + indent)
                    })
                    .max()
                    .unwrap_or(0);
                u16::try_from(widest.max(col.title.width())).unwrap_or(u16::MAX)
            })
            .collect()
    }

    /// The first row that matches `filter` itself (not a parent kept for context).
    pub fn first_match(&self, filter: &str) -> Option<usize> {
        let needle = filter.trim().to_lowercase();
        if needle.is_empty() {
            return None;
        }
        self.rows.iter().position(|r| r.matches(&needle))
    }

    /// For each row, whether `filter` keeps it: rows that match, and their parents.
    fn kept(&self, filter: &str) -> Vec<bool> {
        let needle = filter.trim().to_lowercase();
        if needle.is_empty() {
            return vec![true; self.rows.len()];
        }
        let mut keep = vec![false; self.rows.len()];
        // Walk backwards: the first earlier row shallower than a kept row is its parent, and is
        // kept too. `need` is the depth an earlier row must be below to be such a parent.
        let mut need: u8 = 0;
        for i in (0..self.rows.len()).rev() {
            let row = &self.rows[i];
            if row.depth < need || row.matches(&needle) {
                keep[i] = true;
                need = row.depth;
            }
        }
        keep
    }

    /// Reorders siblings at every level; children travel with their parent.
    pub fn sort(&mut self, order: SortOrder) {
        if order == SortOrder::Natural {
            return;
        }
        let rows = std::mem::take(&mut self.rows);
        self.rows = sort_level(rows, order);
    }
}

/// A subtree: one row and everything nested under it.
struct Subtree {
    rows: Vec<Row>,
    severity: u8,
}

fn sort_level(rows: Vec<Row>, order: SortOrder) -> Vec<Row> {
    let Some(top) = rows.iter().map(|r| r.depth).min() else {
        return rows;
    };
    let mut trees: Vec<Subtree> = Vec::new();
    for row in rows {
        if row.depth == top || trees.is_empty() {
            trees.push(Subtree {
                rows: vec![row],
                severity: 0,
            });
        } else if let Some(t) = trees.last_mut() {
            t.rows.push(row);
        }
    }
    for t in &mut trees {
        t.severity = t.rows.iter().map(Row::severity).max().unwrap_or(0);
        if t.rows.len() > 2 {
            let head = t.rows.remove(0);
            let children = sort_level(std::mem::take(&mut t.rows), order);
            t.rows = std::iter::once(head).chain(children).collect();
        }
    }
    // Pinned subtrees (listeners) keep their place before the others, which are sorted.
    let (pinned, mut trees): (Vec<Subtree>, Vec<Subtree>) = trees
        .into_iter()
        .partition(|t| t.rows.first().is_some_and(|r| r.pinned));
    match order {
        SortOrder::ProblemsFirst => trees.sort_by_key(|t| std::cmp::Reverse(t.severity)),
        SortOrder::Name => trees.sort_by(|a, b| first_cell(&a.rows).cmp(first_cell(&b.rows))),
        SortOrder::Natural => {}
    }
    pinned
        .into_iter()
        .chain(trees)
        .flat_map(|t| t.rows)
        .collect()
}

fn first_cell(rows: &[Row]) -> &str {
    rows.first()
        .and_then(|r| r.cells.first())
        .map(|c| c.text.as_str())
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, depth: u8, role: Role) -> Row {
        Row::new(key, depth, role, vec![Cell::new(key)])
    }

    fn keys(t: &Table) -> Vec<&str> {
        t.rows.iter().map(|r| r.key.as_str()).collect()
    }

    fn tree() -> Table {
        Table {
            columns: vec![],
            rows: vec![
                row("lb-a", 0, Role::Normal),
                row("tg-zeta", 1, Role::Ok),
                row("web-1", 2, Role::Ok),
                row("tg-alpha", 1, Role::Problem),
                row("web-2", 2, Role::Problem),
                row("lb-b", 0, Role::Normal),
                row("tg-beta", 1, Role::Ok),
            ],
        }
    }

    #[test]
    fn a_filter_finds_a_row_by_its_full_name_too() {
        let mut t = Table {
            columns: vec![],
            rows: vec![
                Row::new("a", 0, Role::Normal, vec![Cell::new("2 SQLi (AWS)")])
                    .detail("AWS-AWSManagedRulesSQLiRuleSet"),
                Row::new("b", 0, Role::Normal, vec![Cell::new("3 Common (AWS)")])
                    .detail("AWS-AWSManagedRulesCommonRuleSet"),
            ],
        };
        t.filter("SQLiRuleSet");
        let keys: Vec<&str> = t.rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["a"]);
    }

    #[test]
    fn filter_keeps_ancestors_of_matches() {
        let mut t = tree();
        t.filter("WEB-2");
        assert_eq!(keys(&t), ["lb-a", "tg-alpha", "web-2"]);
        let mut t = tree();
        t.filter("web");
        assert_eq!(keys(&t), ["lb-a", "tg-zeta", "web-1", "tg-alpha", "web-2"]);
    }

    #[test]
    fn empty_filter_keeps_everything() {
        let mut t = tree();
        t.filter("  ");
        assert_eq!(t.rows.len(), 7);
    }

    #[test]
    fn problems_first_sorts_siblings_with_their_children() {
        let mut t = tree();
        t.sort(SortOrder::ProblemsFirst);
        assert_eq!(
            keys(&t),
            [
                "lb-a", "tg-alpha", "web-2", "tg-zeta", "web-1", "lb-b", "tg-beta"
            ]
        );
    }

    #[test]
    fn name_sort_is_per_level() {
        let mut t = tree();
        t.sort(SortOrder::Name);
        assert_eq!(
            keys(&t),
            [
                "lb-a", "tg-alpha", "web-2", "tg-zeta", "web-1", "lb-b", "tg-beta"
            ]
        );
    }
}
