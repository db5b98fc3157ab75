//! Which listener rules a console's refresh reads, and how.
//!
//! Listing a listener's rules costs a `DescribeRules` call per listener, every refresh: on an
//! estate of 50 HTTP listeners, 50 of a refresh's 112 paced ELBv2 calls, for rules that change
//! a few times a month. What a rule says (its conditions, where it forwards, the weights a
//! canary shifts) can change at any time, and is read every refresh: the rules a listing found
//! are described again by ARN, 20 to a call. Which rules a listener has is listed again:
//! - when the listener is new to the console;
//! - when the groups attached to its load balancer change (a rule that starts or stops
//!   forwarding to a group changes them);
//! - when a rule described by ARN is gone (`RuleNotFound`);
//! - and otherwise every `LISTED_EVERY_SECS`, a few listeners a refresh, the oldest first.
//!
//! The Targets panel says when a listener's rules were listed (`Listener::rules_listed_at`).

use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// How old a listing may grow before the listener's rules are listed again.
pub const LISTED_EVERY_SECS: i64 = 300;
/// Listings a refresh makes because they are old (new listeners and changed attachments are
/// listed at once, however many): 50 listeners are listed again over ~6 refreshes, not in one.
pub const OLD_LISTINGS_PER_REFRESH: usize = 8;
/// Rule ARNs described in one `DescribeRules` call. The API reference gives no limit for
/// `RuleArns`; 20 is the limit ELBv2 documents for the ARNs of `DescribeLoadBalancers` and
/// `DescribeTags`, and keeps a call's query string short.
pub const RULE_ARNS_PER_CALL: usize = 20;

/// What one listing found.
struct Listing {
    at: DateTime<Utc>,
    /// The listener's rules other than its default (the listener's default action says that
    /// one), by ARN.
    rules: Vec<String>,
    /// `attached` when listed.
    attached: u64,
}

/// One refresh's rule reads.
#[derive(Debug, Default, PartialEq)]
pub struct Plan {
    /// Listeners whose rules are listed (`DescribeRules` by listener).
    pub list: Vec<String>,
    /// Rule ARNs described by ARN, `RULE_ARNS_PER_CALL` to a call.
    pub by_arn: Vec<Vec<String>>,
    /// Listeners whose rules are the ones `by_arn` describes, with when they were listed; a
    /// listener listed with no rule but its default is here with none to describe.
    pub described: Vec<(String, DateTime<Utc>)>,
    /// The listener each rule in `by_arn` belongs to.
    pub listener_of: HashMap<String, String>,
    /// When the plan was made: what this refresh lists is listed as of then.
    pub made_at: DateTime<Utc>,
}

#[derive(Default)]
pub struct RuleListings {
    by_listener: Mutex<HashMap<String, Listing>>,
}

impl RuleListings {
    /// The reads of a refresh for `listeners`: each listener's ARN with `attached`, a digest of
    /// the groups attached to its load balancer now.
    pub fn plan(&self, listeners: &[(String, u64)], now: DateTime<Utc>) -> Plan {
        let known = self.by_listener.lock().unwrap_or_else(|e| e.into_inner());
        let mut plan = Plan {
            made_at: now,
            ..Plan::default()
        };
        let mut old: Vec<(&String, DateTime<Utc>)> = Vec::new();
        for (arn, attached) in listeners {
            match known.get(arn) {
                Some(l) if l.attached == *attached => {
                    if (now - l.at).num_seconds() >= LISTED_EVERY_SECS {
                        old.push((arn, l.at));
                    }
                }
                _ => plan.list.push(arn.clone()),
            }
        }
        old.sort_by_key(|(_, at)| *at);
        plan.list.extend(
            old.iter()
                .take(OLD_LISTINGS_PER_REFRESH)
                .map(|(arn, _)| (*arn).clone()),
        );
        let listed: HashSet<&String> = plan.list.iter().collect();
        let mut arns = Vec::new();
        for (arn, _) in listeners {
            if listed.contains(arn) {
                continue;
            }
            let Some(l) = known.get(arn) else { continue };
            plan.described.push((arn.clone(), l.at));
            for rule in &l.rules {
                plan.listener_of.insert(rule.clone(), arn.clone());
                arns.push(rule.clone());
            }
        }
        plan.by_arn = arns
            .chunks(RULE_ARNS_PER_CALL)
            .map(<[String]>::to_vec)
            .collect();
        plan
    }

    /// `listener` was just listed: these are its rules other than the default.
    pub fn listed(&self, listener: &str, rules: Vec<String>, attached: u64, at: DateTime<Utc>) {
        self.by_listener
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                listener.to_string(),
                Listing {
                    at,
                    rules,
                    attached,
                },
            );
    }

    /// Forgets the listings of `region`'s listeners that are not in `seen` (deleted ones).
    pub fn keep_only(&self, region: &str, seen: &HashSet<&str>) {
        self.by_listener
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|arn, _| arn.split(':').nth(3) != Some(region) || seen.contains(arn.as_str()));
    }
}

