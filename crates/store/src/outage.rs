//! What the store does when its database does not answer: how long an operation waits for it
//! ([`Patience`]), and which failures mean "the database is unavailable, try again later"
//! rather than "something is broken" ([`code_of_sqlx`], [`code_of_rusqlite`]), decided here
//! once for every operation ([`crate::db::internal`] asks this module).
//!
//! It exists because a server in front of the store must answer while its PostgreSQL is
//! stopped, restarting or unreachable, or while another program holds a SQLite file's lock:
//! at once and honestly (503, try again), not after a minute of waiting, and not as an
//! internal failure. A desktop app or the CLI, alone with its file, would rather wait its turn
//! ([`Patience::PATIENT`]).

use std::time::Duration;

use omni_core::{Error, ErrorCode};

/// How long an operation waits for the database before it gives up with
/// [`ErrorCode::Unavailable`]. Each bound ends a wait for something that may never come
/// (a connection to a stopped server, a lock another program holds); no bound cuts off work in
/// progress, so a transaction that has begun runs to its commit or its rollback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Patience {
    /// For a connection from the pool, connecting included: while PostgreSQL refuses
    /// connections (stopped, starting, shutting down) the pool tries again until this passes.
    pub acquire: Duration,
    /// SQLite: for the file's write lock held by another program (SQLite's busy timeout).
    pub lock: Duration,
    /// SQLite: for this process's earlier writes (the store's write gate). `None`: as long as
    /// they take (a desktop app's own import, say).
    pub turn: Option<Duration>,
}

impl Patience {
    /// The desktop app's and the CLI's: one person waits for their own earlier work and for
    /// another program briefly holding the file.
    pub const PATIENT: Patience = Patience {
        acquire: Duration::from_secs(60),
        lock: Duration::from_secs(30),
        turn: None,
    };

    /// A server's: every wait for the database ends within 2 s, so a request is refused (503)
    /// well within the server's own bound on a request, and before its client gives up. The
    /// pool hands out a connection in microseconds when the database is up, and a write's
    /// turn comes in milliseconds even under a burst (`bench/server`); only an import or a
    /// stopped database makes them wait seconds.
    pub const SERVER: Patience = Patience {
        acquire: Duration::from_secs(2),
        lock: Duration::from_secs(2),
        turn: Some(Duration::from_secs(2)),
    };

    /// SQLite's `PRAGMA` for [`Patience::lock`].
    pub(crate) fn busy_pragma(self) -> String {
        format!("PRAGMA busy_timeout = {}", self.lock.as_millis())
    }
}

impl Default for Patience {
    fn default() -> Self {
        Patience::PATIENT
    }
}

/// The code of a failure that means the database is unavailable or full, if it is one.
pub(crate) fn code_of_sqlx(e: &sqlx::Error) -> Option<ErrorCode> {
    match e {
        // No connection came within `Patience::acquire`: the server refuses connections, or
        // every connection is busy for that long.
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => Some(ErrorCode::Unavailable),
        // The connection broke (reset, closed, refused, timed out) or could not be secured.
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) => Some(ErrorCode::Unavailable),
        sqlx::Error::Database(d) => d.code().and_then(|c| code_of_database(&c)),
        _ => None,
    }
}

/// The code of a rusqlite failure (the store's own SQLite writer, [`crate::engine::direct_sqlite`]).
pub(crate) fn code_of_rusqlite(e: &rusqlite::Error) -> Option<ErrorCode> {
    match e.sqlite_error_code()? {
        rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
            Some(ErrorCode::Unavailable)
        }
        rusqlite::ErrorCode::DiskFull => Some(ErrorCode::InsufficientStorage),
        _ => None,
    }
}

/// A database's own error code: PostgreSQL's five-character SQLSTATE, or SQLite's (extended)
/// result code as a number (at most four digits: the largest is under 10,000).
fn code_of_database(code: &str) -> Option<ErrorCode> {
    if let Some(sqlite) = code.parse::<i32>().ok().filter(|_| code.len() < 5) {
        // The primary result code is the low byte of an extended one.
        return match sqlite & 0xff {
            // SQLITE_BUSY, SQLITE_LOCKED: still locked when the busy timeout ran out.
            5 | 6 => Some(ErrorCode::Unavailable),
            // SQLITE_FULL: the disk (or the file's size limit) is full.
            13 => Some(ErrorCode::InsufficientStorage),
            _ => None,
        };
    }
    match code {
        // admin_shutdown, crash_shutdown, cannot_connect_now (starting up or shutting down).
        "57P01" | "57P02" | "57P03" => Some(ErrorCode::Unavailable),
        // too_many_connections: the server is full for now.
        "53300" => Some(ErrorCode::Unavailable),
        // lock_not_available (a lock_timeout ran out).
        "55P03" => Some(ErrorCode::Unavailable),
        // disk_full.
        "53100" => Some(ErrorCode::InsufficientStorage),
        // Class 08: connection exceptions.
        c if c.starts_with("08") => Some(ErrorCode::Unavailable),
        _ => None,
    }
}

