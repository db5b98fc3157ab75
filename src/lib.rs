//! opsconsole: a terminal operations console for AWS web stacks.
//!
//! The data layer (`model`, `source`, `action`, `view`) knows nothing about the terminal; the
//! front ends (`ui` + `tui` for the console, `snapshot` for one-shot output) read it.

pub mod action;
pub mod app;
pub mod cli;
pub mod config;
pub mod jsonl;
pub mod manpage;
pub mod memory;
pub mod model;
pub mod problems;
pub mod runtime;
pub mod sanitize;
pub mod snapshot;
pub mod source;
pub mod state_dir;
pub mod timeline;
pub mod tui;
pub mod ui;
pub mod view;
