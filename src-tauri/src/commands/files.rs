//! CSV import and export through native dialogs opened from Rust: the web view asks to choose a
//! file, gets back its name and size, and refers to "the chosen file" afterwards. Progress
//! arrives over a channel; an import can be cancelled (nothing is written then).

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use omni_core::csv::LineIssue;
use omni_core::Error;
use omni_store::{ExportScope, ImportOptions, ImportReport, Progress};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;

use super::Reply;
use crate::state::{now, AppState};

/// The file chosen for import.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ChosenFile {
    pub name: String,
    pub bytes: u64,
}

/// A finished export.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ExportDone {
    pub file: String,
    pub rows: u64,
}

fn pick_path(picked: Option<tauri_plugin_dialog::FilePath>) -> Reply<Option<PathBuf>> {
    match picked {
        None => Ok(None),
        Some(p) => p
            .into_path()
            .map(Some)
            .map_err(|e| Error::invalid(format!("That location cannot be used: {e}."))),
    }
}

/// Asks where to save, in the native dialog; `None` when the person cancels.
fn ask_save_path(app: &AppHandle, title: &str, file_name: &str) -> Reply<Option<PathBuf>> {
    let picked = app
        .dialog()
        .file()
        .set_title(title)
        .set_file_name(file_name)
        .add_filter("CSV", &["csv"])
        .blocking_save_file();
    pick_path(picked)
}

/// Forwards progress to the web view (a closed channel is not an error of the operation).
fn forward(channel: Channel<Progress>) -> impl Fn(Progress) + Sync {
    move |p: Progress| {
        let _ = channel.send(p);
    }
}

#[tauri::command]
pub async fn choose_import_file(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Reply<Option<ChosenFile>> {
    let picked = app
        .dialog()
        .file()
        .set_title("Import users")
        .add_filter("CSV", &["csv", "txt"])
        .blocking_pick_file();
    let Some(path) = pick_path(picked)? else {
        return Ok(None);
    };
    let bytes = std::fs::metadata(&path)
        .map(|m| m.len())
        .map_err(|e| Error::invalid(format!("Cannot read {}: {e}.", path.display())))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    *AppState::lock(&state.import_file)? = Some(path);
    Ok(Some(ChosenFile { name, bytes }))
}

fn open_chosen(state: &AppState) -> Reply<(BufReader<File>, u64)> {
    let path = AppState::lock(&state.import_file)?
        .clone()
        .ok_or_else(|| Error::invalid("Choose a file to import first."))?;
    let file = File::open(&path)
        .map_err(|e| Error::invalid(format!("Cannot open {}: {e}.", path.display())))?;
    let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    Ok((BufReader::with_capacity(1 << 20, file), bytes))
}

#[tauri::command]
pub async fn import_preview(
    state: State<'_, AppState>,
    options: ImportOptions,
    on_progress: Channel<Progress>,
) -> Reply<ImportReport> {
    let caller = state.caller().await?;
    let (reader, bytes) = open_chosen(&state)?;
    let progress = forward(on_progress);
    state
        .store
        .import_preview(&caller, reader, options, bytes, &progress, now())
        .await
}

#[tauri::command]
pub async fn import_commit(
    state: State<'_, AppState>,
    options: ImportOptions,
    on_progress: Channel<Progress>,
) -> Reply<ImportReport> {
    let caller = state.caller().await?;
    let (reader, bytes) = open_chosen(&state)?;
    let cancel = Arc::new(AtomicBool::new(false));
    *AppState::lock(&state.cancel)? = cancel.clone();
    let progress = forward(on_progress);
    state
        .store
        .import_commit(
            &caller,
            reader,
            options,
            bytes,
            &progress,
            Some(cancel),
            now(),
        )
        .await
}

#[tauri::command]
pub fn cancel_import(state: State<'_, AppState>) -> Reply<()> {
    AppState::lock(&state.cancel)?.store(true, Ordering::Relaxed);
    Ok(())
}

#[tauri::command]
pub async fn save_rejected(app: AppHandle, issues: Vec<LineIssue>) -> Reply<Option<String>> {
    let Some(path) = ask_save_path(&app, "Save rejected lines", "rejected-lines.csv")? else {
        return Ok(None);
    };
    let write = || -> std::io::Result<()> {
        let mut w = BufWriter::new(File::create(&path)?);
        omni_core::csv::write_rejected(&mut w, &issues)?;
        w.flush()
    };
    write().map_err(|e| Error::invalid(format!("Cannot write {}: {e}.", path.display())))?;
    Ok(Some(path.display().to_string()))
}

#[tauri::command]
pub async fn export_users(
    app: AppHandle,
    state: State<'_, AppState>,
    scope: ExportScope,
    on_progress: Channel<Progress>,
) -> Reply<Option<ExportDone>> {
    let caller = state.caller().await?;
    let Some(path) = ask_save_path(&app, "Export users", "users.csv")? else {
        return Ok(None);
    };
    let file = File::create(&path)
        .map_err(|e| Error::invalid(format!("Cannot create {}: {e}.", path.display())))?;
    let progress = forward(on_progress);
    let (writer, rows) = state
        .store
        .export(
            &caller,
            &scope,
            BufWriter::with_capacity(1 << 20, file),
            &progress,
            now(),
        )
        .await?;
    writer
        .into_inner()
        .map_err(|e| Error::internal(format!("Cannot write {}: {e}.", path.display())))?;
    *AppState::lock(&state.last_export)? = Some(path.clone());
    Ok(Some(ExportDone {
        file: path.display().to_string(),
        rows,
    }))
}

#[tauri::command]
pub fn reveal_export(app: AppHandle, state: State<'_, AppState>) -> Reply<()> {
    let path = AppState::lock(&state.last_export)?
        .clone()
        .ok_or_else(|| Error::invalid("Nothing was exported yet."))?;
    app.opener()
        .reveal_item_in_dir(&path)
        .map_err(|e| Error::internal(format!("Cannot show the folder: {e}.")))
}
