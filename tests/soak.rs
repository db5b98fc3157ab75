//! An accelerated soak: the real binary in tmux against the emulator with every panel refreshed
//! each second, and a busy log (hundreds of lines a second, rotated midway) tailed over a real
//! sshd into a small ring buffer. Once the buffer is full, memory, file descriptors and threads
//! stay flat. `SOAK_SECONDS` lengthens the measured window (default 60 s; BENCHMARKS.md has a
//! longer run).

mod sshd;
mod support;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use support::tmux::Tmux;
use support::{Moto, seed_scenarios};

#[derive(Debug, Clone, Copy)]
struct Sample {
    at: Duration,
    rss_kb: u64,
    fds: usize,
    threads: u64,
}

fn sample(pid: &str, at: Duration) -> Sample {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0);
    Sample {
        at,
        rss_kb: field("VmRSS:"),
        fds,
        threads: field("Threads:"),
    }
}

/// What the busy log wrote: lines in all, and how many before the rotation.
struct Written {
    lines: u64,
    before_rotation: Option<u64>,
}

/// Appends nginx-like lines to `path` until `stop`, rotating the file once. Each line carries a
/// real OSC 0 escape (ESC ] 0 ; … BEL), which would retitle the terminal if it got through.
fn busy_log(path: std::path::PathBuf, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Written> {
    std::thread::spawn(move || {
        let mut written = 0u64;
        let started = Instant::now();
        let mut before_rotation = None;
        while !stop.load(Ordering::Relaxed) {
            if before_rotation.is_none() && started.elapsed() > Duration::from_secs(20) {
                let _ = std::fs::rename(&path, path.with_extension("log.1"));
                before_rotation = Some(written);
            }
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
            {
                let mut batch = String::new();
                for _ in 0..50 {
                    written += 1;
                    batch.push_str(&format!(
                        "10.0.20.5 - - [21/Nov/2026:10:00:00 +0000] \"GET /api/v1/orders/{written} HTTP/1.1\" 200 512 \"-\" \"soak/1.0 \x1b]0;owned\x07\"\n"
                    ));
                }
                let _ = f.write_all(batch.as_bytes());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Written {
            lines: written,
            before_rotation,
        }
    })
}

/// The highest order number on screen: the newest line the tail showed.
fn newest_shown(screen: &str) -> u64 {
    screen
        .split("/api/v1/orders/")
        .skip(1)
        .filter_map(|rest| rest.split(' ').next()?.parse().ok())
        .max()
        .unwrap_or(0)
}

/// Least-squares slope of resident memory over the samples, in KB per second.
fn rss_slope(samples: &[Sample]) -> f64 {
    let n = samples.len() as f64;
    let xs: Vec<f64> = samples.iter().map(|s| s.at.as_secs_f64()).collect();
    let ys: Vec<f64> = samples.iter().map(|s| s.rss_kb as f64).collect();
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    if sxx == 0.0 { 0.0 } else { sxy / sxx }
}

#[test]
fn memory_descriptors_and_threads_stay_flat_under_fast_refreshes_and_a_busy_tail() {
    let measured = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        // 60 s: over 40 one allocator step of 400 KB alone read 12.5 KB/s on a clean-clone run
        // (others 0.0 and 7.1); over 60 the same step reads 7, and a 16 KB/s leak put in on
        // purpose read 18.7.
        .unwrap_or(60u64);
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(seed_scenarios(&moto));
    let sshd = sshd::Sshd::start();
    let log = sshd.path("access.log");
    std::fs::write(&log, "").expect("log");
    let stop = Arc::new(AtomicBool::new(false));
    let writer = busy_log(log.clone(), stop.clone());

    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "regions = [\"ap-northeast-1\", \"us-east-1\"]\nendpoint_url = \"{endpoint}\"\n\n[logs]\nbuffer_lines = 5000\nbacklog = 100\n\n[[log]]\nname = \"soak\"\nhost = \"127.0.0.1\"\nport = {port}\nuser = \"{user}\"\nidentity_file = \"{key}\"\nknown_hosts = \"{known}\"\npath = \"{path}\"\n",
            endpoint = moto.endpoint,
            port = sshd.port,
            user = sshd::user(),
            key = sshd.client_key.display(),
            known = sshd.known_hosts.display(),
            path = log.display(),
        ),
    )
    .expect("config");
    let t = Tmux::start_with(
        "soak",
        &format!("--read-only --interval 1 --config {}", config.display()),
        "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true SSH_AUTH_SOCK= HTTP_PROXY= HTTPS_PROXY=",
    );
    t.wait_for("0s ago");
    t.keys(&["5", "Enter"]);
    t.wait_for("/api/v1/orders/");
    let pid = t.pid();
    assert!(!pid.is_empty(), "no console process");

    // Warm-up: the ring buffer fills (5,000 lines at ~500 a second), every source has run, and
    // the allocator has settled (after 15 s memory still grew ~13 KB/s for a while; after 25 s,
    // no more than the noise).
    std::thread::sleep(Duration::from_secs(25));
    let started = Instant::now();
    let mut samples = vec![sample(&pid, Duration::ZERO)];
    while started.elapsed() < Duration::from_secs(measured) {
        // A sample a second: the slope over 60 points, not 8, is what the noise allows.
        std::thread::sleep(Duration::from_secs(1));
        samples.push(sample(&pid, started.elapsed()));
    }
    // The tail must still be following after the rotation: a line written now must show.
    let screen = t.screen();
    stop.store(true, Ordering::Relaxed);
    let written = writer.join().unwrap_or(Written {
        lines: 0,
        before_rotation: None,
    });
    for s in &samples {
        eprintln!(
            "t={:>4}s rss={:>7} KB fds={:>3} threads={:>3}",
            s.at.as_secs(),
            s.rss_kb,
            s.fds,
            s.threads
        );
    }
    eprintln!("{} log lines written", written.lines);

    let rotated_at = written
        .before_rotation
        .unwrap_or_else(|| panic!("the log was never rotated ({} lines)", written.lines));
    let newest = newest_shown(&screen);
    assert!(
        newest > rotated_at,
        "the tail did not follow the rotation: newest line shown {newest}, rotated after {rotated_at}:\n{screen}"
    );
    // The escape arrives visible and inert: shown as text, the terminal's title untouched.
    assert!(screen.contains("\\x1b]0;owned"), "{screen}");
    assert_ne!(
        t.variable("pane_title"),
        "owned",
        "an escape retitled the terminal"
    );
    let (first, last) = (samples[0], samples[samples.len() - 1]);
    assert!(first.rss_kb > 0, "could not read the console's memory");
    // Flat: allocator noise, not growth with refreshes or lines. A slope over every sample, not
    // the last against the first. Noise alone moves resident memory by ±300 KB; after the
    // warm-up, 40 s windows of a 150 s run sloped −6 to +6 KB/s, and runs measured 3.1, 5.0
    // and 5.2. Above 12 KB/s (43 MB an hour) is a leak: one of 16 KB a second, put in on
    // purpose, measured 12.3 and 19.4.
    let slope = rss_slope(&samples);
    eprintln!("resident memory slope: {slope:.1} KB/s");
    assert!(slope <= 12.0, "memory grows {slope:.1} KB/s: {samples:#?}");
    // A refresh opens a connection per call in flight for a moment (13 at once when several
    // panels are due together): what leaks is what stays, the fewest of the last five seconds.
    let settled = &samples[samples.len().saturating_sub(5)..];
    let fds = settled.iter().map(|s| s.fds).min().unwrap_or(last.fds);
    let threads = settled
        .iter()
        .map(|s| s.threads)
        .min()
        .unwrap_or(last.threads);
    assert!(fds <= first.fds + 4, "descriptors grew: {samples:#?}");
    assert!(threads <= first.threads + 2, "threads grew: {samples:#?}");
    t.keys(&["q"]);
    t.wait_exit();
}
