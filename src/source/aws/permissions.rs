//! Every AWS operation the console calls, with the IAM action it needs: `--iam-policy` prints
//! the least policy for watching (or watching and acting) from this one list, and a test runs a
//! whole session, a drain and a toggle against the emulator and checks that every operation the
//! SDK sent is here.

use serde::Serialize;

/// What an operation is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Reading: every panel, snapshots, the wall.
    Watch,
    /// Changing: drains, registrations, WAF toggles (never in a read-only session).
    Act,
}

/// (IAM service prefix, operation, what for).
pub const OPERATIONS: &[(&str, &str, Need)] = &[
    ("elasticloadbalancing", "DescribeLoadBalancers", Need::Watch),
    (
        "elasticloadbalancing",
        "DescribeLoadBalancerAttributes",
        Need::Watch,
    ),
    ("elasticloadbalancing", "DescribeTargetGroups", Need::Watch),
    (
        "elasticloadbalancing",
        "DescribeTargetGroupAttributes",
        Need::Watch,
    ),
    ("elasticloadbalancing", "DescribeListeners", Need::Watch),
    ("elasticloadbalancing", "DescribeRules", Need::Watch),
    ("elasticloadbalancing", "DescribeTargetHealth", Need::Watch),
    ("elasticloadbalancing", "DeregisterTargets", Need::Act),
    ("elasticloadbalancing", "RegisterTargets", Need::Act),
    ("wafv2", "ListWebACLs", Need::Watch),
    ("wafv2", "GetWebACL", Need::Watch),
    ("wafv2", "ListResourcesForWebACL", Need::Watch),
    ("wafv2", "GetSampledRequests", Need::Watch),
    // Where a blocklist is configured: the account's rule groups its ACLs reference (does a
    // Block rule inside one block the set's addresses?).
    ("wafv2", "ListRuleGroups", Need::Watch),
    ("wafv2", "GetRuleGroup", Need::Watch),
    ("wafv2", "UpdateWebACL", Need::Act),
    // Blocking: the blocklists' IP sets.
    ("wafv2", "ListIPSets", Need::Watch),
    ("wafv2", "GetIPSet", Need::Watch),
    ("wafv2", "UpdateIPSet", Need::Act),
    ("cloudwatch", "GetMetricData", Need::Watch),
    ("route53", "ListHostedZones", Need::Watch),
    ("route53", "ListResourceRecordSets", Need::Watch),
    ("route53", "GetHealthCheckStatus", Need::Watch),
    ("ec2", "DescribeInstances", Need::Watch),
    ("ec2", "DescribeInstanceStatus", Need::Watch),
    // Our own addresses, which `b` never blocks (where a blocklist is configured).
    ("ec2", "DescribeVpcs", Need::Watch),
    ("ec2", "DescribeNatGateways", Need::Watch),
    // `[[log]] log_group` entries, and `l` on an ECS task.
    ("logs", "FilterLogEvents", Need::Watch),
    ("logs", "DescribeLogGroups", Need::Watch),
    ("logs", "StartLiveTail", Need::Watch),
    ("ecs", "ListClusters", Need::Watch),
    ("ecs", "ListTasks", Need::Watch),
    ("ecs", "DescribeTasks", Need::Watch),
    ("ecs", "DescribeTaskDefinition", Need::Watch),
    ("ecs", "ListContainerInstances", Need::Watch),
    ("ecs", "DescribeContainerInstances", Need::Watch),
    // `l` on an ip target: the VPC of its task's subnet (two VPCs may use the same range).
    ("ec2", "DescribeSubnets", Need::Watch),
    // `[state] shared`: every console reads the team's store; only one that may act writes.
    ("s3", "GetObject", Need::Watch),
    ("s3", "ListBucket", Need::Watch),
    ("s3", "PutObject", Need::Act),
    // Needs no permission (AWS allows it even where a policy denies it); listed so the
    // console's every call is accounted for.
    ("sts", "GetCallerIdentity", Need::Watch),
    // The timeline's "who": the write calls that explain the changes consoles saw.
    ("cloudtrail", "LookupEvents", Need::Watch),
    // `[[account]]` / `[organization]`: asked with the base credentials, never in a watched
    // account (`--iam-policy` prints them in the base identity's policy).
    ("sts", "AssumeRole", Need::Watch),
    ("organizations", "ListAccounts", Need::Watch),
];

