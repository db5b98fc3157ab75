//! A throw-away OpenSSH server on 127.0.0.1 for one test: its own port, host key, client key and
//! authorized_keys in a temp dir, killed together with its session processes on drop. Also an
//! ssh-agent on a private socket. Used by `tests/ssh.rs` with `mod sshd;`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use opsconsole::source::ssh::{KnownHostsFiles, SshTarget};
use tempfile::TempDir;

const SSHD: &str = "/usr/sbin/sshd";
const START_TIMEOUT: Duration = Duration::from_secs(10);

fn missing_tools() -> ! {
    panic!(
        "{SSHD} or ssh-keygen not found: the SSH tests need a real OpenSSH server. Run .ci/run, or \
         `apt-get install -y openssh-server openssh-client`"
    )
}

/// Runs a command to completion, panicking with its output if it fails.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Makes an ed25519 key pair at `path` (and `path.pub`).
pub fn keygen(path: &Path, passphrase: &str) {
    keygen_typed(path, "ed25519", passphrase);
}

/// Makes a key pair of type `kind` (`ed25519`, `ecdsa`, `rsa`).
pub fn keygen_typed(path: &Path, kind: &str, passphrase: &str) {
    if Command::new("ssh-keygen").arg("-?").output().is_err() {
        missing_tools();
    }
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", kind, "-N", passphrase, "-C", "opsc-test", "-f"])
        .arg(path));
}

/// The `type base64` part of a public key file.
pub fn public_key(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `SHA256:…` as `ssh-keygen -l` prints it: an independent check of our fingerprints.
pub fn keygen_fingerprint(pub_path: &Path) -> String {
    let out = run(Command::new("ssh-keygen").arg("-lf").arg(pub_path));
    out.split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("odd ssh-keygen output {out:?}"))
        .to_string()
}

pub fn user() -> String {
    run(Command::new("id").arg("-un")).trim().to_string()
}

/// A free loopback port (the tiny race with another binder is handled by retrying the start).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

pub struct Sshd {
    pub dir: TempDir,
    pub port: u16,
    /// The first of `host_keys`.
    pub host_key: PathBuf,
    pub host_keys: Vec<PathBuf>,
    pub client_key: PathBuf,
    /// Holds exactly this server's key under `[127.0.0.1]:port`.
    pub known_hosts: PathBuf,
    pub log: PathBuf,
    extra: String,
    child: Option<Child>,
}

impl Sshd {
    pub fn start() -> Sshd {
        Sshd::start_with("")
    }

    /// `extra` sshd_config lines go first, so they win over the defaults (sshd keeps the first
    /// value it reads).
    pub fn start_with(extra: &str) -> Sshd {
        Sshd::start_full(extra, &["ed25519"])
    }

    /// With host keys of these types (`ed25519`, `ecdsa`, `rsa`); known_hosts records the first.
    pub fn start_full(extra: &str, host_key_types: &[&str]) -> Sshd {
        if !Path::new(SSHD).exists() {
            missing_tools();
        }
        let dir = tempfile::Builder::new()
            .prefix("opsc-sshd.")
            .tempdir()
            .unwrap_or_else(|e| panic!("tempdir: {e}"));
        let host_keys: Vec<PathBuf> = host_key_types
            .iter()
            .map(|kind| {
                let path = dir.path().join(format!("host_{kind}"));
                keygen_typed(&path, kind, "");
                path
            })
            .collect();
        let host_key = host_keys
            .first()
            .cloned()
            .unwrap_or_else(|| panic!("no host key types"));
        let client_key = dir.path().join("client_ed25519");
        keygen(&client_key, "");
        let pub_client = format!("{}.pub", client_key.display());
        fs::copy(&pub_client, dir.path().join("authorized_keys"))
            .unwrap_or_else(|e| panic!("authorized_keys: {e}"));
        let log = dir.path().join("sshd.log");
        let mut sshd = Sshd {
            known_hosts: dir.path().join("known_hosts"),
            port: 0,
            host_key,
            host_keys,
            client_key,
            log,
            extra: extra.to_string(),
            child: None,
            dir,
        };
        for _ in 0..5 {
            sshd.port = free_port();
            if sshd.spawn() {
                fs::write(&sshd.known_hosts, format!("{}\n", sshd.known_hosts_line()))
                    .unwrap_or_else(|e| panic!("known_hosts: {e}"));
                return sshd;
            }
        }
        panic!("sshd didn't start; its log:\n{}", sshd.log_text());
    }

    /// This server's correct known_hosts line.
    pub fn known_hosts_line(&self) -> String {
        self.known_hosts_line_for("127.0.0.1")
    }

