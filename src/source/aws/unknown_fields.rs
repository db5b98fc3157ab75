//! `UpdateWebACL` replaces the whole ACL with what it is sent, and the typed SDK drops every field
//! of a `GetWebACL` answer it does not know. If AWS adds a field to web ACLs, a toggle written
//! from the typed answer would silently wipe it. This interceptor reads the raw answer and notes,
//! per ACL, the fields the SDK would drop; the executor refuses to write such an ACL and says why.
//!
//! Checked: the answer's top level, the ACL's fields and each rule's fields (statements inside a
//! rule are carried as the SDK parsed them: a field new there is not detected).

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::AfterDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Fields of the `GetWebACL` answer the SDK in use knows (aws-sdk-wafv2 1.139).
const ANSWER: &[&str] = &["WebACL", "LockToken", "ApplicationIntegrationURL"];
/// Fields of a `WebACL` the SDK knows: what `update_request` sends back, and what WAF manages
/// itself (ARN, capacity, label namespace, Firewall Manager's groups and flags).
const WEB_ACL: &[&str] = &[
    "Name",
    "Id",
    "ARN",
    "DefaultAction",
    "Description",
    "Rules",
    "VisibilityConfig",
    "DataProtectionConfig",
    "Capacity",
    "PreProcessFirewallManagerRuleGroups",
    "PostProcessFirewallManagerRuleGroups",
    "ManagedByFirewallManager",
    "LabelNamespace",
    "CustomResponseBodies",
    "CaptchaConfig",
    "ChallengeConfig",
    "TokenDomains",
    "AssociationConfig",
    "RetrofittedByFirewallManager",
    "OnSourceDDoSProtectionConfig",
    "ApplicationConfig",
    "MonetizationConfig",
];
/// Fields of a `Rule` the SDK knows.
const RULE: &[&str] = &[
    "Name",
    "Priority",
    "Statement",
    "Action",
    "OverrideAction",
    "RuleLabels",
    "VisibilityConfig",
    "CaptchaConfig",
    "ChallengeConfig",
];

/// Web ACL id → the fields of its last `GetWebACL` answer the SDK does not know.
#[derive(Debug, Clone, Default)]
pub struct UnknownFields(Arc<Mutex<HashMap<String, Vec<String>>>>);

impl UnknownFields {
    /// The fields the SDK dropped from the last read of ACL `id` (empty: none, or not read).
    pub fn of(&self, id: &str) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
            .unwrap_or_default()
    }
}

/// The fields of a raw `GetWebACL` answer that the SDK does not know, as paths
/// (`WebACL.NewField`, `WebACL.Rules[block-xmlrpc].NewField`).
pub fn unknown_keys(answer: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let extra = |v: &Value, known: &[&str], at: &str, out: &mut Vec<String>| {
        if let Some(map) = v.as_object() {
            out.extend(
                map.keys()
                    .filter(|k| !known.contains(&k.as_str()))
                    .map(|k| format!("{at}{k}")),
            );
        }
    };
    extra(answer, ANSWER, "", &mut out);
    if let Some(acl) = answer.get("WebACL") {
        extra(acl, WEB_ACL, "WebACL.", &mut out);
        for rule in acl
            .get("Rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = rule.get("Name").and_then(Value::as_str).unwrap_or("?");
            extra(rule, RULE, &format!("WebACL.Rules[{name}]."), &mut out);
        }
    }
    out
}

impl Intercept for UnknownFields {
    fn name(&self) -> &'static str {
        "opsconsole::UnknownFields"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if cfg.load::<Metadata>().map(|m| m.name()) != Some("GetWebACL") {
            return Ok(());
        }
        let Some(bytes) = context.response().body().bytes() else {
            return Ok(());
        };
        let Ok(answer) = serde_json::from_slice::<Value>(bytes) else {
            return Ok(());
        };
        if let Some(id) = answer.pointer("/WebACL/Id").and_then(Value::as_str) {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(id.to_string(), unknown_keys(&answer));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_the_sdk_does_not_know_are_named() {
        let answer = serde_json::json!({
            "LockToken": "t",
            "NewTopLevel": 1,
            "WebACL": {
                "Name": "a", "Id": "1", "ARN": "arn", "DefaultAction": {"Allow": {}},
                "VisibilityConfig": {}, "FutureProtection": {"On": true},
                "Rules": [{"Name": "r", "Priority": 0, "Statement": {}, "FutureRuleField": 2}]
            }
        });
        assert_eq!(
            unknown_keys(&answer),
            [
                "NewTopLevel",
                "WebACL.FutureProtection",
                "WebACL.Rules[r].FutureRuleField"
            ]
        );
        let known = serde_json::json!({"LockToken": "t", "WebACL": {"Name": "a", "Id": "1"}});
        assert!(unknown_keys(&known).is_empty());
    }
}
