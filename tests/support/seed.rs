//! Seeds a `Moto` emulator, through the real SDK clients, with the estate of the five stacks
//! (docs: `SCENARIOS.md`), under the same names, subnets and rules as the demo world
//! (`src/source/demo/estate.rs`, `waf.rs`, `route53.rs`): S2 in us-east-1, the rest in
//! ap-northeast-1, S4's CloudFront web ACL in us-east-1. `seed_scenarios` returns a `Seeded`: plain
//! data saying what a test should find.
//!
//! What moto (5.2.5) refused or does differently — checked by running it, so assertions must not
//! expect the impossible:
//! - EC2 scheduled events: no API creates them and `DescribeInstanceStatus` never returns
//!   `Events`, so the demo's `mt-cms` reboot and `trace-nat-relay` retirement are not seeded.
//!   Status checks are `ok` for running instances, `not-applicable` for the stopped one.
//! - `RegisterTargets` refuses a stopped instance (`InvalidTarget`): `trace-member-03` is
//!   registered while running, then stopped; `DescribeTargetHealth` then reports it `unused` /
//!   `Target.InvalidState` ("Target is in the stopped state"). Every other target is `healthy` at
//!   once (never `initial`/`unhealthy`).
//! - `DescribeTargetHealth` never returns `Target.AvailabilityZone` (not even when it was given
//!   at registration): derive a target's zone from the instance or the subnet of its IP.
//! - Network load balancers (`Type=network`) get ARNs with `loadbalancer/app/…`, not `net/…`;
//!   `Type` in `DescribeLoadBalancers` is right (`network`). Their CloudWatch dimension is
//!   therefore seeded as `app/<name>/<id>` (derived from the ARN, as the console would) in the
//!   `AWS/NetworkELB` namespace.
//! - `SubnetMappings` (the NLBs' fixed private IPs and Elastic IPs) are accepted but not
//!   reflected: `AvailabilityZones[].LoadBalancerAddresses` is empty. DNS names look like
//!   `<name>-1.<region>.elb.amazonaws.com`; `CanonicalHostedZoneId` is `Z2P70J7EXAMPLE`.
//! - HTTPS/TLS listeners are created WITHOUT certificates (moto accepts that; a made-up ACM ARN
//!   is refused with `CertificateNotFound`, and there is no ACM client here).
//! - Weighted forward (S4's `ForwardConfig` hwi-tg1 = 100 / hwi-tg2 = 0): accepted and returned
//!   as given by `DescribeListeners`.
//! - WAFv2: `RuleActionOverrides` inside a managed group, `Captcha` and `Challenge` actions,
//!   rate-based rules, IP sets and `AssociateWebACL` (+ `GetWebACLForResource`) all work.
//!   Managed rule groups are not expanded (a reference is just stored). `ListResourcesForWebACL`
//!   and `GetSampledRequests` answer HTTP 500. A CLOUDFRONT-scope ACL is listed by
//!   `ListWebACLs(Scope=CLOUDFRONT)` from any region's endpoint. Nothing is associated with the
//!   CloudFront ACL (no CloudFront distribution exists in the emulator).
//! - CloudWatch: moto accepts `PutMetricData` into `AWS/*` namespaces (AWS would not). Its
//!   `GetMetricData` buckets periods from the query's `StartTime` (not aligned to the period),
//!   matches dimensions exactly, IGNORES the namespace when dimensions are given, returns
//!   timestamps ascending whatever `ScanBy` says, does only bare metric stats (no math, and
//!   `p99` crashes it).
//! - Route53: health checks are never probed; `GetHealthCheckStatus` always reports success, so
//!   the demo's unhealthy `origin-sorry` and `proxy-na` checks are healthy here. The SOA record's
//!   value is garbled (`{'Value': '…'}`); paging returns `NextRecordName`/`NextRecordType` but
//!   never `NextRecordIdentifier`. Pages hold 300 record sets, NS and SOA included.
//!
//! Metrics seeded (constant per minute, `METRIC_MINUTES` points ending in the seeding minute):
//! `AWS/WAFV2` `AllowedRequests`/`BlockedRequests`/`CountedRequests`/`CaptchaRequests` (only the
//! non-zero ones, like AWS) per rule and for `Rule=ALL`, dimensions `WebACL`, `Rule` and, for
//! REGIONAL ACLs only, `Region` (AWS gives CloudFront ACLs' metrics, in us-east-1, no `Region`);
//! `HealthyHostCount`/`UnHealthyHostCount` per target group with `TargetGroup` + `LoadBalancer`.
//! A managed group's per-rule Count override is seeded as `CountedRequests` on the group's own
//! `Rule` dimension, as the demo world counts it.
//!
//! Additions not in the demo world, to cover the Count and Captcha actions and Route53 paging:
//! hwi-web-acl also has a Captcha rule (`captcha-wp-login`) and a plain Count rule
//! (`count-wp-comments`) after the managed groups (`SeededRule::extra`), and a zone
//! `fleet.example.org.` with 320 A records so `ListResourceRecordSets` needs two pages.
#![allow(dead_code)]

use super::moto::{Assumed, Moto};
use aws_credential_types::Credentials;
use aws_sdk_cloudwatch as cloudwatch;
use aws_sdk_ec2 as ec2;
use aws_sdk_elasticloadbalancingv2 as elbv2;
use aws_sdk_route53 as route53;
use aws_sdk_wafv2 as wafv2;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use std::collections::HashMap;
use std::net::Ipv4Addr;

pub const TOKYO: &str = "ap-northeast-1";
pub const VIRGINIA: &str = "us-east-1";
/// moto's default account: every ARN names it.
pub const ACCOUNT: &str = "123456789012";
/// Any AMI id works in moto.
pub const AMI: &str = "ami-12c6146b";
/// Minutes of metric datapoints seeded (one per minute), like the WAF panel's window.
pub const METRIC_MINUTES: u32 = 15;
/// Requests per minute the web ACLs' default action (Allow) lets through, in `Rule=ALL`.
pub const DEFAULT_ACTION_ALLOWED_PER_MINUTE: u64 = 500;

// ---------------------------------------------------------------------------------------------
// What a test gets back
// ---------------------------------------------------------------------------------------------

/// Everything seeded, with the ids the emulator gave it. Names are unique across the estate.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub vpcs: Vec<SeededVpc>,
    /// In the demo's order.
    pub instances: Vec<SeededInstance>,
    /// In the demo's (stack) order.
    pub load_balancers: Vec<SeededLoadBalancer>,
    pub target_groups: Vec<SeededTargetGroup>,
    pub web_acls: Vec<SeededWebAcl>,
    pub zones: Vec<SeededZone>,
    pub health_checks: Vec<SeededHealthCheck>,
    /// Every metric series put into CloudWatch (WAF and ELB), one datapoint per minute.
    pub metrics: Vec<SeededMetric>,
    /// First datapoint's timestamp (minute-aligned, inclusive).
    pub metrics_start: DateTime<Utc>,
    /// One minute after the last datapoint (exclusive). The last datapoint is in the minute that
    /// was current while seeding, so "the last 15 minutes" from then holds all 15 points; once
    /// the clock passes `metrics_end` such a query loses the oldest point.
    pub metrics_end: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct SeededVpc {
    pub name: String,
    pub id: String,
    pub region: String,
    pub cidr: String,
    pub subnets: Vec<SeededSubnet>,
}

#[derive(Debug, Clone)]
pub struct SeededSubnet {
    pub id: String,
    pub cidr: String,
    pub az: String,
}

#[derive(Debug, Clone)]
pub struct SeededInstance {
    /// The `Name` tag.
    pub name: String,
    pub id: String,
    pub region: String,
    pub az: String,
    pub instance_type: String,
    pub private_ip: String,
    /// `running` or `stopped`.
    pub state: String,
}

#[derive(Debug, Clone)]
pub struct SeededLoadBalancer {
    pub name: String,
    pub arn: String,
    pub region: String,
    /// `application` or `network`.
    pub lb_type: String,
    /// `internet-facing` or `internal`.
    pub scheme: String,
    pub dns_name: String,
    pub canonical_hosted_zone_id: String,
    pub vpc: String,
    pub listeners: Vec<SeededListener>,
    /// Names of its target groups, in the demo's order.
    pub target_groups: Vec<String>,
    /// The CloudWatch `LoadBalancer` dimension, from the ARN (`app/<name>/<id>`; see the top
    /// of this file for NLBs).
    pub metric_dimension: String,
    /// `AWS/ApplicationELB` or `AWS/NetworkELB`.
    pub metric_namespace: String,
    /// Name of the regional web ACL associated with it.
    pub web_acl: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SeededListener {
    pub arn: String,
    pub port: u16,
    pub protocol: String,
    /// (target group name, weight): one entry without weight for a plain forward, several with
    /// weights for a weighted forward (S4's blue/green: hwi-tg1 100, hwi-tg2 0).
    pub forwards: Vec<(String, Option<i32>)>,
}

#[derive(Debug, Clone)]
pub struct SeededTargetGroup {
    pub name: String,
    pub arn: String,
    pub region: String,
    /// The load balancer whose listener forwards to it.
    pub load_balancer: String,
    pub protocol: String,
    pub port: u16,
    /// `instance`, `ip` or `alb`.
    pub target_type: String,
    /// The `deregistration_delay.timeout_seconds` attribute as set.
    pub deregistration_delay_secs: u32,
    pub healthy_threshold_count: i32,
    pub targets: Vec<SeededTarget>,
    /// The CloudWatch `TargetGroup` dimension: `targetgroup/<name>/<id>`.
    pub metric_dimension: String,
}

impl SeededTargetGroup {
    pub fn healthy_count(&self) -> usize {
        self.targets.iter().filter(|t| t.state == "healthy").count()
    }
}

#[derive(Debug, Clone)]
pub struct SeededTarget {
    /// Instance id, IP address, or the ALB's ARN (target type `alb`).
    pub id: String,
    /// The instance's Name tag or the ALB's name; `None` for IP targets.
    pub name: Option<String>,
    pub port: u16,
    /// The zone the demo shows (moto itself never reports one, see above); `all` for an ALB.
    pub az: String,
    /// What `DescribeTargetHealth` reports: `healthy`, or `unused` for the stopped instance.
    pub state: String,
    /// `Target.InvalidState` for the stopped instance.
    pub reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SeededWebAcl {
    pub name: String,
    pub id: String,
    pub arn: String,
    /// `REGIONAL` or `CLOUDFRONT`.
    pub scope: String,
    /// The region its API calls and metrics live in (us-east-1 for CLOUDFRONT).
    pub region: String,
    /// `Allow`.
    pub default_action: String,
    /// The lock token `CreateWebACL` returned (moto keeps it until the ACL changes).
    pub lock_token: String,
    /// Load balancers it is associated with (AssociateWebACL).
    pub associated_load_balancers: Vec<String>,
    /// In priority order.
    pub rules: Vec<SeededRule>,
    /// The `Rule=ALL` series per minute: rules' sums, plus the default action's allowed requests.
    pub all_per_minute: RuleCounts,
    /// The dimensions of this ACL's metrics except `Rule`: `WebACL` and, for REGIONAL, `Region`
    /// (CloudFront ACLs' metrics carry no `Region` dimension on AWS; seeded the same way).
    pub metric_dimensions: Vec<(String, String)>,
}

impl SeededWebAcl {
    pub fn rule(&self, name: &str) -> &SeededRule {
        self.rules
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("no rule {name} in the seeded web ACL {}", self.name))
    }
}

#[derive(Debug, Clone)]
pub struct SeededRule {
    pub name: String,
    pub priority: i32,
    /// Its VisibilityConfig's MetricName: the `Rule` dimension of its metrics (= `name`).
    pub metric_name: String,
    /// Plain rule: `Allow`, `Block`, `Count`, `Captcha` or `Challenge`.
    pub action: Option<String>,
    /// Rule-group reference: `None` or `Count`.
    pub override_action: Option<String>,
    /// Rule-group reference: `AWS/AWSManagedRulesPHPRuleSet` (vendor/name).
    pub group: Option<String>,
    /// `RuleActionOverrides`: (rule inside the group, action), e.g. (`SizeRestrictions_BODY`,
    /// `Count`).
    pub rule_action_overrides: Vec<(String, String)>,
    /// Requests per minute seeded into CloudWatch for this rule.
    pub per_minute: RuleCounts,
    /// Over the whole seeded window (`per_minute` × `METRIC_MINUTES`).
    pub in_window: RuleCounts,
    /// Not in the demo world (added to cover the Count and Captcha actions).
    pub extra: bool,
}

/// Requests per minute (or per window) by metric. A metric is only seeded when non-zero, like
/// AWS, which emits no datapoint for a rule that matched nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RuleCounts {
    /// `AllowedRequests`
    pub allowed: u64,
    /// `BlockedRequests`
    pub blocked: u64,
    /// `CountedRequests`
    pub counted: u64,
    /// `CaptchaRequests`
    pub captcha: u64,
}

