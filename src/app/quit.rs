//! Quitting while undos this console scheduled are pending: nobody carries them out unless a
//! console with write access runs when their time comes, so `q` (and Ctrl-C) asks first.

use super::{App, Effect, Overlay};
use crate::action::{Listing, Mutation, Pending};
use crate::config::KeyContext;
use crate::view::{Role, clean};
use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent};

/// The quit dialog's state.
#[derive(Debug, Clone, PartialEq)]
pub enum QuitGuard {
    /// What to do with the undos: carry them out, keep them, or stay (the default).
    Asking,
    /// `r`: carrying them out; the console quits once every one is done.
    CarryingOut {
        count: usize,
        /// Undos that failed meanwhile, in words.
        failed: Vec<String>,
    },
    /// Not every undo was carried out: said, and the console stays.
    NotDone(String),
}

/// An undo in the operator's words, with its time: "restore block-xmlrpc to Block at
/// 08:59 UTC", "remove 198.51.100.9 from blocked at 09:14 UTC".
pub fn undo_words(p: &Pending, now: DateTime<Utc>) -> String {
    let what = match &p.undo {
        Mutation::SetRule { rule, to, .. } => {
            format!("restore {} to {}", clean(&rule.rule), to.describe())
        }
        Mutation::Unblock { set, address } => {
            let shown = address
                .strip_suffix("/32")
                .or_else(|| address.strip_suffix("/128"))
                .unwrap_or(address);
            format!("remove {} from {}", clean(shown), clean(&set.name))
        }
        other => clean(&other.summary()),
    };
    format!("{what} {}", when(p.due, now))
}

/// "at 08:59 UTC" today, with the date on another day, or "due since 08:59 UTC".
fn when(due: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let clock = if due.date_naive() == now.date_naive() {
        due.format("%H:%M UTC").to_string()
    } else {
        due.format("%Y-%m-%d %H:%M UTC").to_string()
    };
    if due <= now {
        format!("due since {clock}")
    } else {
        format!("at {clock}")
    }
}

/// "1 undo", "2 undos".
fn undos(n: usize) -> String {
    if n == 1 {
        "1 undo".to_string()
    } else {
        format!("{n} undos")
    }
}

impl App {
    /// The undos quitting would leave behind: this console's, except those that failed for
    /// good (they are problems until dismissed). None without an executor: a read-only console
    /// or a wall carries nothing out, so it has nothing to leave.
    pub fn undos_left_behind(&self) -> Vec<&Pending> {
        if self.read_only {
            return Vec::new();
        }
        self.pending
            .iter()
            .filter(|p| p.failed_for_good.is_none())
            .collect()
    }

    /// Who carries out a scheduled undo once this console is gone, in words.
    fn who_carries_them_out(&self) -> String {
        match &self.shared_state {
            Some(url) => format!("a console with write access sharing {}", clean(url)),
            None => "a console with write access".to_string(),
        }
    }

    /// The quit dialog's question.
    pub fn quit_question(&self) -> String {
        let left = self.undos_left_behind();
        let listed: Vec<String> = left.iter().map(|p| undo_words(p, self.now)).collect();
        format!(
            "{} {} scheduled ({}) and nobody will carry {} out unless {} runs then.",
            undos(left.len()),
            if left.len() == 1 { "is" } else { "are" },
            listed.join("; "),
            if left.len() == 1 { "it" } else { "them" },
            self.who_carries_them_out()
        )
    }

    /// `q` or Ctrl-C: quits, unless undos would be left behind; then asks.
    pub(super) fn ask_quit(&mut self) -> Vec<Effect> {
        if self.undos_left_behind().is_empty() {
            return vec![Effect::Quit];
        }
        self.overlay = Some(Overlay::Quit(QuitGuard::Asking));
        vec![]
    }

    /// A key in the quit dialog: `r` carries the undos out then quits, `k` quits and keeps
    /// them, `Esc` and `Enter` (any "no") stay. Other keys do nothing: the question stays.
    pub(super) fn on_quit_key(&mut self, guard: QuitGuard, key: KeyEvent) -> Vec<Effect> {
        let stay = self.keymap.lookup(KeyContext::Confirm, &key) == Some(super::Action::Cancel);
        match guard {
            QuitGuard::Asking => match key.code {
                KeyCode::Char('r') => {
                    let count = self.undos_left_behind().len();
                    self.overlay = Some(Overlay::Quit(QuitGuard::CarryingOut {
                        count,
                        failed: Vec::new(),
                    }));
                    vec![Effect::CarryOutUndosNow]
                }
                KeyCode::Char('k') => vec![Effect::Quit],
                _ if stay => {
                    self.overlay = None;
                    vec![]
                }
                _ => vec![],
            },
            // The undos already asked for still finish; their outcomes go to the footer.
            QuitGuard::CarryingOut { .. } if stay => {
                self.overlay = None;
                self.say(
                    "staying: the undos being carried out finish in the background",
                    Role::Normal,
                    self.now,
                );
                vec![]
            }
            QuitGuard::CarryingOut { .. } => vec![],
            QuitGuard::NotDone(_) => {
                if self.keymap.lookup(KeyContext::Confirm, &key).is_some() {
                    self.overlay = None;
                }
                vec![]
            }
        }
    }

