//! Entry point: parses the command line, loads config, and starts the console or a snapshot.

use opsconsole::action::{Journal, Journaled, Scheduled};
use opsconsole::app::App;
use opsconsole::cli::{self, Cli};
use opsconsole::config::{Config, ConfigError, Overrides, Settings};
use opsconsole::source::Session;
use opsconsole::source::aws::{self, AwsOptions};
use opsconsole::source::demo::{Clock, DemoWorld};
use opsconsole::source::ssh;
use opsconsole::{snapshot, tui};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

/// Exit codes, documented in `--help` and the README.
const EXIT_FAILURE: u8 = 1;
const EXIT_PROBLEMS: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_PARTIAL: u8 = 3;

fn main() -> ExitCode {
    opsconsole::memory::keep_small();
    let cli = cli::parse();
    if let Some(shell) = cli.completions {
        clap_complete::generate(
            shell,
            &mut cli::completion_command(),
            "opsconsole",
            &mut std::io::stdout(),
        );
        return ExitCode::SUCCESS;
    }
    if let Some(what) = cli.iam_policy {
        let act = what == cli::IamPolicy::Act;
        // With accounts configured, the base identity's policy and the roles' trust too.
        let settings = match Settings::load(cli.config.as_deref()) {
            Ok((settings, _)) => settings,
            Err(e) => return fail(EXIT_USAGE, &e.to_string()),
        };
        if settings.account.is_empty() && settings.organization.is_none() {
            println!("{}", opsconsole::source::aws::permissions::policy_json(act));
        } else {
            println!(
                "{}",
                opsconsole::source::aws::permissions::accounts_policy_json(
                    act,
                    &settings.account,
                    settings.organization.as_ref()
                )
            );
        }
        return ExitCode::SUCCESS;
    }
    if cli.man {
        let mut out = Vec::new();
        return match opsconsole::manpage::render(&mut out) {
            Ok(()) => {
                let _ = std::io::stdout().write_all(&out);
                ExitCode::SUCCESS
            }
            Err(e) => fail(EXIT_FAILURE, &format!("could not render the man page: {e}")),
        };
    }
    if let Some(twice) = duplicate(&cli.regions) {
        return fail(
            EXIT_USAGE,
            &format!("--region {twice} is given twice: name each region once"),
        );
    }
    let _log_guard = match start_logging(&cli) {
        Ok(guard) => guard,
        Err(message) => return fail(EXIT_USAGE, &message),
    };
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        demo = cli.demo,
        read_only = cli.read_only,
        snapshot = cli.snapshot,
        "starting"
    );
    let mut loaded = match load(&cli) {
        Ok(l) => l,
        Err(e) => return fail(EXIT_USAGE, &e.to_string()),
    };
    if !cli.demo
        && let Err(message) = blocklists_watched(&cli, &loaded.settings)
    {
        return fail(EXIT_USAGE, &message);
    }
    if cli.snapshot {
        // The snapshot's WAF counts cover --since (WAF keeps three hours).
        loaded.settings.waf.window_minutes = (cli.since.as_secs() / 60).clamp(1, 180) as u32;
    }
    // One worker beside the UI loop's own thread is plenty for a console that mostly waits; a
    // second one spends an idle console's CPU spinning for work to steal. A snapshot fans out
    // and parses in parallel, so it keeps one worker per core.
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if !cli.snapshot {
        builder.worker_threads(1);
    }
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(EXIT_FAILURE, &format!("could not start the runtime: {e}")),
    };
    let options = aws_options(&cli, &loaded.settings);
    // One shared configuration for the session and the credential check: credentials are
    // resolved once (a prompt for a second factor comes once).
    let base = (!cli.demo).then(|| runtime.block_on(aws::base_config(&options)));
    let mut session = match runtime.block_on(build_session(&cli, &loaded.settings, base.clone())) {
        Ok(s) => s,
        Err(message) => return fail(EXIT_USAGE, &message),
    };
    // Credentials are resolved once, before anything is fetched: a snapshot stops at once with
    // the one sentence that says what to fix; the console starts, shows it full width, and its
    // panels keep retrying (an `aws sso login` in another terminal brings them to life).
    let credential_problem = match &base {
        None => None,
        Some(base) => runtime
            .block_on(aws::check_credentials(
                base,
                &options,
                // Before the console takes the terminal: stderr is read by the operator.
                &|note: &str| eprintln!("opsconsole: {note}"),
            ))
            .err()
            .map(|e| e.message),
    };
    if let (true, Some(problem)) = (cli.snapshot, &credential_problem) {
        return fail(EXIT_USAGE, problem);
    }
    // The demo world is a closed simulation with its own logs: configured hosts are never
    // contacted from it.
    if !cli.demo {
        let access = ssh::SshAccess::new(ssh::SshOptions {
            host_key_policy: cli.ssh_host_keys,
            ..Default::default()
        });
        let instances = Some(session.sources.instances.clone());
        let logs = ssh::configured(&loaded.settings.log, instances, &access.options);
        session.sources.logs.extend(logs);
        session.ssh = Some(access);
    }
    if cli.snapshot {
        return runtime.block_on(run_snapshot(&cli, &loaded.settings, session));
    }
    if !std::io::stdout().is_terminal() {
        return fail(
            EXIT_USAGE,
            "stdout is not a terminal: use --snapshot for output to a file or pipe",
        );
    }
    let mut session = match journaled(session, &cli, &loaded.settings) {
        Ok(s) => s,
        Err(message) => return fail(EXIT_FAILURE, &message),
    };
    let mut earlier = keep_timeline(&mut session, &cli);
    // The demo's story of the last hour, as a wall would have seen it.
    if let Some(story) = session.history.clone().filter(|h| !h.tells_who())
        && let Err(e) = runtime.block_on(story.explain(TIMELINE_AT_START, &mut earlier))
    {
        tracing::warn!(error = %e, "the demo's story could not be told");
    }
    let mut app = App::new(
        session.sources.scope.clone(),
        loaded.keymap,
        &loaded.settings,
        session.executor.is_none(),
        chrono::Utc::now(),
    );
    app.keep_in_timeline(earlier);
    app.asks_who = session.history.as_ref().is_some_and(|h| h.tells_who());
    app.api_stats = session.stats.clone();
    app.credential_problem = credential_problem;
    app.debug_panic_at = cli
        .debug_panic_after
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .map(|d| chrono::Utc::now() + d);
    app.shared_state = session.shared.as_ref().map(|s| s.url().to_string());
    // Undos a console stopped by a signal left scheduled: said first, once they are read.
    let journal = cli::journal_path(cli.demo);
    if let Some(path) = &journal {
        match opsconsole::action::journal::left_scheduled_at_end(path) {
            Ok(left) => app.left_by_signal = left,
            Err(e) => tracing::warn!(error = %e, "the journal's last entries could not be read"),
        }
    }
    let (app, reload) = if cli.wall {
        // A wall re-reads its configuration on SIGHUP rather than quitting.
        let reload_cli = cli.clone();
        let reload: tui::Reload = Box::new(move || load(&reload_cli));
        (app.into_wall(cli.rotate), Some(reload))
    } else {
        (app, None)
    };
    match runtime.block_on(tui::run(
        session,
        loaded.settings,
        app,
        loaded.theme,
        reload,
        journal,
    )) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(EXIT_FAILURE, &format!("{e:#}")),
    }
}

