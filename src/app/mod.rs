//! Console state and its pure update function.
pub mod action;
pub use action::Action;
