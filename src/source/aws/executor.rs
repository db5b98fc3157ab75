//! Carries out mutations against AWS: deregister/register a target with its exact port (and zone
//! where it applies), and change one WAF rule's action or override with optimistic locking.
//!
//! `UpdateWebACL` replaces the whole ACL, so the ACL is read fresh, exactly one field is changed,
//! and everything else is sent back as it was read, with the lock token. A block adds one
//! address to an IP set the same way (`GetIPSet` → `UpdateIPSet`, only `Addresses` changed). If someone changed the
//! ACL between our read and our write, WAF refuses (`WAFOptimisticLockException`); we say what
//! changed and never retry blindly.
//!
//! A request can reach AWS and its reply be lost (a reset connection, a timeout); the SDK then
//! retries, and a retried `UpdateWebACL` carries a lock token our own write just used up. So a
//! failed write is never reported from the error alone: the state is read again, and a change
//! that is in place is reported done ("confirmed by reading it again"), never applied twice.

use super::clients::RegionClients;
use super::error::from_sdk;
use super::originals::Originals;
use super::unknown_fields::UnknownFields;
use super::waf::{action as action_of, rule_kind};
use crate::action::{Done, Executor, Failed, IpSetRef, Mutation, RuleRef, TargetRef};
use crate::model::address::same_cidr;
use crate::model::waf::IP_SET_QUOTA;
use crate::model::{OverrideAction, RuleAction, RuleKind, WafScope};
use aws_sdk_elasticloadbalancingv2 as elb;
use aws_sdk_wafv2 as waf;
use aws_sdk_wafv2::operation::RequestId;
use aws_smithy_runtime_api::client::result::SdkError;
use futures::future::BoxFuture;
use std::collections::HashMap;

pub struct AwsExecutor {
    regions: HashMap<String, RegionClients>,
    global: RegionClients,
    /// Fields of each ACL's last `GetWebACL` answer that the SDK dropped: such an ACL is never
    /// written back.
    unknown: UnknownFields,
    /// The exact action (custom responses and all) a rule had before we set it to Count, so
    /// "back" restores it byte for byte (kept on disk when given a file).
    originals: Originals,
}

/// A web ACL as read, with the lock token that must accompany any write.
#[derive(Debug, Clone)]
pub struct ReadAcl {
    pub acl: waf::types::WebAcl,
    pub lock_token: String,
}

impl AwsExecutor {
    pub fn new(regions: &[RegionClients], global: &RegionClients) -> Self {
        let unknown = UnknownFields::default();
        // The executor's WAF clients (as configured, counting and all) also read every raw
        // GetWebACL answer for fields the SDK drops.
        let watched = |rc: &RegionClients| rc.with_waf_interceptor(unknown.clone());
        AwsExecutor {
            regions: regions
                .iter()
                .map(|r| (r.region.clone(), watched(r)))
                .collect(),
            global: watched(global),
            unknown: unknown.clone(),
            originals: Originals::in_memory(),
        }
    }

    /// Keeps the rules' original actions in `file`, so a later console restores them exactly.
    /// Keeps the rules' original actions where `originals` says (a file, a shared store).
    pub fn with_originals(mut self, originals: Originals) -> Self {
        self.originals = originals;
        self
    }

    pub fn with_originals_file(mut self, file: &std::path::Path) -> Self {
        self.originals = Originals::in_file(file);
        self
    }

    fn region(&self, region: &str) -> Result<&RegionClients, Failed> {
        self.regions
            .get(region)
            .or_else(|| (self.global.region == region).then_some(&self.global))
            .ok_or_else(|| {
                Failed::new(format!(
                    "region {region} is not among the console's regions"
                ))
            })
    }

    fn waf_client(&self, rule: &RuleRef) -> Result<&waf::Client, Failed> {
        match rule.scope {
            WafScope::Cloudfront => Ok(self.global.waf()),
            WafScope::Regional => Ok(self.region(&rule.region)?.waf()),
        }
    }

    async fn deregister(&self, t: &TargetRef) -> Result<Done, Failed> {
        let sent = self
            .region(&t.region)?
            .elb()
            .deregister_targets()
            .target_group_arn(&t.target_group_arn)
            .targets(description(t))
            .send()
            .await;
        let message = format!("{} is draining from {}", t.label(), t.target_group);
        // Out of the group (draining, or already gone) is what was asked for.
        self.settle(t, sent, "elbv2 DeregisterTargets", message, |s| {
            matches!(
                s,
                elb::types::TargetHealthStateEnum::Draining
                    | elb::types::TargetHealthStateEnum::Unused
            )
        })
        .await
    }

