//! A copy's outbox: the edits made while the server could not be reached. Each is written in
//! the same transaction as its optimistic change to the copy's rows (and counters), so the
//! table shows it at once and a kill loses neither or both; the sync engine sends the entries
//! in order once the server answers again, each with the `Idempotency-Key` chosen here and
//! `If-Match` with the version the edit was based on.
//!
//! The copy's row keeps the server's version: only the server moves it. While an entry is
//! pending, the server's states that reach the copy (a feed page, a snapshot, an answer) are
//! written first and the pending entries of that user laid over them again ([`overlay`]), so
//! a refresh before the entry is sent never shows the older server state; an entry that no
//! longer fits (no seat left in the copy, the user gone) is then left out of the row and stays
//! pending, for the server to decide. A sent entry is removed, the server's answer written to
//! the row. A refused or stale one becomes a conflict: the row shows the server's state, and
//! the entry keeps the value set, the value it was based on and the server's, until the person
//! applies it again (a new edit) or discards it. Roles, seats and budgets are never settled by
//! last-writer-wins.
//!
//! A user created offline is shown under a provisional id, `-` its entry's id (the server's
//! ids are positive, so it never collides), at version 0; the edits and links made on it name
//! that id. When the server's answer arrives, the provisional row is replaced by the server's
//! user and the entries behind it are rewritten to the real id (and version), in the
//! transaction that settles it. A server user with the same email reaching the copy first (the
//! answer was lost, or someone else took the email) takes the provisional row's place. A
//! refused creation makes the entries on that user conflicts too, saying why. A link made
//! offline is shown under a provisional id too until the feed brings the server's row.

use omni_core::error::Result;
use omni_core::model::{DirectoryKind, Id, Role, Timestamp, Usd, User};
use omni_core::policy::{ensure_administrator_remains, ensure_seats};
use omni_core::{Error, ErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::db::{internal, json_text};
use crate::engine::WriteTx;
use crate::sync::rows::{user, Delta};
use crate::{LinkKind, NewUser, Store, UserEdit};

/// An edit that can be made offline, on one user, at the version the person saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OfflineEdit {
    SetLicensed {
        user: Id,
        licensed: bool,
        based_on: i64,
    },
    SetRole {
        user: Id,
        role: Role,
        based_on: i64,
    },
    /// `None` removes the limit.
    SetBudget {
        user: Id,
        budget: Option<Usd>,
        based_on: i64,
    },
    /// A new user (unlicensed, as the server creates them). `user` is its provisional id in
    /// the copy, set by [`Store::queue_edit`] (whatever is given is ignored). Sent without
    /// `If-Match`: there is no version yet.
    CreateUser {
        user: Id,
        new: NewUser,
    },
    /// Phone, role and budget as [`UserEdit`] has them (absent fields stay; its
    /// `expected_version` is ignored: `based_on` is sent as `If-Match`).
    EditUser {
        user: Id,
        edit: UserEdit,
        based_on: i64,
    },
    /// Links a user to an item: `user_group`, `user_workspace` (`a` is the user) or
    /// `agent_user` (`b` is the user). Idempotent on the server; no version.
    Link {
        link: LinkKind,
        a: Id,
        b: Id,
    },
    /// Removes such a link. Idempotent on the server; no version.
    Unlink {
        link: LinkKind,
        a: Id,
        b: Id,
    },
}

/// Whether `link` has a user at its `a` end (else at `b`); `None` for an item↔item kind,
/// which the outbox cannot hold.
pub fn user_at_a(link: LinkKind) -> Option<bool> {
    match link {
        LinkKind::UserGroup | LinkKind::UserWorkspace => Some(true),
        LinkKind::AgentUser => Some(false),
        _ => None,
    }
}

impl OfflineEdit {
    /// The user it changes (a link's user end; a created user's provisional id).
    pub fn user(&self) -> Id {
        match *self {
            OfflineEdit::SetLicensed { user, .. }
            | OfflineEdit::SetRole { user, .. }
            | OfflineEdit::SetBudget { user, .. }
            | OfflineEdit::CreateUser { user, .. }
            | OfflineEdit::EditUser { user, .. } => user,
            OfflineEdit::Link { link, a, b } | OfflineEdit::Unlink { link, a, b } => {
                match user_at_a(link) {
                    Some(false) => b,
                    _ => a,
                }
            }
        }
    }

    /// The user's version the edit was based on (sent as `If-Match`); 0 for an edit sent
    /// without one (a creation, a link).
    pub fn based_on(&self) -> i64 {
        match *self {
            OfflineEdit::SetLicensed { based_on, .. }
            | OfflineEdit::SetRole { based_on, .. }
            | OfflineEdit::SetBudget { based_on, .. }
            | OfflineEdit::EditUser { based_on, .. } => based_on,
            _ => 0,
        }
    }

