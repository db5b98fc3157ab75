//! Where to connect and as whom: a `[[log]]` entry's fields, completed from `~/.ssh/config`
//! (Host, HostName, User, Port, IdentityFile, ProxyJump) the way `ssh` would.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use directories::BaseDirs;
use ssh2_config::{HostParams, ParseRule, SshConfig};

use super::hostkey::{KnownHostsFiles, host_pattern};
use crate::source::{ErrorKind, SourceError};

/// Longest ProxyJump chain followed, so a config that jumps through itself fails clearly.
const MAX_JUMPS: usize = 8;

/// Key files tried when none is configured, in OpenSSH's order (DSA is long obsolete).
const DEFAULT_KEYS: &[&str] = &["id_ed25519", "id_ecdsa", "id_rsa"];

/// One SSH endpoint, fully resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshTarget {
    /// The address connected to; also the name its host key is checked under.
    pub host: String,
    pub port: u16,
    pub user: String,
    /// Tried in order after the agent's identities.
    pub identity_files: Vec<PathBuf>,
    /// False when `identity_files` are the `~/.ssh/id_*` defaults (missing ones are then not
    /// worth mentioning).
    pub identity_files_explicit: bool,
    pub known_hosts: KnownHostsFiles,
    /// Reached through this host (a bastion), which may itself have one.
    pub jump: Option<Box<SshTarget>>,
}

impl SshTarget {
    /// A target with OpenSSH's defaults: port 22, `~/.ssh/id_*` keys, `~/.ssh/known_hosts`.
    pub fn new(host: impl Into<String>, user: impl Into<String>) -> Result<Self, SourceError> {
        let host = host.into();
        check_host(&host)?;
        Ok(SshTarget {
            host,
            port: 22,
            user: user.into(),
            identity_files: default_identity_files(),
            identity_files_explicit: false,
            known_hosts: default_known_hosts()?,
            jump: None,
        })
    }

    /// `user@host:port`, with the jump chain: for messages.
    pub fn describe(&self) -> String {
        let me = format!("{}@{}", self.user, host_pattern(&self.host, self.port));
        match &self.jump {
            Some(j) => format!("{me} via {}", j.describe()),
            None => me,
        }
    }
}

/// Which ssh client config file to honour.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SshConfigSource {
    /// `~/.ssh/config`, when it exists.
    #[default]
    Default,
    /// This file (it must exist).
    File(PathBuf),
    /// None at all.
    Disabled,
}

/// Settings given explicitly (a `[[log]]` entry); they win over `~/.ssh/config`, as options on
/// `ssh`'s command line do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetOverrides {
    pub port: Option<u16>,
    pub user: Option<String>,
    pub identity_file: Option<PathBuf>,
    pub known_hosts: Option<PathBuf>,
    /// As for `ssh -J`: `[user@]host[:port]`, comma-separated for a chain, or `none`.
    pub jump: Option<String>,
}

/// Resolves `host` (a name, an address, or a `Host` alias from the ssh config) into a target.
///
/// A jump host inherits the known_hosts files and, unless the ssh config names keys for it, the
/// explicit `identity_file`.
pub fn resolve_target(
    host: &str,
    over: &TargetOverrides,
    ssh_config: &SshConfigSource,
) -> Result<SshTarget, SourceError> {
    let config = load_ssh_config(ssh_config)?;
    resolve(host, over, config.as_ref(), 0)
}

fn resolve(
    alias: &str,
    over: &TargetOverrides,
    config: Option<&SshConfig>,
    depth: usize,
) -> Result<SshTarget, SourceError> {
    if depth > MAX_JUMPS {
        return Err(invalid(format!(
            "more than {MAX_JUMPS} jump hosts reaching {alias}: is ProxyJump looping?"
        )));
    }
    check_host(alias)?;
    let params = config.map(|c| c.query(alias));
    let params = params.as_ref();
    let host = match params.and_then(|p| p.host_name.as_deref()) {
        Some(name) => expand_host_name(name, alias),
        None => alias.to_string(),
    };
    check_host(&host)?;
    let port = over
        .port
        .or_else(|| params.and_then(|p| p.port))
        .unwrap_or(22);
    let user = match over
        .user
        .clone()
        .or_else(|| params.and_then(|p| p.user.clone()))
    {
        Some(u) => u,
        None => local_user()?,
    };
    let (identity_files, identity_files_explicit) = match (&over.identity_file, params) {
        (Some(f), _) => (vec![f.clone()], true),
        (
            None,
            Some(HostParams {
                identity_file: Some(files),
                ..
            }),
        ) if !files.is_empty() => (files.clone(), true),
        _ => (default_identity_files(), false),
    };
    let known_hosts = match &over.known_hosts {
        Some(f) => KnownHostsFiles::only(f.clone()),
        None => default_known_hosts()?,
    };
    let jump_spec = over.jump.clone().or_else(|| {
        params
            .and_then(|p| p.proxy_jump.as_ref())
            .map(|hops| hops.join(","))
    });
    let mut target = SshTarget {
        host,
        port,
        user,
        identity_files,
        identity_files_explicit,
        known_hosts,
        jump: None,
    };
    if let Some(spec) = jump_spec.filter(|s| !s.trim().eq_ignore_ascii_case("none")) {
        target.jump = resolve_jumps(&spec, &target, over, config, depth)?;
    }
    Ok(target)
}

