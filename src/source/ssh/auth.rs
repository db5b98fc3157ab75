//! Public-key authentication: every identity in the ssh-agent, then key files, asking for a
//! passphrase only when a key file is actually encrypted.

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ssh2::Session;

use super::error::{Failure, LIBSSH2_ERROR_FILE, LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED, session_code};
use super::phase;
use crate::source::ErrorKind;

/// Where the ssh-agent is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AgentSource {
    /// `$SSH_AUTH_SOCK`, read when connecting.
    #[default]
    FromEnv,
    /// This socket (no process-wide environment involved).
    Socket(PathBuf),
    /// Don't use an agent.
    Disabled,
}

/// Supplies the passphrase of an encrypted key file, e.g. by asking the operator. Called on the
/// tail's own thread, so it may block until the answer comes; `None` means "no passphrase".
pub trait PassphraseProvider: Send + Sync {
    fn passphrase(&self, key_file: &Path) -> Option<String>;
}

/// The same passphrase for every key.
struct FixedPassphrase(String);

impl PassphraseProvider for FixedPassphrase {
    fn passphrase(&self, _key_file: &Path) -> Option<String> {
        Some(self.0.clone())
    }
}

/// A provider that always answers `passphrase`.
pub fn fixed_passphrase(passphrase: impl Into<String>) -> Arc<dyn PassphraseProvider> {
    Arc::new(FixedPassphrase(passphrase.into()))
}

/// Everything needed to log in, shared by the reconnects of one tail so a passphrase is asked
/// for once.
#[derive(Clone, Default)]
pub(crate) struct Credentials {
    pub agent: AgentSource,
    pub passphrase: Option<Arc<dyn PassphraseProvider>>,
    accepted: Arc<Mutex<HashMap<PathBuf, String>>>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("agent", &self.agent)
            .field(
                "passphrase",
                &self.passphrase.as_ref().map(|_| "<provider>"),
            )
            .finish()
    }
}

impl Credentials {
    pub fn new(agent: AgentSource, passphrase: Option<Arc<dyn PassphraseProvider>>) -> Self {
        Credentials {
            agent,
            passphrase,
            accepted: Arc::default(),
        }
    }

    fn agent_socket(&self) -> Option<PathBuf> {
        match &self.agent {
            AgentSource::FromEnv => std::env::var_os("SSH_AUTH_SOCK")
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
            AgentSource::Socket(p) => Some(p.clone()),
            AgentSource::Disabled => None,
        }
    }

    fn remembered(&self, key: &Path) -> Option<String> {
        self.accepted.lock().ok()?.get(key).cloned()
    }

    fn remember(&self, key: &Path, passphrase: String) {
        if let Ok(mut m) = self.accepted.lock() {
            m.insert(key.to_path_buf(), passphrase);
        }
    }
}

/// Logs `user` in with the agent's identities, then `key_files` (missing ones are skipped).
/// `key_files_explicit` makes a missing file worth mentioning in the error.
pub(crate) fn authenticate(
    session: &Session,
    user: &str,
    where_: &str,
    key_files: &[PathBuf],
    key_files_explicit: bool,
    creds: &Credentials,
) -> Result<(), Failure> {
    let mut tried: Vec<String> = Vec::new();
    let mut locked: Vec<&Path> = Vec::new();

    if let Some(sock) = creds.agent_socket() {
        match try_agent(session, user, &sock) {
            Ok(true) => return Ok(()),
            Ok(false) => tried.push(format!("the agent at {}", sock.display())),
            Err(AgentFailure::TimedOut) => return Err(login_timed_out(where_)),
            Err(AgentFailure::Other(why)) => {
                tried.push(format!("the agent at {} ({why})", sock.display()))
            }
        }
    }

    for key in key_files {
        if !key.exists() {
            if key_files_explicit {
                tried.push(format!("{} (no such file)", key.display()));
            }
            continue;
        }
        let encrypted = match key_is_encrypted(key) {
            Ok(e) => e,
            Err(why) => {
                tried.push(format!("{} ({why})", key.display()));
                continue;
            }
        };
        let passphrase = if encrypted {
            let known = creds.remembered(key);
            match known.or_else(|| creds.passphrase.as_ref()?.passphrase(key)) {
                Some(p) => Some(p),
                None => {
                    locked.push(key);
                    continue;
                }
            }
        } else {
            None
        };
        // For an encrypted key, no `.pub`: libssh2 then derives the public key by decrypting,
        // so a wrong passphrase fails here with its own code instead of as a refused signature.
        let public = if encrypted {
            None
        } else {
            public_key_beside(key)
        };
        match session.userauth_pubkey_file(user, public.as_deref(), key, passphrase.as_deref()) {
            Ok(()) if session.authenticated() => {
                if let Some(p) = passphrase {
                    creds.remember(key, p);
                }
                return Ok(());
            }
            Ok(()) => tried.push(key.display().to_string()),
            Err(e) if encrypted && wrong_passphrase(&e) => {
                return Err(Failure::permanent(
                    ErrorKind::AccessDenied,
                    format!(
                        "wrong passphrase for key {} (logging in to {where_})",
                        key.display()
                    ),
                ));
            }
            Err(e) if phase::timed_out(&e) => return Err(login_timed_out(where_)),
            Err(e) => tried.push(format!("{} ({})", key.display(), e.message())),
        }
    }

    if tried.is_empty() && !locked.is_empty() {
        let keys: Vec<String> = locked.iter().map(|k| k.display().to_string()).collect();
        return Err(Failure::permanent(
            ErrorKind::AccessDenied,
            format!(
                "key {} needs a passphrase to log in to {where_}: enter it when asked, or add the \
                 key to ssh-agent (`ssh-add {}`)",
                keys.join(", "),
                keys.first().map(String::as_str).unwrap_or_default()
            ),
        ));
    }
    for key in locked {
        tried.push(format!("{} (needs a passphrase)", key.display()));
    }
    let tried = if tried.is_empty() {
        "no agent and no key files".to_string()
    } else {
        tried.join(", ")
    };
    Err(Failure::permanent(
        ErrorKind::AccessDenied,
        format!(
            "authentication as {user} to {where_} failed; tried {tried}. Set identity_file in the \
             [[log]] entry, add the key to ssh-agent, or check the user name and the host's \
             authorized_keys"
        ),
    ))
}

