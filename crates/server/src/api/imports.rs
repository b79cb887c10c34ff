//! CSV imports: an upload answers a preview and is kept, a commit applies it by upload id.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use omni_core::model::Id;
use omni_requests::wire::{CommitParams, ImportParams, ImportPreview};
use omni_store::ImportOptions;

use super::Resp;
use crate::app::{AppState, Ctx};
use crate::error::{ApiResult, ErrorBody};

#[utoipa::path(post, path = "/v1/orgs/{org}/imports", tag = "import", params(("org" = i64, Path), ImportParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportPreview), (status = 403, body = ErrorBody), (status = 413, description = "Too large")))]
pub async fn import_upload(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ImportParams>,
    headers: HeaderMap,
    body: Body,
) -> Resp<ImportPreview> {
    let options = ImportOptions {
        role: omni_requests::role_or_user(p.role.as_deref())?,
        licensed: p.licensed,
    };
    // Refused before a byte is written to disk.
    s.store.may_import(&ctx.caller, options).await?;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let file = s
        .uploads
        .spool(body, declared, s.config.max_import_bytes as u64)
        .await?;
    let report = s
        .store
        .import_preview(
            &ctx.caller,
            file.open()?,
            options,
            file.bytes(),
            &|_| {},
            ctx.now,
        )
        .await?;
    let upload = s
        .uploads
        .keep(&s.store, ctx.caller, options, file, ctx.now)
        .await?;
    Ok(Json(ImportPreview { upload, report }))
}

#[utoipa::path(post, path = "/v1/orgs/{org}/imports/{upload}/commit", tag = "import",
    params(("org" = i64, Path), ("upload" = String, Path), CommitParams),
    responses((status = 200, description = "The committed report (all or nothing)"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn import_commit(
    State(s): State<AppState>,
    ctx: Ctx,
    Path((_, upload)): Path<(Id, String)>,
    Query(p): Query<CommitParams>,
) -> ApiResult<Response> {
    let role = match p.role.as_deref() {
        Some(r) => Some(omni_requests::role(r)?),
        None => None,
    };
    let mut up = s
        .uploads
        .take(&s.store, &ctx.caller, &upload, ctx.now)
        .await?;
    // Chosen after the preview; the store asks the policy again before it writes.
    up.options = ImportOptions {
        role: role.unwrap_or(up.options.role),
        licensed: p.licensed.unwrap_or(up.options.licensed),
    };
    let result = s
        .store
        .import_commit(
            &ctx.caller,
            up.file.open()?,
            up.options,
            up.file.bytes(),
            &|_| {},
            None,
            ctx.now,
        )
        .await;
    match result {
        // The spooled file is deleted here, once the import has read it.
        Ok(report) => Ok(Json(report).into_response()),
        // Nothing was written: a person who can fix the cause (seats, rights) commits again.
        Err(e) if e.code != omni_core::ErrorCode::Internal => {
            s.uploads.put_back(&s.store, up).await?;
            Err(e.into())
        }
        Err(e) => Err(e.into()),
    }
}
