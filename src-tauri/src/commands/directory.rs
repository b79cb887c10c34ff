//! Groups, workspaces, agents, the Relationships dialog and effective access.

use omni_core::access::{AgentAccess, UserReach};
use omni_core::model::Id;
use omni_store::{
    DirectoryItem, DirectoryKind, DirectoryPage, DirectoryQuery, ItemPage, ItemQuery, LinkKind,
};
use serde::Serialize;
use tauri::State;

use super::Reply;
use crate::state::AppState;

#[tauri::command]
pub async fn items(state: State<'_, AppState>, kind: DirectoryKind) -> Reply<Vec<DirectoryItem>> {
    state.org().await?.items(kind).await
}

#[tauri::command]
pub async fn create_item(
    state: State<'_, AppState>,
    kind: DirectoryKind,
    name: String,
) -> Reply<DirectoryItem> {
    let created = state.org().await?.create_item(kind, name).await;
    state.wrote(created).map_err(|e| e.on_field("name"))
}

#[tauri::command]
pub async fn rename_item(
    state: State<'_, AppState>,
    kind: DirectoryKind,
    id: Id,
    name: String,
) -> Reply<DirectoryItem> {
    let renamed = state.org().await?.rename_item(kind, id, name).await;
    state.wrote(renamed).map_err(|e| e.on_field("name"))
}

#[tauri::command]
pub async fn delete_item(state: State<'_, AppState>, kind: DirectoryKind, id: Id) -> Reply<()> {
    state.wrote(state.org().await?.delete_item(kind, id).await)
}

#[tauri::command]
pub async fn link(state: State<'_, AppState>, kind: LinkKind, a: Id, b: Id) -> Reply<bool> {
    state.wrote(state.org().await?.link(kind, a, b).await)
}

#[tauri::command]
pub async fn unlink(state: State<'_, AppState>, kind: LinkKind, a: Id, b: Id) -> Reply<bool> {
    state.wrote(state.org().await?.unlink(kind, a, b).await)
}

/// Something a user, group or agent is linked to, for the Relationships and Share dialogs.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct LinkedItem {
    pub kind: LinkKind,
    pub item: DirectoryItem,
}

#[tauri::command]
pub async fn user_links(state: State<'_, AppState>, user: Id) -> Reply<Vec<LinkedItem>> {
    let links = state.org().await?.user_links(user).await?;
    Ok(links
        .into_iter()
        .map(|(kind, item)| LinkedItem { kind, item })
        .collect())
}

#[tauri::command]
pub async fn item_links(state: State<'_, AppState>, item: Id) -> Reply<Vec<LinkedItem>> {
    let links = state.org().await?.item_links(item).await?;
    Ok(links
        .into_iter()
        .map(|(kind, item)| LinkedItem { kind, item })
        .collect())
}

#[tauri::command]
pub async fn access(state: State<'_, AppState>, user: Id) -> Reply<Vec<AgentAccess>> {
    state.org().await?.access(user).await
}

#[tauri::command]
pub async fn agent_reach(state: State<'_, AppState>, agent: Id) -> Reply<Vec<UserReach>> {
    state.org().await?.agent_reach(agent).await
}

/// One page of the Directory's list of groups, workspaces or agents, with their counts.
#[tauri::command]
pub async fn directory_page(
    state: State<'_, AppState>,
    query: DirectoryQuery,
) -> Reply<DirectoryPage> {
    state.org().await?.directory_page(query).await
}

/// A group's, workspace's or agent's own page.
#[tauri::command]
pub async fn item_page(state: State<'_, AppState>, query: ItemQuery) -> Reply<ItemPage> {
    state.org().await?.item_page(query).await
}
