//! The integration suites — the AWS emulator, a real sshd, the binary in tmux, the command line —
//! in one test binary: the support code compiles and links once instead of once per suite, and
//! the suites' waits (an emulator starting, a wall going stale, a tail reconnecting) overlap
//! instead of running one binary after another. `.cargo/config.toml` sets how many tests run at
//! once. The soak (`tests/soak.rs`) keeps a binary of its own: it measures the console's memory,
//! which its calibration assumes is not sharing the machine with five other tests.
//!
//! Run one suite with its module name: `cargo test --test e2e aws_blocks::`.

#[path = "../sshd/mod.rs"]
mod sshd;
#[path = "../support/mod.rs"]
mod support;

mod accounts;
mod accounts_harness;
mod aws_actions;
mod aws_blocks;
mod aws_logs;
mod aws_sources;
mod blocking;
mod cli;
mod code_order;
mod credentials;
mod cut_lines;
mod cut_log_events;
mod demo_agreement;
mod ecs_keys;
mod emulator_smoke;
mod faults;
mod filter_then_block;
mod instance_names;
mod log_groups_e2e;
mod log_sources;
mod quit_guard;
mod read_only;
mod real_aws;
mod sanitizer_props;
mod schema;
mod secrets;
mod shared_state;
mod ssh;
mod state_files;
mod strict_layer;
mod terminal;
mod timeline;
mod wall;
