//! Unit tests of the console state: keys in, effects and state out.

use super::*;
use crate::model::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap()
}

fn target(id: &str, name: &str, az: &str, state: TargetState) -> Target {
    Target {
        id: id.into(),
        name: Some(name.into()),
        port: 80,
        az: Some(az.into()),
        registration: Registration {
            port: Some(80),
            availability_zone: None,
        },
        state,
        reason: None,
        drain_remaining_secs: None,
    }
}

fn targets(right: TargetState) -> TargetsView {
    TargetsView {
        unreadable: vec![],
        load_balancers: vec![LoadBalancer {
            account: None,
            name: "ha-lbint".into(),
            arn: "arn:lb/ha-lbint".into(),
            kind: LbKind::Application,
            scheme: "internal".into(),
            region: "ap-northeast-1".into(),
            dns_name: "internal-ha-lbint".into(),
            listeners: vec![Listener {
                port: 80,
                protocol: "HTTP".into(),
                forwards: vec![Forward {
                    target_group: "ha-web-tg".into(),
                    weight: None,
                }],
                rules: Some(vec![]),
                rules_listed_at: None,
            }],
            target_groups: vec![TargetGroup {
                name: "ha-web-tg".into(),
                arn: "arn:tg/ha-web-tg".into(),
                protocol: "HTTP".into(),
                port: 80,
                target_type: "instance".into(),
                vpc_id: None,
                deregistration_delay_secs: Some(300),
                cross_zone: None,
                metrics: None,
                targets: vec![
                    target(
                        "i-left",
                        "ha-web-left",
                        "ap-northeast-1a",
                        TargetState::Healthy,
                    ),
                    target("i-right", "ha-web-right", "ap-northeast-1c", right),
                    target(
                        "i-extra",
                        "ha-web-extra",
                        "ap-northeast-1c",
                        TargetState::Healthy,
                    ),
                ],
            }],
        }],
    }
}

fn waf() -> WafView {
    WafView {
        own_ranges: Default::default(),
        ip_sets: Default::default(),
        unreadable: vec![],
        window_minutes: 15,
        acls: vec![WebAcl {
            account: None,
            series: vec![],
            default_series: Vec::new(),
            name: "wp-acl".into(),
            id: "acl-1".into(),
            scope: WafScope::Regional,
            region: "ap-northeast-1".into(),
            default_action: RuleAction::Allow,
            protects: vec!["wp-alb".into()],
            rules: vec![
                WafRule {
                    ip_sets: Default::default(),
                    matching: Default::default(),
                    metrics_off: false,
                    managed_by: None,
                    name: "block-xmlrpc".into(),
                    priority: 0,
                    kind: RuleKind::Plain {
                        action: RuleAction::Block,
                    },
                    series: vec![RuleCounts {
                        allowed: 0,
                        blocked: 5,
                        counted: 0,
                    }],
                },
                WafRule {
                    ip_sets: Default::default(),
                    matching: Default::default(),
                    metrics_off: false,
                    managed_by: None,
                    name: "php".into(),
                    priority: 1,
                    kind: RuleKind::Group {
                        group: "AWS/AWSManagedRulesPHPRuleSet".into(),
                        override_action: OverrideAction::None,
                        rule_overrides: vec![],
                    },
                    series: vec![],
                },
            ],
        }],
    }
}

fn app(read_only: bool) -> App {
    let keymap = Keymap::builtin("default").unwrap();
    let mut a = App::new(
        Scope {
            mode: "demo".into(),
            ..Scope::default()
        },
        keymap,
        &Settings::default(),
        read_only,
        t0(),
    );
    a.update(Event::Data(Data::Targets(
        t0(),
        Ok(targets(TargetState::Healthy)),
    )));
    a.update(Event::Data(Data::Waf(t0(), Ok(waf()))));
    a
}

/// The targets panel's row with this key, as drawn.
fn shown_row<'a>(a: &'a App, key: &str) -> &'a crate::view::Row {
    table(a, PanelId::Targets)
        .table
        .rows
        .iter()
        .find(|r| r.key == key)
        .unwrap_or_else(|| panic!("no row {key}"))
}

/// A table panel's state, as the registry holds it.
fn table(a: &App, panel: PanelId) -> &TablePanel {
    a.panels
        .get(panel)
        .unwrap_or_else(|| panic!("{panel:?} is no table"))
}

