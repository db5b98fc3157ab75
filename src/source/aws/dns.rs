//! Route53: hosted zones and their record sets, grouped by name and type, each record with its
//! routing policy and the health of its health check (from CloudWatch, as `GetHealthCheckStatus`
//! is not meant for polling). Requests are paced: the account's Route53 quota is shared with
//! everyone's tooling.

use super::super::{ErrorKind, Source, SourceError};
use super::clients::RegionClients;
use super::error::from_sdk;
use super::metrics::{self, MetricQuery};
use super::pace::Pace;
use crate::model::{
    Answer, DnsView, GeoLocation, Health, HostedZone, Record, RecordSet, RoutingPolicy,
};
use aws_sdk_route53 as r53;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use chrono::Utc;
use futures::future::BoxFuture;
use std::collections::HashSet;

/// A burst of this many calls, then one per second on average.
const BURST: u32 = 10;
const PAGE_SIZE: i32 = 300;
/// `GetHealthCheckStatus` calls per refresh at most, for checks without a metric yet.
const STATUS_CALLS_PER_REFRESH: usize = 10;

pub struct DnsSource {
    route53: r53::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    pace: Pace,
}

impl DnsSource {
    pub fn new(global: &RegionClients) -> Self {
        DnsSource {
            route53: global.route53().clone(),
            cloudwatch: global.cloudwatch().clone(),
            pace: Pace::new(1, BURST),
        }
    }

    async fn zones(&self) -> Result<Vec<r53::types::HostedZone>, SourceError> {
        let mut zones = Vec::new();
        let mut marker: Option<String> = None;
        let mut seen = HashSet::new();
        loop {
            self.pace.ready().await;
            let out = self
                .route53
                .list_hosted_zones()
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| from_sdk("route53 ListHostedZones", e))?;
            zones.extend(out.hosted_zones().iter().cloned());
            match out.next_marker() {
                Some(m) if out.is_truncated() && seen.insert(m.to_string()) => {
                    marker = Some(m.to_string())
                }
                _ => break,
            }
        }
        Ok(zones)
    }

    /// Every record set of a zone, in Route53's order. Pages continue at (name, type,
    /// identifier); a page that would start where an earlier one did ends the walk instead of
    /// looping forever. Each record is kept as the panel's `Record` as its page arrives: in the
    /// SDK's types a zone's answers are several times their size in ours, and a refresh held
    /// all of them until the last page (BENCHMARKS.md §16). The caller fills in health.
    async fn record_sets(&self, zone_id: &str) -> Result<Vec<RecordSet>, SourceError> {
        let mut sets = Vec::new();
        let mut start: Option<(String, r53::types::RrType, Option<String>)> = None;
        // Where each page started: one that would start there again ends the walk.
        let mut seen: HashSet<RecordKey> = HashSet::new();
        let mut keys = PageKeys::default();
        loop {
            self.pace.ready().await;
            let mut req = self
                .route53
                .list_resource_record_sets()
                .hosted_zone_id(zone_id)
                .max_items(PAGE_SIZE);
            if let Some((name, rtype, id)) = &start {
                req = req
                    .start_record_name(name)
                    .start_record_type(rtype.clone())
                    .set_start_record_identifier(id.clone());
            }
            let out = req
                .send()
                .await
                .map_err(|e| from_sdk("route53 ListResourceRecordSets", e))?;
            for r in out.resource_record_sets() {
                let key = (
                    r.name().to_string(),
                    r.r#type().as_str().to_string(),
                    r.set_identifier().map(str::to_string),
                );
                if keys.first_time(key) {
                    add(&mut sets, r);
                }
            }
            keys.next_page();
            if !out.is_truncated() {
                break;
            }
            let (Some(name), Some(rtype)) = (out.next_record_name(), out.next_record_type()) else {
                break;
            };
            let next = (
                name.to_string(),
                rtype.clone(),
                out.next_record_identifier().map(str::to_string),
            );
            if !seen.insert((next.0.clone(), next.1.as_str().to_string(), next.2.clone())) {
                tracing::warn!(
                    zone = zone_id,
                    "Route53 returned a page it had returned before; stopping"
                );
                break;
            }
            start = Some(next);
        }
        Ok(sets)
    }

    /// Health check status from the `AWS/Route53` `HealthCheckStatus` metric (1 healthy, 0 not).
    async fn health(&self, ids: &[String]) -> Result<Vec<Health>, SourceError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let queries: Vec<MetricQuery> = ids
            .iter()
            .map(|id| MetricQuery {
                namespace: "AWS/Route53",
                metric: "HealthCheckStatus",
                dimensions: vec![("HealthCheckId", id.clone())],
                stat: "Minimum",
            })
            .collect();
        let end = Utc::now();
        let start = end - chrono::Duration::minutes(10);
        let series = metrics::fetch(&self.cloudwatch, &queries, start, end, 60).await?;
        let mut asked = 0;
        let mut out = Vec::with_capacity(ids.len());
        for (id, s) in ids.iter().zip(&series) {
            out.push(match s.last() {
                Some((_, v)) if *v >= 1.0 => Health::Healthy,
                Some(_) => Health::Unhealthy,
                // No metric yet (a new check): ask Route53 itself, sparingly — that call is not
                // meant for polling.
                None if asked < STATUS_CALLS_PER_REFRESH => {
                    asked += 1;
                    self.checker_verdict(id).await?
                }
                None => Health::Unknown,
            });
        }
        Ok(out)
    }
}

