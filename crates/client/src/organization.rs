//! The desktop's [`Organization`] interface over omni-server's HTTP API, one request per
//! operation, with the server's own wire types. Where the server answers in another shape
//! than the interface (the seats, who acts), the client asks twice rather than the server
//! answering differently for it; an edit without a version reads the user's first.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use omni_core::access::{AgentAccess, UserReach};
use omni_core::error::Result;
use omni_core::model::{Id, Role, Seats, Timestamp, User};
use omni_core::{Error, ErrorCode, Summary};
use omni_requests::wire::{
    AuditParams, BulkLicenseBody, BulkRoleBody, Changed, CommitParams, CreateUserBody,
    DirectoryParams, EditUserBody, IdsBody, ImportParams, LicenseBody, LinkBody, LinksParams,
    ListParams, Me, MembersParams, MyOrg, NameBody, SeatsBody,
};
use omni_requests::{Answer, Identity, Organization, ProgressSink, Staged};
use omni_store::sync::OfflineEdit;
use omni_store::{
    AuditPage, AuditQuery, DirectoryItem, DirectoryKind, DirectoryPage, DirectoryQuery,
    ExportScope, ImportOptions, ImportReport, ItemPage, ItemQuery, LinkKind, NewUser, UserEdit,
    UserPage, UserQuery,
};
use reqwest::{Method, Url};

use crate::credentials::Credentials;
use crate::files;
use crate::transport::{Bound, Connection};

/// Nothing to send.
const NO_QUERY: &[(&str, &str); 0] = &[];

/// An organization on an omni-server, acted on by the signed-in person (the server resolves
/// who they are from their token, and reads its own clock).
#[derive(Clone)]
pub struct ServerOrganization {
    pub(crate) conn: Connection,
    org: Id,
}

impl std::fmt::Debug for ServerOrganization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerOrganization")
            .field("server", &self.conn.address())
            .field("org", &self.org)
            .finish_non_exhaustive()
    }
}

/// Where the signed-in person belongs on `server` (`GET /v1/me`): the organization bound to
/// their tenant, their user and their role; what [`ServerOrganization::new`] needs.
pub async fn my_org(
    http: &reqwest::Client,
    server: &Url,
    credentials: Arc<dyn Credentials>,
) -> Result<MyOrg> {
    Connection::new(server, http.clone(), credentials)
        .get("/v1/me", NO_QUERY)
        .await
}

impl ServerOrganization {
    /// Organization `org` on `server` (e.g. `https://omni.example.com`), reached with `http`
    /// (see [`crate::http_client`]) and the person's `credentials`.
    pub fn new(
        server: Url,
        org: Id,
        http: reqwest::Client,
        credentials: Arc<dyn Credentials>,
    ) -> ServerOrganization {
        ServerOrganization {
            conn: Connection::new(&server, http, credentials),
            org,
        }
    }

    pub fn org(&self) -> Id {
        self.org
    }

    /// The server's address, as errors name it.
    pub fn server(&self) -> &str {
        self.conn.address()
    }

    pub(crate) fn at(&self, rest: &str) -> String {
        format!("/v1/orgs/{}{rest}", self.org)
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, rest: &str) -> Result<T> {
        self.conn.get(&self.at(rest), NO_QUERY).await
    }

    async fn summary_now(&self) -> Result<Summary> {
        self.get("/summary").await
    }

    async fn user_now(&self, id: Id) -> Result<User> {
        self.get(&format!("/users/{id}")).await
    }

    /// User `id` as the server has it now (`not_found` once deleted).
    pub async fn user(&self, id: Id) -> Result<User> {
        self.user_now(id).await
    }

    /// Sends an edit made offline: `If-Match` with the version it was based on, and the
    /// `Idempotency-Key` chosen when it was queued, so a send whose answer was lost and is
    /// sent again changes nothing twice. Answers the user as the server changed it (a link
    /// answers no user: see [`ServerOrganization::send_offline`]).
    pub async fn send_edit(&self, edit: &OfflineEdit, key: &str) -> Result<User> {
        match self.send_offline(edit, key).await? {
            SentEdit::User(u) => Ok(u),
            SentEdit::Link { .. } => Err(Error::internal(
                "A link's answer is not a user: send it with send_offline.",
            )),
        }
    }