/// How far back a console's `T` starts: what consoles (a wall, an earlier run) saw in the last
/// hour is listed from the start.
const TIMELINE_AT_START: chrono::Duration = chrono::Duration::hours(1);

/// Opens the timeline file beside the journal for this console's observations (a wall's and a
/// read-only console's too: a local file, not a change to AWS), and returns what it holds from
/// the last hour. Without a state directory the timeline is kept in memory only.
fn keep_timeline(session: &mut Session, cli: &Cli) -> Vec<opsconsole::timeline::Entry> {
    use opsconsole::timeline::store;
    let Some(path) = cli::journal_path(cli.demo).map(|j| store::beside(&j)) else {
        return Vec::new();
    };
    let since = chrono::Utc::now() - TIMELINE_AT_START;
    let earlier = match store::read_since(&path, since, None) {
        Ok(read) => read.entries,
        Err(e) => {
            tracing::warn!(error = %e, "the timeline file could not be read");
            Vec::new()
        }
    };
    match store::Timeline::open(&path) {
        Ok(t) => session.timeline = Some(Arc::new(t)),
        Err(e) => tracing::warn!(error = %e, "the timeline file could not be opened"),
    }
    earlier
}

/// The config file's check sees its own `regions`; `--region` may watch others: a regional
/// `[[waf.blocklist]]` outside what is watched now would be dropped without a word.
fn blocklists_watched(cli: &Cli, settings: &Settings) -> Result<(), String> {
    let regions = aws_options(cli, settings).regions;
    let watched: Vec<&str> = regions.iter().map(String::as_str).collect();
    for b in &settings.waf.blocklist {
        if let (opsconsole::model::WafScope::Regional, Some(region)) = (b.scope, &b.region)
            && let Some(why) = opsconsole::config::settings::unwatched_blocklist(region, &watched)
        {
            return Err(format!(
                "[[waf.blocklist]] web_acl = \"{}\", ip_set = \"{}\": {why}",
                b.web_acl.escape_debug(),
                b.ip_set.escape_debug()
            ));
        }
    }
    Ok(())
}