fn key(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(c: KeyCode) -> Event {
    Event::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn select(a: &mut App, panel: PanelId, key: &str) {
    let h = a.viewport(panel);
    assert!(
        a.panels.get_mut(panel).unwrap().select_key(key, h),
        "no row {key}"
    );
}

#[test]
fn tab_and_numbers_move_focus() {
    let mut a = app(false);
    assert_eq!(a.focus, PanelId::Targets);
    a.update(code(KeyCode::Tab));
    assert_eq!(a.focus, PanelId::Waf);
    a.update(code(KeyCode::BackTab));
    a.update(code(KeyCode::BackTab));
    assert_eq!(a.focus, PanelId::Logs);
    a.update(key('3'));
    assert_eq!(a.focus, PanelId::Dns);
    a.update(code(KeyCode::Enter));
    assert!(a.zoomed);
    a.update(code(KeyCode::Esc));
    assert!(!a.zoomed);
}

#[test]
fn selection_stays_on_its_target_when_data_changes() {
    let mut a = app(false);
    select(&mut a, PanelId::Targets, "t:arn:tg/ha-web-tg:i-right:80");
    let mut changed = targets(TargetState::Unhealthy);
    changed.load_balancers[0].target_groups[0].targets.insert(
        0,
        target(
            "i-new",
            "ha-web-new",
            "ap-northeast-1a",
            TargetState::Initial,
        ),
    );
    a.update(Event::Data(Data::Targets(t0(), Ok(changed))));
    assert_eq!(
        table(&a, PanelId::Targets).selected_key(),
        Some("t:arn:tg/ha-web-tg:i-right:80")
    );
}

#[test]
fn failed_refresh_keeps_data_and_shows_error() {
    let mut a = app(false);
    a.update(Event::Data(Data::Targets(
        t0(),
        Err("Throttling: Rate exceeded".into()),
    )));
    let (fetched, error, loading) = a.world.status(PanelId::Targets);
    assert_eq!(fetched, Some(t0()));
    assert_eq!(error, Some("Throttling: Rate exceeded"));
    assert!(!loading);
    assert!(!table(&a, PanelId::Targets).table.rows.is_empty());
}

#[test]
fn drain_asks_first_and_defaults_to_no() {
    let mut a = app(false);
    select(&mut a, PanelId::Targets, "t:arn:tg/ha-web-tg:i-right:80");
    assert!(a.update(key('d')).is_empty());
    let Some(Overlay::Confirm(c)) = &a.overlay else {
        panic!("no confirmation")
    };
    assert!(
        c.details.iter().any(|d| d.contains("2 of 3 healthy left")),
        "{:?}",
        c.details
    );
    assert!(c.details.iter().any(|d| d.contains("300s")));
    // Enter takes the default answer: no.
    assert!(a.update(code(KeyCode::Enter)).is_empty());
    assert!(a.overlay.is_none());
    a.update(key('d'));
    let effects = a.update(key('y'));
    assert!(
        matches!(&effects[..], [Effect::Execute(Mutation::Drain { target })] if target.id == "i-right" && target.port == 80)
    );
}

/// The group with cross-zone load balancing turned off: a zone left without healthy targets
/// goes unserved.
fn targets_cross_zone_off(right: TargetState) -> TargetsView {
    let mut v = targets(right);
    v.load_balancers[0].target_groups[0].cross_zone = Some(false);
    v
}

#[test]
fn last_healthy_target_needs_its_id_typed() {
    let mut a = app(false);
    a.update(Event::Data(Data::Targets(
        t0(),
        Ok(targets_cross_zone_off(TargetState::Unhealthy)),
    )));
    select(&mut a, PanelId::Targets, "t:arn:tg/ha-web-tg:i-left:80");
    a.update(key('d'));
    assert!(
        a.update(key('y')).is_empty(),
        "y alone must not drain the last healthy target"
    );
    a.update(code(KeyCode::Backspace));
    // A wrong id is refused with a word, not silently wiped.
    for c in "i-lfet".chars() {
        a.update(key(c));
    }
    assert!(a.update(code(KeyCode::Enter)).is_empty());
    let Some(Overlay::Confirm(c)) = &a.overlay else {
        panic!("the confirmation closed on a wrong id");
    };
    assert!(
        c.refused
            .as_deref()
            .is_some_and(|r| r.contains("\"i-lfet\" is not the target id")),
        "{:?}",
        c.refused
    );
    for c in "i-left".chars() {
        a.update(key(c));
    }
    let effects = a.update(code(KeyCode::Enter));
    assert!(matches!(
        &effects[..],
        [Effect::Execute(Mutation::Drain { .. })]
    ));
}

/// Behind an ALB (cross-zone on unless the group turns it off) the last healthy target of a
/// zone is served from the other zones: a plain y drains it, and the dialog says why.
#[test]
fn last_of_a_zone_behind_an_alb_needs_no_typed_id() {
    let mut a = app(false);
    a.update(Event::Data(Data::Targets(
        t0(),
        Ok(targets(TargetState::Unhealthy)),
    )));
    select(&mut a, PanelId::Targets, "t:arn:tg/ha-web-tg:i-left:80");
    a.update(key('d'));
    let Some(Overlay::Confirm(c)) = &a.overlay else {
        panic!("no confirmation: {:?}", a.overlay);
    };
    assert_eq!(c.type_to_confirm, None, "{:?}", c.details);
    assert!(
        c.details
            .iter()
            .any(|d| d.contains("none in ap-northeast-1a (served from the other zones")),
        "{:?}",
        c.details
    );
    let effects = a.update(key('y'));
    assert!(matches!(
        &effects[..],
        [Effect::Execute(Mutation::Drain { .. })]
    ));
}

#[test]
fn read_only_refuses_every_mutation_key() {
    let mut a = app(true);
    select(&mut a, PanelId::Targets, "t:arn:tg/ha-web-tg:i-right:80");
    for k in ['d', 'u'] {
        assert!(a.update(key(k)).is_empty());
        assert!(a.overlay.is_none());
        assert!(a.status.as_ref().unwrap().text.contains("read-only"));
    }
    a.update(key('2'));
    a.update(code(KeyCode::Down));
    assert!(a.update(key('t')).is_empty());
    assert!(a.overlay.is_none());
}

#[test]
fn waf_toggle_goes_to_count_and_back_to_the_original_action() {
    let mut a = app(false);
    a.update(key('2'));
    select(&mut a, PanelId::Waf, "rule:acl-1:block-xmlrpc");
    a.update(key('t'));
    let effects = a.update(key('y'));
    let [Effect::Execute(m @ Mutation::SetRule { to, .. })] = &effects[..] else {
        panic!("{effects:?}")
    };
    assert_eq!(
        to,
        &RuleKind::Plain {
            action: RuleAction::Count
        }
    );
    a.update(Event::Done {
        mutation: m.clone(),
        at: t0(),
        result: Ok("done".into()),
    });
    let mut counting = waf();
    counting.acls[0].rules[0].kind = RuleKind::Plain {
        action: RuleAction::Count,
    };
    a.update(Event::Data(Data::Waf(t0(), Ok(counting))));
    a.update(key('t'));
    let effects = a.update(key('y'));
    let [Effect::Execute(Mutation::SetRule { to, .. })] = &effects[..] else {
        panic!("{effects:?}")
    };
    assert_eq!(
        to,
        &RuleKind::Plain {
            action: RuleAction::Block
        }
    );
}

#[test]
fn moving_onto_a_rule_asks_for_its_samples() {
    let mut a = app(false);
    a.update(key('2'));
    let effects = a.update(code(KeyCode::Down));
    assert_eq!(
        effects,
        vec![Effect::FetchSamples {
            acl_id: "acl-1".into(),
            rule: "block-xmlrpc".into()
        }]
    );
}

#[test]
fn filter_typed_then_cleared() {
    let mut a = app(false);
    a.update(key('/'));
    for c in "right".chars() {
        a.update(key(c));
    }
    a.update(code(KeyCode::Enter));
    assert_eq!(table(&a, PanelId::Targets).filter, "right");
    assert!(
        table(&a, PanelId::Targets)
            .table
            .rows
            .iter()
            .all(|r| !r.key.contains("i-left"))
    );
    a.update(code(KeyCode::Esc));
    assert_eq!(table(&a, PanelId::Targets).filter, "");
    assert!(
        table(&a, PanelId::Targets)
            .table
            .rows
            .iter()
            .any(|r| r.key.contains("i-left"))
    );
}

#[test]
fn click_focuses_and_selects() {
    let mut a = app(false);
    a.update(Event::Resize(160, 45));
    let rows = crate::ui::layout::table_viewport(a.screen, false, a.focus, PanelId::Waf).unwrap();
    a.update(Event::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: rows.x + 2,
        row: rows.y + 1,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(a.focus, PanelId::Waf);
    assert_eq!(table(&a, PanelId::Waf).selected, 1);
}

#[test]
fn quit_key_quits() {
    let mut a = app(false);
    assert_eq!(a.update(key('q')), vec![Effect::Quit]);
}

#[test]
fn a_drained_target_counts_down_its_deregistration_delay() {
    let mut a = app(false);
    select(&mut a, PanelId::Targets, "t:arn:tg/ha-web-tg:i-right:80");
    let (target, _) = a.selected_target().unwrap();
    a.update(Event::Done {
        mutation: Mutation::Drain { target },
        at: t0(),
        result: Ok("draining".into()),
    });
    a.update(Event::Data(Data::Targets(
        t0(),
        Ok(targets(TargetState::Draining)),
    )));
    a.update(Event::Tick(t0() + chrono::Duration::seconds(10)));
    let row = shown_row(&a, "t:arn:tg/ha-web-tg:i-right:80");
    assert!(
        row.cells.iter().any(|c| c.text.contains("290s left")),
        "{row:?}"
    );
    a.update(Event::Tick(t0() + chrono::Duration::seconds(400)));
    let row = shown_row(&a, "t:arn:tg/ha-web-tg:i-right:80");
    assert!(
        row.cells.iter().any(|c| c.text.contains("0s left")),
        "{row:?}"
    );
}

fn instance(id: &str, name: &str, ip: &str) -> Instance {
    Instance {
        account: None,
        id: id.into(),
        name: Some(name.into()),
        instance_type: "t3.small".into(),
        az: "ap-northeast-1a".into(),
        region: "ap-northeast-1".into(),
        private_ip: Some(ip.into()),
        public_ip: None,
        state: "running".into(),
        system_status: CheckStatus::Ok,
        instance_status: CheckStatus::Ok,
        events: vec![],
    }
}

fn log_batch(source: &str, lines: &[&str]) -> Event {
    Event::Data(Data::Logs(
        t0(),
        crate::source::LogBatch::lines(
            source,
            lines
                .iter()
                .map(|l| LogEntry::Line {
                    received_at: t0(),
                    text: l.to_string(),
                })
                .collect(),
        ),
    ))
}

#[test]
fn l_on_an_instance_named_like_another_accounts_tails_its_own() {
    let account = |name: &str, id: &str| {
        Some(crate::model::AccountRef {
            id: id.into(),
            name: name.into(),
        })
    };
    let mut a = app(false);
    let prod = Instance {
        account: account("prod", "222222222222"),
        ..instance("i-prod", "web-01", "10.0.1.5")
    };
    let stage = Instance {
        account: account("stage", "333333333333"),
        ..instance("i-stage", "web-01", "10.0.1.5")
    };
    a.update(Event::Data(Data::Instances(
        t0(),
        Ok(InstancesView {
            unreadable: vec![],
            instances: vec![prod, stage],
        }),
    )));
    // prod's web-01 is already tailed, under its plain name.
    a.update(log_batch("web-01", &["prod's line"]));
    a.update(key('4'));
    select(&mut a, PanelId::Instances, "@333333333333/i:i-stage");
    let effects = a.update(key('l'));
    assert_eq!(
        effects,
        vec![Effect::TailInstance {
            name: "stage · web-01".into(),
            id: "i-stage".into(),
            region: "ap-northeast-1".into(),
            private_ip: Some("10.0.1.5".into()),
            public_ip: None,
        }]
    );
}

#[test]
fn l_on_an_instance_without_a_source_asks_for_a_tail_once_and_shows_it_alone() {
    let mut a = app(false);
    a.update(Event::Data(Data::Instances(
        t0(),
        Ok(InstancesView {
            unreadable: vec![],
            instances: vec![instance("i-left", "ha-web-left", "10.0.20.5")],
        }),
    )));
    a.update(log_batch("s5-nginx-proxy", &["other"]));
    a.update(key('4'));
    select(&mut a, PanelId::Instances, "i:i-left");
    let effects = a.update(key('l'));
    assert_eq!(
        effects,
        vec![Effect::TailInstance {
            name: "ha-web-left".into(),
            id: "i-left".into(),
            region: "ap-northeast-1".into(),
            private_ip: Some("10.0.20.5".into()),
            public_ip: None,
        }]
    );
    assert_eq!(a.focus, PanelId::Logs);
    // Its first lines select it.
    a.update(log_batch("ha-web-left", &["GET / 200"]));
    assert_eq!(a.panels.logs.source, Some(1));
    // Pressed again: the tail exists, only selected.
    a.update(key('4'));
    assert!(a.update(key('l')).is_empty());
    assert_eq!(a.panels.logs.source, Some(1));
}

#[test]
fn passphrase_dialog_waits_for_other_dialogs_and_never_shows_the_text() {
    let mut a = app(false);
    a.update(key('?'));
    a.update(Event::PassphraseWanted {
        id: 7,
        key_file: "/home/op/.ssh/id_ed25519\u{1b}[2J".into(),
    });
    assert!(matches!(a.overlay, Some(Overlay::Help { .. })));
    a.update(code(KeyCode::Esc));
    let Some(Overlay::Passphrase { id, key_file, .. }) = &a.overlay else {
        panic!("no passphrase dialog: {:?}", a.overlay);
    };
    assert_eq!(*id, 7);
    assert!(!key_file.contains('\u{1b}'), "key file name is sanitised");
    for c in "pw d".chars() {
        a.update(key(c));
    }
    a.update(code(KeyCode::Backspace));
    a.update(key('x'));
    assert!(!format!("{:?}", a.overlay).contains("pw x"));
    let effects = a.update(code(KeyCode::Enter));
    let [
        Effect::Passphrase {
            id: 7,
            passphrase: Some(p),
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}");
    };
    assert_eq!(p.expose(), "pw x");
    assert!(a.overlay.is_none());
    // Esc declines.
    a.update(Event::PassphraseWanted {
        id: 8,
        key_file: "k".into(),
    });
    assert_eq!(
        a.update(code(KeyCode::Esc)),
        vec![Effect::Passphrase {
            id: 8,
            passphrase: None
        }]
    );
}

#[test]
fn search_highlights_and_n_jumps_to_older_matches() {
    let mut a = app(false);
    a.update(log_batch("s5", &["a 502", "b 200", "c 502", "d 200"]));
    a.update(key('5'));
    a.update(key('s'));
    for c in "502".chars() {
        a.update(key(c));
    }
    a.update(code(KeyCode::Enter));
    // The newest match is the newest line on screen.
    let newest = |a: &App| a.panels.logs.visible(&a.world.logs, 1)[0].entry.text();
    assert_eq!(newest(&a), "c 502");
    a.update(key('n'));
    assert_eq!(newest(&a), "a 502");
    a.update(key('n'));
    assert_eq!(newest(&a), "a 502", "nothing older: stays");
    assert!(
        a.status
            .as_ref()
            .is_some_and(|s| s.text.contains("no older line"))
    );
    a.update(key('N'));
    assert_eq!(newest(&a), "c 502");
    // Lines are not filtered by a search.
    assert_eq!(
        a.panels.logs.visible(&a.world.logs, 10).len(),
        4 - a.panels.logs.scroll
    );
}

#[test]
fn a_panel_paced_by_its_source_is_stale_only_against_the_interval_it_gets() {
    let mut a = app(false);
    let configured = Settings::default().interval(PanelId::Targets).as_secs() as i64;
    let at = |secs: i64| t0() + chrono::Duration::seconds(secs);
    // Stale just past twice the interval, as the legend says, not before.
    a.update(Event::Tick(at(2 * configured - 1)));
    assert_eq!(
        a.stale_secs(PanelId::Targets),
        None,
        "within 2× the interval"
    );
    a.update(Event::Tick(at(2 * configured + 1)));
    assert!(
        a.stale_secs(PanelId::Targets).is_some(),
        "past 2× the interval"
    );

    // A large estate: ELBv2's quota gives the panel a refresh every 4× the interval, so it is
    // stale just past twice that.
    let paced = std::time::Duration::from_secs(4 * configured as u64);
    a.update(Event::Paced(PanelId::Targets, paced));
    a.update(Event::Tick(at(8 * configured - 1)));
    assert_eq!(a.stale_secs(PanelId::Targets), None);
    a.update(Event::Tick(at(8 * configured + 1)));
    assert!(
        a.stale_secs(PanelId::Targets).is_some(),
        "past 2× the paced interval"
    );
}

#[test]
fn a_group_whose_delay_is_not_read_yet_drains_without_a_countdown() {
    let mut a = app(false);
    let mut unread = targets(TargetState::Healthy);
    unread.load_balancers[0].target_groups[0].deregistration_delay_secs = None;
    a.update(Event::Data(Data::Targets(t0(), Ok(unread.clone()))));
    select(&mut a, PanelId::Targets, "t:arn:tg/ha-web-tg:i-right:80");
    a.update(key('d'));
    let Some(Overlay::Confirm(c)) = &a.overlay else {
        panic!("no confirmation")
    };
    assert!(
        c.details.iter().any(|d| d.contains("not read yet")),
        "{:?}",
        c.details
    );
    a.update(code(KeyCode::Esc));

    let (target, _) = a.selected_target().unwrap();
    a.update(Event::Done {
        mutation: Mutation::Drain { target },
        at: t0(),
        result: Ok("draining".into()),
    });
    let mut draining = targets(TargetState::Draining);
    draining.load_balancers[0].target_groups[0].deregistration_delay_secs = None;
    a.update(Event::Data(Data::Targets(t0(), Ok(draining))));
    a.update(Event::Tick(t0() + chrono::Duration::seconds(10)));
    let row = shown_row(&a, "t:arn:tg/ha-web-tg:i-right:80");
    assert!(
        !row.cells.iter().any(|c| c.text.contains("left")),
        "{row:?}"
    );
}

/// With no log followed the Logs panel waits for nothing: once the other panels have their
/// data the console is idle (its clock ticks once a second, not eight times); a tail started
/// with `l` makes it load until the first line.
#[test]
fn a_console_following_no_log_is_idle_once_its_panels_have_data() {
    let mut a = app(false);
    a.update(Event::Data(Data::Dns(t0(), Ok(DnsView::default()))));
    a.update(Event::Data(Data::Instances(
        t0(),
        Ok(InstancesView {
            unreadable: vec![],
            instances: vec![instance("i-left", "ha-web-left", "10.0.20.5")],
        }),
    )));
    assert!(!a.is_busy(), "nothing to wait for");

    a.update(key('4'));
    select(&mut a, PanelId::Instances, "i:i-left");
    a.update(key('l'));
    assert!(
        a.is_busy(),
        "a tail was asked for: loading until it answers"
    );
    a.update(log_batch("ha-web-left", &["GET /"]));
    assert!(!a.is_busy());
}

/// A rule group Firewall Manager put in the ACL is changed only through its policy: `t` says so
/// and asks nothing.
#[test]
fn a_firewall_manager_group_cannot_be_toggled() {
    let mut a = app(false);
    let mut view = waf();
    view.acls[0].rules[0].managed_by = Some("Firewall Manager, first".into());
    a.update(Event::Data(Data::Waf(t0(), Ok(view))));
    a.update(key('2'));
    select(&mut a, PanelId::Waf, "rule:acl-1:block-xmlrpc");
    // Only the selected rule's samples are asked for: nothing is changed.
    let effects = a.update(key('t'));
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Execute(_))),
        "{effects:?}"
    );
    assert!(a.overlay.is_none(), "no confirmation for a managed group");
    let said = a
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    assert!(said.contains("Firewall Manager policy"), "{said}");
}

