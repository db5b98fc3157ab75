//! Rendered screens: every panel, zoomed and together, and every dialog, drawn with ratatui's
//! TestBackend from the demo world at a fixed time, compared with insta snapshots.

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsconsole::app::{App, Data, Event};
use opsconsole::config::{Keymap, Settings, Theme};
use opsconsole::model::PanelId;
use opsconsole::source::demo::{Clock, DemoWorld};
use opsconsole::{snapshot, ui, view::Role};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

const W: u16 = 160;
const H: u16 = 45;

fn at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-21T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// The demo world fetched once at a fixed instant, fed into a fresh console.
fn console(read_only: bool) -> App {
    console_since(read_only, 15)
}

/// [`console`] with WAF counts over the last `minutes` (as `--since`).
fn console_since(read_only: bool, minutes: u32) -> App {
    console_in(read_only, minutes, Accounts::One)
}

/// Which accounts the demo's rows are shown in.
#[derive(Clone, Copy, PartialEq)]
enum Accounts {
    /// The console's own only (no `[[account]]`): as every screen before accounts.
    One,
    /// Three watched: `cms-prod` (the CMS and HA stacks), `stage` (the rest) and `audit`,
    /// whose role cannot be assumed and which was never read.
    Three,
}

fn account(id: &str, name: &str) -> opsconsole::model::AccountRef {
    opsconsole::model::AccountRef {
        id: id.into(),
        name: name.into(),
    }
}

fn cms_prod() -> opsconsole::model::AccountRef {
    account("222222222222", "cms-prod")
}

fn stage() -> opsconsole::model::AccountRef {
    account("333333333333", "stage")
}

fn audit() -> opsconsole::model::AccountRef {
    account("444444444444", "audit")
}

const AUDIT_REFUSED: &str = "cannot assume arn:aws:iam::444444444444:role/OpsConsole: AccessDenied: not authorized to perform sts:AssumeRole";

/// The account a demo stack's thing is shown in, by its name (the CMS and HA stacks are
/// `cms-prod`'s).
fn account_of(name: &str) -> opsconsole::model::AccountRef {
    let cms = ["mt-", "ha-", "hwi-", "example.jp"];
    if cms.iter().any(|p| name.starts_with(p) || name.contains(p)) {
        cms_prod()
    } else {
        stage()
    }
}

/// Puts the world's rows in `accounts`: every account field cleared for one, or set by stack
/// for three, with `audit` not read in every panel.
fn in_accounts(w: &mut opsconsole::model::World, accounts: Accounts) {
    use opsconsole::model::Unreadable;
    let tag = |name: &str| (accounts == Accounts::Three).then(|| account_of(name));
    w.scope.accounts = match accounts {
        Accounts::One => vec![],
        Accounts::Three => vec![cms_prod(), stage(), audit()],
    };
    let refused = || Unreadable {
        account: None,
        place: audit().label(),
        error: AUDIT_REFUSED.into(),
        data_from: None,
    };
    let three = accounts == Accounts::Three;
    if let Some(v) = w.targets.value.as_mut() {
        v.load_balancers
            .iter_mut()
            .for_each(|lb| lb.account = tag(&lb.name));
        if three {
            v.unreadable.push(refused());
        }
    }
    if let Some(v) = w.waf.value.as_mut() {
        v.acls.iter_mut().for_each(|a| a.account = tag(&a.name));
        v.ip_sets
            .iter_mut()
            .for_each(|s| s.account = tag(&s.web_acl));
        if three {
            v.unreadable.push(refused());
        }
    }
    if let Some(v) = w.dns.value.as_mut() {
        v.zones.iter_mut().for_each(|z| z.account = tag(&z.name));
        if three {
            v.unreadable.push(refused());
        }
    }
    if let Some(v) = w.instances.value.as_mut() {
        v.instances.iter_mut().for_each(|i| {
            i.account = tag(i.name.as_deref().unwrap_or(&i.id));
        });
        if three {
            v.unreadable.push(refused());
        }
    }
}

/// [`console_since`] with the demo's rows in `accounts`.
fn console_in(read_only: bool, minutes: u32, accounts: Accounts) -> App {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let session = DemoWorld::with_waf_window(7, Clock::Fixed(at()), minutes).session();
    let collected = rt.block_on(snapshot::collect(
        &session,
        &snapshot::Options {
            log_backlog: 30,
            journal: None,
            pending: None,
            endpoint: None,
            since: chrono::Duration::minutes(i64::from(minutes)),
            intervals: vec![],
        },
    ));
    let mut w = collected.world;
    w.scope = session.sources.scope.clone();
    in_accounts(&mut w, accounts);
    let mut app = App::new(
        w.scope.clone(),
        Keymap::builtin("default").unwrap(),
        &Settings::default(),
        read_only,
        at(),
    );
    app.update(Event::Resize(W, H));
    app.update(Event::Data(Data::Targets(
        at(),
        w.targets.value.ok_or_else(String::new),
    )));
    app.update(Event::Data(Data::Waf(
        at(),
        w.waf.value.ok_or_else(String::new),
    )));
    app.update(Event::Data(Data::Dns(
        at(),
        w.dns.value.ok_or_else(String::new),
    )));
    app.update(Event::Data(Data::Instances(
        at(),
        w.instances.value.ok_or_else(String::new),
    )));
    app.world.logs = w.logs;
    // Select the busiest rule and show its sampled requests (which carry hostile text).
    if let Some(first) = collected.samples.into_iter().next() {
        let rule = first.rule.clone();
        select(&mut app, PanelId::Waf, &rule);
        app.update(Event::Data(Data::Samples(at(), Ok(first))));
    }
    app.update(Event::Tick(at() + chrono::Duration::seconds(12)));
    app
}

fn render(app: &App) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(W, H)).unwrap();
    let theme = Theme::load("dark", false).unwrap();
    terminal.draw(|f| ui::draw(f, app, &theme)).unwrap();
    terminal
}

fn press(app: &mut App, code: KeyCode) {
    app.update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn keys(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn select(app: &mut App, panel: PanelId, containing: &str) {
    let h = app.viewport(panel);
    let p = app.panels.get_mut(panel).unwrap();
    let key = p
        .table
        .rows
        .iter()
        .find(|r| r.cells.first().is_some_and(|c| c.text.contains(containing)))
        .map(|r| r.key.clone())
        .unwrap_or_else(|| panic!("no row containing {containing}"));
    p.select_key(&key, h);
}

#[test]
fn whole_console() {
    insta::assert_snapshot!(render(&console(false)).backend());
}

#[test]
fn each_panel_zoomed() {
    for panel in PanelId::ALL {
        let mut app = console(false);
        keys(&mut app, &panel.number().to_string());
        press(&mut app, KeyCode::Enter);
        insta::assert_snapshot!(
            format!("zoomed_{panel:?}").to_lowercase(),
            render(&app).backend()
        );
    }
}

#[test]
fn loading_before_any_data() {
    let mut app = App::new(
        opsconsole::model::Scope {
            mode: "demo".into(),
            ..Default::default()
        },
        Keymap::builtin("default").unwrap(),
        &Settings::default(),
        false,
        at(),
    );
    // As when `[[log]]` entries are configured: their tails have not answered yet.
    app.world.logs.followed = true;
    app.update(Event::Resize(W, H));
    insta::assert_snapshot!(render(&app).backend());
}

#[test]
fn failing_panel_keeps_its_data_and_says_why() {
    let mut app = console(false);
    app.update(Event::Data(Data::Targets(
        at() + chrono::Duration::seconds(60),
        Err("Throttling: Rate exceeded (retrying)".into()),
    )));
    app.update(Event::Data(Data::Dns(
        at(),
        Err("AccessDenied: route53:ListHostedZones".into()),
    )));
    app.update(Event::Tick(at() + chrono::Duration::seconds(95)));
    insta::assert_snapshot!(render(&app).backend());
}

#[test]
fn drain_confirmation() {
    let mut app = console(false);
    select(&mut app, PanelId::Targets, "ha-web-right");
    keys(&mut app, "d");
    insta::assert_snapshot!(render(&app).backend());
}

#[test]
fn last_healthy_target_asks_for_its_id() {
    let mut app = console(false);
    select(&mut app, PanelId::Targets, "mt-cms ");
    keys(&mut app, "d");
    keys(&mut app, "i-0");
    insta::assert_snapshot!(render(&app).backend());
}

#[test]
fn waf_toggle_confirmation() {
    let mut app = console(false);
    keys(&mut app, "2");
    select(&mut app, PanelId::Waf, "block-xmlrpc");
    keys(&mut app, "t");
    insta::assert_snapshot!(render(&app).backend());
}

/// Counting an Allow rule does not let its requests through: the dialog names the Block rule
/// after it that would now see them (seed S1: the office's CMS access).
#[test]
fn toggling_an_allow_rule_names_the_block_rule_after_it() {
    let mut app = console(false);
    keys(&mut app, "2");
    select(&mut app, PanelId::Waf, "mt-cms-allow-office");
    keys(&mut app, "t");
    let screen = format!("{}", render(&app).backend());
    assert!(
        screen.contains("mt-cms-block-non-office (Block)"),
        "{screen}"
    );
    assert!(!screen.contains("let through"), "{screen}");
    assert!(
        screen.contains("Proceed?"),
        "the question is cut off: {screen}"
    );
}

/// `p` shows every problem, worst first, with its panel and what it concerns.
#[test]
fn the_problems_view_lists_every_problem() {
    let mut app = console(false);
    keys(&mut app, "p");
    let screen = format!("{}", render(&app).backend());
    assert!(
        screen.contains(&format!("Problems ({})", app.problems.len())),
        "{screen}"
    );
    assert!(screen.contains("trace-member-03"), "{screen}");
    assert!(screen.contains("Enter go to its row"), "{screen}");
}

#[test]
fn help_overlay_comes_from_the_keymap() {
    let mut app = console(false);
    keys(&mut app, "?");
    insta::assert_snapshot!(render(&app).backend());
}

#[test]
fn filter_prompt() {
    let mut app = console(false);
    keys(&mut app, "/ha-web");
    insta::assert_snapshot!(render(&app).backend());
}

#[test]
fn read_only_says_so() {
    let mut app = console(true);
    select(&mut app, PanelId::Targets, "ha-web-right");
    keys(&mut app, "d");
    insta::assert_snapshot!(render(&app).backend());
}

/// Styles come from the theme's roles: a problem row is drawn in the problem style.
#[test]
fn problem_rows_use_the_problem_style() {
    let app = console(false);
    let terminal = render(&app);
    let theme = Theme::load("dark", false).unwrap();
    let buffer = terminal.backend().buffer();
    let problem = theme.style(Role::Problem);
    let row = (0..H)
        .find(|y| {
            let line: String = (0..W / 2)
                .map(|x| buffer[(x, *y)].symbol().to_string())
                .collect();
            line.contains("unused") || line.contains("unhealthy")
        })
        .expect("a problem row on screen");
    let styled = (0..W / 2).any(|x| {
        let cell = &buffer[(x, row)];
        cell.fg == problem.fg.unwrap_or(cell.fg) && problem.fg.is_some() && cell.symbol() != " "
    });
    assert!(
        styled || problem.fg.is_none(),
        "no cell in the problem style on row {row}"
    );
}

#[test]
fn register_again_confirmation() {
    let mut app = console(false);
    select(&mut app, PanelId::Targets, "ha-web-right");
    let (target, _) = app.selected_target().expect("target");
    app.update(Event::Done {
        mutation: opsconsole::action::Mutation::Drain { target },
        at: at(),
        result: Ok("ha-web-right is draining".into()),
    });
    keys(&mut app, "u");
    insta::assert_snapshot!(render(&app).backend());
}

#[test]
fn a_refused_action_says_why() {
    let mut app = console(false);
    keys(&mut app, "2");
    select(&mut app, PanelId::Waf, "block-xmlrpc");
    keys(&mut app, "t");
    let effects = app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('y'),
        KeyModifiers::NONE,
    )));
    let Some(opsconsole::app::Effect::Execute(m)) = effects.into_iter().next() else {
        panic!("no execute")
    };
    app.update(Event::Done {
        mutation: m,
        at: at() + chrono::Duration::seconds(12),
        result: Err("someone changed web ACL hwi-web-acl between our read and our write (rule block-wp-admin-outside: Block → Count); nothing was overwritten — review and confirm again".into()),
    });
    insta::assert_snapshot!(render(&app).backend());
}