/// Settings, keymap and theme: shipped defaults, the user's files, then the command line.
fn load(cli: &Cli) -> Result<Config, ConfigError> {
    // A wall is seen from across the room: high contrast unless a theme is chosen.
    let wall_theme = (cli.wall && cli.theme.is_none()).then_some("high-contrast");
    Config::load(&Overrides {
        config: cli.config.as_deref(),
        theme: cli.theme.as_deref().or(wall_theme),
        keymap: cli.keymap.as_deref(),
        interval: cli.interval,
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
    })
}

/// Every executor writes the audit journal: a read-only session has none, anything else gets
/// its executor wrapped so each mutation is recorded before the console reports it.
fn journaled(mut session: Session, cli: &Cli, settings: &Settings) -> Result<Session, String> {
    // Shown by every console; carried out only by one that may change the world, and only
    // by one acting in the account and endpoint the change was made in.
    let endpoint = aws_options(cli, settings).endpoint_url;
    let local = cli::pending_path(cli.demo);
    let pending =
        opsconsole::action::pending::store_for(&session, local.as_deref(), endpoint).map(Arc::new);
    session.pending = pending.clone();
    if cli.read_only || cli.wall {
        return Ok(session.read_only());
    }
    // Every block is checked again just before it is sent, whatever asked for it.
    let session = opsconsole::action::guard::guarded(session, settings.waf.never_block.clone());
    let Some(inner) = session.executor.clone() else {
        return Ok(session);
    };
    let inner: Arc<dyn opsconsole::action::Executor> = match pending {
        Some(store) => Arc::new(Scheduled::new(inner, store)),
        None => inner,
    };
    let path = cli::journal_path(cli.demo)
        .ok_or("no state directory for the audit journal: set OPSCONSOLE_STATE_DIR")?;
    let journal = Journal::open(&path)
        .map_err(|e| format!("cannot open the audit journal {}: {e}", path.display()))?;
    let identity = session.sources.identity.clone();
    let journaled = Journaled::new(inner, Arc::new(journal), identity);
    let journaled = match &session.shared {
        Some(store) => journaled.sharing(store.clone()),
        None => journaled,
    };
    Ok(Session {
        executor: Some(Arc::new(journaled)),
        ..session
    })
}

/// The demo world, or AWS through the credential chain (profile, regions and endpoint from the
/// command line, else the config file, else the SDK's own environment).
async fn build_session(
    cli: &Cli,
    settings: &Settings,
    base: Option<aws_config::SdkConfig>,
) -> Result<Session, String> {
    match base {
        Some(base) => aws::connect_with(base, &aws_options(cli, settings))
            .await
            .map_err(|e| e.to_string()),
        None => {
            let world = DemoWorld::with_waf_window(
                cli.demo_seed,
                Clock::System,
                settings.waf.window_minutes,
            );
            // What other demo processes did (a console's blocks, seen by a snapshot or a wall);
            // one that changes nothing itself keeps following it.
            if let Some(path) = cli::journal_path(true) {
                let replayed = if cli.read_only || cli.wall || cli.snapshot {
                    world.follow_journal(&path)
                } else {
                    world.replay_journal(&path)
                };
                if let Err(why) = replayed {
                    tracing::warn!(%why, "the demo journal could not be replayed");
                }
            }
            Ok(world.session())
        }
    }
}

