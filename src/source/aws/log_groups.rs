//! Logs where there is no SSH: a CloudWatch Logs group (Fargate tasks, the awslogs driver)
//! followed in the same panel as an SSH tail.
//!
//! Two ways to follow, both resuming where they left off when the runtime restarts a tail (the
//! cursor outlives one `tail` call), so a retry neither repeats nor loses a line:
//! - **poll**: `FilterLogEvents` from the newest event's time, less an overlap for late
//!   ingestion, every few seconds; events already shown are known by their id. A read that
//!   could not take everything is continued by the next, so a poll loses nothing. All the
//!   console's reads in a region share one pace, under the account's 5-a-second quota.
//! - **live**: `StartLiveTail` (AWS pushes each second's events), after a `FilterLogEvents` read
//!   for the backlog. A session ends after 3 hours at most and is started again; the moment
//!   between two sessions is marked as a gap, as is a second AWS sampled down to 500 events.

use super::error::from_sdk;
use crate::config::{FollowMode, LogSourceConfig};
use crate::model::{LogEntry, Piece};
use crate::source::{ErrorKind, LogBatch, LogSource, SourceError};
use aws_sdk_cloudwatchlogs as cwl;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use governor::{DefaultDirectRateLimiter, Quota};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// Time between reads of one group while it answers.
pub const POLL_EVERY: Duration = Duration::from_secs(2);
/// `FilterLogEvents` calls a second this console makes in one region, all groups together: a
/// fifth of the account's default quota (5 a second), which other consoles and tools share.
pub const CALLS_PER_SECOND: u32 = 1;
/// Events can be ingested late: each read goes back this far and skips what it has shown.
const OVERLAP_MS: i64 = 120_000;
/// How far back the first read looks for the backlog.
const BACKLOG_MS: i64 = 15 * 60_000;
/// Pages one read may take (each up to 10,000 events or 1 MB, oldest first); the next read
/// starts at the newest event this one showed, so what is left is read then, not lost.
const PAGES_PER_READ: usize = 10;
/// Longest wait between reads while the service throttles.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Docker's awslogs driver (ECS, Fargate) sends a line longer than one event can hold as
/// several events of at most this many bytes (256 KiB less the 26 AWS counts per event), cut at
/// a character boundary, all with the line's time. CloudWatch marks none of them as cut.
const AWSLOGS_PIECE: usize = 262_144 - 26;
/// What the CloudWatch agent and Fluent Bit append to an event they cut short (its end is lost).
const TRUNCATED: &str = "[Truncated...]";

/// The same pace for every group of a region.
pub type Pace = Arc<DefaultDirectRateLimiter>;

pub fn pace() -> Pace {
    let per_second = NonZeroU32::new(CALLS_PER_SECOND).unwrap_or(NonZeroU32::MIN);
    Arc::new(DefaultDirectRateLimiter::direct(Quota::per_second(
        per_second,
    )))
}

/// What has been shown: the newest event's time, the events of the overlap by key, and the
/// lines cut into several events (by stream and time) with whether their first piece was shown.
#[derive(Default)]
struct Cursor {
    newest_ms: Option<i64>,
    seen: HashMap<String, i64>,
    cut: HashMap<(String, i64), bool>,
}

impl Cursor {
    /// The events not shown yet, oldest first; remembers them.
    fn take_new(&mut self, mut events: Vec<Event>) -> Vec<Event> {
        events.sort_by(|a, b| (a.timestamp, &a.key).cmp(&(b.timestamp, &b.key)));
        let fresh: Vec<Event> = events
            .into_iter()
            .filter(|e| !self.seen.contains_key(&e.key))
            .collect();
        for e in &fresh {
            self.seen.insert(e.key.clone(), e.timestamp);
            self.newest_ms = Some(self.newest_ms.map_or(e.timestamp, |n| n.max(e.timestamp)));
        }
        let mut fresh = fresh;
        self.mark_pieces(&mut fresh);
        if let Some(newest) = self.newest_ms {
            self.seen.retain(|_, t| *t >= newest - 2 * OVERLAP_MS);
            self.cut.retain(|(_, t), _| *t >= newest - 2 * OVERLAP_MS);
        }
        fresh
    }

