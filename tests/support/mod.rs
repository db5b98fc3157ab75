//! Shared support for integration tests: a real AWS emulator (`moto`) per test and the S1–S5
//! estate seeded into it. A test binary uses it with `mod support;`.
#![allow(dead_code, unused_imports)]

pub mod faults;
pub mod moto;
pub mod proxy;
pub mod seed;
pub mod tmux;

pub use faults::{Fault, FaultPlan, FaultProxy};
pub use moto::Moto;
pub use proxy::RecordingProxy;
pub use seed::{Seeded, seed_scenarios};

use opsconsole::action::TargetRef;
use opsconsole::source::aws::AwsOptions;

/// How the console connects to an emulator (or a proxy in front of it): both seeded regions,
/// static test credentials, nothing from the environment.
pub fn console_options(endpoint: &str, read_only: bool) -> AwsOptions {
    AwsOptions {
        endpoint_url: Some(endpoint.to_string()),
        regions: vec![seed::TOKYO.to_string(), seed::VIRGINIA.to_string()],
        waf_window_minutes: 15,
        metrics_every_secs: 60,
        static_credentials: Some(aws_credential_types::Credentials::new(
            "testing", "testing", None, None, "test",
        )),
        profile: None,
        read_only,
    }
}

/// The seeded target named `name` in `group`, as the console's actions refer to it.
pub fn target_ref(seeded: &Seeded, group: &str, name: &str) -> TargetRef {
    let tg = seeded.target_group(group);
    let t = tg
        .targets
        .iter()
        .find(|t| t.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("{name} not in {group}"));
    TargetRef {
        region: tg.region.clone(),
        load_balancer: tg.load_balancer.clone(),
        target_group: tg.name.clone(),
        target_group_arn: tg.arn.clone(),
        id: t.id.clone(),
        name: t.name.clone(),
        port: t.port,
        az: t.az.clone(),
    }
}
