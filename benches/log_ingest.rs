//! Log ingest: raw nginx lines (S5 format, ~1% with escape sequences) through the sanitiser and
//! into a full 100,000-line `LogBuffer`, as a log source and the console do with every line.
//!
//! `cargo bench --bench log_ingest`; criterion reports lines/s (elements/s). Target: ≥ 200,000
//! lines/s on one core. See BENCHMARKS.md.

mod synth;

use chrono::{DateTime, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use opsconsole::app::{App, Data, Event};
use opsconsole::config::{Keymap, Settings};
use opsconsole::model::{LogBuffer, LogEntry, Scope};
use opsconsole::sanitize::sanitize_owned;
use opsconsole::source::LogBatch;
use std::hint::black_box;
use std::time::Duration;

/// Lines per measured batch (the demo's sources deliver a batch every 250 ms; a busy host or a
/// backlog delivers thousands at once).
const BATCH: usize = 10_000;
const CAPACITY: usize = 100_000;

fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_283_200, 0).unwrap_or_default()
}

fn entry(text: String) -> LogEntry {
    LogEntry::Line {
        received_at: at(),
        text,
    }
}

/// A buffer already at capacity, so every push also evicts the oldest line (the steady state of
/// a console that has run for a while).
fn full_buffer(raw: &[String]) -> LogBuffer {
    let mut buffer = LogBuffer::with_capacity(CAPACITY);
    let lines = raw
        .iter()
        .cycle()
        .take(CAPACITY)
        .map(|l| entry(sanitize_owned(l.clone())));
    buffer.push("s5-nginx-proxy", lines, at());
    buffer
}

fn ingest(c: &mut Criterion) {
    let raw = synth::nginx_lines(5, BATCH);
    let hostile = raw
        .iter()
        .filter(|l| l.contains('\x1b') || l.contains('\u{202e}'));
    eprintln!(
        "log_ingest: {} lines per batch, {} with escape sequences, {:.0} bytes per line on average",
        raw.len(),
        hostile.count(),
        raw.iter().map(String::len).sum::<usize>() as f64 / raw.len() as f64
    );

    let mut group = c.benchmark_group("log_ingest");
    group.throughput(Throughput::Elements(BATCH as u64));

    // The sanitiser alone (owned lines in, as a source has them).
    group.bench_function("sanitize_owned", |b| {
        b.iter_batched(
            || raw.clone(),
            |lines| {
                for l in lines {
                    black_box(sanitize_owned(l));
                }
            },
            BatchSize::LargeInput,
        )
    });

    // sanitize_owned + LogBuffer::push into a full 100,000-line buffer.
    let mut buffer = full_buffer(&raw);
    group.bench_function("sanitize_and_push", |b| {
        b.iter_batched(
            || raw.clone(),
            |lines| {
                buffer.push(
                    "s5-nginx-proxy",
                    lines.into_iter().map(|l| entry(sanitize_owned(l))),
                    at(),
                );
            },
            BatchSize::LargeInput,
        )
    });
    black_box(&buffer);

    // The same through the console's update function (what the TUI loop does with a batch; the
    // lines are sanitised at the source, before this), following and paused (a paused view
    // counts the arriving lines it shows).
    let clean: Vec<String> = raw.iter().map(|l| sanitize_owned(l.clone())).collect();
    for paused in [false, true] {
        let mut app = App::new(
            Scope {
                mode: "demo".into(),
                ..Default::default()
            },
            Keymap::builtin("default").expect("builtin keymap"),
            &Settings::default(),
            true,
            at(),
        );
        app.world.logs = full_buffer(&raw);
        app.panels.logs.paused = paused;
        let name = if paused {
            "app_update_paused"
        } else {
            "app_update_following"
        };
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    Event::Data(Data::Logs(
                        at(),
                        LogBatch::lines(
                            "s5-nginx-proxy",
                            clean.iter().map(|l| entry(l.clone())).collect(),
                        ),
                    ))
                },
                |event| app.update(event),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();

    // A screen of a rarely matching filter over the full buffer: the filter's index of matching
    // lines is what keeps this from walking all 100,000 lines on every frame.
    let mut group = c.benchmark_group("log_filter");
    let buffer = full_buffer(&raw);
    let mut panel = opsconsole::app::LogPanel::new(Some("pwned"));
    panel.index(&buffer);
    let shown = panel.visible(&buffer, 60).len();
    eprintln!("log_filter: {shown} matching lines on a 60-line screen");
    group.bench_function("screen_of_rare_matches", |b| {
        b.iter(|| black_box(panel.visible(black_box(&buffer), 60).len()))
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = ingest
}
criterion_main!(benches);