/// The IAM prefix of an SDK service name (`elasticloadbalancingv2` → `elasticloadbalancing`).
pub fn iam_prefix(sdk_service: &str) -> &str {
    match sdk_service.to_ascii_lowercase().as_str() {
        "elasticloadbalancingv2" | "elastic load balancing v2" => "elasticloadbalancing",
        "cloudwatch" => "cloudwatch",
        "ec2" => "ec2",
        "route53" | "route 53" => "route53",
        "sts" => "sts",
        "wafv2" => "wafv2",
        "cloudwatchlogs" | "cloudwatch logs" => "logs",
        "ecs" => "ecs",
        "s3" => "s3",
        "cloudtrail" => "cloudtrail",
        "organizations" => "organizations",
        _ => sdk_service,
    }
}

/// Whether `operation` of SDK service `service` is in the list, and for what.
pub fn need_of(service: &str, operation: &str) -> Option<Need> {
    let prefix = iam_prefix(service);
    // The IAM action is not always the operation's name.
    let operation = match (prefix, operation) {
        ("s3", "ListObjectsV2") => "ListBucket",
        (_, o) => o,
    };
    OPERATIONS
        .iter()
        .find(|(p, o, _)| *p == prefix && *o == operation)
        .map(|(_, _, n)| *n)
}

/// An IAM policy document, its fields in the order AWS writes them (a struct, so the order is
/// the same whatever serde_json's features are).
#[derive(Debug, Serialize)]
pub struct Policy {
    #[serde(rename = "Version")]
    version: &'static str,
    #[serde(rename = "Statement")]
    statement: Vec<Statement>,
}

#[derive(Debug, Serialize)]
struct Statement {
    #[serde(rename = "Sid")]
    sid: &'static str,
    #[serde(rename = "Effect")]
    effect: &'static str,
    #[serde(rename = "Action")]
    action: Vec<String>,
    #[serde(rename = "Resource")]
    resource: &'static str,
}

/// The least IAM policy for watching, or for watching and acting (`act`).
pub fn policy(act: bool) -> Policy {
    Policy {
        version: "2012-10-17",
        statement: vec![Statement {
            sid: if act {
                "OpsconsoleWatchAndAct"
            } else {
                "OpsconsoleWatch"
            },
            effect: "Allow",
            action: OPERATIONS
                .iter()
                .filter(|(p, _, need)| {
                    !matches!(*p, "sts" | "organizations") && (act || *need == Need::Watch)
                })
                .map(|(p, o, _)| format!("{p}:{o}"))
                .collect(),
            resource: "*",
        }],
    }
}

/// The policy as `--iam-policy` prints it.
pub fn policy_json(act: bool) -> String {
    serde_json::to_string_pretty(&policy(act)).unwrap_or_default()
}

