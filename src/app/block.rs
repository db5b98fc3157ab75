//! `b`: block a client address in the IP set a web ACL's Block rule references, or remove it
//! again. Every refusal says why; nothing reaches the dialog that would do nothing.

use super::{App, Confirmation, Overlay};
use crate::action::{IpSetRef, Mutation};
use crate::model::RuleAction;
use crate::model::RuleKind;
use crate::model::waf::{IP_SET_QUOTA, IpSet};
use crate::view::Role;
use std::net::IpAddr;

pub use crate::model::address::{cidr_of, never_blocked};

/// Where `b` was pressed, for the dialog's counts.
#[derive(Debug, Clone, PartialEq)]
pub enum BlockFrom {
    /// A sampled request of this web ACL (by name).
    Sample {
        web_acl: String,
    },
    LogLine,
}

impl App {
    /// The IP sets that could take `address`, the one for `web_acl` first.
    fn sets_for(&self, address: IpAddr, web_acl: Option<&str>) -> Vec<&IpSet> {
        let Some(waf) = self.world.waf.value.as_ref() else {
            return Vec::new();
        };
        let version = if address.is_ipv6() { "IPV6" } else { "IPV4" };
        let mut sets: Vec<&IpSet> = waf
            .ip_sets
            .iter()
            .filter(|s| s.version == version)
            .collect();
        sets.sort_by_key(|s| Some(s.web_acl.as_str()) != web_acl);
        sets
    }

    /// The rule of the set's web ACL that blocks what the set holds, if one does.
    fn blocking_rule(&self, set: &IpSet) -> Option<String> {
        let waf = self.world.waf.value.as_ref()?;
        let acl = waf
            .acls
            .iter()
            .find(|a| a.name == set.web_acl && a.scope == set.scope)?;
        acl.rules
            .iter()
            .find(|r| {
                matches!(
                    r.kind,
                    RuleKind::Plain {
                        action: RuleAction::Block
                    }
                ) && r.ip_sets.contains(&set.arn)
            })
            .map(|r| r.name.clone())
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
        // One address, one meaning: a mapped IPv4 client is checked and written as IPv4.
        let address = crate::model::address::canonical(address);
        let web_acl = match &from {
            BlockFrom::Sample { web_acl } => Some(web_acl.as_str()),
            BlockFrom::LogLine => None,
        };
        let cidr = cidr_of(address);
        let sets = self.sets_for(address, web_acl);
        if let Some(holding) = sets.iter().find(|s| s.addresses.contains(&cidr)) {
            let mutation = Mutation::Unblock {
                set: set_ref(holding),
                address: cidr,
            };
            let mut c = Confirmation::for_mutation(self, mutation);
            c.details = vec![
                format!(
                    "IP set {} ({}) · {} of {IP_SET_QUOTA} addresses",
                    holding.name,
                    holding.version,
                    holding.addresses.len()
                ),
                format!(
                    "Web ACL {}: requests from {address} are let through again",
                    holding.web_acl
                ),
            ];
            self.overlay = Some(Overlay::Confirm(Box::new(c)));
            return;
        }
        if let Some(why) = never_blocked(address, &self.never_block, &self.own_ranges()) {
            self.refuse_block(format!("Not blocked: {why}."));
            return;
        }
        let Some(set) = sets.first().copied() else {
            let acl = web_acl.unwrap_or("<web ACL name>");
            let version = if address.is_ipv6() { "IPV6" } else { "IPV4" };
            self.refuse_block(format!(
                "No {version} IP set is configured to block for {acl}. Add to config.toml:\n\n[[waf.blocklist]]\nweb_acl = \"{acl}\"\nip_set = \"<an {version} IP set a Block rule of {acl} references>\"\nscope = \"REGIONAL\"   # or \"CLOUDFRONT\"\n\nthen reload (restart, or SIGHUP on a wall)."
            ));
            return;
        };
        let Some(rule) = self.blocking_rule(set) else {
            self.refuse_block(format!(
                "Not blocked: no Block rule of web ACL {} references IP set {}, so adding {address} would block nothing. Add a rule to {} (IP set match on {}, action Block) first.",
                set.web_acl, set.name, set.web_acl, set.name
            ));
            return;
        };
        if set.addresses.len() >= IP_SET_QUOTA {
            self.refuse_block(format!(
                "Not blocked: IP set {} holds {} addresses, AWS's limit of {IP_SET_QUOTA}. Remove some first.",
                set.name,
                set.addresses.len()
            ));
            return;
        }
        let (sampled, sample_total, country) = self.sampled_from(address);
        let lines = self.lines_from(address);
        let mutation = Mutation::Block {
            set: set_ref(set),
            address: cidr,
            until: None,
        };
        let mut c = Confirmation::for_mutation(self, mutation);
        c.details = vec![
            format!(
                "Address {address} · country {}",
                match (&from, country) {
                    (_, Some(c)) => format!("{c} (WAF's sample)"),
                    (BlockFrom::LogLine, None) => "not known (a log line)".to_string(),
                    (_, None) => "not known".to_string(),
                }
            ),
            format!(
                "Made {sampled} of the {sample_total} sampled requests shown and {lines} of the {} log lines kept",
                self.world.logs.entries.len()
            ),
            format!(
                "IP set {} ({}, {}) · {} of {IP_SET_QUOTA} addresses",
                set.name,
                set.version,
                set.region,
                set.addresses.len()
            ),
            format!(
                "Web ACL {}: its rule {rule} blocks the addresses in the set",
                set.web_acl
            ),
        ];
        if sets.len() > 1 {
            c.details.push(format!(
                "(the first of {} IP sets configured for {}; [[waf.blocklist]] order)",
                sets.len(),
                if address.is_ipv6() { "IPv6" } else { "IPv4" }
            ));
        }
        c.lifetimes = super::confirm::BLOCK_LIFETIMES.to_vec();
        c.lifetime = 1;
        self.overlay = Some(Overlay::Confirm(Box::new(c)));
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

fn set_ref(s: &IpSet) -> IpSetRef {
    IpSetRef {
        region: s.region.clone(),
        scope: s.scope,
        name: s.name.clone(),
        id: s.id.clone(),
        arn: s.arn.clone(),
        web_acl: s.web_acl.clone(),
    }
}
