//! `b`: block a client address in the IP set a web ACL's Block rule references, or remove it
//! again. Every refusal says why; nothing reaches the dialog that would do nothing.
//!
//! The address blocked is the one WAF's rule matches: the request's own, or, for a set the
//! rule matches on a header (`IPSetForwardedIPConfig`), the address in that header of the
//! sampled request. A CloudFront edge is never blocked for everyone behind it.

use super::{App, Confirmation, Overlay};
use crate::action::{IpSetRef, Mutation};
use crate::model::waf::{ForwardedIp, ForwardedPosition, IP_SET_QUOTA, IpSet};
use crate::model::{OverrideAction, RuleAction, RuleKind, SampledRequest, WafRule, WebAcl};
use crate::view::{Role, clean};
use std::net::IpAddr;

pub use crate::model::address::{cidr_of, never_blocked};

/// Where `b` was pressed, for the dialog's counts.
#[derive(Debug, Clone, PartialEq)]
pub enum BlockFrom {
    /// A sampled request of this web ACL (by name; the ACL is the one the samples shown are of).
    Sample {
        web_acl: String,
    },
    LogLine,
}

/// The rule of a web ACL that blocks what an IP set holds, and how it reads the address.
#[derive(Debug, Clone)]
pub struct Blocker<'a> {
    pub acl: &'a WebAcl,
    /// Its place among the ACL's rules, in the order WAF evaluates them.
    pub index: usize,
    pub rule: &'a WafRule,
    /// For a reference to one of the account's rule groups: the group's rule that blocks.
    pub in_group: Option<&'a str>,
    /// Where WAF takes the address from, when not from the request itself.
    pub forwarded: Option<&'a ForwardedIp>,
}

impl Blocker<'_> {
    /// "its rule block-listed", "its rule group reference crs (the group's rule block-listed)".
    fn describe(&self) -> String {
        let matched = match self.forwarded {
            Some(f) => format!(
                ", matched on {} ({})",
                clean(&f.header),
                f.position.as_str()
            ),
            None => String::new(),
        };
        match self.in_group {
            Some(inner) => format!(
                "its rule {} blocks the addresses in the set (the group's rule {}{matched})",
                clean(&self.rule.name),
                clean(inner)
            ),
            None => format!(
                "its rule {} blocks the addresses in the set{matched}",
                clean(&self.rule.name)
            ),
        }
    }
}

/// The address WAF's rule looks up for one sampled request: the request's own, or the one
/// at `forwarded`'s position in its header. `Err` says why there is none.
pub fn matched_address(
    sample: &SampledRequest,
    forwarded: Option<&ForwardedIp>,
) -> Result<IpAddr, String> {
    let Some(f) = forwarded else {
        return crate::model::address::parse(&sample.client_ip).ok_or_else(|| {
            format!(
                "the sampled request names no client address ({})",
                clean(&sample.client_ip)
            )
        });
    };
    let header = clean(&f.header);
    let Some(value) = sample.header(&f.header) else {
        return Err(format!(
            "its sampled request carries no {header} header, and WAF does not apply the rule to a request without it"
        ));
    };
    let listed: Vec<&str> = value.split(',').map(str::trim).collect();
    // WAF looks at no more than the last 10 addresses for ANY.
    let at = match f.position {
        ForwardedPosition::First => listed.first(),
        ForwardedPosition::Last => listed.last(),
        ForwardedPosition::Any if listed.len() > 10 => {
            return Err(format!(
                "its {header} lists {} addresses and WAF looks at the last 10 only: the client's own, the first, is not among them",
                listed.len()
            ));
        }
        ForwardedPosition::Any => listed.first(),
    };
    let text = at.copied().unwrap_or_default();
    crate::model::address::parse(text).ok_or_else(|| {
        format!(
            "its {header} holds {} where WAF looks ({}), not an address: WAF {} such requests",
            clean(text),
            f.position.as_str(),
            if f.fallback_matches {
                "blocks every one of"
            } else {
                "lets through"
            }
        )
    })
}