/// Where and how to reach AWS: the command line, else the config file, else the SDK's own
/// environment.
fn aws_options(cli: &Cli, settings: &Settings) -> AwsOptions {
    AwsOptions {
        profile: cli.profile.clone().or_else(|| settings.profile.clone()),
        regions: if cli.regions.is_empty() {
            settings.regions.clone()
        } else {
            cli.regions.clone()
        },
        endpoint_url: cli
            .endpoint_url
            .clone()
            .or_else(|| settings.endpoint_url.clone()),
        waf_window_minutes: settings.waf.window_minutes,
        metrics_every_secs: settings.refresh.metrics,
        static_credentials: None,
        read_only: cli.read_only || cli.snapshot || cli.wall,
        one_shot: cli.snapshot,
        blocklists: settings.waf.blocklist.clone(),
        log_groups: settings.log.clone(),
        originals_file: opsconsole::config::state_dir()
            .map(|d| d.join(opsconsole::source::aws::originals::ORIGINALS_FILE)),
        shared_state: settings.state.clone(),
        accounts: opsconsole::source::aws::accounts::AccountsWanted {
            accounts: settings.account.clone(),
            organization: settings.organization.clone(),
            only: cli.accounts.clone(),
        },
    }
}

async fn run_snapshot(cli: &Cli, settings: &Settings, session: Session) -> ExitCode {
    let options = snapshot::Options {
        log_backlog: settings.logs.backlog,
        journal: cli::journal_path(cli.demo),
        pending: cli::pending_path(cli.demo),
        endpoint: aws_options(cli, settings).endpoint_url,
        since: chrono::Duration::from_std(cli.since).unwrap_or(chrono::Duration::minutes(15)),
        intervals: settings.polled_intervals(),
    };
    let session_stats = session.stats.clone();
    let collected = snapshot::collect(&session, &options).await;
    let text = snapshot::render(&collected, cli.format, chrono::Utc::now());
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        // The reader (`| head`) had enough: not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return ExitCode::SUCCESS,
        Err(e) => return fail(EXIT_FAILURE, &format!("could not write the snapshot: {e}")),
        Ok(()) => {}
    }
    if cli.stats {
        match &session_stats {
            Some(stats) => eprint!("{}", stats.report().to_text()),
            None => eprintln!("opsconsole: the demo world makes no API calls"),
        }
    }
    let failures = collected.world.failures();
    if !failures.is_empty() {
        let names: Vec<&str> = failures.iter().map(|(p, _)| p.title()).collect();
        eprintln!(
            "opsconsole: snapshot incomplete: {} failed",
            names.join(", ")
        );
        for (panel, why) in &failures {
            eprintln!("opsconsole:   {}: {why}", panel.title());
        }
        // A refusal every panel shares (the clock, the partition, expired keys), said once.
        if let Some((_, why)) = aws::refusal_in(&collected.world) {
            eprintln!("opsconsole: {why}");
        }
        return ExitCode::from(EXIT_PARTIAL);
    }
    if cli.fail_on_problems && !collected.problems.is_empty() {
        eprintln!("opsconsole: {} problem(s) found", collected.problems.len());
        return ExitCode::from(EXIT_PROBLEMS);
    }
    ExitCode::SUCCESS
}

const LOG_QUEUE_LINES: usize = 2_048;

