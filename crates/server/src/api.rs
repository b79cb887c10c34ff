//! The product's operations over HTTP/JSON. Each handler is thin: it parses the request into
//! the store's types, calls the one store operation with the caller and the request's time,
//! and shapes the answer. Every rule (roles, seats, the last Administrator, versions) is
//! enforced by the store and `omni_core::policy`, never here.

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use omni_core::model::{Id, Role, Timestamp, Usd, User};
use omni_core::{Email, ErrorCode, Phone};
use omni_store::{
    DirectoryKind, ExportScope, ImportOptions, LinkKind, NewUser, SortField, UserEdit, UserQuery,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::{AppState, Ctx, Reporter};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::pages::PageKey;

/// The strong ETag of a user: its row version.
fn etag(u: &User) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{}\"", u.version))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

fn with_etag(u: User) -> Response {
    let tag = etag(&u);
    let mut res = Json(u).into_response();
    res.headers_mut().insert(header::ETAG, tag);
    res
}

/// The version named by `If-Match` (428 when absent, 412 when it cannot match any version).
fn if_match(headers: &HeaderMap) -> ApiResult<i64> {
    let v = headers
        .get(header::IF_MATCH)
        .ok_or_else(ApiError::precondition_required)?;
    v.to_str()
        .ok()
        .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(ApiError::stale)
}

fn bad(e: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(e.to_string())
}

type Resp<T> = ApiResult<Json<T>>;

/// The signed-in user and their organization.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub org: Id,
    #[schema(value_type = Object)]
    pub user: User,
}

#[utoipa::path(get, path = "/v1/orgs/{org}/me", tag = "users", params(("org" = i64, Path)),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn me(State(s): State<AppState>, ctx: Ctx) -> Resp<Me> {
    let user = s.store.whoami(&ctx.caller, ctx.now).await?;
    Ok(Json(Me {
        org: ctx.caller.org,
        user,
    }))
}

#[utoipa::path(get, path = "/v1/orgs/{org}/summary", tag = "users", params(("org" = i64, Path)),
    responses((status = 200, description = "Dashboard counters and the seat pool"), (status = 403, body = ErrorBody)))]
pub async fn summary(State(s): State<AppState>, ctx: Ctx) -> ApiResult<Response> {
    Ok(Json(s.store.summary(&ctx.caller).await?).into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct SeatsBody {
    pub seats: i64,
}

#[utoipa::path(put, path = "/v1/orgs/{org}/seats", tag = "licenses", params(("org" = i64, Path)), request_body = SeatsBody,
    responses((status = 200, description = "The seat pool"), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn set_seats(
    State(s): State<AppState>,
    ctx: Ctx,
    Json(b): Json<SeatsBody>,
) -> ApiResult<Response> {
    Ok(Json(s.store.set_seats(&ctx.caller, b.seats, ctx.now).await?).into_response())
}

/// The users table's query.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Start of the email, or `@` and the start of the domain.
    pub search: Option<String>,
    pub role: Option<String>,
    pub licensed: Option<bool>,
    #[serde(default)]
    pub near_or_over_budget: bool,
    pub sort: Option<String>,
    #[serde(default)]
    pub desc: bool,
    #[serde(default)]
    pub offset: u64,
    pub limit: Option<u32>,
}

impl ListParams {
    fn query(self) -> ApiResult<UserQuery> {
        Ok(UserQuery {
            search: self.search,
            role: self.role.as_deref().map(parse_role).transpose()?,
            licensed: self.licensed,
            near_or_over_budget: self.near_or_over_budget,
            sort: self
                .sort
                .as_deref()
                .map(str::parse::<SortField>)
                .transpose()?
                .unwrap_or_default(),
            descending: self.desc,
            offset: self.offset,
            limit: self.limit.unwrap_or(100),
        })
    }
}

fn parse_role(s: &str) -> ApiResult<Role> {
    Role::from_stored(&s.trim().to_ascii_lowercase()).ok_or_else(|| {
        ApiError::bad_request(format!(
            "Unknown role {s:?}: use user, collaborator or administrator."
        ))
    })
}

#[utoipa::path(get, path = "/v1/orgs/{org}/users", tag = "users", params(("org" = i64, Path), ListParams),
    responses((status = 200, description = "A page of users"), (status = 403, body = ErrorBody)))]