impl RuleCounts {
    fn times(self, n: u64) -> RuleCounts {
        RuleCounts {
            allowed: self.allowed * n,
            blocked: self.blocked * n,
            counted: self.counted * n,
            captcha: self.captcha * n,
        }
    }

    fn plus(self, o: RuleCounts) -> RuleCounts {
        RuleCounts {
            allowed: self.allowed + o.allowed,
            blocked: self.blocked + o.blocked,
            counted: self.counted + o.counted,
            captcha: self.captcha + o.captcha,
        }
    }

    fn by_metric(self) -> [(&'static str, u64); 4] {
        [
            ("AllowedRequests", self.allowed),
            ("BlockedRequests", self.blocked),
            ("CountedRequests", self.counted),
            ("CaptchaRequests", self.captcha),
        ]
    }
}

#[derive(Debug, Clone)]
pub struct SeededZone {
    pub name: String,
    /// The bare id (`ABC123…`, without `/hostedzone/`).
    pub id: String,
    pub private: bool,
    /// Record sets as created, in creation order (without the NS and SOA moto adds).
    pub record_sets: Vec<SeededRecordSet>,
    /// What `ListResourceRecordSets` counts: `record_sets` plus NS and SOA.
    pub total_record_sets: usize,
}

impl SeededZone {
    /// (record name, location, answer) of every geolocation record: location is the country
    /// code (`CN`, `JP`, `*`) or `continent:NA`; answer the values, or the alias target.
    pub fn geolocation_answers(&self) -> Vec<(String, String, Vec<String>)> {
        self.record_sets
            .iter()
            .filter(|s| s.policy == "geolocation")
            .flat_map(|s| {
                s.records.iter().map(|r| {
                    let location = match (&r.country, &r.continent) {
                        (Some(c), _) => c.clone(),
                        (None, Some(c)) => format!("continent:{c}"),
                        (None, None) => String::new(),
                    };
                    let answer = match &r.alias_target {
                        Some(a) => vec![a.clone()],
                        None => r.values.clone(),
                    };
                    (s.name.clone(), location, answer)
                })
            })
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct SeededRecordSet {
    /// Fully qualified, with the trailing dot.
    pub name: String,
    pub rtype: String,
    /// `simple`, `weighted`, `failover` or `geolocation`.
    pub policy: String,
    pub records: Vec<SeededRecord>,
}

#[derive(Debug, Clone)]
pub struct SeededRecord {
    pub set_identifier: Option<String>,
    pub country: Option<String>,
    pub continent: Option<String>,
    pub weight: Option<i64>,
    /// `PRIMARY` or `SECONDARY`.
    pub failover: Option<String>,
    pub ttl: Option<i64>,
    pub values: Vec<String>,
    /// Alias DNS name (with the trailing dot).
    pub alias_target: Option<String>,
    pub evaluate_target_health: bool,
    pub health_check_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SeededHealthCheck {
    pub id: String,
    /// The set identifier of the record it guards.
    pub record: String,
    /// `HTTP` or `HTTPS`.
    pub check_type: String,
    /// IP address or domain name checked.
    pub endpoint: String,
    /// What the demo world shows; moto always reports success (see the top of this file).
    pub demo_healthy: bool,
}

#[derive(Debug, Clone)]
pub struct SeededMetric {
    /// The region whose CloudWatch holds it.
    pub region: String,
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Vec<(String, String)>,
    /// The statistic to read it with (`Sum` for WAF counts, `Average` for host counts).
    pub stat: String,
    /// The value of each of the `METRIC_MINUTES` datapoints.
    pub per_minute: f64,
}

impl Seeded {
    pub fn instance(&self, name: &str) -> &SeededInstance {
        self.instances
            .iter()
            .find(|i| i.name == name)
            .unwrap_or_else(|| panic!("no seeded instance named {name}"))
    }

    pub fn load_balancer(&self, name: &str) -> &SeededLoadBalancer {
        self.load_balancers
            .iter()
            .find(|l| l.name == name)
            .unwrap_or_else(|| panic!("no seeded load balancer named {name}"))
    }

    pub fn load_balancers_in(&self, region: &str) -> Vec<&SeededLoadBalancer> {
        self.load_balancers
            .iter()
            .filter(|l| l.region == region)
            .collect()
    }

    pub fn target_group(&self, name: &str) -> &SeededTargetGroup {
        self.target_groups
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("no seeded target group named {name}"))
    }

    pub fn target_groups_in(&self, region: &str) -> Vec<&SeededTargetGroup> {
        self.target_groups
            .iter()
            .filter(|t| t.region == region)
            .collect()
    }

    pub fn web_acl(&self, name: &str) -> &SeededWebAcl {
        self.web_acls
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("no seeded web ACL named {name}"))
    }

    pub fn zone(&self, name: &str) -> &SeededZone {
        self.zones
            .iter()
            .find(|z| z.name == name)
            .unwrap_or_else(|| panic!("no seeded hosted zone named {name}"))
    }

    /// The seeded series of `metric` whose dimensions include all of `dimensions`.
    pub fn metrics_matching(
        &self,
        metric: &str,
        dimensions: &[(&str, &str)],
    ) -> Vec<&SeededMetric> {
        self.metrics
            .iter()
            .filter(|m| m.metric_name == metric)
            .filter(|m| {
                dimensions
                    .iter()
                    .all(|(k, v)| m.dimensions.iter().any(|(mk, mv)| mk == k && mv == v))
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// The estate as the demo world has it
// ---------------------------------------------------------------------------------------------

struct VpcDef {
    name: &'static str,
    region: &'static str,
    cidr: &'static str,
    subnets: &'static [(&'static str, &'static str)],
}

const VPCS: &[VpcDef] = &[
    // S1: Movable Type; public subnet for the bastion, private ones for web and CMS.
    VpcDef {
        name: "mt-vpc",
        region: TOKYO,
        cidr: "10.1.0.0/16",
        subnets: &[
            ("10.1.1.0/24", "ap-northeast-1a"),
            ("10.1.11.0/24", "ap-northeast-1a"),
            ("10.1.12.0/24", "ap-northeast-1c"),
        ],
    },
    // S2: WAF appliances in 10.0.10/11, web servers in 10.0.20/21.
    VpcDef {
        name: "ha-vpc",
        region: VIRGINIA,
        cidr: "10.0.0.0/16",
        subnets: &[
            ("10.0.10.0/24", "us-east-1a"),
            ("10.0.11.0/24", "us-east-1b"),
            ("10.0.20.0/24", "us-east-1a"),
            ("10.0.21.0/24", "us-east-1b"),
        ],
    },
    // S3: NAT relay, the private NLB's fixed addresses, the member servers.
    VpcDef {
        name: "trace-vpc",
        region: TOKYO,
        cidr: "10.30.0.0/16",
        subnets: &[
            ("10.30.0.0/24", "ap-northeast-1a"),
            ("10.30.1.0/24", "ap-northeast-1a"),
            ("10.30.2.0/24", "ap-northeast-1c"),
            ("10.30.11.0/24", "ap-northeast-1a"),
            ("10.30.12.0/24", "ap-northeast-1c"),
        ],
    },
    // S4: the Fargate tasks' subnets (10.0.139.57, 10.0.150.12, the build host 10.0.159.238).
    VpcDef {
        name: "hwi-vpc",
        region: TOKYO,
        cidr: "10.0.0.0/16",
        subnets: &[
            ("10.0.128.0/20", "ap-northeast-1a"),
            ("10.0.144.0/20", "ap-northeast-1c"),
        ],
    },
    // S5: nginx tasks behind the NLB.
    VpcDef {
        name: "reverseproxy-vpc",
        region: TOKYO,
        cidr: "10.50.0.0/16",
        subnets: &[
            ("10.50.1.0/24", "ap-northeast-1a"),
            ("10.50.2.0/24", "ap-northeast-1c"),
        ],
    },
];

struct InstanceDef {
    name: &'static str,
    vpc: &'static str,
    instance_type: &'static str,
    az: &'static str,
    ip: &'static str,
    running: bool,
}

// The demo's INSTANCES, one row each.
#[rustfmt::skip]
const INSTANCES: &[InstanceDef] = &[
    InstanceDef { name: "mt-web-01", vpc: "mt-vpc", instance_type: "t3.small", az: "ap-northeast-1a", ip: "10.1.11.21", running: true },
    InstanceDef { name: "mt-web-02", vpc: "mt-vpc", instance_type: "t3.small", az: "ap-northeast-1c", ip: "10.1.12.21", running: true },
    InstanceDef { name: "mt-cms", vpc: "mt-vpc", instance_type: "t3.medium", az: "ap-northeast-1a", ip: "10.1.11.30", running: true },
    InstanceDef { name: "mt-bastion", vpc: "mt-vpc", instance_type: "t3.micro", az: "ap-northeast-1a", ip: "10.1.1.10", running: true },
    InstanceDef { name: "ha-utm-left", vpc: "ha-vpc", instance_type: "m1.small", az: "us-east-1a", ip: "10.0.10.10", running: true },
    InstanceDef { name: "ha-utm-right", vpc: "ha-vpc", instance_type: "m1.small", az: "us-east-1b", ip: "10.0.11.10", running: true },
    InstanceDef { name: "ha-web-left", vpc: "ha-vpc", instance_type: "t1.micro", az: "us-east-1a", ip: "10.0.20.10", running: true },
    InstanceDef { name: "ha-web-right", vpc: "ha-vpc", instance_type: "t1.micro", az: "us-east-1b", ip: "10.0.21.10", running: true },
    InstanceDef { name: "trace-member-01", vpc: "trace-vpc", instance_type: "m4.large", az: "ap-northeast-1a", ip: "10.30.11.11", running: true },
    InstanceDef { name: "trace-member-02", vpc: "trace-vpc", instance_type: "m4.large", az: "ap-northeast-1c", ip: "10.30.12.11", running: true },
    InstanceDef { name: "trace-member-03", vpc: "trace-vpc", instance_type: "m4.large", az: "ap-northeast-1a", ip: "10.30.11.12", running: false },
    InstanceDef { name: "trace-nat-relay", vpc: "trace-vpc", instance_type: "t3.small", az: "ap-northeast-1a", ip: "10.30.0.10", running: true },
    InstanceDef { name: "hwi-build-host", vpc: "hwi-vpc", instance_type: "t3.micro", az: "ap-northeast-1c", ip: "10.0.159.238", running: true },
];

#[derive(Clone, Copy)]
enum Addr {
    /// Let the service pick.
    Auto,
    /// An internal NLB's fixed address in that subnet.
    Private(&'static str),
    /// An Elastic IP allocated for it.
    Eip,
}

#[derive(Clone, Copy)]
enum TargetDef {
    Instance(&'static str, u16),
    Ip(&'static str, &'static str, u16),
    /// Another load balancer (target type `alb`).
    Alb(&'static str, u16),
}

struct TgDef {
    name: &'static str,
    protocol: &'static str,
    port: u16,
    target_type: &'static str,
    delay: u32,
    healthy_threshold: Option<i32>,
    targets: &'static [TargetDef],
}

/// (port, protocol, [(target group, weight)]) of one listener's default forward.
type ListenerDef = (u16, &'static str, &'static [(&'static str, Option<i32>)]);

struct LbDef {
    name: &'static str,
    network: bool,
    scheme: &'static str,
    region: &'static str,
    vpc: &'static str,
    subnets: &'static [(&'static str, Addr)],
    listeners: &'static [ListenerDef],
    target_groups: &'static [TgDef],
}

/// The demo's load balancers, in stack order.
const LOAD_BALANCERS: &[LbDef] = &[
    // S1
    LbDef {
        name: "mt-alb",
        network: false,
        scheme: "internet-facing",
        region: TOKYO,
        vpc: "mt-vpc",
        subnets: &[("10.1.11.0/24", Addr::Auto), ("10.1.12.0/24", Addr::Auto)],
        listeners: &[
            (443, "HTTPS", &[("mt-web-tg", None)]),
            (8443, "HTTPS", &[("mt-cms-tg", None)]),
        ],
        target_groups: &[
            TgDef {
                name: "mt-web-tg",
                protocol: "HTTP",
                port: 80,
                target_type: "instance",
                delay: 60,
                healthy_threshold: None,
                targets: &[
                    TargetDef::Instance("mt-web-01", 80),
                    TargetDef::Instance("mt-web-02", 80),
                ],
            },
            TgDef {
                name: "mt-cms-tg",
                protocol: "HTTP",
                port: 80,
                target_type: "instance",
                delay: 60,
                healthy_threshold: None,
                targets: &[TargetDef::Instance("mt-cms", 80)],
            },
        ],
    },
    // S2: two ELB layers, health checks tuned fast (healthy threshold 2), delay 30 s.
    LbDef {
        name: "ha-lbext",
        network: false,
        scheme: "internet-facing",
        region: VIRGINIA,
        vpc: "ha-vpc",
        subnets: &[("10.0.10.0/24", Addr::Auto), ("10.0.11.0/24", Addr::Auto)],
        listeners: &[(80, "HTTP", &[("ha-utm-tg", None)])],
        target_groups: &[TgDef {
            name: "ha-utm-tg",
            protocol: "HTTP",
            port: 80,
            target_type: "instance",
            delay: 30,
            healthy_threshold: Some(2),
            targets: &[
                TargetDef::Instance("ha-utm-left", 80),
                TargetDef::Instance("ha-utm-right", 80),
            ],
        }],
    },
    LbDef {
        name: "ha-lbint",
        network: false,
        scheme: "internal",
        region: VIRGINIA,
        vpc: "ha-vpc",
        subnets: &[("10.0.20.0/24", Addr::Auto), ("10.0.21.0/24", Addr::Auto)],
        listeners: &[(80, "HTTP", &[("ha-web-tg", None)])],
        target_groups: &[TgDef {
            name: "ha-web-tg",
            protocol: "HTTP",
            port: 80,
            target_type: "instance",
            delay: 30,
            healthy_threshold: Some(2),
            targets: &[
                TargetDef::Instance("ha-web-left", 80),
                TargetDef::Instance("ha-web-right", 80),
            ],
        }],
    },
    // S3: private NLB with one fixed IP per zone → the member ALB as its target.
    LbDef {
        name: "trace-handy-nlb",
        network: true,
        scheme: "internal",
        region: TOKYO,
        vpc: "trace-vpc",
        subnets: &[
            ("10.30.1.0/24", Addr::Private("10.30.1.100")),
            ("10.30.2.0/24", Addr::Private("10.30.2.100")),
        ],
        listeners: &[(443, "TCP", &[("trace-handy-alb-tg", None)])],
        target_groups: &[TgDef {
            name: "trace-handy-alb-tg",
            protocol: "TCP",
            port: 443,
            target_type: "alb",
            delay: 300,
            healthy_threshold: None,
            targets: &[TargetDef::Alb("trace-member-alb", 443)],
        }],
    },
    LbDef {
        name: "trace-member-alb",
        network: false,
        scheme: "internal",
        region: TOKYO,
        vpc: "trace-vpc",
        subnets: &[("10.30.11.0/24", Addr::Auto), ("10.30.12.0/24", Addr::Auto)],
        listeners: &[(443, "HTTPS", &[("trace-member-tg", None)])],
        target_groups: &[TgDef {
            name: "trace-member-tg",
            protocol: "HTTP",
            port: 80,
            target_type: "instance",
            delay: 300,
            healthy_threshold: None,
            targets: &[
                TargetDef::Instance("trace-member-01", 80),
                TargetDef::Instance("trace-member-02", 80),
                // Stopped, never deregistered: `unused` / `Target.InvalidState`.
                TargetDef::Instance("trace-member-03", 80),
            ],
        }],
    },
    // S4: blue/green, the listener forwards 100/0.
    LbDef {
        name: "hwi-alb",
        network: false,
        scheme: "internet-facing",
        region: TOKYO,
        vpc: "hwi-vpc",
        subnets: &[("10.0.128.0/20", Addr::Auto), ("10.0.144.0/20", Addr::Auto)],
        listeners: &[(
            443,
            "HTTPS",
            &[("hwi-tg1", Some(100)), ("hwi-tg2", Some(0))],
        )],
        target_groups: &[
            TgDef {
                name: "hwi-tg1",
                protocol: "HTTP",
                port: 80,
                target_type: "ip",
                delay: 30,
                healthy_threshold: None,
                targets: &[
                    TargetDef::Ip("10.0.139.57", "ap-northeast-1a", 80),
                    TargetDef::Ip("10.0.150.12", "ap-northeast-1c", 80),
                ],
            },
            // The idle colour: no targets.
            TgDef {
                name: "hwi-tg2",
                protocol: "HTTP",
                port: 80,
                target_type: "ip",
                delay: 30,
                healthy_threshold: None,
                targets: &[],
            },
        ],
    },
    // S5: NLB with Elastic IPs, TLS 443 only.
    LbDef {
        name: "reverseproxy-nlb",
        network: true,
        scheme: "internet-facing",
        region: TOKYO,
        vpc: "reverseproxy-vpc",
        subnets: &[("10.50.1.0/24", Addr::Eip), ("10.50.2.0/24", Addr::Eip)],
        listeners: &[(443, "TLS", &[("reverseproxy-tg", None)])],
        target_groups: &[TgDef {
            name: "reverseproxy-tg",
            protocol: "TCP",
            port: 80,
            target_type: "ip",
            delay: 30,
            healthy_threshold: None,
            targets: &[
                TargetDef::Ip("10.50.1.23", "ap-northeast-1a", 80),
                TargetDef::Ip("10.50.2.47", "ap-northeast-1c", 80),
            ],
        }],
    },
];

/// CloudFront distribution domains the records point at (the emulator has no CloudFront).
const MT_WWW_CF: &str = "d2mtw4x8q1abcd.cloudfront.net.";
const HWI_DYNAMIC_CF: &str = "d1hwi9q3q7zcde.cloudfront.net.";
const HWI_STATIC_CF: &str = "d3hwi5s2k8pfgh.cloudfront.net.";
/// CloudFront's fixed alias hosted zone.
const CLOUDFRONT_ZONE: &str = "Z2FDTNDATAQYW2";
/// Records in the zone that needs more than one page.
pub const FLEET_ZONE: &str = "fleet.example.org.";
pub const FLEET_RECORDS: usize = 320;

// ---------------------------------------------------------------------------------------------
// Seeding
// ---------------------------------------------------------------------------------------------

/// One region's clients.
struct Clients {
    ec2: ec2::Client,
    elb: elbv2::Client,
    waf: wafv2::Client,
    cw: cloudwatch::Client,
}

impl Clients {
    async fn new(moto: &Moto, credentials: &Credentials, region: &str) -> Clients {
        let conf = moto.sdk_config_with(region, credentials.clone()).await;
        Clients {
            ec2: ec2::Client::new(&conf),
            elb: elbv2::Client::new(&conf),
            waf: wafv2::Client::new(&conf),
            cw: cloudwatch::Client::new(&conf),
        }
    }
}

/// Creates the whole estate in `moto` and says what was created.
pub async fn seed_scenarios(moto: &Moto) -> Seeded {
    seed_scenarios_as(moto, &Moto::base_credentials()).await
}

/// Creates the whole estate in `account` (from `Moto::account` / `Moto::assume_role`): the
/// same names as `seed_scenarios`, with that account's ARNs and moto's fresh ids. Each account
/// holds its own estate; seeding one leaves the others as they were.
pub async fn seed_scenarios_in(moto: &Moto, account: &Assumed) -> Seeded {
    seed_scenarios_as(moto, &account.credentials).await
}

async fn seed_scenarios_as(moto: &Moto, credentials: &Credentials) -> Seeded {
    let mut clients = HashMap::new();
    for region in [TOKYO, VIRGINIA] {
        clients.insert(region, Clients::new(moto, credentials, region).await);
    }
    let r53 = route53::Client::new(&moto.sdk_config_with(VIRGINIA, credentials.clone()).await);
    let now = Utc::now();

    let vpcs = seed_vpcs(&clients).await;
    let instances = seed_instances(&clients, &vpcs).await;
    let (load_balancers, target_groups) = seed_load_balancers(&clients, &vpcs, &instances).await;
    // Stopped only now: moto refuses to register a stopped instance.
    let mut instances = instances;
    stop_instances(&clients, &mut instances).await;
    let mut load_balancers = load_balancers;
    let web_acls = seed_web_acls(&clients, &mut load_balancers).await;
    let (zones, health_checks) = seed_route53(&r53, &vpcs, &load_balancers).await;

    let minute = now
        .duration_trunc(TimeDelta::minutes(1))
        .expect("truncating now to the minute");
    let metrics_start = minute - TimeDelta::minutes(i64::from(METRIC_MINUTES) - 1);
    let metrics_end = minute + TimeDelta::minutes(1);
    let metrics = metric_series(&web_acls, &load_balancers, &target_groups);
    put_metrics(&clients, &metrics, metrics_start).await;

    Seeded {
        vpcs,
        instances,
        load_balancers,
        target_groups,
        web_acls,
        zones,
        health_checks,
        metrics,
        metrics_start,
        metrics_end,
    }
}

fn client<'a>(clients: &'a HashMap<&str, Clients>, region: &str) -> &'a Clients {
    clients
        .get(region)
        .unwrap_or_else(|| panic!("no clients for region {region}"))
}

fn name_tag(resource: ec2::types::ResourceType, name: &str) -> ec2::types::TagSpecification {
    ec2::types::TagSpecification::builder()
        .resource_type(resource)
        .tags(ec2::types::Tag::builder().key("Name").value(name).build())
        .build()
}

async fn seed_vpcs(clients: &HashMap<&str, Clients>) -> Vec<SeededVpc> {
    let mut out = Vec::new();
    for def in VPCS {
        let ec2 = &client(clients, def.region).ec2;
        let vpc = ec2
            .create_vpc()
            .cidr_block(def.cidr)
            .tag_specifications(name_tag(ec2::types::ResourceType::Vpc, def.name))
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateVpc {}: {e:?}", def.name));
        let vpc_id = vpc
            .vpc()
            .and_then(|v| v.vpc_id())
            .expect("CreateVpc returned no VpcId")
            .to_string();
        let mut subnets = Vec::new();
        for (cidr, az) in def.subnets {
            let subnet = ec2
                .create_subnet()
                .vpc_id(&vpc_id)
                .cidr_block(*cidr)
                .availability_zone(*az)
                .tag_specifications(name_tag(
                    ec2::types::ResourceType::Subnet,
                    &format!("{}-{cidr}", def.name),
                ))
                .send()
                .await
                .unwrap_or_else(|e| panic!("CreateSubnet {cidr} in {}: {e:?}", def.name));
            subnets.push(SeededSubnet {
                id: subnet
                    .subnet()
                    .and_then(|s| s.subnet_id())
                    .expect("CreateSubnet returned no SubnetId")
                    .to_string(),
                cidr: cidr.to_string(),
                az: az.to_string(),
            });
        }
        out.push(SeededVpc {
            name: def.name.to_string(),
            id: vpc_id,
            region: def.region.to_string(),
            cidr: def.cidr.to_string(),
            subnets,
        });
    }
    out
}

fn vpc<'a>(vpcs: &'a [SeededVpc], name: &str) -> &'a SeededVpc {
    vpcs.iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("no VPC {name}"))
}

fn subnet<'a>(vpc: &'a SeededVpc, cidr: &str) -> &'a SeededSubnet {
    vpc.subnets
        .iter()
        .find(|s| s.cidr == cidr)
        .unwrap_or_else(|| panic!("no subnet {cidr} in {}", vpc.name))
}

fn cidr_contains(cidr: &str, ip: &str) -> bool {
    let (net, bits) = cidr.split_once('/').expect("a CIDR has a slash");
    let net: Ipv4Addr = net.parse().expect("a CIDR's network is an IPv4 address");
    let bits: u32 = bits.parse().expect("a CIDR's prefix length is a number");
    let ip: Ipv4Addr = ip.parse().expect("an IPv4 address");
    let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
    u32::from(net) & mask == u32::from(ip) & mask
}

async fn seed_instances(
    clients: &HashMap<&str, Clients>,
    vpcs: &[SeededVpc],
) -> Vec<SeededInstance> {
    let mut out = Vec::new();
    for def in INSTANCES {
        let vpc = vpc(vpcs, def.vpc);
        let subnet = vpc
            .subnets
            .iter()
            .find(|s| cidr_contains(&s.cidr, def.ip))
            .unwrap_or_else(|| panic!("no subnet of {} holds {}", vpc.name, def.ip));
        assert_eq!(
            subnet.az, def.az,
            "{}'s subnet is in another zone",
            def.name
        );
        let ec2 = &client(clients, &vpc.region).ec2;
        let run = ec2
            .run_instances()
            .image_id(AMI)
            .instance_type(ec2::types::InstanceType::from(def.instance_type))
            .min_count(1)
            .max_count(1)
            .subnet_id(&subnet.id)
            .private_ip_address(def.ip)
            .tag_specifications(name_tag(ec2::types::ResourceType::Instance, def.name))
            .send()
            .await
            .unwrap_or_else(|e| panic!("RunInstances {}: {e:?}", def.name));
        let id = run
            .instances()
            .first()
            .and_then(|i| i.instance_id())
            .expect("RunInstances returned no instance")
            .to_string();
        out.push(SeededInstance {
            name: def.name.to_string(),
            id,
            region: vpc.region.clone(),
            az: def.az.to_string(),
            instance_type: def.instance_type.to_string(),
            private_ip: def.ip.to_string(),
            state: "running".to_string(),
        });
    }
    out
}

async fn stop_instances(clients: &HashMap<&str, Clients>, instances: &mut [SeededInstance]) {
    for (def, seeded) in INSTANCES.iter().zip(instances.iter_mut()) {
        if def.running {
            continue;
        }
        client(clients, &seeded.region)
            .ec2
            .stop_instances()
            .instance_ids(&seeded.id)
            .send()
            .await
            .unwrap_or_else(|e| panic!("StopInstances {}: {e:?}", seeded.name));
        seeded.state = "stopped".to_string();
    }
}

fn instance<'a>(instances: &'a [SeededInstance], name: &str) -> &'a SeededInstance {
    instances
        .iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("no instance {name}"))
}