    async fn register(&self, t: &TargetRef) -> Result<Done, Failed> {
        let sent = self
            .region(&t.region)?
            .elb()
            .register_targets()
            .target_group_arn(&t.target_group_arn)
            .targets(description(t))
            .send()
            .await;
        let message = format!("{} registered in {} again", t.label(), t.target_group);
        self.settle(t, sent, "elbv2 RegisterTargets", message, |s| {
            matches!(
                s,
                elb::types::TargetHealthStateEnum::Initial
                    | elb::types::TargetHealthStateEnum::Healthy
                    | elb::types::TargetHealthStateEnum::Unhealthy
            )
        })
        .await
    }

    /// The outcome of a (de)registration. An answer from AWS stands; when the reply was lost,
    /// the target's state is read, and if it is what was asked for (`wanted`), the request
    /// reached AWS and the change is done.
    async fn settle<O: RequestId, E>(
        &self,
        t: &TargetRef,
        sent: Result<O, SdkError<E, aws_smithy_runtime_api::http::Response>>,
        call: &'static str,
        message: String,
        wanted: impl Fn(&elb::types::TargetHealthStateEnum) -> bool,
    ) -> Result<Done, Failed>
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    {
        let e = match sent {
            Ok(out) => {
                return Ok(Done {
                    message,
                    request_id: out.request_id().map(str::to_string),
                });
            }
            Err(e) if !reply_lost(&e) => return Err(failed(call)(e)),
            Err(e) => e,
        };
        let failure = failed(call)(e);
        let read = self
            .region(&t.region)?
            .elb()
            .describe_target_health()
            .target_group_arn(&t.target_group_arn)
            .targets(description(t))
            .send()
            .await;
        let state = read.ok().and_then(|out| {
            out.target_health_descriptions()
                .iter()
                .find(|d| d.target().is_some_and(|x| x.id() == Some(t.id.as_str())))
                .and_then(|d| d.target_health())
                .and_then(|h| h.state())
                .cloned()
        });
        match state {
            Some(s) if wanted(&s) => Ok(Done {
                message: format!(
                    "{message} (its reply was lost: {}; confirmed by reading the target again)",
                    failure.message
                ),
                request_id: failure.request_id,
            }),
            Some(s) => Err(Failed {
                message: format!("{}; the target is {}", failure.message, s.as_str()),
                request_id: failure.request_id,
                moot: false,
                for_good: false,
            }),
            None => Err(Failed {
                message: format!(
                    "{}; its state could not be read back either: check the target before trying again",
                    failure.message
                ),
                request_id: failure.request_id,
                moot: false,
                for_good: false,
            }),
        }
    }

    /// Reads an ACL fresh, with its lock token.
    pub async fn read_acl(&self, rule: &RuleRef) -> Result<ReadAcl, Failed> {
        let out = self
            .waf_client(rule)?
            .get_web_acl()
            .scope(sdk_scope(rule.scope))
            .name(&rule.acl_name)
            .id(&rule.acl_id)
            .send()
            .await
            .map_err(failed("wafv2 GetWebACL"))?;
        match (out.web_acl, out.lock_token) {
            (Some(acl), Some(lock_token)) => Ok(ReadAcl { acl, lock_token }),
            _ => Err(Failed::new(format!(
                "web ACL {} came back without its rules or lock token",
                rule.acl_name
            ))),
        }
    }

