//! CloudWatch Logs groups followed against the emulator (moto), through the real SDK: lines
//! written while the console runs appear once and in time order across streams, the stream
//! prefix holds, a hostile line is neutralised, throttling is waited out without a repeated or
//! lost line, a deleted group is an error of that source only, a live tail's answers (moto's
//! `StartLiveTail` event stream) show each line once, and a snapshot shows the lines.

use crate::support;

use aws_sdk_cloudwatchlogs as cwl;
use opsconsole::config::{FollowMode, LogSourceConfig};
use opsconsole::model::LogEntry;
use opsconsole::source::aws;
use opsconsole::source::aws::tasks::TaskTarget;
use opsconsole::source::{LogBatch, LogSource, Session};
use std::sync::Arc;
use std::time::Duration;
use support::faults::{Fault, FaultPlan, FaultProxy};
use support::{Moto, console_options, seed};
use tokio::sync::mpsc;

const GROUP: &str = "/ecs/revproxy-nginx";

async fn client(endpoint_moto: &Moto) -> cwl::Client {
    cwl::Client::new(&endpoint_moto.sdk_config(seed::TOKYO).await)
}

async fn group_with_streams(c: &cwl::Client, streams: &[&str]) {
    c.create_log_group()
        .log_group_name(GROUP)
        .send()
        .await
        .expect("CreateLogGroup");
    for s in streams {
        c.create_log_stream()
            .log_group_name(GROUP)
            .log_stream_name(*s)
            .send()
            .await
            .expect("CreateLogStream");
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

async fn put(c: &cwl::Client, stream: &str, lines: &[(i64, &str)]) {
    let mut req = c
        .put_log_events()
        .log_group_name(GROUP)
        .log_stream_name(stream);
    for (t, m) in lines {
        req = req.log_events(
            cwl::types::InputLogEvent::builder()
                .timestamp(*t)
                .message(*m)
                .build()
                .expect("event"),
        );
    }
    req.send().await.expect("PutLogEvents");
}

async fn session(endpoint: &str, follow: Option<FollowMode>) -> Session {
    aws::connect(&aws::AwsOptions {
        regions: vec![seed::TOKYO.to_string()],
        log_groups: vec![LogSourceConfig {
            name: "nginx".into(),
            log_group: Some(GROUP.into()),
            stream_prefix: Some("nginx/".into()),
            follow,
            ..Default::default()
        }],
        ..console_options(endpoint, true)
    })
    .await
    .expect("connect")
}

/// Lines received from `source` until `done` holds of them (or the time is up).
async fn collect(
    source: Arc<dyn LogSource>,
    done: impl Fn(&[String]) -> bool,
    during: impl std::future::Future<Output = ()>,
) -> (Vec<String>, Vec<LogBatch>) {
    let (tx, mut rx) = mpsc::channel(64);
    let tail = tokio::spawn(source.tail(50, tx));
    let mut lines = Vec::new();
    let mut batches = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    tokio::pin!(during);
    let mut during_done = false;
    while !done(&lines) && tokio::time::Instant::now() < deadline {
        tokio::select! {
            _ = &mut during, if !during_done => during_done = true,
            got = tokio::time::timeout(Duration::from_millis(500), rx.recv()) => {
                if let Ok(Some(b)) = got {
                    lines.extend(b.entries.iter().filter_map(|e| match e {
                        LogEntry::Line { text, .. } | LogEntry::Piece { text, .. } => {
                            Some(text.clone())
                        }
                        LogEntry::Gap { .. } => None,
                    }));
                    batches.push(b);
                }
            }
        }
    }
    tail.abort();
    (lines, batches)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_appear_once_in_time_order_across_streams() {
    let moto = Moto::start();
    let c = client(&moto).await;
    let streams = [
        "nginx/nginx/task-a",
        "nginx/nginx/task-b",
        "sidecar/envoy/task-a",
    ];
    group_with_streams(&c, &streams).await;
    let t0 = now_ms() - 60_000;
    put(&c, streams[0], &[(t0, "backlog 1"), (t0 + 2, "backlog 3")]).await;
    put(&c, streams[1], &[(t0 + 1, "backlog 2")]).await;
    put(&c, streams[2], &[(t0 + 1, "envoy: not this stream")]).await;
    let session = session(&moto.endpoint, None).await;
    let source = session.sources.logs[0].clone();
    assert_eq!(source.name(), "nginx");
    let writer = async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let t = now_ms();
        put(&c, streams[1], &[(t, "live 1"), (t + 2, "live 3")]).await;
        put(&c, streams[0], &[(t + 1, "live 2")]).await;
        // A hostile line: a title, a clear screen and a clipboard write.
        put(
            &c,
            streams[0],
            &[(
                t + 3,
                "\u{1b}]0;owned\u{7}\u{1b}[2J\u{1b}]52;c;cHduZWQ=\u{7}GET /",
            )],
        )
        .await;
    };
    let (lines, _) = collect(source, |l| l.len() >= 7, writer).await;
    assert_eq!(
        &lines[..6],
        [
            "backlog 1",
            "backlog 2",
            "backlog 3",
            "live 1",
            "live 2",
            "live 3"
        ],
        "once each, in time order across the streams: {lines:?}"
    );
    let hostile = &lines[6];
    assert!(
        !hostile.contains('\u{1b}') && !hostile.contains('\u{7}') && hostile.ends_with("GET /"),
        "{hostile:?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("envoy")),
        "stream prefix: {lines:?}"
    );
    // Counted for `S` and --stats.
    let calls = session
        .stats
        .as_ref()
        .expect("stats")
        .report()
        .calls_to("FilterLogEvents");
    assert!(calls >= 2, "{calls}");
    support::assert_in_the_iam_policy(&session);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_is_waited_out_without_repeats_or_loss() {
    let moto = Moto::start();
    let c = client(&moto).await;
    group_with_streams(&c, &["nginx/nginx/task-a"]).await;
    // Every FilterLogEvents fails for a while: two reads, each with the SDK's three attempts.
    let proxy = FaultProxy::start(
        moto.endpoint.trim_start_matches("http://"),
        FaultPlan {
            limit: Some(6),
            ..FaultPlan::always(Fault::Throttle, "FilterLogEvents")
        },
        7,
    );
    let session = session(&proxy.endpoint, None).await;
    let source = session.sources.logs[0].clone();
    let writer = async {
        for i in 0..5 {
            put(
                &c,
                "nginx/nginx/task-a",
                &[(now_ms(), &format!("line {i}"))],
            )
            .await;
            tokio::time::sleep(Duration::from_millis(700)).await;
        }
    };
    let (lines, batches) = collect(source, |l| l.len() >= 5, writer).await;
    assert_eq!(
        lines,
        ["line 0", "line 1", "line 2", "line 3", "line 4"],
        "each line once, none lost"
    );
    assert!(proxy.total_injected() >= 3, "{}", proxy.total_injected());
    let waited: Vec<&str> = batches
        .iter()
        .filter_map(|b| b.waiting.as_deref())
        .collect();
    assert!(
        waited
            .iter()
            .any(|w| w.contains("throttling") && w.contains("reading again in")),
        "the panel said it waits: {waited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_group_is_an_error_of_that_source() {
    let moto = Moto::start();
    let c = client(&moto).await;
    group_with_streams(&c, &["nginx/nginx/task-a"]).await;
    let session = session(&moto.endpoint, None).await;
    let source = session.sources.logs[0].clone();
    c.delete_log_group()
        .log_group_name(GROUP)
        .send()
        .await
        .expect("DeleteLogGroup");
    let (tx, _rx) = mpsc::channel(8);
    let err = tokio::time::timeout(Duration::from_secs(20), source.tail(10, tx))
        .await
        .expect("ends")
        .expect_err("no group");
    assert!(
        err.message
            .contains("log group /ecs/revproxy-nginx does not exist"),
        "{}",
        err.message
    );
}

/// moto serves `StartLiveTail` as AWS's event stream: one update holding every stored event,
/// then the end of the session. Each line is still shown once: backlog and sessions overlap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_tail_shows_each_line_once() {
    let moto = Moto::start();
    let c = client(&moto).await;
    group_with_streams(&c, &["nginx/nginx/task-a", "nginx/nginx/task-b"]).await;
    let t = now_ms() - 5_000;
    put(&c, "nginx/nginx/task-a", &[(t, "one"), (t + 2, "three")]).await;
    put(&c, "nginx/nginx/task-b", &[(t + 1, "two")]).await;
    let session = session(&moto.endpoint, Some(FollowMode::Live)).await;
    let source = session.sources.logs[0].clone();
    let writer = async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        put(&c, "nginx/nginx/task-b", &[(now_ms(), "four")]).await;
    };
    // Once "four" is in, two more sessions, each answering with every stored event again: a
    // repeat would be collected before they end.
    let sessions_when_all_in = std::cell::Cell::new(None);
    let all_in_and_two_more_sessions = |l: &[String]| {
        let sessions = moto.strict.calls_to("StartLiveTail");
        if !l.iter().any(|l| l == "four") {
            return false;
        }
        let at = sessions_when_all_in.get().unwrap_or(sessions);
        sessions_when_all_in.set(Some(at));
        sessions >= at + 2
    };
    let (lines, _) = collect(source, all_in_and_two_more_sessions, writer).await;
    assert!(
        sessions_when_all_in
            .get()
            .is_some_and(|at| moto.strict.calls_to("StartLiveTail") >= at + 2),
        "no further session was seen: {lines:?}"
    );
    assert_eq!(lines, ["one", "two", "three", "four"], "{lines:?}");
    let stats = session.stats.as_ref().expect("stats").report();
    assert!(stats.calls_to("StartLiveTail") >= 1);
    support::assert_in_the_iam_policy(&session);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_shows_the_groups_lines() {
    let moto = Moto::start();
    let c = client(&moto).await;
    group_with_streams(&c, &["nginx/nginx/task-a"]).await;
    put(
        &c,
        "nginx/nginx/task-a",
        &[(
            now_ms() - 1_000,
            "-:- 198.51.100.23:51234 - [x] \"GET /v4/ws/usdt HTTP/1.1\" 200 2676",
        )],
    )
    .await;
    let session = session(&moto.endpoint, None).await;
    let collected = opsconsole::snapshot::collect(&session, &support::snapshot_options()).await;
    let md = opsconsole::snapshot::render(
        &collected,
        opsconsole::snapshot::Format::Md,
        chrono::Utc::now(),
    );
    assert!(md.contains("GET /v4/ws/usdt"), "{md}");
}

/// `l` on a Fargate target: the task is found by its address, its task definition names the
/// awslogs group and stream prefix, and the container's stream is followed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tasks_log_is_found_from_its_task_definition() {
    use aws_sdk_ec2 as ec2;
    use aws_sdk_ecs as ecs;
    let moto = Moto::start();
    moto.hold_ecs_tasks();
    let conf = moto.sdk_config(seed::TOKYO).await;
    let ec2c = ec2::Client::new(&conf);
    let vpc = ec2c
        .create_vpc()
        .cidr_block("10.40.0.0/16")
        .send()
        .await
        .expect("CreateVpc")
        .vpc
        .and_then(|v| v.vpc_id)
        .expect("vpc");
    ec2c.modify_vpc_attribute()
        .vpc_id(&vpc)
        .enable_dns_hostnames(
            ec2::types::AttributeBooleanValue::builder()
                .value(true)
                .build(),
        )
        .send()
        .await
        .expect("dns hostnames");
    let subnet = ec2c
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.40.1.0/24")
        .send()
        .await
        .expect("CreateSubnet")
        .subnet
        .and_then(|s| s.subnet_id)
        .expect("subnet");
    let security_group = ec2c
        .create_security_group()
        .group_name("revproxy-tasks")
        .description("revproxy tasks")
        .vpc_id(&vpc)
        .send()
        .await
        .expect("CreateSecurityGroup")
        .group_id
        .expect("group id");
    let ecsc = ecs::Client::new(&conf);
    ecsc.create_cluster()
        .cluster_name("revproxy")
        .send()
        .await
        .expect("CreateCluster");
    let logging = ecs::types::LogConfiguration::builder()
        .log_driver(ecs::types::LogDriver::Awslogs)
        .options("awslogs-group", GROUP)
        .options("awslogs-region", seed::TOKYO)
        .options("awslogs-stream-prefix", "nginx")
        .build()
        .expect("log configuration");
    ecsc.register_task_definition()
        .family("revproxy-nginx")
        .network_mode(ecs::types::NetworkMode::Awsvpc)
        .requires_compatibilities(ecs::types::Compatibility::Fargate)
        .cpu("256")
        .memory("512")
        .container_definitions(
            ecs::types::ContainerDefinition::builder()
                .name("nginx")
                .image("nginx:stable")
                .memory(512)
                .log_configuration(logging)
                .build(),
        )
        .send()
        .await
        .expect("RegisterTaskDefinition");
    let run = ecsc
        .run_task()
        .cluster("revproxy")
        .task_definition("revproxy-nginx")
        .launch_type(ecs::types::LaunchType::Fargate)
        .network_configuration(
            ecs::types::NetworkConfiguration::builder()
                .awsvpc_configuration(
                    ecs::types::AwsVpcConfiguration::builder()
                        .subnets(&subnet)
                        .security_groups(&security_group)
                        .build()
                        .expect("awsvpc"),
                )
                .build(),
        )
        .send()
        .await;
    let task = run
        .unwrap_or_else(|e| panic!("RunTask: {e:?}\n{}", moto.log_tail(40)))
        .tasks
        .into_iter()
        .flatten()
        .next()
        .expect("a task");
    let task_id = task
        .task_arn()
        .and_then(|a| a.rsplit('/').next())
        .expect("task id")
        .to_string();
    let address = task
        .attachments()
        .iter()
        .flat_map(|a| a.details())
        .find(|d| d.name() == Some("privateIPv4Address"))
        .and_then(|d| d.value())
        .expect("task address")
        .to_string();
    let c = client(&moto).await;
    let stream = format!("nginx/nginx/{task_id}");
    group_with_streams(&c, &[&stream, "nginx/nginx/another-task"]).await;
    put(&c, &stream, &[(now_ms() - 1_000, "from the task")]).await;
    put(
        &c,
        "nginx/nginx/another-task",
        &[(now_ms() - 900, "not this task")],
    )
    .await;

    let session = session(&moto.endpoint, None).await;
    let tasks = session.tasks.clone().expect("task logs");
    // As the Targets panel knows the target: its port, and its group's VPC and account.
    let target = |address: &str, vpc: &str| TaskTarget {
        address: address.to_string(),
        port: 80,
        vpc: Some(vpc.to_string()),
        account: Some("123456789012".into()),
    };
    let found = tasks
        .find(&target(&address, &vpc), Some(seed::TOKYO))
        .await
        .expect("found");
    assert_eq!(
        (
            found.group.as_str(),
            found.stream.as_str(),
            found.container.as_str()
        ),
        (GROUP, stream.as_str(), "nginx")
    );
    let tail: Arc<dyn LogSource> =
        Arc::new(tasks.tail("revproxy task".into(), &found).expect("tail"));
    let (lines, _) = collect(tail, |l| !l.is_empty(), async {}).await;
    assert_eq!(lines, ["from the task"]);
    let missing = tasks
        .find(&target("10.99.99.99", &vpc), Some(seed::TOKYO))
        .await
        .expect_err("no such task");
    assert!(
        missing.contains("no running ECS task has the address 10.99.99.99")
            && missing.contains("log_group"),
        "{missing}"
    );
    // The same address behind a group in another VPC is not this task.
    let elsewhere = tasks
        .find(&target(&address, "vpc-0another"), Some(seed::TOKYO))
        .await
        .expect_err("another VPC");
    assert!(
        elsewhere.contains(&format!("outside the target group's VPC: task {task_id}"))
            && elsewhere.contains(&vpc),
        "{elsewhere}"
    );
    support::assert_in_the_iam_policy(&session);
}

/// A measurement, not a check (`--ignored`): the calls one followed group costs a minute, quiet
/// and busy. BENCHMARKS.md §9 records the numbers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn log_group_calls_per_minute() {
    let moto = Moto::start();
    let c = client(&moto).await;
    group_with_streams(&c, &["nginx/nginx/task-a"]).await;
    for busy in [false, true] {
        let session = session(&moto.endpoint, None).await;
        let source = session.sources.logs[0].clone();
        let writer = async {
            let mut i = 0;
            if !busy {
                return;
            }
            loop {
                // 20 lines a second.
                let t = now_ms();
                let lines: Vec<(i64, String)> =
                    (0..10).map(|k| (t + k, format!("busy {i} {k}"))).collect();
                let refs: Vec<(i64, &str)> = lines.iter().map(|(t, m)| (*t, m.as_str())).collect();
                put(&c, "nginx/nginx/task-a", &refs).await;
                i += 1;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        };
        let started = std::time::Instant::now();
        let (lines, _) = collect(
            source,
            |_| started.elapsed() >= Duration::from_secs(60),
            writer,
        )
        .await;
        let calls = session
            .stats
            .expect("stats")
            .report()
            .calls_to("FilterLogEvents");
        println!(
            "{}: {calls} FilterLogEvents in {:.0} s ({} lines)",
            if busy { "busy, 20 lines/s" } else { "quiet" },
            started.elapsed().as_secs_f64(),
            lines.len()
        );
    }
}

/// `l` on an instance with no file configured: its ECS tasks (the EC2 launch type, sharing the
/// instance's address) are found through its container instance, and a task's stream is
/// followed; an instance that is not a container instance says what to configure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_on_an_instance_is_found_through_its_container_instance() {
    use aws_sdk_ec2 as ec2;
    use aws_sdk_ecs as ecs;
    let moto = Moto::start();
    moto.hold_ecs_tasks();
    let conf = moto.sdk_config(seed::TOKYO).await;
    let ec2c = ec2::Client::new(&conf);
    let launched = |n| {
        let ec2c = ec2c.clone();
        async move {
            ec2c.run_instances()
                .image_id(seed::AMI)
                .min_count(n)
                .max_count(n)
                .send()
                .await
                .expect("RunInstances")
                .instances
                .unwrap_or_default()
                .into_iter()
                .filter_map(|i| i.instance_id)
                .collect::<Vec<_>>()
        }
    };
    let ids = launched(2).await;
    let (host, plain) = (ids[0].clone(), ids[1].clone());
    let ecsc = ecs::Client::new(&conf);
    ecsc.create_cluster()
        .cluster_name("mt-cms")
        .send()
        .await
        .expect("CreateCluster");
    let document = serde_json::json!({"instanceId": host, "region": seed::TOKYO}).to_string();
    ecsc.register_container_instance()
        .cluster("mt-cms")
        .instance_identity_document(document)
        .send()
        .await
        .expect("RegisterContainerInstance");
    let logging = ecs::types::LogConfiguration::builder()
        .log_driver(ecs::types::LogDriver::Awslogs)
        .options("awslogs-group", GROUP)
        .options("awslogs-stream-prefix", "cms")
        .build()
        .expect("log configuration");
    ecsc.register_task_definition()
        .family("mt-cms")
        .container_definitions(
            ecs::types::ContainerDefinition::builder()
                .name("movabletype")
                .image("movabletype:8")
                .memory(256)
                .log_configuration(logging)
                .build(),
        )
        .send()
        .await
        .expect("RegisterTaskDefinition");
    let run = ecsc
        .run_task()
        .cluster("mt-cms")
        .task_definition("mt-cms")
        .launch_type(ecs::types::LaunchType::Ec2)
        .send()
        .await;
    let task = run
        .unwrap_or_else(|e| panic!("RunTask: {e:?}\n{}", moto.log_tail(40)))
        .tasks
        .into_iter()
        .flatten()
        .next()
        .expect("a task");
    let task_id = task
        .task_arn()
        .and_then(|a| a.rsplit('/').next())
        .expect("task id")
        .to_string();
    let c = client(&moto).await;
    let stream = format!("cms/movabletype/{task_id}");
    group_with_streams(&c, &[&stream]).await;
    put(
        &c,
        &stream,
        &[(now_ms() - 1_000, "from the instance's task")],
    )
    .await;

    let session = session(&moto.endpoint, None).await;
    let tasks = session.tasks.clone().expect("task logs");
    let found = tasks
        .find_on_instance(&host, seed::TOKYO)
        .await
        .expect("found");
    assert_eq!(
        (found.group.as_str(), found.stream.as_str()),
        (GROUP, stream.as_str())
    );
    let tail: Arc<dyn LogSource> = Arc::new(tasks.tail("mt-cms".into(), &found).expect("tail"));
    let (lines, _) = collect(tail, |l| !l.is_empty(), async {}).await;
    assert_eq!(lines, ["from the instance's task"]);
    let not_ecs = tasks
        .find_on_instance(&plain, seed::TOKYO)
        .await
        .expect_err("not a container instance");
    assert!(
        not_ecs.contains("is not an ECS container instance")
            && not_ecs.contains("[logs.instance] path"),
        "{not_ecs}"
    );
    support::assert_in_the_iam_policy(&session);
}

/// A poll tail of `GROUP`'s `nginx/` streams at `calls` reads a second (the console's pace is 1;
/// a faster one keeps these tests short without changing what they show).
async fn busy_tail(moto: &Moto, calls: u32) -> Arc<dyn LogSource> {
    let cfg = LogSourceConfig {
        name: "nginx".into(),
        log_group: Some(GROUP.into()),
        stream_prefix: Some("nginx/".into()),
        ..Default::default()
    };
    Arc::new(aws::log_groups::LogGroupTail::new(
        &cfg,
        client(moto).await,
        aws::log_groups::pace_at(calls),
        FollowMode::Poll,
    ))
}

/// `count` lines `"{label} NNNN"`, one every `step_ms` from `from_ms`, written in one call.
async fn put_many(c: &cwl::Client, label: &str, from_ms: i64, step_ms: i64, count: usize) {
    let lines: Vec<(i64, String)> = (0..count)
        .map(|i| (from_ms + i as i64 * step_ms, format!("{label} {i:04}")))
        .collect();
    let refs: Vec<(i64, &str)> = lines.iter().map(|(t, m)| (*t, m.as_str())).collect();
    put(c, "nginx/nginx/task-a", &refs).await;
}

/// Every entry the batches carried, in order.
fn all_entries(batches: &[LogBatch]) -> Vec<LogEntry> {
    batches.iter().flat_map(|b| b.entries.clone()).collect()
}

/// A busy group through small, partly full pages (as AWS may answer): a burst of 400 lines
/// written at once, more than the two-minute overlap's ten pages, is read through with the
/// reads' `nextToken`s, each line once and in order, and a line written afterwards shows; while
/// behind, the panel says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_group_is_read_through_small_pages_with_nothing_repeated_or_lost() {
    let moto = Moto::start();
    moto.strict.cap_log_pages(10);
    let c = client(&moto).await;
    group_with_streams(&c, &["nginx/nginx/task-a"]).await;
    put(&c, "nginx/nginx/task-a", &[(now_ms() - 5_000, "before")]).await;
    let source = busy_tail(&moto, 20).await;
    let writer = async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        put_many(&c, "burst", now_ms(), 1, 400).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        put(&c, "nginx/nginx/task-a", &[(now_ms(), "after")]).await;
    };
    let (lines, batches) = collect(source, |l| l.iter().any(|l| l == "after"), writer).await;
    let mut expected = vec!["before".to_string()];
    expected.extend((0..400).map(|i| format!("burst {i:04}")));
    expected.push("after".into());
    assert_eq!(
        lines.len(),
        expected.len(),
        "{:?}",
        &lines[lines.len().saturating_sub(5)..]
    );
    assert_eq!(lines, expected, "each line once, in order");
    let waited: Vec<&str> = batches
        .iter()
        .filter_map(|b| b.waiting.as_deref())
        .collect();
    assert!(
        waited
            .iter()
            .any(|w| w.contains("catching up") && w.contains("s ago")),
        "the panel says the tail is behind: {waited:?}"
    );
}

