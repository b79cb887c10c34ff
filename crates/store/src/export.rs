//! CSV export of the whole list or of the current view, streamed from the database to the
//! writer (memory holds a couple of chunks, never the organization).
//!
//! The common case (email order: the whole list, or a view sorted by email) reads chunks of
//! [`CHUNK`] rows, each packed by SQLite into one JSON array, on a task of its own that keeps
//! one read transaction (a consistent snapshot) while this task formats the previous chunk.
//! Fetching rows one by one would cost a thread hand-off per row. Other orders stream rows.

use std::borrow::Cow;
use std::io::Write;

use futures_util::TryStreamExt;
use omni_core::csv::{ExportRecord, ExportWriter};
use omni_core::error::Result;
use omni_core::model::{Role, Timestamp, Usd};
use omni_core::policy::{self, Action};
use omni_core::{Error, Phone};
use serde::{Deserialize, Serialize};

use crate::db::{actor, actor_and_counters, internal};
use crate::import::Progress;
use crate::list::UserQuery;
use crate::rows::user_from_row;
use crate::{Caller, Store};

/// Rows per chunk when exporting in email order.
const CHUNK: u32 = 5000;

/// What to export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ExportScope {
    /// Every user, by email.
    All,
    /// The rows the table shows for this query (its filters and sort; paging ignored).
    View { query: UserQuery },
}

fn io(e: std::io::Error) -> Error {
    Error::internal(format!("Cannot write the export: {e}."))
}

/// One user as the chunk query packs it: email, phone, role, licensed, budget, usage (this
/// month), created, updated.
#[derive(Deserialize)]
struct Packed<'a>(
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] Cow<'a, str>,
    i64,
    Option<i64>,
    i64,
    i64,
    i64,
);

/// One chunk of an email-ordered export: its JSON rows, and its last email when more may follow.
async fn fetch_chunk(
    conn: &mut sqlx::AnyConnection,
    query: &UserQuery,
    org: omni_core::model::Id,
    now: Timestamp,
    after: Option<&str>,
) -> Result<(String, Option<String>)> {
    let backend = crate::dialect::Backend::of(conn);
    let (sql, args) = crate::list::select_chunk_json(query, org, now, after, CHUNK, backend)?;
    sqlx::query_as_with(&sql, args)
        .fetch_one(&mut *conn)
        .await
        .map_err(internal)
}

/// Writes one chunk; returns how many users it held.
fn write_chunk<W: Write>(
    writer: &mut ExportWriter<W>,
    json: &str,
    descending: bool,
) -> Result<usize> {
    let mut rows: Vec<Packed<'_>> = serde_json::from_str(json).map_err(internal)?;
    // The chunk comes in email order; should a database ever aggregate otherwise, restore it.
    let ordered = |a: &Packed<'_>, b: &Packed<'_>| if descending { a.0 >= b.0 } else { a.0 <= b.0 };
    if !rows.windows(2).all(|w| ordered(&w[0], &w[1])) {
        rows.sort_by(|a, b| {
            if descending {
                b.0.cmp(&a.0)
            } else {
                a.0.cmp(&b.0)
            }
        });
    }
    for r in &rows {
        let phone = r.1.as_deref().and_then(Phone::from_stored);
        writer
            .write(&ExportRecord {
                email: &r.0,
                phone: phone.as_ref(),
                role: Role::from_stored(&r.2).ok_or_else(|| internal("unknown role"))?,
                licensed: r.3 != 0,
                budget: r.4.map(Usd),
                usage: Usd(r.5),
                created_at: Timestamp(r.6),
                updated_at: Timestamp(r.7),
            })
            .map_err(io)?;
    }
    Ok(rows.len())
}

impl Store {
    /// Refuses `caller` what [`Store::export`] would refuse them, before anything is written:
    /// a server answers a denial as such rather than as a stream cut short.
    pub async fn may_export(&self, caller: &Caller) -> Result<()> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        policy::authorize(&actor(&mut conn, caller).await?, &Action::ViewUsers)
    }

    /// Writes the CSV export to `out` and returns it with the number of users written.
    pub async fn export<W: Write + Send>(
        &self,
        caller: &Caller,
        scope: &ExportScope,
        out: W,
        progress: &(dyn Fn(Progress) + Sync),
        now: Timestamp,
    ) -> Result<(W, u64)> {
        let query = match scope {
            ExportScope::All => UserQuery::default(),
            ExportScope::View { query } => query.clone(),
        };
        // Long reads go through the OS page cache instead of copying every page (address space,
        // not memory; writers stay without it, where it slows SQLite down). Then one read
        // transaction: the export is a consistent snapshot however long it takes.
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        if self.backend() != crate::Backend::Sqlite {
            return export_on(&mut conn, caller, query, out, progress, now).await;
        }
        sqlx::query("PRAGMA mmap_size = 1073741824")
            .execute(&mut *conn)
            .await
            .map_err(internal)?;
        let result = export_on(&mut conn, caller, query, out, progress, now).await;
        sqlx::query("PRAGMA mmap_size = 0")
            .execute(&mut *conn)
            .await
            .map_err(internal)?;
        result
    }
}

async fn export_on<W: Write + Send>(
    conn: &mut sqlx::AnyConnection,
    caller: &Caller,
    query: UserQuery,
    out: W,
    progress: &(dyn Fn(Progress) + Sync),
    now: Timestamp,
) -> Result<(W, u64)> {
    let mut tx = sqlx::Connection::begin(&mut *conn)
        .await
        .map_err(internal)?;
    let (a, counters) = actor_and_counters(&mut tx, caller).await?;
    policy::authorize(&a, &Action::ViewUsers)?;
    let total = crate::list::page(
        &mut tx,
        caller.org,
        &UserQuery {
            limit: 1,
            ..query.clone()
        },
        now,
        &counters,
    )
    .await?
    .total as u64;
    let mut writer = ExportWriter::new(out).map_err(io)?;
    let mut n: u64 = 0;
    let mut last_report = 0;
    if crate::list::email_ordered(&query) {
        // While SQLite builds chunk k+1 on its worker thread, this task formats chunk k.
        let (mut json, mut last) = fetch_chunk(&mut tx, &query, caller.org, now, None).await?;
        loop {
            let Some(after) = last.take() else {
                n += write_chunk(&mut writer, &json, query.descending)? as u64;
                break;
            };
            let (next, written) = tokio::join!(
                fetch_chunk(&mut tx, &query, caller.org, now, Some(&after)),
                async { write_chunk(&mut writer, &json, query.descending) }
            );
            n += written? as u64;
            (json, last) = next?;
            if n - last_report >= 50_000 {
                last_report = n;
                progress(Progress { done: n, total });
            }
        }
    } else {
        let backend = crate::dialect::Backend::of(&tx);
        let (sql, args) = crate::list::select_all(&query, caller.org, now, backend)?;
        let mut rows = sqlx::query_with(&sql, args).fetch(&mut *tx);
        while let Some(row) = rows.try_next().await.map_err(internal)? {
            let u = user_from_row(&row)?;
            writer
                .write(&ExportRecord {
                    email: u.email.as_str(),
                    phone: u.phone.as_ref(),
                    role: u.role,
                    licensed: u.licensed,
                    budget: u.budget,
                    usage: u.usage,
                    created_at: u.created_at,
                    updated_at: u.updated_at,
                })
                .map_err(io)?;
            n += 1;
            if n % 50_000 == 0 {
                progress(Progress { done: n, total });
            }
        }
    }
    progress(Progress { done: n, total: n });
    Ok((writer.finish().map_err(io)?, n))
}
