//! The store's integration tests: one binary, each test on its own SQLite file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod feed_audit;
mod import_export;
mod invariants;
mod matrix;
mod users;
