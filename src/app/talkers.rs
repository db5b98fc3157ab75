//! Who is hitting us: the selected rule's sampled requests by client address and by country,
//! or the log lines shown by client address, path and status class. `b` blocks from here.

use super::App;
use crate::model::access::{self, LogFormat};
use crate::model::waf::ForwardedIp;
use crate::model::{PanelId, SampledRequest};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::net::IpAddr;

/// One counted value: an address, a country, a path or a status class.
#[derive(Debug, Clone, PartialEq)]
pub struct TalkerRow {
    pub key: String,
    pub count: usize,
    /// Beside the count: an address's country, or that it is blocked and for how long.
    pub note: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TalkerList {
    pub name: &'static str,
    pub rows: Vec<TalkerRow>,
    /// The requests counted (the share's denominator).
    pub total: usize,
    /// Its keys are client addresses: `b` blocks the selected one.
    pub addresses: bool,
}

/// The list of the addresses the configured IP sets hold.
pub const BLOCKED_NOW: &str = "Blocked now";

impl TalkerList {
    /// What an empty list says: what it would hold.
    pub fn empty_text(&self) -> &'static str {
        if self.name == BLOCKED_NOW {
            "Nothing is blocked: the configured IP sets hold no address."
        } else {
            "Nothing counted: no requests with a client address here."
        }
    }
}

/// The open "who is hitting us" view.
#[derive(Debug, Clone, PartialEq)]
pub struct Talkers {
    pub from: PanelId,
    /// "sampled requests of block-xmlrpc (hwi-web-acl)", "2,340 log lines shown".
    pub title: String,
    pub lists: Vec<TalkerList>,
    /// The list shown (Tab moves on).
    pub list: usize,
    pub selected: usize,
    /// Sorted by key instead of by count (`s`).
    pub by_key: bool,
    /// Counted from samples older than the panel's interval: how old, said above the lists.
    pub stale: Option<String>,
}

impl Talkers {
    /// The view on its first list, most first; the "Blocked now" list last, when there is one.
    fn new(
        from: PanelId,
        title: String,
        lists: Vec<TalkerList>,
        blocked: Option<TalkerList>,
    ) -> Talkers {
        Talkers {
            from,
            title,
            lists: lists.into_iter().chain(blocked).collect(),
            list: 0,
            selected: 0,
            by_key: false,
            stale: None,
        }
    }

    pub fn current(&self) -> Option<&TalkerList> {
        self.lists.get(self.list)
    }

    /// The rows of the shown list in the chosen order.
    pub fn rows(&self) -> Vec<&TalkerRow> {
        let Some(list) = self.current() else {
            return Vec::new();
        };
        let mut rows: Vec<&TalkerRow> = list.rows.iter().collect();
        if self.by_key {
            rows.sort_by(|a, b| a.key.cmp(&b.key));
        }
        rows
    }

    /// The selected address, when the shown list is of addresses.
    pub fn selected_address(&self) -> Option<IpAddr> {
        if !self.current()?.addresses {
            return None;
        }
        self.rows().get(self.selected)?.key.parse().ok()
    }
}

/// Counts per key, most first (ties by key, so the order is stable).
fn tally(keys: impl Iterator<Item = String>) -> Vec<(String, usize)> {
    weighed(keys.map(|k| (k, 1)))
}

/// Requests per key, each key counted by how many requests it stands for (a sample's
/// weight), most first (ties by key).
fn weighed(keys: impl Iterator<Item = (String, u64)>) -> Vec<(String, usize)> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for (k, weight) in keys {
        *counts.entry(k).or_default() += usize::try_from(weight).unwrap_or(usize::MAX);
    }
    let mut out: Vec<(String, usize)> = counts.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

impl App {
    /// The format a log source's lines are read with.
    pub fn log_format(&self, source: &str) -> &LogFormat {
        self.log_formats.get(source).unwrap_or(&LogFormat::Auto)
    }

    /// The client addresses of the lines the logs panel shows, newest first.
    fn shown_clients(&self) -> Vec<(IpAddr, Option<String>, Option<String>)> {
        let buffer = &self.world.logs;
        self.panels
            .logs
            .shown(buffer)
            .filter_map(|e| {
                let format = self.log_format(buffer.source_name(e));
                // Only whole lines: a piece of a cut line may start with the sender's text.
                let a = access::parse_entry(format, &e.entry)?;
                Some((a.client, a.path.map(str::to_string), Some(a.status_class())))
            })
            .collect()
    }

