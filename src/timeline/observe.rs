//! What changed between two reads of a panel. Each function compares the read before with the
//! new one and returns the changes an incident note asks about, dated by the interval between the
//! two reads. Things are matched by their AWS ids (ARNs, instance ids, zone ids), so a rename is
//! not a removal and a new object is "new", not a change.

use super::{Entry, Origin, Subject};
use crate::model::{DnsView, InstancesView, PanelId, TargetGroup, TargetsView, WafView};
use crate::view::{dns::set_key, instances::instance_key, targets, waf::rule_key};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

/// The two reads compared: the change happened after `since` and by `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reads {
    pub since: DateTime<Utc>,
    pub at: DateTime<Utc>,
}

impl Reads {
    #[allow(clippy::too_many_arguments)]
    fn entry(
        self,
        (panel, row): (PanelId, Option<String>),
        region: &str,
        subject: Subject,
        what: impl Into<String>,
        before: Option<String>,
        after: Option<String>,
    ) -> Entry {
        Entry {
            panel,
            row,
            time: self.at,
            since: Some(self.since),
            account: None,
            region: region.to_string(),
            subject,
            what: what.into(),
            before,
            after,
            who: None,
            source: Origin::Observed,
        }
    }
}

/// Gives each entry the account of the row it concerns, found by its subject's id among the
/// rows just read (rows carry an account only when the console watches several), and makes its
/// row key the account's, as the panel keys it. An id found in two accounts (an ip target's
/// address, reused) says nothing: the entry is left without an account rather than given the
/// wrong one.
fn stamp<'a>(
    out: &mut [Entry],
    homes: impl Iterator<Item = (&'a str, Option<&'a crate::model::AccountRef>)>,
) {
    if out.is_empty() {
        return;
    }
    let mut found: HashMap<&str, Option<&crate::model::AccountRef>> = HashMap::new();
    for (id, account) in homes {
        let Some(account) = account else { continue };
        found
            .entry(id)
            .and_modify(|seen| {
                if seen.is_some_and(|s| s.id != account.id) {
                    *seen = None;
                }
            })
            .or_insert(Some(account));
    }
    for e in out.iter_mut() {
        if let Some(Some(a)) = found.get(e.subject.id.as_str()) {
            e.account = Some(a.id.clone());
            e.row = e
                .row
                .take()
                .map(|row| crate::view::in_account(Some(a), row));
        }
    }
}

fn subject(name: &str, id: &str) -> Subject {
    Subject {
        name: name.to_string(),
        id: id.to_string(),
    }
}

/// Target state transitions (a target registered or deregistered included), a group's healthy
/// count reaching or leaving zero, a zone of a group doing the same, and a listener's forward
/// changing (a blue/green switch).
pub fn targets(before: &TargetsView, after: &TargetsView, reads: Reads) -> Vec<Entry> {
    let mut out = Vec::new();
    let old_lbs: HashMap<&str, _> = before
        .load_balancers
        .iter()
        .map(|lb| (lb.arn.as_str(), lb))
        .collect();
    for lb in &after.load_balancers {
        let Some(old) = old_lbs.get(lb.arn.as_str()) else {
            continue;
        };
        for listener in &lb.listeners {
            let was = old
                .listeners
                .iter()
                .find(|l| l.port == listener.port && l.protocol == listener.protocol);
            if let Some(was) = was
                && (was.forwards != listener.forwards || was.rules != listener.rules)
            {
                out.push(reads.entry(
                    (PanelId::Targets, None),
                    &lb.region,
                    subject(
                        &format!("{} {}:{}", lb.name, listener.protocol, listener.port),
                        &lb.arn,
                    ),
                    "listener forward",
                    Some(was.describe()),
                    Some(listener.describe()),
                ));
            }
        }
        let old_groups: HashMap<&str, &TargetGroup> = old
            .target_groups
            .iter()
            .map(|g| (g.arn.as_str(), g))
            .collect();
        for group in &lb.target_groups {
            if let Some(was) = old_groups.get(group.arn.as_str()) {
                group_changes(&lb.region, was, group, reads, &mut out);
            }
        }
    }
    stamp(
        &mut out,
        after.load_balancers.iter().flat_map(|lb| {
            let home = lb.account.as_ref();
            std::iter::once((lb.arn.as_str(), home)).chain(lb.target_groups.iter().flat_map(
                move |g| {
                    std::iter::once((g.arn.as_str(), home))
                        .chain(g.targets.iter().map(move |t| (t.id.as_str(), home)))
                },
            ))
        }),
    );
    out
}

