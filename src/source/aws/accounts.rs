//! Which accounts a console watches and how it signs in each: a profile, a role assumed from
//! the base credentials (session name `opsconsole`), or every ACTIVE account of the
//! organization through one role. Assumed credentials are refreshed before they expire (the
//! SDK's identity cache), so a wall keeps running for days.

use super::clients::{AwsOptions, partition};
use crate::config::{AccountConfig, OrganizationConfig};
use crate::model::AccountRef;
use crate::source::{ErrorKind, SourceError};
use aws_config::SdkConfig;
use aws_credential_types::provider::{
    self, ProvideCredentials, SharedCredentialsProvider, error::CredentialsError,
};

/// The session name every assumed role carries, so CloudTrail shows the console's calls as
/// the console's.
pub const SESSION_NAME: &str = "opsconsole";

/// `ListAccounts` answers at most 20 a page.
const ACCOUNTS_PAGE: i32 = 20;

/// What the config and command line say about accounts.
#[derive(Debug, Clone, Default)]
pub struct AccountsWanted {
    pub accounts: Vec<AccountConfig>,
    pub organization: Option<OrganizationConfig>,
    /// `--account NAME` (or id), repeatable: only these.
    pub only: Vec<String>,
}

impl AccountsWanted {
    /// No `[[account]]` and no `[organization]`: the caller's own account, as always.
    pub fn is_single(&self) -> bool {
        self.accounts.is_empty() && self.organization.is_none()
    }
}

/// One account to watch: its label, the configuration that signs in it, its regions.
#[derive(Debug, Clone)]
pub struct Watched {
    pub account: AccountRef,
    pub config: SdkConfig,
    /// Empty: the top-level regions.
    pub regions: Vec<String>,
}

/// The accounts to watch, in config order (the organization's after the named ones, by name).
/// `Err`: the organization cannot be listed, or `--account` names an account that is not
/// configured.
pub async fn watched(
    base: &SdkConfig,
    options: &AwsOptions,
    wanted: &AccountsWanted,
) -> Result<Vec<Watched>, SourceError> {
    let mut all: Vec<Watched> = Vec::new();
    for a in &wanted.accounts {
        let w = named(base, options, a).await;
        // An account listed twice (two entries for one role) is watched once.
        if !all.iter().any(|o| o.account.id == w.account.id) {
            all.push(w);
        }
    }
    if let Some(org) = &wanted.organization {
        for (id, name) in organization_accounts(base, org).await? {
            if all.iter().any(|w: &Watched| w.account.id == id) {
                continue;
            }
            let role = format!(
                "arn:{}:iam::{id}:role/{}",
                partition_of(base),
                org.role_name
            );
            all.push(Watched {
                account: AccountRef { id, name },
                config: assuming(base, &role, org.external_id.as_deref()).await,
                regions: org.regions.clone(),
            });
        }
    }
    select(all, &wanted.only)
}

/// Only the accounts `--account` names, by name or id; every name must be one.
fn select(all: Vec<Watched>, only: &[String]) -> Result<Vec<Watched>, SourceError> {
    if only.is_empty() {
        return Ok(all);
    }
    if let Some(unknown) = only.iter().find(|o| {
        !all.iter()
            .any(|w| &w.account.name == *o || &w.account.id == *o)
    }) {
        let names: Vec<String> = all.iter().map(|w| w.account.label()).collect();
        return Err(SourceError::new(
            ErrorKind::Other,
            format!(
                "--account {unknown}: no such account is configured (there are: {})",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ),
        ));
    }
    Ok(all
        .into_iter()
        .filter(|w| {
            only.iter()
                .any(|o| &w.account.name == o || &w.account.id == o)
        })
        .collect())
}

/// An `[[account]]` entry: a role's account is in its ARN; a profile's is asked of STS once.
async fn named(base: &SdkConfig, options: &AwsOptions, a: &AccountConfig) -> Watched {
    let (id, config) = match (&a.role_arn, &a.profile) {
        (Some(role), _) => (
            crate::config::accounts::account_of_role(role)
                .unwrap_or_default()
                .to_string(),
            assuming(base, role, a.external_id.as_deref()).await,
        ),
        (None, Some(profile)) => {
            let config = super::clients::base_config(&AwsOptions {
                profile: Some(profile.clone()),
                ..options.clone()
            })
            .await;
            let id = aws_sdk_sts::Client::new(&config)
                .get_caller_identity()
                .send()
                .await
                .ok()
                .and_then(|i| i.account().map(str::to_string))
                // Not known yet: its panels say why when they are read. The placeholder is the
                // account's own, so its rows and changes are never taken for another's.
                .unwrap_or_else(|| unknown_id(&a.name));
            (id, config)
        }
        (None, None) => (unknown_id(&a.name), base.clone()),
    };
    Watched {
        account: AccountRef {
            id,
            name: a.name.clone(),
        },
        config,
        regions: a.regions.clone(),
    }
}

