//! The log panel's view state: follow or paused, scroll position, filter, search, which source.

use super::{Effect, TablePanel};
use crate::model::{LogBuffer, LogEntry, PanelId, SourcedEntry};
use crate::view::Role;
use regex::Regex;
use std::collections::VecDeque;

#[derive(Debug, Clone)]
pub struct LogPanel {
    /// Lines scrolled up from the newest; 0 follows new lines.
    pub scroll: usize,
    pub paused: bool,
    pub filter: String,
    /// The filter as a matcher; `None` when the filter is empty.
    filter_matcher: Option<Matcher>,
    /// Sequence numbers (`LogBuffer::dropped` + index) of the entries the filter keeps, oldest
    /// first, extended as lines arrive (`index`): a frame then costs the visible rows however
    /// rarely the filter matches, and a line is tested once, not on every frame.
    matches: VecDeque<u64>,
    /// Entries before this sequence number are in `matches` (if they match).
    indexed_to: u64,
    /// Highlighted in the shown lines; `n`/`N` jump to the next older/newer line with a match.
    pub search: String,
    search_matcher: Option<Matcher>,
    /// Show one source only (index into the buffer's sources).
    pub source: Option<usize>,
    /// Each source in its own column instead of one merged stream.
    pub split: bool,
}

/// A case-insensitive regex, or plain text when the pattern is not a valid regex (an operator
/// pasting `/index.php?id=(` means the text).
#[derive(Debug, Clone)]
struct Matcher {
    regex: Regex,
    /// A leading `!` in a filter keeps the lines that do NOT match.
    inverse: bool,
}

impl Matcher {
    fn new(pattern: &str, allow_inverse: bool) -> Option<Matcher> {
        let (inverse, needle) = match pattern.strip_prefix('!') {
            Some(rest) if allow_inverse => (true, rest),
            _ => (false, pattern),
        };
        if needle.is_empty() {
            return None;
        }
        let regex = regex::RegexBuilder::new(needle)
            .case_insensitive(true)
            .build()
            .or_else(|_| {
                regex::RegexBuilder::new(&regex::escape(needle))
                    .case_insensitive(true)
                    .build()
            })
            .ok()?;
        Some(Matcher { regex, inverse })
    }

    /// A line of source `name` as the panel shows it: its name before the text. The text alone
    /// is tried first, so `^203\.0` still means the line's start.
    fn keeps_line(&self, name: impl FnOnce() -> String, text: &str) -> bool {
        // The name is only looked up (and the line copied) when the text alone does not match.
        let hit = self.regex.is_match(text) || self.regex.is_match(&format!("{} {text}", name()));
        hit != self.inverse
    }
}

/// The source's name of an entry, for matching (`?` for an index the buffer does not know).
fn name_of(buffer: &LogBuffer, e: &SourcedEntry) -> String {
    crate::view::clean(buffer.source_name(e))
}

impl super::App {
    /// What the Logs panel's title names: the one source shown, or how many are merged
    /// (side by side, each column names its own).
    pub fn logs_title(&self) -> Option<String> {
        let sources = &self.world.logs.sources;
        if self.panels.logs.split && sources.len() > 1 {
            return None;
        }
        let one = match self.panels.logs.source {
            Some(i) => sources.get(i),
            None if sources.len() == 1 => sources.first(),
            None if sources.is_empty() => return None,
            None => return Some(format!("{} sources", sources.len())),
        };
        one.map(|name| crate::view::clean(name))
    }