    /// Writes `read` back with one rule changed from `from` to `to`. Refuses if the rule is no
    /// longer `from`; reports a lock conflict without overwriting anything.
    pub async fn write_rule(
        &self,
        rule: &RuleRef,
        read: ReadAcl,
        from: &RuleKind,
        to: &RuleKind,
    ) -> Result<Done, Failed> {
        let current = read
            .acl
            .rules()
            .iter()
            .find(|r| r.name() == rule.rule)
            .map(rule_kind)
            .ok_or_else(|| {
                // Renamed or removed: no later attempt can find it either.
                Failed::for_good(format!(
                    "rule {} is no longer in {}",
                    rule.rule, rule.acl_name
                ))
            })?;
        let dropped = self.unknown.of(&read.acl.id);
        if !dropped.is_empty() {
            return Err(Failed::new(format!(
                "web ACL {} has fields this console does not know ({}): writing it back would erase them, so nothing was changed. Change the rule in the AWS console, or use a newer opsconsole",
                rule.acl_name,
                dropped.join(", ")
            )));
        }
        if !same_setting(&current, from) {
            // Someone else set it meanwhile: theirs stands (a scheduled restore gives up).
            return Err(Failed::moot(format!(
                "rule {} changed meanwhile: it is now {}, not {}; nothing was changed",
                rule.rule,
                current.describe(),
                from.describe()
            )));
        }
        let key = (rule.acl_id.clone(), rule.rule.clone());
        // Only a restore from Count needs the action kept before it: setting Count does not
        // wait on the store that keeps it.
        let original = if to.is_counting() {
            None
        } else {
            self.originals.get(&key).await.map_err(|e| {
                Failed::new(format!(
                    "the action rule {} had before Count cannot be read ({e}); nothing was changed",
                    rule.rule
                ))
            })?
        };
        let before = read
            .acl
            .rules()
            .iter()
            .find(|r| r.name() == rule.rule)
            .and_then(|r| r.action.clone());
        let changed =
            with_rule_changed(read.acl.clone(), &rule.rule, to, original).map_err(Failed::new)?;
        let result = update_request(
            self.waf_client(rule)?,
            rule.scope,
            changed,
            &read.lock_token,
        )
        .send()
        .await;
        match result {
            Ok(out) => {
                let kept = self.remember_original(&key, to, before).await;
                Ok(Done {
                    message: format!(
                        "WAF rule {} in {} is now {}{kept}",
                        rule.rule,
                        rule.acl_name,
                        to.describe()
                    ),
                    request_id: out.request_id().map(str::to_string),
                })
            }
            Err(e) => {
                let request_id = e.request_id().map(str::to_string);
                let locked = matches!(
                    e.as_service_error(),
                    Some(waf::operation::update_web_acl::UpdateWebACLError::WafOptimisticLockException(_))
                );
                let why = from_sdk("wafv2 UpdateWebACL", e).message;
                // Read again: a lost reply, or a retry refused because our own write used the
                // token up, leaves our change in place.
                let now = self.read_acl(rule).await;
                let landed = now.as_ref().is_ok_and(|now| {
                    now.acl
                        .rules()
                        .iter()
                        .find(|r| r.name() == rule.rule)
                        .map(rule_kind)
                        .is_some_and(|k| same_setting(&k, to))
                });
                if landed {
                    let kept = self.remember_original(&key, to, before).await;
                    return Ok(Done {
                        message: format!(
                            "WAF rule {} in {} is now {} (the reply was lost: {why}; confirmed by reading the ACL again){kept}",
                            rule.rule,
                            rule.acl_name,
                            to.describe()
                        ),
                        request_id,
                    });
                }
                if !locked {
                    let state = match &now {
                        Ok(_) => "the rule is unchanged",
                        Err(_) => "the ACL could not be read back: check it before trying again",
                    };
                    return Err(Failed {
                        message: format!("{why}; {state}"),
                        request_id,
                        moot: false,
                        for_good: false,
                    });
                }
                let meanwhile = match &now {
                    Ok(now) => describe_changes(&read.acl, &now.acl),
                    Err(_) => "could not re-read it".to_string(),
                };
                Err(Failed {
                    message: format!(
                        "someone changed web ACL {} between our read and our write ({meanwhile}); nothing was overwritten — review and confirm again",
                        rule.acl_name
                    ),
                    request_id,
                    moot: false,
                    for_good: false,
                })
            }
        }
    }

    /// Setting a plain rule to Count keeps the exact action it had, for "back"; setting it
    /// back forgets it. A failure to keep it is logged and said with the change's outcome
    /// (returned as a sentence to add to it; empty when kept).
    async fn remember_original(
        &self,
        key: &(String, String),
        to: &RuleKind,
        before: Option<waf::types::RuleAction>,
    ) -> String {
        let kept = match (to, before) {
            (
                RuleKind::Plain {
                    action: RuleAction::Count,
                },
                Some(b),
            ) => self.originals.set(key, &b).await,
            (RuleKind::Plain { .. }, _) => self.originals.remove(key).await,
            _ => Ok(()),
        };
        match kept {
            Ok(()) => String::new(),
            Err(e) => {
                tracing::warn!(rule = %key.1, error = %e, "the rule's original action was not kept");
                format!(
                    " — but its exact action could not be kept ({e}): setting it back restores the plain action, without a custom response"
                )
            }
        }
    }

