//! A fuzzer-built `Collected` (the world a snapshot prints), mirrored in small `Arbitrary`
//! types because the model types cannot derive it. Enums come in as a byte taken modulo their
//! variant count; times as seconds before "now", so ages and staleness are meaningful.

use arbitrary::Arbitrary;
use chrono::{DateTime, Duration, Utc};
use opsconsole::action::JournalEntry;
use opsconsole::model::{self as m, PanelData, PanelId};
use opsconsole::problems::{self, Problem, Severity};
use opsconsole::snapshot::Collected;
use std::collections::HashSet;

#[derive(Debug, Arbitrary)]
pub struct Input {
    /// Seconds after 2020-01-01: the snapshot's "now".
    now: u32,
    scope: Scope,
    targets: Panel<Vec<Lb>>,
    waf: Panel<Waf>,
    dns: Panel<Vec<Zone>>,
    instances: Panel<Vec<Instance>>,
    logs: Logs,
    samples: Vec<Samples>,
    actions: Vec<Action>,
    journal_error: Option<String>,
    since_minutes: u16,
    /// Refresh interval per polled panel, in seconds; staleness is judged against it.
    intervals: [u16; 4],
    extra_problems: Vec<(u8, u8, String, String)>,
    /// For `Table::filter` on the report's tables.
    pub filter: String,
}

#[derive(Debug, Arbitrary)]
struct Scope {
    mode: String,
    account: Option<String>,
    profile: Option<String>,
    regions: Vec<String>,
    caller_arn: Option<String>,
}

#[derive(Debug, Arbitrary)]
struct Panel<T> {
    value: Option<T>,
    fetched_ago: Option<u32>,
    error: Option<String>,
}

#[derive(Debug, Arbitrary)]
struct Lb {
    name: String,
    arn: String,
    kind: u8,
    scheme: String,
    region: String,
    dns_name: String,
    listeners: Vec<Listener>,
    groups: Vec<Group>,
}

#[derive(Debug, Arbitrary)]
struct Listener {
    port: u16,
    protocol: String,
    /// A group of the same load balancer by index (so blue/green weights mean something), or
    /// a name that may match nothing.
    forwards: Vec<(Option<u8>, String, Option<u32>)>,
}

#[derive(Debug, Arbitrary)]
struct Group {
    name: String,
    arn: String,
    protocol: String,
    port: u16,
    target_type: String,
    delay: Option<u32>,
    targets: Vec<Target>,
    metrics: Option<(u32, Option<f64>, Option<f64>, Option<u32>, Option<f64>)>,
}

#[derive(Debug, Arbitrary)]
struct Target {
    id: String,
    name: Option<String>,
    port: u16,
    az: String,
    state: u8,
    reason: Option<String>,
    drain_remaining: Option<u32>,
}

#[derive(Debug, Arbitrary)]
struct Waf {
    acls: Vec<Acl>,
    window_minutes: u8,
    /// Rules the console left in Count, by (acl, rule) index.
    counting: Vec<(u8, u8)>,
}

#[derive(Debug, Arbitrary)]
struct Acl {
    name: String,
    id: String,
    cloudfront: bool,
    region: String,
    default_action: u8,
    protects: Vec<String>,
    rules: Vec<Rule>,
}

#[derive(Debug, Arbitrary)]
struct Rule {
    name: String,
    priority: i64,
    kind: Kind,
    /// Per-minute (allowed, blocked, counted). u32: real request counts, far from overflow.
    series: Vec<(u32, u32, u32)>,
}

#[derive(Debug, Arbitrary)]
enum Kind {
    Plain(u8),
    Group {
        group: String,
        count: bool,
        overrides: Vec<(String, u8)>,
    },
}

#[derive(Debug, Arbitrary)]
struct Samples {
    acl_id: String,
    rule: String,
    requests: Vec<Request>,
}

#[derive(Debug, Arbitrary)]
struct Request {
    ago: u32,
    client_ip: String,
    country: String,
    method: String,
    uri: String,
    action: String,
}

#[derive(Debug, Arbitrary)]
struct Zone {
    name: String,
    id: String,
    private: bool,
    sets: Vec<RecordSet>,
}

#[derive(Debug, Arbitrary)]
struct RecordSet {
    name: String,
    rtype: String,
    policy: u8,
    records: Vec<Record>,
}

