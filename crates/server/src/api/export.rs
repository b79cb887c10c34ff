//! The users' export and the audit log's, streamed as CSV while the store writes them.

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use omni_requests::wire::{AuditParams, ListParams};

use crate::app::{AppState, Ctx};
use crate::error::{ApiResult, ErrorBody};

/// What the export's thread hands on: its bytes in chunks, then that it reached its end.
enum Piece {
    Data(Bytes),
    Done,
}

/// Bytes written by the export, handed on in chunks. The store writes from inside its own
/// async code (run by `block_on` on a blocking thread), where a tokio channel may not block:
/// so a bounded std channel, which a thread of its own forwards to the response's body.
struct ChannelWriter {
    buf: Vec<u8>,
    tx: std::sync::mpsc::SyncSender<Piece>,
}

impl ChannelWriter {
    const CHUNK: usize = 64 * 1024;
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(Self::CHUNK),
        ));
        self.tx
            .send(Piece::Data(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= Self::CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// Forwards the export's chunks to the response's body until it reached its end; an export
/// that stopped before (an error, a panic) cuts the body with an error, so the client never
/// takes a part of the file for the whole.
fn forward(
    rx: std::sync::mpsc::Receiver<Piece>,
    body: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    loop {
        match rx.recv() {
            Ok(Piece::Data(chunk)) => {
                // The client went away: dropping `rx` stops the export's next write.
                if body.blocking_send(Ok(chunk)).is_err() {
                    return;
                }
            }
            Ok(Piece::Done) => return,
            Err(_) => {
                let cut = std::io::Error::other("the export stopped before its end");
                let _ = body.blocking_send(Err(cut));
                return;
            }
        }
    }
}

/// Streams what `write` writes (on a blocking thread, where it may wait for the client) as a
/// CSV attachment named `file`.
fn stream<F, Fut>(file: &'static str, write: F) -> Response
where
    F: FnOnce(ChannelWriter) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = omni_core::error::Result<(ChannelWriter, u64)>>,
{
    let (tx, pieces) = std::sync::mpsc::sync_channel::<Piece>(8);
    let (body, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let writer = ChannelWriter {
            buf: Vec::with_capacity(ChannelWriter::CHUNK),
            tx: tx.clone(),
        };
        match handle.block_on(write(writer)) {
            Ok((mut w, _)) => {
                if std::io::Write::flush(&mut w).is_ok() {
                    let _ = tx.send(Piece::Done);
                }
            }
            Err(e) => tracing::warn!(error = %e.message, "export failed midway"),
        }
    });
    tokio::task::spawn_blocking(move || forward(pieces, body));
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let mut res = Body::from_stream(stream).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static(file));
    res
}

#[utoipa::path(get, path = "/v1/orgs/{org}/export", tag = "export", params(("org" = i64, Path), ListParams),
    responses((status = 200, description = "CSV (UTF-8 with BOM), streamed", content_type = "text/csv"), (status = 403, body = ErrorBody)))]
pub async fn export(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ListParams>,
) -> ApiResult<Response> {
    let scope = p.request().export_scope()?;
    // Refuse before streaming starts, so a denial is a proper 403 rather than a cut stream.
    s.store.may_export(&ctx.caller).await?;
    let store = s.store.clone();
    Ok(stream(
        "attachment; filename=\"users.csv\"",
        move |w| async move { store.export(&ctx.caller, &scope, w, &|_| {}, ctx.now).await },
    ))
}

#[utoipa::path(get, path = "/v1/orgs/{org}/audit/export", tag = "export", params(("org" = i64, Path), AuditParams),
    responses((status = 200, description = "The audit entries the filters select (every page), newest first, as CSV (UTF-8 with BOM; time, actor, action, target, before, after), streamed", content_type = "text/csv"), (status = 403, body = ErrorBody)))]
pub async fn export_audit(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(p): Query<AuditParams>,
) -> ApiResult<Response> {
    let query = p.query();
    s.store.may_export(&ctx.caller).await?;
    let store = s.store.clone();
    Ok(stream(
        "attachment; filename=\"audit.csv\"",
        move |w| async move { store.export_audit(&ctx.caller, &query, w, &|_| {}).await },
    ))
}
