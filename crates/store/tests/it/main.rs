//! The store's integration tests: one binary, each test on its own database (a SQLite file, or a
//! PostgreSQL schema with `OMNI_TEST_BACKEND=postgres`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit_log;
mod common;
mod directory_pages;
mod feed_audit;
mod identity;
mod import_export;
mod invariants;
mod list;
mod matrix;
mod users;
