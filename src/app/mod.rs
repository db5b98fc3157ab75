//! The console's state and its pure update function: events in, effects out, no I/O.

pub mod action;
mod block;
pub mod confirm;
pub mod event;
mod keys;
mod logs;
pub mod panel;
mod panels;
mod quit;
mod secret;
pub mod talkers;
pub mod timeline;

pub use action::Action;
pub use confirm::Confirmation;
pub use event::{Data, Effect, Event};
pub use logs::LogPanel;
pub use panel::TablePanel;
pub use panels::Panels;
pub use quit::{QuitGuard, undo_words};
pub use secret::Secret;

use crate::action::{Mutation, TargetRef};
use crate::config::{Keymap, Settings};
use crate::model::{PanelId, RuleAction, Scope, WafRule, WebAcl, World};
use crate::problems::Problem;
use crate::timeline::observe;
use crate::ui::layout;
use crate::view;
use chrono::{DateTime, Utc};
use ratatui::layout::Rect;
use std::collections::{HashMap, VecDeque};

/// Sampled requests are read just after their panel: this much past its interval they are
/// old, not merely on their way.
const SAMPLES_SLACK_SECS: i64 = 10;

/// A dialog or prompt over the panels; it takes the keys while open.
#[derive(Debug, Clone)]
pub enum Overlay {
    Help {
        scroll: usize,
    },
    Confirm(Box<Confirmation>),
    /// Typing a filter for `panel`; `before` is restored on cancel.
    Filter {
        panel: PanelId,
        before: String,
    },
    /// The session's API calls and CloudWatch cost estimate (`S`).
    Stats,
    /// Every problem, worst first, with the one under the selection (`p`).
    Problems {
        selected: usize,
    },
    /// Typing a search in the logs panel; `before` is restored on cancel.
    Search {
        before: String,
    },
    /// A log tail needs the passphrase of `key_file`; answered with `Effect::Passphrase`.
    Passphrase {
        id: u64,
        key_file: String,
        typed: Secret,
    },
    /// Who is hitting us (`w`): counted addresses, countries, paths; `b` blocks from it.
    Talkers(Box<talkers::Talkers>),
    /// Something the operator must read in full, e.g. why an action failed; any answer closes it.
    Notice {
        title: String,
        text: String,
    },
    /// Quitting would leave scheduled undos behind: carry them out, keep them, or stay.
    Quit(QuitGuard),
    /// What changed, newest first (`T`).
    Timeline(timeline::TimelineView),
}

/// A short message in the footer, e.g. the outcome of an action.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusMessage {
    pub text: String,
    pub role: view::Role,
    pub at: DateTime<Utc>,
}

/// Timeline entries a console keeps in memory (the file keeps more).
pub const TIMELINE_KEPT: usize = 1000;

