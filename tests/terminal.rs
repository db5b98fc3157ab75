//! The real binary in a real terminal (tmux): it starts on the demo world, answers keys, and
//! always gives the terminal back — cooked mode, main screen — on quit and on SIGTERM, SIGHUP
//! and SIGINT.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    session: String,
    dir: tempfile::TempDir,
}

impl Tmux {
    /// Starts the console in a 160×45 tmux window. After it exits, the shell records the terminal
    /// mode (`stty -a`) and whether the alternate screen is still on, then waits.
    fn start(name: &str, args: &str) -> Tmux {
        assert!(
            Command::new("tmux")
                .arg("-V")
                .output()
                .is_ok_and(|o| o.status.success()),
            "tmux is required for the terminal tests (apt-get install tmux; .ci/run does this)"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let session = format!("oc-{name}-{}", std::process::id());
        let bin = env!("CARGO_BIN_EXE_opsconsole");
        let state = dir.path().join("state");
        let stty = dir.path().join("stty.txt");
        let script = format!(
            "OPSCONSOLE_STATE_DIR={state} OPSCONSOLE_CONFIG_DIR={cfg} {bin} --demo {args}; echo \"exit=$?\" > {done}; stty -a > {stty}; sleep 60",
            state = state.display(),
            cfg = dir.path().join("config").display(),
            done = dir.path().join("exit.txt").display(),
            stty = stty.display(),
        );
        let ok = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &session,
                "-x",
                "160",
                "-y",
                "45",
                "sh",
                "-c",
                &script,
            ])
            .status()
            .expect("tmux new-session");
        assert!(ok.success());
        Tmux { session, dir }
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn wait_for(&self, needle: &str) -> String {
        self.wait_until(|s| s.contains(needle), needle)
    }

    fn wait_until(&self, ready: impl Fn(&str) -> bool, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited in vain for {what:?}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn keys(&self, keys: &[&str]) {
        let mut cmd = Command::new("tmux");
        cmd.args(["send-keys", "-t", &self.session]).args(keys);
        assert!(cmd.status().expect("send-keys").success());
    }

    fn alternate_screen_on(&self) -> bool {
        let out = Command::new("tmux")
            .args([
                "display-message",
                "-p",
                "-t",
                &self.session,
                "#{alternate_on}",
            ])
            .output()
            .expect("display-message");
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Waits for the console to exit and returns the terminal settings the shell saw after it.
    fn wait_exit(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(stty) = std::fs::read_to_string(self.file("stty.txt"))
                && !stty.is_empty()
            {
                return stty;
            }
            assert!(
                Instant::now() < deadline,
                "console did not exit; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn pid(&self) -> String {
        // The console is the shell's child in the pane.
        let out = Command::new("tmux")
            .args(["display-message", "-p", "-t", &self.session, "#{pane_pid}"])
            .output()
            .expect("pane pid");
        let shell = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let out = Command::new("pgrep")
            .args(["-P", &shell])
            .output()
            .expect("pgrep");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .status();
    }
}

fn assert_restored(t: &Tmux, stty: &str) {
    let words: Vec<&str> = stty.split_whitespace().collect();
    assert!(
        words.contains(&"icanon"),
        "terminal left in raw mode:\n{stty}"
    );
    assert!(words.contains(&"echo"), "echo left off:\n{stty}");
    assert!(!t.alternate_screen_on(), "alternate screen still on");
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
