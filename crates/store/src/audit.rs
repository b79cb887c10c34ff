//! The audit log: who did what to whom, with the state before and after, written in the same
//! transaction as the change it records.

use omni_core::error::Result;
use omni_core::model::{Id, Timestamp};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

use crate::db::internal;
use crate::{Caller, Store};

/// One privileged change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditEntry {
    pub id: Id,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Records a change made by `caller` on `target` (an email or a name).
pub(crate) async fn record(
    conn: &mut AnyConnection,
    caller: &Caller,
    now: Timestamp,
    action: &str,
    target: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<()> {
    // The actor's email is read by the same statement (one round trip fewer per change).
    sqlx::query(
        "INSERT INTO audit (org_id, at, actor_id, actor_email, action, target, before, after) \
         VALUES ($1, $2, $3, COALESCE((SELECT email FROM users WHERE id = $3), \
         (SELECT 'SCIM: ' || name FROM scim_tokens WHERE id = 0 - $3), ''), \
         $4, $5, $6, $7)",
    )
    .bind(caller.org)
    .bind(now.0)
    .bind(caller.user)
    .bind(action)
    .bind(target)
    .bind(before.map(|v| v.to_string()))
    .bind(after.map(|v| v.to_string()))
    .execute(&mut *conn)
    .await
    .map_err(internal)?;
    Ok(())
}

impl Store {
    /// The newest audit entries first, at most `limit`, older than `before_id` when given.
    pub async fn audit(
        &self,
        caller: &Caller,
        limit: u32,
        before_id: Option<Id>,
    ) -> Result<Vec<AuditEntry>> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        let actor = crate::db::actor(&mut conn, caller).await?;
        omni_core::policy::authorize(&actor, &omni_core::policy::Action::ViewUsers)?;
        let rows = sqlx::query(
            "SELECT id, at, actor_email, action, target, before, after FROM audit \
             WHERE org_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(caller.org)
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(i64::from(limit.clamp(1, 10_000)))
        .fetch_all(&mut *conn)
        .await
        .map_err(internal)?;
        rows.iter()
            .map(|r| {
                let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
                Ok(AuditEntry {
                    id: r.try_get(0).map_err(internal)?,
                    at: Timestamp(r.try_get(1).map_err(internal)?),
                    actor: r.try_get(2).map_err(internal)?,
                    action: r.try_get(3).map_err(internal)?,
                    target: r.try_get(4).map_err(internal)?,
                    before: parse(r.try_get(5).map_err(internal)?),
                    after: parse(r.try_get(6).map_err(internal)?),
                })
            })
            .collect()
    }
}
