//! One request to omni-server: its bearer token, its bound, its retries, and every failure read
//! into an [`omni_core::Error`] with the reason the desktop says in the person's language.
//!
//! - Before each request the [`Credentials`] give a token. A 401 hands that token back
//!   ([`Credentials::rejected`]) and the request is sent once more with the fresh one; a second
//!   401 is `sign_in_required` ([`Reason::SignInAgain`]).
//! - Every write (any method but GET) carries an `Idempotency-Key`: 128 random bits in hex, new
//!   for each operation and the same on each of its retries (the 401 one too). The server runs a
//!   keyed write once and answers a repeat with the first answer (`Idempotent-Replayed: true`),
//!   which is the answer here like any other. The import's upload ([`Connection::upload`])
//!   carries none: it changes nothing until its commit, which does carry one.
//! - A read or a write that got no answer (the connection failed or was cut, the request timed
//!   out) or a 502, 503 or 504 is sent again, at most [`ATTEMPTS`] times in all, after the
//!   answer's `Retry-After` (at most [`RETRY_CAP`]) or else 0.5 s, then 1 s. So a write whose
//!   answer was lost is done once, not twice and not never. The upload is sent once.
//! - A refusal's `{code, message, reason?, field?}` becomes the same error the local store
//!   would have given. A 503 is `unavailable` ([`Reason::ServerUnavailable`], with the server's
//!   `Retry-After`).
//! - A server that cannot be reached is `unreachable` ([`Reason::ServerUnreachable`], or
//!   [`Reason::ServerCertificate`] for a certificate this computer does not trust, which is not
//!   tried again); something that answers but is not an omni-server is `unreachable` too
//!   ([`Reason::NotAnOmniServer`]).
//!
//! Tokens go in the `Authorization` header only (marked sensitive), never into an error.

use std::sync::Arc;
use std::time::Duration;

use omni_core::error::Result;
use omni_core::{Error, ErrorCode, Reason};
use omni_requests::wire::ErrorBody;
use reqwest::{header, Method, RequestBuilder, Response, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::credentials::Credentials;

/// The longest a connection may take to open.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest an ordinary request may take, from connecting to its answer's last byte:
/// omni-server answers within 4.5 s or answers 503, and this leaves the network room. An
/// import's upload and commit and an export's download are not bounded by it.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// The longest a request waits on an answer's `Retry-After` before it is sent again.
pub const RETRY_CAP: Duration = Duration::from_secs(5);

/// How many times a request is sent at most when it gets no answer or a 502, 503 or 504.
pub const ATTEMPTS: u32 = 3;

/// The header naming one write, for the server to run it once.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The most of an error answer's body read.
const ERROR_BODY_LIMIT: usize = 64 << 10;

/// The seconds a 503 without `Retry-After` is taken to mean.
const DEFAULT_RETRY_SECS: u64 = 5;

/// An HTTP client for omni-server: connections open within [`CONNECT_TIMEOUT`] (each request
/// sets its own bound).
pub fn http_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
        .map_err(|e| Error::internal(format!("Cannot set up HTTP: {}", innermost(&e))))
}

/// How long a request may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    /// [`REQUEST_TIMEOUT`].
    Request,
    /// Work in proportion to a file (an import's upload or commit, an export): unbounded here.
    File,
}

/// One server, one person's credentials.
#[derive(Clone)]
pub(crate) struct Connection {
    /// The server's address as given, without a trailing `/`.
    base: String,
    http: reqwest::Client,
    credentials: Arc<dyn Credentials>,
}

impl Connection {
    pub fn new(server: &Url, http: reqwest::Client, credentials: Arc<dyn Credentials>) -> Self {
        Connection {
            base: server.as_str().trim_end_matches('/').to_string(),
            http,
            credentials,
        }
    }

    /// The server's address, as errors name it.
    pub fn address(&self) -> &str {
        &self.base
    }

    /// Sends `method path` as `build` makes it, with a token (and a new `Idempotency-Key`
    /// unless it is a GET), until it is answered 2xx or refused for good (see the module's
    /// documentation). `build` is called for each attempt, and must make the same request.
    pub async fn send<F>(
        &self,
        method: Method,
        path: &str,
        bound: Bound,
        build: F,
    ) -> Result<Response>
    where
        F: Fn(RequestBuilder) -> Result<RequestBuilder>,
    {
        let key = (method != Method::GET).then(new_key);
        self.attempts(method, path, bound, key.as_deref(), ATTEMPTS, build)
            .await
    }

