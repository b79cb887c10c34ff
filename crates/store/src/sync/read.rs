//! Writing a snapshot: one read transaction (PostgreSQL `REPEATABLE READ`; SQLite one read
//! transaction, which sees the database as of its first read) held by a task of its own,
//! which reads each table in pages by id and hands NDJSON chunks to the reader through a
//! short channel. Memory stays bounded by a few pages whatever the organization's size, and a
//! reader that goes away ends the task (and the transaction) at its next page.

use omni_core::error::Result;
use omni_core::model::Id;
use omni_core::policy::{self, Action};
use sqlx::{Any, Transaction};
use tokio::sync::mpsc;

use super::SNAPSHOT_FORMAT;
use super::{Counts, End, Header, ItemRecord, LinkRecord, OrgRecord, Record, UserRecord};
use crate::db::{actor, internal};
use crate::dialect::Backend;
use crate::{Caller, Store};

/// Rows read per statement, and per chunk handed to the reader.
const PAGE: i64 = 5_000;

/// Chunks waiting for the reader at most.
const AHEAD: usize = 4;

/// A snapshot being read: its header, then its NDJSON text in chunks ([`SnapshotStream::next`]).
pub struct SnapshotStream {
    pub header: Header,
    chunks: mpsc::Receiver<Result<Vec<u8>>>,
}

impl SnapshotStream {
    /// The next chunk of NDJSON lines (the header's line first, the `end` line last); `None`
    /// once the `end` line was given. An error ends the snapshot without its `end`.
    pub async fn next(&mut self) -> Option<Result<Vec<u8>>> {
        self.chunks.recv().await
    }
}

type UserRow = (
    Id,
    String,
    Option<String>,
    String,
    i64,
    Option<i64>,
    i64,
    i64,
    i64,
    i64,
    Option<i64>,
    i64,
);

impl Store {
    /// A consistent snapshot of the caller's organization ([`crate::sync`]). The caller must be
    /// allowed to read the users table; that is decided before anything streams.
    pub async fn snapshot(&self, caller: &Caller) -> Result<SnapshotStream> {
        let begin = match self.backend {
            Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            Backend::Sqlite => "BEGIN",
        };
        let mut tx = self.pool().begin_with(begin).await.map_err(internal)?;
        policy::authorize(&actor(&mut tx, caller).await?, &Action::ViewUsers)?;
        let org = org_record(&mut tx, caller.org).await?;
        let (position,): (i64,) = sqlx::query_as("SELECT last_seq FROM orgs WHERE id = $1")
            .bind(caller.org)
            .fetch_one(&mut *tx)
            .await
            .map_err(internal)?;
        let counts = counts(&mut tx, caller.org).await?;
        let header = Header {
            format: SNAPSHOT_FORMAT,
            org: caller.org,
            position,
            counts,
        };
        let (send, chunks) = mpsc::channel(AHEAD);
        let first = lines(&[Record::Header(header.clone()), Record::Org(org)]);
        let end = Record::End(End { position, counts });
        let org = caller.org;
        tokio::spawn(async move {
            let read = async {
                send.send(first).await.map_err(|_| gone())?;
                read_all(&mut tx, org, &send).await?;
                send.send(lines(&[end])).await.map_err(|_| gone())
            };
            if let Err(e) = read.await {
                let _ = send.send(Err(e)).await;
            }
        });
        Ok(SnapshotStream { header, chunks })
    }
}

/// The reader went away: nothing more to send.
fn gone() -> omni_core::Error {
    internal("the snapshot's reader went away")
}

fn lines(records: &[Record]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for r in records {
        serde_json::to_writer(&mut out, r).map_err(internal)?;
        out.push(b'\n');
    }
    Ok(out)
}