pub async fn list_users(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ListParams>,
) -> ApiResult<Response> {
    let q = p.query()?;
    let version = s.store.table_version(&ctx.caller).await?;
    let key = PageKey::new(ctx.caller.org, ctx.now, &q);
    let body = match s.pages.get(&key, version) {
        Some(body) => body,
        None => {
            let page = s.store.list_users(&ctx.caller, &q, ctx.now).await?;
            let body = Bytes::from(
                serde_json::to_vec(&page).map_err(|e| omni_core::Error::internal(e.to_string()))?,
            );
            s.pages.put(key, version, body.clone());
            body
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct CreateUserBody {
    pub email: String,
    pub country_code: Option<String>,
    pub phone: Option<String>,
    /// user (default), collaborator or administrator.
    pub role: Option<String>,
}

#[utoipa::path(post, path = "/v1/orgs/{org}/users", tag = "users", params(("org" = i64, Path)), request_body = CreateUserBody,
    responses((status = 201, description = "The new user, with its ETag"), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_user(
    State(s): State<AppState>,
    ctx: Ctx,
    Json(b): Json<CreateUserBody>,
) -> ApiResult<Response> {
    let new = NewUser {
        email: Email::parse(&b.email).map_err(bad)?,
        phone: match b.phone.as_deref().filter(|p| !p.trim().is_empty()) {
            Some(p) => Some(Phone::parse(b.country_code.as_deref(), p).map_err(bad)?),
            None => None,
        },
        role: b
            .role
            .as_deref()
            .map(parse_role)
            .transpose()?
            .unwrap_or(Role::User),
    };
    let u = s.store.create_user(&ctx.caller, new, ctx.now).await?;
    let mut res = with_etag(u);
    *res.status_mut() = StatusCode::CREATED;
    Ok(res)
}

#[utoipa::path(get, path = "/v1/orgs/{org}/users/{id}", tag = "users", params(("org" = i64, Path), ("id" = i64, Path)),
    responses((status = 200, description = "The user; ETag is its version"), (status = 404, body = ErrorBody)))]
pub async fn get_user(
    State(s): State<AppState>,
    ctx: Ctx,
    Path((_, id)): Path<(Id, Id)>,
) -> ApiResult<Response> {
    Ok(with_etag(s.store.user(&ctx.caller, id, ctx.now).await?))
}

/// Changes to a user; absent fields stay as they are, `null` clears phone or budget.
#[derive(Deserialize, ToSchema)]
pub struct EditUserBody {
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    pub country_code: Option<String>,
    pub role: Option<String>,
    /// USD per month, e.g. "50" or "12.50"; null or "0" removes the limit.
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub budget: Option<Option<String>>,
}

mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(d).map(Some)
    }
}

#[utoipa::path(patch, path = "/v1/orgs/{org}/users/{id}", tag = "users", params(("org" = i64, Path), ("id" = i64, Path),
    ("If-Match" = String, Header, description = "The ETag read")), request_body = EditUserBody,
    responses((status = 200, description = "The changed user and its new ETag"), (status = 403, body = ErrorBody),
        (status = 412, body = ErrorBody), (status = 428, body = ErrorBody)))]
