//! Credentials resolved once, before the first fetch, and every way that fails said in the
//! operator's words with its fix: no credentials at all, an SSO profile never logged in (or its
//! session expired), a profile that does not exist (and the ones that do), a role that cannot
//! be assumed. Without this, each panel fails on its own after the SDK's timeouts with errors
//! such as "No such file or directory (os error 2)".

use super::super::{ErrorKind, SourceError};
use aws_config::SdkConfig;
use aws_config::profile::ProfileSet;
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};
use std::time::Duration;

/// Long enough for a profile's own chain when a person is in it (a credential process asking
/// for MFA or a fingerprint, an SSO refresh, an assumed role): it is waited for, and said.
pub const RESOLVE_WITHIN: Duration = Duration::from_secs(60);
/// After this long, the console says what it is waiting for.
const SAY_WAITING_AFTER: Duration = Duration::from_secs(2);

/// When nothing but instance metadata could hold credentials: on EC2 it answers in
/// milliseconds, so a machine without credentials hears so at once instead of after the
/// metadata client's connect timeouts and retries.
const METADATA_ONLY_WITHIN: Duration = Duration::from_millis(1500);

/// Environment variables through which the chain finds credentials before instance metadata.
const CREDENTIAL_ENV: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
];

/// What the credential files say about the profile in use.
struct Profiles {
    /// Every profile named in `~/.aws/config` and `~/.aws/credentials`.
    names: Vec<String>,
    /// The selected profile's settings, when it exists.
    sso: bool,
    /// Its SSO start URL (its own, or its `sso-session`'s): the token cache is kept under it.
    sso_start_url: Option<String>,
    role_arn: Option<String>,
    exists: bool,
    /// It says where credentials come from (keys, SSO, a role, a process, a web identity).
    has_credentials: bool,
    /// Where, in words: "its credential_process", "SSO", …
    source: String,
}

/// Profile keys that are (or lead to) credentials.
const CREDENTIAL_KEYS: &[&str] = &[
    "aws_access_key_id",
    "sso_start_url",
    "sso_session",
    "role_arn",
    "credential_process",
    "web_identity_token_file",
    "credential_source",
];

async fn profiles(selected: &str) -> Result<Profiles, String> {
    let set: ProfileSet = aws_config::profile::parser::load(
        &aws_types::os_shim_internal::Fs::real(),
        &aws_types::os_shim_internal::Env::real(),
        &aws_runtime::env_config::file::EnvConfigFiles::default(),
        None,
    )
    .await
    .map_err(|e| format!("the AWS config files could not be read: {e}"))?;
    let mut names: Vec<String> = set.profiles().map(str::to_string).collect();
    names.sort();
    let profile = set.get_profile(selected);
    Ok(Profiles {
        names,
        sso: profile
            .is_some_and(|p| p.get("sso_start_url").is_some() || p.get("sso_session").is_some()),
        sso_start_url: profile.and_then(|p| {
            p.get("sso_start_url")
                .or_else(|| set.sso_session(p.get("sso_session")?)?.get("sso_start_url"))
                .map(str::to_string)
        }),
        role_arn: profile.and_then(|p| p.get("role_arn")).map(str::to_string),
        exists: profile.is_some(),
        has_credentials: profile
            .is_some_and(|p| CREDENTIAL_KEYS.iter().any(|k| p.get(k).is_some())),
        source: match profile {
            Some(p) if p.get("credential_process").is_some() => "its credential_process",
            Some(p) if p.get("sso_start_url").is_some() || p.get("sso_session").is_some() => {
                "its SSO session"
            }
            Some(p) if p.get("role_arn").is_some() => "the role it assumes",
            Some(p) if p.get("web_identity_token_file").is_some() => "its web identity",
            Some(_) => "its keys",
            None => "the credential chain",
        }
        .to_string(),
    })
}

