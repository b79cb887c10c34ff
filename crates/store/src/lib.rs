//! Persistence of the organization's directory, over sqlx (and rusqlite for the statements of
//! license groups on a SQLite file, [`engine::direct_sqlite`]).
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
mod dialect;
mod directory;
mod directory_pages;
mod engine;
mod export;
mod feed;
pub mod idempotency;
mod identity;
mod import;
mod licenses;
mod list;
mod live;
mod org;
mod outage;
mod retention;
mod rows;
pub mod scim;
pub mod sync;
mod uploads;
mod users;
mod write;

use std::path::Path;

use omni_core::error::Result;
use omni_core::model::Id;
use omni_core::Error;
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use sqlx::Executor;

pub use audit::{AuditEntry, AuditPage, AuditQuery, ACTIONS as AUDIT_ACTIONS};
pub use demo::DemoSpec;
pub use dialect::Backend;
pub use directory::{DirectoryItem, DirectoryKind, LinkKind};
pub use directory_pages::{
    DirectoryEntry, DirectoryPage, DirectoryQuery, ItemLink, ItemPage, ItemQuery, Member,
};
pub use export::ExportScope;
pub use feed::{Change, ChangeOp, ChangePage, FeedEntity};
pub use identity::{Identity, SignIn};
pub use import::{ImportOptions, ImportPlan, ImportReport, PhoneChange, Progress};
pub use list::{SortField, UserPage, UserQuery};
pub use live::LONGEST_WAIT;
pub use org::Org;
pub use outage::Patience;
pub use retention::{Forgotten, FEED_KEPT_DAYS};
pub use uploads::Upload;
pub use users::{NewUser, UserEdit};

/// Who performs an operation: a registered, live user of an organization. Their role is read
/// again inside every transaction, so a demoted caller loses their rights at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub org: Id,
    pub user: Id,
}

impl Caller {
    /// A SCIM provisioning token of `org` acting ([`scim`]). Its id is kept as a negative
    /// `user`, which no user has: every operation reads it back as the token
    /// ([`omni_core::policy::Actor::provisioning`]), and the audit log names the token.
    pub fn provisioning(org: Id, token: Id) -> Caller {
        Caller { org, user: -token }
    }

    /// The provisioning token acting, when this caller is one.
    pub fn token(&self) -> Option<Id> {
        (self.user < 0).then_some(-self.user)
    }
}

/// How much a SQLite store may keep in memory: how many connections it pools for reading (the
/// one writing connection comes beside them) and how large a page cache each keeps. Pages
/// beyond the cache are read from the operating system's file cache, which costs a copy but no
/// disk access and counts against no process. And how long its write-ahead log may grow under a
/// stream of writes before a checkpoint makes SQLite write it from the start again
/// ([`engine::checkpoints`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqliteFootprint {
    pub connections: u32,
    pub cache_kib: u32,
    pub log_pages: u32,
}

impl SqliteFootprint {
    /// The CLI's and the server's: 4 reading connections (and the writer) of 16 MiB each, and a
    /// log of about 40 MiB (10,000 pages of 4 KiB).
    pub const STANDARD: SqliteFootprint = SqliteFootprint {
        connections: 4,
        cache_kib: 16 * 1024,
        log_pages: 10_000,
    };
    /// The desktop app's, which shares the machine with its own web view: one reading
    /// connection (one person's reads) and the writer (where a long import runs beside them),
    /// of 2 MiB each (its reads walk one index at a time; the file cache holds the rest), and
    /// a log of about 10 MiB.
    pub const DESKTOP: SqliteFootprint = SqliteFootprint {
        connections: 1,
        cache_kib: 2 * 1024,
        log_pages: 2_500,
    };

    /// The `PRAGMA` that sets a connection's everyday page cache.
    pub(crate) fn cache_pragma(self) -> String {
        format!("PRAGMA cache_size = -{}", self.cache_kib)
    }
}