/// The error for a failure of `code` ([`ErrorCode::Unavailable`] or
/// [`ErrorCode::InsufficientStorage`]); `detail` is what the database said, for the log (the
/// server keeps it from clients).
pub(crate) fn error(code: ErrorCode, detail: &dyn std::fmt::Display) -> Error {
    let message = match code {
        ErrorCode::InsufficientStorage => {
            format!("The database's disk is full ({detail}); nothing was written.")
        }
        _ => format!("The database is not answering ({detail}); try again in a few seconds."),
    };
    Error::new(code, message)
}

/// A commit that failed because the database stopped answering: it may have been saved or not
/// (PostgreSQL may have committed before the connection broke). A SQLite commit either
/// happened or did not, and says so through its own failure.
pub(crate) fn commit_failed(e: sqlx::Error) -> Error {
    match code_of_sqlx(&e) {
        Some(ErrorCode::Unavailable) if !matches!(e, sqlx::Error::Database(_)) => Error::new(
            ErrorCode::Unavailable,
            format!(
                "The database stopped answering while the change was being committed ({e}): \
                 it may or may not have been saved. Read it back before you try again."
            ),
        ),
        _ => crate::db::internal(e),
    }
}

/// The write gate was not free within `bound`: this process's earlier writes (an import, a
/// write waiting for another program's lock) still hold it.
pub(crate) fn turn_timed_out(bound: Duration) -> Error {
    Error::new(
        ErrorCode::Unavailable,
        format!(
            "The database is busy with earlier changes (no turn to write within {} ms); nothing \
             was written: try again in a few seconds.",
            bound.as_millis()
        ),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use sqlx::{Connection, Executor};

    #[test]
    fn postgres_codes_of_an_outage_are_unavailable() {
        for c in [
            "57P01", "57P02", "57P03", "08006", "08001", "08P01", "53300",
        ] {
            assert_eq!(code_of_database(c), Some(ErrorCode::Unavailable), "{c}");
        }
        assert_eq!(
            code_of_database("53100"),
            Some(ErrorCode::InsufficientStorage)
        );
        for c in ["23505", "40001", "42P01", "57014"] {
            assert_eq!(code_of_database(c), None, "{c}");
        }
    }

    #[test]
    fn sqlite_codes_by_their_primary_code() {
        // SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_TIMEOUT, SQLITE_LOCKED.
        for c in ["5", "517", "773", "6"] {
            assert_eq!(code_of_database(c), Some(ErrorCode::Unavailable), "{c}");
        }
        assert_eq!(code_of_database("13"), Some(ErrorCode::InsufficientStorage));
        // SQLITE_CONSTRAINT_UNIQUE, SQLITE_IOERR, SQLITE_ERROR.
        for c in ["2067", "10", "1"] {
            assert_eq!(code_of_database(c), None, "{c}");
        }
    }

    #[test]
    fn pool_and_connection_failures_are_unavailable() {
        assert_eq!(
            code_of_sqlx(&sqlx::Error::PoolTimedOut),
            Some(ErrorCode::Unavailable)
        );
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert_eq!(
            code_of_sqlx(&sqlx::Error::Io(reset)),
            Some(ErrorCode::Unavailable)
        );
        assert_eq!(code_of_sqlx(&sqlx::Error::RowNotFound), None);
    }

    /// Real SQLite failures, as sqlx reports them and as the store maps them: a lock held by
    /// another connection past the busy timeout, and a file full to its size limit.
    #[tokio::test]
    async fn real_sqlite_failures_are_classified() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let mut a = sqlx::SqliteConnection::connect(&url).await.unwrap();
        a.execute("PRAGMA journal_mode = WAL; CREATE TABLE t (v TEXT)")
            .await
            .unwrap();
        let mut b = sqlx::SqliteConnection::connect(&url).await.unwrap();
        b.execute("BEGIN IMMEDIATE").await.unwrap();
        let busy = a
            .execute("PRAGMA busy_timeout = 50; BEGIN IMMEDIATE")
            .await
            .unwrap_err();
        assert_eq!(code_of_sqlx(&busy), Some(ErrorCode::Unavailable), "{busy}");
        assert_eq!(crate::db::internal(busy).code, ErrorCode::Unavailable);
        b.execute("ROLLBACK").await.unwrap();

        let (pages,): (i64,) = sqlx::query_as("PRAGMA page_count")
            .fetch_one(&mut a)
            .await
            .unwrap();
        a.execute(format!("PRAGMA max_page_count = {pages}").as_str())
            .await
            .unwrap();
        let full = a
            .execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) \
                 INSERT INTO t SELECT hex(randomblob(1000)) FROM n",
            )
            .await
            .unwrap_err();
        assert_eq!(
            crate::db::internal(full).code,
            ErrorCode::InsufficientStorage
        );
    }
}
