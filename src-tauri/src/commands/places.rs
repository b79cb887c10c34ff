//! Connected mode: connecting to an omni-server, signing in and out, switching places.

use tauri::{AppHandle, State};

use super::org::{app_info, AppInfo};
use super::Reply;
use crate::places::{PlaceKey, ServerShown};
use crate::state::AppState;

#[tauri::command]
pub async fn connect_server(state: State<'_, AppState>, address: String) -> Reply<ServerShown> {
    state
        .places
        .connect(&address)
        .await
        .map_err(|e| e.on_field("address"))
}

/// Opens the system browser on the authorization URL (the opener of [`crate::opener`]), then
/// waits for the browser to come back (at most [`crate::places::SIGN_IN_WAIT`]).
#[tauri::command]
pub async fn sign_in(
    app: AppHandle,
    state: State<'_, AppState>,
    address: String,
) -> Reply<AppInfo> {
    state
        .places
        .sign_in(&address, |url| crate::opener::open(&app, url))
        .await?;
    state.changes.announce_all();
    app_info(&state).await
}

#[tauri::command]
pub fn cancel_sign_in(state: State<'_, AppState>) -> Reply<()> {
    state.places.cancel_sign_in();
    Ok(())
}

#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>) -> Reply<AppInfo> {
    state.places.sign_out().await?;
    app_info(&state).await
}

#[tauri::command]
pub async fn use_place(state: State<'_, AppState>, place: PlaceKey) -> Reply<AppInfo> {
    state.places.use_place(place).await?;
    state.changes.announce_all();
    app_info(&state).await
}
