//! The organization: who signs in, its dashboard counters, its seats and its audit log.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use omni_core::model::{Id, User};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Resp;
use crate::app::{AppState, Ctx};
use crate::error::{ApiResult, ErrorBody};

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
