//! What the console draws on: a frame's cells, and, when the screen still shows the frame
//! before, the table bodies in it that were drawn from exactly what they would be drawn from now.
//!
//! A wall draws a frame every second for its clock and ages, and most of that frame is table
//! rows that did not change. A body drawn from the same rows, widths, selection, styles and area
//! (`table::drawn_from`) is taken from the screen's cells instead of drawn again: a copy of its
//! cells, against laying out and styling every visible cell (BENCHMARKS.md §17). A body that
//! anything was drawn over after it (a dialog, the footer's second line) is not taken.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{StatefulWidget, Widget};

/// A table body in a frame: where, and a digest of everything it was drawn from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Body {
    pub area: Rect,
    pub drawn_from: u64,
}

pub struct Canvas<'a> {
    buf: &'a mut Buffer,
    /// The frame the screen shows, and its bodies nothing was drawn over.
    before: Option<(&'a Buffer, Vec<Body>)>,
    /// This frame's bodies nothing was drawn over (yet).
    bodies: Vec<Body>,
    /// Bodies taken from the frame before.
    reused: usize,
}

impl<'a> Canvas<'a> {
    /// A canvas that draws everything.
    pub fn new(buf: &'a mut Buffer) -> Canvas<'a> {
        Canvas {
            buf,
            before: None,
            bodies: Vec::new(),
            reused: 0,
        }
    }

    /// A canvas that may take from `before` (what the screen shows) the `bodies` it holds.
    pub fn reusing(buf: &'a mut Buffer, before: &'a Buffer, bodies: Vec<Body>) -> Canvas<'a> {
        let before = (before.area == buf.area).then_some((before, bodies));
        Canvas {
            before,
            ..Canvas::new(buf)
        }
    }

    pub fn area(&self) -> Rect {
        self.buf.area
    }

    pub fn render_widget<W: Widget>(&mut self, widget: W, area: Rect) {
        self.drawn_over(area);
        widget.render(area, self.buf);
    }

    pub fn render_stateful_widget<W: StatefulWidget>(
        &mut self,
        widget: W,
        area: Rect,
        state: &mut W::State,
    ) {
        self.drawn_over(area);
        widget.render(area, self.buf, state);
    }

    /// Takes the body drawn in `area` from `drawn_from` from the frame before, if that frame
    /// holds it untouched: true when it did (nothing more to draw there).
    pub fn reuse_body(&mut self, area: Rect, drawn_from: u64) -> bool {
        let body = Body { area, drawn_from };
        let Some((before, bodies)) = &self.before else {
            return false;
        };
        if !bodies.contains(&body) || area.intersection(self.buf.area) != area {
            return false;
        }
        let before: &Buffer = before;
        self.drawn_over(area);
        for y in area.top()..area.bottom() {
            let from = self.buf.index_of(area.x, y);
            let to = from + usize::from(area.width);
            self.buf.content[from..to].clone_from_slice(&before.content[from..to]);
        }
        self.bodies.push(body);
        self.reused += 1;
        true
    }

    /// Says that the body just drawn in `area` was drawn from `drawn_from`.
    pub fn drew_body(&mut self, area: Rect, drawn_from: u64) {
        self.bodies.push(Body { area, drawn_from });
    }

    /// The bodies this frame holds untouched, for the next frame to take.
    pub fn into_bodies(self) -> Vec<Body> {
        self.bodies
    }

    pub fn reused(&self) -> usize {
        self.reused
    }

    fn drawn_over(&mut self, area: Rect) {
        self.bodies.retain(|b| !b.area.intersects(area));
    }
}