/// What follows `marker` in `arn`: `arn:…:loadbalancer/app/NAME/ID` with `:loadbalancer/` →
/// `app/NAME/ID`.
fn arn_dimension(arn: &str, marker: &str) -> String {
    let at = arn
        .find(marker)
        .unwrap_or_else(|| panic!("{arn} has no {marker}"));
    arn[at + marker.len()..].to_string()
}

async fn seed_load_balancers(
    clients: &HashMap<&str, Clients>,
    vpcs: &[SeededVpc],
    instances: &[SeededInstance],
) -> (Vec<SeededLoadBalancer>, Vec<SeededTargetGroup>) {
    use elbv2::types::{
        Action, ActionTypeEnum, ForwardActionConfig, LoadBalancerSchemeEnum, LoadBalancerTypeEnum,
        ProtocolEnum, SubnetMapping, TargetDescription, TargetGroupAttribute, TargetGroupTuple,
        TargetTypeEnum,
    };

    // Every load balancer first: an NLB's target group may name another LB.
    let mut lbs = Vec::new();
    for def in LOAD_BALANCERS {
        let c = client(clients, def.region);
        let vpc = vpc(vpcs, def.vpc);
        let mut create = c
            .elb
            .create_load_balancer()
            .name(def.name)
            .r#type(if def.network {
                LoadBalancerTypeEnum::Network
            } else {
                LoadBalancerTypeEnum::Application
            })
            .scheme(LoadBalancerSchemeEnum::from(def.scheme));
        for (cidr, addr) in def.subnets {
            let subnet_id = subnet(vpc, cidr).id.clone();
            create = match addr {
                Addr::Auto => create.subnets(subnet_id),
                Addr::Private(ip) => create.subnet_mappings(
                    SubnetMapping::builder()
                        .subnet_id(subnet_id)
                        .private_ipv4_address(*ip)
                        .build(),
                ),
                Addr::Eip => {
                    let eip = c
                        .ec2
                        .allocate_address()
                        .domain(ec2::types::DomainType::Vpc)
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("AllocateAddress for {}: {e:?}", def.name));
                    create.subnet_mappings(
                        SubnetMapping::builder()
                            .subnet_id(subnet_id)
                            .allocation_id(eip.allocation_id().expect("AllocateAddress gave no id"))
                            .build(),
                    )
                }
            };
        }
        let out = create
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateLoadBalancer {}: {e:?}", def.name));
        let lb = out
            .load_balancers()
            .first()
            .expect("CreateLoadBalancer returned no load balancer");
        let arn = lb
            .load_balancer_arn()
            .expect("load balancer without ARN")
            .to_string();
        lbs.push(SeededLoadBalancer {
            name: def.name.to_string(),
            metric_dimension: arn_dimension(&arn, ":loadbalancer/"),
            arn,
            region: def.region.to_string(),
            lb_type: if def.network {
                "network"
            } else {
                "application"
            }
            .to_string(),
            scheme: def.scheme.to_string(),
            dns_name: lb.dns_name().unwrap_or_default().to_string(),
            canonical_hosted_zone_id: lb
                .canonical_hosted_zone_id()
                .unwrap_or_default()
                .to_string(),
            vpc: def.vpc.to_string(),
            listeners: Vec::new(),
            target_groups: def
                .target_groups
                .iter()
                .map(|t| t.name.to_string())
                .collect(),
            metric_namespace: if def.network {
                "AWS/NetworkELB"
            } else {
                "AWS/ApplicationELB"
            }
            .to_string(),
            web_acl: None,
        });
    }

    let mut tgs: Vec<SeededTargetGroup> = Vec::new();
    for (def, lb_index) in LOAD_BALANCERS.iter().zip(0..) {
        let c = client(clients, def.region);
        let vpc_id = vpc(vpcs, def.vpc).id.clone();
        for tg in def.target_groups {
            let mut create = c
                .elb
                .create_target_group()
                .name(tg.name)
                .protocol(ProtocolEnum::from(tg.protocol))
                .port(i32::from(tg.port))
                .vpc_id(&vpc_id)
                .target_type(TargetTypeEnum::from(tg.target_type));
            if let Some(n) = tg.healthy_threshold {
                create = create.healthy_threshold_count(n);
            }
            let out = create
                .send()
                .await
                .unwrap_or_else(|e| panic!("CreateTargetGroup {}: {e:?}", tg.name));
            let created = out
                .target_groups()
                .first()
                .expect("CreateTargetGroup returned no target group");
            let arn = created
                .target_group_arn()
                .expect("target group without ARN")
                .to_string();
            c.elb
                .modify_target_group_attributes()
                .target_group_arn(&arn)
                .attributes(
                    TargetGroupAttribute::builder()
                        .key("deregistration_delay.timeout_seconds")
                        .value(tg.delay.to_string())
                        .build(),
                )
                .send()
                .await
                .unwrap_or_else(|e| panic!("ModifyTargetGroupAttributes {}: {e:?}", tg.name));

            let mut targets = Vec::new();
            let mut register = c.elb.register_targets().target_group_arn(&arn);
            for t in tg.targets {
                let seeded = match *t {
                    TargetDef::Instance(name, port) => {
                        let i = instance(instances, name);
                        let def = INSTANCES
                            .iter()
                            .find(|d| d.name == name)
                            .expect("instance def");
                        SeededTarget {
                            id: i.id.clone(),
                            name: Some(name.to_string()),
                            port,
                            az: i.az.clone(),
                            state: if def.running { "healthy" } else { "unused" }.to_string(),
                            reason: (!def.running).then(|| "Target.InvalidState".to_string()),
                        }
                    }
                    TargetDef::Ip(ip, az, port) => SeededTarget {
                        id: ip.to_string(),
                        name: None,
                        port,
                        az: az.to_string(),
                        state: "healthy".to_string(),
                        reason: None,
                    },
                    TargetDef::Alb(name, port) => {
                        let alb = lbs
                            .iter()
                            .find(|l| l.name == name)
                            .unwrap_or_else(|| panic!("no load balancer {name} to target"));
                        SeededTarget {
                            id: alb.arn.clone(),
                            name: Some(name.to_string()),
                            port,
                            az: "all".to_string(),
                            state: "healthy".to_string(),
                            reason: None,
                        }
                    }
                };
                // An ip target may name its zone (AWS finds it in the VPC otherwise); AWS
                // refuses one for instance and alb targets.
                let zone = matches!(t, TargetDef::Ip(..)).then(|| seeded.az.clone());
                register = register.targets(
                    TargetDescription::builder()
                        .id(&seeded.id)
                        .port(i32::from(seeded.port))
                        .set_availability_zone(zone)
                        .build(),
                );
                targets.push(seeded);
            }
            if !targets.is_empty() {
                register
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("RegisterTargets {}: {e:?}", tg.name));
            }
            tgs.push(SeededTargetGroup {
                name: tg.name.to_string(),
                metric_dimension: format!("targetgroup/{}", arn_dimension(&arn, ":targetgroup/")),
                arn,
                region: def.region.to_string(),
                load_balancer: def.name.to_string(),
                protocol: tg.protocol.to_string(),
                port: tg.port,
                target_type: tg.target_type.to_string(),
                deregistration_delay_secs: tg.delay,
                healthy_threshold_count: created.healthy_threshold_count().unwrap_or_default(),
                targets,
            });
        }

        let lb: &mut SeededLoadBalancer = &mut lbs[lb_index];
        for (port, protocol, forwards) in def.listeners {
            let tg_arn = |name: &str| {
                tgs.iter()
                    .find(|t| t.name == name)
                    .unwrap_or_else(|| panic!("no target group {name}"))
                    .arn
                    .clone()
            };
            let action = match forwards {
                [(tg, None)] => Action::builder()
                    .r#type(ActionTypeEnum::Forward)
                    .target_group_arn(tg_arn(tg))
                    .build(),
                weighted => {
                    let mut config = ForwardActionConfig::builder();
                    for (tg, weight) in weighted.iter() {
                        config = config.target_groups(
                            TargetGroupTuple::builder()
                                .target_group_arn(tg_arn(tg))
                                .set_weight(*weight)
                                .build(),
                        );
                    }
                    Action::builder()
                        .r#type(ActionTypeEnum::Forward)
                        .forward_config(config.build())
                        .build()
                }
            };
            let out = c
                .elb
                .create_listener()
                .load_balancer_arn(&lb.arn)
                .protocol(ProtocolEnum::from(*protocol))
                .port(i32::from(*port))
                .default_actions(action)
                .send()
                .await
                .unwrap_or_else(|e| panic!("CreateListener {} :{port}: {e:?}", def.name));
            lb.listeners.push(SeededListener {
                arn: out
                    .listeners()
                    .first()
                    .and_then(|l| l.listener_arn())
                    .expect("CreateListener returned no listener")
                    .to_string(),
                port: *port,
                protocol: protocol.to_string(),
                forwards: forwards
                    .iter()
                    .map(|(tg, w)| (tg.to_string(), *w))
                    .collect(),
            });
        }
    }
    (lbs, tgs)
}

