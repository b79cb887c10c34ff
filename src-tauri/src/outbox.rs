//! Connected mode's offline edits, as the desktop app makes and shows them. When the server
//! cannot be reached and the copy is complete, the edits the outbox can hold (a license, a role,
//! a budget, a phone, a new user, a user's link: `omni_store::sync::OfflineEdit`) are queued in the copy with their optimistic
//! change (`Store::queue_edit`), and the answer is the copy's row as now shown; every other
//! edit is refused with a sentence that says to reconnect. The follower ([`crate::follow`])
//! sends the outbox once the server answers; the "Needs attention" list reads it here
//! ([`OutboxItem`]). Adding a kind of offline edit means one arm in [`field`] and one in
//! [`FieldValue::of`].

use omni_core::error::Result;
use omni_core::model::DirectoryKind;
use omni_core::model::{Id, Role, Usd, User};
use omni_core::policy::{authorize, Action, Actor};
use omni_core::{Email, Error, ErrorCode, Reason};
use omni_store::sync::{EntryState, OfflineEdit, OutboxEntry};
use omni_store::{LinkKind, NewUser, UserEdit};
use serde::Serialize;
use serde_json::Value;

use crate::connected::ConnectedOrganization;
use crate::state::now;

/// Offline, an edit the outbox cannot hold: reconnect first.
pub fn needs_server() -> Error {
    Error::because(ErrorCode::Unreachable, Reason::NeedsServer)
}

/// The field an offline edit changes, and its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "field", content = "value", rename_all = "snake_case")]
pub enum FieldValue {
    Licensed(bool),
    Role(Role),
    /// `None`: no limit.
    Budget(Option<Usd>),
    /// A phone in E.164; `None`: no phone.
    Phone(Option<String>),
    /// A user created offline, by email (on the server: the user who has that email).
    Created(String),
    /// Whether the user is linked to the entry's item.
    Linked(bool),
}

impl FieldValue {
    /// `value` (as the outbox keeps it, see `OfflineEdit::value`) of the field `edit` changes.
    pub fn of(edit: &OfflineEdit, value: &Value) -> Option<FieldValue> {
        Some(match edit {
            OfflineEdit::SetLicensed { .. } => FieldValue::Licensed(value.as_bool()?),
            OfflineEdit::SetRole { .. } => {
                FieldValue::Role(serde_json::from_value(value.clone()).ok()?)
            }
            OfflineEdit::SetBudget { .. } => FieldValue::Budget(budget(value)?),
            // The desktop queues an Edit dialog's phone alone (role and budget go as their
            // own edits), but an edit of several fields reads as its first.
            OfflineEdit::EditUser { .. } => {
                if let Some(phone) = value.get("phone") {
                    FieldValue::Phone(phone.as_str().map(str::to_owned))
                } else if let Some(role) = value.get("role") {
                    FieldValue::Role(serde_json::from_value(role.clone()).ok()?)
                } else {
                    FieldValue::Budget(budget(value.get("budget")?)?)
                }
            }
            OfflineEdit::CreateUser { .. } => {
                FieldValue::Created(value.get("email")?.as_str()?.to_owned())
            }
            OfflineEdit::Link { .. } | OfflineEdit::Unlink { .. } => {
                FieldValue::Linked(value.as_bool()?)
            }
        })
    }
}

/// A budget as the outbox keeps it: micro-USD, or `null` for no limit.
fn budget(value: &Value) -> Option<Option<Usd>> {
    match value {
        Value::Null => Some(None),
        v => Some(Some(Usd(v.as_i64()?))),
    }
}

/// One entry of the outbox, as the "Needs attention" list and the status line show it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct OutboxItem {
    /// The entry (for `apply_again` and `discard`).
    pub id: i64,
    pub user: Id,
    /// The user's email in the copy (None when the user is no longer there).
    pub email: Option<Email>,
    /// The value set ("You set").
    pub value: Option<FieldValue>,
    /// The value it was based on ("It was").
    pub was: Option<FieldValue>,
    /// A conflict: the server's value when it answered ("Now on the server"; None when the
    /// user is gone there, or while the entry waits).
    pub server: Option<FieldValue>,
    /// A link's item (group, workspace or agent), by name.
    pub item: Option<String>,
    /// Waiting to be sent (false: refused or stale, it needs the person's attention).
    pub pending: bool,
    /// Why the server refused it.
    pub error: Option<Error>,
}