/// The profile the SDK will use: `--profile` / config, else `AWS_PROFILE`, else `default`.
fn selected(profile: Option<&str>) -> String {
    profile
        .map(str::to_string)
        .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "default".to_string())
}

fn listed(names: &[String]) -> String {
    if names.is_empty() {
        "there are none".to_string()
    } else {
        format!("profiles there: {}", names.join(", "))
    }
}

/// Resolves the credentials `config` will sign with, once; `Err` is one sentence naming what is
/// wrong and how to fix it. `profile`: the profile asked for by name (`--profile`, the config).
pub async fn check(
    config: &SdkConfig,
    profile: Option<&str>,
    waiting: &(dyn Fn(&str) + Sync),
) -> Result<(), SourceError> {
    let name = selected(profile);
    let named = profile.is_some() || std::env::var("AWS_PROFILE").is_ok_and(|p| !p.is_empty());
    let files = profiles(&name).await;
    let problem = |text: String| Err(SourceError::new(ErrorKind::AccessDenied, text));
    if let Ok(files) = &files
        && named
        && !files.exists
    {
        return problem(format!(
            "AWS profile `{name}` is not in ~/.aws/config or ~/.aws/credentials ({}): pass --profile NAME, or try --demo",
            listed(&files.names)
        ));
    }
    let Some(provider) = config.credentials_provider() else {
        return problem(
            "no AWS credentials provider is configured: run `aws configure`, or try --demo"
                .to_string(),
        );
    };
    let in_files = files.as_ref().is_ok_and(|f| f.has_credentials);
    let in_env = CREDENTIAL_ENV
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()));
    if profile.is_some() && in_env {
        waiting(&format!(
            "using AWS profile `{name}` as asked; the credentials in the environment (AWS_ACCESS_KEY_ID…) are not used"
        ));
    }
    let configured = in_files || (profile.is_none() && in_env);
    let within = if configured {
        RESOLVE_WITHIN
    } else {
        METADATA_ONLY_WITHIN
    };
    let what = files
        .as_ref()
        .ok()
        .map(|f| f.source.as_str())
        .unwrap_or("the credential chain");
    let resolving = provider.provide_credentials();
    tokio::pin!(resolving);
    let resolved = tokio::select! {
        r = &mut resolving => Ok(r),
        _ = tokio::time::sleep(SAY_WAITING_AFTER), if configured => {
            waiting(&format!(
                "waiting for the credentials of AWS profile `{name}` ({what}; up to {} s)…",
                within.as_secs()
            ));
            tokio::time::timeout(within - SAY_WAITING_AFTER, &mut resolving)
                .await
                .map_err(|_| ())
        }
        _ = tokio::time::sleep(within), if !configured => Err(()),
    };
    // `None`: nothing in the chain had credentials.
    let error = match resolved {
        Ok(Ok(_)) => return Ok(()),
        Ok(Err(CredentialsError::CredentialsNotLoaded(_))) => None,
        // Configured, and still not there: that is what to say, not "no credentials".
        Err(_) if configured => {
            return problem(format!(
                "the credentials of AWS profile `{name}` did not arrive within {} s ({what}): answer its prompt, or check it by hand with `aws sts get-caller-identity --profile {name}`",
                within.as_secs()
            ));
        }
        Err(_) => None,
        Ok(Err(e)) => Some(chain(&e)),
    };
    let files = files.unwrap_or(Profiles {
        names: Vec::new(),
        sso: false,
        sso_start_url: None,
        role_arn: None,
        exists: false,
        has_credentials: false,
        source: String::new(),
    });
    if let Some(ended) = files.sso_start_url.as_deref().and_then(sso_session_ended) {
        return problem(format!(
            "the AWS SSO session of profile `{name}` expired at {}: run `aws sso login --profile {name}`",
            ended.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    if files.sso {
        return problem(format!(
            "AWS SSO profile `{name}` is not logged in, or its session expired: run `aws sso login --profile {name}`"
        ));
    }
    if let (Some(role), Some(e)) = (&files.role_arn, &error)
        && (e.contains("AccessDenied") || e.contains("not authorized"))
    {
        return problem(format!("profile `{name}` could not assume {role}: {e}"));
    }
    match error {
        Some(e) => problem(format!(
            "the credentials of AWS profile `{name}` could not be loaded: {e}"
        )),
        None => problem(format!(
            "no AWS credentials found: run `aws configure`, set AWS_PROFILE or pass --profile NAME ({}), or try --demo",
            listed(&files.names)
        )),
    }
}

/// When the SSO session of `start_url` ended, if the AWS CLI's token cache
/// (`~/.aws/sso/cache/*.json`, one file a session) says it has.
fn sso_session_ended(start_url: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let cache = std::path::Path::new(&std::env::var_os("HOME")?).join(".aws/sso/cache");
    let ended = std::fs::read_dir(cache)
        .ok()?
        .flatten()
        .filter_map(|f| {
            serde_json::from_slice::<serde_json::Value>(&std::fs::read(f.path()).ok()?).ok()
        })
        .filter(|token| token["startUrl"].as_str() == Some(start_url))
        .filter_map(|token| {
            // Older CLIs wrote `2019-11-14T04:05:45UTC`.
            let at = token["expiresAt"].as_str()?.replace("UTC", "Z");
            chrono::DateTime::parse_from_rfc3339(&at).ok()
        })
        .max()?
        .with_timezone(&chrono::Utc);
    (ended <= chrono::Utc::now()).then_some(ended)
}

/// Credentials remembered once resolved, until five minutes before they expire: the check
/// before the first fetch and every client share one resolution, so a credential process that
/// asks for a second factor asks once, and clients starting together wait for the same answer.
#[derive(Debug)]
pub struct Remembered {
    chain: SharedCredentialsProvider,
    last: tokio::sync::Mutex<Option<Credentials>>,
}

impl Remembered {
    pub fn new(chain: SharedCredentialsProvider) -> Remembered {
        Remembered {
            chain,
            last: tokio::sync::Mutex::new(None),
        }
    }
}

/// How long before their expiry remembered credentials are resolved again.
const REFRESH_BEFORE: Duration = Duration::from_secs(300);

impl ProvideCredentials for Remembered {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let mut last = self.last.lock().await;
            let fresh_enough = |c: &Credentials| {
                c.expiry()
                    .is_none_or(|e| e > std::time::SystemTime::now() + REFRESH_BEFORE)
            };
            if let Some(c) = last.as_ref().filter(|c| fresh_enough(c)) {
                return Ok(c.clone());
            }
            let resolved = self.chain.provide_credentials().await?;
            *last = Some(resolved.clone());
            Ok(resolved)
        })
    }
}