// ----- WAF -----

enum Match {
    /// ByteMatch on the URI path: (`EXACTLY` / `STARTS_WITH`, path).
    Uri(&'static str, &'static str),
    /// The source address is in the IP set.
    FromIpSet(&'static str),
    /// Source in the IP set AND the URI path starts with the prefix.
    UriFromIpSet(&'static str, &'static str),
    /// Source NOT in the IP set AND the URI path starts with the prefix.
    UriNotFromIpSet(&'static str, &'static str),
    /// More than `limit` requests per 5 minutes from one IP to paths starting with the prefix.
    Rate(i64, &'static str),
}

enum RuleDef {
    Plain {
        name: &'static str,
        action: &'static str,
        matches: Match,
        per_minute: RuleCounts,
        extra: bool,
    },
    Managed {
        group: &'static str,
        override_action: &'static str,
        counted_rules: &'static [&'static str],
        per_minute: RuleCounts,
    },
}

struct AclDef {
    name: &'static str,
    cloudfront: bool,
    region: &'static str,
    protects: &'static [&'static str],
    /// (name, addresses) of the IP sets its rules refer to.
    ip_sets: &'static [(&'static str, &'static [&'static str])],
    rules: Vec<RuleDef>,
}

const fn counts(allowed: u64, blocked: u64, counted: u64, captcha: u64) -> RuleCounts {
    RuleCounts {
        allowed,
        blocked,
        counted,
        captcha,
    }
}

