//! The user's config file (`config.toml`): regions, refresh intervals, initial filters, log
//! sources. Every field has a default, so no file at all is a valid configuration.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use toml::Spanned;

use super::error::{ConfigError, Source, read_file};
use super::keymap::BUILTIN_KEYMAPS;
use super::paths;
use super::theme::BUILTIN_THEMES;
use crate::model::PanelId;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Regions to watch; empty means the profile's default region.
    pub regions: Vec<String>,
    /// AWS profile; `None` uses the usual AWS environment and default profile.
    pub profile: Option<String>,
    /// An AWS-compatible endpoint (e.g. LocalStack), `http://` or `https://`.
    #[serde(deserialize_with = "endpoint_url")]
    pub endpoint_url: Option<String>,
    /// Builtin theme name or path to a theme file (resolved against the config file's directory).
    pub theme: Option<String>,
    /// Builtin keymap name or path to a keymap file (resolved like `theme`).
    pub keymap: Option<String>,
    pub refresh: Refresh,
    pub filters: Filters,
    pub logs: LogSettings,
    pub waf: WafSettings,
    /// `[state]`: where undos, rule originals and the journal are shared with a team.
    pub state: StateSettings,
    /// `[[log]]` tables: where to tail logs from.
    pub log: Vec<LogSourceConfig>,
    /// `[[account]]` tables: the accounts watched side by side (none: the caller's own).
    pub account: Vec<super::accounts::AccountConfig>,
    /// `[organization]`: every ACTIVE account of the organization, through one role.
    pub organization: Option<super::accounts::OrganizationConfig>,
}

/// How often each panel is polled, in seconds (1..=86400).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Refresh {
    #[serde(deserialize_with = "refresh_secs")]
    pub targets: u64,
    #[serde(deserialize_with = "refresh_secs")]
    pub waf: u64,
    #[serde(deserialize_with = "refresh_secs")]
    pub dns: u64,
    #[serde(deserialize_with = "refresh_secs")]
    pub instances: u64,
    /// CloudWatch (WAF counts, target group load): each metric read is billed
    /// (60..=86400; the `S` dialog shows the cost at the current rate).
    #[serde(deserialize_with = "metrics_secs")]
    pub metrics: u64,
}

impl Default for Refresh {
    /// Target health changes fastest and matters most during an incident; WAF and DNS change
    /// by hand and their APIs have low rate limits.
    fn default() -> Refresh {
        Refresh {
            targets: 10,
            waf: 60,
            dns: 60,
            instances: 30,
            metrics: 60,
        }
    }
}

/// The filter each panel starts with (same syntax as typed after `/`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Filters {
    pub targets: Option<String>,
    pub waf: Option<String>,
    pub dns: Option<String>,
    pub instances: Option<String>,
    pub logs: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// Lines kept in memory for the logs panel (100..=10,000,000).
    #[serde(deserialize_with = "buffer_lines")]
    pub buffer_lines: usize,
    /// Lines of history fetched when a tail starts (0..=100,000).
    #[serde(deserialize_with = "backlog")]
    pub backlog: usize,
    /// `[logs.instance]`: how `l` tails an instance that has no `[[log]]` entry.
    pub instance: InstanceLogs,
}

impl Default for LogSettings {
    fn default() -> LogSettings {
        LogSettings {
            buffer_lines: 100_000,
            backlog: 200,
            instance: InstanceLogs::default(),
        }
    }
}

