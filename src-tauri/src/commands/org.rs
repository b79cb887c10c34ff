//! The organization: first-run setup, dashboard counters, seats, audit log.

use omni_core::model::{Id, Role};
use omni_core::{Email, ErrorCode, Summary};
use omni_store::{AuditPage, AuditQuery};
use serde::Serialize;
use tauri::State;

use super::Reply;
use crate::places::{PlaceKey, ServerShown, SyncShown};
use crate::state::{now, AppState};

/// What the UI needs at start and after a change of place: where the app works, whether it can
/// (signed in, for a server), the organization and who acts in it, and the places it knows.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct AppInfo {
    pub place: PlaceKey,
    /// Signed in to the server in use in this run (always true for the local place).
    pub signed_in: bool,
    /// The organization in use (for a server signed out of: the one last signed in to).
    pub org: Option<OrgShown>,
    /// Who acts (None when nobody is signed in).
    pub caller: Option<CallerInfo>,
    pub data_path: String,
    /// The name of this computer's organization, if there is one.
    pub local_org: Option<String>,
    pub servers: Vec<ServerShown>,
    /// No OS keyring answers: a session lasts until the app closes.
    pub session_memory_only: bool,
    /// The local copy of the server in use (None for the local place, or signed out).
    pub sync: Option<SyncShown>,
}

/// An organization, by id and name.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct OrgShown {
    pub id: Id,
    pub name: String,
}

/// The user the app acts as: the person signed in, or locally the organization's owner (or its
/// oldest Administrator).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct CallerInfo {
    pub id: Id,
    /// The person's name, as their identity provider gives it (connected mode only).
    pub name: Option<String>,
    pub email: Email,
    pub role: Role,
}

/// The [`AppInfo`] of this moment.
pub async fn app_info(state: &AppState) -> Reply<AppInfo> {
    let local_org = state.store().orgs().await?.into_iter().next();
    let place = state.places.current().await;
    let (signed_in, org, caller) = match &place {
        PlaceKey::Local if local_org.is_none() => (true, None, None),
        PlaceKey::Local | PlaceKey::Server { .. } => {
            let who = match state.org().await {
                Ok(org) => org.whoami().await,
                Err(e) => Err(e),
            };
            match who {
                Ok(me) => {
                    let name = match &place {
                        PlaceKey::Server { .. } => {
                            state.places.account().await.and_then(|a| a.name)
                        }
                        PlaceKey::Local => None,
                    };
                    let caller = CallerInfo {
                        id: me.user.id,
                        name,
                        email: me.user.email,
                        role: me.user.role,
                    };
                    let shown = OrgShown {
                        id: me.org.id,
                        name: me.org.name,
                    };
                    (true, Some(shown), Some(caller))
                }
                // Nobody signed in, or the session has just ended: the place stays, signed out.
                Err(e) if e.code == ErrorCode::SignInRequired => {
                    state.places.session_ended().await;
                    let last = state.places.account().await.map(|a| OrgShown {
                        id: a.org_id,
                        name: a.org_name,
                    });
                    (false, last, None)
                }
                Err(e) => return Err(e),
            }
        }
    };
    Ok(AppInfo {
        place,
        signed_in,
        org,
        caller,
        data_path: state.db_path.display().to_string(),
        local_org: local_org.map(|o| o.name),
        servers: state.places.servers().await,
        session_memory_only: state.places.storage_note().await.is_some(),
        sync: state.places.sync_shown().await,
    })
}

#[tauri::command]
pub async fn app_state(state: State<'_, AppState>) -> Reply<AppInfo> {
    app_info(&state).await
}

#[tauri::command]
pub async fn create_org(
    state: State<'_, AppState>,
    name: String,
    owner: String,
    seats: i64,
) -> Reply<Summary> {
    let created = omni_requests::create_local_org(state.store(), &name, &owner, seats, now()).await;
    let caller = state.wrote(created)?;
    state.store().summary(&caller).await
}

#[tauri::command]
pub async fn summary(state: State<'_, AppState>) -> Reply<Summary> {
    state.org().await?.summary().await
}

#[tauri::command]
pub async fn set_seats(state: State<'_, AppState>, seats: i64) -> Reply<Summary> {
    state.wrote(state.org().await?.set_seats(seats).await)
}

#[tauri::command]
pub async fn audit(state: State<'_, AppState>, query: AuditQuery) -> Reply<AuditPage> {
    state.org().await?.audit(query).await
}
