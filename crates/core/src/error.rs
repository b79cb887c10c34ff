//! The one error shape that crosses every boundary: a stable machine code and one sentence for a
//! person, saying what happened and what to do. The CLI maps codes to exit statuses, the server to
//! HTTP statuses, the desktop app sends `{code, message, reason?}` over IPC (the reason lets it
//! say the sentence in the person's language).

use serde::{Deserialize, Serialize};

use crate::reason::Reason;

/// What kind of failure this is; stable across releases (clients match on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ErrorCode {
    /// The policy refuses this action for this actor.
    PermissionDenied,
    /// A value is malformed or missing; nothing was changed.
    InvalidInput,
    /// The thing named does not exist (or is not visible to the actor).
    NotFound,
    /// Something with that unique name already exists.
    AlreadyExists,
    /// Every purchased seat is assigned.
    NoSeatAvailable,
    /// The change would leave the organization without an Administrator.
    LastAdministrator,
    /// The row changed since the caller read it.
    StaleVersion,
    /// The organization is not set up yet, or is set up already.
    NotInitialized,
    /// The operation was cancelled by the caller; nothing was changed.
    Cancelled,
    /// Storage or another internal failure.
    Internal,
    /// The database does not answer (stopped, unreachable, or locked by another program for
    /// longer than the store waits): try again later. A write refused so did not commit,
    /// unless its message says the database stopped answering while it committed.
    Unavailable,
    /// The database's disk is full: nothing was written.
    InsufficientStorage,
    /// Connected mode: nobody is signed in, or the session ended (refresh refused, signed
    /// out): sign in again.
    SignInRequired,
    /// Connected mode: the server cannot be reached (network, name, TLS), or what answered is
    /// not an omni-server.
    Unreachable,
}

impl ErrorCode {
    /// The snake_case name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::PermissionDenied => "permission_denied",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::NotFound => "not_found",
            ErrorCode::AlreadyExists => "already_exists",
            ErrorCode::NoSeatAvailable => "no_seat_available",
            ErrorCode::LastAdministrator => "last_administrator",
            ErrorCode::StaleVersion => "stale_version",
            ErrorCode::NotInitialized => "not_initialized",
            ErrorCode::Cancelled => "cancelled",
            ErrorCode::Internal => "internal",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::InsufficientStorage => "insufficient_storage",
            ErrorCode::SignInRequired => "sign_in_required",
            ErrorCode::Unreachable => "unreachable",
        }
    }

    /// True for refusals that come from the state of the data rather than the request itself.
    pub fn is_conflict(self) -> bool {
        matches!(
            self,
            ErrorCode::AlreadyExists
                | ErrorCode::NoSeatAvailable
                | ErrorCode::LastAdministrator
                | ErrorCode::StaleVersion
        )
    }
}

/// A failure with a code and a message for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    /// Why, as data (`message` is its English sentence). None for internal failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub reason: Option<Reason>,
    /// The input field at fault, when there is one (forms show the message beside it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub field: Option<String>,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
            reason: None,
            field: None,
        }
    }
    /// A refusal for `reason`, its English sentence as the message.
    pub fn because(code: ErrorCode, reason: Reason) -> Error {
        Error {
            reason: Some(reason.clone()),
            ..Error::new(code, reason.english())
        }
    }
    /// The same error, pinned to an input field.
    pub fn on_field(mut self, field: &str) -> Error {
        self.field = Some(field.to_string());
        self
    }
    pub fn denied(message: impl Into<String>) -> Error {
        Error::new(ErrorCode::PermissionDenied, message)
    }
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(ErrorCode::InvalidInput, message)
    }
    pub fn not_found(message: impl Into<String>) -> Error {
        Error::new(ErrorCode::NotFound, message)
    }
    pub fn internal(message: impl Into<String>) -> Error {
        Error::new(ErrorCode::Internal, message)
    }
}

impl From<crate::email::InvalidEmail> for Error {
    fn from(e: crate::email::InvalidEmail) -> Error {
        Error::because(ErrorCode::InvalidInput, e.reason)
    }
}

impl From<crate::phone::InvalidPhone> for Error {
    fn from(e: crate::phone::InvalidPhone) -> Error {
        Error::because(ErrorCode::InvalidInput, e.reason)
    }
}

impl From<crate::model::UnknownRole> for Error {
    fn from(e: crate::model::UnknownRole) -> Error {
        Error::because(ErrorCode::InvalidInput, e.reason())
    }
}

impl From<crate::model::BadAmount> for Error {
    fn from(e: crate::model::BadAmount) -> Error {
        Error::because(ErrorCode::InvalidInput, e.reason())
    }
}

/// Shorthand for results in this workspace.
pub type Result<T> = std::result::Result<T, Error>;
