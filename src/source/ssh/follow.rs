//! The tail loop on its own thread: runs `tail -F` on the host, turns its output into batches
//! of sanitised lines, and reconnects with backoff when the connection drops, marking the hole
//! with a gap entry.

use std::io::Read;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use ssh2::{Channel, ExtendedData};
use tokio::sync::mpsc;

use super::Backoff;
use super::auth::Credentials;
use super::connect::{self, Connection, KEEPALIVE_TIMEOUT_MS};
use super::error::Failure;
use super::hostkey::HostKeyPolicy;
use super::lines::{LineSplitter, Split};
use super::phase::{self, Phase};
use super::target::SshTarget;
use crate::model::LogEntry;
use crate::source::{ErrorKind, LogBatch, SourceError};

/// Longest a read waits for data: bounds how late a quiet stream notices a closed receiver and
/// how long finished lines wait before they are sent.
const READ_SLICE_MS: u32 = 100;
/// A batch goes out when it is this old…
const BATCH_AGE: Duration = Duration::from_millis(100);
/// …or this big.
const BATCH_LINES: usize = 500;
/// A remote command that fails this soon after starting is broken, not interrupted.
const QUICK_EXIT: Duration = Duration::from_secs(5);

/// Exit statuses of the pre-flight checks in [`command`].
const EXIT_MISSING: i32 = 66;
const EXIT_UNREADABLE: i32 = 77;
const EXIT_DIRECTORY: i32 = 75;
/// The shell's "command not found".
const EXIT_NOT_FOUND: i32 = 127;

/// What one tail needs, owned by its thread.
pub(crate) struct Job {
    pub name: String,
    pub target: SshTarget,
    pub path: String,
    pub policy: HostKeyPolicy,
    pub creds: Credentials,
    pub backoff: Backoff,
}

/// Follows the file until the receiver goes away (`Ok`) or something only the operator can fix
/// happens (`Err`). Transient failures after the first successful start are retried here, with
/// backoff; the first connection's failures are returned so the operator sees them at once.
pub(crate) fn run(
    job: &Job,
    backlog: usize,
    sink: &mpsc::Sender<LogBatch>,
    stopped: &dyn Fn() -> bool,
) -> Result<(), SourceError> {
    let mut out = Out::new(&job.name, sink, stopped);
    let mut first = true;
    let mut lost_at: Option<DateTime<Utc>> = None;
    let mut wait = job.backoff.first;
    loop {
        if out.closed() {
            return Ok(());
        }
        // On a reconnect, lines written while away are gone: `-n 0` avoids repeating old ones.
        let lines = if first { backlog } else { 0 };
        let say = |what: String| {
            let _ = sink.blocking_send(LogBatch::waiting(job.name.as_str(), what));
        };
        match connect::connect(&job.target, &job.creds, job.policy, &say)
            .and_then(|conn| start(conn, &job.target, &job.path, lines, first, &say))
        {
            Ok(mut live) => {
                wait = job.backoff.first;
                // Live: an empty batch ends the wait the panel shows, even if no line comes.
                if sink
                    .blocking_send(LogBatch::lines(job.name.as_str(), Vec::new()))
                    .is_err()
                {
                    return Ok(());
                }
                if let Some(lost) = lost_at.take() {
                    out.gap(lost, Utc::now());
                    if !out.flush() {
                        return Ok(());
                    }
                }
                match stream(&mut live, &mut out, job) {
                    End::Closed => return Ok(()),
                    End::Failed(f) => return Err(f.error),
                    End::Lost(why) => {
                        tracing::warn!(source = %job.name, %why, "log stream lost; reconnecting");
                        lost_at = Some(Utc::now());
                    }
                }
                first = false;
            }
            Err(f) if first || !f.retry => return Err(f.error),
            Err(f) => tracing::debug!(source = %job.name, error = %f.error, "reconnect failed"),
        }
        if !out.sleep(wait) {
            return Ok(());
        }
        wait = (wait * 2).min(job.backoff.max);
    }
}

/// A running remote `tail`.
struct Live {
    // Declared first so it is freed before the session it belongs to.
    channel: Channel,
    conn: Connection,
    started: Instant,
    /// Whether the pre-flight checks ran (only on the first start).
    checked: bool,
}

impl Drop for Live {
    /// Dropping a channel in blocking mode after the remote side died can hang (ssh2-rs #165).
    fn drop(&mut self) {
        self.conn.session.set_blocking(false);
    }
}

