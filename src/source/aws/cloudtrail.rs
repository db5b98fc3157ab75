//! Who changed it: CloudTrail's record of the write calls that change what the console watches,
//! matched to the changes consoles observed.
//!
//! `LookupEvents` allows one lookup attribute besides the time range, at most 50 events a page,
//! and two requests a second per account and region; a page token is valid only with the same
//! parameters. So each watched operation is asked for by name over the same window, page after
//! page, paced. CloudTrail delivers events minutes after the call: a change observed in the last
//! minutes may not be attributable yet, and the timeline says how far CloudTrail was read.

use super::error::from_sdk;
use super::pace::Pace;
use crate::source::SourceError;
use crate::timeline::{Entry, principal};
use aws_sdk_cloudtrail as ct;
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeSet;

/// The write calls that change what the console watches.
pub const WATCHED: &[&str] = &[
    "RegisterTargets",
    "DeregisterTargets",
    "ModifyListener",
    "ModifyRule",
    "UpdateWebACL",
    "UpdateIPSet",
    "ChangeResourceRecordSets",
    "StopInstances",
    "StartInstances",
    "RebootInstances",
    "TerminateInstances",
];

/// The largest page `LookupEvents` serves.
pub const PAGE: i32 = 50;

/// How long before the read that was before a change its call may have been made: the change
/// shows only when AWS has carried it out (a deregistration starts draining at once; an
/// instance takes a while to stop).
const CALL_BEFORE_CHANGE: Duration = Duration::minutes(5);

/// One write call, as CloudTrail recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrailEvent {
    pub time: DateTime<Utc>,
    /// `DeregisterTargets`.
    pub name: String,
    /// `assumed-role/Deployer/ci-bot`.
    pub who: String,
    /// Every id and ARN the call named: its resources and the strings of its request.
    pub names: BTreeSet<String>,
}

impl TrailEvent {
    fn of(e: &ct::types::Event) -> Option<TrailEvent> {
        let time = e
            .event_time()
            .and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()))?;
        let detail: Option<serde_json::Value> = e
            .cloud_trail_event()
            .and_then(|j| serde_json::from_str(j).ok());
        let who = detail
            .as_ref()
            .and_then(|d| d.pointer("/userIdentity/arn"))
            .and_then(|a| a.as_str())
            .map(principal)
            .or_else(|| e.username().map(str::to_string))
            .unwrap_or_else(|| "unknown".to_string());
        let mut names: BTreeSet<String> = e
            .resources()
            .iter()
            .filter_map(|r| r.resource_name().map(str::to_string))
            .collect();
        if let Some(request) = detail.as_ref().and_then(|d| d.get("requestParameters")) {
            strings(request, &mut names);
        }
        Some(TrailEvent {
            time,
            name: e.event_name().unwrap_or_default().to_string(),
            who,
            names,
        })
    }

    /// Whether this call names what `entry` is about, at a time that can explain it.
    fn explains(&self, entry: &Entry) -> bool {
        let from = entry.since.unwrap_or(entry.time) - CALL_BEFORE_CHANGE;
        let id = entry.subject.id.trim_start_matches("/hostedzone/");
        self.time >= from
            && self.time <= entry.time
            && self
                .names
                .iter()
                .any(|n| n == id || n.trim_start_matches("/hostedzone/") == id)
    }
}

