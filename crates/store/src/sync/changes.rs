//! Applying the change feed to a copy: after its snapshot ([`Store::apply_snapshot`]), the
//! desktop's local copy of a server's organization follows the feed a page at a time. Each page
//! is applied with the copy's new position (the organization's own `last_seq`, where the
//! snapshot put it) in one transaction, so a copy killed at any moment resumes where its last
//! page left it, with no entry applied twice and none skipped; entries at or below the position
//! are ignored, so applying a page again changes nothing.
//!
//! An entry carries its entity's state as of the page's read, not as of the change, and the
//! reads of one page are not one snapshot: between two pages the copy mixes states of different
//! moments, which the later entries settle. So applying never trusts the copy's other rows: a
//! live user (or a directory item) holding the email (or name) an entry brings is moved aside
//! (its own later entry brings its real one), a link of the same kind and ends under another id
//! is dropped, and the counters are moved by what each row was and is, with the seats never set
//! below the licensed users (the `CHECK`), until the organization's own entry brings them.
//! Last, the copy's pending offline edits of the users the page wrote are laid over them again
//! (`outbox`), so a refresh never hides an edit not yet sent.

use omni_core::error::Result;
use omni_core::model::{Id, Timestamp};
use omni_core::Error;
use serde::Serialize;

use crate::db::internal;
use crate::engine::WriteTx;
use crate::feed::{Change, ChangeOp, ChangePage, FeedEntity};
use crate::sync::rows::{upsert_item, upsert_link, user, users_at_once, Delta};
use crate::sync::OrgRecord;
use crate::Store;

/// Where a copy stands, for the desktop's status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CopyStatus {
    /// The feed position the copy's data is at: follow the feed with `after=position`.
    pub position: i64,
    /// The last time the sync engine heard from the server (`None`: never since the file was
    /// made, e.g. a copy written by an older version).
    pub synced_at: Option<Timestamp>,
}

impl Store {
    /// The feed position of the copy of `org` in this store; `None` while it holds no complete
    /// snapshot of it.
    pub async fn copy_position(&self, org: Id) -> Result<Option<i64>> {
        Ok(self.copy_status(org).await?.map(|s| s.position))
    }

    /// The copy's position and when the server was last heard from; `None` while it holds no
    /// complete snapshot.
    pub async fn copy_status(&self, org: Id) -> Result<Option<CopyStatus>> {
        let row: Option<(i64, Option<i64>)> = sqlx::query_as(
            "SELECT o.last_seq, s.synced_at FROM orgs o \
             LEFT JOIN copy_status s ON s.org_id = o.id WHERE o.id = $1",
        )
        .bind(org)
        .fetch_optional(self.pool())
        .await
        .map_err(internal)?;
        Ok(row.map(|(position, synced)| CopyStatus {
            position,
            synced_at: synced.map(Timestamp),
        }))
    }

    /// Records that the server answered at `now` (a snapshot applied, or a feed page, even an
    /// empty one).
    pub async fn record_contact(&self, org: Id, now: Timestamp) -> Result<()> {
        let mut tx = self.begin_write(Some(org)).await?;
        contact(&mut tx, org, now).await?;
        tx.commit().await
    }

    /// Applies one page of `org`'s feed to this copy and moves its position to `page.next`, in
    /// one transaction that also records the contact at `now` (whose month the users' usage
    /// counts, as the server's read did). Returns the new position. Entries at or below the
    /// copy's position are skipped. Refused while the copy holds no snapshot of `org`.
    pub async fn apply_changes(&self, org: Id, page: &ChangePage, now: Timestamp) -> Result<i64> {
        let mut tx = self.begin_write(Some(org)).await?;
        let at: Option<(i64,)> = sqlx::query_as("SELECT last_seq FROM orgs WHERE id = $1")
            .bind(org)
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
        let Some((position,)) = at else {
            return Err(Error::invalid(
                "This copy holds no snapshot of the organization yet: download one first.",
            ));
        };
        let month = now.month_start().0;
        let mut org_row = None;
        let fresh: Vec<&Change> = page.changes.iter().filter(|c| c.seq > position).collect();
        // The users at once when they allow it (first: the page's links may name them), else
        // every entry in order.
        let (mut delta, one_by_one) = match users_at_once(&mut tx, org, &fresh, month).await? {
            Some(d) => (
                d,
                fresh
                    .iter()
                    .filter(|c| c.entity != FeedEntity::User)
                    .copied()
                    .collect(),
            ),
            None => ((0, 0, 0), fresh),
        };
        for c in one_by_one {
            let d = apply_one(&mut tx, org, c, month, &mut org_row).await?;
            delta = (delta.0 + d.0, delta.1 + d.1, delta.2 + d.2);
        }
        let next = page.next.max(position);
        finish(&mut tx, org, delta, org_row, next).await?;
        // The edits still to send stay shown over the server's older states.
        let mut users: Vec<Id> = page
            .changes
            .iter()
            .filter(|c| c.seq > position && c.entity == FeedEntity::User)
            .map(|c| c.id)
            .collect();
        users.sort_unstable();
        users.dedup();
        if page.changes.iter().any(|c| {
            c.seq > position && matches!(c.entity, FeedEntity::Link | FeedEntity::Directory)
        }) {
            // Links and items written: every pending link (and the rest) laid over again.
            crate::sync::outbox::overlay_all(&mut tx, org).await?;
        } else {
            crate::sync::outbox::overlay(&mut tx, org, &users).await?;
        }
        crate::sync::outbox::fit_seats(&mut tx, org).await?;
        contact(&mut tx, org, now).await?;
        tx.commit().await?;
        Ok(next)
    }
}

