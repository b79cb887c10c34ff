//! Signing in to an omni-server from the desktop, and keeping the session.
//!
//! The desktop app is a native public client (RFC 8252): it has no secret, so it proves the
//! sign-in with PKCE (S256) and receives the authorization code on a loopback redirect,
//! `http://127.0.0.1:{port}/callback`, served by a listener that lives only while one sign-in
//! waits. The steps, each a public item of this crate:
//!
//! 1. [`discover`] asks the server what to sign in to (`/.well-known/omni-configuration`) and
//!    the authority where its endpoints are (`/.well-known/openid-configuration`).
//! 2. [`SignIn::start`] binds the listener and makes the URL the browser opens;
//!    [`SignIn::finish`] waits for the redirect and exchanges the code for [`Tokens`].
//! 3. [`Session`] keeps the tokens: it refreshes the access token before it expires (one
//!    refresh at a time however many callers ask), stores the refresh token, and only it, in a
//!    [`Vault`] (the OS keyring, [`open_vault`]), and ends when the provider refuses the refresh.
//!
//! It never depends on Tauri: the desktop shell calls it and opens the URL in a browser. Time
//! is a parameter (`now: Timestamp`, or a clock function for [`SignIn::finish`], which waits),
//! never read from a clock here. Tokens are [`Secret`]s: they print as `[secret]`, have no
//! `Display` and no `Serialize`, and are written nowhere but the keyring.
//!
//! The keyring test runs against a real Secret Service when a session bus is there:
//!
//! ```text
//! dbus-run-session -- sh -c 'echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; \
//!     cargo test -p omni-signin --test it keyring'
//! ```
//!
//! Without a bus it prints that it skipped.

mod claims;
mod discover;
mod http;
mod loopback;
mod session;
mod tokens;
mod vault;

pub use claims::Claims;
pub use discover::{discover, normalise_address, ServerConfig};
pub use http::http_client;
pub use loopback::{Canceller, SignIn};
pub use session::Session;
pub use tokens::{Secret, Tokens};
pub use vault::{open_vault, AccountKey, KeyringVault, MemoryVault, Vault, VaultKind};
