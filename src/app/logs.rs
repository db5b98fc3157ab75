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
    /// Each source in its own column instead of one merged stream.
    pub split: bool,
}

impl LogPanel {
    pub fn new(filter: Option<&str>) -> LogPanel {
        let mut p = LogPanel {
            scroll: 0,
            paused: false,
            filter: String::new(),
            pattern: None,
            source: None,
            split: false,
        };
        p.set_filter(filter.unwrap_or_default().to_string());
        p
    }

    /// A filter is a case-insensitive regex (or plain text if it isn't one); a leading `!`
    /// keeps the lines that do NOT match, e.g. `!ELB-HealthChecker` hides health checks.
    pub fn set_filter(&mut self, filter: String) {
        let pattern = filter.strip_prefix('!').unwrap_or(&filter);
        self.pattern = regex::RegexBuilder::new(pattern)
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
        self.shows_from(entry, self.source)
    }

    fn shows_from(&self, entry: &SourcedEntry, source: Option<usize>) -> bool {
        if source.is_some_and(|s| s != entry.source) {
            return false;
        }
        if self.filter.is_empty() {
            return true;
        }
        let text = entry.entry.text();
        let (inverse, needle) = match self.filter.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, self.filter.as_str()),
        };
        if needle.is_empty() {
            return true;
        }
        let hit = match &self.pattern {
            Some(re) => re.is_match(&text),
            None => text.to_lowercase().contains(&needle.to_lowercase()),
        };
        hit != inverse
    }

    /// The entries to draw in `height` rows, oldest first; scanning stops once the screen is
    /// full, so the cost follows the visible rows, not the buffer size.
    pub fn visible<'a>(&self, buffer: &'a LogBuffer, height: usize) -> Vec<&'a SourcedEntry> {
        self.visible_from(buffer, height, self.source)
    }

    /// The same, for one source (side-by-side columns) or all (`None`).
    pub fn visible_from<'a>(
        &self,
        buffer: &'a LogBuffer,
        height: usize,
        source: Option<usize>,
    ) -> Vec<&'a SourcedEntry> {
        let mut out: Vec<&SourcedEntry> = buffer
            .entries
            .iter()
            .rev()
            .filter(|e| self.shows_from(e, source))
            .skip(self.scroll)
            .take(height)
            .collect();
        out.reverse();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LogBuffer, LogEntry};
    use chrono::DateTime;

    fn buffer(lines: &[&str]) -> LogBuffer {
        let mut b = LogBuffer::with_capacity(100);
        let at = DateTime::from_timestamp(0, 0).unwrap_or_default();
        b.push(
            "s5-nginx-proxy",
            lines.iter().map(|l| LogEntry::Line {
                received_at: at,
                text: l.to_string(),
            }),
            at,
        );
        b
    }

    fn shown(p: &LogPanel, b: &LogBuffer) -> Vec<String> {
        p.visible(b, 10).iter().map(|e| e.entry.text()).collect()
    }

    #[test]
    fn regex_inverse_and_plain_filters() {
        let b = buffer(&[
            r#""GET /v4/ws/usdt HTTP/1.1" 200 2676 "-" "Go-http-client/1.1""#,
            r#""GET / HTTP/1.1" 200 38 "-" "ELB-HealthChecker/2.0""#,
            r#""POST /xmlrpc.php HTTP/1.1" 404 153"#,
        ]);
        let mut p = LogPanel::new(Some("usdt|xmlrpc"));
        assert_eq!(shown(&p, &b).len(), 2);
        p.set_filter("!elb-healthchecker".into());
        assert_eq!(shown(&p, &b).len(), 2);
        assert!(shown(&p, &b).iter().all(|l| !l.contains("HealthChecker")));
        // Not a valid regex: matched as plain text.
        p.set_filter("ws/usdt (".into());
        assert!(shown(&p, &b).is_empty());
        p.set_filter("/v4/ws/usdt".into());
        assert_eq!(shown(&p, &b).len(), 1);
        p.set_filter("!".into());
        assert_eq!(shown(&p, &b).len(), 3);
    }

    #[test]
    fn scrolling_up_pauses_and_follow_resumes() {
        let b = buffer(&["1", "2", "3", "4"]);
        let mut p = LogPanel::new(None);
        p.scroll_by(2);
        assert!(p.paused);
        assert_eq!(shown(&p, &b), vec!["1", "2"]);
        p.toggle_follow();
        assert!(!p.paused);
        assert_eq!(shown(&p, &b), vec!["1", "2", "3", "4"]);
    }
}
