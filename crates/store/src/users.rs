//! Users: create, edit (phone, role, budget), delete and restore, usage metering (licenses are
//! in [`crate::licenses`]).
//!
//! Every operation loads the caller's current role and the targets inside one write transaction,
//! asks the policy, checks the invariants against counters read in that transaction, writes, and
//! appends to the change feed and the audit log before committing. Operations over several users
//! are all-or-nothing.

use omni_core::error::Result;
use omni_core::model::{Id, Role, Timestamp, Usd, User, RESTORE_WINDOW_DAYS};
use omni_core::policy::{self, Action};
use omni_core::{Email, Error, ErrorCode, Phone, Reason};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;

use crate::db::{actor, internal, taken_or_internal};
use crate::feed::{self, ChangeOp, FeedEntity};
use crate::org::{bump_counters, counters};
use crate::rows::{user_from_row, USER_COLUMNS};
use crate::write::Write;
use crate::{Caller, Store};

/// A user to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewUser {
    pub email: Email,
    pub phone: Option<Phone>,
    pub role: Role,
}

/// Changes to one user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UserEdit {
    /// `Some(None)` (JSON `null`) clears the phone; absent leaves it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "double_option"
    )]
    #[cfg_attr(feature = "ts", ts(optional, type = "string | null"))]
    pub phone: Option<Option<Phone>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub role: Option<Role>,
    /// `Some(None)` (JSON `null`) removes the limit; absent leaves it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "double_option"
    )]
    #[cfg_attr(feature = "ts", ts(optional, type = "number | null"))]
    pub budget: Option<Option<Usd>>,
    /// The version the editor read; a newer stored version fails with `stale_version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub expected_version: Option<i64>,
}

/// A field that can be absent (leave it), `null` (clear it) or a value (set it).
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(
        v: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

async fn load(
    conn: &mut AnyConnection,
    org: Id,
    id: Id,
    now: Timestamp,
    deleted: bool,
) -> Result<User> {
    let cond = if deleted {
        "deleted_at IS NOT NULL"
    } else {
        "deleted_at IS NULL"
    };
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $2 AND org_id = $3 AND {cond}");
    let row = sqlx::query(&sql)
        .bind(now.month_start().0)
        .bind(id)
        .bind(org)
        .fetch_optional(&mut *conn)
        .await
        .map_err(internal)?;
    match row {
        Some(r) => user_from_row(&r),
        None if deleted => Err(Error::because(
            ErrorCode::NotFound,
            Reason::NoDeletedUser { id },
        )),
        None => Err(Error::because(ErrorCode::NotFound, Reason::NoUser { id })),
    }
}

fn snapshot(u: &User) -> serde_json::Value {
    json!({
        "email": u.email.as_str(),
        "phone": u.phone.as_ref().map(Phone::e164),
        "role": u.role.as_str(),
        "licensed": u.licensed,
        "budget": u.budget.map(Usd::decimal),
    })
}

/// A user's row as it is first written: live, unlicensed and without a budget when the app, the
/// CLI or the server creates them; as provisioning states it otherwise ([`crate::scim`]).
pub(crate) struct NewRow<'a> {
    pub email: &'a Email,
    pub phone: Option<&'a Phone>,
    pub role: Role,
    pub licensed: bool,
    pub budget: Option<Usd>,
    pub external_id: Option<&'a str>,
    /// Provisioning may create a user deactivated: deleted from the start.
    pub deleted_at: Option<Timestamp>,
}

impl<'a> NewRow<'a> {
    /// The row of a user created in the app, the CLI or through the server's API.
    fn plain(new: &'a NewUser) -> Self {
        NewRow {
            email: &new.email,
            phone: new.phone.as_ref(),
            role: new.role,
            licensed: false,
            budget: None,
            external_id: None,
            deleted_at: None,
        }
    }
}

/// Inserts `row` into the writer's organization and returns its id: `already_exists` when a
/// live user has its email. The caller has asked the policy, and counts the user when live.
pub(crate) async fn insert(w: &mut Write, row: &NewRow<'_>) -> Result<Id> {
    let (id,): (Id,) = sqlx::query_as(
        "INSERT INTO users (org_id, email, phone, role, licensed, budget_micros, external_id, \
         created_at, updated_at, deleted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) RETURNING id",
    )
    .bind(w.caller.org)
    .bind(row.email.as_str())
    .bind(row.phone.map(Phone::e164))
    .bind(row.role.as_str())
    .bind(i64::from(row.licensed))
    .bind(row.budget.map(|b| b.0))
    .bind(row.external_id)
    .bind(w.now.0)
    .bind(row.deleted_at.map(|t| t.0))
    .fetch_one(&mut *w.tx)
    .await
    .map_err(|e| taken_or_internal(e, || email_taken(row.email)))?;
    Ok(id)
}

