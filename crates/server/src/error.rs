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
        if let Some(c) = self.challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, c);
        }
        res
    }
}

pub type ApiResult<T> = std::result::Result<T, ApiError>;
