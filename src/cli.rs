//! The command line: one definition that also generates `--help`, shell completions and the man
//! page.

use crate::snapshot::Format;
use clap::{CommandFactory, FromArgMatches, Parser};
use std::path::PathBuf;

/// A terminal operations console for AWS web stacks: target health, WAF hits, Route53
/// geolocation answers, instance status and logs, live, with guarded actions.
#[derive(Debug, Clone, Parser)]
#[command(name = "opsconsole", version, about, long_about = None)]
pub struct Cli {
    /// Run on the embedded demo world: a simulated estate, no AWS account needed.
    #[arg(long)]
    pub demo: bool,

    /// Seed of the demo world's simulation: the same seed plays the same story.
    #[arg(long, value_name = "N", default_value_t = 1, requires = "demo")]
    pub demo_seed: u64,

    /// Nothing can be changed: the session is built without an executor.
    #[arg(long)]
    pub read_only: bool,

    /// Wall-monitor mode: read-only, no key hints, stack status in the header and footer,
    /// high-contrast theme unless another is chosen; SIGHUP reloads the configuration.
    #[arg(long)]
    pub wall: bool,

    /// With --wall: show each panel full screen in turn for this long (e.g. 30s, 2m).
    #[arg(long, value_name = "DURATION", requires = "wall", value_parser = humantime::parse_duration)]
    pub rotate: Option<std::time::Duration>,

    /// Print the current state once and exit (see --format).
    #[arg(long, conflicts_with = "wall")]
    pub snapshot: bool,

    /// Snapshot format: md for incident notes, json for scripts, text for a terminal.
    #[arg(long, value_enum, default_value = "md", requires = "snapshot")]
    pub format: Format,

    /// With --snapshot: the window of WAF counts and of journal actions, 1m to 3h (e.g. 15m,
    /// 1h, 2h30m).
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_since)]
    pub since: std::time::Duration,

    /// Panic after this long (tests that a crash restores the terminal).
    #[arg(long, hide = true, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub debug_panic_after: Option<std::time::Duration>,

    /// With --snapshot: print the API calls it made and the CloudWatch metrics it requested to
    /// stderr. (In the console, `S` shows the same, live.)
    #[arg(long, requires = "snapshot")]
    pub stats: bool,

    /// With --snapshot: exit 1 when problems exist (for scripts and cron).
    #[arg(long, requires = "snapshot")]
    pub fail_on_problems: bool,

    /// Config file [default: <config dir>/config.toml].
    #[arg(long, value_name = "PATH", env = "OPSCONSOLE_CONFIG")]
    pub config: Option<PathBuf>,

    /// Theme: dark, light, high-contrast, or the path of a theme file [default: the config's
    /// `theme`, else dark; high-contrast with --wall].
    #[arg(long, value_name = "NAME|PATH")]
    pub theme: Option<String>,

    /// Keymap: default, vim, or the path of a keymap file overlaying the default [default: the
    /// config's `keymap`, else default].
    #[arg(long, value_name = "NAME|PATH")]
    pub keymap: Option<String>,

    /// Refresh every panel at this interval (1 to 86400 seconds) instead of the configured ones
    /// [default: each panel's own: targets 10, instances 30, WAF and DNS 60].
    #[arg(long, value_name = "SECONDS", value_parser = parse_interval)]
    pub interval: Option<u64>,

    /// AWS profile (from ~/.aws/config) to use.
    #[arg(long, value_name = "NAME", env = "AWS_PROFILE")]
    pub profile: Option<String>,

    /// AWS region to watch (e.g. ap-northeast-1); repeat for several.
    #[arg(long = "region", value_name = "REGION", value_parser = parse_region)]
    pub regions: Vec<String>,

    /// Watch only this account of the config's `[[account]]` / `[organization]` (its name or
    /// id); repeat for several.
    #[arg(long = "account", value_name = "NAME")]
    pub accounts: Vec<String>,

    /// Send every AWS call to this endpoint (an emulator or a proxy).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Unknown SSH host keys: `strict` refuses them (and shows the line to add), `accept-new`
    /// records them like OpenSSH's option of that name. A changed key is always refused.
    #[arg(long, value_name = "POLICY", default_value = "strict", value_parser = host_key_policy())]
    pub ssh_host_keys: crate::source::ssh::HostKeyPolicy,

    /// Write diagnostics here [default: <state dir>/opsconsole.log].
    #[arg(long, value_name = "PATH")]
    pub log_file: Option<PathBuf>,

    /// Print shell completions for SHELL and exit.
    #[arg(long, value_name = "SHELL", value_enum)]
    pub completions: Option<clap_complete::Shell>,

    /// Print the man page (roff) and exit.
    #[arg(long)]
    pub man: bool,

    /// Print the least IAM policy (JSON) the console needs, to watch or to watch and act, and
    /// exit.
    #[arg(long, value_name = "WHAT", value_enum, hide_short_help = true)]
    pub iam_policy: Option<IamPolicy>,
}

/// Which IAM policy `--iam-policy` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum IamPolicy {
    /// Every panel, snapshots and the wall (read-only).
    Watch,
    /// Watching, plus drains, registrations and WAF toggles.
    Act,
}

/// `--ssh-host-keys`: the names help and completions offer.
fn host_key_policy()
-> impl clap::builder::TypedValueParser<Value = crate::source::ssh::HostKeyPolicy> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(["strict", "accept-new"])
        .try_map(|s| s.parse::<crate::source::ssh::HostKeyPolicy>())
}

