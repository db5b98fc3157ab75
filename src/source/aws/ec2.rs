//! EC2: instances with their Name tag, type, zone and address, joined with status checks and
//! scheduled events (`IncludeAllInstances`, so stopped instances are listed too).
//!
//! The console reads the status listing on every refresh but the descriptions only when that
//! listing (which instances, in which state) changed, and at least every
//! `DESCRIPTIONS_KEPT_FOR` refreshes: at 500 instances a `DescribeInstances` answer is several
//! times the size of the status listing and rarely says anything new. It describes the
//! instances of the listing by their ids, `DESCRIBE_IDS` at a time, so no answer holds more
//! than that many however the instances were launched. A snapshot reads both side by side.

use super::super::{Source, SourceError};
use super::clients::RegionClients;
use super::error::from_sdk;
use crate::model::{CheckStatus, Instance, InstancesView, ScheduledEvent};
use aws_sdk_ec2 as ec2;
use chrono::DateTime;
use futures::future::BoxFuture;
use futures::{Stream, StreamExt, TryStreamExt};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Refreshes that may reuse the descriptions while the status listing stays the same, so a
/// renamed instance or a new address shows within this many refreshes (5 min at the default
/// 30 s).
pub const DESCRIPTIONS_KEPT_FOR: u32 = 10;

/// The zone of each instance, by region and id, shared by the two panels that need it: the
/// instances panel describes every instance of a region, and the Targets panel shows the zones
/// of its instance targets, which ELBv2 leaves out. An instance never changes zone, so what one
/// panel learnt spares the other a `DescribeInstances` call (in a snapshot, a round trip at the
/// end of the Targets panel's chain). Each read of a region's instances replaces that region's
/// zones, so instances gone since are forgotten on a wall that runs for weeks.
#[derive(Clone, Default)]
pub struct InstanceZones(Arc<Mutex<HashMap<String, HashMap<String, String>>>>);

impl InstanceZones {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, HashMap<String, String>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every instance of `region` as just listed, in place of what was known there.
    pub fn replace(&self, region: &str, zones: HashMap<String, String>) {
        self.lock().insert(region.to_string(), zones);
    }

    /// A few more, looked up by id.
    pub fn learn(&self, region: &str, zones: impl IntoIterator<Item = (String, String)>) {
        self.lock()
            .entry(region.to_string())
            .or_default()
            .extend(zones);
    }

    /// The zones of `ids` in `region` that are known.
    pub fn of<'a>(
        &self,
        region: &str,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> HashMap<String, String> {
        let known = self.lock();
        let Some(zones) = known.get(region) else {
            return HashMap::new();
        };
        ids.into_iter()
            .filter_map(|id| Some((id.to_string(), zones.get(id)?.clone())))
            .collect()
    }
}

pub struct Ec2Source {
    regions: Vec<RegionClients>,
    zones: InstanceZones,
    /// Per region, the descriptions last read; `None` for a snapshot.
    kept: Option<Mutex<HashMap<String, Kept>>>,
    /// Each region's last answer, shown while it cannot be read.
    last_read: super::LastRead<Instance>,
}

/// Descriptions read, with the status listing they went with.
struct Kept {
    listing: Vec<(String, String)>,
    described: Vec<Instance>,
    reused: u32,
}

impl Ec2Source {
    pub fn new(regions: &[RegionClients]) -> Self {
        Ec2Source {
            regions: regions.to_vec(),
            zones: InstanceZones::default(),
            kept: Some(Mutex::new(HashMap::new())),
            last_read: Mutex::new(HashMap::new()),
        }
    }

    /// Tells `zones` the zone of every instance it describes.
    pub fn with_zones(self, zones: InstanceZones) -> Self {
        Ec2Source { zones, ..self }
    }

    /// For a snapshot: nothing to keep between refreshes, so both reads go side by side.
    pub fn one_shot(self) -> Self {
        Ec2Source { kept: None, ..self }
    }

    /// The descriptions kept for `region`, taken out: a refresh that fails reads both again.
    fn take(&self, region: &str) -> Option<Kept> {
        let mut kept = self
            .kept
            .as_ref()?
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        kept.remove(region)
    }

    fn keep(&self, region: &str, kept: Kept) {
        if let Some(k) = &self.kept {
            k.lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(region.to_string(), kept);
        }
    }

    async fn region(&self, rc: &RegionClients) -> Result<Vec<Instance>, SourceError> {
        let instances = self.read_region(rc).await?;
        self.zones.replace(
            &rc.region,
            instances
                .iter()
                .filter(|i| !i.az.is_empty())
                .map(|i| (i.id.clone(), i.az.clone()))
                .collect(),
        );
        Ok(instances)
    }

