//! What `b` needs beside the web ACLs: the IP sets `[[waf.blocklist]]` names, found by name
//! (`ListIPSets`) and read (`GetIPSet`) only when their lock token changed, so a quiet set
//! costs one list call a refresh; the sets the Allow rules of those ACLs use, and the account's
//! rule groups they reference (`ListRuleGroups`, `GetRuleGroup` only on a new token); and our
//! own addresses (VPC ranges, NAT gateways' Elastic IPs), read every ten minutes.

use super::clients::RegionClients;
use super::error::from_sdk;
use crate::config::settings::Blocklist;
use crate::model::address::OwnRange;
use crate::model::waf::{ForwardedIp, ForwardedPosition, GroupBlock, IpSet, OWN_RANGES};
use crate::model::{Unreadable, WafScope};
use aws_sdk_wafv2 as waf;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

/// `ListIPSets` and `ListRuleGroups` answer at most 100 a page.
const LIST_LIMIT: i32 = 100;
/// `DescribeNatGateways` takes a page size of 5 to 1,000.
const NAT_PAGE: i32 = 1000;

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
                    client: rc.waf().clone(),
                })
            })
            .collect()
    }

    fn label(&self) -> String {
        format!("IP set {} ({})", self.config.ip_set, self.region)
    }

    /// Whether this entry blocks for the web ACL `name` read in `region` with `scope`.
    pub fn is_for(&self, name: &str, region: &str, scope: WafScope) -> bool {
        self.config.web_acl == name && self.region == region && self.config.scope == scope
    }
}

fn sdk_scope(scope: WafScope) -> waf::types::Scope {
    match scope {
        WafScope::Regional => waf::types::Scope::Regional,
        WafScope::Cloudfront => waf::types::Scope::Cloudfront,
    }
}

/// Our own ranges change rarely: read again after this long.
const OWN_EVERY_SECS: i64 = 600;

/// One place (region × scope) where IP sets and rule groups are listed.
pub type PlaceKey = (String, WafScope);

/// Sets and rule groups as last read, by ARN, with their lock tokens; our own ranges by
/// region, with when they were read.
#[derive(Default)]
pub struct IpSets {
    cache: Mutex<HashMap<String, (String, IpSet)>>,
    groups: Mutex<HashMap<String, (String, ReadGroup)>>,
    own: Mutex<HashMap<String, OwnRead>>,
}

/// One region's own ranges and when they were read.
type OwnRead = (DateTime<Utc>, Vec<OwnRange>);

/// A rule group of the account, as far as blocking goes.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadGroup {
    pub rules: Vec<waf::types::Rule>,
    pub label_namespace: Option<String>,
}

impl IpSets {
    /// Our own ranges in each region: every VPC CIDR block (IPv4 and IPv6, `DescribeVpcs`) and
    /// every NAT gateway's Elastic IP (`DescribeNatGateways`), read every ten minutes. A region
    /// that cannot be read keeps what was last read there, is read again at the next refresh,
    /// and is named: `b` refuses while a region's own addresses were never read.
    pub async fn own_ranges(&self, regions: &[RegionClients]) -> (Vec<OwnRange>, Vec<Unreadable>) {
        let now = Utc::now();
        let mut ranges = Vec::new();
        let mut unreadable = Vec::new();
        for rc in regions {
            let region = &rc.region;
            let cached = self
                .own
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(region)
                .cloned();
            if let Some((at, r)) = &cached
                && (now - *at).num_seconds() < OWN_EVERY_SECS
            {
                ranges.extend(r.iter().cloned());
                continue;
            }
            match read_own(region, rc.ec2()).await {
                Ok(read) => {
                    ranges.extend(read.iter().cloned());
                    self.own
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(region.clone(), (now, read));
                }
                Err(error) => {
                    tracing::warn!(region, %error, "own ranges not read");
                    ranges.extend(cached.iter().flat_map(|(_, r)| r.iter().cloned()));
                    unreadable.push(Unreadable {
                        account: None,
                        place: format!("{OWN_RANGES} ({region})"),
                        error,
                        data_from: cached.map(|(at, _)| at),
                    });
                }
            }
        }
        (ranges, unreadable)
    }

