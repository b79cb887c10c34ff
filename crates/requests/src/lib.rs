//! What a person typed or sent, read into the store's requests: the desktop app's forms, the
//! CLI's arguments and the server's bodies and queries all come here, so each rule about input
//! is decided once. "A budget of 0 or none means no limit", "a blank phone is no phone", which
//! names are roles, "a list request without filters or sort exports the whole list", and how
//! the first (and only) organization of a local database is created live in this crate, and
//! nowhere in the front ends.
//!
//! [`wire`] holds omni-server's bodies, query parameters and answers, which the server and its
//! client share.
//!
//! [`Organization`] is what the desktop app asks of an organization, local or on a server: one
//! interface, two implementations ([`LocalOrganization`] here, the server client's elsewhere).
//!
//! It never depends on Tauri, axum or clap: each front end turns its own shape (a Tauri
//! argument, a clap flag, a JSON body) into the plain values these functions take. Refusals are
//! [`omni_core::Error`]s with their `reason` (the desktop app says them in the person's
//! language) and, for a form, the `field` at fault.

mod audit;
mod fields;
mod list;
mod org;
mod organization;
pub mod wire;

pub use audit::{time_from, time_until};
pub use fields::{budget, email, phone, role, role_or_user};
pub use list::ListRequest;
pub use org::create_local_org;
pub use organization::{
    Answer, Identity, LocalOrganization, NewScimToken, OrgRef, Organization, ProgressSink,
    ScimToken, Staged,
};
