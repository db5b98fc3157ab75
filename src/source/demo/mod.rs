//! The embedded demo world.
