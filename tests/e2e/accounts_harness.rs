//! The emulator side of many accounts, seen working before the console relies on it: roles
//! assumed through the strict layer reach estates of their own in moto; the layer's AssumeRole
//! and ListAccounts rules refuse what STS and Organizations refuse and let the rest through; a
//! role can be refused as an untrusting role is; a shortened session is refused once it ends;
//! and every call is counted in the account it acted in.

use crate::support;

use aws_sdk_ec2 as ec2;
use aws_sdk_elasticloadbalancingv2 as elb;
use aws_sdk_route53 as route53;
use aws_sdk_sts as sts;
use aws_sdk_sts::error::ProvideErrorMetadata;
use aws_sdk_wafv2 as waf;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use std::time::{Duration, SystemTime};
use support::{Moto, seed};

const ALPHA: &str = "222222222222";
const BETA: &str = "333333333333";
const LOCKED: &str = "444444444444";

/// (HTTP status, error code, message) of a refused SDK call.
fn refused<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, SdkError<E, HttpResponse>>,
) -> (u16, String, String) {
    let err = result.expect_err("refused");
    let status = err.raw_response().map_or(0, |r| r.status().as_u16());
    (
        status,
        err.code().unwrap_or_default().to_string(),
        err.message().unwrap_or_default().to_string(),
    )
}