    fn with_based_on(mut self, v: i64) -> OfflineEdit {
        match &mut self {
            OfflineEdit::SetLicensed { based_on, .. }
            | OfflineEdit::SetRole { based_on, .. }
            | OfflineEdit::SetBudget { based_on, .. }
            | OfflineEdit::EditUser { based_on, .. } => *based_on = v,
            _ => {}
        }
        self
    }

    /// The same edit on user `id` (a provisional id replaced by the server's).
    fn with_user(mut self, id: Id) -> OfflineEdit {
        match &mut self {
            OfflineEdit::SetLicensed { user, .. }
            | OfflineEdit::SetRole { user, .. }
            | OfflineEdit::SetBudget { user, .. }
            | OfflineEdit::CreateUser { user, .. }
            | OfflineEdit::EditUser { user, .. } => *user = id,
            OfflineEdit::Link { link, a, b } | OfflineEdit::Unlink { link, a, b } => {
                match user_at_a(*link) {
                    Some(false) => *b = id,
                    _ => *a = id,
                }
            }
        }
        self
    }

    /// The value it sets, as JSON (`true`, `"administrator"`, budget in micro-USD or `null`;
    /// a new user's `{email, phone, role}`; an edit's object of the fields it sets, phone in
    /// E.164; a link: whether linked).
    pub fn value(&self) -> Value {
        match self {
            OfflineEdit::SetLicensed { licensed, .. } => Value::from(*licensed),
            OfflineEdit::SetRole { role, .. } => Value::from(role.as_str()),
            OfflineEdit::SetBudget { budget, .. } => budget_value(*budget),
            OfflineEdit::CreateUser { new, .. } => json!({
                "email": new.email.as_str(),
                "phone": new.phone.as_ref().map(|p| p.e164()),
                "role": new.role.as_str(),
            }),
            OfflineEdit::EditUser { edit, .. } => {
                let mut m = Map::new();
                if let Some(p) = &edit.phone {
                    m.insert("phone".into(), p.as_ref().map(|p| p.e164()).into());
                }
                if let Some(r) = edit.role {
                    m.insert("role".into(), r.as_str().into());
                }
                if let Some(b) = edit.budget {
                    m.insert("budget".into(), budget_value(b));
                }
                Value::Object(m)
            }
            OfflineEdit::Link { .. } => Value::Bool(true),
            OfflineEdit::Unlink { .. } => Value::Bool(false),
        }
    }

    /// The same edit setting the field back to `was` (a value [`OfflineEdit::value`] wrote).
    fn back_to(&self, was: &Value) -> Option<OfflineEdit> {
        let (user, based_on) = (self.user(), self.based_on());
        Some(match self {
            OfflineEdit::SetLicensed { .. } => OfflineEdit::SetLicensed {
                user,
                licensed: was.as_bool()?,
                based_on,
            },
            OfflineEdit::SetRole { .. } => OfflineEdit::SetRole {
                user,
                role: serde_json::from_value(was.clone()).ok()?,
                based_on,
            },
            OfflineEdit::SetBudget { .. } => OfflineEdit::SetBudget {
                user,
                budget: budget_of(was)?,
                based_on,
            },
            OfflineEdit::CreateUser { .. } => return None,
            OfflineEdit::EditUser { .. } => {
                let mut edit = UserEdit::default();
                if let Some(p) = was.get("phone") {
                    edit.phone = Some(match p {
                        Value::Null => None,
                        v => Some(serde_json::from_value(v.clone()).ok()?),
                    });
                }
                if let Some(r) = was.get("role") {
                    edit.role = Some(serde_json::from_value(r.clone()).ok()?);
                }
                if let Some(b) = was.get("budget") {
                    edit.budget = Some(budget_of(b)?);
                }
                OfflineEdit::EditUser {
                    user,
                    edit,
                    based_on,
                }
            }
            OfflineEdit::Link { link, a, b } => match was {
                Value::Bool(false) => OfflineEdit::Unlink {
                    link: *link,
                    a: *a,
                    b: *b,
                },
                _ => return None,
            },
            OfflineEdit::Unlink { link, a, b } => match was {
                Value::Bool(true) => OfflineEdit::Link {
                    link: *link,
                    a: *a,
                    b: *b,
                },
                _ => return None,
            },
        })
    }

    /// The same field's value in `user`, as [`OfflineEdit::value`] writes it (a creation: the
    /// whole user; a link: `null`, the user says nothing of it).
    pub fn value_in(&self, user: &User) -> Value {
        match self {
            OfflineEdit::SetLicensed { .. } => Value::from(user.licensed),
            OfflineEdit::SetRole { .. } => Value::from(user.role.as_str()),
            OfflineEdit::SetBudget { .. } => budget_value(user.budget),
            OfflineEdit::CreateUser { .. } => serde_json::to_value(user).unwrap_or(Value::Null),
            OfflineEdit::EditUser { edit, .. } => {
                let mut m = Map::new();
                if edit.phone.is_some() {
                    m.insert("phone".into(), user.phone.as_ref().map(|p| p.e164()).into());
                }
                if edit.role.is_some() {
                    m.insert("role".into(), user.role.as_str().into());
                }
                if edit.budget.is_some() {
                    m.insert("budget".into(), budget_value(user.budget));
                }
                Value::Object(m)
            }
            OfflineEdit::Link { .. } | OfflineEdit::Unlink { .. } => Value::Null,
        }
    }
}

