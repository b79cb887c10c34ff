//! Large writes into the users table on SQLite: a big import, a copy's first download. For
//! the length of such a write its connection gets a larger page cache ([`BulkCache`]), and
//! the indexes whose keys arrive in random order (emails, phones, last updates) can be set
//! aside and built again at the end in one sorted pass, which costs a large write less than
//! placing each row's key at a random spot of the index (at a million rows of a copy, about a
//! fifth of SQLite's time). Both happen inside the write's transaction: one that fails or is dropped rolls the
//! dropped indexes back with everything else.
//!
//! Which indexes to set aside is the caller's choice (an import still needs the emails' index
//! to find the users it already has); their definitions are read from the schema, so the
//! migrations stay the one place they are written. PostgreSQL is left as it is.

use omni_core::error::Result;
use sqlx::AnyConnection;

use crate::db::internal;
use crate::dialect::Backend;

/// The page cache of a connection running a large write, in KiB. SQLite's sorter, which
/// builds the indexes set aside again, takes about as much again while it runs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum BulkCache {
    /// 64 MiB: an import, on a server or from the command line.
    Large = 65_536,
    /// 16 MiB: a copy's first download, in the desktop app beside its window's memory.
    Desktop = 16_384,
}

/// A large write under way on one SQLite connection; [`BulkWrite::finish`] ends it.
pub(crate) struct BulkWrite {
    sqlite: bool,
    /// The statements that build the indexes set aside again.
    set_aside: Vec<String>,
    /// The `PRAGMA` that gives the connection its everyday cache back.
    everyday_cache: String,
}

impl BulkWrite {
    /// Gives `conn` the large cache and, when `rebuild` (the write is large against the
    /// table: see the callers), drops the `indexes` named. Nothing on PostgreSQL.
    pub(crate) async fn begin(
        conn: &mut AnyConnection,
        cache: BulkCache,
        everyday_cache: String,
        indexes: &[&str],
        rebuild: bool,
    ) -> Result<Self> {
        let sqlite = Backend::of(conn) == Backend::Sqlite;
        let mut bulk = BulkWrite {
            sqlite,
            set_aside: Vec::new(),
            everyday_cache,
        };
        if !sqlite {
            return Ok(bulk);
        }
        run(conn, &format!("PRAGMA cache_size = -{}", cache as i64)).await?;
        if rebuild {
            for name in indexes {
                bulk.set_aside.extend(set_index_aside(conn, name).await?);
            }
        }
        Ok(bulk)
    }

    /// Ends the write: when it `succeeded`, builds the indexes set aside again (with the large
    /// cache for the sort) and measures the table again; either way gives the connection its
    /// everyday cache back (a cache is the connection's, not the transaction's).
    pub(crate) async fn finish(self, conn: &mut AnyConnection, succeeded: bool) -> Result<()> {
        if !self.sqlite {
            return Ok(());
        }
        let built = if succeeded {
            rebuild(conn, self.set_aside).await
        } else {
            Ok(())
        };
        run(conn, &self.everyday_cache).await?;
        built
    }
}

async fn run(conn: &mut AnyConnection, sql: &str) -> Result<()> {
    sqlx::query(sql)
        .execute(&mut *conn)
        .await
        .map_err(internal)?;
    Ok(())
}

/// Runs the statements [`set_index_aside`] returned, then measures the table again. The write
/// at least doubled it, and a query planner that still believes the old size (one row, for a
/// new organization) scans the whole table where it should look rows up by key. The new
/// statistics reach every connection with the schema change the rebuilt index makes.
async fn rebuild(conn: &mut AnyConnection, indexes: Vec<String>) -> Result<()> {
    if indexes.is_empty() {
        return Ok(());
    }
    for sql in indexes {
        run(conn, &sql).await?;
    }
    // Bounded: about 400 rows of each index are sampled.
    run(conn, "PRAGMA analysis_limit = 400").await?;
    run(conn, "ANALYZE users").await
}

/// Drops SQLite index `name` inside the write's transaction and returns the statement that
/// builds it again, as the schema states it.
async fn set_index_aside(conn: &mut AnyConnection, name: &str) -> Result<Option<String>> {
    let sql: Option<(String,)> =
        sqlx::query_as("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = $1")
            .bind(name)
            .fetch_optional(&mut *conn)
            .await
            .map_err(internal)?;
    let Some((sql,)) = sql else {
        return Ok(None);
    };
    run(conn, &format!("DROP INDEX {name}")).await?;
    Ok(Some(sql))
}
