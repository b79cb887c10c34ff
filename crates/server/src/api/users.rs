//! Users: the table (its rendered pages kept in [`crate::pages`]), one user by its version,
//! roles and deletion of many at once, restore, and what a user reaches.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use omni_core::model::Id;
use omni_core::ErrorCode;
use omni_requests::wire::{BulkRoleBody, CreateUserBody, EditUserBody, IdsBody, ListParams};
use omni_store::{NewUser, UserEdit, UserQuery};

use super::{if_match, with_etag};
use crate::app::{AppState, Ctx};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::pages::PageKey;

#[utoipa::path(get, path = "/v1/orgs/{org}/users", tag = "users", params(("org" = i64, Path), ListParams),
    responses((status = 200, description = "A page of users"), (status = 403, body = ErrorBody)))]
pub async fn list_users(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ListParams>,
) -> ApiResult<Response> {
    let q: UserQuery = p.request().query()?;
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

#[utoipa::path(post, path = "/v1/orgs/{org}/users", tag = "users", params(("org" = i64, Path)), request_body = CreateUserBody,
    responses((status = 201, description = "The new user, with its ETag"), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_user(
    State(s): State<AppState>,
    ctx: Ctx,
    Json(b): Json<CreateUserBody>,
) -> ApiResult<Response> {
    let new = NewUser {
        email: omni_requests::email(&b.email, "email")?,
        phone: omni_requests::phone(b.country_code.as_deref(), b.phone.as_deref())?,
        role: omni_requests::role_or_user(b.role.as_deref())?,
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
            Some(p) => Some(omni_requests::phone(
                b.country_code.as_deref(),
                p.as_deref(),
            )?),
        },
        role: b.role.as_deref().map(omni_requests::role).transpose()?,
        budget: match b.budget {
            None => None,
            Some(None) => Some(None),
            Some(Some(v)) => Some(omni_requests::budget(&v)?),
        },
        expected_version: Some(expected),
    };
    match s.store.edit_user(&ctx.caller, id, edit, ctx.now).await {
        Ok(u) => Ok(with_etag(u)),
        Err(e) if e.code == ErrorCode::StaleVersion => Err(ApiError {
            reason: e.reason.map(Box::new),
            ..ApiError::stale()
        }),
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

/// At most this many users in one bulk change.
pub(super) const BULK_LIMIT: usize = 10_000;

pub(super) fn within_bulk_limit(ids: &[Id]) -> ApiResult<()> {
    if ids.len() > BULK_LIMIT {
        return Err(ApiError::bad_request("At most 10,000 users at once."));
    }
    Ok(())
}

#[utoipa::path(post, path = "/v1/orgs/{org}/roles", tag = "users", params(("org" = i64, Path)), request_body = BulkRoleBody,
    responses((status = 200, description = "The users, all or none changed"), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn bulk_role(
    State(s): State<AppState>,
    ctx: Ctx,
    Json(b): Json<BulkRoleBody>,
) -> ApiResult<Response> {
    within_bulk_limit(&b.ids)?;
    let role = omni_requests::role(&b.role)?;
    let users = s.store.set_role(&ctx.caller, &b.ids, role, ctx.now).await?;
    Ok(Json(users).into_response())
}

/// Deletes many users at once, all or none (no versions: what a person picked in the table).
#[utoipa::path(post, path = "/v1/orgs/{org}/deleted-users", tag = "users", params(("org" = i64, Path)), request_body = IdsBody,
    responses((status = 204, description = "All deleted"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_users(
    State(s): State<AppState>,
    ctx: Ctx,
    Json(b): Json<IdsBody>,
) -> ApiResult<StatusCode> {
    within_bulk_limit(&b.ids)?;
    s.store.delete_users(&ctx.caller, &b.ids, ctx.now).await?;
    Ok(StatusCode::NO_CONTENT)
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