/// Every string in a request's parameters: ids, ARNs, names.
fn strings(v: &serde_json::Value, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::String(s) => {
            out.insert(s.clone());
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// CloudTrail in one account and region.
pub struct CloudTrail {
    client: ct::Client,
    pace: Pace,
}

impl CloudTrail {
    pub fn new(client: ct::Client) -> CloudTrail {
        // Two requests a second per account and region: the quota, never more.
        CloudTrail {
            client,
            pace: Pace::new(2, 2),
        }
    }

    /// The write calls named `names` (of [`WATCHED`]) made from `since` to `until`, oldest
    /// first.
    pub async fn write_calls(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        names: &[&str],
    ) -> Result<Vec<TrailEvent>, SourceError> {
        let mut out = Vec::new();
        let start = aws_smithy_types::DateTime::from_secs(since.timestamp());
        let end = aws_smithy_types::DateTime::from_secs(until.timestamp());
        for name in names {
            let attribute = ct::types::LookupAttribute::builder()
                .attribute_key(ct::types::LookupAttributeKey::EventName)
                .attribute_value(*name)
                .build()
                .map_err(|e| {
                    SourceError::new(
                        crate::source::ErrorKind::Other,
                        format!("CloudTrail lookup: {e}"),
                    )
                })?;
            let mut token = None;
            loop {
                self.pace.ready().await;
                let page = self
                    .client
                    .lookup_events()
                    .lookup_attributes(attribute.clone())
                    .start_time(start)
                    .end_time(end)
                    .max_results(PAGE)
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(|e| from_sdk("cloudtrail LookupEvents", e))?;
                out.extend(page.events().iter().filter_map(TrailEvent::of));
                match page.next_token() {
                    Some(t) if !t.is_empty() => token = Some(t.to_string()),
                    _ => break,
                }
            }
        }
        out.sort_by_key(|e| e.time);
        Ok(out)
    }
}

/// CloudTrail in every watched region: the AWS session's history. Route53 and CloudFront's WAF
/// record their calls in us-east-1.
pub struct Trails {
    /// Each region's clients, and its CloudTrail reader once first needed (a session that never
    /// explains a change builds no CloudTrail client).
    regions: Vec<(
        super::clients::RegionClients,
        std::sync::OnceLock<CloudTrail>,
    )>,
}

/// Where CloudTrail records a change of `region` ("global": Route53).
fn trail_region(region: &str) -> &str {
    if region == "global" {
        "us-east-1"
    } else {
        region
    }
}

impl Trails {
    pub fn new(regions: &[super::clients::RegionClients]) -> Trails {
        Trails {
            regions: regions
                .iter()
                .map(|r| (r.clone(), std::sync::OnceLock::new()))
                .collect(),
        }
    }
}

impl crate::source::History for Trails {
    fn tells_who(&self) -> bool {
        true
    }

    fn explain<'a>(
        &'a self,
        window: Duration,
        timeline: &'a mut Vec<Entry>,
    ) -> futures::future::BoxFuture<'a, Result<Option<String>, SourceError>> {
        Box::pin(async move {
            let until = Utc::now();
            let since = until - window - CALL_BEFORE_CHANGE;
            // Only what needs explaining is asked for: a snapshot with nothing observed makes
            // no call.
            let lookups = self.regions.iter().filter_map(|(clients, trail)| {
                let region = clients.region.as_str();
                let mut names: Vec<&str> = timeline
                    .iter()
                    .filter(|e| e.who.is_none() && trail_region(&e.region) == region)
                    .flat_map(|e| crate::timeline::caused_by(&e.what).iter().copied())
                    .collect();
                names.sort_unstable();
                names.dedup();
                (!names.is_empty()).then_some(async move {
                    let trail = trail.get_or_init(|| CloudTrail::new(clients.cloudtrail().clone()));
                    (region, trail.write_calls(since, until, &names).await)
                })
            });
            let answers = futures::future::join_all(lookups).await;
            let mut explained = Vec::new();
            for (region, calls) in answers {
                let calls = calls?;
                let mut here: Vec<&mut Entry> = timeline
                    .iter_mut()
                    .filter(|e| trail_region(&e.region) == region)
                    .collect();
                explained.extend(attribute(&mut here, &calls));
            }
            let late = timeline.iter().any(|e| {
                e.who.is_none()
                    && e.time > until - DELIVERY
                    && !crate::timeline::caused_by(&e.what).is_empty()
            });
            timeline.extend(explained);
            timeline.sort_by_key(|e| e.time);
            Ok(late.then(|| {
                format!(
                    "CloudTrail delivers calls about {} minutes late: a change seen after {} UTC may not say who made it yet",
                    DELIVERY.num_minutes(),
                    (until - DELIVERY).format("%H:%M")
                )
            }))
        })
    }
}