/// The demo's web ACLs, in stack order, with the requests per minute seeded for each rule.
fn acl_defs() -> Vec<AclDef> {
    vec![
        // S1: SQLi/XSS protection, the CMS open to the office only.
        AclDef {
            name: "mt-web-acl",
            cloudfront: false,
            region: TOKYO,
            protects: &["mt-alb"],
            ip_sets: &[("mt-office-ips", &["203.0.113.0/28"])],
            rules: vec![
                RuleDef::Plain {
                    name: "mt-cms-allow-office",
                    action: "Allow",
                    matches: Match::UriFromIpSet("mt-office-ips", "/mt/"),
                    per_minute: counts(4, 0, 0, 0),
                    extra: false,
                },
                RuleDef::Plain {
                    name: "mt-cms-block-non-office",
                    action: "Block",
                    matches: Match::UriNotFromIpSet("mt-office-ips", "/mt/"),
                    per_minute: counts(0, 3, 0, 0),
                    extra: false,
                },
                RuleDef::Managed {
                    group: "AWSManagedRulesSQLiRuleSet",
                    override_action: "None",
                    counted_rules: &[],
                    per_minute: counts(0, 5, 0, 0),
                },
                // MT's entry editor posts large bodies: that one rule only counts.
                RuleDef::Managed {
                    group: "AWSManagedRulesCommonRuleSet",
                    override_action: "None",
                    counted_rules: &["SizeRestrictions_BODY"],
                    per_minute: counts(0, 6, 2, 0),
                },
            ],
        },
        // S3: L7 protection for the Debian 6 members.
        AclDef {
            name: "trace-member-acl",
            cloudfront: false,
            region: TOKYO,
            protects: &["trace-member-alb"],
            ip_sets: &[("trace-handheld-ips", &["100.64.0.0/16"])],
            rules: vec![
                RuleDef::Plain {
                    name: "allow-handheld-terminals",
                    action: "Allow",
                    matches: Match::FromIpSet("trace-handheld-ips"),
                    per_minute: counts(120, 0, 0, 0),
                    extra: false,
                },
                RuleDef::Managed {
                    group: "AWSManagedRulesCommonRuleSet",
                    override_action: "Count",
                    counted_rules: &[],
                    per_minute: counts(0, 0, 3, 0),
                },
                RuleDef::Managed {
                    group: "AWSManagedRulesKnownBadInputsRuleSet",
                    override_action: "None",
                    counted_rules: &[],
                    per_minute: counts(0, 2, 0, 0),
                },
                RuleDef::Plain {
                    name: "rate-limit-member-login",
                    action: "Block",
                    matches: Match::Rate(100, "/member/login"),
                    per_minute: counts(0, 1, 0, 0),
                    extra: false,
                },
            ],
        },
        // S4: on the WordPress CloudFront distribution; custom rules first.
        AclDef {
            name: "hwi-web-acl",
            cloudfront: true,
            region: VIRGINIA,
            protects: &[],
            ip_sets: &[("hwi-admin-ips", &["203.0.113.16/28"])],
            rules: vec![
                RuleDef::Plain {
                    name: "block-xmlrpc",
                    action: "Block",
                    matches: Match::Uri("EXACTLY", "/xmlrpc.php"),
                    per_minute: counts(0, 10, 0, 0),
                    extra: false,
                },
                RuleDef::Plain {
                    name: "block-wp-admin-outside",
                    action: "Block",
                    matches: Match::UriNotFromIpSet("hwi-admin-ips", "/wp-admin"),
                    per_minute: counts(0, 9, 0, 0),
                    extra: false,
                },
                RuleDef::Managed {
                    group: "AWSManagedRulesAmazonIpReputationList",
                    override_action: "None",
                    counted_rules: &[],
                    per_minute: counts(0, 12, 0, 0),
                },
                RuleDef::Managed {
                    group: "AWSManagedRulesPHPRuleSet",
                    override_action: "None",
                    counted_rules: &[],
                    per_minute: counts(0, 3, 0, 0),
                },
                RuleDef::Managed {
                    group: "AWSManagedRulesWordPressRuleSet",
                    override_action: "None",
                    counted_rules: &[],
                    per_minute: counts(0, 15, 0, 0),
                },
                RuleDef::Plain {
                    name: "captcha-wp-login",
                    action: "Captcha",
                    matches: Match::Uri("EXACTLY", "/wp-login.php"),
                    per_minute: counts(0, 0, 0, 2),
                    extra: true,
                },
                RuleDef::Plain {
                    name: "count-wp-comments",
                    action: "Count",
                    matches: Match::Uri("EXACTLY", "/wp-comments-post.php"),
                    per_minute: counts(0, 0, 4, 0),
                    extra: true,
                },
            ],
        },
    ]
}

