//! Reading users back from rows.

use omni_core::model::{Id, Role, Timestamp, Usd, User};
use omni_core::{Email, Phone};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::internal;

/// The column list every user query selects, in the order [`user_from_row`] reads. `$1` in the
/// surrounding query must be the current month's start, so last month's usage reads as zero.
pub(crate) const USER_COLUMNS: &str = "id, email, phone, role, licensed, budget_micros, \
     CASE WHEN usage_month = $1 THEN usage_micros ELSE 0 END AS usage_now, \
     created_at, updated_at, version";

pub(crate) fn user_from_row(row: &AnyRow) -> omni_core::error::Result<User> {
    let id: Id = row.try_get(0).map_err(internal)?;
    let email: String = row.try_get(1).map_err(internal)?;
    let phone: Option<String> = row.try_get(2).map_err(internal)?;
    let role: String = row.try_get(3).map_err(internal)?;
    let licensed: i64 = row.try_get(4).map_err(internal)?;
    let budget: Option<i64> = row.try_get(5).map_err(internal)?;
    let usage: i64 = row.try_get(6).map_err(internal)?;
    let created: i64 = row.try_get(7).map_err(internal)?;
    let updated: i64 = row.try_get(8).map_err(internal)?;
    let version: i64 = row.try_get(9).map_err(internal)?;
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
