//! Fixtures: a fresh database per test (SQLite file, or PostgreSQL schema), and a few users of
//! each role.
#![allow(dead_code)]

use omni_core::model::{Id, Role, Timestamp};
use omni_core::Email;
use omni_store::{Caller, NewUser, Store};

/// 2026-11-29T12:00:00Z.
pub const NOW: Timestamp = Timestamp(1_796_040_000_000);

pub struct Db {
    pub store: Store,
    pub owner: Caller,
    _dir: tempfile::TempDir,
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Polls `f` once, as a runtime would when the future is first woken.
pub async fn poll<F: std::future::Future + Unpin>(f: &mut F) -> std::task::Poll<F::Output> {
    std::future::poll_fn(|cx| std::task::Poll::Ready(std::pin::Pin::new(&mut *f).poll(cx))).await
}

pub fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

/// A fresh, empty store for one test: a new SQLite file in `dir`, or, when
/// `OMNI_TEST_BACKEND=postgres`, a new schema of its own in the PostgreSQL database at
/// `OMNI_TEST_POSTGRES` (scripts/test starts a throwaway cluster and runs the suite both ways).
pub async fn fresh_store(dir: &std::path::Path) -> Store {
    match std::env::var("OMNI_TEST_BACKEND").as_deref() {
        Ok("postgres") => {
            use sqlx::Connection;
            static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let url = std::env::var("OMNI_TEST_POSTGRES")
                .expect("OMNI_TEST_BACKEND=postgres needs OMNI_TEST_POSTGRES=postgres://...");
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos();
            let schema = format!("t{}_{n}_{nanos}", std::process::id());
            let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::Executor::execute(&mut admin, format!("CREATE SCHEMA {schema}").as_str())
                .await
                .unwrap();
            admin.close().await.unwrap();
            let sep = if url.contains('?') { '&' } else { '?' };
            let url = format!("{url}{sep}options=-c%20search_path%3D{schema}");
            // Kept in the test's folder, for what a test reads straight from PostgreSQL.
            std::fs::write(dir.join("postgres-url"), &url).unwrap();
            Store::connect_with(&url, 4).await.unwrap()
        }
        _ => Store::open(&dir.join("omni.db")).await.unwrap(),
    }
}

pub async fn db(seats: i64) -> Db {
    let dir = tempfile::tempdir().unwrap();
    let store = fresh_store(dir.path()).await;
    Db::with_org(store, dir, seats).await
}

/// A store on a SQLite file opened within `footprint`, with an organization of `seats` seats
/// (`None` when the suite runs on PostgreSQL).
pub async fn sqlite_db(footprint: omni_store::SqliteFootprint, seats: i64) -> Option<Db> {
    if std::env::var("OMNI_TEST_BACKEND").as_deref() == Ok("postgres") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(&dir.path().join("omni.db"), footprint)
        .await
        .unwrap();
    Some(Db::with_org(store, dir, seats).await)
}

impl Db {
    async fn with_org(store: Store, dir: tempfile::TempDir, seats: i64) -> Db {
        let owner = store
            .create_org("Acme", &email("owner@acme.com"), seats, None, NOW)
            .await
            .unwrap();
        Db {
            store,
            owner,
            _dir: dir,
        }
    }

    /// A connection of its own to the SQLite file (`None` on PostgreSQL): what any other
    /// program opening it would see.
    pub async fn sqlite_file(&self) -> Option<sqlx::SqliteConnection> {
        use sqlx::Connection;
        if self.store.backend() != omni_store::Backend::Sqlite {
            return None;
        }
        let path = self._dir.path().join("omni.db");
        Some(
            sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap(),
        )
    }

    /// The size of the SQLite file's write-ahead log (`None` on PostgreSQL). SQLite writes its
    /// log from the start again once a checkpoint has copied all of it into the database, so the
    /// file only grows while checkpoints fall behind.
    pub fn sqlite_log_bytes(&self) -> Option<u64> {
        if self.store.backend() != omni_store::Backend::Sqlite {
            return None;
        }
        let log = self._dir.path().join("omni.db-wal");
        Some(std::fs::metadata(log).map_or(0, |m| m.len()))
    }

