//! The organization: who signs in, its dashboard counters, its seats and its audit log.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use omni_requests::wire::{AuditParams, Me, MyOrg, OrgRef, SeatsBody, UserRef};

use super::Resp;
use crate::app::{AppState, Ctx, TenantCtx};
use crate::error::{ApiError, ApiResult, ErrorBody};

#[utoipa::path(get, path = "/v1/orgs/{org}/me", tag = "users", params(("org" = i64, Path)),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn me(State(s): State<AppState>, ctx: Ctx) -> Resp<Me> {
    let user = s.store.whoami(&ctx.caller, ctx.now).await?;
    Ok(Json(Me {
        org: ctx.caller.org,
        user,
    }))
}

/// The organization bound to the token's tenant and the caller's user in it, for a client that
/// does not know the organization's id yet. The caller is resolved as on every
/// `/v1/orgs/{org}` request.
#[utoipa::path(get, path = "/v1/me", tag = "users",
    responses((status = 200, body = MyOrg), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn my_org(State(s): State<AppState>, t: TenantCtx) -> Resp<MyOrg> {
    let ctx = t.ctx;
    let user = s.store.whoami(&ctx.caller, ctx.now).await?;
    let org = s
        .store
        .org_by_tenant(&t.tenant)
        .await?
        .filter(|o| o.id == ctx.caller.org)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "Your Entra ID tenant is no longer bound to an organization on this server.",
            )
        })?;
    Ok(Json(MyOrg {
        org: OrgRef {
            id: org.id,
            name: org.name,
        },
        user: UserRef {
            id: user.id,
            email: user.email.to_string(),
        },
        role: user.role,
    }))
}

#[utoipa::path(get, path = "/v1/orgs/{org}/summary", tag = "users", params(("org" = i64, Path)),
    responses((status = 200, description = "Dashboard counters and the seat pool"), (status = 403, body = ErrorBody)))]
pub async fn summary(State(s): State<AppState>, ctx: Ctx) -> ApiResult<Response> {
    Ok(Json(s.store.summary(&ctx.caller).await?).into_response())
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

#[utoipa::path(get, path = "/v1/orgs/{org}/audit", tag = "users", params(("org" = i64, Path), AuditParams),
    responses((status = 200, description = "A page of the audit entries the filters select, newest first (by time, then id); `more` when older ones match too"), (status = 403, body = ErrorBody)))]
pub async fn audit(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(p): Query<AuditParams>,
) -> ApiResult<Response> {
    Ok(Json(s.store.audit(&ctx.caller, &p.query()).await?).into_response())
}
