//! `T`: what changed, newest first — what this console saw change between two reads and what it
//! did. `/` filters (on every word shown), Enter jumps to the row the change concerns.

use super::{App, Effect, Overlay};
use crate::app::Action;
use crate::config::KeyContext;
use crate::timeline::Entry;
use crossterm::event::{KeyCode, KeyEvent};

/// The timeline view's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimelineView {
    pub selected: usize,
    pub filter: String,
    /// The filter is being typed: keys edit it, Enter or Esc end it.
    pub typing: bool,
}

/// The words of an entry a filter looks at: as shown, plus its id, region, who and source.
pub fn words(e: &Entry) -> String {
    format!(
        "{} {} {} {} {} {}",
        e.describe(),
        e.subject.id,
        e.region,
        e.who.as_deref().unwrap_or_default(),
        e.source.as_str(),
        e.account.as_deref().unwrap_or_default()
    )
    .to_lowercase()
}

/// How often a console asks who made the changes it saw (CloudTrail allows two requests a second
/// per account and region; a minute keeps it to a few a minute).
const ASK_WHO_EVERY: chrono::Duration = chrono::Duration::seconds(60);
/// How far back it asks: older changes keep what they were given.
const ASK_WHO_WINDOW: chrono::Duration = chrono::Duration::minutes(15);

impl App {
    /// Once a minute, the changes of the last 15 minutes that a call may explain and that have
    /// no who yet, for the session's history to explain.
    pub(super) fn ask_who(&mut self, now: chrono::DateTime<chrono::Utc>) -> Vec<Effect> {
        let due = self.who_asked_at.is_none_or(|at| now - at >= ASK_WHO_EVERY);
        if !self.asks_who || !due {
            return vec![];
        }
        let unexplained: Vec<Entry> = self
            .timeline
            .iter()
            .filter(|e| {
                e.who.is_none()
                    && e.time > now - ASK_WHO_WINDOW
                    && !crate::timeline::caused_by(&e.what).is_empty()
            })
            .cloned()
            .collect();
        if unexplained.is_empty() {
            return vec![];
        }
        self.who_asked_at = Some(now);
        vec![Effect::AskWho(unexplained)]
    }

    /// Who made the changes, as the history answered: each entry gets its who, and the calls
    /// that explained them join the timeline.
    pub(super) fn on_who(&mut self, answer: Result<Vec<Entry>, String>) {
        let answered = match answer {
            Ok(entries) => entries,
            Err(why) => {
                self.who_error = Some(why);
                return;
            }
        };
        self.who_error = None;
        let mut calls = Vec::new();
        for e in answered {
            if e.source == crate::timeline::Origin::Cloudtrail {
                if !self.timeline.contains(&e) {
                    calls.push(e);
                }
                continue;
            }
            let same = |k: &&mut Entry| {
                k.time == e.time && k.subject.id == e.subject.id && k.what == e.what
            };
            if let Some(kept) = self.timeline.iter_mut().find(same) {
                kept.who = kept.who.take().or(e.who);
            }
        }
        self.keep_in_timeline(calls);
        let mut sorted: Vec<Entry> = self.timeline.drain(..).collect();
        sorted.sort_by_key(|e| e.time);
        self.timeline.extend(sorted);
    }

    /// The entries `T` shows for `filter`, newest first.
    pub fn timeline_shown(&self, filter: &str) -> Vec<&Entry> {
        let filter = filter.to_lowercase();
        self.timeline
            .iter()
            .rev()
            .filter(|e| filter.is_empty() || words(e).contains(&filter))
            .collect()
    }

    /// A change this console made: in its timeline like what it observed.
    pub(super) fn remember_done(
        &mut self,
        m: &crate::action::Mutation,
        at: chrono::DateTime<chrono::Utc>,
    ) {
        let entry = Entry::from_done(
            m,
            at,
            self.world.scope.account.clone(),
            self.world.scope.caller_arn.as_deref(),
        );
        self.keep_in_timeline(vec![entry]);
    }

    /// Adds entries, keeping the newest `TIMELINE_KEPT`.
    pub fn keep_in_timeline(&mut self, entries: Vec<Entry>) {
        self.timeline.extend(entries);
        let over = self.timeline.len().saturating_sub(super::TIMELINE_KEPT);
        self.timeline.drain(..over);
    }

    pub(super) fn on_timeline_key(&mut self, mut t: TimelineView, key: KeyEvent) -> Vec<Effect> {
        if t.typing {
            match key.code {
                KeyCode::Enter => t.typing = false,
                KeyCode::Esc => {
                    t.typing = false;
                    t.filter.clear();
                }
                _ => {
                    if let Some(text) = super::keys::edited(&t.filter, &key) {
                        t.filter = text;
                        t.selected = 0;
                    }
                }
            }
            self.overlay = Some(Overlay::Timeline(t));
            return vec![];
        }
        let last = self.timeline_shown(&t.filter).len().saturating_sub(1);
        t.selected = match (key.code, self.keymap.lookup(KeyContext::Help, &key)) {
            (KeyCode::Enter, _) => {
                let row = self
                    .timeline_shown(&t.filter)
                    .get(t.selected)
                    .map(|e| (e.panel, e.row.clone()));
                self.overlay = None;
                if let Some((panel, row)) = row {
                    self.jump_to_row(panel, row);
                }
                return vec![];
            }
            (KeyCode::Char('/'), _) => {
                t.typing = true;
                t.selected
            }
            (KeyCode::Char('T'), _) | (_, Some(Action::Cancel | Action::Quit)) => {
                self.overlay = None;
                return vec![];
            }
            (_, Some(Action::Down)) => (t.selected + 1).min(last),
            (_, Some(Action::Up)) => t.selected.saturating_sub(1),
            (_, Some(Action::PageDown)) => (t.selected + 10).min(last),
            (_, Some(Action::PageUp)) => t.selected.saturating_sub(10),
            (_, Some(Action::Top)) => 0,
            (_, Some(Action::Bottom)) => last,
            _ => t.selected,
        };
        self.overlay = Some(Overlay::Timeline(t));
        vec![]
    }
}
