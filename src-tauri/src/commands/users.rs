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
    /// Create only: give the new user a license (Edit leaves the license as it is).
    pub licensed: bool,
    /// The version the dialog was opened with (Edit only).
    pub version: Option<i64>,
}

fn phone(form: &UserForm) -> Reply<Option<Phone>> {
    omni_requests::phone(Some(&form.country_code), Some(&form.phone))
}

/// A user as the table shows them: the user, and their phone as people write it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ShownUser {
    #[serde(flatten)]
    pub user: User,
    /// `+55 11 98765-4321`: the international format of the number's country (always `+`, the
    /// calling code and a space first, so Edit can show the two apart).
    pub phone_shown: Option<String>,
}

impl From<User> for ShownUser {
    fn from(user: User) -> ShownUser {
        ShownUser {
            phone_shown: user.phone.as_ref().map(Phone::international),
            user,
        }
    }
}

/// A page of the users table, with each phone as people write it (formatted here, once per
/// row shown, rather than by a phone library in the web view).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ShownPage {
    pub users: Vec<ShownUser>,
    /// Users matching the query; at most the store's count cap when `total_capped`.
    pub total: i64,
    pub total_capped: bool,
}

impl From<UserPage> for ShownPage {
    fn from(page: UserPage) -> ShownPage {
        ShownPage {
            users: page.users.into_iter().map(ShownUser::from).collect(),
            total: page.total,
            total_capped: page.total_capped,
        }
    }
}

/// A created user, and what of the rest of the dialog could not be done (the user exists
/// either way): a budget or a license the caller may not set, or the last seat taken meanwhile.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Created {
    pub user: ShownUser,
    pub not_done: Option<omni_core::Error>,
}

/// One user, for the user's page.
#[tauri::command]
pub async fn user(state: State<'_, AppState>, id: Id) -> Reply<User> {
    state.org().await?.user(id).await
}

#[tauri::command]
pub async fn list_users(state: State<'_, AppState>, query: UserQuery) -> Reply<ShownPage> {
    Ok(state.org().await?.list_users(query).await?.into())
}

/// Creates the user, then sets the budget and gives the license the dialog asked for, through
/// the organization's own operations (the same on a local organization and a connected one).
/// Every field is read before anything is written, so a mistyped budget creates nobody.
#[tauri::command]
pub async fn create_user(state: State<'_, AppState>, form: UserForm) -> Reply<Created> {
    let org = state.org().await?;
    let new = NewUser {
        email: omni_requests::email(&form.email, "email")?,
        phone: phone(&form)?,
        role: form.role,
    };
    let budget = omni_requests::budget(&form.budget)?;
    let created = org.create_user(new).await;
    let mut user = state.wrote(created).map_err(|e| match e.code {
        omni_core::ErrorCode::AlreadyExists => e.on_field("email"),
        _ => e,
    })?;
    let mut not_done = None;
    if budget.is_some() {
        let edit = UserEdit {
            phone: None,
            role: None,
            budget: Some(budget),
            expected_version: Some(user.version),
        };
        match state.wrote(org.edit_user(user.id, edit).await) {
            Ok(edited) => user = edited,
            Err(e) => not_done = Some(e),
        }
    }
    if form.licensed && not_done.is_none() {
        match state.wrote(org.set_licensed(vec![user.id], true).await) {
            Ok(licensed) => user = licensed.into_iter().next().unwrap_or(user),
            Err(e) => not_done = Some(e),
        }
    }
    Ok(Created {
        user: user.into(),
        not_done,
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
