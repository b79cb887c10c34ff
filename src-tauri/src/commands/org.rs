//! The organization: first-run setup, dashboard counters, seats, audit log.

use omni_core::model::{Id, Role};
use omni_core::{Email, Summary};
use omni_store::{AuditEntry, Org};
use serde::Serialize;
use tauri::State;

use super::Reply;
use crate::state::{now, AppState};

/// What the UI needs at start: is there an organization yet, who acts in it, and where the
/// data lives.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct AppInfo {
    pub org: Option<Org>,
    pub caller: Option<CallerInfo>,
    pub data_path: String,
}

/// The user the app acts as (the organization's owner, or its oldest Administrator).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct CallerInfo {
    pub id: Id,
    pub email: Email,
    pub role: Role,
}

#[tauri::command]
pub async fn app_state(state: State<'_, AppState>) -> Reply<AppInfo> {
    let org = state.store().orgs().await?.into_iter().next();
    let caller = match org {
        None => None,
        Some(_) => {
            let me = state.org().await?.whoami().await?.user;
            Some(CallerInfo {
                id: me.id,
                email: me.email,
                role: me.role,
            })
        }
    };
    Ok(AppInfo {
        org,
        caller,
        data_path: state.db_path.display().to_string(),
    })
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
pub async fn audit(
    state: State<'_, AppState>,
    limit: u32,
    before: Option<i64>,
) -> Reply<Vec<AuditEntry>> {
    state.org().await?.audit(limit, before).await
}