/// `already_exists`: a live user of the organization has `email`.
pub(crate) fn email_taken(email: &Email) -> Error {
    let email = email.to_string();
    Error::because(ErrorCode::AlreadyExists, Reason::UserExists { email })
}

/// Writes the user's row from `u` (bumping its version) and records the change in the feed.
async fn save(w: &mut Write, u: &User) -> Result<User> {
    let (org, now) = (w.caller.org, w.now);
    sqlx::query(
        "UPDATE users SET phone = $1, role = $2, licensed = $3, budget_micros = $4, updated_at = $5, \
         version = version + 1 WHERE id = $6 AND org_id = $7",
    )
    .bind(u.phone.as_ref().map(Phone::e164))
    .bind(u.role.as_str())
    .bind(i64::from(u.licensed))
    .bind(u.budget.map(|b| b.0))
    .bind(now.0)
    .bind(u.id)
    .bind(org)
    .execute(&mut *w.tx)
    .await
    .map_err(internal)?;
    w.feed(FeedEntity::User, u.id, ChangeOp::Upsert).await?;
    let mut saved = u.clone();
    saved.version += 1;
    saved.updated_at = now;
    Ok(saved)
}

/// A user became live (created or restored): count them, record the change, read them back.
async fn went_live(w: &mut Write, id: Id, role: Role) -> Result<User> {
    let org = w.caller.org;
    bump_counters(
        &mut w.tx,
        org,
        1,
        0,
        policy::administrators_delta(None, Some(role)),
    )
    .await?;
    w.feed(FeedEntity::User, id, ChangeOp::Upsert).await?;
    load(&mut w.tx, org, id, w.now, false).await
}

pub(crate) fn check_version(u: &User, expected: Option<i64>) -> Result<()> {
    match expected {
        Some(v) if v != u.version => Err(Error::because(
            ErrorCode::StaleVersion,
            Reason::StaleUser {
                email: u.email.to_string(),
            },
        )),
        _ => Ok(()),
    }
}

impl Store {
    /// Creates an unlicensed user.
    pub async fn create_user(&self, caller: &Caller, new: NewUser, now: Timestamp) -> Result<User> {
        let mut w = self.write(caller, now).await?;
        w.authorize(&Action::CreateUser { role: new.role })?;
        let id = insert(&mut w, &NewRow::plain(&new)).await?;
        let user = went_live(&mut w, id, new.role).await?;
        w.audit(
            "user.create",
            new.email.as_str(),
            None,
            Some(snapshot(&user)),
        )
        .await?;
        w.commit().await?;
        Ok(user)
    }