#[derive(Debug, Arbitrary)]
struct Record {
    set_identifier: Option<String>,
    location: Option<(Option<String>, Option<String>, Option<String>)>,
    policy_detail: Option<String>,
    answer: Answer,
    health_check_id: Option<String>,
    health: u8,
}

#[derive(Debug, Arbitrary)]
enum Answer {
    Values(u32, Vec<String>),
    Alias(String, bool),
}

#[derive(Debug, Arbitrary)]
struct Instance {
    id: String,
    name: Option<String>,
    instance_type: String,
    az: String,
    region: String,
    private_ip: Option<String>,
    public_ip: Option<String>,
    state: String,
    system_status: u8,
    instance_status: u8,
    /// (code, description, not_before as any Unix time chrono accepts).
    events: Vec<(String, String, Option<i64>)>,
}

#[derive(Debug, Arbitrary)]
struct Logs {
    sources: Vec<String>,
    /// (source index, entry); an index past the sources shows as "?".
    entries: Vec<(u8, LogEntry)>,
    error: Option<String>,
    last_ago: Option<u32>,
}

#[derive(Debug, Arbitrary)]
enum LogEntry {
    Line(u32, String),
    Gap(u32, u32),
}

#[derive(Debug, Arbitrary)]
struct Action {
    ago: u32,
    caller_arn: Option<String>,
    account: Option<String>,
    region: String,
    action: String,
    resource: String,
    before: String,
    after: String,
    request_id: Option<String>,
    outcome: String,
    message: String,
}

fn pick<T: Copy>(all: &[T], b: u8) -> T {
    all[b as usize % all.len()]
}

impl Input {
    /// The snapshot's input, the moment it is taken, and a row filter.
    pub fn build(self) -> (Collected, DateTime<Utc>, String) {
        let base = DateTime::from_timestamp(1_577_836_800, 0).unwrap_or_default();
        let now = base + Duration::seconds(i64::from(self.now));
        let ago = |secs: u32| now - Duration::seconds(i64::from(secs));

        let mut world = m::World {
            scope: m::Scope {
                mode: self.scope.mode,
                account: self.scope.account,
                profile: self.scope.profile,
                regions: self.scope.regions,
                caller_arn: self.scope.caller_arn,
            },
            ..m::World::default()
        };
        world.targets = panel(self.targets, ago, |lbs| m::TargetsView {
            load_balancers: lbs.into_iter().map(lb).collect(),
            ..Default::default()
        });
        let mut counting = HashSet::new();
        world.waf = panel(self.waf, ago, |w| {
            let view = m::WafView {
                ip_sets: Default::default(),
                own_ranges: Default::default(),
                window_minutes: u32::from(w.window_minutes),
                acls: w.acls.into_iter().map(acl).collect(),
                unreadable: vec![],
            };
            for (a, r) in w.counting {
                let Some(acl) = view.acls.get(a as usize) else {
                    continue;
                };
                if let Some(rule) = acl.rules.get(r as usize) {
                    counting.insert((acl.id.clone(), rule.name.clone()));
                }
            }
            view
        });
        world.dns = panel(self.dns, ago, |zones| m::DnsView {
            zones: zones.into_iter().map(zone).collect(),
        });
        world.instances = panel(self.instances, ago, |is| m::InstancesView {
            unreadable: vec![],
            instances: is.into_iter().map(instance).collect(),
        });
        world.logs = logs(self.logs, ago);

        // As `snapshot::collect` does: the problems are found in the world itself.
        let polled = [
            PanelId::Targets,
            PanelId::Waf,
            PanelId::Dns,
            PanelId::Instances,
        ];
        let context = problems::Context {
            pending: Default::default(),
            intervals: polled
                .into_iter()
                .zip(self.intervals)
                .map(|(p, s)| (p, std::time::Duration::from_secs(u64::from(s.max(1)))))
                .collect(),
            counting_by_console: counting,
        };
        let mut found = problems::find(&world, now, &context);
        found.extend(
            self.extra_problems
                .into_iter()
                .map(|(sev, panel, subject, text)| Problem {
                    severity: pick(
                        &[Severity::Down, Severity::Degraded, Severity::Warning],
                        sev,
                    ),
                    panel: pick(&PanelId::ALL, panel),
                    subject,
                    text,
                    row: None,
                }),
        );

        let collected = Collected {
            pending: Default::default(),
            world,
            samples: self.samples.into_iter().map(|s| samples(s, ago)).collect(),
            actions: self.actions.into_iter().map(|a| action(a, ago)).collect(),
            journal_error: self.journal_error,
            problems: found,
            since: Duration::minutes(i64::from(self.since_minutes)),
        };
        (collected, now, self.filter)
    }
}

