//! Shared support for integration tests: a real AWS emulator (`moto`) per test and the S1–S5
//! estate seeded into it. A test binary uses it with `mod support;`.
#![allow(dead_code, unused_imports)]

pub mod moto;
pub mod proxy;
pub mod seed;

pub use moto::Moto;
pub use proxy::RecordingProxy;
pub use seed::{Seeded, seed_scenarios};