fn budget_value(b: Option<Usd>) -> Value {
    b.map_or(Value::Null, |b| b.0.into())
}

fn budget_of(v: &Value) -> Option<Option<Usd>> {
    match v {
        Value::Null => Some(None),
        v => Some(Some(Usd(v.as_i64()?))),
    }
}

/// Where an entry stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum EntryState {
    /// Waiting to be sent.
    Pending,
    /// Refused or stale: "Needs attention". `server_value` is the field's value on the server
    /// when it answered (`null` when the user is gone there too).
    Conflict { server_value: Value, error: Error },
}

/// One edit of the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// The order entries are sent in.
    pub id: i64,
    pub org: Id,
    /// Who made the edit.
    pub queued_by: Id,
    pub queued_at: Timestamp,
    /// The edit; its `based_on` moves forward when an earlier entry on the same user is sent.
    pub edit: OfflineEdit,
    /// The value the field had in the copy when the edit was made (the value it was based on).
    pub was: Value,
    /// The `Idempotency-Key` every send of this entry carries.
    pub key: String,
    pub state: EntryState,
}

/// How the server answered an entry, for [`Store::settle_edit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// Done. `server` is the user as the server answered (`None` for a link).
    Sent { server: Option<User> },
    /// Refused (403, 409) or stale (412). `server` is the user's current state on the server
    /// when known (written to the copy's row; for a refused creation, the server's user with
    /// that email), `server_value` the edited field's value there (a link: whether linked).
    Conflict {
        server_value: Value,
        error: Error,
        server: Option<User>,
    },
}

type Row = (i64, i64, i64, i64, String, i64, String, String, String);

const COLUMNS: &str = "id, org_id, queued_by, queued_at, edit, based_on, was, idem_key, state, \
                       server_value, error";

fn entry(r: (Row, Option<String>, Option<String>)) -> Result<OutboxEntry> {
    let ((id, org, queued_by, queued_at, edit, based_on, was, key, state), value, error) = r;
    let edit: OfflineEdit = serde_json::from_str(&edit).map_err(internal)?;
    let state = match state.as_str() {
        "conflict" => EntryState::Conflict {
            server_value: match value {
                Some(v) => serde_json::from_str(&v).map_err(internal)?,
                None => Value::Null,
            },
            error: serde_json::from_str(error.as_deref().unwrap_or("null")).map_err(internal)?,
        },
        _ => EntryState::Pending,
    };
    Ok(OutboxEntry {
        id,
        org,
        queued_by,
        queued_at: Timestamp(queued_at),
        edit: edit.with_based_on(based_on),
        was: serde_json::from_str(&was).map_err(internal)?,
        key,
        state,
    })
}