fn render_with(app: &App, theme: &str) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(W, H)).unwrap();
    let theme = Theme::load(theme, false).unwrap();
    terminal.draw(|f| ui::draw(f, app, &theme)).unwrap();
    terminal
}

#[test]
fn wall_fresh() {
    let app = console(true).into_wall(None);
    insta::assert_snapshot!(render_with(&app, "high-contrast").backend());
}

#[test]
fn wall_stale_data_says_so_on_every_panel() {
    let mut app = console(true).into_wall(None);
    // Five minutes without a successful refresh: every polled panel is past twice its interval.
    app.update(Event::Tick(at() + chrono::Duration::minutes(5)));
    let terminal = render_with(&app, "high-contrast");
    let screen = format!("{}", terminal.backend());
    assert!(screen.matches("STALE 5m").count() >= 2, "{screen}");
    // The stale badge is drawn in the stale style.
    let theme = Theme::load("high-contrast", false).unwrap();
    let buffer = terminal.backend().buffer();
    let found = (0..H).any(|y| {
        (0..W).any(|x| {
            buffer[(x, y)].symbol() == "S"
                && buffer[(x, y)].fg == theme.style(Role::Stale).fg.unwrap_or_default()
        })
    });
    assert!(found, "no STALE badge in the stale colour");
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn wall_with_expired_credentials_keeps_data_and_says_how_to_fix() {
    let mut app = console(true);
    app.world.scope.profile = Some("noc".into());
    let mut app = app.into_wall(None);
    let later = at() + chrono::Duration::minutes(3);
    for data in [
        Data::Targets(later, Err("elbv2 DescribeLoadBalancers: ExpiredToken: The security token included in the request is expired".into())),
        Data::Waf(later, Err("wafv2 ListWebACLs: ExpiredToken: The security token included in the request is expired".into())),
    ] {
        app.update(Event::Data(data));
    }
    app.update(Event::Tick(later));
    let screen = format!("{}", render_with(&app, "high-contrast").backend());
    assert!(
        screen.contains("Run: aws sso login --profile noc"),
        "{screen}"
    );
    assert!(
        screen.contains("ha-web-left"),
        "the last data stays visible"
    );
    insta::assert_snapshot!(render_with(&app, "high-contrast").backend());
}

#[test]
fn tails_side_by_side() {
    let mut app = console(false);
    keys(&mut app, "5");
    press(&mut app, KeyCode::Enter);
    keys(&mut app, "v");
    let screen = format!("{}", render(&app).backend());
    for source in ["▌ha-web-left", "▌ha-web-right", "▌s5-nginx-proxy"] {
        assert!(
            screen.contains(source),
            "{source} column missing:\n{screen}"
        );
    }
    insta::assert_snapshot!(render(&app).backend());
}

#[test]
fn log_search_highlights_its_matches() {
    let mut app = console(false);
    press(&mut app, KeyCode::Char('5'));
    press(&mut app, KeyCode::Enter);
    keys(&mut app, "sHTTP/1.1");
    let terminal = render(&app);
    insta::assert_snapshot!(terminal.backend());
    let theme = Theme::load("dark", false).unwrap();
    let selection = theme.style(Role::Selection);
    let buffer = terminal.backend().buffer();
    // Every on-screen "HTTP/1.1" is drawn in the selection style, and nothing else is.
    let mut highlighted = 0;
    for y in 1..H - 1 {
        let line: String = (0..W)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        // The panel's title names the search; the lines below it are what is highlighted.
        if line.contains("search: HTTP/1.1") {
            continue;
        }
        if let Some(at) = line.find("HTTP/1.1") {
            let x = line[..at].chars().count() as u16;
            let cell = &buffer[(x, y)];
            let styled = selection.fg.is_none_or(|fg| cell.fg == fg)
                && selection.bg.is_none_or(|bg| cell.bg == bg)
                && cell.modifier.contains(selection.add_modifier);
            assert!(styled, "row {y} not highlighted: {line}");
            highlighted += 1;
        }
    }
    assert!(highlighted > 0, "no match on screen");
}

#[test]
fn passphrase_dialog_shows_dots() {
    let mut app = console(false);
    app.update(Event::PassphraseWanted {
        id: 1,
        key_file: "/home/ops/.ssh/ops_ed25519".into(),
    });
    keys(&mut app, "secret");
    let screen = render(&app).backend().to_string();
    assert!(!screen.contains("secret"), "the passphrase shows");
    insta::assert_snapshot!(screen);
}

/// No `[[log]]` entry and no tail started: the Logs panel says how to follow one instead of
/// spinning forever.
#[test]
fn a_console_following_no_log_says_how_to_follow_one() {
    let mut app = console(false);
    app.world.logs = opsconsole::model::LogBuffer::with_capacity(100);
    press(&mut app, KeyCode::Char('5'));
    press(&mut app, KeyCode::Enter);
    let screen = format!("{:?}", render(&app).backend());
    assert!(screen.contains("no log followed"), "{screen}");
    assert!(!screen.contains("loading"), "{screen}");
}

/// A problem names a record by its set identifier; the row shows it, so a filter finds it.
#[test]
fn a_record_named_by_a_problem_is_found_by_a_filter() {
    let mut app = console(false);
    keys(&mut app, "3");
    keys(&mut app, "/origin-sorry");
    press(&mut app, KeyCode::Enter);
    let screen = format!("{}", render(&app).backend());
    assert!(screen.contains("SECONDARY origin-sorry"), "{screen}");
}

/// In the Logs panel `s` is search: the footer does not offer it as sort, the help lists `s`
/// once, an active search shows in the title and Esc clears it; in the help, End shows the last
/// keys instead of an empty box.
#[test]
fn the_logs_panel_keys_say_what_they_do() {
    let mut app = console(false);
    keys(&mut app, "5");
    let screen = format!("{}", render(&app).backend());
    let footer = screen.lines().last().unwrap_or_default().to_string();
    assert!(!footer.contains("s sort"), "{footer}");

    keys(&mut app, "?");
    let help = format!("{}", render(&app).backend());
    let s_lines = help.lines().filter(|l| l.contains("  s         ")).count();
    assert_eq!(s_lines, 1, "s listed {s_lines} times:\n{help}");
    // On a short terminal the help does not fit: End scrolls to its last keys, and scrolling on
    // never runs into an empty box.
    let short = |app: &App| {
        let mut terminal = Terminal::new(TestBackend::new(W, 24)).unwrap();
        let theme = Theme::load("dark", false).unwrap();
        terminal.draw(|f| ui::draw(f, app, &theme)).unwrap();
        format!("{}", terminal.backend())
    };
    assert!(short(&app).contains("Logs panel"));
    press(&mut app, KeyCode::End);
    let end = short(&app);
    assert!(
        end.contains("by HTTP status class") && !end.contains("Everywhere"),
        "End shows the last lines (the legend), scrolled:\n{end}"
    );
    for _ in 0..50 {
        press(&mut app, KeyCode::Down);
    }
    let past = short(&app);
    assert!(
        past.contains("by HTTP status class"),
        "scrolled past the end:\n{past}"
    );
    press(&mut app, KeyCode::Esc);

    keys(&mut app, "sGET");
    press(&mut app, KeyCode::Enter);
    let searching = format!("{}", render(&app).backend());
    assert!(searching.contains("search: GET"), "{searching}");
    press(&mut app, KeyCode::Esc);
    let cleared = format!("{}", render(&app).backend());
    assert!(
        !cleared.contains("search: GET"),
        "Esc clears the search:\n{cleared}"
    );
}

/// Credentials that could not be resolved at start: the sentence with its fix, full width in the
/// footer, while no panel has data; gone once a panel is read (an `aws sso login` elsewhere).
#[test]
fn a_credential_problem_at_start_is_shown_full_width_until_data_comes() {
    let mut app = App::new(
        opsconsole::model::Scope::default(),
        Keymap::builtin("default").unwrap(),
        &Settings::default(),
        true,
        at(),
    );
    app.update(Event::Resize(W, H));
    app.credential_problem = Some(
        "AWS SSO profile `prod` is not logged in, or its session expired: run `aws sso login --profile prod`"
            .into(),
    );
    let screen = format!("{}", render(&app).backend());
    let footer = screen.lines().last().unwrap_or_default().to_string();
    assert!(
        footer.contains("run `aws sso login --profile prod`"),
        "{footer}"
    );
    let view = console(true)
        .world
        .instances
        .value
        .clone()
        .expect("instances");
    app.update(Event::Data(Data::Instances(at(), Ok(view))));
    let screen = format!("{}", render(&app).backend());
    let footer = screen.lines().last().unwrap_or_default().to_string();
    assert!(!footer.contains("aws sso login"), "{footer}");
}

/// Managed rule groups read by what differs, at 120 and 160 columns: `SQLi (AWS)`, `Common
/// (AWS)`, never the vendor's boilerplate (`AWS-AWS…QLiRuleSet`), and no two alike.
#[test]
fn managed_rule_group_names_stay_distinguishable() {
    for width in [120u16, 160] {
        let app = console(false);
        let mut terminal = Terminal::new(TestBackend::new(width, H)).unwrap();
        let theme = Theme::load("dark", false).unwrap();
        terminal.draw(|f| ui::draw(f, &app, &theme)).unwrap();
        let screen = format!("{}", terminal.backend());
        assert!(!screen.contains("AWSManagedRules"), "{width}: {screen}");
        assert!(!screen.contains("AWS-AWS"), "{width}: {screen}");
        // The WAF panel's rows of managed groups: "  1 Common (AWS)   Group (Count) …".
        let labels: Vec<String> = screen
            .lines()
            .filter_map(|l| {
                let end = l.find(" (AWS)")?;
                let start = l[..end].rfind(|c: char| c.is_ascii_digit())? + 1;
                Some(l[start..end].trim().to_string())
            })
            .collect();
        assert!(labels.iter().any(|l| l == "Common"), "{width}: {labels:?}");
        let rows_per_acl: std::collections::BTreeSet<&String> = labels.iter().collect();
        assert!(rows_per_acl.len() >= 2, "{width}: {labels:?}");
        for label in &labels {
            assert!(
                label.chars().count() >= 4,
                "{width}: {label:?} tells nothing"
            );
        }
    }
}

/// A tail that waits (for a connection, an SSH greeting…) says for what, naming the host; when
/// it gives up the panel says why and that it retries; lines end the wait. With lines already
/// shown, a reconnect's wait takes the last line.
#[test]
fn a_waiting_tail_names_what_it_waits_for() {
    use opsconsole::model::LogEntry;
    use opsconsole::source::LogBatch;
    let mut app = console(false);
    app.world.logs = opsconsole::model::LogBuffer::with_capacity(100);
    app.world.logs.followed = true;
    keys(&mut app, "5");
    press(&mut app, KeyCode::Enter);
    let greeting = "waiting for the SSH greeting from 10.0.1.5:22 (up to 15 s)";
    app.update(Event::Data(Data::Logs(
        at(),
        LogBatch::waiting("web-app", greeting),
    )));
    let screen = render(&app).backend().to_string();
    assert!(
        screen.contains(&format!("⋯ web-app: {greeting}")),
        "{screen}"
    );
    assert!(!screen.contains("waiting for lines"), "{screen}");

    let gave_up =
        "10.0.1.5:22 accepted the connection but sent no SSH greeting within 15 s; retrying in 2 s";
    app.update(Event::Data(Data::LogError(
        at(),
        "web-app".into(),
        gave_up.into(),
    )));
    let screen = render(&app).backend().to_string();
    assert!(
        screen.contains(&format!("✗ web-app: {gave_up}")),
        "{screen}"
    );
    assert!(
        !screen.contains(greeting),
        "a wait given up on still shows: {screen}"
    );

    let line = |text: &str| LogEntry::Line {
        received_at: at(),
        text: text.into(),
    };
    app.update(Event::Data(Data::Logs(
        at(),
        LogBatch::lines("web-app", vec![line("GET /health 200")]),
    )));
    let screen = render(&app).backend().to_string();
    assert!(screen.contains("GET /health 200"), "{screen}");
    assert!(!screen.contains("no SSH greeting"), "{screen}");

    let reconnecting = "connecting to 10.0.1.5:22 (up to 10 s)";
    app.update(Event::Data(Data::Logs(
        at(),
        LogBatch::waiting("web-app", reconnecting),
    )));
    let screen = render(&app).backend().to_string();
    assert!(screen.contains("GET /health 200"), "{screen}");
    assert!(
        screen.contains(&format!("⋯ web-app: {reconnecting}")),
        "{screen}"
    );
    // Live again: an empty batch ends the wait even when the log is quiet.
    app.update(Event::Data(Data::Logs(
        at(),
        LogBatch::lines("web-app", vec![]),
    )));
    let screen = render(&app).backend().to_string();
    assert!(!screen.contains(reconnecting), "{screen}");
}

/// The help for a panel carries its legend: what `[live]`, `Sys/Inst check` or `Group (None)`
/// mean is on the screen where they are shown.
#[test]
fn the_help_of_each_panel_explains_its_marks() {
    for (panel, marks) in [
        (
            "1",
            &[
                "[live]",
                "[standby]",
                "scheme (internet-facing or internal)",
            ][..],
        ),
        ("2", &["Group (None)", "Count", "metrics off"][..]),
        ("3", &["PRIMARY", "not checked"][..]),
        (
            "4",
            &[
                "Sys/Inst check",
                "system status check / instance status check",
            ][..],
        ),
        ("5", &["connection lost"][..]),
    ] {
        let mut app = console(false);
        keys(&mut app, panel);
        keys(&mut app, "?");
        // The legend is last: scroll to the end.
        press(&mut app, KeyCode::End);
        let screen = render(&app).backend().to_string();
        assert!(screen.contains("panel shows"), "{screen}");
        for mark in marks {
            assert!(
                screen.contains(mark),
                "panel {panel}: no {mark} in {screen}"
            );
        }
    }
}

/// `c` copies the selected row's whole id or ARN (which its cells may cut), also in read-only
/// mode; the same text is shown under the focused panel, shortened in the middle when it must
/// be; on a row with nothing to copy it says so and copies nothing.
#[test]
fn c_copies_the_selected_rows_whole_id_and_shows_it() {
    use opsconsole::app::Effect;
    let mut app = console(true);
    keys(&mut app, "1");
    select(&mut app, PanelId::Targets, "mt-web-tg [live]");
    let arn = app
        .world
        .targets
        .value
        .as_ref()
        .and_then(|v| {
            v.load_balancers
                .iter()
                .flat_map(|lb| &lb.target_groups)
                .find(|tg| tg.name == "mt-web-tg")
        })
        .map(|tg| tg.arn.clone())
        .unwrap_or_else(|| panic!("mt-web-tg in the demo"));
    let effects = app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::NONE,
    )));
    assert_eq!(effects, vec![Effect::Copy(arn.clone())]);
    let screen = render(&app).backend().to_string();
    let tail = &arn[arn.len() - 16..];
    assert!(
        screen.contains(tail),
        "the ARN's end is not shown: {screen}"
    );
    assert!(
        screen.contains("copied arn:aws:elasticloadbalancing"),
        "{screen}"
    );
    // Zoomed, the whole ARN fits.
    press(&mut app, KeyCode::Enter);
    assert!(render(&app).backend().to_string().contains(&arn));

    keys(&mut app, "5");
    let effects = app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::NONE,
    )));
    assert!(effects.is_empty(), "{effects:?}");
    assert!(
        render(&app)
            .backend()
            .to_string()
            .contains("nothing to copy")
    );
}