impl App {
    /// The web ACL a configured set blocks for: by name, region and scope (the same names are
    /// common in two regions).
    fn acl_of(&self, set: &IpSet) -> Option<&WebAcl> {
        self.world.waf.value.as_ref()?.acls.iter().find(|a| {
            a.name == set.web_acl
                && a.region == set.region
                && a.scope == set.scope
                && a.account == set.account
        })
    }

    /// The ACL the sampled requests shown belong to.
    fn sampled_acl(&self, web_acl: &str) -> Option<&WebAcl> {
        let id = &self.world.samples.value.as_ref()?.acl_id;
        self.world
            .waf
            .value
            .as_ref()?
            .acls
            .iter()
            .find(|a| &a.id == id && a.name == web_acl)
    }

    /// The first rule of the set's web ACL that blocks what the set holds: a Block rule
    /// matching on it, or a reference (override None) to a group whose rule does.
    pub fn blocker(&self, set: &IpSet) -> Option<Blocker<'_>> {
        let acl = self.acl_of(set)?;
        acl.rules.iter().enumerate().find_map(|(index, rule)| {
            let (in_group, forwarded) = match &rule.kind {
                RuleKind::Plain {
                    action: RuleAction::Block,
                } if rule.ip_sets.contains(&set.arn) => {
                    (None, rule.matching.forwarded_for(&set.arn))
                }
                RuleKind::Group {
                    override_action: OverrideAction::None,
                    ..
                } if rule.managed_by.is_none() => {
                    let g = rule
                        .matching
                        .group_blocks
                        .iter()
                        .find(|g| g.ip_set == set.arn)?;
                    (Some(g.rule.as_str()), g.forwarded.as_ref())
                }
                _ => return None,
            };
            Some(Blocker {
                acl,
                index,
                rule,
                in_group,
                forwarded,
            })
        })
    }

    /// The configured sets of `version` ("IPV4"/"IPV6") that block for `acl` (any ACL when
    /// `None`), in `[[waf.blocklist]]` order; for an ACL, those matched on a header first.
    fn sets_for(&self, version: &str, acl: Option<&WebAcl>) -> Vec<&IpSet> {
        let Some(waf) = self.world.waf.value.as_ref() else {
            return Vec::new();
        };
        let mut sets: Vec<&IpSet> = waf
            .ip_sets
            .iter()
            .filter(|s| s.version == version)
            .filter(|s| {
                acl.is_none_or(|a| {
                    a.name == s.web_acl
                        && a.region == s.region
                        && a.scope == s.scope
                        && a.account == s.account
                })
            })
            .collect();
        if acl.is_some() {
            sets.sort_by_key(|s| self.blocker(s).is_none_or(|b| b.forwarded.is_none()));
        }
        sets
    }

    /// Where WAF takes the address from for `acl`'s blocking set: what `w` lists a sample
    /// under. A set matched on a header is preferred (its address is the one to block).
    pub fn sample_forwarding(&self, acl: &WebAcl) -> Option<ForwardedIp> {
        let waf = self.world.waf.value.as_ref()?;
        waf.ip_sets
            .iter()
            .filter(|s| {
                s.web_acl == acl.name
                    && s.region == acl.region
                    && s.scope == acl.scope
                    && s.account == acl.account
            })
            .find_map(|s| self.blocker(s)?.forwarded.cloned())
    }

    /// Why a region's own addresses are not known, if one's never were: a block there might
    /// hit a NAT gateway's address.
    fn own_ranges_unknown(&self) -> Option<String> {
        let waf = self.world.waf.value.as_ref()?;
        waf.own_ranges_unknown().map(|u| {
                format!(
                    "Not blocked: {} could not be read ({}), so the console cannot tell a NAT gateway's or a VPC's address there from a client's. It refuses until they are read.",
                    clean(&u.place),
                    clean(&u.error)
                )
            })
    }

    /// Asks to block `address` (or, when a set already holds it, to remove it).
    pub(super) fn ask_block(&mut self, address: IpAddr, from: BlockFrom) {
        if self.read_only {
            self.say(
                "read-only: block is disabled in this session",
                Role::Warning,
                self.now,
            );
            return;
        }
        match self.block_decision(address, &from) {
            Ok(c) => self.overlay = Some(Overlay::Confirm(Box::new(c))),
            Err(why) => self.refuse_block(why),
        }
    }

    /// The confirmation `b` on `address` opens (a block, or the removal of one), or why
    /// there is none.
    fn block_decision(&self, address: IpAddr, from: &BlockFrom) -> Result<Confirmation, String> {
        // One address, one meaning: a mapped IPv4 client is checked and written as IPv4.
        let address = crate::model::address::canonical(address);
        let version = if address.is_ipv6() { "IPV6" } else { "IPV4" };
        let acl = match from {
            BlockFrom::Sample { web_acl } => Some(self.sampled_acl(web_acl).ok_or_else(|| {
                format!(
                    "Not blocked: the sampled requests shown are not of web ACL {} any more. Look again (w).",
                    clean(web_acl)
                )
            })?),
            BlockFrom::LogLine => None,
        };
        let cidr = cidr_of(address);
        let sets = self.sets_for(version, acl);
        let holding = sets.iter().find(|s| {
            s.addresses
                .iter()
                .any(|a| crate::model::address::same_cidr(a, &cidr))
        });
        if let Some(holding) = holding {
            return Ok(self.offer_unblock(holding, address, cidr));
        }
        if let Some(why) = never_blocked(address, &self.never_block, &self.own_ranges()) {
            return Err(format!("Not blocked: {why}."));
        }
        if let Some(why) = self.own_ranges_unknown() {
            return Err(why);
        }
        let Some(set) = sets.first().copied() else {
            let (name, region) = acl
                .map(|a| (a.name.as_str(), a.region.as_str()))
                .unwrap_or(("<web ACL name>", "<its region>"));
            let name = clean(name);
            return Err(format!(
                "No {version} IP set is configured to block for {name}. Add to config.toml:\n\n[[waf.blocklist]]\nweb_acl = \"{name}\"\nip_set = \"<an {version} IP set a Block rule of {name} references>\"\nscope = \"REGIONAL\"   # or \"CLOUDFRONT\"\nregion = \"{region}\"\n\nthen reload (restart, or SIGHUP on a wall)."
            ));
        };
        let Some(blocker) = self.blocker(set) else {
            return Err(format!(
                "Not blocked: no Block rule of web ACL {} ({}) references IP set {}, so adding {address} would block nothing. Add a rule to {} (IP set match on {}, action Block) first.",
                set.web_acl, set.region, set.name, set.web_acl, set.name
            ));
        };
        if set.addresses.len() >= IP_SET_QUOTA {
            return Err(format!(
                "Not blocked: IP set {} holds {} addresses, AWS's limit of {IP_SET_QUOTA}. Remove some first.",
                set.name,
                set.addresses.len()
            ));
        }
        let sampled = match from {
            BlockFrom::Sample { .. } => match self.sampled_by(address, &blocker) {
                Ok(s) => Some(s),
                Err(why) => return Err(format!("Not blocked: {why}.")),
            },
            BlockFrom::LogLine => {
                if let Some(f) = blocker.forwarded {
                    return Err(format!(
                        "Not blocked: web ACL {} matches IP set {} on the {} header ({}), and a log line does not show what that header held, so the console cannot tell which address WAF would match. Block from the rule's sampled requests instead (2, w on the rule, then b).",
                        clean(&blocker.acl.name),
                        set.name,
                        clean(&f.header),
                        f.position.as_str()
                    ));
                }
                None
            }
        };
        let mut c = Confirmation::for_mutation(
            self,
            Mutation::Block {
                set: set_ref(set),
                address: cidr,
                until: None,
            },
        );
        c.details = self.block_details(address, set, &blocker, sampled.as_ref());
        if sets.len() > 1 {
            c.details.push(format!(
                "(the first of {} IP sets configured for {}; [[waf.blocklist]] order)",
                sets.len(),
                if address.is_ipv6() { "IPv6" } else { "IPv4" }
            ));
        }
        c.warning = allowed_first(&blocker, address);
        c.lifetimes = super::confirm::BLOCK_LIFETIMES.to_vec();
        c.lifetime = 1;
        Ok(c)
    }

    /// The removal of `address` from the set that holds it, for confirmation.
    fn offer_unblock(&self, holding: &IpSet, address: IpAddr, cidr: String) -> Confirmation {
        let mut c = Confirmation::for_mutation(
            self,
            Mutation::Unblock {
                set: set_ref(holding),
                address: cidr,
            },
        );
        c.details = vec![
            format!(
                "IP set {} ({}, {}) · {} of {IP_SET_QUOTA} addresses",
                holding.name,
                holding.version,
                holding.region,
                holding.addresses.len()
            ),
            format!(
                "Web ACL {} ({}): requests from {address} are let through again",
                holding.web_acl, holding.region
            ),
        ];
        c
    }

    /// The sampled requests shown that `blocker`'s rule would match as `address`, or why
    /// blocking it would not stop them (no header, a CloudFront edge).
    fn sampled_by(&self, address: IpAddr, blocker: &Blocker) -> Result<Sampled, String> {
        let requests = self
            .world
            .samples
            .value
            .as_ref()
            .map(|s| s.requests.as_slice())
            .unwrap_or_default();
        let mine: Vec<&SampledRequest> = requests
            .iter()
            .filter(|r| matched_address(r, blocker.forwarded) == Ok(address))
            .collect();
        let total = requests.iter().map(|r| r.weight).sum();
        if mine.is_empty() {
            // Listed under its own address because the header did not name one.
            let unmatched = requests
                .iter()
                .filter(|r| crate::model::address::parse(&r.client_ip) == Some(address))
                .find_map(|r| matched_address(r, blocker.forwarded).err());
            return Err(match unmatched {
                Some(why) => format!("{address}: {why}"),
                None => format!(
                    "none of the sampled requests shown is matched as {address} by rule {}",
                    clean(&blocker.rule.name)
                ),
            });
        }
        if blocker.forwarded.is_none()
            && blocker.acl.scope == crate::model::WafScope::Regional
            && mine.iter().any(|r| r.through_cloudfront())
        {
            return Err(edge_refusal(address, &mine, blocker));
        }
        Ok(Sampled {
            requests: mine.iter().map(|r| r.weight).sum(),
            samples: mine.len(),
            total,
            shown: requests.len(),
            country: mine.first().map(|r| r.country.clone()),
            clients: mine
                .iter()
                .map(|r| clean(&r.client_ip))
                .fold(Vec::new(), |mut v, c| {
                    if !v.contains(&c) {
                        v.push(c);
                    }
                    v
                }),
        })
    }

    /// The dialog's lines: the address, what it made, the set, the ACL and its rule.
    fn block_details(
        &self,
        address: IpAddr,
        set: &IpSet,
        blocker: &Blocker,
        sampled: Option<&Sampled>,
    ) -> Vec<String> {
        let origin = match (sampled, blocker.forwarded) {
            (Some(s), Some(f)) => format!(
                "Address {address} · from the requests' {} header ({}); they came from {}",
                clean(&f.header),
                f.position.as_str(),
                s.clients.join(", ")
            ),
            (Some(s), None) => format!(
                "Address {address} · country {}",
                s.country
                    .as_deref()
                    .map(|c| format!("{} (WAF's sample)", clean(c)))
                    .unwrap_or_else(|| "not known".to_string())
            ),
            (None, _) => format!("Address {address} · country not known (a log line)"),
        };
        let lines = self.lines_from(address);
        let kept = self.world.logs.entries.len();
        let made = match sampled {
            Some(s) if s.requests as usize == s.samples && s.total as usize == s.shown => {
                format!(
                    "Made {} of the {} sampled requests shown and {lines} of the {kept} log lines kept",
                    s.samples, s.shown
                )
            }
            Some(s) => format!(
                "Made {} of the {} requests the {} samples shown stand for and {lines} of the {kept} log lines kept",
                s.requests, s.total, s.shown
            ),
            None => {
                let (n, total) = self.sampled_requests_from(address);
                format!(
                    "Made {n} of the {total} sampled requests shown and {lines} of the {kept} log lines kept"
                )
            }
        };
        // Counted from an old window: said beside the count, never silently.
        let made = match sampled.and(self.samples_staleness()) {
            Some(old) => format!("{made}. {old}"),
            None => made,
        };
        vec![
            origin,
            made,
            format!(
                "IP set {} ({}, {}) · {} of {IP_SET_QUOTA} addresses",
                set.name,
                set.version,
                set.region,
                set.addresses.len()
            ),
            format!(
                "Web ACL {} ({}): {}",
                clean(&blocker.acl.name),
                blocker.acl.region,
                blocker.describe()
            ),
        ]
    }

    /// (requests, of requests) the shown sample stands for from `address` as its own.
    fn sampled_requests_from(&self, address: IpAddr) -> (u64, u64) {
        let Some(s) = self.world.samples.value.as_ref() else {
            return (0, 0);
        };
        let from = s
            .requests
            .iter()
            .filter(|r| crate::model::address::parse(&r.client_ip) == Some(address))
            .map(|r| r.weight)
            .sum();
        (from, s.requests.iter().map(|r| r.weight).sum())
    }

    /// Our own ranges no block may touch (the executor checks the same ones again).
    pub(super) fn own_ranges(&self) -> Vec<crate::model::address::OwnRange> {
        self.world
            .waf
            .value
            .as_ref()
            .map(crate::action::guard::own_ranges_of)
            .unwrap_or_default()
    }

    fn refuse_block(&mut self, text: String) {
        self.say(
            text.lines().next().unwrap_or_default().to_string(),
            Role::Warning,
            self.now,
        );
        self.overlay = Some(Overlay::Notice {
            title: " Not blocked ".to_string(),
            text,
        });
    }

    /// `b` in the logs panel: the client of the newest line on screen. A piece of a line cut
    /// for length names none: its text after the cut is whatever the request's sender wrote.
    pub(super) fn block_from_log_line(&mut self) {
        let line = self
            .panels
            .logs
            .visible(&self.world.logs, 1)
            .first()
            .map(|e| (self.world.logs.source_name(e).to_string(), e.entry.clone()));
        let Some((source, entry)) = line else {
            self.say("no log line to block from", Role::Warning, self.now);
            return;
        };
        if let Some(piece) = entry.piece() {
            self.say(
                format!(
                    "the newest line on screen is {} (source {}): it names no client address",
                    piece.describe(),
                    crate::view::clean(&source)
                ),
                Role::Warning,
                self.now,
            );
            return;
        }
        match crate::model::access::parse_entry(self.log_format(&source), &entry) {
            Some(a) => self.ask_block(a.client, BlockFrom::LogLine),
            None => self.say(
                format!(
                    "the newest line on screen names no client address (source {}): set its [[log]] format",
                    crate::view::clean(&source)
                ),
                Role::Warning,
                self.now,
            ),
        }
    }
}