/// A handle on one database. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    /// SQLite: the one connection every write transaction runs on. Its page cache stays warm:
    /// a SQLite connection drops its whole cache when another connection has written, which
    /// a write on whichever pooled connection came next always found.
    writer: Option<AnyPool>,
    backend: Backend,
    /// Connections and page cache (SQLite): an import raises its connection's cache and
    /// restores this one's afterwards.
    footprint: SqliteFootprint,
    /// SQLite has one writer at a time: writers of this process queue here, in order, instead
    /// of polling the database lock with SQLite's sleeping busy handler (which, under many
    /// concurrent writers, turns into tens of milliseconds of idle waiting per transaction).
    write_gate: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// SQLite file: the connection license groups run their statements on, where they are
    /// driven ([`engine::direct_sqlite`]).
    sqlite_writer: Option<std::sync::Arc<engine::direct_sqlite::SqliteWriter>>,
    /// SQLite file: checkpoints its log after commits ([`engine::checkpoints`]).
    checkpoints: Option<std::sync::Arc<engine::checkpoints::Checkpointer>>,
    /// License changes waiting to be committed in groups ([`engine::license_groups`]).
    licenses: std::sync::Arc<engine::license_groups::LicenseQueue>,
    /// Callers waiting for their organization's position ([`engine::table_version`]).
    versions: std::sync::Arc<engine::table_version::VersionQueue>,
    /// How long an operation waits for the database before it reports it unavailable
    /// ([`outage`]).
    patience: Patience,
    /// The change feed's waiters, woken by commits ([`engine::wakeups`]).
    wakeups: std::sync::Arc<engine::wakeups::Wakeups>,
    /// PostgreSQL: the URL, for the connection that listens for other processes' changes.
    url: Option<engine::wakeups::ListenUrl>,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static PG_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// What every SQLite connection switches on: WAL, foreign keys and in-memory temporary tables
/// (its page cache comes from the [`SqliteFootprint`], and imports raise it while they run; its
/// busy timeout from the store's [`Patience`]).
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
     PRAGMA foreign_keys = ON; PRAGMA temp_store = memory; PRAGMA wal_autocheckpoint = 0;";

/// `path` as a `sqlite://` URL that creates the file when missing (every byte outside the
/// unreserved set percent-encoded, so spaces, `?` and `#` in folder names survive).
fn sqlite_url(path: &Path) -> Result<String> {
    let abs = std::path::absolute(path).map_err(|e| {
        Error::internal(format!("Cannot resolve the path {}: {e}.", path.display()))
    })?;
    let raw = abs.to_str().ok_or_else(|| {
        Error::internal(format!(
            "The database path {} is not valid UTF-8.",
            abs.display()
        ))
    })?;
    let mut url = String::from("sqlite://");
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url.push_str("?mode=rwc");
    Ok(url)
}

/// A pool of at most `connections`, which waits `patience.acquire` for a connection (connecting
/// included). SQLite connections are switched on as [`SQLITE_PRAGMAS`] says, with the
/// footprint's page cache and the patience's busy timeout.
fn pool_options(
    backend: Backend,
    connections: u32,
    footprint: SqliteFootprint,
    patience: Patience,
) -> AnyPoolOptions {
    let options = AnyPoolOptions::new()
        .max_connections(connections.max(1))
        .acquire_timeout(patience.acquire)
        // A PostgreSQL connection the pool kept goes stale when the server restarts: the ping
        // before lending it finds out, and the pool opens a new one instead, so the first
        // requests after an outage do not fail on the connections of before. A SQLite
        // connection is a file handle in this process: it cannot go stale, so a ping would only
        // cost a round trip to its thread.
        .test_before_acquire(backend == Backend::Postgres);
    match backend {
        Backend::Postgres => options,
        Backend::Sqlite => options.after_connect(move |conn, _meta| {
            Box::pin(async move {
                conn.execute(SQLITE_PRAGMAS).await?;
                conn.execute(footprint.cache_pragma().as_str()).await?;
                conn.execute(patience.busy_pragma().as_str()).await?;
                Ok(())
            })
        }),
    }
}