    /// Marks what a shipper cut. An event of the awslogs piece size ends mid-line, and every
    /// other event of its stream and time is the rest of that line (the order of events within
    /// one millisecond is not to be relied on): its text after the cut is whatever the request's
    /// sender wrote there. An event ending in `[Truncated...]` lost its end.
    fn mark_pieces(&mut self, events: &mut [Event]) {
        for e in events.iter().filter(|e| is_full_piece(&e.message)) {
            self.cut
                .entry((e.stream.clone(), e.timestamp))
                .or_insert(false);
        }
        for e in events.iter_mut() {
            let full = is_full_piece(&e.message);
            e.ends_cut = full || e.message.trim_end().ends_with(TRUNCATED);
            if self.cut.is_empty() {
                continue;
            }
            if let Some(first_shown) = self.cut.get_mut(&(e.stream.clone(), e.timestamp)) {
                // The line's start is its first full-size piece; everything else continues it.
                e.starts_cut = !full || *first_shown;
                *first_shown |= full;
            }
        }
    }
}

/// As long as the awslogs driver's pieces (within one character of it): cut there.
fn is_full_piece(message: &str) -> bool {
    message.len() + 3 >= AWSLOGS_PIECE
}

/// One event, from either API.
#[derive(Debug, Clone, PartialEq, Default)]
struct Event {
    /// The event id (poll); stream, time and text (live, which gives no id).
    key: String,
    stream: String,
    timestamp: i64,
    message: String,
    /// It starts in the middle of a line a shipper cut (see [`Cursor::mark_pieces`]).
    starts_cut: bool,
    /// Its last line was cut short.
    ends_cut: bool,
}

/// A `[[log]]` entry with a `log_group`.
pub struct LogGroupTail {
    name: String,
    group: String,
    stream_prefix: Option<String>,
    filter_pattern: Option<String>,
    follow: FollowMode,
    client: cwl::Client,
    pace: Pace,
    cursor: Arc<Mutex<Cursor>>,
}

impl LogGroupTail {
    pub fn new(cfg: &LogSourceConfig, client: cwl::Client, pace: Pace, follow: FollowMode) -> Self {
        LogGroupTail {
            name: cfg.name.clone(),
            group: cfg.log_group.clone().unwrap_or_default(),
            stream_prefix: cfg.stream_prefix.clone(),
            filter_pattern: cfg.filter_pattern.clone(),
            follow,
            client,
            pace,
            cursor: Arc::default(),
        }
    }

    /// A group found for a task (`l` on a Fargate target): its stream only.
    pub fn for_stream(
        name: String,
        group: String,
        stream: String,
        client: cwl::Client,
        pace: Pace,
        follow: FollowMode,
    ) -> Self {
        LogGroupTail {
            name,
            group,
            stream_prefix: Some(stream),
            filter_pattern: None,
            follow,
            client,
            pace,
            cursor: Arc::default(),
        }
    }

    fn reader(&self) -> Reader {
        Reader {
            group: self.group.clone(),
            stream_prefix: self.stream_prefix.clone(),
            filter_pattern: self.filter_pattern.clone(),
            client: self.client.clone(),
            pace: self.pace.clone(),
            by_text: self.follow == FollowMode::Live,
        }
    }
}

impl LogSource for LogGroupTail {
    fn name(&self) -> &str {
        &self.name
    }

    fn tail(
        &self,
        backlog: usize,
        sink: mpsc::Sender<LogBatch>,
    ) -> BoxFuture<'static, Result<(), SourceError>> {
        let reader = self.reader();
        let cursor = self.cursor.clone();
        let name = self.name.clone();
        let follow = self.follow;
        Box::pin(async move {
            let out = Out { name, sink };
            match follow {
                FollowMode::Poll => poll(reader, cursor, backlog, out).await,
                FollowMode::Live => live(reader, cursor, backlog, out).await,
            }
        })
    }
}

/// Where a tail's batches go.
struct Out {
    name: String,
    sink: mpsc::Sender<LogBatch>,
}

impl Out {
    /// Sends lines (and gaps); `false` once the console is gone.
    async fn send(&self, entries: Vec<LogEntry>) -> bool {
        self.sink
            .send(LogBatch::lines(self.name.clone(), entries))
            .await
            .is_ok()
    }

