//! EC2: instances with their Name tag, type, zone and address, joined with status checks and
//! scheduled events (`IncludeAllInstances`, so stopped instances are listed too).

use super::super::{Source, SourceError};
use super::clients::RegionClients;
use super::error::from_sdk;
use crate::model::{CheckStatus, Instance, InstancesView, ScheduledEvent};
use aws_sdk_ec2 as ec2;
use chrono::DateTime;
use futures::future::BoxFuture;
use std::collections::HashMap;

pub struct Ec2Source {
    regions: Vec<RegionClients>,
}

impl Ec2Source {
    pub fn new(regions: &[RegionClients]) -> Self {
        Ec2Source {
            regions: regions.to_vec(),
        }
    }

    async fn region(&self, rc: &RegionClients) -> Result<Vec<Instance>, SourceError> {
        let c = &rc.ec2;
        let (reservations, statuses) = tokio::join!(
            c.describe_instances()
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>(),
            c.describe_instance_status()
                .include_all_instances(true)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>(),
        );
        let reservations = reservations.map_err(|e| from_sdk("ec2 DescribeInstances", e))?;
        let statuses = statuses.map_err(|e| from_sdk("ec2 DescribeInstanceStatus", e))?;
        let by_id: HashMap<&str, &ec2::types::InstanceStatus> = statuses
            .iter()
            .filter_map(|s| Some((s.instance_id()?, s)))
            .collect();
        Ok(reservations
            .iter()
            .flat_map(|r| r.instances())
            .map(|i| {
                let id = i.instance_id().unwrap_or_default();
                let status = by_id.get(id);
                Instance {
                    id: id.to_string(),
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
                    region: rc.region.clone(),
                    private_ip: i.private_ip_address().map(str::to_string),
                    public_ip: i.public_ip_address().map(str::to_string),
                    state: i
                        .state()
                        .and_then(|s| s.name())
                        .map(|n| n.as_str().to_string())
                        .unwrap_or_default(),
                    system_status: check(
                        status
                            .and_then(|s| s.system_status())
                            .and_then(|s| s.status()),
                    ),
                    instance_status: check(
                        status
                            .and_then(|s| s.instance_status())
                            .and_then(|s| s.status()),
                    ),
                    events: status
                        .map(|s| s.events())
                        .unwrap_or_default()
                        .iter()
                        .map(|e| ScheduledEvent {
                            code: e.code().map(|c| c.as_str().to_string()).unwrap_or_default(),
                            description: e.description().unwrap_or_default().to_string(),
                            not_before: e
                                .not_before()
                                .and_then(|t| DateTime::from_timestamp(t.secs(), 0)),
                        })
                        .collect(),
                }
            })
            .collect())
    }
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
            let mut instances = Vec::new();
            for r in per_region {
                instances.extend(r?);
            }
            Ok(InstancesView { instances })
        })
    }
}
