//! omni-client: the desktop app's connected mode. [`ServerOrganization`] is the
//! [`omni_requests::Organization`] interface over HTTP: every method is one omni-server request
//! (two for the few the server answers in two parts), sent with the signed-in person's access
//! token, so the desktop holds `Arc<dyn Organization>` and works the same on a local database or
//! on the organization's server.
//!
//! - [`credentials`]: where the access token comes from, and what happens when it is refused.
//! - `transport` (private): one request, its token, its `Idempotency-Key` (every write), its
//!   retries (a read or a write that got no answer or a 502/503/504: the server runs a keyed
//!   write once), and every failure read into an [`omni_core::Error`] with the reason the desktop
//!   says in the person's language.
//! - `organization` (private): each operation, with the server's own wire types
//!   ([`omni_requests::wire`]), so the client and the server cannot drift apart.
//! - `files` (private): an import's upload and an export's download, streamed with progress.
//! - `feed` (private): the change feed's long poll, which a connected app follows.
//! - `snapshot` (private): the first download of a local copy, streamed into the store.
//!
//! Tokens never appear in an error, a log line or Debug output.

pub mod credentials;
mod feed;
mod files;
mod organization;
mod snapshot;
mod transport;

pub use credentials::Credentials;
pub use feed::LONGEST_POLL;
pub use organization::{my_org, SentEdit, ServerOrganization};
pub use reqwest::Url;
pub use transport::{http_client, CONNECT_TIMEOUT, REQUEST_TIMEOUT};
