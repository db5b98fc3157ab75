//! Frame and update costs of the console at scale.
//!
//! A console is built as `tests/ui.rs` builds one, but from synthetic data: at full scale 10,000
//! targets (50 load balancers × 10 target groups × 20 targets), 1,000 WAF rules (4 web ACLs),
//! 5,000 Route53 records, 2,000 instances and 100,000 log lines; and the same at a tenth of that.
//! Measured:
//!
//! - `frame/*`: one `terminal.draw(|f| ui::draw(f, &app, &theme))` at 200×60 on ratatui's
//!   `TestBackend`, whole screen and each panel zoomed, plus the logs panel with a filter;
//! - `update/*`: `App::update` for a targets refresh, a selection move and a filter keystroke.
//!
//! `cargo bench --bench render`; the figures are in BENCHMARKS.md.

mod synth;

use chrono::{DateTime, Duration as Age, Utc};
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsconsole::app::{App, Data, Event};
use opsconsole::config::{Keymap, Settings, Theme};
use opsconsole::model::*;
use opsconsole::sanitize::sanitize_owned;
use opsconsole::tui::Screen;
use opsconsole::ui;
use opsconsole::view::SortOrder;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;
use std::time::Duration;

const W: u16 = 200;
const H: u16 = 60;

fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_283_200, 0).unwrap_or_default()
}

/// How much data: `Full` is the size the targets are set for, `Tenth` ten times less.
#[derive(Clone, Copy)]
enum Scale {
    Full,
    Tenth,
}

impl Scale {
    fn name(self) -> &'static str {
        match self {
            Scale::Full => "10k_targets",
            Scale::Tenth => "1k_targets",
        }
    }

    fn load_balancers(self) -> usize {
        match self {
            Scale::Full => 50,
            Scale::Tenth => 5,
        }
    }

    /// Rules per web ACL (there are 4 ACLs).
    fn rules_per_acl(self) -> usize {
        match self {
            Scale::Full => 250,
            Scale::Tenth => 25,
        }
    }

    /// Record sets per zone (10 zones, 5 records per set).
    fn sets_per_zone(self) -> usize {
        match self {
            Scale::Full => 100,
            Scale::Tenth => 10,
        }
    }

    fn instances(self) -> usize {
        match self {
            Scale::Full => 2_000,
            Scale::Tenth => 200,
        }
    }

    fn log_lines(self) -> usize {
        match self {
            Scale::Full => 100_000,
            Scale::Tenth => 10_000,
        }
    }
}

const AZS: [&str; 3] = ["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"];

fn instance_id(i: usize) -> String {
    format!("i-0{:016x}", 0x5a3c_0000_0000_u64 + i as u64 * 7919)
}