fn start(
    conn: Connection,
    target: &SshTarget,
    path: &str,
    backlog: usize,
    check: bool,
    say: &dyn Fn(String),
) -> Result<Live, Failure> {
    say(Phase::OpenTail.waiting(target));
    conn.session.set_timeout(Phase::OpenTail.limit_ms());
    let setup = |what: &str, e: ssh2::Error| {
        if phase::timed_out(&e) {
            return Phase::OpenTail.timed_out(target);
        }
        Failure::transient(
            ErrorKind::Network,
            format!("couldn't {what} on the host: {}", e.message()),
        )
    };
    let mut channel = conn
        .session
        .channel_session()
        .map_err(|e| setup("open a session channel", e))?;
    // The login shell's own complaints (no `sh`, a broken profile) arrive in the same stream.
    channel
        .handle_extended_data(ExtendedData::Merge)
        .map_err(|e| setup("merge stderr", e))?;
    channel
        .exec(&command(path, backlog, check))
        .map_err(|e| setup("start tail", e))?;
    Ok(Live {
        channel,
        conn,
        started: Instant::now(),
        checked: check,
    })
}

/// The remote command: `sh -c` so the login shell's syntax doesn't matter, checks that turn a
/// wrong path into an exit status (text in the stream could be forged by whoever writes the
/// log), then `tail -F`, which follows the file across rotation.
pub(crate) fn command(path: &str, backlog: usize, check: bool) -> String {
    let p = shell_quote(path);
    let tail = format!("exec tail -n {backlog} -F -- {p} 2>&1");
    let script = if check {
        format!(
            "test -e {p} || exit {EXIT_MISSING}; test -d {p} && exit {EXIT_DIRECTORY}; \
             test -r {p} || exit {EXIT_UNREADABLE}; {tail}"
        )
    } else {
        tail
    };
    format!("exec sh -c {}", shell_quote(&script))
}

/// Single quotes for a POSIX shell: nothing inside is special except `'` itself.
pub(crate) fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

enum End {
    /// The receiver is gone.
    Closed,
    /// The connection or the remote command died: reconnect.
    Lost(String),
    /// Reconnecting won't help.
    Failed(Failure),
}

fn stream(live: &mut Live, out: &mut Out<'_>, job: &Job) -> End {
    live.conn.session.set_timeout(READ_SLICE_MS);
    let mut splitter = LineSplitter::default();
    let mut buf = vec![0u8; 32 * 1024];
    let mut lines = Vec::new();
    let mut next_keepalive = Instant::now() + Duration::from_secs(connect::KEEPALIVE_SECS.into());
    loop {
        if out.closed() {
            return End::Closed;
        }
        let mut idle = false;
        match live.channel.read(&mut buf) {
            Ok(0) => {
                out.partial(&mut splitter);
                if !out.flush() {
                    return End::Closed;
                }
                return finished(live, out.last_line.take(), job);
            }
            Ok(n) => {
                splitter.push(&buf[..n], &mut lines);
                let now = Utc::now();
                for line in lines.drain(..) {
                    out.line(now, line);
                }
            }
            Err(e) if is_timeout(&e) => idle = true,
            Err(e) => {
                out.partial(&mut splitter);
                let _ = out.flush();
                return End::Lost(format!("read failed: {e}"));
            }
        }
        if (out.due() || idle) && !out.flush() {
            return End::Closed;
        }
        if Instant::now() >= next_keepalive {
            let session = &live.conn.session;
            // A keepalive cut short by the slice timeout would leave half a packet behind.
            session.set_timeout(KEEPALIVE_TIMEOUT_MS);
            let sent = session.keepalive_send();
            session.set_timeout(READ_SLICE_MS);
            match sent {
                Ok(secs) => {
                    next_keepalive = Instant::now() + Duration::from_secs(secs.max(1).into())
                }
                Err(e) => return End::Lost(format!("keepalive failed: {}", e.message())),
            }
        }
    }
}

/// A read that found nothing within the slice (libssh2's timeout, surfaced as `TimedOut`).
fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    )
}

