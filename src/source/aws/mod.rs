//! Live AWS data through the official SDK: one source per panel, each fanning out over the
//! selected regions, behind the same traits as the demo world.

pub mod accounts;
mod clients;
pub mod cloudtrail;
mod counting;
mod credentials;
mod dns;
mod ec2;
mod elb;
mod error;
mod executor;
mod host_prefix;
mod identity;
mod ip_sets;
mod listener_rules;
pub mod log_groups;
pub mod metrics;
pub mod originals;
mod pace;
pub mod permissions;
pub mod shared_state;
pub mod tasks;
#[cfg(test)]
mod tests;
mod unknown_fields;
mod waf;

pub use clients::{AwsOptions, RegionClients, base_config, check_credentials, for_region};
pub use credentials::{explain_refusal, refusal_in};
pub use ec2::DESCRIPTIONS_KEPT_FOR;
pub use error::from_sdk;
pub use executor::{AwsExecutor, ReadAcl, ReadIpSet, with_rule_changed};

use super::{Identity, Session, Source, Sources};
use crate::model::Scope;
use std::sync::Arc;

/// What was last read for each key (a region, a WAF scope, an ACL) and when: what a panel keeps
/// showing beside a place's error while it cannot be read, or what is re-read on its own clock.
type LastRead<T> =
    std::sync::Mutex<std::collections::HashMap<String, (chrono::DateTime<chrono::Utc>, Vec<T>)>>;

/// One refresh of a panel read place by place: what every place answered, in order. A place
/// that failed (a region not enabled, denied by an SCP, throttled) shows its last answer, if it
/// had one, and is listed as unreadable with its error and the time of that answer; only when
/// every place failed is the refresh an error (the panel then keeps its data, age and error).
fn by_place<T: Clone>(
    last: &LastRead<T>,
    answers: Vec<(String, Result<Vec<T>, super::SourceError>)>,
) -> Result<(Vec<T>, Vec<crate::model::Unreadable>), super::SourceError> {
    let places = answers.len();
    let mut items = Vec::new();
    let mut unreadable = Vec::new();
    let mut failure = None;
    let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
    for (place, answer) in answers {
        match answer {
            Ok(read) => {
                items.extend(read.iter().cloned());
                last.insert(place, (chrono::Utc::now(), read));
            }
            Err(e) => {
                let kept = last.get(&place);
                if let Some((_, read)) = kept {
                    items.extend(read.iter().cloned());
                }
                unreadable.push(crate::model::Unreadable {
                    account: None,
                    place,
                    error: e.message.clone(),
                    data_from: kept.map(|(at, _)| *at),
                });
                failure.get_or_insert(e);
            }
        }
    }
    match failure {
        Some(e) if unreadable.len() == places => Err(e),
        _ => Ok((items, unreadable)),
    }
}

/// Connects to AWS (or an endpoint speaking its protocols). A read-only session is built without
/// an executor, so no key can lead to a mutating call.
pub async fn connect(options: &AwsOptions) -> Result<Session, super::SourceError> {
    connect_with(clients::base_config(options).await, options).await
}

/// [`connect`] with the shared configuration already loaded (the one whose credentials
/// [`check_credentials`] resolved).
pub async fn connect_with(
    base: aws_config::SdkConfig,
    options: &AwsOptions,
) -> Result<Session, super::SourceError> {
    if options.accounts.is_single() {
        let stats = Arc::new(super::stats::ApiStats::default());
        let regions = clients::connect(base, options, stats).await?;
        let shared = shared_store(options, &regions)?;
        return connect_account(regions, options, shared).await;
    }
    across_accounts(base, options).await
}

/// `[[account]]` / `[organization]`: a session per account, signed in that account, folded
/// into one. Who the console is, the team's store and the journal stay the base identity's;
/// each account keeps its rule originals in a file of its own.
async fn across_accounts(
    base: aws_config::SdkConfig,
    options: &AwsOptions,
) -> Result<Session, super::SourceError> {
    let watched = accounts::watched(&base, options, &options.accounts).await?;
    let stats = Arc::new(super::stats::ApiStats::default());
    // The base identity's own clients (who the console is, the team's store) need a region:
    // the top-level one, else the first an account names.
    let first_named = watched.iter().find_map(|w| w.regions.first().cloned());
    let base_options = match (options.regions.is_empty(), base.region(), first_named) {
        (true, None, Some(region)) => AwsOptions {
            regions: vec![region],
            ..options.clone()
        },
        _ => options.clone(),
    };
    let base_regions = clients::connect(base, &base_options, stats.clone()).await?;
    let shared = shared_store(options, &base_regions)?;
    let global = clients::global_region(&base_regions[0].region);
    let base_global = clients::for_region(&base_regions[0].sdk_config, global, stats.clone());
    let identity: Arc<dyn Source<Identity>> =
        Arc::new(identity::IdentitySource::new(base_global.sts().clone()));
    let mut sessions = Vec::new();
    // `l` on an ECS task looks in every account's regions (a task is found in its group's).
    let mut every_region = Vec::new();
    for (i, w) in watched.into_iter().enumerate() {
        let own = AwsOptions {
            regions: if w.regions.is_empty() {
                options.regions.clone()
            } else {
                w.regions.clone()
            },
            // `[[log]] log_group` entries are followed in the first account.
            log_groups: if i == 0 {
                options.log_groups.clone()
            } else {
                Vec::new()
            },
            originals_file: options.originals_file.as_ref().map(|f| {
                // An id is 12 digits once known; a placeholder is made safe for a file name.
                let id: String = (w.account.id.chars())
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                f.with_file_name(format!("rule-actions.{id}.json"))
            }),
            ..options.clone()
        };
        let regions = clients::connect(w.config, &own, stats.clone()).await?;
        every_region.extend(regions.iter().cloned());
        let session = connect_account(regions, &own, shared.clone()).await?;
        sessions.push(super::accounts::AccountSession {
            account: w.account,
            session,
        });
    }
    let mut session = super::accounts::across(identity, sessions).ok_or_else(|| {
        super::SourceError::new(
            super::ErrorKind::Other,
            "no account to watch: every configured account was left out by --account",
        )
    })?;
    session.tasks = Some(Arc::new(tasks::TaskLogs::new(
        &every_region,
        base_regions[0].sdk_config.endpoint_url().is_some(),
    )));
    Ok(session)
}

