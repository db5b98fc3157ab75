//! SDK configuration shared by every source: the credential chain, regions, endpoint override,
//! explicit timeouts (the SDK has none by default) and standard retries.

use super::super::{ErrorKind, SourceError};
use super::counting::Counting;
use crate::source::stats::ApiStats;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_runtime_api::client::interceptors::{Intercept, SharedInterceptor};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Where a partition's global services (Route53, its health checks' metrics, STS, and in the
/// commercial partition CloudFront-scope WAF) are signed for: us-east-1, in China
/// cn-northwest-1, in GovCloud us-gov-west-1 (each partition's "implicit global region").
pub fn global_region(region: &str) -> &'static str {
    match partition(region) {
        "aws-cn" => "cn-northwest-1",
        "aws-us-gov" => "us-gov-west-1",
        _ => "us-east-1",
    }
}

/// The partition a region belongs to: credentials of one are not valid in another.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// CloudFront-scope web ACLs exist only in the commercial partition: China and GovCloud have
/// regional WAF only.
pub fn has_cloudfront_waf(region: &str) -> bool {
    global_region(region) == "us-east-1"
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(25);
const MAX_ATTEMPTS: u32 = 3;

/// What the command line and config say about where to connect.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub profile: Option<String>,
    /// Empty: the region of the profile or environment.
    pub regions: Vec<String>,
    /// Overrides every service's endpoint (an emulator, a proxy). `AWS_ENDPOINT_URL` and the
    /// per-service variables are honoured by the SDK as well.
    pub endpoint_url: Option<String>,
    pub waf_window_minutes: u32,
    /// Seconds between CloudWatch reads (60 at least): each read of a metric is billed.
    pub metrics_every_secs: u64,
    /// Static credentials instead of the chain (tests against an emulator).
    pub static_credentials: Option<aws_credential_types::Credentials>,
    /// Build no executor at all: nothing in the session can call a mutating API.
    pub read_only: bool,
    /// Read once (a snapshot): what only pays off over many refreshes, such as the group
    /// attributes read once and kept, is read only where the output needs it.
    pub one_shot: bool,
    /// `[[waf.blocklist]]`: the IP sets read beside the web ACLs.
    pub blocklists: Vec<crate::config::settings::Blocklist>,
    /// `[[log]]` entries; those with a `log_group` are followed through CloudWatch Logs.
    pub log_groups: Vec<crate::config::LogSourceConfig>,
    /// Where the rules' exact original actions are kept across restarts (the state
    /// directory's `rule-actions.json`); `None` keeps them in memory.
    pub originals_file: Option<std::path::PathBuf>,
    /// `[state]`: the team's shared store, if one is configured.
    pub shared_state: crate::config::settings::StateSettings,
    /// `[[account]]`, `[organization]`, `--account`: the accounts watched side by side.
    pub accounts: super::accounts::AccountsWanted,
}

/// The clients of one region, each built on first use: a console pays for no service it never
/// calls (no `[[log]] log_group`: no CloudWatch Logs client until `l` looks for a task's log;
/// no ECS client until then either). Clones share the clients, built or not.
#[derive(Clone, Debug)]
pub struct RegionClients {
    pub region: String,
    pub sdk_config: SdkConfig,
    /// Every client counts its requests here.
    pub stats: Arc<ApiStats>,
    elb: Lazy<aws_sdk_elasticloadbalancingv2::Client>,
    waf: Lazy<aws_sdk_wafv2::Client>,
    cloudwatch: Lazy<aws_sdk_cloudwatch::Client>,
    ec2: Lazy<aws_sdk_ec2::Client>,
    route53: Lazy<aws_sdk_route53::Client>,
    sts: Lazy<aws_sdk_sts::Client>,
    logs: Lazy<aws_sdk_cloudwatchlogs::Client>,
    ecs: Lazy<aws_sdk_ecs::Client>,
    cloudtrail: Lazy<aws_sdk_cloudtrail::Client>,
    /// Added to the WAF client when it is built (the executor reads dropped fields with it).
    waf_interceptors: Vec<SharedInterceptor>,
}

/// A client not built until it is first asked for.
type Lazy<C> = Arc<OnceLock<C>>;

/// Clients for `region`, each counting its requests in `stats`; none is built yet.
pub fn for_region(base: &SdkConfig, region: &str, stats: Arc<ApiStats>) -> RegionClients {
    let conf = base
        .to_builder()
        .region(Region::new(region.to_string()))
        .build();
    RegionClients {
        region: region.to_string(),
        sdk_config: conf,
        stats,
        elb: Lazy::default(),
        waf: Lazy::default(),
        cloudwatch: Lazy::default(),
        ec2: Lazy::default(),
        route53: Lazy::default(),
        sts: Lazy::default(),
        logs: Lazy::default(),
        ecs: Lazy::default(),
        cloudtrail: Lazy::default(),
        waf_interceptors: Vec::new(),
    }
}

