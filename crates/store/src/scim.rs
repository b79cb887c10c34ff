//! SCIM 2.0 provisioning, as the store sees it: the organization's provisioning tokens (kept as
//! hashes), its provisioning settings, and the writes an identity provider makes to users and
//! groups.
//!
//! Why its own operations: a SCIM request states a whole user (a `PUT`, or a `PATCH` the server
//! applied to what it read), active or not, with its license, role and budget at once; it must
//! change all of that in one transaction or nothing. Each operation still takes the one write
//! path ([`Store::write`]): the token is the caller ([`Caller::provisioning`]), the policy is
//! asked for every change with [`omni_core::policy::Actor::provisioning`] (which can never
//! grant the Administrator role), the seats and the last Administrator are checked against the
//! counters read in the same transaction, and the feed and the audit log (whose actor is the
//! token's name) are written before it commits.

use omni_core::error::Result;
use omni_core::model::{Id, Role, Timestamp, Usd, User, RESTORE_WINDOW_DAYS};
use omni_core::policy::{self, Action, Actor};
use omni_core::{Email, Error, ErrorCode, Phone, Reason};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{AnyConnection, Row};

use crate::db::{actor, internal, not_registered, taken_or_internal};
use crate::directory::{item_by_id, DirectoryItem};
use crate::feed::{ChangeOp, FeedEntity};
use crate::org::{bump_counters, counters};
use crate::rows::{user_from_row, USER_COLUMNS};
use crate::users::{self, NewRow};
use crate::write::Write;
use crate::{Caller, Store};

/// A provisioning token as an Administrator sees it (never the token itself: only its hash is
/// kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ScimToken {
    pub id: Id,
    pub name: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// What becomes of the product's own attributes (role, license, budget) a provisioning
/// request sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ExtensionPolicy {
    /// Applied, as the policy allows a provisioning token.
    Apply,
    /// Left as they are, silently.
    Ignore,
    /// The request is refused.
    Refuse,
}

impl ExtensionPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            ExtensionPolicy::Apply => "apply",
            ExtensionPolicy::Ignore => "ignore",
            ExtensionPolicy::Refuse => "refuse",
        }
    }

    pub fn parse(s: &str) -> Option<ExtensionPolicy> {
        match s {
            "apply" => Some(ExtensionPolicy::Apply),
            "ignore" => Some(ExtensionPolicy::Ignore),
            "refuse" => Some(ExtensionPolicy::Refuse),
            _ => None,
        }
    }
}

/// An organization's provisioning settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ScimSettings {
    /// New users get a license while seats last (and are refused when none is left).
    pub license_new_users: bool,
    pub extension: ExtensionPolicy,
}

/// The product's attributes a provisioning request may send; `None`: not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScimExtension {
    pub role: Option<Role>,
    pub licensed: Option<bool>,
    /// `Some(None)` clears the budget.
    pub budget: Option<Option<Usd>>,
}

impl ScimExtension {
    fn is_empty(&self) -> bool {
        self.role.is_none() && self.licensed.is_none() && self.budget.is_none()
    }
}

/// A user as a provisioning request states it (`POST`, `PUT`, or a `PATCH` applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimUserState {
    pub email: Email,
    pub phone: Option<Phone>,
    pub external_id: Option<String>,
    pub active: bool,
    pub extension: ScimExtension,
}

/// A user as provisioning sees it: deactivated (deleted, restorable) users too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimUser {
    pub user: User,
    pub external_id: Option<String>,
    pub active: bool,
}

/// What a query of users or groups asks for: every condition must hold (`and`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScimFilter {
    pub id: Option<Id>,
    /// `userName eq` (users) or `displayName eq` (groups).
    pub name: Option<String>,
    pub external_id: Option<String>,
}

/// A group as provisioning sees it: one of the product's groups and its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimGroup {
    pub group: DirectoryItem,
    /// The identity provider's id for it.
    pub external_id: Option<String>,
    /// Members: (user id, email), by id.
    pub members: Vec<(Id, String)>,
}

/// How a `PATCH` or `PUT` changes a group; `None`: leave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupChange {
    pub name: Option<String>,
    /// `Some(None)` clears it.
    pub external_id: Option<Option<String>>,
    pub members: Members,
}

/// How a `PATCH` or `PUT` changes a group's members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Members {
    /// Replace them all with these.
    Set(Vec<Id>),
    /// Add these, then remove those.
    Change { add: Vec<Id>, remove: Vec<Id> },
}