    /// How many times SQLite has started writing its log from the start again (the checkpoint
    /// sequence number in the log's header; `None` on PostgreSQL).
    pub fn sqlite_log_restarts(&self) -> Option<u32> {
        use std::io::Read;
        if self.store.backend() != omni_store::Backend::Sqlite {
            return None;
        }
        let mut header = [0u8; 32];
        let log = self._dir.path().join("omni.db-wal");
        let read = std::fs::File::open(log).and_then(|mut f| f.read_exact(&mut header));
        Some(read.map_or(0, |()| {
            u32::from_be_bytes([header[12], header[13], header[14], header[15]])
        }))
    }

    /// The schema's statement for SQLite index `name`: `None` when it does not exist, or on
    /// PostgreSQL.
    pub async fn sqlite_index(&self, name: &str) -> Option<String> {
        let mut c = self.sqlite_file().await?;
        sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?")
            .bind(name)
            .fetch_optional(&mut c)
            .await
            .unwrap()
    }

    /// How many users the database's query planner believes the table holds (`None` before it
    /// was ever measured).
    pub async fn planner_users(&self) -> Option<i64> {
        use sqlx::Connection;
        if let Ok(url) = std::fs::read_to_string(self._dir.path().join("postgres-url")) {
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            let rows: f32 =
                sqlx::query_scalar("SELECT reltuples FROM pg_class WHERE oid = 'users'::regclass")
                    .fetch_one(&mut c)
                    .await
                    .unwrap();
            return (rows >= 0.0).then_some(rows as i64);
        }
        let mut c = self.sqlite_file().await?;
        let stat: Option<String> =
            sqlx::query_scalar("SELECT stat FROM sqlite_stat1 WHERE tbl = 'users' AND idx IS NULL")
                .fetch_optional(&mut c)
                .await
                .unwrap_or(None);
        stat.and_then(|s| s.split(' ').next()?.parse().ok())
    }

    /// `n` Users, u0@acme.com and on.
    pub async fn add_users(&self, n: usize) -> Vec<Id> {
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            ids.push(self.add(&format!("u{i}@acme.com"), Role::User).await);
        }
        ids
    }

    /// Assigns each user's license, then takes it back, one user (one commit) at a time.
    pub async fn toggle_each(&self, ids: &[Id]) {
        for licensed in [true, false] {
            for id in ids {
                self.store
                    .set_licensed(&self.owner, &[*id], licensed, NOW)
                    .await
                    .unwrap();
            }
        }
    }

    /// `file` imported by the owner with the default options (role User, no license).
    pub async fn import(&self, file: &str) -> omni_store::ImportReport {
        let file = std::io::Cursor::new(file.to_string());
        let opts = Default::default();
        let store = &self.store;
        store
            .import_commit(&self.owner, file, opts, 0, &|_| {}, None, NOW)
            .await
            .unwrap()
    }

    /// What [`Db::import`] of `file` would do, written nowhere.
    pub async fn import_preview(&self, file: &str) -> omni_store::ImportReport {
        let file = std::io::Cursor::new(file.to_string());
        let opts = Default::default();
        let store = &self.store;
        store
            .import_preview(&self.owner, file, opts, 0, &|_| {}, NOW)
            .await
            .unwrap()
    }

    pub async fn add(&self, e: &str, role: Role) -> Id {
        let u = NewUser {
            email: email(e),
            phone: None,
            role,
        };
        self.store
            .create_user(&self.owner, u, NOW)
            .await
            .unwrap()
            .id
    }
    pub fn caller(&self, user: Id) -> Caller {
        Caller {
            org: self.owner.org,
            user,
        }
    }
    /// Everything a denial must leave untouched: counters, every user row, the feed position.
    pub async fn snapshot(&self) -> String {
        let s = self.store.summary(&self.owner).await.unwrap();
        let q = omni_store::UserQuery {
            limit: 1000,
            ..Default::default()
        };
        let users = self.store.list_users(&self.owner, &q, NOW).await.unwrap();
        let feed = self
            .store
            .changes(&self.owner, 0, 10_000, NOW)
            .await
            .unwrap();
        let groups = self
            .store
            .items(&self.owner, omni_store::DirectoryKind::Group)
            .await
            .unwrap();
        format!("{s:?}\n{:?}\n{}\n{groups:?}", users.users, feed.next)
    }
}

impl Db {
    /// Adds a user with `by` acting (the owner may no longer be an Administrator).
    pub async fn add_as(&self, by: Id, e: &str, role: Role) -> Id {
        let u = NewUser {
            email: email(e),
            phone: None,
            role,
        };
        self.store
            .create_user(&self.caller(by), u, NOW)
            .await
            .unwrap()
            .id
    }
}
