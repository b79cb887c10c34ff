//! The per-organization change feed: every change, deletions included, in commit order.
//!
//! Each change names an entity and whether it now exists (`upsert`) or not (`delete`). Readers
//! fetch the entity's current state with the page, so replaying a page is harmless and a client
//! that applies every page in order ends with the server's data. Sequence numbers come from
//! [`crate::db::reserve_seq`] inside the writing transaction.

use omni_core::error::Result;
use omni_core::model::{Id, Timestamp, User};
use omni_core::Error;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

use crate::db::{internal, json_text, reserve_seq};
use crate::dialect::Backend;
use crate::directory::{DirectoryItem, LinkRow};
use crate::rows::{user_from_row, USER_COLUMNS, USER_WIDTH};
use crate::sync::read::org_record;
use crate::sync::OrgRecord;
use crate::{Caller, Store};

/// What kind of thing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedEntity {
    User,
    Directory,
    Link,
    Org,
}

impl FeedEntity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FeedEntity::User => "user",
            FeedEntity::Directory => "directory",
            FeedEntity::Link => "link",
            FeedEntity::Org => "org",
        }
    }
    fn parse(s: &str) -> Option<FeedEntity> {
        Some(match s {
            "user" => FeedEntity::User,
            "directory" => FeedEntity::Directory,
            "link" => FeedEntity::Link,
            "org" => FeedEntity::Org,
            _ => return None,
        })
    }
}

/// Whether the entity exists after the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    Upsert,
    Delete,
}

impl ChangeOp {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ChangeOp::Upsert => "upsert",
            ChangeOp::Delete => "delete",
        }
    }
}

/// One entry of the feed, with the entity's state as of the read (absent for deletions, and for
/// entities deleted later — a later `delete` entry follows for those). Two deletions carry a
/// state too, so that a copy ([`Store::apply_changes`]) reads as the server does: a user's
/// `delete` carries the deleted user while they are still deleted (restorable, shown under
/// "Recently deleted"; `at` is when they were deleted), and an organization's `upsert` its row
/// (the seats).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub seq: i64,
    pub entity: FeedEntity,
    pub id: Id,
    pub op: ChangeOp,
    pub at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<DirectoryItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<LinkRow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<OrgRecord>,
}

/// A page of the feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangePage {
    pub changes: Vec<Change>,
    /// Pass this as `after` to read the next page.
    pub next: i64,
    /// True when there is nothing after `next` yet.
    pub done: bool,
}