/// `a,b` means: reach `a`, from it reach `b`, from `b` reach the target.
fn resolve_jumps(
    spec: &str,
    parent: &SshTarget,
    over: &TargetOverrides,
    config: Option<&SshConfig>,
    depth: usize,
) -> Result<Option<Box<SshTarget>>, SourceError> {
    let hops: Vec<&str> = spec
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let chained = hops.len() > 1;
    let mut previous: Option<Box<SshTarget>> = None;
    for hop in hops {
        let (user, host, port) = parse_jump(hop)?;
        let hop_over = TargetOverrides {
            port,
            user,
            identity_file: None,
            known_hosts: over.known_hosts.clone(),
            // In a written chain the previous hop is the way in; otherwise the hop's own
            // ProxyJump (from the ssh config) applies.
            jump: chained.then(|| "none".to_string()),
        };
        let mut t = resolve(&host, &hop_over, config, depth + 1)?;
        if !t.identity_files_explicit && parent.identity_files_explicit {
            t.identity_files = parent.identity_files.clone();
            t.identity_files_explicit = true;
        }
        if chained {
            t.jump = previous.take();
        }
        previous = Some(Box::new(t));
    }
    Ok(previous)
}

/// `[user@]host[:port]`, `[user@][v6addr]:port`, or `ssh://[user@]host[:port]`.
fn parse_jump(spec: &str) -> Result<(Option<String>, String, Option<u16>), SourceError> {
    let spec = spec.strip_prefix("ssh://").unwrap_or(spec);
    let (user, rest) = match spec.rsplit_once('@') {
        Some((u, r)) if !u.is_empty() => (Some(u.to_string()), r),
        Some(_) => return Err(invalid(format!("jump host {spec:?} has an empty user"))),
        None => (None, spec),
    };
    let bad_port = |p: &str| invalid(format!("jump host {spec:?}: {p:?} is not a port"));
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (addr, after) = v6
            .split_once(']')
            .ok_or_else(|| invalid(format!("jump host {spec:?}: missing ']'")))?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse::<u16>().map_err(|_| bad_port(p))?),
            None if after.is_empty() => None,
            None => return Err(bad_port(after)),
        };
        (addr.to_string(), port)
    } else if rest.matches(':').count() == 1 {
        let (h, p) = rest.split_once(':').unwrap_or((rest, ""));
        (
            h.to_string(),
            Some(p.parse::<u16>().map_err(|_| bad_port(p))?),
        )
    } else {
        (rest.to_string(), None)
    };
    if port == Some(0) {
        return Err(bad_port("0"));
    }
    check_host(&host)?;
    Ok((user, host, port))
}

/// `%h` (the name as given) and `%%` in a HostName, as OpenSSH expands them.
fn expand_host_name(name: &str, alias: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut chars = name.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('h') => out.push_str(alias),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// Host names end up in known_hosts lines, error messages and C strings: keep them plain.
fn check_host(host: &str) -> Result<(), SourceError> {
    let ok = !host.is_empty()
        && !host.starts_with('-')
        && !host
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\0');
    if ok {
        Ok(())
    } else {
        Err(invalid(format!("{host:?} is not a usable host name")))
    }
}

fn invalid(message: String) -> SourceError {
    SourceError::new(ErrorKind::Other, message)
}

fn home() -> Option<PathBuf> {
    BaseDirs::new().map(|b| b.home_dir().to_path_buf())
}

/// Who `ssh` would log in as: `$USER`, `$LOGNAME`, else this process's passwd entry (services
/// and containers often run without either variable).
fn local_user() -> Result<String, SourceError> {
    ["USER", "LOGNAME"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|u| !u.is_empty())
        .or_else(passwd_user)
        .ok_or_else(|| invalid("no SSH user: set `user` in the [[log]] entry".to_string()))
}

#[cfg(target_os = "linux")]
fn passwd_user() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's (effective) user: its uid without libc.
    let uid = std::fs::metadata("/proc/self").ok()?.uid().to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)? == uid && !name.is_empty()).then(|| name.to_string())
    })
}

#[cfg(not(target_os = "linux"))]
fn passwd_user() -> Option<String> {
    None
}

fn default_identity_files() -> Vec<PathBuf> {
    match home() {
        Some(h) => DEFAULT_KEYS
            .iter()
            .map(|k| h.join(".ssh").join(k))
            .collect(),
        None => Vec::new(),
    }
}

fn default_known_hosts() -> Result<KnownHostsFiles, SourceError> {
    let user = home()
        .map(|h| h.join(".ssh").join("known_hosts"))
        .ok_or_else(|| {
            invalid("no home directory: set `known_hosts` in the [[log]] entry".to_string())
        })?;
    Ok(KnownHostsFiles {
        user,
        global: vec![PathBuf::from("/etc/ssh/ssh_known_hosts")],
    })
}

