//! SCIM provisioning tokens of the organization on the server in use (Settings): list, create
//! (its secret shown once), revoke. A local organization has none (no server to provision).

use omni_core::model::Id;
use omni_requests::ScimToken;
use serde::Serialize;
use tauri::State;

use super::Reply;
use crate::state::AppState;

/// A token just created, with its secret: shown once, then only its name and times.
#[derive(Clone, Serialize, ts_rs::TS)]
pub struct ScimTokenCreated {
    pub token: ScimToken,
    pub secret: String,
}

impl std::fmt::Debug for ScimTokenCreated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScimTokenCreated")
            .field("token", &self.token)
            .field("secret", &"<shown once>")
            .finish()
    }
}

#[tauri::command]
pub async fn scim_tokens(state: State<'_, AppState>) -> Reply<Vec<ScimToken>> {
    state.org().await?.scim_tokens().await
}

#[tauri::command]
pub async fn create_scim_token(
    state: State<'_, AppState>,
    name: String,
) -> Reply<ScimTokenCreated> {
    let made = state.org().await?.create_scim_token(name).await?;
    Ok(ScimTokenCreated {
        token: made.token,
        secret: made.secret,
    })
}

#[tauri::command]
pub async fn revoke_scim_token(state: State<'_, AppState>, id: Id) -> Reply<ScimToken> {
    state.org().await?.revoke_scim_token(id).await
}
