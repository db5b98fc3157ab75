//! A team's store on S3 (`[state] shared = "s3://bucket/prefix"`): per account, the pending
//! undos, the rules' original actions and the journal, shared by every console that names it,
//! so that any teammate's console carries out an undo and every wall shows it. No server of
//! ours: S3's conditional writes (`If-Match` on the object's ETag, `If-None-Match: *` for a new
//! one) make each change a compare-and-swap, so two consoles never lose each other's changes
//! and an undo claimed by one is claimed once.

use aws_sdk_s3 as s3;
use aws_smithy_types::byte_stream::ByteStream;
use chrono::{DateTime, Utc};
use std::io;

/// The version of the documents this console writes; a newer one is refused with its number.
pub const FORMAT: u32 = 1;

/// Where the team's store is, and the client that reaches it.
pub struct SharedStore {
    client: s3::Client,
    bucket: String,
    /// Without a trailing slash; may be empty.
    prefix: String,
    url: String,
}

/// Why a conditional write did not happen.
#[derive(Debug)]
pub enum PutError {
    /// Someone else wrote first (412 Precondition Failed, or 409 ConditionalRequestConflict
    /// for two writes at the same moment): read again and retry.
    Conflict,
    Failed(io::Error),
}

/// `s3://bucket/prefix` → (bucket, prefix). The bucket name is checked as S3 names buckets.
pub fn parse_url(url: &str) -> Result<(String, String), String> {
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| format!("{url:?} is not an s3:// URL (s3://bucket/prefix)"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let valid_bucket = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && bucket
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && bucket
            .bytes()
            .last()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if !valid_bucket {
        return Err(format!(
            "{bucket:?} is not an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)"
        ));
    }
    let prefix = prefix.trim_matches('/').to_string();
    if prefix.split('/').any(|p| p == "." || p == "..") {
        return Err(format!("{url:?}: the prefix may not hold . or .. parts"));
    }
    Ok((bucket.to_string(), prefix))
}

fn failed(what: &str, e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("{what}: {e}"))
}

impl SharedStore {
    /// The store at `url`, reached with `client` (path-style addressing where an endpoint is
    /// given: an emulator has no per-bucket host names).
    pub fn new(client: s3::Client, url: &str) -> Result<SharedStore, String> {
        let (bucket, prefix) = parse_url(url)?;
        Ok(SharedStore {
            client,
            bucket,
            prefix,
            url: url.trim_end_matches('/').to_string(),
        })
    }