/// The base configuration signing as `role` (assumed on first use, and again before the
/// session expires).
async fn assuming(base: &SdkConfig, role: &str, external_id: Option<&str>) -> SdkConfig {
    let mut builder = aws_config::sts::AssumeRoleProvider::builder(role)
        .session_name(SESSION_NAME)
        .configure(base);
    if let Some(id) = external_id {
        builder = builder.external_id(id);
    }
    let provider = RoleCredentials {
        role: role.to_string(),
        inner: builder.build().await,
    };
    base.to_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build()
}

/// The id an account is known by while STS has not said it (a profile whose credentials do
/// not resolve yet): its name's, so two such accounts never share one.
fn unknown_id(name: &str) -> String {
    format!("unknown:{}", crate::sanitize::sanitize(name))
}

/// An assumed role whose refusal says which role could not be assumed: the panels of its
/// account show that sentence, not the SDK's "failed to load credentials".
#[derive(Debug)]
struct RoleCredentials {
    role: String,
    inner: aws_config::sts::AssumeRoleProvider,
}

impl ProvideCredentials for RoleCredentials {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(async move {
            self.inner.provide_credentials().await.map_err(|e| {
                CredentialsError::provider_error(format!(
                    "{CANNOT_ASSUME}{}: {}",
                    self.role,
                    crate::sanitize::sanitize(&refusal(&e))
                ))
            })
        })
    }
}

/// How a role's refusal starts: an error of any call signed with it says this first.
pub const CANNOT_ASSUME: &str = "cannot assume ";

/// What STS said (its code and message), else the innermost error's words.
fn refusal(e: &CredentialsError) -> String {
    use aws_sdk_sts::operation::assume_role::AssumeRoleError;
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::client::result::SdkError;
    use aws_smithy_types::error::metadata::ProvideErrorMetadata;
    use std::error::Error;
    let mut innermost = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(SdkError::ServiceError(se)) =
            s.downcast_ref::<SdkError<AssumeRoleError, HttpResponse>>()
        {
            let err = se.err();
            return format!(
                "{}: {}",
                err.code().unwrap_or("error"),
                err.message().unwrap_or("(no message)")
            );
        }
        innermost = s.to_string();
        source = s.source();
    }
    innermost
}

/// The ACTIVE accounts of the organization, every page, filtered by `include` / `exclude`:
/// (id, name), in the order AWS lists them.
async fn organization_accounts(
    base: &SdkConfig,
    org: &OrganizationConfig,
) -> Result<Vec<(String, String)>, SourceError> {
    // Organizations is served from the partition's global region.
    let region = base
        .region()
        .map(|r| super::clients::global_region(r.as_ref()))
        .unwrap_or("us-east-1");
    let config = base
        .to_builder()
        .region(aws_config::Region::new(region))
        .build();
    let client = aws_sdk_organizations::Client::new(&config);
    let mut found = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .list_accounts()
            .max_results(ACCOUNTS_PAGE)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| super::from_sdk("organizations ListAccounts", e))?;
        for a in page.accounts() {
            let Some(id) = a.id() else { continue };
            if !is_active(a)
                || (!org.include.is_empty() && !org.include.iter().any(|i| i == id))
                || org.exclude.iter().any(|e| e == id)
            {
                continue;
            }
            let name = a.name().unwrap_or(id);
            found.push((id.to_string(), crate::sanitize::sanitize(name).into_owned()));
        }
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => break,
        }
    }
    if found.is_empty() {
        return Err(SourceError::new(
            ErrorKind::NotFound,
            "[organization]: ListAccounts found no ACTIVE account to watch (check include and exclude)",
        ));
    }
    Ok(found)
}

/// ACTIVE by its `State` (AWS's field since 2025), else by the older `Status`.
#[allow(deprecated)]
fn is_active(a: &aws_sdk_organizations::types::Account) -> bool {
    use aws_sdk_organizations::types::{AccountState, AccountStatus};
    match a.state() {
        Some(state) => *state == AccountState::Active,
        None => a.status() == Some(&AccountStatus::Active),
    }
}

fn partition_of(base: &SdkConfig) -> &'static str {
    base.region().map_or("aws", |r| partition(r.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watched(name: &str, id: &str) -> Watched {
        Watched {
            account: AccountRef {
                id: id.into(),
                name: name.into(),
            },
            config: SdkConfig::builder().build(),
            regions: vec![],
        }
    }

    #[test]
    fn account_selects_by_name_or_id_and_refuses_an_unknown_one() {
        let all = || {
            vec![
                watched("prod", "222222222222"),
                watched("stage", "333333333333"),
            ]
        };
        let picked = select(all(), &["stage".into()]).unwrap_or_default();
        assert_eq!(picked.len(), 1);
        assert_eq!(picked[0].account.name, "stage");
        let picked = select(all(), &["222222222222".into()]).unwrap_or_default();
        assert_eq!(picked[0].account.name, "prod");
        let err = select(all(), &["qa".into()]).err().map(|e| e.message);
        assert_eq!(
            err.as_deref(),
            Some(
                "--account qa: no such account is configured (there are: prod (222222222222), stage (333333333333))"
            )
        );
        assert_eq!(select(all(), &[]).map(|v| v.len()).ok(), Some(2));
    }
}