impl OutboxItem {
    fn of(e: &OutboxEntry, email: Option<Email>, item: Option<String>) -> OutboxItem {
        let (pending, server, error) = match &e.state {
            EntryState::Pending => (true, None, None),
            EntryState::Conflict {
                server_value,
                error,
            } => (
                false,
                FieldValue::of(&e.edit, server_value),
                Some(error.clone()),
            ),
        };
        OutboxItem {
            id: e.id,
            user: e.edit.user(),
            email,
            item,
            value: FieldValue::of(&e.edit, &e.edit.value()),
            was: FieldValue::of(&e.edit, &e.was),
            server,
            pending,
            error,
        }
    }
}

/// The action the policy checks before an edit is queued (the same refusal as online).
fn action(edit: &OfflineEdit, user: &User) -> Action {
    match edit {
        OfflineEdit::SetLicensed { .. } => Action::ManageLicenses,
        OfflineEdit::SetRole { role, .. } => Action::ChangeRole {
            target_id: user.id,
            from: user.role,
            to: *role,
        },
        OfflineEdit::SetBudget { .. } => Action::SetBudget,
        OfflineEdit::CreateUser { new, .. } => Action::CreateUser { role: new.role },
        OfflineEdit::EditUser { edit, .. } => match edit.role {
            Some(to) if to != user.role => Action::ChangeRole {
                target_id: user.id,
                from: user.role,
                to,
            },
            _ => Action::EditUser { target: user.role },
        },
        OfflineEdit::Link { .. } | OfflineEdit::Unlink { .. } => Action::ManageDirectory,
    }
}

/// The offline edits that make `edit` of `user`: a phone, a role and a budget, each as its own
/// entry when it changes (so a conflict names the one field the server disagrees on).
pub fn field(user: &User, edit: &UserEdit) -> Vec<OfflineEdit> {
    let based_on = edit.expected_version.unwrap_or(user.version);
    let mut edits = Vec::new();
    if let Some(phone) = edit.phone.clone().filter(|p| *p != user.phone) {
        edits.push(OfflineEdit::EditUser {
            user: user.id,
            edit: UserEdit {
                phone: Some(phone),
                ..UserEdit::default()
            },
            based_on,
        });
    }
    if let Some(role) = edit.role.filter(|r| *r != user.role) {
        edits.push(OfflineEdit::SetRole {
            user: user.id,
            role,
            based_on,
        });
    }
    if let Some(budget) = edit.budget.filter(|b| *b != user.budget) {
        edits.push(OfflineEdit::SetBudget {
            user: user.id,
            budget,
            based_on,
        });
    }
    edits
}

impl ConnectedOrganization {
    /// A user of the copy, as the person signed in reads it.
    pub(crate) async fn copy_user(&self, id: Id) -> Result<User> {
        let caller = self.reader.caller().await?;
        self.copy.store.user(&caller, id, now()).await
    }

