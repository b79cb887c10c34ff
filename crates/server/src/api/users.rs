//! Users: the table (its rendered pages kept in [`crate::pages`]), one user by its version,
//! deletion and restore, and what a user reaches.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use omni_core::model::Id;
use omni_core::ErrorCode;
use omni_requests::ListRequest;
use omni_store::{NewUser, UserEdit, UserQuery};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{if_match, with_etag};
use crate::app::{AppState, Ctx};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::pages::PageKey;

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
    /// The request these parameters make: a page of 100 unless `limit` says otherwise.
    pub fn request(self) -> ListRequest {
        ListRequest {
            search: self.search,
            role: self.role,
            licensed: self.licensed,
            near_or_over_budget: self.near_or_over_budget,
            sort: self.sort,
            descending: self.desc,
            offset: self.offset,
            limit: self.limit.unwrap_or(100),
        }
    }
}

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

/// Changes to a user; absent fields stay as they are, `null` clears phone or budget.
#[derive(Deserialize, ToSchema)]
pub struct EditUserBody {
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    pub country_code: Option<String>,
    pub role: Option<String>,
    /// USD per month, e.g. "50" or "12.50"; null, "", "none" or "0" removes the limit.
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
