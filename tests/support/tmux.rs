//! The real binary in a detached tmux session: keys in, screen out, its process for signals.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    session: String,
    pub dir: tempfile::TempDir,
}

impl Tmux {
    /// Starts the console in a 160×45 tmux window. After it exits, the shell records the terminal
    /// mode (`stty -a`) and whether the alternate screen is still on, then waits.
    /// The console on the demo world with `args`.
    pub fn start(name: &str, args: &str) -> Tmux {
        Tmux::start_with(name, &format!("--demo {args}"), "")
    }

    /// The console with `args`, after the shell line `setup` (e.g. environment variables), with
    /// state and config in the session's own directory.
    pub fn start_with(name: &str, args: &str, setup: &str) -> Tmux {
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
            "{setup} OPSCONSOLE_STATE_DIR={state} OPSCONSOLE_CONFIG_DIR={cfg} {bin} {args}; echo \"exit=$?\" > {done}; stty -a > {stty}; sleep 60",
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

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The screen with its colours, as SGR escape sequences (`capture-pane -e`).
    pub fn screen_with_colours(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-e", "-t", &self.session])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn wait_for(&self, needle: &str) -> String {
        self.wait_until(|s| s.contains(needle), needle)
    }

    pub fn wait_until(&self, ready: impl Fn(&str) -> bool, what: &str) -> String {
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

    pub fn keys(&self, keys: &[&str]) {
        let mut cmd = Command::new("tmux");
        cmd.args(["send-keys", "-t", &self.session]).args(keys);
        assert!(cmd.status().expect("send-keys").success());
    }

    pub fn alternate_screen_on(&self) -> bool {
        self.flag("alternate_on")
    }

    /// A pane flag as tmux keeps it from what the program wrote: `alternate_on`,
    /// `mouse_any_flag` (any mouse reporting on), `cursor_flag` (cursor shown).
    pub fn flag(&self, name: &str) -> bool {
        self.variable(name) == "1"
    }

    /// A pane variable, e.g. `pane_title` (which an OSC 0 sequence would set).
    pub fn variable(&self, name: &str) -> String {
        let out = Command::new("tmux")
            .args([
                "display-message",
                "-p",
                "-t",
                &self.session,
                &format!("#{{{name}}}"),
            ])
            .output()
            .expect("display-message");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The newest paste buffer: where tmux (with `set-clipboard on`) keeps what an application
    /// copied with OSC 52.
    pub fn newest_buffer(&self) -> String {
        let out = Command::new("tmux")
            .args(["show-buffer"])
            .output()
            .expect("show-buffer");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Sets a server option (e.g. `set-clipboard on`).
    pub fn server_option(&self, option: &str, value: &str) {
        let ok = Command::new("tmux")
            .args(["set-option", "-s", option, value])
            .status()
            .expect("set-option");
        assert!(ok.success());
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Waits for the console to exit and returns the terminal settings the shell saw after it.
    pub fn wait_exit(&self) -> String {
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

    pub fn pid(&self) -> String {
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
