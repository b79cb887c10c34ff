//! The organization: creating it with its owner, the dashboard counters, the seat pool, and
//! resolving who acts.

use omni_core::error::Result;
use omni_core::model::{Id, Seats, Summary, Timestamp};
use omni_core::policy::{self, Action};
use omni_core::{Email, Error, ErrorCode, Reason};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;

use crate::db::{actor_and_counters, internal};
use crate::feed::{self, ChangeOp, FeedEntity};
use crate::{audit, Backend, Caller, Store};

/// An organization as its administrators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Org {
    pub id: Id,
    pub name: String,
    pub owner_email: String,
    pub entra_tenant: Option<String>,
    pub created_at: Timestamp,
}

type OrgRow = (Id, String, String, Option<String>, i64);

fn org_from(r: OrgRow) -> Org {
    Org {
        id: r.0,
        name: r.1,
        owner_email: r.2,
        entra_tenant: r.3,
        created_at: Timestamp(r.4),
    }
}

/// The seat pool and counters, read in a transaction.
pub(crate) struct Counters {
    pub purchased: i64,
    pub total: i64,
    pub licensed: i64,
    pub admins: i64,
}

pub(crate) async fn counters(conn: &mut AnyConnection, org: Id) -> Result<Counters> {
    let (purchased, total, licensed, admins): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT seats_purchased, users_total, users_licensed, users_admins FROM orgs WHERE id = $1",
    )
    .bind(org)
    .fetch_one(&mut *conn)
    .await
    .map_err(internal)?;
    Ok(Counters {
        purchased,
        total,
        licensed,
        admins,
    })
}

/// [`bump_counters`]'s statement: adds `$1` users, `$2` licensed users and `$3` Administrators
/// to organization `$4`'s counters.
pub(crate) const BUMP_COUNTERS: &str = "UPDATE orgs SET users_total = users_total + $1, \
     users_licensed = users_licensed + $2, users_admins = users_admins + $3 WHERE id = $4";

/// Adds to the organization's counters (negative to subtract).
pub(crate) async fn bump_counters(
    conn: &mut AnyConnection,
    org: Id,
    total: i64,
    licensed: i64,
    admins: i64,
) -> Result<()> {
    if total == 0 && licensed == 0 && admins == 0 {
        return Ok(());
    }
    sqlx::query(BUMP_COUNTERS)
        .bind(total)
        .bind(licensed)
        .bind(admins)
        .bind(org)
        .execute(&mut *conn)
        .await
        .map_err(internal)?;
    Ok(())
}

impl Store {
    /// Creates an organization whose owner is its first Administrator, with `seats` purchased.
    /// Returns the owner as a [`Caller`].
    pub async fn create_org(
        &self,
        name: &str,
        owner: &Email,
        seats: i64,
        entra_tenant: Option<&str>,
        now: Timestamp,
    ) -> Result<Caller> {
        let name = checked_org(name, seats)?;
        let mut tx = self.begin_write(None).await?;
        let caller = insert_org(&mut tx, name, owner, seats, entra_tenant, now).await?;
        tx.commit().await.map_err(internal)?;
        Ok(caller)
    }

    /// Creates the organization of a local database (the desktop app's, the CLI's), which
    /// holds one: refused when there is one already. The check and the insert are one
    /// transaction, so two first runs at once create one organization, not two.
    pub async fn create_local_org(
        &self,
        name: &str,
        owner: &Email,
        seats: i64,
        now: Timestamp,
    ) -> Result<Caller> {
        let name = checked_org(name, seats)?;
        let mut tx = self.begin_write(None).await?;
        if let Some(lock) = Backend::of(&tx).lock_orgs_for_insert() {
            sqlx::query(lock)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
        }
        let existing: Option<(Id,)> = sqlx::query_as("SELECT id FROM orgs LIMIT 1")
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
        if existing.is_some() {
            return Err(Error::because(ErrorCode::AlreadyExists, Reason::OrgExists));
        }
        let caller = insert_org(&mut tx, name, owner, seats, None, now).await?;
        tx.commit().await.map_err(internal)?;
        Ok(caller)
    }

    /// The organizations in this database, oldest first (the local app and CLI use the first).
    pub async fn orgs(&self) -> Result<Vec<Org>> {
        let rows: Vec<OrgRow> = sqlx::query_as(
            "SELECT id, name, owner_email, entra_tenant, created_at FROM orgs ORDER BY id",
        )
        .fetch_all(self.pool())
        .await
        .map_err(internal)?;
        Ok(rows.into_iter().map(org_from).collect())
    }

    /// The organization bound to an Entra ID tenant.
    pub async fn org_by_tenant(&self, tenant: &str) -> Result<Option<Org>> {
        let row: Option<OrgRow> = sqlx::query_as("SELECT id, name, owner_email, entra_tenant, created_at FROM orgs WHERE entra_tenant = $1")
            .bind(tenant)
            .fetch_optional(self.pool())
            .await
            .map_err(internal)?;
        Ok(row.map(org_from))
    }

