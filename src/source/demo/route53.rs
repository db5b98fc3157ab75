//! The hosted zones: S4's geolocation set (`CN` to a documentation address, `*` to CloudFront),
//! S5's geolocation set that forgot its `*` record, and simple, weighted and failover sets.

use super::estate::{Home, TOKYO, VIRGINIA, distribution, lb_dns};
use super::hex_id;
use crate::model::{
    Answer, GeoLocation, Health, HostedZone, LbKind, Record, RecordSet, RoutingPolicy,
};

fn zone(home: Home, name: &str, private: bool, record_sets: Vec<RecordSet>) -> HostedZone {
    HostedZone {
        account: Some(home.account()),
        name: name.to_string(),
        id: format!("Z{}", hex_id(&format!("zone/{name}"), 20).to_uppercase()),
        private,
        record_sets,
    }
}

fn set(name: &str, rtype: &str, policy: RoutingPolicy, records: Vec<Record>) -> RecordSet {
    RecordSet {
        name: name.to_string(),
        rtype: rtype.to_string(),
        policy,
        records,
    }
}

fn values(ttl: u32, values: &[&str]) -> Answer {
    Answer::Values {
        ttl,
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

fn alias(target: &str, evaluate_health: bool) -> Answer {
    Answer::Alias {
        target: target.to_string(),
        evaluate_health,
    }
}

fn simple(answer: Answer) -> Record {
    Record {
        set_identifier: None,
        location: None,
        policy_detail: None,
        answer,
        health_check_id: None,
        health: Health::NotChecked,
    }
}

/// A record of a multi-record policy, without a health check.
fn routed(id: &str, detail: Option<&str>, answer: Answer) -> Record {
    Record {
        set_identifier: Some(id.to_string()),
        location: None,
        policy_detail: detail.map(str::to_string),
        answer,
        health_check_id: None,
        health: Health::NotChecked,
    }
}

/// The record with a health check (id stable per record) currently in state `health`.
fn checked(record: Record, health: Health) -> Record {
    let label = record.set_identifier.clone().unwrap_or_default();
    let h = hex_id(&format!("healthcheck/{label}"), 32);
    Record {
        health_check_id: Some(format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )),
        health,
        ..record
    }
}

fn geo(id: &str, continent: Option<&str>, country: Option<&str>, answer: Answer) -> Record {
    Record {
        location: Some(GeoLocation {
            continent: continent.map(str::to_string),
            country: country.map(str::to_string),
            subdivision: None,
        }),
        ..routed(id, None, answer)
    }
}

/// Alias targets name ALBs the way Route53 stores them.
fn alb_alias(region: &str, scheme: &str, name: &str) -> String {
    format!(
        "dualstack.{}.",
        lb_dns(region, LbKind::Application, scheme, name)
    )
}

/// The hosted zones in stack order.
pub(super) fn zones() -> Vec<HostedZone> {
    use RoutingPolicy::*;
    let (_, mt_cf) = distribution("mt-www");
    let (_, hwi_cf) = distribution("hwi-dynamic");
    let (_, hwi_static) = distribution("hwi-static");
    let mt_alb = alb_alias(TOKYO, "internet-facing", "mt-alb");
    vec![
        // S1: the site through CloudFront, its origin with a sorry server behind a failover.
        zone(
            Home::Cms,
            "example.jp.",
            false,
            vec![
                set(
                    "www.example.jp.",
                    "A",
                    Simple,
                    vec![simple(alias(&format!("{mt_cf}."), false))],
                ),
                set(
                    "origin.example.jp.",
                    "A",
                    Failover,
                    vec![
                        checked(
                            routed("origin-primary", Some("PRIMARY"), alias(&mt_alb, true)),
                            Health::Healthy,
                        ),
                        // The sorry server was stopped to save money: the failover has nowhere
                        // to go, and the console should say so.
                        checked(
                            routed(
                                "origin-sorry",
                                Some("SECONDARY"),
                                values(60, &["203.0.113.80"]),
                            ),
                            Health::Unhealthy,
                        ),
                    ],
                ),
                set(
                    "cms.example.jp.",
                    "A",
                    Simple,
                    vec![simple(alias(&mt_alb, false))],
                ),
            ],
        ),
        // S2: the external ELB, weighted against a maintenance page.
        zone(
            Home::Cms,
            "ha-demo.example.com.",
            false,
            vec![set(
                "www.ha-demo.example.com.",
                "A",
                Weighted,
                vec![
                    checked(
                        routed(
                            "ha-lbext",
                            Some("weight 100"),
                            alias(&alb_alias(VIRGINIA, "internet-facing", "ha-lbext"), true),
                        ),
                        Health::Healthy,
                    ),
                    routed(
                        "maintenance",
                        Some("weight 0"),
                        values(60, &["198.51.100.200"]),
                    ),
                ],
            )],
        ),
        // S3: the terminals resolve the private NLB's fixed per-zone addresses.
        zone(
            Home::Apps,
            "trace.internal.",
            true,
            vec![
                set(
                    "handy.trace.internal.",
                    "A",
                    Simple,
                    vec![simple(values(300, &["10.30.1.100", "10.30.2.100"]))],
                ),
                set(
                    "relay.trace.internal.",
                    "A",
                    Simple,
                    vec![simple(values(300, &["10.30.0.10"]))],
                ),
            ],
        ),
        // S4: China goes to a documentation address that never routes; everyone else to CloudFront.
        zone(
            Home::Apps,
            "taltalsister.cf.",
            false,
            vec![
                set(
                    "taltalsister.cf.",
                    "A",
                    Geolocation,
                    vec![
                        geo("cn-docs-ip", None, Some("CN"), values(300, &["192.0.2.1"])),
                        geo(
                            "default",
                            None,
                            Some("*"),
                            alias(&format!("{hwi_cf}."), false),
                        ),
                    ],
                ),
                set(
                    "static.taltalsister.cf.",
                    "CNAME",
                    Simple,
                    vec![simple(values(300, &[&format!("{hwi_static}.")]))],
                ),
            ],
        ),
        // S5: the proxy's Elastic IPs by location — and no `*` record, so unmapped countries
        // get no answer at all.
        zone(
            Home::Apps,
            "example.net.",
            false,
            vec![set(
                "proxy.example.net.",
                "A",
                Geolocation,
                vec![
                    checked(
                        geo(
                            "proxy-jp",
                            None,
                            Some("JP"),
                            values(60, &["198.51.100.20", "198.51.100.21"]),
                        ),
                        Health::Healthy,
                    ),
                    // The old us-west-2 proxy, shut down but still answering North America. (Its
                    // own address: none of the demo's clients is one of its answers.)
                    checked(
                        geo("proxy-na", Some("NA"), None, values(60, &["203.0.113.140"])),
                        Health::Unhealthy,
                    ),
                ],
            )],
        ),
    ]
}
