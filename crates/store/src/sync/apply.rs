//! Applying a snapshot to a store: the desktop's local copy of a server's organization. The
//! lines are parsed on a thread of their own while the previous chunk is written, and all of
//! it goes in one transaction that first removes what the store held of that organization: a
//! snapshot cut short (no `end`, or counts that do not match) leaves the store as it was.

use std::io::BufRead;

use omni_core::error::Result;
use omni_core::model::Id;
use omni_core::Error;
use tokio::sync::mpsc;

use super::{Counts, Header, Record, SNAPSHOT_FORMAT};
use crate::db::internal;
use crate::dialect::JsonRows;
use crate::engine::bulk::{BulkCache, BulkWrite};
use crate::engine::WriteTx;
use crate::sync::rows::USER_ROW;
use crate::{Backend, Store};

/// Records parsed per chunk.
const CHUNK: usize = 5_000;

/// Users from which a first download sets [`RANDOM_ORDER_INDEXES`] aside ([`BulkWrite`]).
const LARGE: u64 = 20_000;

/// The copy's indexes whose keys arrive in random order when users come in id order: built
/// again after the rows of a large first download (at a million users, 25.0 s of SQLite
/// against 31.9 s kept up row by row, measured with the `sqlite3` shell; docs/benchmarks.md).
const RANDOM_ORDER_INDEXES: &[&str] = &[
    "users_email",
    "users_phone",
    "users_domain",
    "users_updated",
];

/// What [`Store::apply_snapshot`] applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub org: Id,
    /// The feed position the copy is at: follow the feed from here.
    pub position: i64,
    pub counts: Counts,
}

/// The tables of an organization's data, children first.
const TABLES: [&str; 9] = [
    "links",
    "directory",
    "identities",
    "usage_events",
    "changes",
    "audit",
    "idempotency_keys",
    "uploads",
    "users",
];

fn cut(why: &str) -> Error {
    Error::invalid(format!("The snapshot is incomplete or damaged: {why}."))
}

impl Store {
    /// Replaces what this store holds of the snapshot's organization with the snapshot read
    /// from `reader` ([`crate::sync`]), in one transaction. The organization's feed starts at
    /// the snapshot's position (its `last_seq` and floor), as the server's did there.
    pub async fn apply_snapshot<R: BufRead + Send + 'static>(&self, reader: R) -> Result<Applied> {
        let (send, mut chunks) = mpsc::channel::<Result<Vec<Record>>>(2);
        std::thread::spawn(move || parse(reader, &send));
        let Some(Ok(first)) = chunks.recv().await.map(|c| c.and_then(first_header)) else {
            return Err(cut("it does not start with its header"));
        };
        let (header, rest) = first;
        let mut tx = self.begin_write(None).await?;
        for table in TABLES {
            sqlx::query(&format!("DELETE FROM {table} WHERE org_id = $1"))
                .bind(header.org)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
        }
        sqlx::query("DELETE FROM orgs WHERE id = $1")
            .bind(header.org)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        // A first download (nothing else in the copy's users table) of a large organization
        // builds the random-order indexes after the rows.
        let (others,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM (SELECT 1 FROM users LIMIT 1) AS u")
                .fetch_one(&mut *tx)
                .await
                .map_err(internal)?;
        let large = others == 0 && header.counts.users >= LARGE;
        let bulk = BulkWrite::begin(
            &mut tx,
            BulkCache::Desktop,
            self.footprint.cache_pragma(),
            RANDOM_ORDER_INDEXES,
            large,
        )
        .await?;
        let result = fill(&mut tx, &header, rest, &mut chunks).await;
        let finished = bulk.finish(&mut tx, result.is_ok()).await;
        let seen = result?;
        finished?;
        super::outbox::overlay_all(&mut tx, header.org).await?;
        super::outbox::fit_seats(&mut tx, header.org).await?;
        tx.commit().await?;
        Ok(Applied {
            org: header.org,
            position: header.position,
            counts: seen,
        })
    }
}

/// Reads the snapshot's records after its header into the copy; answers what it wrote, after
/// checking that it is all of what the header announced.
async fn fill(
    tx: &mut WriteTx,
    header: &Header,
    rest: Vec<Record>,
    chunks: &mut mpsc::Receiver<Result<Vec<Record>>>,
) -> Result<Counts> {
    let mut seen = Counts::default();
    let mut ended = None;
    let mut pending = rest;
    loop {
        if ended.is_some() && !pending.is_empty() {
            return Err(cut("records follow its end"));
        }
        ended = write(tx, header, pending, &mut seen).await?.or(ended);
        pending = match chunks.recv().await {
            Some(chunk) => chunk?,
            None => break,
        };
    }
    let Some(end) = ended else {
        return Err(cut("its end is missing"));
    };
    if end.counts != header.counts || seen != header.counts || end.position != header.position {
        return Err(cut("its counts do not match"));
    }
    Ok(seen)
}

