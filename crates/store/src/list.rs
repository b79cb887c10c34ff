//! The users table: search, filters, sorting and paging that stay fast at a million users.
//!
//! Search matches the beginning of the email (`ana` finds `ana.silva@acme.com`), or of the
//! domain when the term starts with `@` (`@acme` finds everyone at acme.com); both are index
//! range scans. Counts of filtered views stop at [`COUNT_CAP`] so a broad filter never scans the
//! whole table; the unfiltered total comes from the organization's counters.

use omni_core::error::Result;
use omni_core::model::{Role, Timestamp, User};
use omni_core::policy::{self, Action};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyArguments;
use sqlx::{AnyConnection, Arguments};

use crate::db::{actor_and_counters, internal};
use crate::dialect::Backend;
use crate::org::Counters;
use crate::rows::{user_from_row, users_from_json, USER_COLUMNS};
use crate::{Caller, Store};

/// Filtered counts stop here; the UI shows "10,000+".
pub const COUNT_CAP: i64 = 10_000;

/// A column to sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SortField {
    #[default]
    Email,
    Phone,
    Role,
    License,
    Budget,
    Usage,
    Created,
    Updated,
}

impl SortField {
    /// Every sort order, as the table offers them.
    pub const ALL: [SortField; 8] = [
        SortField::Email,
        SortField::Phone,
        SortField::Role,
        SortField::License,
        SortField::Budget,
        SortField::Usage,
        SortField::Created,
        SortField::Updated,
    ];

    /// The ORDER BY keys, each matching an index (ties on low-cardinality columns break by
    /// creation order, which those indexes carry for free).
    fn keys(self) -> &'static [&'static str] {
        match self {
            SortField::Email => &["email"],
            SortField::Phone => &["phone", "id"],
            SortField::Role => &["role", "id"],
            SortField::License => &["licensed", "id"],
            SortField::Budget => &["budget_micros", "id"],
            // Last month's usage reads as zero: the current month sorts above older ones.
            SortField::Usage => &["usage_month", "usage_micros", "id"],
            SortField::Created => &["id"],
            SortField::Updated => &["updated_at", "id"],
        }
    }
}

impl std::str::FromStr for SortField {
    type Err = omni_core::Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "email" => SortField::Email,
            "phone" => SortField::Phone,
            "role" => SortField::Role,
            "license" | "licensed" => SortField::License,
            "budget" => SortField::Budget,
            "usage" => SortField::Usage,
            "created" | "created_at" => SortField::Created,
            "updated" | "updated_at" => SortField::Updated,
            other => {
                return Err(omni_core::Error::invalid(format!(
                    "Cannot sort by {other:?}: use email, phone, role, license, budget, usage, created or updated."
                )))
            }
        })
    }
}

/// What part of the table to read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UserQuery {
    /// Start of the email, or `@` and the start of the domain.
    pub search: Option<String>,
    pub role: Option<Role>,
    pub licensed: Option<bool>,
    /// Only users at or above 80 % of a budget.
    pub near_or_over_budget: bool,
    pub sort: SortField,
    pub descending: bool,
    pub offset: u64,
    pub limit: u32,
}

/// One page of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UserPage {
    pub users: Vec<User>,
    /// Users matching the query; at most [`COUNT_CAP`] when `total_capped`.
    pub total: i64,
    pub total_capped: bool,
}

/// The WHERE clause and its arguments after `$1` (the month start).
struct Filter {
    sql: String,
    args: AnyArguments<'static>,
    next: usize,
}