/// Codes and messages AWS uses when a request's signature is too old or too new: the machine's
/// clock is more than five minutes off.
const CLOCK_SKEW: &[&str] = &[
    "RequestTimeTooSkewed",
    "RequestExpired",
    "Signature expired",
    "Signature not yet current",
];

/// A session that ran out: log in again.
const EXPIRED: &[&str] = &["ExpiredToken", "expired", "SSO"];

/// Codes AWS answers with when it does not know the access key: expired or revoked, or from
/// another partition.
const UNKNOWN_KEY: &[&str] = &[
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "AuthFailure",
];

/// A request that failed on the credentials, in the operator's words with the fix, when its
/// error says what is wrong: the clock, a partition the credentials do not belong to, or keys
/// AWS no longer accepts. `regions`: the regions watched; `profile`: the profile in use.
pub fn explain_refusal(error: &str, regions: &[String], profile: Option<&str>) -> Option<String> {
    if CLOCK_SKEW.iter().any(|k| error.contains(k)) {
        return Some(
            "this machine's clock is more than 5 minutes off, so AWS refuses its signed \
             requests: set the clock right (e.g. `sudo timedatectl set-ntp true`)"
                .to_string(),
        );
    }
    let login = || {
        let login = match profile {
            Some(p) => format!("aws sso login --profile {p}"),
            None => "aws sso login".to_string(),
        };
        format!("AWS credentials expired or invalid. Run: {login} (or renew the keys)")
    };
    if EXPIRED.iter().any(|k| error.contains(k)) {
        return Some(login());
    }
    if !UNKNOWN_KEY.iter().any(|k| error.contains(k)) {
        return None;
    }
    let mut partitions: Vec<&str> = regions
        .iter()
        .map(|r| super::clients::partition(r))
        .collect();
    partitions.sort_unstable();
    partitions.dedup();
    let foreign = regions
        .iter()
        .find(|r| super::clients::partition(r) != "aws")
        .map(|r| (r, super::clients::partition(r)));
    match foreign {
        // Keys of the commercial partition are unknown in China and GovCloud, and the other way.
        Some((region, partition)) => Some(format!(
            "AWS does not know these credentials in {region} ({partition}): keys of one \
             partition (aws, aws-cn, aws-us-gov) do not work in another; use a profile of that \
             partition{}",
            if partitions.len() > 1 {
                ", and watch one partition per console"
            } else {
                ""
            }
        )),
        None => Some(login()),
    }
}

