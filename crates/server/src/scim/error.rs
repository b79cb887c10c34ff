//! SCIM's own error shape (RFC 7644 §3.12): `{"schemas": [Error], "status": "409", "scimType":
//! "uniqueness", "detail": "..."}`, served as `application/scim+json`. An identity provider
//! reads these, not omni-server's `{code, message}`: every refusal of a SCIM route, the
//! store's and the policy's included, leaves in this shape.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use omni_core::{Error, ErrorCode};
use serde_json::json;

/// The schema URN of an error.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The media type of every SCIM answer.
pub const SCIM_JSON: &str = "application/scim+json";

/// A SCIM error answer.
#[derive(Debug)]
pub struct ScimError {
    pub status: StatusCode,
    /// RFC 7644's keyword (`invalidFilter`, `uniqueness`, `invalidValue`, ...), when one fits.
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

pub type ScimResult<T> = std::result::Result<T, ScimError>;

impl ScimError {
    pub fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    pub fn bad(scim_type: &'static str, detail: impl Into<String>) -> Self {
        ScimError::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        ScimError::new(StatusCode::NOT_FOUND, None, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        ScimError::new(StatusCode::UNAUTHORIZED, None, detail)
    }
}

impl From<Error> for ScimError {
    fn from(e: Error) -> ScimError {
        let (status, scim_type) = match e.code {
            ErrorCode::InvalidInput => (StatusCode::BAD_REQUEST, Some("invalidValue")),
            ErrorCode::AlreadyExists => (StatusCode::CONFLICT, Some("uniqueness")),
            // No seat left, the last Administrator: the value cannot be taken as things are.
            ErrorCode::NoSeatAvailable | ErrorCode::LastAdministrator => {
                (StatusCode::CONFLICT, Some("invalidValue"))
            }
            ErrorCode::StaleVersion => (StatusCode::PRECONDITION_FAILED, None),
            ErrorCode::PermissionDenied => (StatusCode::FORBIDDEN, None),
            ErrorCode::NotFound | ErrorCode::NotInitialized => (StatusCode::NOT_FOUND, None),
            ErrorCode::Cancelled => (StatusCode::CONFLICT, None),
            ErrorCode::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, None),
            ErrorCode::InsufficientStorage => (StatusCode::INSUFFICIENT_STORAGE, None),
            ErrorCode::SignInRequired => (StatusCode::UNAUTHORIZED, None),
            ErrorCode::Internal | ErrorCode::Unreachable => {
                tracing::error!(error = %e.message, "internal error (SCIM)");
                return ScimError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    None,
                    "The server failed to complete the request; try again later.",
                );
            }
        };
        let detail = if e.code == ErrorCode::Unavailable {
            "The database is not answering: try again in a few seconds.".to_string()
        } else {
            e.message
        };
        ScimError::new(status, scim_type, detail)
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        let mut res = (self.status, body.to_string()).into_response();
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
        if self.status == StatusCode::UNAUTHORIZED {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"omni-scim\""),
            );
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            h.insert(
                header::RETRY_AFTER,
                HeaderValue::from(crate::error::RETRY_AFTER_SECS),
            );
        }
        res
    }
}
