//! A write transaction whose SQLite statements run where it is driven, for license groups.
//!
//! sqlx gives each SQLite connection a thread and sends every statement there and its answer
//! back: two thread switches per statement, paid while every other writer waits. A license
//! group is a handful of short statements, so on a SQLite file it runs them right where it is
//! (a runtime worker, see [`super::license_groups`]), on a connection of its own ([`SqliteWriter`],
//! rusqlite over the same bundled SQLite as sqlx), still behind the store's write gate. Only
//! the wait for SQLite's lock, which another process may hold, goes to a blocking thread.
//! PostgreSQL (and an in-memory SQLite database, which a second connection could not see) keep
//! the pooled [`WriteTx`]: there every statement is a network round trip anyway.
//!
//! Statements use the store's portable SQL (numbered `$N` parameters) and take their values as
//! [`Arg`]s; a row comes back as [`Cell`]s.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use omni_core::error::Result;
use omni_core::Error;
use rusqlite::types::ValueRef;
use sqlx::any::AnyTypeInfoKind;
use sqlx::{Row, ValueRef as _};
use tokio::sync::OwnedMutexGuard;

use super::checkpoints::Checkpointer;
use super::WriteTx;
use crate::db::internal;
use crate::dialect::Backend;
use crate::Store;
use omni_core::model::Id;

/// A value bound to a statement's `$N` (the N-th of the list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Arg {
    Int(i64),
    Text(String),
}

/// A value read from a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cell {
    Null,
    Int(i64),
    Text(String),
}

impl Cell {
    pub(crate) fn int(&self) -> Result<i64> {
        match self {
            Cell::Int(v) => Ok(*v),
            other => Err(internal(format!("expected an integer, read {other:?}"))),
        }
    }

    pub(crate) fn text(&self) -> Result<&str> {
        match self {
            Cell::Text(v) => Ok(v),
            other => Err(internal(format!("expected text, read {other:?}"))),
        }
    }
}

/// The SQLite file's connection for [`DirectTx`], opened on first use (a desktop that never
/// changes a license never opens it) and kept between transactions, with its prepared
/// statements and its page cache.
#[derive(Debug)]
pub(crate) struct SqliteWriter {
    path: PathBuf,
    /// Every pragma the store's own connections run when they open.
    pragmas: String,
    /// How long a transaction waits for another program's lock on the file (the store's
    /// [`crate::Patience::lock`], as its other connections).
    busy: Duration,
    checkpoints: Arc<Checkpointer>,
    idle: Mutex<Option<rusqlite::Connection>>,
}

/// The file of the SQLite database at `url`, or `None` when it lives in memory (a connection of
/// its own would see another, empty database).
pub(crate) fn sqlite_file(url: &str) -> Result<Option<PathBuf>> {
    use std::str::FromStr as _;
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url).map_err(internal)?;
    let path = options.get_filename().to_path_buf();
    let memory = url.contains(":memory:") || url.contains("mode=memory");
    Ok((!memory && !path.as_os_str().is_empty()).then_some(path))
}

impl SqliteWriter {
    /// The writer of the SQLite database file at `path`, whose commits `checkpoints` hears of.
    pub(crate) fn new(
        path: PathBuf,
        pragmas: String,
        busy: Duration,
        checkpoints: Arc<Checkpointer>,
    ) -> Self {
        SqliteWriter {
            path,
            pragmas,
            busy,
            checkpoints,
            idle: Mutex::new(None),
        }
    }

    /// Closes the connection (a transaction holds it meanwhile: then it closes when dropped).
    pub(crate) fn close(&self) {
        drop(
            self.idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
    }

    fn take(&self) -> Result<rusqlite::Connection> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match idle {
            Some(conn) => Ok(conn),
            None => {
                let conn = rusqlite::Connection::open(&self.path).map_err(internal)?;
                conn.execute_batch(&self.pragmas).map_err(internal)?;
                Ok(conn)
            }
        }
    }