type RawRow = (
    i64,
    i64,
    i64,
    i64,
    String,
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

fn split(r: RawRow) -> (Row, Option<String>, Option<String>) {
    ((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8), r.9, r.10)
}

/// A new `Idempotency-Key`: 128 random bits, in hex.
fn new_key() -> String {
    format!("{:032x}", rand::random::<u128>())
}

impl Store {
    /// Makes `edit` offline in the copy of `org`: applies it to the copy's rows and the
    /// counters, and queues it, in one transaction. Refused at once, changing nothing, when the
    /// copy shows it cannot be done (no seat left, the last administrator, a user not in the
    /// copy, a budget not above zero, an email a live user of the copy has, a link's item not
    /// in the copy, a link kind without a user end); the server's other rules are its own to
    /// apply when the entry is sent (a refusal then becomes a conflict). A
    /// [`OfflineEdit::CreateUser`] answers its provisional id in the entry's edit.
    pub async fn queue_edit(
        &self,
        org: Id,
        caller_user: Id,
        edit: OfflineEdit,
        now: Timestamp,
    ) -> Result<OutboxEntry> {
        if let OfflineEdit::Link { link, .. } | OfflineEdit::Unlink { link, .. } = edit {
            if user_at_a(link).is_none() {
                return Err(Error::invalid(
                    "Only a user's links (to a group, a workspace or an agent) are kept offline.",
                ));
            }
        }
        let mut tx = self.begin_write(Some(org)).await?;
        let key = new_key();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO outbox (org_id, queued_by, target, edit, based_on, was, idem_key, \
             queued_at) VALUES ($1, $2, $3, $4, $5, 'null', $6, $7) RETURNING id",
        )
        .bind(org)
        .bind(caller_user)
        .bind(edit.user())
        .bind(json_text(&edit)?)
        .bind(edit.based_on())
        .bind(&key)
        .bind(now.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        let edit = match edit {
            OfflineEdit::CreateUser { new, .. } => OfflineEdit::CreateUser { user: -id, new },
            other => other,
        };
        let was = apply_edit(&mut tx, org, id, &edit, now).await?;
        sqlx::query("UPDATE outbox SET target = $1, edit = $2, was = $3 WHERE id = $4")
            .bind(edit.user())
            .bind(json_text(&edit)?)
            .bind(json_text(&was)?)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        tx.commit().await?;
        Ok(OutboxEntry {
            id,
            org,
            queued_by: caller_user,
            queued_at: now,
            edit,
            was,
            key,
            state: EntryState::Pending,
        })
    }

    /// [`Store::queue_edit`] of a new user: answers the entry, whose edit names the user's
    /// provisional id (negative) in the copy.
    pub async fn queue_create_user(
        &self,
        org: Id,
        caller_user: Id,
        new: NewUser,
        now: Timestamp,
    ) -> Result<OutboxEntry> {
        let edit = OfflineEdit::CreateUser { user: 0, new };
        self.queue_edit(org, caller_user, edit, now).await
    }

    /// The outbox of `org`: pending entries and conflicts, in the order they were made.
    pub async fn outbox(&self, org: Id) -> Result<Vec<OutboxEntry>> {
        let rows: Vec<RawRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM outbox WHERE org_id = $1 ORDER BY id"
        ))
        .bind(org)
        .fetch_all(self.pool())
        .await
        .map_err(internal)?;
        rows.into_iter().map(|r| entry(split(r))).collect()
    }

    /// The users of `org` with an edit still to send (the table marks them pending); a user
    /// created offline is named by its provisional (negative) id.
    pub async fn pending_users(&self, org: Id) -> Result<Vec<Id>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT DISTINCT target FROM outbox WHERE org_id = $1 AND state = 'pending' \
             ORDER BY target",
        )
        .bind(org)
        .fetch_all(self.pool())
        .await
        .map_err(internal)?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Records the server's answer to entry `id`. Sent: the entry goes, the user's row takes
    /// the server's answer, and the user's later pending entries, made on top of this one,
    /// are now based on the answer's version. A creation's provisional row gives way to the
    /// server's user, and the later entries (and links) naming the provisional id now name
    /// the server's. Conflict: the entry stays, with the server's value and error, and the
    /// row takes the server's state when given; a refused creation takes its provisional row
    /// and links away and makes the pending entries on that user conflicts too. Either way
    /// the user's other pending entries are laid over the row again. `now` is the month the
    /// answer's usage counts.
    pub async fn settle_edit(&self, id: i64, settled: Settled, now: Timestamp) -> Result<()> {
        let Some(e) = self.outbox_entry(id).await? else {
            return Err(Error::not_found(
                "This offline edit is no longer in the outbox.",
            ));
        };
        let (org, target) = (e.org, e.edit.user());
        let mut tx = self.begin_write(Some(org)).await?;
        let server = match settled {
            Settled::Sent { server } => {
                sqlx::query("DELETE FROM outbox WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
                match (&e.edit, &server) {
                    (OfflineEdit::CreateUser { .. }, Some(u)) => {
                        adopt(&mut tx, org, target, u).await?;
                    }
                    (OfflineEdit::Link { .. }, _) => {
                        // The feed brings the server's row (or the server had it already).
                        delete_link_row(&mut tx, org, -id).await?;
                    }
                    (_, Some(u)) => {
                        sqlx::query(
                            "UPDATE outbox SET based_on = $1 WHERE org_id = $2 AND target = $3 \
                             AND state = 'pending' AND based_on = $4 AND id > $5",
                        )
                        .bind(u.version)
                        .bind(org)
                        .bind(target)
                        .bind(e.edit.based_on())
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(internal)?;
                    }
                    _ => {}
                }
                server
            }
            Settled::Conflict {
                server_value,
                error,
                server,
            } => {
                mark_conflict(&mut tx, id, &server_value, &error, now).await?;
                match &e.edit {
                    OfflineEdit::CreateUser { new, .. } => {
                        let why = Error::new(
                            error.code,
                            format!(
                                "{} could not be created on the server ({}), so this edit \
                                 made on them could not be sent.",
                                new.email.as_str(),
                                error.message
                            ),
                        );
                        drop_provisional(&mut tx, org, target, Some(&why), now).await?;
                    }
                    OfflineEdit::Link { link, a, b } | OfflineEdit::Unlink { link, a, b } => {
                        // The copy shows the server's state of the link.
                        if server_value == Value::Bool(true) {
                            insert_link(&mut tx, org, -id, *link, *a, *b, now).await?;
                        } else {
                            remove_link(&mut tx, org, *link, *a, *b).await?;
                        }
                    }
                    _ => {}
                }
                server
            }
        };
        match server {
            Some(u) => {
                if newer(&mut tx, org, &u).await? {
                    let d = user(&mut tx, org, u.id, Some(&u), None, now.month_start().0).await?;
                    bump(&mut tx, org, d).await?;
                }
                overlay(&mut tx, org, &[u.id]).await?;
            }
            None => overlay(&mut tx, org, &[target]).await?,
        }
        fit_seats(&mut tx, org).await?;
        tx.commit().await
    }

    /// Drops entry `id`: a conflict the person gives up (its row already shows the server's
    /// state), or a pending edit they take back (its field goes back to the value it was based
    /// on, and the user's other pending entries are laid over the row again). Taking back a
    /// user created offline takes its provisional row away, with the pending entries made on
    /// it.
    pub async fn discard(&self, id: i64) -> Result<()> {
        let Some(e) = self.outbox_entry(id).await? else {
            return Ok(());
        };
        let mut tx = self.begin_write(Some(e.org)).await?;
        sqlx::query("DELETE FROM outbox WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        if e.state == EntryState::Pending {
            if let OfflineEdit::CreateUser { user, .. } = e.edit {
                drop_provisional(&mut tx, e.org, user, None, e.queued_at).await?;
            } else if let Some(back) = e.edit.back_to(&e.was) {
                // A row that can no longer take it (gone, no seat) keeps what it shows until
                // the server's state next reaches it.
                match apply_edit(&mut tx, e.org, id, &back, e.queued_at).await {
                    Err(err) if err.code == ErrorCode::Internal => return Err(err),
                    _ => {}
                }
            }
            overlay(&mut tx, e.org, &[e.edit.user()]).await?;
            fit_seats(&mut tx, e.org).await?;
        }
        tx.commit().await
    }

    async fn outbox_entry(&self, id: i64) -> Result<Option<OutboxEntry>> {
        let row: Option<RawRow> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM outbox WHERE id = $1"))
                .bind(id)
                .fetch_optional(self.pool())
                .await
                .map_err(internal)?;
        row.map(|r| entry(split(r))).transpose()
    }
}