    /// The local organization: the only one in a desktop or CLI database.
    pub async fn local_org(&self) -> Result<Org> {
        self.orgs()
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::because(ErrorCode::NotInitialized, Reason::NotInitialized))
    }

    /// The live user with `email` in `org`, as a caller.
    pub async fn caller_by_email(&self, org: Id, email: &Email) -> Result<Caller> {
        match self.user_id(org, email).await {
            Ok(user) => Ok(Caller { org, user }),
            Err(e) if e.code == ErrorCode::NotFound => Err(Error::denied(format!(
                "{email} is not a registered user of this organization."
            ))),
            Err(e) => Err(e),
        }
    }

    /// True while `caller` is a live (not deleted) user of their organization.
    pub async fn is_live(&self, caller: &Caller) -> Result<bool> {
        let row: Option<(Id,)> = sqlx::query_as(
            "SELECT id FROM users WHERE id = $1 AND org_id = $2 AND deleted_at IS NULL",
        )
        .bind(caller.user)
        .bind(caller.org)
        .fetch_optional(self.pool())
        .await
        .map_err(internal)?;
        Ok(row.is_some())
    }

    /// The organization's owner as a caller (falls back to the oldest Administrator when the
    /// owner's account was deleted).
    pub async fn owner(&self, org: &Org) -> Result<Caller> {
        if let Ok(email) = Email::parse(&org.owner_email) {
            if let Ok(c) = self.caller_by_email(org.id, &email).await {
                return Ok(c);
            }
        }
        let row: Option<(Id,)> = sqlx::query_as(
            "SELECT id FROM users WHERE org_id = $1 AND role = 'administrator' AND deleted_at IS NULL ORDER BY id LIMIT 1",
        )
        .bind(org.id)
        .fetch_optional(self.pool())
        .await
        .map_err(internal)?;
        row.map(|(user,)| Caller { org: org.id, user })
            .ok_or_else(|| internal("the organization has no Administrator"))
    }

    /// The dashboard counters and the seat pool. O(1): read from counters kept by every write.
    pub async fn summary(&self, caller: &Caller) -> Result<Summary> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        let (actor, c) = actor_and_counters(&mut conn, caller).await?;
        policy::authorize(&actor, &Action::ViewUsers)?;
        Ok(Summary {
            total_users: c.total,
            licensed: c.licensed,
            unlicensed: c.total - c.licensed,
            administrators: c.admins,
            seats: Seats::new(c.purchased, c.licensed),
        })
    }

    /// Sets the number of purchased seats (never below those assigned).
    pub async fn set_seats(&self, caller: &Caller, seats: i64, now: Timestamp) -> Result<Seats> {
        let mut w = self.write(caller, now).await?;
        w.authorize(&Action::SetSeats)?;
        let c = counters(&mut w.tx, caller.org).await?;
        policy::ensure_seat_count(seats, c.licensed)?;
        sqlx::query("UPDATE orgs SET seats_purchased = $1 WHERE id = $2")
            .bind(seats)
            .bind(caller.org)
            .execute(&mut *w.tx)
            .await
            .map_err(internal)?;
        w.feed(FeedEntity::Org, caller.org, ChangeOp::Upsert)
            .await?;
        let (was, is) = (json!({"seats": c.purchased}), json!({"seats": seats}));
        w.audit("seats.set", "license pool", Some(was), Some(is))
            .await?;
        w.commit().await?;
        Ok(Seats::new(seats, c.licensed))
    }

    /// Recounts users from the rows themselves (for checks and tests): (total, licensed, admins).
    pub async fn recount(&self, org: Id) -> Result<(i64, i64, i64)> {
        sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(licensed), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN role = 'administrator' THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM users WHERE org_id = $1 AND deleted_at IS NULL",
        )
        .bind(org)
        .fetch_one(self.pool())
        .await
        .map_err(internal)
    }
}

/// The organization's name, trimmed, once it and the seat count can be used.
fn checked_org(name: &str, seats: i64) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::because(
            ErrorCode::InvalidInput,
            Reason::OrgNameMissing,
        ));
    }
    policy::ensure_seat_count(seats, 0)?;
    Ok(name)
}

/// Inserts an organization with its owner, its counters, its feed entries and its audit line.
async fn insert_org(
    tx: &mut AnyConnection,
    name: &str,
    owner: &Email,
    seats: i64,
    entra_tenant: Option<&str>,
    now: Timestamp,
) -> Result<Caller> {
    let (org,): (Id,) = sqlx::query_as(
        "INSERT INTO orgs (name, owner_email, seats_purchased, entra_tenant, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(name)
    .bind(owner.as_str())
    .bind(seats)
    .bind(entra_tenant)
    .bind(now.0)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            Error::new(ErrorCode::AlreadyExists, "An organization is already bound to that Entra ID tenant.")
        } else {
            internal(e)
        }
    })?;
    let (user,): (Id,) = sqlx::query_as(
        "INSERT INTO users (org_id, email, role, created_at, updated_at) VALUES ($1, $2, 'administrator', $3, $3) RETURNING id",
    )
    .bind(org)
    .bind(owner.as_str())
    .bind(now.0)
    .fetch_one(&mut *tx)
    .await
    .map_err(internal)?;
    bump_counters(tx, org, 1, 0, 1).await?;
    feed::append(tx, org, FeedEntity::Org, org, ChangeOp::Upsert, now).await?;
    feed::append(tx, org, FeedEntity::User, user, ChangeOp::Upsert, now).await?;
    let caller = Caller { org, user };
    audit::record(
        tx,
        &caller,
        now,
        "org.create",
        name,
        None,
        Some(json!({"owner": owner.as_str(), "seats": seats})),
    )
    .await?;
    Ok(caller)
}