fn group_changes(
    region: &str,
    was: &TargetGroup,
    group: &TargetGroup,
    reads: Reads,
    out: &mut Vec<Entry>,
) {
    let key = |t: &crate::model::Target| (t.id.clone(), t.port);
    let old: HashMap<_, _> = was.targets.iter().map(|t| (key(t), t)).collect();
    let what = format!("target state in {}", group.name);
    let target_row = |t: &crate::model::Target| {
        (
            PanelId::Targets,
            Some(targets::target_key(&group.arn, &t.id, t.port)),
        )
    };
    let group_row = || (PanelId::Targets, Some(targets::group_key(&group.arn)));
    let state = |t: &crate::model::Target| match &t.reason {
        Some(reason) => format!("{} ({reason})", t.state.as_aws()),
        None => t.state.as_aws().to_string(),
    };
    for t in &group.targets {
        let name = t.name.as_deref().unwrap_or(&t.id);
        match old.get(&key(t)) {
            Some(o) if o.state == t.state => {}
            Some(o) => out.push(reads.entry(
                target_row(t),
                region,
                subject(name, &t.id),
                what.clone(),
                Some(state(o)),
                Some(state(t)),
            )),
            None => out.push(reads.entry(
                target_row(t),
                region,
                subject(name, &t.id),
                what.clone(),
                Some("not registered".into()),
                Some(state(t)),
            )),
        }
    }
    let now: std::collections::HashSet<_> = group.targets.iter().map(key).collect();
    for t in was.targets.iter().filter(|t| !now.contains(&key(t))) {
        out.push(reads.entry(
            (PanelId::Targets, Some(targets::group_key(&group.arn))),
            region,
            subject(t.name.as_deref().unwrap_or(&t.id), &t.id),
            what.clone(),
            Some(state(t)),
            Some("not registered".into()),
        ));
    }
    let crossed = |b: usize, a: usize| (b == 0) != (a == 0);
    let (hb, ha) = (was.health(), group.health());
    if crossed(hb.healthy, ha.healthy) {
        out.push(reads.entry(
            group_row(),
            region,
            subject(&group.name, &group.arn),
            "healthy targets",
            Some(format!("{} of {}", hb.healthy, hb.total)),
            Some(format!("{} of {}", ha.healthy, ha.total)),
        ));
    }
    let zb = was.health_by_az();
    let za = group.health_by_az();
    let zones: BTreeMap<&String, ()> = zb.keys().chain(za.keys()).map(|z| (z, ())).collect();
    for zone in zones.keys() {
        let b = zb.get(*zone).copied().unwrap_or_default();
        let a = za.get(*zone).copied().unwrap_or_default();
        // A zone's last healthy target leaving (or the first coming back) is news even where
        // the group as a whole still serves.
        if crossed(b.healthy, a.healthy) && (b.total > 0 && a.total > 0) {
            out.push(reads.entry(
                group_row(),
                region,
                subject(&group.name, &group.arn),
                format!("healthy targets in {zone}"),
                Some(format!("{} of {}", b.healthy, b.total)),
                Some(format!("{} of {}", a.healthy, a.total)),
            ));
        }
    }
}

/// A rule's action (or a group reference's override) changing, and a rule's blocked count per
/// minute jumping above 3× its median (the same judgement as the problem list): recorded when
/// the spike starts, with the figure, not again while it lasts.
pub fn waf(before: &WafView, after: &WafView, reads: Reads) -> Vec<Entry> {
    let mut out = Vec::new();
    let old: HashMap<&str, _> = before.acls.iter().map(|a| (a.id.as_str(), a)).collect();
    for acl in &after.acls {
        let Some(was) = old.get(acl.id.as_str()) else {
            continue;
        };
        let rules: HashMap<&str, _> = was.rules.iter().map(|r| (r.name.as_str(), r)).collect();
        for rule in &acl.rules {
            let Some(o) = rules.get(rule.name.as_str()) else {
                continue;
            };
            let name = format!("{} in {}", rule.name, acl.name);
            if o.kind.describe() != rule.kind.describe() {
                out.push(reads.entry(
                    (PanelId::Waf, Some(rule_key(&acl.id, &rule.name))),
                    &acl.region,
                    subject(&name, &acl.id),
                    "rule action",
                    Some(o.kind.describe()),
                    Some(rule.kind.describe()),
                ));
            }
            let spike = crate::problems::blocked_spike(&rule.series);
            if let Some((last, median)) = spike
                && crate::problems::blocked_spike(&o.series).is_none()
            {
                out.push(reads.entry(
                    (PanelId::Waf, Some(rule_key(&acl.id, &rule.name))),
                    &acl.region,
                    subject(&name, &acl.id),
                    "blocked per minute",
                    Some(format!("median {median}")),
                    Some(format!("{last} (over 3× the median)")),
                ));
            }
        }
    }
    stamp(
        &mut out,
        after
            .acls
            .iter()
            .map(|a| (a.id.as_str(), a.account.as_ref())),
    );
    out
}

