//! Effective access seen from a user and from an agent must agree: for random organizations,
//! `effective_access` (which agents a user reaches, and how) and `agent_reach` (who reaches an
//! agent, and how) describe exactly the same (user, agent, paths) triples.

use std::collections::BTreeSet;

use omni_core::access::{agent_reach, effective_access, AccessPath, AgentLinks, Named, UserLinks};
use omni_core::Role;
use proptest::prelude::*;

const USERS: i64 = 6;
const GROUPS: i64 = 3;
const SPACES: i64 = 3;
const AGENTS: i64 = 3;

fn user(i: i64) -> Named {
    Named {
        id: i,
        name: format!("u{i}"),
    }
}
fn group(i: i64) -> Named {
    Named {
        id: 100 + i,
        name: format!("g{i}"),
    }
}
fn space(i: i64) -> Named {
    Named {
        id: 200 + i,
        name: format!("w{i}"),
    }
}
fn agent(i: i64) -> Named {
    Named {
        id: 300 + i,
        name: format!("a{i}"),
    }
}

#[derive(Debug, Clone)]
struct Org {
    roles: Vec<Role>,
    user_group: BTreeSet<(i64, i64)>,
    user_space: BTreeSet<(i64, i64)>,
    group_space: BTreeSet<(i64, i64)>,
    agent_space: BTreeSet<(i64, i64)>,
    agent_user: BTreeSet<(i64, i64)>,
    agent_group: BTreeSet<(i64, i64)>,
}

fn pairs(a: i64, b: i64) -> impl Strategy<Value = BTreeSet<(i64, i64)>> {
    prop::collection::btree_set((0..a, 0..b), 0..(a * b) as usize)
}

fn org() -> impl Strategy<Value = Org> {
    let role = prop_oneof![
        Just(Role::User),
        Just(Role::User),
        Just(Role::Collaborator),
        Just(Role::Administrator)
    ];
    (
        prop::collection::vec(role, USERS as usize),
        pairs(USERS, GROUPS),
        pairs(USERS, SPACES),
        pairs(GROUPS, SPACES),
        pairs(AGENTS, SPACES),
        pairs(AGENTS, USERS),
        pairs(AGENTS, GROUPS),
    )
        .prop_map(
            |(roles, user_group, user_space, group_space, agent_space, agent_user, agent_group)| {
                Org {
                    roles,
                    user_group,
                    user_space,
                    group_space,
                    agent_space,
                    agent_user,
                    agent_group,
                }
            },
        )
}

/// What the store loads around user `u`.
fn user_links(o: &Org, u: i64) -> UserLinks {
    let groups: Vec<i64> = (0..GROUPS)
        .filter(|g| o.user_group.contains(&(u, *g)))
        .collect();
    let spaces: Vec<i64> = (0..SPACES)
        .filter(|w| o.user_space.contains(&(u, *w)))
        .collect();
    let group_spaces: Vec<(i64, i64)> = o
        .group_space
        .iter()
        .filter(|(g, _)| groups.contains(g))
        .copied()
        .collect();
    let reachable: BTreeSet<i64> = spaces
        .iter()
        .copied()
        .chain(group_spaces.iter().map(|(_, w)| *w))
        .collect();
    UserLinks {
        groups: groups.iter().map(|g| group(*g)).collect(),
        workspaces: spaces.iter().map(|w| space(*w)).collect(),
        group_workspaces: group_spaces
            .iter()
            .map(|(g, w)| (group(*g).id, space(*w)))
            .collect(),
        direct_agents: (0..AGENTS)
            .filter(|a| o.agent_user.contains(&(*a, u)))
            .map(agent)
            .collect(),
        group_agents: o
            .agent_group
            .iter()
            .filter(|(_, g)| groups.contains(g))
            .map(|(a, g)| (group(*g).id, agent(*a)))
            .collect(),
        workspace_agents: o
            .agent_space
            .iter()
            .filter(|(_, w)| reachable.contains(w))
            .map(|(a, w)| (space(*w).id, agent(*a)))
            .collect(),
        all_agents: (0..AGENTS).map(agent).collect(),
    }
}

/// What the store loads around agent `a`.
fn agent_links(o: &Org, a: i64) -> AgentLinks {
    let groups: Vec<i64> = (0..GROUPS)
        .filter(|g| o.agent_group.contains(&(a, *g)))
        .collect();
    let spaces: Vec<i64> = (0..SPACES)
        .filter(|w| o.agent_space.contains(&(a, *w)))
        .collect();
    let space_groups: Vec<(i64, i64)> = o
        .group_space
        .iter()
        .filter(|(_, w)| spaces.contains(w))
        .map(|(g, w)| (*w, *g))
        .collect();
    let member_of: BTreeSet<i64> = groups
        .iter()
        .copied()
        .chain(space_groups.iter().map(|(_, g)| *g))
        .collect();
    AgentLinks {
        users: (0..USERS)
            .filter(|u| o.agent_user.contains(&(a, *u)))
            .map(user)
            .collect(),
        groups: groups.iter().map(|g| group(*g)).collect(),
        workspaces: spaces.iter().map(|w| space(*w)).collect(),
        group_members: o
            .user_group
            .iter()
            .filter(|(_, g)| member_of.contains(g))
            .map(|(u, g)| (group(*g).id, user(*u)))
            .collect(),
        workspace_members: o
            .user_space
            .iter()
            .filter(|(_, w)| spaces.contains(w))
            .map(|(u, w)| (space(*w).id, user(*u)))
            .collect(),
        workspace_groups: space_groups
            .iter()
            .map(|(w, g)| (space(*w).id, group(*g)))
            .collect(),
        staff: (0..USERS)
            .filter(|u| o.roles[*u as usize] != Role::User)
            .map(|u| (user(u), o.roles[u as usize]))
            .collect(),
    }
}

type Triple = (i64, i64, Vec<AccessPath>);

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn a_user_and_an_agent_see_the_same_access(o in org()) {
        let mut from_users: BTreeSet<Triple> = BTreeSet::new();
        for u in 0..USERS {
            for access in effective_access(o.roles[u as usize], &user_links(&o, u)) {
                from_users.insert((u, access.agent.id, access.paths));
            }
        }
        let mut from_agents: BTreeSet<Triple> = BTreeSet::new();
        for a in 0..AGENTS {
            for reach in agent_reach(&agent_links(&o, a)) {
                from_agents.insert((reach.user.id, agent(a).id, reach.paths));
            }
        }
        prop_assert_eq!(from_users, from_agents);
    }
}
