//! The IP sets `[[waf.blocklist]]` names: found by name (`ListIPSets`) and read (`GetIPSet`)
//! only when their lock token changed, so a quiet set costs one list call a refresh.

use super::clients::RegionClients;
use super::error::from_sdk;
use crate::config::settings::Blocklist;
use crate::model::waf::{IpSet, VpcRange};
use crate::model::{Unreadable, WafScope};
use aws_sdk_wafv2 as waf;
use std::collections::HashMap;
use std::sync::Mutex;

/// `ListIPSets` answers at most 100 a page.
const LIST_LIMIT: i32 = 100;

/// Where one configured set lives, with the client to reach it.
#[derive(Clone)]
pub struct Wanted {
    pub config: Blocklist,
    pub region: String,
    pub client: waf::Client,
}

impl Wanted {
    /// Each entry in the region it names, else the first watched region (CloudFront sets
    /// live in the global region).
    pub fn all(
        blocklists: &[Blocklist],
        regions: &[RegionClients],
        global: &RegionClients,
    ) -> Vec<Wanted> {
        blocklists
            .iter()
            .filter_map(|b| {
                let rc = match (b.scope, &b.region) {
                    (WafScope::Cloudfront, _) => Some(global),
                    (WafScope::Regional, Some(r)) => regions.iter().find(|c| &c.region == r),
                    (WafScope::Regional, None) => regions.first(),
                }?;
                Some(Wanted {
                    config: b.clone(),
                    region: rc.region.clone(),
                    client: rc.waf.clone(),
                })
            })
            .collect()
    }

    fn label(&self) -> String {
        format!("IP set {} ({})", self.config.ip_set, self.region)
    }

    fn scope(&self) -> waf::types::Scope {
        match self.config.scope {
            WafScope::Regional => waf::types::Scope::Regional,
            WafScope::Cloudfront => waf::types::Scope::Cloudfront,
        }
    }
}

/// VPC ranges change rarely: read again after this long.
const VPCS_EVERY_SECS: i64 = 600;

/// Sets as last read, by ARN, with their lock token; and the VPC ranges with when read.
#[derive(Default)]
pub struct IpSets {
    cache: Mutex<HashMap<String, (String, IpSet)>>,
    vpcs: Mutex<Option<(chrono::DateTime<chrono::Utc>, Vec<VpcRange>)>>,
}

impl IpSets {
    /// Every VPC CIDR block (IPv4 and IPv6) of the regions (`DescribeVpcs`, one call a region
    /// every ten minutes). A region that cannot be read is left out and logged: the static
    /// internal ranges still hold.
    pub async fn vpc_ranges(&self, regions: &[(String, aws_sdk_ec2::Client)]) -> Vec<VpcRange> {
        let now = chrono::Utc::now();
        if let Some((at, ranges)) = &*self.vpcs.lock().unwrap_or_else(|e| e.into_inner())
            && (now - *at).num_seconds() < VPCS_EVERY_SECS
        {
            return ranges.clone();
        }
        let mut ranges = Vec::new();
        for (region, ec2) in regions {
            let vpcs = ec2
                .describe_vpcs()
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await;
            let vpcs = match vpcs {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(region, error = %from_sdk("ec2 DescribeVpcs", e).message, "VPC ranges not read");
                    continue;
                }
            };
            for vpc in vpcs {
                let id = vpc.vpc_id().unwrap_or_default().to_string();
                let v4 = vpc
                    .cidr_block_association_set()
                    .iter()
                    .filter_map(|a| a.cidr_block());
                let v6 = vpc
                    .ipv6_cidr_block_association_set()
                    .iter()
                    .filter_map(|a| a.ipv6_cidr_block());
                let mut cidrs: Vec<&str> = v4.chain(v6).collect();
                if cidrs.is_empty()
                    && let Some(c) = vpc.cidr_block()
                {
                    cidrs.push(c);
                }
                ranges.extend(cidrs.into_iter().map(|cidr| VpcRange {
                    region: region.clone(),
                    vpc_id: id.clone(),
                    cidr: cidr.to_string(),
                }));
            }
        }
        *self.vpcs.lock().unwrap_or_else(|e| e.into_inner()) = Some((now, ranges.clone()));
        ranges
    }

    /// Every wanted set; one that cannot be found or read is named with its error.
    pub async fn read(&self, wanted: &[Wanted]) -> (Vec<IpSet>, Vec<Unreadable>) {
        let mut sets = Vec::new();
        let mut unreadable = Vec::new();
        for w in wanted {
            match self.one(w).await {
                Ok(set) => sets.push(set),
                Err(error) => unreadable.push(Unreadable {
                    place: w.label(),
                    error,
                    data_from: None,
                }),
            }
        }
        (sets, unreadable)
    }

    async fn one(&self, w: &Wanted) -> Result<IpSet, String> {
        let mut marker: Option<String> = None;
        let summary = loop {
            let out = w
                .client
                .list_ip_sets()
                .scope(w.scope())
                .limit(LIST_LIMIT)
                .set_next_marker(marker.take())
                .send()
                .await
                .map_err(|e| from_sdk("wafv2 ListIPSets", e).message)?;
            if let Some(s) = out
                .ip_sets()
                .iter()
                .find(|s| s.name() == Some(w.config.ip_set.as_str()))
            {
                break s.clone();
            }
            match out.next_marker() {
                Some(m) if !m.is_empty() && !out.ip_sets().is_empty() => {
                    marker = Some(m.to_string())
                }
                _ => {
                    return Err(format!(
                        "no IP set named {} in {} ({}): create it, or fix [[waf.blocklist]]",
                        w.config.ip_set,
                        w.region,
                        w.scope().as_str()
                    ));
                }
            }
        };
        let (Some(id), Some(arn), token) = (summary.id(), summary.arn(), summary.lock_token())
        else {
            return Err(format!(
                "IP set {} was listed without its id",
                w.config.ip_set
            ));
        };
        if let Some(token) = token
            && let Some((_, set)) = self
                .cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(arn)
                .filter(|(t, _)| t == token)
        {
            return Ok(set.clone());
        }
        let out = w
            .client
            .get_ip_set()
            .scope(w.scope())
            .name(&w.config.ip_set)
            .id(id)
            .send()
            .await
            .map_err(|e| from_sdk("wafv2 GetIPSet", e).message)?;
        let Some(read) = out.ip_set() else {
            return Err(format!("IP set {} came back empty", w.config.ip_set));
        };
        let set = IpSet {
            name: read.name().to_string(),
            id: read.id().to_string(),
            arn: read.arn().to_string(),
            scope: w.config.scope,
            region: w.region.clone(),
            version: read.ip_address_version().as_str().to_string(),
            addresses: read.addresses().to_vec(),
            web_acl: w.config.web_acl.clone(),
        };
        if let Some(token) = out.lock_token() {
            self.cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(set.arn.clone(), (token.to_string(), set.clone()));
        }
        Ok(set)
    }
}

/// ARNs of the IP sets whose match alone makes a rule match: its statement is the reference,
/// or an Or of statements one of which is. (Inside a Not it would be an allow-list; inside an
/// And, other conditions must hold too: neither blocks an address by adding it.)
pub fn matching_ip_sets(statement: Option<&waf::types::Statement>) -> Vec<String> {
    let Some(s) = statement else {
        return Vec::new();
    };
    if let Some(r) = s.ip_set_reference_statement() {
        return vec![r.arn().to_string()];
    }
    match s.or_statement() {
        Some(or) => or
            .statements()
            .iter()
            .flat_map(|x| matching_ip_sets(Some(x)))
            .collect(),
        None => Vec::new(),
    }
}