/// A provisioning token's caller, read in the operation's transaction: refused once revoked.
pub(crate) async fn token_actor(conn: &mut AnyConnection, org: Id, token: Id) -> Result<Actor> {
    let row: Option<(Id,)> = sqlx::query_as(
        "SELECT id FROM scim_tokens WHERE id = $1 AND org_id = $2 AND revoked_at IS NULL",
    )
    .bind(token)
    .bind(org)
    .fetch_optional(&mut *conn)
    .await
    .map_err(internal)?;
    row.map(|_| Actor::provisioning(-token))
        .ok_or_else(not_registered)
}

type TokenRow = (Id, String, i64, Option<i64>, Option<i64>);

fn token_of((id, name, created, used, revoked): TokenRow) -> ScimToken {
    ScimToken {
        id,
        name,
        created_at: Timestamp(created),
        last_used_at: used.map(Timestamp),
        revoked_at: revoked.map(Timestamp),
    }
}

const TOKEN_COLUMNS: &str = "id, name, created_at, last_used_at, revoked_at";

/// How often a token's last use is written at most.
const LAST_USED_EVERY_MS: i64 = 60_000;

fn user_not_found(id: Id) -> Error {
    Error::because(ErrorCode::NotFound, Reason::NoUser { id })
}

fn extension_refused() -> Error {
    Error::new(
        ErrorCode::PermissionDenied,
        "This organization refuses role, license and budget changes from provisioning: an \
         Administrator sets them in the app.",
    )
}

async fn settings_of(conn: &mut AnyConnection, org: Id) -> Result<ScimSettings> {
    let (license, extension): (i64, String) =
        sqlx::query_as("SELECT scim_license_new, scim_extension FROM orgs WHERE id = $1")
            .bind(org)
            .fetch_one(&mut *conn)
            .await
            .map_err(internal)?;
    Ok(ScimSettings {
        license_new_users: license != 0,
        extension: ExtensionPolicy::parse(&extension)
            .ok_or_else(|| internal(format!("unknown extension policy {extension}")))?,
    })
}

/// Reads a user live or deactivated (deleted), with what provisioning keeps of them.
async fn load_any(
    conn: &mut AnyConnection,
    org: Id,
    id: Id,
    now: Timestamp,
) -> Result<(ScimUser, Option<Timestamp>)> {
    let sql = format!(
        "SELECT {USER_COLUMNS}, external_id, deleted_at FROM users \
         WHERE id = $2 AND org_id = $3 AND (deleted_at IS NULL OR scim_deleted = 0)"
    );
    let row = sqlx::query(&sql)
        .bind(now.month_start().0)
        .bind(id)
        .bind(org)
        .fetch_optional(&mut *conn)
        .await
        .map_err(internal)?
        .ok_or_else(|| user_not_found(id))?;
    scim_user_of(&row)
}

fn scim_user_of(row: &sqlx::any::AnyRow) -> Result<(ScimUser, Option<Timestamp>)> {
    let user = user_from_row(row)?;
    let external_id: Option<String> = row.try_get(10).map_err(internal)?;
    let deleted: Option<i64> = row.try_get(11).map_err(internal)?;
    Ok((
        ScimUser {
            user,
            external_id,
            active: deleted.is_none(),
        },
        deleted.map(Timestamp),
    ))
}

fn snapshot(u: &ScimUser) -> serde_json::Value {
    json!({
        "email": u.user.email.as_str(),
        "phone": u.user.phone.as_ref().map(Phone::e164),
        "role": u.user.role.as_str(),
        "licensed": u.user.licensed,
        "budget": u.user.budget.map(Usd::decimal),
        "external_id": u.external_id,
        "active": u.active,
    })
}

/// The extension's changes the organization's settings let through (`None` values: leave).
fn admitted(ext: &ScimExtension, settings: &ScimSettings, current: &User) -> Result<ScimExtension> {
    let changes = ScimExtension {
        role: ext.role.filter(|r| *r != current.role),
        licensed: ext.licensed.filter(|l| *l != current.licensed),
        budget: ext
            .budget
            .map(|b| b.filter(|b| b.0 > 0))
            .filter(|b| *b != current.budget),
    };
    match settings.extension {
        ExtensionPolicy::Apply => Ok(changes),
        ExtensionPolicy::Ignore => Ok(ScimExtension::default()),
        ExtensionPolicy::Refuse if changes.is_empty() => Ok(changes),
        ExtensionPolicy::Refuse => Err(extension_refused()),
    }
}