impl Filter {
    fn new(org: i64, month: i64) -> Result<Filter> {
        let mut args = AnyArguments::default();
        args.add(month).map_err(internal)?;
        args.add(org).map_err(internal)?;
        Ok(Filter {
            sql: "org_id = $2 AND deleted_at IS NULL".into(),
            args,
            next: 3,
        })
    }
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

/// `[lo, hi)` covering every string that starts with `prefix`.
fn prefix_range(prefix: &str) -> (String, String) {
    (prefix.to_string(), format!("{prefix}\u{10FFFF}"))
}

fn filter(q: &UserQuery, org: i64, month: i64, backend: Backend) -> Result<Filter> {
    let mut f = Filter::new(org, month)?;
    if let Some(term) = q
        .search
        .as_deref()
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
    {
        if let Some(domain) = term.strip_prefix('@') {
            let (lo, hi) = prefix_range(domain);
            let domain = backend.domain();
            f.push(|n| format!("{domain} >= ${n}"), lo)?;
            f.push(|n| format!("{domain} < ${n}"), hi)?;
        } else {
            let (lo, hi) = prefix_range(&term);
            f.push(|n| format!("email >= ${n}"), lo)?;
            f.push(|n| format!("email < ${n}"), hi)?;
        }
    }
    if let Some(role) = q.role {
        // A literal (from a fixed set) so the planner can use the partial index on non-User roles.
        f.sql.push_str(&format!(" AND role = '{}'", role.as_str()));
        // The partial index holds the roles that see every agent.
        if policy::sees_every_agent(role) {
            f.sql.push_str(" AND role <> 'user'");
        }
    }
    if let Some(l) = q.licensed {
        f.push(|n| format!("licensed = ${n}"), i64::from(l))?;
    }
    if q.near_or_over_budget {
        f.sql.push_str(
            " AND budget_micros IS NOT NULL AND usage_month = $1 AND usage_micros * 10 >= budget_micros * 8",
        );
    }
    Ok(f)
}

/// The SELECT for every row matching `q` in its order, without paging (for exports).
pub(crate) fn select_all(
    q: &UserQuery,
    org: i64,
    now: Timestamp,
    backend: Backend,
) -> Result<(String, AnyArguments<'static>)> {
    let f = filter(q, org, now.month_start().0, backend)?;
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users WHERE {} ORDER BY {}",
        f.sql,
        order_by(q, backend)
    );
    Ok((sql, f.args))
}

/// True when the rows of `q` come in plain email order, so they can be read in chunks that each
/// start after the previous chunk's last email (keyset paging).
pub(crate) fn email_ordered(q: &UserQuery) -> bool {
    q.sort == SortField::Email
        && !q
            .search
            .as_deref()
            .is_some_and(|t| t.trim().starts_with('@'))
}

/// The next `limit` rows of an [`email_ordered`] query after the email `after`, packed into one
/// row: a JSON array of `[email, phone, role, licensed, budget, usage, created, updated]`, and
/// the chunk's last email when the chunk is full (more may follow).
pub(crate) fn select_chunk_json(
    q: &UserQuery,
    org: i64,
    now: Timestamp,
    after: Option<&str>,
    limit: u32,
    backend: Backend,
) -> Result<(String, AnyArguments<'static>)> {
    let mut f = filter(q, org, now.month_start().0, backend)?;
    let (dir, op, last) = if q.descending {
        ("DESC", "<", "MIN")
    } else {
        ("ASC", ">", "MAX")
    };
    if let Some(after) = after {
        f.push(|n| format!("email {op} ${n}"), after.to_string())?;
    }
    let packed = backend.json_agg_array(
        "email, phone, role, licensed, budget_micros, \
         CASE WHEN usage_month = $1 THEN usage_micros ELSE 0 END, created_at, updated_at",
        &format!("email {dir}"),
    );
    let sql = format!(
        "SELECT {packed}, CASE WHEN COUNT(*) = {limit} THEN {last}(email) END \
         FROM (SELECT * FROM users WHERE {} ORDER BY email {dir} LIMIT {limit}) AS chunk",
        f.sql
    );
    Ok((sql, f.args))
}

/// Sort keys that may be NULL (no phone, no budget): the smallest value on every backend.
const NULLABLE_KEYS: &[&str] = &["phone", "budget_micros"];

