//! The console's directory pages: a list of groups, workspaces or agents with what each holds
//! (members, groups, workspaces, agents), searched and paged so thousands of items stay quick,
//! and an item's own page (its links to other items and its members, paged).
//!
//! Kept apart from `directory.rs`, which writes the directory: these are reads only. Every
//! count is read in the page's one query, from the `links` indexes (`links_ab` for the item at
//! `a`, `links_b` for the item at `b`), so a page costs the same whatever the directory's size.

use omni_core::error::Result;
use omni_core::model::{Id, Role};
use omni_core::policy::{self, Action};
use omni_core::{Error, ErrorCode, Reason};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyArguments;
use sqlx::{AnyConnection, Arguments};

use crate::db::{actor, internal};
use crate::directory::{item_by_id, DirectoryItem, DirectoryKind, LinkKind};
use crate::{Caller, Store};

/// The most rows a page answers, whatever was asked.
pub const PAGE_MAX: u32 = 500;

/// Which part of a directory list to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DirectoryQuery {
    pub kind: DirectoryKind,
    /// Part of the name, in any case.
    pub search: Option<String>,
    pub offset: u64,
    pub limit: u32,
}

/// An item of a directory list with what it holds. A count that does not apply to the kind is
/// 0 (a group holds no groups, an agent no agents).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DirectoryEntry {
    pub item: DirectoryItem,
    /// Users linked directly: a group's or workspace's members, the users an agent is shared
    /// with. Deleted users do not count.
    pub users: i64,
    /// A workspace's groups; the groups an agent is shared with.
    pub groups: i64,
    /// The workspaces a group or agent is in.
    pub workspaces: i64,
    /// The agents shared with a group or in a workspace.
    pub agents: i64,
}

/// One page of a directory list, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DirectoryPage {
    pub entries: Vec<DirectoryEntry>,
    /// Items matching the query.
    pub total: i64,
}

/// Which item's page to read, and which of its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ItemQuery {
    pub kind: DirectoryKind,
    pub id: Id,
    /// The start of a member's email, as in the users table.
    pub search: Option<String>,
    pub offset: u64,
    pub limit: u32,
}

/// Another item linked to this one, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ItemLink {
    pub kind: LinkKind,
    pub item: DirectoryItem,
}

/// A user linked directly to an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Member {
    pub id: Id,
    pub email: String,
    pub role: Role,
    pub licensed: bool,
}

/// An item's own page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ItemPage {
    pub item: DirectoryItem,
    /// Every item linked to this one (either end), by name.
    pub links: Vec<ItemLink>,
    /// The link kind that makes a user a member of this item (`user_group`, `user_workspace`,
    /// `agent_user`).
    pub member_link: LinkKind,
    /// One page of the users linked directly, by email.
    pub members: Vec<Member>,
    /// Members matching the search.
    pub members_total: i64,
}

/// How a count is read: the link kind and which end the item is at (`a` or `b`).
type Count = Option<(&'static str, &'static str)>;

/// The four counts of a kind: users, groups, workspaces, agents.
fn counts(kind: DirectoryKind) -> [Count; 4] {
    match kind {
        DirectoryKind::Group => [
            Some(("user_group", "b")),
            None,
            Some(("group_workspace", "a")),
            Some(("agent_group", "b")),
        ],
        DirectoryKind::Workspace => [
            Some(("user_workspace", "b")),
            Some(("group_workspace", "b")),
            None,
            Some(("agent_workspace", "b")),
        ],
        DirectoryKind::Agent => [
            Some(("agent_user", "a")),
            Some(("agent_group", "a")),
            Some(("agent_workspace", "a")),
            None,
        ],
    }
}

/// The link that makes a user a member of an item of `kind`, and the item's end.
fn member_link(kind: DirectoryKind) -> (LinkKind, &'static str) {
    match kind {
        DirectoryKind::Group => (LinkKind::UserGroup, "b"),
        DirectoryKind::Workspace => (LinkKind::UserWorkspace, "b"),
        DirectoryKind::Agent => (LinkKind::AgentUser, "a"),
    }
}

fn other(end: &str) -> &'static str {
    if end == "a" {
        "b"
    } else {
        "a"
    }
}

