//! Carries a target's SSH session through a jump host: libssh2 needs a real socket, so one end
//! of a socket pair goes to the target's session and a thread pumps the other end to and from a
//! `direct-tcpip` channel on the bastion's session.
//!
//! A socket pair rather than a loopback listener: nothing else on the machine can connect to it
//! before we do.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use ssh2::{BlockDirections, Channel};

use super::connect::Connection;
use super::error::Failure;
use crate::source::ErrorKind;

/// How long the pump sleeps at most before checking whether it should stop.
const IDLE_WAIT: Timespec = Timespec {
    tv_sec: 0,
    tv_nsec: 500_000_000,
};

/// The running pump; dropping it asks the thread to finish (it also finishes when either side
/// closes).
pub(crate) struct Relay {
    stop: Arc<AtomicBool>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Relay {
    /// Opens `host`:`port` from the bastion and returns the socket to run the target's session
    /// over.
    pub fn start(
        bastion: Connection,
        host: &str,
        port: u16,
        via: &str,
    ) -> Result<(Relay, UnixStream), Failure> {
        let channel = bastion
            .session
            .channel_direct_tcpip(host, port, None)
            .map_err(|e| {
                let msg = e.message();
                if msg.contains("prohibited") {
                    Failure::permanent(
                        ErrorKind::AccessDenied,
                        format!(
                            "jump host {via} refused to forward to {host}:{port} ({msg}): its \
                             sshd needs `AllowTcpForwarding yes` for this user"
                        ),
                    )
                } else {
                    Failure::transient(
                        ErrorKind::Network,
                        format!("jump host {via} couldn't reach {host}:{port}: {msg}"),
                    )
                }
            })?;
        let io_failure =
            |e: io::Error| Failure::transient(ErrorKind::Other, format!("relay setup: {e}"));
        let (ours, theirs) = UnixStream::pair().map_err(io_failure)?;
        ours.set_nonblocking(true).map_err(io_failure)?;
        bastion.session.set_blocking(false);
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        thread::Builder::new()
            .name("opsc-ssh-relay".into())
            .spawn(move || pump(bastion, channel, ours, &flag))
            .map_err(io_failure)?;
        Ok((Relay { stop }, theirs))
    }
}

fn would_block(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}

/// Copies both ways on one thread: the bastion session is one lock, so a second thread would
/// only wait for it. Ends when either side closes, fails, or `stop` is set.
fn pump(bastion: Connection, mut channel: Channel, mut local: UnixStream, stop: &AtomicBool) {
    // libssh2 wants a write that would block retried with the same bytes, so `up` only refills
    // once empty.
    let mut up: Vec<u8> = Vec::new();
    let mut down: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 32 * 1024];
    let (mut local_eof, mut remote_eof) = (false, false);
    let outcome: Result<(), String> = loop {
        if stop.load(Ordering::Relaxed) {
            break Ok(());
        }
        let mut progressed = false;
        if up.is_empty() && !local_eof {
            match local.read(&mut buf) {
                Ok(0) => {
                    local_eof = true;
                    progressed = true;
                }
                Ok(n) => {
                    up.extend_from_slice(&buf[..n]);
                    progressed = true;
                }
                Err(e) if would_block(&e) => {}
                Err(e) => break Err(format!("local end: {e}")),
            }
        }
        if !up.is_empty() {
            match channel.write(&up) {
                Ok(n) => {
                    up.drain(..n);
                    progressed = true;
                }
                Err(e) if would_block(&e) => {}
                Err(e) => break Err(format!("writing to the jump host: {e}")),
            }
        }
        if down.is_empty() && !remote_eof {
            match channel.read(&mut buf) {
                Ok(0) => {
                    remote_eof = true;
                    progressed = true;
                }
                Ok(n) => {
                    down.extend_from_slice(&buf[..n]);
                    progressed = true;
                }
                Err(e) if would_block(&e) => {}
                Err(e) => break Err(format!("reading from the jump host: {e}")),
            }
        }
        if !down.is_empty() {
            match local.write(&down) {
                Ok(n) => {
                    down.drain(..n);
                    progressed = true;
                }
                Err(e) if would_block(&e) => {}
                Err(e) => break Err(format!("local end: {e}")),
            }
        }
        // This tunnel carries one SSH session: once either side is done, so is the session.
        if (local_eof && up.is_empty()) || (remote_eof && down.is_empty()) {
            break Ok(());
        }
        if !progressed {
            wait(&bastion, &local, &up, &down, local_eof, remote_eof);
        }
    };
    if let Err(why) = outcome {
        tracing::debug!(%why, "jump host relay ended");
    }
    // Closing our end tells the target's session at once; the channel and the bastion session
    // are freed without blocking (Connection::drop).
    drop(local);
    drop(channel);
    drop(bastion);
}

/// Sleeps until one of the sockets can make progress (or `IDLE_WAIT` passes).
fn wait(
    bastion: &Connection,
    local: &UnixStream,
    up: &[u8],
    down: &[u8],
    local_eof: bool,
    remote_eof: bool,
) {
    let mut local_flags = PollFlags::empty();
    if up.is_empty() && !local_eof {
        local_flags |= PollFlags::IN;
    }
    if !down.is_empty() {
        local_flags |= PollFlags::OUT;
    }
    let mut remote_flags = PollFlags::empty();
    if down.is_empty() && !remote_eof {
        remote_flags |= PollFlags::IN;
    }
    if !up.is_empty() {
        // A blocked write waits for socket space or for the peer's window to open (inbound).
        remote_flags |= PollFlags::IN | PollFlags::OUT;
    }
    match bastion.session.block_directions() {
        BlockDirections::Inbound => remote_flags |= PollFlags::IN,
        BlockDirections::Outbound => remote_flags |= PollFlags::OUT,
        BlockDirections::Both => remote_flags |= PollFlags::IN | PollFlags::OUT,
        BlockDirections::None => {}
    }
    let mut fds = [
        PollFd::new(local, local_flags),
        PollFd::new(&bastion.socket, remote_flags),
    ];
    let _ = poll(&mut fds, Some(&IDLE_WAIT));
}