    async fn set_rule(
        &self,
        rule: &RuleRef,
        from: &RuleKind,
        to: &RuleKind,
    ) -> Result<Done, Failed> {
        let read = self.read_acl(rule).await?;
        self.write_rule(rule, read, from, to).await
    }
}

/// An IP set as read, with the lock token that must accompany any write.
#[derive(Debug, Clone)]
pub struct ReadIpSet {
    pub set: waf::types::IpSet,
    pub lock_token: String,
}

impl AwsExecutor {
    fn ip_set_client(&self, set: &IpSetRef) -> Result<&waf::Client, Failed> {
        match set.scope {
            WafScope::Cloudfront => Ok(self.global.waf()),
            WafScope::Regional => Ok(self.region(&set.region)?.waf()),
        }
    }

    /// Reads an IP set fresh, with its lock token.
    pub async fn read_ip_set(&self, set: &IpSetRef) -> Result<ReadIpSet, Failed> {
        let out = self
            .ip_set_client(set)?
            .get_ip_set()
            .scope(sdk_scope(set.scope))
            .name(&set.name)
            .id(&set.id)
            .send()
            .await
            .map_err(failed("wafv2 GetIPSet"))?;
        match (out.ip_set, out.lock_token) {
            (Some(s), Some(lock_token)) => Ok(ReadIpSet { set: s, lock_token }),
            _ => Err(Failed::new(format!(
                "IP set {} came back without its addresses or lock token",
                set.name
            ))),
        }
    }

    /// Writes `read` back with `address` added (`add`) or removed, every other field as read
    /// (UpdateIPSet replaces the whole set: a Description left out would be erased). A lock
    /// conflict is reported, never overwritten; a lost reply is settled by reading again.
    pub async fn write_ip_set(
        &self,
        set: &IpSetRef,
        read: ReadIpSet,
        address: &str,
        add: bool,
    ) -> Result<Done, Failed> {
        let before = read.set.addresses().to_vec();
        let present = before.iter().any(|a| same_cidr(a, address));
        if add && present {
            return Err(Failed::moot(format!(
                "{address} is already in IP set {} (added by someone else?): nothing was changed",
                set.name
            )));
        }
        if !add && !present {
            return Ok(Done::new(format!(
                "{address} was no longer in IP set {} (removed by someone else): nothing to do",
                set.name
            )));
        }
        let wants_v6 = address.contains(':');
        let holds_v6 = *read.set.ip_address_version() == waf::types::IpAddressVersion::Ipv6;
        if add && wants_v6 != holds_v6 {
            return Err(Failed::new(format!(
                "IP set {} holds {} addresses; {address} is not one: add an {} set to [[waf.blocklist]]",
                set.name,
                read.set.ip_address_version().as_str(),
                if wants_v6 { "IPV6" } else { "IPV4" }
            )));
        }
        if add && before.len() >= IP_SET_QUOTA {
            return Err(Failed::new(format!(
                "IP set {} already holds {} addresses, AWS's limit: remove some first",
                set.name,
                before.len()
            )));
        }
        let after: Vec<String> = if add {
            before
                .iter()
                .cloned()
                .chain([address.to_string()])
                .collect()
        } else {
            before
                .iter()
                .filter(|a| !same_cidr(a, address))
                .cloned()
                .collect()
        };
        let count = after.len();
        let sent = self
            .ip_set_client(set)?
            .update_ip_set()
            .name(read.set.name())
            .scope(sdk_scope(set.scope))
            .id(read.set.id())
            .set_description(read.set.description().map(str::to_string))
            // An empty list is sent as one: left out, the field would be missing.
            .set_addresses(Some(after))
            .lock_token(&read.lock_token)
            .send()
            .await;
        let done = if add {
            format!(
                "{address} is blocked: in IP set {} ({count} addresses) for {}",
                set.name, set.web_acl
            )
        } else {
            format!(
                "{address} removed from IP set {} ({count} addresses)",
                set.name
            )
        };
        let e = match sent {
            Ok(out) => {
                return Ok(Done {
                    message: done,
                    request_id: out.request_id().map(str::to_string),
                });
            }
            Err(e) => e,
        };
        let request_id = e.request_id().map(str::to_string);
        let locked = e
            .as_service_error()
            .is_some_and(|s| s.is_waf_optimistic_lock_exception());
        let why = from_sdk("wafv2 UpdateIPSet", e).message;
        // Read again: a lost reply, or a retry refused because our own write used the token
        // up, leaves our change in place.
        let now = self.read_ip_set(set).await;
        let landed = now.as_ref().is_ok_and(|n| {
            n.set.addresses().iter().any(|a| same_cidr(a, address)) == add
                && n.set.addresses().len() == count
        });
        if landed {
            return Ok(Done {
                message: format!(
                    "{done} (the reply was lost: {why}; confirmed by reading the set again)"
                ),
                request_id,
            });
        }
        let message = match (&now, locked) {
            (Ok(n), true) => format!(
                "someone changed IP set {} between our read and our write ({}); nothing was overwritten — review and confirm again",
                set.name,
                address_changes(&before, n.set.addresses())
            ),
            (Ok(_), false) => format!("{why}; the set is unchanged"),
            (Err(_), _) => {
                format!("{why}; the set could not be read back: check it before trying again")
            }
        };
        Err(Failed {
            message,
            request_id,
            moot: false,
            for_good: false,
        })
    }
}