fn targets_view(scale: Scale) -> TargetsView {
    let instances = scale.instances();
    let mut n = 0usize;
    let load_balancers = (0..scale.load_balancers())
        .map(|l| {
            let name = format!("web-{l:02}-alb");
            let arn = format!(
                "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/{name}/{:016x}",
                l * 104_729
            );
            let target_groups: Vec<TargetGroup> = (0..10)
                .map(|g| {
                    let tg_name = format!("web-{l:02}-tg-{g}");
                    let targets = (0..20)
                        .map(|t| {
                            n += 1;
                            let (state, reason) = match n % 100 {
                                0 | 1 => (
                                    TargetState::Unhealthy,
                                    Some("Target.ResponseCodeMismatch".to_string()),
                                ),
                                2 => (TargetState::Draining, Some("Target.DeregistrationInProgress".to_string())),
                                3 => (TargetState::Initial, Some("Elb.RegistrationInProgress".to_string())),
                                _ => (TargetState::Healthy, None),
                            };
                            Target {
                                id: instance_id((l * 200 + g * 20 + t) % instances),
                                name: None,
                                port: if g % 2 == 0 { 80 } else { 8080 },
                                az: Some(AZS[t % 3].to_string()),
                                registration: Registration {
                                    port: Some(if g % 2 == 0 { 80 } else { 8080 }),
                                    availability_zone: None,
                                },
                                state,
                                reason,
                                drain_remaining_secs: None,
                            }
                        })
                        .collect();
                    TargetGroup {
                        arn: format!(
                            "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/{tg_name}/{:016x}",
                            (l * 10 + g) * 7_777
                        ),
                        name: tg_name,
                        protocol: "HTTP".into(),
                        port: 80,
                        target_type: "instance".into(),
                        vpc_id: None,
                        deregistration_delay_secs: Some(300),
                        cross_zone: None,
                        targets,
                        metrics: (g % 3 == 0).then_some(TargetGroupMetrics {
                            minutes: 5,
                            healthy_hosts: Some(19.0),
                            unhealthy_hosts: Some(1.0),
                            target_5xx: Some((g as u64) % 4),
                            response_ms: Some(42.0 + g as f64),
                        }),
                    }
                })
                .collect();
            let tg = |g: usize| target_groups[g].name.clone();
            let listeners = vec![
                Listener {
                    port: 443,
                    protocol: "HTTPS".into(),
                    forwards: vec![
                        Forward {
                            target_group: tg(0),
                            weight: Some(100),
                        },
                        Forward {
                            target_group: tg(1),
                            weight: Some(0),
                        },
                    ],
                    rules: Some(vec![]),
                    rules_listed_at: None,
                },
                Listener {
                    port: 80,
                    protocol: "HTTP".into(),
                    forwards: (2..10)
                        .map(|g| Forward {
                            target_group: tg(g),
                            weight: Some(if g == 2 { 30 } else { 10 }),
                        })
                        .collect(),
                    rules: Some(vec![]),
                    rules_listed_at: None,
                },
            ];
            LoadBalancer {
                account: None,
                dns_name: format!("{name}-{l}.ap-northeast-1.elb.amazonaws.com"),
                name,
                arn,
                kind: if l % 5 == 4 {
                    LbKind::Network
                } else {
                    LbKind::Application
                },
                scheme: if l % 3 == 0 { "internal" } else { "internet-facing" }.into(),
                region: "ap-northeast-1".into(),
                listeners,
                target_groups,
            }
        })
        .collect();
    TargetsView {
        load_balancers,
        ..Default::default()
    }
}

fn waf_view(scale: Scale) -> WafView {
    let acls = (0..4)
        .map(|a| WebAcl {
            account: None,
            series: vec![],
            default_series: Vec::new(),
            name: format!("web-acl-{a}"),
            id: format!("{:08x}-1111-2222-3333-{:012x}", a * 977, a * 31_337),
            scope: WafScope::Regional,
            region: "ap-northeast-1".into(),
            default_action: RuleAction::Allow,
            protects: vec![format!("web-{a:02}-alb")],
            rules: (0..scale.rules_per_acl())
                .map(|r| {
                    let kind = if r % 10 == 0 {
                        RuleKind::Group {
                            group: "AWS/AWSManagedRulesCommonRuleSet".into(),
                            override_action: if r % 20 == 0 {
                                OverrideAction::Count
                            } else {
                                OverrideAction::None
                            },
                            rule_overrides: vec![
                                RuleOverride {
                                    rule: "SizeRestrictions_BODY".into(),
                                    action: RuleAction::Count,
                                },
                                RuleOverride {
                                    rule: "GenericRFI_QUERYARGUMENTS".into(),
                                    action: RuleAction::Count,
                                },
                            ],
                        }
                    } else {
                        RuleKind::Plain {
                            action: [RuleAction::Block, RuleAction::Allow, RuleAction::Count]
                                [r % 3],
                        }
                    };
                    WafRule {
                        ip_sets: Default::default(),
                        matching: Default::default(),
                        metrics_off: false,
                        managed_by: None,
                        name: format!("rule-{a}-{r:03}-block-bad-path"),
                        priority: r as i64,
                        kind,
                        series: (0..15u64)
                            .map(|m| RuleCounts {
                                allowed: (r as u64 * 7 + m * 3) % 50,
                                blocked: (r as u64 * 13 + m * 5) % 40,
                                counted: (r as u64 + m) % 9,
                            })
                            .collect(),
                    }
                })
                .collect(),
        })
        .collect();
    WafView {
        own_ranges: Default::default(),
        ip_sets: Default::default(),
        acls,
        window_minutes: 15,
        unreadable: vec![],
    }
}

