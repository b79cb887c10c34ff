//! omni-client's integration tests: one binary. Each test starts a real omni-server in this
//! process on its own SQLite database; tokens come from a real OpenID provider (tests/oidc)
//! shared by the whole binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod files;
mod refusals;
mod retries;
mod round_trip;