/// A method per service: its client, built (counting its requests) the first time it is asked for.
macro_rules! client_on_first_use {
    ($($name:ident: $sdk:ident),* $(,)?) => {
        $(
            pub fn $name(&self) -> &$sdk::Client {
                self.$name.get_or_init(|| {
                    self.note_built(stringify!($name));
                    $sdk::Client::from_conf(
                        $sdk::config::Builder::from(&self.sdk_config)
                            .interceptor(Counting(self.stats.clone()))
                            .build(),
                    )
                })
            }
        )*
    };
}

impl RegionClients {
    client_on_first_use!(
        elb: aws_sdk_elasticloadbalancingv2,
        cloudwatch: aws_sdk_cloudwatch,
        ec2: aws_sdk_ec2,
        route53: aws_sdk_route53,
        sts: aws_sdk_sts,
        ecs: aws_sdk_ecs,
        cloudtrail: aws_sdk_cloudtrail,
    );

    pub fn waf(&self) -> &aws_sdk_wafv2::Client {
        self.waf.get_or_init(|| {
            self.note_built("waf");
            let mut b = aws_sdk_wafv2::config::Builder::from(&self.sdk_config)
                .interceptor(Counting(self.stats.clone()));
            for i in &self.waf_interceptors {
                b.push_interceptor(i.clone());
            }
            aws_sdk_wafv2::Client::from_conf(b.build())
        })
    }

    pub fn logs(&self) -> &aws_sdk_cloudwatchlogs::Client {
        self.logs.get_or_init(|| {
            self.note_built("logs");
            let b = aws_sdk_cloudwatchlogs::config::Builder::from(&self.sdk_config)
                .interceptor(Counting(self.stats.clone()));
            // A live tail's host prefix would name no machine behind a custom endpoint.
            let b = if self.sdk_config.endpoint_url().is_some() {
                b.interceptor(super::host_prefix::NoHostPrefix)
            } else {
                b
            };
            aws_sdk_cloudwatchlogs::Client::from_conf(b.build())
        })
    }

    /// These clients with `interceptor` also on the WAF client (its own, not shared with
    /// `self`); the other clients stay shared.
    pub fn with_waf_interceptor(&self, interceptor: impl Intercept + 'static) -> RegionClients {
        let interceptor = SharedInterceptor::new(interceptor);
        let mut rc = self.clone();
        rc.waf = match self.waf.get() {
            // Already built (or given): the same configuration plus the interceptor.
            Some(built) => {
                let mut b = built.config().to_builder();
                b.push_interceptor(interceptor);
                Arc::new(OnceLock::from(aws_sdk_wafv2::Client::from_conf(b.build())))
            }
            None => {
                rc.waf_interceptors.push(interceptor);
                Lazy::default()
            }
        };
        rc
    }

    /// The services whose client was built so far, in the order they were first used.
    pub fn built(&self) -> Vec<&'static str> {
        let built = [
            ("elb", self.elb.get().is_some()),
            ("waf", self.waf.get().is_some()),
            ("cloudwatch", self.cloudwatch.get().is_some()),
            ("ec2", self.ec2.get().is_some()),
            ("route53", self.route53.get().is_some()),
            ("sts", self.sts.get().is_some()),
            ("logs", self.logs.get().is_some()),
            ("ecs", self.ecs.get().is_some()),
        ];
        built.iter().filter(|(_, b)| *b).map(|(s, _)| *s).collect()
    }

    fn note_built(&self, service: &str) {
        tracing::debug!(region = %self.region, service, "client built on first use");
    }
}

/// Clients answering from elsewhere than the configuration says (tests' recorded answers).
#[cfg(test)]
impl RegionClients {
    pub fn with_cloudtrail(mut self, c: aws_sdk_cloudtrail::Client) -> Self {
        self.cloudtrail = Arc::new(OnceLock::from(c));
        self
    }
    pub fn with_elb(mut self, c: aws_sdk_elasticloadbalancingv2::Client) -> Self {
        self.elb = Arc::new(OnceLock::from(c));
        self
    }
    pub fn with_waf(mut self, c: aws_sdk_wafv2::Client) -> Self {
        self.waf = Arc::new(OnceLock::from(c));
        self
    }
    pub fn with_ec2(mut self, c: aws_sdk_ec2::Client) -> Self {
        self.ec2 = Arc::new(OnceLock::from(c));
        self
    }
    pub fn with_route53(mut self, c: aws_sdk_route53::Client) -> Self {
        self.route53 = Arc::new(OnceLock::from(c));
        self
    }
    pub fn with_cloudwatch(mut self, c: aws_sdk_cloudwatch::Client) -> Self {
        self.cloudwatch = Arc::new(OnceLock::from(c));
        self
    }
    pub fn with_ecs(mut self, c: aws_sdk_ecs::Client) -> Self {
        self.ecs = Arc::new(OnceLock::from(c));
        self
    }
}