    /// Every wanted set, and the sets named by ARN in `more` (the Allow rules of the blocklists'
    /// ACLs), each place listed once. A wanted set that cannot be found or read is named with
    /// its error; one of `more` is left out (the dialog then says nothing of it).
    pub async fn read(
        &self,
        wanted: &[Wanted],
        more: &[(PlaceKey, waf::Client, Vec<String>)],
    ) -> (Vec<IpSet>, Vec<IpSet>, Vec<Unreadable>) {
        let mut listed: HashMap<PlaceKey, Result<Vec<waf::types::IpSetSummary>, String>> =
            HashMap::new();
        let mut sets = Vec::new();
        let mut unreadable = Vec::new();
        for w in wanted {
            let key = (w.region.clone(), w.config.scope);
            let list = self.listed(&mut listed, key, &w.client).await;
            let found = list.and_then(|l| {
                l.into_iter()
                    .find(|s| s.name() == Some(w.config.ip_set.as_str()))
                    .ok_or_else(|| {
                        format!(
                            "no IP set named {} in {} ({}): create it, or fix [[waf.blocklist]]",
                            w.config.ip_set,
                            w.region,
                            sdk_scope(w.config.scope).as_str()
                        )
                    })
            });
            let read = match found {
                Ok(summary) => {
                    self.one(&w.client, w.config.scope, &w.region, &summary)
                        .await
                }
                Err(e) => Err(e),
            };
            match read {
                Ok(mut set) => {
                    set.web_acl = w.config.web_acl.clone();
                    sets.push(set);
                }
                Err(error) => unreadable.push(Unreadable {
                    account: None,
                    place: w.label(),
                    error,
                    data_from: None,
                }),
            }
        }
        let mut others = Vec::new();
        for ((region, scope), client, arns) in more {
            let key = (region.clone(), *scope);
            let Ok(list) = self.listed(&mut listed, key, client).await else {
                continue;
            };
            for summary in list
                .iter()
                .filter(|s| s.arn().is_some_and(|a| arns.iter().any(|x| x == a)))
            {
                match self.one(client, *scope, region, summary).await {
                    Ok(set) => others.push(set),
                    Err(error) => tracing::warn!(%error, "an Allow rule's IP set not read"),
                }
            }
        }
        (sets, others, unreadable)
    }

    /// The place's IP sets, listed once per refresh (`listed` holds this refresh's lists).
    async fn listed(
        &self,
        listed: &mut HashMap<PlaceKey, Result<Vec<waf::types::IpSetSummary>, String>>,
        key: PlaceKey,
        client: &waf::Client,
    ) -> Result<Vec<waf::types::IpSetSummary>, String> {
        if let Some(l) = listed.get(&key) {
            return l.clone();
        }
        let l = list_ip_sets(client, key.1).await;
        listed.insert(key, l.clone());
        l
    }

    /// The set `summary` lists: as cached while its lock token is the one listed, else read.
    async fn one(
        &self,
        client: &waf::Client,
        scope: WafScope,
        region: &str,
        summary: &waf::types::IpSetSummary,
    ) -> Result<IpSet, String> {
        let (Some(name), Some(id), Some(arn)) = (summary.name(), summary.id(), summary.arn())
        else {
            return Err("an IP set was listed without its name or id".to_string());
        };
        if let Some(token) = summary.lock_token()
            && let Some((_, set)) = self
                .cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(arn)
                .filter(|(t, _)| t == token)
        {
            return Ok(set.clone());
        }
        let out = client
            .get_ip_set()
            .scope(sdk_scope(scope))
            .name(name)
            .id(id)
            .send()
            .await
            .map_err(|e| from_sdk("wafv2 GetIPSet", e).message)?;
        let Some(read) = out.ip_set() else {
            return Err(format!("IP set {name} came back empty"));
        };
        let set = IpSet {
            account: None,
            name: read.name().to_string(),
            id: read.id().to_string(),
            arn: read.arn().to_string(),
            scope,
            region: region.to_string(),
            version: read.ip_address_version().as_str().to_string(),
            addresses: read.addresses().to_vec(),
            web_acl: String::new(),
        };
        if let Some(token) = out.lock_token() {
            self.cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(set.arn.clone(), (token.to_string(), set.clone()));
        }
        Ok(set)
    }

