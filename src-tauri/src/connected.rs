//! A server's organization as the connected app works on it: read from the local copy (the
//! same queries as a local organization, at the local store's speed, and still there when the
//! server is not), changed on the server (which decides every rule). After each change the copy
//! catches up with the server's feed before the answer returns, so the next read shows it.
//!
//! Until the copy's first download is complete, reads go to the server. When the server cannot
//! be reached, a license, a role or a budget is changed in the copy and queued in its outbox
//! ([`crate::outbox`]), sent once the server answers again.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::outbox::needs_server;
use crate::state::now;
use omni_client::ServerOrganization;
use omni_core::access::{AgentAccess, UserReach};
use omni_core::error::Result;
use omni_core::model::{Id, Role, Timestamp, User};
use omni_core::{Error, ErrorCode, Summary};
use omni_requests::{Answer, Identity, LocalOrganization, Organization, ProgressSink, Staged};
use omni_store::sync::OfflineEdit;
use omni_store::{
    AuditPage, AuditQuery, DirectoryItem, DirectoryKind, DirectoryPage, DirectoryQuery,
    ExportScope, ImportOptions, ImportReport, ItemPage, ItemQuery, LinkKind, NewUser, UserEdit,
    UserPage, UserQuery,
};

/// Reads from the copy once it is complete, writes to the server.
pub struct ConnectedOrganization {
    pub server: Arc<ServerOrganization>,
    pub copy: Arc<omni_sync::Copy>,
    /// The copy, read as the person signed in.
    pub reader: LocalOrganization,
    /// The copy has held a complete snapshot (see [`ConnectedOrganization::copy_complete`]).
    complete: AtomicBool,
    /// One sending of the outbox at a time (the follower's, or a write's before its own).
    sending: tokio::sync::Mutex<()>,
    /// Rung when an edit was queued: the follower sends as soon as the server answers.
    pub queued: tokio::sync::Notify,
    /// The first download's progress, in records: done and out of how many ("Syncing 45 %").
    downloaded: Arc<(AtomicU64, AtomicU64)>,
}

fn no_progress() -> ProgressSink {
    Arc::new(|_| {})
}

impl ConnectedOrganization {
    pub fn new(server: Arc<ServerOrganization>, copy: omni_sync::Copy, user: Id) -> Self {
        let caller = omni_store::Caller {
            org: copy.org,
            user,
        };
        ConnectedOrganization {
            reader: LocalOrganization::acting_as(copy.store.clone(), caller, now),
            copy: Arc::new(copy),
            server,
            complete: AtomicBool::new(false),
            sending: tokio::sync::Mutex::new(()),
            queued: tokio::sync::Notify::new(),
            downloaded: Arc::default(),
        }
    }

    /// Where the first download reports its progress (read by [`Self::download_percent`]).
    pub fn download_progress(&self) -> ProgressSink {
        let downloaded = self.downloaded.clone();
        Arc::new(move |p: omni_store::Progress| {
            downloaded.0.store(p.done, Ordering::Relaxed);
            downloaded.1.store(p.total, Ordering::Relaxed);
        })
    }

    /// How far the first download is, in percent, once its size is known (at most 99 until
    /// the copy is complete).
    pub fn download_percent(&self) -> Option<u8> {
        let done = self.downloaded.0.load(Ordering::Relaxed);
        let total = self.downloaded.1.load(Ordering::Relaxed);
        (total > 0).then(|| (done.saturating_mul(100) / total).min(99) as u8)
    }

    /// Whether the copy holds a complete snapshot (then it answers every read).
    /// Asked of the copy's file until the answer is yes, then remembered: a complete copy
    /// stays complete (a rebuild replaces it in one transaction), so reads, which ask before
    /// each query, pay for it only until the first download ends.
    pub async fn copy_complete(&self) -> bool {
        if self.complete.load(Ordering::Relaxed) {
            return true;
        }
        let complete = matches!(self.copy.status().await, Ok(Some(_)));
        if complete {
            self.complete.store(true, Ordering::Relaxed);
        }
        complete
    }

    /// Where reads go now: the copy once its first download is complete, else the server.
    async fn reads(&self) -> &dyn Organization {
        if self.copy_complete().await {
            &self.reader
        } else {
            self.server.as_ref()
        }
    }

    /// Sends the outbox's waiting entries in order (one sending at a time).
    pub async fn send_outbox(&self) -> Result<omni_sync::SendOutcome> {
        let _one = self.sending.lock().await;
        self.copy.send_outbox(&self.server, now()).await
    }

    /// Before a change goes to the server: the edits still waiting go first, so the server
    /// sees them in the order they were made (a failure leaves them to the follower).
    async fn before_write(&self) {
        if matches!(self.copy.store.pending_users(self.copy.org).await, Ok(p) if !p.is_empty()) {
            let _ = self.send_outbox().await;
        }
    }

    /// Whether a change the server did not answer goes to the outbox: the server cannot be
    /// reached and the copy is complete.
    async fn queues<T>(&self, answer: &Result<T>) -> bool {
        matches!(answer, Err(e) if offline(e)) && self.copy_complete().await
    }