/// How libssh2 reports an encrypted key it couldn't open (or, had it been given the public key,
/// couldn't sign with).
fn wrong_passphrase(e: &ssh2::Error) -> bool {
    match session_code(e) {
        Some(LIBSSH2_ERROR_FILE) => true,
        Some(LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED) => e.message().contains("Callback returned error"),
        _ => false,
    }
}

/// Offers each agent identity in turn: `userauth_agent` stops after the first one.
/// Why the agent could not log in.
enum AgentFailure {
    /// The host stopped answering: trying more keys would only wait longer.
    TimedOut,
    Other(String),
}

fn other(e: ssh2::Error) -> AgentFailure {
    AgentFailure::Other(e.message().to_string())
}

/// The host did not answer a login step in time (the caller names the phase and its limit).
fn login_timed_out(where_: &str) -> Failure {
    Failure::transient(
        ErrorKind::Timeout,
        format!("logging in to {where_} timed out"),
    )
}

fn try_agent(session: &Session, user: &str, sock: &Path) -> Result<bool, AgentFailure> {
    let mut agent = session.agent().map_err(other)?;
    agent.set_identity_path(sock).map_err(other)?;
    agent.connect().map_err(other)?;
    let result = (|| {
        agent.list_identities().map_err(other)?;
        let ids = agent.identities().map_err(other)?;
        if ids.is_empty() {
            return Err(AgentFailure::Other("it holds no keys".to_string()));
        }
        for id in &ids {
            match agent.userauth(user, id) {
                Ok(()) if session.authenticated() => return Ok(true),
                Err(e) if phase::timed_out(&e) => return Err(AgentFailure::TimedOut),
                _ => {}
            }
        }
        Ok(false)
    })();
    let _ = agent.disconnect();
    result
}

/// `key.pub`, if it exists: saves libssh2 deriving the public key from the private one.
fn public_key_beside(key: &Path) -> Option<PathBuf> {
    let mut name = key.file_name()?.to_os_string();
    name.push(".pub");
    let public = key.with_file_name(name);
    public.is_file().then_some(public)
}

/// Whether a private key file is passphrase-protected, so the operator is asked only when it
/// matters and a missing passphrase gets its own error.
pub(crate) fn key_is_encrypted(path: &Path) -> Result<bool, String> {
    let meta = fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > 1024 * 1024 {
        return Err("too large for a private key".to_string());
    }
    let text = fs::read_to_string(path).map_err(|e| e.to_string())?;
    Ok(text_is_encrypted(&text))
}

fn text_is_encrypted(text: &str) -> bool {
    const OPENSSH_BEGIN: &str = "-----BEGIN OPENSSH PRIVATE KEY-----";
    if let Some(start) = text.find(OPENSSH_BEGIN) {
        let body: String = text[start + OPENSSH_BEGIN.len()..]
            .lines()
            .take_while(|l| !l.starts_with("-----END"))
            .map(str::trim)
            .collect();
        return match STANDARD.decode(body) {
            Ok(blob) => openssh_cipher(&blob).is_some_and(|c| c != b"none"),
            Err(_) => false,
        };
    }
    text.contains("Proc-Type: 4,ENCRYPTED") || text.contains("BEGIN ENCRYPTED PRIVATE KEY")
}

/// The cipher name in an `openssh-key-v1` blob ("none" when unencrypted).
fn openssh_cipher(blob: &[u8]) -> Option<&[u8]> {
    let rest = blob.strip_prefix(b"openssh-key-v1\0")?;
    let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    rest.get(4..4 + len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn openssh_pem(cipher: &str) -> String {
        let mut blob = b"openssh-key-v1\0".to_vec();
        blob.extend_from_slice(&(cipher.len() as u32).to_be_bytes());
        blob.extend_from_slice(cipher.as_bytes());
        blob.extend_from_slice(&[0; 16]);
        format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
            STANDARD.encode(blob)
        )
    }

    #[test]
    fn encrypted_keys_are_recognised() {
        assert!(text_is_encrypted(&openssh_pem("aes256-ctr")));
        assert!(!text_is_encrypted(&openssh_pem("none")));
        assert!(text_is_encrypted(
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
        ));
        assert!(!text_is_encrypted(
            "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n"
        ));
        assert!(!text_is_encrypted("garbage"));
    }
}
