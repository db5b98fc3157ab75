//! `l` as the operator presses it, against the emulator: the key's effect carried out by the
//! console's runtime, which finds the ECS task through ECS and follows its CloudWatch Logs
//! stream, until the task's own line is in the Logs panel. Two tasks behind one target group,
//! and two container instances each running a task of its own, so that only the task the key
//! was pressed on can answer.

use crate::support;

use aws_sdk_cloudwatchlogs as cwl;
use aws_sdk_ecs as ecs;
use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsconsole::app::{App, Data, Event};
use opsconsole::config::{Keymap, Settings};
use opsconsole::model::PanelId;
use opsconsole::runtime::Runtime;
use opsconsole::source::Session;
use opsconsole::source::aws;
use std::time::Duration;
use support::{Moto, console_options, seed, seed_scenarios};
use tokio::sync::mpsc;

fn key(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn enter() -> Event {
    Event::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE))
}

/// A log group with one stream per (stream, line), each holding its line.
async fn log_lines(c: &cwl::Client, group: &str, lines: &[(String, String)]) {
    c.create_log_group()
        .log_group_name(group)
        .send()
        .await
        .expect("CreateLogGroup");
    for (stream, line) in lines {
        c.create_log_stream()
            .log_group_name(group)
            .log_stream_name(stream)
            .send()
            .await
            .expect("CreateLogStream");
        c.put_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .log_events(
                cwl::types::InputLogEvent::builder()
                    .timestamp(Utc::now().timestamp_millis() - 1_000)
                    .message(line)
                    .build()
                    .expect("event"),
            )
            .send()
            .await
            .expect("PutLogEvents");
    }
}

/// A task definition whose one container logs to `group` under `prefix` with awslogs.
async fn task_definition(c: &ecs::Client, family: &str, group: &str, prefix: &str, fargate: bool) {
    let logging = ecs::types::LogConfiguration::builder()
        .log_driver(ecs::types::LogDriver::Awslogs)
        .options("awslogs-group", group)
        .options("awslogs-region", seed::TOKYO)
        .options("awslogs-stream-prefix", prefix)
        .build()
        .expect("log configuration");
    let mut definition = c
        .register_task_definition()
        .family(family)
        .container_definitions(
            ecs::types::ContainerDefinition::builder()
                .name("web")
                .image("nginx:stable")
                .memory(256)
                .log_configuration(logging)
                .build(),
        );
    if fargate {
        definition = definition
            .network_mode(ecs::types::NetworkMode::Awsvpc)
            .requires_compatibilities(ecs::types::Compatibility::Fargate)
            .cpu("256")
            .memory("512");
    }
    definition.send().await.expect("RegisterTaskDefinition");
}

fn task_id(task: &ecs::types::Task) -> String {
    task.task_arn()
        .and_then(|a| a.rsplit('/').next())
        .expect("task id")
        .to_string()
}

/// The console as it runs: the App fed by the runtime, the runtime carrying out what the App
/// asks for.
struct Console {
    app: App,
    runtime: Runtime,
    events: mpsc::Receiver<Event>,
}

impl Console {
    async fn start(session: &Session) -> Console {
        let settings = Settings::default();
        let (tx, events) = mpsc::channel(1024);
        let runtime = Runtime::start(session, &settings, tx);
        let mut app = App::new(
            session.sources.scope.clone(),
            Keymap::builtin("default").expect("keymap"),
            &settings,
            true,
            Utc::now(),
        );
        app.update(Event::Resize(160, 45));
        Console {
            app,
            runtime,
            events,
        }
    }

    /// An event (a key, data) through the App, and what it asks for through the runtime.
    fn update(&mut self, event: Event) {
        for effect in self.app.update(event) {
            self.runtime.perform(effect);
        }
    }