async fn contact(tx: &mut WriteTx, org: Id, now: Timestamp) -> Result<()> {
    sqlx::query(
        "INSERT INTO copy_status (org_id, synced_at) VALUES ($1, $2) \
         ON CONFLICT (org_id) DO UPDATE SET synced_at = excluded.synced_at",
    )
    .bind(org)
    .bind(now.0)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(())
}

/// Applies one entry; returns how it moved the users' counters.
async fn apply_one(
    tx: &mut WriteTx,
    org: Id,
    c: &Change,
    month: i64,
    org_row: &mut Option<OrgRecord>,
) -> Result<Delta> {
    match (c.entity, c.op) {
        (FeedEntity::User, op) => {
            let deleted = (op == ChangeOp::Delete).then_some(c.at.0);
            user(tx, org, c.id, c.user.as_ref(), deleted, month).await
        }
        (FeedEntity::Directory, ChangeOp::Upsert) => {
            if let Some(item) = &c.item {
                upsert_item(tx, org, item, c.at).await?;
            }
            Ok((0, 0, 0))
        }
        (FeedEntity::Link, ChangeOp::Upsert) => {
            if let Some(link) = &c.link {
                upsert_link(tx, org, link, c.at).await?;
            }
            Ok((0, 0, 0))
        }
        (FeedEntity::Directory | FeedEntity::Link, ChangeOp::Delete) => {
            let table = match c.entity {
                FeedEntity::Directory => "directory",
                _ => "links",
            };
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE id = $1 AND org_id = $2"
            ))
            .bind(c.id)
            .bind(org)
            .execute(&mut **tx)
            .await
            .map_err(internal)?;
            Ok((0, 0, 0))
        }
        (FeedEntity::Org, _) => {
            if c.org.is_some() {
                org_row.clone_from(&c.org);
            }
            Ok((0, 0, 0))
        }
    }
}

/// Moves the counters by `delta`, takes the organization's row the page brought, and sets the
/// position, in one statement (so the seat `CHECK` sees only the end state).
async fn finish(
    tx: &mut WriteTx,
    org: Id,
    delta: Delta,
    org_row: Option<OrgRecord>,
    next: i64,
) -> Result<()> {
    if let Some(o) = &org_row {
        crate::sync::outbox::server_seats(tx, org, o.seats_purchased).await?;
    }
    let (seats, name, owner) = match org_row {
        Some(o) => (Some(o.seats_purchased), Some(o.name), Some(o.owner_email)),
        None => (None, None, None),
    };
    let seats_expr = match crate::Backend::of(tx) {
        crate::Backend::Sqlite => "MAX(COALESCE($1, seats_purchased), users_licensed + $3)",
        crate::Backend::Postgres => "GREATEST(COALESCE($1, seats_purchased), users_licensed + $3)",
    };
    sqlx::query(&format!(
        "UPDATE orgs SET seats_purchased = {seats_expr}, users_total = users_total + $2, \
         users_licensed = users_licensed + $3, users_admins = users_admins + $4, \
         last_seq = $5, name = COALESCE($6, name), owner_email = COALESCE($7, owner_email) \
         WHERE id = $8"
    ))
    .bind(seats)
    .bind(delta.0)
    .bind(delta.1)
    .bind(delta.2)
    .bind(next)
    .bind(name)
    .bind(owner)
    .bind(org)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(())
}