    /// Queues the edit `make(user)` of each user in `ids` (at the version the copy shows):
    /// all of them or, at the first refusal, none (the ones queued are taken back). Answers
    /// the users as the copy now shows them.
    pub async fn queue_each(
        &self,
        ids: &[Id],
        make: impl Fn(&User) -> Vec<OfflineEdit>,
    ) -> Result<Vec<User>> {
        let (caller, actor) = self.acting().await?;
        let mut queued = Vec::new();
        let mut refused = None;
        'users: for id in ids {
            let user = match self.copy_user(*id).await {
                Ok(u) => u,
                Err(e) => {
                    refused = Some(e);
                    break;
                }
            };
            for edit in make(&user) {
                let done = match authorize(&actor, &action(&edit, &user)) {
                    Ok(()) => {
                        self.copy
                            .store
                            .queue_edit(self.copy.org, caller.user, edit, now())
                            .await
                    }
                    Err(e) => Err(e),
                };
                match done {
                    Ok(entry) => queued.push(entry.id),
                    Err(e) => {
                        refused = Some(e);
                        break 'users;
                    }
                }
            }
        }
        if let Some(e) = refused {
            for id in queued.into_iter().rev() {
                self.copy.store.discard(id).await?;
            }
            return Err(e);
        }
        let mut users = Vec::with_capacity(ids.len());
        for id in ids {
            users.push(self.copy_user(*id).await?);
        }
        Ok(users)
    }

    /// The outbox, for the "Needs attention" list: each entry with its user's email.
    pub async fn outbox_items(&self) -> Result<Vec<OutboxItem>> {
        let entries = self.copy.store.outbox(self.copy.org).await?;
        let mut items = Vec::with_capacity(entries.len());
        for e in &entries {
            let email = self.copy_user(e.edit.user()).await.ok().map(|u| u.email);
            let item = self.linked_item(&e.edit).await;
            items.push(OutboxItem::of(e, email, item));
        }
        Ok(items)
    }

    /// The name of the item a link edit links the user to (None for other edits).
    async fn linked_item(&self, edit: &OfflineEdit) -> Option<String> {
        let (OfflineEdit::Link { link, a, b } | OfflineEdit::Unlink { link, a, b }) = *edit else {
            return None;
        };
        let (kind, id) = match link {
            LinkKind::UserGroup => (DirectoryKind::Group, b),
            LinkKind::UserWorkspace => (DirectoryKind::Workspace, b),
            LinkKind::AgentUser => (DirectoryKind::Agent, a),
            _ => return None,
        };
        let caller = self.reader.caller().await.ok()?;
        let items = self.copy.store.items(&caller, kind).await.ok()?;
        items.into_iter().find(|i| i.id == id).map(|i| i.name)
    }

    /// How many entries wait to be sent, and how many need the person's attention.
    pub async fn outbox_counts(&self) -> Result<(u32, u32)> {
        let entries = self.copy.store.outbox(self.copy.org).await?;
        let waiting = entries
            .iter()
            .filter(|e| e.state == EntryState::Pending)
            .count();
        Ok((waiting as u32, (entries.len() - waiting) as u32))
    }

    /// The users with an edit waiting to be sent.
    pub async fn pending_users(&self) -> Result<Vec<Id>> {
        self.copy.store.pending_users(self.copy.org).await
    }

    /// Makes a conflict's edit again, on the user as the server now has them (sent at once
    /// when the server answers, queued again when it does not); then the conflict goes. A
    /// refusal leaves it in the list.
    pub async fn apply_again(&self, entry: i64) -> Result<()> {
        use omni_requests::Organization;
        let entries = self.copy.store.outbox(self.copy.org).await?;
        let Some(e) = entries.into_iter().find(|e| e.id == entry) else {
            return Err(Error::not_found(
                "This offline edit is no longer in the outbox.",
            ));
        };
        let user = e.edit.user();
        match e.edit {
            OfflineEdit::SetLicensed { licensed, .. } => {
                self.set_licensed(vec![user], licensed).await?;
            }
            OfflineEdit::SetRole { role, .. } => {
                self.set_role(vec![user], role).await?;
            }
            OfflineEdit::SetBudget { budget, .. } => {
                let edit = UserEdit {
                    budget: Some(budget),
                    ..UserEdit::default()
                };
                self.edit_again(user, edit).await?;
            }
            OfflineEdit::EditUser { edit, .. } => self.edit_again(user, edit).await?,
            OfflineEdit::CreateUser { new, .. } => {
                // A creation refused leaves no row: the conflict goes before it is made again.
                self.copy.store.discard(entry).await?;
                self.create_user(new).await?;
                return Ok(());
            }
            OfflineEdit::Link { link, a, b } => {
                self.link(link, a, b).await?;
            }
            OfflineEdit::Unlink { link, a, b } => {
                self.unlink(link, a, b).await?;
            }
        }
        self.copy.store.discard(entry).await
    }

    /// `edit` of `user` again, on the version the copy now shows (the server's).
    async fn edit_again(&self, user: Id, mut edit: UserEdit) -> Result<()> {
        use omni_requests::Organization;
        edit.expected_version = Some(self.copy_user(user).await?.version);
        self.edit_user(user, edit).await.map(|_| ())
    }

    /// Queues a user created offline (after the same policy check as online): answers its
    /// provisional row in the copy.
    pub async fn queue_create(&self, new: NewUser) -> Result<User> {
        let (caller, actor) = self.acting().await?;
        authorize(&actor, &Action::CreateUser { role: new.role })?;
        let entry = self
            .copy
            .store
            .queue_create_user(self.copy.org, caller.user, new, now())
            .await?;
        self.copy_user(entry.edit.user()).await
    }

    /// Queues a link or unlink of a user (the policy checked as online); other kinds of link
    /// need the server.
    pub async fn queue_link(&self, edit: OfflineEdit) -> Result<bool> {
        let (caller, actor) = self.acting().await?;
        authorize(&actor, &Action::ManageDirectory)?;
        self.copy
            .store
            .queue_edit(self.copy.org, caller.user, edit, now())
            .await?;
        Ok(true)
    }

    /// Who acts on the copy, and as which actor the policy sees them.
    async fn acting(&self) -> Result<(omni_store::Caller, Actor)> {
        let caller = self.reader.caller().await?;
        let me = self.copy.store.whoami(&caller, now()).await?;
        Ok((caller, Actor::user(me.id, me.role)))
    }

    /// Drops an entry: a conflict given up, or a waiting edit taken back.
    pub async fn discard(&self, entry: i64) -> Result<()> {
        self.copy.store.discard(entry).await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use omni_core::model::Timestamp;
    use omni_core::Phone;

    fn bia() -> User {
        User {
            id: 7,
            email: Email::parse("bia@acme.test").unwrap(),
            phone: Phone::from_e164("+5511987654321").ok(),
            role: Role::User,
            licensed: false,
            budget: None,
            usage: Usd(0),
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
            version: 3,
        }
    }

    /// What the Edit dialog sends: every field, as shown or as changed.
    fn dialog(user: &User) -> UserEdit {
        UserEdit {
            phone: Some(user.phone.clone()),
            role: Some(user.role),
            budget: Some(user.budget),
            expected_version: Some(user.version),
        }
    }

    #[test]
    fn an_edit_dialog_saved_offline_becomes_the_role_and_budget_edits_it_changes() {
        let user = bia();
        assert_eq!(field(&user, &dialog(&user)), vec![]);

        let mut edit = dialog(&user);
        edit.role = Some(Role::Collaborator);
        edit.budget = Some(Some(Usd(50_000_000)));
        assert_eq!(
            field(&user, &edit),
            vec![
                OfflineEdit::SetRole {
                    user: 7,
                    role: Role::Collaborator,
                    based_on: 3
                },
                OfflineEdit::SetBudget {
                    user: 7,
                    budget: Some(Usd(50_000_000)),
                    based_on: 3
                },
            ]
        );
    }

    #[test]
    fn a_phone_changed_offline_is_an_edit_of_its_own_beside_the_role() {
        let user = bia();
        let mut edit = dialog(&user);
        edit.phone = Some(None);
        edit.role = Some(Role::Collaborator);
        let edits = field(&user, &edit);
        assert_eq!(edits.len(), 2, "{edits:?}");
        let OfflineEdit::EditUser { edit: phone, .. } = &edits[0] else {
            panic!("{edits:?}")
        };
        assert_eq!(phone.phone, Some(None));
        assert_eq!(phone.role, None);
        assert_eq!(
            FieldValue::of(&edits[0], &edits[0].value()),
            Some(FieldValue::Phone(None))
        );
        assert_eq!(
            FieldValue::of(&edits[0], &edits[0].value_in(&user)),
            Some(FieldValue::Phone(Some("+5511987654321".into())))
        );
    }

    #[test]
    fn the_sentence_to_reconnect_says_what_can_be_done_offline() {
        let e = needs_server();
        assert_eq!(e.code, ErrorCode::Unreachable);
        assert!(e.message.contains("reconnect"), "{}", e.message);
        assert!(e.message.contains("create"), "{}", e.message);
    }

    #[test]
    fn the_three_values_read_as_the_field_they_belong_to() {
        let licensed = OfflineEdit::SetLicensed {
            user: 7,
            licensed: true,
            based_on: 3,
        };
        let role = OfflineEdit::SetRole {
            user: 7,
            role: Role::Administrator,
            based_on: 3,
        };
        let budget = OfflineEdit::SetBudget {
            user: 7,
            budget: None,
            based_on: 3,
        };
        let of = |e: &OfflineEdit, v: Value| FieldValue::of(e, &v);
        assert_eq!(
            of(&licensed, licensed.value()),
            Some(FieldValue::Licensed(true))
        );
        assert_eq!(
            of(&role, "collaborator".into()),
            Some(FieldValue::Role(Role::Collaborator))
        );
        assert_eq!(of(&budget, Value::Null), Some(FieldValue::Budget(None)));
        assert_eq!(
            of(&budget, 5_000_000.into()),
            Some(FieldValue::Budget(Some(Usd(5_000_000))))
        );
        assert_eq!(of(&licensed, "yes".into()), None);
    }
}
