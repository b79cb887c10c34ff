//! Usage reported by the platform's metering, idempotent by event id.

use axum::extract::State;
use axum::Json;
use omni_core::model::{Id, Timestamp, Usd};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Resp;
use crate::app::{AppState, Reporter};
use crate::error::{ApiError, ErrorBody};

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