impl Store {
    /// Creates a provisioning token named `name` whose SHA-256 (hex) is `hash`; the token itself
    /// is shown once by whoever made it and never stored. Administrators only.
    pub async fn create_scim_token(
        &self,
        caller: &Caller,
        name: &str,
        hash: &str,
        now: Timestamp,
    ) -> Result<ScimToken> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(Error::invalid(
                "Name the token (1 to 100 characters), e.g. after the identity provider that uses it.",
            )
            .on_field("name"));
        }
        let mut w = self.write(caller, now).await?;
        w.authorize(&Action::ManageProvisioning)?;
        let (id,): (Id,) = sqlx::query_as(
            "INSERT INTO scim_tokens (org_id, name, hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(caller.org)
        .bind(name)
        .bind(hash)
        .bind(now.0)
        .fetch_one(&mut *w.tx)
        .await
        .map_err(internal)?;
        w.audit("scim_token.create", name, None, Some(json!({"name": name})))
            .await?;
        w.commit().await?;
        Ok(ScimToken {
            id,
            name: name.to_string(),
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        })
    }

    /// The organization's provisioning tokens, newest first (revoked ones too). Administrators
    /// only.
    pub async fn scim_tokens(&self, caller: &Caller) -> Result<Vec<ScimToken>> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        policy::authorize(
            &actor(&mut conn, caller).await?,
            &Action::ManageProvisioning,
        )?;
        let sql =
            format!("SELECT {TOKEN_COLUMNS} FROM scim_tokens WHERE org_id = $1 ORDER BY id DESC");
        let rows: Vec<TokenRow> = sqlx::query_as(&sql)
            .bind(caller.org)
            .fetch_all(&mut *conn)
            .await
            .map_err(internal)?;
        Ok(rows.into_iter().map(token_of).collect())
    }

    /// Revokes a provisioning token: it is refused from now on. Administrators only.
    pub async fn revoke_scim_token(
        &self,
        caller: &Caller,
        id: Id,
        now: Timestamp,
    ) -> Result<ScimToken> {
        let mut w = self.write(caller, now).await?;
        w.authorize(&Action::ManageProvisioning)?;
        let sql = format!(
            "UPDATE scim_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND org_id = $3 RETURNING {TOKEN_COLUMNS}"
        );
        let row: Option<TokenRow> = sqlx::query_as(&sql)
            .bind(now.0)
            .bind(id)
            .bind(caller.org)
            .fetch_optional(&mut *w.tx)
            .await
            .map_err(internal)?;
        let token = token_of(row.ok_or_else(|| {
            Error::new(
                ErrorCode::NotFound,
                format!("There is no provisioning token {id}."),
            )
        })?);
        w.audit(
            "scim_token.revoke",
            &token.name,
            Some(json!({"name": token.name})),
            None,
        )
        .await?;
        w.commit().await?;
        Ok(token)
    }

    /// The provisioning token of `org` whose SHA-256 is `hash`, as a caller, unless revoked.
    /// Notes when it was used (at most once a minute).
    pub async fn scim_authenticate(
        &self,
        org: Id,
        hash: &str,
        now: Timestamp,
    ) -> Result<Option<Caller>> {
        let row: Option<(Id, String, Option<i64>)> = sqlx::query_as(
            "SELECT id, hash, last_used_at FROM scim_tokens WHERE hash = $1 AND org_id = $2 AND revoked_at IS NULL",
        )
        .bind(hash)
        .bind(org)
        .fetch_optional(self.pool())
        .await
        .map_err(internal)?;
        let Some((id, stored, used)) = row else {
            return Ok(None);
        };
        if !constant_time_eq(stored.as_bytes(), hash.as_bytes()) {
            return Ok(None);
        }
        if used.is_none_or(|u| now.0 - u >= LAST_USED_EVERY_MS) {
            let mut tx = self.begin_write(Some(org)).await?;
            sqlx::query("UPDATE scim_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now.0)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
            tx.commit().await?;
        }
        Ok(Some(Caller::provisioning(org, id)))
    }

    /// The organization's provisioning settings (Administrators and its tokens).
    pub async fn scim_settings(&self, caller: &Caller) -> Result<ScimSettings> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        policy::authorize(&actor(&mut conn, caller).await?, &Action::ViewUsers)?;
        settings_of(&mut conn, caller.org).await
    }

    /// Changes the organization's provisioning settings. Administrators only.
    pub async fn set_scim_settings(
        &self,
        caller: &Caller,
        settings: ScimSettings,
        now: Timestamp,
    ) -> Result<ScimSettings> {
        let mut w = self.write(caller, now).await?;
        w.authorize(&Action::ManageProvisioning)?;
        let before = settings_of(&mut w.tx, caller.org).await?;
        sqlx::query("UPDATE orgs SET scim_license_new = $1, scim_extension = $2 WHERE id = $3")
            .bind(i64::from(settings.license_new_users))
            .bind(settings.extension.as_str())
            .bind(caller.org)
            .execute(&mut *w.tx)
            .await
            .map_err(internal)?;
        let as_json = |s: &ScimSettings| json!({"license_new_users": s.license_new_users, "extension": s.extension.as_str()});
        w.audit(
            "scim.settings",
            "provisioning",
            Some(as_json(&before)),
            Some(as_json(&settings)),
        )
        .await?;
        w.commit().await?;
        Ok(settings)
    }

    /// One user, active or deactivated.
    pub async fn scim_user(&self, caller: &Caller, id: Id, now: Timestamp) -> Result<ScimUser> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        policy::authorize(&actor(&mut conn, caller).await?, &Action::ViewUsers)?;
        Ok(load_any(&mut conn, caller.org, id, now).await?.0)
    }

    /// The users `filter` selects (active or deactivated), by id: the total, and `count` of
    /// them from the `start`th (0-based).
    pub async fn scim_users(
        &self,
        caller: &Caller,
        filter: &ScimFilter,
        start: i64,
        count: i64,
        now: Timestamp,
    ) -> Result<(i64, Vec<ScimUser>)> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        policy::authorize(&actor(&mut conn, caller).await?, &Action::ViewUsers)?;
        // A userName that is not an email names nobody.
        let email = match &filter.name {
            Some(n) => match Email::parse(n) {
                Ok(e) => Some(e.as_str().to_string()),
                Err(_) => return Ok((0, Vec::new())),
            },
            None => None,
        };
        let mut cond = String::from(
            "org_id = $2 AND (deleted_at IS NULL OR scim_deleted = 0) \
             AND ($3 IS NULL OR id = $3) AND ($4 IS NULL OR email = $4) AND ($5 IS NULL OR external_id = $5)",
        );
        if self.backend() == crate::Backend::Postgres {
            cond = cond
                .replace("$3 IS NULL", "$3::BIGINT IS NULL")
                .replace("$4 IS NULL", "$4::TEXT IS NULL")
                .replace("$5 IS NULL", "$5::TEXT IS NULL");
        }
        let (total,): (i64,) = sqlx::query_as(&format!(
            "SELECT COUNT(*) FROM users WHERE $1 = $1 AND {cond}"
        ))
        .bind(0_i64)
        .bind(caller.org)
        .bind(filter.id)
        .bind(email.clone())
        .bind(filter.external_id.clone())
        .fetch_one(&mut *conn)
        .await
        .map_err(internal)?;
        let sql = format!(
            "SELECT {USER_COLUMNS}, external_id, deleted_at FROM users WHERE {cond} ORDER BY id LIMIT $6 OFFSET $7"
        );
        let rows = sqlx::query(&sql)
            .bind(now.month_start().0)
            .bind(caller.org)
            .bind(filter.id)
            .bind(email)
            .bind(filter.external_id.clone())
            .bind(count.max(0))
            .bind(start.max(0))
            .fetch_all(&mut *conn)
            .await
            .map_err(internal)?;
        let users = rows
            .iter()
            .map(|r| scim_user_of(r).map(|(u, _)| u))
            .collect::<Result<Vec<_>>>()?;
        Ok((total, users))
    }

    /// Creates a user as provisioning states it: the role User unless the extension says
    /// otherwise (and the settings let it), and a license when the settings ask for one (or
    /// the extension does), while seats last.
    pub async fn scim_create_user(
        &self,
        caller: &Caller,
        new: ScimUserState,
        now: Timestamp,
    ) -> Result<ScimUser> {
        let mut w = self.write(caller, now).await?;
        let settings = settings_of(&mut w.tx, caller.org).await?;
        let blank = User {
            id: 0,
            email: new.email.clone(),
            phone: None,
            role: Role::User,
            licensed: false,
            budget: None,
            usage: Usd(0),
            created_at: now,
            updated_at: now,
            version: 0,
        };
        let ext = admitted(&new.extension, &settings, &blank)?;
        let role = ext.role.unwrap_or(Role::User);
        w.authorize(&Action::CreateUser { role })?;
        let licensed = new.active && ext.licensed.unwrap_or(settings.license_new_users);
        let budget = ext.budget.flatten();
        if budget.is_some() {
            w.authorize(&Action::SetBudget)?;
        }
        if licensed {
            w.authorize(&Action::ManageLicenses)?;
            let c = counters(&mut w.tx, caller.org).await?;
            policy::ensure_seats(c.purchased, c.licensed + 1)?;
        }
        let row = NewRow {
            email: &new.email,
            phone: new.phone.as_ref(),
            role,
            licensed,
            budget,
            external_id: new.external_id.as_deref(),
            deleted_at: (!new.active).then_some(now),
        };
        let id = users::insert(&mut w, &row).await?;
        if new.active {
            let admins = policy::administrators_delta(None, Some(role));
            bump_counters(&mut w.tx, caller.org, 1, i64::from(licensed), admins).await?;
            w.feed(FeedEntity::User, id, ChangeOp::Upsert).await?;
        }
        let (user, _) = load_any(&mut w.tx, caller.org, id, now).await?;
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

    /// Makes a user what provisioning states (a `PUT`, or a `PATCH` applied to what was read),
    /// only if they are still at `expected_version` when one is given. `active: false`
    /// deactivates them as a deletion does (the seat back to the pool, restorable);
    /// `active: true` restores them.
    pub async fn scim_update_user(
        &self,
        caller: &Caller,
        id: Id,
        to: ScimUserState,
        expected_version: Option<i64>,
        now: Timestamp,
    ) -> Result<ScimUser> {
        let mut w = self.write(caller, now).await?;
        let settings = settings_of(&mut w.tx, caller.org).await?;
        let (before, deleted_at) = load_any(&mut w.tx, caller.org, id, now).await?;
        crate::users::check_version(&before.user, expected_version)?;
        let ext = admitted(&to.extension, &settings, &before.user)?;
        let mut after = before.clone();
        after.user.email = to.email.clone();
        after.user.phone = to.phone.clone();
        after.external_id = to.external_id.clone();
        after.active = to.active;
        let target = before.user.role;
        let details_change = after.user.email != before.user.email
            || after.user.phone != before.user.phone
            || after.external_id != before.external_id;
        if details_change {
            w.authorize(&Action::EditUser { target })?;
        }
        if let Some(role) = ext.role {
            w.authorize(&Action::ChangeRole {
                target_id: id,
                from: target,
                to: role,
            })?;
            after.user.role = role;
        }
        if let Some(budget) = ext.budget {
            w.authorize(&Action::SetBudget)?;
            after.user.budget = budget;
        }
        // Coming back or leaving.
        if to.active && !before.active {
            w.authorize(&Action::RestoreUser { target })?;
            let expired = deleted_at.is_some_and(|d| d.plus_days(RESTORE_WINDOW_DAYS) < now);
            if expired {
                return Err(Error::because(
                    ErrorCode::NotFound,
                    Reason::RestoreExpired {
                        email: before.user.email.to_string(),
                        days: RESTORE_WINDOW_DAYS,
                    },
                ));
            }
        }
        if !to.active && before.active {
            w.authorize(&Action::DeleteUser {
                target_id: id,
                target,
            })?;
        }
        after.user.licensed = if !to.active {
            false
        } else {
            match ext.licensed {
                Some(l) => l,
                // A user coming back gets a license as a new one would.
                None if !before.active => settings.license_new_users,
                None => before.user.licensed,
            }
        };
        if after.user.licensed != before.user.licensed && to.active && before.active
            || after.user.licensed && !before.active
        {
            w.authorize(&Action::ManageLicenses)?;
        }
        if after == before {
            return Ok(before);
        }
        // The counters: live users, licenses, Administrators, before and after.
        let live = |u: &ScimUser| i64::from(u.active);
        let lic = |u: &ScimUser| i64::from(u.active && u.user.licensed);
        let role_of = |u: &ScimUser| u.active.then_some(u.user.role);
        let total = live(&after) - live(&before);
        let licensed = lic(&after) - lic(&before);
        let admins = policy::administrators_delta(role_of(&before), role_of(&after));
        let c = counters(&mut w.tx, caller.org).await?;
        if licensed > 0 {
            policy::ensure_seats(c.purchased, c.licensed + licensed)?;
        }
        if admins < 0 {
            policy::ensure_administrator_remains(c.admins + admins)?;
        }
        let deleted = match (before.active, after.active) {
            (true, false) => Some(now.0),
            (false, false) => deleted_at.map(|d| d.0),
            (_, true) => None,
        };
        sqlx::query(
            "UPDATE users SET email = $1, phone = $2, role = $3, licensed = $4, budget_micros = $5, \
             external_id = $6, deleted_at = $7, scim_deleted = 0, updated_at = $8, version = version + 1 \
             WHERE id = $9 AND org_id = $10",
        )
        .bind(after.user.email.as_str())
        .bind(after.user.phone.as_ref().map(Phone::e164))
        .bind(after.user.role.as_str())
        .bind(i64::from(after.user.licensed))
        .bind(after.user.budget.map(|b| b.0))
        .bind(after.external_id.clone())
        .bind(deleted)
        .bind(now.0)
        .bind(id)
        .bind(caller.org)
        .execute(&mut *w.tx)
        .await
        .map_err(|e| taken_or_internal(e, || users::email_taken(&after.user.email)))?;
        bump_counters(&mut w.tx, caller.org, total, licensed, admins).await?;
        let op = if after.active {
            ChangeOp::Upsert
        } else {
            ChangeOp::Delete
        };
        if after.active || before.active {
            w.feed(FeedEntity::User, id, op).await?;
        }
        let action = match (before.active, after.active) {
            (true, false) => "user.delete",
            (false, true) => "user.restore",
            _ if after.user.role != before.user.role => "user.role",
            _ if after.user.licensed != before.user.licensed => "user.license",
            _ => "user.edit",
        };
        let email = before.user.email.to_string();
        w.audit(
            action,
            &email,
            Some(snapshot(&before)),
            Some(snapshot(&after)),
        )
        .await?;
        let (saved, _) = load_any(&mut w.tx, caller.org, id, now).await?;
        w.commit().await?;
        Ok(saved)
    }

    /// Deletes a user for provisioning (`DELETE /Users/{id}`): deleted as the app deletes
    /// (restorable by an Administrator), and no longer seen by provisioning.
    pub async fn scim_delete_user(
        &self,
        caller: &Caller,
        id: Id,
        expected_version: Option<i64>,
        now: Timestamp,
    ) -> Result<()> {
        let mut w = self.write(caller, now).await?;
        let (before, _) = load_any(&mut w.tx, caller.org, id, now).await?;
        crate::users::check_version(&before.user, expected_version)?;
        let target = before.user.role;
        w.authorize(&Action::DeleteUser {
            target_id: id,
            target,
        })?;
        if before.active {
            let admins = policy::administrators_delta(Some(target), None);
            if admins < 0 {
                let c = counters(&mut w.tx, caller.org).await?;
                policy::ensure_administrator_remains(c.admins + admins)?;
            }
            let licensed = -i64::from(before.user.licensed);
            bump_counters(&mut w.tx, caller.org, -1, licensed, admins).await?;
            w.feed(FeedEntity::User, id, ChangeOp::Delete).await?;
        }
        sqlx::query(
            "UPDATE users SET deleted_at = COALESCE(deleted_at, $1), scim_deleted = 1, licensed = 0, \
             updated_at = $1, version = version + 1 WHERE id = $2",
        )
        .bind(now.0)
        .bind(id)
        .execute(&mut *w.tx)
        .await
        .map_err(internal)?;
        let email = before.user.email.to_string();
        w.audit("user.delete", &email, Some(snapshot(&before)), None)
            .await?;
        w.commit().await
    }

    /// One group with its members.
    pub async fn scim_group(&self, caller: &Caller, id: Id) -> Result<ScimGroup> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        policy::authorize(&actor(&mut conn, caller).await?, &Action::ViewUsers)?;
        group_of(&mut conn, caller.org, id).await
    }

    /// The groups `filter` selects, by id: the total, and `count` of them from the `start`th.
    pub async fn scim_groups(
        &self,
        caller: &Caller,
        filter: &ScimFilter,
        start: i64,
        count: i64,
    ) -> Result<(i64, Vec<ScimGroup>)> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        policy::authorize(&actor(&mut conn, caller).await?, &Action::ViewUsers)?;
        let rows: Vec<(Id, String, Option<String>)> = sqlx::query_as(
            "SELECT id, name, external_id FROM directory WHERE org_id = $1 AND kind = 'group' ORDER BY id",
        )
        .bind(caller.org)
        .fetch_all(&mut *conn)
        .await
        .map_err(internal)?;
        let chosen: Vec<Id> = rows
            .into_iter()
            .filter(|(id, name, external)| {
                filter.id.is_none_or(|f| f == *id)
                    && filter.name.as_ref().is_none_or(|n| n == name)
                    && filter
                        .external_id
                        .as_ref()
                        .is_none_or(|x| external.as_ref() == Some(x))
            })
            .map(|(id, _, _)| id)
            .collect();
        let total = chosen.len() as i64;
        let mut out = Vec::new();
        for id in chosen
            .into_iter()
            .skip(start.max(0) as usize)
            .take(count.max(0) as usize)
        {
            out.push(group_of(&mut conn, caller.org, id).await?);
        }
        Ok((total, out))
    }

    /// Creates a group with these members. (Two transactions: a group left without its
    /// members by a failure in between is found by its name when the identity provider tries
    /// again, and given them.)
    pub async fn scim_create_group(
        &self,
        caller: &Caller,
        name: &str,
        external_id: Option<String>,
        members: &[Id],
        now: Timestamp,
    ) -> Result<ScimGroup> {
        let item = self
            .create_item(caller, omni_core::model::DirectoryKind::Group, name, now)
            .await?;
        if members.is_empty() && external_id.is_none() {
            return self.scim_group(caller, item.id).await;
        }
        self.scim_update_group(
            caller,
            item.id,
            GroupChange {
                name: None,
                external_id: Some(external_id),
                members: Members::Set(members.to_vec()),
            },
            None,
            now,
        )
        .await
    }

    /// Renames a group and changes its members in one transaction, only if it is still at
    /// `expected_version` when one is given. Its version moves with every change.
    pub async fn scim_update_group(
        &self,
        caller: &Caller,
        id: Id,
        change: GroupChange,
        expected_version: Option<i64>,
        now: Timestamp,
    ) -> Result<ScimGroup> {
        let GroupChange {
            name,
            external_id,
            members,
        } = change;
        let mut w = self.write(caller, now).await?;
        w.authorize(&Action::ManageDirectory)?;
        let before = group_of(&mut w.tx, caller.org, id).await?;
        if expected_version.is_some_and(|v| v != before.group.version) {
            return Err(Error::new(
                ErrorCode::StaleVersion,
                format!(
                    "The group {} was changed since it was read: read it again.",
                    before.group.name
                ),
            ));
        }
        let current: Vec<Id> = before.members.iter().map(|m| m.0).collect();
        let (add, remove): (Vec<Id>, Vec<Id>) = match members {
            Members::Set(ids) => (
                ids.iter()
                    .filter(|i| !current.contains(i))
                    .copied()
                    .collect(),
                current
                    .iter()
                    .filter(|i| !ids.contains(i))
                    .copied()
                    .collect(),
            ),
            Members::Change { add, remove } => (add, remove),
        };
        let mut changed = false;
        if let Some(external_id) = external_id.filter(|x| *x != before.external_id) {
            sqlx::query("UPDATE directory SET external_id = $1 WHERE id = $2")
                .bind(external_id)
                .bind(id)
                .execute(&mut *w.tx)
                .await
                .map_err(internal)?;
            changed = true;
        }
        if let Some(name) = name
            .as_deref()
            .map(str::trim)
            .filter(|n| *n != before.group.name)
        {
            if name.is_empty() {
                return Err(Error::because(
                    ErrorCode::InvalidInput,
                    Reason::ItemNameMissing {
                        kind: omni_core::model::DirectoryKind::Group,
                    },
                ));
            }
            sqlx::query("UPDATE directory SET name = $1 WHERE id = $2")
                .bind(name)
                .bind(id)
                .execute(&mut *w.tx)
                .await
                .map_err(|e| {
                    taken_or_internal(e, || {
                        Error::because(
                            ErrorCode::AlreadyExists,
                            Reason::ItemExists {
                                kind: omni_core::model::DirectoryKind::Group,
                                name: name.to_string(),
                            },
                        )
                    })
                })?;
            let (was, is) = (json!({"name": before.group.name}), json!({"name": name}));
            w.audit("group.rename", name, Some(was), Some(is)).await?;
            changed = true;
        }
        for user in add {
            live_user(&mut w, user).await?;
            let row: Option<(Id,)> = sqlx::query_as(
                "INSERT INTO links (org_id, kind, a_id, b_id, created_at) VALUES ($1, 'user_group', $2, $3, $4) \
                 ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(caller.org)
            .bind(user)
            .bind(id)
            .bind(now.0)
            .fetch_optional(&mut *w.tx)
            .await
            .map_err(internal)?;
            if let Some((link,)) = row {
                w.feed(FeedEntity::Link, link, ChangeOp::Upsert).await?;
                let target = format!("{user} → {}", before.group.name);
                let is = json!({"kind": "user_group"});
                w.audit("link.add", &target, None, Some(is)).await?;
                changed = true;
            }
        }
        for user in remove {
            let row: Option<(Id,)> = sqlx::query_as(
                "DELETE FROM links WHERE org_id = $1 AND kind = 'user_group' AND a_id = $2 AND b_id = $3 RETURNING id",
            )
            .bind(caller.org)
            .bind(user)
            .bind(id)
            .fetch_optional(&mut *w.tx)
            .await
            .map_err(internal)?;
            if let Some((link,)) = row {
                w.feed(FeedEntity::Link, link, ChangeOp::Delete).await?;
                let target = format!("{user} → {}", before.group.name);
                let was = json!({"kind": "user_group"});
                w.audit("link.remove", &target, Some(was), None).await?;
                changed = true;
            }
        }
        if !changed {
            return Ok(before);
        }
        sqlx::query("UPDATE directory SET updated_at = $1, version = version + 1 WHERE id = $2")
            .bind(now.0)
            .bind(id)
            .execute(&mut *w.tx)
            .await
            .map_err(internal)?;
        w.feed(FeedEntity::Directory, id, ChangeOp::Upsert).await?;
        let after = group_of(&mut w.tx, caller.org, id).await?;
        w.commit().await?;
        Ok(after)
    }

    /// Deletes a group and its links.
    pub async fn scim_delete_group(
        &self,
        caller: &Caller,
        id: Id,
        expected_version: Option<i64>,
        now: Timestamp,
    ) -> Result<()> {
        if let Some(v) = expected_version {
            let g = self.scim_group(caller, id).await?;
            if g.group.version != v {
                return Err(Error::new(
                    ErrorCode::StaleVersion,
                    "The group was changed since it was read: read it again.",
                ));
            }
        }
        self.delete_item(
            caller,
            Some(omni_core::model::DirectoryKind::Group),
            id,
            now,
        )
        .await
    }
}

