//! Effective agent access: which agents a person can reach, and through which path.
//!
//! A person with the User role reaches an agent only through a share: user → agent,
//! user → group → agent, user → workspace → agent, or user → group → workspace → agent.
//! Administrators and Collaborators see every agent. The store loads the links that touch one
//! user (or one agent) and this module, the only place that knows the paths, resolves them.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::model::{Id, Role};

/// Something with an id and a display name (a group, workspace, agent or user).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Named {
    pub id: Id,
    pub name: String,
}

/// One way a person reaches an agent.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "via", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum AccessPath {
    /// Administrators and Collaborators see every agent.
    Role { role: Role },
    /// The agent is shared with the user.
    Direct,
    /// The agent is shared with a group the user is in.
    Group { group: Named },
    /// The agent is in a workspace the user is in.
    Workspace { workspace: Named },
    /// The agent is in a workspace that a group of the user is in.
    GroupWorkspace { group: Named, workspace: Named },
}

impl AccessPath {
    /// `user → group Sales → workspace EMEA → agent`, for people.
    pub fn describe(&self) -> String {
        match self {
            AccessPath::Role { role } => format!("role {role} (sees every agent)"),
            AccessPath::Direct => "shared with the user".to_string(),
            AccessPath::Group { group } => format!("group {}", group.name),
            AccessPath::Workspace { workspace } => format!("workspace {}", workspace.name),
            AccessPath::GroupWorkspace { group, workspace } => {
                format!("group {} → workspace {}", group.name, workspace.name)
            }
        }
    }
}

/// An agent a person can reach, with every path that grants it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AgentAccess {
    pub agent: Named,
    pub paths: Vec<AccessPath>,
}

/// The links around one user, as loaded by the store.
#[derive(Debug, Clone, Default)]
pub struct UserLinks {
    /// Groups the user is in.
    pub groups: Vec<Named>,
    /// Workspaces the user is in directly.
    pub workspaces: Vec<Named>,
    /// (group id, workspace) for every workspace that one of the user's groups is in.
    pub group_workspaces: Vec<(Id, Named)>,
    /// Agents shared with the user directly.
    pub direct_agents: Vec<Named>,
    /// (group id, agent) for every agent shared with one of the user's groups.
    pub group_agents: Vec<(Id, Named)>,
    /// (workspace id, agent) for every agent in a workspace the user reaches (directly or via a group).
    pub workspace_agents: Vec<(Id, Named)>,
    /// Every agent of the organization (only needed for Administrators and Collaborators).
    pub all_agents: Vec<Named>,
}

/// The agents `role` reaches given `links`, sorted by agent name, each with its paths.
pub fn effective_access(role: Role, links: &UserLinks) -> Vec<AgentAccess> {
    let mut by_agent: BTreeMap<(String, Id), Vec<AccessPath>> = BTreeMap::new();
    let mut add = |agent: &Named, path: AccessPath| {
        by_agent
            .entry((agent.name.clone(), agent.id))
            .or_default()
            .push(path);
    };
    if crate::policy::sees_every_agent(role) {
        for a in &links.all_agents {
            add(a, AccessPath::Role { role });
        }
    }
    for a in &links.direct_agents {
        add(a, AccessPath::Direct);
    }
    let groups: HashMap<Id, &Named> = links.groups.iter().map(|g| (g.id, g)).collect();
    for (gid, a) in &links.group_agents {
        if let Some(g) = groups.get(gid) {
            add(
                a,
                AccessPath::Group {
                    group: (*g).clone(),
                },
            );
        }
    }
    let mut agents_in: HashMap<Id, Vec<&Named>> = HashMap::new();
    for (wid, a) in &links.workspace_agents {
        agents_in.entry(*wid).or_default().push(a);
    }
    for w in &links.workspaces {
        for a in agents_in.get(&w.id).into_iter().flatten() {
            add(
                a,
                AccessPath::Workspace {
                    workspace: w.clone(),
                },
            );
        }
    }
    for (gid, w) in &links.group_workspaces {
        let Some(g) = groups.get(gid) else { continue };
        for a in agents_in.get(&w.id).into_iter().flatten() {
            add(
                a,
                AccessPath::GroupWorkspace {
                    group: (*g).clone(),
                    workspace: w.clone(),
                },
            );
        }
    }
    by_agent
        .into_iter()
        .map(|((name, id), mut paths)| {
            paths.sort();
            paths.dedup();
            AgentAccess {
                agent: Named { id, name },
                paths,
            }
        })
        .collect()
}

