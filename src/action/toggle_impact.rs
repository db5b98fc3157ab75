//! What a WAF toggle does to traffic, said before it runs. A rule set to Count stops ending the
//! requests it matches: they go on to the rules after it, in priority order, and then to the
//! ACL's default action. So an Allow rule set to Count does not "let requests through": the next
//! Block rule may lock them out.

use crate::model::{OverrideAction, RuleAction, RuleKind, WafView, WebAcl};

/// At most this many later rules are named; the rest are counted.
const NAMED: usize = 4;

/// Lines for the confirmation of a toggle of `rule` in ACL `acl_id` from `from` to `to`.
pub fn toggle_impact(
    view: Option<&WafView>,
    acl_id: &str,
    rule: &str,
    from: &RuleKind,
    to: &RuleKind,
) -> Vec<String> {
    let acl = view.and_then(|v| v.acls.iter().find(|a| a.id == acl_id));
    // The rules after this one that end a request (Count rules only count), and the default.
    let next = acl.map(|acl| {
        let after: Vec<String> = acl
            .rules
            .iter()
            .skip_while(|r| r.name != rule)
            .skip(1)
            .filter(|r| !r.kind.is_counting())
            .map(|r| format!("{} ({})", r.name, r.kind.describe()))
            .collect();
        let mut said: Vec<String> = after.iter().take(NAMED).cloned().collect();
        if after.len() > NAMED {
            said.push(format!("{} more", after.len() - NAMED));
        }
        said.push(format!(
            "the default action ({})",
            acl.default_action.as_str()
        ));
        said.join(", then ")
    });
    let next = next.unwrap_or_else(|| "the rules after it and the default action".to_string());
    match (from, to) {
        (
            RuleKind::Plain { action: before },
            RuleKind::Plain {
                action: RuleAction::Count,
            },
        ) => {
            let was = match before {
                RuleAction::Allow => "allowed",
                RuleAction::Block => "blocked",
                RuleAction::Captcha => "challenged with a CAPTCHA",
                RuleAction::Challenge => "challenged",
                RuleAction::Monetize => "asked to pay",
                RuleAction::Count => "counted",
            };
            vec![
                format!(
                    "While counting, the requests it {was} are no longer ended by it: they go on to {next}."
                ),
                if *before == RuleAction::Allow {
                    "Requests this rule let in may now be blocked by a later rule.".to_string()
                } else {
                    format!("They are no longer {was} by this rule.")
                },
            ]
        }
        (
            RuleKind::Group { rule_overrides, .. },
            RuleKind::Group {
                override_action: OverrideAction::Count,
                ..
            },
        ) => {
            let mut lines = vec![format!(
                "Every rule of the group only counts: requests it would end go on to {next}."
            )];
            if !rule_overrides.is_empty() {
                let names: Vec<&str> = rule_overrides.iter().map(|o| o.rule.as_str()).collect();
                lines.push(format!(
                    "Its rule overrides ({}) count as well while the group counts.",
                    names.join(", ")
                ));
            }
            lines.push(still_labelled(acl, rule));
            lines
        }
        (_, to) => vec![format!(
            "Matching requests are {} by this rule again, before {next}.",
            match to {
                RuleKind::Plain { action } => match action {
                    RuleAction::Allow => "allowed",
                    RuleAction::Block => "blocked",
                    RuleAction::Captcha => "challenged with a CAPTCHA",
                    RuleAction::Challenge => "challenged",
                    RuleAction::Monetize => "asked to pay",
                    RuleAction::Count => "counted",
                },
                RuleKind::Group { .. } => "acted on as the group says",
            }
        )],
    }
}

