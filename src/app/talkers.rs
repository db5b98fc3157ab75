//! Who is hitting us: the selected rule's sampled requests by client address and by country,
//! or the log lines shown by client address, path and status class. `b` blocks from here.

use super::App;
use crate::model::PanelId;
use crate::model::access::{self, LogFormat};
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
    let mut counts: HashMap<String, usize> = HashMap::new();
    for k in keys {
        *counts.entry(k).or_default() += 1;
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
        self.logs
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

    /// (requests from `address`, requests in the sample, its country) of the shown sample.
    pub fn sampled_from(&self, address: IpAddr) -> (usize, usize, Option<String>) {
        let Some(s) = self.world.samples.value.as_ref() else {
            return (0, 0, None);
        };
        let mine: Vec<_> = s
            .requests
            .iter()
            .filter(|r| crate::model::address::parse(&r.client_ip) == Some(address))
            .collect();
        let country = mine.first().map(|r| r.country.clone());
        (mine.len(), s.requests.len(), country)
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
                // A single address is shown bare, so it can be picked; a range stays a range.
                let bare = cidr
                    .strip_suffix("/32")
                    .or_else(|| cidr.strip_suffix("/128"))
                    .unwrap_or(cidr);
                let left = self
                    .block_note(bare)
                    .unwrap_or_else(|| "BLOCKED until removed".to_string());
                rows.push(TalkerRow {
                    key: bare.to_string(),
                    count: seen.get(bare).copied().unwrap_or(0),
                    note: format!("{} · {left}", set.name),
                });
            }
        }
        Some(TalkerList {
            name: "Blocked now",
            rows,
            total,
            addresses: true,
        })
    }

    /// What a blocked address shows beside its count: how long it stays blocked.
    fn block_note(&self, address: &str) -> Option<String> {
        let waf = self.world.waf.value.as_ref()?;
        let cidr = super::block::cidr_of(address.parse().ok()?);
        waf.ip_sets
            .iter()
            .find(|s| s.addresses.iter().any(|a| a == &cidr))?;
        let pending = self.pending.iter().find(|p| {
            matches!(&p.undo, crate::action::Mutation::Unblock { address: a, .. } if *a == cidr)
        });
        Some(match pending {
            Some(p) => {
                let left = (p.due - self.now).num_minutes().max(0);
                format!("BLOCKED, {left} m left")
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
        let samples = self
            .world
            .samples
            .value
            .as_ref()
            .filter(|s| s.acl_id == acl.id && s.rule == rule.name)?;
        let total = samples.requests.len();
        let country_of: HashMap<&str, &str> = samples
            .requests
            .iter()
            .map(|r| (r.client_ip.as_str(), r.country.as_str()))
            .collect();
        let addresses = tally(samples.requests.iter().map(|r| r.client_ip.clone()))
            .into_iter()
            .map(|(key, count)| {
                let country = country_of.get(key.as_str()).copied().unwrap_or("?");
                let note = match self.block_note(&key) {
                    Some(b) => format!("{country} · {b}"),
                    None => country.to_string(),
                };
                TalkerRow { key, count, note }
            })
            .collect();
        let seen: HashMap<String, usize> =
            tally(samples.requests.iter().map(|r| r.client_ip.clone()))
                .into_iter()
                .collect();
        let blocked = self.blocked_list(&seen, total);
        let countries = tally(samples.requests.iter().map(|r| r.country.clone()))
            .into_iter()
            .map(|(key, count)| TalkerRow {
                key,
                count,
                note: String::new(),
            })
            .collect();
        Some(Talkers::new(
            PanelId::Waf,
            format!(
                "{total} sampled requests of {} ({})",
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
        ))
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
        let by_address = tally(clients.iter().map(|(a, _, _)| a.to_string()));
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
        let filter = if self.logs.filter.is_empty() {
            String::new()
        } else {
            format!(" matching {}", crate::view::clean(&self.logs.filter))
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