    /// When the newest line of the sources shown was written (received, for an SSH tail): the
    /// age the panel's title gives, which an empty batch or a reconnect does not renew.
    pub fn newest_log_line_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let buffer = &self.world.logs;
        buffer
            .entries
            .iter()
            .rev()
            .filter(|e| self.panels.logs.source.is_none_or(|s| s == e.source))
            .find(|e| !matches!(e.entry, LogEntry::Gap { .. }))
            .map(|e| e.entry.time())
    }

    /// Shows source `index` alone and says so in the footer (whatever it said before is about
    /// something else).
    fn show_log_source(&mut self, index: usize, why: &str) {
        self.panels.logs.source = Some(index);
        self.panels.logs.scroll = 0;
        self.panels.logs.paused = false;
        let name = self
            .world
            .logs
            .sources
            .get(index)
            .map(|n| crate::view::clean(n))
            .unwrap_or_default();
        self.say(
            format!("l: showing {name}{why} (v: all logs side by side)"),
            Role::Normal,
            self.now,
        );
    }

    /// `l` on a target that is an address (an ECS task on Fargate): follow its container's
    /// CloudWatch Logs stream, found through ECS by the runtime.
    pub(super) fn tail_selected_task(&mut self) -> Vec<Effect> {
        let Some((target, _)) = self.selected_target() else {
            self.say(
                "select a target to tail its task's log",
                Role::Warning,
                self.now,
            );
            return vec![];
        };
        if target.id.parse::<std::net::IpAddr>().is_err() {
            self.say(
                format!(
                    "{} is not an IP target: `l` on its instance in the Instances panel tails its log",
                    crate::view::clean(&target.id)
                ),
                Role::Warning,
                self.now,
            );
            return vec![];
        }
        let name = format!("{} {}", target.target_group, target.id);
        self.focus_panel(PanelId::Logs);
        self.panels.logs.split = false;
        if let Some(i) = self.world.logs.sources.iter().position(|s| *s == name) {
            self.show_log_source(i, "");
            return vec![];
        }
        // The demo world's tasks write to its log groups, which it already follows: the one of
        // the target's group is its task's log, as ECS would have said on AWS.
        if self.world.scope.mode == "demo"
            && let Some(group) = crate::source::demo::task_log(&target.target_group)
        {
            let why = format!(
                ", the log group of {}'s tasks ({})",
                crate::view::clean(&target.target_group),
                crate::view::clean(&target.id)
            );
            match self.world.logs.sources.iter().position(|s| s == group) {
                Some(i) => self.show_log_source(i, &why),
                None => {
                    // Not one line yet: shown alone once its first lines arrive.
                    self.log_wanted = Some(group.to_string());
                    self.say(
                        format!("l: waiting for {group}{why}"),
                        Role::Normal,
                        self.now,
                    );
                }
            }
            return vec![];
        }
        self.say(
            format!("finding the ECS task of {}…", target.id),
            Role::Normal,
            self.now,
        );
        self.log_wanted = Some(name.clone());
        self.world.logs.followed = true;
        // Two VPCs may use the same private range: the task is looked for in the group's.
        let vpc = self.world.targets.value.as_ref().and_then(|v| {
            v.load_balancers
                .iter()
                .flat_map(|lb| &lb.target_groups)
                .find(|g| g.arn == target.target_group_arn)
                .and_then(|g| g.vpc_id.clone())
        });
        vec![Effect::TailTask {
            name,
            address: target.id,
            port: target.port,
            target_group_arn: target.target_group_arn,
            vpc,
            region: target.region,
        }]
    }

    /// `l` on an instance: show its log source (a `[[log]]` entry named after it, or a tail
    /// started earlier), else ask the runtime to start one as `[logs.instance]` says.
    pub(super) fn tail_selected_instance(&mut self) -> Vec<Effect> {
        let Some(key) = self
            .panels
            .get(PanelId::Instances)
            .and_then(TablePanel::selected_key)
        else {
            self.say(
                "select an instance to tail its log",
                Role::Warning,
                self.now,
            );
            return vec![];
        };
        let instance = self.world.instances.value.as_ref().and_then(|v| {
            v.instances.iter().find(|i| {
                crate::view::in_account(
                    i.account.as_ref(),
                    crate::view::instances::instance_key(&i.id),
                ) == key
            })
        });
        let Some(instance) = instance else {
            return vec![];
        };
        let plain = instance.name.clone().unwrap_or_else(|| instance.id.clone());
        // Names are often reused across accounts: where another watched account has an
        // instance of the same name, the tail is named with its account, so `l` never shows
        // the other one's log.
        let shared_name = self.world.instances.value.as_ref().is_some_and(|v| {
            v.instances.iter().any(|o| {
                o.account != instance.account
                    && o.name.clone().unwrap_or_else(|| o.id.clone()) == plain
            })
        });
        let wanted = match (&instance.account, shared_name) {
            (Some(account), true) => format!("{} · {plain}", account.name),
            _ => plain,
        };
        let effect = Effect::TailInstance {
            name: wanted.clone(),
            id: instance.id.clone(),
            region: instance.region.clone(),
            private_ip: instance.private_ip.clone(),
            public_ip: instance.public_ip.clone(),
        };
        let sources = &self.world.logs.sources;
        let existing = sources.iter().position(|s| *s == wanted).or_else(|| {
            (!shared_name).then(|| sources.iter().position(|s| s.contains(&wanted)))?
        });
        self.focus_panel(PanelId::Logs);
        self.panels.logs.split = false;
        if let Some(i) = existing {
            self.show_log_source(i, "");
            return vec![];
        }
        self.say(
            format!("connecting to {}…", crate::view::clean(&wanted)),
            Role::Normal,
            self.now,
        );
        self.log_wanted = Some(wanted);
        self.world.logs.followed = true;
        vec![effect]
    }
}

