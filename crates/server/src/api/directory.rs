//! Groups, workspaces and agents, and the links between them and users.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use omni_core::model::Id;
use omni_store::{DirectoryKind, LinkKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Resp;
use crate::app::{AppState, Ctx};
use crate::error::{ApiError, ApiResult, ErrorBody};

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
