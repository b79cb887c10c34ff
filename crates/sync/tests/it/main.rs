//! omni-sync's integration tests: one binary. Each test starts a real omni-server in this
//! process on its own SQLite database, with tokens from the real OpenID provider (tests/oidc),
//! and keeps a copy of its organization in a SQLite file of its own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod converge;
mod copy;
mod dump;
mod edits;
mod offline_users;
mod outbox;