fn samples(acl_id: &str, rule: &str) -> RuleSamples {
    RuleSamples {
        window: None,
        population: None,
        acl_id: acl_id.to_string(),
        rule: rule.to_string(),
        requests: (0..100)
            .map(|i| SampledRequest {
                time: at() - Age::seconds(i * 7),
                client_ip: format!("198.51.100.{}", 1 + i % 250),
                country: ["JP", "US", "DE", "FR"][i as usize % 4].into(),
                method: "GET".into(),
                uri: format!("/wp-content/plugins/x{i}.php?cmd=\x1b]0;pwned\x07"),
                action: "BLOCK".into(),
                headers: vec![],
                weight: 1,
            })
            .collect(),
    }
}

const COUNTRIES: [&str; 4] = ["JP", "US", "DE", "*"];

fn dns_view(scale: Scale) -> DnsView {
    let zones = (0..10)
        .map(|z| {
            let zone = format!("zone{z}.example.com.");
            let record_sets = (0..scale.sets_per_zone())
                .map(|s| {
                    let policy = [
                        RoutingPolicy::Geolocation,
                        RoutingPolicy::Weighted,
                        RoutingPolicy::Failover,
                        RoutingPolicy::Simple,
                    ][s % 4];
                    let records = (0..5)
                        .map(|r| {
                            let geo = policy == RoutingPolicy::Geolocation;
                            Record {
                                set_identifier: (policy != RoutingPolicy::Simple)
                                    .then(|| format!("id-{r}")),
                                location: geo.then(|| GeoLocation {
                                    continent: None,
                                    // Every 8th geolocation set lacks a default record.
                                    country: Some(
                                        if s % 8 == 0 && r == 3 { "FR" } else { COUNTRIES[r % 4] }
                                            .into(),
                                    ),
                                    subdivision: None,
                                }),
                                policy_detail: match policy {
                                    RoutingPolicy::Weighted => Some(format!("weight {}", r * 10)),
                                    RoutingPolicy::Failover => Some(
                                        if r == 0 { "PRIMARY" } else { "SECONDARY" }.into(),
                                    ),
                                    _ => None,
                                },
                                answer: if r % 2 == 0 {
                                    Answer::Alias {
                                        target: format!(
                                            "dualstack.web-{s:02}-alb-{r}.ap-northeast-1.elb.amazonaws.com."
                                        ),
                                        evaluate_health: true,
                                    }
                                } else {
                                    Answer::Values {
                                        ttl: 60,
                                        values: vec![format!("203.0.113.{}", 1 + (s * 5 + r) % 250)],
                                    }
                                },
                                health_check_id: (r % 3 == 0).then(|| format!("hc-{z}-{s}-{r}")),
                                health: match (s + r) % 17 {
                                    0 => Health::Unhealthy,
                                    1 => Health::Unknown,
                                    _ if r % 3 == 0 => Health::Healthy,
                                    _ => Health::NotChecked,
                                },
                            }
                        })
                        .collect();
                    RecordSet {
                        name: format!("host{s:03}.{zone}"),
                        rtype: "A".into(),
                        policy,
                        records,
                    }
                })
                .collect();
            HostedZone {
                account: None,
                id: format!("Z{:020X}", z * 65_537),
                name: zone,
                private: z % 4 == 3,
                record_sets,
            }
        })
        .collect();
    DnsView {
        zones,
        unreadable: Vec::new(),
    }
}

fn instances_view(scale: Scale) -> InstancesView {
    InstancesView {
        unreadable: vec![],
        instances: (0..scale.instances())
            .map(|i| Instance {
                account: None,
                id: instance_id(i),
                name: Some(format!("web-{i:04}")),
                instance_type: "t3.medium".into(),
                az: AZS[i % 3].into(),
                region: "ap-northeast-1".into(),
                private_ip: Some(format!("10.0.{}.{}", i / 250, 1 + i % 250)),
                public_ip: None,
                state: if i % 97 == 5 { "stopped" } else { "running" }.into(),
                system_status: if i % 211 == 7 {
                    CheckStatus::Impaired
                } else {
                    CheckStatus::Ok
                },
                instance_status: CheckStatus::Ok,
                events: if i % 150 == 3 {
                    vec![ScheduledEvent {
                        code: "system-reboot".into(),
                        description: "scheduled reboot".into(),
                        not_before: Some(at() + Age::days(3)),
                    }]
                } else {
                    vec![]
                },
            })
            .collect(),
    }
}

