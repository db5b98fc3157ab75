mod sshd;
use opsconsole::source::LogSource;
use opsconsole::source::ssh::{AgentSource, SshTail};
use std::io::Write;
use std::time::Instant;

#[tokio::test(flavor = "multi_thread")]
async fn throughput() {
    let sshd = sshd::Sshd::start();
    let log = sshd.path("big.log");
    let n = 1_000_000usize;
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&log).unwrap());
        for i in 0..n {
            writeln!(f, "203.0.113.{} - - [21/Nov/2026:19:19:54 +0000] \"GET /api/v1/items/{i} HTTP/1.1\" 200 1234 \"-\" \"curl/8.0\"", i % 255).unwrap();
        }
    }
    let tail = SshTail::new("big", sshd.target(), log.display().to_string())
        .unwrap()
        .with_agent(AgentSource::Disabled);
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let task = tokio::spawn(tail.tail(n, tx));
    let start = Instant::now();
    let mut got = 0usize;
    let mut batches = 0usize;
    while got < n {
        let b = rx.recv().await.unwrap();
        got += b.entries.len();
        batches += 1;
    }
    let dt = start.elapsed();
    println!(
        "THROUGHPUT: {got} lines in {dt:?} = {:.0} lines/s, {batches} batches",
        got as f64 / dt.as_secs_f64()
    );
    drop(rx);
    let _ = task.await;
}