/// What the sampled requests shown say of the address to block.
#[derive(Debug, Clone)]
struct Sampled {
    /// Requests they stand for (weights summed), of `total`.
    requests: u64,
    total: u64,
    /// Samples, of `shown`.
    samples: usize,
    shown: usize,
    country: Option<String>,
    /// The addresses the requests came from (cleaned), for a header-matched set.
    clients: Vec<String>,
}

/// Why a CloudFront edge is not blocked: it speaks for every viewer it serves. Names the
/// viewers (from `X-Forwarded-For`), which only a set matched on that header can block.
fn edge_refusal(address: IpAddr, from: &[&SampledRequest], blocker: &Blocker) -> String {
    let viewers: Vec<String> = from
        .iter()
        .filter_map(|r| r.header("x-forwarded-for"))
        .filter_map(|v| crate::model::address::parse(v.split(',').next().unwrap_or_default()))
        .map(|a| a.to_string())
        .fold(Vec::new(), |mut v, a| {
            if !v.contains(&a) && v.len() < 3 {
                v.push(a);
            }
            v
        });
    let viewers = if viewers.is_empty() {
        "X-Forwarded-For names none".to_string()
    } else {
        format!("X-Forwarded-For names {}", viewers.join(", "))
    };
    format!(
        "{address} is a CloudFront edge (its requests carry Via: … CloudFront or X-Amz-Cf-Id): blocking it would block every viewer that edge serves. The viewer's address is in X-Forwarded-For ({viewers}); WAF can block by it only through an IP set its rule matches on that header (IPSetForwardedIPConfig), and none is configured for web ACL {} ({})",
        clean(&blocker.acl.name),
        blocker.acl.region
    )
}