/// Filtering to one target selects it, not the load balancer kept above it for context: `/`,
/// the id, Enter, then `d` asks to drain that target.
#[test]
fn a_filter_selects_the_first_row_that_matches_so_d_drains_it() {
    let mut a = app(false);
    a.update(Event::Data(Data::Targets(
        t0(),
        Ok(targets(TargetState::Healthy)),
    )));
    a.update(key('/'));
    for c in "i-right".chars() {
        a.update(key(c));
    }
    a.update(code(KeyCode::Enter));
    a.update(key('d'));
    let Some(Overlay::Confirm(c)) = &a.overlay else {
        panic!("no drain confirmation: {:?} / {:?}", a.overlay, a.status);
    };
    assert!(
        matches!(&c.mutation, Mutation::Drain { target } if target.id == "i-right"),
        "{:?}",
        c.mutation
    );
}

/// `p` lists the problems worst first; Enter focuses the panel of the chosen one and selects the
/// row it concerns, clearing a filter that hid it.
#[test]
fn the_problems_view_jumps_to_the_row_a_problem_concerns() {
    let mut a = app(false);
    a.update(Event::Data(Data::Targets(
        t0(),
        Ok(targets(TargetState::Unhealthy)),
    )));
    a.update(key('2'));
    // A filter on the Targets panel that hides the unhealthy target.
    a.update(key('1'));
    a.update(key('/'));
    for c in "ha-web-left".chars() {
        a.update(key(c));
    }
    a.update(code(KeyCode::Enter));
    a.update(key('2'));
    a.update(key('p'));
    assert!(matches!(a.overlay, Some(Overlay::Problems { selected: 0 })));
    let target = crate::view::targets::target_key("arn:tg/ha-web-tg", "i-right", 80);
    let index = a
        .problems
        .iter()
        .position(|p| p.row.as_deref() == Some(target.as_str()))
        .expect("the unhealthy target's problem names its row");
    for _ in 0..index {
        a.update(code(KeyCode::Down));
    }
    a.update(code(KeyCode::Enter));
    assert!(a.overlay.is_none());
    assert_eq!(a.focus, PanelId::Targets);
    assert_eq!(
        table(&a, PanelId::Targets).selected_key(),
        Some(target.as_str())
    );
    assert!(
        table(&a, PanelId::Targets).filter.is_empty(),
        "the filter hid the row"
    );
}

