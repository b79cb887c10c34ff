//! Waking the readers of the change feed who wait for a change (the server's long poll).
//!
//! Within a process, every commit of a write transaction of an organization wakes the waiters
//! of that organization at once ([`Wakeups::committed`]). Across processes on one PostgreSQL,
//! each write transaction also sends `NOTIFY omni_changes, '<org>'` (delivered when it commits,
//! never if it rolls back), and [`Store::listen_for_changes`] wakes this process's waiters when
//! another's notification arrives. A waiter also looks again every second on its own, so a
//! notification lost while the listener reconnects, or a write by another process on a SQLite
//! file (the CLI's), is seen within a second.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use omni_core::model::Id;
use tokio::sync::Notify;

use crate::Store;

/// The channel every PostgreSQL write transaction notifies, with its organization's id.
pub(crate) const CHANNEL: &str = "omni_changes";

/// How often a waiter looks at the feed again without being woken.
pub(crate) const LOOK_AGAIN: Duration = Duration::from_secs(1);

/// The waiters of each organization.
#[derive(Debug, Default)]
pub(crate) struct Wakeups {
    orgs: Mutex<HashMap<Id, Arc<Notify>>>,
}

impl Wakeups {
    /// What the waiters of `org` wait on.
    pub(crate) fn of(&self, org: Id) -> Arc<Notify> {
        let mut orgs = self.orgs.lock().unwrap_or_else(PoisonError::into_inner);
        orgs.entry(org).or_default().clone()
    }

    /// Wakes the waiters of `org`: a change of it committed.
    pub(crate) fn committed(&self, org: Id) {
        let orgs = self.orgs.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(notify) = orgs.get(&org) {
            notify.notify_waiters();
        }
    }

    /// Wakes every waiter (notifications may have been missed).
    fn everyone(&self) {
        let orgs = self.orgs.lock().unwrap_or_else(PoisonError::into_inner);
        for notify in orgs.values() {
            notify.notify_waiters();
        }
    }
}

/// The database's URL, kept for the listening connection; its Debug output leaves it out (it may
/// carry a password).
#[derive(Clone)]
pub(crate) struct ListenUrl(pub Arc<str>);

impl std::fmt::Debug for ListenUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ListenUrl(..)")
    }
}

/// A write transaction's organization and who to wake when it commits.
#[derive(Debug, Clone)]
pub(crate) struct Wake {
    pub org: Id,
    pub wakeups: Arc<Wakeups>,
}

impl Wake {
    pub(crate) fn fire(&self) {
        self.wakeups.committed(self.org);
    }
}

impl Store {
    /// PostgreSQL: listens for the changes other processes commit and wakes this process's
    /// waiters, in a task of its own, for as long as the runtime runs (reconnecting after a
    /// failure, waking everyone then). Nothing on SQLite.
    pub fn listen_for_changes(&self) {
        let Some(ListenUrl(url)) = self.url.clone() else {
            return;
        };
        let wakeups = self.wakeups.clone();
        tokio::spawn(async move {
            loop {
                // A failure ends this connection; the store logs nothing, and the waiters' own
                // second look covers the moment until the listener is back.
                let _ = listen(&url, &wakeups).await;
                wakeups.everyone();
                tokio::time::sleep(LOOK_AGAIN).await;
            }
        });
    }
}

/// Receives notifications until the connection fails.
async fn listen(url: &str, wakeups: &Wakeups) -> Result<std::convert::Infallible, sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    // Changes committed while the listener was away.
    wakeups.everyone();
    loop {
        let n = listener.recv().await?;
        if let Ok(org) = n.payload().parse::<Id>() {
            wakeups.committed(org);
        }
    }
}