/// A wall tall enough lists its problems, worst first, without anyone pressing `p`; a short one
/// keeps every row for the panels.
#[test]
fn a_tall_wall_lists_its_problems() {
    let app = console(true).into_wall(None);
    let worst = app
        .problems
        .first()
        .map(|p| p.text.clone())
        .unwrap_or_default();
    assert!(!worst.is_empty(), "the demo has problems");
    let screen = render_with(&app, "high-contrast").backend().to_string();
    assert!(
        screen.contains(&format!("Problems ({})", app.problems.len())),
        "{screen}"
    );
    assert!(screen.contains(&worst), "{screen}");
    // Five listed at most; the rest counted.
    assert!(
        screen.contains(&format!("… and {} more", app.problems.len() - 4)),
        "{screen}"
    );
    let mut terminal = Terminal::new(TestBackend::new(W, 30)).unwrap();
    let theme = Theme::load("high-contrast", false).unwrap();
    terminal.draw(|f| ui::draw(f, &app, &theme)).unwrap();
    let short = terminal.backend().to_string();
    assert!(!short.contains("Problems ("), "{short}");
    // Not on the interactive console, which has `p`.
    let console = render(&console(true)).backend().to_string();
    assert!(!console.contains("Problems ("), "{console}");
}

/// One letter per theme role, in `Role::ALL` order: what `role_map` writes for a cell.
const ROLE_LETTERS: [char; 14] = [
    'n', 'm', 'o', 'w', 'P', 's', 'b', 'f', 'S', 'h', 't', 'i', 'k', 'd',
];

