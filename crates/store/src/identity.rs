//! Sign-in identities: which user of which organization an Entra ID person is.
//!
//! A person is identified by the token's tenant and object id (`tid`, `oid`), never by the
//! email, which a person can change and an administrator can reuse. The email only matters
//! once: at the person's first sign-in it links them to the registered user with that email,
//! and only when the token's tenant is the organization's own (a guest from another tenant, or
//! another tenant claiming the same address, links nothing). Later sign-ins use the link alone.

use omni_core::error::Result;
use omni_core::model::{Id, Timestamp};
use omni_core::{Email, Error};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::db::internal;
use crate::{audit, Caller, Store};

/// A stored link between an Entra ID person and a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub tenant: String,
    pub object_id: String,
    pub org: Id,
    pub user: Id,
    pub linked_at: Timestamp,
}

/// What a validated access token says about who is signing in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn<'a> {
    /// `tid`
    pub tenant: &'a str,
    /// `oid`
    pub object_id: &'a str,
    /// The sign-in name (`preferred_username`, `email` or `upn`), when the token carries one.
    pub email: Option<&'a Email>,
}

fn not_registered() -> Error {
    Error::denied(
        "Your account is not a registered user of this organization: ask an administrator to add you.",
    )
}

/// The user (tenant, oid) is linked to, if any: (org, user).
async fn linked(conn: &mut sqlx::AnyConnection, who: &SignIn<'_>) -> Result<Option<(Id, Id)>> {
    sqlx::query_as("SELECT org_id, user_id FROM identities WHERE tenant = $1 AND object_id = $2")
        .bind(who.tenant)
        .bind(who.object_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(internal)
}

/// The live user `user` of `org` as a caller, when the identity's link still holds.
async fn live(conn: &mut sqlx::AnyConnection, linked_org: Id, org: Id, user: Id) -> Result<Caller> {
    if linked_org != org {
        return Err(not_registered());
    }
    let live: Option<(Id,)> =
        sqlx::query_as("SELECT id FROM users WHERE id = $1 AND org_id = $2 AND deleted_at IS NULL")
            .bind(user)
            .bind(org)
            .fetch_optional(&mut *conn)
            .await
            .map_err(internal)?;
    live.map(|_| Caller { org, user })
        .ok_or_else(not_registered)
}

impl Store {
    /// Resolves the person signing in to a user of `org`, linking them by email at their first
    /// sign-in (see the module docs). Denied when the person is not, or no longer, a user there.
    pub async fn sign_in(&self, org: Id, who: &SignIn<'_>, now: Timestamp) -> Result<Caller> {
        {
            let mut conn = self.pool().acquire().await.map_err(internal)?;
            if let Some((linked_org, user)) = linked(&mut conn, who).await? {
                return live(&mut conn, linked_org, org, user).await;
            }
        }
        // First sign-in: link by email, only within the organization's own tenant.
        let Some(email) = who.email else {
            return Err(not_registered());
        };
        let mut tx = self.begin_write(Some(org)).await?;
        // Concurrent first requests of one person: the first links, the others find its link.
        if let Some((linked_org, user)) = linked(&mut tx, who).await? {
            return live(&mut tx, linked_org, org, user).await;
        }
        let tenant: Option<(Option<String>,)> =
            sqlx::query_as("SELECT entra_tenant FROM orgs WHERE id = $1")
                .bind(org)
                .fetch_optional(&mut *tx)
                .await
                .map_err(internal)?;
        if tenant.and_then(|t| t.0).as_deref() != Some(who.tenant) {
            return Err(not_registered());
        }
        let user: Option<(Id,)> = sqlx::query_as(
            "SELECT u.id FROM users u WHERE u.org_id = $1 AND u.email = $2 AND u.deleted_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.user_id = u.id)",
        )
        .bind(org)
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(internal)?;
        let Some((user,)) = user else {
            return Err(not_registered());
        };
        sqlx::query(
            "INSERT INTO identities (tenant, object_id, org_id, user_id, linked_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(who.tenant)
        .bind(who.object_id)
        .bind(org)
        .bind(user)
        .bind(now.0)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        let caller = Caller { org, user };
        audit::record(
            &mut tx,
            &caller,
            now,
            "identity.link",
            email.as_str(),
            None,
            Some(json!({"tenant": who.tenant, "object_id": who.object_id})),
        )
        .await?;
        tx.commit().await.map_err(internal)?;
        Ok(caller)
    }

    /// The identities linked to users of `org` (for operators and tests).
    pub async fn identities(&self, org: Id) -> Result<Vec<Identity>> {
        let rows: Vec<(String, String, Id, Id, i64)> = sqlx::query_as(
            "SELECT tenant, object_id, org_id, user_id, linked_at FROM identities WHERE org_id = $1 ORDER BY linked_at, user_id",
        )
        .bind(org)
        .fetch_all(self.pool())
        .await
        .map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|(tenant, object_id, org, user, at)| Identity {
                tenant,
                object_id,
                org,
                user,
                linked_at: Timestamp(at),
            })
            .collect())
    }
}
