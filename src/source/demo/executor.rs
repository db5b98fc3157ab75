//! Carries out drains, registrations and WAF rule changes on the demo world, refusing what AWS
//! would refuse (and a rule change whose starting point is stale), and acting only in the
//! account the resource lives in: a change made for another account's row cannot reach it.

use super::DemoWorld;
use super::dynamics::{Changes, Registration, TargetKey};
use crate::action::{Done, Executor, Failed, IpSetRef, Mutation, RuleRef, TargetRef};
use crate::model::{AccountRef, RuleKind, TargetState};
use futures::future::BoxFuture;
use std::sync::Arc;

pub(super) struct DemoExecutor {
    world: Arc<DemoWorld>,
}

impl DemoExecutor {
    pub fn new(world: Arc<DemoWorld>) -> Self {
        DemoExecutor { world }
    }
}

impl Executor for DemoExecutor {
    fn execute<'a>(&'a self, mutation: &'a Mutation) -> BoxFuture<'a, Result<Done, Failed>> {
        Box::pin(async move {
            self.world.simulated_latency().await;
            self.world.apply(mutation).map(Done::new).map_err(|e| {
                // Someone else's change stands: a scheduled undo gives up instead of retrying.
                if e.contains("meanwhile") || e.contains("already in IP set") {
                    Failed::moot(e)
                } else {
                    Failed::new(e)
                }
            })
        })
    }
}

/// Every entry of the demo journal (both its files); none when it does not exist yet.
fn read_journal(path: &std::path::Path) -> Result<Vec<crate::action::JournalEntry>, String> {
    crate::action::journal::read_window(path, chrono::DateTime::UNIX_EPOCH)
        .map(|read| read.entries)
        .map_err(|e| format!("the demo journal {}: {e}", path.display()))
}

/// Whether a change made for account `asked` may act on a resource living in `home`. A change
/// that names no account (a console watching one account, an older journal) is placed by its
/// resource alone, as its ARN or id names one resource only in the demo's estate.
fn same_account(asked: Option<&AccountRef>, home: Option<&AccountRef>) -> bool {
    match (asked, home) {
        (Some(asked), Some(home)) => asked.id == home.id,
        _ => true,
    }
}

/// Refuses a change made in another account than `what`'s own, as that account's credentials
/// could not reach it.
fn in_its_account(
    what: &str,
    asked: Option<&AccountRef>,
    home: Option<&AccountRef>,
) -> Result<(), String> {
    match (asked, home) {
        (Some(asked), Some(home)) if !same_account(Some(asked), Some(home)) => Err(format!(
            "{what} is in account {}, not in {}: a change made in {} cannot reach it. Nothing was changed",
            home.label(),
            asked.label(),
            asked.name
        )),
        _ => Ok(()),
    }
}

/// Keeps a history ordered by time even if a hand-moved clock went backwards.
fn record<T>(history: &mut Vec<(i64, T)>, at: i64, value: T) {
    let pos = history.partition_point(|(t, _)| *t <= at);
    history.insert(pos, (at, value));
}

impl DemoWorld {
    /// Takes in the changes other demo processes made, as the demo journal recorded them (each
    /// at its own time), so a snapshot or a wall started later shows what a console did: the
    /// same blocks, drains and Count toggles at the same moments. Only what was done counts;
    /// entries this world cannot place (another estate's resources) are skipped, as they were
    /// refused there. Returns how many were taken in.
    pub fn replay(&self, entries: &[crate::action::JournalEntry]) -> usize {
        self.replay_into(&mut self.changes(), entries)
    }