/// The log `l` tails on a selected instance without a `[[log]]` entry: the same fields as a
/// `[[log]]` entry, with the host taken from the instance. Without `path`, `l` explains how to
/// set one up instead of guessing which file matters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InstanceLogs {
    /// The remote file, e.g. `/var/log/nginx/access.log`.
    pub path: Option<String>,
    /// Which of the instance's addresses to connect to.
    pub address: AddressKind,
    #[serde(deserialize_with = "port")]
    pub port: Option<u16>,
    pub user: Option<String>,
    pub identity_file: Option<PathBuf>,
    pub known_hosts: Option<PathBuf>,
    /// A jump host, as for `ssh -J`, or a `Host` of the ssh config.
    pub jump: Option<String>,
    /// As `format` of a `[[log]]` entry.
    #[serde(deserialize_with = "log_format")]
    pub format: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AddressKind {
    #[default]
    Private,
    Public,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WafSettings {
    /// How far back sampled requests and counts go, in minutes (1..=180: the WAF API keeps
    /// sampled requests for three hours).
    #[serde(deserialize_with = "window_minutes")]
    pub window_minutes: u32,
    /// Ranges `b` never blocks, e.g. the office (`["203.0.113.0/24"]`).
    pub never_block: Vec<ipnet::IpNet>,
    /// `[[waf.blocklist]]`: which IP set `b` adds an address to, for which web ACL.
    pub blocklist: Vec<Blocklist>,
}

impl Default for WafSettings {
    fn default() -> WafSettings {
        WafSettings {
            window_minutes: 15,
            never_block: Vec::new(),
            blocklist: Vec::new(),
        }
    }
}

/// `[state]`: a store shared by every console that names it (`shared = "s3://bucket/prefix"`),
/// so any teammate's console carries out a scheduled undo and every wall shows it. Without it,
/// everything stays in this machine's state directory.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StateSettings {
    #[serde(deserialize_with = "shared_store_url")]
    pub shared: Option<String>,
    /// The bucket's region; default the first watched region.
    pub region: Option<String>,
}

fn shared_store_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let url = String::deserialize(d)?;
    crate::source::aws::shared_state::parse_url(&url).map_err(D::Error::custom)?;
    Ok(Some(url))
}

/// One IP set that blocks for one web ACL (a Block rule of the ACL references it; the console
/// checks). An ACL may have one IPv4 and one IPv6 set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Blocklist {
    /// The web ACL's name.
    pub web_acl: String,
    /// The IP set's name.
    pub ip_set: String,
    /// "REGIONAL" (default) or "CLOUDFRONT".
    #[serde(default = "regional")]
    pub scope: crate::model::WafScope,
    /// The IP set's region; default the first watched region (us-east-1 for CLOUDFRONT).
    pub region: Option<String>,
}

fn regional() -> crate::model::WafScope {
    crate::model::WafScope::Regional
}

/// One `[[log]]` source: a file tailed over SSH, on a host or on an EC2 instance by id, or a
/// CloudWatch Logs group (Fargate tasks, the awslogs driver) followed through the AWS API.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSourceConfig {
    /// Unique; shown in the logs panel.
    pub name: String,
    /// A hostname or address. Exactly one of `host` and `instance`.
    pub host: Option<String>,
    /// An EC2 instance id, resolved to its address. Exactly one of `host` and `instance`.
    pub instance: Option<String>,
    #[serde(default, deserialize_with = "port")]
    pub port: Option<u16>,
    pub user: Option<String>,
    /// `~/` and relative paths are resolved (relative to the config file's directory).
    pub identity_file: Option<PathBuf>,
    /// Resolved like `identity_file`.
    pub known_hosts: Option<PathBuf>,
    /// The remote file to tail (SSH sources).
    #[serde(default)]
    pub path: String,
    /// A jump host, as for `ssh -J` (`user@host:port`).
    pub jump: Option<String>,
    /// How its lines name their client: a builtin (`auto`, `combined`, `proxy-protocol`,
    /// `alb`) or a regex with a `(?P<client>…)` group. Default `auto`.
    #[serde(default, deserialize_with = "log_format")]
    pub format: Option<String>,
    /// A CloudWatch Logs group, e.g. "/ecs/nginx", instead of `host`/`instance` and `path`.
    #[serde(default)]
    pub log_group: Option<String>,
    /// Only the group's streams whose names start with this (awslogs: `prefix/container/`).
    #[serde(default)]
    pub stream_prefix: Option<String>,
    /// A CloudWatch Logs filter pattern, applied by the service.
    #[serde(default)]
    pub filter_pattern: Option<String>,
    /// The group's region; default the first watched region.
    #[serde(default)]
    pub region: Option<String>,
    /// "live" (StartLiveTail) or "poll" (FilterLogEvents); default live on AWS, poll against a
    /// custom endpoint (an emulator serves no live tail worth following).
    #[serde(default)]
    pub follow: Option<FollowMode>,
}

/// How a log group is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FollowMode {
    Live,
    Poll,
}

impl LogSourceConfig {
    /// A CloudWatch Logs source, not an SSH one.
    pub fn is_log_group(&self) -> bool {
        self.log_group.is_some()
    }
}

fn in_range<E: serde::de::Error, T: PartialOrd + std::fmt::Display>(
    v: T,
    min: T,
    max: T,
    unit: &str,
) -> Result<T, E> {
    if v < min || v > max {
        Err(E::custom(format!("must be {min}..={max}{unit}, not {v}")))
    } else {
        Ok(v)
    }
}