/// Which way `n`/`N` look for the next search match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Older,
    Newer,
}

impl LogPanel {
    pub fn new(filter: Option<&str>) -> LogPanel {
        let mut p = LogPanel {
            scroll: 0,
            paused: false,
            filter: String::new(),
            filter_matcher: None,
            matches: VecDeque::new(),
            indexed_to: 0,
            search: String::new(),
            search_matcher: None,
            source: None,
            split: false,
        };
        p.set_filter(filter.unwrap_or_default().to_string());
        p
    }

    /// A filter is a case-insensitive regex (or plain text if it isn't one); a leading `!`
    /// keeps the lines that do NOT match, e.g. `!ELB-HealthChecker` hides health checks.
    pub fn set_filter(&mut self, filter: String) {
        self.filter_matcher = Matcher::new(&filter, true);
        self.filter = filter;
        self.matches.clear();
        self.indexed_to = 0;
        self.scroll = 0;
    }

    /// Sets the search pattern (regex or plain text, case-insensitive); lines stay where they
    /// are, the matches are highlighted.
    pub fn set_search(&mut self, search: String) {
        self.search_matcher = Matcher::new(&search, false);
        self.search = search;
    }

    /// The spans of `text` the search matches, as byte ranges, for highlighting.
    pub fn search_hits(&self, text: &str) -> Vec<std::ops::Range<usize>> {
        match &self.search_matcher {
            Some(m) => m
                .regex
                .find_iter(text)
                .filter(|m| !m.is_empty())
                .map(|m| m.range())
                .collect(),
            None => Vec::new(),
        }
    }

    /// Tests the entries that arrived since the last call against the filter. Call after the
    /// buffer changed; entries not indexed yet are still shown correctly, only slower.
    pub fn index(&mut self, buffer: &LogBuffer) {
        let Some(matcher) = &self.filter_matcher else {
            return;
        };
        let first = buffer.dropped;
        let end = first + buffer.entries.len() as u64;
        while self.matches.front().is_some_and(|&seq| seq < first) {
            self.matches.pop_front();
        }
        for seq in self.indexed_to.max(first)..end {
            if let Some(e) = buffer.entries.get((seq - first) as usize)
                && matcher.keeps_line(|| name_of(buffer, e), &e.entry.as_text())
            {
                self.matches.push_back(seq);
            }
        }
        self.indexed_to = end;
    }

    pub fn toggle_follow(&mut self) {
        self.paused = !self.paused;
        if !self.paused {
            self.scroll = 0;
        }
    }