/// Problems first means every problem: a target whose row looks fine but whose instance is
/// stopped (a WARNING) sorts above the healthy ones, and the load balancer's listener stays
/// first under it.
#[test]
fn problems_first_sorts_warning_rows_and_keeps_listeners_first() {
    let mut a = app(false);
    let mut stopped = instance("i-extra", "ha-web-extra", "10.0.0.9");
    stopped.state = "stopped".into();
    a.update(Event::Data(Data::Instances(
        t0(),
        Ok(InstancesView {
            unreadable: vec![],
            instances: vec![stopped],
        }),
    )));
    a.update(Event::Data(Data::Targets(
        t0(),
        Ok(targets(TargetState::Healthy)),
    )));
    a.update(key('1'));
    a.update(key('s'));
    assert_eq!(
        table(&a, PanelId::Targets).sort,
        crate::view::SortOrder::ProblemsFirst
    );
    let keys: Vec<&str> = table(&a, PanelId::Targets)
        .table
        .rows
        .iter()
        .map(|r| r.key.as_str())
        .collect();
    assert!(keys[1].starts_with("listener:"), "{keys:?}");
    let at = |id: &str| {
        keys.iter()
            .position(|k| k.ends_with(&format!(":{id}:80")))
            .unwrap_or_else(|| panic!("{id} missing: {keys:?}"))
    };
    assert!(
        at("i-extra") < at("i-left") && at("i-extra") < at("i-right"),
        "{keys:?}"
    );
}

