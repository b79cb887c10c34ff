//! The users table and the Create / Edit / Delete / Restore actions.

use omni_core::model::{Id, Role, Timestamp, User};
use omni_core::Phone;
use omni_store::{NewUser, UserEdit, UserPage, UserQuery};
use serde::{Deserialize, Serialize};
use tauri::State;

use super::Reply;
use crate::state::{now, AppState};

/// The Create and Edit dialogs' fields, as typed. Read by `omni_requests`, as the CLI's and the
/// server's input is, so every rule stays in Rust; errors name the field at fault.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
pub struct UserForm {
    pub email: String,
    pub country_code: String,
    pub phone: String,
    pub role: Role,
    /// USD per month; empty, "none" or zero means no limit.
    pub budget: String,
    /// The version the dialog was opened with (Edit only).
    pub version: Option<i64>,
}

fn phone(form: &UserForm) -> Reply<Option<Phone>> {
    omni_requests::phone(Some(&form.country_code), Some(&form.phone))
}

#[tauri::command]
pub async fn list_users(state: State<'_, AppState>, query: UserQuery) -> Reply<UserPage> {
    state.org().await?.list_users(query).await
}

/// One user, for the user's page.
#[tauri::command]
pub async fn user(state: State<'_, AppState>, id: Id) -> Reply<User> {
    state.org().await?.user(id).await
}

#[tauri::command]
pub async fn create_user(state: State<'_, AppState>, form: UserForm) -> Reply<User> {
    let org = state.org().await?;
    let new = NewUser {
        email: omni_requests::email(&form.email, "email")?,
        phone: phone(&form)?,
        role: form.role,
    };
    let created = org.create_user(new).await;
    state.wrote(created).map_err(|e| match e.code {
        omni_core::ErrorCode::AlreadyExists => e.on_field("email"),
        _ => e,
    })
}

#[tauri::command]
pub async fn edit_user(state: State<'_, AppState>, id: Id, form: UserForm) -> Reply<User> {
    let org = state.org().await?;
    let edit = UserEdit {
        phone: Some(phone(&form)?),
        role: Some(form.role),
        budget: Some(omni_requests::budget(&form.budget)?),
        expected_version: form.version,
    };
    state.wrote(org.edit_user(id, edit).await)
}

#[tauri::command]
pub async fn set_role(state: State<'_, AppState>, ids: Vec<Id>, role: Role) -> Reply<Vec<User>> {
    state.wrote(state.org().await?.set_role(ids, role).await)
}

#[tauri::command]
pub async fn set_licensed(
    state: State<'_, AppState>,
    ids: Vec<Id>,
    licensed: bool,
) -> Reply<Vec<User>> {
    state.wrote(state.org().await?.set_licensed(ids, licensed).await)
}

#[tauri::command]
pub async fn delete_users(state: State<'_, AppState>, ids: Vec<Id>) -> Reply<()> {
    state.wrote(state.org().await?.delete_users(ids).await)
}

/// A user in "Recently deleted", with when, and how many days are left to restore them.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct DeletedUser {
    pub user: User,
    pub deleted_at: Timestamp,
    pub days_left: i64,
}

#[tauri::command]
pub async fn deleted_users(state: State<'_, AppState>) -> Reply<Vec<DeletedUser>> {
    let list = state.org().await?.deleted_users().await?;
    let now = now();
    Ok(list
        .into_iter()
        .map(|(user, deleted_at)| DeletedUser {
            days_left: omni_core::model::restore_days_left(deleted_at, now),
            user,
            deleted_at,
        })
        .collect())
}

#[tauri::command]
pub async fn restore_user(state: State<'_, AppState>, id: Id) -> Reply<User> {
    state.wrote(state.org().await?.restore_user(id).await)
}
