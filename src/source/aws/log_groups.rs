//! Logs where there is no SSH: a CloudWatch Logs group (Fargate tasks, the awslogs driver)
//! followed in the same panel as an SSH tail.
//!
//! Two ways to follow, both resuming where they left off when the runtime restarts a tail (the
//! cursor outlives one `tail` call), so a retry neither repeats nor loses a line:
//! - **poll**: `FilterLogEvents` from the newest event's time, less an overlap for late
//!   ingestion, every few seconds; events already shown are known by their id. A read that
//!   could not take every page continues with AWS's `nextToken` (never by starting over, which
//!   on a busy group would read the same pages for ever), and the overlap applies only once
//!   caught up. A group written faster than the pace lets it be read is skipped ahead, the
//!   skipped stretch marked with about how many lines it held. All the console's reads in a
//!   region share one pace, under the account's 5-a-second quota.
//! - **live**: `StartLiveTail` (AWS pushes each second's events), after a `FilterLogEvents` read
//!   for the backlog. A session ends after 3 hours at most, or when it has sent nothing for
//!   5 s (AWS sends an update every second), and is started again; the moment between two
//!   sessions is marked as a gap, as is a second AWS sampled down to 500 events.
//!
//! The backlog is the group's newest lines: `FilterLogEvents` answers oldest first, so a window
//! holding more than a read takes is narrowed until its read reaches the newest event.

use super::error::from_sdk;
use crate::config::{FollowMode, LogSourceConfig};
use crate::model::{LogEntry, Piece};
use crate::source::{ErrorKind, LogBatch, LogSource, SourceError};
use aws_sdk_cloudwatchlogs as cwl;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// Time between reads of one group while it answers.
pub const POLL_EVERY: Duration = Duration::from_secs(2);
/// `FilterLogEvents` calls a second this console makes in one region, all groups together: a
/// fifth of the account's default quota (5 a second), which other consoles and tools share.
pub const CALLS_PER_SECOND: u32 = 1;
/// Events can be ingested late: a read that starts over (caught up) goes back this far and
/// skips what it has shown.
const OVERLAP_MS: i64 = 120_000;
/// On a group whose last read took several pages, the overlap reaches back no further than
/// that read's last page began (re-reading two minutes of a busy group would cost most of the
/// pace), but at least this far: shippers send every 5 s or so.
const MIN_OVERLAP_MS: i64 = 10_000;
/// How far back the first read looks for the backlog.
const BACKLOG_MS: i64 = 15 * 60_000;
/// The narrowest window the backlog is looked for in.
const MIN_WINDOW_MS: i64 = 1_000;
/// Pages one read may take (each up to 10,000 events or 1 MB, oldest first, and often fewer);
/// what is left is read next, continuing with the read's `nextToken`, so nothing is lost.
const PAGES_PER_READ: usize = 10;
/// Pages the first look for the backlog takes before it narrows its window (a quiet group's
/// 15 minutes are one page).
const PAGES_PER_LOOK: usize = 2;
/// Looks for the backlog's window, at most.
const MAX_LOOKS: usize = 8;
/// Further behind than this (the newest line shown was written this long ago and more are
/// waiting), a tail skips ahead to the group's newest lines: it is written faster than the
/// pace lets it be read, and a tail minutes late is no tail.
const MAX_BEHIND_MS: i64 = 60_000;
/// A live session that sends nothing for this long is dead (AWS sends an update every second,
/// empty or not): it is started again.
const LIVE_SILENCE: Duration = Duration::from_secs(5);
/// Longest wait between reads while the service throttles.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Docker's awslogs driver (ECS, Fargate) sends a line longer than one event can hold as
/// several events of at most this many bytes (256 KiB less the 26 AWS counts per event), cut at
/// a character boundary, all with the line's time. CloudWatch marks none of them as cut.
const AWSLOGS_PIECE: usize = 262_144 - 26;
/// What the CloudWatch agent and Fluent Bit append to an event they cut short (its end is lost).
const TRUNCATED: &str = "[Truncated...]";

