//! The demo's story as a timeline: what a wall reading every minute would have seen change
//! (drills, bursts, scheduled events, a console's drains and Counts), so a demo snapshot and
//! `T` tell the same story as its panels.

use super::DemoWorld;
use crate::source::{History, SourceError};
use crate::timeline::{Entry, observe};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use std::sync::Arc;

/// How often the imagined wall reads.
const STEP_MS: i64 = 60_000;

pub(super) struct Story(pub Arc<DemoWorld>);

impl DemoWorld {
    /// What reads every minute from `since` to `until` would have seen change, oldest first.
    pub fn seen_changes(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> Vec<Entry> {
        let changes = self.changes_snapshot();
        let (from, to) = (self.ms_at(since), self.ms_at(until));
        let views = |t: i64| {
            (
                self.targets_view_at(&changes, t),
                self.waf_view_at(&changes, t),
                self.instances_view_at(t),
            )
        };
        let mut out = Vec::new();
        let mut t = from;
        let mut before = views(t);
        while t < to {
            let next = (t + STEP_MS).min(to);
            let after = views(next);
            let reads = observe::Reads {
                since: self.instant(t),
                at: self.instant(next),
            };
            out.extend(observe::targets(&before.0, &after.0, reads));
            out.extend(observe::waf(&before.1, &after.1, reads));
            out.extend(observe::instances(&before.2, &after.2, reads));
            before = after;
            t = next;
        }
        out
    }
}

impl History for Story {
    fn explain<'a>(
        &'a self,
        window: chrono::Duration,
        timeline: &'a mut Vec<Entry>,
    ) -> BoxFuture<'a, Result<Option<String>, SourceError>> {
        Box::pin(async move {
            let now = self.0.clock.now();
            timeline.extend(self.0.seen_changes(now - window, now));
            timeline.sort_by_key(|e| e.time);
            Ok(None)
        })
    }
}