    /// Sends any edit made offline, as [`ServerOrganization::send_edit`]: a new user
    /// (`POST /users`, no `If-Match`: it has no version yet), an edit (`PATCH` with
    /// `If-Match`), a link made or removed (`POST`/`DELETE /links`, idempotent). Every one
    /// carries its entry's `Idempotency-Key`.
    pub async fn send_offline(&self, edit: &OfflineEdit, key: &str) -> Result<SentEdit> {
        let id = edit.user();
        let based_on = Some(edit.based_on());
        let user = match edit {
            OfflineEdit::CreateUser { new, .. } => {
                let body = CreateUserBody {
                    email: new.email.as_str().to_string(),
                    country_code: None,
                    phone: new.phone.as_ref().map(|p| p.e164()),
                    role: Some(new.role.as_str().to_string()),
                };
                self.conn
                    .call_keyed(Method::POST, &self.at("/users"), &body, None, key)
                    .await
            }
            OfflineEdit::EditUser { edit, .. } => self.patch_user(id, edit, based_on, key).await,
            OfflineEdit::Link { link, a, b } | OfflineEdit::Unlink { link, a, b } => {
                let method = match edit {
                    OfflineEdit::Link { .. } => Method::POST,
                    _ => Method::DELETE,
                };
                let body = LinkBody {
                    kind: *link,
                    a: *a,
                    b: *b,
                };
                let c: Changed = self
                    .conn
                    .call_keyed(method, &self.at("/links"), &body, None, key)
                    .await?;
                return Ok(SentEdit::Link { changed: c.changed });
            }
            _ => self.send_field(edit, key).await,
        }?;
        Ok(SentEdit::User(user))
    }

    /// Whether user `user` is linked to the item at the link's other end, on the server now.
    pub async fn linked(&self, link: LinkKind, a: Id, b: Id) -> Result<bool> {
        let (user, item) = match link {
            LinkKind::AgentUser => (b, a),
            _ => (a, b),
        };
        let links: Vec<(LinkKind, DirectoryItem)> =
            self.get(&format!("/users/{user}/links")).await?;
        Ok(links.iter().any(|(k, i)| *k == link && i.id == item))
    }

    /// The live user with this email on the server, if any.
    pub async fn user_with_email(&self, email: &str) -> Result<Option<User>> {
        let query = UserQuery {
            search: Some(email.to_string()),
            limit: 50,
            ..UserQuery::default()
        };
        let page: UserPage = self
            .conn
            .get(&self.at("/users"), &ListParams::of_query(&query))
            .await?;
        Ok(page
            .users
            .into_iter()
            .find(|u| u.email.as_str().eq_ignore_ascii_case(email)))
    }

    async fn send_field(&self, edit: &OfflineEdit, key: &str) -> Result<User> {
        let id = edit.user();
        let based_on = Some(edit.based_on());
        match edit {
            OfflineEdit::SetLicensed { licensed, .. } => {
                let path = self.at(&format!("/users/{id}/license"));
                let body = LicenseBody {
                    licensed: *licensed,
                };
                self.conn
                    .call_keyed(Method::PUT, &path, &body, based_on, key)
                    .await
            }
            OfflineEdit::SetRole { role, .. } => {
                let edit = UserEdit {
                    role: Some(*role),
                    ..UserEdit::default()
                };
                self.patch_user(id, &edit, based_on, key).await
            }
            OfflineEdit::SetBudget { budget, .. } => {
                let edit = UserEdit {
                    budget: Some(*budget),
                    ..UserEdit::default()
                };
                self.patch_user(id, &edit, based_on, key).await
            }
            _ => Err(Error::internal("Not an edit of one field.")),
        }
    }