/// Load balancer names `DescribeLoadBalancers` shows in Tokyo to `conf`'s account.
async fn load_balancers(conf: &aws_config::SdkConfig) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = elb::Client::new(conf)
        .describe_load_balancers()
        .send()
        .await
        .expect("DescribeLoadBalancers")
        .load_balancers
        .unwrap_or_default()
        .into_iter()
        .map(|l| {
            (
                l.load_balancer_name.unwrap_or_default(),
                l.load_balancer_arn.unwrap_or_default(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Two accounts seeded through assumed roles hold separate estates: each lists only its own
/// load balancers, the base account none; and each call is counted in the account it acted in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assumed_roles_reach_separate_estates() {
    let moto = Moto::start();
    let alpha = moto.account(ALPHA).await;
    let beta = moto.account(BETA).await;
    assert_eq!(
        (alpha.account_id.as_str(), beta.account_id.as_str()),
        (ALPHA, BETA)
    );
    assert_eq!(moto.strict.account_of_key(alpha.access_key_id()), ALPHA);
    assert_eq!(moto.strict.account_of_key("testing"), seed::ACCOUNT);

    let estate = seed::seed_scenarios_in(&moto, &alpha).await;
    let lone = seed::seed_lone_alb(&moto, &beta.credentials, "beta-alb", 2).await;

    let in_alpha = load_balancers(&moto.sdk_config_in(&alpha, seed::TOKYO).await).await;
    let seeded: Vec<String> = estate
        .load_balancers_in(seed::TOKYO)
        .iter()
        .map(|l| l.name.clone())
        .collect();
    let mut names: Vec<String> = in_alpha.iter().map(|(n, _)| n.clone()).collect();
    names.sort();
    let mut expected = seeded.clone();
    expected.sort();
    assert_eq!(names, expected, "alpha lists its own estate only");
    assert!(
        in_alpha
            .iter()
            .all(|(_, arn)| arn.contains(&format!(":{ALPHA}:"))),
        "alpha's ARNs name alpha: {in_alpha:?}"
    );

    let in_beta = load_balancers(&moto.sdk_config_in(&beta, seed::TOKYO).await).await;
    assert_eq!(
        in_beta,
        vec![("beta-alb".to_string(), lone.load_balancer_arn.clone())],
        "beta lists its lone ALB only"
    );
    assert!(lone.load_balancer_arn.contains(&format!(":{BETA}:")));
    let in_base = load_balancers(&moto.sdk_config(seed::TOKYO).await).await;
    assert!(
        in_base.is_empty(),
        "the base account holds nothing: {in_base:?}"
    );

    // A drain in beta leaves alpha's targets alone, and is counted in beta only.
    let beta_elb = elb::Client::new(&moto.sdk_config_in(&beta, seed::TOKYO).await);
    beta_elb
        .deregister_targets()
        .target_group_arn(&lone.target_group_arn)
        .targets(
            elb::types::TargetDescription::builder()
                .id(&lone.instances[0])
                .port(80)
                .build(),
        )
        .send()
        .await
        .expect("DeregisterTargets in beta");
    assert_eq!(moto.strict.calls_in("DeregisterTargets", BETA), 1);
    assert_eq!(moto.strict.calls_in("DeregisterTargets", ALPHA), 0);
    assert_eq!(moto.strict.calls_in("DeregisterTargets", seed::ACCOUNT), 0);
    assert_eq!(moto.strict.accounts_of("DeregisterTargets"), vec![BETA]);
    assert_eq!(moto.strict.calls_in("CreateLoadBalancer", BETA), 1);
    assert_eq!(
        moto.strict.calls_in("CreateLoadBalancer", ALPHA),
        estate.load_balancers.len()
    );
    assert_eq!(moto.strict.calls_in("CreateLoadBalancer", seed::ACCOUNT), 0);
    // The harness's AssumeRole calls are made with the base keys, into its own role.
    assert_eq!(moto.strict.calls_in("AssumeRole", seed::ACCOUNT), 2);
    assert_eq!(moto.strict.assume_role_calls(&alpha.role_arn), 1);
    assert_eq!(moto.strict.assume_role_calls(&beta.role_arn), 1);

    let group = estate.target_group("mt-web-tg");
    let alpha_health = elb::Client::new(&moto.sdk_config_in(&alpha, seed::TOKYO).await)
        .describe_target_health()
        .target_group_arn(&group.arn)
        .send()
        .await
        .expect("DescribeTargetHealth in alpha");
    assert_eq!(
        alpha_health.target_health_descriptions().len(),
        group.targets.len(),
        "alpha's group kept its targets"
    );
    let beta_health = beta_elb
        .describe_target_health()
        .target_group_arn(&lone.target_group_arn)
        .send()
        .await
        .expect("DescribeTargetHealth in beta");
    let left: Vec<&str> = beta_health
        .target_health_descriptions()
        .iter()
        .filter_map(|d| d.target().and_then(|t| t.id()))
        .collect();
    assert_eq!(left, vec![lone.instances[1].as_str()]);
}

/// An AssumeRole built by hand, every field given unless a case leaves it out.
fn assume(client: &sts::Client) -> sts::operation::assume_role::builders::AssumeRoleFluentBuilder {
    client
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ALPHA}:role/opsconsole"))
        .role_session_name("opsconsole")
}

/// Each AssumeRole rule refuses the call that breaks it with STS's `ValidationError` (400),
/// and the same call within the rule is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assume_role_rules_refuse_what_sts_refuses() {
    let moto = Moto::start();
    let client = sts::Client::new(&moto.sdk_config(seed::VIRGINIA).await);
    let long_id = "x".repeat(1225);
    let cases = [
        (
            "no session name",
            client
                .assume_role()
                .role_arn(format!("arn:aws:iam::{ALPHA}:role/opsconsole"))
                .send()
                .await,
            "Value null at 'roleSessionName'",
        ),
        (
            "no role",
            client
                .assume_role()
                .role_session_name("opsconsole")
                .send()
                .await,
            "Value null at 'roleArn'",
        ),
        (
            "session name of one character",
            assume(&client).role_session_name("o").send().await,
            "greater than or equal to 2",
        ),
        (
            "session name of 65 characters",
            assume(&client)
                .role_session_name("s".repeat(65))
                .send()
                .await,
            "less than or equal to 64",
        ),
        (
            "a space in the session name",
            assume(&client)
                .role_session_name("ops console")
                .send()
                .await,
            "regular expression pattern",
        ),
        (
            "a role ARN of 19 characters",
            assume(&client).role_arn("arn:aws:iam::1:role").send().await,
            "at 'roleArn'",
        ),
        (
            "899 seconds",
            assume(&client).duration_seconds(899).send().await,
            "greater than or equal to 900",
        ),
        (
            "43201 seconds",
            assume(&client).duration_seconds(43201).send().await,
            "less than or equal to 43200",
        ),
        (
            "an external id of one character",
            assume(&client).external_id("e").send().await,
            "at 'externalId'",
        ),
        (
            "an external id of 1225 characters",
            assume(&client).external_id(&long_id).send().await,
            "less than or equal to 1224",
        ),
        (
            "a # in the external id",
            assume(&client).external_id("team#1").send().await,
            "regular expression pattern",
        ),
    ];
    let count = cases.len();
    for (case, result, says) in cases {
        let (status, code, message) = refused(result);
        assert_eq!(
            (status, code.as_str()),
            (400, "ValidationError"),
            "{case}: {message}"
        );
        assert!(message.contains(says), "{case}: {message}");
    }
    let refusals = moto.strict.take_refusals();
    assert_eq!(refusals.len(), count, "{refusals:#?}");
    assert!(refusals.iter().all(|r| r.operation == "AssumeRole"));

    // At the bounds, and with every character the patterns allow, the call is answered.
    for (session, duration, external) in [
        ("op", 900, "ab".to_string()),
        ("opsconsole+=,.@-_0", 43200, "team_1+=,.@:/-".to_string()),
        (&*"s".repeat(64), 3600, "e".repeat(1224)),
    ] {
        let answer = assume(&client)
            .role_session_name(session)
            .duration_seconds(duration)
            .external_id(external)
            .send()
            .await
            .unwrap_or_else(|e| panic!("AssumeRole as {session}: {e:?}"));
        assert!(answer.credentials.is_some());
    }
    assert!(moto.strict.take_refusals().is_empty());
    assert_eq!(
        moto.strict
            .assume_role_calls(&format!("arn:aws:iam::{ALPHA}:role/opsconsole")),
        count - 2 + 3,
        "every call into the role counted, refused or not (one case asked no role, one another)"
    );
}

/// The `ListAccounts` answer's accounts: (id, state).
fn accounts(page: &serde_json::Value) -> Vec<(String, String)> {
    page["Accounts"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|a| {
            (
                a["Id"].as_str().unwrap_or_default().to_string(),
                a["State"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Every page of a listing from its start, `max` a page: (accounts, pages asked).
fn list_all(moto: &Moto, max: i64) -> (Vec<(String, String)>, usize) {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut question = serde_json::json!({ "MaxResults": max });
        if let Some(t) = &token {
            question["NextToken"] = serde_json::json!(t);
        }
        let page = moto
            .organizations("ListAccounts", &question)
            .unwrap_or_else(|e| panic!("ListAccounts: {e:?}"));
        pages += 1;
        all.extend(accounts(&page));
        match page["NextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => return (all, pages),
        }
        assert!(pages < 100, "a listing that does not end");
    }
}

/// An organization lists its ACTIVE members and its closed one SUSPENDED; `MaxResults` out of
/// 1–20 and a token no answer gave are refused with Organizations' `InvalidInputException` and
/// its reason; and pages capped by the layer, one of them empty, still list every account
/// once the caller follows every `NextToken` (and show which listing was left unfinished).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_accounts_rules_and_short_pages() {
    let moto = Moto::start();
    let org = moto.seed_organization(3, 1);
    assert_eq!(org.active.len(), 3);
    let (all, pages) = list_all(&moto, 20);
    assert_eq!(pages, 1);
    let active: Vec<String> = all
        .iter()
        .filter(|(_, state)| state == "ACTIVE")
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(active, org.active_ids());
    let suspended: Vec<&(String, String)> =
        all.iter().filter(|(_, state)| state != "ACTIVE").collect();
    assert_eq!(
        suspended,
        vec![&(org.suspended[0].id.clone(), "SUSPENDED".to_string())]
    );

    for (question, reason) in [
        (
            serde_json::json!({ "MaxResults": 21 }),
            "MAX_VALUE_EXCEEDED",
        ),
        (serde_json::json!({ "MaxResults": 0 }), "MIN_VALUE_EXCEEDED"),
        (
            serde_json::json!({ "NextToken": "made-up" }),
            "INVALID_NEXT_TOKEN",
        ),
    ] {
        let (status, code, body) = moto
            .organizations("ListAccounts", &question)
            .expect_err("refused");
        assert_eq!(
            (status, code.as_str()),
            (400, "InvalidInputException"),
            "{body}"
        );
        let body: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(body["Reason"], reason, "{question}");
    }
    let refusals = moto.strict.take_refusals();
    assert_eq!(refusals.len(), 3, "{refusals:#?}");

    // Capped pages: two at most, the second empty; the whole list only by following tokens.
    moto.strict.page_accounts(2);
    let first = moto
        .organizations("ListAccounts", &serde_json::json!({ "MaxResults": 20 }))
        .expect("first page");
    assert_eq!(accounts(&first).len(), 2);
    let token = first["NextToken"]
        .as_str()
        .expect("a NextToken")
        .to_string();
    assert_eq!(moto.strict.unfollowed_account_pages(), vec![token.clone()]);
    let second = moto
        .organizations(
            "ListAccounts",
            &serde_json::json!({ "MaxResults": 20, "NextToken": token }),
        )
        .expect("second page");
    assert!(accounts(&second).is_empty(), "{second}");
    assert!(second["NextToken"].is_string(), "an empty page carries on");
    let (paged, pages) = list_all(&moto, 20);
    assert_eq!(
        paged, all,
        "every account, in order, once every token is followed"
    );
    assert_eq!(pages, 4, "2 + none + 2 + 1 accounts");
    // The listing started by hand stopped at its second page.
    assert_eq!(moto.strict.unfollowed_account_pages().len(), 1);
    assert!(moto.strict.take_refusals().is_empty());
}

/// A role the layer refuses answers `AccessDenied` (403) naming the caller and the role, as
/// STS refuses a caller the trust policy does not name; other roles are still answered, and
/// the refused calls are counted (arranged, not a broken rule).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_role_answers_access_denied() {
    let moto = Moto::start();
    let locked = format!("arn:aws:iam::{LOCKED}:role/opsconsole");
    moto.strict.refuse_assume_role(&locked);
    let client = sts::Client::new(&moto.sdk_config(seed::VIRGINIA).await);
    let (status, code, message) = refused(
        client
            .assume_role()
            .role_arn(&locked)
            .role_session_name("opsconsole")
            .send()
            .await,
    );
    assert_eq!((status, code.as_str()), (403, "AccessDenied"), "{message}");
    assert_eq!(
        message,
        format!(
            "User: arn:aws:iam::{}:user/testing is not authorized to perform: sts:AssumeRole on resource: {locked}",
            seed::ACCOUNT
        )
    );
    let open = moto
        .assume_role(&format!("arn:aws:iam::{BETA}:role/opsconsole"))
        .await;
    assert_eq!(open.account_id, BETA);
    assert_eq!(moto.strict.assume_role_calls(&locked), 1);
    assert!(moto.strict.refusals().is_empty());

    moto.strict.allow_assume_role(&locked);
    assert_eq!(moto.assume_role(&locked).await.account_id, LOCKED);
}

/// Waits until `until` has passed (by a second, for the layer's second-precision expiry).
async fn wait_past(until: SystemTime) {
    let deadline = until + Duration::from_secs(1);
    while SystemTime::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A shortened session works until its `Expiration`, which says when it ends; after that
/// every call signed with its key is refused as each protocol refuses an expired session, and
/// counted in its account; a new session works again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shortened_session_is_refused_once_it_ends() {
    let moto = Moto::start();
    let seeder = moto.account(ALPHA).await;
    seed::seed_lone_alb(&moto, &seeder.credentials, "alpha-alb", 1).await;
    // Long enough that the calls meant to succeed do so on a loaded machine.
    let length = Duration::from_secs(15);
    moto.strict.shorten_sessions(length);
    let asked = SystemTime::now();
    let session = moto
        .assume_role(&format!("arn:aws:iam::{ALPHA}:role/opsconsole"))
        .await;
    let answered = SystemTime::now();
    // `Expiration` is given in whole seconds, from when the answer was made: somewhere
    // between the question and the reply, less up to a second.
    let earliest = asked + length - Duration::from_secs(1);
    let latest = answered + length;
    assert!(
        session.expires >= earliest && session.expires <= latest,
        "Expiration {:?} not within {length:?} of the call ({asked:?} .. {answered:?})",
        session.expires
    );
    // The credentials without their expiry, so the SDK sends them however late it is.
    let c = &session.credentials;
    let keys = aws_credential_types::Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        c.session_token().map(str::to_string),
        None,
        "expiring",
    );
    let tokyo = moto.sdk_config_with(seed::TOKYO, keys.clone()).await;
    assert_eq!(load_balancers(&tokyo).await.len(), 1, "alive until it ends");
    assert!(moto.strict.expired_calls().is_empty());

    wait_past(session.expires).await;
    let virginia = moto.sdk_config_with(seed::VIRGINIA, keys).await;
    let expired = "The security token included in the request is expired";
    let (status, code, message) = refused(
        elb::Client::new(&tokyo)
            .describe_load_balancers()
            .send()
            .await,
    );
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (403, "ExpiredToken", expired)
    );
    let (status, code, message) = refused(
        sts::Client::new(&virginia)
            .get_caller_identity()
            .send()
            .await,
    );
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (403, "ExpiredToken", expired)
    );
    let (status, code, message) = refused(
        route53::Client::new(&virginia)
            .list_hosted_zones()
            .send()
            .await,
    );
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (403, "ExpiredToken", expired)
    );
    let (status, code, message) = refused(
        waf::Client::new(&tokyo)
            .list_web_acls()
            .scope(waf::types::Scope::Regional)
            .send()
            .await,
    );
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (400, "ExpiredTokenException", expired)
    );
    let (status, code, _) = refused(ec2::Client::new(&tokyo).describe_instances().send().await);
    assert_eq!((status, code.as_str()), (400, "RequestExpired"));

    let calls = moto.strict.expired_calls();
    for op in [
        "DescribeLoadBalancers",
        "GetCallerIdentity",
        "ListWebACLs",
        "DescribeInstances",
    ] {
        assert!(
            calls.contains(&(op.to_string(), ALPHA.to_string())),
            "{op} refused as expired in {ALPHA}: {calls:?}"
        );
    }
    assert!(
        calls.iter().all(|(_, account)| account == ALPHA),
        "{calls:?}"
    );
    assert!(
        moto.strict.refusals().is_empty(),
        "arranged, not broken rules"
    );

    // A new session of the same role is answered, and works while it lasts.
    let renewed = moto
        .assume_role(&format!("arn:aws:iam::{ALPHA}:role/opsconsole"))
        .await;
    let fresh = moto.sdk_config_in(&renewed, seed::TOKYO).await;
    assert_eq!(load_balancers(&fresh).await.len(), 1);
    assert_eq!(
        moto.strict
            .assume_role_calls(&format!("arn:aws:iam::{ALPHA}:role/opsconsole")),
        2
    );
}