fn refresh_secs<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    in_range(u64::deserialize(d)?, 1, MAX_INTERVAL, " seconds")
}

fn metrics_secs<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    in_range(u64::deserialize(d)?, 60, MAX_INTERVAL, " seconds")
}

fn buffer_lines<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    in_range(usize::deserialize(d)?, 100, 10_000_000, " lines")
}

fn backlog<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    in_range(usize::deserialize(d)?, 0, 100_000, " lines")
}

fn window_minutes<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    in_range(u32::deserialize(d)?, 1, 180, " minutes")
}

fn log_format<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    crate::model::access::LogFormat::parse(&text).map_err(D::Error::custom)?;
    Ok(Some(text))
}

fn port<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    in_range(u16::deserialize(d)?, 1, u16::MAX, "").map(Some)
}

fn endpoint_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let url = String::deserialize(d)?;
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(Some(url))
    } else {
        Err(D::Error::custom(format!(
            "\"{}\" is not an http:// or https:// URL",
            url.escape_debug()
        )))
    }
}

/// Longest refresh interval: a day. Longer is almost certainly a typo (ms for s).
const MAX_INTERVAL: u64 = 86_400;

/// The second look at the file, only for checks that involve several values and so need
/// their positions: serde sees one value at a time.
#[derive(Deserialize)]
struct Located {
    #[serde(default)]
    regions: Vec<Spanned<String>>,
    profile: Option<Spanned<String>>,
    theme: Option<Spanned<String>>,
    keymap: Option<Spanned<String>>,
    #[serde(default)]
    log: Vec<Spanned<LocatedLog>>,
    waf: Option<LocatedWaf>,
    #[serde(default)]
    account: Vec<Spanned<super::accounts::LocatedAccount>>,
    organization: Option<super::accounts::LocatedOrganization>,
}

#[derive(Deserialize)]
struct LocatedWaf {
    #[serde(default)]
    blocklist: Vec<Spanned<LocatedBlocklist>>,
}

#[derive(Deserialize)]
struct LocatedBlocklist {
    web_acl: Option<String>,
    scope: Option<String>,
    region: Option<Spanned<String>>,
}

#[derive(Deserialize)]
struct LocatedLog {
    name: Spanned<String>,
    host: Option<Spanned<String>>,
    instance: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
    log_group: Option<Spanned<String>>,
    stream_prefix: Option<Spanned<String>>,
    filter_pattern: Option<Spanned<String>>,
    region: Option<Spanned<String>>,
    user: Option<Spanned<String>>,
    jump: Option<Spanned<String>>,
}

/// What CloudWatch Logs accepts as a group name: `[\.\-_/#A-Za-z0-9]+`, 1 to 512 long.
fn is_log_group_name(name: &str) -> bool {
    (1..=512).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | '#'))
}

/// `eu-west-1`, `us-gov-west-1`, `ap-southeast-3`: letters, dashes, a final number.
pub(super) fn looks_like_region(r: &str) -> bool {
    let mut parts = r.split('-');
    let first = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    first.len() == 2
        && first.chars().all(|c| c.is_ascii_lowercase())
        && rest.len() >= 2
        && rest
            .last()
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        && rest[..rest.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
}

/// A `theme`/`keymap` value must be a builtin name or an existing file; checked here so a typo
/// is reported at its line in config.toml rather than as a missing file somewhere else.
fn check_choice(
    src: Source<'_>,
    field: &str,
    value: &Option<Spanned<String>>,
    builtins: &[&str],
) -> Result<(), ConfigError> {
    let Some(v) = value else {
        return Ok(());
    };
    if builtins.contains(&v.get_ref().as_str()) {
        return Ok(());
    }
    let path = paths::resolve(Path::new(v.get_ref()), config_dir_of(src.name));
    if path.is_file() {
        return Ok(());
    }
    Err(src.error(
        v.span(),
        field,
        format!(
            "\"{}\" is neither a builtin {field} ({}) nor a file (no {})",
            v.get_ref().escape_debug(),
            builtins.join(", "),
            path.display()
        ),
    ))
}

/// A regional `[[waf.blocklist]]` in a region the console does not watch would be dropped
/// without a word (`b` would then say no set is configured): an error at its line instead.
fn check_blocklist_regions(src: Source<'_>, located: &Located) -> Result<(), ConfigError> {
    let watched: Vec<&str> = located
        .regions
        .iter()
        .map(|r| r.get_ref().as_str())
        .collect();
    let Some(waf) = &located.waf else {
        return Ok(());
    };
    for entry in &waf.blocklist {
        let b = entry.get_ref();
        let regional = !b
            .scope
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("CLOUDFRONT"));
        if let Some(region) = &b.region
            && regional
            && let Some(why) = unwatched_blocklist(region.get_ref(), &watched)
        {
            let label = format!(
                "[[waf.blocklist]] \"{}\"",
                b.web_acl.as_deref().unwrap_or("?").escape_debug()
            );
            return Err(src.error(region.span(), label, why));
        }
    }
    Ok(())
}