/// The backlog is the group's newest lines, even when its 15 minutes hold more pages than a
/// read takes (1,500 lines here, in pages of at most 50).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backlog_is_the_groups_newest_lines() {
    let moto = Moto::start();
    moto.strict.cap_log_pages(50);
    let c = client(&moto).await;
    group_with_streams(&c, &["nginx/nginx/task-a"]).await;
    put_many(&c, "old", now_ms() - 14 * 60_000, 500, 1_500).await;
    let source = busy_tail(&moto, 20).await;
    let (lines, _) = collect(source, |l| l.len() >= 50, async {}).await;
    let expected: Vec<String> = (1_450..1_500).map(|i| format!("old {i:04}")).collect();
    assert_eq!(lines, expected, "the newest 50 lines");
}

/// A group written faster than the pace lets it be read (here 100 s of lines, 6,000 of them,
/// ahead of the tail) is skipped ahead rather than read minutes late: a gap says about how
/// many lines were left out, and a line written afterwards shows. Nothing shows twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_written_faster_than_it_is_read_skips_ahead_with_a_gap() {
    let moto = Moto::start();
    moto.strict.cap_log_pages(10);
    let c = client(&moto).await;
    group_with_streams(&c, &["nginx/nginx/task-a"]).await;
    let t0 = now_ms();
    put(&c, "nginx/nginx/task-a", &[(t0 - 110_000, "start")]).await;
    let source = busy_tail(&moto, 20).await;
    let writer = async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        put_many(&c, "flood", t0 - 100_000, 16, 6_000).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        put(&c, "nginx/nginx/task-a", &[(now_ms(), "after")]).await;
    };
    let (lines, batches) = collect(source, |l| l.iter().any(|l| l == "after"), writer).await;
    assert_eq!(lines.first().map(String::as_str), Some("start"));
    assert_eq!(lines.last().map(String::as_str), Some("after"), "{lines:?}");
    let mut unique = lines.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), lines.len(), "a line shown twice");
    let entries = all_entries(&batches);
    let gaps: Vec<(usize, u64)> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e {
            LogEntry::Gap {
                skipped: Some(n), ..
            } => Some((i, *n)),
            _ => None,
        })
        .collect();
    let [(at, estimate)] = gaps[..] else {
        panic!("one skip: {gaps:?}");
    };
    let text = entries[at].text();
    assert!(text.contains("lines skipped"), "{text}");
    let after = entries.iter().position(|e| e.text() == "after");
    assert!(
        after > Some(at),
        "the line written afterwards follows the gap"
    );
    let shown = lines.iter().filter(|l| l.starts_with("flood")).count();
    let left_out = (6_000 - shown) as f64;
    assert!(
        (estimate as f64 - left_out).abs() <= left_out * 0.2,
        "estimated {estimate} skipped, {left_out} were ({text})"
    );
}