/// `l` on an IP target (a Fargate task) asks the runtime to find its ECS task's log; on an
/// instance target it points to the Instances panel instead.
#[test]
fn l_on_an_ip_target_asks_for_its_tasks_log() {
    let mut a = app(false);
    let mut view = targets(TargetState::Healthy);
    let tg = &mut view.load_balancers[0].target_groups[0];
    tg.target_type = "ip".into();
    tg.vpc_id = Some("vpc-0prod".into());
    tg.targets[0].id = "10.0.1.17".into();
    a.update(Event::Data(Data::Targets(t0(), Ok(view))));
    a.update(key('1'));
    let key_of = view::targets::target_key("arn:tg/ha-web-tg", "10.0.1.17", 80);
    select(&mut a, PanelId::Targets, &key_of);
    let effects = a.update(key('l'));
    assert_eq!(
        effects,
        vec![Effect::TailTask {
            name: "ha-web-tg 10.0.1.17".into(),
            address: "10.0.1.17".into(),
            port: 80,
            target_group_arn: "arn:tg/ha-web-tg".into(),
            // Looked for in the group's VPC: another VPC may use the same range.
            vpc: Some("vpc-0prod".into()),
            region: "ap-northeast-1".into(),
        }]
    );
    assert_eq!(a.focus, PanelId::Logs);
    a.update(key('1'));
    let key_of = view::targets::target_key("arn:tg/ha-web-tg", "i-right", 80);
    select(&mut a, PanelId::Targets, &key_of);
    assert!(a.update(key('l')).is_empty());
    assert!(
        a.status
            .as_ref()
            .is_some_and(|s| s.text.contains("not an IP target")),
        "{:?}",
        a.status
    );
}

fn xmlrpc_samples(rule: &str) -> RuleSamples {
    RuleSamples {
        acl_id: "acl-1".into(),
        rule: rule.into(),
        requests: vec![SampledRequest {
            time: t0(),
            client_ip: "198.51.100.77".into(),
            country: "RU".into(),
            method: "POST".into(),
            uri: "/xmlrpc.php".into(),
            action: "BLOCK".into(),
            headers: vec![],
            weight: 1,
        }],
        window: Some((t0() - chrono::Duration::minutes(2), t0())),
        population: Some(1),
    }
}

fn fetches_samples(effects: &[Effect], rule: &str) -> bool {
    effects
        .iter()
        .any(|e| matches!(e, Effect::FetchSamples { rule: r, .. } if r == rule))
}

/// The WAF panel's refresh (its interval, or `r`) reads the selected rule's samples again;
/// until they come, older ones carry their age, and `w` counts from them only saying so.
#[test]
fn samples_are_read_with_the_panel_and_old_ones_say_so() {
    let mut a = app(false);
    a.update(key('2'));
    assert!(fetches_samples(
        &a.update(code(KeyCode::Down)),
        "block-xmlrpc"
    ));
    a.update(Event::Data(Data::Samples(
        t0(),
        Ok(xmlrpc_samples("block-xmlrpc")),
    )));
    a.update(Event::Tick(t0() + chrono::Duration::seconds(20)));
    assert_eq!(a.samples_age(), Some((20, false)));
    let later = t0() + chrono::Duration::seconds(60);
    let effects = a.update(Event::Data(Data::Waf(later, Ok(waf()))));
    assert!(fetches_samples(&effects, "block-xmlrpc"), "{effects:?}");
    // The answer never came: six minutes on, they are old, and `w` says so.
    a.update(Event::Tick(t0() + chrono::Duration::minutes(6)));
    assert_eq!(a.samples_age(), Some((360, true)));
    a.update(key('w'));
    let Some(Overlay::Talkers(t)) = &a.overlay else {
        panic!("no talkers: {:?}", a.status);
    };
    let stale = t.stale.as_deref().unwrap_or_default();
    assert!(
        stale.starts_with("STALE: read 6m ago (22:11:20–22:13:20)"),
        "{stale}"
    );
}

