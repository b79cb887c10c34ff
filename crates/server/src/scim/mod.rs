//! SCIM 2.0 (RFC 7643, RFC 7644) at `/scim/v2/{org}/…`, so an organization's identity provider
//! (Entra ID first) provisions its people and groups. See docs/scim.md.
//!
//! - [`auth`](ScimCtx): a provisioning token of the organization in the path, which an
//!   Administrator created; only its SHA-256 is stored, and the store reads it back as the
//!   caller of every operation (never a user, never able to grant Administrator).
//! - [`routes`]: the endpoints; [`resources`]: the JSON of users, groups and the discovery
//!   documents; [`filter`], [`patch`]: what a query and a PATCH say; [`error`]: SCIM's error
//!   shape, which every refusal of these routes takes.
//!
//! Every write is one store operation, so it takes the one write path: the policy, the seats
//! and the last Administrator checked in its transaction, the feed and the audit log written
//! with it.

pub mod error;
pub mod filter;
pub mod patch;
pub mod resources;
pub mod routes;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use omni_core::model::{Id, Timestamp};
use omni_store::Caller;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::app::AppState;
use error::ScimError;

/// Resources a list answers at most (`filter.maxResults`).
pub const MAX_RESULTS: i64 = 200;

/// What a provisioning token starts with, so it is recognised (in a secret scanner, say).
pub const TOKEN_PREFIX: &str = "omni_scim_";

/// A new provisioning token: the prefix and 32 random bytes (base64url), and its hash.
pub fn new_token() -> (String, String) {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = token_hash(&token);
    (token, hash)
}

/// The SHA-256 of a token, in hex: what the store keeps and looks tokens up by.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Who calls a SCIM route and when: a provisioning token of the organization in the path.
pub struct ScimCtx {
    pub caller: Caller,
    pub now: Timestamp,
    /// This organization's SCIM base address, for `meta.location` (`X-Forwarded-Proto` and
    /// `Host` of the request).
    pub base: String,
}

/// The organization in a `/scim/v2/{org}/…` path.
pub fn org_of_path(path: &str) -> Option<Id> {
    path.strip_prefix("/scim/v2/")?
        .split('/')
        .next()?
        .parse()
        .ok()
}

impl FromRequestParts<AppState> for ScimCtx {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<ScimCtx, ScimError> {
        let now = state.clock.now();
        let org = org_of_path(parts.uri.path())
            .ok_or_else(|| ScimError::not_found("The organization in the path is not a number."))?;
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ScimError::unauthorized(
                    "Send the organization's provisioning token as a Bearer token.",
                )
            })?;
        let caller = state
            .store
            .scim_authenticate(org, &token_hash(token), now)
            .await?
            .ok_or_else(|| {
                ScimError::unauthorized(
                    "This provisioning token is not valid for this organization (unknown or revoked).",
                )
            })?;
        let header_of = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let proto = header_of("x-forwarded-proto").unwrap_or_else(|| "http".into());
        let host = header_of("host").unwrap_or_else(|| "localhost".into());
        Ok(ScimCtx {
            caller,
            now,
            base: format!("{proto}://{host}/scim/v2/{org}"),
        })
    }
}