/// How late CloudTrail typically delivers an event.
const DELIVERY: Duration = Duration::minutes(5);

/// Who made the observed changes, where a call explains them: the latest call before each
/// change that names its subject. Returns the calls that explained something, once each, as
/// timeline entries of their own (source `cloudtrail`); calls on anything else are left out.
pub fn attribute(observed: &mut [&mut Entry], calls: &[TrailEvent]) -> Vec<Entry> {
    let mut explained = Vec::new();
    let mut seen: Vec<&TrailEvent> = Vec::new();
    for entry in observed.iter_mut().filter(|e| e.who.is_none()) {
        let Some(call) = calls.iter().rev().find(|c| {
            c.explains(entry) && crate::timeline::caused_by(&entry.what).contains(&c.name.as_str())
        }) else {
            continue;
        };
        entry.who = Some(format!(
            "{} ({} at {})",
            call.who,
            call.name,
            call.time.format("%H:%M:%S")
        ));
        if seen.contains(&call) {
            continue;
        }
        seen.push(call);
        explained.push(Entry {
            time: call.time,
            since: None,
            what: call.name.clone(),
            before: None,
            after: None,
            who: Some(call.who.clone()),
            source: crate::timeline::Origin::Cloudtrail,
            ..(**entry).clone()
        });
    }
    explained
}

#[cfg(test)]
mod tests {
    //! `LookupEvents` answers replayed as AWS sends them (the emulator has no CloudTrail
    //! lookup): an attributed deregistration, an unrelated resource's event, a second page.
    use super::*;
    use crate::model::PanelId;
    use crate::timeline::{Origin, Subject};
    use aws_smithy_mocks::{MockResponseInterceptor, RuleMode, mock};

    const TG: &str = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/ha-web-tg/73e2d6bc24d8a067";

    fn at(hms: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2026-12-04T{hms}Z"))
            .expect("time")
            .with_timezone(&Utc)
    }

    fn event(time: &str, name: &str, arn: &str, request: serde_json::Value) -> ct::types::Event {
        let detail = serde_json::json!({
            "eventVersion": "1.08",
            "userIdentity": {"type": "AssumedRole", "arn": arn},
            "eventTime": format!("2026-12-04T{time}Z"),
            "eventName": name,
            "requestParameters": request,
        });
        ct::types::Event::builder()
            .event_id(format!("id-{time}"))
            .event_name(name)
            .event_time(aws_smithy_types::DateTime::from_secs(at(time).timestamp()))
            .username("ci-bot")
            .cloud_trail_event(detail.to_string())
            .build()
    }

    fn drained(target: &str) -> serde_json::Value {
        serde_json::json!({"targetGroupArn": TG, "targets": [{"id": target, "port": 80}]})
    }

    fn observed(id: &str, since: &str, time: &str) -> Entry {
        Entry {
            time: at(time),
            since: Some(at(since)),
            account: Some("123456789012".into()),
            region: "ap-northeast-1".into(),
            subject: Subject {
                name: "ha-web-right".into(),
                id: id.into(),
            },
            what: "target state in ha-web-tg".into(),
            before: Some("healthy".into()),
            after: Some("draining (Target.DeregistrationInProgress)".into()),
            who: None,
            source: Origin::Observed,
            panel: PanelId::Targets,
            row: None,
        }
    }

