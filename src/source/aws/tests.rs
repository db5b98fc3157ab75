//! What the emulator cannot produce, replayed as AWS would answer (shapes from the API
//! reference) with aws-smithy-mocks: every target state and reason, weighted forwards, the
//! deregistration delay, sampled requests, and throttling.

use super::clients::{RegionClients, for_region};
use super::elb::ElbSource;
use super::waf::WafSource;
use crate::model::{RuleAction, RuleKind, TargetState};
use crate::source::{ErrorKind, SampleSource, Source};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_sdk_elasticloadbalancingv2 as elb;
use aws_sdk_wafv2 as waf;
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use std::time::Duration;

const REGION: &str = "ap-northeast-1";
const TG: &str = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/hwi-tg1/abc";
const TG2: &str =
    "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/hwi-tg2/def";
const LB: &str =
    "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/hwi-alb/123";

fn base() -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                "test", "test", None, None, "mock",
            )),
        )
        .http_client(create_mock_http_client())
        .build()
}

fn interceptor(rules: &[&Rule]) -> MockResponseInterceptor {
    rules.iter().fold(
        MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
        |i, r| i.with_rule(r),
    )
}

/// Clients for one region whose ELBv2 and WAFv2 answer from `rules` (nothing leaves the process).
fn clients(rules: &[&Rule]) -> RegionClients {
    let rc = for_region(&base(), REGION, Default::default());
    let elb_conf = elb::config::Builder::from(&rc.sdk_config)
        .interceptor(interceptor(rules))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    let rc = rc.with_elb(elb::Client::from_conf(elb_conf));
    let waf_conf = waf::config::Builder::from(&rc.sdk_config)
        .interceptor(interceptor(rules))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    rc.with_waf(waf::Client::from_conf(waf_conf))
}

fn health(
    id: &str,
    az: &str,
    state: elb::types::TargetHealthStateEnum,
    reason: Option<elb::types::TargetHealthReasonEnum>,
) -> elb::types::TargetHealthDescription {
    elb::types::TargetHealthDescription::builder()
        .target(
            elb::types::TargetDescription::builder()
                .id(id)
                .port(80)
                .availability_zone(az)
                .build(),
        )
        .target_health(
            elb::types::TargetHealth::builder()
                .state(state)
                .set_reason(reason)
                .build(),
        )
        .build()
}

