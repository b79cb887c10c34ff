//! Connected mode's offline edits: the outbox's entries for the "Needs attention" list, the
//! users with an edit waiting (the table marks their rows), and what the person does with a
//! conflict (apply it again, or discard it). Off a server, there is no outbox: empty lists.

use omni_core::model::Id;
use tauri::State;

use super::Reply;
use crate::outbox::OutboxItem;
use crate::state::AppState;

#[tauri::command]
pub async fn outbox(state: State<'_, AppState>) -> Reply<Vec<OutboxItem>> {
    match state.places.followed().await {
        Some((_, org)) => org.outbox_items().await,
        None => Ok(Vec::new()),
    }
}

#[tauri::command]
pub async fn pending_users(state: State<'_, AppState>) -> Reply<Vec<Id>> {
    match state.places.followed().await {
        Some((_, org)) => org.pending_users().await,
        None => Ok(Vec::new()),
    }
}

#[tauri::command]
pub async fn apply_again(state: State<'_, AppState>, entry: i64) -> Reply<()> {
    let org = state.places.followed().await;
    let Some((_, org)) = org else {
        return Ok(());
    };
    state.wrote(org.apply_again(entry).await)
}

#[tauri::command]
pub async fn discard(state: State<'_, AppState>, entry: i64) -> Reply<()> {
    let org = state.places.followed().await;
    let Some((_, org)) = org else {
        return Ok(());
    };
    state.wrote(org.discard(entry).await)
}