    async fn read_region(&self, rc: &RegionClients) -> Result<Vec<Instance>, SourceError> {
        if self.kept.is_none() {
            // A snapshot: nothing kept, and its time is the longest chain of calls, so the
            // descriptions are not made to wait for the listing.
            let (statuses, described) = tokio::join!(statuses(rc), describe_all(rc));
            return Ok(with_status(described?, &statuses?));
        }
        let kept = self.take(&rc.region);
        let statuses = statuses(rc).await?;
        let listing = listing(&statuses);
        let (described, reused) = match kept {
            Some(kept) if listing == kept.listing && kept.reused + 1 < DESCRIPTIONS_KEPT_FOR => {
                (kept.described, kept.reused + 1)
            }
            _ => (describe_listed(rc, &listing).await?, 0),
        };
        self.keep(
            &rc.region,
            Kept {
                listing,
                described: described.clone(),
                reused,
            },
        );
        Ok(with_status(described, &statuses))
    }
}

async fn statuses(rc: &RegionClients) -> Result<Vec<ec2::types::InstanceStatus>, SourceError> {
    rc.ec2()
        .describe_instance_status()
        .include_all_instances(true)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| from_sdk("ec2 DescribeInstanceStatus", e))
}

/// Which instances there are and in which state: when this changes, so may the descriptions.
fn listing(statuses: &[ec2::types::InstanceStatus]) -> Vec<(String, String)> {
    let mut listing: Vec<(String, String)> = statuses
        .iter()
        .map(|s| {
            (
                s.instance_id().unwrap_or_default().to_string(),
                s.instance_state()
                    .and_then(|st| st.name())
                    .map(|n| n.as_str().to_string())
                    .unwrap_or_default(),
            )
        })
        .collect();
    listing.sort_unstable();
    listing
}

/// Instances asked for per `DescribeInstances` page: each page is decoded into the SDK's full
/// model (block devices, interfaces, …, ~10 KB an instance) and kept only as long as it takes
/// to copy out what the panel shows, so the peak is one page, not the whole estate.
const DESCRIBE_PAGE: i32 = 100;

/// Instance ids named per `DescribeInstances` call (in an `instance-id` filter, which, unlike
/// `InstanceIds`, goes with `MaxResults` and does not fail the call for an instance gone
/// since the listing). `MaxResults` alone does not bound an answer everywhere: a server may
/// count reservations, not instances, and one `RunInstances` can launch hundreds into one
/// reservation (the emulator does; its 500-instance estate came back in a single 5 MB answer).
/// 100 ids make a request of about 3 KB, half of the 200 values one filter is reported to take
/// (the API reference documents no limit on a filter's values).
const DESCRIBE_IDS: usize = 100;

/// The instances of `listing` as described, `DESCRIBE_IDS` at a time, each answer copied out
/// and dropped before the next is asked for; their checks not filled in yet.
async fn describe_listed(
    rc: &RegionClients,
    listing: &[(String, String)],
) -> Result<Vec<Instance>, SourceError> {
    let ids: Vec<String> = listing.iter().map(|(id, _)| id.clone()).collect();
    let keep = |i: &ec2::types::Instance| Some(described(i, &rc.region));
    described_by_id(rc, &ids, 1, &keep).try_concat().await
}

/// Every instance of the region as described, their checks not filled in yet.
async fn describe_all(rc: &RegionClients) -> Result<Vec<Instance>, SourceError> {
    describe(rc, None, &|i| Some(described(i, &rc.region))).await
}

/// What `keep` takes of each instance that `ids` name, `DESCRIBE_IDS` ids to a
/// `DescribeInstances` call, up to `in_flight` calls at once: one item per call, in the order
/// the calls end. No answer holds more than `DESCRIBE_IDS` instances, each page is turned into
/// what `keep` takes before its call asks for the next, so at most `in_flight` answers are held
/// at a time. An id EC2 does not know is left out, not an error.
pub(super) fn described_by_id<'a, T, F>(
    rc: &'a RegionClients,
    ids: &'a [String],
    in_flight: usize,
    keep: &'a F,
) -> impl Stream<Item = Result<Vec<T>, SourceError>> + Send + 'a
where
    T: Send + 'a,
    F: Fn(&ec2::types::Instance) -> Option<T> + Sync,
{
    futures::stream::iter(ids.chunks(DESCRIBE_IDS))
        .map(move |ids| {
            let ids = ec2::types::Filter::builder()
                .name("instance-id")
                .set_values(Some(ids.to_vec()))
                .build();
            describe(rc, Some(ids), keep)
        })
        .buffer_unordered(in_flight.max(1))
}

/// What `keep` takes of each instance `filter` finds (every instance without one), a page at a
/// time.
async fn describe<T, F>(
    rc: &RegionClients,
    filter: Option<ec2::types::Filter>,
    keep: &F,
) -> Result<Vec<T>, SourceError>
where
    F: Fn(&ec2::types::Instance) -> Option<T>,
{
    let mut kept = Vec::new();
    let mut pages = rc
        .ec2()
        .describe_instances()
        .set_filters(filter.map(|f| vec![f]))
        .max_results(DESCRIBE_PAGE)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| from_sdk("ec2 DescribeInstances", e))?;
        kept.extend(
            page.reservations()
                .iter()
                .flat_map(|r| r.instances())
                .filter_map(keep),
        );
    }
    Ok(kept)
}