    pub fn known_hosts_line_for(&self, host: &str) -> String {
        format!("[{host}]:{} {}", self.port, public_key(&self.host_pub()))
    }

    /// The known_hosts line for the host key at `index` in `host_keys`.
    pub fn known_hosts_line_of(&self, index: usize) -> String {
        let key = PathBuf::from(format!("{}.pub", self.host_keys[index].display()));
        format!("[127.0.0.1]:{} {}", self.port, public_key(&key))
    }

    pub fn host_pub(&self) -> PathBuf {
        PathBuf::from(format!("{}.pub", self.host_key.display()))
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Lets `pub_path`'s key log in too.
    pub fn authorize(&self, pub_path: &Path) {
        let mut keys = fs::read_to_string(self.path("authorized_keys")).unwrap_or_default();
        keys.push_str(&fs::read_to_string(pub_path).unwrap_or_else(|e| panic!("{e}")));
        fs::write(self.path("authorized_keys"), keys).unwrap_or_else(|e| panic!("{e}"));
    }

    /// A target for this server: key file auth, this server's known_hosts, nothing from `~`.
    pub fn target(&self) -> SshTarget {
        SshTarget {
            host: "127.0.0.1".into(),
            port: self.port,
            user: user(),
            identity_files: vec![self.client_key.clone()],
            identity_files_explicit: true,
            known_hosts: KnownHostsFiles::only(self.known_hosts.clone()),
            jump: None,
        }
    }

    fn write_config(&self) -> PathBuf {
        let d = self.dir.path().display();
        let host_keys: String = self
            .host_keys
            .iter()
            .map(|k| format!("HostKey {}\n", k.display()))
            .collect();
        let config = format!(
            "{extra}
Port {port}
ListenAddress 127.0.0.1
{host_keys}PidFile {d}/sshd.pid
AuthorizedKeysFile {d}/authorized_keys
AllowUsers {user}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding no
ClientAliveInterval 15
ClientAliveCountMax 3
LogLevel VERBOSE
",
            extra = self.extra,
            port = self.port,
            user = user(),
        );
        let path = self.path("sshd_config");
        fs::write(&path, config).unwrap_or_else(|e| panic!("sshd_config: {e}"));
        path
    }

    /// Starts sshd on `self.port`; false if it exited (port taken) instead of listening.
    fn spawn(&mut self) -> bool {
        if user() == "root" {
            // The privilege-separation directory sshd insists on when started as root.
            let _ = fs::create_dir_all("/run/sshd");
        }
        let config = self.write_config();
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap_or_else(|e| panic!("sshd log: {e}"));
        let mut child = Command::new(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {SSHD}: {e}"));
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return false;
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                self.child = Some(child);
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }

    /// Kills the server and every session it runs, so established connections drop at once
    /// (sshd's per-connection processes outlive a killed listener otherwise).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let family = descendants(child.id());
            let _ = child.kill();
            let _ = child.wait();
            for pid in family {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .stderr(Stdio::null())
                    .status();
            }
        }
    }

    /// Starts again on the same port with the same keys.
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + START_TIMEOUT;
        while !self.spawn() {
            assert!(
                Instant::now() < deadline,
                "sshd didn't restart on port {}; its log:\n{}",
                self.port,
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.kill();
    }
}

/// All processes below `root`, from /proc (children re-parent to init once `root` dies, so they
/// are collected before killing anything).
fn descendants(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    if let Ok(entries) = fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // `pid (comm) state ppid …`: comm may hold spaces and parentheses.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if let Some(ppid) = ppid {
                children.entry(ppid).or_default().push(pid);
            }
        }
    }
    let mut out = Vec::new();
    let mut todo = vec![root];
    while let Some(pid) = todo.pop() {
        for &c in children.get(&pid).map(Vec::as_slice).unwrap_or_default() {
            out.push(c);
            todo.push(c);
        }
    }
    out
}

/// An ssh-agent on a private socket, killed on drop.
pub struct Agent {
    pub socket: PathBuf,
    child: Child,
    _dir: TempDir,
}

impl Agent {
    pub fn start() -> Agent {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let socket = dir.path().join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("ssh-agent: {e} (install openssh-client)"));
        let deadline = Instant::now() + START_TIMEOUT;
        while !socket.exists() {
            assert!(Instant::now() < deadline, "ssh-agent made no socket");
            std::thread::sleep(Duration::from_millis(20));
        }
        Agent {
            socket,
            child,
            _dir: dir,
        }
    }

    pub fn add(&self, key: &Path) {
        run(Command::new("ssh-add")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.socket)
            .stdin(Stdio::null()));
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