fn elb_rules() -> Vec<Rule> {
    use elb::types::{TargetHealthReasonEnum as R, TargetHealthStateEnum as S};
    vec![
        mock!(elb::Client::describe_load_balancers).then_output(|| {
            elb::operation::describe_load_balancers::DescribeLoadBalancersOutput::builder()
                .load_balancers(
                    elb::types::LoadBalancer::builder()
                        .load_balancer_arn(LB)
                        .load_balancer_name("hwi-alb")
                        .r#type(elb::types::LoadBalancerTypeEnum::Application)
                        .scheme(elb::types::LoadBalancerSchemeEnum::InternetFacing)
                        .dns_name("hwi-alb-123.ap-northeast-1.elb.amazonaws.com")
                        .build(),
                )
                .build()
        }),
        mock!(elb::Client::describe_target_groups).then_output(|| {
            let tg = |arn: &str, name: &str| {
                elb::types::TargetGroup::builder()
                    .target_group_arn(arn)
                    .target_group_name(name)
                    .protocol(elb::types::ProtocolEnum::Http)
                    .port(80)
                    .target_type(elb::types::TargetTypeEnum::Ip)
                    .load_balancer_arns(LB)
                    .build()
            };
            elb::operation::describe_target_groups::DescribeTargetGroupsOutput::builder()
                .target_groups(tg(TG, "hwi-tg1"))
                .target_groups(tg(TG2, "hwi-tg2"))
                .build()
        }),
        mock!(elb::Client::describe_listeners).then_output(|| {
            let weighted = |arn: &str, w: i32| elb::types::TargetGroupTuple::builder().target_group_arn(arn).weight(w).build();
            elb::operation::describe_listeners::DescribeListenersOutput::builder()
                .listeners(
                    elb::types::Listener::builder()
                        .port(443)
                        .protocol(elb::types::ProtocolEnum::Https)
                        .default_actions(
                            elb::types::Action::builder()
                                .r#type(elb::types::ActionTypeEnum::Forward)
                                .forward_config(
                                    elb::types::ForwardActionConfig::builder()
                                        .target_groups(weighted(TG, 100))
                                        .target_groups(weighted(TG2, 0))
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build()
        }),
        mock!(elb::Client::describe_target_health)
            .match_requests(|r| r.target_group_arn() == Some(TG))
            .then_output(move || {
                elb::operation::describe_target_health::DescribeTargetHealthOutput::builder()
                    .target_health_descriptions(health("10.0.1.1", "ap-northeast-1a", S::Initial, Some(R::RegistrationInProgress)))
                    .target_health_descriptions(health("10.0.1.2", "ap-northeast-1a", S::Unhealthy, Some(R::ResponseCodeMismatch)))
                    .target_health_descriptions(health("10.0.2.1", "ap-northeast-1c", S::Unavailable, Some(R::HealthCheckDisabled)))
                    .target_health_descriptions(health("10.0.2.2", "ap-northeast-1c", S::Draining, Some(R::DeregistrationInProgress)))
                    .target_health_descriptions(health("10.0.2.3", "ap-northeast-1c", S::Healthy, None))
                    .build()
            }),
        mock!(elb::Client::describe_target_health)
            .match_requests(|r| r.target_group_arn() == Some(TG2))
            .then_output(|| elb::operation::describe_target_health::DescribeTargetHealthOutput::builder().build()),
        mock!(elb::Client::describe_target_group_attributes).then_output(|| {
            elb::operation::describe_target_group_attributes::DescribeTargetGroupAttributesOutput::builder()
                .attributes(
                    elb::types::TargetGroupAttribute::builder()
                        .key("deregistration_delay.timeout_seconds")
                        .value("45")
                        .build(),
                )
                .build()
        }),
    ]
}

#[tokio::test]
async fn every_target_state_and_reason_reaches_the_model() {
    let rules = elb_rules();
    let refs: Vec<&Rule> = rules.iter().collect();
    let source = ElbSource::new(&[clients(&refs)]);
    let view = source.fetch().await.expect("targets");
    let lb = &view.load_balancers[0];
    assert_eq!(lb.name, "hwi-alb");
    assert_eq!(lb.region, REGION);
    assert_eq!(
        lb.listeners[0].describe(),
        "HTTPS:443 → hwi-tg1 100%, hwi-tg2 0%"
    );
    let tg = lb
        .target_groups
        .iter()
        .find(|g| g.name == "hwi-tg1")
        .expect("tg1");
    assert_eq!(tg.deregistration_delay_secs, Some(45));
    let states: Vec<(&str, TargetState, Option<&str>)> = tg
        .targets
        .iter()
        .map(|t| (t.id.as_str(), t.state, t.reason.as_deref()))
        .collect();
    assert_eq!(
        states,
        vec![
            (
                "10.0.1.1",
                TargetState::Initial,
                Some("Elb.RegistrationInProgress")
            ),
            (
                "10.0.1.2",
                TargetState::Unhealthy,
                Some("Target.ResponseCodeMismatch")
            ),
            (
                "10.0.2.1",
                TargetState::Unavailable,
                Some("Target.HealthCheckDisabled")
            ),
            (
                "10.0.2.2",
                TargetState::Draining,
                Some("Target.DeregistrationInProgress")
            ),
            ("10.0.2.3", TargetState::Healthy, None),
        ]
    );
    let by_az = tg.health_by_az();
    assert!(by_az["ap-northeast-1a"].is_down());
    assert_eq!(
        by_az["ap-northeast-1c"].describe(),
        "1 of 3 healthy, 1 unchecked"
    );
    // The attributes are read once per group, not every refresh.
    source.fetch().await.expect("second refresh");
    let attrs = rules.last().expect("attribute rule");
    assert_eq!(
        attrs.num_calls(),
        2,
        "one DescribeTargetGroupAttributes per group, not per refresh"
    );
}

#[tokio::test]
async fn a_snapshot_reads_the_delay_only_of_a_group_with_a_draining_target() {
    let rules = elb_rules();
    let refs: Vec<&Rule> = rules.iter().collect();
    let source = ElbSource::new(&[clients(&refs)]).one_shot();
    let view = source.fetch().await.expect("targets");
    let delay = |name: &str| {
        view.load_balancers[0]
            .target_groups
            .iter()
            .find(|g| g.name == name)
            .map(|g| g.deregistration_delay_secs)
    };
    // hwi-tg1 has a draining target (its countdown needs the delay); hwi-tg2 has none.
    assert_eq!(delay("hwi-tg1"), Some(Some(45)));
    assert_eq!(delay("hwi-tg2"), Some(None));
    assert_eq!(rules.last().expect("attribute rule").num_calls(), 1);
}

#[tokio::test]
async fn a_refresh_asks_for_time_in_proportion_to_the_calls_it_made() {
    let rules = elb_rules();
    let refs: Vec<&Rule> = rules.iter().collect();
    let source = ElbSource::new(&[clients(&refs)]);
    assert_eq!(
        source.min_interval(),
        Some(Duration::ZERO),
        "nothing read yet"
    );
    source.fetch().await.expect("targets");
    // Load balancers, groups, 1 listener read, 2 health reads, 2 attribute reads: 7 calls at
    // the console's 2 a second on average.
    assert_eq!(source.min_interval(), Some(Duration::from_millis(3500)));
    source.fetch().await.expect("second refresh");
    assert_eq!(source.min_interval(), Some(Duration::from_millis(2500)));
}

fn throttled() -> HttpResponse {
    let body = r#"<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>a1b2</RequestId></ErrorResponse>"#;
    HttpResponse::new(
        StatusCode::try_from(400).expect("status"),
        SdkBody::from(body),
    )
}

#[tokio::test]
async fn throttling_is_reported_as_such() {
    let rule = mock!(elb::Client::describe_load_balancers).then_http_response(throttled);
    // Read side by side with the load balancers.
    let groups = mock!(elb::Client::describe_target_groups).then_output(|| {
        elb::operation::describe_target_groups::DescribeTargetGroupsOutput::builder().build()
    });
    let source = ElbSource::new(&[clients(&[&rule, &groups])]);
    let err = source.fetch().await.expect_err("throttled");
    assert_eq!(err.kind, ErrorKind::Throttled, "{err}");
    assert!(err.message.contains("DescribeLoadBalancers"), "{err}");
    assert!(err.message.contains("Rate exceeded"), "{err}");
}

/// A WAF source of one region whose WAFv2 answers from `rules`.
fn waf_source(rules: &[&Rule]) -> WafSource {
    let rc = clients(rules);
    WafSource::new(std::slice::from_ref(&rc), &rc, 15)
}

fn acl_rules() -> Vec<Rule> {
    let visibility = |m: &str| {
        waf::types::VisibilityConfig::builder()
            .sampled_requests_enabled(true)
            .cloud_watch_metrics_enabled(true)
            .metric_name(m)
            .build()
            .expect("visibility")
    };
    vec![
        mock!(waf::Client::list_web_acls)
            .match_requests(|r| r.scope() == Some(&waf::types::Scope::Regional))
            .then_output(|| {
                waf::operation::list_web_acls::ListWebAcLsOutput::builder()
                    .web_acls(
                        waf::types::WebAclSummary::builder()
                            .name("hwi-web-acl")
                            .id("acl-1")
                            .arn("arn:aws:wafv2:ap-northeast-1:123456789012:regional/webacl/hwi-web-acl/acl-1")
                            .lock_token("token-1")
                            .build(),
                    )
                    .build()
            }),
        mock!(waf::Client::list_web_acls)
            .match_requests(|r| r.scope() == Some(&waf::types::Scope::Cloudfront))
            .then_output(|| waf::operation::list_web_acls::ListWebAcLsOutput::builder().build()),
        mock!(waf::Client::get_web_acl).then_output(move || {
            let rule = waf::types::Rule::builder()
                .name("block-xmlrpc")
                .priority(0)
                .action(waf::types::RuleAction::builder().block(waf::types::BlockAction::builder().build()).build())
                .visibility_config(visibility("blockXmlrpc"))
                .build()
                .expect("rule");
            waf::operation::get_web_acl::GetWebAclOutput::builder()
                .lock_token("token-1")
                .web_acl(
                    waf::types::WebAcl::builder()
                        .name("hwi-web-acl")
                        .id("acl-1")
                        .arn("arn:aws:wafv2:ap-northeast-1:123456789012:regional/webacl/hwi-web-acl/acl-1")
                        .default_action(waf::types::DefaultAction::builder().allow(waf::types::AllowAction::builder().build()).build())
                        .visibility_config(visibility("hwi"))
                        .rules(rule)
                        .build()
                        .expect("acl"),
                )
                .build()
        }),
        // Without ResourceType the call lists load balancers only: the console asks type by
        // type (a call without one matches no rule here and fails).
        mock!(waf::Client::list_resources_for_web_acl)
            .match_requests(|r| {
                r.resource_type() == Some(&waf::types::ResourceType::ApplicationLoadBalancer)
            })
            .then_output(|| {
                waf::operation::list_resources_for_web_acl::ListResourcesForWebAclOutput::builder()
                    .resource_arns(LB)
                    .build()
            }),
        mock!(waf::Client::list_resources_for_web_acl)
            .match_requests(|r| r.resource_type() == Some(&waf::types::ResourceType::ApiGateway))
            .then_output(|| {
                waf::operation::list_resources_for_web_acl::ListResourcesForWebAclOutput::builder()
                    .resource_arns("arn:aws:apigateway:ap-northeast-1::/restapis/a1b2c3/stages/prod")
                    .build()
            }),
        mock!(waf::Client::list_resources_for_web_acl)
            .match_requests(|r| r.resource_type().is_some())
            .then_output(|| {
                waf::operation::list_resources_for_web_acl::ListResourcesForWebAclOutput::builder()
                    .build()
            }),
        mock!(waf::Client::get_sampled_requests)
            .match_requests(|r| r.rule_metric_name() == Some("blockXmlrpc"))
            .then_output(|| {
                let request = waf::types::HttpRequest::builder()
                    .client_ip("198.51.100.7")
                    .country("RU")
                    .method("POST")
                    .uri("/xmlrpc.php?\u{1b}]0;pwned\u{7}")
                    .build();
                waf::operation::get_sampled_requests::GetSampledRequestsOutput::builder()
                    .sampled_requests(
                        waf::types::SampledHttpRequest::builder()
                            .request(request)
                            .weight(1)
                            .timestamp(aws_smithy_types::DateTime::from_secs(1_800_000_000))
                            .action("BLOCK")
                            .build(),
                    )
                    .population_size(1)
                    .build()
            }),
    ]
}

#[tokio::test]
async fn sampled_requests_of_a_rule_by_its_metric_name() {
    let rules = acl_rules();
    let source = waf_source(&rules.iter().collect::<Vec<_>>());
    // Counts come from CloudWatch, which this test does not mock: read the ACL itself instead.
    let acls = source.acls_for_test().await.expect("acls");
    assert_eq!(acls.len(), 1);
    let acl = &acls[0];
    // Every resource type, not only load balancers.
    assert_eq!(
        acl.protects,
        vec!["hwi-alb".to_string(), "prod".to_string()]
    );
    assert_eq!(
        acl.rules[0].kind,
        RuleKind::Plain {
            action: RuleAction::Block
        }
    );
    let samples = source
        .sampled_requests("acl-1", "block-xmlrpc")
        .await
        .expect("samples");
    assert_eq!(samples.requests.len(), 1);
    let s = &samples.requests[0];
    assert_eq!(
        (s.client_ip.as_str(), s.country.as_str(), s.method.as_str()),
        ("198.51.100.7", "RU", "POST")
    );
    // Raw here; the view cleans it.
    assert!(s.uri.contains('\u{1b}'));
    assert_eq!(
        crate::view::waf::samples_table(&samples).rows[0].cells[4].text,
        "/xmlrpc.php?\\x1b]0;pwned\\x07"
    );
    let unknown = source
        .sampled_requests("acl-1", "nope")
        .await
        .expect_err("unknown rule");
    assert_eq!(unknown.kind, ErrorKind::NotFound);
}

#[tokio::test]
async fn get_web_acl_only_when_the_lock_token_changes() {
    let rules = acl_rules();
    let source = waf_source(&rules.iter().collect::<Vec<_>>());
    source.acls_for_test().await.expect("first");
    source.acls_for_test().await.expect("second");
    source.acls_for_test().await.expect("third");
    let get = &rules[2];
    assert_eq!(
        get.num_calls(),
        1,
        "GetWebACL again although the lock token did not change"
    );
}

/// A web ACL with every mutable field set, so a toggle can prove it loses none of them.
fn maximal_acl() -> waf::types::WebAcl {
    use waf::types::*;
    let visibility = |m: &str| {
        VisibilityConfig::builder()
            .sampled_requests_enabled(true)
            .cloud_watch_metrics_enabled(true)
            .metric_name(m)
            .build()
            .expect("visibility")
    };
    let custom_block = RuleAction::builder()
        .block(
            BlockAction::builder()
                .custom_response(
                    CustomResponse::builder()
                        .response_code(403)
                        .custom_response_body_key("blocked")
                        .build()
                        .expect("custom response"),
                )
                .build(),
        )
        .build();
    let plain = Rule::builder()
        .name("block-xmlrpc")
        .priority(0)
        .action(custom_block)
        .rule_labels(Label::builder().name("hwi:xmlrpc").build().expect("label"))
        .visibility_config(visibility("blockXmlrpc"))
        .captcha_config(
            CaptchaConfig::builder()
                .immunity_time_property(
                    ImmunityTimeProperty::builder()
                        .immunity_time(120)
                        .build()
                        .expect("immunity"),
                )
                .build(),
        )
        .build()
        .expect("rule");
    let group = Rule::builder()
        .name("AWS-AWSManagedRulesPHPRuleSet")
        .priority(1)
        .override_action(
            OverrideAction::builder()
                .none(NoneAction::builder().build())
                .build(),
        )
        .visibility_config(visibility("php"))
        .build()
        .expect("group rule");
    WebAcl::builder()
        .name("hwi-web-acl")
        .id("acl-1")
        .arn("arn:aws:wafv2:us-east-1:123456789012:global/webacl/hwi-web-acl/acl-1")
        .default_action(
            DefaultAction::builder()
                .allow(AllowAction::builder().build())
                .build(),
        )
        .description("S4 WordPress protection")
        .rules(plain)
        .rules(group)
        .visibility_config(visibility("hwi"))
        .data_protection_config(
            DataProtectionConfig::builder()
                .data_protections(
                    DataProtection::builder()
                        .field(
                            FieldToProtect::builder()
                                .field_type(FieldToProtectType::SingleHeader)
                                .field_keys("authorization")
                                .build()
                                .expect("field"),
                        )
                        .action(DataProtectionAction::Substitution)
                        .build()
                        .expect("protection"),
                )
                .build()
                .expect("data protection"),
        )
        .custom_response_bodies(
            "blocked",
            CustomResponseBody::builder()
                .content_type(ResponseContentType::TextHtml)
                .content("<h1>Blocked</h1>")
                .build()
                .expect("body"),
        )
        .captcha_config(
            CaptchaConfig::builder()
                .immunity_time_property(
                    ImmunityTimeProperty::builder()
                        .immunity_time(300)
                        .build()
                        .expect("immunity"),
                )
                .build(),
        )
        .challenge_config(
            ChallengeConfig::builder()
                .immunity_time_property(
                    ImmunityTimeProperty::builder()
                        .immunity_time(600)
                        .build()
                        .expect("immunity"),
                )
                .build(),
        )
        .token_domains("example.com")
        .token_domains("taltalsister.cf")
        .association_config(
            AssociationConfig::builder()
                .request_body(
                    AssociatedResourceType::Cloudfront,
                    RequestBodyAssociatedResourceTypeConfig::builder()
                        .default_size_inspection_limit(SizeInspectionLimit::Kb16)
                        .build()
                        .expect("request body"),
                )
                .build(),
        )
        .monetization_config(
            MonetizationConfig::builder()
                .currency_mode(CurrencyMode::Test)
                .build(),
        )
        .build()
        .expect("acl")
}

#[test]
fn a_toggle_changes_exactly_one_field_and_back_restores_it_byte_for_byte() {
    use super::with_rule_changed;
    let acl = maximal_acl();
    let count = RuleKind::Plain {
        action: RuleAction::Count,
    };
    let original_action = acl.rules()[0].action.clone();
    let counting = with_rule_changed(acl.clone(), "block-xmlrpc", &count, None).expect("to count");
    // Only the one rule's action differs.
    let mut expected = acl.clone();
    expected.rules.as_mut().expect("rules")[0].action = Some(
        waf::types::RuleAction::builder()
            .count(waf::types::CountAction::builder().build())
            .build(),
    );
    assert_eq!(counting, expected);
    // Back, with the remembered action: its custom response comes back too.
    let block = RuleKind::Plain {
        action: RuleAction::Block,
    };
    let back =
        with_rule_changed(counting.clone(), "block-xmlrpc", &block, original_action).expect("back");
    assert_eq!(back, acl);
    // A group reference flips its override only.
    let group_count = RuleKind::Group {
        group: "AWS/AWSManagedRulesPHPRuleSet".into(),
        override_action: crate::model::OverrideAction::Count,
        rule_overrides: vec![],
    };
    let g = with_rule_changed(
        acl.clone(),
        "AWS-AWSManagedRulesPHPRuleSet",
        &group_count,
        None,
    )
    .expect("group");
    assert!(
        g.rules()[1]
            .override_action()
            .and_then(|o| o.count())
            .is_some()
    );
    assert_eq!(g.rules()[0], acl.rules()[0]);
    // Kinds cannot be swapped.
    assert!(with_rule_changed(acl.clone(), "block-xmlrpc", &group_count, None).is_err());
    assert!(with_rule_changed(acl, "nope", &count, None).is_err());
}

#[test]
fn the_update_request_carries_every_mutable_field_as_read() {
    let acl = maximal_acl();
    let rc = clients(&[]);
    let req = super::executor::update_request(
        rc.waf(),
        crate::model::WafScope::Cloudfront,
        acl.clone(),
        "token-7",
    );
    let input = req.as_input();
    assert_eq!(input.get_name().as_deref(), Some(acl.name.as_str()));
    assert_eq!(input.get_id().as_deref(), Some(acl.id.as_str()));
    assert_eq!(input.get_lock_token().as_deref(), Some("token-7"));
    assert_eq!(input.get_scope(), &Some(waf::types::Scope::Cloudfront));
    assert_eq!(input.get_default_action(), &acl.default_action);
    assert_eq!(input.get_description(), &acl.description);
    assert_eq!(input.get_rules(), &acl.rules);
    assert_eq!(input.get_visibility_config(), &acl.visibility_config);
    assert_eq!(
        input.get_data_protection_config(),
        &acl.data_protection_config
    );
    assert_eq!(
        input.get_custom_response_bodies(),
        &acl.custom_response_bodies
    );
    assert_eq!(input.get_captcha_config(), &acl.captcha_config);
    assert_eq!(input.get_challenge_config(), &acl.challenge_config);
    assert_eq!(input.get_token_domains(), &acl.token_domains);
    assert_eq!(input.get_association_config(), &acl.association_config);
    assert_eq!(
        input.get_on_source_d_do_s_protection_config(),
        &acl.on_source_d_do_s_protection_config
    );
    assert_eq!(input.get_application_config(), &acl.application_config);
    assert!(acl.monetization_config.is_some());
    assert_eq!(input.get_monetization_config(), &acl.monetization_config);
}

/// A `GetWebACL` answer as AWS sends it, with `extra` spliced into the ACL's fields.
fn raw_acl_answer(extra: &str) -> String {
    format!(
        r#"{{"LockToken":"token-1","WebACL":{{"Name":"hwi-web-acl","Id":"acl-1","ARN":"arn:aws:wafv2:ap-northeast-1:123456789012:regional/webacl/hwi-web-acl/acl-1","DefaultAction":{{"Allow":{{}}}},"VisibilityConfig":{{"SampledRequestsEnabled":true,"CloudWatchMetricsEnabled":true,"MetricName":"hwi"}},{extra}"Rules":[{{"Name":"block-xmlrpc","Priority":0,"Action":{{"Block":{{}}}},"VisibilityConfig":{{"SampledRequestsEnabled":true,"CloudWatchMetricsEnabled":true,"MetricName":"blockXmlrpc"}}}}]}}}}"#
    )
}

/// Toggles block-xmlrpc to Count against a `GetWebACL` answer carrying `extra`; returns the
/// outcome and how many `UpdateWebACL` calls were sent.
async fn toggle_against(
    extra: &'static str,
) -> (Result<crate::action::Done, crate::action::Failed>, usize) {
    use crate::action::{Executor, Mutation, RuleRef};
    let get = mock!(waf::Client::get_web_acl).then_http_response(move || {
        HttpResponse::new(
            StatusCode::try_from(200).expect("status"),
            SdkBody::from(raw_acl_answer(extra)),
        )
    });
    let update = mock!(waf::Client::update_web_acl).then_output(|| {
        waf::operation::update_web_acl::UpdateWebAclOutput::builder()
            .next_lock_token("token-2")
            .build()
    });
    let rc = clients(&[&get, &update]);
    let executor = super::AwsExecutor::new(std::slice::from_ref(&rc), &rc);
    let outcome = executor
        .execute(&Mutation::SetRule {
            until: None,
            rule: RuleRef {
                account: None,
                region: REGION.into(),
                scope: crate::model::WafScope::Regional,
                acl_name: "hwi-web-acl".into(),
                acl_id: "acl-1".into(),
                rule: "block-xmlrpc".into(),
            },
            from: RuleKind::Plain {
                action: RuleAction::Block,
            },
            to: RuleKind::Plain {
                action: RuleAction::Count,
            },
        })
        .await;
    (outcome, update.num_calls())
}

/// A field AWS added to web ACLs after this SDK was built would be dropped by the typed answer
/// and erased by `UpdateWebACL`: the toggle refuses, names it, and sends nothing.
#[tokio::test]
async fn a_toggle_never_writes_back_an_acl_with_fields_the_sdk_does_not_know() {
    let (outcome, updates) = toggle_against(r#""FutureProtection":{"Enabled":true},"#).await;
    let failed = outcome.expect_err("an ACL with an unknown field must not be written");
    assert!(
        failed.message.contains("WebACL.FutureProtection"),
        "{}",
        failed.message
    );
    assert_eq!(updates, 0, "UpdateWebACL was sent");

    // The same answer without the field is written.
    let (outcome, updates) = toggle_against("").await;
    outcome.expect("the toggle goes through");
    assert_eq!(updates, 1);
}

/// Fields AWS added that this SDK knows (`MonetizationConfig`, 2026) are carried, not refused.
#[tokio::test]
async fn a_toggle_carries_the_fields_the_current_sdk_knows() {
    let (outcome, updates) =
        toggle_against(r#""MonetizationConfig":{"CurrencyMode":"TEST"},"#).await;
    outcome.expect("an ACL with a known field goes through");
    assert_eq!(updates, 1);
}

/// What an ACL protects is asked type by type, and on its own clock: associating a resource does
/// not change the lock token, and the counts never wait for it.
#[tokio::test]
async fn associations_are_read_for_every_type_on_their_own_clock() {
    let rules = acl_rules();
    let source = waf_source(&rules.iter().collect::<Vec<_>>());
    source.acls_for_test().await.expect("first");
    source.acls_for_test().await.expect("second");
    let asked: usize = rules[3..6].iter().map(|r| r.num_calls()).sum();
    assert_eq!(asked, 6, "one call per resource type, once in five minutes");
}

/// A rule without CloudWatch metrics says so instead of zeros; Firewall Manager's groups show
/// in evaluation order (first, the ACL's rules, last), marked, and cannot be toggled.
#[tokio::test]
async fn metrics_off_and_firewall_manager_groups_are_shown_as_they_are() {
    use waf::types::*;
    let visibility = |m: &str, on: bool| {
        VisibilityConfig::builder()
            .sampled_requests_enabled(true)
            .cloud_watch_metrics_enabled(on)
            .metric_name(m)
            .build()
            .expect("visibility")
    };
    let fms = move |name: &str, priority: i32| {
        FirewallManagerRuleGroup::builder()
            .name(name)
            .priority(priority)
            .firewall_manager_statement(
                FirewallManagerStatement::builder()
                    .managed_rule_group_statement(
                        ManagedRuleGroupStatement::builder()
                            .vendor_name("AWS")
                            .name("AWSManagedRulesCommonRuleSet")
                            .build()
                            .expect("managed"),
                    )
                    .build(),
            )
            .override_action(
                OverrideAction::builder()
                    .none(NoneAction::builder().build())
                    .build(),
            )
            .visibility_config(visibility(name, true))
            .build()
            .expect("fms group")
    };
    let list = mock!(waf::Client::list_web_acls)
        .match_requests(|r| r.scope() == Some(&Scope::Regional))
        .then_output(|| {
            waf::operation::list_web_acls::ListWebAcLsOutput::builder()
                .web_acls(
                    WebAclSummary::builder()
                        .name("org-acl")
                        .id("acl-9")
                        .lock_token("t")
                        .build(),
                )
                .build()
        });
    let none = mock!(waf::Client::list_web_acls)
        .then_output(|| waf::operation::list_web_acls::ListWebAcLsOutput::builder().build());
    let get = mock!(waf::Client::get_web_acl).then_output(move || {
        let quiet = Rule::builder()
            .name("quiet-rule")
            .priority(1)
            .action(
                RuleAction::builder()
                    .count(CountAction::builder().build())
                    .build(),
            )
            .visibility_config(visibility("quiet", false))
            .build()
            .expect("rule");
        waf::operation::get_web_acl::GetWebAclOutput::builder()
            .lock_token("t")
            .web_acl(
                WebAcl::builder()
                    .name("org-acl")
                    .id("acl-9")
                    .arn("")
                    .default_action(
                        DefaultAction::builder()
                            .allow(AllowAction::builder().build())
                            .build(),
                    )
                    .visibility_config(visibility("org", true))
                    .rules(quiet)
                    .pre_process_firewall_manager_rule_groups(fms("fms-first", 0))
                    .post_process_firewall_manager_rule_groups(fms("fms-last", 0))
                    .build()
                    .expect("acl"),
            )
            .build()
    });
    let source = waf_source(&[&list, &none, &get]);
    let acls = source.acls_for_test().await.expect("acls");
    let rules = &acls[0].rules;
    let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["fms-first", "quiet-rule", "fms-last"]);
    assert_eq!(
        rules[0].managed_by.as_deref(),
        Some("Firewall Manager, first")
    );
    assert_eq!(
        rules[2].managed_by.as_deref(),
        Some("Firewall Manager, last")
    );
    assert!(rules[1].metrics_off && !rules[0].metrics_off);
    let table = crate::view::waf::table(&crate::model::WafView {
        own_ranges: Default::default(),
        ip_sets: Default::default(),
        acls: acls.clone(),
        window_minutes: 15,
        unreadable: vec![],
    });
    let quiet = table
        .rows
        .iter()
        .find(|r| r.cells[0].text.contains("quiet-rule"))
        .expect("quiet row");
    assert_eq!(quiet.cells[2].text, "metrics off");
    let first = table
        .rows
        .iter()
        .find(|r| r.cells[0].text.contains("fms-first"))
        .expect("fms row");
    assert!(first.cells[1].text.contains("Firewall Manager, first"));
}

/// WAF samples the first 5,000 requests of the window it is given: the console asks for the
/// last three minutes and reports the window and population WAF says the sample covers.
#[tokio::test]
async fn a_sample_asks_for_the_latest_minutes_and_says_what_it_covers() {
    let rules = acl_rules();
    let latest = mock!(waf::Client::get_sampled_requests)
        .match_requests(|r| {
            let Some(w) = r.time_window() else {
                return false;
            };
            let (start, end) = (w.start_time().secs(), w.end_time().secs());
            let now = chrono::Utc::now().timestamp();
            end - start <= 180 && (now - end).abs() < 60
        })
        .then_output(|| {
            waf::operation::get_sampled_requests::GetSampledRequestsOutput::builder()
                .population_size(5000)
                .time_window(
                    waf::types::TimeWindow::builder()
                        .start_time(aws_smithy_types::DateTime::from_secs(1_800_000_000))
                        .end_time(aws_smithy_types::DateTime::from_secs(1_800_000_040))
                        .build()
                        .expect("window"),
                )
                .build()
        });
    let mut refs: Vec<&Rule> = rules.iter().take(rules.len() - 1).collect();
    refs.push(&latest);
    let source = waf_source(&refs);
    source.acls_for_test().await.expect("acls");
    let samples = source
        .sampled_requests("acl-1", "block-xmlrpc")
        .await
        .expect("a window of the latest three minutes");
    assert_eq!(samples.population, Some(5000));
    let (from, to) = samples.window.expect("window");
    assert_eq!((to - from).num_seconds(), 40, "the window WAF reports");
}

/// Route53 as AWS answers it and the emulator does not: a wildcard name comes back as `\052`,
/// and a calculated health check (no metric yet) refuses `GetHealthCheckStatus` with
/// `InvalidInput`. The record shows as `*.example.jp.`, its health unknown, and the refresh
/// stands.
#[tokio::test]
async fn a_wildcard_name_and_a_calculated_check_as_route53_answers_them() {
    use aws_sdk_cloudwatch as cw;
    use aws_sdk_route53 as r53;
    let zones = mock!(r53::Client::list_hosted_zones).then_output(|| {
        r53::operation::list_hosted_zones::ListHostedZonesOutput::builder()
            .hosted_zones(
                r53::types::HostedZone::builder()
                    .id("/hostedzone/Z1")
                    .name("example.jp.")
                    .caller_reference("r")
                    .build()
                    .expect("zone"),
            )
            .marker("")
            .is_truncated(false)
            .max_items(100)
            .build()
            .expect("zones")
    });
    let records = mock!(r53::Client::list_resource_record_sets).then_output(|| {
        r53::operation::list_resource_record_sets::ListResourceRecordSetsOutput::builder()
            .resource_record_sets(
                r53::types::ResourceRecordSet::builder()
                    .name("\\052.example.jp.")
                    .r#type(r53::types::RrType::A)
                    .ttl(60)
                    .health_check_id("hc-calculated")
                    .resource_records(
                        r53::types::ResourceRecord::builder()
                            .value("192.0.2.10")
                            .build()
                            .expect("value"),
                    )
                    .build()
                    .expect("record"),
            )
            .is_truncated(false)
            .max_items(300)
            .build()
            .expect("records")
    });
    let refused = mock!(r53::Client::get_health_check_status).then_http_response(|| {
        HttpResponse::new(
            StatusCode::try_from(400).expect("status"),
            SdkBody::from(
                r#"<?xml version="1.0"?><ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>InvalidInput</Code><Message>You can't use GetHealthCheckStatus to get the status of a calculated health check.</Message></Error><RequestId>r1</RequestId></ErrorResponse>"#,
            ),
        )
    });
    // No datapoint yet for the new check.
    let no_metric = mock!(cw::Client::get_metric_data)
        .then_output(|| cw::operation::get_metric_data::GetMetricDataOutput::builder().build());
    let rc = for_region(&base(), REGION, Default::default());
    let route53 = r53::Client::from_conf(
        r53::config::Builder::from(&rc.sdk_config)
            .interceptor(interceptor(&[&zones, &records, &refused]))
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build(),
    );
    let cloudwatch = cw::Client::from_conf(
        cw::config::Builder::from(&rc.sdk_config)
            .interceptor(interceptor(&[&no_metric]))
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build(),
    );
    let rc = rc.with_route53(route53).with_cloudwatch(cloudwatch);
    let view = super::dns::DnsSource::new(&rc)
        .fetch()
        .await
        .expect("a check Route53 will not describe fails nothing");
    let set = &view.zones[0].record_sets[0];
    assert_eq!(set.name, "*.example.jp.");
    assert_eq!(set.records[0].health, crate::model::Health::Unknown);
    assert_eq!(refused.num_calls(), 1);
}

/// In China (and GovCloud) there is no CloudFront scope: the WAF panel asks only the regional
/// places, so nothing fails for a scope that does not exist there.
#[tokio::test]
async fn outside_the_commercial_partition_no_cloudfront_scope_is_asked() {
    let regional = mock!(waf::Client::list_web_acls)
        .match_requests(|r| r.scope() == Some(&waf::types::Scope::Regional))
        .then_output(|| waf::operation::list_web_acls::ListWebAcLsOutput::builder().build());
    let cloudfront = mock!(waf::Client::list_web_acls)
        .match_requests(|r| r.scope() == Some(&waf::types::Scope::Cloudfront))
        .then_output(|| waf::operation::list_web_acls::ListWebAcLsOutput::builder().build());
    let mut rc = clients(&[&regional, &cloudfront]);
    rc.region = "cn-northwest-1".into();
    let source = WafSource::new(std::slice::from_ref(&rc), &rc, 15);
    source.acls_for_test().await.expect("acls");
    assert_eq!(regional.num_calls(), 1);
    assert_eq!(cloudfront.num_calls(), 0, "CloudFront scope asked in China");
}

/// A WAF source as a session builds it, with the `[[waf.blocklist]]` entries given.
fn waf_source_with(
    rc: &RegionClients,
    blocklists: &[crate::config::settings::Blocklist],
) -> WafSource {
    WafSource::new(std::slice::from_ref(rc), rc, 15).with_blocklists(super::ip_sets::Wanted::all(
        blocklists,
        std::slice::from_ref(rc),
        rc,
    ))
}

#[test]
fn clients_are_built_on_first_use_only() {
    let rc = for_region(&base(), REGION, Default::default());
    let copy = rc.clone();
    assert!(rc.built().is_empty(), "built at once: {:?}", rc.built());
    rc.logs();
    // Clones share what was built.
    assert_eq!(copy.built(), vec!["logs"]);
}

#[tokio::test]
async fn a_session_without_a_blocklist_builds_no_vpc_reader() {
    let rules = acl_rules();
    let rc = clients(&rules.iter().collect::<Vec<_>>());
    let source = waf_source_with(&rc, &[]);
    // The refresh may fail on CloudWatch (not mocked here); our ranges come before the counts.
    let _ = source.fetch().await;
    let _ = source.fetch().await;
    assert!(
        !rc.built().contains(&"ec2"),
        "EC2 built for our own ranges without a blocklist: {:?}",
        rc.built()
    );
    // With one, the refresh reads our own ranges (the same answers, and no IP set found).
    let no_sets = mock!(waf::Client::list_ip_sets)
        .then_output(|| waf::operation::list_ip_sets::ListIpSetsOutput::builder().build());
    let rc = clients(&rules.iter().chain([&no_sets]).collect::<Vec<_>>());
    let blocklist = crate::config::settings::Blocklist {
        web_acl: "hwi-web-acl".to_string(),
        ip_set: "blocked".to_string(),
        scope: crate::model::WafScope::Regional,
        region: None,
    };
    let source = waf_source_with(&rc, &[blocklist]);
    let _ = source.fetch().await;
    assert!(rc.built().contains(&"ec2"), "{:?}", rc.built());
}