    /// The import's upload (`POST path`, a file): no key, sent once (again only after a 401).
    pub async fn upload<F>(&self, path: &str, build: F) -> Result<Response>
    where
        F: Fn(RequestBuilder) -> Result<RequestBuilder>,
    {
        self.attempts(Method::POST, path, Bound::File, None, 1, build)
            .await
    }

    async fn attempts<F>(
        &self,
        method: Method,
        path: &str,
        bound: Bound,
        key: Option<&str>,
        most: u32,
        build: F,
    ) -> Result<Response>
    where
        F: Fn(RequestBuilder) -> Result<RequestBuilder>,
    {
        let url = format!("{}{path}", self.base);
        let mut token = self.credentials.token().await?;
        let mut refreshed = false;
        let mut sent = 0;
        loop {
            let mut rb = self.http.request(method.clone(), &url).bearer_auth(&token);
            if let Some(key) = key {
                rb = rb.header(IDEMPOTENCY_KEY, key);
            }
            if bound == Bound::Request {
                rb = rb.timeout(REQUEST_TIMEOUT);
            }
            sent += 1;
            let again = sent < most;
            let wait = match build(rb)?.send().await {
                Err(e) if again && !e.is_builder() && !mentions_certificate(&e) => backoff(sent),
                Err(e) => return Err(self.failed(&e)),
                Ok(res) if res.status().is_success() => return Ok(res),
                Ok(res) if res.status() == StatusCode::UNAUTHORIZED => {
                    if refreshed {
                        return Err(Error::because(
                            ErrorCode::SignInRequired,
                            Reason::SignInAgain,
                        ));
                    }
                    // Not an attempt of those counted: the server did not look at the request.
                    refreshed = true;
                    sent -= 1;
                    drop(res);
                    token = self.credentials.rejected(token).await?;
                    continue;
                }
                Ok(res) if again && passing(res.status()) => retry_after(&res)
                    .map(Duration::from_secs)
                    .unwrap_or_else(|| backoff(sent))
                    .min(RETRY_CAP),
                Ok(res) => return Err(self.refusal(res).await),
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// `GET path?query`, answered as JSON.
    pub async fn get<Q, T>(&self, path: &str, query: &Q) -> Result<T>
    where
        Q: Serialize + Sync + ?Sized,
        T: DeserializeOwned,
    {
        let res = self
            .send(Method::GET, path, Bound::Request, |rb| Ok(rb.query(query)))
            .await?;
        self.json(res).await
    }

    /// `method path` with a JSON body (and `If-Match` when a version is given), answered as
    /// JSON.
    pub async fn call<B, T>(
        &self,
        method: Method,
        path: &str,
        body: &B,
        if_match: Option<i64>,
    ) -> Result<T>
    where
        B: Serialize + Sync + ?Sized,
        T: DeserializeOwned,
    {
        self.call_keyed(method, path, body, if_match, &new_key())
            .await
    }

    /// [`Connection::call`] with a write's `Idempotency-Key` chosen before (an offline edit's,
    /// kept with it until its answer is known).
    pub async fn call_keyed<B, T>(
        &self,
        method: Method,
        path: &str,
        body: &B,
        if_match: Option<i64>,
        key: &str,
    ) -> Result<T>
    where
        B: Serialize + Sync + ?Sized,
        T: DeserializeOwned,
    {
        let key = (method != Method::GET).then_some(key);
        let res = self
            .attempts(method, path, Bound::Request, key, ATTEMPTS, |rb| {
                let rb = rb.json(body);
                Ok(match if_match {
                    Some(v) => rb.header(header::IF_MATCH, format!("\"{v}\"")),
                    None => rb,
                })
            })
            .await?;
        self.json(res).await
    }

    /// `method path`, with a JSON body when given, answered with no content.
    pub async fn call_empty<B>(&self, method: Method, path: &str, body: Option<&B>) -> Result<()>
    where
        B: Serialize + Sync + ?Sized,
    {
        self.send(method, path, Bound::Request, |rb| {
            Ok(match body {
                Some(b) => rb.json(b),
                None => rb,
            })
        })
        .await?;
        Ok(())
    }

    /// A 2xx answer's JSON body.
    pub async fn json<T: DeserializeOwned>(&self, res: Response) -> Result<T> {
        if !is_json(&res) {
            return Err(self.not_omni());
        }
        let bytes = res.bytes().await.map_err(|e| self.failed(&e))?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::internal(format!(
                "{} answered in a shape this app cannot read ({e}): update the app.",
                self.base
            ))
        })
    }

    /// A request that got no answer: the server is unreachable, or its certificate untrusted.
    pub fn failed(&self, e: &reqwest::Error) -> Error {
        let address = self.base.clone();
        if e.is_builder() {
            return Error::because(
                ErrorCode::Unreachable,
                Reason::ServerAddressInvalid { address },
            );
        }
        let detail = if e.is_timeout() {
            "it did not answer in time".to_string()
        } else {
            innermost(e)
        };
        let reason = if mentions_certificate(e) {
            Reason::ServerCertificate { address, detail }
        } else {
            Reason::ServerUnreachable { address, detail }
        };
        Error::because(ErrorCode::Unreachable, reason)
    }

    fn not_omni(&self) -> Error {
        Error::because(
            ErrorCode::Unreachable,
            Reason::NotAnOmniServer {
                address: self.base.clone(),
            },
        )
    }

    /// A non-2xx answer as the error it says.
    async fn refusal(&self, res: Response) -> Error {
        let status = res.status();
        let seconds = retry_after(&res).unwrap_or(DEFAULT_RETRY_SECS);
        let json = is_json(&res);
        let body = read_at_most(res, ERROR_BODY_LIMIT).await;
        let parsed = json
            .then(|| serde_json::from_slice::<ErrorBody>(&body).ok())
            .flatten();
        let unavailable = Reason::ServerUnavailable {
            seconds: i64::try_from(seconds).unwrap_or(i64::MAX),
        };
        match parsed {
            Some(b) if status == StatusCode::SERVICE_UNAVAILABLE => Error {
                code: ErrorCode::Unavailable,
                message: b.message,
                reason: Some(unavailable),
                field: None,
            },
            Some(b) => Error {
                code: code_of(&b.code),
                message: b.message,
                reason: b.reason,
                field: b.field,
            },
            // A proxy in front of the server, saying the server is not there for now.
            None if matches!(
                status,
                StatusCode::BAD_GATEWAY
                    | StatusCode::SERVICE_UNAVAILABLE
                    | StatusCode::GATEWAY_TIMEOUT
            ) =>
            {
                Error::because(ErrorCode::Unavailable, unavailable)
            }
            None => self.not_omni(),
        }
    }
}

/// The error code a server's code name stands for. The server's own codes for what happens
/// only over HTTP are read as the nearest; an unknown one is `internal`.
pub(crate) fn code_of(name: &str) -> ErrorCode {
    match name {
        "too_large" => ErrorCode::InvalidInput,
        "busy" | "timeout" => ErrorCode::Unavailable,
        "invalid_token" | "unauthenticated" => ErrorCode::SignInRequired,
        // The feed no longer reaches back to where the reader stood (410).
        "resync" => ErrorCode::StaleVersion,
        other => serde_json::from_value(serde_json::Value::String(other.to_string()))
            .unwrap_or(ErrorCode::Internal),
    }
}

fn is_json(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"))
}

/// A new `Idempotency-Key`: 128 random bits, in hex.
fn new_key() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// The wait before sending again after attempt `sent` (from 1) got no answer: 0.5 s, then 1 s.
fn backoff(sent: u32) -> Duration {
    Duration::from_millis(500 << sent.saturating_sub(1).min(4))
}

/// An answer saying the server is not there for now (itself, or a proxy in front of it).
fn passing(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT
    )
}

