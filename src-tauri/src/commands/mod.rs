//! The commands the web view may invoke (each listed in build.rs and granted in
//! capabilities/main.json). Thin: parse, call the store, return.

pub mod directory;
pub mod files;
pub mod org;
pub mod outbox;
pub mod places;
pub mod scim;
pub mod users;

/// What every command returns: a value, or `{code, message, field?}`.
pub type Reply<T> = Result<T, omni_core::Error>;
