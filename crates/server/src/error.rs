//! The server's one error shape on the wire: `{code, message, reason?, field?}` JSON
//! ([`ErrorBody`], shared with the client) with the HTTP status that fits the code. Store and
//! policy errors keep their code, sentence, reason and field (a 403 says why, in data a client
//! can say in the person's language);
//! internal failures are logged and answered with a generic sentence, so no database detail or
//! secret reaches a client. A database that does not answer is a 503 `unavailable` with
//! `Retry-After` (logged at most every [`UNAVAILABLE_LOG_EVERY`], however many requests it
//! refuses), a full disk a 507 `insufficient_storage`; see docs/database-outage.md.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use omni_core::{Error, ErrorCode, Reason};

pub use omni_requests::wire::ErrorBody;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// For 401: the `WWW-Authenticate` challenge.
    pub challenge: Option<String>,
    /// Answered before the request's body was read: the connection cannot carry another
    /// request, and `Connection: close` tells the client so.
    pub closes: bool,
    /// For 503: seconds after which the client may try again (`Retry-After`).
    pub retry_after: Option<u32>,
    /// Why, as data, when the refusal has a reason (boxed: most answers have none, and every
    /// handler's result carries this type).
    pub reason: Option<Box<Reason>>,
    /// The input field at fault, when there is one.
    pub field: Option<String>,
}

/// What a 503 tells its client to wait before trying again, in seconds: about how long
/// PostgreSQL takes to start again after a restart (1–2 s on the CI's machine, more after a
/// crash's recovery), so a client that obeys it does not knock on a database still starting.
pub const RETRY_AFTER_SECS: u32 = 5;

/// How often a database outage is logged at most (the first refusal, then one line with the
/// count of those since): an outage refuses every request, and a line each would bury the log.
pub const UNAVAILABLE_LOG_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// The sentence a client reads when the database does not answer (its own words go to the log
/// only).
const UNAVAILABLE: &str = "The database is not answering: try again in a few seconds. A change \
     cut off by this was not saved, unless the database stopped just as it committed: read it \
     back before you send it again.";

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            challenge: None,
            closes: false,
            retry_after: None,
            reason: None,
            field: None,
        }
    }

    /// 503 `unavailable` with `Retry-After`: the database (or something the server waits for)
    /// does not answer; try again later.
    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError {
            retry_after: Some(RETRY_AFTER_SECS),
            ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
        }
    }

    /// The same answer, sent before the request's body was read (with `Connection: close`).
    pub fn closing(self) -> ApiError {
        ApiError {
            closes: true,
            ..self
        }
    }

    /// 401 for a missing bearer token.
    pub fn no_token() -> ApiError {
        ApiError {
            challenge: Some("Bearer realm=\"omni\"".into()),
            ..ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Sign in: this request needs a bearer access token.",
            )
        }
    }

    /// 401 for a token that is not acceptable (RFC 6750 `invalid_token`).
    pub fn invalid_token(reason: impl Into<String>) -> ApiError {
        let reason = reason.into();
        let escaped = reason.replace(['"', '\\'], "'");
        ApiError {
            challenge: Some(format!(
                "Bearer realm=\"omni\", error=\"invalid_token\", error_description=\"{escaped}\""
            )),
            ..ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", reason)
        }
    }

    pub fn precondition_required() -> ApiError {
        ApiError::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
            "Send the user's ETag in If-Match: read the user first, then change it.",
        )
    }

    pub fn stale() -> ApiError {
        ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "stale_version",
            "The user was changed by someone else since you read it: reload and try again.",
        )
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", message)
    }
}

fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::PermissionDenied => StatusCode::FORBIDDEN,
        ErrorCode::InvalidInput => StatusCode::BAD_REQUEST,
        ErrorCode::NotFound | ErrorCode::NotInitialized => StatusCode::NOT_FOUND,
        ErrorCode::StaleVersion => StatusCode::PRECONDITION_FAILED,
        ErrorCode::AlreadyExists
        | ErrorCode::NoSeatAvailable
        | ErrorCode::LastAdministrator
        | ErrorCode::Cancelled => StatusCode::CONFLICT,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::InsufficientStorage => StatusCode::INSUFFICIENT_STORAGE,
        // What a client of omni-server meets; the server itself never refuses with them.
        ErrorCode::SignInRequired => StatusCode::UNAUTHORIZED,
        ErrorCode::Unreachable => StatusCode::BAD_GATEWAY,
    }
}

