//! CSV export of the whole list or of the current view, streamed from the database to the
//! writer row by row (memory does not grow with the organization).

use std::io::Write;

use futures_util::TryStreamExt;
use omni_core::csv::{ExportRecord, ExportWriter};
use omni_core::error::Result;
use omni_core::model::Timestamp;
use omni_core::policy::{self, Action};
use omni_core::Error;
use serde::{Deserialize, Serialize};

use crate::db::{actor, internal};
use crate::import::Progress;
use crate::list::UserQuery;
use crate::rows::user_from_row;
use crate::{Caller, Store};

/// What to export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum ExportScope {
    /// Every user, by email.
    All,
    /// The rows the table shows for this query (its filters and sort; paging ignored).
    View { query: UserQuery },
}

fn io(e: std::io::Error) -> Error {
    Error::internal(format!("Cannot write the export: {e}."))
}

impl Store {
    /// Writes the CSV export to `out` and returns it with the number of users written.
    pub async fn export<W: Write + Send>(
        &self,
        caller: &Caller,
        scope: &ExportScope,
        out: W,
        progress: &(dyn Fn(Progress) + Sync),
        now: Timestamp,
    ) -> Result<(W, u64)> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        let a = actor(&mut conn, caller).await?;
        policy::authorize(&a, &Action::ViewUsers)?;
        let query = match scope {
            ExportScope::All => UserQuery::default(),
            ExportScope::View { query } => query.clone(),
        };
        let (sql, args) = crate::list::select_all(&query, caller.org, now)?;
        let total = crate::list::page(
            &mut conn,
            caller.org,
            &UserQuery {
                limit: 1,
                ..query.clone()
            },
            now,
        )
        .await?
        .total;
        let mut writer = ExportWriter::new(out).map_err(io)?;
        let mut rows = sqlx::query_with(&sql, args).fetch(&mut *conn);
        let mut n: u64 = 0;
        while let Some(row) = rows.try_next().await.map_err(internal)? {
            let u = user_from_row(&row)?;
            writer
                .write(&ExportRecord {
                    email: u.email.as_str(),
                    phone: u.phone.as_ref(),
                    role: u.role,
                    licensed: u.licensed,
                    budget: u.budget,
                    usage: u.usage,
                    created_at: u.created_at,
                    updated_at: u.updated_at,
                })
                .map_err(io)?;
            n += 1;
            if n % 50_000 == 0 {
                progress(Progress {
                    done: n,
                    total: total as u64,
                });
            }
        }
        drop(rows);
        progress(Progress { done: n, total: n });
        Ok((writer.finish().map_err(io)?, n))
    }
}