impl DnsSource {
    /// Healthy when most of Route53's checkers report success. A throttled or failed call fails
    /// the refresh (the panel keeps its last answer, with its age and the error) rather than
    /// show "unknown" for a check that has a verdict; only a check we may not read, or one that
    /// is gone, is unknown.
    async fn checker_verdict(&self, id: &str) -> Result<Health, SourceError> {
        self.pace.ready().await;
        match self
            .route53
            .get_health_check_status()
            .health_check_id(id)
            .send()
            .await
        {
            Ok(out) => {
                let reports = out.health_check_observations();
                let ok = reports
                    .iter()
                    .filter(|o| {
                        o.status_report()
                            .and_then(|r| r.status())
                            .is_some_and(|s| s.starts_with("Success"))
                    })
                    .count();
                Ok(verdict(ok, reports.len()))
            }
            // Calculated and CloudWatch-alarm checks have no checkers to ask: Route53 refuses
            // the call for them. Their verdict comes from the metric alone.
            Err(e) if e.as_service_error().and_then(|se| se.code()) == Some("InvalidInput") => {
                tracing::debug!(
                    health_check = id,
                    "no checkers to ask: health unknown until its metric"
                );
                Ok(Health::Unknown)
            }
            Err(e) => {
                let e = from_sdk("route53 GetHealthCheckStatus", e);
                if matches!(e.kind, ErrorKind::AccessDenied | ErrorKind::NotFound) {
                    tracing::debug!(error = %e, "health unknown");
                    Ok(Health::Unknown)
                } else {
                    Err(e)
                }
            }
        }
    }
}

/// Route53 considers an endpoint healthy when more than 18 % of its checkers report it healthy
/// ("How Amazon Route 53 determines whether a health check is healthy").
fn verdict(healthy_reports: usize, reports: usize) -> Health {
    match reports {
        0 => Health::Unknown,
        n if healthy_reports * 100 > n * 18 => Health::Healthy,
        _ => Health::Unhealthy,
    }
}