/// A filter that lands on a rule, or a jump from `p`, asks for that rule's samples as `Down`
/// does; the samples of the rule selected before are not shown under its name.
#[test]
fn any_change_of_selection_asks_for_the_selected_rules_samples() {
    let mut a = app(false);
    a.update(key('2'));
    a.update(code(KeyCode::Down));
    a.update(Event::Data(Data::Samples(
        t0(),
        Ok(xmlrpc_samples("block-xmlrpc")),
    )));
    assert_eq!(a.panels.samples.table.rows.len(), 1);
    a.update(key('/'));
    let mut effects = Vec::new();
    for c in "php".chars() {
        effects.extend(a.update(key(c)));
    }
    effects.extend(a.update(code(KeyCode::Enter)));
    assert_eq!(a.selected_rule().map(|(_, r)| r.name.as_str()), Some("php"));
    assert!(fetches_samples(&effects, "php"), "{effects:?}");
    assert!(a.selected_samples().is_none());
    assert!(
        a.panels.samples.table.rows.is_empty(),
        "another rule's samples shown"
    );
    a.update(Event::Data(Data::Samples(t0(), Ok(xmlrpc_samples("php")))));
    a.update(key('w'));
    assert!(
        matches!(a.overlay, Some(Overlay::Talkers(_))),
        "{:?}",
        a.status
    );
}

fn failover(primary: Health, secondary: Health) -> DnsView {
    let record = |id: &str, role: &str, health| Record {
        set_identifier: Some(id.into()),
        location: None,
        policy_detail: Some(role.into()),
        answer: Answer::Values {
            ttl: 60,
            values: vec!["203.0.113.80".into()],
        },
        health_check_id: Some(format!("hc-{id}")),
        health,
    };
    DnsView {
        unreadable: Vec::new(),
        zones: vec![HostedZone {
            account: None,
            name: "example.jp.".into(),
            id: "Z1".into(),
            private: false,
            record_sets: vec![RecordSet {
                name: "origin.example.jp.".into(),
                rtype: "A".into(),
                policy: RoutingPolicy::Failover,
                records: vec![
                    record("origin-primary", "PRIMARY", primary),
                    record("origin-sorry", "SECONDARY", secondary),
                ],
            }],
        }],
    }
}

/// (severity, text) of each problem the console counts.
fn problems_said(a: &App) -> Vec<(crate::problems::Severity, String)> {
    a.problems
        .iter()
        .map(|p| (p.severity, p.text.clone()))
        .collect()
}

/// A failover whose fallback is down while the primary serves is a warning, not a degraded
/// service; with the primary down it is degraded. A zone with no healthy target behind an ALB
/// (cross-zone load balancing) is served from the others: a warning, as the drain dialog says.
#[test]
fn severity_is_what_the_service_suffers() {
    use crate::problems::Severity;
    let mut a = app(false);
    a.update(Event::Data(Data::Dns(
        t0(),
        Ok(failover(Health::Healthy, Health::Unhealthy)),
    )));
    assert_eq!(
        problems_said(&a),
        vec![(
            Severity::Warning,
            "origin-sorry: failover has no healthy secondary".to_string()
        )]
    );
    a.update(Event::Data(Data::Dns(
        t0(),
        Ok(failover(Health::Unhealthy, Health::Healthy)),
    )));
    assert_eq!(problems_said(&a)[0].0, Severity::Degraded);

    a.update(Event::Data(Data::Dns(t0(), Ok(DnsView::default()))));
    let mut view = targets(TargetState::Healthy);
    let group = &mut view.load_balancers[0].target_groups[0];
    group.targets.retain(|t| t.id != "i-extra");
    group.targets[1].state = TargetState::Unhealthy;
    a.update(Event::Data(Data::Targets(t0(), Ok(view.clone()))));
    let zone = problems_said(&a)
        .into_iter()
        .find(|(_, text)| text.starts_with("zone ap-northeast-1c"));
    assert_eq!(
        zone,
        Some((
            Severity::Warning,
            "zone ap-northeast-1c: 0 of 1 healthy (served from the other zones: cross-zone load balancing)"
                .to_string()
        ))
    );
    // With cross-zone load balancing off, nothing else serves the zone.
    view.load_balancers[0].target_groups[0].cross_zone = Some(false);
    a.update(Event::Data(Data::Targets(t0(), Ok(view))));
    assert!(
        problems_said(&a)
            .iter()
            .any(|(s, t)| *s == Severity::Degraded && t == "zone ap-northeast-1c: 0 of 1 healthy"),
        "{:?}",
        problems_said(&a)
    );
}

fn pending(due: DateTime<Utc>, undo: Mutation) -> crate::action::Pending {
    crate::action::Pending {
        due,
        of: undo.summary(),
        undo,
        last_error: None,
        attempts: 0,
        account: None,
        endpoint: None,
        retry_at: None,
        failed_for_good: None,
    }
}

fn blocked_set(address: &str) -> IpSet {
    IpSet {
        account: None,
        name: "wp-blocked".into(),
        id: "set-1".into(),
        arn: "arn:ipset/wp-blocked".into(),
        scope: WafScope::Regional,
        region: "ap-northeast-1".into(),
        version: "IPV4".into(),
        addresses: vec![format!("{address}/32")],
        web_acl: "wp-acl".into(),
    }
}