/// A theme in which each role has its own colour (index 1 to 14) with the shipped (`dark`)
/// theme's modifiers, so a drawn screen can be read back as the role of every cell; except the
/// selection, which is exactly as shipped (reversed video, no colour of its own: a selected
/// problem row keeps its colour), and so is read back from the modifiers.
fn role_theme() -> Theme {
    use ratatui::style::Modifier;
    let shipped = Theme::load("dark", false).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roles.toml");
    let mut text = String::from("name = \"roles\"\n\n[roles]\n");
    for (i, role) in Role::ALL.iter().enumerate() {
        let style = shipped.style(*role);
        let mut fields: Vec<String> = match (role, style.fg) {
            (Role::Selection, Some(c)) => vec![format!("fg = \"{c}\"")],
            (Role::Selection, None) => vec![],
            _ => vec![format!("fg = \"{}\"", i + 1)],
        };
        for (m, name) in [
            (Modifier::BOLD, "bold"),
            (Modifier::DIM, "dim"),
            (Modifier::ITALIC, "italic"),
            (Modifier::UNDERLINED, "underlined"),
            (Modifier::REVERSED, "reversed"),
        ] {
            if style.add_modifier.contains(m) {
                fields.push(format!("{name} = true"));
            }
        }
        text.push_str(&format!("{} = {{ {} }}\n", role.name(), fields.join(", ")));
    }
    std::fs::write(&path, text).unwrap();
    Theme::load(path.to_str().unwrap(), false).unwrap()
}

/// The screen as roles and modifiers, from one drawing: the letter of each cell's role (`.` for
/// a cell no role colours, `?` for a colour no role has), then, after a blank line, each cell's
/// modifiers (`r` reversed, `R` reversed with others, `b` bold, `i` italic, `d` dim, `u`
/// underlined, `+` another mix, `.` none), so a golden holds what is highlighted, not only what
/// is written. The third part is the text, for finding rows.
fn role_map_with_text(app: &App) -> (String, Vec<String>, Vec<String>) {
    use ratatui::style::Modifier;
    let mut terminal = Terminal::new(TestBackend::new(W, H)).unwrap();
    let theme = role_theme();
    terminal.draw(|f| ui::draw(f, app, &theme)).unwrap();
    let buffer = terminal.backend().buffer();
    let grid = |cell: &dyn Fn(&ratatui::buffer::Cell) -> char| -> Vec<String> {
        (0..H)
            .map(|y| (0..W).map(|x| cell(&buffer[(x, y)])).collect())
            .collect()
    };
    let roles = grid(&|c| match c.fg {
        ratatui::style::Color::Indexed(n) if (1..=14).contains(&n) => {
            ROLE_LETTERS[usize::from(n) - 1]
        }
        ratatui::style::Color::Reset => '.',
        _ => '?',
    });
    let modifiers = grid(&|c| {
        let m = c.modifier;
        let others = m - Modifier::REVERSED;
        if m.contains(Modifier::REVERSED) {
            return if others.is_empty() { 'r' } else { 'R' };
        }
        match m {
            m if m.is_empty() => '.',
            Modifier::BOLD => 'b',
            Modifier::ITALIC => 'i',
            Modifier::DIM => 'd',
            Modifier::UNDERLINED => 'u',
            _ => '+',
        }
    });
    let text = grid(&|c| c.symbol().chars().next().unwrap_or(' '));
    let map = format!("{}\n\n{}", roles.join("\n"), modifiers.join("\n"));
    (map, modifiers, text)
}

fn role_map(app: &App) -> String {
    role_map_with_text(app).0
}

/// Goldens of roles and modifiers, not characters: the selected row's reversed video, problem
/// and stale styles, a dialog's colours. Deleting the selection highlight, or only its reversed
/// video, changes the first of these.
#[test]
fn roles_of_every_cell() {
    let mut app = console(false);
    select(&mut app, PanelId::Targets, "trace-member-03");
    let (whole, modifiers, text) = role_map_with_text(&app);
    // The Targets panel's inside (its borders at 0 and 79): one row reversed across it, the
    // selected target's.
    let selected: Vec<&str> = (0..usize::from(H))
        .filter(|&y| modifiers[y][1..79].chars().all(|m| m == 'r' || m == 'R'))
        .map(|y| &text[y][..])
        .collect();
    assert_eq!(selected.len(), 1, "not one selected row:\n{whole}");
    // Its name stays whole, the id is cut (the whole id is in the detail line).
    assert!(selected[0].contains("trace-member-03 i-"), "{selected:?}");
    assert!(
        whole.contains('P') && whole.contains('w'),
        "no problem or warning:\n{whole}"
    );
    insta::assert_snapshot!("roles_whole_console", whole);

    let mut wall = console(true).into_wall(None);
    wall.update(Event::Tick(at() + chrono::Duration::minutes(5)));
    let stale = role_map(&wall);
    assert!(stale.contains('s'), "no stale badge:\n{stale}");
    insta::assert_snapshot!("roles_stale_wall", stale);

    let mut dialog = console(false);
    select(&mut dialog, PanelId::Targets, "mt-web-01");
    press(&mut dialog, KeyCode::Char('d'));
    let confirm = role_map(&dialog);
    assert!(confirm.contains("dddd"), "no dialog:\n{confirm}");
    insta::assert_snapshot!("roles_drain_dialog", confirm);
}

/// The `/xmlrpc.php` flood's clients (seed S4), most first, with their countries; then the
/// block dialog for the top one: its country, its share of the sample, the IP set against its
/// quota, the Block rule that makes it matter, and the lifetime (1 h chosen).
#[test]
fn who_is_hitting_a_rule_and_blocking_the_top_address() {
    let mut app = console(false);
    keys(&mut app, "2");
    select(&mut app, PanelId::Waf, "block-xmlrpc");
    let (acl, rule) = app
        .selected_rule()
        .map(|(a, r)| (a.id.clone(), r.name.clone()))
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let session = DemoWorld::new(7, Clock::Fixed(at())).session();
    let samples = rt
        .block_on(session.sources.samples.sampled_requests(&acl, &rule))
        .unwrap();
    app.update(Event::Data(Data::Samples(at(), Ok(samples))));
    keys(&mut app, "w");
    let who = render(&app);
    let text = format!("{:?}", who.backend());
    assert!(
        text.contains("198.51.100.77") && text.contains("RU"),
        "the flood's top client"
    );
    insta::assert_snapshot!("who_is_hitting_block_xmlrpc", who.backend());
    keys(&mut app, "b");
    insta::assert_snapshot!("block_the_top_address", render(&app).backend());
}

/// The logs panel's clients, paths and status classes (seed S5's scanners among them), and
/// `t` on a rule offering Count for a while.
#[test]
fn who_is_in_the_logs_and_counting_for_a_while() {
    let mut app = console(false);
    keys(&mut app, "5w");
    insta::assert_snapshot!("who_is_in_the_logs", render(&app).backend());
    press(&mut app, KeyCode::Tab);
    insta::assert_snapshot!("who_is_in_the_logs_paths", render(&app).backend());
    press(&mut app, KeyCode::Esc);
    keys(&mut app, "2");
    select(&mut app, PanelId::Waf, "WordPress (AWS)");
    keys(&mut app, "t2");
    insta::assert_snapshot!("count_for_15_minutes", render(&app).backend());
}

/// Undos this console scheduled: the restore of a rule's Count in 15 minutes and an address's
/// removal in 74 (the header counts down to the first), and one that failed for good (a
/// problem, not counted).
fn scheduled_undos() -> opsconsole::action::Listing {
    use opsconsole::action::{IpSetRef, Mutation, Pending, RuleRef};
    use opsconsole::model::{RuleAction, RuleKind, WafScope};
    let pending = |minutes: i64, undo: Mutation| Pending {
        due: at() + chrono::Duration::minutes(minutes),
        undo,
        of: String::new(),
        last_error: None,
        attempts: 0,
        account: None,
        endpoint: None,
        retry_at: None,
        failed_for_good: None,
    };
    let restore = Mutation::SetRule {
        rule: RuleRef {
            account: None,
            region: "us-east-1".into(),
            scope: WafScope::Regional,
            acl_name: "hwi-web-acl".into(),
            acl_id: "acl".into(),
            rule: "block-xmlrpc".into(),
        },
        from: RuleKind::Plain {
            action: RuleAction::Count,
        },
        to: RuleKind::Plain {
            action: RuleAction::Block,
        },
        until: None,
    };
    let set = IpSetRef {
        account: None,
        region: "us-east-1".into(),
        scope: WafScope::Regional,
        name: "hwi-blocked-addresses".into(),
        id: "id".into(),
        arn: "arn:set".into(),
        web_acl: "hwi-web-acl".into(),
    };
    let removal = |address: &str| Mutation::Unblock {
        set: set.clone(),
        address: address.into(),
    };
    opsconsole::action::Listing {
        pending: vec![
            pending(15, restore),
            pending(74, removal("198.51.100.9/32")),
            Pending {
                failed_for_good: Some("WAFNonexistentItemException".into()),
                ..pending(-30, removal("198.51.100.23/32"))
            },
        ],
        refused: vec![],
    }
}

