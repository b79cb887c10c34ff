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

use omni_core::error::Result;
use omni_core::model::{Id, Role, Timestamp, Usd, User};
use omni_core::policy::{ensure_administrator_remains, ensure_seats};
use omni_core::{Error, ErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::db::{internal, json_text};
use crate::engine::WriteTx;
use crate::sync::rows::{user, Delta};
use crate::Store;

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
}

impl OfflineEdit {
    /// The user it changes.
    pub fn user(&self) -> Id {
        match *self {
            OfflineEdit::SetLicensed { user, .. }
            | OfflineEdit::SetRole { user, .. }
            | OfflineEdit::SetBudget { user, .. } => user,
        }
    }

    /// The user's version the edit was based on (sent as `If-Match`).
    pub fn based_on(&self) -> i64 {
        match *self {
            OfflineEdit::SetLicensed { based_on, .. }
            | OfflineEdit::SetRole { based_on, .. }
            | OfflineEdit::SetBudget { based_on, .. } => based_on,
        }
    }

    fn with_based_on(mut self, v: i64) -> OfflineEdit {
        match &mut self {
            OfflineEdit::SetLicensed { based_on, .. }
            | OfflineEdit::SetRole { based_on, .. }
            | OfflineEdit::SetBudget { based_on, .. } => *based_on = v,
        }
        self
    }

    /// The value it sets, as JSON (`true`, `"administrator"`, budget in micro-USD or `null`).
    pub fn value(&self) -> Value {
        match self {
            OfflineEdit::SetLicensed { licensed, .. } => Value::from(*licensed),
            OfflineEdit::SetRole { role, .. } => Value::from(role.as_str()),
            OfflineEdit::SetBudget { budget, .. } => budget.map_or(Value::Null, |b| b.0.into()),
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
                budget: match was {
                    Value::Null => None,
                    v => Some(Usd(v.as_i64()?)),
                },
                based_on,
            },
        })
    }

    /// The same field's value in `user`, as [`OfflineEdit::value`] writes it.
    pub fn value_in(&self, user: &User) -> Value {
        match self {
            OfflineEdit::SetLicensed { .. } => Value::from(user.licensed),
            OfflineEdit::SetRole { .. } => Value::from(user.role.as_str()),
            OfflineEdit::SetBudget { .. } => user.budget.map_or(Value::Null, |b| b.0.into()),
        }
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
    /// Done. `server` is the user as the server answered.
    Sent { server: Option<User> },
    /// Refused (403, 409) or stale (412). `server` is the user's current state on the server
    /// when known (written to the copy's row), `server_value` the edited field's value there.
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
    /// Makes `edit` offline in the copy of `org`: applies it to the user's row and the
    /// counters, and queues it, in one transaction. Refused at once, changing nothing, when the
    /// copy shows it cannot be done (no seat left, the last administrator, a user not in the
    /// copy, a budget not above zero); the server's other rules are its own to apply when the
    /// entry is sent (a refusal then becomes a conflict).
    pub async fn queue_edit(
        &self,
        org: Id,
        caller_user: Id,
        edit: OfflineEdit,
        now: Timestamp,
    ) -> Result<OutboxEntry> {
        let mut tx = self.begin_write(Some(org)).await?;
        let was = apply_edit(&mut tx, org, &edit).await?;
        let key = new_key();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO outbox (org_id, queued_by, target, edit, based_on, was, idem_key, \
             queued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(org)
        .bind(caller_user)
        .bind(edit.user())
        .bind(json_text(&edit)?)
        .bind(edit.based_on())
        .bind(json_text(&was)?)
        .bind(&key)
        .bind(now.0)
        .fetch_one(&mut *tx)
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

    /// The users of `org` with an edit still to send (the table marks them pending).
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
    /// are now based on the answer's version. Conflict: the entry stays, with the server's
    /// value and error, and the row takes the server's state when given. Either way the
    /// user's other pending entries are laid over the row again. `now` is the month the
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
                if let Some(u) = &server {
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
                server
            }
            Settled::Conflict {
                server_value,
                error,
                server,
            } => {
                sqlx::query(
                    "UPDATE outbox SET state = 'conflict', server_value = $1, error = $2, \
                     settled_at = $3 WHERE id = $4",
                )
                .bind(json_text(&server_value)?)
                .bind(json_text(&error)?)
                .bind(now.0)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
                server
            }
        };
        if let Some(u) = server {
            let d = user(&mut tx, org, target, Some(&u), None, now.month_start().0).await?;
            bump(&mut tx, org, d).await?;
            overlay(&mut tx, org, &[target]).await?;
        }
        tx.commit().await
    }

    /// Drops entry `id`: a conflict the person gives up (its row already shows the server's
    /// state), or a pending edit they take back (its field goes back to the value it was based
    /// on, and the user's other pending entries are laid over the row again).
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
            if let Some(back) = e.edit.back_to(&e.was) {
                // A row that can no longer take it (gone, no seat) keeps what it shows until
                // the server's state next reaches it.
                match apply_edit(&mut tx, e.org, &back).await {
                    Err(err) if err.code == ErrorCode::Internal => return Err(err),
                    _ => {}
                }
            }
            overlay(&mut tx, e.org, &[e.edit.user()]).await?;
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

/// Lays the pending entries of `users` over their rows again, in order, after a server's state
/// was written to them. An entry that no longer fits is left out of the row (it stays pending).
pub(crate) async fn overlay(tx: &mut WriteTx, org: Id, users: &[Id]) -> Result<()> {
    for &u in users {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT edit FROM outbox WHERE org_id = $1 AND target = $2 AND state = 'pending' \
             ORDER BY id",
        )
        .bind(org)
        .bind(u)
        .fetch_all(&mut **tx)
        .await
        .map_err(internal)?;
        for (edit,) in rows {
            let edit: OfflineEdit = serde_json::from_str(&edit).map_err(internal)?;
            match apply_edit(tx, org, &edit).await {
                Ok(_) => {}
                Err(e) if e.code == ErrorCode::Internal => return Err(e),
                Err(_) => {}
            }
        }
    }
    Ok(())
}