/// A console with `scale` of everything, fed the way the runtime feeds it, at 200×60.
fn console(scale: Scale) -> App {
    let mut app = App::new(
        Scope {
            mode: "demo".into(),
            account: Some("123456789012".into()),
            regions: vec!["ap-northeast-1".into()],
            ..Default::default()
        },
        Keymap::builtin("default").expect("builtin keymap"),
        &Settings::default(),
        false,
        at(),
    );
    app.update(Event::Resize(W, H));
    app.update(Event::Data(Data::Instances(
        at(),
        Ok(instances_view(scale)),
    )));
    app.update(Event::Data(Data::Targets(at(), Ok(targets_view(scale)))));
    let waf = waf_view(scale);
    let (acl_id, rule) = (waf.acls[0].id.clone(), waf.acls[0].rules[3].name.clone());
    app.update(Event::Data(Data::Waf(at(), Ok(waf))));
    app.update(Event::Data(Data::Dns(at(), Ok(dns_view(scale)))));
    // Select a rule (row 4: ACL, rules 0..2, and rule 0's two overrides come first) and show
    // its sampled requests, as the samples fetch does.
    let h = app.viewport(PanelId::Waf);
    let key = opsconsole::view::waf::rule_key(&acl_id, &rule);
    let rules = app.panels.get_mut(PanelId::Waf).expect("the WAF table");
    assert!(rules.select_key(&key, h), "rule row");
    app.update(Event::Data(Data::Samples(
        at(),
        Ok(samples(&acl_id, &rule)),
    )));
    // Logs: three sources, sanitised at the source as every LogSource does, then pushed.
    let lines = synth::nginx_lines(11, scale.log_lines());
    let sources = ["s5-nginx-proxy", "ha-web-left", "ha-web-right"];
    for (i, chunk) in lines.chunks(1_000).enumerate() {
        let entries = chunk.iter().map(|l| LogEntry::Line {
            received_at: at(),
            text: sanitize_owned(l.clone()),
        });
        app.world.logs.push(sources[i % 3], entries, at());
    }
    assert_eq!(app.world.logs.entries.len(), scale.log_lines());
    app.update(Event::Tick(at() + Age::seconds(4)));
    app
}