/// Diagnostics go to a file, never onto the console's screen. A `--log-file` that cannot be
/// written is an error (asked for, it must not be silently missing); the default file is
/// skipped when its directory cannot be written, as the console works without it.
fn start_logging(cli: &Cli) -> Result<Option<tracing_appender::non_blocking::WorkerGuard>, String> {
    let Some(path) = cli
        .log_file
        .clone()
        .or_else(|| opsconsole::config::state_dir().map(|d| d.join("opsconsole.log")))
    else {
        return Ok(None);
    };
    let opened = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
        });
    let file = match opened {
        Ok(f) => f,
        Err(e) if cli.log_file.is_some() => {
            return Err(format!(
                "--log-file {}: cannot be written ({e}): give a file in a writable directory",
                path.display()
            ));
        }
        Err(_) => return Ok(None),
    };
    // The default queue of 128,000 lines is allocated and touched up front (4 MB of a wall's
    // memory); diagnostics come a few a minute, and a burst past this many is dropped, not
    // waited for.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .lossy(true)
        .finish(file);
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{Layer, filter::FilterExt};
    let asked = tracing_subscriber::EnvFilter::try_from_env("OPSCONSOLE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // The caps apply after whatever OPSCONSOLE_LOG asks, however specific its directives.
    let capped = tracing_subscriber::filter::filter_fn(|meta| {
        log_caps::allows(meta.target(), *meta.level())
    });
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(false)
        .with_filter(asked.and(capped));
    tracing_subscriber::registry().with(layer).try_init().ok();
    Ok(Some(guard))
}

/// The most the libraries that handle credentials may log, whatever `OPSCONSOLE_LOG` asks.
/// Measured with a real trace against the emulator (tests/e2e/secrets.rs): at `trace` the SDK's
/// orchestrator prints every request with its headers (an SSO profile's bearer token in
/// `x-amz-sso_bearer_token`) and, with `LOG_SENSITIVE_BODIES=true` in the environment, the
/// bodies of credential responses (STS and SSO role credentials, SSO OIDC tokens); request
/// signing prints the canonical request, session token included; the credential providers
/// print a `credential_process` command line, and the ECS provider an invalid auth token even
/// as a warning; the HTTP stack prints headers.
mod log_caps {
    use tracing::Level;

    /// Target prefixes and their cap; the longest matching prefix decides.
    const CAPS: &[(&str, Level)] = &[
        ("aws_smithy_runtime", Level::DEBUG),
        ("aws_smithy_runtime_api", Level::DEBUG),
        ("aws_smithy_http_client", Level::DEBUG),
        ("aws_config", Level::DEBUG),
        ("aws_config::ecs", Level::ERROR),
        ("aws_sigv4", Level::INFO),
        ("hyper", Level::INFO),
        ("hyper_util", Level::INFO),
        ("h2", Level::INFO),
        ("rustls", Level::INFO),
    ];

    /// Whether an event or span of `target` at `level` may be logged.
    pub fn allows(target: &str, level: Level) -> bool {
        let cap = CAPS
            .iter()
            .filter(|(prefix, _)| {
                target
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
            })
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, cap)| *cap);
        // `Level` orders by verbosity: TRACE is the greatest.
        cap.is_none_or(|cap| level <= cap)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn credential_handling_modules_are_capped_and_others_are_not() {
            assert!(!allows(
                "aws_smithy_runtime::client::orchestrator",
                Level::TRACE
            ));
            assert!(allows(
                "aws_smithy_runtime::client::orchestrator",
                Level::DEBUG
            ));
            assert!(!allows("aws_sigv4::http_request::sign", Level::TRACE));
            assert!(!allows("aws_sigv4", Level::DEBUG));
            assert!(!allows("aws_config::sso::token", Level::TRACE));
            assert!(!allows("aws_config::ecs", Level::WARN));
            assert!(allows("aws_config::ecs", Level::ERROR));
            // A prefix is a whole module name: `hyperlocal` is not `hyper`.
            assert!(allows("hyperlocal", Level::TRACE));
            assert!(allows("opsconsole::source::ssh", Level::TRACE));
        }
    }
}

/// The first value given more than once.
fn duplicate(values: &[String]) -> Option<&str> {
    values
        .iter()
        .enumerate()
        .find(|(i, v)| values[..*i].contains(v))
        .map(|(_, v)| v.as_str())
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("opsconsole: {message}");
    ExitCode::from(code)
}
