//! Host key verification against known_hosts files, with the port, in the spirit of OpenSSH's
//! `StrictHostKeyChecking`: unknown keys are refused unless the operator opted into
//! `accept-new`, and a changed key is always refused.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use sha2::{Digest, Sha256};
use ssh2::{CheckResult, KnownHostFileKind, Session};

use super::error::Failure;
use crate::source::ErrorKind;

/// What to do with a host key that no known_hosts file mentions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HostKeyPolicy {
    /// Refuse it (OpenSSH `StrictHostKeyChecking=yes`): the error shows the line to add.
    #[default]
    Strict,
    /// Add it to the known_hosts file and connect (OpenSSH `StrictHostKeyChecking=accept-new`).
    /// A key that differs from a recorded one is still refused.
    AcceptNew,
}

impl std::str::FromStr for HostKeyPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<HostKeyPolicy, String> {
        match s {
            "strict" | "yes" => Ok(HostKeyPolicy::Strict),
            "accept-new" => Ok(HostKeyPolicy::AcceptNew),
            other => Err(format!(
                "unknown host key policy {other:?}: use \"strict\" or \"accept-new\""
            )),
        }
    }
}

/// Which known_hosts files are consulted, and which one learns new keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownHostsFiles {
    /// Read, and appended to under [`HostKeyPolicy::AcceptNew`].
    pub user: PathBuf,
    /// Read only (e.g. `/etc/ssh/ssh_known_hosts`).
    pub global: Vec<PathBuf>,
}

impl KnownHostsFiles {
    /// Only this file: what an explicit `known_hosts` setting means.
    pub fn only(path: impl Into<PathBuf>) -> KnownHostsFiles {
        KnownHostsFiles {
            user: path.into(),
            global: Vec::new(),
        }
    }
}

/// `SHA256:…` as OpenSSH prints it: unpadded base64 of the SHA-256 of the raw key blob.
pub fn fingerprint(key: &[u8]) -> String {
    format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(key)))
}

