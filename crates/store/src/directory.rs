//! Groups, workspaces and agents, the links between them and users, and effective access.
//!
//! The three kinds share one table and one set of operations; links are `(kind, a, b)` rows.
//! Effective access loads the links around a user and lets [`omni_core::access`] resolve the
//! paths, so the path rules exist only there.

use omni_core::access::{
    agent_reach, effective_access, AgentAccess, AgentLinks, Named, UserLinks, UserReach,
};
use omni_core::error::Result;
use omni_core::model::{Id, Role, Timestamp};
use omni_core::policy::{self, Action};
use omni_core::{Error, ErrorCode, Reason};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;

use crate::db::{actor, internal, taken_or_internal};
use crate::feed::{ChangeOp, FeedEntity};
use crate::{Caller, Store};

pub use omni_core::model::DirectoryKind;

/// A group, workspace or agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DirectoryItem {
    pub id: Id,
    pub kind: DirectoryKind,
    pub name: String,
    pub version: i64,
}

/// A relationship, read as "a is linked to b".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum LinkKind {
    /// user is a member of group
    UserGroup,
    /// user is a member of workspace
    UserWorkspace,
    /// group is a member of workspace
    GroupWorkspace,
    /// agent is in workspace
    AgentWorkspace,
    /// agent is shared with user
    AgentUser,
    /// agent is shared with group
    AgentGroup,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::UserGroup => "user_group",
            LinkKind::UserWorkspace => "user_workspace",
            LinkKind::GroupWorkspace => "group_workspace",
            LinkKind::AgentWorkspace => "agent_workspace",
            LinkKind::AgentUser => "agent_user",
            LinkKind::AgentGroup => "agent_group",
        }
    }
    pub(crate) fn parse(s: &str) -> Option<LinkKind> {
        Some(match s {
            "user_group" => LinkKind::UserGroup,
            "user_workspace" => LinkKind::UserWorkspace,
            "group_workspace" => LinkKind::GroupWorkspace,
            "agent_workspace" => LinkKind::AgentWorkspace,
            "agent_user" => LinkKind::AgentUser,
            "agent_group" => LinkKind::AgentGroup,
            _ => return None,
        })
    }
    /// What `a` and `b` must be (`None` = a user).
    fn ends(self) -> (Option<DirectoryKind>, Option<DirectoryKind>) {
        use DirectoryKind::*;
        match self {
            LinkKind::UserGroup => (None, Some(Group)),
            LinkKind::UserWorkspace => (None, Some(Workspace)),
            LinkKind::GroupWorkspace => (Some(Group), Some(Workspace)),
            LinkKind::AgentWorkspace => (Some(Agent), Some(Workspace)),
            LinkKind::AgentUser => (Some(Agent), None),
            LinkKind::AgentGroup => (Some(Agent), Some(Group)),
        }
    }
}

/// A stored link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRow {
    pub id: Id,
    pub kind: LinkKind,
    pub a: Id,
    pub b: Id,
}

type ItemRow = (Id, String, String, i64);

fn item_from(r: ItemRow) -> Result<DirectoryItem> {
    let kind =
        DirectoryKind::from_stored(&r.1).ok_or_else(|| internal("unknown directory kind"))?;
    Ok(DirectoryItem {
        id: r.0,
        kind,
        name: r.2,
        version: r.3,
    })
}

pub(crate) async fn item_by_id(
    conn: &mut AnyConnection,
    org: Id,
    id: Id,
) -> Result<Option<DirectoryItem>> {
    let r: Option<ItemRow> = sqlx::query_as(
        "SELECT id, kind, name, version FROM directory WHERE id = $1 AND org_id = $2",
    )
    .bind(id)
    .bind(org)
    .fetch_optional(&mut *conn)
    .await
    .map_err(internal)?;
    r.map(item_from).transpose()
}

/// The item with `id`, which must be of `kind` when one is named: a path like
/// `/directory/groups/{id}` names no agent, whatever its id.
async fn item_of_kind(
    conn: &mut AnyConnection,
    org: Id,
    kind: Option<DirectoryKind>,
    id: Id,
) -> Result<DirectoryItem> {
    let item = item_by_id(conn, org, id).await?;
    match (item, kind) {
        (Some(item), None) => Ok(item),
        (Some(item), Some(kind)) if item.kind == kind => Ok(item),
        (_, Some(kind)) => Err(Error::because(
            ErrorCode::NotFound,
            Reason::NoItem { kind, id },
        )),
        (None, None) => Err(Error::because(
            ErrorCode::NotFound,
            Reason::NothingHasId { id },
        )),
    }
}