/// What the panel shows of one instance's description.
fn described(i: &ec2::types::Instance, region: &str) -> Instance {
    Instance {
        account: None,
        id: i.instance_id().unwrap_or_default().to_string(),
        name: i
            .tags()
            .iter()
            .find(|t| t.key() == Some("Name"))
            .and_then(|t| t.value())
            .map(str::to_string),
        instance_type: i
            .instance_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        az: i
            .placement()
            .and_then(|p| p.availability_zone())
            .unwrap_or_default()
            .to_string(),
        region: region.to_string(),
        private_ip: i.private_ip_address().map(str::to_string),
        public_ip: i.public_ip_address().map(str::to_string),
        state: i
            .state()
            .and_then(|s| s.name())
            .map(|n| n.as_str().to_string())
            .unwrap_or_default(),
        system_status: CheckStatus::NotApplicable,
        instance_status: CheckStatus::NotApplicable,
        events: Vec::new(),
    }
}

/// The descriptions with the checks and scheduled events of this refresh.
fn with_status(
    mut instances: Vec<Instance>,
    statuses: &[ec2::types::InstanceStatus],
) -> Vec<Instance> {
    let by_id: HashMap<&str, &ec2::types::InstanceStatus> = statuses
        .iter()
        .filter_map(|s| Some((s.instance_id()?, s)))
        .collect();
    for i in &mut instances {
        let status = by_id.get(i.id.as_str());
        i.system_status = check(
            status
                .and_then(|s| s.system_status())
                .and_then(|s| s.status()),
        );
        i.instance_status = check(
            status
                .and_then(|s| s.instance_status())
                .and_then(|s| s.status()),
        );
        i.events = status
            .map(|s| s.events())
            .unwrap_or_default()
            .iter()
            .filter(|e| !is_over(e.description().unwrap_or_default()))
            .map(|e| ScheduledEvent {
                code: e.code().map(|c| c.as_str().to_string()).unwrap_or_default(),
                description: e.description().unwrap_or_default().to_string(),
                not_before: e
                    .not_before()
                    .and_then(|t| DateTime::from_timestamp(t.secs(), 0)),
            })
            .collect();
    }
    instances
}

/// EC2 goes on describing an event for about a week after it completed or was canceled, its
/// description starting "[Completed]" or "[Canceled]": it is no longer coming.
fn is_over(description: &str) -> bool {
    let d = description.trim_start();
    d.starts_with("[Completed]") || d.starts_with("[Canceled]") || d.starts_with("[Cancelled]")
}

fn check(s: Option<&ec2::types::SummaryStatus>) -> CheckStatus {
    use ec2::types::SummaryStatus as S;
    match s {
        Some(S::Ok) => CheckStatus::Ok,
        Some(S::Impaired) => CheckStatus::Impaired,
        Some(S::Initializing) => CheckStatus::Initializing,
        Some(S::InsufficientData) => CheckStatus::InsufficientData,
        _ => CheckStatus::NotApplicable,
    }
}

impl Source<InstancesView> for Ec2Source {
    fn fetch(&self) -> BoxFuture<'_, Result<InstancesView, SourceError>> {
        Box::pin(async move {
            let per_region =
                futures::future::join_all(self.regions.iter().map(|r| self.region(r))).await;
            let answers = self
                .regions
                .iter()
                .map(|r| r.region.clone())
                .zip(per_region)
                .collect();
            let (instances, unreadable) = super::by_place(&self.last_read, answers)?;
            Ok(InstancesView {
                instances,
                unreadable,
            })
        })
    }
}

#[cfg(test)]
mod zones_tests {
    use super::*;

    /// A region's read replaces what was known there, so an instance gone since is forgotten;
    /// lookups add to it; a region's zones are never another's.
    #[test]
    fn a_regions_read_replaces_its_zones() {
        let zones = InstanceZones::default();
        zones.learn(
            "ap-northeast-1",
            [("i-old".into(), "ap-northeast-1a".into())],
        );
        zones.replace(
            "ap-northeast-1",
            HashMap::from([("i-web".to_string(), "ap-northeast-1c".to_string())]),
        );
        let known = |id: &str| !zones.of("ap-northeast-1", [id]).is_empty();
        assert!(!known("i-old"), "a gone instance kept");
        assert!(known("i-web"));
        assert!(zones.of("us-east-1", ["i-web"]).is_empty());
        zones.learn(
            "ap-northeast-1",
            [("i-api".into(), "ap-northeast-1a".into())],
        );
        let of = zones.of("ap-northeast-1", ["i-api", "i-nobody"]);
        assert_eq!(
            of,
            HashMap::from([("i-api".to_string(), "ap-northeast-1a".to_string())])
        );
    }
}