    /// A scheduled undo failed while the quit dialog carries them out: it must be read.
    pub(super) fn note_failed_undo(&mut self, mutation: &Mutation, why: &str) {
        if let Some(Overlay::Quit(QuitGuard::CarryingOut { failed, .. })) = &mut self.overlay {
            failed.push(format!("{} — {}", clean(&mutation.summary()), clean(why)));
        }
    }

    /// The undos asked for with `r` were tried: quit when none is left, else say why not.
    pub(super) fn on_undos_carried_out(&mut self, left: Result<Listing, String>) -> Vec<Effect> {
        let failed = match &self.overlay {
            Some(Overlay::Quit(QuitGuard::CarryingOut { failed, .. })) => Some(failed.clone()),
            _ => None,
        };
        let read = match left {
            Ok(listing) => {
                self.on_pending(listing);
                None
            }
            Err(why) => Some(why),
        };
        // The operator pressed Esc meanwhile: the console stays, and the footer has said each.
        let Some(mut failed) = failed else {
            return vec![];
        };
        failed.extend(read);
        let still: Vec<String> = self
            .undos_left_behind()
            .iter()
            .map(|p| still_pending(p, self.now))
            .collect();
        if failed.is_empty() && still.is_empty() {
            return vec![Effect::Quit];
        }
        let mut text = Vec::new();
        if !failed.is_empty() {
            text.push(format!("Failed: {}.", failed.join("; ")));
        }
        if !still.is_empty() {
            text.push(format!("Still scheduled: {}.", still.join("; ")));
        }
        self.overlay = Some(Overlay::Quit(QuitGuard::NotDone(text.join(" "))));
        vec![]
    }

    /// What the journal says a console stopped by a signal left scheduled: said first, in the
    /// footer and a notice, for those still pending when the undos are first read.
    pub(super) fn say_left_by_signal(&mut self) {
        let entries = std::mem::take(&mut self.left_by_signal);
        let Some(stopped) = entries.last().map(|e| e.time) else {
            return;
        };
        let still: Vec<String> = self
            .pending
            .iter()
            .filter(|p| p.failed_for_good.is_none())
            .filter(|p| entries.iter().any(|e| e.mutation.as_ref() == Some(&p.undo)))
            .map(|p| undo_words(p, self.now))
            .collect();
        if still.is_empty() {
            return;
        }
        let them = if still.len() == 1 { "it" } else { "them" };
        let who = if self.read_only {
            format!(
                "this console cannot carry {them} out: only {} can",
                self.who_carries_them_out()
            )
        } else {
            format!("this console carries {them} out when the time comes, while it runs")
        };
        let text = format!(
            "A console was stopped at {} (it could not ask) and left {} scheduled: {}; {who}.",
            stopped.format("%Y-%m-%d %H:%M UTC"),
            undos(still.len()),
            still.join("; "),
        );
        self.say(text.clone(), Role::Warning, self.now);
        if self.overlay.is_none() {
            self.overlay = Some(Overlay::Notice {
                title: " Undos left scheduled ".to_string(),
                text,
            });
        }
    }
}