/// A digest of the groups attached to a load balancer (`arns` in any order).
pub fn attached_digest<'a>(arns: impl Iterator<Item = &'a str>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut sorted: Vec<&str> = arns.collect();
    sorted.sort_unstable();
    let mut h = std::hash::DefaultHasher::new();
    sorted.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap_or_default()
    }

    fn listener(n: usize) -> String {
        format!("arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/lb/1/{n}")
    }

    fn rule(l: usize, n: usize) -> String {
        format!(
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/lb/1/{l}/{n}"
        )
    }

    #[test]
    fn a_new_listener_is_listed_and_then_its_rules_are_described_by_arn() {
        let listings = RuleListings::default();
        let ls = vec![(listener(1), 7), (listener(2), 7)];
        let plan = listings.plan(&ls, at(0));
        assert_eq!(plan.list, vec![listener(1), listener(2)]);
        assert!(plan.by_arn.is_empty());
        listings.listed(&listener(1), vec![rule(1, 1), rule(1, 2)], 7, at(0));
        listings.listed(&listener(2), vec![], 7, at(0));

        let plan = listings.plan(&ls, at(40));
        assert!(plan.list.is_empty(), "{plan:?}");
        assert_eq!(plan.by_arn, vec![vec![rule(1, 1), rule(1, 2)]]);
        assert_eq!(plan.listener_of.get(&rule(1, 2)), Some(&listener(1)));
        // A listener with its default rule only: nothing to describe, its rules are known.
        assert_eq!(
            plan.described,
            vec![(listener(1), at(0)), (listener(2), at(0))]
        );
    }

    #[test]
    fn a_change_in_the_attached_groups_lists_the_listener_again() {
        let listings = RuleListings::default();
        listings.listed(&listener(1), vec![rule(1, 1)], 7, at(0));
        listings.listed(&listener(2), vec![rule(2, 1)], 9, at(0));
        let plan = listings.plan(&[(listener(1), 8), (listener(2), 9)], at(10));
        assert_eq!(plan.list, vec![listener(1)]);
        assert_eq!(plan.by_arn, vec![vec![rule(2, 1)]]);
    }

    #[test]
    fn old_listings_are_renewed_a_few_a_refresh_oldest_first() {
        let listings = RuleListings::default();
        let n = OLD_LISTINGS_PER_REFRESH + 3;
        let ls: Vec<(String, u64)> = (0..n).map(|i| (listener(i), 1)).collect();
        for i in 0..n {
            // Listener 0 was listed last, the others in order before it.
            let when = if i == 0 { at(100) } else { at(i as i64) };
            listings.listed(&listener(i), vec![rule(i, 1)], 1, when);
        }
        let plan = listings.plan(&ls, at(LISTED_EVERY_SECS - 1));
        assert!(plan.list.is_empty(), "none is old yet: {plan:?}");
        let plan = listings.plan(&ls, at(LISTED_EVERY_SECS + 100));
        assert_eq!(plan.list.len(), OLD_LISTINGS_PER_REFRESH);
        assert!(
            !plan.list.contains(&listener(0)),
            "the newest waits: {plan:?}"
        );
        assert!(plan.list.contains(&listener(1)));
        // The rest are described by ARN meanwhile.
        let described: usize = plan.by_arn.iter().map(Vec::len).sum();
        assert_eq!(described, n - OLD_LISTINGS_PER_REFRESH);
    }

    #[test]
    fn rules_are_described_twenty_to_a_call() {
        let listings = RuleListings::default();
        let rules: Vec<String> = (0..45).map(|n| rule(1, n)).collect();
        listings.listed(&listener(1), rules, 1, at(0));
        let plan = listings.plan(&[(listener(1), 1)], at(1));
        let sizes: Vec<usize> = plan.by_arn.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![20, 20, 5]);
    }

    #[test]
    fn deleted_listeners_are_forgotten_in_their_region_only() {
        let listings = RuleListings::default();
        listings.listed(&listener(1), vec![], 1, at(0));
        listings.listed(&listener(2), vec![], 1, at(0));
        let other = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/lb/2/3";
        listings.listed(other, vec![], 1, at(0));
        let one = listener(1);
        listings.keep_only("us-east-1", &HashSet::from([one.as_str()]));
        let plan = listings.plan(
            &[(listener(1), 1), (listener(2), 1), (other.to_string(), 1)],
            at(1),
        );
        assert_eq!(plan.list, vec![listener(2)]);
    }

    #[test]
    fn the_attached_digest_ignores_order() {
        assert_eq!(
            attached_digest(["a", "b"].into_iter()),
            attached_digest(["b", "a"].into_iter())
        );
        assert_ne!(
            attached_digest(["a", "b"].into_iter()),
            attached_digest(["a"].into_iter())
        );
    }
}