    async fn patch_user(
        &self,
        id: Id,
        edit: &UserEdit,
        based_on: Option<i64>,
        key: &str,
    ) -> Result<User> {
        let path = self.at(&format!("/users/{id}"));
        let body = EditUserBody::of_edit(edit);
        self.conn
            .call_keyed(Method::PATCH, &path, &body, based_on, key)
            .await
    }
}

/// The server's answer to an edit made offline ([`ServerOrganization::send_offline`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SentEdit {
    /// The user as the server created or changed it.
    User(User),
    /// A link made or removed; `changed` is false when it was already so.
    Link { changed: bool },
}

/// The server's path word for a kind of directory item.
fn kind_word(kind: DirectoryKind) -> &'static str {
    match kind {
        DirectoryKind::Group => "groups",
        DirectoryKind::Workspace => "workspaces",
        DirectoryKind::Agent => "agents",
    }
}

impl Organization for ServerOrganization {
    fn whoami(&self) -> Answer<'_, Identity> {
        Box::pin(async move {
            let (me, mine) = tokio::try_join!(
                self.get::<Me>("/me"),
                self.conn.get::<_, MyOrg>("/v1/me", NO_QUERY)
            )?;
            if mine.org.id != me.org {
                return Err(Error::denied(format!(
                    "Your sign-in now belongs to the organization {}, not this one: sign in again.",
                    mine.org.name
                )));
            }
            Ok(Identity {
                org: mine.org,
                user: me.user,
            })
        })
    }

    fn summary(&self) -> Answer<'_, Summary> {
        Box::pin(self.summary_now())
    }

    fn set_seats(&self, seats: i64) -> Answer<'_, Summary> {
        Box::pin(async move {
            let _: Seats = self
                .conn
                .call(Method::PUT, &self.at("/seats"), &SeatsBody { seats }, None)
                .await?;
            self.summary_now().await
        })
    }

    fn audit(&self, query: AuditQuery) -> Answer<'_, AuditPage> {
        Box::pin(async move {
            let params = AuditParams::of_query(&query);
            self.conn.get(&self.at("/audit"), &params).await
        })
    }

    fn export_audit(
        &self,
        query: AuditQuery,
        to: PathBuf,
        progress: ProgressSink,
    ) -> Answer<'_, u64> {
        Box::pin(async move {
            // Every page: the export reads the filters only. The server streams without a
            // count, so the progress counts rows with no total.
            let params = AuditParams {
                limit: None,
                before: None,
                ..AuditParams::of_query(&query)
            };
            files::download(
                &self.conn,
                &self.at("/audit/export"),
                &params,
                &to,
                0,
                progress,
            )
            .await
        })
    }

    fn scim_tokens(&self) -> Answer<'_, Vec<omni_requests::ScimToken>> {
        Box::pin(async move { self.conn.get(&self.at("/scim/tokens"), &()).await })
    }

    fn create_scim_token(&self, name: String) -> Answer<'_, omni_requests::NewScimToken> {
        Box::pin(async move {
            let body = omni_requests::wire::ScimTokenBody { name };
            self.conn
                .call(Method::POST, &self.at("/scim/tokens"), &body, None)
                .await
        })
    }

    fn revoke_scim_token(&self, id: Id) -> Answer<'_, omni_requests::ScimToken> {
        Box::pin(async move {
            let path = self.at(&format!("/scim/tokens/{id}"));
            self.conn.call(Method::DELETE, &path, &(), None).await
        })
    }

    fn list_users(&self, query: UserQuery) -> Answer<'_, UserPage> {
        Box::pin(async move {
            let params = ListParams::of_query(&query);
            self.conn.get(&self.at("/users"), &params).await
        })
    }

    fn create_user(&self, new: NewUser) -> Answer<'_, User> {
        Box::pin(async move {
            let body = CreateUserBody {
                email: new.email.as_str().to_string(),
                country_code: None,
                phone: new.phone.map(|p| p.e164()),
                role: Some(new.role.as_str().to_string()),
            };
            self.conn
                .call(Method::POST, &self.at("/users"), &body, None)
                .await
        })
    }

    fn edit_user(&self, id: Id, edit: UserEdit) -> Answer<'_, User> {
        Box::pin(async move {
            // The server changes a user only at a version; an edit that names none means "as
            // it is now", which is read first.
            let version = match edit.expected_version {
                Some(v) => v,
                None => self.user_now(id).await?.version,
            };
            let body = EditUserBody::of_edit(&edit);
            self.conn
                .call(
                    Method::PATCH,
                    &self.at(&format!("/users/{id}")),
                    &body,
                    Some(version),
                )
                .await
        })
    }

    fn set_role(&self, ids: Vec<Id>, role: Role) -> Answer<'_, Vec<User>> {
        Box::pin(async move {
            let body = BulkRoleBody {
                ids,
                role: role.as_str().to_string(),
            };
            self.conn
                .call(Method::POST, &self.at("/roles"), &body, None)
                .await
        })
    }

    fn set_licensed(&self, ids: Vec<Id>, licensed: bool) -> Answer<'_, Vec<User>> {
        Box::pin(async move {
            let body = BulkLicenseBody { ids, licensed };
            self.conn
                .call(Method::POST, &self.at("/licenses"), &body, None)
                .await
        })
    }

    fn delete_users(&self, ids: Vec<Id>) -> Answer<'_, ()> {
        Box::pin(async move {
            let body = IdsBody { ids };
            self.conn
                .call_empty(Method::POST, &self.at("/deleted-users"), Some(&body))
                .await
        })
    }

    fn deleted_users(&self) -> Answer<'_, Vec<(User, Timestamp)>> {
        Box::pin(self.get("/deleted-users"))
    }

    fn restore_user(&self, id: Id) -> Answer<'_, User> {
        Box::pin(async move {
            let path = self.at(&format!("/users/{id}/restore"));
            let res = self
                .conn
                .send(Method::POST, &path, Bound::Request, Ok)
                .await?;
            self.conn.json(res).await
        })
    }

    fn items(&self, kind: DirectoryKind) -> Answer<'_, Vec<DirectoryItem>> {
        Box::pin(async move { self.get(&format!("/directory/{}", kind_word(kind))).await })
    }

    fn create_item(&self, kind: DirectoryKind, name: String) -> Answer<'_, DirectoryItem> {
        Box::pin(async move {
            let path = self.at(&format!("/directory/{}", kind_word(kind)));
            self.conn
                .call(Method::POST, &path, &NameBody { name }, None)
                .await
        })
    }

    fn rename_item(&self, kind: DirectoryKind, id: Id, name: String) -> Answer<'_, DirectoryItem> {
        Box::pin(async move {
            let path = self.at(&format!("/directory/{}/{id}", kind_word(kind)));
            self.conn
                .call(Method::PATCH, &path, &NameBody { name }, None)
                .await
        })
    }

    fn delete_item(&self, kind: DirectoryKind, id: Id) -> Answer<'_, ()> {
        Box::pin(async move {
            let path = self.at(&format!("/directory/{}/{id}", kind_word(kind)));
            self.conn
                .call_empty::<()>(Method::DELETE, &path, None)
                .await
        })
    }

    fn link(&self, kind: LinkKind, a: Id, b: Id) -> Answer<'_, bool> {
        Box::pin(async move {
            let body = LinkBody { kind, a, b };
            let c: Changed = self
                .conn
                .call(Method::POST, &self.at("/links"), &body, None)
                .await?;
            Ok(c.changed)
        })
    }

    fn unlink(&self, kind: LinkKind, a: Id, b: Id) -> Answer<'_, bool> {
        Box::pin(async move {
            let body = LinkBody { kind, a, b };
            let c: Changed = self
                .conn
                .call(Method::DELETE, &self.at("/links"), &body, None)
                .await?;
            Ok(c.changed)
        })
    }

    fn user_links(&self, user: Id) -> Answer<'_, Vec<(LinkKind, DirectoryItem)>> {
        Box::pin(async move { self.get(&format!("/users/{user}/links")).await })
    }

    fn item_links(&self, item: Id) -> Answer<'_, Vec<(LinkKind, DirectoryItem)>> {
        Box::pin(async move {
            self.conn
                .get(&self.at("/links"), &LinksParams { item })
                .await
        })
    }

    fn access(&self, user: Id) -> Answer<'_, Vec<AgentAccess>> {
        Box::pin(async move { self.get(&format!("/users/{user}/access")).await })
    }

    fn agent_reach(&self, agent: Id) -> Answer<'_, Vec<UserReach>> {
        Box::pin(async move { self.get(&format!("/directory/agents/{agent}/reach")).await })
    }

    fn import_preview(
        &self,
        file: PathBuf,
        options: ImportOptions,
        progress: ProgressSink,
    ) -> Answer<'_, (ImportReport, Staged)> {
        Box::pin(async move {
            let params = ImportParams::of_options(options);
            let preview =
                files::upload(&self.conn, &self.at("/imports"), &params, &file, progress).await?;
            Ok((preview.report, Staged::Upload(preview.upload)))
        })
    }

    /// Commits the upload the preview answered, with the options chosen since (the role and
    /// license of new users may change after the preview). Once sent, a commit runs to its end
    /// on the server (a write there finishes even when its client stops waiting), so `cancel`
    /// is honoured only until it is sent; the server reports no progress either.
    fn import_commit(
        &self,
        staged: Staged,
        options: ImportOptions,
        _progress: ProgressSink,
        cancel: Arc<AtomicBool>,
    ) -> Answer<'_, ImportReport> {
        Box::pin(async move {
            let Staged::Upload(upload) = staged else {
                return Err(Error::internal(
                    "This import was previewed on this computer: preview the file again.",
                ));
            };
            if cancel.load(Ordering::Relaxed) {
                return Err(Error::new(
                    ErrorCode::Cancelled,
                    "The import was cancelled; nothing was changed.",
                ));
            }
            let path = self.at(&format!("/imports/{upload}/commit"));
            let params = CommitParams::of_options(options);
            let res = self
                .conn
                .send(Method::POST, &path, Bound::File, |rb| Ok(rb.query(&params)))
                .await?;
            self.conn.json(res).await
        })
    }

    fn export(&self, scope: ExportScope, to: PathBuf, progress: ProgressSink) -> Answer<'_, u64> {
        Box::pin(async move {
            let query = match scope {
                ExportScope::All => UserQuery::default(),
                ExportScope::View { query } => query,
            };
            let mut params = ListParams::of_query(&query);
            params.offset = 0;
            params.limit = None;
            // The view's count, for the progress: one row's page (0 when the count is capped).
            let counted: UserPage = self
                .conn
                .get(
                    &self.at("/users"),
                    &ListParams {
                        limit: Some(1),
                        ..params.clone()
                    },
                )
                .await?;
            let total = match counted.total_capped {
                true => 0,
                false => u64::try_from(counted.total).unwrap_or(0),
            };
            files::download(
                &self.conn,
                &self.at("/export"),
                &params,
                &to,
                total,
                progress,
            )
            .await
        })
    }

    fn user(&self, id: Id) -> Answer<'_, User> {
        Box::pin(async move { self.user_now(id).await })
    }

    fn directory_page(&self, query: DirectoryQuery) -> Answer<'_, DirectoryPage> {
        Box::pin(async move {
            let params = DirectoryParams {
                kind: kind_word(query.kind).to_string(),
                search: query.search,
                offset: query.offset,
                limit: Some(query.limit),
            };
            self.conn.get(&self.at("/directory"), &params).await
        })
    }

    fn item_page(&self, query: ItemQuery) -> Answer<'_, ItemPage> {
        Box::pin(async move {
            let path = self.at(&format!(
                "/directory/{}/{}",
                kind_word(query.kind),
                query.id
            ));
            let params = MembersParams {
                search: query.search,
                offset: query.offset,
                limit: Some(query.limit),
            };
            self.conn.get(&path, &params).await
        })
    }
}
