//! The steps of reaching a log, each with its own time limit, named while the tail waits and
//! when it gives up: a host that accepts the connection and never speaks SSH (a hung sshd, a
//! tarpit, a firewall holding the flow) must not leave the panel "waiting for lines…" forever.

use std::time::Duration;

use super::error::Failure;
use super::target::SshTarget;
use crate::source::ErrorKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// The TCP connection.
    Connect,
    /// The server's SSH greeting, the key exchange and its host key.
    Greeting,
    /// Authentication (time spent waiting for the operator's passphrase does not count).
    Login,
    /// Opening a channel and starting `tail` in it.
    OpenTail,
}

impl Phase {
    /// How long one blocking step of the phase may wait for the host.
    pub fn limit(self) -> Duration {
        match self {
            Phase::Connect => Duration::from_secs(10),
            Phase::Greeting | Phase::Login | Phase::OpenTail => Duration::from_secs(15),
        }
    }

    /// The limit as libssh2 takes it.
    pub fn limit_ms(self) -> u32 {
        u32::try_from(self.limit().as_millis()).unwrap_or(u32::MAX)
    }

    /// What the tail is waiting for, for the panel while it waits.
    pub fn waiting(self, target: &SshTarget) -> String {
        let at = address(target);
        let secs = self.limit().as_secs();
        match self {
            Phase::Connect => format!("connecting to {at} (up to {secs} s)"),
            Phase::Greeting => format!("waiting for the SSH greeting from {at} (up to {secs} s)"),
            Phase::Login => format!("logging in to {at} as {} (up to {secs} s)", target.user),
            Phase::OpenTail => format!("starting tail on {at} (up to {secs} s)"),
        }
    }

    /// Giving up on the phase after its limit: worth retrying, as the host may recover.
    pub fn timed_out(self, target: &SshTarget) -> Failure {
        let at = address(target);
        let secs = self.limit().as_secs();
        let text = match self {
            Phase::Connect => format!(
                "{at}: no TCP connection within {secs} s (host down, or a security group or \
                 firewall dropping SSH?)"
            ),
            Phase::Greeting => format!(
                "{at} accepted the connection but sent no SSH greeting within {secs} s (a hung \
                 sshd, a tarpit, or a firewall holding the connection?)"
            ),
            Phase::Login => format!(
                "{at} did not answer the login as {} within {secs} s",
                target.user
            ),
            Phase::OpenTail => format!("{at} did not start tail within {secs} s"),
        };
        Failure::transient(ErrorKind::Timeout, text)
    }
}

/// `host:port`, and the jump hosts it is reached through.
pub(crate) fn address(target: &SshTarget) -> String {
    let host = if target.host.contains(':') {
        format!("[{}]:{}", target.host, target.port)
    } else {
        format!("{}:{}", target.host, target.port)
    };
    match &target.jump {
        Some(j) => format!("{host} via {}", address(j)),
        None => host,
    }
}

/// libssh2's `LIBSSH2_ERROR_TIMEOUT`: a blocking call ran past the session's timeout.
const LIBSSH2_ERROR_TIMEOUT: i32 = -9;

/// Whether a session call gave up because the host said nothing in time.
pub(crate) fn timed_out(e: &ssh2::Error) -> bool {
    super::error::session_code(e) == Some(LIBSSH2_ERROR_TIMEOUT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(host: &str, port: u16, jump: Option<SshTarget>) -> SshTarget {
        let Ok(mut t) = SshTarget::new(host, "ec2-user") else {
            panic!("{host} is a usable host");
        };
        t.port = port;
        t.jump = jump.map(Box::new);
        t
    }

    #[test]
    fn names_host_port_and_the_way_there() {
        let bastion = target("bastion.example.com", 22, None);
        let web = target("10.0.1.5", 2222, Some(bastion));
        assert_eq!(address(&web), "10.0.1.5:2222 via bastion.example.com:22");
        assert_eq!(address(&target("fe80::1", 22, None)), "[fe80::1]:22");
        assert_eq!(
            Phase::Greeting.waiting(&web),
            "waiting for the SSH greeting from 10.0.1.5:2222 via bastion.example.com:22 (up to 15 s)"
        );
        let failure = Phase::Greeting.timed_out(&web);
        assert!(failure.retry);
        assert_eq!(failure.error.kind, ErrorKind::Timeout);
        assert!(
            failure
                .error
                .message
                .contains("sent no SSH greeting within 15 s")
        );
    }

    #[test]
    fn every_phase_ends_well_within_half_a_minute() {
        for phase in [
            Phase::Connect,
            Phase::Greeting,
            Phase::Login,
            Phase::OpenTail,
        ] {
            assert!(phase.limit() <= Duration::from_secs(15), "{phase:?}");
        }
    }
}
