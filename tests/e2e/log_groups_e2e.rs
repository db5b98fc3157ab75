//! A Fargate service's nginx log in CloudWatch Logs (seeded in the emulator) followed by the real
//! binary in tmux next to an SSH tail: both in the Logs panel, side by side, filtered and
//! searched; and the group's lines in `--snapshot`.

use crate::sshd;
use crate::support;

use aws_sdk_cloudwatchlogs as cwl;

use support::tmux::Tmux;
use support::{Moto, seed};

const GROUP: &str = "/ecs/revproxy-nginx";

async fn put(c: &cwl::Client, stream: &str, message: &str) {
    c.put_log_events()
        .log_group_name(GROUP)
        .log_stream_name(stream)
        .log_events(
            cwl::types::InputLogEvent::builder()
                .timestamp(chrono::Utc::now().timestamp_millis())
                .message(message)
                .build()
                .expect("event"),
        )
        .send()
        .await
        .expect("PutLogEvents");
}

/// Whether `needle` is drawn in reverse video somewhere on the coloured screen
/// (`capture-pane -e`), its SGR attributes followed from the start of its line.
fn reversed_at(coloured: &str, needle: &str) -> bool {
    coloured.lines().any(|line| {
        line.match_indices(needle).any(|(at, _)| {
            let mut reversed = false;
            for sgr in line[..at].split("\x1b[").skip(1) {
                let Some((params, _)) = sgr.split_once('m') else {
                    continue;
                };
                let mut params = params.split(';');
                while let Some(p) = params.next() {
                    match p {
                        "" | "0" | "27" => reversed = false,
                        "7" => reversed = true,
                        // A colour's own numbers (38;5;7 is a colour, not reverse video).
                        "38" | "48" | "58" => {
                            let skip = if params.next() == Some("2") { 3 } else { 1 };
                            for _ in 0..skip {
                                params.next();
                            }
                        }
                        _ => {}
                    }
                }
            }
            reversed
        })
    })
}

#[test]
fn a_fargate_log_next_to_an_ssh_tail_filtered_searched_and_in_a_snapshot() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let c = rt.block_on(async { cwl::Client::new(&moto.sdk_config(seed::TOKYO).await) });
    rt.block_on(async {
        c.create_log_group()
            .log_group_name(GROUP)
            .send()
            .await
            .expect("CreateLogGroup");
        c.create_log_stream()
            .log_group_name(GROUP)
            .log_stream_name("nginx/nginx/0a1b2c3d")
            .send()
            .await
            .expect("CreateLogStream");
        put(
            &c,
            "nginx/nginx/0a1b2c3d",
            "-:- 198.51.100.23:51234 - [26/Nov/2026:10:00:00 +0000] \"GET /v4/ws/usdt HTTP/1.1\" 200 2676 \"-\" \"Go-http-client/1.1\" 443",
        )
        .await;
    });
    let sshd = sshd::Sshd::start();
    let log = sshd.path("access.log");
    std::fs::write(
        &log,
        "10.0.20.37 - - [26/Nov/2026:10:00:00 +0000] \"GET /from-the-ssh-host HTTP/1.1\" 200 39\n",
    )
    .expect("log");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "regions = [\"ap-northeast-1\"]\nendpoint_url = \"{endpoint}\"\n\n[[log]]\nname = \"web-ssh\"\nhost = \"127.0.0.1\"\nport = {port}\nuser = \"{user}\"\nidentity_file = \"{key}\"\nknown_hosts = \"{known}\"\npath = \"{path}\"\n\n[[log]]\nname = \"revproxy-fargate\"\nlog_group = \"{GROUP}\"\nstream_prefix = \"nginx/\"\nformat = \"proxy-protocol\"\n",
            endpoint = moto.endpoint,
            port = sshd.port,
            user = sshd::user(),
            key = sshd.client_key.display(),
            known = sshd.known_hosts.display(),
            path = log.display(),
        ),
    )
    .expect("config");
    let env = "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true SSH_AUTH_SOCK= HTTP_PROXY= HTTPS_PROXY=";
    let t = Tmux::start_with(
        "cwlogs",
        &format!("--read-only --config {}", config.display()),
        env,
    );
    t.keys(&["5", "Enter"]);
    let both = t.wait_until(
        |s| s.contains("/from-the-ssh-host") && s.contains("/v4/ws/usdt"),
        "both sources' lines",
    );
    assert!(
        both.contains("web-ssh") && both.contains("revproxy-fargate"),
        "{both}"
    );
    // A line written while it runs arrives through the API.
    rt.block_on(put(
        &c,
        "nginx/nginx/0a1b2c3d",
        "-:- 192.0.2.66:40000 - [x] \"GET /.git/config HTTP/1.1\" 404 153 \"-\" \"zgrab\" 443",
    ));
    t.wait_for("/.git/config");
    // Side by side: a column each.
    t.keys(&["v"]);
    t.wait_until(
        |s| s.contains("▌web-ssh") && s.contains("▌revproxy-fargate"),
        "a column per source",
    );
    t.keys(&["v"]);
    // Filtered: only the group's scanner line is left.
    t.keys(&["/"]);
    t.keys(&["-l", "git/config"]);
    t.keys(&["Enter"]);
    let filtered = t.wait_until(
        |s| s.contains("/.git/config") && !s.contains("/from-the-ssh-host"),
        "the filter",
    );
    assert!(!filtered.contains("/v4/ws/usdt"), "{filtered}");
    t.keys(&["Escape"]);
    t.wait_until(|s| s.contains("/from-the-ssh-host"), "the filter cleared");
    // Searched: the match is highlighted and found.
    t.keys(&["s"]);
    t.keys(&["-l", "usdt"]);
    t.keys(&["Enter"]);
    t.wait_for("search: usdt");
    // Found and highlighted: the match is drawn in the selection style (reversed video), the
    // lines without it are not.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !reversed_at(&t.screen_with_colours(), "usdt") {
        assert!(
            std::time::Instant::now() < deadline,
            "the match is not highlighted:\n{}",
            t.screen()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let coloured = t.screen_with_colours();
    assert!(
        !reversed_at(&coloured, "/v4/ws/") && !reversed_at(&coloured, "/from-the-ssh-host"),
        "more than the match is highlighted:\n{}",
        t.screen()
    );
    t.keys(&["q"]);
    t.wait_exit();

    // The snapshot has the group's lines.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_opsconsole"))
        .args(["--snapshot", "--format", "md", "--config"])
        .arg(&config)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("OPSCONSOLE_STATE_DIR", dir.path().join("state"))
        .env("OPSCONSOLE_CONFIG_DIR", dir.path().join("cfg"))
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("SSH_AUTH_SOCK")
        .output()
        .expect("snapshot");
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains("revproxy-fargate")
            && md.contains("/v4/ws/usdt")
            && md.contains("/.git/config"),
        "{md}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
