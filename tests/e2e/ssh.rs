//! SSH log tailing against real OpenSSH servers: streaming, authentication, host keys,
//! rotation, reconnects, jump hosts and hostile text. Each test runs its own sshd.

use crate::sshd;

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use opsconsole::config::LogSourceConfig;
use opsconsole::model::{LogEntry, Piece};
use opsconsole::source::ssh::{
    self, AgentSource, Backoff, HostKeyPolicy, SshConfigSource, SshOptions, SshTail,
};
use opsconsole::source::{ErrorKind, LogBatch, LogSource, SourceError};
use sshd::{Agent, Sshd, keygen, keygen_fingerprint};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Every wait is bounded by this, so a broken tail fails its test instead of hanging it.
const WAIT: Duration = Duration::from_secs(20);

fn append(path: &Path, lines: &[&str]) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for l in lines {
        writeln!(f, "{l}").unwrap_or_else(|e| panic!("write: {e}"));
    }
}

/// A started tail: its receiver, and the task that ends when the tail does.
struct Running {
    rx: mpsc::Receiver<LogBatch>,
    task: JoinHandle<Result<(), SourceError>>,
    batches: Vec<LogBatch>,
}

fn start(tail: SshTail, backlog: usize) -> Running {
    start_source(Arc::new(tail), backlog)
}

fn start_source(source: Arc<dyn LogSource>, backlog: usize) -> Running {
    let (tx, rx) = mpsc::channel(64);
    let task = tokio::spawn(source.tail(backlog, tx));
    Running {
        rx,
        task,
        batches: Vec::new(),
    }
}

impl Running {
    fn entries(&self) -> Vec<LogEntry> {
        self.batches
            .iter()
            .flat_map(|b| b.entries.clone())
            .collect()
    }

    fn texts(&self) -> Vec<String> {
        self.entries()
            .into_iter()
            .filter_map(|e| match e {
                LogEntry::Line { text, .. } | LogEntry::Piece { text, .. } => Some(text),
                LogEntry::Gap { .. } => None,
            })
            .collect()
    }

    /// Receives until `done` holds for everything received so far; panics after `WAIT`.
    async fn until(&mut self, what: &str, done: impl Fn(&[LogEntry]) -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !done(&self.entries()) {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(b)) => self.batches.push(b),
                Ok(None) => {
                    let ended = tokio::time::timeout(WAIT, &mut self.task).await;
                    panic!("tail ended while waiting for {what}: {ended:?}");
                }
                Err(_) => panic!("timed out waiting for {what}; got {:?}", self.entries()),
            }
        }
    }

    async fn until_lines(&mut self, wanted: &[&str]) {
        let wanted: Vec<String> = wanted.iter().map(|s| s.to_string()).collect();
        self.until(&format!("{wanted:?}"), |entries| {
            let texts: Vec<String> = entries.iter().map(LogEntry::text).collect();
            wanted.iter().all(|w| texts.contains(w))
        })
        .await;
    }

    /// Drops the receiver and checks that the tail then finishes cleanly.
    async fn stop(self) {
        drop(self.rx);
        let ended = tokio::time::timeout(WAIT, self.task).await;
        assert!(
            matches!(ended, Ok(Ok(Ok(())))),
            "tail didn't end cleanly: {ended:?}"
        );
    }
}

/// Runs a tail that is expected to fail, returning its error.
async fn failure(tail: SshTail) -> SourceError {
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(tail.tail(10, tx));
    let ended = tokio::time::timeout(WAIT, task)
        .await
        .unwrap_or_else(|_| panic!("the tail hung instead of failing"));
    let mut got = Vec::new();
    while let Ok(b) = rx.try_recv() {
        got.push(b);
    }
    match ended {
        Ok(Err(e)) => e,
        other => panic!("expected an error, got {other:?} after {got:?}"),
    }
}

