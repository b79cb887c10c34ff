//! A consistent copy of one organization, for the desktop app's local copy (connected mode):
//! the records of a snapshot, written by the server ([`Store::snapshot`], [`read`]) and applied
//! to a store of the same schema ([`Store::apply_snapshot`], [`apply`]), which then follows the
//! change feed a page at a time ([`Store::apply_changes`], `changes`).
//!
//! A snapshot is NDJSON: one record per line, each with its `type`. First a `header` (the feed
//! position the snapshot is at and how many records of each kind follow), then the `org`, every
//! `user` (deleted ones still restorable included), every `item` of the directory, every
//! `link`, and last an `end` that repeats the position and counts: a stream cut anywhere lacks
//! it, and is refused. Records carry the rows as the store keeps them (stored roles and kinds,
//! usage with its month, times in ms since the epoch), so a copy has the same tables as the
//! server. The reader then follows the change feed from `position`.
//!
//! A copy also keeps an outbox of the edits made while the server could not be reached
//! (`outbox`): each is laid over the server's rows again whenever a snapshot or a feed page
//! writes them, until it is sent.
//!
//! Left out: the audit log, sign-in identities, usage events (kept to refuse a repeated event
//! id), idempotency keys and uploads: none of them is shown from a copy.

mod apply;
mod changes;
mod outbox;
pub(crate) mod read;
mod rows;

use omni_core::model::Id;
use serde::{Deserialize, Serialize};

pub use apply::Applied;
pub use changes::CopyStatus;
pub use outbox::{user_at_a, EntryState, OfflineEdit, OutboxEntry, Settled};
pub use read::SnapshotStream;

/// The version of the snapshot's format, in its header.
pub const SNAPSHOT_FORMAT: u32 = 1;

/// One line of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    Header(Header),
    Org(OrgRecord),
    User(UserRecord),
    Item(ItemRecord),
    Link(LinkRecord),
    End(End),
}

/// The first line: what the snapshot holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: u32,
    pub org: Id,
    /// The change feed's position the snapshot is at: follow the feed with `after=position`.
    pub position: i64,
    pub counts: Counts,
}

/// How many records of each kind the snapshot holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Users, deleted ones included.
    pub users: u64,
    /// Of `users`, the deleted ones (restorable, shown under "Recently deleted").
    pub deleted_users: u64,
    pub items: u64,
    pub links: u64,
}

/// The last line: the header's position and counts again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct End {
    pub position: i64,
    pub counts: Counts,
}

/// The organization's row: seats and counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgRecord {
    pub id: Id,
    pub name: String,
    pub entra_tenant: Option<String>,
    pub owner_email: String,
    pub seats_purchased: i64,
    pub users_total: i64,
    pub users_licensed: i64,
    pub users_admins: i64,
    pub created_at: i64,
}

/// A user's row. `usage_micros` counts the month starting at `usage_month` (older months read
/// as zero); `deleted_at` is set for a deleted user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    pub id: Id,
    pub email: String,
    pub phone: Option<String>,
    /// `user`, `collaborator` or `administrator`.
    pub role: String,
    pub licensed: bool,
    pub budget_micros: Option<i64>,
    pub usage_micros: i64,
    pub usage_month: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
    pub version: i64,
}

/// A directory item's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRecord {
    pub id: Id,
    /// `group`, `workspace` or `agent`.
    pub kind: String,
    pub name: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

/// A link's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRecord {
    pub id: Id,
    /// `user_group`, `user_workspace`, `group_workspace`, `agent_workspace`, `agent_user` or
    /// `agent_group`.
    pub kind: String,
    pub a_id: Id,
    pub b_id: Id,
    pub created_at: i64,
}
