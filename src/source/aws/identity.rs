//! Who the console is acting as: STS GetCallerIdentity, for the header, the snapshot and the
//! audit journal.

use super::super::{Identity, Source, SourceError};
use super::error::from_sdk;
use futures::future::BoxFuture;

pub struct IdentitySource {
    sts: aws_sdk_sts::Client,
}

impl IdentitySource {
    pub fn new(sts: aws_sdk_sts::Client) -> Self {
        IdentitySource { sts }
    }
}

impl Source<Identity> for IdentitySource {
    fn fetch(&self) -> BoxFuture<'_, Result<Identity, SourceError>> {
        Box::pin(async move {
            let out = self
                .sts
                .get_caller_identity()
                .send()
                .await
                .map_err(|e| from_sdk("sts GetCallerIdentity", e))?;
            Ok(Identity {
                account: out.account().map(str::to_string),
                arn: out.arn().map(str::to_string),
            })
        })
    }
}