    /// Positive `up` scrolls towards older lines and pauses following.
    pub fn scroll_by(&mut self, up: isize) {
        // Home/End scroll by isize::MAX: saturate rather than overflow.
        self.scroll = (self.scroll as isize).saturating_add(up).max(0) as usize;
        self.paused = self.scroll > 0;
    }

    /// Keeps the scroll within the lines the view shows, so Home shows the oldest screenful
    /// rather than an empty panel.
    pub fn clamp_scroll(&mut self, buffer: &LogBuffer, height: usize) {
        if self.scroll == 0 {
            return;
        }
        let shown = self.shown_newest_first(buffer, self.source).count();
        self.scroll = self.scroll.min(shown.saturating_sub(height));
        self.paused = self.scroll > 0;
    }

    /// Whether the view shows `entry` of `source`, named `name` (filter and source), e.g. to
    /// keep a paused view still while lines arrive.
    pub fn shows(&self, source: usize, name: &str, entry: &LogEntry) -> bool {
        self.source.is_none_or(|s| s == source)
            && self
                .filter_matcher
                .as_ref()
                .is_none_or(|m| m.keeps_line(|| crate::view::clean(name), &entry.as_text()))
    }

    /// Every entry the view shows (filter and source), newest first.
    pub fn shown<'a>(&'a self, buffer: &'a LogBuffer) -> impl Iterator<Item = &'a SourcedEntry> {
        self.shown_newest_first(buffer, self.source)
    }