/// A user a group may list: one provisioning sees (active or deactivated: a deactivated
/// member keeps their groups, as a deleted user keeps their links until restored).
async fn live_user(w: &mut Write, user: Id) -> Result<()> {
    let row: Option<(Id,)> = sqlx::query_as(
        "SELECT id FROM users WHERE id = $1 AND org_id = $2 AND (deleted_at IS NULL OR scim_deleted = 0)",
    )
    .bind(user)
    .bind(w.caller.org)
    .fetch_optional(&mut *w.tx)
    .await
    .map_err(internal)?;
    row.map(|_| ())
        .ok_or_else(|| Error::because(ErrorCode::NotFound, Reason::NoUserWithId { id: user }))
}

async fn group_of(conn: &mut AnyConnection, org: Id, id: Id) -> Result<ScimGroup> {
    let group = item_by_id(conn, org, id)
        .await?
        .filter(|i| i.kind == omni_core::model::DirectoryKind::Group)
        .ok_or_else(|| {
            Error::because(
                ErrorCode::NotFound,
                Reason::NoItem {
                    kind: omni_core::model::DirectoryKind::Group,
                    id,
                },
            )
        })?;
    let (external_id,): (Option<String>,) =
        sqlx::query_as("SELECT external_id FROM directory WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await
            .map_err(internal)?;
    let members: Vec<(Id, String)> = sqlx::query_as(
        "SELECT u.id, u.email FROM links l JOIN users u ON u.id = l.a_id \
         WHERE l.org_id = $1 AND l.kind = 'user_group' AND l.b_id = $2 \
         AND (u.deleted_at IS NULL OR u.scim_deleted = 0) ORDER BY u.id",
    )
    .bind(org)
    .bind(id)
    .fetch_all(&mut *conn)
    .await
    .map_err(internal)?;
    Ok(ScimGroup {
        group,
        external_id,
        members,
    })
}

/// Compares two byte strings in time that depends on their length only.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