/// `%term%` for `LIKE … ESCAPE '\'`, in lower case.
fn contains_pattern(term: &str) -> String {
    let mut p = String::with_capacity(term.len() + 2);
    p.push('%');
    for c in term.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

fn trimmed(search: &Option<String>) -> Option<String> {
    search
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

fn clamp(limit: u32) -> i64 {
    i64::from(limit.clamp(1, PAGE_MAX))
}

fn offset(offset: u64) -> i64 {
    i64::try_from(offset).unwrap_or(i64::MAX)
}

impl Store {
    /// One page of the groups, workspaces or agents, by name, each with its counts.
    pub async fn directory_page(
        &self,
        caller: &Caller,
        q: &DirectoryQuery,
    ) -> Result<DirectoryPage> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        policy::authorize(&actor(&mut conn, caller).await?, &Action::ViewUsers)?;
        let search = trimmed(&q.search).map(|t| contains_pattern(&t));
        let filter = if search.is_some() {
            " AND LOWER(d.name) LIKE $3 ESCAPE '\\'"
        } else {
            ""
        };
        let columns: Vec<String> = counts(q.kind)
            .iter()
            .map(|c| match c {
                None => "0".to_string(),
                Some((link, "b")) if link.starts_with("user_") => format!(
                    "(SELECT COUNT(*) FROM links l JOIN users u ON u.id = l.a_id AND u.deleted_at IS NULL \
                     WHERE l.org_id = d.org_id AND l.kind = '{link}' AND l.b_id = d.id)"
                ),
                Some(("agent_user", _)) => "(SELECT COUNT(*) FROM links l JOIN users u ON u.id = l.b_id AND u.deleted_at IS NULL \
                     WHERE l.org_id = d.org_id AND l.kind = 'agent_user' AND l.a_id = d.id)"
                    .to_string(),
                Some((link, end)) => format!(
                    "(SELECT COUNT(*) FROM links l WHERE l.org_id = d.org_id AND l.kind = '{link}' AND l.{end}_id = d.id)"
                ),
            })
            .collect();
        let n = if search.is_some() { 4 } else { 3 };
        let sql = format!(
            "SELECT d.id, d.kind, d.name, d.version, {} FROM directory d \
             WHERE d.org_id = $1 AND d.kind = $2{filter} ORDER BY d.name LIMIT ${n} OFFSET ${}",
            columns.join(", "),
            n + 1
        );
        let mut args = AnyArguments::default();
        args.add(caller.org).map_err(internal)?;
        args.add(q.kind.as_str()).map_err(internal)?;
        if let Some(s) = &search {
            args.add(s.clone()).map_err(internal)?;
        }
        args.add(clamp(q.limit)).map_err(internal)?;
        args.add(offset(q.offset)).map_err(internal)?;
        type Row = (Id, String, String, i64, i64, i64, i64, i64);
        let rows: Vec<Row> = sqlx::query_as_with(&sql, args)
            .fetch_all(&mut *conn)
            .await
            .map_err(internal)?;
        let count_sql =
            format!("SELECT COUNT(*) FROM directory d WHERE d.org_id = $1 AND d.kind = $2{filter}");
        let mut count = sqlx::query_as::<_, (i64,)>(&count_sql)
            .bind(caller.org)
            .bind(q.kind.as_str());
        if let Some(s) = &search {
            count = count.bind(s.clone());
        }
        let (total,) = count.fetch_one(&mut *conn).await.map_err(internal)?;
        let entries = rows
            .into_iter()
            .map(
                |(id, kind, name, version, users, groups, workspaces, agents)| {
                    let kind = DirectoryKind::from_stored(&kind)
                        .ok_or_else(|| internal("unknown directory kind"))?;
                    Ok(DirectoryEntry {
                        item: DirectoryItem {
                            id,
                            kind,
                            name,
                            version,
                        },
                        users,
                        groups,
                        workspaces,
                        agents,
                    })
                },
            )
            .collect::<Result<Vec<_>>>()?;
        Ok(DirectoryPage { entries, total })
    }

    /// An item's page: the item, every item linked to it, and a page of its members.
    pub async fn item_page(&self, caller: &Caller, q: &ItemQuery) -> Result<ItemPage> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        policy::authorize(&actor(&mut conn, caller).await?, &Action::ViewUsers)?;
        let item = match item_by_id(&mut conn, caller.org, q.id).await? {
            Some(item) if item.kind == q.kind => item,
            _ => {
                return Err(Error::because(
                    ErrorCode::NotFound,
                    Reason::NoItem {
                        kind: q.kind,
                        id: q.id,
                    },
                ))
            }
        };
        let links = item_links_both(&mut conn, caller.org, item.id).await?;
        let (link, end) = member_link(item.kind);
        let user_end = other(end);
        let term = trimmed(&q.search).map(|t| t.to_lowercase());
        // The organization, the item, then the search's range when there is one.
        let args = || -> Result<AnyArguments<'static>> {
            let mut args = AnyArguments::default();
            args.add(caller.org).map_err(internal)?;
            args.add(item.id).map_err(internal)?;
            if let Some(term) = &term {
                args.add(term.clone()).map_err(internal)?;
                args.add(format!("{term}\u{10FFFF}")).map_err(internal)?;
            }
            Ok(args)
        };
        let (filter, next) = if term.is_some() {
            (" AND u.email >= $3 AND u.email < $4", 5)
        } else {
            ("", 3)
        };
        let from = format!(
            "FROM links l JOIN users u ON u.id = l.{user_end}_id AND u.deleted_at IS NULL \
             WHERE l.org_id = $1 AND l.kind = '{}' AND l.{end}_id = $2{filter}",
            link.as_str()
        );
        let count_args = args()?;
        let mut args = args()?;
        args.add(clamp(q.limit)).map_err(internal)?;
        args.add(offset(q.offset)).map_err(internal)?;
        let rows: Vec<(Id, String, String, i64)> = sqlx::query_as_with(
            &format!(
                "SELECT u.id, u.email, u.role, u.licensed {from} ORDER BY u.email LIMIT ${next} OFFSET ${}",
                next + 1
            ),
            args,
        )
        .fetch_all(&mut *conn)
        .await
        .map_err(internal)?;
        let (members_total,): (i64,) =
            sqlx::query_as_with(&format!("SELECT COUNT(*) {from}"), count_args)
                .fetch_one(&mut *conn)
                .await
                .map_err(internal)?;
        let members = rows
            .into_iter()
            .map(|(id, email, role, licensed)| Member {
                id,
                email,
                role: Role::from_stored(&role).unwrap_or(Role::User),
                licensed: licensed != 0,
            })
            .collect();
        Ok(ItemPage {
            item,
            links,
            member_link: link,
            members,
            members_total,
        })
    }
}