/// The first row of the screen: the header.
fn header_line(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    (0..buffer.area.width)
        .map(|x| buffer[(x, 0)].symbol().to_string())
        .collect()
}

/// `q` with undos scheduled: what they are, that nobody carries them out unless a console
/// with write access runs, and r / k / Esc (stay, the default). The header counts down to the
/// next one.
#[test]
fn quitting_with_undos_scheduled_asks_first() {
    let mut app = console(false);
    app.update(Event::Pending(scheduled_undos()));
    let header = header_line(&render(&app));
    assert!(
        header.contains("⟲ 2 scheduled · next 10:15 (in 15 m)"),
        "{header}"
    );
    // The targets zoomed: the dialog over a panel that stays as it is.
    keys(&mut app, "1");
    press(&mut app, KeyCode::Enter);
    keys(&mut app, "q");
    insta::assert_snapshot!(render(&app).backend());
}

/// A wall carries nothing out but shows what is scheduled, and when.
#[test]
fn the_wall_shows_scheduled_undos() {
    let mut app = console(true).into_wall(None);
    app.update(Event::Pending(scheduled_undos()));
    let header = header_line(&render_with(&app, "high-contrast"));
    assert!(
        header.contains("⟲ 2 scheduled · next 10:15 (in 15 m)"),
        "{header}"
    );
    // And quits at once: there is nothing it could carry out.
    let quit = app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('q'),
        KeyModifiers::NONE,
    )));
    assert_eq!(quit, vec![opsconsole::app::Effect::Quit]);
}

/// README's screen is the one the demo draws (the whole console at 160×45, demo seed 7, at a
/// fixed time), not a capture that ages: regenerate it with `UPDATE_README=1 cargo test --test
/// ui the_readme_shows`.
#[test]
fn the_readme_shows_the_screen_the_demo_draws() {
    let drawn: String = format!("{}", render(&console(false)).backend())
        .lines()
        .map(|l| {
            let inner = l
                .strip_prefix('"')
                .and_then(|l| l.strip_suffix('"'))
                .unwrap_or(l);
            format!("{}\n", inner.trim_end())
        })
        .collect();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let intro = "What you see on a 160×45 terminal";
    let start = readme
        .find(intro)
        .and_then(|i| {
            readme[i..]
                .find("```text\n")
                .map(|j| i + j + "```text\n".len())
        })
        .expect("README's screen");
    let end = start + readme[start..].find("```").expect("end of the screen");
    if std::env::var_os("UPDATE_README").is_some() {
        let updated = format!("{}{drawn}{}", &readme[..start], &readme[end..]);
        std::fs::write(&path, updated).expect("README.md");
        return;
    }
    assert_eq!(
        &readme[start..end],
        drawn,
        "README.md's screen is not what the demo draws: UPDATE_README=1 cargo test --test ui the_readme_shows"
    );
}

fn render_at(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let theme = Theme::load("dark", false).unwrap();
    terminal.draw(|f| ui::draw(f, app, &theme)).unwrap();
    terminal
}

/// The sampled requests carry their own age, like every figure, at 120×35 and 200×60: read
/// with the panel they say "12s ago"; not read again for three minutes, they are STALE, and
/// `w` counting from them says so in its title.
#[test]
fn sampled_requests_show_their_age() {
    for (width, height) in [(120u16, 35u16), (200, 60)] {
        let mut app = console(false);
        app.update(Event::Resize(width, height));
        keys(&mut app, "2");
        let fresh = render_at(&app, width, height);
        let text = format!("{:?}", fresh.backend());
        assert!(text.contains("block-xmlrpc  12s ago"), "{text}");
        insta::assert_snapshot!(format!("samples_fresh_{width}x{height}"), fresh.backend());
        app.update(Event::Tick(at() + chrono::Duration::minutes(3)));
        keys(&mut app, "w");
        let old = render_at(&app, width, height);
        let text = format!("{:?}", old.backend());
        assert!(text.contains("STALE 3m"), "{text}");
        insta::assert_snapshot!(format!("samples_stale_{width}x{height}"), old.backend());
        // `b` from the same list: the dialog says how old the count is.
        keys(&mut app, "b");
        let text = format!("{:?}", render_at(&app, width, height).backend());
        assert!(
            text.contains("Block") && text.contains("STALE: read 3m ago"),
            "{text}"
        );
    }
}

/// After `t 2 y` on `block-xmlrpc` and a block of the flood's top address for an hour, at
/// 120×35 and 200×60: the rule's row reads `Count ⟲ 10:15` (when it is restored), the
/// address's sampled requests are marked `⊘ 11:00` (when it is let through again), and `w`'s
/// "Blocked now" list says both the time and the minutes left, before the set's name.
#[test]
fn timers_are_shown_on_the_rows_they_concern() {
    use opsconsole::action::{IpSetRef, Listing, Mutation, Pending, RuleRef};
    use opsconsole::model::{RuleAction, RuleKind};
    for (width, height) in [(120u16, 35u16), (200, 60)] {
        let mut app = console(false);
        app.update(Event::Resize(width, height));
        keys(&mut app, "2");
        let (acl, rule) = app
            .selected_rule()
            .map(|(a, r)| (a.clone(), r.name.clone()))
            .unwrap();
        let mut waf = app.world.waf.value.clone().unwrap();
        let set = waf
            .ip_sets
            .iter_mut()
            .find(|s| s.web_acl == acl.name)
            .expect("the demo's blocklist");
        set.addresses.push("198.51.100.77/32".into());
        let set = IpSetRef {
            account: None,
            region: set.region.clone(),
            scope: set.scope,
            name: set.name.clone(),
            id: set.id.clone(),
            arn: set.arn.clone(),
            web_acl: set.web_acl.clone(),
        };
        for a in waf.acls.iter_mut().filter(|a| a.id == acl.id) {
            for r in a.rules.iter_mut().filter(|r| r.name == rule) {
                r.kind = RuleKind::Plain {
                    action: RuleAction::Count,
                };
            }
        }
        app.update(Event::Data(Data::Waf(at(), Ok(waf))));
        let pending = |minutes: i64, undo: Mutation| Pending {
            due: at() + chrono::Duration::minutes(minutes),
            of: undo.summary(),
            undo,
            last_error: None,
            attempts: 0,
            account: None,
            endpoint: None,
            retry_at: None,
            failed_for_good: None,
        };
        let restore = Mutation::SetRule {
            rule: RuleRef {
                account: None,
                region: acl.region.clone(),
                scope: acl.scope,
                acl_name: acl.name.clone(),
                acl_id: acl.id.clone(),
                rule: rule.clone(),
            },
            from: RuleKind::Plain {
                action: RuleAction::Count,
            },
            to: RuleKind::Plain {
                action: RuleAction::Block,
            },
            until: None,
        };
        let removal = Mutation::Unblock {
            set,
            address: "198.51.100.77/32".into(),
        };
        app.update(Event::Pending(Listing {
            pending: vec![pending(15, restore), pending(60, removal)],
            refused: vec![],
        }));
        // The address's newest line in the logs: marked too.
        let line = "198.51.100.77 - - [21/Nov/2026:10:00:01 +0000] \"POST /xmlrpc.php HTTP/1.1\" 403 199 \"-\" \"curl/8.5\"";
        app.update(Event::Data(Data::Logs(
            at(),
            opsconsole::source::LogBatch::lines(
                "hwi-wordpress",
                vec![opsconsole::model::LogEntry::Line {
                    received_at: at(),
                    text: line.into(),
                }],
            ),
        )));
        let screen = render_at(&app, width, height);
        let text = format!("{:?}", screen.backend());
        assert!(text.contains("Count ⟲ 10:15"), "{text}");
        assert!(text.contains("RU   GET    ⊘ 11:00 /xm"), "{text}");
        assert!(text.contains("⊘ 11:00 198.51.100.77 - - [21/Nov"), "{text}");
        insta::assert_snapshot!(format!("timers_{width}x{height}"), screen.backend());
        keys(&mut app, "w");
        press(&mut app, KeyCode::BackTab);
        let who = format!("{:?}", render_at(&app, width, height).backend());
        assert!(
            who.contains("BLOCKED until 11:00 (59 m left) · hwi"),
            "{who}"
        );
    }
}

/// `c` on an alias answer copies the target alone, not the word "alias" before it.
#[test]
fn c_copies_an_alias_answers_value_alone() {
    use opsconsole::app::Effect;
    let mut app = console(true);
    keys(&mut app, "3");
    select(&mut app, PanelId::Dns, "PRIMARY");
    let effects = app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::NONE,
    )));
    let [Effect::Copy(copied)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(!copied.starts_with("alias"), "{copied}");
    assert!(copied.starts_with("dualstack."), "{copied}");
}