/// A rule evaluated before the blocking one that lets `address` through (an Allow rule
/// matching an IP set that holds it, as last read): the block would change nothing for it.
fn allowed_first(blocker: &Blocker, address: IpAddr) -> Option<String> {
    let (rule, set, range) = blocker.acl.rules[..blocker.index]
        .iter()
        .filter(|r| {
            matches!(
                r.kind,
                RuleKind::Plain {
                    action: RuleAction::Allow
                }
            )
        })
        .find_map(|r| {
            r.matching.set_addresses.iter().find_map(|s| {
                let range = s.addresses.iter().find(|a| {
                    crate::model::address::canonical_cidr(a).is_some_and(|n| n.contains(&address))
                })?;
                Some((r, s, range))
            })
        })?;
    Some(format!(
        "Rule {} (Allow, priority {}) comes first and lets {address} through: it is in IP set {} ({}). Blocking it here changes nothing until that rule stops matching it.",
        clean(&rule.name),
        rule.priority,
        clean(&set.name),
        clean(range)
    ))
}

fn set_ref(s: &IpSet) -> IpSetRef {
    IpSetRef {
        account: s.account.clone(),
        region: s.region.clone(),
        scope: s.scope,
        name: s.name.clone(),
        id: s.id.clone(),
        arn: s.arn.clone(),
        web_acl: s.web_acl.clone(),
    }
}