/// Instance state, status checks and scheduled events.
pub fn instances(before: &InstancesView, after: &InstancesView, reads: Reads) -> Vec<Entry> {
    let mut out = Vec::new();
    let old: HashMap<&str, _> = before
        .instances
        .iter()
        .map(|i| (i.id.as_str(), i))
        .collect();
    for i in &after.instances {
        let Some(o) = old.get(i.id.as_str()) else {
            continue;
        };
        let who = subject(i.name.as_deref().unwrap_or(&i.id), &i.id);
        let mut change = |what: &str, b: String, a: String| {
            if b != a {
                let row = (PanelId::Instances, Some(instance_key(&i.id)));
                out.push(reads.entry(row, &i.region, who.clone(), what, Some(b), Some(a)));
            }
        };
        change("instance state", o.state.clone(), i.state.clone());
        change(
            "system status check",
            o.system_status.as_str().into(),
            i.system_status.as_str().into(),
        );
        change(
            "instance status check",
            o.instance_status.as_str().into(),
            i.instance_status.as_str().into(),
        );
        let events = |x: &crate::model::Instance| {
            let mut codes: Vec<&str> = x.events.iter().map(|e| e.code.as_str()).collect();
            codes.sort_unstable();
            if codes.is_empty() {
                "none".to_string()
            } else {
                codes.join(", ")
            }
        };
        change("scheduled events", events(o), events(i));
    }
    stamp(
        &mut out,
        (after.instances.iter()).map(|i| (i.id.as_str(), i.account.as_ref())),
    );
    out
}

/// "www.example.jp. A origin-primary": a record by its set and set identifier.
fn record_label(set: &crate::model::RecordSet, r: &crate::model::Record) -> String {
    match &r.set_identifier {
        Some(id) => format!("{} {} {id}", set.name, set.rtype),
        None => format!("{} {}", set.name, set.rtype),
    }
}

