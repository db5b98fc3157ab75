//! Panel tables built from the model, shared by the TUI and the snapshot.
pub mod role;
pub use role::Role;