    /// A client for the store from the console's SDK configuration, its calls counted in
    /// `stats` with the rest (`S`, `--stats`, the IAM policy test).
    pub fn client(
        config: &aws_types::SdkConfig,
        stats: std::sync::Arc<crate::source::stats::ApiStats>,
    ) -> s3::Client {
        let path_style = config.endpoint_url().is_some();
        s3::Client::from_conf(
            s3::config::Builder::from(config)
                .interceptor(super::counting::Counting(stats))
                .force_path_style(path_style)
                // Small JSON documents: a checksum only where S3 requires one, so the body is
                // sent as it is (no chunked trailer) to AWS and to an emulator alike.
                .request_checksum_calculation(
                    aws_types::sdk_config::RequestChecksumCalculation::WhenRequired,
                )
                .response_checksum_validation(
                    aws_types::sdk_config::ResponseChecksumValidation::WhenRequired,
                )
                .build(),
        )
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The key of `name` under `account`.
    fn key(&self, account: &str, name: &str) -> String {
        if self.prefix.is_empty() {
            format!("{account}/{name}")
        } else {
            format!("{}/{account}/{name}", self.prefix)
        }
    }

    /// "s3://bucket/prefix/123456789012/pending.json", for messages.
    pub fn describe(&self, account: &str, name: &str) -> String {
        format!("s3://{}/{}", self.bucket, self.key(account, name))
    }

    /// The document `name` of `account` and its ETag; `None` when there is none yet.
    pub async fn get(&self, account: &str, name: &str) -> io::Result<Option<(String, String)>> {
        let key = self.key(account, name);
        let got = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&key)
            .send()
            .await
        {
            Ok(got) => got,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => {
                let e = super::error::from_sdk("s3 GetObject", e);
                return Err(failed(&self.describe(account, name), e.message));
            }
        };
        let etag = got.e_tag().unwrap_or_default().to_string();
        let bytes = got
            .body
            .collect()
            .await
            .map_err(|e| failed(&self.describe(account, name), e))?
            .into_bytes();
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is not UTF-8 text", self.describe(account, name)),
            )
        })?;
        Ok(Some((text, etag)))
    }

    /// Writes `name` if it is still as read (`etag`), or if there is none yet (`None`).
    pub async fn put(
        &self,
        account: &str,
        name: &str,
        body: &str,
        etag: Option<&str>,
    ) -> Result<(), PutError> {
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(self.key(account, name))
            .content_type("application/json")
            .body(ByteStream::from(body.as_bytes().to_vec()));
        let request = match etag {
            Some(tag) => request.if_match(tag),
            None => request.if_none_match("*"),
        };
        match request.send().await {
            Ok(_) => Ok(()),
            Err(e) if conflict(e.raw_response().map(|r| r.status().as_u16())) => {
                Err(PutError::Conflict)
            }
            Err(e) => {
                let e = super::error::from_sdk("s3 PutObject", e);
                Err(PutError::Failed(failed(
                    &self.describe(account, name),
                    e.message,
                )))
            }
        }
    }

    /// Appends one journal entry as an object of its own, never rewriting another: its key
    /// starts with its time, so the journal lists in order and a window is read from its start.
    pub async fn append_journal(
        &self,
        account: &str,
        time: DateTime<Utc>,
        line: &str,
    ) -> io::Result<()> {
        let name = format!(
            "journal/{}-{:016x}.json",
            time.format("%Y%m%dT%H%M%S%.6fZ"),
            rand::random::<u64>()
        );
        match self.put(account, &name, line, None).await {
            Ok(()) => Ok(()),
            Err(PutError::Conflict) => Err(failed(
                &self.describe(account, &name),
                "an entry of that name exists already",
            )),
            Err(PutError::Failed(e)) => Err(e),
        }
    }

    /// The journal entries of `account` written at or after `since`, oldest first (listed from
    /// `since` on, a page of up to 1,000 keys at a time).
    pub async fn journal_since(
        &self,
        account: &str,
        since: DateTime<Utc>,
    ) -> io::Result<Vec<String>> {
        let folder = self.key(account, "journal/");
        let start = format!("{folder}{}", since.format("%Y%m%dT%H%M%S"));
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(&folder)
                .start_after(&start)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| {
                    let e = super::error::from_sdk("s3 ListObjectsV2", e);
                    failed(&self.describe(account, "journal/"), e.message)
                })?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_string)),
            );
            match page.next_continuation_token() {
                Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
                _ => break,
            }
        }
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            let name = key.strip_prefix(&self.key(account, "")).unwrap_or(&key);
            if let Some((text, _)) = self.get(account, name).await? {
                out.push(text);
            }
        }
        Ok(out)
    }
}

/// 412 (the object changed, or exists) and 409 (a concurrent conditional write) both mean:
/// someone else wrote; read again.
fn conflict(status: Option<u16>) -> bool {
    matches!(status, Some(412 | 409))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_urls_are_checked_as_s3_names_them() {
        assert_eq!(
            parse_url("s3://team-ops/opsconsole/"),
            Ok(("team-ops".to_string(), "opsconsole".to_string()))
        );
        assert_eq!(
            parse_url("s3://team-ops"),
            Ok(("team-ops".to_string(), String::new()))
        );
        for bad in [
            "team-ops/x",
            "s3://Team_Ops/x",
            "s3://ab/x",
            "s3://-team/x",
            "s3://team/../x",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }
}
