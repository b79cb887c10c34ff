//! The few places where SQLite and PostgreSQL need different SQL, in one module.
//!
//! The store runs on both through sqlx's `Any` driver: one connection type, one set of
//! queries, so every rule and every statement exists once. The statements are written in the
//! dialect the two share (numbered `$N` parameters, `RETURNING`, `ON CONFLICT`, window
//! functions); what differs is chosen here from the connection's backend:
//!
//! - the domain part of an email (`instr` on SQLite, `strpos` on PostgreSQL), which must match
//!   the expression of the domain index in each schema;
//! - JSON packing of export chunks (`json_group_array` vs `json_agg`), and the other way: a
//!   JSON array bound as one text parameter read as rows (`json_each` vs
//!   `json_array_elements`), so a statement over many rows (an import's batch, a page of the
//!   feed) keeps one text and one prepared statement whatever their number;
//! - write transactions: `BEGIN IMMEDIATE` vs `BEGIN` + the organization's row `FOR UPDATE`
//!   (see `Store::begin_write`);
//! - where NULL sorts: SQLite takes it as the smallest value, PostgreSQL as the largest by
//!   default, so the table would put people without a phone or budget at the top on one and
//!   at the bottom on the other. Sort terms of nullable keys say `NULLS FIRST`/`LAST` on
//!   PostgreSQL, whose indexes of those keys are declared `NULLS FIRST` to match.
//!
//! Value types are kept to those `Any` carries on both: integers as `BIGINT`/`INTEGER` (the
//! `licensed` flag is stored, bound and read as 0/1, since `Any` cannot decode a SQLite integer
//! as a bool), text, and sums cast back to `BIGINT` (PostgreSQL's `SUM` is `NUMERIC`).

use omni_core::error::Result;
use sqlx::AnyConnection;

use crate::db::internal;

/// The database a [`crate::Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend of an open connection.
    pub(crate) fn of(conn: &AnyConnection) -> Backend {
        if conn.backend_name() == "PostgreSQL" {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// The statement that keeps other writers from inserting an organization until this
    /// transaction ends, so "is there one already?" and the insert are one step. SQLite needs
    /// none: `BEGIN IMMEDIATE` already lets one writer in at a time.
    pub(crate) fn lock_orgs_for_insert(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => Some("LOCK TABLE orgs IN SHARE ROW EXCLUSIVE MODE"),
        }
    }

    /// The domain part of `email`, exactly as the domain index is defined in this backend's
    /// schema (so the planner uses it).
    pub(crate) fn domain(self) -> &'static str {
        match self {
            Backend::Sqlite => "substr(email, instr(email, '@') + 1)",
            Backend::Postgres => "substr(email, strpos(email, '@') + 1)",
        }
    }

    /// The sort term for `key` in `dir` (`ASC` or `DESC`), with NULL as the smallest value on
    /// both backends when `nullable`.
    pub(crate) fn order_term(self, key: &str, dir: &str, nullable: bool) -> String {
        match self {
            Backend::Postgres if nullable => {
                let nulls = if dir == "DESC" { "LAST" } else { "FIRST" };
                format!("{key} {dir} NULLS {nulls}")
            }
            _ => format!("{key} {dir}"),
        }
    }

    /// A JSON array of the given SQL array elements, aggregated over rows in `order`, as text
    /// (`[]` when there are none). SQLite aggregates its (ordered) subquery's rows in order
    /// without an ORDER BY of its own, which would re-sort every chunk through a temporary
    /// b-tree; the reader checks the order (`export::write_chunk`) all the same.
    pub(crate) fn json_agg_array(self, elements: &str, order: &str) -> String {
        match self {
            Backend::Sqlite => {
                let _ = order;
                format!("json_group_array(json_array({elements}))")
            }
            Backend::Postgres => format!(
                "COALESCE(json_agg(json_build_array({elements}) ORDER BY {order})::text, '[]')"
            ),
        }
    }

    /// The condition that `column` is one of the integers of the JSON array bound (as text) at
    /// `param`, written so that each is looked up by key. PostgreSQL matches `IN (subquery)`
    /// by a hash of the list against every row of a small table (it cannot know the list is
    /// short), so there the list becomes an array the primary key is searched for.
    pub(crate) fn id_in_json(self, column: &str, param: &str) -> String {
        match self {
            Backend::Sqlite => format!("{column} IN (SELECT value FROM json_each({param}))"),
            Backend::Postgres => format!(
                "{column} = ANY (ARRAY(SELECT value::bigint FROM json_array_elements_text({param}::json)))"
            ),
        }
    }

    /// The rows of the JSON array of arrays bound (as text) at `param`, as a subquery with
    /// one column per element: `(name, true)` for an integer, `(name, false)` for text.
    pub(crate) fn json_rows(self, param: &str, columns: &[(&str, bool)]) -> String {
        let mut select = Vec::with_capacity(columns.len());
        for (i, (name, integer)) in columns.iter().enumerate() {
            select.push(match (self, integer) {
                (Backend::Postgres, true) => format!("(value ->> {i})::bigint AS {name}"),
                _ => format!("value ->> {i} AS {name}"),
            });
        }
        let from = match self {
            Backend::Sqlite => format!("json_each({param})"),
            Backend::Postgres => format!("json_array_elements({param}::json)"),
        };
        format!("SELECT {} FROM {from}", select.join(", "))
    }
}

/// A JSON array of rows (each an array of a table's columns), written as the rows come: the
/// text [`Backend::json_rows`] reads them from, bound as one parameter.
pub(crate) struct JsonRows {
    text: Vec<u8>,
}

impl JsonRows {
    pub(crate) fn new() -> Self {
        JsonRows { text: Vec::new() }
    }

    pub(crate) fn push<T: serde::Serialize>(&mut self, row: &T) -> Result<()> {
        self.text
            .push(if self.text.is_empty() { b'[' } else { b',' });
        serde_json::to_writer(&mut self.text, row).map_err(internal)
    }

    /// The array's text; `None` when it holds no row.
    pub(crate) fn finish(mut self) -> Result<Option<String>> {
        if self.text.is_empty() {
            return Ok(None);
        }
        self.text.push(b']');
        String::from_utf8(self.text).map(Some).map_err(internal)
    }
}
