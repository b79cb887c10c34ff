//! A write sent again: its answer lost after the server did it, or a 503 before, through a proxy
//! in front of the real server. The server runs a write once per `Idempotency-Key`, so the
//! write happens once and the client gets its answer; every write carries its own key, and
//! each retry (after a lost answer, a 503 or a refused token) the same one.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use omni_client::ServerOrganization;
use omni_core::model::Role;
use omni_requests::Organization;
use omni_store::{DirectoryKind, ImportOptions, LinkKind, NewUser, UserEdit, UserQuery};

use crate::common::*;

fn through(p: &Proxy, s: &Server, session: Arc<Session>) -> ServerOrganization {
    ServerOrganization::new(
        p.url.clone(),
        s.org(),
        omni_client::http_client().unwrap(),
        session,
    )
}

fn new_user(e: &str) -> NewUser {
    NewUser {
        email: email(e),
        phone: None,
        role: Role::User,
    }
}

async fn users_named(s: &Server, search: &str) -> i64 {
    let direct = s.as_person(Session::new(OWNER));
    let q = UserQuery {
        search: Some(search.into()),
        limit: 100,
        ..UserQuery::default()
    };
    direct.list_users(q).await.unwrap().total
}

fn is_key(k: &Option<String>) -> bool {
    k.as_ref()
        .is_some_and(|k| k.len() == 32 && k.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_whose_answer_was_lost_is_sent_again_and_done_once() {
    let s = Server::start(10).await;
    let p = proxy(&s.url, vec![Act::LoseAnswer, Act::Relay, Act::LoseAnswer]).await;
    let org = through(&p, &s, Session::new(OWNER));

    // Sent twice without a key, the second would be refused: the user exists.
    let nova = org.create_user(new_user("nova@a.example")).await.unwrap();
    assert_eq!(nova.email.as_str(), "nova@a.example");
    assert_eq!(users_named(&s, "nova@").await, 1);
    assert_eq!(org.summary().await.unwrap().total_users, 5);

    // Sent twice without a key, the second would answer "nothing changed".
    let added = org
        .link(LinkKind::UserGroup, s.target, s.group)
        .await
        .unwrap();
    assert!(added, "the first answer, replayed");
    let links = org.user_links(s.target).await.unwrap();
    assert_eq!(links.len(), 1, "{links:?}");

    let w = p.writes();
    assert_eq!(w.len(), 4, "{w:?}");
    for pair in w.chunks(2) {
        let (lost, again) = (&pair[0], &pair[1]);
        assert_eq!(lost.act, Act::LoseAnswer);
        assert!(lost.status.is_some_and(|st| st < 300), "done: {lost:?}");
        assert!(!lost.replayed);
        assert_eq!((&again.method, &again.path), (&lost.method, &lost.path));
        assert!(is_key(&again.key), "{again:?}");
        assert_eq!(again.key, lost.key, "a retry carries the same key");
        assert_eq!(again.status, lost.status);
        assert!(again.replayed, "the server answered from its record");
    }
    assert_ne!(w[0].key, w[2].key);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_answered_503_is_sent_again_after_its_retry_after() {
    let s = Server::start(10).await;
    let p = proxy(&s.url, vec![Act::Unavailable]).await;
    let org = through(&p, &s, Session::new(OWNER));

    let started = Instant::now();
    let vera = org.create_user(new_user("vera@a.example")).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1"
    );
    assert_eq!(vera.email.as_str(), "vera@a.example");
    assert_eq!(users_named(&s, "vera@").await, 1);

    let w = p.writes();
    assert_eq!(w.len(), 2, "{w:?}");
    assert_eq!((w[0].act, w[1].act), (Act::Unavailable, Act::Relay));
    assert!(is_key(&w[0].key));
    assert_eq!(w[1].key, w[0].key);
    assert_eq!(w[1].status, Some(201));
    assert!(!w[1].replayed, "the server had not seen it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_carries_its_own_key_and_a_refused_token_s_retry_the_same() {
    let s = Server::start(10).await;
    let p = proxy(&s.url, vec![]).await;
    // The first token is refused: the first write is sent again with a fresh one.
    let org = through(&p, &s, Session::stale(OWNER, false));

    org.set_seats(20).await.unwrap();
    let nova = org.create_user(new_user("nova@a.example")).await.unwrap();
    org.edit_user(
        nova.id,
        UserEdit {
            role: Some(Role::Collaborator),
            ..UserEdit::default()
        },
    )
    .await
    .unwrap();
    org.set_role(vec![s.target], Role::Collaborator)
        .await
        .unwrap();
    org.set_licensed(vec![s.target], true).await.unwrap();
    org.delete_users(vec![nova.id]).await.unwrap();
    org.restore_user(nova.id).await.unwrap();
    let ws = org
        .create_item(DirectoryKind::Workspace, "Feld".into())
        .await
        .unwrap();
    org.rename_item(DirectoryKind::Workspace, ws.id, "Field".into())
        .await
        .unwrap();
    assert!(org
        .link(LinkKind::GroupWorkspace, s.group, ws.id)
        .await
        .unwrap());
    assert!(org
        .unlink(LinkKind::GroupWorkspace, s.group, ws.id)
        .await
        .unwrap());
    org.delete_item(DirectoryKind::Workspace, ws.id)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("people.csv");
    std::fs::write(&file, "ines@a.example\n").unwrap();
    let options = ImportOptions {
        role: Role::User,
        licensed: false,
    };
    let (_, staged) = org
        .import_preview(file, options, Arc::new(|_| {}))
        .await
        .unwrap();
    let report = org
        .import_commit(
            staged,
            options,
            Arc::new(|_| {}),
            Arc::new(AtomicBool::new(false)),
        )
        .await
        .unwrap();
    assert_eq!(report.created, 1);

    let w = p.writes();
    let org_path = format!("/v1/orgs/{}", s.org());
    let routes: Vec<(&str, String)> = w
        .iter()
        .map(|r| {
            let path = r.path.split('?').next().unwrap();
            let rest = path.strip_prefix(&org_path).unwrap();
            let rest = rest
                .split('/')
                .map(|part| {
                    // A user's or item's number, or an upload's hex name.
                    let id = part.parse::<i64>().is_ok()
                        || (part.len() >= 16 && part.bytes().all(|b| b.is_ascii_hexdigit()));
                    if id {
                        "ID"
                    } else {
                        part
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            (r.method.as_str(), rest)
        })
        .collect();
    let expected = [
        ("PUT", "/seats"),
        ("PUT", "/seats"),
        ("POST", "/users"),
        ("PATCH", "/users/ID"),
        ("POST", "/roles"),
        ("POST", "/licenses"),
        ("POST", "/deleted-users"),
        ("POST", "/users/ID/restore"),
        ("POST", "/directory/workspaces"),
        ("PATCH", "/directory/workspaces/ID"),
        ("POST", "/links"),
        ("DELETE", "/links"),
        ("DELETE", "/directory/workspaces/ID"),
        ("POST", "/imports"),
        ("POST", "/imports/ID/commit"),
    ];
    let routes: Vec<(&str, &str)> = routes.iter().map(|(m, r)| (*m, r.as_str())).collect();
    assert_eq!(routes, expected);

    // The refused token's retry: the same key, and the write done.
    assert_eq!((w[0].status, w[1].status), (Some(401), Some(200)));
    assert_eq!(w[1].key, w[0].key);
    assert_eq!(s.store.summary(&s.owner).await.unwrap().seats.purchased, 20);
    // The upload carries none; every other write its own.
    let upload = w.len() - 2;
    assert_eq!(w[upload].key, None);
    let mut keys: Vec<&String> = w[1..]
        .iter()
        .enumerate()
        .filter(|(i, _)| *i + 1 != upload)
        .map(|(_, r)| {
            assert!(is_key(&r.key), "{r:?}");
            r.key.as_ref().unwrap()
        })
        .collect();
    let count = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), count, "a new key for each write");
    assert!(w.iter().all(|r| r.status.is_some_and(|st| st != 422)));
}
