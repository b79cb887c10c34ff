//! CSV import, and the users' and the audit log's exports, through native dialogs opened from
//! Rust: the web view asks to choose a file and gets back a handle with its name and size; it
//! previews that file (getting a preview handle), commits or cancels that preview, and shows a
//! finished export by its handle. Progress arrives over a channel; an import can be cancelled
//! (nothing is written then).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use omni_core::csv::LineIssue;
use omni_core::{Error, ErrorCode, Reason};
use omni_requests::ProgressSink;
use omni_store::{AuditQuery, ExportScope, ImportOptions, ImportReport, Progress};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tauri_plugin_dialog::{DialogExt, FileDialogBuilder, FilePath};
use tauri_plugin_opener::OpenerExt;

use super::Reply;
use crate::handles::{ExportId, FileId, PreviewId};
use crate::state::{AppState, Preview};

/// The file chosen for import.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ChosenFile {
    pub id: FileId,
    pub name: String,
    pub bytes: u64,
}

/// What an import of a chosen file would do, and the handle to commit it by.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ImportPreview {
    pub id: PreviewId,
    pub report: ImportReport,
}

/// A finished export.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ExportDone {
    pub id: ExportId,
    pub file: String,
    pub rows: u64,
}

fn invalid(reason: Reason) -> Error {
    Error::because(ErrorCode::InvalidInput, reason)
}

/// A path as the person reads it.
fn shown(path: &Path) -> String {
    path.display().to_string()
}

/// Which native dialog to show.
enum Ask {
    Open,
    Save,
}

/// Shows a native file dialog without blocking a thread while it is open: the dialog answers
/// through a callback, which this awaits. `None` when the person cancels.
async fn ask(dialog: FileDialogBuilder<tauri::Wry>, kind: Ask) -> Reply<Option<PathBuf>> {
    let (tx, rx) = tokio::sync::oneshot::channel::<Option<FilePath>>();
    let answer = move |picked: Option<FilePath>| {
        let _ = tx.send(picked);
    };
    match kind {
        Ask::Open => dialog.pick_file(answer),
        Ask::Save => dialog.save_file(answer),
    }
    // A dialog that closed without answering counts as cancelled.
    match rx.await.unwrap_or(None) {
        None => Ok(None),
        Some(p) => p.into_path().map(Some).map_err(|e| {
            invalid(Reason::BadLocation {
                detail: e.to_string(),
            })
        }),
    }
}

/// Asks where to save a CSV file, in the native dialog; `None` when the person cancels.
async fn ask_save_path(app: &AppHandle, title: &str, file_name: &str) -> Reply<Option<PathBuf>> {
    let dialog = app
        .dialog()
        .file()
        .set_title(title)
        .set_file_name(file_name)
        .add_filter("CSV", &["csv"]);
    ask(dialog, Ask::Save).await
}

/// Forwards progress to the web view (a closed channel is not an error of the operation).
fn forward(channel: Channel<Progress>) -> ProgressSink {
    Arc::new(move |p: Progress| {
        let _ = channel.send(p);
    })
}

/// The example file the Import dialog offers: the format of docs/product.md (no header row;
/// email, then optionally the country calling code and the phone number).
pub const EXAMPLE_CSV: &str = "ana@acme.com,55,11987654321\r\n\
bia@acme.com,1,2125552368\r\n\
carlos.souza@acme.com\r\n";

/// The event the app emits when a file is dropped on the window (payload: ChosenFile): the
/// Users screen opens the import of it. The web view never names a path: the dropped file
/// becomes a handle here, as a file chosen in the open dialog does.
pub const FILE_DROPPED: &str = "file-dropped";

/// The first dropped path that is a file, kept as a handle (the web view gets its name and
/// size); `None` when only folders were dropped.
pub fn dropped(state: &AppState, paths: &[PathBuf]) -> Reply<Option<ChosenFile>> {
    let Some(path) = paths.iter().find(|p| p.is_file()) else {
        return Ok(None);
    };
    chosen(state, path.clone()).map(Some)
}

