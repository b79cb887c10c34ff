//! The change feed, read by clients that keep a copy.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use omni_core::ErrorCode;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::{AppState, Ctx};
use crate::error::{ApiError, ApiResult, ErrorBody};

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
