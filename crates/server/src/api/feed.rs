//! The change feed and the snapshot, read by clients that keep a copy: a snapshot at a feed
//! position, then the feed from there, held open (long poll) while there is nothing new.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use omni_core::ErrorCode;
use omni_store::LONGEST_WAIT;
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
    /// Seconds to wait for a change when there is none after `after` yet (long poll), at most
    /// 30; 0 (the default) answers at once.
    #[serde(default)]
    pub wait: u32,
}

/// The long poll's wait named by a `/changes` query (0 when none or not a number), at most
/// [`LONGEST_WAIT`]: the envelope bounds the request by it.
pub fn wait_of(query: &str) -> Duration {
    let secs = query
        .split('&')
        .find_map(|p| p.strip_prefix("wait="))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    Duration::from_secs(secs).min(LONGEST_WAIT)
}

#[utoipa::path(get, path = "/v1/orgs/{org}/changes", tag = "sync", params(("org" = i64, Path), FeedParams),
    responses((status = 200, description = "A page of the change feed. With `wait`, answered as soon as a change after \
        `after` commits (in any server process on the same database), or after `wait` seconds with an empty page \
        (`changes: []`, `next` = `after`, `done: true`)."),
        (status = 410, description = "Too far behind: resynchronise from a snapshot", body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn changes(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(p): Query<FeedParams>,
) -> ApiResult<Response> {
    let wait = Duration::from_secs(u64::from(p.wait)).min(LONGEST_WAIT);
    let answer = async {
        if !wait.is_zero() {
            s.store.wait_for_changes(&ctx.caller, p.after, wait).await?;
        }
        s.store
            .changes(&ctx.caller, p.after, p.limit.unwrap_or(1000), s.clock.now())
            .await
    };
    match answer.await {
        Ok(page) => Ok(Json(page).into_response()),
        Err(e) if e.code == ErrorCode::StaleVersion => {
            Err(ApiError::new(StatusCode::GONE, "resync", e.message))
        }
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(get, path = "/v1/orgs/{org}/snapshot", tag = "sync", params(("org" = i64, Path)),
    responses((status = 200, content_type = "application/x-ndjson", description = "The organization at one feed \
        position, as NDJSON: a `header` line (`format`, `org`, `position`, `counts`), the `org` line, every `user` \
        (deleted ones included), `item` and `link`, and an `end` line repeating `position` and `counts`. A stream \
        without its `end` line was cut. Then follow `/changes?after={position}`. See docs/server.md."),
        (status = 403, body = ErrorBody)))]
pub async fn snapshot(State(s): State<AppState>, ctx: Ctx) -> ApiResult<Response> {
    let snapshot = s.store.snapshot(&ctx.caller).await?;
    let position = snapshot.header.position;
    // A failure halfway ends the body without its `end` line: the client sees the cut.
    let body = Body::from_stream(futures_util::stream::unfold(
        snapshot,
        |mut snap| async move {
            let chunk = snap.next().await?;
            Some((chunk.map_err(|e| std::io::Error::other(e.message)), snap))
        },
    ));
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-ndjson".to_string()),
            (
                header::HeaderName::from_static("omni-position"),
                position.to_string(),
            ),
        ],
        body,
    )
        .into_response())
}