/// Appends one change.
pub(crate) async fn append(
    conn: &mut AnyConnection,
    org: Id,
    entity: FeedEntity,
    id: Id,
    op: ChangeOp,
    now: Timestamp,
) -> Result<()> {
    let seq = reserve_seq(conn, org, 1).await?;
    sqlx::query("INSERT INTO changes (org_id, seq, entity, entity_id, op, at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(org)
        .bind(seq)
        .bind(entity.as_str())
        .bind(id)
        .bind(op.as_str())
        .bind(now.0)
        .execute(&mut *conn)
        .await
        .map_err(internal)?;
    Ok(())
}

/// Appends one change of `entity` per `(id, at)` of `rows`, in that order, with one statement
/// whatever their number (the rows cross as one JSON array).
pub(crate) async fn append_all(
    conn: &mut AnyConnection,
    org: Id,
    entity: FeedEntity,
    op: ChangeOp,
    rows: &[(Id, Timestamp)],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let first = reserve_seq(conn, org, rows.len() as i64).await?;
    sqlx::query(&entries_insert(Backend::of(conn)))
        .bind(org)
        .bind(entity.as_str())
        .bind(op.as_str())
        .bind(entries_json(first, rows)?)
        .execute(&mut *conn)
        .await
        .map_err(internal)?;
    Ok(())
}

/// The statement that appends feed entries: `$1` the organization, `$2` the entity, `$3` the
/// operation, `$4` the entries as [`entries_json`] writes them (sequence numbers reserved).
pub(crate) fn entries_insert(backend: Backend) -> String {
    format!(
        "INSERT INTO changes (org_id, seq, entity, entity_id, op, at) \
         SELECT $1, f.seq, $2, f.id, $3, f.at FROM ({}) AS f",
        backend.json_rows("$4", &[("seq", true), ("id", true), ("at", true)])
    )
}

/// Entries for `rows` (entity, time), numbered from `first`, as [`entries_insert`] reads them.
pub(crate) fn entries_json(first: i64, rows: &[(Id, Timestamp)]) -> Result<String> {
    let entries: Vec<[i64; 3]> = (first..)
        .zip(rows)
        .map(|(seq, (id, at))| [seq, *id, at.0])
        .collect();
    json_text(&entries)
}

/// Refuses (`StaleVersion`: resynchronise) a reader whose `after` is below the feed's floor.
async fn ensure_reaches(conn: &mut AnyConnection, org: Id, after: i64) -> Result<()> {
    let (floor,): (i64,) = sqlx::query_as("SELECT feed_floor FROM orgs WHERE id = $1")
        .bind(org)
        .fetch_one(&mut *conn)
        .await
        .map_err(internal)?;
    if after < floor {
        return Err(Error::new(
            omni_core::ErrorCode::StaleVersion,
            format!("The change feed no longer holds changes after {after}: resynchronise from a full copy."),
        ));
    }
    Ok(())
}

impl Store {
    /// The changes after sequence number `after`, at most `limit`. A caller whose `after` is older
    /// than what the feed still keeps gets [`omni_core::ErrorCode::StaleVersion`] and must resync.
    pub async fn changes(
        &self,
        caller: &Caller,
        after: i64,
        limit: u32,
        now: Timestamp,
    ) -> Result<ChangePage> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        let actor = crate::db::actor(&mut conn, caller).await?;
        omni_core::policy::authorize(&actor, &omni_core::policy::Action::ViewUsers)?;
        ensure_reaches(&mut conn, caller.org, after).await?;
        let limit = limit.clamp(1, 10_000);
        let month = now.month_start().0;
        // A user's entry carries the user's state (a deletion, the deleted user), read in the
        // same statement as the entries: one read for a page of thousands. USER_COLUMNS come
        // first, unqualified: no column of `changes` shares a name with them.
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, c.seq, c.entity, c.entity_id, c.op, c.at FROM changes c \
             LEFT JOIN users u ON c.entity = 'user' AND u.id = c.entity_id AND u.org_id = c.org_id \
             AND ((c.op = 'delete' AND u.deleted_at IS NOT NULL) \
             OR (c.op <> 'delete' AND u.deleted_at IS NULL)) \
             WHERE c.org_id = $2 AND c.seq > $3 ORDER BY c.seq LIMIT $4"
        ))
        .bind(month)
        .bind(caller.org)
        .bind(after)
        .bind(i64::from(limit) + 1)
        .fetch_all(&mut *conn)
        .await
        .map_err(internal)?;
        // The feed may have been trimmed past `after` while the rows were read (the page would
        // then silently start later): ask again.
        ensure_reaches(&mut conn, caller.org, after).await?;
        let done = rows.len() <= limit as usize;
        let mut changes = Vec::with_capacity(rows.len().min(limit as usize));
        for row in rows.iter().take(limit as usize) {
            let entity: String = row.try_get(USER_WIDTH + 1).map_err(internal)?;
            let entity =
                FeedEntity::parse(&entity).ok_or_else(|| internal("unknown feed entity"))?;
            let op: String = row.try_get(USER_WIDTH + 3).map_err(internal)?;
            let op = if op == "delete" {
                ChangeOp::Delete
            } else {
                ChangeOp::Upsert
            };
            let id: Id = row.try_get(USER_WIDTH + 2).map_err(internal)?;
            let mut change = Change {
                seq: row.try_get(USER_WIDTH).map_err(internal)?,
                entity,
                id,
                op,
                at: Timestamp(row.try_get(USER_WIDTH + 4).map_err(internal)?),
                user: None,
                item: None,
                link: None,
                org: None,
            };
            if entity == FeedEntity::User {
                let found: Option<Id> = row.try_get(0).map_err(internal)?;
                change.user = found.map(|_| user_from_row(row)).transpose()?;
            }
            if op == ChangeOp::Upsert {
                match entity {
                    FeedEntity::User => {}
                    FeedEntity::Directory => {
                        change.item =
                            crate::directory::item_by_id(&mut conn, caller.org, id).await?;
                    }
                    FeedEntity::Link => {
                        change.link =
                            crate::directory::link_by_id(&mut conn, caller.org, id).await?;
                    }
                    FeedEntity::Org if id == caller.org => {
                        change.org = Some(org_record(&mut conn, id).await?);
                    }
                    FeedEntity::Org => {}
                }
            }
            changes.push(change);
        }
        let next = changes.last().map(|c| c.seq).unwrap_or(after);
        Ok(ChangePage {
            changes,
            next,
            done,
        })
    }
}