    /// What edits queued offline answer; the follower is told to send them.
    fn queued_now<T>(&self, queued: Result<T>) -> Result<T> {
        if queued.is_ok() {
            self.queued.notify_one();
        }
        queued
    }

    /// A link or unlink sent to the server; offline, a user's link is queued (links between
    /// items need the server).
    async fn link_or_queue(&self, sent: Answer<'_, bool>, edit: OfflineEdit) -> Result<bool> {
        self.before_write().await;
        let answer = sent.await;
        if !self.queues(&answer).await {
            return self.wrote(answer).await;
        }
        let user_link = matches!(
            edit,
            OfflineEdit::Link { link, .. } | OfflineEdit::Unlink { link, .. }
                if omni_store::sync::user_at_a(link).is_some()
        );
        if !user_link {
            return Err(needs_server());
        }
        let queued = self.queue_link(edit).await;
        self.queued_now(queued)
    }

    /// Offline, an edit the outbox cannot hold is refused with a sentence to reconnect.
    async fn online_only<T>(&self, answer: Result<T>) -> Result<T> {
        if self.queues(&answer).await {
            return Err(needs_server());
        }
        self.wrote(answer).await
    }

    /// A change made on the server: the copy catches up before the answer returns (a failure
    /// to catch up is not the change's: the feed follower tries again).
    async fn wrote<T>(&self, answer: Result<T>) -> Result<T> {
        if answer.is_ok() {
            let _ = self.copy.refresh(&self.server, no_progress(), now()).await;
        }
        answer
    }
}

/// A failure that says the server cannot be reached now (rather than a refusal).
pub fn offline(e: &Error) -> bool {
    matches!(e.code, ErrorCode::Unreachable | ErrorCode::Unavailable)
}

