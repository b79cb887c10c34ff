//! `Idempotency-Key` on every write under `/v1/orgs/{org}/`: a client that sends a write again
//! with the same key gets the first answer, and the change happens once.
//!
//! The envelope runs a keyed write inside a store [`Scope`] ([`omni_store::idempotency`]):
//!
//! 1. The key (1 to 200 visible ASCII characters) and a SHA-256 of the method, the path with
//!    its query and the body name the request.
//! 2. Once the caller is known ([`check`], from the request's context), an answer kept under
//!    the caller's key is sent again as it was (same status, body, content type and ETag), with
//!    `Idempotent-Replayed: true`; the same key with another request is 422
//!    `idempotency_key_reused`. Nothing runs.
//! 3. Otherwise the handler runs; the store keeps its write transaction open, and the answer is
//!    saved under the key in it, then committed ([`settle`]). A refusal (4xx) is saved on its
//!    own. A 5xx is not saved (nothing changed: the retry runs again).
//!
//! The import's upload (`POST /imports`) takes no key: it changes nothing in the organization,
//! and its body may be hundreds of megabytes. Its commit does.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use omni_core::model::Id;
use omni_store::idempotency::{Answer, Scope, Settled, Stored};
use omni_store::{Caller, Store};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use crate::clock::Clock;
use crate::error::ApiError;

/// The request header.
pub const HEADER: &str = "idempotency-key";

/// Marks an answer sent again from the store.
pub const REPLAYED: &str = "idempotent-replayed";

/// The longest key accepted.
pub const MAX_KEY: usize = 200;

/// The headers of an answer kept with it.
const KEPT_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::ETAG, header::LOCATION];

/// What the envelope needs to keep answers.
#[derive(Clone)]
pub struct Keys {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub max_body: usize,
}

/// The organization of a write that may carry a key: under `/v1/orgs/{org}/`, not the upload.
fn keyed_org(req: &Request) -> Option<Id> {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        return None;
    }
    let rest = req.uri().path().strip_prefix("/v1/orgs/")?;
    let (org, tail) = rest.split_once('/')?;
    if *req.method() == Method::POST && tail == "imports" {
        return None;
    }
    org.parse().ok()
}

/// True when `req` is a write with an `Idempotency-Key` that this module handles.
pub fn applies(req: &Request) -> bool {
    req.headers().contains_key(HEADER) && keyed_org(req).is_some()
}

/// Runs a keyed write (see the module's description).
pub async fn run(keys: Keys, routes: Router, req: Request) -> Response {
    match run_keyed(keys, routes, req).await {
        Ok(res) | Err(res) => res,
    }
}

async fn run_keyed(keys: Keys, routes: Router, req: Request) -> Result<Response, Response> {
    let org = keyed_org(&req).ok_or_else(|| bad_key("This request takes no Idempotency-Key."))?;
    let key = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|k| (1..=MAX_KEY).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| bad_key("The Idempotency-Key must be 1 to 200 visible ASCII characters."))?
        .to_owned();
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, keys.max_body)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "The request body is too large.",
            )
            .into_response()
        })?;
    let mut hash = Sha256::new();
    hash.update(parts.method.as_str());
    hash.update(b"\n");
    hash.update(parts.uri.path_and_query().map_or("", |p| p.as_str()));
    hash.update(b"\n");
    hash.update(&body);
    let hash: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let scope = Scope::new(org, key, hash);
    let req = Request::from_parts(parts, Body::from(body));
    let res = match scope.run(routes.oneshot(req)).await {
        Ok(res) => res,
        Err(never) => match never {},
    };
    // A request refused before its caller was known (its token, its organization) keeps
    // nothing under the key; an answer sent again is not kept again.
    if res.headers().contains_key(REPLAYED) || !scope.caller_known() {
        return Ok(res);
    }
    if res.status().is_server_error() {
        // Dropping the scope rolls back a write left open for its answer.
        return Ok(res);
    }
    let (parts, body) = res.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|e| ApiError::from(omni_core::Error::internal(e.to_string())).into_response())?;
    let Ok(text) = String::from_utf8(body.to_vec()) else {
        return Ok(Response::from_parts(parts, Body::from(body)));
    };
    let answer = Answer {
        status: parts.status.as_u16(),
        headers: KEPT_HEADERS
            .iter()
            .filter_map(|h| {
                Some((
                    h.to_string(),
                    parts.headers.get(h)?.to_str().ok()?.to_owned(),
                ))
            })
            .collect(),
        body: text,
    };
    match keys.store.settle(&scope, &answer, keys.clock.now()).await {
        Ok(Settled::Saved) => Ok(Response::from_parts(parts, Body::from(answer.body))),
        Ok(Settled::Taken(kept)) => Err(replay_or_refuse(&scope, kept)),
        Err(e) => Err(ApiError::from(e).into_response()),
    }
}

/// The kept answer when it answered this very request; 422 otherwise.
fn replay_or_refuse(scope: &Scope, kept: Stored) -> Response {
    if kept.request_hash != scope.request_hash() {
        return ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "This Idempotency-Key was used for another request: use a new key for a new request.",
        )
        .into_response();
    }
    let answer = kept.answer;
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut res = (status, answer.body).into_response();
    let headers = res.headers_mut();
    headers.remove(header::CONTENT_TYPE);
    for (name, value) in &answer.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
    }
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    res
}

/// Called once the caller of a request is known: says who sends the key and, when an answer is
/// kept under it, answers it (or refuses a reused key) instead of running the request.
pub async fn check(store: &Store, caller: &Caller) -> Result<(), Response> {
    let Some(scope) = Scope::current() else {
        return Ok(());
    };
    scope.acting(caller);
    match store.idempotent_answer(caller, scope.key()).await {
        Ok(None) => Ok(()),
        Ok(Some(kept)) => Err(replay_or_refuse(&scope, kept)),
        Err(e) => Err(ApiError::from(e).into_response()),
    }
}

fn bad_key(message: &str) -> Response {
    ApiError::bad_request(message).into_response()
}