fn panel<A, T>(
    p: Panel<A>,
    ago: impl Fn(u32) -> DateTime<Utc>,
    make: impl FnOnce(A) -> T,
) -> PanelData<T> {
    PanelData {
        value: p.value.map(make),
        fetched_at: p.fetched_ago.map(&ago),
        error_at: p.error.as_ref().map(|_| ago(0)),
        error: p.error,
    }
}

fn lb(l: Lb) -> m::LoadBalancer {
    let groups: Vec<m::TargetGroup> = l.groups.into_iter().map(group).collect();
    let listeners = l
        .listeners
        .into_iter()
        .map(|li| m::Listener {
            port: li.port,
            protocol: li.protocol,
            forwards: li
                .forwards
                .into_iter()
                .map(|(index, name, weight)| m::Forward {
                    target_group: match index {
                        Some(i) if !groups.is_empty() => {
                            groups[i as usize % groups.len()].name.clone()
                        }
                        _ => name,
                    },
                    weight,
                })
                .collect(),
            rules: vec![],
        })
        .collect();
    m::LoadBalancer {
        name: l.name,
        arn: l.arn,
        kind: pick(
            &[
                m::LbKind::Application,
                m::LbKind::Network,
                m::LbKind::Gateway,
            ],
            l.kind,
        ),
        scheme: l.scheme,
        region: l.region,
        dns_name: l.dns_name,
        listeners,
        target_groups: groups,
    }
}

fn group(g: Group) -> m::TargetGroup {
    m::TargetGroup {
        name: g.name,
        arn: g.arn,
        protocol: g.protocol,
        port: g.port,
        target_type: g.target_type,
        deregistration_delay_secs: g.delay,
        cross_zone: None,
        targets: g.targets.into_iter().map(target).collect(),
        metrics: g.metrics.map(
            |(minutes, healthy, unhealthy, errors, ms)| m::TargetGroupMetrics {
                minutes,
                healthy_hosts: healthy,
                unhealthy_hosts: unhealthy,
                target_5xx: errors.map(u64::from),
                response_ms: ms,
            },
        ),
    }
}

fn target(t: Target) -> m::Target {
    use m::TargetState::*;
    m::Target {
        id: t.id,
        name: t.name,
        port: t.port,
        az: (!t.az.is_empty()).then_some(t.az),
        registration: m::Registration {
            port: (t.port > 0).then_some(t.port),
            availability_zone: None,
        },
        state: pick(
            &[
                Unhealthy,
                UnhealthyDraining,
                Unavailable,
                Draining,
                Initial,
                Unused,
                Healthy,
            ],
            t.state,
        ),
        reason: t.reason,
        drain_remaining_secs: t.drain_remaining,
    }
}

const ACTIONS: [m::RuleAction; 5] = [
    m::RuleAction::Allow,
    m::RuleAction::Block,
    m::RuleAction::Count,
    m::RuleAction::Captcha,
    m::RuleAction::Challenge,
];

