//! What each panel's words and marks mean, for the help overlay: the legend an operator needs to
//! read a row without knowing how the console was built.

use crate::model::PanelId;

/// (what is shown, what it means), in the order the eye meets them.
pub fn legend(panel: PanelId) -> &'static [(&'static str, &'static str)] {
    match panel {
        PanelId::Targets => &[
            (
                "LB row",
                "State: its scheme (internet-facing or internal); then its region",
            ),
            (
                "HTTP:80 → tg",
                "a listener and the target groups it forwards to (weights in %)",
            ),
            (
                "[live]",
                "a listener or rule forwards traffic to this group",
            ),
            (
                "[standby]",
                "no listener or rule sends it traffic (or only at weight 0)",
            ),
            ("2 of 3 healthy", "healthy targets of all registered"),
            (
                "1a 1/2",
                "per zone: healthy of registered; — when zones are not known",
            ),
            (
                "unchecked",
                "health checks off (a Lambda target): never marked unhealthy",
            ),
            (
                "delay 300s",
                "deregistration delay: how long a drain keeps connections",
            ),
            (
                "not read",
                "a region that could not be read; its last data is kept",
            ),
        ],
        PanelId::Waf => &[
            (
                "Group (None)",
                "a rule group; its rules take their own actions",
            ),
            (
                "Group (Count)",
                "a rule group overridden to count: it blocks nothing",
            ),
            (
                "↳ override",
                "one rule of a group set to another action (read-only here)",
            ),
            (
                "Count",
                "matching requests are counted and go on to the next rules",
            ),
            (
                "Count ⟲ 08:07",
                "counting for a while: this console restores it then (UTC)",
            ),
            (
                "⊘ 08:07",
                "a sample or log line of an address blocked until then (UTC)",
            ),
            (
                "default action",
                "requests no rule ended; last, as WAF evaluates them",
            ),
            (
                "Blocked 39 2%",
                "on an ACL row: blocked, and their share of its requests",
            ),
            (
                "metrics off",
                "the rule publishes no CloudWatch metrics: counts unknown",
            ),
            (
                "Firewall Manager",
                "a group its policy puts first or last: changed there",
            ),
            (
                "sparkline",
                "requests per minute, oldest left; long window: busiest minute a bar",
            ),
        ],
        PanelId::Dns => &[
            ("public zone", "a hosted zone, public or private"),
            ("A geolocation", "a record set: its type and routing policy"),
            (
                "JP proxy-jp",
                "the location answered, then the record's set identifier",
            ),
            (
                "PRIMARY",
                "failover: answered while healthy; SECONDARY when it is not",
            ),
            (
                "not checked",
                "no health check: Route53 answers it whatever its state",
            ),
            (
                "⚠ no default",
                "locations no record names get no answer at all",
            ),
        ],
        PanelId::Instances => &[
            (
                "Sys/Inst check",
                "EC2 system status check / instance status check",
            ),
            (
                "ok/impaired",
                "impaired: AWS found a fault; insufficient-data: not yet known",
            ),
            ("not-applicable", "a stopped instance is not checked"),
            (
                "Events",
                "scheduled maintenance (reboot, retirement) and its start date",
            ),
            ("Target groups", "groups the instance is registered in"),
            (
                "stopped",
                "shown as a problem while a target group still has it",
            ),
        ],
        PanelId::Logs => &[
            (
                "— connection lost … —",
                "lines written while disconnected were not fetched",
            ),
            (
                "⋯ waiting",
                "what a tail waits for: connection, SSH greeting, login, tail",
            ),
            ("colours", "by HTTP status class or log level of the line"),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_panel_has_a_legend() {
        for panel in PanelId::ALL {
            assert!(!legend(panel).is_empty(), "{panel:?}");
        }
    }
}