/// An empty "Blocked now" list says nothing is blocked, not that nothing was counted.
#[test]
fn an_empty_blocked_now_list_says_nothing_is_blocked() {
    let mut app = console(false);
    keys(&mut app, "2");
    select(&mut app, PanelId::Waf, "block-xmlrpc");
    let (acl, rule) = app
        .selected_rule()
        .map(|(a, r)| (a.id.clone(), r.name.clone()))
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let session = DemoWorld::new(7, Clock::Fixed(at())).session();
    let samples = rt
        .block_on(session.sources.samples.sampled_requests(&acl, &rule))
        .unwrap();
    app.update(Event::Data(Data::Samples(at(), Ok(samples))));
    keys(&mut app, "w");
    // Client addresses → Countries → Blocked now.
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    let screen = format!("{}", render(&app).backend());
    assert!(screen.contains("[Blocked now]"), "{screen}");
    assert!(
        screen.contains("Nothing is blocked: the configured IP sets hold no address."),
        "{screen}"
    );
    assert!(!screen.contains("Nothing counted"), "{screen}");
}

/// Cutting keeps the part that tells rows apart: at 160 columns the Instances and Targets rows
/// keep each name whole and cut its id, so mt-web-01 and mt-web-02 read differently and the
/// stopped trace-member-03 a problem names is on screen by that name.
#[test]
fn cut_rows_keep_their_names_whole() {
    let screen = format!("{}", render(&console(false)).backend());
    for name in ["mt-web-01 i-", "mt-web-02 i-", "trace-member-03 i-"] {
        assert!(screen.contains(name), "{name} is not whole:\n{screen}");
    }
    assert!(!screen.contains("mt-web-0…"), "{screen}");
}

/// The text of each line of a drawn screen.
fn screen_lines(terminal: &Terminal<TestBackend>) -> Vec<String> {
    let buffer = terminal.backend().buffer();
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
        })
        .collect()
}

/// A blocked share is never cut: at 120 columns an ACL whose share has two digits reads
/// `2582 17%`, never `2582 17`; the names give way instead.
#[test]
fn a_blocked_share_keeps_its_percent_sign() {
    let mut app = console(false);
    app.update(Event::Resize(120, 35));
    keys(&mut app, "2");
    let mut waf = app.world.waf.value.clone().unwrap();
    let acl = waf
        .acls
        .iter_mut()
        .find(|a| a.name == "hwi-web-acl")
        .unwrap();
    for point in &mut acl.series {
        point.blocked *= 2;
    }
    let total = acl.totals();
    let share = format!(
        "{} {}%",
        total.blocked,
        total.blocked * 100 / (total.allowed + total.blocked)
    );
    assert!(share.len() >= 8, "{share}: not wider than the column's 7");
    app.update(Event::Data(Data::Waf(at(), Ok(waf))));
    let screen = render_at(&app, 120, 35);
    let text = format!("{}", screen.backend());
    let row = text
        .lines()
        .find(|l| l.contains("hwi-web"))
        .unwrap_or_else(|| panic!("no hwi-web-acl row:\n{text}"));
    assert!(row.contains(&format!("{share} ")), "{row}");
    insta::assert_snapshot!("share_kept_120x35", screen.backend());
}

/// A small screen keeps the answers: at 120×35 Route53 keeps its Health column and Targets
/// its AZ column (each group's health per zone); the names and details are cut first. The
/// whole console at 120×35 and 200×60, to read as an operator.
#[test]
fn small_screens_keep_the_state_columns() {
    for (width, height) in [(120u16, 35u16), (200, 60)] {
        let mut app = console(false);
        app.update(Event::Resize(width, height));
        let screen = render_at(&app, width, height);
        let lines = screen_lines(&screen);
        let text = lines.join("\n");
        let targets_header = lines
            .iter()
            .find(|l| l.contains("Load balancer /"))
            .unwrap();
        let targets_header: String = targets_header
            .chars()
            .take(usize::from(width) / 2)
            .collect();
        assert!(
            targets_header.contains(" AZ"),
            "{width}: {targets_header}\n{text}"
        );
        assert!(text.contains("1a 1/1 · 1c 1/1"), "{width}: {text}");
        let dns_header = lines.iter().find(|l| l.contains("Zone / rec")).unwrap();
        assert!(dns_header.contains("Health"), "{width}: {dns_header}");
        assert!(text.contains("unhealthy"), "{width}: {text}");
        let waf_header = lines.iter().find(|l| l.contains("Web ACL")).unwrap();
        for column in ["Action", "Allowed", "Blocked", "Counted"] {
            assert!(waf_header.contains(column), "{width}: {waf_header}");
        }
        insta::assert_snapshot!(format!("console_{width}x{height}"), screen.backend());
    }
}

/// A wall of any size says why it is not OK: below 40 rows, the worst problem on one line
/// (cut at a word, with how many more); its footer names the stacks that are not OK and counts
/// the others when they do not all fit, never cut.
#[test]
fn a_wall_of_any_size_says_why_it_is_not_ok() {
    for (width, height) in [(120u16, 35u16), (200, 60)] {
        let mut app = console(true).into_wall(None);
        app.update(Event::Resize(width, height));
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        let theme = Theme::load("high-contrast", false).unwrap();
        terminal.draw(|f| ui::draw(f, &app, &theme)).unwrap();
        let lines = screen_lines(&terminal);
        let text = lines.join("\n");
        let worst = app.problems.first().expect("the demo has problems");
        assert!(
            text.contains(&format!(
                "{:<9}{:<10}{}",
                worst.severity.as_str(),
                worst.panel.title(),
                worst.subject
            )),
            "{width}x{height}: the worst problem is not shown\n{text}"
        );
        let footer = lines.last().unwrap().trim_end();
        assert!(footer.starts_with(" stacks: "), "{footer}");
        assert!(footer.contains("trace-member-alb WARNING"), "{footer}");
        if height < 40 {
            assert!(
                text.contains(&format!("(+{} more)", app.problems.len() - 1)),
                "{text}"
            );
            assert!(footer.ends_with("· 6 OK"), "cut: {footer}");
        } else {
            assert!(footer.ends_with("reverseproxy-nlb OK"), "cut: {footer}");
        }
        insta::assert_snapshot!(format!("wall_{width}x{height}"), terminal.backend());
    }
}

/// `--since 3h`: every WAF row's sparkline is the whole window bucketed to the cells it has
/// (each bar the busiest minute of its bucket), not its first minutes cut off at the column.
#[test]
fn a_three_hour_sparkline_is_bucketed_to_its_column() {
    use opsconsole::view::waf::{fit_sparkline, sparkline};
    for (width, height) in [(160u16, 45u16), (200, 60)] {
        let mut app = console_since(false, 180);
        app.update(Event::Resize(width, height));
        keys(&mut app, "2");
        let waf = app.world.waf.value.clone().unwrap();
        assert_eq!(waf.acls[0].rules[0].series.len(), 180);
        let screen = render_at(&app, width, height);
        let lines = screen_lines(&screen);
        let bars =
            |l: &str| -> String { l.chars().filter(|c| ('▁'..='█').contains(c)).collect() };
        // Every series the panel draws a sparkline of: each rule's and each default action's.
        let series: Vec<Vec<u64>> = waf
            .acls
            .iter()
            .flat_map(|a| {
                a.rules
                    .iter()
                    .filter(|r| !r.metrics_off)
                    .map(|r| &r.series)
                    .chain([&a.default_series])
            })
            .map(|s| {
                s.iter()
                    .map(|p| p.allowed + p.blocked + p.counted)
                    .collect()
            })
            .collect();
        let mut checked = 0;
        for line in lines.iter().filter(|l| {
            l.contains("default action") || l.contains(" Block ") || l.contains("Group (")
        }) {
            let drawn = bars(line);
            if drawn.is_empty() {
                continue;
            }
            let cells = drawn.chars().count();
            assert!((15..=30).contains(&cells), "{width}: {cells} bars: {line}");
            assert!(
                series
                    .iter()
                    .any(|s| fit_sparkline(&sparkline(s), cells) == drawn),
                "{width}: not a whole window bucketed: {line}"
            );
            checked += 1;
        }
        assert!(
            checked >= 5,
            "{width}: only {checked} rows checked\n{}",
            lines.join("\n")
        );
    }
}

/// The longest message the console says (why an internal address is not blocked) is read
/// whole at 160 columns: the footer wraps it at words onto a second line, never cuts a word.
#[test]
fn a_long_footer_message_wraps_at_words() {
    let mut app = console(false);
    let line =
        "10.0.20.37 - - [21/Nov/2026:10:00:01 +0000] \"GET / HTTP/1.1\" 200 39 \"-\" \"curl/8.5\"";
    app.update(Event::Data(Data::Logs(
        at(),
        opsconsole::source::LogBatch::lines(
            "ha-web-right",
            vec![opsconsole::model::LogEntry::Line {
                received_at: at() + chrono::Duration::seconds(5),
                text: line.into(),
            }],
        ),
    )));
    keys(&mut app, "5");
    keys(&mut app, "b");
    let said = app
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    assert!(said.contains("X-Forwarded-For field"), "{said}");
    assert!(said.chars().count() > 160, "{said}");
    let lines = screen_lines(&render(&app));
    let footer: Vec<&str> = lines[lines.len() - 2..].iter().map(|l| l.trim()).collect();
    assert_eq!(footer.join(" "), said, "{footer:?}");
}

/// Footer text wrapped at words: two lines at most, the rest left out behind an ellipsis.
#[test]
fn footer_text_is_cut_at_a_word_with_an_ellipsis() {
    let mut app = console(false);
    let quiet = screen_lines(&render(&app));
    let words: Vec<String> = (0..80).map(|i| format!("word{i}")).collect();
    app.update(Event::Status(
        words.join(" "),
        at() + chrono::Duration::seconds(12),
    ));
    let lines = screen_lines(&render(&app));
    let footer: Vec<&str> = lines[lines.len() - 2..].iter().map(|l| l.trim()).collect();
    assert!(footer[0].starts_with("word0 word1 "), "{footer:?}");
    assert!(footer[1].ends_with(" …"), "{footer:?}");
    for line in &footer {
        for w in line.split(' ').filter(|w| *w != "…") {
            assert!(words.iter().any(|x| x == w), "cut word {w}: {footer:?}");
        }
    }
    // The panels keep their rows: only the border line above the footer is taken.
    assert!(
        quiet[quiet.len() - 2].starts_with('╰'),
        "{}",
        quiet[quiet.len() - 2]
    );
    assert_eq!(lines[..lines.len() - 2], quiet[..quiet.len() - 2]);
}

