//! The real binary in a real terminal (tmux): it starts on the demo world, answers keys, and
//! always gives the terminal back — cooked mode, main screen — on quit and on SIGTERM, SIGHUP
//! and SIGINT.

use crate::support;

use std::process::Command;
use support::tmux::Tmux;

fn assert_restored(t: &Tmux, stty: &str) {
    let words: Vec<&str> = stty.split_whitespace().collect();
    assert!(
        words.contains(&"icanon"),
        "terminal left in raw mode:\n{stty}"
    );
    assert!(words.contains(&"echo"), "echo left off:\n{stty}");
    assert!(!t.alternate_screen_on(), "alternate screen still on");
    assert!(!t.flag("mouse_any_flag"), "mouse reporting left on");
    assert!(t.flag("cursor_flag"), "cursor left hidden");
}

#[test]
fn starts_answers_keys_and_quits_cleanly() {
    let t = Tmux::start("keys", "--demo-seed 5");
    let screen = t.wait_for("ha-web-left");
    for title in ["1 Targets", "2 WAF", "3 Route53", "4 Instances", "5 Logs"] {
        assert!(screen.contains(title), "{title} missing:\n{screen}");
    }
    t.keys(&["?"]);
    t.wait_for("Keys · Esc closes");
    // A lone ESC followed at once by another key reads as Alt+key: wait for the help to close.
    t.keys(&["Escape"]);
    t.wait_until(|s| !s.contains("Keys · Esc closes"), "help to close");
    t.keys(&["2", "Enter"]);
    t.wait_for("Sampled requests");
    // While it runs, the modes the restore must undo are on: the flags can tell.
    assert!(
        t.flag("mouse_any_flag"),
        "mouse capture not seen while running"
    );
    assert!(!t.flag("cursor_flag"), "cursor shown while running");
    assert!(
        t.alternate_screen_on(),
        "not on the alternate screen while running"
    );
    t.keys(&["q"]);
    let stty = t.wait_exit();
    assert_restored(&t, &stty);
    let exit = std::fs::read_to_string(t.file("exit.txt")).unwrap_or_default();
    assert_eq!(exit.trim(), "exit=0");
}

#[test]
fn read_only_refuses_drain() {
    let t = Tmux::start("ro", "--read-only");
    t.wait_for("READ-ONLY");
    t.keys(&["Down", "Down", "Down", "Down", "d"]);
    t.wait_for("read-only: drain is disabled");
    t.keys(&["q"]);
    assert_restored(&t, &t.wait_exit());
}

#[test]
fn signals_restore_the_terminal() {
    for signal in ["TERM", "HUP", "INT"] {
        let t = Tmux::start(&format!("sig{signal}"), "");
        t.wait_for("ha-web-left");
        let pid = t.pid();
        assert!(!pid.is_empty(), "no console process found");
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .expect("kill");
        assert!(status.success());
        let stty = t.wait_exit();
        assert_restored(&t, &stty);
    }
}

#[test]
fn a_panic_restores_the_terminal_and_says_why() {
    let t = Tmux::start("panic", "--debug-panic-after 2s");
    let stty = t.wait_exit();
    assert_restored(&t, &stty);
    let exit = std::fs::read_to_string(t.file("exit.txt")).unwrap_or_default();
    assert_ne!(exit.trim(), "exit=0", "a panic must not look like success");
    // The message is printed after the terminal is back, so it stays readable.
    let screen = t.screen();
    assert!(
        screen.contains("panicking on purpose"),
        "no panic message:\n{screen}"
    );
    assert!(
        !screen.contains("1 Targets"),
        "the console is still drawn:\n{screen}"
    );
}

