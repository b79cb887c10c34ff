//! The product's operations over HTTP/JSON, one file per resource. Each handler is thin: it
//! reads the request through `omni_requests` (the same reading the desktop app and the CLI
//! use), calls the one store operation with the caller and the request's time, and shapes the
//! answer. Every rule (roles, seats, the last Administrator, versions) is enforced by the store
//! and `omni_core::policy`, never here.

mod directory;
mod export;
mod feed;
mod imports;
mod licenses;
mod org;
mod scim_tokens;
mod usage;
mod users;

pub use directory::*;
pub use export::*;
pub use feed::*;
pub use imports::*;
pub use licenses::*;
pub use org::*;
pub use scim_tokens::*;
pub use usage::*;
pub use users::*;

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use omni_core::model::User;

use crate::error::{ApiError, ApiResult};

/// The strong ETag of a user: its row version.
fn etag(u: &User) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{}\"", u.version))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

fn with_etag(u: User) -> Response {
    let tag = etag(&u);
    let mut res = Json(u).into_response();
    res.headers_mut().insert(header::ETAG, tag);
    res
}

/// The version named by `If-Match` (428 when absent, 412 when it cannot match any version).
fn if_match(headers: &HeaderMap) -> ApiResult<i64> {
    let v = headers
        .get(header::IF_MATCH)
        .ok_or_else(ApiError::precondition_required)?;
    v.to_str()
        .ok()
        .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(ApiError::stale)
}

type Resp<T> = ApiResult<Json<T>>;