/// A domain name as Route53 returns it, with its escapes (`\052` for `*`, `\ddd` octal for
/// any character other than a–z, 0–9, `-` and `_`) turned back into characters.
pub fn unescape_name(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match octal.and_then(|d| u8::from_str_radix(std::str::from_utf8(d).ok()?, 8).ok()) {
            Some(b) => {
                out.push(b);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn policy(r: &r53::types::ResourceRecordSet) -> RoutingPolicy {
    if r.geo_location().is_some() {
        RoutingPolicy::Geolocation
    } else if r.geo_proximity_location().is_some() {
        RoutingPolicy::Geoproximity
    } else if r.weight().is_some() {
        RoutingPolicy::Weighted
    } else if r.failover().is_some() {
        RoutingPolicy::Failover
    } else if r.region().is_some() {
        RoutingPolicy::Latency
    } else if r.cidr_routing_config().is_some() {
        RoutingPolicy::IpBased
    } else if r.multi_value_answer().unwrap_or(false) {
        RoutingPolicy::Multivalue
    } else {
        RoutingPolicy::Simple
    }
}

/// A record's identity in its zone: name, type and set identifier.
type RecordKey = (String, String, Option<String>);

/// Which records of a zone's walk are met for the first time. The same record can come back at
/// a page boundary; a page starts where the one before ended, so a record is checked against
/// its own page's keys and the page before's only, not the zone's every key (0.45 MB at 2,000
/// records, BENCHMARKS.md §16).
#[derive(Default)]
struct PageKeys {
    before: HashSet<RecordKey>,
    this_page: HashSet<RecordKey>,
}

impl PageKeys {
    fn first_time(&mut self, key: RecordKey) -> bool {
        !self.before.contains(&key) && self.this_page.insert(key)
    }

    /// The page is read: its keys are the ones the next page is checked against.
    fn next_page(&mut self) {
        self.before = std::mem::take(&mut self.this_page);
    }
}

/// The record's fields the panel shows; health is `NotChecked` until the caller reads its check.
fn record(r: &r53::types::ResourceRecordSet) -> Record {
    let answer = match r.alias_target() {
        Some(a) => Answer::Alias {
            target: a.dns_name().to_string(),
            evaluate_health: a.evaluate_target_health(),
        },
        None => Answer::Values {
            ttl: r.ttl().and_then(|t| u32::try_from(t).ok()).unwrap_or(0),
            values: r
                .resource_records()
                .iter()
                .map(|v| v.value().to_string())
                .collect(),
        },
    };
    let detail = if let Some(w) = r.weight() {
        Some(format!("weight {w}"))
    } else if let Some(f) = r.failover() {
        Some(f.as_str().to_string())
    } else {
        r.region().map(|reg| reg.as_str().to_string())
    };
    Record {
        set_identifier: r.set_identifier().map(str::to_string),
        location: r.geo_location().map(|g| GeoLocation {
            continent: g.continent_code().map(str::to_string),
            country: g.country_code().map(str::to_string),
            subdivision: g.subdivision_code().map(str::to_string),
        }),
        policy_detail: detail,
        answer,
        health_check_id: r.health_check_id().map(str::to_string),
        health: Health::NotChecked,
    }
}

/// Adds a record to its set: consecutive records of one name and type, as Route53 lists them,
/// are one set.
fn add(sets: &mut Vec<RecordSet>, r: &r53::types::ResourceRecordSet) {
    let name = unescape_name(r.name());
    let rtype = r.r#type().as_str();
    match sets.last_mut() {
        Some(s) if s.name == name && s.rtype == rtype => s.records.push(record(r)),
        _ => sets.push(RecordSet {
            name,
            rtype: rtype.to_string(),
            policy: policy(r),
            records: vec![record(r)],
        }),
    }
}

impl Source<DnsView> for DnsSource {
    fn fetch(&self) -> BoxFuture<'_, Result<DnsView, SourceError>> {
        Box::pin(async move {
            let zones = self.zones().await?;
            let mut read = Vec::new();
            for z in &zones {
                read.push(self.record_sets(z.id()).await?);
            }
            let check_ids: Vec<String> = read
                .iter()
                .flatten()
                .flat_map(|s| &s.records)
                .filter_map(|r| r.health_check_id.clone())
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            let statuses = match self.health(&check_ids).await {
                Ok(s) => s,
                Err(e) if e.kind == ErrorKind::AccessDenied => {
                    vec![Health::Unknown; check_ids.len()]
                }
                Err(e) => return Err(e),
            };
            for r in read.iter_mut().flatten().flat_map(|s| &mut s.records) {
                if let Some(id) = &r.health_check_id {
                    r.health = check_ids
                        .iter()
                        .position(|c| c == id)
                        .and_then(|i| statuses.get(i).copied())
                        .unwrap_or(Health::Unknown);
                }
            }
            Ok(DnsView {
                unreadable: Vec::new(),
                zones: zones
                    .iter()
                    .zip(read)
                    .map(|(z, record_sets)| HostedZone {
                        account: None,
                        name: unescape_name(z.name()),
                        id: z.id().trim_start_matches("/hostedzone/").to_string(),
                        private: z.config().is_some_and(|c| c.private_zone()),
                        record_sets,
                    })
                    .collect(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_repeated_within_a_page_or_at_its_boundary_is_kept_once() {
        let key = |name: &str| (name.to_string(), "A".to_string(), None);
        let mut keys = PageKeys::default();
        assert!(keys.first_time(key("a.example.")));
        assert!(keys.first_time(key("b.example.")));
        assert!(!keys.first_time(key("b.example.")), "twice in one page");
        keys.next_page();
        assert!(
            !keys.first_time(key("b.example.")),
            "the next page starting with the last"
        );
        assert!(keys.first_time(key("c.example.")));
        keys.next_page();
        // Two pages on, a key is no longer kept: the walk only moves forward.
        assert!(keys.first_time(key("a.example.")));
    }

    #[test]
    fn a_check_is_healthy_when_more_than_18_percent_of_checkers_say_so() {
        // 16 checkers: 3 is 18.75 % (healthy), 2 is 12.5 % (unhealthy).
        assert_eq!(verdict(3, 16), Health::Healthy);
        assert_eq!(verdict(2, 16), Health::Unhealthy);
        // Exactly 18 % is not more than 18 %.
        assert_eq!(verdict(9, 50), Health::Unhealthy);
        assert_eq!(verdict(10, 50), Health::Healthy);
        assert_eq!(verdict(0, 0), Health::Unknown);
    }

    #[test]
    fn route53_escapes_in_names_are_shown_as_characters() {
        assert_eq!(unescape_name("\\052.example.com."), "*.example.com.");
        assert_eq!(unescape_name("a\\100b.example."), "a@b.example.");
        assert_eq!(
            unescape_name("plain-name_1.example."),
            "plain-name_1.example."
        );
        // Not an escape: left as it is.
        assert_eq!(unescape_name("odd\\9.example."), "odd\\9.example.");
    }
}