    /// [`DemoWorld::replay`] into `changes`.
    pub(super) fn replay_into(
        &self,
        changes: &mut Changes,
        entries: &[crate::action::JournalEntry],
    ) -> usize {
        let mut taken = 0;
        for e in entries.iter().filter(|e| e.outcome == "done") {
            let Some(mutation) = &e.mutation else {
                continue;
            };
            let at = self.ms_at(e.time);
            let placed = match mutation {
                Mutation::Drain { target } | Mutation::Register { target } => {
                    let to = if matches!(mutation, Mutation::Drain { .. }) {
                        Registration::Deregistered
                    } else {
                        Registration::Registered
                    };
                    self.estate
                        .target_group(&target.target_group_arn)
                        .filter(|(lb, _)| {
                            same_account(target.account.as_ref(), lb.account.as_ref())
                        })
                        .and_then(|(_, tg)| {
                            tg.targets
                                .iter()
                                .find(|t| t.id == target.id && t.port == target.port)
                        })
                        .map(|t| {
                            let key = TargetKey {
                                target_group_arn: target.target_group_arn.clone(),
                                id: t.id.clone(),
                                port: t.port,
                            };
                            record(changes.registrations.entry(key).or_default(), at, to);
                        })
                        .is_some()
                }
                Mutation::SetRule { rule, to, .. } => {
                    let known = self.estate.acls.iter().any(|a| {
                        a.acl.id == rule.acl_id
                            && a.rule(&rule.rule).is_some()
                            && same_account(rule.account.as_ref(), a.acl.account.as_ref())
                    });
                    if known {
                        let key = (rule.acl_id.clone(), rule.rule.clone());
                        record(changes.rules.entry(key).or_default(), at, to.clone());
                    }
                    known
                }
                Mutation::Block { set, address, .. } | Mutation::Unblock { set, address } => {
                    let known = set.arn == super::waf::ip_set_arn()
                        && same_account(
                            set.account.as_ref(),
                            Some(&super::waf::BLOCKED_HOME.account()),
                        );
                    if known {
                        let added = matches!(mutation, Mutation::Block { .. });
                        record(&mut changes.blocks, at, (address.clone(), added));
                    }
                    known
                }
            };
            taken += usize::from(placed);
        }
        taken
    }

    /// [`DemoWorld::replay`] of the demo journal at `path` (both its files); a journal that
    /// does not exist yet holds nothing to replay.
    pub fn replay_journal(&self, path: &std::path::Path) -> Result<usize, String> {
        Ok(self.replay(&read_journal(path)?))
    }

    /// Keeps replaying the demo journal at `path` as it grows, for a world that changes nothing
    /// itself (a wall, a read-only console): a block made by a console beside it shows at the
    /// wall's next refresh. The history is rebuilt from the journal each time it changes.
    pub fn follow_journal(&self, path: &std::path::Path) -> Result<usize, String> {
        let taken = self.replay_journal(path)?;
        *self.followed() = Some(super::Followed {
            path: path.to_path_buf(),
            seen: super::Followed::stamp(path),
        });
        Ok(taken)
    }

    /// Rebuilds the history from the followed journal if it changed since it was last read.
    pub(super) fn catch_up(&self) {
        let mut followed = self.followed();
        let Some(f) = followed.as_mut() else {
            return;
        };
        let now = super::Followed::stamp(&f.path);
        if now == f.seen {
            return;
        }
        match read_journal(&f.path) {
            Ok(entries) => {
                let mut rebuilt = Changes::default();
                self.replay_into(&mut rebuilt, &entries);
                *self.changes() = rebuilt;
                f.seen = now;
            }
            // Read again at the next refresh; what was known stays shown meanwhile.
            Err(why) => tracing::warn!(%why, "the demo journal could not be read again"),
        }
    }

    /// Applies one mutation at the clock's now; the message says what happened or why not.
    pub fn apply(&self, mutation: &Mutation) -> Result<String, String> {
        match mutation {
            Mutation::Drain { target } => self.set_registration(target, Registration::Deregistered),
            Mutation::Register { target } => {
                self.set_registration(target, Registration::Registered)
            }
            Mutation::SetRule { rule, from, to, .. } => self.set_rule(rule, from, to),
            Mutation::Block { set, address, .. } => self.set_blocked(set, address, true),
            Mutation::Unblock { set, address } => self.set_blocked(set, address, false),
        }
    }

    /// Adds or removes one address of S4's IP set, as `UpdateIPSet` would.
    fn set_blocked(&self, set: &IpSetRef, address: &str, add: bool) -> Result<String, String> {
        if set.arn != super::waf::ip_set_arn() {
            return Err(format!("No IP set {} in the demo world", set.name));
        }
        in_its_account(
            &format!("IP set {}", set.name),
            set.account.as_ref(),
            Some(&super::waf::BLOCKED_HOME.account()),
        )?;
        let mut changes = self.changes();
        let now = self.now_ms();
        let blocked = changes.blocked_at(now);
        let present = blocked.iter().any(|a| a == address);
        match (add, present) {
            (true, true) => Err(format!(
                "{address} is already in IP set {}: nothing was changed",
                set.name
            )),
            (true, false) => {
                record(&mut changes.blocks, now, (address.to_string(), true));
                Ok(format!(
                    "{address} is blocked: in IP set {} ({} addresses) for {}",
                    set.name,
                    blocked.len() + 1,
                    set.web_acl
                ))
            }
            (false, false) => Ok(format!(
                "{address} was no longer in IP set {}: nothing to do",
                set.name
            )),
            (false, true) => {
                record(&mut changes.blocks, now, (address.to_string(), false));
                Ok(format!(
                    "{address} removed from IP set {} ({} addresses)",
                    set.name,
                    blocked.len() - 1
                ))
            }
        }
    }