/// Loads the shared configuration and builds clients for every selected region.
pub async fn connect(
    base: SdkConfig,
    options: &AwsOptions,
    stats: Arc<ApiStats>,
) -> Result<Vec<RegionClients>, SourceError> {
    let regions: Vec<String> = if options.regions.is_empty() {
        match base.region() {
            Some(r) => vec![r.to_string()],
            None => {
                return Err(SourceError::new(
                    ErrorKind::Other,
                    "no AWS region: pass --region, set `regions` in the config or AWS_REGION (or try --demo)",
                ));
            }
        }
    } else {
        options.regions.clone()
    };
    Ok(regions
        .iter()
        .map(|r| for_region(&base, r, stats.clone()))
        .collect())
}

/// Resolves the credentials a session would sign with, once: `Err` says in one sentence what is
/// wrong (no credentials, an SSO profile not logged in, an unknown profile, a role that cannot
/// be assumed) and how to fix it.
/// `waiting` is told, once, what the console waits for when the credentials take a while (a
/// credential process asking for MFA, an SSO refresh).
/// `base` is the configuration the session was connected with: the credentials resolved here
/// are the ones its clients sign with (a credential process asking for MFA asks once).
pub async fn check_credentials(
    base: &SdkConfig,
    options: &AwsOptions,
    waiting: &(dyn Fn(&str) + Sync),
) -> Result<(), SourceError> {
    if options.static_credentials.is_some() {
        return Ok(());
    }
    super::credentials::check(base, options.profile.as_deref(), waiting).await
}

/// The shared configuration: credential chain (or static credentials), profile, first region,
/// endpoint override, timeouts and retries. Credentials are resolved once and remembered until
/// they near their expiry, and a provider is given a minute (a person may be in it).
pub async fn base_config(options: &AwsOptions) -> SdkConfig {
    let http = https_client();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http.clone())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(OPERATION_TIMEOUT)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
        // A profile asked for by name wins over keys in the environment, as with the AWS CLI
        // (the SDK's default chain reads the environment first): the operator acts in the
        // account they named.
        if options.static_credentials.is_none() {
            // Its role or SSO calls need a region: the first watched one, else the profile's.
            let region = match options.regions.first() {
                Some(r) => Some(Region::new(r.clone())),
                None => {
                    aws_config::default_provider::region::DefaultRegionChain::builder()
                        .profile_name(profile)
                        .build()
                        .region()
                        .await
                }
            };
            let provider_config = aws_config::provider_config::ProviderConfig::without_region()
                .with_region(region)
                .with_http_client(http);
            loader = loader.credentials_provider(
                aws_config::profile::ProfileFileCredentialsProvider::builder()
                    .configure(&provider_config)
                    .profile_name(profile)
                    .build(),
            );
        }
    }
    if let Some(url) = &options.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(first) = options.regions.first() {
        loader = loader.region(Region::new(first.clone()));
    }
    if let Some(creds) = &options.static_credentials {
        loader = loader.credentials_provider(creds.clone());
    }
    let config = loader
        .identity_cache(
            aws_config::identity::IdentityCache::lazy()
                .load_timeout(super::credentials::RESOLVE_WITHIN)
                .build(),
        )
        .load()
        .await;
    match config.credentials_provider() {
        Some(chain) => config
            .into_builder()
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    super::credentials::Remembered::new(chain),
                ),
            )
            .build(),
        None => config,
    }
}

/// The one HTTPS client of the session, as the SDK would build it (hyper 1, rustls on aws-lc,
/// the proxy the environment names), shared by every service client and credential provider.
/// Without it each client builds its own on first use, each with its own copy of the system's
/// trusted certificates and its own connection pool: 0.4 MB for a wall's seven clients, more
/// with every account watched (BENCHMARKS.md §16).
fn https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::{Builder, Connector, tls};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector = Connector::builder().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_services_go_to_the_partitions_own_region() {
        assert_eq!(global_region("ap-northeast-1"), "us-east-1");
        assert_eq!(global_region("cn-north-1"), "cn-northwest-1");
        assert_eq!(global_region("us-gov-east-1"), "us-gov-west-1");
        assert!(has_cloudfront_waf("eu-west-1"));
        assert!(!has_cloudfront_waf("cn-northwest-1"));
        assert!(!has_cloudfront_waf("us-gov-west-1"));
    }

    #[tokio::test]
    async fn every_client_of_a_session_is_given_its_one_https_client() {
        let options = AwsOptions {
            regions: vec!["eu-west-1".to_string()],
            endpoint_url: Some("http://127.0.0.1:9".to_string()),
            static_credentials: Some(aws_credential_types::Credentials::new(
                "AKIDTEST", "secret", None, None, "test",
            )),
            ..AwsOptions::default()
        };
        let base = base_config(&options).await;
        // Without one here, each service client builds its own on first use.
        assert!(base.http_client().is_some(), "no shared HTTPS client");
        let clients = for_region(&base, "eu-west-1", Arc::default());
        assert!(clients.sdk_config.http_client().is_some());
    }
}
