//! An organization's SCIM provisioning tokens, for its Administrators (the desktop app's
//! Settings): list, create (the secret answered once, only its hash kept), revoke. The
//! provisioning itself is at `/scim/v2/{org}` ([`crate::scim`]).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use omni_core::model::Id;
use omni_requests::wire::{NewScimToken, ScimTokenBody};
use omni_store::scim::ScimToken;

use super::Resp;
use crate::app::{AppState, Ctx};
use crate::error::{ApiResult, ErrorBody};

#[utoipa::path(get, path = "/v1/orgs/{org}/scim/tokens", tag = "scim", params(("org" = i64, Path)),
    responses((status = 200, description = "The organization's provisioning tokens, live and revoked (never a secret)"),
        (status = 403, body = ErrorBody)))]
pub async fn scim_tokens(State(s): State<AppState>, ctx: Ctx) -> Resp<Vec<ScimToken>> {
    Ok(Json(s.store.scim_tokens(&ctx.caller).await?))
}

#[utoipa::path(post, path = "/v1/orgs/{org}/scim/tokens", tag = "scim", params(("org" = i64, Path)),
    request_body = ScimTokenBody,
    responses((status = 201, description = "The new token and its secret, shown this once"),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_scim_token(
    State(s): State<AppState>,
    ctx: Ctx,
    Json(body): Json<ScimTokenBody>,
) -> ApiResult<Response> {
    let (secret, hash) = crate::scim::new_token();
    let token = s
        .store
        .create_scim_token(&ctx.caller, &body.name, &hash, ctx.now)
        .await?;
    Ok((StatusCode::CREATED, Json(NewScimToken { token, secret })).into_response())
}

#[utoipa::path(delete, path = "/v1/orgs/{org}/scim/tokens/{id}", tag = "scim",
    params(("org" = i64, Path), ("id" = i64, Path)),
    responses((status = 200, description = "The revoked token"), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn revoke_scim_token(
    State(s): State<AppState>,
    ctx: Ctx,
    Path((_, id)): Path<(Id, Id)>,
) -> Resp<ScimToken> {
    Ok(Json(
        s.store.revoke_scim_token(&ctx.caller, id, ctx.now).await?,
    ))
}