    fn put_back(&self, conn: rusqlite::Connection) {
        *self.idle.lock().unwrap_or_else(PoisonError::into_inner) = Some(conn);
    }
}

/// A write transaction on the SQLite writer's connection, holding the store's write gate. Rolls
/// back when dropped before [`DirectTx::commit`].
pub(crate) struct SqliteTx {
    conn: Option<rusqlite::Connection>,
    home: Arc<SqliteWriter>,
    _gate: OwnedMutexGuard<()>,
    /// The organization written, whose feed readers the commit wakes.
    wake: Option<super::wakeups::Wake>,
}

impl SqliteTx {
    /// `BEGIN IMMEDIATE` on the writer's connection. When another process holds SQLite's
    /// lock, the wait for it (up to the busy timeout) runs on a blocking thread.
    pub(crate) async fn begin(
        home: Arc<SqliteWriter>,
        gate: OwnedMutexGuard<()>,
    ) -> Result<SqliteTx> {
        let conn = home.take()?;
        let busy = home.busy;
        let first = conn
            .busy_timeout(Duration::ZERO)
            .and_then(|()| conn.execute_batch("BEGIN IMMEDIATE"));
        let (conn, begun) = match first {
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) => {
                tokio::task::spawn_blocking(move || {
                    let begun = conn
                        .busy_timeout(busy)
                        .and_then(|()| conn.execute_batch("BEGIN IMMEDIATE"));
                    (conn, begun)
                })
                .await
                .map_err(internal)?
            }
            other => (conn, other),
        };
        let begun = conn.busy_timeout(busy).and(begun);
        if let Err(e) = begun {
            home.put_back(conn);
            return Err(internal(e));
        }
        Ok(SqliteTx {
            conn: Some(conn),
            home,
            _gate: gate,
            wake: None,
        })
    }

    fn conn(&self) -> Result<&rusqlite::Connection> {
        self.conn
            .as_ref()
            .ok_or_else(|| Error::internal("The transaction has ended."))
    }

    fn prepared<'c>(
        conn: &'c rusqlite::Connection,
        sql: &str,
        args: &[Arg],
    ) -> Result<rusqlite::CachedStatement<'c>> {
        let mut stmt = conn.prepare_cached(sql).map_err(internal)?;
        for (i, arg) in args.iter().enumerate() {
            let Some(at) = stmt
                .parameter_index(&format!("${}", i + 1))
                .map_err(internal)?
            else {
                continue;
            };
            match arg {
                Arg::Int(v) => stmt.raw_bind_parameter(at, v),
                Arg::Text(v) => stmt.raw_bind_parameter(at, v.as_str()),
            }
            .map_err(internal)?;
        }
        Ok(stmt)
    }

    fn execute(&self, sql: &str, args: &[Arg]) -> Result<()> {
        let mut stmt = Self::prepared(self.conn()?, sql, args)?;
        stmt.raw_execute().map_err(internal)?;
        Ok(())
    }

    fn row(&self, sql: &str, args: &[Arg]) -> Result<Option<Vec<Cell>>> {
        let mut stmt = Self::prepared(self.conn()?, sql, args)?;
        let columns = stmt.column_count();
        let mut rows = stmt.raw_query();
        let Some(row) = rows.next().map_err(internal)? else {
            return Ok(None);
        };
        let mut cells = Vec::with_capacity(columns);
        for i in 0..columns {
            cells.push(match row.get_ref(i).map_err(internal)? {
                ValueRef::Null => Cell::Null,
                ValueRef::Integer(v) => Cell::Int(v),
                ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                other => {
                    return Err(internal(format!(
                        "unexpected {:?} in column {i}",
                        other.data_type()
                    )))
                }
            });
        }
        Ok(Some(cells))
    }

    fn commit(mut self) -> Result<()> {
        let conn = self
            .conn
            .take()
            .ok_or_else(|| Error::internal("The transaction has ended."))?;
        let done = conn.execute_batch("COMMIT");
        if done.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        } else {
            self.home.checkpoints.committed();
            if let Some(wake) = &self.wake {
                wake.fire();
            }
        }
        self.home.put_back(conn);
        done.map_err(internal)
    }
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // A failure here leaves the connection in its transaction: drop it, and the next
            // transaction opens a new one.
            if conn.execute_batch("ROLLBACK").is_ok() {
                self.home.put_back(conn);
            }
        }
    }
}

