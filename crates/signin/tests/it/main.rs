//! omni-signin over real HTTP on 127.0.0.1: discovery, the loopback sign-in and the session
//! against a small in-test provider (fake.rs), and the keyring vault against the real Secret
//! Service when a session bus is there.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod discover;
mod fake;
mod keyring;
mod loopback;
mod session;