fn first_header(mut records: Vec<Record>) -> Result<(Header, Vec<Record>)> {
    if records.is_empty() {
        return Err(cut("it is empty"));
    }
    match records.remove(0) {
        Record::Header(h) if h.format == SNAPSHOT_FORMAT => Ok((h, records)),
        Record::Header(h) => Err(cut(&format!("format {} is not known", h.format))),
        _ => Err(cut("it does not start with its header")),
    }
}

/// Reads the lines into chunks of records until the end of `reader` or the first error.
fn parse<R: BufRead>(reader: R, send: &mpsc::Sender<Result<Vec<Record>>>) {
    let mut chunk = Vec::with_capacity(CHUNK);
    for line in reader.lines() {
        let record = line
            .map_err(|e| cut(&format!("reading it failed ({e})")))
            .and_then(|l| serde_json::from_str::<Record>(&l).map_err(|e| cut(&e.to_string())));
        match record {
            Ok(r) => chunk.push(r),
            Err(e) => {
                let _ = send.blocking_send(Err(e));
                return;
            }
        }
        if chunk.len() == CHUNK && send.blocking_send(Ok(std::mem::take(&mut chunk))).is_err() {
            return;
        }
    }
    if !chunk.is_empty() {
        let _ = send.blocking_send(Ok(chunk));
    }
}

/// Writes a chunk's records; returns the `end` when the chunk holds it.
async fn write(
    tx: &mut WriteTx,
    header: &Header,
    records: Vec<Record>,
    seen: &mut Counts,
) -> Result<Option<super::End>> {
    let (mut users, mut items, mut links) = (JsonRows::new(), JsonRows::new(), JsonRows::new());
    let mut end = None;
    for r in records {
        if end.is_some() {
            return Err(cut("records follow its end"));
        }
        match r {
            Record::Header(_) => return Err(cut("it holds a second header")),
            Record::Org(o) => {
                if o.id != header.org {
                    return Err(cut("its organization is not its header's"));
                }
                sqlx::query(
                    "INSERT INTO orgs (id, name, entra_tenant, owner_email, seats_purchased, \
                     users_total, users_licensed, users_admins, last_seq, feed_floor, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)",
                )
                .bind(o.id)
                .bind(o.name)
                .bind(o.entra_tenant)
                .bind(o.owner_email)
                .bind(o.seats_purchased)
                .bind(o.users_total)
                .bind(o.users_licensed)
                .bind(o.users_admins)
                .bind(header.position)
                .bind(o.created_at)
                .execute(&mut **tx)
                .await
                .map_err(internal)?;
                super::outbox::server_seats(tx, o.id, o.seats_purchased).await?;
            }
            Record::User(u) => {
                seen.users += 1;
                seen.deleted_users += u64::from(u.deleted_at.is_some());
                users.push(&(
                    u.id,
                    &u.email,
                    &u.phone,
                    &u.role,
                    i64::from(u.licensed),
                    u.budget_micros,
                    u.usage_micros,
                    u.usage_month,
                    u.created_at,
                    u.updated_at,
                    u.deleted_at,
                    u.version,
                ))?;
            }
            Record::Item(i) => {
                seen.items += 1;
                items.push(&(
                    i.id,
                    &i.kind,
                    &i.name,
                    i.created_at,
                    i.updated_at,
                    i.version,
                ))?;
            }
            Record::Link(l) => {
                seen.links += 1;
                links.push(&(l.id, &l.kind, l.a_id, l.b_id, l.created_at))?;
            }
            Record::End(e) => end = Some(e),
        }
    }
    let b = Backend::of(tx);
    insert(tx, b, "users", &USER_ROW, header.org, users).await?;
    let item_cols = [
        ("id", true),
        ("kind", false),
        ("name", false),
        ("created_at", true),
        ("updated_at", true),
        ("version", true),
    ];
    insert(tx, b, "directory", &item_cols, header.org, items).await?;
    let link_cols = [
        ("id", true),
        ("kind", false),
        ("a_id", true),
        ("b_id", true),
        ("created_at", true),
    ];
    insert(tx, b, "links", &link_cols, header.org, links).await?;
    Ok(end)
}

/// Inserts `rows` (arrays of `columns`, in order) into `table` for `org`, in one statement.
async fn insert(
    tx: &mut WriteTx,
    b: Backend,
    table: &str,
    columns: &[(&str, bool)],
    org: Id,
    rows: JsonRows,
) -> Result<()> {
    let Some(rows) = rows.finish()? else {
        return Ok(());
    };
    let names: Vec<&str> = columns.iter().map(|c| c.0).collect();
    let names = names.join(", ");
    let sql = format!(
        "INSERT INTO {table} (org_id, {names}) SELECT $1, {names} FROM ({}) AS r",
        b.json_rows("$2", columns)
    );
    sqlx::query(&sql)
        .bind(org)
        .bind(rows)
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
    Ok(())
}
