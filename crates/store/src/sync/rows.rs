//! The rows a feed entry writes into a copy ([`crate::sync::changes`]): a user (and how the
//! counters move with it), a directory item, a link. Each write first clears what a stale row
//! of the copy holds that the entry's row needs (an email, a name, a link's ends).

use omni_core::error::Result;
use omni_core::model::{Id, Timestamp, User};

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::db::{internal, json_text};
use crate::directory::{DirectoryItem, LinkRow};
use crate::engine::WriteTx;
use crate::feed::{Change, ChangeOp, FeedEntity};

/// A copy's user row, as a snapshot's `user` line and a page written at once carry it: each
/// column and whether it holds an integer ([`crate::dialect::Backend::json_rows`]).
pub(crate) const USER_ROW: [(&str, bool); 12] = [
    ("id", true),
    ("email", false),
    ("phone", false),
    ("role", false),
    ("licensed", true),
    ("budget_micros", true),
    ("usage_micros", true),
    ("usage_month", true),
    ("created_at", true),
    ("updated_at", true),
    ("deleted_at", true),
    ("version", true),
];

/// The statement writing a user row from the server over the copy's: `values` (the
/// [`USER_ROW`] columns after `org_id`), whose usage counts for the month bound at `month`;
/// a zero keeps the month the copy's row counts.
fn upsert(values: &str, month: &str) -> String {
    format!(
        "INSERT INTO users (id, org_id, email, phone, role, licensed, budget_micros, \
         usage_micros, usage_month, created_at, updated_at, deleted_at, version) {values} \
         ON CONFLICT (id) DO UPDATE SET email = excluded.email, phone = excluded.phone, \
         role = excluded.role, licensed = excluded.licensed, \
         budget_micros = excluded.budget_micros, \
         usage_micros = CASE WHEN excluded.usage_micros > 0 OR users.usage_month = {month} \
         THEN excluded.usage_micros ELSE users.usage_micros END, \
         usage_month = CASE WHEN excluded.usage_micros > 0 THEN {month} ELSE users.usage_month END, \
         created_at = excluded.created_at, \
         updated_at = excluded.updated_at, deleted_at = excluded.deleted_at, \
         version = excluded.version"
    )
}

/// How the users' counters move: (total, licensed, administrators).
pub(crate) type Delta = (i64, i64, i64);

/// A user row's weight in the counters: live, licensed, administrator.
fn weight(live: bool, licensed: bool, admin: bool) -> Delta {
    if !live {
        return (0, 0, 0);
    }
    (1, i64::from(licensed), i64::from(admin))
}