/// Keeps `path` as a handle for the import.
fn chosen(state: &AppState, path: PathBuf) -> Reply<ChosenFile> {
    let bytes = std::fs::metadata(&path).map(|m| m.len()).map_err(|e| {
        invalid(Reason::CannotReadFile {
            path: shown(&path),
            detail: e.to_string(),
        })
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let id = AppState::lock(&state.files)?.insert(path);
    Ok(ChosenFile { id, name, bytes })
}

/// Saves [`EXAMPLE_CSV`] where the person chooses; the path, or `None` when they cancel.
#[tauri::command]
pub async fn save_example_csv(app: AppHandle) -> Reply<Option<String>> {
    let Some(path) = ask_save_path(&app, "Save example file", "users-example.csv").await? else {
        return Ok(None);
    };
    std::fs::write(&path, EXAMPLE_CSV).map_err(|e| {
        invalid(Reason::CannotWriteFile {
            path: shown(&path),
            detail: e.to_string(),
        })
    })?;
    Ok(Some(path.display().to_string()))
}

#[tauri::command]
pub async fn choose_import_file(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Reply<Option<ChosenFile>> {
    let dialog = app
        .dialog()
        .file()
        .set_title("Import users")
        .add_filter("CSV", &["csv", "txt"]);
    let Some(path) = ask(dialog, Ask::Open).await? else {
        return Ok(None);
    };
    chosen(&state, path).map(Some)
}

#[tauri::command]
pub async fn import_preview(
    state: State<'_, AppState>,
    file: FileId,
    options: ImportOptions,
    on_progress: Channel<Progress>,
) -> Reply<ImportPreview> {
    let path = AppState::lock(&state.files)?.get(&file)?;
    let org = state.org().await?;
    let (report, staged) = org
        .import_preview(path, options, forward(on_progress))
        .await?;
    let cancel = Arc::new(AtomicBool::new(false));
    let id = AppState::lock(&state.previews)?.insert(Preview { staged, cancel });
    Ok(ImportPreview { id, report })
}

#[tauri::command]
pub async fn import_commit(
    state: State<'_, AppState>,
    preview: PreviewId,
    options: ImportOptions,
    on_progress: Channel<Progress>,
) -> Reply<ImportReport> {
    let org = state.org().await?;
    let cancel = Arc::new(AtomicBool::new(false));
    let staged = {
        let mut previews = AppState::lock(&state.previews)?;
        let staged = previews.get(&preview)?.staged;
        let running = Preview {
            staged: staged.clone(),
            cancel: cancel.clone(),
        };
        previews.set(&preview, running)?;
        staged
    };
    let committed = org
        .import_commit(staged, options, forward(on_progress), cancel)
        .await;
    let report = state.wrote(committed)?;
    AppState::lock(&state.previews)?.remove(&preview);
    Ok(report)
}

#[tauri::command]
pub fn cancel_import(state: State<'_, AppState>, preview: PreviewId) -> Reply<()> {
    let running = AppState::lock(&state.previews)?.get(&preview)?;
    running.cancel.store(true, Ordering::Relaxed);
    Ok(())
}

#[tauri::command]
pub async fn save_rejected(app: AppHandle, issues: Vec<LineIssue>) -> Reply<Option<String>> {
    let Some(path) = ask_save_path(&app, "Save rejected lines", "rejected-lines.csv").await? else {
        return Ok(None);
    };
    let write = || -> std::io::Result<()> {
        let mut w = BufWriter::new(File::create(&path)?);
        omni_core::csv::write_rejected(&mut w, &issues)?;
        w.flush()
    };
    write().map_err(|e| {
        invalid(Reason::CannotWriteFile {
            path: shown(&path),
            detail: e.to_string(),
        })
    })?;
    Ok(Some(path.display().to_string()))
}

#[tauri::command]
pub async fn export_users(
    app: AppHandle,
    state: State<'_, AppState>,
    scope: ExportScope,
    on_progress: Channel<Progress>,
) -> Reply<Option<ExportDone>> {
    let org = state.org().await?;
    let Some(path) = ask_save_path(&app, "Export users", "users.csv").await? else {
        return Ok(None);
    };
    let rows = org
        .export(scope, path.clone(), forward(on_progress))
        .await?;
    exported(&state, path, rows)
}

#[tauri::command]
pub async fn export_audit(
    app: AppHandle,
    state: State<'_, AppState>,
    query: AuditQuery,
    on_progress: Channel<Progress>,
) -> Reply<Option<ExportDone>> {
    let org = state.org().await?;
    let Some(path) = ask_save_path(&app, "Export audit log", "audit.csv").await? else {
        return Ok(None);
    };
    let rows = org
        .export_audit(query, path.clone(), forward(on_progress))
        .await?;
    exported(&state, path, rows)
}

/// The answer to an export of `rows` written to `path`, which the app remembers under the
/// answer's id so that [`reveal_export`] can show it in its folder.
fn exported(state: &AppState, path: PathBuf, rows: u64) -> Reply<Option<ExportDone>> {
    let file = path.display().to_string();
    let id = AppState::lock(&state.exports)?.insert(path);
    Ok(Some(ExportDone { id, file, rows }))
}

#[tauri::command]
pub fn reveal_export(app: AppHandle, state: State<'_, AppState>, id: ExportId) -> Reply<()> {
    let path = AppState::lock(&state.exports)?.get(&id)?;
    app.opener()
        .reveal_item_in_dir(&path)
        .map_err(|e| Error::internal(format!("Cannot show the folder: {e}.")))
}
