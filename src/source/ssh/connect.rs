//! Opens an authenticated session to a target, directly or through its jump hosts, with the
//! host key checked before any credential is offered.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::fd::OwnedFd;
use std::time::Duration;

use ssh2::Session;

use super::auth::{self, Credentials};
use super::error::Failure;
use super::hostkey::{self, HostKeyPolicy};
use super::phase::{self, Phase};
use super::relay::Relay;
use super::target::SshTarget;
use crate::source::ErrorKind;

/// Bounds a keepalive round trip once the tail runs.
pub(crate) const KEEPALIVE_TIMEOUT_MS: u32 = 15_000;
/// How often an idle session sends a keepalive: NAT gateways and load balancers drop idle flows
/// after a few minutes, and a probe is what exposes a dead peer.
pub(crate) const KEEPALIVE_SECS: u32 = 15;
/// Unacknowledged data (a keepalive) older than this makes the kernel drop the connection, so
/// a silently dead peer is noticed in about a minute rather than TCP's usual fifteen.
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(45);

/// An authenticated session, and what keeps its transport alive.
pub(crate) struct Connection {
    pub session: Session,
    /// A duplicate of the session's socket, for waiting on it with poll(2).
    pub socket: OwnedFd,
    /// Set for a target reached through a jump host; dropped after the session.
    _relay: Option<Relay>,
}

impl Drop for Connection {
    /// Freeing a blocking session whose peer has died can wait forever (ssh2-rs #165); a
    /// non-blocking one gives up at once.
    fn drop(&mut self) {
        self.session.set_blocking(false);
    }
}

/// Connects to `target` (through its jump chain), checks its host key and logs in; `say` is
/// told what each phase waits for, as it starts.
pub(crate) fn connect(
    target: &SshTarget,
    creds: &Credentials,
    policy: HostKeyPolicy,
    say: &dyn Fn(String),
) -> Result<Connection, Failure> {
    let mut conn = match &target.jump {
        None => {
            say(Phase::Connect.waiting(target));
            let tcp = tcp_connect(&target.host, target.port)?;
            let socket = dup(tcp.try_clone())?;
            let mut session = new_session()?;
            session.set_tcp_stream(tcp);
            Connection {
                session,
                socket,
                _relay: None,
            }
        }
        Some(jump) => {
            let bastion = connect(jump, creds, policy, say)?;
            say(Phase::Connect.waiting(target));
            let (relay, local) =
                Relay::start(bastion, &target.host, target.port, &jump.describe())?;
            let socket = dup(local.try_clone())?;
            let mut session = new_session()?;
            session.set_tcp_stream(local);
            Connection {
                session,
                socket,
                _relay: Some(relay),
            }
        }
    };
    let session = &mut conn.session;
    say(Phase::Greeting.waiting(target));
    session.set_timeout(Phase::Greeting.limit_ms());
    hostkey::prefer_recorded_types(session, &target.host, target.port, &target.known_hosts);
    session.handshake().map_err(|e| {
        if phase::timed_out(&e) {
            return Phase::Greeting.timed_out(target);
        }
        Failure::transient(
            ErrorKind::Network,
            format!(
                "SSH handshake with {} failed: {}",
                target.describe(),
                e.message()
            ),
        )
    })?;
    // The name checked is the one asked for, not the relay's loopback end.
    hostkey::verify(
        session,
        &target.host,
        target.port,
        &target.known_hosts,
        policy,
    )?;
    say(Phase::Login.waiting(target));
    session.set_timeout(Phase::Login.limit_ms());
    auth::authenticate(
        session,
        &target.user,
        &target.describe(),
        &target.identity_files,
        target.identity_files_explicit,
        creds,
    )
    .map_err(|f| match f.error.kind {
        ErrorKind::Timeout => Phase::Login.timed_out(target),
        _ => f,
    })?;
    session.set_keepalive(true, KEEPALIVE_SECS);
    Ok(conn)
}

fn new_session() -> Result<Session, Failure> {
    Session::new().map_err(|e| {
        Failure::permanent(
            ErrorKind::Other,
            format!("can't start an SSH session: {}", e.message()),
        )
    })
}

/// A second handle on a session's socket (the session owns the first).
fn dup<T: Into<OwnedFd>>(clone: std::io::Result<T>) -> Result<OwnedFd, Failure> {
    clone
        .map(Into::into)
        .map_err(|e| Failure::transient(ErrorKind::Other, format!("can't duplicate a socket: {e}")))
}

fn tcp_connect(host: &str, port: u16) -> Result<TcpStream, Failure> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| Failure::transient(ErrorKind::Network, format!("can't resolve {host}: {e}")))?
        .collect();
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, Phase::Connect.limit()) {
            Ok(s) => {
                tune(&s);
                return Ok(s);
            }
            Err(e) => last = Some((addr, e)),
        }
    }
    Err(match last {
        None => Failure::transient(ErrorKind::Network, format!("{host} resolves to no address")),
        Some((addr, e)) => {
            let (kind, hint) = match e.kind() {
                std::io::ErrorKind::ConnectionRefused => (
                    ErrorKind::Network,
                    " (is sshd running there, and is the port right?)",
                ),
                std::io::ErrorKind::TimedOut => (
                    ErrorKind::Timeout,
                    " (host down, or a security group or firewall dropping SSH?)",
                ),
                _ => (ErrorKind::Network, ""),
            };
            Failure::transient(
                kind,
                format!("can't connect to {host} ({addr}) port {port}: {e}{hint}"),
            )
        }
    })
}

/// TCP keepalive and a user timeout: the kernel-side half of noticing a dead peer.
fn tune(s: &TcpStream) {
    let _ = s.set_nodelay(true);
    let sock = socket2::SockRef::from(s);
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(Duration::from_secs(30))
        .with_interval(Duration::from_secs(10));
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "macos"))]
    let keepalive = keepalive.with_retries(3);
    if let Err(e) = sock.set_tcp_keepalive(&keepalive) {
        tracing::debug!(error = %e, "couldn't set TCP keepalive");
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Err(e) = sock.set_tcp_user_timeout(Some(TCP_USER_TIMEOUT)) {
        tracing::debug!(error = %e, "couldn't set TCP_USER_TIMEOUT");
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = TCP_USER_TIMEOUT;
}