/// Whether `u` is newer than the copy's row of it. An answer sent again for a repeated key
/// is the state of its first time: the feed may have brought a later one since (another
/// administrator's change, a deletion), which it must not hide.
async fn newer(tx: &mut WriteTx, org: Id, u: &User) -> Result<bool> {
    let row: Option<(i64, Option<i64>)> =
        sqlx::query_as("SELECT version, deleted_at FROM users WHERE id = $1 AND org_id = $2")
            .bind(u.id)
            .bind(org)
            .fetch_optional(&mut **tx)
            .await
            .map_err(internal)?;
    Ok(match row {
        None => true,
        Some((v, deleted)) => v < u.version || (v == u.version && deleted.is_none()),
    })
}

async fn mark_conflict(
    tx: &mut WriteTx,
    id: i64,
    server_value: &Value,
    error: &Error,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "UPDATE outbox SET state = 'conflict', server_value = $1, error = $2, \
         settled_at = $3 WHERE id = $4",
    )
    .bind(json_text(server_value)?)
    .bind(json_text(error)?)
    .bind(now.0)
    .bind(id)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(())
}

/// The pending entries on user `target`, in order, with their ids.
async fn pending_on(tx: &mut WriteTx, org: Id, target: Id) -> Result<Vec<(i64, OfflineEdit)>> {
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT id, edit, based_on FROM outbox WHERE org_id = $1 AND target = $2 \
         AND state = 'pending' ORDER BY id",
    )
    .bind(org)
    .bind(target)
    .fetch_all(&mut **tx)
    .await
    .map_err(internal)?;
    rows.into_iter()
        .map(|(id, edit, based_on)| {
            let edit: OfflineEdit = serde_json::from_str(&edit).map_err(internal)?;
            Ok((id, edit.with_based_on(based_on)))
        })
        .collect()
}

/// The server created the user queued under provisional id `provisional` as `server`: the
/// entries on it now name the server's id (those based on version 0, its provisional
/// version, the server's), its provisional links the server's id, and its row goes (the
/// caller writes the server's).
async fn adopt(tx: &mut WriteTx, org: Id, provisional: Id, server: &User) -> Result<()> {
    for (id, edit) in pending_on(tx, org, provisional).await? {
        let based_on = match edit.based_on() {
            0 => server.version,
            v => v,
        };
        let edit = edit.with_user(server.id).with_based_on(based_on);
        sqlx::query("UPDATE outbox SET target = $1, edit = $2, based_on = $3 WHERE id = $4")
            .bind(server.id)
            .bind(json_text(&edit)?)
            .bind(based_on)
            .bind(id)
            .execute(&mut **tx)
            .await
            .map_err(internal)?;
    }
    for (column, kinds) in [
        ("a_id", "'user_group', 'user_workspace'"),
        ("b_id", "'agent_user'"),
    ] {
        sqlx::query(&format!(
            "UPDATE links SET {column} = $1 WHERE org_id = $2 AND {column} = $3 \
             AND kind IN ({kinds})"
        ))
        .bind(server.id)
        .bind(org)
        .bind(provisional)
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
    }
    delete_provisional_row(tx, org, provisional).await
}

