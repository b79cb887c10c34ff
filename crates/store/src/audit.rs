//! The audit log: who did what to whom, with the state before and after, written in the same
//! transaction as the change it records; read a page at a time, filtered, or exported as CSV.
//!
//! Entries carry structured fields (the action's code, the actor's email, the target, the
//! states as JSON); front ends say them in their own words (the desktop app makes a sentence of
//! each in the person's language). Pages go newest first by (time, id), after the last entry
//! shown (keyset paging: a page deep in a log of a million entries costs what the first does),
//! and every filter is served by an index of migration 0008 in that same order.

use std::io::Write;

use futures_util::TryStreamExt;
use omni_core::csv::{AuditRecord, AuditWriter};
use omni_core::error::Result;
use omni_core::model::{Id, Timestamp};
use omni_core::Error;
use serde::{Deserialize, Serialize};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{AnyConnection, Arguments, Row};

use crate::db::internal;
use crate::import::Progress;
use crate::{Caller, Store};

/// One privileged change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditEntry {
    pub id: Id,
    pub at: Timestamp,
    /// The email of who acted (empty when their account is gone).
    pub actor: String,
    /// What was done: `user.create`, `license.assign`, `group.rename`, ... (see [`ACTIONS`]).
    pub action: String,
    /// What it was done to: an email, an item's name, `a → b` for a link.
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Every action the store writes to the audit log.
pub const ACTIONS: [&str; 23] = [
    "org.create",
    "seats.set",
    "user.create",
    "user.edit",
    "user.role",
    "user.delete",
    "user.restore",
    "license.assign",
    "license.unassign",
    "users.import",
    "demo.generate",
    "identity.link",
    "group.create",
    "group.rename",
    "group.delete",
    "workspace.create",
    "workspace.rename",
    "workspace.delete",
    "agent.create",
    "agent.rename",
    "agent.delete",
    "link.add",
    "link.remove",
];

/// Which entries to read: filters (all optional) and a page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct AuditQuery {
    /// Who acted: their email, exactly (any case).
    pub actor: Option<String>,
    /// What was done: one action's code (`license.assign`).
    pub action: Option<String>,
    /// What it was done to: an email (any case) or a name, exactly.
    pub target: Option<String>,
    /// From this time on (inclusive).
    pub from: Option<Timestamp>,
    /// Before this time (exclusive).
    pub until: Option<Timestamp>,
    /// Older than this entry: the id of the last entry already shown.
    pub before: Option<Id>,
    /// At most this many entries (1 to [`AuditQuery::MAX_LIMIT`]; 0 reads as 100).
    pub limit: u32,
}

impl AuditQuery {
    pub const MAX_LIMIT: u32 = 10_000;

    fn page_size(&self) -> u32 {
        match self.limit {
            0 => 100,
            n => n.min(Self::MAX_LIMIT),
        }
    }
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Whether older entries match too (ask again with `before` = the last entry's id).
    pub more: bool,
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

/// The WHERE clause of a query and its arguments (`$1` is the organization).
struct Filter {
    sql: String,
    args: AnyArguments<'static>,
    next: usize,
}

impl Filter {
    fn push<T>(&mut self, clause: impl Fn(usize) -> String, value: T) -> Result<()>
    where
        T: 'static + Send + sqlx::Encode<'static, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        self.sql.push_str(" AND ");
        self.sql.push_str(&clause(self.next));
        self.args.add(value).map_err(internal)?;
        self.next += 1;
        Ok(())
    }
}

/// Text a person typed as a filter: trimmed, `None` when blank; an email is compared in lower
/// case, as emails are stored.
fn typed(value: Option<&str>, email: bool) -> Option<String> {
    let v = value?.trim();
    if v.is_empty() {
        return None;
    }
    Some(if email || v.contains('@') {
        v.to_lowercase()
    } else {
        v.to_string()
    })
}

/// The filters of `q` (and, for a page, its position `after` = the last entry shown, as
/// (time, id)). Each equality filter is the leading column of its own index after the
/// organization, and the time bounds and the position are ranges on the index's next column,
/// so the planner reads one index range in order (see migration 0008).
fn filter(org: Id, q: &AuditQuery, after: Option<(i64, Id)>) -> Result<Filter> {
    let mut args = AnyArguments::default();
    args.add(org).map_err(internal)?;
    let mut f = Filter {
        sql: "org_id = $1".into(),
        args,
        next: 2,
    };
    if let Some(actor) = typed(q.actor.as_deref(), true) {
        f.push(|n| format!("actor_email = ${n}"), actor)?;
    }
    if let Some(action) = typed(q.action.as_deref(), false) {
        f.push(|n| format!("action = ${n}"), action)?;
    }
    if let Some(target) = typed(q.target.as_deref(), false) {
        f.push(|n| format!("target = ${n}"), target)?;
    }
    if let Some(from) = q.from {
        f.push(|n| format!("at >= ${n}"), from.0)?;
    }
    if let Some(until) = q.until {
        f.push(|n| format!("at < ${n}"), until.0)?;
    }
    if let Some((at, id)) = after {
        // `at <= t` bounds the index range; the rest only separates the ties at `t`.
        f.push(|n| format!("at <= ${n}"), at)?;
        f.push(|n| format!("(at < ${} OR id < ${n})", n - 1), id)?;
    }
    Ok(f)
}

const COLUMNS: &str = "id, at, actor_email, action, target, before, after";

fn entry(r: &AnyRow) -> Result<AuditEntry> {
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
}

/// The statement that reads a page of `q` after `after` (also what the plan test explains).
fn page_sql(org: Id, q: &AuditQuery, after: Option<(i64, Id)>) -> Result<(String, Filter)> {
    let mut f = filter(org, q, after)?;
    let limit = i64::from(q.page_size()) + 1;
    f.args.add(limit).map_err(internal)?;
    let sql = format!(
        "SELECT {COLUMNS} FROM audit WHERE {} ORDER BY at DESC, id DESC LIMIT ${}",
        f.sql, f.next
    );
    Ok((sql, f))
}

fn io(e: std::io::Error) -> Error {
    Error::internal(format!("Cannot write the audit export: {e}."))
}

impl Store {
    /// A page of the audit log, newest first: the entries matching `q`'s filters, older than
    /// `q.before` when given. Everyone who may view the users may read it.
    pub async fn audit(&self, caller: &Caller, q: &AuditQuery) -> Result<AuditPage> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        let actor = crate::db::actor(&mut conn, caller).await?;
        omni_core::policy::authorize(&actor, &omni_core::policy::Action::ViewUsers)?;
        let after = match q.before {
            None => None,
            Some(id) => {
                let at: Option<i64> =
                    sqlx::query_scalar("SELECT at FROM audit WHERE id = $1 AND org_id = $2")
                        .bind(id)
                        .bind(caller.org)
                        .fetch_optional(&mut *conn)
                        .await
                        .map_err(internal)?;
                // An entry of another organization, or none: nothing is older than it here.
                let Some(at) = at else {
                    return Ok(AuditPage::default());
                };
                Some((at, id))
            }
        };
        let (sql, f) = page_sql(caller.org, q, after)?;
        let rows = sqlx::query_with(&sql, f.args)
            .fetch_all(&mut *conn)
            .await
            .map_err(internal)?;
        let size = q.page_size() as usize;
        let more = rows.len() > size;
        let entries = rows
            .iter()
            .take(size)
            .map(entry)
            .collect::<Result<Vec<_>>>()?;
        Ok(AuditPage { entries, more })
    }