/// One account's session over its regions.
async fn connect_account(
    regions: Vec<RegionClients>,
    options: &AwsOptions,
    shared: Option<Arc<shared_state::SharedStore>>,
) -> Result<Session, super::SourceError> {
    let scope = Scope {
        accounts: Vec::new(),
        mode: "aws".to_string(),
        account: None,
        profile: options.profile.clone(),
        regions: regions.iter().map(|r| r.region.clone()).collect(),
        caller_arn: None,
    };
    // The partition's global region, from the first selected region (a console watches one
    // partition: its credentials are valid in one only).
    let global_region = clients::global_region(&regions[0].region);
    let global = regions
        .iter()
        .find(|r| r.region == global_region)
        .cloned()
        .unwrap_or_else(|| {
            clients::for_region(
                &regions[0].sdk_config,
                global_region,
                regions[0].stats.clone(),
            )
        });
    let zones = ec2::InstanceZones::default();
    let waf = Arc::new(
        waf::WafSource::new(&regions, &global, options.waf_window_minutes)
            .with_metrics_every(options.metrics_every_secs)
            .with_blocklists(ip_sets::Wanted::all(&options.blocklists, &regions, &global)),
    );
    let identity: Arc<dyn Source<Identity>> =
        Arc::new(identity::IdentitySource::new(global.sts().clone()));
    Ok(Session {
        sources: Sources {
            scope,
            identity: identity.clone(),
            targets: Arc::new({
                let source = elb::ElbSource::new(&regions)
                    .with_metrics_every(options.metrics_every_secs)
                    .with_zones(zones.clone());
                if options.one_shot {
                    source.one_shot()
                } else {
                    source
                }
            }),
            waf: waf.clone(),
            samples: waf,
            dns: Arc::new(dns::DnsSource::new(&global)),
            instances: Arc::new({
                let source = ec2::Ec2Source::new(&regions).with_zones(zones);
                if options.one_shot {
                    source.one_shot()
                } else {
                    source
                }
            }),
            logs: log_groups::configured(
                &options.log_groups,
                &regions,
                regions[0].sdk_config.endpoint_url().is_some(),
            ),
        },
        executor: if options.read_only {
            None
        } else {
            let exec = AwsExecutor::new(&regions, &global);
            Some(Arc::new(match (&shared, &options.originals_file) {
                (Some(store), _) => exec.with_originals(originals::Originals::shared(
                    store.clone(),
                    identity.clone(),
                )),
                (None, Some(file)) => exec.with_originals_file(file),
                (None, None) => exec,
            }))
        },
        ssh: None,
        stats: Some(global.stats.clone()),
        tasks: Some(Arc::new(tasks::TaskLogs::new(
            &regions,
            regions[0].sdk_config.endpoint_url().is_some(),
        ))),
        pending: None,
        shared,
        history: Some(Arc::new(cloudtrail::Trails::new(&regions))),
        timeline: None,
    })
}

/// The team's store `[state] shared` names, reached from its region (default the first
/// watched one) with the console's credentials.
fn shared_store(
    options: &AwsOptions,
    regions: &[RegionClients],
) -> Result<Option<Arc<shared_state::SharedStore>>, super::SourceError> {
    let Some(url) = &options.shared_state.shared else {
        return Ok(None);
    };
    let region = options
        .shared_state
        .region
        .clone()
        .unwrap_or_else(|| regions[0].region.clone());
    // Only the store's own client: the region's other clients would be built for nothing.
    let config = regions[0]
        .sdk_config
        .to_builder()
        .region(aws_config::Region::new(region))
        .build();
    let client = shared_state::SharedStore::client(&config, regions[0].stats.clone());
    let store = shared_state::SharedStore::new(client, url)
        .map_err(|e| super::SourceError::new(super::ErrorKind::Other, e))?;
    Ok(Some(Arc::new(store)))
}