/// Why a regional blocklist in `region` is not read, if it is not: the console watches only
/// `watched` (an empty list: the profile's region, not known here).
pub fn unwatched_blocklist(region: &str, watched: &[&str]) -> Option<String> {
    (!watched.is_empty() && !watched.contains(&region)).then(|| {
        format!(
            "region {region} is not watched ({}): add it to regions, or the IP set is never read and b cannot block",
            watched.join(", ")
        )
    })
}

/// The directory relative paths in a config file are resolved against.
fn config_dir_of(file: &Path) -> Option<&Path> {
    file.parent().filter(|d| !d.as_os_str().is_empty())
}

fn check(src: Source<'_>) -> Result<(), ConfigError> {
    let located: Located = src.parse()?;
    check_choice(src, "theme", &located.theme, BUILTIN_THEMES)?;
    check_choice(src, "keymap", &located.keymap, BUILTIN_KEYMAPS)?;

    let mut seen = HashMap::new();
    for r in &located.regions {
        if !looks_like_region(r.get_ref()) {
            return Err(src.error(
                r.span(),
                "regions",
                format!(
                    "\"{}\" is not an AWS region name (like \"eu-west-1\")",
                    r.get_ref().escape_debug()
                ),
            ));
        }
        if let Some(first) = seen.insert(r.get_ref().clone(), r.span()) {
            let line = super::error::line_col(src.text, first.start).0;
            return Err(src.error(
                r.span(),
                "regions",
                format!("\"{}\" is listed twice (first on line {line})", r.get_ref()),
            ));
        }
    }
    if let Some(p) = &located.profile
        && p.get_ref().trim().is_empty()
    {
        return Err(src.error(
            p.span(),
            "profile",
            "empty profile name; leave it out for the default",
        ));
    }

    check_blocklist_regions(src, &located)?;
    super::accounts::check(src, &located.account, located.organization.as_ref())?;

    let mut names = HashMap::new();
    for entry in &located.log {
        let log = entry.get_ref();
        let name = log.name.get_ref();
        let label = format!("[[log]] \"{}\"", name.escape_debug());
        if name.trim().is_empty() {
            return Err(src.error(log.name.span(), "[[log]] name", "empty name"));
        }
        if let Some(first) = names.insert(name.clone(), log.name.span()) {
            let line = super::error::line_col(src.text, first.start).0;
            return Err(src.error(
                log.name.span(),
                label,
                format!("another log source has this name (line {line}); names must be unique"),
            ));
        }
        match (&log.log_group, &log.host, &log.instance, &log.path) {
            (Some(_), Some(other), _, _)
            | (Some(_), _, Some(other), _)
            | (Some(_), _, _, Some(other)) => {
                return Err(src.error(
                    other.span(),
                    label,
                    "a log_group is followed through CloudWatch Logs: leave out host, instance and path",
                ));
            }
            (Some(_), None, None, None) => {}
            (None, Some(_), Some(instance), _) => {
                return Err(src.error(instance.span(), label, "give host or instance, not both"));
            }
            (None, None, None, _) => {
                return Err(src.error(
                    entry.span(),
                    label,
                    "needs a host (\"host = ...\"), an EC2 instance id (\"instance = ...\") or a CloudWatch Logs group (\"log_group = ...\")",
                ));
            }
            (None, _, _, None) => {
                return Err(src.error(
                    entry.span(),
                    label,
                    "needs the remote file to tail (\"path = ...\")",
                ));
            }
            _ => {}
        }
        if log.log_group.is_none()
            && let Some(v) = log
                .stream_prefix
                .as_ref()
                .or(log.filter_pattern.as_ref())
                .or(log.region.as_ref())
        {
            return Err(src.error(
                v.span(),
                label,
                "stream_prefix, filter_pattern and region belong to a log_group entry",
            ));
        }
        if let Some(p) = &log.filter_pattern
            && p.get_ref().len() > 1024
        {
            return Err(src.error(
                p.span(),
                format!("{label} filter_pattern"),
                "CloudWatch Logs takes at most 1024 characters",
            ));
        }
        if let Some(g) = &log.log_group
            && !is_log_group_name(g.get_ref())
        {
            return Err(src.error(
                g.span(),
                format!("{label} log_group"),
                format!(
                    "\"{}\" is not a log group name (1 to 512 of A-Z a-z 0-9 . - _ / #)",
                    g.get_ref().escape_debug()
                ),
            ));
        }
        if let Some(r) = &log.region
            && !looks_like_region(r.get_ref())
        {
            return Err(src.error(
                r.span(),
                format!("{label} region"),
                format!(
                    "\"{}\" is not an AWS region name (like \"eu-west-1\")",
                    r.get_ref().escape_debug()
                ),
            ));
        }
        for (field, value) in [
            ("host", &log.host),
            ("instance", &log.instance),
            ("path", &log.path),
            ("log_group", &log.log_group),
            ("stream_prefix", &log.stream_prefix),
            ("user", &log.user),
            ("jump", &log.jump),
        ] {
            if let Some(v) = value
                && v.get_ref().trim().is_empty()
            {
                return Err(src.error(v.span(), format!("{label} {field}"), "empty value"));
            }
        }
    }
    Ok(())
}