/// The links around one agent, as loaded by the store: who it is shared with, directly or
/// through groups and workspaces, and the members of those.
#[derive(Debug, Clone, Default)]
pub struct AgentLinks {
    /// Users the agent is shared with directly.
    pub users: Vec<Named>,
    /// Groups the agent is shared with.
    pub groups: Vec<Named>,
    /// Workspaces the agent is in.
    pub workspaces: Vec<Named>,
    /// (group id, member) for the groups above and the groups in the workspaces above.
    pub group_members: Vec<(Id, Named)>,
    /// (workspace id, member) for the users directly in the workspaces above.
    pub workspace_members: Vec<(Id, Named)>,
    /// (workspace id, group) for the groups in the workspaces above.
    pub workspace_groups: Vec<(Id, Named)>,
    /// Administrators and Collaborators, who see every agent.
    pub staff: Vec<(Named, Role)>,
}

/// A person who can reach an agent, with every path that grants it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UserReach {
    pub user: Named,
    pub paths: Vec<AccessPath>,
}

/// Who reaches the agent of `links`, by user name, each with its paths: the same paths
/// [`effective_access`] finds from the user's side.
pub fn agent_reach(links: &AgentLinks) -> Vec<UserReach> {
    let mut by_user: BTreeMap<(String, Id), Vec<AccessPath>> = BTreeMap::new();
    let mut add = |user: &Named, path: AccessPath| {
        by_user
            .entry((user.name.clone(), user.id))
            .or_default()
            .push(path);
    };
    for (u, role) in &links.staff {
        add(u, AccessPath::Role { role: *role });
    }
    for u in &links.users {
        add(u, AccessPath::Direct);
    }
    let mut members: HashMap<Id, Vec<&Named>> = HashMap::new();
    for (g, u) in &links.group_members {
        members.entry(*g).or_default().push(u);
    }
    for g in &links.groups {
        for u in members.get(&g.id).into_iter().flatten() {
            add(u, AccessPath::Group { group: g.clone() });
        }
    }
    for w in &links.workspaces {
        for (_, u) in links
            .workspace_members
            .iter()
            .filter(|(wid, _)| *wid == w.id)
        {
            add(
                u,
                AccessPath::Workspace {
                    workspace: w.clone(),
                },
            );
        }
        for (_, g) in links
            .workspace_groups
            .iter()
            .filter(|(wid, _)| *wid == w.id)
        {
            for u in members.get(&g.id).into_iter().flatten() {
                add(
                    u,
                    AccessPath::GroupWorkspace {
                        group: g.clone(),
                        workspace: w.clone(),
                    },
                );
            }
        }
    }
    by_user
        .into_iter()
        .map(|((name, id), mut paths)| {
            paths.sort();
            paths.dedup();
            UserReach {
                user: Named { id, name },
                paths,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(id: Id, name: &str) -> Named {
        Named {
            id,
            name: name.into(),
        }
    }

    #[test]
    fn every_path_is_found_and_named() {
        let links = UserLinks {
            groups: vec![n(10, "Sales")],
            workspaces: vec![n(20, "EMEA")],
            group_workspaces: vec![(10, n(21, "Deals"))],
            direct_agents: vec![n(1, "Alpha")],
            group_agents: vec![(10, n(2, "Beta"))],
            workspace_agents: vec![
                (20, n(3, "Gamma")),
                (21, n(4, "Delta")),
                (99, n(5, "Hidden")),
            ],
            all_agents: vec![],
        };
        let got = effective_access(Role::User, &links);
        let names: Vec<_> = got
            .iter()
            .map(|a| (a.agent.name.as_str(), a.paths[0].describe()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("Alpha", "shared with the user".to_string()),
                ("Beta", "group Sales".to_string()),
                ("Delta", "group Sales → workspace Deals".to_string()),
                ("Gamma", "workspace EMEA".to_string()),
            ]
        );
    }

    #[test]
    fn collaborators_see_all_agents() {
        let links = UserLinks {
            all_agents: vec![n(1, "A"), n(2, "B")],
            ..Default::default()
        };
        assert_eq!(effective_access(Role::Collaborator, &links).len(), 2);
        assert!(effective_access(Role::User, &links).is_empty());
    }
}
