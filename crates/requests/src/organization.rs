//! What a front end can ask of an organization, wherever it lives: in a local database
//! ([`LocalOrganization`]) or on an omni-server (`omni_client::ServerOrganization`). The desktop
//! app's commands call this one interface, so switching between a local organization and a
//! connected one changes no command, and the two implementations cannot drift apart: a method
//! added here must be given to both.
//!
//! The implementation knows who acts and reads the clock (locally: the organization's owner
//! and the computer's time; on a server: the signed-in person and the server's time), so no
//! method takes a caller or a time. Every method returns a boxed future, so the interface can be
//! held as `Arc<dyn Organization>` and chosen at run time.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use omni_core::access::{AgentAccess, UserReach};
use omni_core::error::Result;
use omni_core::model::{Id, Role, Timestamp, User};
use omni_core::{Error, ErrorCode, Reason, Summary};
use omni_store::{
    AuditPage, AuditQuery, Caller, DirectoryItem, DirectoryKind, DirectoryPage, DirectoryQuery,
    ExportScope, ImportOptions, ImportReport, ItemPage, ItemQuery, LinkKind, NewUser, Progress,
    Store, UserEdit, UserPage, UserQuery,
};
use serde::{Deserialize, Serialize};

pub use crate::wire::{NewScimToken, OrgRef};
pub use omni_store::scim::ScimToken;

/// An answer to come.
pub type Answer<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// Where a long operation reports how far it got.
pub type ProgressSink = Arc<dyn Fn(Progress) + Send + Sync>;

/// Who acts, in which organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub org: OrgRef,
    pub user: User,
}

/// A previewed import, ready to commit: the file itself (local) or the server's copy of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Staged {
    File(PathBuf),
    Upload(String),
}

/// The operations of the desktop app, the same for a local organization and a connected one.
pub trait Organization: Send + Sync {
    /// Who acts, and in which organization.
    fn whoami(&self) -> Answer<'_, Identity>;
    fn summary(&self) -> Answer<'_, Summary>;
    /// Sets the purchased seats; answers the new counters.
    fn set_seats(&self, seats: i64) -> Answer<'_, Summary>;
    /// A page of the audit log, newest first: the entries `query` filters, older than
    /// `query.before` (the id of the last entry already shown) when given.
    fn audit(&self, query: AuditQuery) -> Answer<'_, AuditPage>;
    /// Writes every entry `query` filters (not only a page) as CSV into the new file `to`;
    /// answers how many.
    fn export_audit(
        &self,
        query: AuditQuery,
        to: PathBuf,
        progress: ProgressSink,
    ) -> Answer<'_, u64>;

    /// SCIM provisioning tokens (docs/scim.md), newest first; Administrators only. Only an
    /// organization on an omni-server has them.
    fn scim_tokens(&self) -> Answer<'_, Vec<ScimToken>>;
    /// Creates a provisioning token: its secret is in the answer, and nowhere after.
    fn create_scim_token(&self, name: String) -> Answer<'_, NewScimToken>;
    /// Revokes a provisioning token.
    fn revoke_scim_token(&self, id: Id) -> Answer<'_, ScimToken>;

    fn list_users(&self, query: UserQuery) -> Answer<'_, UserPage>;
    fn create_user(&self, new: NewUser) -> Answer<'_, User>;
    fn edit_user(&self, id: Id, edit: UserEdit) -> Answer<'_, User>;
    fn set_role(&self, ids: Vec<Id>, role: Role) -> Answer<'_, Vec<User>>;
    fn set_licensed(&self, ids: Vec<Id>, licensed: bool) -> Answer<'_, Vec<User>>;
    fn delete_users(&self, ids: Vec<Id>) -> Answer<'_, ()>;
    /// "Recently deleted", with when each was deleted.
    fn deleted_users(&self) -> Answer<'_, Vec<(User, Timestamp)>>;
    fn restore_user(&self, id: Id) -> Answer<'_, User>;

    fn items(&self, kind: DirectoryKind) -> Answer<'_, Vec<DirectoryItem>>;
    fn create_item(&self, kind: DirectoryKind, name: String) -> Answer<'_, DirectoryItem>;
    fn rename_item(&self, kind: DirectoryKind, id: Id, name: String) -> Answer<'_, DirectoryItem>;
    fn delete_item(&self, kind: DirectoryKind, id: Id) -> Answer<'_, ()>;
    /// Whether a link was made (false: it was there already).
    fn link(&self, kind: LinkKind, a: Id, b: Id) -> Answer<'_, bool>;
    /// Whether a link was removed (false: there was none).
    fn unlink(&self, kind: LinkKind, a: Id, b: Id) -> Answer<'_, bool>;
    fn user_links(&self, user: Id) -> Answer<'_, Vec<(LinkKind, DirectoryItem)>>;
    fn item_links(&self, item: Id) -> Answer<'_, Vec<(LinkKind, DirectoryItem)>>;
    fn access(&self, user: Id) -> Answer<'_, Vec<AgentAccess>>;
    fn agent_reach(&self, agent: Id) -> Answer<'_, Vec<UserReach>>;