    async fn waiting(&self, what: String) -> bool {
        self.sink
            .send(LogBatch::waiting(self.name.clone(), what))
            .await
            .is_ok()
    }
}

/// An event's lines, as the panel shows them: one entry per line of its message, with the
/// event's own time, every control character neutralised (the text is anyone's). The first line
/// of an event that continues a cut line, and the last of one that was cut, are pieces.
fn entries(events: &[Event]) -> Vec<LogEntry> {
    events
        .iter()
        .flat_map(|e| {
            let at = DateTime::from_timestamp_millis(e.timestamp).unwrap_or_else(Utc::now);
            let lines: Vec<&str> = e
                .message
                .trim_end_matches(['\n', '\r'])
                .split('\n')
                .collect();
            let last = lines.len().saturating_sub(1);
            lines.into_iter().enumerate().map(move |(i, line)| {
                let text = crate::sanitize::sanitize(line.trim_end_matches('\r')).into_owned();
                let piece = if i == 0 && e.starts_cut {
                    Some(Piece::Continuation)
                } else if i == last && e.ends_cut {
                    Some(Piece::Head)
                } else {
                    None
                };
                match piece {
                    None => LogEntry::Line {
                        received_at: at,
                        text,
                    },
                    Some(piece) => LogEntry::Piece {
                        received_at: at,
                        text,
                        piece,
                    },
                }
            })
        })
        .collect()
}

/// Reads a group with `FilterLogEvents`.
#[derive(Clone)]
struct Reader {
    group: String,
    stream_prefix: Option<String>,
    filter_pattern: Option<String>,
    client: cwl::Client,
    pace: Pace,
    /// Key events by stream, time and text rather than id (live events carry no id).
    by_text: bool,
}

impl Reader {
    /// Events from `start_ms` on, oldest first, at most `PAGES_PER_READ` pages of them.
    async fn read(&self, start_ms: i64) -> Result<Vec<Event>, SourceError> {
        let mut events = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..PAGES_PER_READ {
            let asked = token.clone();
            self.pace.until_ready().await;
            #[allow(deprecated)]
            let out = self
                .client
                .filter_log_events()
                .log_group_name(&self.group)
                .set_log_stream_name_prefix(self.stream_prefix.clone())
                .set_filter_pattern(self.filter_pattern.clone())
                .start_time(start_ms)
                // Ignored by AWS since 2019 (always interleaved); an emulator may need it.
                .interleaved(true)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| {
                    let e = from_sdk("logs FilterLogEvents", e);
                    match e.kind {
                        ErrorKind::NotFound => SourceError::new(
                            ErrorKind::NotFound,
                            format!(
                                "log group {} does not exist (deleted, or another region?): {}",
                                self.group, e.message
                            ),
                        ),
                        _ => e,
                    }
                })?;
            events.extend(out.events().iter().filter_map(|e| {
                let stream = e.log_stream_name().unwrap_or_default();
                // The prefix is the service's to apply; an emulator may not.
                if self
                    .stream_prefix
                    .as_deref()
                    .is_some_and(|p| !stream.starts_with(p))
                {
                    return None;
                }
                let timestamp = e.timestamp()?;
                let message = e.message().unwrap_or_default().to_string();
                Some(Event {
                    key: if self.by_text {
                        text_key(stream, timestamp, &message)
                    } else {
                        e.event_id()?.to_string()
                    },
                    stream: stream.to_string(),
                    timestamp,
                    message,
                    ..Event::default()
                })
            }));
            match out.next_token() {
                // A page may be empty while more follow; a token that does not move ends it.
                Some(t) if !t.is_empty() && Some(t) != asked.as_deref() => token = Some(t.into()),
                _ => return Ok(events),
            }
        }
        Ok(events)
    }

    /// The group's ARN, as `StartLiveTail` wants it (without the `:*` DescribeLogGroups adds).
    async fn arn(&self) -> Result<String, SourceError> {
        let out = self
            .client
            .describe_log_groups()
            .log_group_name_prefix(&self.group)
            .send()
            .await
            .map_err(|e| from_sdk("logs DescribeLogGroups", e))?;
        out.log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(self.group.as_str()))
            .and_then(|g| g.arn())
            .map(|a| a.trim_end_matches(":*").to_string())
            .ok_or_else(|| {
                SourceError::new(
                    ErrorKind::NotFound,
                    format!(
                        "log group {} does not exist (deleted, or another region?)",
                        self.group
                    ),
                )
            })
    }
}