    /// The caller's own record: every registered user may read themselves, whatever their
    /// role (the desktop app shows who is signed in).
    pub async fn whoami(&self, caller: &Caller, now: Timestamp) -> Result<User> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        actor(&mut conn, caller).await?;
        load(&mut conn, caller.org, caller.user, now, false).await
    }

    /// One live user.
    pub async fn user(&self, caller: &Caller, id: Id, now: Timestamp) -> Result<User> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        let a = actor(&mut conn, caller).await?;
        policy::authorize(&a, &Action::ViewUsers)?;
        load(&mut conn, caller.org, id, now, false).await
    }

    /// The live user with this email.
    pub async fn user_by_email(
        &self,
        caller: &Caller,
        email: &Email,
        now: Timestamp,
    ) -> Result<User> {
        let id = self.user_id(caller.org, email).await?;
        self.user(caller, id, now).await
    }

    /// The id of the live user with this email.
    pub async fn user_id(&self, org: Id, email: &Email) -> Result<Id> {
        let row: Option<(Id,)> = sqlx::query_as(
            "SELECT id FROM users WHERE org_id = $1 AND email = $2 AND deleted_at IS NULL",
        )
        .bind(org)
        .bind(email.as_str())
        .fetch_optional(self.pool())
        .await
        .map_err(internal)?;
        row.map(|r| r.0).ok_or_else(|| {
            Error::because(
                ErrorCode::NotFound,
                Reason::NotAUser {
                    email: email.to_string(),
                },
            )
        })
    }

    /// Edits one user: phone, role and budget at once, each checked by the policy.
    pub async fn edit_user(
        &self,
        caller: &Caller,
        id: Id,
        edit: UserEdit,
        now: Timestamp,
    ) -> Result<User> {
        let mut w = self.write(caller, now).await?;
        let before = load(&mut w.tx, caller.org, id, now, false).await?;
        check_version(&before, edit.expected_version)?;
        let mut after = before.clone();
        if let Some(phone) = edit.phone {
            w.authorize(&Action::EditUser {
                target: before.role,
            })?;
            after.phone = phone;
        }
        // Setting a budget is asked of the policy only when it changes: an Edit form sends the
        // budget it showed, which a Collaborator may leave as it was while changing the phone.
        if let Some(budget) = edit.budget.map(|b| b.filter(|b| b.0 > 0)) {
            if budget != before.budget {
                w.authorize(&Action::SetBudget)?;
                after.budget = budget;
            }
        }
        if let Some(role) = edit.role.filter(|r| *r != before.role) {
            authorize_role_change(&mut w, &before, role).await?;
            after.role = role;
        }
        if after == before {
            return Ok(before);
        }
        let saved = save(&mut w, &after).await?;
        let admins = policy::administrators_delta(Some(before.role), Some(after.role));
        bump_counters(&mut w.tx, caller.org, 0, 0, admins).await?;
        let action = if before.role != after.role {
            "user.role"
        } else {
            "user.edit"
        };
        let (was, is) = (Some(snapshot(&before)), Some(snapshot(&after)));
        w.audit(action, before.email.as_str(), was, is).await?;
        w.commit().await?;
        Ok(saved)
    }

    /// Changes the role of several users at once (all or nothing).
    pub async fn set_role(
        &self,
        caller: &Caller,
        ids: &[Id],
        role: Role,
        now: Timestamp,
    ) -> Result<Vec<User>> {
        let mut w = self.write(caller, now).await?;
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            let before = load(&mut w.tx, caller.org, id, now, false).await?;
            if before.role == role {
                w.authorize(&Action::ViewUsers)?;
                out.push(before);
                continue;
            }
            authorize_role_change(&mut w, &before, role).await?;
            let mut after = before.clone();
            after.role = role;
            let saved = save(&mut w, &after).await?;
            let admins = policy::administrators_delta(Some(before.role), Some(role));
            bump_counters(&mut w.tx, caller.org, 0, 0, admins).await?;
            let (was, is) = (json!({"role": before.role}), json!({"role": role}));
            w.audit("user.role", before.email.as_str(), Some(was), Some(is))
                .await?;
            out.push(saved);
        }
        w.commit().await?;
        Ok(out)
    }

    /// Sets or clears (`None` or zero) a user's monthly budget.
    pub async fn set_budget(
        &self,
        caller: &Caller,
        id: Id,
        budget: Option<Usd>,
        now: Timestamp,
    ) -> Result<User> {
        self.edit_user(
            caller,
            id,
            UserEdit {
                budget: Some(budget),
                ..UserEdit::default()
            },
            now,
        )
        .await
    }

    /// Deletes users (all or nothing). Their licenses return to the pool; they stay restorable
    /// for 30 days.
    pub async fn delete_users(&self, caller: &Caller, ids: &[Id], now: Timestamp) -> Result<()> {
        let targets: Vec<_> = ids.iter().map(|&id| (id, None)).collect();
        self.delete_users_checked(caller, &targets, now).await
    }

    /// Deletes one user, only if the user is still at `expected_version` (checked in the same
    /// transaction: `stale_version` otherwise; `not_found` when already deleted).
    pub async fn delete_user_at(
        &self,
        caller: &Caller,
        id: Id,
        expected_version: i64,
        now: Timestamp,
    ) -> Result<()> {
        self.delete_users_checked(caller, &[(id, Some(expected_version))], now)
            .await
    }

    /// [`Store::delete_users`] where each user may carry the version its editor read.
    async fn delete_users_checked(
        &self,
        caller: &Caller,
        ids: &[(Id, Option<i64>)],
        now: Timestamp,
    ) -> Result<()> {
        let mut w = self.write(caller, now).await?;
        let (mut total, mut licensed, mut admins) = (0, 0, 0);
        for &(id, expected) in ids {
            let Ok(u) = load(&mut w.tx, caller.org, id, now, false).await else {
                // Deleting someone already deleted (e.g. twice in a selection) is not an error,
                // unless the caller names the version they saw.
                if expected.is_none() && load(&mut w.tx, caller.org, id, now, true).await.is_ok() {
                    continue;
                }
                return Err(Error::because(ErrorCode::NotFound, Reason::NoUser { id }));
            };
            w.authorize(&Action::DeleteUser {
                target_id: u.id,
                target: u.role,
            })?;
            check_version(&u, expected)?;
            sqlx::query("UPDATE users SET deleted_at = $1, licensed = 0, updated_at = $1, version = version + 1 WHERE id = $2")
                .bind(now.0)
                .bind(u.id)
                .execute(&mut *w.tx)
                .await
                .map_err(internal)?;
            w.feed(FeedEntity::User, u.id, ChangeOp::Delete).await?;
            w.audit("user.delete", u.email.as_str(), Some(snapshot(&u)), None)
                .await?;
            total -= 1;
            licensed -= i64::from(u.licensed);
            admins += policy::administrators_delta(Some(u.role), None);
        }
        let c = counters(&mut w.tx, caller.org).await?;
        if admins < 0 {
            policy::ensure_administrator_remains(c.admins + admins)?;
        }
        bump_counters(&mut w.tx, caller.org, total, licensed, admins).await?;
        w.commit().await
    }

    /// Users deleted in the last 30 days, newest first.
    pub async fn deleted_users(
        &self,
        caller: &Caller,
        now: Timestamp,
    ) -> Result<Vec<(User, Timestamp)>> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        let a = actor(&mut conn, caller).await?;
        policy::authorize(&a, &Action::ViewUsers)?;
        let sql = format!(
            "SELECT {USER_COLUMNS}, deleted_at FROM users WHERE org_id = $2 AND deleted_at IS NOT NULL AND deleted_at > $3 ORDER BY deleted_at DESC LIMIT 10000"
        );
        let rows = sqlx::query(&sql)
            .bind(now.month_start().0)
            .bind(caller.org)
            .bind(now.plus_days(-RESTORE_WINDOW_DAYS).0)
            .fetch_all(&mut *conn)
            .await
            .map_err(internal)?;
        rows.iter()
            .map(|r| {
                let at: i64 = sqlx::Row::try_get(r, 10).map_err(internal)?;
                Ok((user_from_row(r)?, Timestamp(at)))
            })
            .collect()
    }

    /// Brings back a user deleted in the last 30 days, unlicensed.
    pub async fn restore_user(&self, caller: &Caller, id: Id, now: Timestamp) -> Result<User> {
        let mut w = self.write(caller, now).await?;
        let u = load(&mut w.tx, caller.org, id, now, true).await?;
        w.authorize(&Action::RestoreUser { target: u.role })?;
        let (deleted_at,): (i64,) = sqlx::query_as("SELECT deleted_at FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *w.tx)
            .await
            .map_err(internal)?;
        if Timestamp(deleted_at).plus_days(RESTORE_WINDOW_DAYS) < now {
            return Err(Error::because(
                ErrorCode::NotFound,
                Reason::RestoreExpired {
                    email: u.email.to_string(),
                    days: RESTORE_WINDOW_DAYS,
                },
            ));
        }
        sqlx::query("UPDATE users SET deleted_at = NULL, licensed = 0, updated_at = $1, version = version + 1 WHERE id = $2")
            .bind(now.0)
            .bind(id)
            .execute(&mut *w.tx)
            .await
            .map_err(|e| {
                taken_or_internal(e, || {
                    let email = u.email.to_string();
                    Error::because(ErrorCode::AlreadyExists, Reason::RestoreConflict { email })
                })
            })?;
        let restored = went_live(&mut w, id, u.role).await?;
        w.audit(
            "user.restore",
            u.email.as_str(),
            None,
            Some(snapshot(&restored)),
        )
        .await?;
        w.commit().await?;
        Ok(restored)
    }

    /// Records AI spend reported by the platform's metering. Idempotent by `event_id`: a
    /// repeated event changes nothing and returns `false`. Usage counts the calendar month of `at`.
    pub async fn record_usage(
        &self,
        org: Id,
        event_id: &str,
        user: Id,
        amount: Usd,
        at: Timestamp,
    ) -> Result<bool> {
        if amount.0 < 0 {
            return Err(Error::invalid("Usage cannot be negative."));
        }
        let mut tx = self.begin_write(Some(org)).await?;
        let inserted = sqlx::query(
            "INSERT INTO usage_events (org_id, event_id, user_id, micros, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(org)
        .bind(event_id)
        .bind(user)
        .bind(amount.0)
        .bind(at.0)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        if inserted.rows_affected() == 0 {
            return Ok(false);
        }
        let month = at.month_start().0;
        let updated = sqlx::query(
            "UPDATE users SET usage_micros = CASE WHEN usage_month = $1 THEN usage_micros + $2 ELSE $2 END, \
             usage_month = $1, version = version + 1 WHERE id = $3 AND org_id = $4 AND usage_month <= $1",
        )
        .bind(month)
        .bind(amount.0)
        .bind(user)
        .bind(org)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        if updated.rows_affected() > 0 {
            feed::append(&mut tx, org, FeedEntity::User, user, ChangeOp::Upsert, at).await?;
        }
        tx.commit().await.map_err(internal)?;
        Ok(true)
    }
}

/// Asks the policy about a role change and keeps the last Administrator.
async fn authorize_role_change(w: &mut Write, before: &User, to: Role) -> Result<()> {
    w.authorize(&Action::ChangeRole {
        target_id: before.id,
        from: before.role,
        to,
    })?;
    let admins = policy::administrators_delta(Some(before.role), Some(to));
    if admins < 0 {
        let c = counters(&mut w.tx, w.caller.org).await?;
        policy::ensure_administrator_remains(c.admins + admins)?;
    }
    Ok(())
}