impl Settings {
    /// The explicit file (which must exist), else `<config dir>/config.toml` if it exists,
    /// else the defaults. Returns the file used.
    pub fn load(explicit: Option<&Path>) -> Result<(Settings, Option<PathBuf>), ConfigError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => match paths::user_config_path() {
                Some(p) if p.is_file() => p,
                _ => return Ok((Settings::default(), None)),
            },
        };
        let text = read_file(&path)?;
        let settings = Settings::parse(&text, &path)?;
        Ok((settings, Some(path)))
    }

    /// Parses and checks a config text; `file` names it in errors and anchors relative paths.
    pub fn parse(text: &str, file: &Path) -> Result<Settings, ConfigError> {
        let src = Source::new(file, text);
        let mut settings: Settings = src.parse()?;
        check(src)?;
        settings.resolve_paths(config_dir_of(file));
        Ok(settings)
    }

    /// Makes paths written in the file independent of the current directory.
    fn resolve_paths(&mut self, dir: Option<&Path>) {
        let resolve = |spec: &mut Option<String>, builtins: &[&str]| {
            if let Some(s) = spec
                && !builtins.contains(&s.as_str())
            {
                *s = paths::resolve(Path::new(s), dir)
                    .to_string_lossy()
                    .into_owned();
            }
        };
        resolve(&mut self.theme, BUILTIN_THEMES);
        resolve(&mut self.keymap, BUILTIN_KEYMAPS);
        let instance = &mut self.logs.instance;
        let files = [&mut instance.identity_file, &mut instance.known_hosts];
        let logs = self
            .log
            .iter_mut()
            .flat_map(|log| [&mut log.identity_file, &mut log.known_hosts]);
        for p in files.into_iter().chain(logs).flatten() {
            *p = paths::resolve(p, dir);
        }
    }

    /// The polling interval of a panel. Logs are streamed, not polled; for them this returns
    /// the targets interval so code iterating over every panel gets a sane value.
    /// Every polled panel with its refresh interval.
    pub fn polled_intervals(&self) -> Vec<(PanelId, Duration)> {
        PanelId::TABLES
            .into_iter()
            .map(|p| (p, self.interval(p)))
            .collect()
    }

    pub fn interval(&self, panel: PanelId) -> Duration {
        let secs = match panel {
            PanelId::Targets | PanelId::Logs => self.refresh.targets,
            PanelId::Waf => self.refresh.waf,
            PanelId::Dns => self.refresh.dns,
            PanelId::Instances => self.refresh.instances,
        };
        Duration::from_secs(secs)
    }

    /// The filter a panel starts with; an empty string counts as none.
    pub fn initial_filter(&self, panel: PanelId) -> Option<&str> {
        let f = match panel {
            PanelId::Targets => &self.filters.targets,
            PanelId::Waf => &self.filters.waf,
            PanelId::Dns => &self.filters.dns,
            PanelId::Instances => &self.filters.instances,
            PanelId::Logs => &self.filters.logs,
        };
        f.as_deref().filter(|s| !s.is_empty())
    }

    /// `--interval`: every panel refreshes at this pace (clamped to 1..=86400 seconds, the
    /// range the file accepts). CloudWatch keeps its own pace: it is billed per read.
    pub fn apply_interval_override(&mut self, secs: u64) {
        let secs = secs.clamp(1, MAX_INTERVAL);
        self.refresh = Refresh {
            targets: secs,
            waf: secs,
            dns: secs,
            instances: secs,
            metrics: self.refresh.metrics,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(rel)
    }

    fn parse(text: &str) -> Result<Settings, ConfigError> {
        Settings::parse(text, Path::new("/etc/ops/config.toml"))
    }

    #[test]
    fn no_file_is_all_defaults() {
        let s = parse("").unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(s.interval(PanelId::Targets), Duration::from_secs(10));
        assert_eq!(s.interval(PanelId::Waf), Duration::from_secs(60));
        assert_eq!(s.interval(PanelId::Dns), Duration::from_secs(60));
        assert_eq!(s.interval(PanelId::Instances), Duration::from_secs(30));
        assert_eq!(s.interval(PanelId::Logs), Duration::from_secs(10));
        assert_eq!(s.logs.buffer_lines, 100_000);
        assert_eq!(s.logs.backlog, 200);
        assert_eq!(s.waf.window_minutes, 15);
        assert_eq!(s.initial_filter(PanelId::Targets), None);
    }

    #[test]
    fn valid_fixture_loads() {
        let path = fixture("valid/config.toml");
        let (s, used) = Settings::load(Some(&path)).unwrap();
        assert_eq!(used.as_deref(), Some(path.as_path()));
        assert_eq!(s.regions, ["eu-west-1", "us-east-1"]);
        assert_eq!(s.profile.as_deref(), Some("prod-readonly"));
        assert_eq!(s.theme.as_deref(), Some("high-contrast"));
        let dir = path.parent().unwrap();
        assert_eq!(
            s.keymap,
            Some(dir.join("user-keymap.toml").to_string_lossy().into_owned())
        );
        assert_eq!(s.interval(PanelId::Targets), Duration::from_secs(5));
        assert_eq!(
            s.interval(PanelId::Dns),
            Duration::from_secs(60),
            "unset keeps its default"
        );
        assert_eq!(s.initial_filter(PanelId::Targets), Some("unhealthy"));
        assert_eq!(s.initial_filter(PanelId::Waf), None);
        assert_eq!(s.logs.buffer_lines, 50_000);
        assert_eq!(s.waf.window_minutes, 30);
        assert_eq!(s.log.len(), 2);
        assert_eq!(s.log[0].host.as_deref(), Some("web-1.internal"));
        assert_eq!(s.log[0].port, Some(2222));
        assert_eq!(s.log[1].instance.as_deref(), Some("i-0abc123def4567890"));
        assert_eq!(s.log[1].identity_file, Some(dir.join("keys/ops")));
    }

    #[test]
    fn interval_override_sets_every_panel() {
        let mut s = Settings::default();
        s.apply_interval_override(3);
        for p in PanelId::ALL {
            assert_eq!(s.interval(p), Duration::from_secs(3));
        }
        s.apply_interval_override(0);
        assert_eq!(s.interval(PanelId::Waf), Duration::from_secs(1));
    }

    #[test]
    fn explicit_file_must_exist() {
        let e = Settings::load(Some(Path::new("/nonexistent/ops.toml"))).unwrap_err();
        assert_eq!(e.to_string(), "/nonexistent/ops.toml: file not found");
    }

    fn fixture_err(rel: &str) -> String {
        Settings::load(Some(&fixture(rel))).unwrap_err().to_string()
    }

    #[test]
    fn bad_toml_is_located() {
        let e = fixture_err("invalid/bad-toml.toml");
        assert!(e.contains("bad-toml.toml:6:11: refresh.targets: "), "{e}");
        assert!(e.contains("refresh.targets"), "{e}");
    }

    #[test]
    fn a_shared_store_must_be_an_s3_url_and_is_located() {
        let ok = parse("[state]\nshared = \"s3://team-ops/opsconsole\"\n").expect("valid");
        assert_eq!(ok.state.shared.as_deref(), Some("s3://team-ops/opsconsole"));
        for bad in ["team-ops/opsconsole", "s3://Team_Ops/x"] {
            let e = parse(&format!("[state]\nshared = \"{bad}\"\n"))
                .expect_err(bad)
                .to_string();
            assert!(e.contains(":2:") && e.contains("state.shared"), "{e}");
        }
    }

    #[test]
    fn unknown_field_is_located() {
        let e = fixture_err("invalid/unknown-field-config.toml");
        assert!(
            e.contains("unknown-field-config.toml:9:1: refresh.intances: unknown field `intances`"),
            "{e}"
        );
    }

    #[test]
    fn zero_interval_is_located() {
        let e = fixture_err("invalid/zero-interval-config.toml");
        assert!(
            e.contains(
                "zero-interval-config.toml:7:7: refresh.dns: must be 1..=86400 seconds, not 0"
            ),
            "{e}"
        );
    }

    #[test]
    fn checks_are_located() {
        let cases = [
            (
                "regions = [\"eu-west-1\", \"eu-wset1\"]\n",
                1,
                "not an AWS region",
            ),
            (
                "regions = [\"eu-west-1\",\n  \"eu-west-1\"]\n",
                2,
                "listed twice (first on line 1)",
            ),
            ("profile = \"\"\n", 1, "empty profile"),
            (
                "regions = [\"ap-northeast-1\"]\n[[waf.blocklist]]\nweb_acl = \"a\"\nip_set = \"s\"\nregion = \"us-east-1\"\n",
                5,
                "region us-east-1 is not watched (ap-northeast-1)",
            ),
            (
                "endpoint_url = \"localhost:4566\"\n",
                1,
                "endpoint_url: \"localhost:4566\" is not an http",
            ),
            (
                "[logs]\nbuffer_lines = 10\n",
                2,
                "logs.buffer_lines: must be 100..=10000000 lines, not 10",
            ),
            (
                "[waf]\nwindow_minutes = 181\n",
                2,
                "waf.window_minutes: must be 1..=180 minutes",
            ),
            (
                "[[log]]\nname = \"a\"\nhost = \"h\"\npath = \"/x\"\n[[log]]\nname = \"a\"\nhost = \"h\"\npath = \"/y\"\n",
                6,
                "[[log]] \"a\": another log source has this name (line 2)",
            ),
            (
                "[[log]]\nname = \"a\"\nhost = \"h\"\ninstance = \"i-1\"\npath = \"/x\"\n",
                4,
                "give host or instance, not both",
            ),
            (
                "[[account]]\nname = \"prod\"\nprofile = \"p\"\nrole_arn = \"arn:aws:iam::222222222222:role/Ops\"\n",
                4,
                "[[account]] \"prod\": give profile or role_arn, not both",
            ),
            (
                "[[account]]\nname = \"prod\"\nrole_arn = \"arn:aws:iam::2222:role/Ops\"\n",
                3,
                "is not an IAM role ARN",
            ),
            (
                "[[account]]\nname = \"a\"\nprofile = \"p\"\n[[account]]\nname = \"a\"\nprofile = \"q\"\n",
                5,
                "another account has this name (line 2)",
            ),
            (
                "[[account]]\nname = \"a\"\nprofile = \"p\"\nexternal_id = \"ops-2026\"\n",
                4,
                "external_id is given when assuming role_arn",
            ),
            (
                "[[account]]\nname = \"a\"\nrole_arn = \"arn:aws:iam::222222222222:role/Ops\"\nexternal_id = \"x\"\n",
                4,
                "external_id of 2 to 1224",
            ),
            ("[[account]]\nname = \"a\"\n", 1, "needs a profile"),
            (
                "[organization]\nrole_name = \"arn:aws:iam::1:role/x\"\n",
                2,
                "role_name is an IAM role name",
            ),
            (
                "[organization]\nrole_name = \"Ops\"\nexclude = [\"12345\"]\n",
                3,
                "\"12345\" is not an account id",
            ),
            (
                "[[account]]\nname = \"a\"\nprofile = \"p\"\nregions = [\"eu-wset1\"]\n",
                4,
                "not an AWS region name",
            ),
            (
                "[[log]]\nname = \"a\"\nlog_group = \"/ecs/nginx\"\npath = \"/x\"\n",
                4,
                "a log_group is followed through CloudWatch Logs: leave out host, instance and path",
            ),
            (
                "[[log]]\nname = \"a\"\nlog_group = \"/ecs/nginx*\"\n",
                3,
                "is not a log group name",
            ),
            (
                "[[log]]\nname = \"a\"\nhost = \"h\"\npath = \"/x\"\nstream_prefix = \"nginx/\"\n",
                5,
                "stream_prefix, filter_pattern and region belong to a log_group entry",
            ),
            (
                "[[log]]\nname = \"a\"\nhost = \"h\"\n",
                1,
                "needs the remote file to tail",
            ),
            (
                "[[log]]\nname = \"a\"\nlog_group = \"/ecs/nginx\"\nfollow = \"stream\"\n",
                4,
                "follow",
            ),
            (
                "\n[[log]]\nname = \"a\"\npath = \"/x\"\n",
                2,
                "needs a host",
            ),
            (
                "[[log]]\nname = \"a\"\nhost = \"h\"\npath = \"/x\"\nport = 0\n",
                5,
                "log.port: must be 1..=65535",
            ),
            (
                "[[log]]\nname = \"a\"\nhost = \"h\"\npath = \"\"\n",
                4,
                "\"a\" path: empty value",
            ),
        ];
        for (text, line, needle) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, Some(line), "{e}");
            let shown = e.to_string();
            assert!(shown.starts_with("/etc/ops/config.toml:"), "{shown}");
            assert!(shown.contains(needle), "{shown}");
        }
    }

    /// The shipped example changes nothing as written, and every optional line in it is valid
    /// once uncommented (`#key = ...` without a space marks those lines).
    #[test]
    fn example_config_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(Settings::parse(&text, &path).unwrap(), Settings::default());

        let uncommented: String = text
            .lines()
            .map(|l| match l.strip_prefix('#') {
                Some(rest) if rest.starts_with(|c: char| c.is_ascii_lowercase() || c == '[') => {
                    rest
                }
                _ => l,
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let s = Settings::parse(&uncommented, &path).unwrap();
        assert_eq!(s.regions.len(), 2);
        assert_eq!(s.log.len(), 2);
        assert_eq!(s.account.len(), 2);
        assert!(s.organization.is_some());
        assert_eq!(s.initial_filter(PanelId::Logs), Some("error"));
        assert!(s.log[1].jump.is_some());
        let instance = &s.logs.instance;
        assert_eq!(instance.path.as_deref(), Some("/var/log/nginx/access.log"));
        assert_eq!(instance.address, AddressKind::Public);
        assert!(
            instance
                .identity_file
                .as_ref()
                .is_some_and(|p| p.is_absolute())
        );
    }

    #[test]
    fn instance_logs_reject_an_unknown_address_kind() {
        let e = parse("[logs.instance]\naddress = \"elastic\"\n").unwrap_err();
        let shown = e.to_string();
        assert!(shown.contains("address"), "{shown}");
        assert!(shown.contains("private"), "{shown}");
    }

    #[test]
    fn region_names() {
        for r in [
            "eu-west-1",
            "us-gov-west-1",
            "ap-southeast-3",
            "il-central-1",
            "cn-north-1",
        ] {
            assert!(looks_like_region(r), "{r}");
        }
        for r in [
            "",
            "eu",
            "euwest1",
            "eu-west",
            "EU-WEST-1",
            "eu--1",
            "eu-west-x",
        ] {
            assert!(!looks_like_region(r), "{r}");
        }
    }

    #[test]
    fn builtin_names_are_not_paths() {
        let s = parse("theme = \"light\"\nkeymap = \"vim\"\n").unwrap();
        assert_eq!(s.theme.as_deref(), Some("light"));
        assert_eq!(s.keymap.as_deref(), Some("vim"));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mine.toml"), "").unwrap();
        let config = dir.path().join("config.toml");
        let s = Settings::parse("theme = \"mine.toml\"\n", &config).unwrap();
        let expected = dir.path().join("mine.toml");
        assert_eq!(s.theme.as_deref(), expected.to_str());
    }

    #[test]
    fn unknown_theme_or_keymap_is_located_in_the_config() {
        let e = parse("# x\ntheme = \"drak\"\n").unwrap_err().to_string();
        assert_eq!(
            e,
            "/etc/ops/config.toml:2:9: theme: \"drak\" is neither a builtin theme (dark, light, \
             high-contrast) nor a file (no /etc/ops/drak)"
        );
        let e = parse("keymap = \"emacs\"\n").unwrap_err().to_string();
        assert!(
            e.contains(":1:10: keymap: \"emacs\" is neither a builtin keymap (default, vim)"),
            "{e}"
        );
    }
}