/// The same pace for every group of a region.
pub type Pace = Arc<super::pace::Pace>;

pub fn pace() -> Pace {
    pace_at(CALLS_PER_SECOND)
}

/// A pace of `calls` a second (at least one).
pub fn pace_at(calls: u32) -> Pace {
    Arc::new(super::pace::Pace::new(calls, calls))
}

/// What has been shown: the newest event's time, the events of the overlap by key, and the
/// lines cut into several events (by stream and time) with whether their first piece was shown;
/// and where the next read starts.
#[derive(Default)]
struct Cursor {
    newest_ms: Option<i64>,
    seen: HashMap<String, i64>,
    cut: HashMap<(String, i64), bool>,
    /// The query a read left pages of: the next read continues it.
    behind: Option<Continuation>,
    /// Where the last query's last page began, when it took several pages (a busy group).
    busy_from: Option<i64>,
    /// No read starts before this: the start of the window the backlog (or a skip) was read
    /// from. What lies before it was never read, and is not late.
    floor_ms: Option<i64>,
    /// Events a millisecond, from the last read that held several: what a skip leaves out.
    density: Option<f64>,
}

/// A query with pages left: its start and AWS's token for the rest.
#[derive(Debug, Clone, PartialEq)]
struct Continuation {
    start_ms: i64,
    token: String,
}

impl Cursor {
    /// Where the next read starts: the query left unfinished, else (caught up) the newest
    /// event shown less the overlap.
    fn next_query(&mut self, now_ms: i64) -> (i64, Option<String>) {
        if let Some(c) = self.behind.take() {
            return (c.start_ms, Some(c.token));
        }
        let start = match self.newest_ms {
            None => now_ms - OVERLAP_MS,
            Some(n) => {
                let overlap = n - OVERLAP_MS;
                self.busy_from
                    .map_or(overlap, |b| overlap.max(b.min(n - MIN_OVERLAP_MS)))
            }
        };
        (self.floor_ms.map_or(start, |f| start.max(f)), None)
    }

    /// Remembers how a read ended: the query to continue, where a busy group's overlap may
    /// start, and the group's density.
    fn note(&mut self, read: &Read, continued: bool) {
        self.behind = read.rest.clone().map(|token| Continuation {
            start_ms: read.start_ms,
            token,
        });
        if self.behind.is_none() {
            let busy = continued || read.page_starts.len() > 1;
            self.busy_from = read.page_starts.last().copied().filter(|_| busy);
        }
        if let Some(d) = density(&read.events) {
            self.density = Some(d);
        }
    }

    /// How far behind the tail is (now less the newest event shown), when pages are waiting.
    fn behind_by(&self, now_ms: i64) -> Option<i64> {
        self.behind
            .as_ref()
            .map(|_| self.newest_ms.map_or(0, |n| (now_ms - n).max(0)))
    }

