//! CloudWatch Logs marks no event as cut, but the shippers that cut say so in their own way:
//! Docker's awslogs driver (ECS, Fargate) sends a line longer than an event holds as several
//! events of 262,118 bytes with the line's time, the CloudWatch agent and Fluent Bit end a cut
//! event with `[Truncated...]`. Against the emulator (moto), through the real SDK: those events
//! come out as pieces, which name no client; the lines around them stay whole.

use crate::support;

use aws_sdk_cloudwatchlogs as cwl;
use opsconsole::config::LogSourceConfig;
use opsconsole::model::access::{LogFormat, parse_entry};
use opsconsole::model::{LogEntry, Piece};
use opsconsole::source::LogBatch;
use opsconsole::source::aws;
use std::time::Duration;
use support::{Moto, console_options, seed};
use tokio::sync::mpsc;

const GROUP: &str = "/ecs/wordpress";
/// The awslogs driver's piece: 256 KiB less the 26 bytes AWS counts per event.
const AWSLOGS_PIECE: usize = 262_144 - 26;
const FORGED: &str = "192.0.2.66 - - [26/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1";

async fn put(c: &cwl::Client, stream: &str, events: &[(i64, String)]) {
    let mut req = c
        .put_log_events()
        .log_group_name(GROUP)
        .log_stream_name(stream);
    for (t, m) in events {
        req = req.log_events(
            cwl::types::InputLogEvent::builder()
                .timestamp(*t)
                .message(m)
                .build()
                .expect("event"),
        );
    }
    req.send().await.expect("PutLogEvents");
}

fn combined(client: &str, n: usize) -> String {
    format!("{client} - - [26/Nov/2026:10:00:00 +0000] \"GET /{n} HTTP/1.1\" 200 1")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_a_shipper_cut_come_out_as_pieces() {
    let moto = Moto::start();
    let c = cwl::Client::new(&moto.sdk_config(seed::TOKYO).await);
    c.create_log_group()
        .log_group_name(GROUP)
        .send()
        .await
        .expect("CreateLogGroup");
    for s in ["wp/a", "wp/b"] {
        c.create_log_stream()
            .log_group_name(GROUP)
            .log_stream_name(s)
            .send()
            .await
            .expect("CreateLogStream");
    }
    let t = chrono::Utc::now().timestamp_millis() - 60_000;
    // A request whose URI runs past 256 KiB: the driver's first piece, then the rest, which
    // the sender made read like a victim's line.
    let mut head = "198.51.100.7 - - [26/Nov/2026:10:00:00 +0000] \"GET /?q=".to_string();
    head.push_str(&"a".repeat(AWSLOGS_PIECE - head.len()));
    put(
        &c,
        "wp/a",
        &[
            (t, combined("198.51.100.7", 1)),
            (t + 1, head),
            (t + 1, FORGED.to_string()),
            (
                t + 2,
                format!("{} [Truncated...]", combined("198.51.100.8", 2)),
            ),
            (t + 3, combined("198.51.100.7", 3)),
        ],
    )
    .await;
    // Another task's line in the same millisecond is its own.
    put(&c, "wp/b", &[(t + 1, combined("198.51.100.9", 4))]).await;

    let session = aws::connect(&aws::AwsOptions {
        regions: vec![seed::TOKYO.to_string()],
        log_groups: vec![LogSourceConfig {
            name: "wordpress".into(),
            log_group: Some(GROUP.into()),
            ..Default::default()
        }],
        ..console_options(&moto.endpoint, true)
    })
    .await
    .expect("connect");
    let source = session
        .sources
        .logs
        .iter()
        .find(|s| s.name() == "wordpress")
        .expect("the log group source")
        .clone();
    let (tx, mut rx) = mpsc::channel::<LogBatch>(16);
    let tail = tokio::spawn(source.tail(50, tx));
    let mut entries: Vec<LogEntry> = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    while entries.len() < 6 && tokio::time::Instant::now() < deadline {
        if let Ok(Some(b)) = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await {
            entries.extend(b.entries);
        }
    }
    tail.abort();
    assert_eq!(entries.len(), 6, "{:?}", summary(&entries));

    let format = LogFormat::Auto;
    let client = |e: &LogEntry| parse_entry(&format, e).map(|a| a.client.to_string());
    let by_start = |start: &str| {
        entries
            .iter()
            .find(|e| e.as_text().starts_with(start))
            .unwrap_or_else(|| panic!("no entry starting {start:?}: {:?}", summary(&entries)))
    };
    let head = entries
        .iter()
        .find(|e| e.as_text().len() == AWSLOGS_PIECE)
        .expect("the first piece");
    assert_eq!(head.piece(), Some(Piece::Head));
    let rest = by_start("192.0.2.66 ");
    assert_eq!(rest.piece(), Some(Piece::Continuation));
    assert_eq!(client(rest), None, "the sender's text names nobody");
    let truncated = by_start("198.51.100.8 ");
    assert_eq!(truncated.piece(), Some(Piece::Head));
    assert_eq!(client(truncated), None);
    // Whole lines, before, after, and in another stream at the same time, still say who.
    let mut whole: Vec<String> = entries.iter().filter_map(client).collect();
    whole.sort();
    assert_eq!(whole, ["198.51.100.7", "198.51.100.7", "198.51.100.9"]);
}

/// Each entry's kind and start, for messages (a piece is 256 KiB long).
fn summary(entries: &[LogEntry]) -> Vec<(Option<Piece>, String)> {
    entries
        .iter()
        .map(|e| (e.piece(), e.as_text().chars().take(40).collect()))
        .collect()
}