#[cfg(test)]
mod tests {
    //! Replayed samples: what `w` counts and what `b` offers for a sample, with WAF's weights,
    //! addresses however written, and requests that came through a CloudFront edge.
    use super::super::{App, Data, Event, Overlay};
    use crate::config::{Keymap, Settings};
    use crate::model::waf::{ForwardedIp, ForwardedPosition, ForwardedSet, Header, IpSet};
    use crate::model::*;
    use chrono::{DateTime, Utc};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    const SET_ARN: &str = "arn:aws:wafv2:ap-northeast-1:111122223333:regional/ipset/blocked/s1";

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()
    }

    /// A regional ACL whose rule `block-listed` blocks the set's addresses (matched on
    /// `forwarded` when given), and the set configured to block for it.
    fn waf(forwarded: Option<ForwardedIp>) -> WafView {
        let rule = |name: &str, ip_sets: Vec<String>| WafRule {
            name: name.into(),
            priority: 0,
            kind: RuleKind::Plain {
                action: RuleAction::Block,
            },
            series: vec![],
            metrics_off: false,
            managed_by: None,
            ip_sets,
            matching: Default::default(),
        };
        let mut listed = rule("block-listed", vec![SET_ARN.into()]);
        listed.matching.forwarded = forwarded
            .into_iter()
            .map(|ip| ForwardedSet {
                arn: SET_ARN.into(),
                ip,
            })
            .collect();
        WafView {
            acls: vec![WebAcl {
                account: None,
                name: "wp-acl".into(),
                id: "acl-1".into(),
                scope: WafScope::Regional,
                region: "ap-northeast-1".into(),
                default_action: RuleAction::Allow,
                protects: vec!["wp-alb".into()],
                rules: vec![listed, rule("block-xmlrpc", vec![])],
                series: vec![],
                default_series: vec![],
            }],
            window_minutes: 15,
            unreadable: vec![],
            ip_sets: vec![IpSet {
                account: None,
                name: "blocked".into(),
                id: "s1".into(),
                arn: SET_ARN.into(),
                scope: WafScope::Regional,
                region: "ap-northeast-1".into(),
                version: "IPV4".into(),
                addresses: vec![],
                web_acl: "wp-acl".into(),
            }],
            own_ranges: vec![],
        }
    }

    fn sample(ip: &str, headers: &[(&str, &str)], weight: u64) -> SampledRequest {
        SampledRequest {
            time: t0(),
            client_ip: ip.into(),
            country: "NL".into(),
            method: "POST".into(),
            uri: "/xmlrpc.php".into(),
            action: "BLOCK".into(),
            headers: headers
                .iter()
                .map(|(name, value)| Header {
                    name: name.to_string(),
                    value: value.to_string(),
                })
                .collect(),
            weight,
        }
    }

    fn key(c: char) -> Event {
        Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
    }

    /// A console on the WAF panel's `block-xmlrpc` rule with these samples shown, `w` open.
    fn who(view: WafView, requests: Vec<SampledRequest>) -> App {
        let keymap = Keymap::builtin("default").unwrap_or_else(|e| panic!("{e}"));
        let mut a = App::new(Scope::default(), keymap, &Settings::default(), false, t0());
        a.update(Event::Resize(160, 45));
        a.update(Event::Data(Data::Waf(t0(), Ok(view))));
        a.update(key('2'));
        let h = a.viewport(PanelId::Waf);
        let selected = a
            .panels
            .get_mut(PanelId::Waf)
            .is_some_and(|p| p.select_key(&crate::view::waf::rule_key("acl-1", "block-xmlrpc"), h));
        assert!(selected, "no rule row");
        a.update(Event::Data(Data::Samples(
            t0(),
            Ok(RuleSamples {
                acl_id: "acl-1".into(),
                rule: "block-xmlrpc".into(),
                requests,
                window: None,
                population: None,
            }),
        )));
        a.update(key('w'));
        a
    }

    fn rows(a: &App) -> Vec<(String, usize)> {
        let Some(Overlay::Talkers(t)) = &a.overlay else {
            panic!("{:?}", a.overlay)
        };
        t.rows().iter().map(|r| (r.key.clone(), r.count)).collect()
    }

    #[test]
    fn who_counts_requests_by_weight_and_one_address_however_written() {
        let mut a = who(
            waf(None),
            vec![
                sample("::ffff:198.51.100.7", &[], 2),
                sample("198.51.100.7", &[], 1),
                sample("198.51.100.8", &[], 1),
            ],
        );
        assert_eq!(
            rows(&a),
            [
                ("198.51.100.7".to_string(), 3),
                ("198.51.100.8".to_string(), 1)
            ]
        );
        a.update(key('b'));
        let Some(Overlay::Confirm(c)) = &a.overlay else {
            panic!("{:?}", a.overlay)
        };
        let said = c.details.join("\n");
        assert!(said.contains("Made 3 of the 4 requests"), "{said}");
    }

    const EDGE: &[(&str, &str)] = &[
        ("Via", "2.0 8f3c1a.cloudfront.net (CloudFront)"),
        ("X-Amz-Cf-Id", "Qx5gk0Y8c1sJ3w=="),
        ("X-Forwarded-For", "198.51.100.7, 130.176.0.5"),
    ];

    #[test]
    fn a_cloudfront_edge_is_never_blocked_for_everyone_behind_it() {
        let mut a = who(waf(None), vec![sample("130.176.0.5", EDGE, 1)]);
        a.update(key('b'));
        let Some(Overlay::Notice { text, .. }) = &a.overlay else {
            panic!("not refused: {:?}", a.overlay)
        };
        assert!(text.contains("CloudFront edge"), "{text}");
        assert!(text.contains("198.51.100.7"), "the viewer is named: {text}");
        // Where the set is matched on X-Forwarded-For, the viewer is what `w` lists and `b`
        // offers.
        let xff = ForwardedIp {
            header: "X-Forwarded-For".into(),
            position: ForwardedPosition::First,
            fallback_matches: false,
        };
        let mut a = who(waf(Some(xff)), vec![sample("130.176.0.5", EDGE, 1)]);
        assert_eq!(rows(&a), [("198.51.100.7".to_string(), 1)]);
        a.update(key('b'));
        let Some(Overlay::Confirm(c)) = &a.overlay else {
            panic!("{:?}", a.overlay)
        };
        assert!(
            matches!(&c.mutation, crate::action::Mutation::Block { address, .. } if address == "198.51.100.7/32"),
            "{:?}",
            c.mutation
        );
    }
}