/// Takes away the provisional user `provisional` (its row, counters and links). `why` given
/// (a refused creation): the pending entries on it become conflicts saying so; else they go.
async fn drop_provisional(
    tx: &mut WriteTx,
    org: Id,
    provisional: Id,
    why: Option<&Error>,
    now: Timestamp,
) -> Result<()> {
    for (id, _) in pending_on(tx, org, provisional).await? {
        match why {
            Some(why) => mark_conflict(tx, id, &Value::Null, why, now).await?,
            None => {
                sqlx::query("DELETE FROM outbox WHERE id = $1")
                    .bind(id)
                    .execute(&mut **tx)
                    .await
                    .map_err(internal)?;
            }
        }
    }
    sqlx::query(
        "DELETE FROM links WHERE org_id = $1 AND ((a_id = $2 AND kind IN ('user_group', \
         'user_workspace')) OR (b_id = $2 AND kind = 'agent_user'))",
    )
    .bind(org)
    .bind(provisional)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    delete_provisional_row(tx, org, provisional).await
}

/// Deletes the provisional user row `id` (negative), if still there, and its weight in the
/// counters.
async fn delete_provisional_row(tx: &mut WriteTx, org: Id, id: Id) -> Result<()> {
    let row: Option<(i64, String)> = sqlx::query_as(
        "DELETE FROM users WHERE id = $1 AND org_id = $2 AND id < 0 AND deleted_at IS NULL \
         RETURNING licensed, role",
    )
    .bind(id)
    .bind(org)
    .fetch_optional(&mut **tx)
    .await
    .map_err(internal)?;
    if let Some((licensed, role)) = row {
        let admin = i64::from(role == Role::Administrator.as_str());
        bump(tx, org, (-1, -licensed, -admin)).await?;
    }
    Ok(())
}

async fn delete_link_row(tx: &mut WriteTx, org: Id, id: Id) -> Result<()> {
    sqlx::query("DELETE FROM links WHERE id = $1 AND org_id = $2")
        .bind(id)
        .bind(org)
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
    Ok(())
}

/// Inserts the link unless the copy has it; answers whether it had it.
async fn insert_link(
    tx: &mut WriteTx,
    org: Id,
    id: Id,
    link: LinkKind,
    a: Id,
    b: Id,
    now: Timestamp,
) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO links (id, org_id, kind, a_id, b_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(id)
    .bind(org)
    .bind(link.as_str())
    .bind(a)
    .bind(b)
    .bind(now.0)
    .fetch_optional(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(row.is_none())
}

/// Removes the link from the copy; answers whether it had it.
async fn remove_link(tx: &mut WriteTx, org: Id, link: LinkKind, a: Id, b: Id) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "DELETE FROM links WHERE org_id = $1 AND kind = $2 AND a_id = $3 AND b_id = $4 \
         RETURNING id",
    )
    .bind(org)
    .bind(link.as_str())
    .bind(a)
    .bind(b)
    .fetch_optional(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(row.is_some())
}

/// Moves the counters by `delta` (a server's row written over the copy's), never setting the
/// seats below the licensed users (the `CHECK`): the organization's own entry brings them.
async fn bump(tx: &mut WriteTx, org: Id, delta: Delta) -> Result<()> {
    let most = match crate::Backend::of(tx) {
        crate::Backend::Sqlite => "MAX",
        crate::Backend::Postgres => "GREATEST",
    };
    sqlx::query(&format!(
        "UPDATE orgs SET seats_purchased = {most}(seats_purchased, users_licensed + $1), \
         users_total = users_total + $2, users_licensed = users_licensed + $1, \
         users_admins = users_admins + $3 WHERE id = $4"
    ))
    .bind(delta.1)
    .bind(delta.0)
    .bind(delta.2)
    .bind(org)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(())
}

/// Records the seats the server said `org` has (a snapshot, the organization's feed entry).
pub(crate) async fn server_seats(tx: &mut WriteTx, org: Id, seats: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO copy_seats (org_id, seats) VALUES ($1, $2) \
         ON CONFLICT (org_id) DO UPDATE SET seats = excluded.seats",
    )
    .bind(org)
    .bind(seats)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(())
}

/// Sets the copy's seats back to the server's, or to its licensed users while more are shown
/// (the `CHECK`): the seats a write raised to fit go back once the licenses settle.
pub(crate) async fn fit_seats(tx: &mut WriteTx, org: Id) -> Result<()> {
    let most = match crate::Backend::of(tx) {
        crate::Backend::Sqlite => "MAX",
        crate::Backend::Postgres => "GREATEST",
    };
    sqlx::query(&format!(
        "UPDATE orgs SET seats_purchased = {most}(users_licensed, \
         (SELECT seats FROM copy_seats WHERE org_id = $1)) \
         WHERE id = $1 AND EXISTS (SELECT 1 FROM copy_seats WHERE org_id = $1)"
    ))
    .bind(org)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(())
}

