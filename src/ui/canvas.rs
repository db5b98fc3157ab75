//! What the console draws on: a frame's cells, and, when the screen still shows the frame
//! before, the parts of it that were drawn from exactly what they would be drawn from now.
//!
//! A wall draws a frame every second for its clock and ages, and most of that frame is table
//! rows, problems, log lines and borders that did not change. A part drawn from the same
//! content, styles and area is taken from the screen's cells instead of drawn again: a copy of
//! its cells, against laying out and styling every one (BENCHMARKS.md §17, §21), and the diff
//! need not compare them either. A part that anything was drawn over after it (a dialog, the
//! footer's second line) is not taken. The parts are a table's body (`table::drawn_from`) and
//! any widget drawn with `render_kept`.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Clear, StatefulWidget, Widget};
use std::hash::{BuildHasher, Hash, Hasher};

/// A part of a frame (a table's body, a kept widget): where, and a digest of everything it was
/// drawn from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Body {
    pub area: Rect,
    pub drawn_from: u64,
}

pub struct Canvas<'a> {
    buf: &'a mut Buffer,
    /// The frame the screen shows, and its parts nothing was drawn over.
    before: Option<(&'a Buffer, Vec<Body>)>,
    /// This frame's parts nothing was drawn over (yet).
    bodies: Vec<Body>,
    /// Areas copied from the frame before that nothing was drawn over (yet): the same cells as
    /// the screen's, so the diff need not look at them.
    copied: Vec<Rect>,
    /// Parts taken from the frame before.
    reused: usize,
}

impl<'a> Canvas<'a> {
    /// A canvas that draws everything.
    pub fn new(buf: &'a mut Buffer) -> Canvas<'a> {
        Canvas {
            buf,
            before: None,
            bodies: Vec::new(),
            copied: Vec::new(),
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

    /// Draws `widget` on `area`, cleared first, or takes it from the frame before when that
    /// frame holds the same widget drawn on the same area, untouched. Cleared first, what a kept
    /// widget leaves on its cells depends on nothing drawn under it: the copy is exact.
    pub fn render_kept<W: Widget + Hash>(&mut self, widget: W, area: Rect) {
        let area = area.intersection(self.buf.area);
        let mut h = hasher();
        (std::any::type_name::<W>(), &widget).hash(&mut h);
        let drawn_from = h.finish();
        if self.reuse_body(area, drawn_from) {
            return;
        }
        self.render_widget(Clear, area);
        widget.render(area, self.buf);
        self.drew_body(area, drawn_from);
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
        self.copied.push(area);
        self.reused += 1;
        true
    }

    /// Says that the body just drawn in `area` was drawn from `drawn_from`.
    pub fn drew_body(&mut self, area: Rect, drawn_from: u64) {
        self.bodies.push(Body { area, drawn_from });
    }

    /// The bodies this frame holds untouched, for the next frame to take, and the areas it
    /// copied from the frame before and holds untouched.
    pub fn into_parts(self) -> (Vec<Body>, Vec<Rect>) {
        (self.bodies, self.copied)
    }

    pub fn reused(&self) -> usize {
        self.reused
    }

    fn drawn_over(&mut self, area: Rect) {
        self.bodies.retain(|b| !b.area.intersects(area));
        self.copied.retain(|c| !c.intersects(area));
    }
}

/// What digests a part's content: the same for the same content within this process.
pub fn hasher() -> impl std::hash::Hasher {
    // One seed for the whole process, so that frames compare; a random one, so that no name
    // can be made to collide with another's digest.
    static SEED: std::sync::LazyLock<foldhash::fast::RandomState> =
        std::sync::LazyLock::new(foldhash::fast::RandomState::default);
    SEED.build_hasher()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::widgets::Paragraph;

    #[test]
    fn an_area_copied_is_said_to_be_until_something_is_drawn_over_it() {
        let area = Rect::new(0, 0, 6, 3);
        let body = Rect::new(1, 1, 4, 2);
        let mut before = Buffer::empty(area);
        Canvas::new(&mut before).render_widget(Paragraph::new("x\nbody\nbody"), area);
        let bodies = vec![Body {
            area: body,
            drawn_from: 7,
        }];

        let mut next = Buffer::empty(area);
        let mut canvas = Canvas::reusing(&mut next, &before, bodies.clone());
        assert!(canvas.reuse_body(body, 7));
        // Beside it: still the screen's cells.
        canvas.render_widget(Paragraph::new("t"), Rect::new(0, 0, 6, 1));
        assert_eq!(canvas.into_parts().1, [body]);

        let mut next = Buffer::empty(area);
        let mut canvas = Canvas::reusing(&mut next, &before, bodies.clone());
        assert!(canvas.reuse_body(body, 7));
        // Over a corner of it: no longer.
        canvas.render_widget(Paragraph::new("!"), Rect::new(4, 2, 1, 1));
        assert_eq!(canvas.into_parts().1, []);

        // Drawn from something else: drawn, not copied.
        let mut next = Buffer::empty(area);
        let mut canvas = Canvas::reusing(&mut next, &before, bodies);
        assert!(!canvas.reuse_body(body, 8));
        assert_eq!(canvas.into_parts().1, []);
    }

    /// Draws `frame` on a canvas taking from `before`: the cells, the parts kept, how many taken.
    fn kept(
        before: &Buffer,
        parts: Vec<Body>,
        frame: impl Fn(&mut Canvas),
    ) -> (Buffer, Vec<Body>, usize) {
        let mut next = Buffer::empty(before.area);
        let mut canvas = Canvas::reusing(&mut next, before, parts);
        frame(&mut canvas);
        let taken = canvas.reused();
        let (parts, _) = canvas.into_parts();
        (next, parts, taken)
    }

    #[test]
    fn a_kept_widget_is_taken_while_it_is_the_same_and_is_what_drawing_it_gives() {
        let area = Rect::new(0, 0, 8, 2);
        let under = Rect::new(0, 0, 8, 1);
        // Something drawn first under the kept widget: cleared, then the widget.
        let draw = |text: &'static str| {
            move |c: &mut Canvas| {
                c.render_widget(Paragraph::new("########"), under);
                c.render_kept(Paragraph::new(text), area);
            }
        };
        let (first, parts, taken) = kept(&Buffer::empty(area), Vec::new(), draw("ab\ncd"));
        assert_eq!((parts.len(), taken), (1, 0));
        assert_eq!(first, Buffer::with_lines(["ab      ", "cd      "]));

        let (again, parts, taken) = kept(&first, parts, draw("ab\ncd"));
        assert_eq!((parts.len(), taken), (1, 1));
        assert_eq!(again, first);

        let (changed, _, taken) = kept(&again, parts, draw("ab\nce"));
        assert_eq!(taken, 0);
        assert_eq!(changed, Buffer::with_lines(["ab      ", "ce      "]));
    }
}
