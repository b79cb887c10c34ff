//! Edits made on the server's side while a copy follows: a starting organization, and random
//! edits of every kind the feed carries (users, roles, licenses, budgets, deletions and
//! restores, the directory, links, seats).

use omni_core::model::{Id, Role, Usd};
use omni_store::{DirectoryKind, LinkKind, NewUser, UserEdit, UserQuery};
use rand::rngs::StdRng;
use rand::Rng;

use crate::common::{email, Server};

/// A few users, items and links to start from.
pub async fn populate(s: &Server, users: usize) {
    let now = s.now();
    for i in 0..users {
        let role = [Role::User, Role::Collaborator, Role::Administrator][i % 3];
        let new = NewUser {
            email: email(&format!("u{i}@a.example")),
            phone: None,
            role,
        };
        let u = s.store.create_user(&s.owner, new, now).await.unwrap();
        if i % 2 == 0 {
            s.store
                .set_licensed(&s.owner, &[u.id], true, now)
                .await
                .unwrap();
        }
    }
    let g = s
        .store
        .create_item(&s.owner, DirectoryKind::Group, "Sales", now)
        .await
        .unwrap();
    let w = s
        .store
        .create_item(&s.owner, DirectoryKind::Workspace, "Docs", now)
        .await
        .unwrap();
    let a = s
        .store
        .create_item(&s.owner, DirectoryKind::Agent, "Helper", now)
        .await
        .unwrap();
    s.store
        .link(&s.owner, LinkKind::GroupWorkspace, g.id, w.id, now)
        .await
        .unwrap();
    s.store
        .link(&s.owner, LinkKind::AgentWorkspace, a.id, w.id, now)
        .await
        .unwrap();
    s.store
        .link(&s.owner, LinkKind::UserGroup, s.owner.user, g.id, now)
        .await
        .unwrap();
    s.store
        .delete_users(&s.owner, &[s.owner.user + 1], now)
        .await
        .unwrap();
}

async fn ids(s: &Server) -> Vec<Id> {
    let q = UserQuery {
        limit: 10_000,
        ..UserQuery::default()
    };
    let page = s.store.list_users(&s.owner, &q, s.now()).await.unwrap();
    page.users
        .iter()
        .map(|u| u.id)
        .filter(|&id| id != s.owner.user)
        .collect()
}

async fn items(s: &Server, kind: DirectoryKind) -> Vec<Id> {
    s.store
        .items(&s.owner, kind)
        .await
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect()
}

fn pick(rng: &mut StdRng, v: &[Id]) -> Option<Id> {
    (!v.is_empty()).then(|| v[rng.gen_range(0..v.len())])
}

/// `n` random edits on the server's side; refusals (no seat left, the last Administrator, a
/// taken email) are part of the game and change nothing.
pub async fn random_edits(s: &Server, rng: &mut StdRng, n: usize, serial: &mut usize) {
    let (o, now) = (&s.owner, s.now());
    for _ in 0..n {
        let users = ids(s).await;
        let (groups, spaces, agents) = (
            items(s, DirectoryKind::Group).await,
            items(s, DirectoryKind::Workspace).await,
            items(s, DirectoryKind::Agent).await,
        );
        let user = pick(rng, &users);
        *serial += 1;
        match rng.gen_range(0..12) {
            0 => {
                // Sometimes an email a deleted user had: restoring them is then refused.
                let e = format!("u{}@a.example", rng.gen_range(0..*serial + 8));
                let role = Role::ALL[rng.gen_range(0..3)];
                let _ = s
                    .store
                    .create_user(
                        o,
                        NewUser {
                            email: email(&e),
                            phone: None,
                            role,
                        },
                        now,
                    )
                    .await;
            }
            1 => {
                if let Some(u) = user {
                    let _ = s
                        .store
                        .set_role(o, &[u], Role::ALL[rng.gen_range(0..3)], now)
                        .await;
                }
            }
            2 => {
                if let Some(u) = user {
                    let _ = s.store.set_licensed(o, &[u], rng.gen_bool(0.6), now).await;
                }
            }
            3 => {
                if let Some(u) = user {
                    let budget = rng
                        .gen_bool(0.7)
                        .then(|| Usd(rng.gen_range(1..500) * 1_000_000));
                    let edit = UserEdit {
                        budget: Some(budget),
                        ..UserEdit::default()
                    };
                    let _ = s.store.edit_user(o, u, edit, now).await;
                }
            }
            4 => {
                if let Some(u) = user {
                    let _ = s.store.delete_users(o, &[u], now).await;
                }
            }
            5 => {
                let deleted = s.store.deleted_users(o, now).await.unwrap();
                if let Some((u, _)) = deleted.first() {
                    let _ = s.store.restore_user(o, u.id, now).await;
                }
            }
            6 => {
                let kind = [
                    DirectoryKind::Group,
                    DirectoryKind::Workspace,
                    DirectoryKind::Agent,
                ][rng.gen_range(0..3)];
                let _ = s
                    .store
                    .create_item(o, kind, &format!("Item {}", rng.gen_range(0..20)), now)
                    .await;
            }
            7 => {
                if let Some(g) = pick(rng, &groups) {
                    let _ = s
                        .store
                        .rename_item(o, None, g, &format!("Item {}", rng.gen_range(0..20)), now)
                        .await;
                }
            }
            8 => {
                let all: Vec<Id> = [groups.clone(), spaces.clone(), agents.clone()].concat();
                if let Some(i) = pick(rng, &all) {
                    let _ = s.store.delete_item(o, None, i, now).await;
                }
            }
            9 | 10 => {
                let (kind, a, b) = match rng.gen_range(0..6) {
                    0 => (LinkKind::UserGroup, user, pick(rng, &groups)),
                    1 => (LinkKind::UserWorkspace, user, pick(rng, &spaces)),
                    2 => (
                        LinkKind::GroupWorkspace,
                        pick(rng, &groups),
                        pick(rng, &spaces),
                    ),
                    3 => (
                        LinkKind::AgentWorkspace,
                        pick(rng, &agents),
                        pick(rng, &spaces),
                    ),
                    4 => (LinkKind::AgentUser, pick(rng, &agents), user),
                    _ => (LinkKind::AgentGroup, pick(rng, &agents), pick(rng, &groups)),
                };
                if let (Some(a), Some(b)) = (a, b) {
                    let _ = match rng.gen_bool(0.7) {
                        true => s.store.link(o, kind, a, b, now).await,
                        false => s.store.unlink(o, kind, a, b, now).await,
                    };
                }
            }
            _ => {
                let _ = s.store.set_seats(o, rng.gen_range(5..30), now).await;
            }
        }
    }
}