/// A counting group's rules still add their labels, and the ACL's rules that match those
/// labels still act on them: this line names them (by the group's label namespace).
fn still_labelled(acl: Option<&WebAcl>, rule: &str) -> String {
    let group = acl.and_then(|a| a.rules.iter().find(|r| r.name == rule));
    let Some(namespace) = group.and_then(|g| g.matching.label_namespace.as_deref()) else {
        return "The group's rules still add their labels: any rule of the ACL that matches them still acts.".to_string();
    };
    let acting: Vec<String> = acl
        .iter()
        .flat_map(|a| &a.rules)
        .filter(|r| r.name != rule)
        .filter(|r| {
            r.matching
                .labels
                .iter()
                .any(|l| l.matches_namespace(namespace))
        })
        .map(|r| format!("{} ({})", r.name, r.kind.describe()))
        .collect();
    if acting.is_empty() {
        format!(
            "The group's labels are still added ({namespace}…); no rule of this ACL matches them."
        )
    } else {
        format!(
            "The group's labels are still added ({namespace}…): {} {} them and still act.",
            acting.join(", "),
            if acting.len() == 1 {
                "matches"
            } else {
                "match"
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{WafRule, WafScope, WebAcl};

    fn rule(name: &str, action: RuleAction) -> WafRule {
        WafRule {
            ip_sets: Default::default(),
            matching: Default::default(),
            name: name.into(),
            priority: 0,
            kind: RuleKind::Plain { action },
            series: vec![],
            metrics_off: false,
            managed_by: None,
        }
    }

    fn view() -> WafView {
        WafView {
            own_ranges: Default::default(),
            ip_sets: Default::default(),
            acls: vec![WebAcl {
                account: None,
                name: "mt-web-acl".into(),
                id: "acl-1".into(),
                scope: WafScope::Regional,
                region: "ap-northeast-1".into(),
                default_action: RuleAction::Allow,
                protects: vec![],
                rules: vec![
                    rule("mt-cms-allow-office", RuleAction::Allow),
                    rule("count-everything", RuleAction::Count),
                    rule("mt-cms-block-non-office", RuleAction::Block),
                ],
                series: vec![],
                default_series: Vec::new(),
            }],
            window_minutes: 15,
            unreadable: vec![],
        }
    }

    #[test]
    fn an_allow_rule_set_to_count_names_the_block_rule_after_it() {
        let lines = toggle_impact(
            Some(&view()),
            "acl-1",
            "mt-cms-allow-office",
            &RuleKind::Plain {
                action: RuleAction::Allow,
            },
            &RuleKind::Plain {
                action: RuleAction::Count,
            },
        );
        let text = lines.join(" ");
        assert!(
            text.contains("mt-cms-block-non-office (Block), then the default action (Allow)"),
            "{text}"
        );
        assert!(
            !text.contains("count-everything"),
            "a Count rule ends nothing: {text}"
        );
        assert!(text.contains("may now be blocked"), "{text}");
        assert!(!text.contains("let through"), "{text}");
    }

    /// Counting a group stops its rules' actions, not its labels: the ACL's rules that match
    /// the group's labels still act, and the dialog names them.
    #[test]
    fn a_groups_count_names_the_rules_that_match_its_labels() {
        use crate::model::waf::{LabelMatch, Matching};
        let mut v = view();
        let group = RuleKind::Group {
            group: "AWS/AWSManagedRulesCommonRuleSet".into(),
            override_action: OverrideAction::None,
            rule_overrides: vec![],
        };
        let labels = |key: &str, namespace| Matching {
            labels: vec![LabelMatch {
                namespace,
                key: key.into(),
            }],
            ..Matching::default()
        };
        let acl = &mut v.acls[0];
        acl.rules.insert(
            0,
            WafRule {
                kind: group.clone(),
                matching: Matching {
                    label_namespace: Some("awswaf:managed:aws:core-rule-set:".into()),
                    ..Matching::default()
                },
                ..rule("AWS-AWSManagedRulesCommonRuleSet", RuleAction::Count)
            },
        );
        acl.rules.push(WafRule {
            matching: labels("awswaf:managed:aws:core-rule-set:NoUserAgent_Header", false),
            ..rule("block-no-user-agent", RuleAction::Block)
        });
        acl.rules.push(WafRule {
            matching: labels("awswaf:managed:aws:known-bad-inputs:", true),
            ..rule("block-bad-inputs", RuleAction::Block)
        });
        // Written without the namespace: only labels of the ACL's own rules.
        acl.rules.push(WafRule {
            matching: labels("NoUserAgent_Header", false),
            ..rule("block-own-label", RuleAction::Block)
        });
        let mut counting = group.clone();
        if let RuleKind::Group {
            override_action, ..
        } = &mut counting
        {
            *override_action = OverrideAction::Count;
        }
        let lines = toggle_impact(
            Some(&v),
            "acl-1",
            "AWS-AWSManagedRulesCommonRuleSet",
            &group,
            &counting,
        );
        let text = lines
            .iter()
            .find(|l| l.contains("labels are still added"))
            .cloned()
            .unwrap_or_else(|| lines.join(" "));
        assert!(text.contains("labels are still added"), "{text}");
        assert!(text.contains("block-no-user-agent (Block)"), "{text}");
        assert!(!text.contains("block-bad-inputs"), "{text}");
        assert!(!text.contains("block-own-label"), "{text}");
    }

    #[test]
    fn a_block_rule_set_to_count_no_longer_blocks() {
        let lines = toggle_impact(
            Some(&view()),
            "acl-1",
            "mt-cms-block-non-office",
            &RuleKind::Plain {
                action: RuleAction::Block,
            },
            &RuleKind::Plain {
                action: RuleAction::Count,
            },
        );
        let text = lines.join(" ");
        assert!(text.contains("no longer blocked by this rule"), "{text}");
        assert!(
            text.contains("go on to the default action (Allow)"),
            "{text}"
        );
    }
}
