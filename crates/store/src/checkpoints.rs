//! Checkpoints of a SQLite file's write-ahead log, off the write path.
//!
//! SQLite copies its log back into the database file (a checkpoint, with an `fsync`) inside the
//! commit of whichever connection finds the log past 1,000 pages. Under a stream of license
//! changes that was the commit of a group every few dozen groups: milliseconds during which every
//! writer waited, a quarter of the throughput. So the store's connections never checkpoint
//! (`wal_autocheckpoint = 0`, [`crate::SQLITE_PRAGMAS`]); a thread of its own does, on a
//! connection of its own, shortly after commits: `PASSIVE`, which neither waits for nor blocks a
//! writer or a reader.
//!
//! A checkpoint running beside a stream of commits never catches up with the last of them, and
//! SQLite starts writing its log from the beginning again only after one did: the log file would
//! grow without end. So once the log passes [`LOG_PAGES_BOUND`], the thread checkpoints again
//! holding the store's write gate, when nothing can be appended (a short catch-up: the passive
//! one before it copied the rest).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use omni_core::error::Result;
use omni_core::Error;

use crate::db::internal;

/// How long after a commit the log is checkpointed: the commits of that time go in one
/// checkpoint, and a page changed many times is copied once.
const DELAY: Duration = Duration::from_millis(50);

/// Pages of log past which a checkpoint catches up holding the write gate (40 MiB of 4 KiB
/// pages).
const LOG_PAGES_BOUND: i64 = 10_000;

/// The checkpointing thread of one SQLite file, told of every commit.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    commits: SyncSender<()>,
    stopping: Arc<AtomicBool>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Checkpointer {
    /// Starts the thread, on its own connection to the database at `path` (switched on with
    /// `pragmas`), sharing the store's write `gate`.
    pub(crate) fn start(
        path: &Path,
        pragmas: &str,
        gate: Arc<tokio::sync::Mutex<()>>,
    ) -> Result<Checkpointer> {
        let conn = rusqlite::Connection::open(path).map_err(internal)?;
        conn.execute_batch(pragmas).map_err(internal)?;
        let (commits, committed) = sync_channel(1);
        let stopping = Arc::new(AtomicBool::new(false));
        let stop = stopping.clone();
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoints".into())
            .spawn(move || run(&conn, &committed, &stop, &gate))
            .map_err(|e| Error::internal(format!("Cannot start a thread: {e}.")))?;
        Ok(Checkpointer {
            commits,
            stopping,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Tells the thread a transaction committed.
    pub(crate) fn committed(&self) {
        // Full: the thread is told already. Disconnected: it has stopped.
        let _ = self.commits.try_send(());
    }

    /// Stops the thread (after the checkpoint it may be running), which closes its connection,
    /// and waits for it.
    pub(crate) fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
        let _ = self.commits.try_send(());
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        // The thread sees its channel closed and ends on its own.
        self.stopping.store(true, Ordering::Release);
    }
}

fn run(
    conn: &rusqlite::Connection,
    committed: &Receiver<()>,
    stopping: &AtomicBool,
    gate: &tokio::sync::Mutex<()>,
) {
    while committed.recv().is_ok() {
        // Commits during the delay join this checkpoint; a stop ends the wait.
        let until = Instant::now() + DELAY;
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            if stopping.load(Ordering::Acquire) || committed.recv_timeout(left).is_err() {
                break;
            }
        }
        if stopping.load(Ordering::Acquire) {
            return;
        }
        let Ok((log, copied)) = checkpoint(conn) else {
            continue;
        };
        if log > LOG_PAGES_BOUND && copied < log {
            // Nothing of this process is appended meanwhile (another process may be, then the
            // next round tries again).
            let _gate = gate.blocking_lock();
            let _ = checkpoint(conn);
        }
    }
}

/// One passive checkpoint: the log's pages and how many of them are now in the database file.
fn checkpoint(conn: &rusqlite::Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get(1)?, row.get(2)?))
    })
}