/// [`overlay`] for every user of `org` with a pending entry (after a snapshot).
pub(crate) async fn overlay_all(tx: &mut WriteTx, org: Id) -> Result<()> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT DISTINCT target FROM outbox WHERE org_id = $1 AND state = 'pending'",
    )
    .bind(org)
    .fetch_all(&mut **tx)
    .await
    .map_err(internal)?;
    let users: Vec<Id> = rows.into_iter().map(|r| r.0).collect();
    overlay(tx, org, &users).await
}

/// Applies `edit` to the copy's row and counters; returns the field's value before. Refused,
/// changing nothing, when it cannot be done in the copy.
async fn apply_edit(tx: &mut WriteTx, org: Id, edit: &OfflineEdit) -> Result<Value> {
    type Current = (i64, String, Option<i64>, i64, i64, i64);
    let row: Option<Current> = sqlx::query_as(
        "SELECT u.licensed, u.role, u.budget_micros, o.seats_purchased, o.users_licensed, \
         o.users_admins FROM users u JOIN orgs o ON o.id = u.org_id \
         WHERE u.id = $1 AND u.org_id = $2 AND u.deleted_at IS NULL",
    )
    .bind(edit.user())
    .bind(org)
    .fetch_optional(&mut **tx)
    .await
    .map_err(internal)?;
    let Some((licensed, role, budget, seats, assigned, admins)) = row else {
        return Err(Error::not_found(
            "This user is not in the local copy (deleted, or not downloaded yet).",
        ));
    };
    let admin = role == Role::Administrator.as_str();
    let set = |sql: &'static str| sqlx::query(sql);
    match edit {
        OfflineEdit::SetLicensed { licensed: on, .. } => {
            let d = i64::from(*on) - licensed;
            if d > 0 {
                ensure_seats(seats, assigned + d)?;
            }
            set("UPDATE users SET licensed = $1 WHERE id = $2")
                .bind(i64::from(*on))
                .bind(edit.user())
                .execute(&mut **tx)
                .await
                .map_err(internal)?;
            set("UPDATE orgs SET users_licensed = users_licensed + $1 WHERE id = $2")
                .bind(d)
                .bind(org)
                .execute(&mut **tx)
                .await
                .map_err(internal)?;
            Ok(Value::from(licensed != 0))
        }
        OfflineEdit::SetRole { role: to, .. } => {
            let d = i64::from(*to == Role::Administrator) - i64::from(admin);
            if d < 0 {
                ensure_administrator_remains(admins + d)?;
            }
            set("UPDATE users SET role = $1 WHERE id = $2")
                .bind(to.as_str())
                .bind(edit.user())
                .execute(&mut **tx)
                .await
                .map_err(internal)?;
            set("UPDATE orgs SET users_admins = users_admins + $1 WHERE id = $2")
                .bind(d)
                .bind(org)
                .execute(&mut **tx)
                .await
                .map_err(internal)?;
            Ok(Value::from(role))
        }
        OfflineEdit::SetBudget { budget: to, .. } => {
            if to.is_some_and(|b| b.0 <= 0) {
                return Err(Error::invalid(
                    "A budget is above zero; remove the limit instead.",
                ));
            }
            set("UPDATE users SET budget_micros = $1 WHERE id = $2")
                .bind(to.map(|b| b.0))
                .bind(edit.user())
                .execute(&mut **tx)
                .await
                .map_err(internal)?;
            Ok(budget.map_or(Value::Null, Value::from))
        }
    }
}