/// `t 2 y` on a rule: the footer says when it is restored, and once the undo is kept its row
/// reads `Count ⟲ 08:07`. A blocked address's samples are marked with the expiry, and `w`'s
/// "Blocked now" list says it in full. A group reference the console left in Count is a
/// problem like a plain rule.
#[test]
fn timers_are_visible_where_the_operator_looks() {
    let mut a = app(false);
    a.update(key('2'));
    select(&mut a, PanelId::Waf, "rule:acl-1:block-xmlrpc");
    a.update(key('t'));
    a.update(key('2'));
    let effects = a.update(key('y'));
    let Some(Effect::Execute(toggle)) = effects
        .into_iter()
        .find(|e| matches!(e, Effect::Execute(_)))
    else {
        panic!("no toggle: {:?}", a.status);
    };
    let due = t0() + chrono::Duration::minutes(15);
    assert_eq!(toggle.until(), Some(due));
    a.update(Event::Done {
        mutation: toggle.clone(),
        at: t0(),
        result: Ok("WAF rule block-xmlrpc in wp-acl is now Count".into()),
    });
    let said = a
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    assert!(
        said.ends_with(&format!("restored at {} UTC", due.format("%H:%M"))),
        "{said}"
    );
    let mut counting = waf();
    counting.acls[0].rules[0].kind = RuleKind::Plain {
        action: RuleAction::Count,
    };
    counting.ip_sets = vec![blocked_set("198.51.100.77")];
    a.update(Event::Data(Data::Waf(t0(), Ok(counting))));
    let restore = toggle.undo().expect("a timed toggle has an undo");
    let block_ends = t0() + chrono::Duration::minutes(14);
    let unblock = Mutation::Unblock {
        set: crate::action::IpSetRef {
            account: None,
            region: "ap-northeast-1".into(),
            scope: WafScope::Regional,
            name: "wp-blocked".into(),
            id: "set-1".into(),
            arn: "arn:ipset/wp-blocked".into(),
            web_acl: "wp-acl".into(),
        },
        address: "198.51.100.77/32".into(),
    };
    a.update(Event::Pending(crate::action::Listing {
        pending: vec![pending(due, restore), pending(block_ends, unblock)],
        refused: vec![],
    }));
    let row = table(&a, PanelId::Waf)
        .table
        .rows
        .iter()
        .find(|r| r.key == "rule:acl-1:block-xmlrpc")
        .expect("the rule's row");
    assert_eq!(
        row.cells[1].text,
        format!("Count ⟲ {}", due.format("%H:%M"))
    );

    a.update(Event::Data(Data::Samples(
        t0(),
        Ok(xmlrpc_samples("block-xmlrpc")),
    )));
    let uri = &a.panels.samples.table.rows[0].cells[4].text;
    assert_eq!(
        uri,
        &format!("⊘ {} /xmlrpc.php", block_ends.format("%H:%M"))
    );
    a.update(key('w'));
    let Some(Overlay::Talkers(t)) = &a.overlay else {
        panic!("no talkers: {:?}", a.status);
    };
    let blocked = t
        .lists
        .iter()
        .find(|l| l.name == "Blocked now")
        .expect("Blocked now");
    assert!(
        blocked.rows[0].note.starts_with(&format!(
            "BLOCKED until {} (14 m left)",
            block_ends.format("%H:%M")
        )),
        "{}",
        blocked.rows[0].note
    );
    a.update(code(KeyCode::Esc));

    // The group reference set to Count by this console, and left so.
    select(&mut a, PanelId::Waf, "rule:acl-1:php");
    a.update(key('t'));
    let effects = a.update(key('y'));
    let Some(Effect::Execute(group)) = effects
        .into_iter()
        .find(|e| matches!(e, Effect::Execute(_)))
    else {
        panic!("no group toggle: {:?}", a.status);
    };
    a.update(Event::Done {
        mutation: group,
        at: t0(),
        result: Ok("WAF rule php in wp-acl is now Group (Count)".into()),
    });
    let mut both = waf();
    both.acls[0].rules[1].kind = RuleKind::Group {
        group: "AWS/AWSManagedRulesPHPRuleSet".into(),
        override_action: OverrideAction::Count,
        rule_overrides: vec![],
    };
    a.update(Event::Data(Data::Waf(t0(), Ok(both))));
    assert!(
        a.problems
            .iter()
            .any(|p| p.row.as_deref() == Some("rule:acl-1:php")
                && p.text.contains("left in Count")),
        "{:?}",
        problems_said(&a)
    );
}

/// Every console, a wall and a read-only one too, keeps what it saw change between two reads,
/// dated by the two reads; the same read again adds nothing.
#[test]
fn a_read_that_differs_from_the_one_before_is_kept_in_the_timeline() {
    let mut a = app(true);
    let first = a.timeline.len();
    let later = t0() + chrono::Duration::seconds(60);
    let effects = a.update(Event::Data(Data::Targets(
        later,
        Ok(targets(TargetState::Unhealthy)),
    )));
    // Handed out to be kept in the timeline file, a read-only console's too.
    assert!(
        effects.iter().any(
            |e| matches!(e, Effect::Timeline(v) if v.iter().any(|e| e.subject.id == "i-right"))
        ),
        "{effects:?}"
    );
    let seen: Vec<_> = a.timeline.iter().skip(first).collect();
    let e = seen
        .iter()
        .find(|e| e.subject.id == "i-right")
        .unwrap_or_else(|| panic!("not in the timeline: {seen:#?}"));
    assert_eq!(e.before.as_deref(), Some("healthy"));
    assert!(
        e.after
            .as_deref()
            .is_some_and(|s| s.starts_with("unhealthy"))
    );
    assert_eq!((e.since, e.time), (Some(t0()), later));
    let kept = a.timeline.len();
    a.update(Event::Data(Data::Targets(
        later + chrono::Duration::seconds(60),
        Ok(targets(TargetState::Unhealthy)),
    )));
    assert_eq!(
        a.timeline.len(),
        kept,
        "the same read twice is not a change"
    );
}

/// `T` lists what changed, newest first; `/` filters on the words shown; Enter goes to the row.
#[test]
fn the_timeline_view_filters_and_jumps_to_the_row_of_a_change() {
    let mut a = app(false);
    let later = t0() + chrono::Duration::seconds(60);
    a.update(Event::Data(Data::Targets(
        later,
        Ok(targets(TargetState::Unhealthy)),
    )));
    let mut counting = waf();
    counting.acls[0].rules[0].kind = crate::model::RuleKind::Plain {
        action: RuleAction::Count,
    };
    a.update(Event::Data(Data::Waf(
        later + chrono::Duration::seconds(30),
        Ok(counting),
    )));
    a.focus = PanelId::Dns;
    a.update(key('T'));
    let shown: Vec<String> = a
        .timeline_shown("")
        .iter()
        .map(|e| e.what.clone())
        .collect();
    assert_eq!(
        shown.first().map(String::as_str),
        Some("rule action"),
        "{shown:?}"
    );
    assert!(
        shown.iter().any(|w| w.starts_with("target state")),
        "{shown:?}"
    );
    for c in "/right".chars() {
        a.update(key(c));
    }
    a.update(code(KeyCode::Enter));
    assert_eq!(a.timeline_shown("right").len(), 1);
    assert!(matches!(&a.overlay, Some(Overlay::Timeline(t)) if t.filter == "right" && !t.typing));
    a.update(code(KeyCode::Enter));
    assert!(a.overlay.is_none());
    assert_eq!(a.focus, PanelId::Targets);
    assert_eq!(
        table(&a, PanelId::Targets).selected_key(),
        Some("t:arn:tg/ha-web-tg:i-right:80")
    );
}