/// The first panel error of `world` that [`explain_refusal`] can explain, with its sentence: a
/// refusal every panel shares (the clock, the partition, expired keys), said once.
pub fn refusal_in(world: &crate::model::World) -> Option<(&str, String)> {
    let scope = &world.scope;
    crate::model::PanelId::ALL
        .iter()
        .filter_map(|p| world.status(*p).1)
        .find_map(|e| {
            explain_refusal(e, &scope.regions, scope.profile.as_deref()).map(|why| (e, why))
        })
}

/// An error and its causes, in one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::explain_refusal;

    fn regions(r: &[&str]) -> Vec<String> {
        r.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_skewed_clock_is_named_with_its_fix() {
        for error in [
            "elbv2 DescribeLoadBalancers: SignatureDoesNotMatch: Signature expired: 20261126T101500Z is now earlier than 20261126T102000Z",
            "ec2 DescribeInstanceStatus: RequestExpired: Request has expired.",
            "s3: RequestTimeTooSkewed: The difference between the request time and the current time is too large.",
        ] {
            let said = explain_refusal(error, &regions(&["us-east-1"]), None);
            assert!(
                said.as_deref()
                    .is_some_and(|s| s.contains("clock is more than 5 minutes off")),
                "{error}: {said:?}"
            );
        }
    }

    #[test]
    fn unknown_keys_in_another_partition_name_the_partition() {
        let error = "elbv2 DescribeLoadBalancers: InvalidClientTokenId: The security token included in the request is invalid.";
        let china = explain_refusal(error, &regions(&["cn-north-1"]), Some("prod"));
        assert!(
            china
                .as_deref()
                .is_some_and(|s| s.contains("in cn-north-1 (aws-cn)")
                    && !s.contains("one partition per console")),
            "{china:?}"
        );
        let mixed = explain_refusal(error, &regions(&["us-east-1", "us-gov-west-1"]), None);
        assert!(
            mixed
                .as_deref()
                .is_some_and(|s| s.contains("us-gov-west-1 (aws-us-gov)")
                    && s.contains("one partition per console")),
            "{mixed:?}"
        );
        // In the commercial partition the keys themselves are wrong or expired.
        let commercial = explain_refusal(error, &regions(&["ap-northeast-1"]), Some("prod"));
        assert!(
            commercial
                .as_deref()
                .is_some_and(|s| s.contains("Run: aws sso login --profile prod")),
            "{commercial:?}"
        );
    }

    #[test]
    fn other_errors_are_left_to_their_panels() {
        assert_eq!(
            explain_refusal(
                "elbv2 DescribeTargetHealth: Throttling: Rate exceeded",
                &regions(&["us-east-1"]),
                None
            ),
            None
        );
    }
}
