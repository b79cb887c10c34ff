//! Uploads waiting between their preview and their commit, kept in the database so that every
//! server process on it sees them: an import uploaded through one process commits through
//! another (their files lie in a folder all the processes share; the server keeps those). An
//! upload is taken for its commit in one statement, so two processes cannot both commit it.
//! Each person keeps at most a few uploads waiting; each waits a bounded time.

use omni_core::error::Result;
use omni_core::model::Timestamp;

use crate::db::{internal, json_text};
use crate::import::ImportOptions;
use crate::{Caller, Store};

/// An upload waiting for its commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// Its id, which names its file too.
    pub id: String,
    /// Who uploaded it: the only one who may commit it.
    pub caller: Caller,
    pub options: ImportOptions,
    pub bytes: u64,
    pub arrived: Timestamp,
}

type Row = (String, i64, i64, String, i64, i64);

fn upload((id, org, user, options, bytes, arrived): Row) -> Result<Upload> {
    Ok(Upload {
        id,
        caller: Caller { org, user },
        options: serde_json::from_str(&options).map_err(internal)?,
        bytes: u64::try_from(bytes).map_err(internal)?,
        arrived: Timestamp(arrived),
    })
}

impl Store {
    /// Keeps `u` waiting. Forgets the uploads that arrived before `expired_before` and, beyond
    /// `per_person - 1` of the uploader's own, their oldest; returns the ids forgotten (their
    /// files are to be deleted).
    pub async fn keep_upload(
        &self,
        u: &Upload,
        per_person: usize,
        expired_before: Timestamp,
    ) -> Result<Vec<String>> {
        let mut tx = self.begin_write(Some(u.caller.org)).await?;
        let mut gone: Vec<(String,)> =
            sqlx::query_as("DELETE FROM uploads WHERE arrived_at < $1 RETURNING id")
                .bind(expired_before.0)
                .fetch_all(&mut *tx)
                .await
                .map_err(internal)?;
        let keep = i64::try_from(per_person.saturating_sub(1)).unwrap_or(i64::MAX);
        let pushed: Vec<(String,)> = sqlx::query_as(
            "DELETE FROM uploads WHERE id IN (SELECT id FROM uploads \
             WHERE org_id = $1 AND caller_id = $2 ORDER BY arrived_at DESC, id DESC \
             LIMIT -1 OFFSET $3) RETURNING id"
                .replace("LIMIT -1 ", self.no_limit())
                .as_str(),
        )
        .bind(u.caller.org)
        .bind(u.caller.user)
        .bind(keep)
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        gone.extend(pushed);
        self.insert_upload(&mut tx, u).await?;
        tx.commit().await?;
        Ok(gone.into_iter().map(|(id,)| id).collect())
    }

    /// Keeps `u` waiting again (its commit was refused for a reason the person can fix).
    pub async fn put_back_upload(&self, u: &Upload) -> Result<()> {
        let mut tx = self.begin_write(Some(u.caller.org)).await?;
        self.insert_upload(&mut tx, u).await?;
        tx.commit().await
    }

    async fn insert_upload(&self, tx: &mut crate::engine::WriteTx, u: &Upload) -> Result<()> {
        sqlx::query(
            "INSERT INTO uploads (id, org_id, caller_id, options, bytes, arrived_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&u.id)
        .bind(u.caller.org)
        .bind(u.caller.user)
        .bind(json_text(&u.options)?)
        .bind(i64::try_from(u.bytes).map_err(internal)?)
        .bind(u.arrived.0)
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
        Ok(())
    }

    /// Takes `caller`'s upload `id` for its commit (no other process can take it then), if it
    /// waits and arrived at `expired_before` or later.
    pub async fn take_upload(
        &self,
        caller: &Caller,
        id: &str,
        expired_before: Timestamp,
    ) -> Result<Option<Upload>> {
        let mut tx = self.begin_write(Some(caller.org)).await?;
        let row: Option<Row> = sqlx::query_as(
            "DELETE FROM uploads WHERE id = $1 AND org_id = $2 AND caller_id = $3 \
             AND arrived_at >= $4 \
             RETURNING id, org_id, caller_id, options, bytes, arrived_at",
        )
        .bind(id)
        .bind(caller.org)
        .bind(caller.user)
        .bind(expired_before.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await?;
        row.map(upload).transpose()
    }

    /// Forgets the uploads that arrived before `expired_before`; returns their ids.
    pub async fn forget_uploads(&self, expired_before: Timestamp) -> Result<Vec<String>> {
        let mut tx = self.begin_write(None).await?;
        let gone: Vec<(String,)> =
            sqlx::query_as("DELETE FROM uploads WHERE arrived_at < $1 RETURNING id")
                .bind(expired_before.0)
                .fetch_all(&mut *tx)
                .await
                .map_err(internal)?;
        tx.commit().await?;
        Ok(gone.into_iter().map(|(id,)| id).collect())
    }

    /// How a statement says "no limit" before an `OFFSET`.
    fn no_limit(&self) -> &'static str {
        match self.backend {
            crate::Backend::Sqlite => "LIMIT -1 ",
            crate::Backend::Postgres => "LIMIT ALL ",
        }
    }
}
