//! The static estate: S1–S5's load balancers, target groups and EC2 instances, with the write-ups'
//! real names, subnets and zones. Health, counts and logs are layered on top by the dynamics.

use super::route53;
use super::waf::{self, AclSpec};
use super::{fnv64, hex_id};
use crate::model::{
    AccountRef, CheckStatus, Forward, HostedZone, Instance, LbKind, Listener, LoadBalancer,
    Registration, ScheduledEvent, Target, TargetGroup, TargetState,
};
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeSet;

/// The demo's two accounts, so several accounts can be tried without one: the Movable Type
/// CMS (S1) and the HA tier (S2) in one, the handheld terminals' members (S3), WordPress (S4)
/// and the reverse proxy (S5) in the other. Documentation-style ids that no real account has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Home {
    /// S1 and S2.
    Cms,
    /// S3, S4 and S5.
    Apps,
}

impl Home {
    pub const ALL: [Home; 2] = [Home::Cms, Home::Apps];

    pub fn id(self) -> &'static str {
        match self {
            Home::Cms => "111122223333",
            Home::Apps => "444455556666",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Home::Cms => "cms-prod",
            Home::Apps => "apps-prod",
        }
    }

    /// What every row of this account carries.
    pub fn account(self) -> AccountRef {
        AccountRef {
            id: self.id().to_string(),
            name: self.name().to_string(),
        }
    }
}

/// The accounts the demo watches, in the order the console lists them.
pub(super) fn accounts() -> Vec<AccountRef> {
    Home::ALL.iter().map(|h| h.account()).collect()
}
/// S1, S3, S4 and S5 run in Tokyo.
pub(super) const TOKYO: &str = "ap-northeast-1";
/// S2's write-up was built in us-east-1 ("本エントリの検証ではus-east-1を利用しています").
pub(super) const VIRGINIA: &str = "us-east-1";

pub(super) struct Estate {
    /// Every target as registered, before health is applied (states are placeholders).
    pub load_balancers: Vec<LoadBalancer>,
    pub instances: Vec<Instance>,
    pub acls: Vec<AclSpec>,
    pub zones: Vec<HostedZone>,
    /// Instance ids that are stopped: registered targets with these ids are `unused`.
    pub stopped: BTreeSet<String>,
}

impl Estate {
    /// The estate (scheduled events are dated when the instances are read: [`events_at`]).
    pub fn build() -> Estate {
        let instances = instances();
        let stopped = instances
            .iter()
            .filter(|i| i.state == "stopped")
            .map(|i| i.id.clone())
            .collect();
        Estate {
            load_balancers: load_balancers(),
            instances,
            acls: waf::acls(),
            zones: route53::zones(),
            stopped,
        }
    }

    /// The target group with this ARN and the load balancer holding it.
    pub fn target_group(&self, arn: &str) -> Option<(&LoadBalancer, &TargetGroup)> {
        self.load_balancers.iter().find_map(|lb| {
            lb.target_groups
                .iter()
                .find(|tg| tg.arn == arn)
                .map(|tg| (lb, tg))
        })
    }
}

pub(super) fn instance_id(name: &str) -> String {
    format!("i-0{}", hex_id(&format!("instance/{name}"), 16))
}

/// A CloudFront distribution's id and domain, stable for a label.
pub(super) fn distribution(label: &str) -> (String, String) {
    let h = hex_id(&format!("cloudfront/{label}"), 26);
    (
        format!("E{}", h[..13].to_uppercase()),
        format!("d{}.cloudfront.net", &h[13..]),
    )
}

fn lb_arn(region: &str, account: &str, kind: LbKind, name: &str) -> String {
    let short = match kind {
        LbKind::Application => "app",
        LbKind::Network => "net",
        LbKind::Gateway => "gwy",
    };
    format!(
        "arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/{short}/{name}/{}",
        hex_id(&format!("lb/{name}"), 16)
    )
}

fn tg_arn(region: &str, account: &str, name: &str) -> String {
    format!(
        "arn:aws:elasticloadbalancing:{region}:{account}:targetgroup/{name}/{}",
        hex_id(&format!("tg/{name}"), 16)
    )
}

/// ELB DNS names: `name-1234567890.region.elb.amazonaws.com`, `internal-` for internal ALBs.
pub(super) fn lb_dns(region: &str, kind: LbKind, scheme: &str, name: &str) -> String {
    let number = fnv64(&format!("dns/{name}")) % 9_000_000_000 + 1_000_000_000;
    match (kind, scheme) {
        (LbKind::Network, _) => format!(
            "{name}-{}.elb.{region}.amazonaws.com",
            hex_id(&format!("dns/{name}"), 10)
        ),
        (_, "internal") => format!("internal-{name}-{number}.{region}.elb.amazonaws.com"),
        _ => format!("{name}-{number}.{region}.elb.amazonaws.com"),
    }
}

