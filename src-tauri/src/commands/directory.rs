//! Groups, workspaces, agents, the Relationships dialog and effective access.

use omni_core::access::{AgentAccess, UserReach};
use omni_core::model::Id;
use omni_store::{DirectoryItem, DirectoryKind, LinkKind};
use serde::Serialize;
use tauri::State;

use super::Reply;
use crate::state::{now, AppState};

#[tauri::command]
pub async fn items(state: State<'_, AppState>, kind: DirectoryKind) -> Reply<Vec<DirectoryItem>> {
    let caller = state.caller().await?;
    state.store.items(&caller, kind).await
}

#[tauri::command]
pub async fn create_item(
    state: State<'_, AppState>,
    kind: DirectoryKind,
    name: String,
) -> Reply<DirectoryItem> {
    let caller = state.caller().await?;
    state
        .wrote(state.store.create_item(&caller, kind, &name, now()).await)
        .map_err(|e| e.on_field("name"))
}

#[tauri::command]
pub async fn rename_item(state: State<'_, AppState>, id: Id, name: String) -> Reply<DirectoryItem> {
    let caller = state.caller().await?;
    state
        .wrote(
            state
                .store
                .rename_item(&caller, None, id, &name, now())
                .await,
        )
        .map_err(|e| e.on_field("name"))
}

#[tauri::command]
pub async fn delete_item(state: State<'_, AppState>, id: Id) -> Reply<()> {
    let caller = state.caller().await?;
    state.wrote(state.store.delete_item(&caller, None, id, now()).await)
}

#[tauri::command]
pub async fn link(state: State<'_, AppState>, kind: LinkKind, a: Id, b: Id) -> Reply<bool> {
    let caller = state.caller().await?;
    state.wrote(state.store.link(&caller, kind, a, b, now()).await)
}

#[tauri::command]
pub async fn unlink(state: State<'_, AppState>, kind: LinkKind, a: Id, b: Id) -> Reply<bool> {
    let caller = state.caller().await?;
    state.wrote(state.store.unlink(&caller, kind, a, b, now()).await)
}

/// Something a user, group or agent is linked to, for the Relationships and Share dialogs.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct LinkedItem {
    pub kind: LinkKind,
    pub item: DirectoryItem,
}

#[tauri::command]
pub async fn user_links(state: State<'_, AppState>, user: Id) -> Reply<Vec<LinkedItem>> {
    let caller = state.caller().await?;
    let links = state.store.user_links(&caller, user).await?;
    Ok(links
        .into_iter()
        .map(|(kind, item)| LinkedItem { kind, item })
        .collect())
}

#[tauri::command]
pub async fn item_links(state: State<'_, AppState>, item: Id) -> Reply<Vec<LinkedItem>> {
    let caller = state.caller().await?;
    let links = state.store.item_links(&caller, item).await?;
    Ok(links
        .into_iter()
        .map(|(kind, item)| LinkedItem { kind, item })
        .collect())
}

#[tauri::command]
pub async fn access(state: State<'_, AppState>, user: Id) -> Reply<Vec<AgentAccess>> {
    let caller = state.caller().await?;
    state.store.access(&caller, user).await
}

#[tauri::command]
pub async fn agent_reach(state: State<'_, AppState>, agent: Id) -> Reply<Vec<UserReach>> {
    let caller = state.caller().await?;
    state.store.agent_reach(&caller, agent).await
}