    fn client(rules: &[&aws_smithy_mocks::Rule]) -> ct::Client {
        let interceptor = rules.iter().fold(
            MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
            |i, r| i.with_rule(r),
        );
        let config = ct::Config::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("ap-northeast-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                "test", "test", None, None, "mock",
            ))
            .http_client(aws_smithy_mocks::create_mock_http_client())
            .interceptor(interceptor)
            .build();
        ct::Client::from_conf(config)
    }

    /// A session's history asks only for the calls that can explain what was observed without
    /// a who, in the region it was observed in; a window with nothing to explain costs no call.
    #[tokio::test]
    async fn a_snapshot_asks_only_for_the_calls_that_can_explain_what_was_seen() {
        use crate::source::History;
        let now = Utc::now();
        let call_at = now - Duration::seconds(40);
        let call_time = call_at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let deregistrations = mock!(ct::Client::lookup_events)
            .match_requests(|r| {
                allowed(r)
                    && r.lookup_attributes()
                        .first()
                        .is_some_and(|a| a.attribute_value() == "DeregisterTargets")
            })
            .then_output(move || {
                let mut e = event(
                    "00:00:00",
                    "DeregisterTargets",
                    "arn:aws:sts::123456789012:assumed-role/Deployer/ci-bot",
                    drained("i-0aaf0f7f"),
                );
                e = ct::types::Event::builder()
                    .event_name("DeregisterTargets")
                    .event_time(aws_smithy_types::DateTime::from_secs(call_at.timestamp()))
                    .set_cloud_trail_event(
                        e.cloud_trail_event()
                            .map(|j| j.replace("2026-12-04T00:00:00Z", &call_time)),
                    )
                    .build();
                ct::operation::lookup_events::LookupEventsOutput::builder()
                    .events(e)
                    .build()
            });
        let anything_else = mock!(ct::Client::lookup_events)
            .match_requests(|r| {
                r.lookup_attributes()
                    .first()
                    .is_none_or(|a| a.attribute_value() != "DeregisterTargets")
            })
            .then_output(|| ct::operation::lookup_events::LookupEventsOutput::builder().build());
        let base = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let clients =
            super::super::clients::for_region(&base, "ap-northeast-1", Default::default())
                .with_cloudtrail(client(&[&deregistrations, &anything_else]));
        let trails = Trails::new(&[clients]);

        // A health check flipping is nobody's call: nothing is asked.
        let mut health = observed("i-0aaf0f7f", "00:00:00", "00:00:15");
        health.what = "health check".into();
        let mut timeline = vec![health];
        trails
            .explain(Duration::minutes(15), &mut timeline)
            .await
            .expect("explain");
        assert_eq!(deregistrations.num_calls() + anything_else.num_calls(), 0);

        let mut drained_entry = observed("i-0aaf0f7f", "00:00:00", "00:00:15");
        drained_entry.since = Some(now - Duration::seconds(60));
        drained_entry.time = now - Duration::seconds(30);
        let mut timeline = vec![drained_entry];
        let note = trails
            .explain(Duration::minutes(15), &mut timeline)
            .await
            .expect("explain");
        assert_eq!(deregistrations.num_calls(), 1);
        assert_eq!(
            anything_else.num_calls(),
            1,
            "only RegisterTargets and DeregisterTargets explain a target's state"
        );
        assert_eq!(
            timeline[0].who.as_deref().map(|w| w.contains("ci-bot")),
            Some(true),
            "{timeline:#?}"
        );
        assert_eq!(timeline.len(), 2, "the call is in the timeline too");
        assert!(
            note.is_none(),
            "explained: nothing is said to be late ({note:?})"
        );
    }

    /// A client whose `LookupEvents` answers from the rules, which also check what AWS would
    /// refuse: one lookup attribute, pages of at most 50, a token only with the same window.
    fn trail(rules: &[&aws_smithy_mocks::Rule]) -> CloudTrail {
        CloudTrail::new(client(rules))
    }

    fn allowed(req: &ct::operation::lookup_events::LookupEventsInput) -> bool {
        req.lookup_attributes().len() == 1
            && req.max_results().is_some_and(|m| (1..=PAGE).contains(&m))
            && req.start_time().is_some()
            && req.end_time().is_some()
            && req.start_time() <= req.end_time()
    }

    #[tokio::test]
    async fn a_deregistration_is_attributed_and_unrelated_calls_are_left_out() {
        let name_is = |n: &'static str| {
            move |r: &ct::operation::lookup_events::LookupEventsInput| {
                allowed(r)
                    && r.lookup_attributes()
                        .first()
                        .is_some_and(|a| a.attribute_value() == n)
            }
        };
        let first_page = mock!(ct::Client::lookup_events)
            .match_requests(move |r| name_is("DeregisterTargets")(r) && r.next_token().is_none())
            .then_output(|| {
                ct::operation::lookup_events::LookupEventsOutput::builder()
                    .events(event(
                        "04:12:40",
                        "DeregisterTargets",
                        "arn:aws:sts::123456789012:assumed-role/Deployer/other-job",
                        drained("i-0unrelated"),
                    ))
                    .next_token("page-2")
                    .build()
            });
        let second_page = mock!(ct::Client::lookup_events)
            .match_requests(move |r| {
                // A token is valid only with the parameters of the page that gave it.
                let same_window = r.start_time()
                    == Some(&aws_smithy_types::DateTime::from_secs(
                        at("04:00:00").timestamp(),
                    ))
                    && r.end_time()
                        == Some(&aws_smithy_types::DateTime::from_secs(
                            at("04:20:00").timestamp(),
                        ));
                name_is("DeregisterTargets")(r) && r.next_token() == Some("page-2") && same_window
            })
            .then_output(|| {
                ct::operation::lookup_events::LookupEventsOutput::builder()
                    .events(event(
                        "04:12:58",
                        "DeregisterTargets",
                        "arn:aws:sts::123456789012:assumed-role/Deployer/ci-bot",
                        drained("i-0aaf0f7f"),
                    ))
                    .build()
            });
        let others = mock!(ct::Client::lookup_events)
            .match_requests(|r| {
                allowed(r)
                    && r.lookup_attributes()
                        .first()
                        .is_some_and(|a| a.attribute_value() != "DeregisterTargets")
            })
            .then_output(|| ct::operation::lookup_events::LookupEventsOutput::builder().build());
        let ct = trail(&[&first_page, &second_page, &others]);
        let calls = ct
            .write_calls(at("04:00:00"), at("04:20:00"), WATCHED)
            .await
            .expect("lookup");
        assert_eq!(first_page.num_calls(), 1);
        assert_eq!(second_page.num_calls(), 1, "the second page was not read");
        assert_eq!(others.num_calls(), WATCHED.len() - 1);
        assert_eq!(calls.len(), 2);

        let mut seen = [observed("i-0aaf0f7f", "04:12:45", "04:13:00")];
        let explained = attribute(&mut seen.iter_mut().collect::<Vec<_>>(), &calls);
        assert_eq!(
            seen[0].who.as_deref(),
            Some("assumed-role/Deployer/ci-bot (DeregisterTargets at 04:12:58)")
        );
        assert_eq!(explained.len(), 1, "{explained:#?}");
        assert_eq!(explained[0].source, Origin::Cloudtrail);
        assert_eq!(explained[0].time, at("04:12:58"));
        assert_eq!(explained[0].subject.id, "i-0aaf0f7f");

        // A change seen long after the call, or on another target, is not explained by it.
        let mut later = [
            observed("i-0aaf0f7f", "05:00:00", "05:00:15"),
            observed("i-0nobody", "04:12:45", "04:13:00"),
        ];
        assert!(attribute(&mut later.iter_mut().collect::<Vec<_>>(), &calls).is_empty());
        assert!(later.iter().all(|e| e.who.is_none()));
    }

    #[tokio::test]
    async fn a_refused_lookup_is_an_error_not_an_empty_history() {
        let denied = mock!(ct::Client::lookup_events).then_error(|| {
            ct::operation::lookup_events::LookupEventsError::OperationNotPermittedException(
                ct::types::error::OperationNotPermittedException::builder()
                    .message("not permitted")
                    .build(),
            )
        });
        let ct = trail(&[&denied]);
        let e = ct
            .write_calls(at("04:00:00"), at("04:20:00"), WATCHED)
            .await
            .expect_err("refused");
        assert!(e.message.contains("LookupEvents"), "{e:?}");
    }
}