pub async fn edit_user(
    State(s): State<AppState>,
    ctx: Ctx,
    Path((_, id)): Path<(Id, Id)>,
    headers: HeaderMap,
    Json(b): Json<EditUserBody>,
) -> ApiResult<Response> {
    let expected = if_match(&headers)?;
    let edit = UserEdit {
        phone: match b.phone {
            None => None,
            Some(None) => Some(None),
            Some(Some(p)) if p.trim().is_empty() => Some(None),
            Some(Some(p)) => Some(Some(
                Phone::parse(b.country_code.as_deref(), &p).map_err(bad)?,
            )),
        },
        role: b.role.as_deref().map(parse_role).transpose()?,
        budget: match b.budget {
            None => None,
            Some(None) => Some(None),
            Some(Some(v)) => Some(Some(Usd::parse(&v).map_err(bad)?)),
        },
        expected_version: Some(expected),
    };
    match s.store.edit_user(&ctx.caller, id, edit, ctx.now).await {
        Ok(u) => Ok(with_etag(u)),
        Err(e) if e.code == ErrorCode::StaleVersion => Err(ApiError::stale()),
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(delete, path = "/v1/orgs/{org}/users/{id}", tag = "users", params(("org" = i64, Path), ("id" = i64, Path),
    ("If-Match" = String, Header)), responses((status = 204), (status = 403, body = ErrorBody), (status = 412, body = ErrorBody), (status = 428, body = ErrorBody)))]
pub async fn delete_user(
    State(s): State<AppState>,
    ctx: Ctx,
    Path((_, id)): Path<(Id, Id)>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let expected = if_match(&headers)?;
    s.store
        .delete_user_at(&ctx.caller, id, expected, ctx.now)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct LicenseBody {
    pub licensed: bool,
}

#[utoipa::path(put, path = "/v1/orgs/{org}/users/{id}/license", tag = "licenses", params(("org" = i64, Path), ("id" = i64, Path),
    ("If-Match" = String, Header)), request_body = LicenseBody,
    responses((status = 200, description = "The user and its new ETag"), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 412, body = ErrorBody), (status = 428, body = ErrorBody)))]
pub async fn set_license(
    State(s): State<AppState>,
    ctx: Ctx,
    Path((_, id)): Path<(Id, Id)>,
    headers: HeaderMap,
    Json(b): Json<LicenseBody>,
) -> ApiResult<Response> {
    let expected = if_match(&headers)?;
    let u = s
        .store
        .set_license_at(&ctx.caller, id, expected, b.licensed, ctx.now)
        .await?;
    Ok(with_etag(u))
}

#[utoipa::path(post, path = "/v1/orgs/{org}/users/{id}/restore", tag = "users", params(("org" = i64, Path), ("id" = i64, Path)),
    responses((status = 200, description = "The restored user"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn restore_user(
    State(s): State<AppState>,
    ctx: Ctx,
    Path((_, id)): Path<(Id, Id)>,
) -> ApiResult<Response> {
    Ok(with_etag(
        s.store.restore_user(&ctx.caller, id, ctx.now).await?,
    ))
}

#[utoipa::path(get, path = "/v1/orgs/{org}/deleted-users", tag = "users", params(("org" = i64, Path)),
    responses((status = 200, description = "Users deleted in the last 30 days"), (status = 403, body = ErrorBody)))]
pub async fn deleted_users(State(s): State<AppState>, ctx: Ctx) -> ApiResult<Response> {
    Ok(Json(s.store.deleted_users(&ctx.caller, ctx.now).await?).into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct BulkLicenseBody {
    pub ids: Vec<Id>,
    pub licensed: bool,
}

#[utoipa::path(post, path = "/v1/orgs/{org}/licenses", tag = "licenses", params(("org" = i64, Path)), request_body = BulkLicenseBody,
    responses((status = 200, description = "The users, all or none changed"), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn bulk_license(
    State(s): State<AppState>,
    ctx: Ctx,
    Json(b): Json<BulkLicenseBody>,
) -> ApiResult<Response> {
    if b.ids.len() > 10_000 {
        return Err(ApiError::bad_request("At most 10,000 users at once."));
    }
    Ok(Json(
        s.store
            .set_licensed(&ctx.caller, &b.ids, b.licensed, ctx.now)
            .await?,
    )
    .into_response())
}

#[utoipa::path(get, path = "/v1/orgs/{org}/users/{id}/access", tag = "directory", params(("org" = i64, Path), ("id" = i64, Path)),
    responses((status = 200, description = "Agents the user reaches and the paths"), (status = 403, body = ErrorBody)))]
pub async fn access(
    State(s): State<AppState>,
    ctx: Ctx,
    Path((_, id)): Path<(Id, Id)>,
) -> ApiResult<Response> {
    Ok(Json(s.store.access(&ctx.caller, id).await?).into_response())
}

#[utoipa::path(get, path = "/v1/orgs/{org}/users/{id}/links", tag = "directory", params(("org" = i64, Path), ("id" = i64, Path)),
    responses((status = 200, description = "Groups, workspaces and agents linked to the user"), (status = 403, body = ErrorBody)))]