/// The organization's row as a snapshot (and the feed's `org` entries) carry it.
pub(crate) async fn org_record(conn: &mut sqlx::AnyConnection, org: Id) -> Result<OrgRecord> {
    let r: (Id, String, Option<String>, String, i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT id, name, entra_tenant, owner_email, seats_purchased, users_total, \
         users_licensed, users_admins, created_at FROM orgs WHERE id = $1",
    )
    .bind(org)
    .fetch_one(&mut *conn)
    .await
    .map_err(internal)?;
    Ok(OrgRecord {
        id: r.0,
        name: r.1,
        entra_tenant: r.2,
        owner_email: r.3,
        seats_purchased: r.4,
        users_total: r.5,
        users_licensed: r.6,
        users_admins: r.7,
        created_at: r.8,
    })
}

async fn counts(tx: &mut Transaction<'static, Any>, org: Id) -> Result<Counts> {
    let (users, deleted, items, links): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM users WHERE org_id = $1), \
         (SELECT COUNT(*) FROM users WHERE org_id = $1 AND deleted_at IS NOT NULL), \
         (SELECT COUNT(*) FROM directory WHERE org_id = $1), \
         (SELECT COUNT(*) FROM links WHERE org_id = $1)",
    )
    .bind(org)
    .fetch_one(&mut **tx)
    .await
    .map_err(internal)?;
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok(Counts {
        users: n(users),
        deleted_users: n(deleted),
        items: n(items),
        links: n(links),
    })
}

/// Every user, item and link of `org`, a page at a time, in id order.
async fn read_all(
    tx: &mut Transaction<'static, Any>,
    org: Id,
    send: &mpsc::Sender<Result<Vec<u8>>>,
) -> Result<()> {
    let mut after = 0;
    loop {
        let rows: Vec<UserRow> = sqlx::query_as(
            "SELECT id, email, phone, role, licensed, budget_micros, usage_micros, usage_month, \
             created_at, updated_at, deleted_at, version FROM users \
             WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(org)
        .bind(after)
        .bind(PAGE)
        .fetch_all(&mut **tx)
        .await
        .map_err(internal)?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        let full = rows.len() as i64 == PAGE;
        let records: Vec<Record> = rows.into_iter().map(user_record).collect();
        send.send(lines(&records)).await.map_err(|_| gone())?;
        if !full {
            break;
        }
    }
    let items: Vec<(Id, String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT id, kind, name, created_at, updated_at, version FROM directory \
         WHERE org_id = $1 ORDER BY id",
    )
    .bind(org)
    .fetch_all(&mut **tx)
    .await
    .map_err(internal)?;
    for chunk in items.chunks(PAGE as usize) {
        let records: Vec<Record> = chunk
            .iter()
            .map(|r| {
                Record::Item(ItemRecord {
                    id: r.0,
                    kind: r.1.clone(),
                    name: r.2.clone(),
                    created_at: r.3,
                    updated_at: r.4,
                    version: r.5,
                })
            })
            .collect();
        send.send(lines(&records)).await.map_err(|_| gone())?;
    }
    let mut after = 0;
    loop {
        let rows: Vec<(Id, String, Id, Id, i64)> = sqlx::query_as(
            "SELECT id, kind, a_id, b_id, created_at FROM links \
             WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(org)
        .bind(after)
        .bind(PAGE)
        .fetch_all(&mut **tx)
        .await
        .map_err(internal)?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        let full = rows.len() as i64 == PAGE;
        let records: Vec<Record> = rows
            .into_iter()
            .map(|r| {
                Record::Link(LinkRecord {
                    id: r.0,
                    kind: r.1,
                    a_id: r.2,
                    b_id: r.3,
                    created_at: r.4,
                })
            })
            .collect();
        send.send(lines(&records)).await.map_err(|_| gone())?;
        if !full {
            break;
        }
    }
    Ok(())
}

fn user_record(r: UserRow) -> Record {
    Record::User(UserRecord {
        id: r.0,
        email: r.1,
        phone: r.2,
        role: r.3,
        licensed: r.4 != 0,
        budget_micros: r.5,
        usage_micros: r.6,
        usage_month: r.7,
        created_at: r.8,
        updated_at: r.9,
        deleted_at: r.10,
        version: r.11,
    })
}