/// Lays the pending entries of `users` over their rows again, in order, after a server's state
/// was written to them. An entry that no longer fits is left out of the row (it stays pending).
pub(crate) async fn overlay(tx: &mut WriteTx, org: Id, users: &[Id]) -> Result<()> {
    // Most pages write users without pending entries: ask once which have some.
    let pending: std::collections::HashSet<Id> =
        pending_targets(tx, org).await?.into_iter().collect();
    let users: Vec<Id> = users
        .iter()
        .copied()
        .filter(|u| pending.contains(u))
        .collect();
    overlay_in_order(tx, org, &users).await
}

/// The users of `org` with a pending entry, the one whose first entry came first, first.
async fn pending_targets(tx: &mut WriteTx, org: Id) -> Result<Vec<Id>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT target FROM outbox WHERE org_id = $1 AND state = 'pending' \
         GROUP BY target ORDER BY MIN(id)",
    )
    .bind(org)
    .fetch_all(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// [`overlay`] of `users`, each of which has pending entries, in that order.
async fn overlay_in_order(tx: &mut WriteTx, org: Id, users: &[Id]) -> Result<()> {
    for &u in users {
        for (id, edit) in pending_on(tx, org, u).await? {
            let at: (i64,) = sqlx::query_as("SELECT queued_at FROM outbox WHERE id = $1")
                .bind(id)
                .fetch_one(&mut **tx)
                .await
                .map_err(internal)?;
            match apply_edit(tx, org, id, &edit, Timestamp(at.0)).await {
                Ok(_) => {}
                Err(e) if e.code == ErrorCode::Internal => return Err(e),
                Err(_) => {}
            }
        }
    }
    Ok(())
}

/// [`overlay`] for every user of `org` with a pending entry (after a snapshot, or a feed page
/// that wrote links or items).
pub(crate) async fn overlay_all(tx: &mut WriteTx, org: Id) -> Result<()> {
    let users = pending_targets(tx, org).await?;
    overlay_in_order(tx, org, &users).await
}

/// Applies `edit` (entry `entry`'s, made at `at`) to the copy's rows and counters; returns the
/// field's value before. Refused, changing nothing, when it cannot be done in the copy.
async fn apply_edit(
    tx: &mut WriteTx,
    org: Id,
    entry: i64,
    edit: &OfflineEdit,
    at: Timestamp,
) -> Result<Value> {
    match edit {
        OfflineEdit::CreateUser { user, new } => create_provisional(tx, org, *user, new, at).await,
        OfflineEdit::Link { link, a, b } | OfflineEdit::Unlink { link, a, b } => {
            live_user(tx, org, edit.user()).await?;
            let (item, kind) = match (user_at_a(*link), link) {
                (Some(true), LinkKind::UserGroup) => (*b, DirectoryKind::Group),
                (Some(true), _) => (*b, DirectoryKind::Workspace),
                _ => (*a, DirectoryKind::Agent),
            };
            let found: Option<(i64,)> = sqlx::query_as(
                "SELECT id FROM directory WHERE id = $1 AND org_id = $2 AND kind = $3",
            )
            .bind(item)
            .bind(org)
            .bind(kind.as_str())
            .fetch_optional(&mut **tx)
            .await
            .map_err(internal)?;
            if found.is_none() {
                return Err(Error::not_found(
                    "This item is not in the local copy (deleted, or not downloaded yet).",
                ));
            }
            let had = match edit {
                OfflineEdit::Link { .. } => insert_link(tx, org, -entry, *link, *a, *b, at).await?,
                _ => remove_link(tx, org, *link, *a, *b).await?,
            };
            Ok(Value::Bool(had))
        }
        OfflineEdit::EditUser { user, edit: e, .. } => {
            if e.budget.flatten().is_some_and(|b| b.0 <= 0) {
                return Err(Error::invalid(
                    "A budget is above zero; remove the limit instead.",
                ));
            }
            live_user(tx, org, *user).await?;
            let mut was = Map::new();
            if let Some(role) = e.role {
                was.insert("role".into(), set_role(tx, org, *user, role).await?);
            }
            if let Some(budget) = e.budget {
                was.insert("budget".into(), set_budget(tx, org, *user, budget).await?);
            }
            if let Some(phone) = &e.phone {
                let before: (Option<String>,) =
                    sqlx::query_as("SELECT phone FROM users WHERE id = $1")
                        .bind(*user)
                        .fetch_one(&mut **tx)
                        .await
                        .map_err(internal)?;
                sqlx::query("UPDATE users SET phone = $1 WHERE id = $2")
                    .bind(phone.as_ref().map(|p| p.e164()))
                    .bind(*user)
                    .execute(&mut **tx)
                    .await
                    .map_err(internal)?;
                was.insert("phone".into(), before.0.into());
            }
            Ok(Value::Object(was))
        }
        OfflineEdit::SetLicensed { user, licensed, .. } => {
            set_licensed(tx, org, *user, *licensed).await
        }
        OfflineEdit::SetRole { user, role, .. } => set_role(tx, org, *user, *role).await,
        OfflineEdit::SetBudget { user, budget, .. } => {
            if budget.is_some_and(|b| b.0 <= 0) {
                return Err(Error::invalid(
                    "A budget is above zero; remove the limit instead.",
                ));
            }
            set_budget(tx, org, *user, *budget).await
        }
    }
}

/// The row and counters an edit of user `id` checks: (licensed, role, budget, seats,
/// licensed users, administrators). `not_found` when the copy has no such live user.
type Current = (i64, String, Option<i64>, i64, i64, i64);

async fn live_user(tx: &mut WriteTx, org: Id, id: Id) -> Result<Current> {
    let row: Option<Current> = sqlx::query_as(
        "SELECT u.licensed, u.role, u.budget_micros, o.seats_purchased, o.users_licensed, \
         o.users_admins FROM users u JOIN orgs o ON o.id = u.org_id \
         WHERE u.id = $1 AND u.org_id = $2 AND u.deleted_at IS NULL",
    )
    .bind(id)
    .bind(org)
    .fetch_optional(&mut **tx)
    .await
    .map_err(internal)?;
    row.ok_or_else(|| {
        Error::not_found("This user is not in the local copy (deleted, or not downloaded yet).")
    })
}

async fn set_licensed(tx: &mut WriteTx, org: Id, id: Id, on: bool) -> Result<Value> {
    let (licensed, _, _, seats, assigned, _) = live_user(tx, org, id).await?;
    let d = i64::from(on) - licensed;
    if d > 0 {
        ensure_seats(seats, assigned + d)?;
    }
    sqlx::query("UPDATE users SET licensed = $1 WHERE id = $2")
        .bind(i64::from(on))
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
    bump_org(tx, org, "users_licensed", d).await?;
    Ok(Value::from(licensed != 0))
}

async fn set_role(tx: &mut WriteTx, org: Id, id: Id, to: Role) -> Result<Value> {
    let (_, role, _, _, _, admins) = live_user(tx, org, id).await?;
    let admin = role == Role::Administrator.as_str();
    let d = i64::from(to == Role::Administrator) - i64::from(admin);
    if d < 0 {
        ensure_administrator_remains(admins + d)?;
    }
    sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
        .bind(to.as_str())
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
    bump_org(tx, org, "users_admins", d).await?;
    Ok(Value::from(role))
}

async fn set_budget(tx: &mut WriteTx, org: Id, id: Id, to: Option<Usd>) -> Result<Value> {
    let (_, _, budget, _, _, _) = live_user(tx, org, id).await?;
    sqlx::query("UPDATE users SET budget_micros = $1 WHERE id = $2")
        .bind(to.map(|b| b.0))
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
    Ok(budget.map_or(Value::Null, Value::from))
}

async fn bump_org(tx: &mut WriteTx, org: Id, column: &'static str, d: i64) -> Result<()> {
    if d != 0 {
        sqlx::query(&format!(
            "UPDATE orgs SET {column} = {column} + $1 WHERE id = $2"
        ))
        .bind(d)
        .bind(org)
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
    }
    Ok(())
}

/// Shows a user created offline: row `id` (provisional, negative), unlicensed, at version 0.
/// Refused when a live user of the copy has the email (as the local store refuses it); a
/// row already there is left as it is.
async fn create_provisional(
    tx: &mut WriteTx,
    org: Id,
    id: Id,
    new: &NewUser,
    at: Timestamp,
) -> Result<Value> {
    let holder: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM users WHERE org_id = $1 AND email = $2 AND deleted_at IS NULL",
    )
    .bind(org)
    .bind(new.email.as_str())
    .fetch_optional(&mut **tx)
    .await
    .map_err(internal)?;
    match holder {
        Some((h,)) if h == id => return Ok(Value::Null),
        Some(_) => return Err(crate::users::email_taken(&new.email)),
        None => {}
    }
    sqlx::query(
        "INSERT INTO users (id, org_id, email, phone, role, licensed, created_at, updated_at, \
         version) VALUES ($1, $2, $3, $4, $5, 0, $6, $6, 0)",
    )
    .bind(id)
    .bind(org)
    .bind(new.email.as_str())
    .bind(new.phone.as_ref().map(|p| p.e164()))
    .bind(new.role.as_str())
    .bind(at.0)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    bump_org(tx, org, "users_total", 1).await?;
    bump_org(
        tx,
        org,
        "users_admins",
        i64::from(new.role == Role::Administrator),
    )
    .await?;
    Ok(Value::Null)
}