/// The backlog: the last `backlog` events of the last 15 minutes (or, on a restart, whatever
/// came since the last one shown).
async fn first_read(
    reader: &Reader,
    cursor: &Mutex<Cursor>,
    backlog: usize,
    out: &Out,
) -> Result<bool, SourceError> {
    let resumed = lock(cursor).newest_ms;
    let start = match resumed {
        Some(n) => n - OVERLAP_MS,
        None => Utc::now().timestamp_millis() - BACKLOG_MS,
    };
    let events = reader.read(start).await?;
    let mut fresh = lock(cursor).take_new(events);
    if resumed.is_none() {
        let skip = fresh.len().saturating_sub(backlog);
        fresh.drain(..skip);
    }
    Ok(out.send(entries(&fresh)).await)
}

fn lock(cursor: &Mutex<Cursor>) -> std::sync::MutexGuard<'_, Cursor> {
    cursor.lock().unwrap_or_else(|e| e.into_inner())
}

async fn poll(
    reader: Reader,
    cursor: Arc<Mutex<Cursor>>,
    backlog: usize,
    out: Out,
) -> Result<(), SourceError> {
    let mut wait = POLL_EVERY;
    let mut first = true;
    loop {
        let read = if first {
            first_read(&reader, &cursor, backlog, &out).await
        } else {
            let start = lock(&cursor)
                .newest_ms
                .map_or(Utc::now().timestamp_millis() - OVERLAP_MS, |n| {
                    n - OVERLAP_MS
                });
            match reader.read(start).await {
                Ok(events) => {
                    let shown = entries(&lock(&cursor).take_new(events));
                    Ok(shown.is_empty() || out.send(shown).await)
                }
                Err(e) => Err(e),
            }
        };
        match read {
            Ok(false) => return Ok(()),
            Ok(true) => {
                first = false;
                wait = POLL_EVERY;
            }
            // Throttled: the same tail waits longer, and says so; nothing is lost (the next
            // read starts where the last one shown ended).
            Err(e) if e.kind == ErrorKind::Throttled => {
                wait = (wait * 2).min(MAX_BACKOFF);
                let said = out
                    .waiting(format!(
                        "CloudWatch Logs is throttling reads of {} ({}); reading again in {} s",
                        reader.group,
                        e.message,
                        wait.as_secs()
                    ))
                    .await;
                if !said {
                    return Ok(());
                }
            }
            Err(e) => return Err(e),
        }
        tokio::time::sleep(wait).await;
    }
}

/// An event known by where and when it was written and what it says.
fn text_key(stream: &str, timestamp: i64, message: &str) -> String {
    format!("{stream}\u{0}{timestamp}\u{0}{message}")
}

/// One second's events of a live session, as events the cursor can tell apart.
fn live_events(update: &cwl::types::LiveTailSessionUpdate, prefix: Option<&str>) -> Vec<Event> {
    update
        .session_results()
        .iter()
        .filter(|e| prefix.is_none_or(|p| e.log_stream_name().is_some_and(|s| s.starts_with(p))))
        .filter_map(|e| {
            let timestamp = e.timestamp()?;
            let message = e.message().unwrap_or_default().to_string();
            let stream = e.log_stream_name().unwrap_or_default();
            Some(Event {
                key: text_key(stream, timestamp, &message),
                stream: stream.to_string(),
                timestamp,
                message,
                ..Event::default()
            })
        })
        .collect()
}