impl Organization for ConnectedOrganization {
    /// The server says who acts; when it cannot be reached, the copy does (as last synced).
    fn whoami(&self) -> Answer<'_, Identity> {
        Box::pin(async move {
            match self.server.whoami().await {
                Err(e) if offline(&e) && self.copy_complete().await => self.reader.whoami().await,
                answer => answer,
            }
        })
    }
    fn summary(&self) -> Answer<'_, Summary> {
        Box::pin(async move { self.reads().await.summary().await })
    }
    fn set_seats(&self, seats: i64) -> Answer<'_, Summary> {
        Box::pin(async move { self.online_only(self.server.set_seats(seats).await).await })
    }
    fn audit(&self, query: AuditQuery) -> Answer<'_, AuditPage> {
        // The audit log is not in the copy.
        Box::pin(async move { self.server.audit(query).await })
    }
    fn export_audit(
        &self,
        query: AuditQuery,
        to: PathBuf,
        progress: ProgressSink,
    ) -> Answer<'_, u64> {
        // The audit log is not in the copy: the server's export.
        Box::pin(async move { self.server.export_audit(query, to, progress).await })
    }
    // Provisioning tokens are not in the copy: asked of the server.
    fn scim_tokens(&self) -> Answer<'_, Vec<omni_requests::ScimToken>> {
        Box::pin(async move { self.server.scim_tokens().await })
    }
    fn create_scim_token(&self, name: String) -> Answer<'_, omni_requests::NewScimToken> {
        Box::pin(async move { self.server.create_scim_token(name).await })
    }
    fn revoke_scim_token(&self, id: Id) -> Answer<'_, omni_requests::ScimToken> {
        Box::pin(async move { self.server.revoke_scim_token(id).await })
    }
    fn list_users(&self, query: UserQuery) -> Answer<'_, UserPage> {
        Box::pin(async move { self.reads().await.list_users(query).await })
    }
    fn create_user(&self, new: NewUser) -> Answer<'_, User> {
        Box::pin(async move {
            self.before_write().await;
            let answer = self.server.create_user(new.clone()).await;
            if !self.queues(&answer).await {
                return self.wrote(answer).await;
            }
            let queued = self.queue_create(new).await;
            self.queued_now(queued)
        })
    }
    fn edit_user(&self, id: Id, edit: UserEdit) -> Answer<'_, User> {
        Box::pin(async move {
            self.before_write().await;
            let answer = self.server.edit_user(id, edit.clone()).await;
            if !self.queues(&answer).await {
                return self.wrote(answer).await;
            }
            let user = self.copy_user(id).await?;
            let edits = crate::outbox::field(&user, &edit);
            let queued = self.queue_each(&[id], |_| edits.clone()).await;
            let mut users = self.queued_now(queued)?;
            users
                .pop()
                .ok_or_else(|| Error::internal("The edited user is missing."))
        })
    }
    fn set_role(&self, ids: Vec<Id>, role: Role) -> Answer<'_, Vec<User>> {
        Box::pin(async move {
            self.before_write().await;
            let answer = self.server.set_role(ids.clone(), role).await;
            if !self.queues(&answer).await {
                return self.wrote(answer).await;
            }
            let queued = self
                .queue_each(&ids, |u| {
                    let edit = OfflineEdit::SetRole {
                        user: u.id,
                        role,
                        based_on: u.version,
                    };
                    (u.role != role).then_some(edit).into_iter().collect()
                })
                .await;
            self.queued_now(queued)
        })
    }
    fn set_licensed(&self, ids: Vec<Id>, licensed: bool) -> Answer<'_, Vec<User>> {
        Box::pin(async move {
            self.before_write().await;
            let answer = self.server.set_licensed(ids.clone(), licensed).await;
            if !self.queues(&answer).await {
                return self.wrote(answer).await;
            }
            let queued = self
                .queue_each(&ids, |u| {
                    let edit = OfflineEdit::SetLicensed {
                        user: u.id,
                        licensed,
                        based_on: u.version,
                    };
                    (u.licensed != licensed)
                        .then_some(edit)
                        .into_iter()
                        .collect()
                })
                .await;
            self.queued_now(queued)
        })
    }
    fn delete_users(&self, ids: Vec<Id>) -> Answer<'_, ()> {
        Box::pin(async move { self.online_only(self.server.delete_users(ids).await).await })
    }
    fn deleted_users(&self) -> Answer<'_, Vec<(User, Timestamp)>> {
        Box::pin(async move { self.reads().await.deleted_users().await })
    }
    fn restore_user(&self, id: Id) -> Answer<'_, User> {
        Box::pin(async move { self.online_only(self.server.restore_user(id).await).await })
    }
    fn items(&self, kind: DirectoryKind) -> Answer<'_, Vec<DirectoryItem>> {
        Box::pin(async move { self.reads().await.items(kind).await })
    }
    fn create_item(&self, kind: DirectoryKind, name: String) -> Answer<'_, DirectoryItem> {
        Box::pin(async move {
            self.online_only(self.server.create_item(kind, name).await)
                .await
        })
    }
    fn rename_item(&self, kind: DirectoryKind, id: Id, name: String) -> Answer<'_, DirectoryItem> {
        Box::pin(async move {
            self.online_only(self.server.rename_item(kind, id, name).await)
                .await
        })
    }
    fn delete_item(&self, kind: DirectoryKind, id: Id) -> Answer<'_, ()> {
        Box::pin(async move {
            self.online_only(self.server.delete_item(kind, id).await)
                .await
        })
    }
    fn link(&self, kind: LinkKind, a: Id, b: Id) -> Answer<'_, bool> {
        Box::pin(async move {
            let link = OfflineEdit::Link { link: kind, a, b };
            self.link_or_queue(self.server.link(kind, a, b), link).await
        })
    }
    fn unlink(&self, kind: LinkKind, a: Id, b: Id) -> Answer<'_, bool> {
        Box::pin(async move {
            let unlink = OfflineEdit::Unlink { link: kind, a, b };
            self.link_or_queue(self.server.unlink(kind, a, b), unlink)
                .await
        })
    }
    fn user_links(&self, user: Id) -> Answer<'_, Vec<(LinkKind, DirectoryItem)>> {
        Box::pin(async move { self.reads().await.user_links(user).await })
    }
    fn item_links(&self, item: Id) -> Answer<'_, Vec<(LinkKind, DirectoryItem)>> {
        Box::pin(async move { self.reads().await.item_links(item).await })
    }
    fn access(&self, user: Id) -> Answer<'_, Vec<AgentAccess>> {
        Box::pin(async move { self.reads().await.access(user).await })
    }
    fn agent_reach(&self, agent: Id) -> Answer<'_, Vec<UserReach>> {
        Box::pin(async move { self.reads().await.agent_reach(agent).await })
    }
    fn import_preview(
        &self,
        file: PathBuf,
        options: ImportOptions,
        progress: ProgressSink,
    ) -> Answer<'_, (ImportReport, Staged)> {
        Box::pin(async move { self.server.import_preview(file, options, progress).await })
    }
    fn import_commit(
        &self,
        staged: Staged,
        options: ImportOptions,
        progress: ProgressSink,
        cancel: Arc<AtomicBool>,
    ) -> Answer<'_, ImportReport> {
        Box::pin(async move {
            let committed = self
                .server
                .import_commit(staged, options, progress, cancel)
                .await;
            self.online_only(committed).await
        })
    }
    fn export(&self, scope: ExportScope, to: PathBuf, progress: ProgressSink) -> Answer<'_, u64> {
        Box::pin(async move { self.reads().await.export(scope, to, progress).await })
    }
    fn user(&self, id: Id) -> Answer<'_, User> {
        Box::pin(async move { self.reads().await.user(id).await })
    }
    fn directory_page(&self, query: DirectoryQuery) -> Answer<'_, DirectoryPage> {
        Box::pin(async move { self.reads().await.directory_page(query).await })
    }
    fn item_page(&self, query: ItemQuery) -> Answer<'_, ItemPage> {
        Box::pin(async move { self.reads().await.item_page(query).await })
    }
}