pub struct App {
    pub world: World,
    /// Why the session's credentials could not be resolved at start, in one sentence with its
    /// fix; shown full width until an AWS panel is read.
    pub credential_problem: Option<String>,
    pub keymap: Keymap,
    pub focus: PanelId,
    pub zoomed: bool,
    pub overlay: Option<Overlay>,
    /// No executor was handed to this session: nothing can change the world.
    pub read_only: bool,
    pub status: Option<StatusMessage>,
    pub now: DateTime<Utc>,
    /// Advances every tick; drives loading spinners.
    pub spinner: usize,
    pub screen: Rect,
    /// Each panel's selection, scroll, filter and sort, by panel id.
    pub panels: Panels,
    /// The action a plain WAF rule had before this console set it to Count.
    remembered_actions: HashMap<(String, String), RuleAction>,
    /// Rule-group references (web ACL id, rule) this console set to Count: left so, they are
    /// a problem like a plain rule.
    counting_groups: std::collections::HashSet<(String, String)>,
    /// Targets this console drained and when, newest last: `u` registers them again, and the
    /// time gives the countdown AWS doesn't report.
    drained: Vec<(TargetRef, DateTime<Utc>)>,
    /// Mutations sent to the executor and not yet finished.
    pub in_flight: Vec<Mutation>,
    /// Each polled panel's refresh interval: data older than twice that is stale.
    pub intervals: Vec<(PanelId, std::time::Duration)>,
    /// Problems in the world as it stands, worst first (recomputed on data and on the clock).
    pub problems: Vec<Problem>,
    /// The part of `problems` found in the data (not staleness), kept between ticks.
    pub data_problems: Vec<Problem>,
    /// The part of `problems` the clock made when they were last merged (stale panels,
    /// overdue undos).
    clock_problems: Vec<Problem>,
    /// Wall-monitor mode: no key hints, optional rotation through zoomed panels.
    pub wall: Option<Wall>,
    /// The API calls of this session, for the stats dialog; `None` in the demo world.
    pub api_stats: Option<std::sync::Arc<crate::source::stats::ApiStats>>,
    /// `--debug-panic-after`: the first tick after this moment panics, to prove a crash gives
    /// the terminal back.
    pub debug_panic_at: Option<DateTime<Utc>>,
    /// Passphrase questions waiting for the dialog (another overlay is open), oldest first.
    passphrases_waiting: VecDeque<(u64, String)>,
    /// What this console saw change between two reads, oldest first (the newest
    /// `TIMELINE_KEPT`); each batch is also handed out to be kept in the state directory.
    pub timeline: VecDeque<crate::timeline::Entry>,
    /// The session's history can say who made a change (CloudTrail): asked once a minute.
    pub asks_who: bool,
    /// When it was last asked, and why it could not answer (shown in `T`).
    who_asked_at: Option<DateTime<Utc>>,
    pub who_error: Option<String>,
    /// A tail started with `l`: its lines are shown alone once they arrive.
    log_wanted: Option<String>,
    /// `[waf] never_block`: ranges `b` refuses.
    pub never_block: Vec<ipnet::IpNet>,
    /// How each log source's lines name their client (`format` of its `[[log]]` entry).
    pub log_formats: HashMap<String, crate::model::access::LogFormat>,
    /// Undos waiting for their time, as the state directory holds them.
    pub pending: Vec<crate::action::Pending>,
    /// Entries of the pending file that are refused (not undos): shown, never carried out.
    pub refused_undos: Vec<crate::action::pending::Refused>,
    /// Why the undos cannot be read, and since when (`None`: they were read last time).
    pub pending_unreadable: Option<(String, DateTime<Utc>)>,
    /// The team's store's URL (`[state] shared`), where the undos are kept for every console
    /// sharing it; `None`: this machine's state directory.
    pub shared_state: Option<String>,
    /// The journal's last entries, when a console stopped by a signal left undos scheduled:
    /// those still pending are said first, once the undos are read.
    pub left_by_signal: Vec<crate::action::JournalEntry>,
    /// The rule whose sampled requests were last asked for (web ACL id, rule): another
    /// selection asks for its own, however the selection moved.
    samples_asked: Option<(String, String)>,
    /// The rule the samples table was last built for.
    samples_built_for: Option<(String, String)>,
}

/// Wall-monitor mode's state.
#[derive(Debug, Clone, PartialEq)]
pub struct Wall {
    /// Zoom each panel in turn for this long; `None` shows all panels.
    pub rotate: Option<std::time::Duration>,
    pub rotated_at: DateTime<Utc>,
}

impl App {
    pub fn new(
        scope: Scope,
        keymap: Keymap,
        settings: &Settings,
        read_only: bool,
        now: DateTime<Utc>,
    ) -> App {
        App {
            world: World {
                scope,
                logs: crate::model::LogBuffer::with_capacity(settings.logs.buffer_lines),
                ..World::default()
            },
            credential_problem: None,
            keymap,
            focus: PanelId::Targets,
            zoomed: false,
            overlay: None,
            read_only,
            status: None,
            now,
            spinner: 0,
            screen: Rect::new(0, 0, 160, 45),
            panels: Panels::new(settings),
            remembered_actions: HashMap::new(),
            counting_groups: Default::default(),
            drained: Vec::new(),
            in_flight: Vec::new(),
            intervals: settings.polled_intervals(),
            problems: Vec::new(),
            data_problems: Vec::new(),
            clock_problems: Vec::new(),
            wall: None,
            api_stats: None,
            debug_panic_at: None,
            passphrases_waiting: VecDeque::new(),
            timeline: VecDeque::new(),
            asks_who: false,
            who_asked_at: None,
            who_error: None,
            log_wanted: None,
            never_block: settings.waf.never_block.clone(),
            log_formats: settings
                .log
                .iter()
                .filter_map(|l| {
                    let f = crate::model::access::LogFormat::parse(l.format.as_deref()?).ok()?;
                    Some((l.name.clone(), f))
                })
                .collect(),
            pending: Vec::new(),
            refused_undos: Vec::new(),
            pending_unreadable: None,
            shared_state: None,
            left_by_signal: Vec::new(),
            samples_asked: None,
            samples_built_for: None,
        }
    }

