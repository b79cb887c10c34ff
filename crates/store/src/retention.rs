//! What the store forgets, and when: users deleted more than
//! [`RESTORE_WINDOW_DAYS`] days ago are
//! purged with their links and sign-in identities, and change-feed entries older than
//! [`FEED_KEPT_DAYS`] are dropped, raising the feed's floor (a client whose last sequence
//! number is below it is told to resynchronise from a full copy). Without this the feed would
//! grow with every change for ever and "restorable for 30 days" would mean "kept for ever".
//!
//! Usage events, kept only so that a repeated event is not counted twice, are dropped once
//! their month and the month after it are over: by then a repeat could only touch a month the
//! table already shows as zero.
//!
//! Idempotency keys and their answers are dropped once older than 24 hours
//! ([`crate::idempotency::IDEMPOTENCY_KEPT_MS`]).
//!
//! One routine, [`Store::forget_expired`], that every long-running component calls: the server
//! every hour, the desktop app at start, the CLI on request (`omni maintain`).

use omni_core::error::Result;
use omni_core::model::{Id, Timestamp, RESTORE_WINDOW_DAYS};
use serde::Serialize;

use crate::db::{internal, json_text};
use crate::dialect::Backend;
use crate::feed::{self, ChangeOp, FeedEntity};
use crate::Store;

/// How long the change feed keeps an entry. A client offline longer resynchronises.
pub const FEED_KEPT_DAYS: i64 = 30;

/// Feed entries (and usage events) dropped per transaction, so writers never wait long behind
/// a large trim.
const TRIM_CHUNK: i64 = 10_000;

/// Deleted users purged per transaction.
const PURGE_CHUNK: i64 = 1000;

/// What one pass of [`Store::forget_expired`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Forgotten {
    /// Users purged for good (deleted more than the restore window ago).
    pub users: u64,
    /// Change-feed entries dropped.
    pub changes: u64,
    /// Usage events dropped (their ids no longer needed to refuse a repeat).
    pub usage_events: u64,
    /// Idempotency keys dropped, with their answers (kept at least 24 hours).
    pub idempotency_keys: u64,
}

impl Store {
    /// Purges expired deleted users and drops expired feed entries in every organization. An
    /// organization that fails does not stop the others: the first failure is returned once
    /// every organization has had its turn.
    pub async fn forget_expired(&self, now: Timestamp) -> Result<Forgotten> {
        let mut total = Forgotten::default();
        let mut first_failure = None;
        for org in self.orgs().await? {
            let done = async {
                let users = self.purge_deleted(org.id, now).await?;
                let changes = self.trim_feed(org.id, now).await?;
                let usage_events = self.drop_old_usage_events(org.id, now).await?;
                Ok::<_, omni_core::Error>(Forgotten {
                    users,
                    changes,
                    usage_events,
                    idempotency_keys: 0,
                })
            };
            match done.await {
                Ok(f) => {
                    total.users += f.users;
                    total.changes += f.changes;
                    total.usage_events += f.usage_events;
                }
                Err(e) => {
                    first_failure.get_or_insert_with(|| {
                        omni_core::Error::new(
                            e.code,
                            format!("Organization {}: {}", org.id, e.message),
                        )
                    });
                }
            }
        }
        match self.drop_old_idempotency_keys(now).await {
            Ok(n) => total.idempotency_keys = n,
            Err(e) => {
                first_failure.get_or_insert(e);
            }
        }
        match first_failure {
            Some(e) => Err(e),
            None => Ok(total),
        }
    }

