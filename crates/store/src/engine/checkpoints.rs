//! Checkpoints of a SQLite file's write-ahead log, off the write path.
//!
//! SQLite copies its log back into the database file (a checkpoint, with an `fsync`) inside the
//! commit of whichever connection finds the log past 1,000 pages. Under a stream of license
//! changes that was the commit of a group every few dozen groups: milliseconds during which every
//! writer waited. So the store's connections never checkpoint (`wal_autocheckpoint = 0`,
//! [`crate::SQLITE_PRAGMAS`]); a thread of its own does, on a connection of its own, shortly
//! after commits: `PASSIVE`, which neither waits for nor blocks a writer or a reader.
//!
//! SQLite writes its log from the start again only when a write begins after a checkpoint
//! copied all of it, and a checkpoint running beside a stream of commits never copies the last
//! of them: the log would grow without end (it did: 1.5 GB in seconds under bench/server). So
//! once the log passes the footprint's `log_pages`, the thread checkpoints again holding the
//! store's write gate, when this process appends nothing, in `RESTART` mode: it also waits
//! (briefly) for readers to leave the log, so that the next write starts it over. The passive
//! checkpoint before it copied most of the log, so the writers wait for a short catch-up.

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

/// How long the catch-up waits for readers to leave the log (it holds the write gate): when
/// they do not (a long export), the next round tries again.
const READERS_TIMEOUT: Duration = Duration::from_millis(100);

/// The checkpointing thread of one SQLite file, told of every commit.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    commits: SyncSender<()>,
    stopping: Arc<AtomicBool>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Checkpointer {
    /// Starts the thread, on its own connection to the database at `path` (switched on with
    /// `pragmas`), sharing the store's write `gate`; past `log_pages` pages of log it catches up
    /// holding the gate.
    pub(crate) fn start(
        path: &Path,
        pragmas: &str,
        log_pages: u32,
        gate: Arc<tokio::sync::Mutex<()>>,
    ) -> Result<Checkpointer> {
        let conn = rusqlite::Connection::open(path).map_err(internal)?;
        conn.execute_batch(pragmas).map_err(internal)?;
        conn.busy_timeout(READERS_TIMEOUT).map_err(internal)?;
        let (commits, committed) = sync_channel(1);
        let stopping = Arc::new(AtomicBool::new(false));
        let stop = stopping.clone();
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoints".into())
            .spawn(move || run(&conn, &committed, &stop, i64::from(log_pages), &gate))
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
    log_pages: i64,
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
        let Ok(log) = checkpoint(conn, "PASSIVE") else {
            continue;
        };
        if log > log_pages {
            // Nothing of this process is appended meanwhile (another process may be: then, or
            // when readers stay, the next round tries again).
            let _gate = gate.blocking_lock();
            let _ = checkpoint(conn, "RESTART");
        }
    }
}

/// One checkpoint in `mode`: how many pages the log held.
fn checkpoint(conn: &rusqlite::Connection, mode: &str) -> rusqlite::Result<i64> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
        row.get(1)
    })
}
