//! A `[[log]]` entry's `instance = "<Name tag>"` is looked up through EC2 (the emulator, moto)
//! when its tail starts. A Name several instances carry (an Auto Scaling group's instances, a
//! copy left running) is refused, naming each (name, id, state): the tail never connects to
//! whichever instance EC2 happened to list first. No connection is attempted, so no traffic
//! leaves 127.0.0.1.

use crate::support;

use aws_sdk_ec2 as ec2;
use opsconsole::config::LogSourceConfig;
use opsconsole::source::aws::{self, AwsOptions};
use opsconsole::source::ssh::{self, AgentSource, SshOptions};
use std::time::Duration;
use support::{Moto, console_options, seed};
use tokio::sync::mpsc;

/// Launches one instance named `name` in `region`; its id.
async fn launch(c: &ec2::Client, name: &str) -> String {
    let out = c
        .run_instances()
        .image_id(seed::AMI)
        .min_count(1)
        .max_count(1)
        .tag_specifications(
            ec2::types::TagSpecification::builder()
                .resource_type(ec2::types::ResourceType::Instance)
                .tags(ec2::types::Tag::builder().key("Name").value(name).build())
                .build(),
        )
        .send()
        .await
        .expect("RunInstances");
    out.instances()
        .first()
        .and_then(|i| i.instance_id())
        .expect("an instance id")
        .to_string()
}

fn entry(instance: &str) -> LogSourceConfig {
    LogSourceConfig {
        name: "web-nginx".into(),
        instance: Some(instance.into()),
        // Never reached: the lookup refuses first.
        port: Some(1),
        user: Some("ec2-user".into()),
        known_hosts: Some("/dev/null".into()),
        path: "/var/log/nginx/access.log".into(),
        ..Default::default()
    }
}

/// The instances as the console reads them from the emulator.
async fn instances(moto: &Moto, region: &str) -> opsconsole::model::InstancesView {
    let session = aws::connect(&AwsOptions {
        regions: vec![region.to_string()],
        ..console_options(&moto.endpoint, true)
    })
    .await
    .expect("connect");
    session.sources.instances.fetch().await.expect("instances")
}

/// Starts the entry's tail against the emulator's instances; its error.
async fn tail_error(moto: &Moto, region: &str, instance: &str) -> String {
    let session = aws::connect(&AwsOptions {
        regions: vec![region.to_string()],
        ..console_options(&moto.endpoint, true)
    })
    .await
    .expect("connect");
    let opts = SshOptions {
        agent: AgentSource::Disabled,
        ..Default::default()
    };
    let sources = ssh::configured(
        &[entry(instance)],
        Some(session.sources.instances.clone()),
        &opts,
    );
    let (tx, _rx) = mpsc::channel(16);
    let ended = tokio::time::timeout(Duration::from_secs(30), sources[0].tail(10, tx))
        .await
        .expect("the lookup answers in time");
    match ended {
        Err(e) => e.message,
        Ok(()) => panic!("the tail of {instance:?} started"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_several_instances_carry_is_refused_naming_them() {
    let moto = Moto::start();
    let region = seed::TOKYO;
    let c = ec2::Client::new(&moto.sdk_config(region).await);
    let first = launch(&c, "web-left").await;
    let second = launch(&c, "web-left").await;
    let other = launch(&c, "web-right").await;
    c.stop_instances()
        .instance_ids(&second)
        .send()
        .await
        .expect("StopInstances");

    // As the console's instances panel reads them: the lookup refuses, before anything
    // connects anywhere.
    let view = instances(&moto, region).await;
    let refused = ssh::instance_named(&view.instances, "web-left")
        .err()
        .unwrap_or_else(|| panic!("web-left was taken as one instance"));
    let said = tail_error(&moto, region, "web-left").await;
    assert!(said.contains(&refused), "{said}");
    assert!(said.contains("2 instances"), "{said}");
    for id in [&first, &second] {
        assert!(said.contains(id.as_str()), "{id} not named: {said}");
    }
    assert!(!said.contains(other.as_str()), "{said}");
    assert!(
        said.contains("running") && said.contains("stopped"),
        "{said}"
    );
    assert!(said.contains("web-left"), "{said}");
    assert!(said.contains("by its id"), "says how to choose: {said}");

    // A terminated instance (replaced, without an address) is no second candidate: with the
    // stopped copy gone, the name is no longer ambiguous (the tail then goes on to connect,
    // which is not tried here), and an id names its instance whatever the tags say.
    c.terminate_instances()
        .instance_ids(&second)
        .send()
        .await
        .expect("TerminateInstances");
    let view = instances(&moto, region).await;
    let matched = ssh::instance_named(&view.instances, "web-left").expect("one left");
    assert_eq!(matched.map(|i| i.id.as_str()), Some(first.as_str()));
    let by_id = ssh::instance_named(&view.instances, &other).expect("an id is unique");
    assert_eq!(by_id.map(|i| i.id.as_str()), Some(other.as_str()));
}
