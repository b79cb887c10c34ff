//! Persistence of the organization's directory, over sqlx.
//!
//! The public API is the set of operations of the product (create a user, change a role, assign
//! licenses, import, list, …), each taking the [`Caller`] that acts and the time it acts at. Every
//! operation that writes runs in one transaction that also appends to the change feed and, for
//! privileged changes, the audit log, after asking [`omni_core::policy`] with the caller's current
//! role. Callers never write SQL.
//!
//! The SQL is kept portable (numbered parameters, `RETURNING`, no SQLite-only functions in
//! queries) so the server can run the same statements on PostgreSQL.

mod audit;
mod db;
mod demo;
mod directory;
mod export;
mod feed;
mod import;
mod list;
mod org;
mod rows;
mod users;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use omni_core::error::Result;
use omni_core::model::Id;
use omni_core::Error;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

pub use audit::AuditEntry;
pub use demo::DemoSpec;
pub use directory::{DirectoryItem, DirectoryKind, LinkKind};
pub use export::ExportScope;
pub use feed::{Change, ChangeOp, ChangePage, FeedEntity};
pub use import::{ImportOptions, ImportPlan, ImportReport, PhoneChange, Progress};
pub use list::{SortField, UserPage, UserQuery};
pub use org::Org;
pub use users::{NewUser, UserEdit};

/// Who performs an operation: a registered, live user of an organization. Their role is read
/// again inside every transaction, so a demoted caller loses their rights at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub org: Id,
    pub user: Id,
}

/// A handle on one database. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

impl Store {
    /// Opens (creating if needed) the SQLite database at `path`, with WAL, foreign keys and a busy
    /// timeout switched on explicitly, and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::internal(format!(
                    "Cannot create the data folder {}: {e}.",
                    dir.display()
                ))
            })?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(db::internal)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| {
                Error::internal(format!("Cannot open the database {}: {e}.", path.display()))
            })?;
        MIGRATOR.run(&pool).await.map_err(|e| {
            Error::internal(format!(
                "Cannot update the database {} to this version's schema: {e}.",
                path.display()
            ))
        })?;
        // Keep the planner's statistics fresh (cheap: bounded by analysis_limit).
        sqlx::raw_sql("PRAGMA analysis_limit = 400; PRAGMA optimize = 0x10002;")
            .execute(&pool)
            .await
            .map_err(db::internal)?;
        Ok(Store { pool })
    }

    /// Closes every connection (checkpointing the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// `PRAGMA integrity_check`: `ok` for a healthy file.
    pub async fn integrity_check(&self) -> Result<String> {
        let row: (String,) = sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(&self.pool)
            .await
            .map_err(db::internal)?;
        Ok(row.0)
    }

    /// Starts a write transaction that holds the write lock from its first statement
    /// (`BEGIN IMMEDIATE`), so read-then-write sequences cannot deadlock or interleave.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db::internal)
    }

    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}