/// The host field of a known_hosts line: a bare name for port 22, `[host]:port` otherwise.
pub fn host_pattern(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

/// The known_hosts line that records `key` for `host`:`port`.
pub fn known_hosts_line(host: &str, port: u16, key: &[u8]) -> String {
    format!(
        "{} {} {}",
        host_pattern(host, port),
        key_type(key).unwrap_or("ssh-unknown"),
        STANDARD.encode(key)
    )
}

/// The algorithm name at the start of an SSH public key blob (a length-prefixed string).
fn key_type(key: &[u8]) -> Option<&str> {
    let len = u32::from_be_bytes(key.get(..4)?.try_into().ok()?) as usize;
    let name = std::str::from_utf8(key.get(4..4 + len)?).ok()?;
    let plausible = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-@._".contains(&b));
    plausible.then_some(name)
}

/// Checks the session's host key for `host`:`port` (the name the operator asked for, never a
/// relay's loopback address). Under `AcceptNew`, records an unknown key in `files.user`.
pub(crate) fn verify(
    session: &Session,
    host: &str,
    port: u16,
    files: &KnownHostsFiles,
    policy: HostKeyPolicy,
) -> Result<(), Failure> {
    let Some((key, _)) = session.host_key() else {
        return Err(Failure::transient(
            ErrorKind::Network,
            format!("{host}:{port} sent no host key"),
        ));
    };
    // libssh2 takes names as C strings; a name with a NUL would end early (and panic ssh2).
    if host.contains('\0') {
        return Err(Failure::permanent(
            ErrorKind::Other,
            format!("{host:?} is not a usable host name"),
        ));
    }
    let fp = fingerprint(key);
    let line = known_hosts_line(host, port, key);
    let lines = read_files(files)?;
    let mut known = session
        .known_hosts()
        .map_err(|e| Failure::permanent(ErrorKind::Other, format!("can't check host keys: {e}")))?;
    let mut revoked = Vec::new();
    for line in &lines {
        load_line(&mut known, line, &mut revoked);
    }
    if revoked.iter().any(|r| r == key) {
        return Err(Failure::permanent(
            ErrorKind::AccessDenied,
            format!(
                "host key {fp} of {host}:{port} is marked @revoked in a known_hosts file: refusing \
                 to connect"
            ),
        ));
    }
    match check_exact(&known, host, port, key) {
        CheckResult::Match => Ok(()),
        CheckResult::Mismatch => {
            let presented = key_type(key).unwrap_or("unknown");
            let recorded = recorded_types(session, &lines, host, port);
            if recorded.iter().any(|t| t == presented) {
                Err(Failure::permanent(
                    ErrorKind::AccessDenied,
                    format!(
                        "HOST KEY CHANGED for {host}:{port}: it now presents {fp}, which differs \
                         from the key recorded in {}. Someone could be intercepting the \
                         connection, or the host was rebuilt. If you know why it changed, remove \
                         the old entry with `ssh-keygen -R '{}' -f {}` and add this line: {line}",
                        files.user.display(),
                        host_pattern(host, port),
                        files.user.display(),
                    ),
                ))
            } else {
                // Not "changed", but not provably the same host either: a MITM can simply offer
                // a key type that isn't on record, so this is refused under every policy.
                Err(Failure::permanent(
                    ErrorKind::AccessDenied,
                    format!(
                        "{host}:{port} presented a {presented} host key ({fp}), but known_hosts \
                         only records {} keys for it. If you have verified this key, add this line \
                         to {}: {line}",
                        recorded.join("/"),
                        files.user.display(),
                    ),
                ))
            }
        }
        CheckResult::NotFound => match policy {
            HostKeyPolicy::Strict => Err(Failure::permanent(
                ErrorKind::AccessDenied,
                format!(
                    "{}unknown host key for {host}:{port}: {fp}. If that is the server's key \
                     (check it out of band, e.g. `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` \
                     on the host or the EC2 console output), add this line to {}: {line} — or run \
                     with `--ssh-host-keys accept-new`",
                    if has_port_22_entry(&known, host, port, key) {
                        format!(
                            "known_hosts has no entry for {} (its entry for {host} is for port \
                             22 only): ",
                            host_pattern(host, port)
                        )
                    } else {
                        String::new()
                    },
                    files.user.display()
                ),
            )),
            HostKeyPolicy::AcceptNew => {
                append_line(&files.user, &line).map_err(|e| {
                    Failure::permanent(
                        ErrorKind::Other,
                        format!(
                            "can't record the host key of {host}:{port} in {}: {e}",
                            files.user.display()
                        ),
                    )
                })?;
                tracing::info!(host, port, fingerprint = %fp, file = %files.user.display(),
                    "accepted new host key");
                Ok(())
            }
        },
        CheckResult::Failure => Err(Failure::permanent(
            ErrorKind::Other,
            format!("couldn't check the host key of {host}:{port} ({fp})"),
        )),
    }
}

/// What known_hosts says of `key` for exactly `host`:`port`. Asked with a port, libssh2 tries
/// `[host]:port` and then the bare `host`, so a key recorded for port 22 would vouch for any
/// port of that host. As OpenSSH reads known_hosts, a bare name is port 22 only: for another
/// port only the `[host]:port` name is asked for (libssh2 then compares that name alone).
fn check_exact(known: &ssh2::KnownHosts, host: &str, port: u16, key: &[u8]) -> CheckResult {
    if port == 22 {
        // `[host]:22`, then `host`: both mean port 22.
        known.check_port(host, 22, key)
    } else {
        known.check(&format!("[{host}]:{port}"), key)
    }
}

/// For a port other than 22: whether known_hosts names the bare `host` (a port-22 entry), for
/// a message that says why it does not count.
fn has_port_22_entry(known: &ssh2::KnownHosts, host: &str, port: u16, key: &[u8]) -> bool {
    port != 22
        && matches!(
            known.check(host, key),
            CheckResult::Match | CheckResult::Mismatch
        )
}

/// The entries of every known_hosts file, one per line; a missing file is simply empty.
fn read_files(files: &KnownHostsFiles) -> Result<Vec<String>, Failure> {
    let mut lines = Vec::new();
    for file in std::iter::once(&files.user).chain(&files.global) {
        let text = match fs::read(file) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(Failure::permanent(
                    ErrorKind::Other,
                    format!("can't read known_hosts file {}: {e}", file.display()),
                ));
            }
        };
        lines.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string),
        );
    }
    Ok(lines)
}