async fn live(
    reader: Reader,
    cursor: Arc<Mutex<Cursor>>,
    backlog: usize,
    out: Out,
) -> Result<(), SourceError> {
    // Live events carry no id: the backlog is keyed by text too, so an event both in the
    // backlog and in a session (or in two sessions) is shown once.
    if !first_read(&reader, &cursor, backlog, &out).await? {
        return Ok(());
    }
    let arn = reader.arn().await?;
    let mut ended_at: Option<DateTime<Utc>> = None;
    loop {
        let started = reader
            .client
            .start_live_tail()
            .log_group_identifiers(&arn)
            .set_log_stream_name_prefixes(reader.stream_prefix.clone().map(|p| vec![p]))
            .set_log_event_filter_pattern(reader.filter_pattern.clone())
            .send()
            .await
            .map_err(|e| from_sdk("logs StartLiveTail", e))?;
        let mut stream = started.response_stream;
        if let Some(lost_at) = ended_at.take() {
            // What came between two sessions is not pushed by either.
            let gap = LogEntry::Gap {
                lost_at,
                resumed_at: Utc::now(),
            };
            if !out.send(vec![gap]).await {
                return Ok(());
            }
        }
        loop {
            match stream.recv().await {
                Ok(Some(cwl::types::StartLiveTailResponseStream::SessionUpdate(update))) => {
                    let events = live_events(&update, reader.stream_prefix.as_deref());
                    let fresh = lock(&cursor).take_new(events);
                    let mut shown = entries(&fresh);
                    if update.session_metadata().is_some_and(|m| m.sampled()) {
                        // AWS sends at most 500 events a second: the rest of it is not shown.
                        let now = Utc::now();
                        shown.push(LogEntry::Gap {
                            lost_at: now - chrono::Duration::seconds(1),
                            resumed_at: now,
                        });
                    }
                    if !shown.is_empty() && !out.send(shown).await {
                        return Ok(());
                    }
                }
                Ok(Some(_)) => {}
                // The session ended (its 3 hours, or the service closed it): start another.
                Ok(None) => break,
                Err(e) => {
                    tracing::info!(group = %reader.group, error = %e, "live tail session ended");
                    break;
                }
            }
        }
        ended_at = Some(Utc::now());
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The log group sources of `[[log]]` entries, with the region's client and pace; an entry for
/// a region the console does not watch reads through a client made for it.
pub fn configured(
    entries: &[LogSourceConfig],
    regions: &[super::RegionClients],
    custom_endpoint: bool,
) -> Vec<Arc<dyn LogSource>> {
    let mut paces: HashMap<String, Pace> = HashMap::new();
    let mut out: Vec<Arc<dyn LogSource>> = Vec::new();
    for cfg in entries.iter().filter(|c| c.is_log_group()) {
        let Some(first) = regions.first() else { break };
        let region = cfg.region.clone().unwrap_or_else(|| first.region.clone());
        let rc = regions
            .iter()
            .find(|r| r.region == region)
            .cloned()
            .unwrap_or_else(|| super::for_region(&first.sdk_config, &region, first.stats.clone()));
        let pace = paces.entry(region).or_insert_with(pace).clone();
        let follow = cfg.follow.unwrap_or(if custom_endpoint {
            FollowMode::Poll
        } else {
            FollowMode::Live
        });
        out.push(Arc::new(LogGroupTail::new(
            cfg,
            rc.logs.clone(),
            pace,
            follow,
        )));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(key: &str, timestamp: i64) -> Event {
        Event {
            key: key.into(),
            timestamp,
            message: format!("line {key}"),
            ..Event::default()
        }
    }

    #[test]
    fn the_cursor_shows_each_event_once_in_time_order() {
        let mut c = Cursor::default();
        let first = c.take_new(vec![ev("2", 2_000), ev("1", 1_000)]);
        assert_eq!(first, vec![ev("1", 1_000), ev("2", 2_000)]);
        // The overlap read brings both again, with a late one in between.
        let next = c.take_new(vec![ev("1", 1_000), ev("3", 1_500), ev("2", 2_000)]);
        assert_eq!(next, vec![ev("3", 1_500)]);
        assert_eq!(c.newest_ms, Some(2_000));
    }

    #[test]
    fn a_multi_line_message_is_several_lines_and_never_an_escape() {
        let e = Event {
            key: "1".into(),
            timestamp: 1_700_000_000_000,
            message: "first\n\u{1b}]52;c;cHduZWQ=\u{7}second\r\n".into(),
            ..Event::default()
        };
        let lines: Vec<String> = entries(&[e]).iter().map(|l| l.text()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], "first");
        assert!(
            !lines[1].contains('\u{1b}') && lines[1].ends_with("second"),
            "{lines:?}"
        );
    }
}