/// The `?` legend taller than the screen says there is more, and which keys scroll it; they
/// reach its last line, and then it says there is more above.
#[test]
fn a_legend_taller_than_the_screen_says_there_is_more_and_scrolls() {
    let mut app = console(false);
    app.update(Event::Resize(120, 35));
    keys(&mut app, "2");
    keys(&mut app, "?");
    let first = format!("{}", render_at(&app, 120, 35).backend());
    assert!(first.contains("more lines · "), "{first}");
    assert!(first.contains("↓"), "{first}");
    assert!(!first.contains("busiest minute a bar"), "{first}");
    press(&mut app, KeyCode::End);
    let last = format!("{}", render_at(&app, 120, 35).backend());
    assert!(last.contains("busiest minute a bar"), "{last}");
    assert!(last.contains("more lines above"), "{last}");
    press(&mut app, KeyCode::Home);
    assert_eq!(format!("{}", render_at(&app, 120, 35).backend()), first);
}

/// Toggling a rule re-labels no request already counted: right after `t` on `block-xmlrpc`
/// (halfway through a minute), its 15-minute Blocked figure is what it was before (the minute
/// under way was blocked until then), in the demo world and on the console's row; the requests
/// of the minutes after the toggle are counted, and the minutes before keep their counts.
#[test]
fn a_toggle_does_not_move_the_counts_back() {
    use opsconsole::action::{Mutation, RuleRef};
    use opsconsole::model::{RuleAction, RuleKind, WafView};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (clock, hand) = Clock::manual(at() + chrono::Duration::seconds(30));
    let session = DemoWorld::new(7, clock).session();
    let fetch = || -> WafView { rt.block_on(session.sources.waf.fetch()).unwrap() };
    let rule_of = |view: &WafView| {
        let acl = view.acls.iter().find(|a| a.name == "hwi-web-acl").unwrap();
        let rule = acl.rules.iter().find(|r| r.name == "block-xmlrpc").unwrap();
        (acl.clone(), rule.clone())
    };
    let before = fetch();
    let (acl, rule) = rule_of(&before);
    assert!(rule.totals().blocked > 0);
    let mut app = console(false);
    app.update(Event::Data(Data::Waf(at(), Ok(before.clone()))));
    let blocked_cell = |app: &App| {
        let row = app
            .panels
            .get(PanelId::Waf)
            .unwrap()
            .table
            .rows
            .iter()
            .find(|r| r.cells[0].text.ends_with(" block-xmlrpc"))
            .unwrap();
        (row.cells[1].text.clone(), row.cells[3].text.clone())
    };
    let shown_before = blocked_cell(&app);
    let toggle = Mutation::SetRule {
        rule: RuleRef {
            account: None,
            region: acl.region.clone(),
            scope: acl.scope,
            acl_name: acl.name.clone(),
            acl_id: acl.id.clone(),
            rule: rule.name.clone(),
        },
        from: rule.kind.clone(),
        to: RuleKind::Plain {
            action: RuleAction::Count,
        },
        until: None,
    };
    let executor = session.executor.clone().unwrap();
    rt.block_on(executor.execute(&toggle)).unwrap();
    let after = fetch();
    let (_, toggled) = rule_of(&after);
    assert_eq!(toggled.kind, toggle_to(&toggle));
    assert_eq!(
        toggled.series, rule.series,
        "the minutes counted before the toggle changed"
    );
    app.update(Event::Data(Data::Waf(at(), Ok(after))));
    let shown_after = blocked_cell(&app);
    assert_eq!(shown_after.0, "Count", "{shown_after:?}");
    assert_eq!(shown_after.1, shown_before.1, "Blocked moved back");
    // A minute later the new minute is counted, and the old minutes are as they were.
    hand.advance(chrono::Duration::seconds(60));
    let (_, later) = rule_of(&fetch());
    assert_eq!(
        later.series[..14],
        rule.series[1..],
        "the past was rewritten"
    );
    let newest = later.series.last().unwrap();
    assert_eq!(newest.blocked, 0, "{newest:?}");
    assert!(newest.counted > 0, "{newest:?}");
}

fn toggle_to(m: &opsconsole::action::Mutation) -> opsconsole::model::RuleKind {
    match m {
        opsconsole::action::Mutation::SetRule { to, .. } => to.clone(),
        _ => unreachable!(),
    }
}

/// `T` after ha-web-right failed its checks between two reads: the change (and its zone left
/// with no healthy target), dated by the two reads, newest first.
#[test]
fn the_timeline_view_shows_what_changed_between_two_reads() {
    let mut app = console(false);
    let later = at() + chrono::Duration::seconds(200);
    let world = DemoWorld::with_waf_window(7, Clock::Fixed(later), 15);
    let mut w = opsconsole::model::World::default();
    w.targets.value = Some(world.targets_view());
    w.instances.value = Some(world.instances_view());
    in_accounts(&mut w, Accounts::One);
    app.update(Event::Data(Data::Targets(
        later,
        w.targets.value.ok_or_else(String::new),
    )));
    app.update(Event::Data(Data::Instances(
        later,
        w.instances.value.ok_or_else(String::new),
    )));
    app.update(Event::Tick(later + chrono::Duration::seconds(5)));
    keys(&mut app, "T");
    let screen = format!("{}", render(&app).backend());
    assert!(
        screen.contains("ha-web-right target state in ha-web-tg healthy → unhealthy"),
        "{screen}"
    );
    assert!(screen.contains("10:03:20 (after 10:00:00)"), "{screen}");
    insta::assert_snapshot!(render(&app).backend());
}

/// Several accounts: each panel shows its rows under their account's row (name and id, with
/// the targets' health and the WAF's counts together), the account not read says so in every
/// panel, and the header counts accounts and regions instead of naming one account.
#[test]
fn accounts_each_row_under_its_account() {
    let app = console_in(false, 15, Accounts::Three);
    let terminal = render(&app);
    let header = header_line(&terminal);
    assert!(header.contains(" 3 accounts · 2 regions "), "{header}");
    let screen = terminal.backend().to_string();
    // In Targets, Route53 and Instances (the WAF is scrolled to its busiest rule).
    assert!(screen.matches("cms-prod (2222").count() >= 3, "{screen}");
    assert!(
        screen.contains("audit (444444444444): not read"),
        "{screen}"
    );
    insta::assert_snapshot!(terminal.backend());
}

/// Zoomed, an account's instances and its zones read as a tree: the account, then its rows one
/// level in.
#[test]
fn accounts_zoomed_instances_and_route53() {
    for (panel, name) in [(PanelId::Instances, "instances"), (PanelId::Dns, "route53")] {
        let mut app = console_in(false, 15, Accounts::Three);
        keys(&mut app, &panel.number().to_string());
        press(&mut app, KeyCode::Enter);
        insta::assert_snapshot!(format!("accounts_zoomed_{name}"), render(&app).backend());
    }
}

/// `/stage` keeps the stage account's rows (every one of them matches its account's name),
/// and no row of another account.
#[test]
fn accounts_a_filter_by_account_name() {
    let mut app = console_in(false, 15, Accounts::Three);
    keys(&mut app, "/stage");
    press(&mut app, KeyCode::Enter);
    let targets = app.panels.get(PanelId::Targets).unwrap();
    assert!(
        targets
            .table
            .rows
            .iter()
            .all(|r| r.key.starts_with("@333333333333/") || r.key == "account:333333333333"),
        "{:?}",
        targets
            .table
            .rows
            .iter()
            .map(|r| &r.key)
            .collect::<Vec<_>>()
    );
    assert!(
        targets.table.rows.iter().any(|r| r.depth == 3),
        "targets kept"
    );
    insta::assert_snapshot!(render(&app).backend());
}

/// Problems name the account of their row, and an account whose role cannot be assumed is a
/// problem naming it.
#[test]
fn accounts_problems_name_their_account() {
    let mut app = console_in(false, 15, Accounts::Three);
    let subjects: Vec<String> = app.problems.iter().map(|p| p.subject.clone()).collect();
    assert!(
        subjects.iter().any(|s| s.starts_with("stage · ")),
        "{subjects:#?}"
    );
    assert!(
        subjects.iter().any(|s| s == "audit (444444444444)"),
        "{subjects:#?}"
    );
    keys(&mut app, "p");
    insta::assert_snapshot!(render(&app).backend());
}

/// The drain's confirmation names the account the target is drained in, by name and id.
#[test]
fn accounts_drain_confirmation_names_the_account() {
    let mut app = console_in(false, 15, Accounts::Three);
    select(&mut app, PanelId::Targets, "ha-web-right");
    keys(&mut app, "d");
    let screen = render(&app);
    let text = screen.backend().to_string();
    assert!(
        text.contains("In account cms-prod (222222222222)"),
        "{text}"
    );
    insta::assert_snapshot!(screen.backend());
}

