//! The WAF table: web ACL → rules in priority order with counts and a sparkline, and the table of
//! sampled requests for the selected rule.

use super::table::{Cell, Column, Row, Table};
use super::{Role, clean, in_account};
use crate::model::{RuleCounts, RuleKind, RuleSamples, WafRule, WafView, WebAcl};

pub fn columns(window_minutes: u32) -> Vec<Column> {
    let spark_title: &'static str = match window_minutes {
        15 => "Last 15m",
        60 => "Last 60m",
        _ => "Window",
    };
    // What a rule does and its counts (with the blocked share) are the answers: never cut;
    // narrow panels cut the names and leave the sparkline out first.
    vec![
        Column::new("Web ACL / rule", 26),
        Column::state("Action", 13),
        Column::state("Allowed", 7),
        Column::state("Blocked", 7),
        Column::state("Counted", 7),
        Column::new(spark_title, 15),
    ]
}

pub fn table(view: &WafView) -> Table {
    let mut rows = super::unreadable_rows(&view.unreadable, columns(view.window_minutes).len());
    rows.extend(super::under_accounts(
        &view.acls,
        |acl| acl.account.as_ref(),
        acl_rows,
        account_summary,
    ));
    Table {
        columns: columns(view.window_minutes),
        rows,
    }
}

/// An account's row: how many web ACLs it has, and their requests together.
fn account_summary(acls: &[&WebAcl]) -> Vec<Cell> {
    let mut total = RuleCounts::default();
    for acl in acls {
        total.add(&acl.totals());
    }
    vec![
        Cell::styled(
            format!(
                "{} web ACL{}",
                acls.len(),
                if acls.len() == 1 { "" } else { "s" }
            ),
            Role::Muted,
        ),
        Cell::new(total.allowed.to_string()),
        Cell::new(total.blocked.to_string()),
        Cell::new(total.counted.to_string()),
        Cell::new(""),
    ]
}