impl Store {
    /// Opens (creating if needed) the SQLite database at `path`, with WAL, foreign keys and a busy
    /// timeout switched on explicitly, and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Store> {
        Store::open_with(path, SqliteFootprint::STANDARD).await
    }

    /// [`Store::open`] within a memory footprint.
    pub async fn open_with(path: &Path, footprint: SqliteFootprint) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::internal(format!(
                    "Cannot create the data folder {}: {e}.",
                    dir.display()
                ))
            })?;
        }
        Store::connect_sized(&sqlite_url(path)?, footprint, Patience::PATIENT)
            .await
            .map_err(|e| Error::new(e.code, format!("{} ({})", e.message, path.display())))
    }

    /// Connects to a database by URL: `sqlite://PATH` (see [`Store::open`]) or
    /// `postgres://user@host:port/db`, and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<Store> {
        let max = if url.starts_with("sqlite:") { 4 } else { 16 };
        Store::connect_with(url, max).await
    }

    /// [`Store::connect`] with a pool of at most `max_connections`.
    pub async fn connect_with(url: &str, max_connections: u32) -> Result<Store> {
        Store::connect_bounded(url, max_connections, Patience::PATIENT).await
    }

    /// [`Store::connect_with`], waiting for the database as `patience` says ([`Patience::SERVER`]
    /// for a server, which must answer while its database does not).
    pub async fn connect_bounded(
        url: &str,
        max_connections: u32,
        patience: Patience,
    ) -> Result<Store> {
        let footprint = SqliteFootprint {
            connections: max_connections,
            ..SqliteFootprint::STANDARD
        };
        Store::connect_sized(url, footprint, patience).await
    }

    async fn connect_sized(
        url: &str,
        footprint: SqliteFootprint,
        patience: Patience,
    ) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(Error::invalid(
                "The database URL must start with sqlite:// or postgres://.",
            ));
        };
        let options = pool_options(backend, footprint.connections, footprint, patience);
        let pool = options
            .connect(url)
            .await
            .map_err(|e| Error::internal(format!("Cannot open the database: {e}.")))?;
        let migrator = match backend {
            Backend::Sqlite => &MIGRATOR,
            Backend::Postgres => &PG_MIGRATOR,
        };
        migrator.run(&pool).await.map_err(|e| {
            Error::internal(format!(
                "Cannot update the database to this version's schema: {e}."
            ))
        })?;
        let mut writer = None;
        let mut sqlite_writer = None;
        let mut checkpoints = None;
        let write_gate = std::sync::Arc::new(tokio::sync::Mutex::new(()));
        if backend == Backend::Sqlite {
            if let Some(file) = engine::direct_sqlite::sqlite_file(url)? {
                let pragmas = format!(
                    "{SQLITE_PRAGMAS} {}; {};",
                    footprint.cache_pragma(),
                    patience.busy_pragma()
                );
                let checkpointer = std::sync::Arc::new(engine::checkpoints::Checkpointer::start(
                    &file,
                    &pragmas,
                    footprint.log_pages,
                    write_gate.clone(),
                )?);
                sqlite_writer = Some(std::sync::Arc::new(
                    engine::direct_sqlite::SqliteWriter::new(
                        file,
                        pragmas,
                        patience.lock,
                        checkpointer.clone(),
                    ),
                ));
                checkpoints = Some(checkpointer);
            }
            // Keep the planner's statistics fresh (cheap: bounded by analysis_limit).
            sqlx::raw_sql("PRAGMA analysis_limit = 400; PRAGMA optimize = 0x10002;")
                .execute(&pool)
                .await
                .map_err(db::internal)?;
            let options = pool_options(backend, 1, footprint, patience);
            writer = Some(
                options
                    .connect(url)
                    .await
                    .map_err(|e| Error::internal(format!("Cannot open the database: {e}.")))?,
            );
        }
        Ok(Store {
            pool,
            writer,
            sqlite_writer,
            checkpoints,
            backend,
            footprint,
            write_gate,
            licenses: std::sync::Arc::default(),
            versions: std::sync::Arc::default(),
            patience,
            wakeups: std::sync::Arc::default(),
            url: (backend == Backend::Postgres)
                .then(|| engine::wakeups::ListenUrl(std::sync::Arc::from(url))),
        })
    }

    /// Which database this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection (checkpointing the WAL).
    pub async fn close(&self) {
        if let Some(writer) = &self.sqlite_writer {
            writer.close();
        }
        if let Some(checkpoints) = self.checkpoints.clone() {
            let _ = tokio::task::spawn_blocking(move || checkpoints.stop()).await;
        }
        if let Some(writer) = &self.writer {
            writer.close().await;
        }
        self.pool.close().await;
    }

    /// True when the database answers (for readiness probes).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db::internal)?;
        Ok(())
    }

    /// `PRAGMA integrity_check` on SQLite: `ok` for a healthy file. PostgreSQL checks its pages
    /// itself; there this answers `ok` when the database responds.
    pub async fn integrity_check(&self) -> Result<String> {
        let sql = match self.backend {
            Backend::Sqlite => "PRAGMA integrity_check",
            Backend::Postgres => "SELECT 'ok'",
        };
        let row: (String,) = sqlx::query_as(sql)
            .fetch_one(&self.pool)
            .await
            .map_err(db::internal)?;
        Ok(row.0)
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}