pub(crate) async fn link_by_id(
    conn: &mut AnyConnection,
    org: Id,
    id: Id,
) -> Result<Option<LinkRow>> {
    let r: Option<(Id, String, Id, Id)> =
        sqlx::query_as("SELECT id, kind, a_id, b_id FROM links WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org)
            .fetch_optional(&mut *conn)
            .await
            .map_err(internal)?;
    r.map(|(id, k, a, b)| {
        let kind = LinkKind::parse(&k).ok_or_else(|| internal("unknown link kind"))?;
        Ok(LinkRow { id, kind, a, b })
    })
    .transpose()
}

fn clean_name(kind: DirectoryKind, name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() {
        return Err(Error::because(
            ErrorCode::InvalidInput,
            Reason::ItemNameMissing { kind },
        ));
    }
    if n.chars().count() > 200 {
        return Err(Error::because(
            ErrorCode::InvalidInput,
            Reason::ItemNameTooLong { kind },
        ));
    }
    Ok(n.to_string())
}

fn taken(kind: DirectoryKind, name: &str) -> Error {
    Error::because(
        ErrorCode::AlreadyExists,
        Reason::ItemExists {
            kind,
            name: name.to_string(),
        },
    )
}

/// Checks that `id` names a live user (`kind = None`) or an item of `kind` in `org`.
async fn check_end(
    conn: &mut AnyConnection,
    org: Id,
    kind: Option<DirectoryKind>,
    id: Id,
) -> Result<String> {
    match kind {
        None => {
            let r: Option<(String,)> = sqlx::query_as(
                "SELECT email FROM users WHERE id = $1 AND org_id = $2 AND deleted_at IS NULL",
            )
            .bind(id)
            .bind(org)
            .fetch_optional(&mut *conn)
            .await
            .map_err(internal)?;
            r.map(|r| r.0)
                .ok_or_else(|| Error::because(ErrorCode::NotFound, Reason::NoUserWithId { id }))
        }
        Some(k) => match item_by_id(conn, org, id).await? {
            Some(item) if item.kind == k => Ok(item.name),
            _ => Err(Error::because(
                ErrorCode::NotFound,
                Reason::NoItem { kind: k, id },
            )),
        },
    }
}

impl Store {
    /// Creates a group, workspace or agent.
    pub async fn create_item(
        &self,
        caller: &Caller,
        kind: DirectoryKind,
        name: &str,
        now: Timestamp,
    ) -> Result<DirectoryItem> {
        let name = clean_name(kind, name)?;
        let mut w = self.write(caller, now).await?;
        w.authorize(&Action::ManageDirectory)?;
        let (id,): (Id,) = sqlx::query_as(
            "INSERT INTO directory (org_id, kind, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(caller.org)
        .bind(kind.as_str())
        .bind(&name)
        .bind(now.0)
        .fetch_one(&mut *w.tx)
        .await
        .map_err(|e| taken_or_internal(e, || taken(kind, &name)))?;
        w.feed(FeedEntity::Directory, id, ChangeOp::Upsert).await?;
        let action = format!("{}.create", kind.as_str());
        w.audit(&action, &name, None, Some(json!({"name": name})))
            .await?;
        w.commit().await?;
        Ok(DirectoryItem {
            id,
            kind,
            name,
            version: 1,
        })
    }

    /// Renames a group, workspace or agent; when `kind` is given, only an item of that kind
    /// (another kind's item is not found).
    pub async fn rename_item(
        &self,
        caller: &Caller,
        kind: Option<DirectoryKind>,
        id: Id,
        name: &str,
        now: Timestamp,
    ) -> Result<DirectoryItem> {
        let mut w = self.write(caller, now).await?;
        w.authorize(&Action::ManageDirectory)?;
        let item = item_of_kind(&mut w.tx, caller.org, kind, id).await?;
        let name = clean_name(item.kind, name)?;
        sqlx::query(
            "UPDATE directory SET name = $1, updated_at = $2, version = version + 1 WHERE id = $3",
        )
        .bind(&name)
        .bind(now.0)
        .bind(id)
        .execute(&mut *w.tx)
        .await
        .map_err(|e| taken_or_internal(e, || taken(item.kind, &name)))?;
        w.feed(FeedEntity::Directory, id, ChangeOp::Upsert).await?;
        let action = format!("{}.rename", item.kind.as_str());
        let (was, is) = (json!({"name": item.name}), json!({"name": name}));
        w.audit(&action, &name, Some(was), Some(is)).await?;
        w.commit().await?;
        Ok(DirectoryItem {
            name,
            version: item.version + 1,
            ..item
        })
    }

    /// Deletes a group, workspace or agent and every link to it; when `kind` is given, only an
    /// item of that kind (another kind's item is not found).
    pub async fn delete_item(
        &self,
        caller: &Caller,
        kind: Option<DirectoryKind>,
        id: Id,
        now: Timestamp,
    ) -> Result<()> {
        let mut w = self.write(caller, now).await?;
        w.authorize(&Action::ManageDirectory)?;
        let item = item_of_kind(&mut w.tx, caller.org, kind, id).await?;
        let (a_kinds, b_kinds): (&[&str], &[&str]) = match item.kind {
            DirectoryKind::Group => (&["group_workspace"], &["user_group", "agent_group"]),
            DirectoryKind::Workspace => (
                &[],
                &["user_workspace", "group_workspace", "agent_workspace"],
            ),
            DirectoryKind::Agent => (&["agent_workspace", "agent_user", "agent_group"], &[]),
        };
        let mut links: Vec<Id> = Vec::new();
        for (col, kinds) in [("a_id", a_kinds), ("b_id", b_kinds)] {
            for k in kinds {
                let sql =
                    format!("SELECT id FROM links WHERE org_id = $1 AND kind = $2 AND {col} = $3");
                let ids: Vec<(Id,)> = sqlx::query_as(&sql)
                    .bind(caller.org)
                    .bind(*k)
                    .bind(id)
                    .fetch_all(&mut *w.tx)
                    .await
                    .map_err(internal)?;
                links.extend(ids.into_iter().map(|r| r.0));
            }
        }
        for l in links {
            sqlx::query("DELETE FROM links WHERE id = $1")
                .bind(l)
                .execute(&mut *w.tx)
                .await
                .map_err(internal)?;
            w.feed(FeedEntity::Link, l, ChangeOp::Delete).await?;
        }
        sqlx::query("DELETE FROM directory WHERE id = $1")
            .bind(id)
            .execute(&mut *w.tx)
            .await
            .map_err(internal)?;
        w.feed(FeedEntity::Directory, id, ChangeOp::Delete).await?;
        let action = format!("{}.delete", item.kind.as_str());
        let was = json!({"name": item.name});
        w.audit(&action, &item.name, Some(was), None).await?;
        w.commit().await
    }

    /// Every item of `kind`, by name.
    pub async fn items(&self, caller: &Caller, kind: DirectoryKind) -> Result<Vec<DirectoryItem>> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        policy::authorize(&actor(&mut conn, caller).await?, &Action::ViewUsers)?;
        let rows: Vec<ItemRow> = sqlx::query_as("SELECT id, kind, name, version FROM directory WHERE org_id = $1 AND kind = $2 ORDER BY name")
            .bind(caller.org)
            .bind(kind.as_str())
            .fetch_all(&mut *conn)
            .await
            .map_err(internal)?;
        rows.into_iter().map(item_from).collect()
    }

    /// The item of `kind` named `name`.
    pub async fn item_by_name(
        &self,
        caller: &Caller,
        kind: DirectoryKind,
        name: &str,
    ) -> Result<DirectoryItem> {
        let r: Option<ItemRow> = sqlx::query_as("SELECT id, kind, name, version FROM directory WHERE org_id = $1 AND kind = $2 AND name = $3")
            .bind(caller.org)
            .bind(kind.as_str())
            .bind(name.trim())
            .fetch_optional(self.pool())
            .await
            .map_err(internal)?;
        r.map(item_from).transpose()?.ok_or_else(|| {
            Error::because(
                ErrorCode::NotFound,
                Reason::NoItemNamed {
                    kind,
                    name: name.trim().to_string(),
                },
            )
        })
    }

    /// Links `a` to `b`. Linking twice is harmless. Returns whether a link was added.
    pub async fn link(
        &self,
        caller: &Caller,
        kind: LinkKind,
        a: Id,
        b: Id,
        now: Timestamp,
    ) -> Result<bool> {
        let mut w = self.write(caller, now).await?;
        w.authorize(&Action::ManageDirectory)?;
        let (ka, kb) = kind.ends();
        let an = check_end(&mut w.tx, caller.org, ka, a).await?;
        let bn = check_end(&mut w.tx, caller.org, kb, b).await?;
        let row: Option<(Id,)> = sqlx::query_as(
            "INSERT INTO links (org_id, kind, a_id, b_id, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(caller.org)
        .bind(kind.as_str())
        .bind(a)
        .bind(b)
        .bind(now.0)
        .fetch_optional(&mut *w.tx)
        .await
        .map_err(internal)?;
        let Some((id,)) = row else { return Ok(false) };
        w.feed(FeedEntity::Link, id, ChangeOp::Upsert).await?;
        let is = json!({"kind": kind.as_str()});
        w.audit("link.add", &format!("{an} → {bn}"), None, Some(is))
            .await?;
        w.commit().await?;
        Ok(true)
    }

    /// Removes the link from `a` to `b`. Returns whether one existed.
    pub async fn unlink(
        &self,
        caller: &Caller,
        kind: LinkKind,
        a: Id,
        b: Id,
        now: Timestamp,
    ) -> Result<bool> {
        let mut w = self.write(caller, now).await?;
        w.authorize(&Action::ManageDirectory)?;
        let row: Option<(Id,)> = sqlx::query_as("DELETE FROM links WHERE org_id = $1 AND kind = $2 AND a_id = $3 AND b_id = $4 RETURNING id")
            .bind(caller.org)
            .bind(kind.as_str())
            .bind(a)
            .bind(b)
            .fetch_optional(&mut *w.tx)
            .await
            .map_err(internal)?;
        let Some((id,)) = row else { return Ok(false) };
        w.feed(FeedEntity::Link, id, ChangeOp::Delete).await?;
        let was = json!({"kind": kind.as_str()});
        w.audit("link.remove", &format!("{a} → {b}"), Some(was), None)
            .await?;
        w.commit().await?;
        Ok(true)
    }

    /// The groups, workspaces and agents a user is linked to directly.
    pub async fn user_links(
        &self,
        caller: &Caller,
        user: Id,
    ) -> Result<Vec<(LinkKind, DirectoryItem)>> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        policy::authorize(&actor(&mut conn, caller).await?, &Action::ViewUsers)?;
        linked_items(&mut conn, "SELECT l.kind, d.id, d.kind, d.name, d.version FROM links l JOIN directory d ON d.id = l.b_id \
             WHERE l.org_id = $1 AND l.a_id = $2 AND l.kind IN ('user_group', 'user_workspace') \
             UNION ALL SELECT l.kind, d.id, d.kind, d.name, d.version FROM links l JOIN directory d ON d.id = l.a_id \
             WHERE l.org_id = $1 AND l.b_id = $2 AND l.kind = 'agent_user' ORDER BY 4", caller.org, user).await
    }

    /// What a group or agent is linked to: a group's workspaces; an agent's groups and
    /// workspaces (who it is shared with).
    pub async fn item_links(
        &self,
        caller: &Caller,
        item: Id,
    ) -> Result<Vec<(LinkKind, DirectoryItem)>> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        policy::authorize(&actor(&mut conn, caller).await?, &Action::ViewUsers)?;
        linked_items(&mut conn, "SELECT l.kind, d.id, d.kind, d.name, d.version FROM links l JOIN directory d ON d.id = l.b_id \
             WHERE l.org_id = $1 AND l.a_id = $2 AND l.kind IN ('group_workspace', 'agent_workspace', 'agent_group') ORDER BY 4", caller.org, item).await
    }

    /// The agents a user can reach, each with the paths that grant it.
    pub async fn access(&self, caller: &Caller, user: Id) -> Result<Vec<AgentAccess>> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        policy::authorize(&actor(&mut conn, caller).await?, &Action::ViewUsers)?;
        let (role,): (String,) = sqlx::query_as(
            "SELECT role FROM users WHERE id = $1 AND org_id = $2 AND deleted_at IS NULL",
        )
        .bind(user)
        .bind(caller.org)
        .fetch_optional(&mut *conn)
        .await
        .map_err(internal)?
        .ok_or_else(|| Error::because(ErrorCode::NotFound, Reason::NoUserWithId { id: user }))?;
        let role = Role::from_stored(&role).unwrap_or(Role::User);
        let org = caller.org;
        let mut links = UserLinks {
            groups: named_rows(&mut conn, "SELECT d.id, d.name FROM links l JOIN directory d ON d.id = l.b_id WHERE l.org_id = $1 AND l.kind = 'user_group' AND l.a_id = $2", org, user).await?,
            workspaces: named_rows(&mut conn, "SELECT d.id, d.name FROM links l JOIN directory d ON d.id = l.b_id WHERE l.org_id = $1 AND l.kind = 'user_workspace' AND l.a_id = $2", org, user).await?,
            direct_agents: named_rows(&mut conn, "SELECT d.id, d.name FROM links l JOIN directory d ON d.id = l.a_id WHERE l.org_id = $1 AND l.kind = 'agent_user' AND l.b_id = $2", org, user).await?,
            group_workspaces: keyed_named_rows(&mut conn, "SELECT gw.a_id, d.id, d.name FROM links ug JOIN links gw ON gw.org_id = ug.org_id AND gw.kind = 'group_workspace' AND gw.a_id = ug.b_id \
                JOIN directory d ON d.id = gw.b_id WHERE ug.org_id = $1 AND ug.kind = 'user_group' AND ug.a_id = $2", org, user).await?,
            group_agents: keyed_named_rows(&mut conn, "SELECT ag.b_id, d.id, d.name FROM links ug JOIN links ag ON ag.org_id = ug.org_id AND ag.kind = 'agent_group' AND ag.b_id = ug.b_id \
                JOIN directory d ON d.id = ag.a_id WHERE ug.org_id = $1 AND ug.kind = 'user_group' AND ug.a_id = $2", org, user).await?,
            workspace_agents: keyed_named_rows(&mut conn, "SELECT aw.b_id, d.id, d.name FROM links aw JOIN directory d ON d.id = aw.a_id \
                WHERE aw.org_id = $1 AND aw.kind = 'agent_workspace' AND aw.b_id IN ( \
                  SELECT b_id FROM links WHERE org_id = $1 AND kind = 'user_workspace' AND a_id = $2 \
                  UNION SELECT gw.b_id FROM links ug JOIN links gw ON gw.org_id = ug.org_id AND gw.kind = 'group_workspace' AND gw.a_id = ug.b_id \
                  WHERE ug.org_id = $1 AND ug.kind = 'user_group' AND ug.a_id = $2)", org, user).await?,
            all_agents: Vec::new(),
        };
        if policy::sees_every_agent(role) {
            links.all_agents = named_rows(
                &mut conn,
                "SELECT id, name FROM directory WHERE org_id = $1 AND kind = 'agent' AND $2 = $2",
                org,
                user,
            )
            .await?;
        }
        Ok(effective_access(role, &links))
    }
}

