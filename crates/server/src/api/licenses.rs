//! Licenses: one user's, by its version, and many users' at once.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use omni_core::model::Id;
use omni_requests::wire::{BulkLicenseBody, LicenseBody};

use super::users::within_bulk_limit;
use super::{if_match, with_etag};
use crate::app::{AppState, Ctx};
use crate::error::{ApiResult, ErrorBody};

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

#[utoipa::path(post, path = "/v1/orgs/{org}/licenses", tag = "licenses", params(("org" = i64, Path)), request_body = BulkLicenseBody,
    responses((status = 200, description = "The users, all or none changed"), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn bulk_license(
    State(s): State<AppState>,
    ctx: Ctx,
    Json(b): Json<BulkLicenseBody>,
) -> ApiResult<Response> {
    within_bulk_limit(&b.ids)?;
    Ok(Json(
        s.store
            .set_licensed(&ctx.caller, &b.ids, b.licensed, ctx.now)
            .await?,
    )
    .into_response())
}
