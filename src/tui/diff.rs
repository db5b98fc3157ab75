//! The cells a frame changed, found row by row.
//!
//! ratatui's diff looks at every cell of the screen and works out each one's display width, even
//! where nothing changed: on a wall, 7,200 cells a second for a clock and a few ages that moved,
//! a third of the frame's work (BENCHMARKS.md §20). Here a row goes to ratatui's diff only if
//! one of its cells differs, and the parts of a row the frame copied from the screen
//! (`ui::Canvas`: parts nothing was drawn over) are not compared at all: they are the
//! screen's own cells. What a changed row yields is ratatui's diff of that row, unchanged.

use ratatui::buffer::{Buffer, Cell, CellDiffOption};
use ratatui::layout::Rect;

/// Two one-row buffers and a list of spans, kept between frames so a diff allocates nothing
/// but what it returns.
#[derive(Default)]
pub struct RowDiff {
    shown: Option<Buffer>,
    next: Option<Buffer>,
    spans: Vec<(usize, usize)>,
}

impl RowDiff {
    /// The cells of `next` to write over `shown`, as ratatui's diff of each changed row finds
    /// them. `copied`: areas of `next` that are copies of the same area of `shown`.
    pub fn changed(
        &mut self,
        shown: &Buffer,
        next: &Buffer,
        copied: &[Rect],
    ) -> Vec<(u16, u16, Cell)> {
        if shown.area != next.area {
            // Not the screen this frame was drawn for: all of it is written.
            return (next.content.iter().enumerate())
                .map(|(i, c)| {
                    let (x, y) = next.pos_of(i);
                    (x, y, c.clone())
                })
                .collect();
        }
        let area = next.area;
        let width = usize::from(area.width);
        let mut changed = Vec::new();
        for (row, y) in (area.top()..area.bottom()).enumerate() {
            let cells = row * width..(row + 1) * width;
            let (before, now) = (&shown.content[cells.clone()], &next.content[cells]);
            self.spans_copied(area, y, copied);
            if !differs_outside(before, now, &self.spans) {
                continue;
            }
            let row_area = Rect::new(area.x, y, area.width, 1);
            let old = one_row(&mut self.shown, row_area, before);
            let new = one_row(&mut self.next, row_area, now);
            changed.extend(old.diff_iter(new).map(|(x, y, c)| (x, y, c.clone())));
        }
        changed
    }

    /// The spans of row `y` (indices into the row, start..end, in order) that `copied` covers.
    fn spans_copied(&mut self, area: Rect, y: u16, copied: &[Rect]) {
        self.spans.clear();
        for r in copied.iter().map(|r| r.intersection(area)) {
            if r.top() <= y && y < r.bottom() && r.width > 0 {
                let start = usize::from(r.x - area.x);
                self.spans.push((start, start + usize::from(r.width)));
            }
        }
        self.spans.sort_unstable();
    }
}

/// Whether a cell outside `spans` differs, or asks to be written whatever it holds.
fn differs_outside(before: &[Cell], now: &[Cell], spans: &[(usize, usize)]) -> bool {
    let differ = |from: usize, to: usize| {
        now[from..to]
            .iter()
            .zip(&before[from..to])
            .any(|(n, b)| n != b || n.diff_option == CellDiffOption::AlwaysUpdate)
    };
    let mut at = 0;
    for &(start, end) in spans {
        if start > at && differ(at, start) {
            return true;
        }
        at = at.max(end);
    }
    at < now.len() && differ(at, now.len())
}

/// `buffer` made a one-row copy of `cells` at `area`, reusing its allocation.
fn one_row<'a>(buffer: &'a mut Option<Buffer>, area: Rect, cells: &[Cell]) -> &'a Buffer {
    let b = buffer.get_or_insert_with(|| Buffer::empty(area));
    if b.content.len() != cells.len() {
        *b = Buffer::empty(area);
    }
    b.area = area;
    b.content.clone_from_slice(cells);
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::{Color, Style};

    /// ratatui's diff of the whole screen, owned.
    fn whole(shown: &Buffer, next: &Buffer) -> Vec<(u16, u16, Cell)> {
        shown
            .diff_iter(next)
            .map(|(x, y, c)| (x, y, c.clone()))
            .collect()
    }

    fn screen(lines: &[&str]) -> Buffer {
        let mut b = Buffer::with_lines(lines.iter().copied());
        b.area = Rect::new(2, 1, b.area.width, b.area.height);
        b
    }

    #[test]
    fn changed_rows_give_what_ratatuis_diff_of_the_screen_gives() {
        let shown = screen(&[
            "12:00:01 clock  ",
            "┃ name   ┃ 12s ┃",
            "┃ web-01 ┃日本 ┃",
            "┃ web-02 ┃ ok  ┃",
        ]);
        let mut next = screen(&[
            "12:00:02 clock  ",
            "┃ name   ┃ 13s ┃",
            "┃ web-01 ┃ ab  ┃",
            "┃ web-02 ┃ ok  ┃",
        ]);
        next.set_style(Rect::new(3, 4, 3, 1), Style::default().fg(Color::Red));
        let mut rows = RowDiff::default();
        let found = rows.changed(&shown, &next, &[]);
        assert_eq!(found, whole(&shown, &next));
        assert!(found.len() >= 5, "{found:?}");
        // The same diff again from the kept buffers: nothing is left over from the last one.
        assert_eq!(rows.changed(&shown, &next, &[]), whole(&shown, &next));
        assert!(rows.changed(&next, &next, &[]).is_empty());
    }

    #[test]
    fn a_copied_area_is_not_compared_and_the_rest_of_its_rows_still_is() {
        let shown = screen(&["┃ a ┃ 1s ┃", "┃ b ┃ x  ┃", "┃ c ┃ y  ┃"]);
        let next = screen(&["┃ a ┃ 2s ┃", "┃ b ┃ x  ┃", "┃ c ┃ z  ┃"]);
        // Rows 2 and 3 of the left column are copies: nothing there to compare.
        let copied = [Rect::new(3, 2, 3, 2)];
        let mut rows = RowDiff::default();
        assert_eq!(rows.changed(&shown, &next, &copied), whole(&shown, &next));
        // An area said to be copied is taken at its word: a difference inside it is not looked
        // for (the canvas says so only for cells it copied from the screen).
        let lying = screen(&["┃ a ┃ 1s ┃", "┃ Q ┃ x  ┃", "┃ c ┃ y  ┃"]);
        assert!(rows.changed(&shown, &lying, &copied).is_empty());
        assert_eq!(rows.changed(&shown, &lying, &[]).len(), 1);
    }

    #[test]
    fn a_cell_that_asks_to_be_written_always_is() {
        let mut shown = screen(&["abc"]);
        shown.content[1].diff_option = CellDiffOption::AlwaysUpdate;
        let next = shown.clone();
        let found = RowDiff::default().changed(&shown, &next, &[]);
        assert_eq!(found, whole(&shown, &next));
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn a_screen_of_another_size_is_written_whole() {
        let shown = screen(&["abc", "def"]);
        let next = screen(&["abcd"]);
        let found = RowDiff::default().changed(&shown, &next, &[]);
        let cells: Vec<_> = found.iter().map(|(x, y, c)| (*x, *y, c.symbol())).collect();
        assert_eq!(cells, [(2, 1, "a"), (3, 1, "b"), (4, 1, "c"), (5, 1, "d")]);
    }
}