/// The remote command ended: decide from its exit status whether to retry.
fn finished(live: &mut Live, last_line: Option<String>, job: &Job) -> End {
    live.conn.session.set_timeout(2_000);
    let _ = live.channel.wait_close();
    let status = live.channel.exit_status().ok();
    let host = job.target.describe();
    let path = &job.path;
    let failed = |kind, message: String| End::Failed(Failure::permanent(kind, message));
    match status {
        Some(EXIT_MISSING) if live.checked => failed(
            ErrorKind::NotFound,
            format!(
                "no such file {path} on {host}: check `path` in the [[log]] entry for {}",
                job.name
            ),
        ),
        Some(EXIT_DIRECTORY) if live.checked => failed(
            ErrorKind::NotFound,
            format!("{path} on {host} is a directory, not a log file: check `path`"),
        ),
        Some(EXIT_UNREADABLE) if live.checked => failed(
            ErrorKind::AccessDenied,
            format!(
                "{} can't read {path} on {host} (permission denied): add the user to the file's \
                 group (often `adm` for /var/log) or log in as a user who can read it",
                job.target.user
            ),
        ),
        Some(EXIT_NOT_FOUND) => failed(
            ErrorKind::NotFound,
            format!(
                "`sh` or `tail` is missing on {host}{}",
                last_line.map(|l| format!(": {l}")).unwrap_or_default()
            ),
        ),
        Some(code) if code != 0 && live.started.elapsed() < QUICK_EXIT => failed(
            ErrorKind::Other,
            format!(
                "`tail -F {path}` on {host} exited with status {code}{}",
                last_line.map(|l| format!(": {l}")).unwrap_or_default()
            ),
        ),
        other => End::Lost(format!("remote tail ended (exit status {other:?})")),
    }
}

/// Collects entries into batches and hands them to the receiver.
struct Out<'a> {
    source: &'a str,
    sink: &'a mpsc::Sender<LogBatch>,
    stopped: &'a dyn Fn() -> bool,
    entries: Vec<LogEntry>,
    since: Option<Instant>,
    /// The latest line, for an error message if the command fails.
    last_line: Option<String>,
}

impl<'a> Out<'a> {
    fn new(
        source: &'a str,
        sink: &'a mpsc::Sender<LogBatch>,
        stopped: &'a dyn Fn() -> bool,
    ) -> Self {
        Out {
            source,
            sink,
            stopped,
            entries: Vec::new(),
            since: None,
            last_line: None,
        }
    }

    fn closed(&self) -> bool {
        (self.stopped)()
    }

    fn line(&mut self, received_at: DateTime<Utc>, line: Split) {
        self.since.get_or_insert_with(Instant::now);
        let Split { text, piece } = line;
        self.entries.push(match piece {
            None => LogEntry::Line { received_at, text },
            Some(piece) => LogEntry::Piece {
                received_at,
                text,
                piece,
            },
        });
    }

    /// Shows an unfinished last line when the stream ends.
    fn partial(&mut self, splitter: &mut LineSplitter) {
        if let Some(line) = splitter.finish() {
            self.line(Utc::now(), line);
        }
    }

    fn gap(&mut self, lost_at: DateTime<Utc>, resumed_at: DateTime<Utc>) {
        self.since.get_or_insert_with(Instant::now);
        self.entries.push(LogEntry::Gap {
            lost_at,
            resumed_at,
            skipped: None,
        });
    }

    fn due(&self) -> bool {
        self.entries.len() >= BATCH_LINES || self.since.is_some_and(|t| t.elapsed() >= BATCH_AGE)
    }

    /// Sends what has been collected; false when the receiver is gone.
    fn flush(&mut self) -> bool {
        self.since = None;
        if self.entries.is_empty() {
            return !self.closed();
        }
        // Once per batch rather than per line: only needed if the command then fails.
        if let Some(last) = self
            .entries
            .last()
            .filter(|e| !matches!(e, LogEntry::Gap { .. }))
        {
            self.last_line = Some(last.text());
        }
        let batch = LogBatch::lines(self.source, std::mem::take(&mut self.entries));
        self.sink.blocking_send(batch).is_ok()
    }

    /// Sleeps `d` in short steps; false if the receiver went away meanwhile.
    fn sleep(&self, d: Duration) -> bool {
        let until = Instant::now() + d;
        while Instant::now() < until {
            if self.closed() {
                return false;
            }
            std::thread::sleep((until - Instant::now()).min(Duration::from_millis(100)));
        }
        !self.closed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_paths_reach_the_shell_unchanged() {
        for path in [
            "/var/log/a b",
            "x'; rm -rf /; '",
            "$(id)`id`\\*?",
            "-n",
            "'",
            "",
        ] {
            let script = format!("printf %s {}", shell_quote(path));
            let out = std::process::Command::new("sh")
                .args(["-c", &script])
                .output()
                .unwrap_or_else(|e| panic!("sh: {e}"));
            assert_eq!(String::from_utf8_lossy(&out.stdout), path);
        }
    }

    #[test]
    fn reconnects_skip_the_checks_and_the_backlog() {
        let first = command("/l", 200, true);
        assert!(
            first.contains("tail -n 200 -F --") && first.contains("exit 66"),
            "{first}"
        );
        let again = command("/l", 0, false);
        assert!(
            again.contains("tail -n 0 -F --") && !again.contains("test -e"),
            "{again}"
        );
    }
}