/// Adds one line. Line by line because libssh2 gives up on a whole file at the first line it
/// can't parse (certificate authorities, security-key types), which would make every host
/// "unknown". `@revoked` keys are collected for the caller instead.
fn load_line(known: &mut ssh2::KnownHosts, line: &str, revoked: &mut Vec<Vec<u8>>) {
    if let Some(rest) = line.strip_prefix("@revoked") {
        // `@revoked hosts keytype base64 [comment]`
        if let Some(key) = rest
            .split_whitespace()
            .nth(2)
            .and_then(|b| STANDARD.decode(b).ok())
        {
            revoked.push(key);
        }
        return;
    }
    if line.starts_with('@') {
        return; // @cert-authority: certificates aren't used here.
    }
    if let Err(e) = known.read_str(line, KnownHostFileKind::OpenSSH) {
        tracing::debug!(error = %e, "skipped a known_hosts line");
    }
}

/// The key types on record for `host`:`port` (e.g. `ssh-ed25519`). Each line is checked on its
/// own with a key that can't match: a mismatch means the line names this host and port, hashed
/// or not, by libssh2's own name matching.
fn recorded_types(session: &Session, lines: &[String], host: &str, port: u16) -> Vec<String> {
    const NO_KEY: &[u8] = b"opsconsole: matches no host key";
    let mut types: Vec<String> = Vec::new();
    for line in lines.iter().filter(|l| !l.starts_with('@')) {
        let Ok(mut one) = session.known_hosts() else {
            break;
        };
        if one.read_str(line, KnownHostFileKind::OpenSSH).is_err() {
            continue;
        }
        let names_host = matches!(
            check_exact(&one, host, port, NO_KEY),
            CheckResult::Mismatch | CheckResult::Match
        );
        if let Some(t) = line.split_whitespace().nth(1).filter(|_| names_host)
            && !types.iter().any(|k| k == t)
        {
            types.push(t.to_string());
        }
    }
    types
}

/// Host key algorithms in OpenSSH's order of preference, without certificates and without
/// SHA-1 `ssh-rsa`; each with the known_hosts key type it produces.
const HOST_KEY_ALGORITHMS: &[(&str, &str)] = &[
    ("ssh-ed25519", "ssh-ed25519"),
    ("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256"),
    ("ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384"),
    ("ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521"),
    ("rsa-sha2-512", "ssh-rsa"),
    ("rsa-sha2-256", "ssh-rsa"),
];

/// Before the handshake: asks for a host key of a type already on record for this host, as
/// OpenSSH does. Otherwise a server with several host keys could show one that known_hosts
/// doesn't hold (`ssh` may have recorded another) and be refused.
pub(crate) fn prefer_recorded_types(
    session: &Session,
    host: &str,
    port: u16,
    files: &KnownHostsFiles,
) {
    let recorded = match read_files(files) {
        Ok(lines) => recorded_types(session, &lines, host, port),
        Err(_) => Vec::new(), // `verify` reports it
    };
    let order = host_key_order(&recorded);
    if let Err(e) = session.method_pref(ssh2::MethodType::HostKey, &order) {
        tracing::debug!(error = %e, %order, "couldn't set host key preferences");
    }
}

