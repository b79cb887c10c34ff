//! The server's one error shape on the wire: `{code, message}` JSON with the HTTP status that
//! fits the code. Store and policy errors keep their code and sentence (a 403 says why);
//! internal failures are logged and answered with a generic sentence, so no database detail or
//! secret reaches a client.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use omni_core::{Error, ErrorCode};
use serde::Serialize;

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
}

/// The JSON body of every error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable machine code (`permission_denied`, `stale_version`, `invalid_token`, ...).
    pub code: String,
    /// One sentence for a person: what happened and what to do.
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            challenge: None,
            closes: false,
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
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        if e.code == ErrorCode::Internal {
            tracing::error!(error = %e.message, "internal error");
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "The server failed to complete the request; try again later.",
            );
        }
        ApiError::new(status_of(e.code), e.code.as_str(), e.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (
            self.status,
            Json(ErrorBody {
                code: self.code.to_string(),
                message: self.message,
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
        .is_some_and(|v| v.starts_with("application/json"));
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