/// Writes user `id` as the entry says: its state (live, or deleted at `deleted`), or, for a
/// deletion without one, marks the copy's row deleted. An entry's usage is this `month`'s;
/// a zero keeps the month the copy's row counts (the table sorts usage by month first, as the
/// server's row does), and new rows start at month 0 as the server's do. An upsert without a state (the user was
/// deleted or purged since) changes nothing: a later entry says so.
pub(crate) async fn user(
    tx: &mut WriteTx,
    org: Id,
    id: Id,
    state: Option<&User>,
    deleted: Option<i64>,
    month: i64,
) -> Result<Delta> {
    // The row as the copy holds it, and whether another live row holds the email the entry
    // brings (rare: then it is cleared below), in one statement: a page of a thousand entries
    // pays each statement a thousand times.
    let (deleted_was, licensed_was, role_was, clash): (
        Option<i64>,
        Option<i64>,
        Option<String>,
        i64,
    ) = sqlx::query_as(
        "SELECT u.deleted_at, u.licensed, u.role, (SELECT COUNT(*) FROM users c \
             WHERE c.org_id = $2 AND c.email = $3 AND c.id <> $1 AND c.deleted_at IS NULL) \
             FROM (SELECT 1 AS one) AS o LEFT JOIN users u ON u.id = $1 AND u.org_id = $2",
    )
    .bind(id)
    .bind(org)
    .bind(state.map(|u| u.email.as_str()))
    .fetch_one(&mut **tx)
    .await
    .map_err(internal)?;
    let was = role_was.map(|r| (deleted_was, licensed_was.unwrap_or(0), r));
    let before = was.as_ref().map_or((0, 0, 0), |(d, l, r)| {
        weight(d.is_none(), *l != 0, r == "administrator")
    });
    let Some(u) = state else {
        if let (Some(at), Some(_)) = (deleted, &was) {
            sqlx::query("UPDATE users SET deleted_at = $1, licensed = 0 WHERE id = $2")
                .bind(at)
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err(internal)?;
            return Ok((-before.0, -before.1, -before.2));
        }
        return Ok((0, 0, 0));
    };
    let mut provisional = (0, 0, 0);
    if deleted.is_none() && clash != 0 {
        // A user created offline and not yet answered (provisional, negative id) gives way to
        // the server's user with its email: the same user whose answer was lost, or another
        // that will make its creation a conflict. Its entry stays pending either way.
        let gone: Vec<(i64, String)> = sqlx::query_as(
            "DELETE FROM users WHERE org_id = $1 AND email = $2 AND id < 0 \
             AND deleted_at IS NULL RETURNING licensed, role",
        )
        .bind(org)
        .bind(u.email.as_str())
        .fetch_all(&mut **tx)
        .await
        .map_err(internal)?;
        for (l, r) in gone {
            let w = weight(true, l != 0, r == "administrator");
            provisional = (
                provisional.0 - w.0,
                provisional.1 - w.1,
                provisional.2 - w.2,
            );
        }
        sqlx::query(
            "UPDATE users SET email = '~' || CAST(id AS TEXT) || '~' || email \
             WHERE org_id = $1 AND email = $2 AND id <> $3 AND deleted_at IS NULL",
        )
        .bind(org)
        .bind(u.email.as_str())
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
    }
    sqlx::query(&upsert(
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        "$14",
    ))
    .bind(id)
    .bind(org)
    .bind(u.email.as_str())
    .bind(u.phone.as_ref().map(|p| p.e164()))
    .bind(u.role.as_str())
    .bind(i64::from(u.licensed && deleted.is_none()))
    .bind(u.budget.map(|b| b.0))
    .bind(u.usage.0)
    .bind(if u.usage.0 > 0 { month } else { 0 })
    .bind(u.created_at.0)
    .bind(u.updated_at.0)
    .bind(deleted)
    .bind(u.version)
    .bind(month)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    let after = weight(
        deleted.is_none(),
        u.licensed,
        u.role == omni_core::model::Role::Administrator,
    );
    Ok((
        after.0 - before.0 + provisional.0,
        after.1 - before.1 + provisional.1,
        after.2 - before.2 + provisional.2,
    ))
}

pub(crate) async fn upsert_item(
    tx: &mut WriteTx,
    org: Id,
    item: &DirectoryItem,
    at: Timestamp,
) -> Result<()> {
    sqlx::query(
        "UPDATE directory SET name = '~' || CAST(id AS TEXT) || '~' || name \
         WHERE org_id = $1 AND kind = $2 AND name = $3 AND id <> $4",
    )
    .bind(org)
    .bind(item.kind.as_str())
    .bind(&item.name)
    .bind(item.id)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    sqlx::query(
        "INSERT INTO directory (id, org_id, kind, name, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $5, $6) ON CONFLICT (id) DO UPDATE SET \
         kind = excluded.kind, name = excluded.name, updated_at = excluded.updated_at, \
         version = excluded.version",
    )
    .bind(item.id)
    .bind(org)
    .bind(item.kind.as_str())
    .bind(&item.name)
    .bind(at.0)
    .bind(item.version)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(())
}

pub(crate) async fn upsert_link(
    tx: &mut WriteTx,
    org: Id,
    link: &LinkRow,
    at: Timestamp,
) -> Result<()> {
    sqlx::query(
        "DELETE FROM links WHERE org_id = $1 AND kind = $2 AND a_id = $3 AND b_id = $4 AND id <> $5",
    )
    .bind(org)
    .bind(link.kind.as_str())
    .bind(link.a)
    .bind(link.b)
    .bind(link.id)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    sqlx::query(
        "INSERT INTO links (id, org_id, kind, a_id, b_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET \
         kind = excluded.kind, a_id = excluded.a_id, b_id = excluded.b_id",
    )
    .bind(link.id)
    .bind(org)
    .bind(link.kind.as_str())
    .bind(link.a)
    .bind(link.b)
    .bind(at.0)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(())
}