impl Store {
    /// Who can reach an agent, each with the paths that grant it (Administrators and
    /// Collaborators see every agent). The inverse of [`Store::access`]; both resolve paths in
    /// `omni_core::access`.
    pub async fn agent_reach(&self, caller: &Caller, agent: Id) -> Result<Vec<UserReach>> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        policy::authorize(&actor(&mut conn, caller).await?, &Action::ViewUsers)?;
        match item_by_id(&mut conn, caller.org, agent).await? {
            Some(item) if item.kind == DirectoryKind::Agent => {}
            _ => {
                return Err(Error::because(
                    ErrorCode::NotFound,
                    Reason::NoItem {
                        kind: DirectoryKind::Agent,
                        id: agent,
                    },
                ))
            }
        }
        let org = caller.org;
        const SPACES_OF_AGENT: &str =
            "SELECT b_id FROM links WHERE org_id = $1 AND kind = 'agent_workspace' AND a_id = $2";
        let links = AgentLinks {
            users: named_rows(&mut conn, "SELECT u.id, u.email FROM links l JOIN users u ON u.id = l.b_id AND u.deleted_at IS NULL \
                WHERE l.org_id = $1 AND l.kind = 'agent_user' AND l.a_id = $2", org, agent).await?,
            groups: named_rows(&mut conn, "SELECT d.id, d.name FROM links l JOIN directory d ON d.id = l.b_id \
                WHERE l.org_id = $1 AND l.kind = 'agent_group' AND l.a_id = $2", org, agent).await?,
            workspaces: named_rows(&mut conn, "SELECT d.id, d.name FROM links l JOIN directory d ON d.id = l.b_id \
                WHERE l.org_id = $1 AND l.kind = 'agent_workspace' AND l.a_id = $2", org, agent).await?,
            workspace_groups: keyed_named_rows(&mut conn, &format!("SELECT gw.b_id, d.id, d.name FROM links gw JOIN directory d ON d.id = gw.a_id \
                WHERE gw.org_id = $1 AND gw.kind = 'group_workspace' AND gw.b_id IN ({SPACES_OF_AGENT})"), org, agent).await?,
            workspace_members: keyed_named_rows(&mut conn, &format!("SELECT uw.b_id, u.id, u.email FROM links uw JOIN users u ON u.id = uw.a_id AND u.deleted_at IS NULL \
                WHERE uw.org_id = $1 AND uw.kind = 'user_workspace' AND uw.b_id IN ({SPACES_OF_AGENT})"), org, agent).await?,
            group_members: keyed_named_rows(&mut conn, &format!("SELECT ug.b_id, u.id, u.email FROM links ug JOIN users u ON u.id = ug.a_id AND u.deleted_at IS NULL \
                WHERE ug.org_id = $1 AND ug.kind = 'user_group' AND ug.b_id IN ( \
                  SELECT b_id FROM links WHERE org_id = $1 AND kind = 'agent_group' AND a_id = $2 \
                  UNION SELECT a_id FROM links WHERE org_id = $1 AND kind = 'group_workspace' AND b_id IN ({SPACES_OF_AGENT}))"), org, agent).await?,
            staff: {
                let rows: Vec<(Id, String, String)> = sqlx::query_as(
                    "SELECT id, email, role FROM users WHERE org_id = $1 AND deleted_at IS NULL AND role <> 'user'",
                )
                .bind(org)
                .fetch_all(&mut *conn)
                .await
                .map_err(internal)?;
                rows.into_iter()
                    .filter_map(|(id, name, role)| Role::from_stored(&role).map(|r| (Named { id, name }, r)))
                    .collect()
            },
        };
        Ok(agent_reach(&links))
    }
}

