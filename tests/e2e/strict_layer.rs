//! The strict AWS layer itself (`support/strict.rs`), seen working: each of its newer rules
//! refuses a raw SDK call that breaks it, with AWS's code; a call it could not check is refused,
//! not passed on; and a refusal no test took fails the test that caused it.

use crate::support;

use aws_sdk_wafv2 as waf;
use support::{Moto, seed};

const SET: &str = "edge-blocked";
const DESCRIPTION: &str = "Addresses blocked by on-call";

/// An IP set with a description, as a blocklist is: (id, lock token).
async fn ip_set(client: &waf::Client) -> (String, String) {
    let created = client
        .create_ip_set()
        .name(SET)
        .scope(waf::types::Scope::Regional)
        .description(DESCRIPTION)
        .ip_address_version(waf::types::IpAddressVersion::Ipv4)
        .addresses("192.0.2.0/24")
        .send()
        .await
        .expect("CreateIPSet")
        .summary
        .expect("summary");
    (
        created.id.expect("id"),
        created.lock_token.expect("lock token"),
    )
}

/// An `UpdateIPSet` of the set, every field given unless the test leaves it out.
fn update(
    client: &waf::Client,
    id: &str,
) -> waf::operation::update_ip_set::builders::UpdateIPSetFluentBuilder {
    client
        .update_ip_set()
        .name(SET)
        .scope(waf::types::Scope::Regional)
        .id(id)
}

/// The error code an SDK call came back with.
fn code<E: std::fmt::Debug>(result: Result<impl std::fmt::Debug, E>) -> String {
    let err = format!("{:?}", result.expect_err("refused"));
    for code in [
        "WAFInvalidParameterException",
        "WAFLimitsExceededException",
        "InvalidParameterException",
        "StrictCannotCheck",
    ] {
        if err.contains(code) {
            return code.to_string();
        }
    }
    panic!("no code known here: {err}")
}

/// Every rule added to the layer with blocking and CloudWatch Logs refuses the raw call that
/// breaks it, and only that call: the same update with the rule kept is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_rule_refuses_the_call_that_breaks_it() {
    let moto = Moto::start();
    let conf = moto.sdk_config(seed::TOKYO).await;
    let client = waf::Client::new(&conf);
    let (id, token) = ip_set(&client).await;
    let full = |n: usize| -> Vec<String> {
        (0..n)
            .map(|i| format!("10.{}.{}.0/24", i / 256, i % 256))
            .collect()
    };
    let refused = [
        (
            "no lock token",
            update(&client, &id)
                .description(DESCRIPTION)
                .addresses("192.0.2.0/24")
                .send()
                .await
                .map(|_| ()),
        ),
        (
            "host bits set",
            update(&client, &id)
                .description(DESCRIPTION)
                .addresses("198.51.100.9/24")
                .lock_token(&token)
                .send()
                .await
                .map(|_| ()),
        ),
        (
            "no prefix written",
            update(&client, &id)
                .description(DESCRIPTION)
                .addresses("198.51.100.9")
                .lock_token(&token)
                .send()
                .await
                .map(|_| ()),
        ),
        (
            "more than 10,000 addresses",
            update(&client, &id)
                .description(DESCRIPTION)
                .set_addresses(Some(full(10_001)))
                .lock_token(&token)
                .send()
                .await
                .map(|_| ()),
        ),
        (
            "the description left out",
            update(&client, &id)
                .addresses("192.0.2.0/24")
                .lock_token(&token)
                .send()
                .await
                .map(|_| ()),
        ),
    ];
    let codes: Vec<(&str, String)> = refused.into_iter().map(|(why, r)| (why, code(r))).collect();
    assert_eq!(
        codes,
        [
            ("no lock token", "WAFInvalidParameterException".to_string()),
            ("host bits set", "WAFInvalidParameterException".to_string()),
            (
                "no prefix written",
                "WAFInvalidParameterException".to_string()
            ),
            (
                "more than 10,000 addresses",
                "WAFLimitsExceededException".to_string()
            ),
            (
                "the description left out",
                "WAFInvalidParameterException".to_string()
            ),
        ]
    );
    // The console's own client only for its endpoint handling (a live tail's `streaming-` host
    // prefix names no machine in front of the emulator); the calls are the SDK's, raw.
    let logs = opsconsole::source::aws::for_region(&conf, seed::TOKYO, Default::default())
        .logs()
        .clone();
    let both = logs
        .filter_log_events()
        .log_group_name("/ecs/revproxy-nginx")
        .log_group_identifier("/ecs/revproxy-nginx")
        .send()
        .await;
    assert_eq!(code(both), "InvalidParameterException");
    let by_name = logs
        .start_live_tail()
        .log_group_identifiers("/ecs/revproxy-nginx")
        .send()
        .await;
    assert_eq!(code(by_name), "InvalidParameterException");

    let taken: Vec<(String, String)> = moto
        .strict
        .take_refusals()
        .into_iter()
        .map(|r| (r.operation, r.message))
        .collect();
    let said = |i: usize| {
        taken
            .get(i)
            .map(|(op, m)| format!("{op}: {m}"))
            .unwrap_or_default()
    };
    assert_eq!(taken.len(), 7, "{taken:#?}");
    assert!(said(0).contains("field: LOCK_TOKEN"), "{}", said(0));
    assert!(
        said(1).contains("parameter: 198.51.100.9/24"),
        "{}",
        said(1)
    );
    assert!(said(2).contains("parameter: 198.51.100.9"), "{}", said(2));
    assert!(said(3).contains("(10001)"), "{}", said(3));
    assert!(
        said(4).contains("erase the set's description"),
        "{}",
        said(4)
    );
    assert!(
        said(5).starts_with("FilterLogEvents: You must include one of"),
        "{}",
        said(5)
    );
    assert!(
        said(6).starts_with("StartLiveTail: logGroupIdentifiers are ARNs"),
        "{}",
        said(6)
    );

    // Kept to, the same rules accept: a full set of exactly 10,000, the description sent back.
    update(&client, &id)
        .description(DESCRIPTION)
        .set_addresses(Some(full(10_000)))
        .lock_token(&token)
        .send()
        .await
        .expect("10,000 addresses, the description kept");
    assert_eq!(moto.strict.refusals(), []);
}