    /// Reads the file and says what an import would do; nothing changes.
    fn import_preview(
        &self,
        file: PathBuf,
        options: ImportOptions,
        progress: ProgressSink,
    ) -> Answer<'_, (ImportReport, Staged)>;
    /// Imports what was previewed, in one transaction; `cancel` stops it with nothing changed.
    fn import_commit(
        &self,
        staged: Staged,
        options: ImportOptions,
        progress: ProgressSink,
        cancel: Arc<AtomicBool>,
    ) -> Answer<'_, ImportReport>;
    /// Writes the users of `scope` as CSV into the new file `to`; answers how many rows.
    fn export(&self, scope: ExportScope, to: PathBuf, progress: ProgressSink) -> Answer<'_, u64>;

    /// One user, as the users table shows them (a user's page).
    fn user(&self, id: Id) -> Answer<'_, User>;
    /// One page of the groups, workspaces or agents, each with what it holds.
    fn directory_page(&self, query: DirectoryQuery) -> Answer<'_, DirectoryPage>;
    /// An item's page: the items linked to it and a page of its members.
    fn item_page(&self, query: ItemQuery) -> Answer<'_, ItemPage>;
}

/// The organization of a local database, acted on by its owner (or, once the owner's account
/// is gone, its oldest Administrator), at the computer's time; or, on the local copy of a
/// server's organization, by the person signed in ([`LocalOrganization::acting_as`]).
#[derive(Clone)]
pub struct LocalOrganization {
    store: Store,
    clock: fn() -> Timestamp,
    acting: Arc<Mutex<Option<Caller>>>,
    /// Acting as one given user, never another.
    fixed: bool,
}

fn lost() -> Error {
    Error::internal("The app's state is unavailable after an earlier failure; restart the app.")
}

fn cannot(reason: Reason) -> Error {
    Error::because(ErrorCode::InvalidInput, reason)
}

impl LocalOrganization {
    pub fn new(store: Store, clock: fn() -> Timestamp) -> LocalOrganization {
        LocalOrganization {
            store,
            clock,
            acting: Arc::default(),
            fixed: false,
        }
    }

    /// The organization of `store` acted on by `caller` alone (the local copy of a server's
    /// organization, read as the person signed in to it): once that user is gone, every
    /// operation is refused as theirs would be.
    pub fn acting_as(store: Store, caller: Caller, clock: fn() -> Timestamp) -> LocalOrganization {
        LocalOrganization {
            store,
            clock,
            acting: Arc::new(Mutex::new(Some(caller))),
            fixed: true,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Who acts. Resolved once; resolved again when the store no longer knows that user. Safe
    /// to keep: every store operation re-reads this user's role.
    pub async fn caller(&self) -> Result<Caller> {
        let cached = *self.acting.lock().map_err(|_| lost())?;
        if let Some(c) = cached {
            if self.fixed || self.store.is_live(&c).await? {
                return Ok(c);
            }
        }
        let org = self.store.local_org().await?;
        let c = self.store.owner(&org).await?;
        *self.acting.lock().map_err(|_| lost())? = Some(c);
        Ok(c)
    }

    fn now(&self) -> Timestamp {
        (self.clock)()
    }
}

fn open(path: &std::path::Path) -> Result<(std::io::BufReader<std::fs::File>, u64)> {
    let file = std::fs::File::open(path).map_err(|e| {
        cannot(Reason::CannotOpenFile {
            path: path.display().to_string(),
            detail: e.to_string(),
        })
    })?;
    let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    Ok((std::io::BufReader::with_capacity(1 << 20, file), bytes))
}

/// The new file an export writes into.
fn create(to: &std::path::Path) -> Result<std::io::BufWriter<std::fs::File>> {
    let file = std::fs::File::create(to).map_err(|e| {
        cannot(Reason::CannotCreateFile {
            path: to.display().to_string(),
            detail: e.to_string(),
        })
    })?;
    Ok(std::io::BufWriter::with_capacity(1 << 20, file))
}

/// Writes out what an export left in its buffer.
fn finish(writer: std::io::BufWriter<std::fs::File>, to: &std::path::Path) -> Result<()> {
    writer.into_inner().map_err(|e| {
        cannot(Reason::CannotWriteFile {
            path: to.display().to_string(),
            detail: e.to_string(),
        })
    })?;
    Ok(())
}

/// A local organization has no server for an identity provider to reach.
fn provisioning_needs_a_server() -> Error {
    Error::new(
        ErrorCode::InvalidInput,
        "Provisioning (SCIM) needs an omni-server: connect this app to your organization's server.",
    )
}

impl Organization for LocalOrganization {
    fn whoami(&self) -> Answer<'_, Identity> {
        Box::pin(async move {
            let caller = self.caller().await?;
            let org = self
                .store
                .orgs()
                .await?
                .into_iter()
                .find(|o| o.id == caller.org)
                .ok_or_else(|| Error::because(ErrorCode::NotInitialized, Reason::NotInitialized))?;
            let user = self.store.whoami(&caller, self.now()).await?;
            Ok(Identity {
                org: OrgRef {
                    id: org.id,
                    name: org.name,
                },
                user,
            })
        })
    }

    fn summary(&self) -> Answer<'_, Summary> {
        Box::pin(async move { self.store.summary(&self.caller().await?).await })
    }