/// `Retry-After` in seconds (the date form is not read).
fn retry_after(res: &Response) -> Option<u64> {
    res.headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

async fn read_at_most(mut res: Response, limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while let Ok(Some(chunk)) = res.chunk().await {
        out.extend_from_slice(&chunk);
        if out.len() > limit {
            out.truncate(limit);
            break;
        }
    }
    out
}

/// The innermost cause's words ("Connection refused (os error 111)"): the outer ones name
/// the URL and the library's own steps.
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

fn mentions_certificate(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if c.to_string().to_ascii_lowercase().contains("certificate") {
            return true;
        }
        cause = c.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_names_read_back_and_an_unknown_one_is_internal() {
        for code in [
            ErrorCode::PermissionDenied,
            ErrorCode::InvalidInput,
            ErrorCode::NotFound,
            ErrorCode::AlreadyExists,
            ErrorCode::NoSeatAvailable,
            ErrorCode::LastAdministrator,
            ErrorCode::StaleVersion,
            ErrorCode::NotInitialized,
            ErrorCode::Cancelled,
            ErrorCode::Internal,
            ErrorCode::Unavailable,
            ErrorCode::InsufficientStorage,
        ] {
            assert_eq!(code_of(code.as_str()), code);
        }
        assert_eq!(code_of("too_large"), ErrorCode::InvalidInput);
        assert_eq!(code_of("resync"), ErrorCode::StaleVersion);
        assert_eq!(code_of("teapot"), ErrorCode::Internal);
    }
}