/// A rule's or ACL's visibility config, sampled and metered, as tests create them.
pub fn visibility(metric: &str) -> wafv2::types::VisibilityConfig {
    wafv2::types::VisibilityConfig::builder()
        .sampled_requests_enabled(true)
        .cloud_watch_metrics_enabled(true)
        .metric_name(metric)
        .build()
        .expect("VisibilityConfig has its required fields")
}

fn rule_action(action: &str) -> wafv2::types::RuleAction {
    use wafv2::types::{AllowAction, BlockAction, CaptchaAction, ChallengeAction, CountAction};
    let b = wafv2::types::RuleAction::builder();
    match action {
        "Allow" => b.allow(AllowAction::builder().build()),
        "Block" => b.block(BlockAction::builder().build()),
        "Count" => b.count(CountAction::builder().build()),
        "Captcha" => b.captcha(CaptchaAction::builder().build()),
        "Challenge" => b.challenge(ChallengeAction::builder().build()),
        other => panic!("unknown WAF action {other}"),
    }
    .build()
}

fn uri_match(constraint: &str, path: &str) -> wafv2::types::Statement {
    use wafv2::types::{
        ByteMatchStatement, FieldToMatch, PositionalConstraint, Statement, TextTransformation,
        TextTransformationType, UriPath,
    };
    Statement::builder()
        .byte_match_statement(
            ByteMatchStatement::builder()
                .search_string(wafv2::primitives::Blob::new(path.as_bytes()))
                .field_to_match(
                    FieldToMatch::builder()
                        .uri_path(UriPath::builder().build())
                        .build(),
                )
                .text_transformations(
                    TextTransformation::builder()
                        .priority(0)
                        .r#type(TextTransformationType::None)
                        .build()
                        .expect("TextTransformation has its required fields"),
                )
                .positional_constraint(PositionalConstraint::from(constraint))
                .build()
                .expect("ByteMatchStatement has its required fields"),
        )
        .build()
}

fn from_ip_set(arn: &str) -> wafv2::types::Statement {
    wafv2::types::Statement::builder()
        .ip_set_reference_statement(
            wafv2::types::IpSetReferenceStatement::builder()
                .arn(arn)
                .build()
                .expect("IpSetReferenceStatement has its required fields"),
        )
        .build()
}

fn not(s: wafv2::types::Statement) -> wafv2::types::Statement {
    wafv2::types::Statement::builder()
        .not_statement(wafv2::types::NotStatement::builder().statement(s).build())
        .build()
}

fn and(a: wafv2::types::Statement, b: wafv2::types::Statement) -> wafv2::types::Statement {
    wafv2::types::Statement::builder()
        .and_statement(
            wafv2::types::AndStatement::builder()
                .statements(a)
                .statements(b)
                .build()
                .expect("AndStatement has its required fields"),
        )
        .build()
}

fn statement(m: &Match, ip_sets: &HashMap<&str, String>) -> wafv2::types::Statement {
    let set = |name: &str| {
        ip_sets
            .get(name)
            .unwrap_or_else(|| panic!("no IP set {name}"))
            .clone()
    };
    match m {
        Match::Uri(constraint, path) => uri_match(constraint, path),
        Match::FromIpSet(s) => from_ip_set(&set(s)),
        Match::UriFromIpSet(s, prefix) => {
            and(from_ip_set(&set(s)), uri_match("STARTS_WITH", prefix))
        }
        Match::UriNotFromIpSet(s, prefix) => {
            and(not(from_ip_set(&set(s))), uri_match("STARTS_WITH", prefix))
        }
        Match::Rate(limit, prefix) => wafv2::types::Statement::builder()
            .rate_based_statement(
                wafv2::types::RateBasedStatement::builder()
                    .limit(*limit)
                    .aggregate_key_type(wafv2::types::RateBasedStatementAggregateKeyType::Ip)
                    .scope_down_statement(uri_match("STARTS_WITH", prefix))
                    .build()
                    .expect("RateBasedStatement has its required fields"),
            )
            .build(),
    }
}

async fn seed_web_acls(
    clients: &HashMap<&str, Clients>,
    lbs: &mut [SeededLoadBalancer],
) -> Vec<SeededWebAcl> {
    use wafv2::types::{
        AllowAction, DefaultAction, IpAddressVersion, ManagedRuleGroupStatement, NoneAction,
        OverrideAction, Rule, RuleActionOverride, Scope, Statement,
    };
    let mut out = Vec::new();
    for def in acl_defs() {
        let waf = &client(clients, def.region).waf;
        let scope = if def.cloudfront {
            Scope::Cloudfront
        } else {
            Scope::Regional
        };
        let mut ip_sets = HashMap::new();
        for (name, addresses) in def.ip_sets {
            let created = waf
                .create_ip_set()
                .name(*name)
                .scope(scope.clone())
                .ip_address_version(IpAddressVersion::Ipv4)
                .set_addresses(Some(addresses.iter().map(|a| a.to_string()).collect()))
                .send()
                .await
                .unwrap_or_else(|e| panic!("CreateIPSet {name}: {e:?}"));
            let arn = created
                .summary()
                .and_then(|s| s.arn())
                .expect("CreateIPSet returned no ARN")
                .to_string();
            ip_sets.insert(*name, arn);
        }

        let mut rules = Vec::new();
        let mut seeded_rules = Vec::new();
        for (priority, rule) in (0..).zip(&def.rules) {
            let (name, builder, seeded) = match rule {
                RuleDef::Plain {
                    name,
                    action,
                    matches,
                    per_minute,
                    extra,
                } => (
                    name.to_string(),
                    Rule::builder()
                        .statement(statement(matches, &ip_sets))
                        .action(rule_action(action)),
                    SeededRule {
                        name: name.to_string(),
                        priority,
                        metric_name: name.to_string(),
                        action: Some(action.to_string()),
                        override_action: None,
                        group: None,
                        rule_action_overrides: Vec::new(),
                        per_minute: *per_minute,
                        in_window: per_minute.times(u64::from(METRIC_MINUTES)),
                        extra: *extra,
                    },
                ),
                RuleDef::Managed {
                    group,
                    override_action,
                    counted_rules,
                    per_minute,
                } => {
                    let name = format!("AWS-{group}");
                    let mut statement = ManagedRuleGroupStatement::builder()
                        .vendor_name("AWS")
                        .name(*group);
                    for counted in counted_rules.iter() {
                        statement = statement.rule_action_overrides(
                            RuleActionOverride::builder()
                                .name(*counted)
                                .action_to_use(rule_action("Count"))
                                .build()
                                .expect("RuleActionOverride has its required fields"),
                        );
                    }
                    let override_builder = OverrideAction::builder();
                    let override_builder = match *override_action {
                        "None" => override_builder.none(NoneAction::builder().build()),
                        "Count" => {
                            override_builder.count(wafv2::types::CountAction::builder().build())
                        }
                        other => panic!("unknown override action {other}"),
                    };
                    (
                        name.clone(),
                        Rule::builder()
                            .statement(
                                Statement::builder()
                                    .managed_rule_group_statement(
                                        statement
                                            .build()
                                            .expect("ManagedRuleGroupStatement is complete"),
                                    )
                                    .build(),
                            )
                            .override_action(override_builder.build()),
                        SeededRule {
                            name: name.clone(),
                            priority,
                            metric_name: name,
                            action: None,
                            override_action: Some(override_action.to_string()),
                            group: Some(format!("AWS/{group}")),
                            rule_action_overrides: counted_rules
                                .iter()
                                .map(|r| (r.to_string(), "Count".to_string()))
                                .collect(),
                            per_minute: *per_minute,
                            in_window: per_minute.times(u64::from(METRIC_MINUTES)),
                            extra: false,
                        },
                    )
                }
            };
            rules.push(
                builder
                    .name(&name)
                    .priority(priority)
                    .visibility_config(visibility(&name))
                    .build()
                    .expect("Rule has its required fields"),
            );
            seeded_rules.push(seeded);
        }

        let created = waf
            .create_web_acl()
            .name(def.name)
            .scope(scope.clone())
            .default_action(
                DefaultAction::builder()
                    .allow(AllowAction::builder().build())
                    .build(),
            )
            .visibility_config(visibility(def.name))
            .set_rules(Some(rules))
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateWebACL {}: {e:?}", def.name));
        let summary = created.summary().expect("CreateWebACL returned no summary");
        let arn = summary.arn().expect("web ACL without ARN").to_string();

        for lb_name in def.protects {
            let lb = lbs
                .iter_mut()
                .find(|l| l.name == *lb_name)
                .unwrap_or_else(|| panic!("no load balancer {lb_name} to protect"));
            waf.associate_web_acl()
                .web_acl_arn(&arn)
                .resource_arn(&lb.arn)
                .send()
                .await
                .unwrap_or_else(|e| panic!("AssociateWebACL {} → {lb_name}: {e:?}", def.name));
            lb.web_acl = Some(def.name.to_string());
        }

        let all = seeded_rules
            .iter()
            .fold(RuleCounts::default(), |sum, r| sum.plus(r.per_minute))
            .plus(counts(DEFAULT_ACTION_ALLOWED_PER_MINUTE, 0, 0, 0));
        let mut metric_dimensions = vec![("WebACL".to_string(), def.name.to_string())];
        if !def.cloudfront {
            metric_dimensions.push(("Region".to_string(), def.region.to_string()));
        }
        out.push(SeededWebAcl {
            name: def.name.to_string(),
            id: summary.id().expect("web ACL without id").to_string(),
            arn,
            scope: scope.as_str().to_string(),
            region: def.region.to_string(),
            default_action: "Allow".to_string(),
            lock_token: summary.lock_token().unwrap_or_default().to_string(),
            associated_load_balancers: def.protects.iter().map(|s| s.to_string()).collect(),
            rules: seeded_rules,
            all_per_minute: all,
            metric_dimensions,
        });
    }
    out
}

// ----- CloudWatch -----