/// An undo `r` did not carry out, and why as far as the file says.
fn still_pending(p: &Pending, now: DateTime<Utc>) -> String {
    let words = undo_words(p, now);
    match (&p.last_error, p.retry_at) {
        (Some(e), Some(at)) if at > now => format!(
            "{words} (failed: {}; tried again at {})",
            clean(e),
            at.format("%H:%M:%S UTC")
        ),
        (None, Some(at)) if at > now => format!("{words} (another console is carrying it out)"),
        _ => words,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::RuleRef;
    use crate::config::{Keymap, Settings};
    use crate::model::{RuleAction, RuleKind, Scope, WafScope};
    use crossterm::event::KeyModifiers;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-21T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn app(read_only: bool) -> App {
        let keymap = Keymap::builtin("default").unwrap();
        let scope = Scope {
            mode: "demo".into(),
            ..Scope::default()
        };
        App::new(scope, keymap, &Settings::default(), read_only, t0())
    }

    /// The restore of `rule` to Block, due `minutes` after t0.
    fn restore(rule: &str, minutes: i64) -> Pending {
        let from = RuleKind::Plain {
            action: RuleAction::Count,
        };
        let to = RuleKind::Plain {
            action: RuleAction::Block,
        };
        Pending {
            due: t0() + chrono::Duration::minutes(minutes),
            undo: Mutation::SetRule {
                rule: RuleRef {
                    account: None,
                    region: "us-east-1".into(),
                    scope: WafScope::Regional,
                    acl_name: "hwi-web-acl".into(),
                    acl_id: "acl-1".into(),
                    rule: rule.into(),
                },
                from,
                to,
                until: None,
            },
            of: format!("Count {rule} for a while"),
            last_error: None,
            attempts: 0,
            account: None,
            endpoint: None,
            retry_at: None,
            failed_for_good: None,
        }
    }

    fn gone(rule: &str) -> Pending {
        Pending {
            failed_for_good: Some("WAFNonexistentItemException".into()),
            ..restore(rule, -30)
        }
    }

    fn listing(pending: Vec<Pending>) -> Listing {
        Listing {
            pending,
            refused: vec![],
        }
    }

    fn press(a: &mut App, code: KeyCode) -> Vec<Effect> {
        a.update(super::super::Event::Key(KeyEvent::new(
            code,
            KeyModifiers::NONE,
        )))
    }

    fn ctrl_c(a: &mut App) -> Vec<Effect> {
        a.update(super::super::Event::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL,
        )))
    }

    fn with_pending(read_only: bool, pending: Vec<Pending>) -> App {
        let mut a = app(read_only);
        a.update(super::super::Event::Pending(listing(pending)));
        a
    }

    fn guard(a: &App) -> Option<&QuitGuard> {
        match &a.overlay {
            Some(Overlay::Quit(g)) => Some(g),
            _ => None,
        }
    }

    #[test]
    fn q_and_ctrl_c_quit_at_once_with_nothing_scheduled() {
        // An undo that failed for good is a problem until dismissed, not something to wait for.
        let mut a = with_pending(false, vec![gone("block-xmlrpc")]);
        assert_eq!(press(&mut a, KeyCode::Char('q')), vec![Effect::Quit]);
        assert_eq!(ctrl_c(&mut a), vec![Effect::Quit]);
    }

    #[test]
    fn a_read_only_console_or_a_wall_quits_at_once_it_carries_nothing_out() {
        let mut a = with_pending(true, vec![restore("block-xmlrpc", 15)]);
        assert_eq!(press(&mut a, KeyCode::Char('q')), vec![Effect::Quit]);
        let mut wall = with_pending(true, vec![restore("block-xmlrpc", 15)]).into_wall(None);
        assert_eq!(ctrl_c(&mut wall), vec![Effect::Quit]);
    }

    #[test]
    fn q_and_ctrl_c_ask_first_and_esc_or_enter_stay() {
        let pending = vec![
            restore("block-xmlrpc", 15),
            gone("old-rule"),
            restore("rate-limit", 60),
        ];
        let mut a = with_pending(false, pending);
        assert!(press(&mut a, KeyCode::Char('q')).is_empty());
        assert_eq!(guard(&a), Some(&QuitGuard::Asking));
        assert_eq!(
            a.quit_question(),
            "2 undos are scheduled (restore block-xmlrpc to Block at 10:15 UTC; restore rate-limit to Block at 11:00 UTC) and nobody will carry them out unless a console with write access runs then."
        );
        // Other keys leave the question open; Esc stays.
        assert!(press(&mut a, KeyCode::Char('y')).is_empty());
        assert_eq!(guard(&a), Some(&QuitGuard::Asking));
        assert!(press(&mut a, KeyCode::Esc).is_empty());
        assert!(a.overlay.is_none(), "Esc stays in the console");
        assert!(ctrl_c(&mut a).is_empty());
        assert_eq!(guard(&a), Some(&QuitGuard::Asking));
        assert!(
            press(&mut a, KeyCode::Enter).is_empty(),
            "the default: stay"
        );
        assert!(a.overlay.is_none());
        // A team's store: who else may carry them out.
        a.shared_state = Some("s3://ops-state/team".into());
        press(&mut a, KeyCode::Char('q'));
        assert!(
            a.quit_question().ends_with(
                "unless a console with write access sharing s3://ops-state/team runs then."
            ),
            "{}",
            a.quit_question()
        );
        assert_eq!(press(&mut a, KeyCode::Char('k')), vec![Effect::Quit]);
    }

    #[test]
    fn r_carries_them_out_then_quits() {
        let mut a = with_pending(false, vec![restore("block-xmlrpc", 15)]);
        press(&mut a, KeyCode::Char('q'));
        assert_eq!(
            press(&mut a, KeyCode::Char('r')),
            vec![Effect::CarryOutUndosNow]
        );
        assert_eq!(
            guard(&a),
            Some(&QuitGuard::CarryingOut {
                count: 1,
                failed: vec![]
            })
        );
        // Keys do not quit before the undos are done.
        assert!(press(&mut a, KeyCode::Char('k')).is_empty());
        let undo = restore("block-xmlrpc", 15).undo;
        a.update(super::super::Event::Undone {
            mutation: undo,
            at: t0(),
            result: Ok("block-xmlrpc is Block again".into()),
        });
        let effects = a.update(super::super::Event::UndosCarriedOut(Ok(listing(vec![]))));
        assert_eq!(effects, vec![Effect::Quit]);
    }

    #[test]
    fn an_undo_that_fails_keeps_the_console_and_says_why_then_q_asks_again() {
        let mut a = with_pending(false, vec![restore("block-xmlrpc", 15)]);
        press(&mut a, KeyCode::Char('q'));
        press(&mut a, KeyCode::Char('r'));
        let still = Pending {
            attempts: 1,
            last_error: Some("ThrottlingException".into()),
            retry_at: Some(t0() + chrono::Duration::seconds(15)),
            ..restore("block-xmlrpc", 15)
        };
        a.update(super::super::Event::Undone {
            mutation: still.undo.clone(),
            at: t0(),
            result: Err("ThrottlingException".into()),
        });
        let effects = a.update(super::super::Event::UndosCarriedOut(Ok(listing(vec![
            still,
        ]))));
        assert!(effects.is_empty(), "{effects:?}");
        let Some(QuitGuard::NotDone(why)) = guard(&a) else {
            panic!("{:?}", a.overlay);
        };
        assert!(
            why.contains("Failed: Set WAF rule block-xmlrpc in hwi-web-acl from Count to Block — ThrottlingException")
                && why.contains("Still scheduled: restore block-xmlrpc to Block at 10:15 UTC (failed: ThrottlingException; tried again at 10:00:15 UTC)"),
            "{why}"
        );
        assert!(press(&mut a, KeyCode::Esc).is_empty());
        assert!(a.overlay.is_none());
        assert!(press(&mut a, KeyCode::Char('q')).is_empty());
        assert_eq!(guard(&a), Some(&QuitGuard::Asking));
    }

    #[test]
    fn esc_while_carrying_out_stays_and_the_end_of_the_run_does_not_quit() {
        let mut a = with_pending(false, vec![restore("block-xmlrpc", 15)]);
        press(&mut a, KeyCode::Char('q'));
        press(&mut a, KeyCode::Char('r'));
        assert!(matches!(guard(&a), Some(QuitGuard::CarryingOut { .. })));
        assert!(press(&mut a, KeyCode::Esc).is_empty());
        assert!(a.overlay.is_none());
        let effects = a.update(super::super::Event::UndosCarriedOut(Ok(listing(vec![]))));
        assert!(effects.is_empty(), "{effects:?}");
        assert!(a.pending.is_empty());
    }

    #[test]
    fn a_timed_change_says_who_undoes_it() {
        let here = super::super::confirm::undone_by(None);
        assert_eq!(
            here,
            "Undone by: this machine, while a console with write access runs (the undo stays here)"
        );
        let shared = super::super::confirm::undone_by(Some("s3://ops-state/team"));
        assert_eq!(
            shared,
            "Undone by: any console with write access sharing s3://ops-state/team"
        );
    }

    #[test]
    fn undos_a_signal_left_scheduled_are_said_first_when_still_pending() {
        let left =
            |p: &Pending| crate::action::journal::left_scheduled(p, "SIGTERM", None, None, t0());
        let mut a = app(false);
        a.left_by_signal = vec![
            left(&restore("block-xmlrpc", 15)),
            left(&restore("carried-out-since", 5)),
        ];
        a.update(super::super::Event::Pending(listing(vec![
            restore("block-xmlrpc", 15),
            restore("rate-limit", 60),
        ])));
        let said = a.status.clone().map(|s| s.text).unwrap_or_default();
        assert_eq!(
            said,
            "A console was stopped at 2026-11-21 10:00 UTC (it could not ask) and left 1 undo scheduled: restore block-xmlrpc to Block at 10:15 UTC; this console carries it out when the time comes, while it runs."
        );
        assert!(
            matches!(&a.overlay, Some(Overlay::Notice { text, .. }) if *text == said),
            "{:?}",
            a.overlay
        );
        // Said once.
        a.overlay = None;
        a.status = None;
        a.update(super::super::Event::Pending(listing(vec![restore(
            "block-xmlrpc",
            15,
        )])));
        assert!(a.status.is_none() && a.overlay.is_none());
        // Nothing said when none is pending any more.
        let mut b = app(false);
        b.left_by_signal = vec![left(&restore("block-xmlrpc", 15))];
        b.update(super::super::Event::Pending(listing(vec![])));
        assert!(b.status.is_none() && b.overlay.is_none());
    }
}