fn instance_target(name: &str, az: &str, port: u16) -> Target {
    Target {
        id: instance_id(name),
        name: Some(name.to_string()),
        port,
        // ELBv2 describes an instance target without a zone; the console learns it from EC2.
        az: Some(az.to_string()),
        registration: Registration {
            port: Some(port),
            availability_zone: None,
        },
        state: TargetState::Healthy,
        reason: None,
        drain_remaining_secs: None,
    }
}

/// Fargate tasks are IP targets: the ENI address has no Name tag.
fn ip_target(ip: &str, az: &str, port: u16) -> Target {
    Target {
        id: ip.to_string(),
        name: None,
        port,
        az: Some(az.to_string()),
        registration: Registration {
            port: Some(port),
            availability_zone: Some(az.to_string()),
        },
        state: TargetState::Healthy,
        reason: None,
        drain_remaining_secs: None,
    }
}

struct TgDef {
    name: &'static str,
    protocol: &'static str,
    port: u16,
    target_type: &'static str,
    delay: u32,
    targets: Vec<Target>,
}

/// (port, protocol, [(target group, weight)]) of one listener's default forward.
type ListenerDef<'a> = (u16, &'a str, &'a [(&'a str, Option<u32>)]);

fn lb(
    home: Home,
    name: &str,
    kind: LbKind,
    scheme: &str,
    region: &str,
    listeners: &[ListenerDef],
    groups: Vec<TgDef>,
) -> LoadBalancer {
    LoadBalancer {
        account: Some(home.account()),
        name: name.to_string(),
        arn: lb_arn(region, home.id(), kind, name),
        kind,
        scheme: scheme.to_string(),
        region: region.to_string(),
        dns_name: lb_dns(region, kind, scheme, name),
        listeners: listeners
            .iter()
            .map(|(port, protocol, forwards)| Listener {
                port: *port,
                protocol: protocol.to_string(),
                forwards: forwards
                    .iter()
                    .map(|(tg, weight)| Forward {
                        target_group: tg.to_string(),
                        weight: *weight,
                    })
                    .collect(),
                rules: Some(vec![]),
                rules_listed_at: None,
            })
            .collect(),
        target_groups: groups
            .into_iter()
            .map(|g| TargetGroup {
                name: g.name.to_string(),
                arn: tg_arn(region, home.id(), g.name),
                protocol: g.protocol.to_string(),
                port: g.port,
                target_type: g.target_type.to_string(),
                vpc_id: None,
                deregistration_delay_secs: Some(g.delay),
                // AWS's defaults: always on for an ALB, off for an NLB.
                cross_zone: Some(kind == LbKind::Application),
                targets: g.targets,
                metrics: None,
            })
            .collect(),
    }
}

