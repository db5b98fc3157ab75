//! The terminal as the console draws on it: what the screen shows, the frame being drawn, and
//! the backend the difference is written to.
//!
//! ratatui's `Terminal` keeps the frame before to itself and hands each draw a blank one. Here
//! the frame before stays readable, so a frame can take from it the parts that did not
//! change (`ui::Canvas`); two frames are kept, as ratatui keeps, not a third copy (345 KB at
//! 160×45). A frame that changed no cell writes nothing at all: ratatui's backend would still
//! write colour resets, hide the cursor and flush, bytes that wake the terminal, tmux and an
//! SSH session every second on a wall whose screen did not change.

use super::diff::RowDiff;
use crate::ui::{Body, Canvas};
use ratatui::backend::{Backend, ClearType};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

pub struct Screen<B: Backend> {
    backend: B,
    /// What the terminal shows.
    shown: Buffer,
    /// The frame being drawn (blank between frames).
    next: Buffer,
    /// The parts `shown` holds as they were drawn (table bodies, kept widgets).
    bodies: Vec<Body>,
    /// What finds the cells a frame changed.
    rows: RowDiff,
    /// Frames that changed at least one cell, since the start.
    frames_written: u64,
    /// Table bodies taken from the screen rather than drawn, since the start.
    bodies_reused: u64,
}

impl<B: Backend> Screen<B> {
    /// A screen of `area`, cleared: the first frame is written whole.
    pub fn new(backend: B, area: Rect) -> Result<Screen<B>, B::Error> {
        let mut screen = Screen {
            backend,
            shown: Buffer::empty(area),
            next: Buffer::empty(area),
            bodies: Vec::new(),
            rows: RowDiff::default(),
            frames_written: 0,
            bodies_reused: 0,
        };
        screen.clear()?;
        Ok(screen)
    }

    pub fn area(&self) -> Rect {
        self.shown.area
    }

    /// Draws a frame with `draw` and writes the cells it changed.
    pub fn draw(&mut self, draw: impl FnOnce(&mut Canvas)) -> Result<(), B::Error> {
        self.next.reset();
        let mut canvas = Canvas::reusing(
            &mut self.next,
            &self.shown,
            std::mem::take(&mut self.bodies),
        );
        draw(&mut canvas);
        self.bodies_reused += canvas.reused() as u64;
        let (bodies, copied) = canvas.into_parts();
        self.bodies = bodies;
        let changed = self.rows.changed(&self.shown, &self.next, &copied);
        if !changed.is_empty() {
            self.backend
                .draw(changed.iter().map(|(x, y, c)| (*x, *y, c)))?;
            // Nothing shows the cursor between frames but a clear; hidden after each written.
            self.backend.hide_cursor()?;
            self.backend.flush()?;
            self.frames_written += 1;
        }
        std::mem::swap(&mut self.shown, &mut self.next);
        Ok(())
    }

    /// The terminal is now `area`: cleared, and the next frame written whole.
    pub fn resize(&mut self, area: Rect) -> Result<(), B::Error> {
        self.shown.resize(area);
        self.next.resize(area);
        self.clear()
    }

    /// Clears the terminal; the next frame is written whole.
    pub fn clear(&mut self) -> Result<(), B::Error> {
        self.shown.reset();
        self.bodies.clear();
        self.backend.clear_region(ClearType::All)?;
        self.backend.flush()
    }

    pub fn show_cursor(&mut self) -> Result<(), B::Error> {
        self.backend.show_cursor()?;
        self.backend.flush()
    }

    /// The backend itself, for what is not a frame (the clipboard's escape sequence).
    pub fn backend_mut(&mut self) -> &mut B {
        &mut self.backend
    }

    #[cfg(test)]
    pub fn backend(&self) -> &B {
        &self.backend
    }

    pub fn frames_written(&self) -> u64 {
        self.frames_written
    }

    pub fn bodies_reused(&self) -> u64 {
        self.bodies_reused
    }
}
