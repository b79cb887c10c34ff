//! The Power Omni domain, shared by the store, the CLI, the server and the desktop app.
//!
//! Nothing here performs I/O or reads a clock: callers pass time in and persist results. The
//! permission rules live in exactly one place, [`policy`], and every write path calls it.

pub mod access;
pub mod csv;
pub mod email;
pub mod error;
pub mod model;
pub mod phone;
pub mod policy;
pub mod reason;

pub use email::Email;
pub use error::{Error, ErrorCode};
pub use model::{Id, Role, Seats, Summary, Timestamp, Usd, User};
pub use phone::Phone;
pub use reason::Reason;