/// Load balancers in stack order (S1..S5); this order is what the panel shows.
fn load_balancers() -> Vec<LoadBalancer> {
    let t = TOKYO;
    let v = VIRGINIA;
    let member_alb = lb(
        Home::Apps,
        "trace-member-alb",
        LbKind::Application,
        "internal",
        t,
        &[(443, "HTTPS", &[("trace-member-tg", None)])],
        vec![TgDef {
            name: "trace-member-tg",
            protocol: "HTTP",
            port: 80,
            target_type: "instance",
            // The migrated system kept AWS's default delay.
            delay: 300,
            targets: vec![
                instance_target("trace-member-01", "ap-northeast-1a", 80),
                instance_target("trace-member-02", "ap-northeast-1c", 80),
                // Stopped, but nobody deregistered it: ELB reports it `unused`.
                instance_target("trace-member-03", "ap-northeast-1a", 80),
            ],
        }],
    );
    // The NLB's target is the ALB itself (target type `alb`): one target spanning every zone.
    let alb_as_target = Target {
        id: member_alb.arn.clone(),
        name: Some(member_alb.name.clone()),
        port: 443,
        // An ALB serves from all of its zones: as a target it has none of its own.
        az: None,
        registration: Registration {
            port: Some(443),
            availability_zone: None,
        },
        state: TargetState::Healthy,
        reason: None,
        drain_remaining_secs: None,
    };
    vec![
        // S1: Movable Type behind CloudFront → ALB (TLS termination, WAF).
        lb(
            Home::Cms,
            "mt-alb",
            LbKind::Application,
            "internet-facing",
            t,
            &[
                (443, "HTTPS", &[("mt-web-tg", None)]),
                // The CMS gets its own listener; the web ACL lets only office IPs through.
                (8443, "HTTPS", &[("mt-cms-tg", None)]),
            ],
            vec![
                TgDef {
                    name: "mt-web-tg",
                    protocol: "HTTP",
                    port: 80,
                    target_type: "instance",
                    delay: 60,
                    targets: vec![
                        instance_target("mt-web-01", "ap-northeast-1a", 80),
                        instance_target("mt-web-02", "ap-northeast-1c", 80),
                    ],
                },
                TgDef {
                    name: "mt-cms-tg",
                    protocol: "HTTP",
                    port: 80,
                    target_type: "instance",
                    delay: 60,
                    targets: vec![instance_target("mt-cms", "ap-northeast-1a", 80)],
                },
            ],
        ),
        // S2: two ELB layers with the UTM appliances between them; health checks tuned fast.
        lb(
            Home::Cms,
            "ha-lbext",
            LbKind::Application,
            "internet-facing",
            v,
            &[(80, "HTTP", &[("ha-utm-tg", None)])],
            vec![TgDef {
                name: "ha-utm-tg",
                protocol: "HTTP",
                port: 80,
                target_type: "instance",
                delay: 30,
                targets: vec![
                    instance_target("ha-utm-left", "us-east-1a", 80),
                    instance_target("ha-utm-right", "us-east-1b", 80),
                ],
            }],
        ),
        lb(
            Home::Cms,
            "ha-lbint",
            LbKind::Application,
            "internal",
            v,
            &[(80, "HTTP", &[("ha-web-tg", None)])],
            vec![TgDef {
                name: "ha-web-tg",
                protocol: "HTTP",
                port: 80,
                target_type: "instance",
                delay: 30,
                targets: vec![
                    instance_target("ha-web-left", "us-east-1a", 80),
                    instance_target("ha-web-right", "us-east-1b", 80),
                ],
            }],
        ),
        // S3: private NLB (static IP per zone) for the handheld terminals → ALB + WAF → members.
        lb(
            Home::Apps,
            "trace-handy-nlb",
            LbKind::Network,
            "internal",
            t,
            &[(443, "TCP", &[("trace-handy-alb-tg", None)])],
            vec![TgDef {
                name: "trace-handy-alb-tg",
                protocol: "TCP",
                port: 443,
                target_type: "alb",
                delay: 300,
                targets: vec![alb_as_target],
            }],
        ),
        member_alb,
        // S4: WordPress on Fargate, blue/green target groups swapped by CodeDeploy.
        lb(
            Home::Apps,
            "hwi-alb",
            LbKind::Application,
            "internet-facing",
            t,
            &[(
                443,
                "HTTPS",
                &[("hwi-tg1", Some(100)), ("hwi-tg2", Some(0))],
            )],
            vec![
                TgDef {
                    name: "hwi-tg1",
                    protocol: "HTTP",
                    port: 80,
                    target_type: "ip",
                    delay: 30,
                    targets: vec![
                        ip_target("10.0.139.57", "ap-northeast-1a", 80),
                        ip_target("10.0.150.12", "ap-northeast-1c", 80),
                    ],
                },
                // The idle colour: CodeDeploy terminated its tasks after the last switch.
                TgDef {
                    name: "hwi-tg2",
                    protocol: "HTTP",
                    port: 80,
                    target_type: "ip",
                    delay: 30,
                    targets: vec![],
                },
            ],
        ),
        // S5: NLB with Elastic IPs, TLS on 443 only, nginx (ARM) tasks keep the client's IP.
        lb(
            Home::Apps,
            "reverseproxy-nlb",
            LbKind::Network,
            "internet-facing",
            t,
            &[(443, "TLS", &[("reverseproxy-tg", None)])],
            vec![TgDef {
                name: "reverseproxy-tg",
                protocol: "TCP",
                port: 80,
                target_type: "ip",
                delay: 30,
                targets: vec![
                    ip_target("10.50.1.23", "ap-northeast-1a", 80),
                    ip_target("10.50.2.47", "ap-northeast-1c", 80),
                ],
            }],
        ),
    ]
}

struct InstanceDef {
    home: Home,
    name: &'static str,
    instance_type: &'static str,
    az: &'static str,
    ip: &'static str,
    running: bool,
}