    /// Lines in the buffer (all of it, not only those shown) made by `address`.
    pub fn lines_from(&self, address: IpAddr) -> usize {
        let buffer = &self.world.logs;
        buffer
            .entries
            .iter()
            .filter(|e| {
                access::parse_entry(self.log_format(buffer.source_name(e)), &e.entry)
                    .is_some_and(|a| a.client == address)
            })
            .count()
    }

    /// The address a sampled request is listed under: the one the ACL's blocking rule
    /// matches (in `forwarded`'s header when it reads one), canonically; the request's own,
    /// with why, when the header names none.
    fn sample_key(r: &SampledRequest, forwarded: Option<&ForwardedIp>) -> (String, Option<String>) {
        match super::block::matched_address(r, forwarded) {
            Ok(a) => (a.to_string(), None),
            Err(_) => {
                let own = crate::model::address::parse(&r.client_ip)
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| crate::view::clean(&r.client_ip));
                let why =
                    forwarded.map(|f| format!("no address in {}", crate::view::clean(&f.header)));
                (own, why)
            }
        }
    }

    /// Every address the configured IP sets hold, with how often it is seen in what is counted
    /// (`seen`: address → requests) and how long it stays blocked. `b` removes one.
    fn blocked_list(&self, seen: &HashMap<String, usize>, total: usize) -> Option<TalkerList> {
        let waf = self.world.waf.value.as_ref()?;
        if waf.ip_sets.is_empty() {
            return None;
        }
        let mut rows = Vec::new();
        for set in &waf.ip_sets {
            for cidr in &set.addresses {
                // A single address is shown bare (canonically), so it can be picked; a range
                // stays a range.
                let bare = match crate::model::address::canonical_cidr(cidr) {
                    Some(n) if n.prefix_len() == n.max_prefix_len() => n.addr().to_string(),
                    _ => crate::view::clean(cidr),
                };
                let left = self
                    .block_note(&bare)
                    .unwrap_or_else(|| "BLOCKED until removed".to_string());
                rows.push(TalkerRow {
                    count: seen.get(&bare).copied().unwrap_or(0),
                    key: bare,
                    // The expiry first: a long set name is what the width cuts.
                    note: format!("{left} · {}", set.name),
                });
            }
        }
        Some(TalkerList {
            name: BLOCKED_NOW,
            rows,
            total,
            addresses: true,
        })
    }

    /// Whether `address` is blocked, and until when (`Some(None)`: until removed): the
    /// expiry of the set that holds it, by ARN (the same name may be a set in another region).
    pub fn blocked_until(&self, address: &str) -> Option<Option<DateTime<Utc>>> {
        use crate::model::address::same_cidr;
        let waf = self.world.waf.value.as_ref()?;
        let cidr = super::block::cidr_of(crate::model::address::parse(address)?);
        let set = waf
            .ip_sets
            .iter()
            .find(|s| s.addresses.iter().any(|a| same_cidr(a, &cidr)))?;
        let pending = self.pending.iter().find(|p| {
            matches!(&p.undo, crate::action::Mutation::Unblock { set: s, address: a }
                if s.arn == set.arn && same_cidr(a, &cidr))
        });
        Some(pending.map(|p| p.due))
    }

    /// What a blocked address shows beside its count: until when, and how long that is.
    fn block_note(&self, address: &str) -> Option<String> {
        Some(match self.blocked_until(address)? {
            Some(due) => {
                let left = (due - self.now).num_minutes().max(0);
                format!("BLOCKED until {} ({left} m left)", due.format("%H:%M"))
            }
            None => "BLOCKED until removed".to_string(),
        })
    }

    /// Opens the view for the focused panel: the selected rule's samples, or the logs shown.
    pub(super) fn open_talkers(&mut self) -> bool {
        let talkers = match self.focus {
            PanelId::Waf => self.sample_talkers(),
            PanelId::Logs => self.log_talkers(),
            _ => None,
        };
        match talkers {
            Some(t) => {
                self.overlay = Some(super::Overlay::Talkers(Box::new(t)));
                true
            }
            None => false,
        }
    }

    fn sample_talkers(&self) -> Option<Talkers> {
        let (acl, rule) = self.selected_rule()?;
        let samples = self.selected_samples()?;
        // Each request as often as it stands for, under the address `b` would block.
        let forwarded = self.sample_forwarding(acl);
        let keyed: Vec<(String, Option<String>, &SampledRequest)> = samples
            .requests
            .iter()
            .map(|r| {
                let (key, why) = Self::sample_key(r, forwarded.as_ref());
                (key, why, r)
            })
            .collect();
        let total: usize = keyed
            .iter()
            .map(|(_, _, r)| usize::try_from(r.weight).unwrap_or(usize::MAX))
            .sum();
        // Beside each address: its country (WAF's, of the request's own address), or why a
        // header-matched set cannot take it.
        let mut said: HashMap<&str, String> = HashMap::new();
        for (key, why, r) in &keyed {
            said.entry(key.as_str())
                .or_insert_with(|| match (why, &forwarded) {
                    (Some(why), _) => why.clone(),
                    (None, Some(f)) => format!("in {}", crate::view::clean(&f.header)),
                    (None, None) => crate::view::clean(&r.country),
                });
        }
        let by_address = weighed(keyed.iter().map(|(k, _, r)| (k.clone(), r.weight)));
        let addresses = by_address
            .iter()
            .cloned()
            .map(|(key, count)| {
                let first = said.get(key.as_str()).cloned().unwrap_or_default();
                let note = match self.block_note(&key) {
                    Some(b) => format!("{first} · {b}"),
                    None => first,
                };
                TalkerRow { key, count, note }
            })
            .collect();
        let seen: HashMap<String, usize> = by_address.into_iter().collect();
        let blocked = self.blocked_list(&seen, total);
        let countries = weighed(
            samples
                .requests
                .iter()
                .map(|r| (crate::view::clean(&r.country), r.weight)),
        )
        .into_iter()
        .map(|(key, count)| TalkerRow {
            key,
            count,
            note: String::new(),
        })
        .collect();
        let shown = samples.requests.len();
        let stand_for = if total == shown {
            String::new()
        } else {
            format!(" (standing for {total})")
        };
        let as_matched = match &forwarded {
            Some(f) => format!(
                " · addresses as WAF matches them: {} ({})",
                crate::view::clean(&f.header),
                f.position.as_str()
            ),
            None => String::new(),
        };
        let mut talkers = Talkers::new(
            PanelId::Waf,
            format!(
                "{shown} sampled requests{stand_for} of {} ({}){as_matched}",
                crate::view::clean(&rule.name),
                crate::view::clean(&acl.name)
            ),
            vec![
                TalkerList {
                    name: "Client addresses",
                    rows: addresses,
                    total,
                    addresses: true,
                },
                TalkerList {
                    name: "Countries",
                    rows: countries,
                    total,
                    addresses: false,
                },
            ],
            blocked,
        );
        // Counted from an old window: said first, never silently.
        talkers.stale = self.samples_staleness();
        Some(talkers)
    }

    fn log_talkers(&self) -> Option<Talkers> {
        let clients = self.shown_clients();
        let total = clients.len();
        let plain = |rows: Vec<(String, usize)>| -> Vec<TalkerRow> {
            rows.into_iter()
                .map(|(key, count)| TalkerRow {
                    key,
                    count,
                    note: String::new(),
                })
                .collect()
        };
        let by_address = tally(
            clients
                .iter()
                .map(|(a, _, _)| crate::model::address::canonical(*a).to_string()),
        );
        let blocked = self.blocked_list(&by_address.iter().cloned().collect(), total);
        let addresses = by_address
            .into_iter()
            .map(|(key, count)| TalkerRow {
                note: self.block_note(&key).unwrap_or_default(),
                key,
                count,
            })
            .collect();
        let paths = plain(tally(
            clients
                .iter()
                .filter_map(|(_, p, _)| p.as_deref().map(crate::view::clean)),
        ));
        let statuses = plain(tally(clients.iter().filter_map(|(_, _, s)| s.clone())));
        let filter = if self.panels.logs.filter.is_empty() {
            String::new()
        } else {
            format!(" matching {}", crate::view::clean(&self.panels.logs.filter))
        };
        Some(Talkers::new(
            PanelId::Logs,
            format!("{total} log lines with a client address{filter}"),
            vec![
                TalkerList {
                    name: "Client addresses",
                    rows: addresses,
                    total,
                    addresses: true,
                },
                TalkerList {
                    name: "Paths",
                    rows: paths,
                    total,
                    addresses: false,
                },
                TalkerList {
                    name: "Status classes",
                    rows: statuses,
                    total,
                    addresses: false,
                },
            ],
            blocked,
        ))
    }
}
