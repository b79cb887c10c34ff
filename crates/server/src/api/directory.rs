//! Groups, workspaces and agents, the links between them and users, and whom an agent reaches.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use omni_core::model::Id;
use omni_requests::wire::{
    Changed, DirectoryParams, LinkBody, LinksParams, MembersParams, NameBody,
};
use omni_store::{DirectoryKind, DirectoryQuery, ItemQuery};

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

/// An item's links by its id alone (whatever its kind): a group's workspaces, an agent's
/// workspaces and groups. A user's are at `/users/{id}/links`.
#[utoipa::path(get, path = "/v1/orgs/{org}/links", tag = "directory", params(("org" = i64, Path), LinksParams),
    responses((status = 200, description = "The items the item is linked to, with each link's kind"), (status = 403, body = ErrorBody)))]
pub async fn item_links(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(p): Query<LinksParams>,
) -> ApiResult<Response> {
    Ok(Json(s.store.item_links(&ctx.caller, p.item).await?).into_response())
}

#[utoipa::path(get, path = "/v1/orgs/{org}/directory/{kind}/{id}/reach", tag = "directory",
    params(("org" = i64, Path), ("kind" = String, Path, description = "agents"), ("id" = i64, Path)),
    responses((status = 200, description = "The users the agent reaches and the paths"), (status = 403, body = ErrorBody),
        (status = 404, description = "No agent has that id", body = ErrorBody)))]
pub async fn agent_reach(
    State(s): State<AppState>,
    ctx: Ctx,
    Path((_, kind, id)): Path<(Id, String, Id)>,
) -> ApiResult<Response> {
    if parse_kind(&kind)? != DirectoryKind::Agent {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Only an agent reaches users: use /directory/agents/{id}/reach.",
        ));
    }
    Ok(Json(s.store.agent_reach(&ctx.caller, id).await?).into_response())
}

/// One page of a directory list, by name, with each item's counts: what the console's
/// directory pages show.
#[utoipa::path(get, path = "/v1/orgs/{org}/directory", tag = "directory", params(("org" = i64, Path), DirectoryParams),
    responses((status = 200, description = "One page of the items of the kind, each with its counts (users, groups, workspaces, agents), and how many match"),
        (status = 403, body = ErrorBody), (status = 404, description = "No such kind", body = ErrorBody)))]
pub async fn directory_page(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(p): Query<DirectoryParams>,
) -> ApiResult<Response> {
    let query = DirectoryQuery {
        kind: parse_kind(&p.kind)?,
        search: p.search,
        offset: p.offset,
        limit: p.limit.unwrap_or(100),
    };
    Ok(Json(s.store.directory_page(&ctx.caller, &query).await?).into_response())
}

/// An item's page: the items linked to it (either end) and a page of its members by email.
#[utoipa::path(get, path = "/v1/orgs/{org}/directory/{kind}/{id}", tag = "directory",
    params(("org" = i64, Path), ("kind" = String, Path), ("id" = i64, Path), MembersParams),
    responses((status = 200, description = "The item, its links, and one page of its members"), (status = 403, body = ErrorBody),
        (status = 404, description = "No item of that kind has that id", body = ErrorBody)))]
pub async fn item_page(
    State(s): State<AppState>,
    ctx: Ctx,
    Path((_, kind, id)): Path<(Id, String, Id)>,
    Query(p): Query<MembersParams>,
) -> ApiResult<Response> {
    let query = ItemQuery {
        kind: parse_kind(&kind)?,
        id,
        search: p.search,
        offset: p.offset,
        limit: p.limit.unwrap_or(100),
    };
    Ok(Json(s.store.item_page(&ctx.caller, &query).await?).into_response())
}