// One row per instance reads better than rustfmt's one field per line.
#[rustfmt::skip]
const INSTANCES: &[InstanceDef] = &[
    // S1: web servers in two zones, the CMS (Movable Type + Starman) and a bastion.
    InstanceDef { home: Home::Cms, name: "mt-web-01", instance_type: "t3.small", az: "ap-northeast-1a", ip: "10.1.11.21", running: true },
    InstanceDef { home: Home::Cms, name: "mt-web-02", instance_type: "t3.small", az: "ap-northeast-1c", ip: "10.1.12.21", running: true },
    InstanceDef { home: Home::Cms, name: "mt-cms", instance_type: "t3.medium", az: "ap-northeast-1a", ip: "10.1.11.30", running: true },
    InstanceDef { home: Home::Cms, name: "mt-bastion", instance_type: "t3.micro", az: "ap-northeast-1a", ip: "10.1.1.10", running: true },
    // S2: UTM9 needs memory (m1.small); the web servers are t1.micro. IPs set by hand.
    InstanceDef { home: Home::Cms, name: "ha-utm-left", instance_type: "m1.small", az: "us-east-1a", ip: "10.0.10.10", running: true },
    InstanceDef { home: Home::Cms, name: "ha-utm-right", instance_type: "m1.small", az: "us-east-1b", ip: "10.0.11.10", running: true },
    InstanceDef { home: Home::Cms, name: "ha-web-left", instance_type: "t1.micro", az: "us-east-1a", ip: "10.0.20.10", running: true },
    InstanceDef { home: Home::Cms, name: "ha-web-right", instance_type: "t1.micro", az: "us-east-1b", ip: "10.0.21.10", running: true },
    // S3: Debian 6 members brought in with VM Import, and the NAT instance relaying mail to SES.
    InstanceDef { home: Home::Apps, name: "trace-member-01", instance_type: "m4.large", az: "ap-northeast-1a", ip: "10.30.11.11", running: true },
    InstanceDef { home: Home::Apps, name: "trace-member-02", instance_type: "m4.large", az: "ap-northeast-1c", ip: "10.30.12.11", running: true },
    InstanceDef { home: Home::Apps, name: "trace-member-03", instance_type: "m4.large", az: "ap-northeast-1a", ip: "10.30.11.12", running: false },
    InstanceDef { home: Home::Apps, name: "trace-nat-relay", instance_type: "t3.small", az: "ap-northeast-1a", ip: "10.30.0.10", running: true },
    // S4: the host the WordPress image was first built on (ip-10-0-159-238).
    InstanceDef { home: Home::Apps, name: "hwi-build-host", instance_type: "t3.micro", az: "ap-northeast-1c", ip: "10.0.159.238", running: true },
];

/// A maintenance event AWS schedules again and again: first at `first_secs` after the demo's
/// epoch, then every `every_secs`; the one shown is the first more than `lead_secs` ahead, so
/// it is always comfortably in the future and the same in every demo process at the same time.
struct Recurring {
    instance: &'static str,
    code: &'static str,
    description: &'static str,
    first_secs: i64,
    every_secs: i64,
    lead_secs: i64,
}

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

const EVENTS: &[Recurring] = &[
    Recurring {
        instance: "mt-cms",
        code: "system-reboot",
        description: "scheduled reboot",
        first_secs: 3 * DAY + 2 * HOUR,
        every_secs: 7 * DAY,
        lead_secs: DAY,
    },
    Recurring {
        instance: "trace-nat-relay",
        code: "instance-retirement",
        description: "The instance is running on degraded hardware",
        first_secs: 14 * DAY,
        every_secs: 14 * DAY,
        lead_secs: 7 * DAY,
    },
];

/// The scheduled events of instance `name` as EC2 would describe them at `now_secs` (seconds
/// since the demo's epoch).
pub(super) fn events_at(name: &str, now_secs: i64, epoch: DateTime<Utc>) -> Vec<ScheduledEvent> {
    EVENTS
        .iter()
        .filter(|e| e.instance == name)
        .map(|e| {
            let behind = now_secs + e.lead_secs - e.first_secs;
            let at = e.first_secs + (behind.div_euclid(e.every_secs) + 1) * e.every_secs;
            ScheduledEvent {
                code: e.code.to_string(),
                description: e.description.to_string(),
                not_before: Some(epoch + Duration::seconds(at)),
            }
        })
        .collect()
}

fn instances() -> Vec<Instance> {
    INSTANCES
        .iter()
        .map(|d| {
            // A stopped instance has no status checks to report.
            let status = if d.running {
                CheckStatus::Ok
            } else {
                CheckStatus::NotApplicable
            };
            Instance {
                account: Some(d.home.account()),
                id: instance_id(d.name),
                name: Some(d.name.to_string()),
                instance_type: d.instance_type.to_string(),
                az: d.az.to_string(),
                region: d.az[..d.az.len() - 1].to_string(),
                private_ip: Some(d.ip.to_string()),
                public_ip: None,
                state: if d.running { "running" } else { "stopped" }.to_string(),
                system_status: status,
                instance_status: status,
                events: vec![],
            }
        })
        .collect()
}