/// Toggling a rule and blocking an address say the account too.
#[test]
fn accounts_toggle_and_block_name_the_account() {
    let mut app = console_in(false, 15, Accounts::Three);
    keys(&mut app, "2");
    select(&mut app, PanelId::Waf, "block-xmlrpc");
    keys(&mut app, "t");
    let text = render(&app).backend().to_string();
    assert!(
        text.contains("In account cms-prod (222222222222)"),
        "{text}"
    );
    press(&mut app, KeyCode::Esc);
    let (acl, rule) = app
        .selected_rule()
        .map(|(a, r)| (a.id.clone(), r.name.clone()))
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let session = DemoWorld::new(7, Clock::Fixed(at())).session();
    let samples = rt
        .block_on(session.sources.samples.sampled_requests(&acl, &rule))
        .unwrap();
    app.update(Event::Data(Data::Samples(at(), Ok(samples))));
    keys(&mut app, "wb");
    let block = render(&app);
    let text = block.backend().to_string();
    assert!(text.contains("Block 198.51.100.77"), "{text}");
    assert!(
        text.contains("In account cms-prod (222222222222)"),
        "{text}"
    );
    insta::assert_snapshot!(block.backend());
}

/// `d` on an account's own row drains nothing: the footer says to pick a target in it.
#[test]
fn accounts_drain_on_an_account_row_is_refused() {
    let mut app = console_in(false, 15, Accounts::Three);
    let h = app.viewport(PanelId::Targets);
    let p = app.panels.get_mut(PanelId::Targets).unwrap();
    assert!(p.select_key("account:222222222222", h));
    keys(&mut app, "d");
    assert!(app.overlay.is_none(), "a dialog opened on an account row");
    let said = app
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    assert_eq!(
        said,
        "cms-prod (222222222222) is an account: select a target to drain in it"
    );
    keys(&mut app, "2");
    let h = app.viewport(PanelId::Waf);
    let p = app.panels.get_mut(PanelId::Waf).unwrap();
    assert!(p.select_key("account:333333333333", h));
    keys(&mut app, "t");
    assert!(app.overlay.is_none(), "a dialog opened on an account row");
}

/// Problems first keeps every row under its own account: an account's problems rise among
/// its own rows, and the accounts among themselves.
#[test]
fn accounts_sorting_keeps_rows_in_their_account() {
    let mut app = console_in(false, 15, Accounts::Three);
    keys(&mut app, "1s");
    let rows = &app.panels.get(PanelId::Targets).unwrap().table.rows;
    let mut account = None;
    for r in rows {
        if let Some(id) = r.key.strip_prefix("account:") {
            account = Some(id.to_string());
        } else if r.depth > 0 {
            let id = account.as_deref().unwrap_or("none");
            assert!(
                r.key.starts_with(&format!("@{id}/")),
                "{} is under account {id}",
                r.key
            );
        }
    }
    assert!(account.is_some());
}

/// A wall watching several accounts names each stack with its account, and the account never
/// read as UNKNOWN: its status counts every account.
#[test]
fn accounts_wall_names_every_account() {
    let app = console_in(true, 15, Accounts::Three).into_wall(None);
    let screen = render_with(&app, "high-contrast");
    let text = screen.backend().to_string();
    assert!(text.contains("stage/trace-member-alb WARNING"), "{text}");
    assert!(text.contains("audit UNKNOWN"), "{text}");
    insta::assert_snapshot!(screen.backend());
}

// A frame the clock moved: the parts drawn from what they would be drawn from now (table bodies,
// the log lines, the borders' sides and bottoms, the footer) are taken from the screen; the
// rest is drawn again.

/// Draws `app` as the console does, on a blank frame, taking from `before` (the screen) the
/// parts it holds: the frame, the parts this frame holds, and how many were taken.
fn redraw(app: &App, before: &Buffer, bodies: Vec<ui::Body>) -> (Buffer, Vec<ui::Body>, usize) {
    let theme = Theme::load("dark", false).unwrap();
    let mut frame = Buffer::empty(Rect::new(0, 0, W, H));
    let mut canvas = ui::Canvas::reusing(&mut frame, before, bodies);
    ui::draw_on(&mut canvas, app, &theme);
    let reused = canvas.reused();
    let (bodies, _) = canvas.into_parts();
    (frame, bodies, reused)
}

/// `app` drawn from nothing.
fn fresh(app: &App) -> Buffer {
    redraw(app, &Buffer::empty(Rect::new(0, 0, W, H)), Vec::new()).0
}

fn tick(app: &mut App, secs: i64) {
    app.update(Event::Tick(at() + chrono::Duration::seconds(secs)));
}

/// The rows that have a cell no part covers: what a frame draws again whatever changed.
fn rows_drawn_again(bodies: &[ui::Body]) -> Vec<u16> {
    (0..H)
        .filter(|&y| {
            (0..W).any(|x| {
                !bodies
                    .iter()
                    .any(|b| b.area.contains(ratatui::layout::Position::new(x, y)))
            })
        })
        .collect()
}

#[test]
fn a_frame_the_clock_moved_takes_all_but_the_clock_and_ages_from_the_screen() {
    let mut app = console(false);
    let (before, bodies, _) = redraw(&app, &Buffer::empty(Rect::new(0, 0, W, H)), Vec::new());
    // Drawn again: the header (the clock), the panels' top lines (their ages) and the sampled
    // requests' title line (theirs). Targets, WAF rules and samples, Route 53, instances and
    // the log lines, the borders' sides and bottoms, the footer: each a part nothing covers.
    assert_eq!(rows_drawn_again(&bodies), [0, 1, 13, 19, 33], "{bodies:?}");
    tick(&mut app, 13);
    let (after, _, reused) = redraw(&app, &before, bodies.clone());
    assert_eq!(reused, bodies.len());
    // The clock and the ages moved; the frame is what a frame drawn from nothing is.
    assert_ne!(after, before);
    assert_eq!(after, fresh(&app));
}

#[test]
fn a_part_whose_content_changed_is_drawn_again() {
    let mut app = console(false);
    let (before, bodies, _) = redraw(&app, &Buffer::empty(Rect::new(0, 0, W, H)), Vec::new());
    let parts = bodies.len();
    // A row's role (a problem marked on it), a cell's text, a log line: each alone, one part.
    let dns = app.panels.get_mut(PanelId::Dns).unwrap();
    let row = dns.table.rows.get_mut(1).unwrap();
    row.role = Role::Problem;
    let (after, bodies, reused) = redraw(&app, &before, bodies);
    assert_eq!(reused, parts - 1);
    assert_eq!(after, fresh(&app));

    let instances = app.panels.get_mut(PanelId::Instances).unwrap();
    let cell = instances.table.rows[0].cells.last_mut().unwrap();
    cell.text.push('!');
    let (after, bodies, reused) = redraw(&app, &after, bodies);
    assert_eq!(reused, parts - 1);
    assert_eq!(after, fresh(&app));

    let line = opsconsole::model::LogEntry::Line {
        received_at: at(),
        text: "GET /new 200".into(),
    };
    let source = app.world.logs.sources[0].clone();
    app.world.logs.push(&source, [line], at());
    let (after, bodies, reused) = redraw(&app, &after, bodies);
    assert_eq!(reused, parts - 1);
    assert_eq!(after, fresh(&app));

    // The selection: the focused table, and its bottom line that names the selected row.
    press(&mut app, KeyCode::Down);
    let (after, _, reused) = redraw(&app, &after, bodies);
    assert_eq!(reused, parts - 2);
    assert_eq!(after, fresh(&app));
}

#[test]
fn a_part_something_was_drawn_over_is_drawn_again() {
    let mut app = console(false);
    let (_, all, _) = redraw(&app, &Buffer::empty(Rect::new(0, 0, W, H)), Vec::new());
    keys(&mut app, "?");
    let (before, bodies, _) = redraw(&app, &Buffer::empty(Rect::new(0, 0, W, H)), Vec::new());
    // The help covers the middle of the screen: the parts under it are not the screen's now.
    assert!(bodies.len() < all.len(), "{bodies:?}");
    press(&mut app, KeyCode::Esc);
    let (after, _, _) = redraw(&app, &before, bodies);
    assert_eq!(after, fresh(&app));
}

#[test]
fn the_terminal_shows_each_frame_whole_though_only_changed_rows_are_compared() {
    use opsconsole::tui::Screen;
    let theme = Theme::load("dark", false).unwrap();
    let mut app = console(false);
    let mut screen = Screen::new(TestBackend::new(W, H), Rect::new(0, 0, W, H)).unwrap();
    // Draws a frame; asserts the terminal shows `app` drawn from nothing; says how many bodies
    // the frame took from the screen.
    let mut shows = |app: &App, what: &str| {
        let taken = screen.bodies_reused();
        screen.draw(|f| ui::draw_on(f, app, &theme)).unwrap();
        assert_eq!(screen.backend_mut().buffer(), &fresh(app), "{what}");
        screen.bodies_reused() - taken
    };
    shows(&app, "the first frame");
    // The clock: every part taken from the screen, and only the clock's and ages' rows written.
    tick(&mut app, 13);
    let parts = shows(&app, "a frame the clock moved");
    assert!(parts > 5, "{parts}");
    // A cell in one body: that body drawn again, its row written, the others taken.
    let instances = app.panels.get_mut(PanelId::Instances).unwrap();
    instances.table.rows[0]
        .cells
        .last_mut()
        .unwrap()
        .text
        .push('!');
    assert_eq!(shows(&app, "a cell that changed"), parts - 1);
    press(&mut app, KeyCode::Down);
    shows(&app, "the selection moved");
    // The help over the bodies, and then gone: what it covered is written again.
    keys(&mut app, "?");
    shows(&app, "the help");
    press(&mut app, KeyCode::Esc);
    shows(&app, "the help closed");
}