/// "+203.0.113.5/32, −198.51.100.0/24": what another writer changed.
fn address_changes(before: &[String], after: &[String]) -> String {
    let added = after
        .iter()
        .filter(|a| !before.iter().any(|b| same_cidr(a, b)))
        .map(|a| format!("+{a}"));
    let removed = before
        .iter()
        .filter(|b| !after.iter().any(|a| same_cidr(a, b)))
        .map(|b| format!("−{b}"));
    let all: Vec<String> = added.chain(removed).collect();
    if all.is_empty() {
        "its description changed".to_string()
    } else {
        all.join(", ")
    }
}

/// The request may have reached AWS without its reply reaching us: sent, then the connection
/// broke, the reply was garbled, or the time ran out.
fn reply_lost<E>(e: &SdkError<E, aws_smithy_runtime_api::http::Response>) -> bool {
    matches!(
        e,
        SdkError::DispatchFailure(_) | SdkError::ResponseError(_) | SdkError::TimeoutError(_)
    )
}

fn failed<E>(
    call: &'static str,
) -> impl Fn(
    aws_smithy_runtime_api::client::result::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> Failed
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
{
    move |e| {
        let request_id = e.request_id().map(str::to_string);
        let error = from_sdk(call, e);
        Failed {
            // The IP set or web ACL no longer exists: no later attempt can succeed.
            for_good: error.kind == crate::source::ErrorKind::NotFound,
            message: error.message,
            request_id,
            moot: false,
        }
    }
}

/// The target exactly as `DescribeTargetHealth` described it: its id, and a port and zone only
/// where it had them (AWS refuses a zone for instance and alb targets and a port for Lambda).
fn description(t: &TargetRef) -> elb::types::TargetDescription {
    elb::types::TargetDescription::builder()
        .id(&t.id)
        .set_port(t.registration.port.map(i32::from))
        .set_availability_zone(t.registration.availability_zone.clone())
        .build()
}

fn sdk_scope(scope: WafScope) -> waf::types::Scope {
    match scope {
        WafScope::Regional => waf::types::Scope::Regional,
        WafScope::Cloudfront => waf::types::Scope::Cloudfront,
    }
}

fn sdk_action(a: RuleAction) -> waf::types::RuleAction {
    let b = waf::types::RuleAction::builder();
    match a {
        RuleAction::Allow => b.allow(waf::types::AllowAction::builder().build()),
        RuleAction::Block => b.block(waf::types::BlockAction::builder().build()),
        RuleAction::Count => b.count(waf::types::CountAction::builder().build()),
        RuleAction::Captcha => b.captcha(waf::types::CaptchaAction::builder().build()),
        RuleAction::Challenge => b.challenge(waf::types::ChallengeAction::builder().build()),
        RuleAction::Monetize => b.monetize(waf::types::MonetizeAction::builder().build()),
    }
    .build()
}

/// The ACL with one rule's action (plain rule) or override (group reference) set to `to`;
/// every other field exactly as read. `original` is the exact action to restore, if known.
pub fn with_rule_changed(
    mut acl: waf::types::WebAcl,
    rule_name: &str,
    to: &RuleKind,
    original: Option<waf::types::RuleAction>,
) -> Result<waf::types::WebAcl, String> {
    let rules = acl
        .rules
        .as_mut()
        .ok_or_else(|| format!("web ACL {} has no rules", acl.name))?;
    let rule = rules
        .iter_mut()
        .find(|r| r.name == rule_name)
        .ok_or_else(|| format!("no rule {rule_name} in web ACL {}", acl.name))?;
    match (to, rule.action.is_some()) {
        (RuleKind::Plain { action }, true) => {
            let restored = original.filter(|o| action_of(o) == *action);
            rule.action = Some(restored.unwrap_or_else(|| sdk_action(*action)));
        }
        (
            RuleKind::Group {
                override_action, ..
            },
            false,
        ) => {
            let b = waf::types::OverrideAction::builder();
            rule.override_action = Some(
                match override_action {
                    OverrideAction::Count => b.count(waf::types::CountAction::builder().build()),
                    OverrideAction::None => b.none(waf::types::NoneAction::builder().build()),
                }
                .build(),
            );
        }
        _ => {
            return Err(format!(
                "rule {rule_name} cannot change between a plain rule and a group reference"
            ));
        }
    }
    Ok(acl)
}

/// The `UpdateWebACL` call carrying every mutable field of `acl` as read.
pub(super) fn update_request(
    client: &waf::Client,
    scope: WafScope,
    acl: waf::types::WebAcl,
    lock_token: &str,
) -> waf::operation::update_web_acl::builders::UpdateWebACLFluentBuilder {
    client
        .update_web_acl()
        .name(acl.name)
        .scope(sdk_scope(scope))
        .id(acl.id)
        .set_default_action(acl.default_action)
        .set_description(acl.description)
        .set_rules(acl.rules)
        .set_visibility_config(acl.visibility_config)
        .set_data_protection_config(acl.data_protection_config)
        .lock_token(lock_token)
        .set_custom_response_bodies(acl.custom_response_bodies)
        .set_captcha_config(acl.captcha_config)
        .set_challenge_config(acl.challenge_config)
        .set_token_domains(acl.token_domains)
        .set_association_config(acl.association_config)
        .set_on_source_d_do_s_protection_config(acl.on_source_d_do_s_protection_config)
        .set_application_config(acl.application_config)
        .set_monetization_config(acl.monetization_config)
}

/// Whether a rule is set as `wanted` in the one field this console changes: a plain rule's
/// action, a group reference's `OverrideAction`. A group's `RuleActionOverrides` are someone
/// else's to edit: they are sent back as read and never make a restore moot.
fn same_setting(current: &RuleKind, wanted: &RuleKind) -> bool {
    match (current, wanted) {
        (
            RuleKind::Group {
                override_action: a, ..
            },
            RuleKind::Group {
                override_action: b, ..
            },
        ) => a == b,
        (a, b) => a == b,
    }
}

/// What differs between two reads of an ACL, in a few words for the operator.
fn describe_changes(before: &waf::types::WebAcl, after: &waf::types::WebAcl) -> String {
    let mut changes = Vec::new();
    for r in after.rules() {
        match before.rules().iter().find(|b| b.name == r.name) {
            None => changes.push(format!("rule {} added", r.name)),
            Some(b) if !same_setting(&rule_kind(b), &rule_kind(r)) => changes.push(format!(
                "rule {}: {} → {}",
                r.name,
                rule_kind(b).describe(),
                rule_kind(r).describe()
            )),
            Some(b) if b != r => changes.push(format!("rule {} edited", r.name)),
            Some(_) => {}
        }
    }
    for b in before.rules() {
        if !after.rules().iter().any(|r| r.name == b.name) {
            changes.push(format!("rule {} removed", b.name));
        }
    }
    if before.default_action != after.default_action {
        changes.push("default action changed".to_string());
    }
    if before.description != after.description {
        changes.push("description changed".to_string());
    }
    if changes.is_empty() {
        "changed fields the console does not show".to_string()
    } else {
        changes.join("; ")
    }
}

impl Executor for AwsExecutor {
    fn execute<'a>(&'a self, mutation: &'a Mutation) -> BoxFuture<'a, Result<Done, Failed>> {
        Box::pin(async move {
            match mutation {
                Mutation::Drain { target } => self.deregister(target).await,
                Mutation::Register { target } => self.register(target).await,
                Mutation::SetRule { rule, from, to, .. } => self.set_rule(rule, from, to).await,
                Mutation::Block { set, address, .. } => {
                    let read = self.read_ip_set(set).await?;
                    self.write_ip_set(set, read, address, true).await
                }
                Mutation::Unblock { set, address } => {
                    let read = self.read_ip_set(set).await?;
                    self.write_ip_set(set, read, address, false).await
                }
            }
        })
    }
}