/// With `[[account]]` / `[organization]`, three documents: the policy each watched account's
/// role (or profile) needs, the base identity's (assuming those roles, listing the
/// organization), and the trust relationship each role needs so the base identity may assume
/// it (with the external id where one is configured).
pub fn accounts_policy_json(
    act: bool,
    accounts: &[crate::config::AccountConfig],
    organization: Option<&crate::config::OrganizationConfig>,
) -> String {
    let mut roles: Vec<String> = accounts.iter().filter_map(|a| a.role_arn.clone()).collect();
    if let Some(org) = organization {
        roles.push(format!("arn:aws:iam::*:role/{}", org.role_name));
    }
    let mut base = vec![serde_json::json!({
        "Sid": "OpsconsoleAssumeWatchedRoles",
        "Effect": "Allow",
        "Action": ["sts:AssumeRole"],
        "Resource": roles,
    })];
    if organization.is_some() {
        base.push(serde_json::json!({
            "Sid": "OpsconsoleListOrganizationAccounts",
            "Effect": "Allow",
            "Action": ["organizations:ListAccounts"],
            "Resource": "*",
        }));
    }
    let mut external_ids: Vec<&str> = accounts
        .iter()
        .filter_map(|a| a.external_id.as_deref())
        .chain(organization.and_then(|o| o.external_id.as_deref()))
        .collect();
    external_ids.sort_unstable();
    external_ids.dedup();
    let mut trust = serde_json::json!({
        "Sid": "OpsconsoleMayAssume",
        "Effect": "Allow",
        // The account (or the role) the console's base credentials belong to.
        "Principal": { "AWS": "arn:aws:iam::BASE_ACCOUNT_ID:root" },
        "Action": "sts:AssumeRole",
    });
    if !external_ids.is_empty() {
        trust["Condition"] =
            serde_json::json!({ "StringEquals": { "sts:ExternalId": external_ids } });
    }
    let doc = serde_json::json!({
        "WatchedAccountPolicy": policy(act),
        "BaseIdentityPolicy": { "Version": "2012-10-17", "Statement": base },
        "WatchedRoleTrustPolicy": { "Version": "2012-10-17", "Statement": [trust] },
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watch_policy_has_no_mutating_action() {
        let watch = policy_json(false);
        for op in [
            "DeregisterTargets",
            "RegisterTargets",
            "UpdateWebACL",
            "UpdateIPSet",
        ] {
            assert!(!watch.contains(op), "{op} in the watch policy");
            assert!(policy_json(true).contains(op), "{op} missing");
        }
        assert!(watch.contains("route53:GetHealthCheckStatus"));
        assert!(watch.contains("elasticloadbalancing:DescribeRules"));
        // What `b` reads to refuse our own addresses and to find the rule that blocks.
        for op in [
            "ec2:DescribeVpcs",
            "ec2:DescribeNatGateways",
            "wafv2:GetIPSet",
            "wafv2:GetRuleGroup",
        ] {
            assert!(watch.contains(op), "{op} missing");
        }
        assert!(
            !watch.contains("s3:PutObject"),
            "a wall never writes the shared store"
        );
        assert!(policy_json(true).contains("s3:PutObject"));
    }

    #[test]
    fn each_operation_is_listed_once_and_found_by_its_sdk_name() {
        let mut seen = std::collections::HashSet::new();
        for (p, o, _) in OPERATIONS {
            assert!(seen.insert((p, o)), "{p}:{o} listed twice");
        }
        assert_eq!(need_of("S3", "ListObjectsV2"), Some(Need::Watch));
        assert_eq!(
            need_of("CloudWatchLogs", "StartLiveTail"),
            Some(Need::Watch)
        );
        assert_eq!(need_of("s3", "DeleteObject"), None);
    }

    #[test]
    fn accounts_print_the_base_identitys_policy_and_the_roles_trust() {
        let accounts = vec![crate::config::AccountConfig {
            name: "prod".into(),
            profile: None,
            role_arn: Some("arn:aws:iam::222222222222:role/OpsConsole".into()),
            external_id: Some("ops-2026".into()),
            regions: vec![],
        }];
        let org = crate::config::OrganizationConfig {
            role_name: "OrganizationAccountAccessRole".into(),
            external_id: None,
            include: vec![],
            exclude: vec![],
            regions: vec![],
        };
        let doc: serde_json::Value =
            serde_json::from_str(&accounts_policy_json(false, &accounts, Some(&org)))
                .unwrap_or_default();
        let base = &doc["BaseIdentityPolicy"]["Statement"];
        assert_eq!(
            base[0]["Resource"],
            serde_json::json!([
                "arn:aws:iam::222222222222:role/OpsConsole",
                "arn:aws:iam::*:role/OrganizationAccountAccessRole"
            ])
        );
        assert_eq!(base[0]["Action"][0], "sts:AssumeRole");
        assert_eq!(base[1]["Action"][0], "organizations:ListAccounts");
        let trust = &doc["WatchedRoleTrustPolicy"]["Statement"][0];
        assert_eq!(trust["Action"], "sts:AssumeRole");
        assert_eq!(
            trust["Condition"]["StringEquals"]["sts:ExternalId"][0],
            "ops-2026"
        );
        // The watched accounts' policy is the one a single account needs, no more.
        let watched = serde_json::to_value(policy(false)).unwrap_or_default();
        assert_eq!(doc["WatchedAccountPolicy"], watched);
        let actions = watched["Statement"][0]["Action"].to_string();
        assert!(!actions.contains("AssumeRole") && !actions.contains("organizations"));
    }
}