/// A console whose session can say who made a change asks once a minute for the changes a call
/// may explain, and shows the answer; a refusal is said in `T`, not in a dialog.
#[test]
fn a_console_asks_who_made_the_changes_it_saw_once_a_minute() {
    let mut a = app(true);
    a.asks_who = true;
    let later = t0() + chrono::Duration::seconds(60);
    a.update(Event::Data(Data::Targets(
        later,
        Ok(targets(TargetState::Unhealthy)),
    )));
    let asked = a.update(Event::Tick(later + chrono::Duration::seconds(1)));
    let Some(Effect::AskWho(entries)) = asked.into_iter().next() else {
        panic!("nothing asked");
    };
    assert!(
        entries.iter().all(|e| e.what.starts_with("target state")),
        "{entries:#?}"
    );
    assert!(
        a.update(Event::Tick(later + chrono::Duration::seconds(30)))
            .is_empty(),
        "asked again within the minute"
    );
    let mut answered = entries.clone();
    answered[0].who = Some("assumed-role/Deployer/ci-bot (DeregisterTargets at 10:00:40)".into());
    let mut call = answered[0].clone();
    call.source = crate::timeline::Origin::Cloudtrail;
    call.what = "DeregisterTargets".into();
    a.update(Event::Who(Ok(vec![answered[0].clone(), call])));
    let shown = a.timeline_shown("ci-bot");
    assert_eq!(shown.len(), 2, "{shown:#?}");
    assert!(a.who_error.is_none());
    a.update(Event::Who(Err(
        "cloudtrail LookupEvents: AccessDenied".into()
    )));
    assert!(a.overlay.is_none(), "a background failure opened a dialog");
    assert_eq!(
        a.who_error.as_deref(),
        Some("cloudtrail LookupEvents: AccessDenied")
    );
}

/// However long a wall runs, its timeline in memory keeps the newest entries only.
#[test]
fn the_timeline_in_memory_stays_bounded() {
    let mut a = app(true);
    let entry = |i: i64| crate::timeline::Entry {
        time: t0() + chrono::Duration::seconds(i),
        since: None,
        account: None,
        region: "ap-northeast-1".into(),
        subject: crate::timeline::Subject {
            name: format!("t{i}"),
            id: format!("i-{i}"),
        },
        what: "target state in ha-web-tg".into(),
        before: None,
        after: None,
        who: None,
        source: crate::timeline::Origin::Observed,
        panel: PanelId::Targets,
        row: None,
    };
    a.keep_in_timeline((0..2500).map(entry).collect());
    assert_eq!(a.timeline.len(), super::TIMELINE_KEPT);
    assert_eq!(
        a.timeline.back().map(|e| e.subject.id.as_str()),
        Some("i-2499")
    );
}

#[test]
fn a_refresh_that_changes_nothing_finds_no_problem_again_and_one_that_does_does() {
    let mut a = app(false);
    let at = |secs: i64| t0() + chrono::Duration::seconds(secs);
    let unhealthy = |a: &App| {
        a.problems
            .iter()
            .filter(|p| p.panel == PanelId::Targets && !p.text.contains("refresh failed"))
            .count()
    };
    a.update(Event::Data(Data::Targets(
        at(0),
        Ok(targets(TargetState::Unhealthy)),
    )));
    assert!(unhealthy(&a) > 0, "an unhealthy target is a problem");
    let found = a.data_problems.as_ptr();
    let list = a.problems.as_ptr();
    a.update(Event::Data(Data::Targets(
        at(10),
        Ok(targets(TargetState::Unhealthy)),
    )));
    assert_eq!(
        (a.data_problems.as_ptr(), a.problems.as_ptr()),
        (found, list),
        "a refresh that changed nothing found the problems again"
    );

    // A failed refresh is said at once; the data it failed to replace keeps its problems.
    a.update(Event::Data(Data::Targets(at(20), Err("throttled".into()))));
    assert!(
        a.problems
            .iter()
            .any(|p| p.panel == PanelId::Targets && p.text == "last refresh failed: throttled"),
        "{:?}",
        a.problems
    );
    assert!(unhealthy(&a) > 0);

    // Data that moved is looked at again: the target is healthy, its problem gone.
    a.update(Event::Data(Data::Targets(
        at(30),
        Ok(targets(TargetState::Healthy)),
    )));
    assert_eq!(unhealthy(&a), 0, "{:?}", a.problems);
}

#[test]
fn a_tick_that_changes_no_problem_keeps_the_list_and_one_that_does_remakes_it() {
    let mut a = app(false);
    let at = |secs: i64| t0() + chrono::Duration::seconds(secs);
    a.update(Event::Data(Data::Targets(
        at(0),
        Ok(targets(TargetState::Unhealthy)),
    )));
    a.update(Event::Tick(at(1)));
    assert!(!a.problems.is_empty(), "an unhealthy target is a problem");
    let list = a.problems.clone();
    let kept = a.problems.as_ptr();
    a.update(Event::Tick(at(2)));
    assert_eq!(a.problems, list);
    assert_eq!(
        a.problems.as_ptr(),
        kept,
        "a tick that changed no problem built the list again"
    );

    // The clock still makes its problems: stale past twice the interval, its age moving on.
    let stale_at = 2 * Settings::default().interval(PanelId::Targets).as_secs() as i64 + 1;
    let stale = |a: &App| {
        a.problems
            .iter()
            .find(|p| p.panel == PanelId::Targets && p.text.starts_with("STALE"))
            .map(|p| p.text.clone())
    };
    a.update(Event::Tick(at(stale_at)));
    let first = stale(&a).expect("stale after twice the interval");
    a.update(Event::Tick(at(stale_at + 60)));
    let later = stale(&a).expect("still stale");
    assert_ne!(
        first, later,
        "the age of a stale panel moves with the clock"
    );
    assert!(a.problems.len() > list.len());
}