fn acl(a: Acl) -> m::WebAcl {
    m::WebAcl {
        series: vec![],
        default_series: Vec::new(),
        name: a.name,
        id: a.id,
        scope: if a.cloudfront {
            m::WafScope::Cloudfront
        } else {
            m::WafScope::Regional
        },
        region: a.region,
        default_action: pick(&ACTIONS, a.default_action),
        protects: a.protects,
        rules: a
            .rules
            .into_iter()
            .map(|r| m::WafRule {
                ip_sets: Default::default(),
                matching: Default::default(),
                metrics_off: false,
                managed_by: None,
                name: r.name,
                priority: r.priority,
                kind: match r.kind {
                    Kind::Plain(action) => m::RuleKind::Plain {
                        action: pick(&ACTIONS, action),
                    },
                    Kind::Group {
                        group,
                        count,
                        overrides,
                    } => m::RuleKind::Group {
                        group,
                        override_action: if count {
                            m::OverrideAction::Count
                        } else {
                            m::OverrideAction::None
                        },
                        rule_overrides: overrides
                            .into_iter()
                            .map(|(rule, action)| m::RuleOverride {
                                rule,
                                action: pick(&ACTIONS, action),
                            })
                            .collect(),
                    },
                },
                series: r
                    .series
                    .into_iter()
                    .map(|(allowed, blocked, counted)| m::RuleCounts {
                        allowed: allowed.into(),
                        blocked: blocked.into(),
                        counted: counted.into(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn samples(s: Samples, ago: impl Fn(u32) -> DateTime<Utc>) -> m::RuleSamples {
    m::RuleSamples {
        window: None,
        population: None,
        acl_id: s.acl_id,
        rule: s.rule,
        requests: s
            .requests
            .into_iter()
            .map(|r| m::SampledRequest {
                time: ago(r.ago),
                client_ip: r.client_ip,
                country: r.country,
                method: r.method,
                uri: r.uri,
                action: r.action,
                headers: vec![],
                weight: 1,
            })
            .collect(),
    }
}

fn zone(z: Zone) -> m::HostedZone {
    use m::RoutingPolicy::*;
    let policies = [
        Simple,
        Geolocation,
        Geoproximity,
        Weighted,
        Latency,
        Failover,
        Multivalue,
        IpBased,
    ];
    let healths = [
        m::Health::Healthy,
        m::Health::Unhealthy,
        m::Health::Unknown,
        m::Health::NotChecked,
    ];
    m::HostedZone {
        name: z.name,
        id: z.id,
        private: z.private,
        record_sets: z
            .sets
            .into_iter()
            .map(|s| m::RecordSet {
                name: s.name,
                rtype: s.rtype,
                policy: pick(&policies, s.policy),
                records: s
                    .records
                    .into_iter()
                    .map(|r| m::Record {
                        set_identifier: r.set_identifier,
                        location: r.location.map(|(continent, country, subdivision)| {
                            m::GeoLocation {
                                continent,
                                country,
                                subdivision,
                            }
                        }),
                        policy_detail: r.policy_detail,
                        answer: match r.answer {
                            Answer::Values(ttl, values) => m::Answer::Values { ttl, values },
                            Answer::Alias(target, evaluate_health) => m::Answer::Alias {
                                target,
                                evaluate_health,
                            },
                        },
                        health_check_id: r.health_check_id,
                        health: pick(&healths, r.health),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn instance(i: Instance) -> m::Instance {
    use m::CheckStatus::*;
    let checks = [Ok, Impaired, InsufficientData, NotApplicable, Initializing];
    m::Instance {
        id: i.id,
        name: i.name,
        instance_type: i.instance_type,
        az: i.az,
        region: i.region,
        private_ip: i.private_ip,
        public_ip: i.public_ip,
        state: i.state,
        system_status: pick(&checks, i.system_status),
        instance_status: pick(&checks, i.instance_status),
        events: i
            .events
            .into_iter()
            .map(|(code, description, at)| m::ScheduledEvent {
                code,
                description,
                not_before: at.and_then(|s| DateTime::from_timestamp(s, 0)),
            })
            .collect(),
    }
}

fn logs(l: Logs, ago: impl Fn(u32) -> DateTime<Utc>) -> m::LogBuffer {
    let mut buffer = m::LogBuffer::with_capacity(1_000);
    buffer.sources = l.sources;
    buffer.entries = l
        .entries
        .into_iter()
        .map(|(source, e)| m::SourcedEntry {
            source: source.into(),
            entry: match e {
                LogEntry::Line(at, text) => m::LogEntry::Line {
                    received_at: ago(at),
                    text,
                },
                LogEntry::Gap(lost, resumed) => m::LogEntry::Gap {
                    lost_at: ago(lost),
                    resumed_at: ago(resumed),
                },
            },
        })
        .collect();
    buffer.error = l.error;
    buffer.last_received = l.last_ago.map(ago);
    buffer
}

fn action(a: Action, ago: impl Fn(u32) -> DateTime<Utc>) -> JournalEntry {
    JournalEntry {
        time: ago(a.ago),
        caller_arn: a.caller_arn,
        account: a.account,
        region: a.region,
        action: a.action,
        resource: a.resource,
        before: a.before,
        after: a.after,
        request_id: a.request_id,
        outcome: a.outcome,
        message: a.message,
        mutation: None,
    }
}