    /// The account's rule groups named by ARN in `arns`, in one place: listed once
    /// (`ListRuleGroups`) and each read (`GetRuleGroup`) only when its lock token changed. One
    /// that cannot be read is left out: its reference then blocks nothing the console knows of.
    pub async fn groups(
        &self,
        client: &waf::Client,
        scope: WafScope,
        arns: &[String],
    ) -> HashMap<String, ReadGroup> {
        let mut out = HashMap::new();
        if arns.is_empty() {
            return out;
        }
        let listed = match list_rule_groups(client, scope).await {
            Ok(l) => l,
            Err(error) => {
                tracing::warn!(%error, "rule groups not listed");
                return out;
            }
        };
        for summary in listed {
            let (Some(arn), Some(token)) = (summary.arn(), summary.lock_token()) else {
                continue;
            };
            if !arns.iter().any(|a| a == arn) {
                continue;
            }
            let cached = self
                .groups
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(arn)
                .filter(|(t, _)| t == token)
                .map(|(_, g)| g.clone());
            let group = match cached {
                Some(g) => g,
                None => match client.get_rule_group().arn(arn).send().await {
                    Ok(read) => {
                        let Some(g) = read.rule_group() else { continue };
                        let group = ReadGroup {
                            rules: g.rules().to_vec(),
                            label_namespace: g.label_namespace().map(str::to_string),
                        };
                        self.groups
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(arn.to_string(), (token.to_string(), group.clone()));
                        group
                    }
                    Err(e) => {
                        tracing::warn!(error = %from_sdk("wafv2 GetRuleGroup", e).message, "rule group not read");
                        continue;
                    }
                },
            };
            out.insert(arn.to_string(), group);
        }
        out
    }
}

async fn list_ip_sets(
    client: &waf::Client,
    scope: WafScope,
) -> Result<Vec<waf::types::IpSetSummary>, String> {
    let mut all = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let out = client
            .list_ip_sets()
            .scope(sdk_scope(scope))
            .limit(LIST_LIMIT)
            .set_next_marker(marker.take())
            .send()
            .await
            .map_err(|e| from_sdk("wafv2 ListIPSets", e).message)?;
        let page = out.ip_sets().to_vec();
        let empty = page.is_empty();
        all.extend(page);
        match out.next_marker() {
            Some(m) if !m.is_empty() && !empty => marker = Some(m.to_string()),
            _ => return Ok(all),
        }
    }
}

async fn list_rule_groups(
    client: &waf::Client,
    scope: WafScope,
) -> Result<Vec<waf::types::RuleGroupSummary>, String> {
    let mut all = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let out = client
            .list_rule_groups()
            .scope(sdk_scope(scope))
            .limit(LIST_LIMIT)
            .set_next_marker(marker.take())
            .send()
            .await
            .map_err(|e| from_sdk("wafv2 ListRuleGroups", e).message)?;
        let page = out.rule_groups().to_vec();
        let empty = page.is_empty();
        all.extend(page);
        match out.next_marker() {
            Some(m) if !m.is_empty() && !empty => marker = Some(m.to_string()),
            _ => return Ok(all),
        }
    }
}