fn tail_of(sshd: &Sshd, log: &Path) -> SshTail {
    SshTail::new("web", sshd.target(), log.display().to_string())
        .unwrap_or_else(|e| panic!("{e}"))
        .with_agent(AgentSource::Disabled)
}

#[tokio::test(flavor = "multi_thread")]
async fn appended_lines_stream_after_the_backlog() {
    let sshd = Sshd::start();
    let log = sshd.path("app.log");
    let old: Vec<String> = (1..=10).map(|i| format!("old-{i}")).collect();
    append(&log, &old.iter().map(String::as_str).collect::<Vec<_>>());

    let mut t = start(tail_of(&sshd, &log), 3);
    t.until_lines(&["old-10"]).await;
    // Before its lines, the tail said what it waited for, phase by phase.
    let waits: Vec<&str> = t
        .batches
        .iter()
        .filter_map(|b| b.waiting.as_deref())
        .collect();
    assert_eq!(waits.len(), 4, "{waits:?}");
    assert!(
        waits[0].starts_with("connecting to 127.0.0.1:"),
        "{waits:?}"
    );
    assert!(
        waits[3].starts_with("starting tail on 127.0.0.1:"),
        "{waits:?}"
    );
    // …and then that it is live, with an empty batch, before any line.
    let live = t
        .batches
        .iter()
        .position(|b| b.entries.is_empty() && b.waiting.is_none());
    let lines = t.batches.iter().position(|b| !b.entries.is_empty());
    assert!(live.is_some() && live < lines, "{:?}", t.batches);
    let first = t.batches.iter().find(|b| !b.entries.is_empty());
    let first: Vec<String> =
        first.map_or(vec![], |b| b.entries.iter().map(LogEntry::text).collect());
    assert_eq!(first, ["old-8", "old-9", "old-10"]);
    assert!(t.batches.iter().all(|b| b.source == "web"));

    append(&log, &["new-1", "new-2"]);
    append(&log, &["new-3"]);
    t.until_lines(&["new-3"]).await;
    assert_eq!(
        t.texts(),
        ["old-8", "old-9", "old-10", "new-1", "new-2", "new-3"]
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_in_with_any_agent_identity() {
    let sshd = Sshd::start();
    let agent = Agent::start();
    // A key the server doesn't know goes first: every identity must be tried, not just one.
    let stranger = sshd.path("stranger");
    keygen(&stranger, "");
    agent.add(&stranger);
    agent.add(&sshd.client_key);

    let log = sshd.path("app.log");
    append(&log, &["via-agent"]);
    let mut target = sshd.target();
    target.identity_files.clear(); // nothing but the agent
    let tail = SshTail::new("web", target, log.display().to_string())
        .unwrap_or_else(|e| panic!("{e}"))
        .with_agent(AgentSource::Socket(agent.socket.clone()));
    let mut t = start(tail, 5);
    t.until_lines(&["via-agent"]).await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unauthorised_key_is_a_clear_permanent_error() {
    let sshd = Sshd::start();
    let stranger = sshd.path("stranger");
    keygen(&stranger, "");
    let mut target = sshd.target();
    target.identity_files = vec![stranger];
    let tail = SshTail::new("web", target, "/etc/hostname")
        .unwrap_or_else(|e| panic!("{e}"))
        .with_agent(AgentSource::Disabled);
    let e = failure(tail).await;
    assert_eq!(e.kind, ErrorKind::AccessDenied, "{e}");
    assert!(e.message.contains("authentication as"), "{e}");
    assert!(e.message.contains("identity_file"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_encrypted_key_needs_its_passphrase() {
    let sshd = Sshd::start();
    let locked = sshd.path("locked");
    keygen(&locked, "s3cret phrase");
    sshd.authorize(&sshd.path("locked.pub"));
    let log = sshd.path("app.log");
    append(&log, &["unlocked"]);
    let mut target = sshd.target();
    target.identity_files = vec![locked];
    let tail = SshTail::new("web", target, log.display().to_string())
        .unwrap_or_else(|e| panic!("{e}"))
        .with_agent(AgentSource::Disabled);

    let e = failure(tail.clone()).await;
    assert!(e.message.contains("needs a passphrase"), "{e}");

    let e = failure(tail.clone().with_passphrase("wrong")).await;
    assert!(e.message.contains("wrong passphrase"), "{e}");

    let mut t = start(tail.with_passphrase("s3cret phrase"), 5);
    t.until_lines(&["unlocked"]).await;
    t.stop().await;
}

/// The console's path: the tail's thread asks through the prompt, the dialog answers.
#[tokio::test(flavor = "multi_thread")]
async fn a_passphrase_asked_through_the_prompt_unlocks_the_key() {
    let sshd = Sshd::start();
    let locked = sshd.path("locked");
    keygen(&locked, "typed in a dialog");
    sshd.authorize(&sshd.path("locked.pub"));
    let log = sshd.path("app.log");
    append(&log, &["unlocked-by-prompt"]);
    let mut target = sshd.target();
    target.identity_files = vec![locked.clone()];
    let prompt = Arc::new(ssh::PassphrasePrompt::default());
    let mut questions = prompt.connect();
    let tail = SshTail::new("web", target, log.display().to_string())
        .unwrap_or_else(|e| panic!("{e}"))
        .with_agent(AgentSource::Disabled)
        .with_passphrase_provider(prompt.clone());
    let mut t = start(tail, 5);
    let q = tokio::time::timeout(Duration::from_secs(30), questions.recv())
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no passphrase question"));
    assert_eq!(q.key_file, locked);
    prompt.answer(q.id, Some("typed in a dialog".into()));
    t.until_lines(&["unlocked-by-prompt"]).await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_host_key_is_refused_with_what_to_add() {
    let sshd = Sshd::start();
    fs::write(&sshd.known_hosts, "").unwrap_or_else(|e| panic!("{e}"));
    let e = failure(tail_of(&sshd, Path::new("/etc/hostname"))).await;
    assert_eq!(e.kind, ErrorKind::AccessDenied, "{e}");
    assert!(e.message.contains("unknown host key"), "{e}");
    // Fingerprint as `ssh-keygen -l` computes it, and the exact line to add.
    assert!(
        e.message.contains(&keygen_fingerprint(&sshd.host_pub())),
        "{e}"
    );
    assert!(e.message.contains(&sshd.known_hosts_line()), "{e}");
    assert!(e.message.contains("accept-new"), "{e}");
    let kh = fs::read_to_string(&sshd.known_hosts).unwrap_or_default();
    assert!(kh.is_empty(), "strict mode wrote {kh:?}");
}

/// A key recorded for port 22 (a bare host name) does not vouch for a server on another port:
/// only that port's `[host]:port` entry counts, and the error says which entry is missing.
#[tokio::test(flavor = "multi_thread")]
async fn a_port_22_entry_does_not_vouch_for_another_port() {
    let sshd = Sshd::start();
    assert_ne!(sshd.port, 22);
    let bare = format!("127.0.0.1 {}\n", sshd::public_key(&sshd.host_pub()));
    fs::write(&sshd.known_hosts, &bare).unwrap_or_else(|e| panic!("{e}"));
    let e = failure(tail_of(&sshd, Path::new("/etc/hostname"))).await;
    assert_eq!(e.kind, ErrorKind::AccessDenied, "{e}");
    let entry = format!("[127.0.0.1]:{}", sshd.port);
    assert!(
        e.message.contains(&format!("no entry for {entry}")),
        "names the missing entry: {e}"
    );
    assert!(e.message.contains("port 22 only"), "{e}");
    assert!(e.message.contains(&sshd.known_hosts_line()), "{e}");
    assert_eq!(
        fs::read_to_string(&sshd.known_hosts).unwrap_or_default(),
        bare,
        "strict mode wrote nothing"
    );
    // With the port's own entry, the same key is accepted.
    fs::write(&sshd.known_hosts, format!("{}\n", sshd.known_hosts_line()))
        .unwrap_or_else(|e| panic!("{e}"));
    let log = sshd.path("app.log");
    append(&log, &["port-entry-ok"]);
    let mut t = start(tail_of(&sshd, &log), 5);
    t.until_lines(&["port-entry-ok"]).await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_host_key_is_refused_even_with_accept_new() {
    let sshd = Sshd::start();
    let other = sshd.path("other_host_key");
    keygen(&other, "");
    let stale = format!(
        "[127.0.0.1]:{} {}\n",
        sshd.port,
        sshd::public_key(&sshd.path("other_host_key.pub"))
    );
    fs::write(&sshd.known_hosts, &stale).unwrap_or_else(|e| panic!("{e}"));
    let e = failure(
        tail_of(&sshd, Path::new("/etc/hostname")).with_host_key_policy(HostKeyPolicy::AcceptNew),
    )
    .await;
    assert!(e.message.contains("HOST KEY CHANGED"), "{e}");
    assert!(
        e.message.contains(&keygen_fingerprint(&sshd.host_pub())),
        "{e}"
    );
    assert_eq!(
        fs::read_to_string(&sshd.known_hosts).unwrap_or_default(),
        stale,
        "known_hosts must not change"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recorded_key_type_is_asked_for_and_hashed_entries_match() {
    // The server offers ed25519 (libssh2's favourite) and ECDSA; known_hosts only has the ECDSA
    // key, hashed as with `HashKnownHosts yes`.
    let sshd = Sshd::start_full("", &["ed25519", "ecdsa"]);
    fs::write(
        &sshd.known_hosts,
        format!("{}\n", sshd.known_hosts_line_of(1)),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    sshd::run(
        std::process::Command::new("ssh-keygen")
            .arg("-Hf")
            .arg(&sshd.known_hosts),
    );
    let hashed = fs::read_to_string(&sshd.known_hosts).unwrap_or_default();
    assert!(hashed.starts_with("|1|"), "{hashed}");

    let log = sshd.path("app.log");
    append(&log, &["ecdsa-ok"]);
    let mut t = start(tail_of(&sshd, &log), 5);
    t.until_lines(&["ecdsa-ok"]).await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_of_a_type_not_on_record_is_refused_even_with_accept_new() {
    let sshd = Sshd::start(); // ed25519 only
    let other = sshd.path("other_ecdsa");
    sshd::keygen_typed(&other, "ecdsa", "");
    let recorded = format!(
        "[127.0.0.1]:{} {}\n",
        sshd.port,
        sshd::public_key(&sshd.path("other_ecdsa.pub"))
    );
    fs::write(&sshd.known_hosts, &recorded).unwrap_or_else(|e| panic!("{e}"));
    let e = failure(
        tail_of(&sshd, Path::new("/etc/hostname")).with_host_key_policy(HostKeyPolicy::AcceptNew),
    )
    .await;
    assert!(
        e.message.contains("only records ecdsa-sha2-nistp256 keys"),
        "{e}"
    );
    assert!(e.message.contains(&sshd.known_hosts_line()), "{e}");
    assert_eq!(
        fs::read_to_string(&sshd.known_hosts).unwrap_or_default(),
        recorded
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn accept_new_records_an_unknown_key() {
    let sshd = Sshd::start();
    fs::remove_file(&sshd.known_hosts).unwrap_or_else(|e| panic!("{e}"));
    let log = sshd.path("app.log");
    append(&log, &["hello"]);
    let mut t = start(
        tail_of(&sshd, &log).with_host_key_policy(HostKeyPolicy::AcceptNew),
        5,
    );
    t.until_lines(&["hello"]).await;
    t.stop().await;
    let kh = fs::read_to_string(&sshd.known_hosts).unwrap_or_default();
    assert_eq!(kh, format!("{}\n", sshd.known_hosts_line()));

    // The recorded line is good enough for strict checking.
    let mut t = start(tail_of(&sshd, &log), 5);
    t.until_lines(&["hello"]).await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rotation_is_followed() {
    let sshd = Sshd::start();
    let log = sshd.path("app.log");
    append(&log, &["before-rotation"]);
    let mut t = start(tail_of(&sshd, &log), 5);
    t.until_lines(&["before-rotation"]).await;

    fs::rename(&log, sshd.path("app.log.1")).unwrap_or_else(|e| panic!("{e}"));
    append(&log, &["after-rotation-1", "after-rotation-2"]);
    t.until_lines(&["after-rotation-1", "after-rotation-2"])
        .await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_connection_comes_back_after_a_gap() {
    let mut sshd = Sshd::start();
    let log = sshd.path("app.log");
    append(&log, &["before"]);
    let tail = tail_of(&sshd, &log).with_backoff(Backoff {
        first: Duration::from_millis(200),
        max: Duration::from_secs(1),
    });
    let mut t = start(tail, 5);
    t.until_lines(&["before"]).await;

    sshd.kill();
    append(&log, &["while-down"]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    sshd.restart();
    t.until("a gap", |e| {
        e.iter().any(|e| matches!(e, LogEntry::Gap { .. }))
    })
    .await;

    // The new `tail` may not have opened the file yet when the gap is sent: keep writing until a
    // line gets through.
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut n = 0;
    while !t.texts().iter().any(|l| l.starts_with("after-")) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "nothing after the gap"
        );
        n += 1;
        append(&log, &[&format!("after-{n}")]);
        if let Ok(Some(b)) = tokio::time::timeout(Duration::from_millis(300), t.rx.recv()).await {
            t.batches.push(b);
        }
    }

    let entries = t.entries();
    let gap = entries
        .iter()
        .position(|e| matches!(e, LogEntry::Gap { .. }))
        .unwrap_or_else(|| panic!("no gap in {entries:?}"));
    let before = entries.iter().position(|e| e.text() == "before");
    let after = entries.iter().position(|e| e.text().starts_with("after-"));
    assert!(before < Some(gap) && Some(gap) < after, "{entries:?}");
    if let LogEntry::Gap {
        lost_at,
        resumed_at,
        ..
    } = &entries[gap]
    {
        assert!(lost_at < resumed_at, "{entries:?}");
    }
    // Reconnecting doesn't replay the backlog.
    assert_eq!(t.texts().iter().filter(|l| *l == "before").count(), 1);
    assert!(!t.texts().contains(&"while-down".to_string()));
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tails_through_a_jump_host_from_config() {
    // The bastion logs channel requests at DEBUG1, which shows the traffic went through it.
    let bastion = Sshd::start_with("AllowTcpForwarding yes\nLogLevel DEBUG1");
    let target = Sshd::start();
    let log = target.path("app.log");
    append(&log, &["through-the-bastion"]);

    // The target is known by the name the bastion connects to, not the local relay's address.
    let known_hosts = target.path("all_known_hosts");
    fs::write(
        &known_hosts,
        format!(
            "{}\n{}\n",
            bastion.known_hosts_line(),
            target.known_hosts_line_for("localhost")
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let ssh_config = target.path("ssh_config");
    fs::write(
        &ssh_config,
        format!(
            "Host bastion\n  HostName 127.0.0.1\n  Port {}\n  User {user}\n  IdentityFile {}\n\n\
             Host app\n  HostName localhost\n  Port {}\n  ProxyJump bastion\n",
            bastion.port,
            bastion.client_key.display(),
            target.port,
            user = sshd::user(),
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let cfg = LogSourceConfig {
        name: "app".into(),
        host: Some("app".into()),
        instance: None,
        port: None,
        user: Some(sshd::user()),
        identity_file: Some(target.client_key.clone()),
        known_hosts: Some(known_hosts),
        path: log.display().to_string(),
        jump: None,
        format: None,
        ..Default::default()
    };
    let opts = SshOptions {
        ssh_config: SshConfigSource::File(ssh_config),
        host_key_policy: HostKeyPolicy::Strict,
        agent: AgentSource::Disabled,
        passphrase: None,
    };
    let tail = ssh::from_config(&cfg, None, &opts).unwrap_or_else(|e| panic!("{e}"));
    let jump = tail.target().jump.as_deref().map(|j| j.port);
    assert_eq!(jump, Some(bastion.port));

    let mut t = start(tail, 5);
    t.until_lines(&["through-the-bastion"]).await;
    append(&log, &["live-through-the-bastion"]);
    t.until_lines(&["live-through-the-bastion"]).await;
    t.stop().await;
    assert!(
        bastion.log_text().contains("direct-tcpip"),
        "the bastion saw no forwarding:\n{}",
        bastion.log_text()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bastion_that_forbids_forwarding_is_a_clear_error() {
    let bastion = Sshd::start(); // AllowTcpForwarding no
    let target = Sshd::start();
    let mut t = target.target();
    t.jump = Some(Box::new(bastion.target()));
    let tail = SshTail::new("app", t, "/etc/hostname")
        .unwrap_or_else(|e| panic!("{e}"))
        .with_agent(AgentSource::Disabled);
    let e = failure(tail).await;
    assert!(e.message.contains("AllowTcpForwarding"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn escape_sequences_arrive_visible_and_inert() {
    let sshd = Sshd::start();
    let log = sshd.path("app.log");
    append(
        &log,
        &[
            "title \x1b]0;pwned\x07 end",
            "clear \x1b[2J end",
            "c1 \u{9b}31m end",
            "bidi \u{202e}txt.exe end",
        ],
    );
    // A raw invalid byte too.
    let mut f = OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap_or_else(|e| panic!("{e}"));
    f.write_all(b"raw \x9b\xff end\n")
        .unwrap_or_else(|e| panic!("{e}"));

    let mut t = start(tail_of(&sshd, &log), 10);
    t.until("5 lines", |e| e.len() >= 5).await;
    let texts = t.texts();
    for text in &texts {
        assert!(
            !text
                .chars()
                .any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
            "control character left in {text:?}"
        );
        assert!(text.ends_with(" end"), "{text:?}");
    }
    assert!(
        texts.contains(&"title \\x1b]0;pwned\\x07 end".to_string()),
        "{texts:?}"
    );
    assert!(
        texts.contains(&"clear \\x1b[2J end".to_string()),
        "{texts:?}"
    );
    assert!(texts.contains(&"c1 \\x9b31m end".to_string()), "{texts:?}");
    assert!(
        texts.contains(&"bidi \\u{202e}txt.exe end".to_string()),
        "{texts:?}"
    );
    t.stop().await;
}

/// A line longer than 64 KiB arrives in pieces, each marked: the sender chose what follows the
/// cut, here a line that names someone else's address.
#[tokio::test(flavor = "multi_thread")]
async fn a_line_cut_for_length_arrives_as_marked_pieces() {
    let sshd = Sshd::start();
    let log = sshd.path("access.log");
    let forged = "192.0.2.66 - - [26/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1";
    let mut long = "198.51.100.7 - - [26/Nov/2026:10:00:00 +0000] \"GET /?q=".to_string();
    long.push_str(&"a".repeat(64 * 1024 - long.len()));
    long.push_str(forged);
    append(&log, &["before", &long, "after"]);
    let mut t = start(tail_of(&sshd, &log), 10);
    t.until_lines(&["before", "after"]).await;
    let kinds: Vec<(Option<Piece>, bool)> = t
        .entries()
        .iter()
        .map(|e| (e.piece(), e.whole_line().is_some()))
        .collect();
    assert_eq!(
        kinds,
        [
            (None, true),
            (Some(Piece::Head), false),
            (Some(Piece::Continuation), false),
            (None, true)
        ]
    );
    let continuation = t.entries()[2].text();
    assert!(continuation.starts_with("192.0.2.66 "), "{continuation:?}");
    // Read as a combined line it would name 192.0.2.66; as a piece it names nobody.
    let format = opsconsole::model::access::LogFormat::Auto;
    let entries = t.entries();
    assert!(opsconsole::model::access::parse(&format, &continuation).is_some());
    assert_eq!(
        opsconsole::model::access::parse_entry(&format, &entries[2]),
        None
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_file_is_a_clear_error() {
    let sshd = Sshd::start();
    let missing = sshd.path("no-such.log");
    let e = failure(tail_of(&sshd, &missing)).await;
    assert_eq!(e.kind, ErrorKind::NotFound, "{e}");
    assert!(e.message.contains("no such file"), "{e}");
    assert!(e.message.contains(&missing.display().to_string()), "{e}");

    let e = failure(tail_of(&sshd, sshd.dir.path())).await;
    assert!(e.message.contains("is a directory"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_path_with_quotes_and_spaces_is_tailed_literally() {
    let sshd = Sshd::start();
    let log = sshd.path("it's $(a) log.txt");
    append(&log, &["quoted-path-ok"]);
    let mut t = start(tail_of(&sshd, &log), 5);
    t.until_lines(&["quoted-path-ok"]).await;
    t.stop().await;
}

/// A LogSource is used behind `Arc<dyn LogSource>` by the runtime.
#[test]
fn is_a_log_source() {
    fn takes(_: Arc<dyn LogSource>) {}
    let target = ssh::SshTarget {
        host: "h".into(),
        port: 22,
        user: "u".into(),
        identity_files: vec![],
        identity_files_explicit: true,
        known_hosts: ssh::KnownHostsFiles::only("/dev/null"),
        jump: None,
    };
    let tail = SshTail::new("n", target, "/var/log/x").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tail.name(), "n");
    takes(Arc::new(tail));
}

/// An EC2 instance's address, as the console's instances panel sees it.
struct OneInstance;

impl opsconsole::source::Source<opsconsole::model::InstancesView> for OneInstance {
    fn fetch(
        &self,
    ) -> futures::future::BoxFuture<'_, Result<opsconsole::model::InstancesView, SourceError>> {
        let instance: opsconsole::model::Instance = serde_json::from_value(serde_json::json!({
            "id": "i-0123456789abcdef0", "name": "web-left", "instance_type": "t3.small",
            "az": "ap-northeast-1a", "region": "ap-northeast-1", "private_ip": "127.0.0.1",
            "state": "running", "system_status": "ok", "instance_status": "ok", "events": []
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        Box::pin(async move {
            Ok(opsconsole::model::InstancesView {
                unreadable: vec![],
                instances: vec![instance],
            })
        })
    }
}

/// `instance = "<Name tag>"` is looked up when the tail starts, not before the console starts.
#[tokio::test(flavor = "multi_thread")]
async fn an_instance_entry_is_resolved_when_its_tail_starts() {
    let sshd = Sshd::start();
    let log = sshd.path("app.log");
    append(&log, &["from-the-instance"]);
    let cfg = LogSourceConfig {
        name: "web-left-nginx".into(),
        host: None,
        instance: Some("web-left".into()),
        port: Some(sshd.port),
        user: Some(sshd::user()),
        identity_file: Some(sshd.client_key.clone()),
        known_hosts: Some(sshd.known_hosts.clone()),
        path: log.display().to_string(),
        jump: None,
        format: None,
        ..Default::default()
    };
    let opts = SshOptions {
        agent: AgentSource::Disabled,
        ..Default::default()
    };
    let sources = ssh::configured(&[cfg], Some(Arc::new(OneInstance)), &opts);
    let mut t = start_source(sources[0].clone(), 5);
    t.until_lines(&["from-the-instance"]).await;
    t.stop().await;
}

/// A host that accepts the connection and never speaks SSH (a hung sshd, a tarpit, a firewall
/// holding the flow): the tail says what it waits for, naming host and port, and gives up on the
/// greeting after its limit with a sentence that says so, instead of waiting forever.
#[tokio::test(flavor = "multi_thread")]
async fn a_host_that_never_speaks_ssh_is_named_with_its_phase_and_given_up_on() {
    // Never accepted: the kernel completes the TCP handshake, and nothing is ever sent.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let port = silent.local_addr().unwrap_or_else(|e| panic!("{e}")).port();
    let mut target = ssh::SshTarget::new("127.0.0.1", "ec2-user").unwrap_or_else(|e| panic!("{e}"));
    target.port = port;
    let tail = SshTail::new("silent", target, "/var/log/app.log")
        .unwrap_or_else(|e| panic!("{e}"))
        .with_agent(AgentSource::Disabled);
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(tail.tail(10, tx));
    // The phase limits are 10-15 s; the tail must have given up well within 30 s.
    let ended = tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .unwrap_or_else(|_| panic!("still waiting after 30 s"));
    let mut waits = Vec::new();
    while let Ok(b) = rx.try_recv() {
        assert!(b.entries.is_empty(), "lines from a silent host: {b:?}");
        waits.extend(b.waiting);
    }
    let at = format!("127.0.0.1:{port}");
    assert_eq!(
        waits,
        [
            format!("connecting to {at} (up to 10 s)"),
            format!("waiting for the SSH greeting from {at} (up to 15 s)"),
        ]
    );
    let error = match ended {
        Ok(Err(e)) => e,
        other => panic!("expected the greeting to time out, got {other:?}"),
    };
    assert_eq!(error.kind, ErrorKind::Timeout, "{error}");
    assert!(
        error.message.starts_with(&format!(
            "{at} accepted the connection but sent no SSH greeting within 15 s"
        )),
        "{error}"
    );
    drop(silent);
}

/// The whole SSH ingest path at volume: 1,000,000 lines of about 110 bytes sent as a tail's
/// backlog through a real sshd, then split, sanitised and batched. A measurement, not a test (a
/// timing on a shared machine proves nothing), so it is run by name, as BENCHMARKS.md says:
///
///   cargo test --profile bench --test ssh -- --ignored --nocapture ssh_ingest_throughput
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement: run it by name"]
async fn ssh_ingest_throughput() {
    const LINES: usize = 1_000_000;
    let sshd = Sshd::start();
    let log = sshd.path("big.log");
    {
        let mut f = std::io::BufWriter::new(
            fs::File::create(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display())),
        );
        for i in 0..LINES {
            writeln!(
                f,
                "10.0.20.5 - - [21/Nov/2026:10:00:00 +0000] \"GET /api/v1/orders/{i:07} HTTP/1.1\" 200 512 \"-\" \"ua/1.0\""
            )
            .unwrap_or_else(|e| panic!("write: {e}"));
        }
    }
    let (tx, mut rx) = mpsc::channel(64);
    let started = std::time::Instant::now();
    let task = tokio::spawn(tail_of(&sshd, &log).tail(LINES, tx));
    let (mut lines, mut batches) = (0, 0);
    while lines < LINES {
        match tokio::time::timeout(Duration::from_secs(120), rx.recv()).await {
            Ok(Some(b)) if !b.entries.is_empty() => {
                lines += b.entries.len();
                batches += 1;
            }
            Ok(Some(_)) => {}
            other => panic!("stopped after {lines} lines: {other:?}"),
        }
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{lines} lines in {secs:.2} s: {:.0} lines/s, {batches} batches",
        lines as f64 / secs
    );
    drop(rx);
    let _ = tokio::time::timeout(WAIT, task).await;
}
