//! Small pieces every operation shares: error mapping, the acting user, sequence numbers.

use omni_core::error::Result;
use omni_core::model::{Id, Role};
use omni_core::policy::Actor;
use omni_core::{Error, ErrorCode, Reason};
use sqlx::AnyConnection;

use crate::org::Counters;
use crate::Caller;

/// A storage failure, for the person: says the database failed and what it said. The one
/// place every failure of the store passes through: a database that does not answer (or whose
/// disk is full) is told apart here ([`crate::outage`]), so each operation reports it as
/// [`omni_core::ErrorCode::Unavailable`] (or `InsufficientStorage`) without knowing of it, and
/// an error the store already classified keeps its code.
pub(crate) fn internal<E: std::fmt::Display + 'static>(e: E) -> Error {
    let any: &dyn std::any::Any = &e;
    if let Some(classified) = any.downcast_ref::<Error>() {
        return classified.clone();
    }
    let code = match any.downcast_ref::<sqlx::Error>() {
        Some(e) => crate::outage::code_of_sqlx(e),
        None => any
            .downcast_ref::<rusqlite::Error>()
            .and_then(crate::outage::code_of_rusqlite),
    };
    match code {
        Some(code) => crate::outage::error(code, &e),
        None => Error::internal(format!("The database failed: {e}.")),
    }
}

/// `value` as JSON text, to bind where a statement reads its rows from one JSON array
/// ([`crate::dialect::Backend::id_in_json`], [`crate::dialect::Backend::json_rows`]).
pub(crate) fn json_text<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(internal)
}

/// `taken()` when `e` is a UNIQUE constraint violation (the name or email is in use), else
/// [`internal`].
pub(crate) fn taken_or_internal(e: sqlx::Error, taken: impl FnOnce() -> Error) -> Error {
    if is_unique_violation(&e) {
        taken()
    } else {
        internal(e)
    }
}

/// True when `e` is a UNIQUE constraint violation.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => d.is_unique_violation(),
        _ => false,
    }
}

/// The caller as the policy sees them, with their role as stored now. A provisioning token's
/// caller ([`Caller::provisioning`]) is its token, which must not be revoked.
pub(crate) async fn actor(conn: &mut AnyConnection, caller: &Caller) -> Result<Actor> {
    if let Some(token) = caller.token() {
        return crate::scim::token_actor(conn, caller.org, token).await;
    }
    let row: Option<(Id, String)> = sqlx::query_as(
        "SELECT id, role FROM users WHERE id = $1 AND org_id = $2 AND deleted_at IS NULL",
    )
    .bind(caller.user)
    .bind(caller.org)
    .fetch_optional(&mut *conn)
    .await
    .map_err(internal)?;
    let (id, role) = row.ok_or_else(not_registered)?;
    actor_of(id, &role)
}

/// The caller as [`actor`] reads them and their organization's counters, in one statement: the
/// two reads every view of the table and of the summary starts with.
pub(crate) async fn actor_and_counters(
    conn: &mut AnyConnection,
    caller: &Caller,
) -> Result<(Actor, Counters)> {
    let row: Option<CallerRow> = sqlx::query_as(
        "SELECT u.id, u.role, o.seats_purchased, o.users_total, o.users_licensed, o.users_admins \
         FROM users u JOIN orgs o ON o.id = u.org_id \
         WHERE u.id = $1 AND u.org_id = $2 AND u.deleted_at IS NULL",
    )
    .bind(caller.user)
    .bind(caller.org)
    .fetch_optional(&mut *conn)
    .await
    .map_err(internal)?;
    let (id, role, purchased, total, licensed, admins) = row.ok_or_else(not_registered)?;
    Ok((
        actor_of(id, &role)?,
        counters_of(purchased, total, licensed, admins),
    ))
}

/// A caller's id and role, and their organization's seats and counters.
type CallerRow = (Id, String, i64, i64, i64, i64);

pub(crate) fn actor_of(id: Id, role: &str) -> Result<Actor> {
    Ok(Actor::user(id, stored_role(role)?))
}

fn counters_of(purchased: i64, total: i64, licensed: i64, admins: i64) -> Counters {
    Counters {
        purchased,
        total,
        licensed,
        admins,
    }
}

pub(crate) fn not_registered() -> Error {
    Error::because(ErrorCode::PermissionDenied, Reason::NotRegistered)
}

pub(crate) fn stored_role(role: &str) -> Result<Role> {
    Role::from_stored(role).ok_or_else(|| internal(format!("unknown role {role}")))
}

/// [`reserve_seq`]'s statement: `$1` numbers for organization `$2`; returns the last of them.
pub(crate) const RESERVE_SEQ: &str =
    "UPDATE orgs SET last_seq = last_seq + $1 WHERE id = $2 RETURNING last_seq";

/// Reserves `n` consecutive sequence numbers of the organization's change feed and returns the
/// first. The row lock on the organization serialises writers, so sequence numbers become
/// visible in order (a reader never skips a number that commits later).
pub(crate) async fn reserve_seq(conn: &mut AnyConnection, org: Id, n: i64) -> Result<i64> {
    let (last,): (i64,) = sqlx::query_as(RESERVE_SEQ)
        .bind(n)
        .bind(org)
        .fetch_one(&mut *conn)
        .await
        .map_err(internal)?;
    Ok(last - n + 1)
}
