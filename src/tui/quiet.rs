//! A terminal backend that writes nothing for a frame that changed no cell.
//!
//! ratatui diffs each frame against the one before and hands the backend only the cells that
//! changed; but for an empty diff its backend still writes colour resets, hides the cursor and
//! flushes: bytes that wake the terminal, tmux and an SSH session every second on a wall whose
//! screen did not change. Wrapping the backend here keeps that out without keeping a third copy
//! of the frame to compare (345 KB at 160×45; BENCHMARKS.md §16).

use ratatui::backend::{Backend, ClearType, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};

pub struct Quiet<B> {
    inner: B,
    /// Something was written since the last flush.
    wrote: bool,
    /// Frames that changed at least one cell, since the start.
    frames_written: u64,
}

impl<B> Quiet<B> {
    pub fn new(inner: B) -> Quiet<B> {
        Quiet {
            inner,
            wrote: false,
            frames_written: 0,
        }
    }

    /// The backend itself, for what is not a frame (the clipboard's escape sequence).
    pub fn inner_mut(&mut self) -> &mut B {
        &mut self.inner
    }

    #[cfg(test)]
    pub fn inner(&self) -> &B {
        &self.inner
    }

    pub fn frames_written(&self) -> u64 {
        self.frames_written
    }
}

impl<B: Backend> Backend for Quiet<B> {
    type Error = B::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let mut content = content.peekable();
        if content.peek().is_none() {
            return Ok(());
        }
        self.wrote = true;
        self.frames_written += 1;
        self.inner.draw(content)
    }

    fn append_lines(&mut self, n: u16) -> Result<(), Self::Error> {
        self.wrote = true;
        self.inner.append_lines(n)
    }

    /// ratatui hides the cursor after every frame; nothing shows it in between but a frame
    /// drawn (or the guard, at the end), so it is hidden again only after one.
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        if !self.wrote {
            return Ok(());
        }
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.wrote = true;
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.wrote = true;
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> Result<(), Self::Error> {
        self.wrote = true;
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.wrote = true;
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }

    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        if !std::mem::take(&mut self.wrote) {
            return Ok(());
        }
        self.inner.flush()
    }
}