/// The users a page's entries bring, written in one statement when nothing needs an entry's
/// own write: every user entry carries its state, and no two users would end up holding one
/// live email, in the page or against the copy's other rows (a stale row, a user created
/// offline). A user's last entry decides its row (each entry of a page carries the state of
/// the page's read, so the last one holds it). Answers how the counters moved, or `None`,
/// having written nothing, when an entry needs [`user`]. A page of a thousand license changes
/// is then four statements instead of two thousand.
pub(crate) async fn users_at_once(
    tx: &mut WriteTx,
    org: Id,
    entries: &[&Change],
    month: i64,
) -> Result<Option<Delta>> {
    let mut last: HashMap<Id, (&User, Option<i64>)> = HashMap::default();
    for c in entries.iter().filter(|c| c.entity == FeedEntity::User) {
        let Some(u) = c.user.as_ref() else {
            return Ok(None);
        };
        let deleted = (c.op == ChangeOp::Delete).then_some(c.at.0);
        last.insert(c.id, (u, deleted));
    }
    if last.is_empty() {
        return Ok(Some((0, 0, 0)));
    }
    let mut emails = HashSet::default();
    let mut live = Vec::new();
    let mut rows = Vec::with_capacity(last.len());
    let mut after = (0, 0, 0);
    for (&id, &(u, deleted)) in &last {
        if deleted.is_none() {
            if !emails.insert(u.email.as_str()) {
                return Ok(None);
            }
            live.push((id, u.email.as_str()));
        }
        let w = weight(
            deleted.is_none(),
            u.licensed,
            u.role == omni_core::model::Role::Administrator,
        );
        after = (after.0 + w.0, after.1 + w.1, after.2 + w.2);
        rows.push((
            id,
            u.email.as_str(),
            u.phone.as_ref().map(|p| p.e164()),
            u.role.as_str(),
            i64::from(u.licensed && deleted.is_none()),
            u.budget.map(|b| b.0),
            u.usage.0,
            if u.usage.0 > 0 { month } else { 0 },
            u.created_at.0,
            u.updated_at.0,
            deleted,
            u.version,
        ));
    }
    let b = crate::Backend::of(tx);
    let ids: Vec<Id> = last.keys().copied().collect();
    let (clashes,): (i64,) = sqlx::query_as(&format!(
        "SELECT COUNT(*) FROM users u JOIN ({}) AS j ON u.email = j.email \
         WHERE u.org_id = $1 AND u.deleted_at IS NULL AND u.id <> j.id",
        b.json_rows("$2", &[("id", true), ("email", false)])
    ))
    .bind(org)
    .bind(json_text(&live)?)
    .fetch_one(&mut **tx)
    .await
    .map_err(internal)?;
    if clashes > 0 {
        return Ok(None);
    }
    let before: (i64, i64, i64) = sqlx::query_as(&format!(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN licensed <> 0 THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN role = 'administrator' THEN 1 ELSE 0 END), 0) FROM users \
         WHERE org_id = $1 AND deleted_at IS NULL AND {}",
        b.id_in_json("id", "$2")
    ))
    .bind(org)
    .bind(json_text(&ids)?)
    .fetch_one(&mut **tx)
    .await
    .map_err(internal)?;
    // The same row as [`user`] writes, usage included.
    sqlx::query(&upsert(
        &format!(
            "SELECT id, $1, email, phone, role, licensed, budget_micros, usage_micros, \
             usage_month, created_at, updated_at, deleted_at, version FROM ({}) AS r WHERE true",
            b.json_rows("$2", &USER_ROW)
        ),
        "$3",
    ))
    .bind(org)
    .bind(json_text(&rows)?)
    .bind(month)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(Some((
        after.0 - before.0,
        after.1 - before.1,
        after.2 - before.2,
    )))
}