fn metric_series(
    acls: &[SeededWebAcl],
    lbs: &[SeededLoadBalancer],
    tgs: &[SeededTargetGroup],
) -> Vec<SeededMetric> {
    let mut out = Vec::new();
    for acl in acls {
        let rules = acl
            .rules
            .iter()
            .map(|r| (r.metric_name.as_str(), r.per_minute))
            .chain([("ALL", acl.all_per_minute)]);
        for (rule, per_minute) in rules {
            for (metric, value) in per_minute.by_metric() {
                if value == 0 {
                    continue;
                }
                let mut dimensions = acl.metric_dimensions.clone();
                dimensions.push(("Rule".to_string(), rule.to_string()));
                out.push(SeededMetric {
                    region: acl.region.clone(),
                    namespace: "AWS/WAFV2".to_string(),
                    metric_name: metric.to_string(),
                    dimensions,
                    stat: "Sum".to_string(),
                    per_minute: value as f64,
                });
            }
        }
    }
    for tg in tgs {
        let lb = lbs
            .iter()
            .find(|l| l.name == tg.load_balancer)
            .expect("every target group has its load balancer");
        let healthy = tg.healthy_count() as f64;
        for (metric, value) in [("HealthyHostCount", healthy), ("UnHealthyHostCount", 0.0)] {
            out.push(SeededMetric {
                region: tg.region.clone(),
                namespace: lb.metric_namespace.clone(),
                metric_name: metric.to_string(),
                dimensions: vec![
                    ("TargetGroup".to_string(), tg.metric_dimension.clone()),
                    ("LoadBalancer".to_string(), lb.metric_dimension.clone()),
                ],
                stat: "Average".to_string(),
                per_minute: value,
            });
        }
    }
    out
}

async fn put_metrics(
    clients: &HashMap<&str, Clients>,
    metrics: &[SeededMetric],
    start: DateTime<Utc>,
) {
    use cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
    // (region, namespace) → datums, sent 20 at a time: AWS's historic per-call limit, and small
    // enough that the SDK never gzips the body.
    let mut batches: Vec<((&str, &str), Vec<MetricDatum>)> = Vec::new();
    for m in metrics {
        let key = (m.region.as_str(), m.namespace.as_str());
        let unit = if m.namespace == "AWS/WAFV2" {
            StandardUnit::Count
        } else {
            StandardUnit::None
        };
        // Dimensions in name order, as the console asks for them: moto compares dimension lists
        // with a broken sort (`Dimension.__lt__`), so the order must agree on both sides.
        let mut dimensions = m.dimensions.clone();
        dimensions.sort();
        for minute in 0..i64::from(METRIC_MINUTES) {
            let at = start + TimeDelta::minutes(minute);
            let datum = MetricDatum::builder()
                .metric_name(&m.metric_name)
                .set_dimensions(Some(
                    dimensions
                        .iter()
                        .map(|(k, v)| Dimension::builder().name(k).value(v).build())
                        .collect(),
                ))
                .timestamp(cloudwatch::primitives::DateTime::from_secs(at.timestamp()))
                .value(m.per_minute)
                .unit(unit.clone())
                .build();
            match batches.iter_mut().find(|(k, _)| *k == key) {
                Some((_, v)) => v.push(datum),
                None => batches.push((key, vec![datum])),
            }
        }
    }
    for ((region, namespace), datums) in batches {
        let cw = &client(clients, region).cw;
        for chunk in datums.chunks(20) {
            cw.put_metric_data()
                .namespace(namespace)
                .set_metric_data(Some(chunk.to_vec()))
                .send()
                .await
                .unwrap_or_else(|e| panic!("PutMetricData {namespace} in {region}: {e:?}"));
        }
    }
}

// ----- Route53 -----

