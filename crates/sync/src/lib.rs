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
//! in a loop, and emits its data-changed event with the kinds `follow` answers.
//!
//! 4. Offline edits: made while the server cannot be reached, they are written to the copy's
//!    outbox with their optimistic change ([`Store::queue_edit`]), and [`Copy::send_outbox`]
//!    sends them in order once it answers again, each settled as sent or as a conflict.

use std::time::Duration;

use omni_client::{SentEdit, ServerOrganization};
use omni_core::error::Result;
use omni_core::model::{Id, Timestamp, User};
use omni_core::{Error, ErrorCode};
use omni_requests::ProgressSink;
use omni_store::sync::{Applied, CopyStatus, EntryState, OfflineEdit, Settled};
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

/// What a [`Copy::send_outbox`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOutcome {
    /// Entries the server took (now gone from the outbox).
    pub sent: u32,
    /// Entries refused or stale, now conflicts ("Needs attention").
    pub conflicts: u32,
    /// The server stopped answering (unreachable, 5xx): the entries from the one that got no
    /// answer on stay pending, to be sent again with the same keys.
    pub stopped_offline: bool,
}

/// An answer that says nothing of the edit: send it again later, with the same key.
fn no_answer(e: &Error) -> bool {
    matches!(
        e.code,
        ErrorCode::Unreachable | ErrorCode::Unavailable | ErrorCode::Internal
    )
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

    /// Sends the outbox's pending entries in order, each with its own `Idempotency-Key` and
    /// `If-Match` with the version it was based on, and settles each: taken (the copy's row
    /// takes the server's answer), or a conflict when the server refuses it by its rules or
    /// finds the user changed meanwhile (the entry keeps the value set, the value it was
    /// based on and the server's current one; the row shows the server's). A conflict does
    /// not stop the entries behind it; no answer (unreachable, 5xx) stops the sending, and a
    /// sign-in the server no longer accepts is the error. Then, when anything was settled and
    /// the server still answers, refreshes the copy.
    pub async fn send_outbox(
        &self,
        server: &ServerOrganization,
        now: Timestamp,
    ) -> Result<SendOutcome> {
        self.same_org(server)?;
        let mut outcome = SendOutcome {
            sent: 0,
            conflicts: 0,
            stopped_offline: false,
        };
        let entries = self.store.outbox(self.org).await?;
        for entry in entries.iter().filter(|e| e.state == EntryState::Pending) {
            // Its `based_on` may have moved since the list was read (an earlier entry sent).
            let current = self.store.outbox(self.org).await?;
            // A conflict meanwhile (an edit on a user whose creation was refused) is not sent.
            let Some(entry) = current
                .into_iter()
                .find(|e| e.id == entry.id && e.state == EntryState::Pending)
            else {
                continue;
            };
            if entry.edit.user() < 0 && !matches!(entry.edit, OfflineEdit::CreateUser { .. }) {
                // On a user created offline whose creation is not settled (it comes first,
                // so this cannot happen): the server does not know the provisional id.
                continue;
            }
            let settled = match server.send_offline(&entry.edit, &entry.key).await {
                Ok(SentEdit::User(user)) => Settled::Sent { server: Some(user) },
                Ok(SentEdit::Link { .. }) => Settled::Sent { server: None },
                Err(e) if no_answer(&e) => {
                    outcome.stopped_offline = true;
                    break;
                }
                Err(e) if e.code == ErrorCode::SignInRequired => return Err(e),
                Err(error) => match server_state(server, &entry.edit).await {
                    Ok((server_value, user)) => Settled::Conflict {
                        server_value,
                        error,
                        server: user,
                    },
                    Err(e) if no_answer(&e) => {
                        outcome.stopped_offline = true;
                        break;
                    }
                    Err(e) => return Err(e),
                },
            };
            match settled {
                Settled::Sent { .. } => outcome.sent += 1,
                Settled::Conflict { .. } => outcome.conflicts += 1,
            }
            self.store.settle_edit(entry.id, settled, now).await?;
        }
        if !outcome.stopped_offline && outcome.sent + outcome.conflicts > 0 {
            self.refresh(server, no_progress(), now).await?;
        }
        Ok(outcome)
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

/// What the server holds now of what `edit` changes, after it refused it: the field's value
/// (a creation: the server's user with that email; a link: whether linked) and the user to
/// write into the copy, when there is one.
async fn server_state(
    server: &ServerOrganization,
    edit: &OfflineEdit,
) -> Result<(serde_json::Value, Option<User>)> {
    let gone = |e: &Error| e.code == ErrorCode::NotFound;
    match edit {
        OfflineEdit::CreateUser { new, .. } => {
            let user = server.user_with_email(new.email.as_str()).await?;
            let value = user
                .as_ref()
                .map_or(serde_json::Value::Null, |u| edit.value_in(u));
            Ok((value, user))
        }
        OfflineEdit::Link { link, a, b } | OfflineEdit::Unlink { link, a, b } => {
            match server.linked(*link, *a, *b).await {
                Ok(on) => Ok((serde_json::Value::Bool(on), None)),
                Err(e) if gone(&e) => Ok((serde_json::Value::Bool(false), None)),
                Err(e) => Err(e),
            }
        }
        _ => match server.user(edit.user()).await {
            Ok(u) => Ok((edit.value_in(&u), Some(u))),
            Err(e) if gone(&e) => Ok((serde_json::Value::Null, None)),
            Err(e) => Err(e),
        },
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