/// One region's own ranges: its VPCs' CIDR blocks and its NAT gateways' Elastic IPs.
async fn read_own(region: &str, ec2: &aws_sdk_ec2::Client) -> Result<Vec<OwnRange>, String> {
    let vpcs = ec2
        .describe_vpcs()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| from_sdk("ec2 DescribeVpcs", e).message)?;
    let mut ranges = Vec::new();
    for vpc in vpcs {
        let id = vpc.vpc_id().unwrap_or_default();
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
        ranges.extend(cidrs.into_iter().map(|cidr| OwnRange {
            cidr: cidr.to_string(),
            what: format!("VPC {id} in {region}"),
        }));
    }
    // Every page: an account may run more NAT gateways than one answer holds.
    let nats = ec2
        .describe_nat_gateways()
        .max_results(NAT_PAGE)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| from_sdk("ec2 DescribeNatGateways", e).message)?;
    for nat in nats {
        use aws_sdk_ec2::types::NatGatewayState;
        // A deleted or failed gateway sends nothing; its address may be someone else's now.
        if matches!(
            nat.state(),
            Some(NatGatewayState::Deleted | NatGatewayState::Failed)
        ) {
            continue;
        }
        let id = nat.nat_gateway_id().unwrap_or_default();
        for ip in nat
            .nat_gateway_addresses()
            .iter()
            .filter_map(|a| a.public_ip())
        {
            let Some(address) = crate::model::address::parse(ip) else {
                continue;
            };
            ranges.push(OwnRange {
                cidr: crate::model::address::cidr_of(address),
                what: format!("NAT gateway {id}'s Elastic IP in {region}"),
            });
        }
    }
    Ok(ranges)
}

/// ARNs of the IP sets whose match alone makes a rule match: its statement is the reference,
/// or an Or of statements one of which is. (Inside a Not it would be an allow-list; inside an
/// And, other conditions must hold too: neither blocks an address by adding it.)
pub fn matching_ip_sets(statement: Option<&waf::types::Statement>) -> Vec<String> {
    references(statement)
        .into_iter()
        .map(|(arn, _)| arn)
        .collect()
}

/// The same references, each with where WAF takes the address from when not the request's
/// own (`IPSetForwardedIPConfig`).
pub fn references(statement: Option<&waf::types::Statement>) -> Vec<(String, Option<ForwardedIp>)> {
    let Some(s) = statement else {
        return Vec::new();
    };
    if let Some(r) = s.ip_set_reference_statement() {
        return vec![(
            r.arn().to_string(),
            r.ip_set_forwarded_ip_config().map(forwarded),
        )];
    }
    match s.or_statement() {
        Some(or) => or
            .statements()
            .iter()
            .flat_map(|x| references(Some(x)))
            .collect(),
        None => Vec::new(),
    }
}

fn forwarded(c: &waf::types::IpSetForwardedIpConfig) -> ForwardedIp {
    use waf::types::ForwardedIpPosition as P;
    ForwardedIp {
        header: c.header_name().to_string(),
        position: match c.position() {
            P::First => ForwardedPosition::First,
            P::Last => ForwardedPosition::Last,
            // ANY, and any position this build does not know: the widest.
            _ => ForwardedPosition::Any,
        },
        fallback_matches: *c.fallback_behavior() == waf::types::FallbackBehavior::Match,
    }
}

/// The rules of group `group` that block the addresses of an IP set, as a reference leaves
/// them: its `RuleActionOverrides` (and the older `ExcludedRules`, which count) applied.
pub fn group_blocks(
    group: &ReadGroup,
    reference: &waf::types::RuleGroupReferenceStatement,
) -> Vec<GroupBlock> {
    let overridden = |name: &str| {
        reference
            .rule_action_overrides()
            .iter()
            .find(|o| o.name() == name)
            .and_then(|o| o.action_to_use())
            .map(|a| a.block().is_some())
            .or_else(|| {
                reference
                    .excluded_rules()
                    .iter()
                    .any(|x| x.name() == name)
                    .then_some(false)
            })
    };
    group
        .rules
        .iter()
        .filter(|r| {
            overridden(r.name()).unwrap_or_else(|| r.action().is_some_and(|a| a.block().is_some()))
        })
        .flat_map(|r| {
            references(r.statement())
                .into_iter()
                .map(|(ip_set, forwarded)| GroupBlock {
                    rule: r.name().to_string(),
                    ip_set,
                    forwarded,
                })
        })
        .collect()
}