/// When the layer cannot read what it checks a call against (here: its own reads find nothing
/// listening), the call is refused as unchecked, not passed on as if it had been checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_the_layer_could_not_check_is_refused() {
    let moto = Moto::start();
    let conf = moto.sdk_config(seed::TOKYO).await;
    let client = waf::Client::new(&conf);
    let (id, token) = ip_set(&client).await;
    let instance = aws_sdk_ec2::Client::new(&conf)
        .run_instances()
        .image_id(seed::AMI)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .expect("RunInstances")
        .instances
        .unwrap_or_default()
        .into_iter()
        .find_map(|i| i.instance_id)
        .expect("an instance");
    moto.strict.cut_own_reads();
    // Whether the set has a description is unknown: the update might erase it.
    let unchecked = update(&client, &id)
        .addresses("192.0.2.0/24")
        .lock_token(&token)
        .send()
        .await;
    assert_eq!(code(unchecked), "StrictCannotCheck");
    let unchecked = aws_sdk_ec2::Client::new(&conf)
        .describe_instances()
        .instance_ids(&instance)
        .send()
        .await;
    assert!(
        format!("{:?}", unchecked.expect_err("unchecked")).contains("StrictCannotCheck"),
        "the instance might be one AWS no longer knows"
    );
    let refused: Vec<(String, String)> = moto
        .strict
        .take_refusals()
        .into_iter()
        .map(|r| (r.operation, r.code))
        .collect();
    assert_eq!(
        refused,
        [
            ("UpdateIPSet".to_string(), "StrictCannotCheck".to_string()),
            (
                "DescribeInstances".to_string(),
                "StrictCannotCheck".to_string()
            ),
        ]
    );
    // What needs no read of its own still passes: the description sent back.
    update(&client, &id)
        .description(DESCRIPTION)
        .addresses("192.0.2.0/24")
        .lock_token(&token)
        .send()
        .await
        .expect("checked without a read");
}

/// The guard every emulator test stands on: a refusal that no test took fails the test that
/// made the call, when its emulator is dropped, even if the code under test swallowed the error.
#[test]
#[should_panic(expected = "requests AWS would refuse (strict AWS layer)")]
fn a_refusal_no_test_took_fails_the_test() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let moto = Moto::start();
    rt.block_on(async {
        let client = waf::Client::new(&moto.sdk_config(seed::TOKYO).await);
        let (id, _) = ip_set(&client).await;
        // Swallowed, as code under test might: only the guard can tell.
        let _ = update(&client, &id)
            .description(DESCRIPTION)
            .addresses("192.0.2.0/24")
            .send()
            .await;
    });
    assert_eq!(moto.strict.refusals().len(), 1, "the call was refused");
}
