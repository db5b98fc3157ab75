//! The log panel's view state: follow or paused, scroll position, filter, which source.

use crate::model::{LogBuffer, SourcedEntry};
use regex::Regex;

#[derive(Debug, Clone)]
pub struct LogPanel {
    /// Lines scrolled up from the newest; 0 follows new lines.
    pub scroll: usize,
    pub paused: bool,
    pub filter: String,
    /// Case-insensitive regex of the filter; `None` when empty or not a valid regex (then the
    /// filter is matched as plain text).
    pattern: Option<Regex>,
    /// Show one source only (index into the buffer's sources).
    pub source: Option<usize>,
}

impl LogPanel {
    pub fn new(filter: Option<&str>) -> LogPanel {
        let mut p = LogPanel {
            scroll: 0,
            paused: false,
            filter: String::new(),
            pattern: None,
            source: None,
        };
        p.set_filter(filter.unwrap_or_default().to_string());
        p
    }

    pub fn set_filter(&mut self, filter: String) {
        self.pattern = regex::RegexBuilder::new(&filter)
            .case_insensitive(true)
            .build()
            .ok()
            .filter(|_| !filter.is_empty());
        self.filter = filter;
        self.scroll = 0;
    }

    pub fn toggle_follow(&mut self) {
        self.paused = !self.paused;
        if !self.paused {
            self.scroll = 0;
        }
    }

    /// Positive `up` scrolls towards older lines and pauses following.
    pub fn scroll_by(&mut self, up: isize) {
        self.scroll = (self.scroll as isize + up).max(0) as usize;
        self.paused = self.scroll > 0;
    }

    pub fn shows(&self, entry: &SourcedEntry) -> bool {
        if self.source.is_some_and(|s| s != entry.source) {
            return false;
        }
        if self.filter.is_empty() {
            return true;
        }
        let text = entry.entry.text();
        match &self.pattern {
            Some(re) => re.is_match(&text),
            None => text.to_lowercase().contains(&self.filter.to_lowercase()),
        }
    }

    /// The entries to draw in `height` rows, oldest first; scanning stops once the screen is
    /// full, so the cost follows the visible rows, not the buffer size.
    pub fn visible<'a>(&self, buffer: &'a LogBuffer, height: usize) -> Vec<&'a SourcedEntry> {
        let mut out: Vec<&SourcedEntry> = buffer
            .entries
            .iter()
            .rev()
            .filter(|e| self.shows(e))
            .skip(self.scroll)
            .take(height)
            .collect();
        out.reverse();
        out
    }
}
