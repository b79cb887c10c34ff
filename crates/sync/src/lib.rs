//! omni-sync: the desktop's read-only local copy of an organization on an omni-server. The copy
//! is a [`Store`] on a file of its own (the local store's schema and queries, so every screen
//! reads it at the local store's speed, online or not), and only this engine writes it:
//!
//! 1. a first download of the organization's snapshot at a feed position
//!    ([`omni_client::ServerOrganization::download_snapshot`]), never a replay from zero;
//! 2. then the change feed from that position, each page applied with the copy's new position
//!    in one transaction ([`Store::apply_changes`]), so a copy killed at any moment resumes
//!    with no gap and no duplicate;
//! 3. when the server answers that its feed no longer reaches back (410 `resync`), a new
//!    snapshot rebuilds the copy.
//!
//! Tauri-free: the desktop shell calls [`Copy::refresh`] when it connects and [`Copy::follow`]
//! in a loop, and emits its data-changed event with the kinds `follow` answers. Offline edits
//! (the outbox) are not part of this crate yet.

use std::time::Duration;

use omni_client::ServerOrganization;
use omni_core::error::Result;
use omni_core::model::{Id, Timestamp};
use omni_core::{Error, ErrorCode};
use omni_requests::ProgressSink;
use omni_store::sync::{Applied, CopyStatus};
use omni_store::{ChangePage, FeedEntity, Store};

/// Every kind of data: what changed when the whole copy was (re)downloaded.
const ALL: [FeedEntity; 4] = [
    FeedEntity::User,
    FeedEntity::Directory,
    FeedEntity::Link,
    FeedEntity::Org,
];

/// The local copy of organization `org`, kept in `store`.
#[derive(Debug, Clone)]
pub struct Copy {
    pub store: Store,
    pub org: Id,
}

/// What a [`Copy::refresh`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOutcome {
    /// The snapshot downloaded: the copy had none, or (`rebuilt`) the feed no longer reached
    /// back to its position.
    pub snapshot: Option<Applied>,
    pub rebuilt: bool,
    /// Feed pages applied.
    pub pages: u32,
    /// The copy's position at the end.
    pub position: i64,
    /// The kinds of data that changed, each once.
    pub changed: Vec<FeedEntity>,
}

impl Copy {
    pub fn new(store: Store, org: Id) -> Copy {
        Copy { store, org }
    }

    /// Where the copy stands: its position and when the server was last heard from; `None`
    /// while it holds no complete snapshot (then nothing can be shown from it).
    pub async fn status(&self) -> Result<Option<CopyStatus>> {
        self.store.copy_status(self.org).await
    }

    /// Brings the copy up to date: downloads the snapshot when it has none, else applies the
    /// feed's pages from its position until the feed has nothing more, and rebuilds it from a
    /// new snapshot when the feed no longer reaches back. `now` is the computer's time (the
    /// contact's time, and the month the users' usage counts).
    pub async fn refresh(
        &self,
        server: &ServerOrganization,
        progress: ProgressSink,
        now: Timestamp,
    ) -> Result<SyncOutcome> {
        self.same_org(server)?;
        let Some(mut position) = self.store.copy_position(self.org).await? else {
            return self.download(server, progress, now, false).await;
        };
        let mut outcome = SyncOutcome {
            snapshot: None,
            rebuilt: false,
            pages: 0,
            position,
            changed: Vec::new(),
        };
        loop {
            let page = match server.changes(position, Duration::ZERO).await {
                Err(e) if e.code == ErrorCode::StaleVersion => {
                    return self.download(server, progress, now, true).await;
                }
                other => other?,
            };
            position = self.apply(&page, now, &mut outcome.changed).await?;
            outcome.pages += 1;
            outcome.position = position;
            if page.done {
                return Ok(outcome);
            }
        }
    }

    /// Waits at most `wait` (see [`omni_client::LONGEST_POLL`]) for a change after the copy's
    /// position, applies what came (every page up to the feed's end) and answers which kinds
    /// of data changed (none when the wait ended with nothing). A copy without a snapshot, or
    /// one the feed no longer reaches, is downloaded again: then every kind changed.
    pub async fn follow(
        &self,
        server: &ServerOrganization,
        wait: Duration,
        now: Timestamp,
    ) -> Result<Vec<FeedEntity>> {
        self.same_org(server)?;
        let Some(position) = self.store.copy_position(self.org).await? else {
            return Ok(self.refresh(server, no_progress(), now).await?.changed);
        };
        let page = match server.changes(position, wait).await {
            Err(e) if e.code == ErrorCode::StaleVersion => {
                return Ok(self
                    .download(server, no_progress(), now, true)
                    .await?
                    .changed);
            }
            other => other?,
        };
        let mut changed = Vec::new();
        self.apply(&page, now, &mut changed).await?;
        if !page.done {
            let rest = self.refresh(server, no_progress(), now).await?;
            for kind in rest.changed {
                note(&mut changed, kind);
            }
        }
        Ok(changed)
    }

    async fn apply(
        &self,
        page: &ChangePage,
        now: Timestamp,
        changed: &mut Vec<FeedEntity>,
    ) -> Result<i64> {
        let position = self.store.apply_changes(self.org, page, now).await?;
        for c in &page.changes {
            note(changed, c.entity);
        }
        Ok(position)
    }

    async fn download(
        &self,
        server: &ServerOrganization,
        progress: ProgressSink,
        now: Timestamp,
        rebuilt: bool,
    ) -> Result<SyncOutcome> {
        let applied = server.download_snapshot(&self.store, progress).await?;
        if applied.org != self.org {
            return Err(Error::internal(format!(
                "{} sent a snapshot of another organization.",
                server.server()
            )));
        }
        self.store.record_contact(self.org, now).await?;
        Ok(SyncOutcome {
            position: applied.position,
            snapshot: Some(applied),
            rebuilt,
            pages: 0,
            changed: ALL.to_vec(),
        })
    }

    fn same_org(&self, server: &ServerOrganization) -> Result<()> {
        if server.org() != self.org {
            return Err(Error::internal(
                "This copy belongs to another organization than the server's.",
            ));
        }
        Ok(())
    }
}

fn note(changed: &mut Vec<FeedEntity>, kind: FeedEntity) {
    if !changed.contains(&kind) {
        changed.push(kind);
    }
}

fn no_progress() -> ProgressSink {
    std::sync::Arc::new(|_| {})
}