/// Every item linked to `item`, at either end, by name.
async fn item_links_both(conn: &mut AnyConnection, org: Id, item: Id) -> Result<Vec<ItemLink>> {
    const BETWEEN_ITEMS: &str = "('group_workspace', 'agent_workspace', 'agent_group')";
    let sql = format!(
        "SELECT l.kind, d.id, d.kind, d.name, d.version FROM links l JOIN directory d ON d.id = l.b_id \
         WHERE l.org_id = $1 AND l.a_id = $2 AND l.kind IN {BETWEEN_ITEMS} \
         UNION ALL SELECT l.kind, d.id, d.kind, d.name, d.version FROM links l JOIN directory d ON d.id = l.a_id \
         WHERE l.org_id = $1 AND l.b_id = $2 AND l.kind IN {BETWEEN_ITEMS} ORDER BY 4"
    );
    let rows: Vec<(String, Id, String, String, i64)> = sqlx::query_as(&sql)
        .bind(org)
        .bind(item)
        .fetch_all(&mut *conn)
        .await
        .map_err(internal)?;
    rows.into_iter()
        .map(|(lk, id, k, name, version)| {
            let kind = LinkKind::parse(&lk).ok_or_else(|| internal("unknown link kind"))?;
            let k =
                DirectoryKind::from_stored(&k).ok_or_else(|| internal("unknown directory kind"))?;
            Ok(ItemLink {
                kind,
                item: DirectoryItem {
                    id,
                    kind: k,
                    name,
                    version,
                },
            })
        })
        .collect()
}