fn order_by(q: &UserQuery, backend: Backend) -> String {
    let dir = if q.descending { "DESC" } else { "ASC" };
    let domain_search = q
        .search
        .as_deref()
        .is_some_and(|t| t.trim().starts_with('@'));
    let keys: &[&str] = if domain_search && q.sort == SortField::Email {
        // Domain searches read the domain index: by domain, then creation.
        &[backend.domain(), "id"]
    } else {
        q.sort.keys()
    };
    keys.iter()
        .map(|k| backend.order_term(k, dir, NULLABLE_KEYS.contains(k)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One page of `q`, given the organization's counters (read beside the caller's role).
pub(crate) async fn page(
    conn: &mut AnyConnection,
    org: i64,
    q: &UserQuery,
    now: Timestamp,
    c: &Counters,
) -> Result<UserPage> {
    let month = now.month_start().0;
    let backend = Backend::of(conn);
    let f = filter(q, org, month, backend)?;
    let order = order_by(q, backend);
    let limit = q.limit.clamp(1, 1000);
    let users = match backend {
        // On SQLite the page comes packed into one JSON value: one row to hand over from the
        // database's thread instead of one per user (each row is a message between threads;
        // 2.4x the pages per second under load).
        Backend::Sqlite => {
            // The aggregate states the order itself (SQLite 3.44 and later): pages have many sort
            // orders, which the reader could not check, and few rows, which sort at no cost.
            let sql = format!(
                "SELECT json_group_array(json_array({USER_COLUMNS}) ORDER BY {order}) FROM (SELECT * FROM users WHERE {} ORDER BY {order} \
                 LIMIT {limit} OFFSET {}) AS page",
                f.sql, q.offset
            );
            let (json,): (String,) = sqlx::query_as_with(&sql, f.args)
                .fetch_one(&mut *conn)
                .await
                .map_err(internal)?;
            users_from_json(&json)?
        }
        // PostgreSQL streams rows over its socket at no such cost; building JSON there is slower.
        Backend::Postgres => {
            let sql = format!(
                "SELECT {USER_COLUMNS} FROM users WHERE {} ORDER BY {order} LIMIT {limit} OFFSET {}",
                f.sql, q.offset
            );
            let rows = sqlx::query_with(&sql, f.args)
                .fetch_all(&mut *conn)
                .await
                .map_err(internal)?;
            rows.iter().map(user_from_row).collect::<Result<Vec<_>>>()?
        }
    };
    // Exact totals the organization's counters already hold; a capped count otherwise.
    let plain = q.search.as_deref().is_none_or(|t| t.trim().is_empty()) && !q.near_or_over_budget;
    let known = match (plain, q.role, q.licensed) {
        (true, None, None) => Some(c.total),
        (true, None, Some(true)) => Some(c.licensed),
        (true, None, Some(false)) => Some(c.total - c.licensed),
        (true, Some(role), None) if policy::is_administrator(role) => Some(c.admins),
        _ => None,
    };
    let (total, total_capped) = match known {
        Some(n) => (n, false),
        None => {
            // Arguments are consumed by a query: build the same filter again for the count.
            let f = filter(q, org, month, backend)?;
            let sql = format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM users WHERE {} LIMIT {}) AS capped",
                f.sql,
                COUNT_CAP + 1
            );
            let (n,): (i64,) = sqlx::query_as_with(&sql, f.args)
                .fetch_one(&mut *conn)
                .await
                .map_err(internal)?;
            (n.min(COUNT_CAP), n > COUNT_CAP)
        }
    };
    Ok(UserPage {
        users,
        total,
        total_capped,
    })
}

impl Store {
    /// One page of the users table.
    pub async fn list_users(
        &self,
        caller: &Caller,
        q: &UserQuery,
        now: Timestamp,
    ) -> Result<UserPage> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        let (a, counters) = actor_and_counters(&mut conn, caller).await?;
        policy::authorize(&a, &Action::ViewUsers)?;
        page(&mut conn, caller.org, q, now, &counters).await
    }
}