    fn set_registration(&self, target: &TargetRef, to: Registration) -> Result<String, String> {
        let (lb, tg) = self
            .estate
            .target_group(&target.target_group_arn)
            .ok_or_else(|| {
                format!(
                    "No target group {} ({}) in the demo world",
                    target.target_group, target.target_group_arn
                )
            })?;
        in_its_account(
            &format!("Target group {}", tg.name),
            target.account.as_ref(),
            lb.account.as_ref(),
        )?;
        let registered = tg
            .targets
            .iter()
            .find(|t| t.id == target.id && t.port == target.port)
            .ok_or_else(|| format!("{} is not a target of {}", target.label(), tg.name))?;
        let key = TargetKey {
            target_group_arn: tg.arn.clone(),
            id: registered.id.clone(),
            port: registered.port,
        };
        let label = target.label();
        let delay = tg.deregistration_delay();
        // Check and record under one lock, so two operators cannot both drain the same target.
        let mut changes = self.changes();
        let now = self.now_ms();
        let health = self.health_at(&changes, &key, registered.name.as_deref(), delay, now);
        let deregistered = matches!(
            health.state,
            TargetState::Draining | TargetState::UnhealthyDraining
        ) || health.reason == Some("Target.NotRegistered");
        match to {
            Registration::Deregistered if deregistered => Err(match health.drain_remaining_secs {
                Some(left) => format!(
                    "{label} is already draining from {} ({left} s left)",
                    tg.name
                ),
                None => format!("{label} is not registered in {}", tg.name),
            }),
            Registration::Deregistered => {
                record(changes.registrations.entry(key).or_default(), now, to);
                Ok(format!(
                    "Draining {label} from {}: unused in {delay} s",
                    tg.name
                ))
            }
            Registration::Registered if self.estate.stopped.contains(&registered.id) => {
                Err(format!(
                    "{label} is stopped: ELB does not register a stopped instance (start it first)"
                ))
            }
            Registration::Registered if !deregistered => Err(format!(
                "{label} is already registered in {} ({})",
                tg.name,
                health.state.as_aws()
            )),
            Registration::Registered => {
                record(changes.registrations.entry(key).or_default(), now, to);
                Ok(format!(
                    "Registered {label} in {} again: health checks starting",
                    tg.name
                ))
            }
        }
    }

    fn set_rule(&self, rule: &RuleRef, from: &RuleKind, to: &RuleKind) -> Result<String, String> {
        let spec = self
            .estate
            .acls
            .iter()
            .find(|a| a.acl.id == rule.acl_id)
            .ok_or_else(|| {
                format!(
                    "No web ACL {} ({}) in the demo world",
                    rule.acl_name, rule.acl_id
                )
            })?;
        in_its_account(
            &format!("Web ACL {}", spec.acl.name),
            rule.account.as_ref(),
            spec.acl.account.as_ref(),
        )?;
        let (configured, _) = spec
            .rule(&rule.rule)
            .ok_or_else(|| format!("Web ACL {} has no rule named {}", spec.acl.name, rule.rule))?;
        let mut changes = self.changes();
        let now = self.now_ms();
        let current = self
            .rule_kind_at(&changes, &spec.acl.id, configured, now)
            .clone();
        if current != *from {
            return Err(format!(
                "{} in {} is {} now, not {}: someone changed it meanwhile. Refresh and try again.",
                rule.rule,
                spec.acl.name,
                current.describe(),
                from.describe()
            ));
        }
        let same_shape = match (&current, to) {
            (RuleKind::Plain { .. }, RuleKind::Plain { .. }) => true,
            (RuleKind::Group { group: a, .. }, RuleKind::Group { group: b, .. }) => a == b,
            _ => false,
        };
        if !same_shape {
            return Err(format!(
                "{} can only change its {}, not what it is",
                rule.rule,
                if matches!(current, RuleKind::Plain { .. }) {
                    "action"
                } else {
                    "override action"
                }
            ));
        }
        if current == *to {
            return Ok(format!(
                "{} in {} is already {}",
                rule.rule,
                spec.acl.name,
                to.describe()
            ));
        }
        let history = changes
            .rules
            .entry((spec.acl.id.clone(), rule.rule.clone()))
            .or_default();
        record(history, now, to.clone());
        Ok(format!(
            "WAF rule {} in {} is now {}",
            rule.rule,
            spec.acl.name,
            to.describe()
        ))
    }
}