    /// Removes for good the users deleted more than 30 days before `now`, and their links and
    /// sign-in identities, [`PURGE_CHUNK`] users per transaction (so writers never wait long
    /// behind a purge of a large deletion). Returns how many were purged.
    pub async fn purge_deleted(&self, org: Id, now: Timestamp) -> Result<u64> {
        let cutoff = now.plus_days(-RESTORE_WINDOW_DAYS).0;
        let mut purged = 0;
        loop {
            let mut tx = self.begin_write(Some(org)).await?;
            // The highest id of this chunk: the PURGE_CHUNK-th expired user, or all of them.
            let bound: Option<(Id,)> = sqlx::query_as(
                "SELECT id FROM users WHERE org_id = $1 AND deleted_at < $2 ORDER BY id \
                 LIMIT 1 OFFSET $3",
            )
            .bind(org)
            .bind(cutoff)
            .bind(PURGE_CHUNK - 1)
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
            let last_chunk = bound.is_none();
            let bound = bound.map_or(Id::MAX, |(id,)| id);
            let links: Vec<(Id,)> = sqlx::query_as(
                "SELECT l.id FROM links l JOIN users u ON u.id = l.a_id AND l.kind IN ('user_group', 'user_workspace') \
                 WHERE l.org_id = $1 AND u.deleted_at < $2 AND u.id <= $3 \
                 UNION SELECT l.id FROM links l JOIN users u ON u.id = l.b_id AND l.kind = 'agent_user' \
                 WHERE l.org_id = $1 AND u.deleted_at < $2 AND u.id <= $3",
            )
            .bind(org)
            .bind(cutoff)
            .bind(bound)
            .fetch_all(&mut *tx)
            .await
            .map_err(internal)?;
            if !links.is_empty() {
                let ids: Vec<Id> = links.iter().map(|&(id,)| id).collect();
                let sql = format!(
                    "DELETE FROM links WHERE {}",
                    Backend::of(&tx).id_in_json("id", "$1")
                );
                sqlx::query(&sql)
                    .bind(json_text(&ids)?)
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
                let gone: Vec<_> = ids.iter().map(|&id| (id, now)).collect();
                feed::append_all(&mut tx, org, FeedEntity::Link, ChangeOp::Delete, &gone).await?;
            }
            sqlx::query(
                "DELETE FROM identities WHERE user_id IN \
                 (SELECT id FROM users WHERE org_id = $1 AND deleted_at < $2 AND id <= $3)",
            )
            .bind(org)
            .bind(cutoff)
            .bind(bound)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
            let done =
                sqlx::query("DELETE FROM users WHERE org_id = $1 AND deleted_at < $2 AND id <= $3")
                    .bind(org)
                    .bind(cutoff)
                    .bind(bound)
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
            tx.commit().await.map_err(internal)?;
            purged += done.rows_affected();
            if last_chunk {
                return Ok(purged);
            }
        }
    }

    /// Drops `org`'s usage events from before the previous month, [`TRIM_CHUNK`] per
    /// transaction. Returns how many were dropped.
    pub async fn drop_old_usage_events(&self, org: Id, now: Timestamp) -> Result<u64> {
        // The first day of the previous month: a day before this month's start, to its start.
        let keep_from = now.month_start().plus_days(-1).month_start().0;
        let mut dropped = 0;
        loop {
            let mut tx = self.begin_write(Some(org)).await?;
            let done = sqlx::query(
                "DELETE FROM usage_events WHERE org_id = $1 AND event_id IN \
                 (SELECT event_id FROM usage_events WHERE org_id = $1 AND at < $2 LIMIT $3)",
            )
            .bind(org)
            .bind(keep_from)
            .bind(TRIM_CHUNK)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
            tx.commit().await.map_err(internal)?;
            dropped += done.rows_affected();
            if done.rows_affected() < TRIM_CHUNK as u64 {
                return Ok(dropped);
            }
        }
    }

    /// Drops `org`'s feed entries older than [`FEED_KEPT_DAYS`] before `now` and raises its
    /// floor past them, [`TRIM_CHUNK`] sequence numbers per transaction. Each step reads only
    /// the entries just above the floor and stops at the first one still young, so the floor
    /// never passes an entry that is kept (every entry after the floor stays there). Returns
    /// how many entries were dropped.
    pub async fn trim_feed(&self, org: Id, now: Timestamp) -> Result<u64> {
        let cutoff = now.plus_days(-FEED_KEPT_DAYS).0;
        let mut dropped = 0;
        loop {
            let mut tx = self.begin_write(Some(org)).await?;
            let (floor,): (i64,) = sqlx::query_as("SELECT feed_floor FROM orgs WHERE id = $1")
                .bind(org)
                .fetch_one(&mut *tx)
                .await
                .map_err(internal)?;
            let window = floor + TRIM_CHUNK;
            // The last entry of the window, and the first one in it still kept.
            let (last, first_kept): (Option<i64>, Option<i64>) = sqlx::query_as(
                "SELECT MAX(seq), MIN(CASE WHEN at >= $4 THEN seq END) FROM changes \
                 WHERE org_id = $1 AND seq > $2 AND seq <= $3",
            )
            .bind(org)
            .bind(floor)
            .bind(window)
            .bind(cutoff)
            .fetch_one(&mut *tx)
            .await
            .map_err(internal)?;
            let upto = match (last, first_kept) {
                (None, _) => floor,
                (Some(_), Some(kept)) => kept - 1,
                (Some(last), None) => last,
            };
            if upto <= floor {
                return Ok(dropped);
            }
            let done = sqlx::query("DELETE FROM changes WHERE org_id = $1 AND seq <= $2")
                .bind(org)
                .bind(upto)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
            sqlx::query("UPDATE orgs SET feed_floor = $1 WHERE id = $2")
                .bind(upto)
                .bind(org)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
            tx.commit().await.map_err(internal)?;
            dropped += done.rows_affected();
            if first_kept.is_some() {
                return Ok(dropped);
            }
        }
    }
}