fn acl_rows(acl: &WebAcl, rows: &mut Vec<Row>) {
    let account = acl.account.as_ref();
    let total = acl.totals();
    // Counted requests also end allowed or blocked: the share is of allowed + blocked.
    let ended = total.allowed + total.blocked;
    // The blocked share beside the blocked count: "1291 9%".
    let share = if acl.series.is_empty() || ended == 0 {
        String::new()
    } else {
        format!(" {}%", total.blocked * 100 / ended)
    };
    let protects = if acl.protects.is_empty() {
        String::new()
    } else {
        format!(
            " → {}",
            acl.protects
                .iter()
                .map(|p| clean(p))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    rows.push(
        Row::new(
            in_account(account, acl_key(&acl.id)),
            0,
            Role::Title,
            vec![
                Cell::new(format!("{}{protects}", clean(&acl.name))),
                Cell::styled(
                    format!("default {}", acl.default_action.as_str()),
                    Role::Muted,
                ),
                Cell::new(total.allowed.to_string()),
                Cell::new(format!("{}{share}", total.blocked)),
                Cell::new(total.counted.to_string()),
                Cell::styled(clean(&acl.region), Role::Muted),
            ],
        )
        .detail(&acl.id),
    );
    for rule in &acl.rules {
        rule_rows(acl, rule, rows);
    }
    // What no rule ended: the default action's own counts, last as WAF evaluates it.
    if !acl.default_series.is_empty() {
        let mut t = RuleCounts::default();
        acl.default_series.iter().for_each(|c| t.add(c));
        let hits: Vec<u64> = acl
            .default_series
            .iter()
            .map(|p| p.allowed + p.blocked + p.counted)
            .collect();
        rows.push(Row::new(
            in_account(account, format!("{}:default", acl_key(&acl.id))),
            1,
            Role::Muted,
            vec![
                Cell::new("default action"),
                Cell::styled(acl.default_action.as_str(), Role::Muted),
                Cell::new(t.allowed.to_string()),
                Cell::new(t.blocked.to_string()),
                Cell::new(t.counted.to_string()),
                Cell::styled(sparkline(&hits), Role::Spark),
            ],
        ));
    }
}

/// A rule-group reference by what tells it apart, before any cutting: the vendor's boilerplate
/// goes ("AWS-AWSManagedRulesSQLiRuleSet" → "SQLi (AWS)"). A rule named otherwise keeps its
/// name, with the group it references ("block-php (PHP · AWS)"). The whole name stays in the
/// detail line.
pub fn group_label(rule: &str, group: &str) -> String {
    let (vendor, name) = group.split_once('/').unwrap_or(("", group));
    let short = name
        .strip_prefix("AWSManagedRules")
        .map(|n| n.strip_suffix("RuleSet").unwrap_or(n))
        .filter(|n| !n.is_empty())
        .unwrap_or(name);
    let by = if vendor.is_empty() {
        short.to_string()
    } else {
        format!("{short} ({vendor})")
    };
    if rule.contains(name) {
        by
    } else if vendor.is_empty() {
        format!("{rule} ({short})")
    } else {
        format!("{rule} ({short} · {vendor})")
    }
}

fn rule_rows(acl: &WebAcl, rule: &WafRule, rows: &mut Vec<Row>) {
    let t = rule.totals();
    let action_role = if rule.kind.is_counting() {
        Role::Warning
    } else {
        Role::Normal
    };
    let name = match &rule.kind {
        RuleKind::Group { group, .. } => {
            format!(
                "{} {}",
                rule.priority,
                clean(&group_label(&rule.name, group))
            )
        }
        RuleKind::Plain { .. } => format!("{} {}", rule.priority, clean(&rule.name)),
    };
    let hits: Vec<u64> = rule
        .series
        .iter()
        .map(|p| p.allowed + p.blocked + p.counted)
        .collect();
    let action = match &rule.managed_by {
        Some(by) => format!("{} · {}", rule.kind.describe(), clean(by)),
        None => rule.kind.describe(),
    };
    // A rule that publishes no metrics has unknown counts, not zero ones.
    let counts = if rule.metrics_off {
        vec![
            Cell::styled("metrics off", Role::Muted),
            Cell::new(""),
            Cell::new(""),
            Cell::new(""),
        ]
    } else {
        vec![
            Cell::new(t.allowed.to_string()),
            Cell::styled(
                t.blocked.to_string(),
                if t.blocked > 0 {
                    Role::Warning
                } else {
                    Role::Normal
                },
            ),
            Cell::new(t.counted.to_string()),
            Cell::styled(sparkline(&hits), Role::Spark),
        ]
    };
    let mut cells = vec![Cell::new(name), Cell::styled(action, action_role)];
    cells.extend(counts);
    let key = in_account(acl.account.as_ref(), rule_key(&acl.id, &rule.name));
    rows.push(Row::new(key.clone(), 1, Role::Normal, cells).detail(&rule.name));
    if let RuleKind::Group { rule_overrides, .. } = &rule.kind {
        for o in rule_overrides {
            rows.push(Row::new(
                format!("{key}:override:{}", clean(&o.rule)),
                2,
                Role::Muted,
                vec![
                    Cell::new(format!("↳ {}", clean(&o.rule))),
                    Cell::new(format!("override {}", o.action.as_str())),
                    Cell::new(""),
                    Cell::new(""),
                    Cell::new(""),
                    Cell::new("read-only"),
                ],
            ));
        }
    }
}

pub fn acl_key(acl_id: &str) -> String {
    format!("acl:{acl_id}")
}

pub fn rule_key(acl_id: &str, rule: &str) -> String {
    format!("rule:{acl_id}:{rule}")
}

/// (ACL id, rule name) of a `rule_key`, without allocating: looked up on every frame. WAF ids
/// and rule names hold no `:`. A key made in an account ([`in_account`]) is read without it.
pub fn rule_key_parts(key: &str) -> Option<(&str, &str)> {
    super::split_account(key)
        .1
        .strip_prefix("rule:")?
        .split_once(':')
}

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// One block character per point, scaled to the series' maximum.
pub fn sparkline(points: &[u64]) -> String {
    let max = points.iter().copied().max().unwrap_or(0);
    points
        .iter()
        .map(|&p| {
            if max == 0 || p == 0 {
                BARS[0]
            } else {
                let idx = (p * 7).div_ceil(max) as usize;
                BARS[idx.min(7)]
            }
        })
        .collect()
}

/// `points` in `buckets` buckets of consecutive points (oldest first, every point in exactly
/// one bucket, the last bucket ending at the newest point), each the **maximum** of its points:
/// the busiest minute of the bucket, so a short burst (the `/xmlrpc.php` flood, the spike the
/// problems flag) still shows at full height however long the window, and a bar still reads
/// as requests per minute, as the legend says. A sum would read as requests per bucket and
/// flatten a one-minute burst among quiet minutes.
pub fn buckets_max(points: &[u64], buckets: usize) -> Vec<u64> {
    if buckets == 0 || points.len() <= buckets {
        return points.to_vec();
    }
    (0..buckets)
        .map(|b| {
            let from = b * points.len() / buckets;
            let to = (b + 1) * points.len() / buckets;
            points[from..to].iter().copied().max().unwrap_or(0)
        })
        .collect()
}

/// A [`sparkline`] made to fit `width` cells: one bar per bucket of minutes, each bucket's
/// busiest minute ([`buckets_max`]). Done on the drawn bars: a bar's height only grows with its
/// count and the scale (the busiest minute of all) is the same bucketed or not, so the highest
/// bar of a bucket is the bar of its busiest minute, exactly what bucketing the counts draws.
pub fn fit_sparkline(spark: &str, width: usize) -> String {
    let levels: Vec<u64> = spark
        .chars()
        .map(|c| BARS.iter().position(|b| *b == c).unwrap_or(0) as u64)
        .collect();
    if levels.len() <= width {
        return spark.to_string();
    }
    buckets_max(&levels, width)
        .into_iter()
        .map(|l| BARS[(l as usize).min(7)])
        .collect()
}

/// A rule in timed Count shows when it is restored: `Count ⟲ 08:07` (UTC, as the header).
/// `due`: each such rule's row key and its restore time.
pub fn mark_restores(
    table: &mut Table,
    due: &std::collections::HashMap<String, chrono::DateTime<chrono::Utc>>,
) {
    for row in &mut table.rows {
        let Some(at) = due.get(&row.key) else {
            continue;
        };
        if let Some(action) = row.cells.get_mut(1) {
            *action = Cell::styled(format!("Count ⟲ {}", at.format("%H:%M")), Role::Warning);
        }
    }
}

/// The mark of a blocked address's rows: `⊘ 08:07` (blocked until then, UTC), `⊘` (until
/// removed).
pub fn blocked_mark(until: Option<chrono::DateTime<chrono::Utc>>) -> String {
    match until {
        Some(at) => format!("⊘ {}", at.format("%H:%M")),
        None => "⊘".to_string(),
    }
}

pub fn samples_columns() -> Vec<Column> {
    vec![
        Column::new("Time", 8),
        Column::new("Client IP", 15),
        Column::new("Ctry", 4),
        Column::new("Method", 6),
        Column::flex("URI", 24),
        Column::new("Action", 9),
    ]
}

/// Sampled requests, newest first. Every field is attacker-controlled and is cleaned.
pub fn samples_table(samples: &RuleSamples) -> Table {
    samples_table_marked(samples, |_| None)
}

/// Sampled requests, newest first, those of a blocked address marked before their URI
/// (`blocked`: the mark of a client address, when it is blocked).
pub fn samples_table_marked(
    samples: &RuleSamples,
    blocked: impl Fn(&str) -> Option<String>,
) -> Table {
    let mut requests: Vec<_> = samples.requests.iter().collect();
    requests.sort_by_key(|r| std::cmp::Reverse(r.time));
    let rows = requests
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let role = match s.action.as_str() {
                "BLOCK" | "Block" => Role::Warning,
                _ => Role::Normal,
            };
            let uri = match blocked(&s.client_ip) {
                Some(mark) => Cell::styled(format!("{mark} {}", clean(&s.uri)), Role::Warning),
                None => Cell::new(clean(&s.uri)),
            };
            Row::new(
                format!("sample:{i}"),
                0,
                Role::Normal,
                vec![
                    Cell::new(s.time.format("%H:%M:%S").to_string()),
                    Cell::new(clean(&s.client_ip)),
                    Cell::new(clean(&s.country)),
                    Cell::new(clean(&s.method)),
                    uri,
                    Cell::styled(clean(&s.action), role),
                ],
            )
        })
        .collect();
    Table {
        columns: samples_columns(),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::group_label;

    #[test]
    fn managed_groups_read_by_what_differs() {
        let aws = |r: &str, g: &str| group_label(r, &format!("AWS/{g}"));
        assert_eq!(
            aws(
                "AWS-AWSManagedRulesSQLiRuleSet",
                "AWSManagedRulesSQLiRuleSet"
            ),
            "SQLi (AWS)"
        );
        assert_eq!(
            aws(
                "AWS-AWSManagedRulesCommonRuleSet",
                "AWSManagedRulesCommonRuleSet"
            ),
            "Common (AWS)"
        );
        assert_eq!(
            aws(
                "AWS-AWSManagedRulesBotControlRuleSet",
                "AWSManagedRulesBotControlRuleSet"
            ),
            "BotControl (AWS)"
        );
        assert_eq!(
            aws("block-php", "AWSManagedRulesPHPRuleSet"),
            "block-php (PHP · AWS)"
        );
        assert_eq!(
            group_label("own-rules", "team-group"),
            "own-rules (team-group)"
        );
        assert_eq!(group_label("team-group", "team-group"), "team-group");
    }
    use super::*;

    /// A 3-hour window (180 minutes) drawn in 30 cells: six minutes a bar, each its busiest
    /// minute, so a lone burst stays at full height and the newest minutes are the last bar.
    #[test]
    fn a_long_window_is_bucketed_to_the_width_by_its_busiest_minutes() {
        let mut points: Vec<u64> = (0..180).map(|m| 10 + m % 7).collect();
        points[100] = 500;
        points[179] = 250;
        let bucketed = buckets_max(&points, 30);
        assert_eq!(bucketed.len(), 30);
        assert_eq!(
            bucketed[16], 500,
            "minute 100 is in bar 16 (minutes 96-101)"
        );
        assert_eq!(bucketed[29], 250, "the newest minute is in the last bar");
        let drawn = fit_sparkline(&sparkline(&points), 30);
        assert_eq!(drawn.chars().count(), 30);
        // The same as bucketing the counts, then drawing them.
        assert_eq!(drawn, sparkline(&bucketed));
        // What fits is left alone; every width gets exactly its cells.
        assert_eq!(fit_sparkline("▁▂▅█", 15), "▁▂▅█");
        for width in 1..=180 {
            assert_eq!(
                fit_sparkline(&sparkline(&points), width).chars().count(),
                width
            );
            assert_eq!(
                fit_sparkline(&sparkline(&points), width),
                sparkline(&buckets_max(&points, width)),
                "{width}"
            );
        }
    }

    #[test]
    fn sparkline_scales_to_maximum() {
        assert_eq!(sparkline(&[0, 1, 7, 14]), "▁▂▅█");
        assert_eq!(sparkline(&[0, 0]), "▁▁");
        assert_eq!(sparkline(&[]), "");
    }
}
