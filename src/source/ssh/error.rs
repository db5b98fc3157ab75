//! Connection failures, sorted into those a retry can fix and those it cannot.

use crate::source::{ErrorKind, SourceError};

/// A failed step of connecting or tailing: the operator-facing error, and whether trying again
/// later could succeed (a refused connection may; a changed host key never will by itself).
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub error: SourceError,
    pub retry: bool,
}

impl Failure {
    /// Worth retrying: the network, a restarting server.
    pub fn transient(kind: ErrorKind, message: impl Into<String>) -> Failure {
        Failure {
            error: SourceError::new(kind, message),
            retry: true,
        }
    }

    /// Needs the operator: credentials, host keys, a wrong path.
    pub fn permanent(kind: ErrorKind, message: impl Into<String>) -> Failure {
        Failure {
            error: SourceError::new(kind, message),
            retry: false,
        }
    }
}

impl From<Failure> for SourceError {
    fn from(f: Failure) -> SourceError {
        f.error
    }
}

/// libssh2's error code for "couldn't read the key file" (`LIBSSH2_ERROR_FILE`): also what a
/// wrong passphrase gives.
pub(crate) const LIBSSH2_ERROR_FILE: i32 = -16;
/// libssh2's "the signature was refused or couldn't be made" (`LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED`).
pub(crate) const LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED: i32 = -19;

/// The numeric libssh2 code of an error, if it came from the session.
pub(crate) fn session_code(e: &ssh2::Error) -> Option<i32> {
    match e.code() {
        ssh2::ErrorCode::Session(code) => Some(code),
        ssh2::ErrorCode::SFTP(_) => None,
    }
}