    /// How the database would read a page of `q` (SQLite's `EXPLAIN QUERY PLAN`, PostgreSQL's
    /// `EXPLAIN`), one line per step: for the tests that pin each filter to its index. On
    /// PostgreSQL, sorts and whole-table or bitmap scans are priced out first, as a large table
    /// prices them: a test's few rows would otherwise be read whole and sorted, whatever the
    /// indexes. A sort still shows when no index gives the page's order.
    pub async fn explain_audit(&self, org: Id, q: &AuditQuery, deep: bool) -> Result<String> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        let (sql, f) = page_sql(org, q, deep.then_some((i64::MAX / 2, Id::MAX / 2)))?;
        let mut tx = sqlx::Connection::begin(&mut *conn)
            .await
            .map_err(internal)?;
        let (explain, column) = match self.backend() {
            crate::Backend::Sqlite => ("EXPLAIN QUERY PLAN", 3),
            crate::Backend::Postgres => {
                for setting in ["enable_seqscan", "enable_bitmapscan", "enable_sort"] {
                    sqlx::query(&format!("SET LOCAL {setting} = off"))
                        .execute(&mut *tx)
                        .await
                        .map_err(internal)?;
                }
                ("EXPLAIN", 0)
            }
        };
        let rows = sqlx::query_with(&format!("{explain} {sql}"), f.args)
            .fetch_all(&mut *tx)
            .await
            .map_err(internal)?;
        tx.rollback().await.map_err(internal)?;
        let lines = rows
            .iter()
            .map(|r| r.try_get::<String, _>(column).map_err(internal))
            .collect::<Result<Vec<_>>>()?;
        Ok(lines.join("\n"))
    }

    /// Writes the entries matching `q`'s filters (not its page: every one, newest first) as
    /// CSV to `out`, in one read transaction; returns the writer and how many entries.
    pub async fn export_audit<W: Write + Send>(
        &self,
        caller: &Caller,
        q: &AuditQuery,
        out: W,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<(W, u64)> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        let mut tx = sqlx::Connection::begin(&mut *conn)
            .await
            .map_err(internal)?;
        let actor = crate::db::actor(&mut tx, caller).await?;
        omni_core::policy::authorize(&actor, &omni_core::policy::Action::ViewUsers)?;
        let counted = filter(caller.org, q, None)?;
        let total: i64 = sqlx::query_scalar_with(
            &format!("SELECT COUNT(*) FROM audit WHERE {}", counted.sql),
            counted.args,
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        let total = u64::try_from(total).unwrap_or(0);
        progress(Progress { done: 0, total });
        let f = filter(caller.org, q, None)?;
        let sql = format!(
            "SELECT {COLUMNS} FROM audit WHERE {} ORDER BY at DESC, id DESC",
            f.sql
        );
        let mut writer = AuditWriter::new(out).map_err(io)?;
        let mut n: u64 = 0;
        {
            let mut rows = sqlx::query_with(&sql, f.args).fetch(&mut *tx);
            while let Some(r) = rows.try_next().await.map_err(internal)? {
                let text = |i: usize| r.try_get::<String, _>(i).map_err(internal);
                let (actor, action, target) = (text(2)?, text(3)?, text(4)?);
                let before: Option<String> = r.try_get(5).map_err(internal)?;
                let after: Option<String> = r.try_get(6).map_err(internal)?;
                writer
                    .write(&AuditRecord {
                        at: Timestamp(r.try_get(1).map_err(internal)?),
                        actor: &actor,
                        action: &action,
                        target: &target,
                        before: before.as_deref(),
                        after: after.as_deref(),
                    })
                    .map_err(io)?;
                n += 1;
                if n % 10_000 == 0 {
                    progress(Progress { done: n, total });
                }
            }
        }
        tx.commit().await.map_err(internal)?;
        progress(Progress { done: n, total: n });
        Ok((writer.finish().map_err(io)?, n))
    }
}