fn press(app: &mut App, code: KeyCode) {
    app.update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn keys(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn focus(app: &mut App, panel: PanelId, zoom: bool) {
    keys(app, &panel.number().to_string());
    if zoom {
        press(app, KeyCode::Enter);
    }
}

/// Selects the last rule of the last web ACL in the WAF table.
fn select_last_rule(app: &mut App) {
    let h = app.viewport(PanelId::Waf);
    let rules = app.panels.get_mut(PanelId::Waf).expect("the WAF table");
    let last = rules.table.rows.len() - 1;
    rules.select(last, h);
    assert!(app.selected_rule().is_some(), "last WAF row is a rule");
}

fn theme() -> Theme {
    Theme::load("dark", false).expect("dark theme")
}

/// The same frame drawn again and again into one terminal: each draw renders every widget into
/// the back buffer, diffs it against the previous frame and hands the difference to the backend
/// (the TUI loop's redraw on a tick).
fn bench_frame(c: &mut Criterion, group: &str, scale: Scale, app: &App) {
    let theme = theme();
    let mut terminal = Terminal::new(TestBackend::new(W, H)).expect("terminal");
    // `RENDER_BENCH_DUMP=1 cargo bench --bench render -- frame` shows each measured screen.
    if std::env::var_os("RENDER_BENCH_DUMP").is_some() {
        terminal.draw(|f| ui::draw(f, app, &theme)).expect("draw");
        eprintln!("{group}/{}:\n{}", scale.name(), terminal.backend());
    }
    c.benchmark_group(format!("frame_{W}x{H}")).bench_function(
        BenchmarkId::new(group, scale.name()),
        |b| {
            b.iter(|| {
                terminal
                    .draw(|f| ui::draw(f, black_box(app), &theme))
                    .map(|_| ())
                    .expect("draw")
            })
        },
    );
}

/// A frame after a refresh that changed something: the Targets data comes in with one target's
/// state flipped (every other time back), the tables are rebuilt, and the screen is drawn and
/// diffed — what the console does once per refresh, where `whole` redraws an unchanged frame.
fn bench_frame_after_data(c: &mut Criterion, scale: Scale) {
    let theme = theme();
    let mut terminal = Terminal::new(TestBackend::new(W, H)).expect("terminal");
    let mut app = console(scale);
    let mut flipped = targets_view(scale);
    if let Some(t) = flipped
        .load_balancers
        .iter_mut()
        .flat_map(|lb| lb.target_groups.iter_mut())
        .flat_map(|tg| tg.targets.iter_mut())
        .next()
    {
        t.state = match t.state {
            TargetState::Healthy => TargetState::Unhealthy,
            _ => TargetState::Healthy,
        };
    }
    let views = [targets_view(scale), flipped];
    let mut next = 0;
    c.benchmark_group(format!("frame_{W}x{H}")).bench_function(
        BenchmarkId::new("whole_after_targets_refresh", scale.name()),
        |b| {
            b.iter_batched(
                || {
                    next = 1 - next;
                    Event::Data(Data::Targets(at(), Ok(views[next].clone())))
                },
                |e| {
                    app.update(e);
                    terminal
                        .draw(|f| ui::draw(f, black_box(&app), &theme))
                        .map(|_| ())
                        .expect("draw")
                },
                BatchSize::LargeInput,
            )
        },
    );
}

/// A tick at the other of two seconds (`second` is 0 or 1): the clock and the ages move, the
/// data does not. Returns the second it ticked at.
fn clock_moves(app: &mut App, second: i64) -> i64 {
    let second = 1 - second;
    app.update(Event::Tick(at() + Age::seconds(12 + second)));
    second
}

/// The wall's frame every second: the clock moved (and with it the ages), nothing else. Drawn
/// whole through ratatui's `Terminal`, against through the console's `Screen`, which takes the
/// table bodies that did not change from the screen (BENCHMARKS.md §17).
fn bench_frame_clock_moved(c: &mut Criterion, scale: Scale) {
    let theme = theme();
    let mut group = c.benchmark_group(format!("frame_{W}x{H}"));
    let mut app = console(scale);
    let mut second = 0;
    let mut terminal = Terminal::new(TestBackend::new(W, H)).expect("terminal");
    group.bench_function(
        BenchmarkId::new("clock_moved_drawn_whole", scale.name()),
        |b| {
            b.iter(|| {
                second = clock_moves(&mut app, second);
                terminal
                    .draw(|f| ui::draw(f, black_box(&app), &theme))
                    .map(|_| ())
                    .expect("draw")
            })
        },
    );
    let area = ratatui::layout::Rect::new(0, 0, W, H);
    let mut screen = Screen::new(TestBackend::new(W, H), area).expect("screen");
    group.bench_function(
        BenchmarkId::new("clock_moved_bodies_kept", scale.name()),
        |b| {
            b.iter(|| {
                second = clock_moves(&mut app, second);
                screen
                    .draw(|f| ui::draw_on(f, black_box(&app), &theme))
                    .expect("draw")
            })
        },
    );
}

fn frames(c: &mut Criterion) {
    for scale in [Scale::Full, Scale::Tenth] {
        let base = console(scale);
        bench_frame(c, "whole", scale, &base);
        bench_frame_clock_moved(c, scale);
        bench_frame_after_data(c, scale);
        // The same with the WAF selection on the last rule of the last ACL: the sampled-requests
        // title looks the selected rule up by scanning the ACLs' rules.
        let mut app = console(scale);
        select_last_rule(&mut app);
        bench_frame(c, "whole_last_waf_rule_selected", scale, &app);
        for panel in PanelId::ALL {
            let mut app = console(scale);
            focus(&mut app, panel, true);
            let name = format!("zoomed_{}", panel.title().to_lowercase());
            bench_frame(c, &name, scale, &app);
        }
        // The logs panel with a filter: it walks the buffer from the newest line until the
        // screen is full, so a filter that matches rarely walks (and copies) much more of it.
        for (name, filter) in [
            ("zoomed_logs_filter_common", "/api/"),
            ("zoomed_logs_filter_rare", "pwned"),
            ("zoomed_logs_filter_none", "no-such-text"),
        ] {
            let mut app = console(scale);
            focus(&mut app, PanelId::Logs, true);
            keys(&mut app, "/");
            keys(&mut app, filter);
            press(&mut app, KeyCode::Enter);
            bench_frame(c, name, scale, &app);
        }
    }
}

fn updates(c: &mut Criterion) {
    let mut group = c.benchmark_group("update");
    for scale in [Scale::Full, Scale::Tenth] {
        let view = targets_view(scale);

        // A targets refresh: the whole Targets table is rebuilt (and filtered and sorted), and
        // the Instances table too (it lists each instance's groups).
        let mut app = console(scale);
        group.bench_function(BenchmarkId::new("data_targets", scale.name()), |b| {
            b.iter_batched(
                || Event::Data(Data::Targets(at(), Ok(view.clone()))),
                |e| app.update(e),
                BatchSize::LargeInput,
            )
        });
        let mut app = console(scale);
        let targets = app
            .panels
            .get_mut(PanelId::Targets)
            .expect("the Targets table");
        targets.filter = "unhealthy".into();
        targets.sort = SortOrder::ProblemsFirst;
        group.bench_function(
            BenchmarkId::new("data_targets_filtered_sorted", scale.name()),
            |b| {
                b.iter_batched(
                    || Event::Data(Data::Targets(at(), Ok(view.clone()))),
                    |e| app.update(e),
                    BatchSize::LargeInput,
                )
            },
        );

        // The clock tick (every second when idle, every 120 ms while something loads).
        let mut app = console(scale);
        let mut second = 4;
        group.bench_function(BenchmarkId::new("tick", scale.name()), |b| {
            b.iter(|| {
                second += 1;
                app.update(Event::Tick(at() + Age::seconds(second)))
            })
        });

        // A key that moves the selection (Up, then Down, alternately, so it never sticks at an
        // end): 40 rows into the Targets table and the WAF table, and at the end of the WAF
        // table (moving there asks for the selected rule's samples, found by a scan).
        for (panel, at_end) in [
            (PanelId::Targets, false),
            (PanelId::Waf, false),
            (PanelId::Waf, true),
        ] {
            let mut app = console(scale);
            focus(&mut app, panel, false);
            if at_end {
                select_last_rule(&mut app);
            } else {
                for _ in 0..40 {
                    press(&mut app, KeyCode::Down);
                }
            }
            let mut down = false;
            let name = format!(
                "key_up_down_{}{}",
                panel.title().to_lowercase(),
                if at_end { "_last_rule" } else { "" }
            );
            group.bench_function(BenchmarkId::new(name, scale.name()), |b| {
                b.iter(|| {
                    let code = if down { KeyCode::Down } else { KeyCode::Up };
                    down = !down;
                    app.update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
                })
            });
        }

        // A filter keystroke: the prompt is open on "web-0"; one more character, then
        // Backspace, alternately. Each keystroke rebuilds the panel's table from the model.
        for panel in [PanelId::Targets, PanelId::Logs] {
            let mut app = console(scale);
            focus(&mut app, panel, false);
            keys(&mut app, "/web-0");
            let mut typing = true;
            let name = format!("filter_keystroke_{}", panel.title().to_lowercase());
            group.bench_function(BenchmarkId::new(name, scale.name()), |b| {
                b.iter(|| {
                    let code = if typing {
                        KeyCode::Char('1')
                    } else {
                        KeyCode::Backspace
                    };
                    typing = !typing;
                    app.update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
                })
            });
        }
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = frames, updates
}
criterion_main!(benches);
