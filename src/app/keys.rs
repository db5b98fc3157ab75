//! Keys and mouse: from an input event, through the keymap of the focused layer, to an action.

use super::logs::Direction;
use super::{Action, App, Effect, Overlay, Secret};
use crate::action::{Mutation, RuleRef, toggled_rule};
use crate::config::KeyContext;
use crate::model::{PanelId, TargetState};
use crate::ui::layout;
use crate::view::Role;
use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

/// Rows the mouse wheel moves per notch.
const WHEEL_ROWS: isize = 3;

impl App {
    pub(super) fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.kind == KeyEventKind::Release {
            return vec![];
        }
        match self.overlay.clone() {
            Some(Overlay::Filter { panel, before }) => self.on_filter_key(panel, before, key),
            Some(Overlay::Search { before }) => self.on_search_key(before, key),
            Some(Overlay::Passphrase {
                id,
                key_file,
                typed,
            }) => self.on_passphrase_key(id, key_file, typed, key),
            Some(Overlay::Confirm(c)) => self.on_confirm_key(c, key),
            Some(Overlay::Quit(guard)) => self.on_quit_key(guard, key),
            Some(Overlay::Notice { .. } | Overlay::Stats) => {
                if self.keymap.lookup(KeyContext::Confirm, &key).is_some() {
                    self.overlay = None;
                }
                vec![]
            }
            Some(Overlay::Help { .. }) => {
                let action = self.keymap.lookup(KeyContext::Help, &key);
                self.on_help_action(action);
                vec![]
            }
            Some(Overlay::Problems { selected }) => self.on_problems_key(selected, key),
            Some(Overlay::Timeline(t)) => self.on_timeline_key(t, key),
            Some(Overlay::Talkers(t)) => {
                self.on_talkers_key(t, key);
                vec![]
            }
            None => match self.keymap.lookup(KeyContext::Panel(self.focus), &key) {
                Some(action) => self.on_action(action),
                None => vec![],
            },
        }
    }

    /// Why `w` shows nothing here.
    fn who_unavailable(&mut self) {
        let why = match self.focus {
            PanelId::Waf => "select a WAF rule whose sampled requests are shown",
            _ => "who is hitting us: press w in the WAF or Logs panel",
        };
        self.say(why, Role::Warning, self.now);
    }

    /// The talkers view: moves like the help, Tab changes the list, `s` sorts, `b` blocks the
    /// selected address.
    fn on_talkers_key(&mut self, mut t: Box<super::talkers::Talkers>, key: KeyEvent) {
        let last = t.rows().len().saturating_sub(1);
        if key.code == KeyCode::Tab || key.code == KeyCode::BackTab {
            let n = t.lists.len().max(1);
            t.list = if key.code == KeyCode::Tab {
                (t.list + 1) % n
            } else {
                (t.list + n - 1) % n
            };
            t.selected = 0;
            self.overlay = Some(Overlay::Talkers(t));
            return;
        }
        match self.keymap.lookup(KeyContext::Panel(t.from), &key) {
            Some(Action::Block) => {
                let from = match t.from {
                    PanelId::Waf => {
                        self.selected_rule()
                            .map(|(acl, _)| super::block::BlockFrom::Sample {
                                web_acl: acl.name.clone(),
                            })
                    }
                    _ => Some(super::block::BlockFrom::LogLine),
                };
                match (t.selected_address(), from) {
                    (Some(address), Some(from)) => {
                        self.overlay = None;
                        self.ask_block(address, from);
                    }
                    _ => self.say(
                        "select a client address to block (Tab: the addresses list)",
                        Role::Warning,
                        self.now,
                    ),
                }
                return;
            }
            Some(Action::Sort) => {
                t.by_key = !t.by_key;
                t.selected = 0;
                self.overlay = Some(Overlay::Talkers(t));
                return;
            }
            _ => {}
        }
        t.selected = match self.keymap.lookup(KeyContext::Help, &key) {
            Some(Action::Down) => (t.selected + 1).min(last),
            Some(Action::Up) => t.selected.saturating_sub(1),
            Some(Action::PageDown) => (t.selected + 10).min(last),
            Some(Action::PageUp) => t.selected.saturating_sub(10),
            Some(Action::Top) => 0,
            Some(Action::Bottom) => last,
            Some(Action::Cancel | Action::Quit | Action::Help) => {
                self.overlay = None;
                return;
            }
            _ => t.selected,
        };
        self.overlay = Some(Overlay::Talkers(t));
    }

    /// The problems view moves like the help (its keys), and Enter jumps to the problem's row.
    fn on_problems_key(&mut self, selected: usize, key: KeyEvent) -> Vec<Effect> {
        let last = self.problems.len().saturating_sub(1);
        let selected = match (key.code, self.keymap.lookup(KeyContext::Help, &key)) {
            (KeyCode::Enter, _) => {
                self.overlay = None;
                self.jump_to_problem(selected);
                return vec![];
            }
            (KeyCode::Char('x'), _) => {
                self.overlay = Some(Overlay::Problems { selected });
                return self.dismiss_undo(selected);
            }
            (_, Some(Action::Down)) => (selected + 1).min(last),
            (_, Some(Action::Up)) => selected.saturating_sub(1),
            (_, Some(Action::PageDown)) => (selected + 10).min(last),
            (_, Some(Action::PageUp)) => selected.saturating_sub(10),
            (_, Some(Action::Top)) => 0,
            (_, Some(Action::Bottom)) => last,
            (KeyCode::Char('p'), _) | (_, Some(Action::Cancel | Action::Quit)) => {
                self.overlay = None;
                return vec![];
            }
            _ => selected,
        };
        self.overlay = Some(Overlay::Problems { selected });
        vec![]
    }

    /// `x` in the problems view: forgets a scheduled undo that failed for good, once the
    /// operator has read it. Other problems go away only when what they say is mended.
    fn dismiss_undo(&mut self, selected: usize) -> Vec<Effect> {
        let undo = self.problems.get(selected).and_then(|p| p.undo.clone());
        match undo {
            Some(_) if self.read_only => {
                self.say(
                    "read-only: a failed undo is dismissed from a console that may change things",
                    Role::Warning,
                    self.now,
                );
                vec![]
            }
            Some(undo) => {
                self.say(format!("dismissed: {}", undo.summary()), Role::Ok, self.now);
                vec![Effect::DismissUndo(undo)]
            }
            None => {
                self.say(
                    "x dismisses only a scheduled undo that failed for good",
                    Role::Warning,
                    self.now,
                );
                vec![]
            }
        }
    }

    /// Focuses the panel of problem `index` and selects the row it concerns, clearing a filter
    /// that hides it.
    fn jump_to_problem(&mut self, index: usize) {
        let Some(problem) = self.problems.get(index).cloned() else {
            return;
        };
        self.jump_to_row(problem.panel, problem.row);
    }

    /// Focuses `panel` and selects the row with key `row` there, clearing a filter that hides
    /// it (`None`: the panel only).
    pub(super) fn jump_to_row(&mut self, to: PanelId, row: Option<String>) {
        self.focus = to;
        let Some(row) = row else {
            return;
        };
        let h = self.viewport(to);
        let Some(panel) = self.panels.get_mut(to) else {
            return;
        };
        if !panel.select_key(&row, h) && !panel.filter.is_empty() {
            panel.filter.clear();
            panel.reshape(h);
            panel.select_key(&row, h);
        }
    }

    fn on_help_action(&mut self, action: Option<Action>) {
        let Some(Overlay::Help { scroll }) = &mut self.overlay else {
            return;
        };
        match action {
            Some(Action::Down) => *scroll += 1,
            Some(Action::Up) => *scroll = scroll.saturating_sub(1),
            Some(Action::PageDown) => *scroll += 10,
            Some(Action::PageUp) => *scroll = scroll.saturating_sub(10),
            Some(Action::Top) => *scroll = 0,
            // The renderer stops at the last screenful; this only has to reach it.
            Some(Action::Bottom) => *scroll = usize::MAX / 2,
            Some(Action::Cancel | Action::Help | Action::Quit | Action::Confirm) => {
                self.overlay = None
            }
            _ => {}
        }
    }

    fn on_filter_key(&mut self, panel: PanelId, before: String, key: KeyEvent) -> Vec<Effect> {
        match self.keymap.lookup(KeyContext::Filter, &key) {
            Some(Action::Confirm) => self.overlay = None,
            Some(Action::Cancel) => {
                self.set_filter(panel, before);
                self.overlay = None;
            }
            _ => {
                if let Some(text) = edited(self.panels.filter(panel), &key) {
                    self.set_filter(panel, text);
                }
            }
        }
        vec![]
    }

    /// The search prompt uses the filter prompt's keys; the view jumps to the newest match as
    /// the operator types, like `less`'s incremental search.
    fn on_search_key(&mut self, before: String, key: KeyEvent) -> Vec<Effect> {
        match self.keymap.lookup(KeyContext::Filter, &key) {
            Some(Action::Confirm) => self.overlay = None,
            Some(Action::Cancel) => {
                self.panels.logs.set_search(before);
                self.overlay = None;
            }
            _ => {
                if let Some(text) = edited(&self.panels.logs.search, &key) {
                    self.panels.logs.set_search(text);
                    self.panels.logs.scroll = 0;
                    self.panels.logs.paused = false;
                    if !self.panels.logs.search.is_empty() {
                        self.jump_to_match(Direction::Older, true);
                    }
                }
            }
        }
        vec![]
    }

    /// Typed characters go into the passphrase, shown as dots; Enter sends it, Esc declines
    /// (the tail then reports the key as locked).
    fn on_passphrase_key(
        &mut self,
        id: u64,
        key_file: String,
        mut typed: Secret,
        key: KeyEvent,
    ) -> Vec<Effect> {
        let answer = match self.keymap.lookup(KeyContext::Filter, &key) {
            Some(Action::Confirm) => Some(Some(std::mem::take(&mut typed))),
            Some(Action::Cancel) => Some(None),
            _ => {
                match key.code {
                    KeyCode::Backspace => typed.pop(),
                    KeyCode::Char(c)
                        if !key
                            .modifiers
                            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
                    {
                        typed.push(c)
                    }
                    _ => {}
                }
                None
            }
        };
        match answer {
            Some(passphrase) => {
                self.overlay = None;
                vec![Effect::Passphrase { id, passphrase }]
            }
            None => {
                self.overlay = Some(Overlay::Passphrase {
                    id,
                    key_file,
                    typed,
                });
                vec![]
            }
        }
    }

    /// `n`/`N`: the next search match older/newer than the newest line on screen. `from_newest`
    /// also considers the newest line itself (a fresh search).
    fn jump_to_match(&mut self, direction: Direction, from_newest: bool) {
        if self.panels.logs.search.is_empty() {
            self.say("no search: press s to search", Role::Warning, self.now);
            return;
        }
        if from_newest
            && let Some(newest) = self.panels.logs.visible(&self.world.logs, 1).first()
            && !self
                .panels
                .logs
                .search_hits(&newest.entry.as_text())
                .is_empty()
        {
            return;
        }
        if !self.panels.logs.jump_to_match(&self.world.logs, direction) {
            let which = match direction {
                Direction::Older => "older",
                Direction::Newer => "newer",
            };
            let pattern = crate::view::clean(&self.panels.logs.search);
            self.say(
                format!("no {which} line matches {pattern}"),
                Role::Warning,
                self.now,
            );
        }
    }

    fn set_filter(&mut self, panel: PanelId, text: String) {
        let viewport = self.viewport(panel);
        match self.panels.get_mut(panel) {
            Some(p) => {
                p.filter = text;
                p.reshape(viewport);
            }
            None => {
                self.panels.logs.set_filter(text);
                self.panels.logs.index(&self.world.logs);
            }
        }
    }

    /// Carries out one keymap action in the panels (no overlay open).
    pub(super) fn on_action(&mut self, action: Action) -> Vec<Effect> {
        if action.mutates() && self.read_only {
            self.say(
                format!("read-only: {} is disabled in this session", action.name()),
                Role::Warning,
                self.now,
            );
            return vec![];
        }
        let page = self.viewport(self.focus).max(1) as isize;
        match action {
            // Asks first when undos this console scheduled would be left behind.
            Action::Quit => return self.ask_quit(),
            Action::NextPanel => self.focus_panel(cycle(self.focus, 1)),
            Action::PrevPanel => self.focus_panel(cycle(self.focus, -1)),
            Action::FocusPanel(p) => self.focus_panel(p),
            Action::Zoom => {
                self.zoomed = !self.zoomed;
                self.refit();
            }
            Action::Filter => {
                self.overlay = Some(Overlay::Filter {
                    panel: self.focus,
                    before: self.panels.filter(self.focus).to_string(),
                })
            }
            Action::Sort => {
                let viewport = self.viewport(self.focus);
                if let Some(p) = self.panels.get_mut(self.focus) {
                    p.sort = p.sort.next();
                    let label = p.sort.label();
                    p.reshape(viewport);
                    self.say(format!("sort: {label}"), Role::Normal, self.now);
                }
            }
            Action::Refresh => {
                self.say(
                    format!("refreshing {}", self.focus.title()),
                    Role::Normal,
                    self.now,
                );
                return vec![Effect::Refresh(self.focus)];
            }
            Action::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Action::Stats => self.overlay = Some(Overlay::Stats),
            Action::Problems => self.overlay = Some(Overlay::Problems { selected: 0 }),
            Action::Timeline => self.overlay = Some(Overlay::Timeline(Default::default())),
            Action::Copy => {
                let Some(text) = self.selected_detail().map(str::to_string) else {
                    self.say("nothing to copy: select a row", Role::Warning, self.now);
                    return vec![];
                };
                // The terminal may refuse OSC 52 (tmux without set-clipboard, some emulators);
                // the text stays shown under the panel for Shift-drag selection.
                self.say(
                    format!("copied {text} (if the clipboard lacks it, Shift-drag it from under the panel)"),
                    Role::Ok,
                    self.now,
                );
                return vec![Effect::Copy(text)];
            }
            Action::Cancel => {
                if self.focus == PanelId::Logs && !self.panels.logs.search.is_empty() {
                    self.panels.logs.search.clear();
                } else if !self.panels.filter(self.focus).is_empty() {
                    self.set_filter(self.focus, String::new());
                } else if self.zoomed {
                    self.zoomed = false;
                    self.refit();
                }
            }
            Action::Up => return self.move_selection(-1),
            Action::Down => return self.move_selection(1),
            Action::PageUp => return self.move_selection(-page),
            Action::PageDown => return self.move_selection(page),
            Action::Top => return self.move_selection(isize::MIN / 2),
            Action::Bottom => return self.move_selection(isize::MAX / 2),
            Action::Follow => {
                if self.focus == PanelId::Logs {
                    self.panels.logs.toggle_follow();
                }
            }
            Action::Split => {
                if self.focus == PanelId::Logs {
                    self.panels.logs.split = !self.panels.logs.split;
                    // Side by side shows every source; one picked with `l` no longer applies.
                    self.panels.logs.source = None;
                }
            }
            Action::Drain => self.ask_drain(),
            Action::Undo => self.ask_register(),
            Action::ToggleRule => self.ask_toggle(),
            Action::Who => {
                if !self.open_talkers() {
                    self.who_unavailable();
                }
            }
            Action::Block => match self.focus {
                PanelId::Logs => self.block_from_log_line(),
                // Which of the rule's clients: picked from its list.
                _ => {
                    if !self.open_talkers() {
                        self.who_unavailable();
                    }
                }
            },
            Action::TailLogs if self.focus == PanelId::Targets => {
                return self.tail_selected_task();
            }
            Action::TailLogs => return self.tail_selected_instance(),
            Action::Search if self.focus == PanelId::Logs => {
                self.overlay = Some(Overlay::Search {
                    before: self.panels.logs.search.clone(),
                })
            }
            Action::SearchOlder if self.focus == PanelId::Logs => {
                self.jump_to_match(Direction::Older, false)
            }
            Action::SearchNewer if self.focus == PanelId::Logs => {
                self.jump_to_match(Direction::Newer, false)
            }
            // Search keys outside the logs panel do nothing.
            Action::Confirm | Action::Search | Action::SearchOlder | Action::SearchNewer => {}
        }
        vec![]
    }

    pub(super) fn focus_panel(&mut self, panel: PanelId) {
        self.focus = panel;
        self.refit();
    }

    fn move_selection(&mut self, delta: isize) -> Vec<Effect> {
        let focus = self.focus;
        if focus == PanelId::Logs {
            self.panels.logs.scroll_by(-delta);
            let h = self.viewport(PanelId::Logs);
            self.panels.logs.clamp_scroll(&self.world.logs, h);
            return vec![];
        }
        let h = self.viewport(focus);
        if let Some(p) = self.panels.get_mut(focus) {
            p.move_by(delta, h);
        }
        // The samples follow the selection in `update`.
        vec![]
    }

    /// The account whose own row is selected in `panel` (not a row in it), by name and id:
    /// an action on it would act on everything in the account, so none does.
    fn selected_account(&self, panel: PanelId) -> Option<String> {
        let key = self.panels.get(panel)?.selected_key()?;
        let id = key.strip_prefix("account:")?;
        Some(
            self.world
                .scope
                .accounts
                .iter()
                .find(|a| a.id == id)
                .map(|a| crate::view::clean(&a.label()))
                .unwrap_or_else(|| crate::view::clean(id)),
        )
    }

    /// Says that `what` (draining, a toggle…) is done on one row of an account, not on the
    /// account's row; `true` when the selection is such a row.
    fn refuse_on_account(&mut self, panel: PanelId, what: &str) -> bool {
        let Some(account) = self.selected_account(panel) else {
            return false;
        };
        self.say(
            format!("{account} is an account: select {what} in it"),
            Role::Warning,
            self.now,
        );
        true
    }

    fn ask_drain(&mut self) {
        if self.refuse_on_account(PanelId::Targets, "a target to drain") {
            return;
        }
        let Some((target, state)) = self.selected_target() else {
            self.say("select a target to drain", Role::Warning, self.now);
            return;
        };
        if matches!(state, TargetState::Draining | TargetState::Unused) {
            self.say(
                format!(
                    "{} is already {}; u registers it again",
                    target.label(),
                    state.as_aws()
                ),
                Role::Warning,
                self.now,
            );
            return;
        }
        let confirmation = super::Confirmation::for_mutation(self, Mutation::Drain { target });
        self.overlay = Some(Overlay::Confirm(Box::new(confirmation)));
    }

    fn ask_register(&mut self) {
        let selected = self
            .selected_target()
            .filter(|(_, s)| matches!(s, TargetState::Draining | TargetState::Unused))
            .map(|(t, _)| t);
        if selected.is_none() && self.refuse_on_account(PanelId::Targets, "a drained target") {
            return;
        }
        let Some(target) = selected.or_else(|| self.last_drained().cloned()) else {
            self.say(
                "nothing to undo: select a drained target",
                Role::Warning,
                self.now,
            );
            return;
        };
        let confirmation = super::Confirmation::for_mutation(self, Mutation::Register { target });
        self.overlay = Some(Overlay::Confirm(Box::new(confirmation)));
    }

    fn ask_toggle(&mut self) {
        if self.refuse_on_account(PanelId::Waf, "a WAF rule to toggle") {
            return;
        }
        let Some((acl, rule)) = self.selected_rule() else {
            self.say("select a WAF rule to toggle", Role::Warning, self.now);
            return;
        };
        if let Some(by) = &rule.managed_by {
            self.say(
                format!(
                    "{} is a rule group of {by}: only its Firewall Manager policy changes it",
                    rule.name
                ),
                Role::Warning,
                self.now,
            );
            return;
        }
        let remembered = self
            .remembered_action(&acl.id, &rule.name)
            .or_else(|| self.pending_restore(&acl.id, &rule.name));
        let mutation = Mutation::SetRule {
            rule: RuleRef {
                account: acl.account.clone(),
                region: acl.region.clone(),
                scope: acl.scope,
                acl_name: acl.name.clone(),
                acl_id: acl.id.clone(),
                rule: rule.name.clone(),
            },
            from: rule.kind.clone(),
            to: toggled_rule(&rule.kind, remembered),
            until: None,
        };
        if let Mutation::SetRule { from, to, .. } = &mutation
            && from == to
        {
            self.say(
                "this rule was already Count when the console started: nothing to restore",
                Role::Warning,
                self.now,
            );
            return;
        }
        let mut confirmation = super::Confirmation::for_mutation(self, mutation);
        if let Mutation::SetRule { to, .. } = &confirmation.mutation
            && to.is_counting()
        {
            confirmation.lifetimes = super::confirm::COUNT_LIFETIMES.to_vec();
        }
        self.overlay = Some(Overlay::Confirm(Box::new(confirmation)));
    }

    pub(super) fn on_confirm_key(
        &mut self,
        mut c: Box<super::Confirmation>,
        key: KeyEvent,
    ) -> Vec<Effect> {
        if c.type_to_confirm.is_some() {
            // Typed confirmation: characters are the answer, Enter submits, Esc cancels.
            c.refused = None;
            match key.code {
                KeyCode::Esc => self.overlay = None,
                KeyCode::Enter if c.typed_matches() => return self.confirmed(c),
                KeyCode::Enter => {
                    // Said, not silently wiped: what was typed, and what is asked for.
                    c.refused = Some(format!(
                        "\"{}\" is not the target id: type {} exactly (Esc cancels)",
                        crate::view::clean(&c.typed),
                        c.type_to_confirm.as_deref().unwrap_or_default()
                    ));
                    c.typed.clear();
                    self.overlay = Some(Overlay::Confirm(c));
                }
                KeyCode::Backspace => {
                    c.typed.pop();
                    self.overlay = Some(Overlay::Confirm(c));
                }
                KeyCode::Char(ch) => {
                    c.typed.push(ch);
                    self.overlay = Some(Overlay::Confirm(c));
                }
                _ => {}
            }
            return vec![];
        }
        // The number keys (and Tab) choose how long the change lasts.
        let choices = c.lifetimes.len();
        let chosen = match key.code {
            KeyCode::Char(d @ '1'..='9') if (d as usize - '1' as usize) < choices => {
                Some(d as usize - '1' as usize)
            }
            KeyCode::Tab if choices > 0 => Some((c.lifetime + 1) % choices),
            KeyCode::BackTab if choices > 0 => Some((c.lifetime + choices - 1) % choices),
            _ => None,
        };
        if let Some(i) = chosen {
            c.lifetime = i;
            self.overlay = Some(Overlay::Confirm(c));
            return vec![];
        }
        match self.keymap.lookup(KeyContext::Confirm, &key) {
            Some(Action::Confirm) => self.confirmed(c),
            Some(Action::Cancel) => {
                self.overlay = None;
                self.say("cancelled", Role::Muted, self.now);
                vec![]
            }
            _ => vec![],
        }
    }

    fn confirmed(&mut self, c: Box<super::Confirmation>) -> Vec<Effect> {
        self.overlay = None;
        let mutation = c.mutation_at(self.now);
        self.say(format!("{}…", mutation.summary()), Role::Normal, self.now);
        self.in_flight.push(mutation.clone());
        vec![Effect::Execute(mutation)]
    }

    pub(super) fn on_mouse(&mut self, mouse: MouseEvent) -> Vec<Effect> {
        if self.overlay.is_some() {
            return vec![];
        }
        let Some(panel) = layout::panel_at(
            self.screen,
            self.zoomed,
            self.focus,
            mouse.column,
            mouse.row,
        ) else {
            return vec![];
        };
        match mouse.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                self.focus_panel(panel);
                let Some(rows) =
                    layout::table_viewport(self.screen, self.zoomed, self.focus, panel)
                else {
                    return vec![];
                };
                if mouse.row >= rows.y && mouse.row < rows.y + rows.height {
                    let h = rows.height as usize;
                    if let Some(p) = self.panels.get_mut(panel) {
                        let index = p.offset + (mouse.row - rows.y) as usize;
                        if index < p.table.rows.len() {
                            p.select(index, h);
                        }
                    }
                }
                vec![]
            }
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let delta = if mouse.kind == MouseEventKind::ScrollDown {
                    WHEEL_ROWS
                } else {
                    -WHEEL_ROWS
                };
                self.focus_panel(panel);
                self.move_selection(delta)
            }
            _ => vec![],
        }
    }
}

fn cycle(p: PanelId, step: isize) -> PanelId {
    let n = PanelId::ALL.len() as isize;
    let i = (p.number() as isize - 1 + step).rem_euclid(n);
    PanelId::ALL[i as usize]
}

/// The prompt's text after a key: Backspace deletes, a printable character is typed; `None`
/// for any other key.
pub(super) fn edited(text: &str, key: &KeyEvent) -> Option<String> {
    let mut text = text.to_string();
    match key.code {
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            text.push(c)
        }
        _ => return None,
    }
    Some(text)
}