/// Algorithms for the recorded key types first, then the rest, each group in OpenSSH's order.
fn host_key_order(recorded: &[String]) -> String {
    let (known, rest): (Vec<_>, Vec<_>) = HOST_KEY_ALGORITHMS
        .iter()
        .partition(|(_, kind)| recorded.iter().any(|r| r == kind));
    known
        .iter()
        .chain(&rest)
        .map(|(alg, _)| *alg)
        .collect::<Vec<_>>()
        .join(",")
}

/// Appends one line, creating the file (private to the user) and its directory if needed.
fn append_line(path: &Path, line: &str) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir)?;
    }
    let needs_newline = match fs::read(path) {
        Ok(bytes) => !bytes.is_empty() && !bytes.ends_with(b"\n"),
        Err(_) => false,
    };
    let mut opts = OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    let prefix = if needs_newline { "\n" } else { "" };
    f.write_all(format!("{prefix}{line}\n").as_bytes())?;
    f.sync_all()
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The blob of `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl`.
    const BLOB_B64: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

    #[test]
    fn lines_and_fingerprints_look_like_openssh() {
        let key = STANDARD.decode(BLOB_B64).unwrap_or_default();
        assert_eq!(key_type(&key), Some("ssh-ed25519"));
        assert_eq!(
            known_hosts_line("10.0.0.5", 22, &key),
            format!("10.0.0.5 ssh-ed25519 {BLOB_B64}")
        );
        assert_eq!(
            known_hosts_line("web", 2222, &key),
            format!("[web]:2222 ssh-ed25519 {BLOB_B64}")
        );
        let fp = fingerprint(&key);
        assert!(fp.starts_with("SHA256:") && !fp.ends_with('='), "{fp}");
        assert_eq!(fp.len(), "SHA256:".len() + 43);
    }

    #[test]
    fn garbage_blobs_have_no_type() {
        assert_eq!(key_type(b""), None);
        assert_eq!(key_type(&[0, 0, 0, 200, b'a']), None);
        assert_eq!(key_type(&[0, 0, 0, 2, b'\x1b', b'[']), None);
    }

    #[test]
    fn recorded_key_types_are_preferred() {
        assert_eq!(
            host_key_order(&[]),
            "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,\
             rsa-sha2-512,rsa-sha2-256"
        );
        assert_eq!(
            host_key_order(&["ssh-rsa".into(), "ecdsa-sha2-nistp256".into()]),
            "ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256,ssh-ed25519,ecdsa-sha2-nistp384,\
             ecdsa-sha2-nistp521"
        );
    }

    /// known_hosts text loaded as `verify` loads it.
    fn known(text: &str) -> (Session, ssh2::KnownHosts) {
        let session = Session::new().unwrap_or_else(|e| panic!("session: {e}"));
        let mut known = session
            .known_hosts()
            .unwrap_or_else(|e| panic!("known_hosts: {e}"));
        let mut revoked = Vec::new();
        for line in text.lines() {
            load_line(&mut known, line, &mut revoked);
        }
        (session, known)
    }

    /// An entry without a port is for port 22 only (as OpenSSH reads it); another port needs
    /// its own `[host]:port` entry, never the port-22 one libssh2 would otherwise fall back to.
    #[test]
    fn only_the_entry_for_the_exact_port_counts() {
        let key = STANDARD.decode(BLOB_B64).unwrap_or_default();
        let bare = format!("web.internal ssh-ed25519 {BLOB_B64}");
        let (_s, k) = known(&bare);
        assert!(matches!(
            check_exact(&k, "web.internal", 22, &key),
            CheckResult::Match
        ));
        assert!(matches!(
            check_exact(&k, "web.internal", 2222, &key),
            CheckResult::NotFound
        ));
        let ported = format!("[web.internal]:2222 ssh-ed25519 {BLOB_B64}");
        let (_s, k) = known(&ported);
        assert!(matches!(
            check_exact(&k, "web.internal", 2222, &key),
            CheckResult::Match
        ));
        assert!(matches!(
            check_exact(&k, "web.internal", 22, &key),
            CheckResult::NotFound
        ));
        assert!(matches!(
            check_exact(&k, "web.internal", 2200, &key),
            CheckResult::NotFound
        ));
        // `[host]:22` is port 22 written out.
        let (_s, k) = known(&format!("[web.internal]:22 ssh-ed25519 {BLOB_B64}"));
        assert!(matches!(
            check_exact(&k, "web.internal", 22, &key),
            CheckResult::Match
        ));
        // A port-22 entry with another key is no reason to call port 2222's key "changed".
        let (_s, k) = known(&format!(
            "{bare}\n[web.internal]:2222 ssh-ed25519 {}",
            other_key()
        ));
        assert!(matches!(
            check_exact(&k, "web.internal", 2222, &key),
            CheckResult::Mismatch
        ));
        assert!(matches!(
            check_exact(&k, "web.internal", 22, &key),
            CheckResult::Match
        ));
        // Hashed entries (`HashKnownHosts yes`) hash `[host]:port` for another port.
        let hashed = format!("{} ssh-ed25519 {BLOB_B64}", hashed_name("web.internal"));
        let (_s, k) = known(&hashed);
        assert!(matches!(
            check_exact(&k, "web.internal", 22, &key),
            CheckResult::Match
        ));
        assert!(matches!(
            check_exact(&k, "web.internal", 2222, &key),
            CheckResult::NotFound
        ));
    }

    /// The recorded key types of a port are its own entries' only.
    #[test]
    fn recorded_types_are_the_ports_own() {
        let session = Session::new().unwrap_or_else(|e| panic!("session: {e}"));
        let lines = vec![
            format!("web ssh-ed25519 {BLOB_B64}"),
            format!("[web]:2222 ecdsa-sha2-nistp256 {}", ecdsa_key()),
        ];
        assert_eq!(recorded_types(&session, &lines, "web", 22), ["ssh-ed25519"]);
        assert_eq!(
            recorded_types(&session, &lines, "web", 2222),
            ["ecdsa-sha2-nistp256"]
        );
        assert!(recorded_types(&session, &lines, "web", 2200).is_empty());
    }

    /// Another ed25519 key, base64.
    fn other_key() -> String {
        let mut blob = STANDARD.decode(BLOB_B64).unwrap_or_default();
        if let Some(last) = blob.last_mut() {
            *last ^= 0xff;
        }
        STANDARD.encode(blob)
    }

    /// An ECDSA P-256 public key blob, base64 (from `ssh-keygen -t ecdsa`).
    fn ecdsa_key() -> String {
        "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBNqWeThBFyNfaocASfkOadjF/V13nuXXN6RNbF5ymWvUcBw9+eOqaompGTsjDHDlrapc4CaadjbdBfNUq+own9s=".to_string()
    }

    /// `|1|salt|hash` as `ssh-keygen -H` writes it: HMAC-SHA1 of the name, keyed by the salt.
    fn hashed_name(name: &str) -> String {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "d=$(mktemp -d) && printf '%s ssh-ed25519 {BLOB_B64}\\n' '{name}' > $d/kh && \
                 ssh-keygen -q -H -f $d/kh >/dev/null 2>&1 && cut -d' ' -f1 $d/kh; rm -rf $d"
            ))
            .output()
            .unwrap_or_else(|e| panic!("ssh-keygen: {e}"));
        let hashed = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(hashed.starts_with("|1|"), "ssh-keygen -H gave {hashed:?}");
        hashed
    }

    #[test]
    fn policy_parses() {
        assert_eq!("accept-new".parse(), Ok(HostKeyPolicy::AcceptNew));
        assert_eq!("strict".parse(), Ok(HostKeyPolicy::Strict));
        assert!("no".parse::<HostKeyPolicy>().is_err());
    }
}