enum Answer {
    Values(i64, Vec<String>),
    /// Alias to a load balancer of the estate (by name), evaluate target health.
    Lb(&'static str, bool),
    /// Alias to a CloudFront domain.
    CloudFront(&'static str),
}

enum Policy {
    Simple,
    Weighted(&'static str, i64),
    Failover(&'static str, &'static str),
    /// (set id, continent, country)
    Geo(&'static str, Option<&'static str>, Option<&'static str>),
}

struct RecordDef {
    name: String,
    rtype: &'static str,
    policy: Policy,
    answer: Answer,
    /// (check type, endpoint: an IP or a load balancer name, port, demo's health)
    health_check: Option<(&'static str, HcEndpoint, i32, bool)>,
}

#[derive(Clone, Copy)]
enum HcEndpoint {
    Ip(&'static str),
    Lb(&'static str),
}

struct ZoneDef {
    name: &'static str,
    /// The VPC a private zone is attached to.
    private_vpc: Option<&'static str>,
    records: Vec<RecordDef>,
}

fn vals(ttl: i64, values: &[&str]) -> Answer {
    Answer::Values(ttl, values.iter().map(|v| v.to_string()).collect())
}

fn zone_defs() -> Vec<ZoneDef> {
    use Answer::*;
    use Policy::*;
    let rec = |name: &str, rtype: &'static str, policy, answer| RecordDef {
        name: name.to_string(),
        rtype,
        policy,
        answer,
        health_check: None,
    };
    vec![
        // S1: the site through CloudFront, its origin failing over to a sorry server.
        ZoneDef {
            name: "example.jp.",
            private_vpc: None,
            records: vec![
                rec("www.example.jp.", "A", Simple, CloudFront(MT_WWW_CF)),
                RecordDef {
                    health_check: Some(("HTTPS", HcEndpoint::Lb("mt-alb"), 443, true)),
                    ..rec(
                        "origin.example.jp.",
                        "A",
                        Failover("origin-primary", "PRIMARY"),
                        Lb("mt-alb", true),
                    )
                },
                RecordDef {
                    health_check: Some(("HTTP", HcEndpoint::Ip("203.0.113.80"), 80, false)),
                    ..rec(
                        "origin.example.jp.",
                        "A",
                        Failover("origin-sorry", "SECONDARY"),
                        vals(60, &["203.0.113.80"]),
                    )
                },
                rec("cms.example.jp.", "A", Simple, Lb("mt-alb", false)),
            ],
        },
        // S2: the external ELB weighted against a maintenance page.
        ZoneDef {
            name: "ha-demo.example.com.",
            private_vpc: None,
            records: vec![
                RecordDef {
                    health_check: Some(("HTTP", HcEndpoint::Lb("ha-lbext"), 80, true)),
                    ..rec(
                        "www.ha-demo.example.com.",
                        "A",
                        Weighted("ha-lbext", 100),
                        Lb("ha-lbext", true),
                    )
                },
                rec(
                    "www.ha-demo.example.com.",
                    "A",
                    Weighted("maintenance", 0),
                    vals(60, &["198.51.100.200"]),
                ),
            ],
        },
        // S3: the terminals resolve the private NLB's fixed addresses.
        ZoneDef {
            name: "trace.internal.",
            private_vpc: Some("trace-vpc"),
            records: vec![
                rec(
                    "handy.trace.internal.",
                    "A",
                    Simple,
                    vals(300, &["10.30.1.100", "10.30.2.100"]),
                ),
                rec(
                    "relay.trace.internal.",
                    "A",
                    Simple,
                    vals(300, &["10.30.0.10"]),
                ),
            ],
        },
        // S4: China to a documentation address, everyone else (`*`) to CloudFront.
        ZoneDef {
            name: "taltalsister.cf.",
            private_vpc: None,
            records: vec![
                rec(
                    "taltalsister.cf.",
                    "A",
                    Geo("cn-docs-ip", None, Some("CN")),
                    vals(300, &["192.0.2.1"]),
                ),
                rec(
                    "taltalsister.cf.",
                    "A",
                    Geo("default", None, Some("*")),
                    CloudFront(HWI_DYNAMIC_CF),
                ),
                rec(
                    "static.taltalsister.cf.",
                    "CNAME",
                    Simple,
                    vals(300, &[HWI_STATIC_CF]),
                ),
            ],
        },
        // S5: JP and North America only — no `*` record.
        ZoneDef {
            name: "example.net.",
            private_vpc: None,
            records: vec![
                RecordDef {
                    health_check: Some(("HTTPS", HcEndpoint::Ip("198.51.100.20"), 443, true)),
                    ..rec(
                        "proxy.example.net.",
                        "A",
                        Geo("proxy-jp", None, Some("JP")),
                        vals(60, &["198.51.100.20", "198.51.100.21"]),
                    )
                },
                RecordDef {
                    health_check: Some(("HTTPS", HcEndpoint::Ip("198.51.100.77"), 443, false)),
                    ..rec(
                        "proxy.example.net.",
                        "A",
                        Geo("proxy-na", Some("NA"), None),
                        vals(60, &["198.51.100.77"]),
                    )
                },
            ],
        },
    ]
}

async fn seed_route53(
    r53: &route53::Client,
    vpcs: &[SeededVpc],
    lbs: &[SeededLoadBalancer],
) -> (Vec<SeededZone>, Vec<SeededHealthCheck>) {
    use route53::types::{
        AliasTarget, Change, ChangeAction, ChangeBatch, GeoLocation, HealthCheckConfig,
        HealthCheckType, HostedZoneConfig, ResourceRecord, ResourceRecordSet,
        ResourceRecordSetFailover, RrType, Vpc, VpcRegion,
    };
    let lb = |name: &str| {
        lbs.iter()
            .find(|l| l.name == name)
            .unwrap_or_else(|| panic!("no load balancer {name}"))
    };
    let mut zones = Vec::new();
    let mut checks = Vec::new();
    let mut zone_defs = zone_defs();
    // The zone that takes more than one page: host-000 … host-319.
    let fleet: Vec<RecordDef> = (0..FLEET_RECORDS)
        .map(|i| RecordDef {
            name: format!("host-{i:03}.{FLEET_ZONE}"),
            rtype: "A",
            policy: Policy::Simple,
            answer: Answer::Values(300, vec![format!("10.200.{}.{}", i / 250, i % 250 + 1)]),
            health_check: None,
        })
        .collect();
    zone_defs.push(ZoneDef {
        name: FLEET_ZONE,
        private_vpc: None,
        records: fleet,
    });

    for def in zone_defs {
        let mut create = r53
            .create_hosted_zone()
            .name(def.name)
            .caller_reference(format!("opsconsole-seed-{}", def.name));
        if let Some(vpc_name) = def.private_vpc {
            let v = vpc(vpcs, vpc_name);
            create = create
                .hosted_zone_config(HostedZoneConfig::builder().private_zone(true).build())
                .vpc(
                    Vpc::builder()
                        .vpc_region(VpcRegion::from(v.region.as_str()))
                        .vpc_id(&v.id)
                        .build(),
                );
        }
        let created = create
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateHostedZone {}: {e:?}", def.name));
        let zone_id = created
            .hosted_zone()
            .map(|z| z.id().trim_start_matches("/hostedzone/").to_string())
            .expect("CreateHostedZone returned no zone");

        let mut changes = Vec::new();
        let mut record_sets: Vec<SeededRecordSet> = Vec::new();
        for r in &def.records {
            let health_check_id = match r.health_check {
                None => None,
                Some((check_type, endpoint, port, demo_healthy)) => {
                    let set_id = match r.policy {
                        Policy::Weighted(id, _) | Policy::Failover(id, _) | Policy::Geo(id, ..) => {
                            id
                        }
                        Policy::Simple => r.name.as_str(),
                    };
                    let mut config = HealthCheckConfig::builder()
                        .r#type(HealthCheckType::from(check_type))
                        .port(port)
                        .resource_path("/")
                        .request_interval(30)
                        .failure_threshold(3);
                    let endpoint_text = match endpoint {
                        HcEndpoint::Ip(ip) => {
                            config = config.ip_address(ip);
                            ip.to_string()
                        }
                        HcEndpoint::Lb(name) => {
                            let dns = lb(name).dns_name.clone();
                            config = config.fully_qualified_domain_name(&dns);
                            dns
                        }
                    };
                    let hc = r53
                        .create_health_check()
                        .caller_reference(format!("opsconsole-seed-{set_id}"))
                        .health_check_config(
                            config
                                .build()
                                .expect("HealthCheckConfig has its required fields"),
                        )
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("CreateHealthCheck {set_id}: {e:?}"));
                    let id = hc
                        .health_check()
                        .map(|h| h.id().to_string())
                        .expect("CreateHealthCheck returned no health check");
                    checks.push(SeededHealthCheck {
                        id: id.clone(),
                        record: set_id.to_string(),
                        check_type: check_type.to_string(),
                        endpoint: endpoint_text,
                        demo_healthy,
                    });
                    Some(id)
                }
            };

            let mut set = ResourceRecordSet::builder()
                .name(&r.name)
                .r#type(RrType::from(r.rtype))
                .set_health_check_id(health_check_id.clone());
            let mut seeded = SeededRecord {
                set_identifier: None,
                country: None,
                continent: None,
                weight: None,
                failover: None,
                ttl: None,
                values: Vec::new(),
                alias_target: None,
                evaluate_target_health: false,
                health_check_id,
            };
            let policy = match r.policy {
                Policy::Simple => "simple",
                Policy::Weighted(id, weight) => {
                    set = set.set_identifier(id).weight(weight);
                    seeded.set_identifier = Some(id.to_string());
                    seeded.weight = Some(weight);
                    "weighted"
                }
                Policy::Failover(id, role) => {
                    set = set
                        .set_identifier(id)
                        .failover(ResourceRecordSetFailover::from(role));
                    seeded.set_identifier = Some(id.to_string());
                    seeded.failover = Some(role.to_string());
                    "failover"
                }
                Policy::Geo(id, continent, country) => {
                    set = set.set_identifier(id).geo_location(
                        GeoLocation::builder()
                            .set_continent_code(continent.map(str::to_string))
                            .set_country_code(country.map(str::to_string))
                            .build(),
                    );
                    seeded.set_identifier = Some(id.to_string());
                    seeded.continent = continent.map(str::to_string);
                    seeded.country = country.map(str::to_string);
                    "geolocation"
                }
            };
            set = match &r.answer {
                Answer::Values(ttl, values) => {
                    seeded.ttl = Some(*ttl);
                    seeded.values = values.clone();
                    values.iter().fold(set.ttl(*ttl), |set, v| {
                        set.resource_records(
                            ResourceRecord::builder()
                                .value(v)
                                .build()
                                .expect("ResourceRecord has its value"),
                        )
                    })
                }
                Answer::Lb(name, evaluate) => {
                    let evaluate = *evaluate;
                    let lb = lb(name);
                    let target = format!("dualstack.{}.", lb.dns_name);
                    seeded.alias_target = Some(target.clone());
                    seeded.evaluate_target_health = evaluate;
                    set.alias_target(
                        AliasTarget::builder()
                            .hosted_zone_id(&lb.canonical_hosted_zone_id)
                            .dns_name(target)
                            .evaluate_target_health(evaluate)
                            .build()
                            .expect("AliasTarget has its required fields"),
                    )
                }
                Answer::CloudFront(domain) => {
                    seeded.alias_target = Some(domain.to_string());
                    set.alias_target(
                        AliasTarget::builder()
                            .hosted_zone_id(CLOUDFRONT_ZONE)
                            .dns_name(*domain)
                            .evaluate_target_health(false)
                            .build()
                            .expect("AliasTarget has its required fields"),
                    )
                }
            };
            changes.push(
                Change::builder()
                    .action(ChangeAction::Create)
                    .resource_record_set(set.build().expect("ResourceRecordSet is complete"))
                    .build()
                    .expect("Change has its required fields"),
            );
            match record_sets
                .iter_mut()
                .find(|s| s.name == r.name && s.rtype == r.rtype)
            {
                Some(s) => s.records.push(seeded),
                None => record_sets.push(SeededRecordSet {
                    name: r.name.clone(),
                    rtype: r.rtype.to_string(),
                    policy: policy.to_string(),
                    records: vec![seeded],
                }),
            }
        }
        r53.change_resource_record_sets()
            .hosted_zone_id(&zone_id)
            .change_batch(
                ChangeBatch::builder()
                    .set_changes(Some(changes))
                    .build()
                    .expect("ChangeBatch has its changes"),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("ChangeResourceRecordSets {}: {e:?}", def.name));
        let total = record_sets.iter().map(|s| s.records.len()).sum::<usize>() + 2;
        zones.push(SeededZone {
            name: def.name.to_string(),
            id: zone_id,
            private: def.private_vpc.is_some(),
            record_sets,
            total_record_sets: total,
        });
    }
    (zones, checks)
}

// ---------------------------------------------------------------------------------------------
// A small estate, for a second account
// ---------------------------------------------------------------------------------------------

/// What `seed_lone_alb` created.
#[derive(Debug, Clone)]
pub struct LoneAlb {
    pub region: String,
    pub vpc: String,
    pub load_balancer: String,
    pub load_balancer_arn: String,
    pub target_group: String,
    pub target_group_arn: String,
    /// Running instances registered in the group on port 80, all healthy.
    pub instances: Vec<String>,
}

/// One internet-facing ALB named `name` in Tokyo (ap-northeast-1), in the account
/// `credentials` act in (`&account.credentials` of a `Moto::account`, or
/// `&Moto::base_credentials()`), in a VPC of its own (10.90.0.0/16, two subnets): a listener on
/// port 80 forwarding to the instance target group `<name>-tg`, with `targets` running t3.micro
/// instances registered (tagged `<name>-web-01`, …), healthy at once. Smaller than the S1–S5
/// estate and named apart from it, for an account whose rows must differ from another's.
pub async fn seed_lone_alb(
    moto: &Moto,
    credentials: &Credentials,
    name: &str,
    targets: usize,
) -> LoneAlb {
    let conf = moto.sdk_config_with(TOKYO, credentials.clone()).await;
    let ec2 = ec2::Client::new(&conf);
    let elb = elbv2::Client::new(&conf);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.90.0.0/16")
        .tag_specifications(name_tag(
            ec2::types::ResourceType::Vpc,
            &format!("{name}-vpc"),
        ))
        .send()
        .await
        .expect("CreateVpc")
        .vpc
        .and_then(|v| v.vpc_id)
        .expect("a VpcId");
    let mut subnets = Vec::new();
    for (cidr, az) in [
        ("10.90.1.0/24", "ap-northeast-1a"),
        ("10.90.2.0/24", "ap-northeast-1c"),
    ] {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(cidr)
            .availability_zone(az)
            .send()
            .await
            .expect("CreateSubnet")
            .subnet
            .and_then(|s| s.subnet_id)
            .expect("a SubnetId");
        subnets.push(subnet);
    }
    let lb = elb
        .create_load_balancer()
        .name(name)
        .r#type(elbv2::types::LoadBalancerTypeEnum::Application)
        .scheme(elbv2::types::LoadBalancerSchemeEnum::InternetFacing)
        .set_subnets(Some(subnets.clone()))
        .send()
        .await
        .expect("CreateLoadBalancer")
        .load_balancers
        .unwrap_or_default()
        .into_iter()
        .next()
        .and_then(|l| l.load_balancer_arn)
        .expect("a LoadBalancerArn");
    let group = format!("{name}-tg");
    let tg = elb
        .create_target_group()
        .name(&group)
        .protocol(elbv2::types::ProtocolEnum::Http)
        .port(80)
        .vpc_id(&vpc)
        .target_type(elbv2::types::TargetTypeEnum::Instance)
        .send()
        .await
        .expect("CreateTargetGroup")
        .target_groups
        .unwrap_or_default()
        .into_iter()
        .next()
        .and_then(|g| g.target_group_arn)
        .expect("a TargetGroupArn");
    elb.create_listener()
        .load_balancer_arn(&lb)
        .protocol(elbv2::types::ProtocolEnum::Http)
        .port(80)
        .default_actions(
            elbv2::types::Action::builder()
                .r#type(elbv2::types::ActionTypeEnum::Forward)
                .target_group_arn(&tg)
                .build(),
        )
        .send()
        .await
        .expect("CreateListener");
    let mut instances = Vec::new();
    for i in 1..=targets {
        let id = ec2
            .run_instances()
            .image_id(AMI)
            .instance_type(ec2::types::InstanceType::T3Micro)
            .subnet_id(&subnets[(i - 1) % subnets.len()])
            .min_count(1)
            .max_count(1)
            .tag_specifications(name_tag(
                ec2::types::ResourceType::Instance,
                &format!("{name}-web-{i:02}"),
            ))
            .send()
            .await
            .expect("RunInstances")
            .instances
            .unwrap_or_default()
            .into_iter()
            .next()
            .and_then(|i| i.instance_id)
            .expect("an InstanceId");
        instances.push(id);
    }
    if !instances.is_empty() {
        let descriptions: Vec<_> = instances
            .iter()
            .map(|id| {
                elbv2::types::TargetDescription::builder()
                    .id(id)
                    .port(80)
                    .build()
            })
            .collect();
        elb.register_targets()
            .target_group_arn(&tg)
            .set_targets(Some(descriptions))
            .send()
            .await
            .expect("RegisterTargets");
    }
    LoneAlb {
        region: TOKYO.to_string(),
        vpc,
        load_balancer: name.to_string(),
        load_balancer_arn: lb,
        target_group: group,
        target_group_arn: tg,
        instances,
    }
}

/// An S3 client for the emulator: path-style addresses, as moto serves buckets.
pub fn s3_client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
}

/// The team's bucket (`[state] shared`), made in Tokyo.
pub async fn team_bucket(config: &aws_config::SdkConfig, bucket: &str) -> aws_sdk_s3::Client {
    use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
    let s3 = s3_client(config);
    s3.create_bucket()
        .bucket(bucket)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::ApNortheast1)
                .build(),
        )
        .send()
        .await
        .expect("CreateBucket");
    s3
}