/// The WAF window the console reads: whole minutes, at most the three hours it keeps.
const SINCE_MAX: std::time::Duration = std::time::Duration::from_secs(3 * 3600);

fn parse_since(text: &str) -> Result<std::time::Duration, String> {
    // A bare number: suggest only what would be accepted (humantime's own hint, "90sec or
    // 90ms", is refused right after).
    if let Ok(n) = text.trim().parse::<u64>() {
        return Err(if (1..=180).contains(&n) {
            format!("`{n}` has no unit: {n}m for {n} minutes (e.g. 15m, 1h, 2h30m)")
        } else {
            format!("`{n}` has no unit: give a duration from 1m to 3h (e.g. 15m, 1h, 2h30m)")
        });
    }
    let d = humantime::parse_duration(text).map_err(|e| format!("{e} (e.g. 15m, 1h, 2h30m)"))?;
    if d < std::time::Duration::from_secs(60) {
        return Err("at least 1m: WAF counts are per minute".to_string());
    }
    if d > SINCE_MAX {
        return Err(
            "at most 3h: the WAF window the console reads (its sampled requests go back 3 hours)"
                .to_string(),
        );
    }
    Ok(d)
}

fn parse_interval(text: &str) -> Result<u64, String> {
    let secs: u64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if (1..=86_400).contains(&secs) {
        Ok(secs)
    } else {
        Err("between 1 and 86400 seconds (a day)".to_string())
    }
}

/// A region name as AWS spells them: `ap-northeast-1`, `us-gov-west-1`, `cn-north-1`.
fn parse_region(text: &str) -> Result<String, String> {
    let parts: Vec<&str> = text.split('-').collect();
    let well_formed = parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts[0].len() == 2
        && parts[0].chars().all(|c| c.is_ascii_lowercase())
        && parts
            .last()
            .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()));
    if well_formed {
        Ok(text.to_string())
    } else {
        Err(format!(
            "`{text}` is not an AWS region name (like ap-northeast-1, us-east-1, eu-west-2)"
        ))
    }
}

/// The command as shell completions offer it: without the hidden options (a test hook), and with
/// the builtin themes and keymaps offered by name (a path is still accepted when typed).
pub fn completion_command() -> clap::Command {
    let full = command();
    let builtins = |arg: &clap::Arg| match arg.get_id().as_str() {
        "theme" => Some(crate::config::BUILTIN_THEMES),
        "keymap" => Some(crate::config::BUILTIN_KEYMAPS),
        _ => None,
    };
    let shown: Vec<clap::Arg> = full
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .map(|a| match builtins(a) {
            Some(names) => a
                .clone()
                .value_parser(clap::builder::PossibleValuesParser::new(
                    names.iter().copied(),
                )),
            None => a.clone(),
        })
        .collect();
    clap::Command::new("opsconsole")
        .version(env!("CARGO_PKG_VERSION"))
        .args(shown)
}

/// The full command, with the files it reads and writes listed under the options.
pub fn command() -> clap::Command {
    Cli::command().after_help(files_help())
}

pub fn parse() -> Cli {
    let matches = command().get_matches();
    match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    }
}

/// The audit journal: one for AWS, a separate one for the demo world so play never mixes with
/// the record of real changes.
pub fn journal_path(demo: bool) -> Option<PathBuf> {
    let name = if demo {
        "journal-demo.jsonl"
    } else {
        crate::action::journal::JOURNAL_FILE
    };
    crate::config::state_dir().map(|d| d.join(name))
}

/// Where block expiries and Count restores wait for their time (beside the journal).
pub fn pending_path(demo: bool) -> Option<PathBuf> {
    let name = if demo {
        "pending-demo.json"
    } else {
        crate::action::pending::PENDING_FILE
    };
    crate::config::state_dir().map(|d| d.join(name))
}

/// The files opsconsole reads and writes, by what they are, on this machine.
pub fn files() -> Vec<(&'static str, String)> {
    let show = |p: Option<PathBuf>| {
        p.map(|p| p.display().to_string())
            .unwrap_or_else(|| "(no home directory)".to_string())
    };
    let config = crate::config::config_dir();
    let state = crate::config::state_dir();
    vec![
        (
            "config",
            show(config.as_ref().map(|d| d.join("config.toml"))),
        ),
        (
            "keymap",
            show(config.as_ref().map(|d| d.join("keymap.toml"))),
        ),
        ("log", show(state.map(|d| d.join("opsconsole.log")))),
        ("journal", show(journal_path(false))),
        ("demo journal", show(journal_path(true))),
        ("pending undos", show(pending_path(false))),
        (
            "rule actions",
            show(crate::config::state_dir().map(|d| d.join("rule-actions.json"))),
        ),
    ]
}

/// What each exit status means.
pub const EXIT_STATUS: &[(u8, &str)] = &[
    (0, "done"),
    (
        1,
        "failure (the terminal could not be set up, a snapshot could not be written), or problems found with --fail-on-problems",
    ),
    (
        2,
        "usage or config error, unusable credentials, or the console started without a terminal",
    ),
    (
        3,
        "--snapshot partial: a panel failed (stderr says which; wins over 1)",
    ),
];

fn files_help() -> String {
    let mut out = String::from("Files:\n");
    for (what, path) in files() {
        out.push_str(&format!("  {what:<13} {path}\n"));
    }
    out.push_str("\nExit status:\n");
    for (code, means) in EXIT_STATUS {
        out.push_str(&format!("  {code} {means}\n"));
    }
    out.push_str("\nKeys: press ? in the console for the keys of the focused panel.");
    out
}