    /// `panel`, then a filter that selects the first row matching `text` (Esc clears the
    /// panel's last one first).
    fn select(&mut self, panel: char, text: &str) {
        self.update(key(panel));
        self.update(Event::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
        self.update(key('/'));
        for c in text.chars() {
            self.update(key(c));
        }
        self.update(enter());
    }

    /// The Logs panel's lines, as (source, text).
    fn log_lines(&self) -> Vec<(String, String)> {
        let logs = &self.app.world.logs;
        logs.entries
            .iter()
            .map(|e| (logs.source_name(e).to_string(), e.entry.text()))
            .collect()
    }

    /// Feeds the runtime's events to the App until `done` holds of the Logs panel's lines.
    async fn until(&mut self, what: &str, done: impl Fn(&[(String, String)]) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
        while !done(&self.log_lines()) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what} never showed; lines {:?}, footer {:?}",
                self.log_lines(),
                self.app.status
            );
            if let Ok(Some(event)) =
                tokio::time::timeout(Duration::from_millis(200), self.events.recv()).await
            {
                self.update(event);
            }
        }
    }
}

/// `l` on an IP target of an ALB's group: the one of two Fargate tasks with that address is
/// found, and its container's stream is followed into the Logs panel, named after the target.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l_on_a_fargate_target_follows_that_tasks_stream() {
    let moto = Moto::start();
    moto.hold_ecs_tasks();
    let seeded = seed_scenarios(&moto).await;
    let conf = moto.sdk_config(seed::TOKYO).await;
    let ecsc = ecs::Client::new(&conf);
    // S4's Fargate service: its idle colour, hwi-tg2 (ip targets, behind hwi-alb), gets the
    // two tasks.
    let vpc = seeded
        .vpcs
        .iter()
        .find(|v| v.name == "hwi-vpc")
        .expect("hwi-vpc");
    let subnet = &vpc.subnets[0];
    let ec2c = aws_sdk_ec2::Client::new(&conf);
    // A task's network interface is named by DNS (moto gives it one only with this on).
    ec2c.modify_vpc_attribute()
        .vpc_id(&vpc.id)
        .enable_dns_hostnames(
            aws_sdk_ec2::types::AttributeBooleanValue::builder()
                .value(true)
                .build(),
        )
        .send()
        .await
        .expect("DNS hostnames");
    let security_group = ec2c
        .create_security_group()
        .group_name("hwi-tasks")
        .description("hwi tasks")
        .vpc_id(&vpc.id)
        .send()
        .await
        .expect("CreateSecurityGroup")
        .group_id
        .expect("group id");
    ecsc.create_cluster()
        .cluster_name("hwi")
        .send()
        .await
        .expect("CreateCluster");
    task_definition(&ecsc, "hwi-web", "/ecs/hwi-web", "hwi", true).await;
    let run = ecsc
        .run_task()
        .cluster("hwi")
        .task_definition("hwi-web")
        .launch_type(ecs::types::LaunchType::Fargate)
        .count(2)
        .network_configuration(
            ecs::types::NetworkConfiguration::builder()
                .awsvpc_configuration(
                    ecs::types::AwsVpcConfiguration::builder()
                        .subnets(&subnet.id)
                        .security_groups(&security_group)
                        .build()
                        .expect("awsvpc"),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("RunTask: {e:?}\n{}", moto.log_tail(40)));
    let tasks: Vec<(String, String)> = run
        .tasks()
        .iter()
        .map(|t| {
            let address = t
                .attachments()
                .iter()
                .flat_map(|a| a.details())
                .find(|d| d.name() == Some("privateIPv4Address"))
                .and_then(|d| d.value())
                .expect("task address")
                .to_string();
            (task_id(t), address)
        })
        .collect();
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&conf);
    let mut register = elb
        .register_targets()
        .target_group_arn(&seeded.target_group("hwi-tg2").arn);
    for (_, address) in &tasks {
        register = register.targets(
            aws_sdk_elasticloadbalancingv2::types::TargetDescription::builder()
                .id(address)
                .port(80)
                .availability_zone(&subnet.az)
                .build(),
        );
    }
    register.send().await.expect("RegisterTargets");
    let lines: Vec<(String, String)> = tasks
        .iter()
        .map(|(id, address)| {
            (
                format!("hwi/web/{id}"),
                format!("from the task at {address}"),
            )
        })
        .collect();
    log_lines(&cwl::Client::new(&conf), "/ecs/hwi-web", &lines).await;

    let session = aws::connect(&console_options(&moto.endpoint, true))
        .await
        .expect("connect");
    let mut console = Console::start(&session).await;
    let targets = session.sources.targets.fetch().await.expect("targets");
    console.update(Event::Data(Data::Targets(Utc::now(), Ok(targets))));
    // Each task in turn: the second first, so that the first task found is never the answer.
    for (_, address) in tasks.iter().rev() {
        console.select('1', address);
        console.update(key('l'));
        assert_eq!(console.app.focus, PanelId::Logs, "{:?}", console.app.status);
        let name = format!("hwi-tg2 {address}");
        let line = format!("from the task at {address}");
        console
            .until(&line, |lines| lines.iter().any(|(_, l)| *l == line))
            .await;
        let shown = console.log_lines();
        let sources: Vec<&str> = shown
            .iter()
            .filter(|(_, l)| *l == line)
            .map(|(s, _)| s.as_str())
            .collect();
        assert_eq!(sources, [name.as_str()], "{shown:?}");
    }
    // Two tails, each with its own task's line and nothing else.
    let mut shown = console.log_lines();
    shown.sort();
    let mut expected: Vec<(String, String)> = tasks
        .iter()
        .map(|(_, a)| (format!("hwi-tg2 {a}"), format!("from the task at {a}")))
        .collect();
    expected.sort();
    assert_eq!(shown, expected);
}