    /// Turns this console into a wall display (read-only is the caller's business: a wall
    /// session is built without an executor).
    pub fn into_wall(mut self, rotate: Option<std::time::Duration>) -> App {
        self.wall = Some(Wall {
            rotate,
            rotated_at: self.now,
        });
        self.zoomed = rotate.is_some();
        self
    }

    /// How long a panel's data has been stale, if it is (older than twice its interval).
    pub fn stale_secs(&self, panel: PanelId) -> Option<i64> {
        let interval = self.intervals.iter().find(|(p, _)| *p == panel)?.1;
        crate::problems::stale_for(&self.world, panel, self.now, interval)
    }

    /// Finds the problems again: those in the data only when `data_changed`, staleness always
    /// (it moves with the clock).
    fn recompute_problems(&mut self, data_changed: bool) {
        let context = crate::problems::Context {
            intervals: self.intervals.clone(),
            // Only the data's problems read it (a rule left in Count is not one): a tick does
            // not build it.
            counting_by_console: if data_changed {
                self.counting_by_console()
            } else {
                Default::default()
            },
            pending: self.pending.clone(),
            refused_undos: self.refused_undos.clone(),
            pending_unreadable: self.pending_unreadable.clone(),
        };
        if data_changed {
            self.data_problems = crate::problems::in_data(&self.world, &context);
            self.mark_problem_rows();
        }
        let on_the_clock = crate::problems::on_the_clock(&self.world, self.now, &context);
        // Most ticks change nothing: the list (hundreds of problems on a large estate) is
        // merged again only when its data or its clock's part did (BENCHMARKS.md §16).
        if data_changed || on_the_clock != self.clock_problems {
            self.problems = crate::problems::merged(&on_the_clock, &self.data_problems);
            self.clock_problems = on_the_clock;
        }
    }

    /// Rules this console left in Count: plain rules and group references it set so, and any
    /// whose restore is scheduled (known across restarts).
    fn counting_by_console(&self) -> std::collections::HashSet<(String, String)> {
        let restores = self.pending.iter().filter_map(|p| match &p.undo {
            Mutation::SetRule { rule, to, .. } if !to.is_counting() => {
                Some((rule.acl_id.clone(), rule.rule.clone()))
            }
            _ => None,
        });
        self.remembered_actions
            .keys()
            .cloned()
            .chain(self.counting_groups.iter().cloned())
            .chain(restores)
            .collect()
    }

    /// Gives each row a problem concerns that problem's role (a registered stopped instance, a
    /// scheduled retirement: rows whose cells look fine), so problems-first sorting means all.
    fn mark_problem_rows(&mut self) {
        for panel in PanelId::TABLES {
            // Owned keys: the table is changed while the problems are still held.
            let marks: std::collections::HashMap<String, view::Role> = self
                .data_problems
                .iter()
                .filter(|p| p.panel == panel)
                .filter_map(|p| {
                    let role = match p.severity {
                        crate::problems::Severity::Warning => view::Role::Warning,
                        _ => view::Role::Problem,
                    };
                    Some((p.row.clone()?, role))
                })
                .collect();
            let viewport = self.viewport(panel);
            if let Some(table) = self.panels.get_mut(panel) {
                table.mark(&marks, viewport);
            }
        }
    }

    /// Wall rotation: the next panel's turn has come.
    fn rotate_wall(&mut self) {
        let Some(wall) = &mut self.wall else { return };
        let Some(every) = wall.rotate else { return };
        if (self.now - wall.rotated_at)
            .to_std()
            .is_ok_and(|e| e >= every)
        {
            wall.rotated_at = self.now;
            let i = PanelId::ALL
                .iter()
                .position(|p| *p == self.focus)
                .unwrap_or(0);
            self.focus = PanelId::ALL[(i + 1) % PanelId::ALL.len()];
            self.zoomed = true;
            self.refit();
        }
    }

    /// Applies one event; returns what the runtime should do next.
    pub fn update(&mut self, event: Event) -> Vec<Effect> {
        let mut effects = self.apply(event);
        // Whatever moved the selection (keys, a filter, a jump from `p`, new data), the
        // samples shown are the selected rule's.
        if !effects
            .iter()
            .any(|e| matches!(e, Effect::FetchSamples { .. }))
        {
            effects.extend(self.samples_for_selection(false));
        }
        if self.samples_built_for != self.selected_rule_key() {
            self.rebuild_samples();
        }
        // A passphrase question waits for whatever dialog is open to close.
        if self.overlay.is_none()
            && let Some((id, key_file)) = self.passphrases_waiting.pop_front()
        {
            self.overlay = Some(Overlay::Passphrase {
                id,
                key_file,
                typed: Secret::default(),
            });
        }
        effects
    }