    /// The entries the view shows, newest first, for one source or all (`None`).
    fn shown_newest_first<'a>(
        &'a self,
        buffer: &'a LogBuffer,
        source: Option<usize>,
    ) -> Box<dyn Iterator<Item = &'a SourcedEntry> + 'a> {
        let of_source = move |e: &&SourcedEntry| source.is_none_or(|s| s == e.source);
        let Some(matcher) = &self.filter_matcher else {
            return Box::new(buffer.entries.iter().rev().filter(of_source));
        };
        let first = buffer.dropped;
        let end = first + buffer.entries.len() as u64;
        let indexed_to = self.indexed_to.max(first).min(end);
        let at = move |seq: u64| buffer.entries.get((seq - first) as usize);
        // Not yet indexed (newest), tested here; then the index.
        let fresh = (indexed_to..end)
            .rev()
            .filter_map(at)
            .filter(move |e| matcher.keeps_line(|| name_of(buffer, e), &e.entry.as_text()));
        let indexed = self
            .matches
            .iter()
            .rev()
            .filter(move |&&seq| seq >= first && seq < indexed_to)
            .filter_map(move |&seq| at(seq));
        Box::new(fresh.chain(indexed).filter(of_source))
    }

    /// The entries to draw in `height` rows, oldest first. The cost follows the visible rows,
    /// not the buffer size (a filter is served from the index).
    pub fn visible<'a>(&'a self, buffer: &'a LogBuffer, height: usize) -> Vec<&'a SourcedEntry> {
        self.visible_from(buffer, height, self.source)
    }

    /// The same, for one source (side-by-side columns) or all (`None`).
    pub fn visible_from<'a>(
        &'a self,
        buffer: &'a LogBuffer,
        height: usize,
        source: Option<usize>,
    ) -> Vec<&'a SourcedEntry> {
        let mut out: Vec<&SourcedEntry> = self
            .shown_newest_first(buffer, source)
            .skip(self.scroll)
            .take(height)
            .collect();
        out.reverse();
        out
    }

    /// Scrolls so the next shown line with a search match, older or newer than the newest line
    /// on screen, becomes the newest line on screen (pausing the view). `false` when there is
    /// no such line (or no search).
    pub fn jump_to_match(&mut self, buffer: &LogBuffer, direction: Direction) -> bool {
        let Some(search) = &self.search_matcher else {
            return false;
        };
        let hits = |e: &SourcedEntry| search.regex.is_match(&e.entry.as_text());
        let found = match direction {
            Direction::Older => self
                .shown_newest_first(buffer, self.source)
                .enumerate()
                .skip(self.scroll + 1)
                .find(|(_, e)| hits(e))
                .map(|(i, _)| i),
            Direction::Newer => self
                .shown_newest_first(buffer, self.source)
                .take(self.scroll)
                .enumerate()
                .filter(|(_, e)| hits(e))
                .last()
                .map(|(i, _)| i),
        };
        match found {
            Some(i) => {
                self.scroll = i;
                self.paused = true;
                true
            }
            None => false,
        }
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

    /// Home after scrolling up once overflowed, and Home showed an empty panel: found by
    /// pressing every key on every row in the read-only proof.
    #[test]
    fn home_shows_the_oldest_lines_and_end_the_newest() {
        let b = buffer(&["1", "2", "3", "4"]);
        let mut p = LogPanel::new(None);
        p.scroll_by(1);
        for _ in 0..3 {
            p.scroll_by(isize::MAX / 2);
            p.clamp_scroll(&b, 2);
        }
        assert!(p.paused);
        let page: Vec<String> = p.visible(&b, 2).iter().map(|e| e.entry.text()).collect();
        assert_eq!(page, vec!["1", "2"]);
        p.scroll_by(isize::MIN / 2);
        p.scroll_by(isize::MIN / 2);
        assert_eq!(p.scroll, 0);
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

    #[test]
    fn filter_index_follows_arrivals_and_evictions() {
        let at = DateTime::from_timestamp(0, 0).unwrap_or_default();
        let line = |t: String| LogEntry::Line {
            received_at: at,
            text: t,
        };
        let mut b = LogBuffer::with_capacity(50);
        let mut p = LogPanel::new(Some("hit"));
        b.push(
            "a",
            (0..40).map(|i| line(format!("{i} {}", if i % 10 == 0 { "hit" } else { "miss" }))),
            at,
        );
        p.index(&b);
        assert_eq!(shown(&p, &b), vec!["0 hit", "10 hit", "20 hit", "30 hit"]);
        // 30 more: the first 20 fall off the front, "0 hit" and "10 hit" with them.
        b.push(
            "a",
            (40..70).map(|i| line(format!("{i} {}", if i % 10 == 0 { "hit" } else { "miss" }))),
            at,
        );
        // Not indexed yet: still shown right, from the unindexed tail.
        assert_eq!(
            shown(&p, &b),
            vec!["20 hit", "30 hit", "40 hit", "50 hit", "60 hit"]
        );
        p.index(&b);
        assert_eq!(
            shown(&p, &b),
            vec!["20 hit", "30 hit", "40 hit", "50 hit", "60 hit"]
        );
        assert_eq!(p.matches.len(), 5);
        // Scrolled by shown lines, not buffer lines.
        p.scroll = 3;
        assert_eq!(shown(&p, &b), vec!["20 hit", "30 hit"]);
    }

    #[test]
    fn search_jumps_older_and_newer_and_highlights() {
        let b = buffer(&["a 500", "b", "c 500", "d", "e"]);
        let mut p = LogPanel::new(None);
        p.set_search("500".into());
        assert_eq!(p.search_hits("c 500 x"), vec![2..5]);
        assert!(p.jump_to_match(&b, Direction::Older));
        // "c 500" is now the newest line on screen.
        assert_eq!(p.visible(&b, 1)[0].entry.text(), "c 500");
        assert!(p.paused);
        assert!(p.jump_to_match(&b, Direction::Older));
        assert_eq!(p.visible(&b, 1)[0].entry.text(), "a 500");
        assert!(!p.jump_to_match(&b, Direction::Older), "nothing older");
        assert!(p.jump_to_match(&b, Direction::Newer));
        assert_eq!(p.visible(&b, 1)[0].entry.text(), "c 500");
        assert!(!p.jump_to_match(&b, Direction::Newer), "nothing newer");
        // Not a regex: plain text, case-insensitive.
        p.set_search("B(".into());
        assert!(p.search_hits("xb(y").len() == 1);
    }
}