fn load_ssh_config(source: &SshConfigSource) -> Result<Option<SshConfig>, SourceError> {
    let path = match source {
        SshConfigSource::Disabled => return Ok(None),
        SshConfigSource::File(p) => p.clone(),
        SshConfigSource::Default => match home() {
            Some(h) if h.join(".ssh/config").is_file() => h.join(".ssh/config"),
            _ => return Ok(None),
        },
    };
    parse_ssh_config(&path).map(Some)
}

/// Parses leniently: options this client doesn't use must not make the whole file unusable.
fn parse_ssh_config(path: &Path) -> Result<SshConfig, SourceError> {
    let file = File::open(path)
        .map_err(|e| invalid(format!("can't open ssh config {}: {e}", path.display())))?;
    let mut config = SshConfig::default();
    if let Some(h) = home() {
        config = config.home_dir(h);
    }
    config
        .parse(
            &mut BufReader::new(file),
            ParseRule::ALLOW_UNKNOWN_FIELDS | ParseRule::ALLOW_UNSUPPORTED_FIELDS,
        )
        .map_err(|e| invalid(format!("can't parse ssh config {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_config(text: &str) -> (tempfile::TempDir, SshConfigSource) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let path = dir.path().join("config");
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write: {e}"));
        (dir, SshConfigSource::File(path))
    }

    fn over() -> TargetOverrides {
        TargetOverrides {
            user: Some("ops".into()),
            known_hosts: Some("/tmp/kh".into()),
            ..TargetOverrides::default()
        }
    }

    #[test]
    fn jump_specs_parse() {
        assert_eq!(
            parse_jump("ec2-user@bastion:2222").ok(),
            Some((Some("ec2-user".into()), "bastion".into(), Some(2222)))
        );
        assert_eq!(
            parse_jump("bastion").ok(),
            Some((None, "bastion".into(), None))
        );
        assert_eq!(
            parse_jump("ssh://a@[::1]:22").ok(),
            Some((Some("a".into()), "::1".into(), Some(22)))
        );
        assert!(parse_jump("b:notaport").is_err());
        assert!(parse_jump("@b").is_err());
        assert!(parse_jump("-oProxyCommand=x").is_err());
    }

    #[test]
    fn ssh_config_fills_what_the_entry_leaves_out() {
        let (_d, src) = with_config(
            "Host web1\n  HostName 10.1.2.3\n  Port 2200\n  User deploy\n  IdentityFile /k/web\n  \
             ProxyJump jumper@bastion:2022\n\nHost bastion\n  HostName bastion.example.com\n",
        );
        let o = TargetOverrides {
            known_hosts: Some("/tmp/kh".into()),
            ..TargetOverrides::default()
        };
        let t = resolve_target("web1", &o, &src).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (t.host.as_str(), t.port, t.user.as_str()),
            ("10.1.2.3", 2200, "deploy")
        );
        assert_eq!(t.identity_files, vec![PathBuf::from("/k/web")]);
        let j = t.jump.as_deref().unwrap_or_else(|| panic!("no jump"));
        assert_eq!(
            (j.host.as_str(), j.port, j.user.as_str()),
            ("bastion.example.com", 2022, "jumper")
        );
        // The bastion inherits the explicit key and the known_hosts file.
        assert_eq!(j.identity_files, vec![PathBuf::from("/k/web")]);
        assert_eq!(j.known_hosts, KnownHostsFiles::only("/tmp/kh"));
        assert_eq!(
            t.describe(),
            "deploy@[10.1.2.3]:2200 via jumper@[bastion.example.com]:2022"
        );
    }

    #[test]
    fn the_entry_wins_over_ssh_config() {
        let (_d, src) = with_config("Host *\n  User nobody\n  Port 2200\n  ProxyJump b\n");
        let o = TargetOverrides {
            port: Some(22),
            identity_file: Some("/k/mine".into()),
            jump: Some("none".into()),
            ..over()
        };
        let t = resolve_target("10.0.0.9", &o, &src).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((t.port, t.user.as_str()), (22, "ops"));
        assert_eq!(t.identity_files, vec![PathBuf::from("/k/mine")]);
        assert!(t.jump.is_none());
    }

    #[test]
    fn written_chains_go_in_order_and_loops_are_caught() {
        let t = resolve_target(
            "target",
            &TargetOverrides {
                jump: Some("a,b:2".into()),
                ..over()
            },
            &SshConfigSource::Disabled,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let b = t.jump.as_deref().unwrap_or_else(|| panic!("no b"));
        let a = b.jump.as_deref().unwrap_or_else(|| panic!("no a"));
        assert_eq!((b.host.as_str(), b.port, a.host.as_str()), ("b", 2, "a"));
        assert!(a.jump.is_none());

        let (_d, src) = with_config("Host loop\n  ProxyJump loop\n");
        let err = resolve_target("loop", &over(), &src).err();
        assert!(err.is_some_and(|e| e.message.contains("looping")));
    }

    #[test]
    fn host_name_tokens_expand() {
        assert_eq!(expand_host_name("%h.internal", "web"), "web.internal");
        assert_eq!(expand_host_name("100%%", "x"), "100%");
    }
}