    /// About how many events lie between two times, at the density last read.
    fn estimate(&self, from_ms: i64, to_ms: i64) -> u64 {
        let span = (to_ms - from_ms).max(0) as f64;
        (self.density.unwrap_or(0.0) * span).round() as u64
    }

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

/// Events a millisecond, over the newer half of `events` (the part nearest what follows them;
/// an older event in the same read, such as one of the overlap, would make them look sparse).
fn density(events: &[Event]) -> Option<f64> {
    let mut times: Vec<i64> = events.iter().map(|e| e.timestamp).collect();
    times.sort_unstable();
    let newer = times.get(times.len() / 2..)?;
    let (first, last) = (newer.first()?, newer.last()?);
    // n events a span apart are n - 1 intervals.
    (newer.len() > 1).then(|| (newer.len() - 1) as f64 / (last - first).max(1) as f64)
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
            let out = Out {
                name,
                sink,
                behind: AtomicBool::new(false),
            };
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
    /// The panel was told the tail is behind.
    behind: AtomicBool,
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
    /// One query's events from `start_ms` on, oldest first, continuing after `token` when
    /// given, at most `pages` pages of them. A page that fails after others were read ends the
    /// read early, its token kept as the rest: the next read asks for it again.
    async fn read(
        &self,
        start_ms: i64,
        mut token: Option<String>,
        pages: usize,
    ) -> Result<Read, SourceError> {
        let mut read = Read {
            start_ms,
            ..Read::default()
        };
        for page in 0..pages {
            let asked = token.clone();
            self.pace.ready().await;
            let out = match self.page(start_ms, token.take()).await {
                Ok(out) => out,
                Err(e) if page > 0 => {
                    tracing::info!(group = %self.group, error = %e.message, "read ended early");
                    read.rest = asked;
                    return Ok(read);
                }
                Err(e) => return Err(e),
            };
            let events = self.events_of(&out);
            if let Some(first) = events.iter().map(|e| e.timestamp).min() {
                read.page_starts.push(first);
            }
            read.events.extend(events);
            match out.next_token() {
                // A page may be empty while more follow; a token that does not move ends it.
                Some(t) if !t.is_empty() && Some(t) != asked.as_deref() => token = Some(t.into()),
                _ => return Ok(read),
            }
        }
        read.rest = token;
        Ok(read)
    }

    async fn page(
        &self,
        start_ms: i64,
        token: Option<String>,
    ) -> Result<cwl::operation::filter_log_events::FilterLogEventsOutput, SourceError> {
        #[allow(deprecated)]
        self.client
            .filter_log_events()
            .log_group_name(&self.group)
            .set_log_stream_name_prefix(self.stream_prefix.clone())
            .set_filter_pattern(self.filter_pattern.clone())
            .start_time(start_ms)
            // Ignored by AWS since 2019 (always interleaved); an emulator may need it.
            .interleaved(true)
            .set_next_token(token)
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
            })
    }

    /// A page's events of the wanted streams.
    fn events_of(
        &self,
        out: &cwl::operation::filter_log_events::FilterLogEventsOutput,
    ) -> Vec<Event> {
        out.events()
            .iter()
            .filter_map(|e| {
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
            })
            .collect()
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

/// One read's answer.
#[derive(Default)]
struct Read {
    /// The query's start.
    start_ms: i64,
    events: Vec<Event>,
    /// AWS's token for the pages left, if any.
    rest: Option<String>,
    /// When each page that held events began, in order.
    page_starts: Vec<i64>,
}

/// How a read left the tail.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    CaughtUp,
    /// Pages are waiting: read again as soon as the pace allows.
    Behind,
    /// The console is gone.
    Closed,
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// The group's newest events: the last 15 minutes, narrowed while a look at the window cannot
/// reach its end (a busy group's 15 minutes are more pages than a read takes, and pages come
/// oldest first), and widened again while one that can holds fewer than `want` (the group's
/// newest event may be older than the estimate took). A second still too much for one read,
/// or a window not settled after `MAX_LOOKS`, is what the reads that follow continue.
async fn newest(reader: &Reader, want: usize) -> Result<Read, SourceError> {
    let now = now_ms();
    // The widest window known to be too much for a read, and the narrowest known to be too
    // little (with its read).
    let mut wide = BACKLOG_MS;
    let mut enough: Option<(i64, Read)> = None;
    let mut window = BACKLOG_MS;
    let mut pages = PAGES_PER_LOOK;
    for _ in 0..MAX_LOOKS {
        let read = reader.read(now - window, None, pages).await?;
        pages = PAGES_PER_READ;
        let narrow = enough.as_ref().map_or(0, |(w, _)| *w);
        if read.rest.is_none() {
            if read.events.len() >= want || window >= wide {
                return Ok(read);
            }
            enough = Some((window, read));
            window = window + (wide - window) / 2;
        } else {
            if window <= MIN_WINDOW_MS {
                return Ok(read);
            }
            wide = window;
            window = narrower(window, &read.events, want);
            if window <= narrow {
                window = narrow + (wide - narrow) / 2;
            }
            if window <= narrow || window >= wide {
                return Ok(read);
            }
        }
    }
    match enough {
        Some((_, read)) => Ok(read),
        None => reader.read(now - window, None, PAGES_PER_READ).await,
    }
}

/// A window that should hold about twice `want` events at the density `events` show (an
/// eighth of `window` when they show none), at least a quarter narrower.
fn narrower(window: i64, events: &[Event], want: usize) -> i64 {
    let wanted = density(events).map(|d| (2 * want.max(1)) as f64 / d);
    let ms = wanted.map_or(window / 8, |ms| ms.min(i64::MAX as f64) as i64);
    ms.clamp(MIN_WINDOW_MS, (window / 4).max(MIN_WINDOW_MS))
}

/// The backlog: the last `backlog` of the group's newest events.
async fn first_read(
    reader: &Reader,
    cursor: &Mutex<Cursor>,
    backlog: usize,
    out: &Out,
) -> Result<Step, SourceError> {
    let read = newest(reader, backlog).await?;
    let (fresh, behind_by) = {
        let mut c = lock(cursor);
        c.floor_ms = Some(read.start_ms);
        c.note(&read, false);
        let mut fresh = c.take_new(read.events);
        let skip = fresh.len().saturating_sub(backlog);
        fresh.drain(..skip);
        (fresh, c.behind_by(now_ms()))
    };
    Ok(report(out, entries(&fresh), behind_by).await)
}

/// The next read: the query a read left pages of, else (caught up) from the newest event shown
/// less the overlap. Further behind than a minute, it skips ahead to the newest events.
async fn next_read(
    reader: &Reader,
    cursor: &Mutex<Cursor>,
    backlog: usize,
    out: &Out,
) -> Result<Step, SourceError> {
    let (start, token) = lock(cursor).next_query(now_ms());
    let continued = token.is_some();
    let read = match reader.read(start, token.clone(), PAGES_PER_READ).await {
        Ok(read) => read,
        Err(e) => {
            // A passing failure keeps the query; any other (an expired token) starts over.
            let passing = matches!(
                e.kind,
                ErrorKind::Throttled | ErrorKind::Timeout | ErrorKind::Network
            );
            if let Some(token) = token.filter(|_| passing) {
                lock(cursor).behind = Some(Continuation {
                    start_ms: start,
                    token,
                });
            }
            return Err(e);
        }
    };
    // Pages of lines, not a scan AWS answered with empty pages (a quiet group's last line may
    // be long past): only those are written faster than they are read.
    let lines_waiting = !read.events.is_empty();
    let (fresh, behind_by) = {
        let mut c = lock(cursor);
        c.note(&read, continued);
        (c.take_new(read.events), c.behind_by(now_ms()))
    };
    match behind_by {
        Some(late) if late > MAX_BEHIND_MS && lines_waiting => {
            skip_ahead(reader, cursor, backlog, entries(&fresh), out).await
        }
        _ => Ok(report(out, entries(&fresh), behind_by).await),
    }
}

/// Leaves the pages a tail is behind on, after `shown`: the group's newest events follow a
/// gap saying about how many lines were skipped.
async fn skip_ahead(
    reader: &Reader,
    cursor: &Mutex<Cursor>,
    backlog: usize,
    mut shown: Vec<LogEntry>,
    out: &Out,
) -> Result<Step, SourceError> {
    let read = newest(reader, backlog).await?;
    let (gap, fresh, behind_by) = {
        let mut c = lock(cursor);
        let from = c.newest_ms.unwrap_or(read.start_ms);
        let gap = skipped(&c, from, read.start_ms);
        c.floor_ms = Some(read.start_ms);
        c.note(&read, false);
        (gap, c.take_new(read.events), c.behind_by(now_ms()))
    };
    tracing::info!(group = %reader.group, "skipped ahead to the newest events");
    shown.push(gap);
    shown.extend(entries(&fresh));
    Ok(report(out, shown, behind_by).await)
}

/// The gap a skip from `from_ms` to `to_ms` leaves, with about how many lines it held.
fn skipped(cursor: &Cursor, from_ms: i64, to_ms: i64) -> LogEntry {
    let at = |ms| DateTime::from_timestamp_millis(ms).unwrap_or_else(Utc::now);
    LogEntry::Gap {
        lost_at: at(from_ms),
        resumed_at: at(to_ms),
        skipped: Some(cursor.estimate(from_ms, to_ms)),
    }
}

/// Sends what a read brought; while pages are waiting, says how far behind the tail is (and
/// clears that once caught up).
async fn report(out: &Out, shown: Vec<LogEntry>, behind_by: Option<i64>) -> Step {
    let was_behind = out.behind.swap(behind_by.is_some(), Ordering::Relaxed);
    let sent = match behind_by {
        // An empty batch clears the panel's note that the tail was behind.
        None if shown.is_empty() && !was_behind => true,
        None => out.send(shown).await,
        Some(late) => {
            (shown.is_empty() || out.send(shown).await)
                && out
                    .waiting(format!(
                        "catching up: the newest line shown was written {} s ago and more are waiting (more than {} s behind, the tail skips ahead to the newest lines)",
                        late / 1000,
                        MAX_BEHIND_MS / 1000
                    ))
                    .await
        }
    };
    match (sent, behind_by) {
        (false, _) => Step::Closed,
        (true, None) => Step::CaughtUp,
        (true, Some(_)) => Step::Behind,
    }
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
    // A restarted tail carries on where it was.
    let mut first = lock(&cursor).newest_ms.is_none();
    loop {
        let read = if first {
            first_read(&reader, &cursor, backlog, &out).await
        } else {
            next_read(&reader, &cursor, backlog, &out).await
        };
        match read {
            Ok(Step::Closed) => return Ok(()),
            Ok(step) => {
                first = false;
                // Behind: the pace alone sets how soon the next page is read.
                wait = if step == Step::Behind {
                    Duration::ZERO
                } else {
                    POLL_EVERY
                };
            }
            // Throttled: the same tail waits longer, and says so; nothing is lost (the next
            // read continues the query, or starts where the last one shown ended).
            Err(e) if e.kind == ErrorKind::Throttled => {
                wait = (wait * 2).clamp(POLL_EVERY * 2, MAX_BACKOFF);
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
    if first_read(&reader, &cursor, backlog, &out).await? == Step::Closed {
        return Ok(());
    }
    // Sessions push what is written from now on: pages the backlog left are not read.
    let left = {
        let mut c = lock(&cursor);
        c.behind.take().and_then(|_| {
            let from = c.newest_ms?;
            Some(skipped(&c, from, now_ms()))
        })
    };
    if let Some(gap) = left
        && !out.send(vec![gap]).await
    {
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
        if let Some(lost_at) = ended_at.take() {
            // What came between two sessions is not pushed by either.
            let gap = LogEntry::Gap {
                lost_at,
                resumed_at: Utc::now(),
                skipped: None,
            };
            if !out.send(vec![gap]).await {
                return Ok(());
            }
        }
        match session(&reader, &cursor, started.response_stream, &out).await {
            Some(last_heard) => ended_at = Some(last_heard),
            None => return Ok(()),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Shows a live session's events until it ends (its 3 hours, the service closed it, or it went
/// silent for `LIVE_SILENCE`): when it was last heard from, or `None` once the console is gone.
async fn session(
    reader: &Reader,
    cursor: &Mutex<Cursor>,
    mut stream: cwl::primitives::event_stream::EventReceiver<
        cwl::types::StartLiveTailResponseStream,
        cwl::types::error::StartLiveTailResponseStreamError,
    >,
    out: &Out,
) -> Option<DateTime<Utc>> {
    let mut heard = Utc::now();
    loop {
        let frame = match tokio::time::timeout(LIVE_SILENCE, stream.recv()).await {
            Ok(frame) => frame,
            Err(_) => {
                tracing::info!(group = %reader.group, "live tail session silent: starting another");
                return Some(heard);
            }
        };
        heard = Utc::now();
        match frame {
            Ok(Some(cwl::types::StartLiveTailResponseStream::SessionUpdate(update))) => {
                let events = live_events(&update, reader.stream_prefix.as_deref());
                let fresh = lock(cursor).take_new(events);
                let mut shown = entries(&fresh);
                if update.session_metadata().is_some_and(|m| m.sampled()) {
                    // AWS sends at most 500 events a second: the rest of it is not shown.
                    shown.push(LogEntry::Gap {
                        lost_at: heard - chrono::Duration::seconds(1),
                        resumed_at: heard,
                        skipped: None,
                    });
                }
                if !shown.is_empty() && !out.send(shown).await {
                    return None;
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => return Some(heard),
            Err(e) => {
                tracing::info!(group = %reader.group, error = %e, "live tail session ended");
                return Some(heard);
            }
        }
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
            rc.logs().clone(),
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

    fn read_of(start_ms: i64, times: &[i64], rest: Option<&str>) -> Read {
        Read {
            start_ms,
            events: times.iter().map(|t| ev(&t.to_string(), *t)).collect(),
            rest: rest.map(str::to_string),
            page_starts: times.first().copied().into_iter().collect(),
        }
    }

    #[test]
    fn a_read_with_pages_left_is_continued_and_the_overlap_waits_until_caught_up() {
        let mut c = Cursor::default();
        let read = read_of(1_000, &[500_000], Some("t1"));
        c.note(&read, false);
        c.take_new(read.events);
        // Behind: the same query goes on with its token, however far back it started.
        assert_eq!(c.next_query(600_000), (1_000, Some("t1".into())));
        assert_eq!(c.behind_by(600_000), None, "taken by the read");
        // Caught up after one page: the whole overlap.
        c.note(&read_of(1_000, &[500_000], None), false);
        let (start, token) = c.next_query(600_000);
        assert_eq!((start, token), (500_000 - OVERLAP_MS, None));
        // Caught up after several reads (a busy group): from where its last page began.
        c.note(&read_of(1_000, &[470_000], None), true);
        assert_eq!(c.next_query(600_000).0, 470_000);
    }

    #[test]
    fn a_busy_groups_overlap_reaches_back_to_its_last_page_and_never_below_the_floor() {
        let mut c = Cursor {
            newest_ms: Some(500_000),
            ..Cursor::default()
        };
        let mut read = read_of(300_000, &[400_000, 480_000, 499_000], None);
        read.page_starts = vec![400_000, 480_000, 499_000];
        c.note(&read, false);
        // The last page began 1 s before the newest event: the overlap is the 10 s floor.
        assert_eq!(c.next_query(600_000).0, 500_000 - MIN_OVERLAP_MS);
        c.floor_ms = Some(495_000);
        assert_eq!(c.next_query(600_000).0, 495_000, "never before a skip");
    }

    #[test]
    fn a_skip_says_about_how_many_lines_it_left_out() {
        let mut c = Cursor::default();
        // 50 events a second in the newer half of what was read.
        let times: Vec<i64> = (0..100).map(|i| 100_000 + i * 20).collect();
        c.note(&read_of(100_000, &times, Some("t")), false);
        let gap = skipped(&c, 102_000, 922_000);
        let text = gap.text();
        assert!(text.contains("about 41,000 lines skipped"), "{text}");
    }

    #[test]
    fn a_narrowed_window_holds_about_twice_the_lines_wanted() {
        // One event a second: 100 wanted is 200 s, within a quarter of 15 minutes.
        let events: Vec<Event> = (0..21).map(|i| ev(&i.to_string(), i * 1_000)).collect();
        assert_eq!(narrower(BACKLOG_MS, &events, 100), 200_000);
        assert_eq!(narrower(BACKLOG_MS, &events, 1_000), BACKLOG_MS / 4);
        // Far denser than that: never under a second.
        let dense: Vec<Event> = (0..20).map(|i| ev(&i.to_string(), i)).collect();
        assert_eq!(narrower(BACKLOG_MS, &dense, 1), MIN_WINDOW_MS);
        // Nothing to go by: an eighth.
        assert_eq!(narrower(BACKLOG_MS, &[], 200), BACKLOG_MS / 8);
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