/// Logs that the database is unavailable, at most once per [`UNAVAILABLE_LOG_EVERY`].
fn log_unavailable(detail: &str) {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Mutex;
    use std::time::Instant;
    static LAST: Mutex<Option<Instant>> = Mutex::new(None);
    static SINCE: AtomicU64 = AtomicU64::new(0);
    let Ok(mut last) = LAST.lock() else {
        return;
    };
    let now = Instant::now();
    if last.is_some_and(|t| now.duration_since(t) < UNAVAILABLE_LOG_EVERY) {
        SINCE.fetch_add(1, Ordering::Relaxed);
        return;
    }
    *last = Some(now);
    let also = SINCE.swap(0, Ordering::Relaxed);
    tracing::warn!(error = %detail, refused_since_last_report = also, "database unavailable: answering 503");
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        match e.code {
            ErrorCode::Internal => {
                tracing::error!(error = %e.message, "internal error");
                return ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "The server failed to complete the request; try again later.",
                );
            }
            ErrorCode::Unavailable => {
                log_unavailable(&e.message);
                return ApiError::unavailable(UNAVAILABLE);
            }
            ErrorCode::InsufficientStorage => {
                tracing::error!(error = %e.message, "database disk full");
                return ApiError::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    "insufficient_storage",
                    "The server's database has no room left: nothing was saved. Try again once \
                     its operator has made room.",
                );
            }
            _ => {}
        }
        ApiError {
            reason: e.reason.map(Box::new),
            field: e.field,
            ..ApiError::new(status_of(e.code), e.code.as_str(), e.message)
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (
            self.status,
            Json(ErrorBody {
                code: self.code.to_string(),
                message: self.message,
                reason: self.reason.map(|r| *r),
                field: self.field,
            }),
        )
            .into_response();
        if self.closes {
            res.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if let Some(c) = self.challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, c);
        }
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

pub type ApiResult<T> = std::result::Result<T, ApiError>;

/// Makes every error answer a `{code, message}` body, including the ones the framework writes
/// itself before a handler runs (a body that is not valid JSON, a query or path of the wrong
/// type, a body over the limit, a wrong method): those come as plain text, whose sentence
/// (which names the field and position) becomes the message.
pub async fn structured_errors(res: Response) -> Response {
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with("application/json") || v.starts_with("application/scim+json")
        });
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return res;
    }
    let (parts, body) = res.into_parts();
    // Framework rejections are one short sentence; read at most a few KiB of it.
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let (code, fallback) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ("too_large", "The request body is too large."),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "This address does not take that method.",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "Send the body as application/json.",
        ),
        s if s.is_server_error() => ("internal", "The server failed; try again later."),
        _ => ("invalid_input", "The request is not valid."),
    };
    // A server error's own words may describe the server's insides: they go to the log only.
    if status.is_server_error() && !text.is_empty() {
        tracing::error!(error = %text, "internal error");
    }
    let message = if text.is_empty() || status.is_server_error() {
        fallback.to_string()
    } else {
        text
    };
    let mut out = ApiError::new(status, code, message).into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_is_503_with_retry_after_and_a_full_disk_507_without_the_details() {
        let e = ApiError::from(Error::new(
            ErrorCode::Unavailable,
            "The database is not answering (pool timed out while waiting for an open connection).",
        ));
        assert_eq!(
            (e.status, e.code),
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        );
        assert!(!e.message.contains("pool"), "{}", e.message);
        let res = e.into_response();
        assert_eq!(res.headers()[header::RETRY_AFTER], "5");

        let e = ApiError::from(Error::new(
            ErrorCode::InsufficientStorage,
            "The database's disk is full (database or disk is full).",
        ));
        assert_eq!(
            (e.status, e.code),
            (StatusCode::INSUFFICIENT_STORAGE, "insufficient_storage")
        );
        assert!(!e.message.contains("database or disk"), "{}", e.message);
        assert!(!e
            .into_response()
            .headers()
            .contains_key(header::RETRY_AFTER));
    }
}