pub async fn user_links(
    State(s): State<AppState>,
    ctx: Ctx,
    Path((_, id)): Path<(Id, Id)>,
) -> ApiResult<Response> {
    Ok(Json(s.store.user_links(&ctx.caller, id).await?).into_response())
}

/// The kind a path names (`groups`, `workspaces`, `agents`); any other is 404.
fn parse_kind(s: &str) -> ApiResult<DirectoryKind> {
    match s {
        "groups" | "group" => Ok(DirectoryKind::Group),
        "workspaces" | "workspace" => Ok(DirectoryKind::Workspace),
        "agents" | "agent" => Ok(DirectoryKind::Agent),
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Use groups, workspaces or agents.",
        )),
    }
}

#[utoipa::path(get, path = "/v1/orgs/{org}/directory/{kind}", tag = "directory", params(("org" = i64, Path), ("kind" = String, Path)),
    responses((status = 200, description = "Every item of the kind"), (status = 403, body = ErrorBody)))]
pub async fn items(
    State(s): State<AppState>,
    ctx: Ctx,
    Path((_, kind)): Path<(Id, String)>,
) -> ApiResult<Response> {
    let kind = parse_kind(&kind)?;
    Ok(Json(s.store.items(&ctx.caller, kind).await?).into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct NameBody {
    pub name: String,
}

#[utoipa::path(post, path = "/v1/orgs/{org}/directory/{kind}", tag = "directory", params(("org" = i64, Path), ("kind" = String, Path)),
    request_body = NameBody, responses((status = 201, description = "The new item"), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_item(
    State(s): State<AppState>,
    ctx: Ctx,
    Path((_, kind)): Path<(Id, String)>,
    Json(b): Json<NameBody>,
) -> ApiResult<Response> {
    let kind = parse_kind(&kind)?;
    let item = s
        .store
        .create_item(&ctx.caller, kind, &b.name, ctx.now)
        .await?;
    Ok((StatusCode::CREATED, Json(item)).into_response())
}

#[utoipa::path(patch, path = "/v1/orgs/{org}/directory/{kind}/{id}", tag = "directory",
    params(("org" = i64, Path), ("kind" = String, Path), ("id" = i64, Path)), request_body = NameBody,
    responses((status = 200, description = "The renamed item"), (status = 403, body = ErrorBody),
        (status = 404, description = "No item of that kind has that id", body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn rename_item(
    State(s): State<AppState>,
    ctx: Ctx,
    Path((_, kind, id)): Path<(Id, String, Id)>,
    Json(b): Json<NameBody>,
) -> ApiResult<Response> {
    let kind = Some(parse_kind(&kind)?);
    Ok(Json(
        s.store
            .rename_item(&ctx.caller, kind, id, &b.name, ctx.now)
            .await?,
    )
    .into_response())
}

#[utoipa::path(delete, path = "/v1/orgs/{org}/directory/{kind}/{id}", tag = "directory",
    params(("org" = i64, Path), ("kind" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_item(
    State(s): State<AppState>,
    ctx: Ctx,
    Path((_, kind, id)): Path<(Id, String, Id)>,
) -> ApiResult<StatusCode> {
    let kind = Some(parse_kind(&kind)?);
    s.store.delete_item(&ctx.caller, kind, id, ctx.now).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct LinkBody {
    /// user_group, user_workspace, group_workspace, agent_workspace, agent_user, agent_group
    #[schema(value_type = String)]
    pub kind: LinkKind,
    pub a: Id,
    pub b: Id,
}

#[derive(Serialize, ToSchema)]
pub struct Changed {
    pub changed: bool,
}

#[utoipa::path(post, path = "/v1/orgs/{org}/links", tag = "directory", params(("org" = i64, Path)), request_body = LinkBody,
    responses((status = 200, body = Changed), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn link(State(s): State<AppState>, ctx: Ctx, Json(b): Json<LinkBody>) -> Resp<Changed> {
    let changed = s.store.link(&ctx.caller, b.kind, b.a, b.b, ctx.now).await?;
    Ok(Json(Changed { changed }))
}

#[utoipa::path(delete, path = "/v1/orgs/{org}/links", tag = "directory", params(("org" = i64, Path)), request_body = LinkBody,
    responses((status = 200, body = Changed), (status = 403, body = ErrorBody)))]
pub async fn unlink(State(s): State<AppState>, ctx: Ctx, Json(b): Json<LinkBody>) -> Resp<Changed> {
    let changed = s
        .store
        .unlink(&ctx.caller, b.kind, b.a, b.b, ctx.now)
        .await?;
    Ok(Json(Changed { changed }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// The `next` of the previous page (0 for a full read).
    #[serde(default)]
    pub after: i64,
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/v1/orgs/{org}/changes", tag = "sync", params(("org" = i64, Path), FeedParams),
    responses((status = 200, description = "A page of the change feed"),
        (status = 410, description = "Too far behind: resynchronise from a full copy", body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn changes(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(p): Query<FeedParams>,
) -> ApiResult<Response> {
    match s
        .store
        .changes(&ctx.caller, p.after, p.limit.unwrap_or(1000), ctx.now)
        .await
    {
        Ok(page) => Ok(Json(page).into_response()),
        Err(e) if e.code == ErrorCode::StaleVersion => {
            Err(ApiError::new(StatusCode::GONE, "resync", e.message))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    pub limit: Option<u32>,
    pub before: Option<Id>,
}

#[utoipa::path(get, path = "/v1/orgs/{org}/audit", tag = "users", params(("org" = i64, Path), AuditParams),
    responses((status = 200, description = "Newest audit entries first"), (status = 403, body = ErrorBody)))]
pub async fn audit(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(p): Query<AuditParams>,
) -> ApiResult<Response> {
    Ok(Json(
        s.store
            .audit(&ctx.caller, p.limit.unwrap_or(100), p.before)
            .await?,
    )
    .into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Role of the users the file creates (default user).
    pub role: Option<String>,
    /// License every new user (Administrators only).
    #[serde(default)]
    pub licensed: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ImportPreview {
    /// Pass to `/imports/{upload}/commit` to apply exactly this file.
    pub upload: String,
    #[schema(value_type = Object)]
    pub report: omni_store::ImportReport,
}

#[utoipa::path(post, path = "/v1/orgs/{org}/imports", tag = "import", params(("org" = i64, Path), ImportParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportPreview), (status = 403, body = ErrorBody), (status = 413, description = "Too large")))]
pub async fn import_upload(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ImportParams>,
    headers: HeaderMap,
    body: Body,
) -> Resp<ImportPreview> {
    let options = ImportOptions {
        role: p
            .role
            .as_deref()
            .map(parse_role)
            .transpose()?
            .unwrap_or(Role::User),
        licensed: p.licensed,
    };
    // Refused before a byte is written to disk.
    s.store.may_import(&ctx.caller, options).await?;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let file = s
        .uploads
        .spool(body, declared, s.config.max_import_bytes as u64)
        .await?;
    let report = s
        .store
        .import_preview(
            &ctx.caller,
            file.open()?,
            options,
            file.bytes(),
            &|_| {},
            ctx.now,
        )
        .await?;
    let upload = s.uploads.keep(ctx.caller, options, file, ctx.now);
    Ok(Json(ImportPreview { upload, report }))
}

#[utoipa::path(post, path = "/v1/orgs/{org}/imports/{upload}/commit", tag = "import",
    params(("org" = i64, Path), ("upload" = String, Path)),
    responses((status = 200, description = "The committed report (all or nothing)"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn import_commit(
    State(s): State<AppState>,
    ctx: Ctx,
    Path((_, upload)): Path<(Id, String)>,
) -> ApiResult<Response> {
    let up = s.uploads.take(&ctx.caller, &upload, ctx.now)?;
    let result = s
        .store
        .import_commit(
            &ctx.caller,
            up.file.open()?,
            up.options,
            up.file.bytes(),
            &|_| {},
            None,
            ctx.now,
        )
        .await;
    match result {
        // The spooled file is deleted here, once the import has read it.
        Ok(report) => Ok(Json(report).into_response()),
        // Nothing was written: a person who can fix the cause (seats, rights) commits again.
        Err(e) if e.code != omni_core::ErrorCode::Internal => {
            s.uploads.put_back(up, ctx.now);
            Err(e.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Bytes written by the export, sent to the response body in chunks.
struct ChannelWriter {
    buf: Vec<u8>,
    tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
}

impl ChannelWriter {
    const CHUNK: usize = 64 * 1024;
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(Self::CHUNK),
        ));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= Self::CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

#[utoipa::path(get, path = "/v1/orgs/{org}/export", tag = "export", params(("org" = i64, Path), ListParams),
    responses((status = 200, description = "CSV (UTF-8 with BOM), streamed", content_type = "text/csv"), (status = 403, body = ErrorBody)))]
pub async fn export(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ListParams>,
) -> ApiResult<Response> {
    let whole = p.search.is_none()
        && p.role.is_none()
        && p.licensed.is_none()
        && !p.near_or_over_budget
        && p.sort.is_none();
    let scope = if whole {
        ExportScope::All
    } else {
        ExportScope::View { query: p.query()? }
    };
    // Refuse before streaming starts, so a denial is a proper 403 rather than a cut stream.
    s.store.summary(&ctx.caller).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let store = s.store.clone();
    let handle = tokio::runtime::Handle::current();
    // The store writes synchronously; on a blocking thread the writer may wait for the client.
    tokio::task::spawn_blocking(move || {
        let err_tx = tx.clone();
        let writer = ChannelWriter {
            buf: Vec::with_capacity(ChannelWriter::CHUNK),
            tx,
        };
        let result = handle.block_on(store.export(&ctx.caller, &scope, writer, &|_| {}, ctx.now));
        match result {
            Ok((mut w, _)) => {
                let _ = std::io::Write::flush(&mut w);
            }
            Err(e) => {
                tracing::warn!(error = %e.message, "export failed midway");
                let _ = err_tx.blocking_send(Err(std::io::Error::other("export failed")));
            }
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let mut res = Body::from_stream(stream).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"users.csv\""),
    );
    Ok(res)
}

#[derive(Deserialize, ToSchema)]
pub struct UsageBody {
    /// The platform's id for this spend; a repeated id changes nothing.
    pub event_id: String,
    pub user_id: Id,
    /// Spend in micro-USD.
    pub amount_micros: i64,
    /// When the spend happened (ms since the epoch); default now.
    pub at: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct UsageRecorded {
    /// False when this event id was recorded before.
    pub recorded: bool,
}

#[utoipa::path(post, path = "/v1/orgs/{org}/usage", tag = "usage", params(("org" = i64, Path)), request_body = UsageBody,
    responses((status = 200, body = UsageRecorded), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn record_usage(
    State(s): State<AppState>,
    r: Reporter,
    Json(b): Json<UsageBody>,
) -> Resp<UsageRecorded> {
    if b.event_id.is_empty() || b.event_id.len() > 200 {
        return Err(ApiError::bad_request(
            "The event id must have 1 to 200 characters.",
        ));
    }
    let recorded = s
        .store
        .record_usage(
            r.org,
            &b.event_id,
            b.user_id,
            Usd(b.amount_micros),
            Timestamp(b.at.unwrap_or(r.now.0)),
        )
        .await?;
    Ok(Json(UsageRecorded { recorded }))
}
