//! omni-server's integration tests: one binary. Each test gets its own database (a SQLite file,
//! or a PostgreSQL schema with `OMNI_TEST_BACKEND=postgres`) and its own server on loopback;
//! tokens come from a real OpenID Connect provider (tests/oidc, oidc-provider on Node) shared by
//! the whole binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod bulk;
mod common;
mod concurrency;
mod endpoints;
mod matrix;
mod outage;
mod processes;
mod requests;
mod scim;
mod sync;
