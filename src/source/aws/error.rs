//! SDK errors in an operator's words: which call, which code, and what kind of failure, so the
//! panel can say "throttled" or "access denied" and the runtime can back off.

use super::super::{ErrorKind, SourceError};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
    "PriorRequestNotComplete",
    "SlowDown",
];

const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "AuthFailure",
    "WAFUnauthorizedOperationException",
];

/// Turns an SDK error of `call` (e.g. "elbv2 DescribeTargetHealth") into a `SourceError`.
pub fn from_sdk<E, R>(call: &str, err: SdkError<E, R>) -> SourceError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match &err {
        SdkError::TimeoutError(_) => {
            SourceError::new(ErrorKind::Timeout, format!("{call}: timed out"))
        }
        // A role that cannot be assumed is the account's refusal, the same for every call.
        SdkError::DispatchFailure(_)
            if detail(&err).starts_with(super::accounts::CANNOT_ASSUME) =>
        {
            SourceError::new(ErrorKind::AccessDenied, detail(&err))
        }
        SdkError::DispatchFailure(f) => {
            let why = if f.is_timeout() {
                "connection timed out"
            } else if f.is_io() {
                "connection failed"
            } else {
                "request could not be sent"
            };
            let kind = if f.is_timeout() {
                ErrorKind::Timeout
            } else {
                ErrorKind::Network
            };
            SourceError::new(kind, format!("{call}: {why} ({})", detail(&err)))
        }
        SdkError::ServiceError(se) => {
            let e = se.err();
            let code = e.code().unwrap_or("error");
            let message = e.message().unwrap_or("");
            let kind = if THROTTLING.contains(&code) {
                ErrorKind::Throttled
            } else if DENIED.contains(&code) {
                ErrorKind::AccessDenied
            } else if code.contains("NotFound")
                || code.contains("NonexistentItem")
                || code.starts_with("NoSuch")
            {
                ErrorKind::NotFound
            } else {
                ErrorKind::Other
            };
            let text = if message.is_empty() {
                format!("{call}: {code}")
            } else {
                format!("{call}: {code}: {message}")
            };
            SourceError::new(kind, text)
        }
        SdkError::ResponseError(_) => SourceError::new(
            ErrorKind::Network,
            format!("{call}: unreadable response ({})", detail(&err)),
        ),
        _ => SourceError::new(ErrorKind::Other, format!("{call}: {}", detail(&err))),
    }
}

/// The innermost cause, which says more than the SDK's outer "dispatch failure".
fn detail(err: &dyn std::error::Error) -> String {
    let mut last = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}