/// A live session that stops sending (AWS sends an update every second) is given up on after
/// 5 s: another starts, the moment between them is marked, and a line written meanwhile shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_live_session_is_started_again_with_a_gap() {
    let moto = Moto::start();
    moto.strict.stall_live_tail(1);
    let c = client(&moto).await;
    group_with_streams(&c, &["nginx/nginx/task-a"]).await;
    put(&c, "nginx/nginx/task-a", &[(now_ms() - 1_000, "before")]).await;
    let session = session(&moto.endpoint, Some(FollowMode::Live)).await;
    let source = session.sources.logs[0].clone();
    let started = std::time::Instant::now();
    let writer = async {
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        put(&c, "nginx/nginx/task-a", &[(now_ms(), "after")]).await;
    };
    let (lines, batches) = collect(source, |l| l.iter().any(|l| l == "after"), writer).await;
    assert_eq!(lines, ["before", "after"]);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    let entries = all_entries(&batches);
    let gap = entries
        .iter()
        .position(|e| matches!(e, LogEntry::Gap { skipped: None, .. }));
    let after = entries.iter().position(|e| e.text() == "after");
    assert!(gap.is_some() && gap < after, "{entries:?}");
    assert!(moto.strict.calls_to("StartLiveTail") >= 2);
}

