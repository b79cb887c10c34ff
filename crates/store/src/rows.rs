//! Reading users back from rows, or from pages the database packed as JSON.

use omni_core::model::{Id, Role, Timestamp, Usd, User};
use omni_core::{Email, Phone};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::internal;

/// The values every user query selects, in the order [`user_from_row`] reads them: as the
/// columns of a row, or as the elements of a JSON array ([`users_from_json`]), hence no
/// aliases. `$1` in the surrounding query must be the current month's start, so last month's
/// usage reads as zero.
pub(crate) const USER_COLUMNS: &str = "id, email, phone, role, licensed, budget_micros, \
     CASE WHEN usage_month = $1 THEN usage_micros ELSE 0 END, created_at, updated_at, version";

/// How many values [`USER_COLUMNS`] selects.
pub(crate) const USER_WIDTH: usize = 10;

/// One user packed by the database as a JSON array of [`USER_COLUMNS`].
type PackedUser = (
    Id,
    String,
    Option<String>,
    String,
    i64,
    Option<i64>,
    i64,
    i64,
    i64,
    i64,
);

/// Users packed into one JSON array by the database: a page of the table crosses from the
/// database's thread as one value instead of a row at a time.
pub(crate) fn users_from_json(json: &str) -> omni_core::error::Result<Vec<User>> {
    let packed: Vec<PackedUser> = serde_json::from_str(json).map_err(internal)?;
    packed.into_iter().map(user_from_values).collect()
}

pub(crate) fn user_from_row(row: &AnyRow) -> omni_core::error::Result<User> {
    let get = |i: usize| row.try_get::<i64, _>(i).map_err(internal);
    user_from_values((
        get(0)?,
        row.try_get(1).map_err(internal)?,
        row.try_get(2).map_err(internal)?,
        row.try_get(3).map_err(internal)?,
        get(4)?,
        row.try_get(5).map_err(internal)?,
        get(6)?,
        get(7)?,
        get(8)?,
        get(9)?,
    ))
}

/// A user from the stored values of [`USER_COLUMNS`], in order.
fn user_from_values(
    (id, email, phone, role, licensed, budget, usage, created, updated, version): PackedUser,
) -> omni_core::error::Result<User> {
    Ok(User {
        id,
        email: Email::from_stored(email),
        phone: phone.and_then(|p| Phone::from_stored(&p)),
        role: Role::from_stored(&role).ok_or_else(|| internal(format!("unknown role {role}")))?,
        licensed: licensed != 0,
        budget: budget.map(Usd),
        usage: Usd(usage),
        created_at: Timestamp(created),
        updated_at: Timestamp(updated),
        version,
    })
}