/// `l` on an instance with no file configured: the task on that instance's container instance
/// is followed, not a task of the same cluster on another instance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l_on_an_instance_follows_the_task_on_that_instance() {
    let moto = Moto::start();
    moto.hold_ecs_tasks();
    let seeded = seed_scenarios(&moto).await;
    let conf = moto.sdk_config(seed::TOKYO).await;
    let ecsc = ecs::Client::new(&conf);
    ecsc.create_cluster()
        .cluster_name("mt")
        .send()
        .await
        .expect("CreateCluster");
    task_definition(&ecsc, "mt-web", "/ecs/mt-web", "mt", false).await;
    let hosts = ["mt-web-01", "mt-web-02"];
    let mut lines = Vec::new();
    for host in hosts {
        let instance = &seeded.instance(host).id;
        let document =
            serde_json::json!({"instanceId": instance, "region": seed::TOKYO}).to_string();
        let container_instance = ecsc
            .register_container_instance()
            .cluster("mt")
            .instance_identity_document(document)
            .send()
            .await
            .expect("RegisterContainerInstance")
            .container_instance
            .and_then(|c| c.container_instance_arn)
            .expect("container instance");
        // Placed on this container instance, as the ECS agent there runs it.
        let started = ecsc
            .start_task()
            .cluster("mt")
            .task_definition("mt-web")
            .container_instances(&container_instance)
            .send()
            .await
            .unwrap_or_else(|e| panic!("StartTask: {e:?}\n{}", moto.log_tail(40)));
        let task = started.tasks().first().expect("a task");
        lines.push((
            format!("mt/web/{}", task_id(task)),
            format!("from the task on {host}"),
        ));
    }
    log_lines(&cwl::Client::new(&conf), "/ecs/mt-web", &lines).await;

    let session = aws::connect(&console_options(&moto.endpoint, true))
        .await
        .expect("connect");
    let mut console = Console::start(&session).await;
    let instances = session.sources.instances.fetch().await.expect("instances");
    console.update(Event::Data(Data::Instances(Utc::now(), Ok(instances))));
    for host in hosts.iter().rev() {
        console.select('4', host);
        console.update(key('l'));
        assert_eq!(console.app.focus, PanelId::Logs, "{:?}", console.app.status);
        let line = format!("from the task on {host}");
        console
            .until(&line, |lines| lines.iter().any(|(_, l)| *l == line))
            .await;
        let shown = console.log_lines();
        let sources: Vec<&str> = shown
            .iter()
            .filter(|(_, l)| *l == line)
            .map(|(s, _)| s.as_str())
            .collect();
        assert_eq!(sources, [*host], "{shown:?}");
    }
    // Two tails, each with its own instance's line and nothing else.
    let mut shown = console.log_lines();
    shown.sort();
    assert_eq!(
        shown,
        [
            (
                "mt-web-01".to_string(),
                "from the task on mt-web-01".to_string()
            ),
            (
                "mt-web-02".to_string(),
                "from the task on mt-web-02".to_string()
            ),
        ]
    );
}