/// A write transaction: on the SQLite writer's connection, run where it is driven, or the
/// store's pooled [`WriteTx`].
pub(crate) enum DirectTx {
    Sqlite(SqliteTx),
    Pooled(WriteTx),
}

impl DirectTx {
    pub(crate) fn backend(&self) -> Backend {
        match self {
            DirectTx::Sqlite(_) => Backend::Sqlite,
            DirectTx::Pooled(tx) => Backend::of(tx),
        }
    }

    pub(crate) async fn execute(&mut self, sql: &str, args: &[Arg]) -> Result<()> {
        match self {
            DirectTx::Sqlite(tx) => tx.execute(sql, args),
            DirectTx::Pooled(tx) => {
                bound(sqlx::query(sql), args)
                    .execute(&mut **tx)
                    .await
                    .map_err(internal)?;
                Ok(())
            }
        }
    }

    /// The first row the statement returns, if any.
    pub(crate) async fn row(&mut self, sql: &str, args: &[Arg]) -> Result<Option<Vec<Cell>>> {
        match self {
            DirectTx::Sqlite(tx) => tx.row(sql, args),
            DirectTx::Pooled(tx) => {
                let row = bound(sqlx::query(sql), args)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(internal)?;
                row.map(|row| cells_of(&row)).transpose()
            }
        }
    }

    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            DirectTx::Sqlite(tx) => tx.commit(),
            DirectTx::Pooled(tx) => tx.commit().await,
        }
    }
}

fn bound<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    args: &'q [Arg],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for arg in args {
        query = match arg {
            Arg::Int(v) => query.bind(*v),
            Arg::Text(v) => query.bind(v.as_str()),
        };
    }
    query
}

fn cells_of(row: &sqlx::any::AnyRow) -> Result<Vec<Cell>> {
    let mut cells = Vec::with_capacity(row.len());
    for i in 0..row.len() {
        let raw = row.try_get_raw(i).map_err(internal)?;
        let (null, kind) = (raw.is_null(), raw.type_info().kind());
        cells.push(match kind {
            _ if null => Cell::Null,
            AnyTypeInfoKind::SmallInt | AnyTypeInfoKind::Integer | AnyTypeInfoKind::BigInt => {
                Cell::Int(row.try_get(i).map_err(internal)?)
            }
            AnyTypeInfoKind::Text => Cell::Text(row.try_get(i).map_err(internal)?),
            other => return Err(internal(format!("unexpected {other:?} in column {i}"))),
        });
    }
    Ok(cells)
}

impl Store {
    /// True when [`DirectTx`] runs SQLite's statements on the calling thread.
    pub(crate) fn runs_sqlite_here(&self) -> bool {
        self.sqlite_writer.is_some()
    }

    /// Starts a [`DirectTx`] that serialises the writers of organization `org`, as
    /// [`Store::begin_write`] does.
    pub(crate) async fn begin_direct(&self, org: Id) -> Result<DirectTx> {
        match &self.sqlite_writer {
            Some(writer) => {
                let gate = self.write_turn().await?;
                let mut tx = SqliteTx::begin(writer.clone(), gate).await?;
                tx.wake = self.wake(Some(org));
                Ok(DirectTx::Sqlite(tx))
            }
            None => Ok(DirectTx::Pooled(self.begin_write(Some(org)).await?)),
        }
    }
}