/// Runs `sql` (selecting link kind, item id, kind, name, version for `$1` = org, `$2` = id) and
/// reads the linked items.
async fn linked_items(
    conn: &mut AnyConnection,
    sql: &str,
    org: Id,
    id: Id,
) -> Result<Vec<(LinkKind, DirectoryItem)>> {
    let rows: Vec<(String, Id, String, String, i64)> = sqlx::query_as(sql)
        .bind(org)
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .map_err(internal)?;
    rows.into_iter()
        .map(|(lk, id, k, name, version)| {
            let kind = LinkKind::parse(&lk).ok_or_else(|| internal("unknown link kind"))?;
            Ok((kind, item_from((id, k, name, version))?))
        })
        .collect()
}

/// Linked items (or users) as `(id, name)` rows: `sql` binds the organization and one id.
async fn named_rows(conn: &mut AnyConnection, sql: &str, org: Id, of: Id) -> Result<Vec<Named>> {
    let rows: Vec<(Id, String)> = sqlx::query_as(sql)
        .bind(org)
        .bind(of)
        .fetch_all(&mut *conn)
        .await
        .map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(|(id, name)| Named { id, name })
        .collect())
}

/// [`named_rows`] keyed by the item they hang from: `(key, id, name)` rows.
async fn keyed_named_rows(
    conn: &mut AnyConnection,
    sql: &str,
    org: Id,
    of: Id,
) -> Result<Vec<(Id, Named)>> {
    let rows: Vec<(Id, Id, String)> = sqlx::query_as(sql)
        .bind(org)
        .bind(of)
        .fetch_all(&mut *conn)
        .await
        .map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(|(key, id, name)| (key, Named { id, name }))
        .collect())
}