    fn apply(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Key(key) => self.on_key(key),
            Event::Mouse(mouse) => self.on_mouse(mouse),
            Event::Resize(w, h) => {
                self.screen = Rect::new(0, 0, w, h);
                self.refit();
                vec![]
            }
            Event::Tick(now) => {
                self.now = now;
                if self.debug_panic_at.is_some_and(|at| now >= at) {
                    panic!("--debug-panic-after: panicking on purpose");
                }
                self.spinner = self.spinner.wrapping_add(1);
                let drains_moved = self.count_down_drains();
                if drains_moved {
                    self.rebuild(PanelId::Targets);
                }
                self.rotate_wall();
                self.recompute_problems(drains_moved);
                self.ask_who(now)
            }
            Event::Who(answer) => {
                self.on_who(answer);
                vec![]
            }
            Event::Status(text, at) => {
                self.say(text, view::Role::Normal, at);
                vec![]
            }
            Event::Paced(panel, every) => {
                if let Some(slot) = self.intervals.iter_mut().find(|(p, _)| *p == panel) {
                    slot.1 = every;
                }
                self.recompute_problems(false);
                vec![]
            }
            Event::PassphraseWanted { id, key_file } => {
                self.passphrases_waiting
                    .push_back((id, view::clean(&key_file)));
                vec![]
            }
            Event::Data(data) => {
                // Log lines never make a problem; don't pay for it several times a second.
                let panel_data = !matches!(data, Data::Logs(..) | Data::LogError(..));
                let (effects, moved) = self.on_data(data);
                if panel_data {
                    // The data's problems are found again only when the data moved (most
                    // refreshes change nothing); a failed refresh is a problem of the clock's.
                    self.recompute_problems(moved);
                }
                effects
            }
            Event::Pending(listing) => {
                self.on_pending(listing);
                vec![]
            }
            Event::UndosCarriedOut(left) => self.on_undos_carried_out(left),
            Event::Done {
                mutation,
                at,
                result,
            } => {
                let effects = self.on_done(mutation, at, result);
                // A rule this console left in Count is a problem of the data's.
                self.recompute_problems(true);
                effects
            }
            Event::PendingUnreadable(why, at) => {
                // The first failure's time is kept: the problem says how long it has lasted.
                let since = self
                    .pending_unreadable
                    .take()
                    .map_or(at, |(_, since)| since);
                self.say(why.clone(), view::Role::Problem, at);
                self.pending_unreadable = Some((why, since));
                self.recompute_problems(false);
                vec![]
            }
            Event::Undone {
                mutation,
                at,
                result,
            } => {
                let effects = self.on_undone(mutation, at, result);
                self.recompute_problems(true);
                effects
            }
        }
    }

    /// The undos as they stand.
    fn on_pending(&mut self, listing: crate::action::Listing) {
        let changed = self.pending != listing.pending;
        self.pending = listing.pending;
        self.refused_undos = listing.refused;
        self.pending_unreadable = None;
        // Rows show their restore times, blocked addresses their expiry.
        if changed {
            self.rebuild(PanelId::Waf);
            self.rebuild_samples();
            self.recompute_problems(true);
        }
        // Overdue undos are found with the staleness, not in the data.
        self.recompute_problems(false);
        if !self.left_by_signal.is_empty() {
            self.say_left_by_signal();
        }
        // Carried out meanwhile (their time came): nothing is left to ask about.
        if matches!(self.overlay, Some(Overlay::Quit(QuitGuard::Asking)))
            && self.undos_left_behind().is_empty()
        {
            self.overlay = None;
            self.say(
                "no undo is scheduled any more: q quits",
                view::Role::Normal,
                self.now,
            );
        }
    }

    /// The changes between the value a read replaced and the new one, kept in the timeline and
    /// handed out to be written down. A wall and a read-only console observe too: the timeline
    /// file is theirs, not a change to AWS.
    fn observe<T>(
        &mut self,
        replaced: &crate::model::Replaced<T>,
        at: DateTime<Utc>,
        new: impl Fn(&World) -> &Option<T>,
        compare: impl Fn(&T, &T, observe::Reads) -> Vec<crate::timeline::Entry>,
    ) -> Vec<Effect> {
        let crate::model::Replaced::Changed { before, since } = replaced else {
            return Vec::new();
        };
        let Some(after) = new(&self.world) else {
            return Vec::new();
        };
        let reads = observe::Reads { since: *since, at };
        let mut seen = compare(before, after, reads);
        if seen.is_empty() {
            return Vec::new();
        }
        // A row read in one of several accounts says its own; otherwise the console's.
        for e in seen.iter_mut().filter(|e| e.account.is_none()) {
            e.account = self.world.scope.account.clone();
        }
        self.keep_in_timeline(seen.clone());
        vec![Effect::Timeline(seen)]
    }

    /// Takes in an answer: what it asks for next, and whether the data the problems are found
    /// in moved.
    fn on_data(&mut self, data: Data) -> (Vec<Effect>, bool) {
        match data {
            Data::Identity(_, Ok(id)) => {
                self.world.scope.account = id.account.or(self.world.scope.account.take());
                self.world.scope.caller_arn = id.arn;
                // Problems name the account they are in.
                return (vec![], true);
            }
            Data::Identity(_, Err(e)) => tracing::warn!(error = %e, "caller identity unknown"),
            // Most refreshes change nothing: then the tables (built from every row) stay.
            Data::Targets(at, r) => {
                let replaced = self.world.targets.record_replacing(at, r);
                let seen = self.observe(&replaced, at, |w| &w.targets.value, observe::targets);
                let changed = replaced.changed();
                // The answer before is not needed past the timeline: freed before the tables
                // are built from the new one, not beside them (BENCHMARKS.md §16).
                drop(replaced);
                let moved = self.count_down_drains() || changed;
                if moved {
                    self.rebuild(PanelId::Targets);
                    // Instances show which groups they belong to.
                    self.rebuild(PanelId::Instances);
                }
                return (seen, moved);
            }
            Data::Waf(at, r) => {
                let replaced = self.world.waf.record_replacing(at, r);
                let mut effects = self.observe(&replaced, at, |w| &w.waf.value, observe::waf);
                let changed = replaced.changed();
                drop(replaced);
                if changed {
                    self.rebuild(PanelId::Waf);
                    // Blocked addresses are marked in the samples.
                    self.rebuild_samples();
                }
                // Sampled requests move on even when the rules don't: read with the panel.
                effects.extend(self.samples_for_selection(true));
                return (effects, changed);
            }
            Data::Samples(at, r) => {
                self.world.samples.record(at, r);
                self.rebuild_samples();
            }
            Data::Dns(at, r) => {
                let replaced = self.world.dns.record_replacing(at, r);
                let seen = self.observe(&replaced, at, |w| &w.dns.value, observe::dns);
                let changed = replaced.changed();
                drop(replaced);
                if changed {
                    self.rebuild(PanelId::Dns);
                }
                return (seen, changed);
            }
            Data::Instances(at, r) => {
                let replaced = self.world.instances.record_replacing(at, r);
                let seen = self.observe(&replaced, at, |w| &w.instances.value, observe::instances);
                let changed = replaced.changed();
                drop(replaced);
                if changed {
                    self.rebuild(PanelId::Instances);
                    // Targets are named after their instances.
                    self.rebuild(PanelId::Targets);
                }
                return (seen, changed);
            }
            Data::Logs(_, batch) if batch.waiting.is_some() => {
                let what = batch.waiting.unwrap_or_default();
                self.world.logs.waiting.insert(batch.source, what);
            }
            Data::Logs(at, batch) => {
                self.world.logs.error = None;
                self.world.logs.waiting.remove(&batch.source);
                if self.panels.logs.paused {
                    // Keep a paused view on the same lines while new ones arrive below.
                    let panel = &self.panels.logs;
                    let source = self
                        .world
                        .logs
                        .sources
                        .iter()
                        .position(|s| s == &batch.source);
                    let arriving = batch
                        .entries
                        .iter()
                        .filter(|e| {
                            let index = source.unwrap_or(self.world.logs.sources.len());
                            panel.shows(index, &batch.source, e)
                        })
                        .count();
                    self.panels.logs.scroll += arriving;
                }
                if self.log_wanted.as_ref() == Some(&batch.source) {
                    self.log_wanted = None;
                    // A new source gets the next index when its first batch is pushed.
                    let sources = &self.world.logs.sources;
                    let i = sources.iter().position(|s| *s == batch.source);
                    self.panels.logs.source = Some(i.unwrap_or(sources.len()));
                }
                self.world.logs.push(&batch.source, batch.entries, at);
                self.panels.logs.index(&self.world.logs);
            }
            Data::LogError(_, source, e) => {
                // It gave up on what it was waiting for; the retry says what it waits for next.
                self.world.logs.waiting.remove(&source);
                self.world.logs.error = Some(format!("{source}: {e}"));
            }
        }
        (vec![], false)
    }

    /// A scheduled undo's outcome: the footer says it; a failure stays among the problems
    /// (the pending list says so) and never opens a dialog over what the operator is doing.
    fn on_undone(
        &mut self,
        mutation: Mutation,
        at: DateTime<Utc>,
        result: Result<String, String>,
    ) -> Vec<Effect> {
        if let (Ok(_), Mutation::SetRule { rule, to, .. }) = (&result, &mutation)
            && !to.is_counting()
        {
            let key = (rule.acl_id.clone(), rule.rule.clone());
            self.remembered_actions.remove(&key);
            self.counting_groups.remove(&key);
        }
        match result {
            Ok(msg) => self.say(format!("scheduled undo: {msg}"), view::Role::Ok, at),
            Err(e) => {
                self.note_failed_undo(&mutation, &e);
                self.say(
                    format!(
                        "scheduled undo failed: {} — {e} (see p)",
                        mutation.summary()
                    ),
                    view::Role::Problem,
                    at,
                )
            }
        }
        vec![Effect::Refresh(PanelId::Waf)]
    }

    fn on_done(
        &mut self,
        mutation: Mutation,
        at: DateTime<Utc>,
        result: Result<String, String>,
    ) -> Vec<Effect> {
        self.in_flight.retain(|m| m != &mutation);
        let refresh = match &mutation {
            Mutation::Drain { .. } | Mutation::Register { .. } => PanelId::Targets,
            Mutation::SetRule { .. } | Mutation::Block { .. } | Mutation::Unblock { .. } => {
                PanelId::Waf
            }
        };
        match result {
            Ok(msg) => {
                self.remember_done(&mutation, at);
                match &mutation {
                    Mutation::Drain { target } => self.drained.push((target.clone(), at)),
                    Mutation::Register { target } => self.drained.retain(|(t, _)| t != target),
                    Mutation::Block { .. } | Mutation::Unblock { .. } => {}
                    Mutation::SetRule { rule, from, to, .. } => {
                        let key = (rule.acl_id.clone(), rule.rule.clone());
                        match (from, to.is_counting()) {
                            (crate::model::RuleKind::Plain { action }, true) => {
                                self.remembered_actions.insert(key, *action);
                            }
                            (crate::model::RuleKind::Group { .. }, true) => {
                                self.counting_groups.insert(key);
                            }
                            (_, false) => {
                                self.remembered_actions.remove(&key);
                                self.counting_groups.remove(&key);
                            }
                        }
                    }
                }
                let msg = match undone_at(&mutation) {
                    Some(when) if !msg.contains(" until ") => format!("{msg} · {when}"),
                    _ => msg,
                };
                self.say(msg, view::Role::Ok, at);
            }
            Err(e) => {
                let text = format!("{} failed: {e}", mutation.summary());
                self.say(text.clone(), view::Role::Problem, at);
                self.overlay = Some(Overlay::Notice {
                    title: " Not done ".to_string(),
                    text,
                });
            }
        }
        vec![Effect::Refresh(refresh)]
    }

    pub fn say(&mut self, text: impl Into<String>, role: view::Role, at: DateTime<Utc>) {
        self.status = Some(StatusMessage {
            text: text.into(),
            role,
            at,
        });
    }

    /// Rebuilds a panel's rows from the world (after new data, a filter or a sort change).
    pub fn rebuild(&mut self, panel: PanelId) {
        let w = &self.world;
        // How each panel's rows are built differs; where they go does not.
        let t = match panel {
            PanelId::Targets => {
                let names = w
                    .instances
                    .value
                    .as_ref()
                    .map(crate::model::InstancesView::names)
                    .unwrap_or_default();
                w.targets
                    .value
                    .as_ref()
                    .map(|t| view::targets::table(t, &names))
                    .unwrap_or_default()
            }
            PanelId::Waf => {
                let mut t = w
                    .waf
                    .value
                    .as_ref()
                    .map(view::waf::table)
                    .unwrap_or_default();
                view::waf::mark_restores(&mut t, &self.restores_due());
                t
            }
            PanelId::Dns => w
                .dns
                .value
                .as_ref()
                .map(view::dns::table)
                .unwrap_or_default(),
            PanelId::Instances => {
                let groups = w
                    .targets
                    .value
                    .as_ref()
                    .map(view::instances::groups_by_target)
                    .unwrap_or_default();
                w.instances
                    .value
                    .as_ref()
                    .map(|v| view::instances::table(v, &groups))
                    .unwrap_or_default()
            }
            PanelId::Logs => {
                self.panels.logs.index(&self.world.logs);
                return;
            }
        };
        let viewport = self.viewport(panel);
        if let Some(table) = self.panels.get_mut(panel) {
            table.set_table(t, viewport);
        }
    }

    fn rebuild_samples(&mut self) {
        self.samples_built_for = self.selected_rule_key();
        // Another rule's samples are never shown under this one's name.
        let blocked = |ip: &str| self.blocked_until(ip).map(view::waf::blocked_mark);
        let t = self
            .selected_samples()
            .map(|s| view::waf::samples_table_marked(s, blocked))
            .unwrap_or_default();
        let viewport = layout::samples_viewport(self.screen, self.zoomed, self.focus);
        self.panels.samples.set_table(t, viewport);
    }

    /// Keeps every selection visible after the screen or the zoom changed.
    fn refit(&mut self) {
        for p in PanelId::TABLES {
            let h = self.viewport(p);
            if let Some(panel) = self.panels.get_mut(p) {
                panel.keep_visible(h);
            }
        }
    }

    /// Rows visible in a panel's table at the current screen size.
    pub fn viewport(&self, panel: PanelId) -> usize {
        layout::table_viewport(self.screen, self.zoomed, self.focus, panel)
            .map(|r| r.height as usize)
            .unwrap_or(1)
    }

    /// The full id, ARN or answer of the focused panel's selected row (its cells may cut it).
    pub fn selected_detail(&self) -> Option<&str> {
        let p = self.panels.get(self.focus)?;
        p.table.rows.get(p.selected)?.detail.as_deref()
    }

    /// The WAF rule under the selection, if a rule row is selected.
    pub fn selected_rule(&self) -> Option<(&WebAcl, &WafRule)> {
        let key = self.panels.get(PanelId::Waf)?.selected_key()?;
        let (acl_id, rule) = view::waf::rule_key_parts(key)?;
        let (account, _) = view::split_account(key);
        let waf = self.world.waf.value.as_ref()?;
        let acl = waf
            .acls
            .iter()
            .find(|a| a.id == acl_id && a.account.as_ref().map(|a| a.id.as_str()) == account)?;
        acl.rules.iter().find(|r| r.name == rule).map(|r| (acl, r))
    }

    fn selected_rule_key(&self) -> Option<(String, String)> {
        self.selected_rule()
            .map(|(acl, rule)| (acl.id.clone(), rule.name.clone()))
    }

    /// Asks for the selected rule's sampled requests when the selection moved to another rule,
    /// or `again` (the panel was read: its samples are read with it).
    fn samples_for_selection(&mut self, again: bool) -> Vec<Effect> {
        let Some((acl, rule)) = self.selected_rule() else {
            return vec![];
        };
        let wanted = (acl.id.clone(), rule.name.clone());
        let shown = self
            .world
            .samples
            .value
            .as_ref()
            .is_some_and(|s| s.acl_id == wanted.0 && s.rule == wanted.1);
        let asked = self.samples_asked.as_ref() == Some(&wanted);
        if !again && (asked || shown) {
            return vec![];
        }
        self.samples_asked = Some(wanted.clone());
        let (acl_id, rule) = wanted;
        vec![Effect::FetchSamples { acl_id, rule }]
    }

    /// The sampled requests shown, when they are the selected rule's.
    pub fn selected_samples(&self) -> Option<&crate::model::RuleSamples> {
        let (acl, rule) = self.selected_rule()?;
        self.world
            .samples
            .value
            .as_ref()
            .filter(|s| s.acl_id == acl.id && s.rule == rule.name)
    }

    /// How long ago the selected rule's samples were read, and whether that is longer than
    /// the WAF panel's interval (they were not read with its last refresh).
    pub fn samples_age(&self) -> Option<(i64, bool)> {
        self.selected_samples()?;
        let at = self.world.samples.fetched_at?;
        let age = (self.now - at).num_seconds().max(0);
        let interval = self
            .intervals
            .iter()
            .find(|(p, _)| *p == PanelId::Waf)
            .map_or(60, |(_, d)| d.as_secs() as i64);
        Some((age, age > interval + SAMPLES_SLACK_SECS))
    }

    /// Said wherever old samples would be acted on (`w`, `b`): how old they are, and how to
    /// read them again.
    pub fn samples_staleness(&self) -> Option<String> {
        let (age, stale) = self.samples_age()?;
        let window = self
            .selected_samples()?
            .window
            .map(|(from, to)| format!(" ({}–{})", from.format("%H:%M:%S"), to.format("%H:%M:%S")))
            .unwrap_or_default();
        stale.then(|| {
            format!(
                "STALE: read {} ago{window}, before the panel's last refresh · r reads them again",
                crate::model::format_age(age)
            )
        })
    }

    /// The target under the selection, as a reference an action can use.
    pub fn selected_target(&self) -> Option<(TargetRef, crate::model::TargetState)> {
        let key = self.panels.get(PanelId::Targets)?.selected_key()?;
        let view = self.world.targets.value.as_ref()?;
        for lb in &view.load_balancers {
            for tg in &lb.target_groups {
                for t in &tg.targets {
                    let here = view::targets::target_key(&tg.arn, &t.id, t.port);
                    if view::in_account(lb.account.as_ref(), here) == key {
                        let r = TargetRef::of(lb, tg, t);
                        return Some((r, t.state));
                    }
                }
            }
        }
        None
    }

    /// When each rule in a timed Count is restored, by its row's key.
    fn restores_due(&self) -> HashMap<String, DateTime<Utc>> {
        self.pending
            .iter()
            .filter_map(|p| match &p.undo {
                Mutation::SetRule { rule, to, .. } if !to.is_counting() => {
                    let key = view::waf::rule_key(&rule.acl_id, &rule.rule);
                    Some((view::in_account(rule.account.as_ref(), key), p.due))
                }
                _ => None,
            })
            .collect()
    }

    /// The action a scheduled restore of this rule will put back (known across restarts).
    pub fn pending_restore(&self, acl_id: &str, rule: &str) -> Option<RuleAction> {
        self.pending.iter().find_map(|p| match &p.undo {
            Mutation::SetRule {
                rule: r,
                to: crate::model::RuleKind::Plain { action },
                ..
            } if r.acl_id == acl_id && r.rule == rule => Some(*action),
            _ => None,
        })
    }

    pub fn remembered_action(&self, acl_id: &str, rule: &str) -> Option<RuleAction> {
        self.remembered_actions
            .get(&(acl_id.to_string(), rule.to_string()))
            .copied()
    }

    /// Fills in the seconds left for targets this console drained and that are still draining,
    /// from the group's deregistration delay (AWS reports the state, not the time left).
    /// Returns whether any countdown is running.
    fn count_down_drains(&mut self) -> bool {
        let Some(view) = self.world.targets.value.as_mut() else {
            return false;
        };
        let mut running = false;
        for tg in view
            .load_balancers
            .iter_mut()
            .flat_map(|lb| lb.target_groups.iter_mut())
        {
            // No countdown until the group's delay is known.
            let Some(delay) = tg.deregistration_delay_secs.map(i64::from) else {
                continue;
            };
            for t in tg
                .targets
                .iter_mut()
                .filter(|t| t.state == crate::model::TargetState::Draining)
            {
                let since = self
                    .drained
                    .iter()
                    .find(|(r, _)| r.target_group_arn == tg.arn && r.id == t.id && r.port == t.port)
                    .map(|(_, at)| *at);
                if let Some(at) = since {
                    let left = (delay - (self.now - at).num_seconds()).max(0);
                    t.drain_remaining_secs = Some(left as u32);
                    running = true;
                }
            }
        }
        running
    }

    /// Something is loading or running: the spinner should move.
    pub fn is_busy(&self) -> bool {
        !self.in_flight.is_empty() || PanelId::ALL.iter().any(|p| self.world.status(*p).2)
    }

    pub fn last_drained(&self) -> Option<&TargetRef> {
        self.drained.last().map(|(t, _)| t)
    }
}

/// When a timed change is undone, in the footer's words: "restored at 08:07 UTC".
fn undone_at(mutation: &Mutation) -> Option<String> {
    let until = mutation.until()?.format("%H:%M");
    Some(match mutation {
        Mutation::Block { .. } => format!("blocked until {until} UTC"),
        _ => format!("restored at {until} UTC"),
    })
}

#[cfg(test)]
mod tests;