/// A measurement, not a check (`--ignored`): the busy group at the console's own pace
/// (1 read a second): 3,000 lines in 100 s served in pages of at most 100, partly full, then
/// one more line. Prints how far behind the tail fell, when that last line showed, and the
/// calls it cost. BENCHMARKS.md §9 records the numbers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn busy_group_followed_at_the_consoles_pace() {
    let moto = Moto::start();
    moto.strict.cap_log_pages(100);
    let c = client(&moto).await;
    group_with_streams(&c, &["nginx/nginx/task-a"]).await;
    let source = busy_tail(&moto, aws::log_groups::CALLS_PER_SECOND).await;
    let (tx, mut rx) = mpsc::channel(64);
    let tail = tokio::spawn(source.tail(50, tx));
    let writer = {
        let c = c.clone();
        tokio::spawn(async move {
            for second in 0..100 {
                put_many(&c, &format!("s{second:03}"), now_ms(), 33, 30).await;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            put(&c, "nginx/nginx/task-a", &[(now_ms(), "after")]).await;
            now_ms()
        })
    };
    let (mut shown, mut worst_lag_ms, mut after_at) = (0usize, 0i64, None);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(240);
    while after_at.is_none() && tokio::time::Instant::now() < deadline {
        let Ok(Some(batch)) = tokio::time::timeout(Duration::from_secs(1), rx.recv()).await else {
            continue;
        };
        for e in &batch.entries {
            if let LogEntry::Line { received_at, text } = e {
                shown += 1;
                worst_lag_ms = worst_lag_ms.max(now_ms() - received_at.timestamp_millis());
                if text == "after" {
                    after_at = Some(now_ms());
                }
            }
        }
    }
    tail.abort();
    let written_at = writer.await.expect("writer");
    println!(
        "3,000 lines in 100 s, pages of ≤100: {shown} lines shown, at worst {:.1} s after written; the line after them shown {:.1} s after written; {} FilterLogEvents",
        worst_lag_ms as f64 / 1000.0,
        after_at.map_or(f64::NAN, |a| (a - written_at) as f64 / 1000.0),
        moto.strict.calls_to("FilterLogEvents"),
    );
}