/// `c` copies the selected row's id through the terminal's clipboard escape (OSC 52): tmux
/// with `set-clipboard on` keeps what it receives as its newest paste buffer.
#[test]
fn c_copies_the_selected_id_through_the_terminal() {
    let t = Tmux::start("copy", "--read-only");
    t.wait_for("ha-web-left");
    t.server_option("set-clipboard", "on");
    t.keys(&["4", "Down", "c"]);
    let screen = t.wait_for("copied i-");
    let copied = screen
        .split("copied ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_default()
        .to_string();
    assert!(copied.starts_with("i-0"), "{screen}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while t.newest_buffer() != copied {
        assert!(
            std::time::Instant::now() < deadline,
            "the clipboard holds {:?}, not {copied:?}",
            t.newest_buffer()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    t.keys(&["q"]);
    assert_restored(&t, &t.wait_exit());
}

/// A profile whose credentials cannot be loaded yet (a credential process that fails, as before
/// `aws sso login` or a vault unlock): the console says so once, full width, keeps trying, and
/// comes to life by itself when the credentials appear — no restart.
#[test]
fn credentials_that_appear_later_bring_the_console_to_life() {
    let moto = support::moto::Moto::start();
    let home = tempfile::tempdir().expect("tempdir");
    let creds = home.path().join("creds.json");
    let aws = home.path().join(".aws");
    std::fs::create_dir_all(&aws).expect("mkdir");
    std::fs::write(
        aws.join("config"),
        format!(
            "[profile late]\nregion = us-east-1\ncredential_process = cat {}\n",
            creds.display()
        ),
    )
    .expect("config");
    let setup = format!(
        "env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
         -u AWS_REGION -u AWS_DEFAULT_REGION HOME={home} AWS_CONFIG_FILE={aws}/config \
         AWS_SHARED_CREDENTIALS_FILE={aws}/credentials AWS_EC2_METADATA_DISABLED=true",
        home = home.path().display(),
        aws = aws.display(),
    );
    let t = Tmux::start_with(
        "late-creds",
        &format!(
            "--read-only --profile late --region us-east-1 --interval 2 --endpoint-url {}",
            moto.endpoint
        ),
        &setup,
    );
    let screen = t.wait_for("the console keeps trying");
    assert!(
        screen.contains("the credentials of AWS profile `late` could not be loaded"),
        "{screen}"
    );
    std::fs::write(
        &creds,
        r#"{"Version": 1, "AccessKeyId": "testing", "SecretAccessKey": "testing"}"#,
    )
    .expect("credentials");
    let screen = t.wait_until(
        |s| !s.contains("keeps trying") && s.contains(" ago "),
        "the panels to load once the credentials exist",
    );
    assert!(!screen.contains("could not be loaded"), "{screen}");
    t.keys(&["q"]);
    assert_restored(&t, &t.wait_exit());
}

/// Whether `needle` is drawn in reverse video somewhere on the coloured screen
/// (`capture-pane -e`), as a selected row is.
pub(crate) fn reversed_at(coloured: &str, needle: &str) -> bool {
    coloured.lines().any(|line| {
        line.match_indices(needle)
            .any(|(at, _)| reverse_video_after(&line[..at]))
    })
}

/// Whether reverse video is on after the SGR sequences of `line`, followed from its start.
fn reverse_video_after(before: &str) -> bool {
    let mut reversed = false;
    for sgr in before.split("\x1b[").skip(1) {
        let Some(params) = sgr.split_once('m').map(|(p, _)| p) else {
            continue;
        };
        let mut params = params.split(';');
        while let Some(p) = params.next() {
            match p {
                "" | "0" => reversed = false,
                "7" => reversed = true,
                "27" => reversed = false,
                // A colour's own numbers (38;5;7 is a colour, not reverse video).
                "38" | "48" | "58" => {
                    let skip = if params.next() == Some("2") { 3 } else { 1 };
                    for _ in 0..skip {
                        params.next();
                    }
                }
                _ => {}
            }
        }
    }
    reversed
}

/// `1`, a filter on `target` (it selects the first match), then `d` and `y`: on a console that
/// may change things, the keys that drain it.
fn drain_keys(t: &Tmux, target: &str) {
    t.keys(&["1", "/"]);
    t.keys(&["-l", target]);
    t.keys(&["Enter"]);
    // The row the keys act on is the target's: drawn selected (its name stays whole and its id
    // is cut to fit: the start of the id shows).
    let shown = &target[..target.len().min(6)];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !reversed_at(&t.screen_with_colours(), shown) {
        assert!(
            std::time::Instant::now() < deadline,
            "{target} is not the selected row:\n{}",
            t.screen()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    t.keys(&["d", "y"]);
}

/// The writes the console asked of the emulator after `from` requests.
fn writes_since(moto: &support::moto::Moto, from: usize) -> Vec<String> {
    moto.strict
        .operations()
        .split_off(from)
        .into_iter()
        .filter(|o| {
            ["Deregister", "Register", "Update", "POST /2013-04-01/"]
                .iter()
                .any(|m| o.starts_with(m))
        })
        .collect()
}

/// `--wall` is read-only in the binary itself, not only in the App: `d`, `y` on a target a
/// writable console drains with the same keys (the control, last), then `d`, `y`, `t`, `y` on
/// every panel of a wall against the emulator, request nothing that writes. SIGHUP reloads the
/// wall's configuration (an edited theme shows) and the wall goes on; it does not quit.
#[test]
fn a_wall_changes_nothing_and_reloads_its_theme_on_sighup() {
    let moto = support::moto::Moto::start();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let seeded = rt.block_on(support::seed_scenarios(&moto));
    // A target an ordinary y drains (behind an ALB, another healthy target in the group).
    let target = support::target_ref(&seeded, "ha-web-tg", "ha-web-left").id;
    // What the console asks for comes after what seeding wrote.
    let seeding = moto.strict.operations().len();
    let dir = tempfile::tempdir().expect("tempdir");
    let theme = dir.path().join("wall.toml");
    std::fs::write(&theme, "base = \"high-contrast\"\n").expect("theme");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "regions = [\"ap-northeast-1\", \"us-east-1\"]\nendpoint_url = \"{}\"\n",
            moto.endpoint
        ),
    )
    .expect("config");
    let env = "env -u AWS_PROFILE AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
         AWS_EC2_METADATA_DISABLED=true";
    let t = Tmux::start_with(
        "wall",
        &format!(
            "--wall --interval 2 --theme {} --config {}",
            theme.display(),
            config.display()
        ),
        env,
    );
    t.wait_for("mt-alb ALB");
    // Straight to the target, then every panel.
    drain_keys(&t, &target);
    // The key reached the wall, and the wall said why nothing happens.
    t.wait_for("read-only: drain is disabled in this session");
    t.keys(&["Escape", "Escape"]);
    for panel in ["1", "2", "3", "4", "5"] {
        t.keys(&[panel, "Down", "Down", "d", "y", "t", "y", "Escape"]);
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    std::thread::sleep(std::time::Duration::from_secs(3));
    let ops = moto.strict.operations().split_off(seeding);
    assert!(ops.iter().any(|o| o == "DescribeTargetHealth"), "{ops:?}");
    let writes = writes_since(&moto, seeding);
    assert!(writes.is_empty(), "a wall wrote: {writes:?}");

    // A colour no shipped theme uses, for the title of each panel.
    let marker = "38;2;1;2;3";
    assert!(!t.screen_with_colours().contains(marker));
    let pid = t.pid();
    std::fs::write(
        &theme,
        "base = \"high-contrast\"\n\n[roles]\ntitle = { fg = \"#010203\" }\n",
    )
    .expect("theme");
    let status = Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !t.screen_with_colours().contains(marker) {
        assert!(
            std::time::Instant::now() < deadline,
            "the edited theme never showed:\n{}",
            t.screen()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(t.pid(), pid, "the wall restarted or quit on SIGHUP");
    // Its footer is the stacks line again once the reload's message has been read.
    t.wait_for("stacks:");
    t.keys(&["q"]);
    assert_restored(&t, &t.wait_exit());

    // The control: the same keys on a console that may change things drain the target.
    let before = moto.strict.operations().len();
    let console = Tmux::start_with(
        "wall-control",
        &format!("--interval 2 --config {}", config.display()),
        env,
    );
    console.wait_for("mt-alb ALB");
    drain_keys(&console, &target);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while writes_since(&moto, before).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the same keys drained nothing on a writable console:\n{}",
            console.screen()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(writes_since(&moto, before), ["DeregisterTargets"]);
}