/// Route53 health flips and record changes (an answer or a record set appearing or going).
/// Route53 is global: entries carry the region "global".
pub fn dns(before: &DnsView, after: &DnsView, reads: Reads) -> Vec<Entry> {
    let mut out = Vec::new();
    let key = |set: &crate::model::RecordSet, r: &crate::model::Record| {
        (
            set.name.clone(),
            set.rtype.clone(),
            r.set_identifier.clone().unwrap_or_default(),
        )
    };
    for zone in &after.zones {
        let Some(was) = before.zones.iter().find(|z| z.id == zone.id) else {
            continue;
        };
        let old: HashMap<_, _> = was
            .record_sets
            .iter()
            .flat_map(|s| s.records.iter().map(move |r| (key(s, r), r)))
            .collect();
        let mut seen = std::collections::HashSet::new();
        for set in &zone.record_sets {
            for r in &set.records {
                let k = key(set, r);
                let who = subject(&record_label(set, r), &zone.id);
                match old.get(&k) {
                    Some(o) => {
                        if o.health != r.health {
                            out.push(reads.entry(
                                (PanelId::Dns, Some(set_key(zone, set))),
                                "global",
                                who.clone(),
                                "health check",
                                Some(o.health.as_str().into()),
                                Some(r.health.as_str().into()),
                            ));
                        }
                        if o.answer != r.answer {
                            out.push(reads.entry(
                                (PanelId::Dns, Some(set_key(zone, set))),
                                "global",
                                who,
                                "record answer",
                                Some(o.answer.describe()),
                                Some(r.answer.describe()),
                            ));
                        }
                    }
                    None => out.push(reads.entry(
                        (PanelId::Dns, Some(set_key(zone, set))),
                        "global",
                        who,
                        "record answer",
                        None,
                        Some(r.answer.describe()),
                    )),
                }
                seen.insert(k);
            }
        }
        for set in &was.record_sets {
            for r in set.records.iter().filter(|r| !seen.contains(&key(set, r))) {
                out.push(reads.entry(
                    (PanelId::Dns, None),
                    "global",
                    subject(&record_label(set, r), &zone.id),
                    "record answer",
                    Some(r.answer.describe()),
                    None,
                ));
            }
        }
    }
    stamp(
        &mut out,
        after
            .zones
            .iter()
            .map(|z| (z.id.as_str(), z.account.as_ref())),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Health, RuleAction, RuleCounts, RuleKind, TargetState};
    use crate::source::demo::{Clock, DemoWorld};
    use chrono::Duration;

    /// A whole six-minute drill cycle of the demo starts here: ha-web-right is healthy at +100 s
    /// and failing its health checks at +200 s.
    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-03-26T20:30:00Z")
            .expect("time")
            .with_timezone(&Utc)
    }

    fn world(after_secs: i64) -> std::sync::Arc<DemoWorld> {
        DemoWorld::new(7, Clock::Fixed(t0() + Duration::seconds(after_secs)))
    }

    fn reads(a: i64, b: i64) -> Reads {
        Reads {
            since: t0() + Duration::seconds(a),
            at: t0() + Duration::seconds(b),
        }
    }

    #[test]
    fn a_target_failing_its_checks_is_seen_between_two_reads() {
        let before = world(100).targets_view();
        let after = world(200).targets_view();
        let seen = targets(&before, &after, reads(100, 200));
        let e = seen
            .iter()
            .find(|e| e.subject.name == "ha-web-right" && e.what.starts_with("target state"))
            .unwrap_or_else(|| panic!("no state change in {seen:#?}"));
        assert_eq!(e.before.as_deref(), Some("healthy"));
        assert!(
            e.after
                .as_deref()
                .is_some_and(|a| a.starts_with("unhealthy (Target.")),
            "{e:?}"
        );
        assert_eq!(e.since, Some(t0() + Duration::seconds(100)));
        assert_eq!(e.time, t0() + Duration::seconds(200));
        assert_eq!(e.source, Origin::Observed);
        assert!(e.subject.id.starts_with("i-"), "{e:?}");
        assert!(
            !seen.iter().any(|e| e.subject.name == "ha-web-left"),
            "{seen:#?}"
        );
        // The same read twice: nothing changed.
        assert_eq!(targets(&after, &after, reads(200, 200)), vec![]);
    }

    #[test]
    fn deregistration_a_group_losing_its_last_healthy_target_and_a_switch_are_seen() {
        let before = world(100).targets_view();
        let mut after = before.clone();
        let lb = after
            .load_balancers
            .iter_mut()
            .find(|lb| lb.target_groups.iter().any(|g| g.name == "mt-cms-tg"))
            .expect("the CMS load balancer");
        let group = lb
            .target_groups
            .iter_mut()
            .find(|g| g.name == "mt-cms-tg")
            .expect("mt-cms-tg");
        let gone = group.targets.remove(0);
        let listener = lb
            .listeners
            .iter_mut()
            .find(|l| !l.forwards.is_empty())
            .expect("a forwarding listener");
        listener.forwards[0].target_group = "mt-cms-tg-green".into();
        let seen = targets(&before, &after, reads(0, 60));
        let name = gone.name.clone().unwrap_or(gone.id.clone());
        assert!(
            seen.iter()
                .any(|e| e.subject.name == name && e.after.as_deref() == Some("not registered")),
            "{seen:#?}"
        );
        assert!(
            seen.iter().any(|e| e.what == "healthy targets"
                && e.subject.name == "mt-cms-tg"
                && e.after.as_deref() == Some("0 of 0")),
            "{seen:#?}"
        );
        let switch = seen
            .iter()
            .find(|e| e.what == "listener forward")
            .unwrap_or_else(|| panic!("no switch in {seen:#?}"));
        assert!(
            switch
                .after
                .as_deref()
                .is_some_and(|a| a.contains("mt-cms-tg-green"))
        );
    }

    #[test]
    fn a_rule_set_to_count_and_a_spike_are_seen_once() {
        let before = world(100).waf_view();
        let mut after = before.clone();
        let acl = after
            .acls
            .iter_mut()
            .find(|a| a.rules.iter().any(|r| r.name == "block-xmlrpc"))
            .expect("the xmlrpc ACL");
        let rule = acl
            .rules
            .iter_mut()
            .find(|r| r.name == "block-xmlrpc")
            .expect("block-xmlrpc");
        rule.kind = RuleKind::Plain {
            action: RuleAction::Count,
        };
        let quiet = RuleCounts {
            blocked: 10,
            ..RuleCounts::default()
        };
        let mut series = vec![quiet; 14];
        series.push(RuleCounts {
            blocked: 900,
            ..RuleCounts::default()
        });
        rule.series = series.clone();
        let mut calm = before.clone();
        for a in &mut calm.acls {
            for r in &mut a.rules {
                r.series = vec![quiet; 15];
            }
        }
        let seen = waf(&calm, &after, reads(0, 60));
        let action = seen
            .iter()
            .find(|e| e.what == "rule action")
            .unwrap_or_else(|| panic!("no action change in {seen:#?}"));
        assert_eq!(action.before.as_deref(), Some("Block"));
        assert_eq!(action.after.as_deref(), Some("Count"));
        assert!(action.subject.name.starts_with("block-xmlrpc in "));
        let spike = seen
            .iter()
            .find(|e| e.what == "blocked per minute")
            .unwrap_or_else(|| panic!("no spike in {seen:#?}"));
        assert!(spike.after.as_deref().is_some_and(|a| a.starts_with("900")));
        assert_eq!(spike.before.as_deref(), Some("median 10"));
        // While it lasts, it is not news again.
        let again = waf(&after, &after, reads(60, 120));
        assert!(again.is_empty(), "{again:#?}");
    }

    #[test]
    fn an_instance_stopping_and_a_health_check_flipping_are_seen() {
        let before = world(100).instances_view();
        let mut after = before.clone();
        after.instances[0].state = "stopped".into();
        let seen = instances(&before, &after, reads(0, 60));
        assert_eq!(seen.len(), 1, "{seen:#?}");
        assert_eq!(seen[0].what, "instance state");
        assert_eq!(seen[0].before.as_deref(), Some("running"));
        assert_eq!(seen[0].after.as_deref(), Some("stopped"));

        let before = world(100).dns_view();
        let mut after = before.clone();
        let record = after
            .zones
            .iter_mut()
            .flat_map(|z| &mut z.record_sets)
            .flat_map(|s| &mut s.records)
            .find(|r| r.health == Health::Healthy)
            .expect("a healthy record");
        record.health = Health::Unhealthy;
        let seen = dns(&before, &after, reads(0, 60));
        assert_eq!(seen.len(), 1, "{seen:#?}");
        assert_eq!(seen[0].what, "health check");
        assert_eq!(seen[0].after.as_deref(), Some("unhealthy"));
        assert_eq!(seen[0].region, "global");
    }

    #[test]
    fn a_draining_target_is_a_state_change() {
        let before = world(100).targets_view();
        let mut after = before.clone();
        let t = &mut after.load_balancers[0].target_groups[0].targets[0];
        t.state = TargetState::Draining;
        t.reason = Some("Target.DeregistrationInProgress".into());
        let seen = targets(&before, &after, reads(0, 60));
        assert!(
            seen.iter()
                .any(|e| e.after.as_deref() == Some("draining (Target.DeregistrationInProgress)")),
            "{seen:#?}"
        );
    }

    #[test]
    fn a_change_seen_in_one_of_several_accounts_carries_that_account() {
        let stage = crate::model::AccountRef {
            id: "333333333333".into(),
            name: "stage".into(),
        };
        let mut before = world(100).targets_view();
        for lb in &mut before.load_balancers {
            lb.account = Some(stage.clone());
        }
        let mut after = before.clone();
        after.load_balancers[0].target_groups[0].targets[0].state = TargetState::Draining;
        let seen = targets(&before, &after, reads(0, 60));
        assert!(!seen.is_empty());
        assert!(
            seen.iter()
                .all(|e| e.account.as_deref() == Some("333333333333")),
            "{seen:#?}"
        );
        // Its row key is the account's, as the panel keys the row (Enter in T selects it).
        assert!(
            seen.iter()
                .filter_map(|e| e.row.as_deref())
                .all(|r| r.starts_with("@333333333333/")),
            "{seen:#?}"
        );
        // The same id in two accounts: neither is claimed.
        let mut both = before.clone();
        let mut other = both.load_balancers[0].clone();
        other.account = Some(crate::model::AccountRef {
            id: "444444444444".into(),
            name: "prod".into(),
        });
        both.load_balancers.push(other);
        let mut changed = both.clone();
        changed.load_balancers[0].target_groups[0].targets[0].state = TargetState::Draining;
        let seen = targets(&both, &changed, reads(0, 60));
        assert!(seen.iter().any(|e| e.what.starts_with("target state")));
        assert!(
            seen.iter()
                .filter(|e| e.what.starts_with("target state"))
                .all(|e| e.account.is_none()),
            "{seen:#?}"
        );
        // One account (rows carry none): the console's own, filled in where it is known. (The
        // demo's rows carry its two accounts: taken off, as one account's rows are read.)
        let mut plain = world(100).targets_view();
        for lb in &mut plain.load_balancers {
            lb.account = None;
        }
        let was = plain.clone();
        plain.load_balancers[0].target_groups[0].targets[0].state = TargetState::Draining;
        assert!(
            targets(&was, &plain, reads(0, 60))
                .iter()
                .all(|e| e.account.is_none())
        );
    }
}