    fn set_seats(&self, seats: i64) -> Answer<'_, Summary> {
        Box::pin(async move {
            let caller = self.caller().await?;
            self.store.set_seats(&caller, seats, self.now()).await?;
            self.store.summary(&caller).await
        })
    }

    fn audit(&self, query: AuditQuery) -> Answer<'_, AuditPage> {
        Box::pin(async move {
            let caller = self.caller().await?;
            self.store.audit(&caller, &query).await
        })
    }

    fn export_audit(
        &self,
        query: AuditQuery,
        to: PathBuf,
        progress: ProgressSink,
    ) -> Answer<'_, u64> {
        Box::pin(async move {
            let caller = self.caller().await?;
            let out = create(&to)?;
            let (writer, rows) = self
                .store
                .export_audit(&caller, &query, out, &*progress)
                .await?;
            finish(writer, &to)?;
            Ok(rows)
        })
    }

    fn scim_tokens(&self) -> Answer<'_, Vec<ScimToken>> {
        Box::pin(async { Err(provisioning_needs_a_server()) })
    }

    fn create_scim_token(&self, _name: String) -> Answer<'_, NewScimToken> {
        Box::pin(async { Err(provisioning_needs_a_server()) })
    }

    fn revoke_scim_token(&self, _id: Id) -> Answer<'_, ScimToken> {
        Box::pin(async { Err(provisioning_needs_a_server()) })
    }

    fn list_users(&self, query: UserQuery) -> Answer<'_, UserPage> {
        Box::pin(async move {
            let caller = self.caller().await?;
            self.store.list_users(&caller, &query, self.now()).await
        })
    }

    fn create_user(&self, new: NewUser) -> Answer<'_, User> {
        Box::pin(async move {
            let caller = self.caller().await?;
            self.store.create_user(&caller, new, self.now()).await
        })
    }

    fn edit_user(&self, id: Id, edit: UserEdit) -> Answer<'_, User> {
        Box::pin(async move {
            let caller = self.caller().await?;
            self.store.edit_user(&caller, id, edit, self.now()).await
        })
    }

    fn set_role(&self, ids: Vec<Id>, role: Role) -> Answer<'_, Vec<User>> {
        Box::pin(async move {
            let caller = self.caller().await?;
            self.store.set_role(&caller, &ids, role, self.now()).await
        })
    }

    fn set_licensed(&self, ids: Vec<Id>, licensed: bool) -> Answer<'_, Vec<User>> {
        Box::pin(async move {
            let caller = self.caller().await?;
            self.store
                .set_licensed(&caller, &ids, licensed, self.now())
                .await
        })
    }

    fn delete_users(&self, ids: Vec<Id>) -> Answer<'_, ()> {
        Box::pin(async move {
            let caller = self.caller().await?;
            self.store.delete_users(&caller, &ids, self.now()).await
        })
    }

    fn deleted_users(&self) -> Answer<'_, Vec<(User, Timestamp)>> {
        Box::pin(async move {
            let caller = self.caller().await?;
            self.store.deleted_users(&caller, self.now()).await
        })
    }

    fn restore_user(&self, id: Id) -> Answer<'_, User> {
        Box::pin(async move {
            let caller = self.caller().await?;
            self.store.restore_user(&caller, id, self.now()).await
        })
    }

    fn items(&self, kind: DirectoryKind) -> Answer<'_, Vec<DirectoryItem>> {
        Box::pin(async move { self.store.items(&self.caller().await?, kind).await })
    }

    fn create_item(&self, kind: DirectoryKind, name: String) -> Answer<'_, DirectoryItem> {
        Box::pin(async move {
            let caller = self.caller().await?;
            self.store
                .create_item(&caller, kind, &name, self.now())
                .await
        })
    }

    fn rename_item(&self, kind: DirectoryKind, id: Id, name: String) -> Answer<'_, DirectoryItem> {
        Box::pin(async move {
            let caller = self.caller().await?;
            self.store
                .rename_item(&caller, Some(kind), id, &name, self.now())
                .await
        })
    }

    fn delete_item(&self, kind: DirectoryKind, id: Id) -> Answer<'_, ()> {
        Box::pin(async move {
            let caller = self.caller().await?;
            self.store
                .delete_item(&caller, Some(kind), id, self.now())
                .await
        })
    }

    fn link(&self, kind: LinkKind, a: Id, b: Id) -> Answer<'_, bool> {
        Box::pin(async move {
            let caller = self.caller().await?;
            self.store.link(&caller, kind, a, b, self.now()).await
        })
    }

    fn unlink(&self, kind: LinkKind, a: Id, b: Id) -> Answer<'_, bool> {
        Box::pin(async move {
            let caller = self.caller().await?;
            self.store.unlink(&caller, kind, a, b, self.now()).await
        })
    }

    fn user_links(&self, user: Id) -> Answer<'_, Vec<(LinkKind, DirectoryItem)>> {
        Box::pin(async move { self.store.user_links(&self.caller().await?, user).await })
    }

    fn item_links(&self, item: Id) -> Answer<'_, Vec<(LinkKind, DirectoryItem)>> {
        Box::pin(async move { self.store.item_links(&self.caller().await?, item).await })
    }

    fn access(&self, user: Id) -> Answer<'_, Vec<AgentAccess>> {
        Box::pin(async move { self.store.access(&self.caller().await?, user).await })
    }

    fn agent_reach(&self, agent: Id) -> Answer<'_, Vec<UserReach>> {
        Box::pin(async move { self.store.agent_reach(&self.caller().await?, agent).await })
    }

    fn import_preview(
        &self,
        file: PathBuf,
        options: ImportOptions,
        progress: ProgressSink,
    ) -> Answer<'_, (ImportReport, Staged)> {
        Box::pin(async move {
            let caller = self.caller().await?;
            let (reader, bytes) = open(&file)?;
            let report = self
                .store
                .import_preview(&caller, reader, options, bytes, &*progress, self.now())
                .await?;
            Ok((report, Staged::File(file)))
        })
    }

    fn import_commit(
        &self,
        staged: Staged,
        options: ImportOptions,
        progress: ProgressSink,
        cancel: Arc<AtomicBool>,
    ) -> Answer<'_, ImportReport> {
        Box::pin(async move {
            let Staged::File(path) = staged else {
                return Err(Error::internal(
                    "This import was previewed on a server: preview the file again.",
                ));
            };
            let caller = self.caller().await?;
            let (reader, bytes) = open(&path)?;
            self.store
                .import_commit(
                    &caller,
                    reader,
                    options,
                    bytes,
                    &*progress,
                    Some(cancel),
                    self.now(),
                )
                .await
        })
    }

    fn export(&self, scope: ExportScope, to: PathBuf, progress: ProgressSink) -> Answer<'_, u64> {
        Box::pin(async move {
            let caller = self.caller().await?;
            let out = create(&to)?;
            let (writer, rows) = self
                .store
                .export(&caller, &scope, out, &*progress, self.now())
                .await?;
            finish(writer, &to)?;
            Ok(rows)
        })
    }

    fn user(&self, id: Id) -> Answer<'_, User> {
        Box::pin(async move {
            let caller = self.caller().await?;
            self.store.user(&caller, id, self.now()).await
        })
    }

    fn directory_page(&self, query: DirectoryQuery) -> Answer<'_, DirectoryPage> {
        Box::pin(async move {
            let caller = self.caller().await?;
            self.store.directory_page(&caller, &query).await
        })
    }

    fn item_page(&self, query: ItemQuery) -> Answer<'_, ItemPage> {
        Box::pin(async move {
            let caller = self.caller().await?;
            self.store.item_page(&caller, &query).await
        })
    }
}
