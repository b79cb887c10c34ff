//! Races over HTTP: 64 clients for the last seats (exactly as many win as there were seats),
//! two editors on one user (no lost update: the loser gets 412), and a change-feed client that
//! reads with random page sizes and replays while others write, ending with the server's data.

use std::collections::BTreeMap;
use std::sync::Arc;

use omni_core::model::Role;
use omni_store::NewUser;
use rand::Rng;
use serde_json::{json, Value};

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_clients_race_for_the_last_seats() {
    const SEATS: i64 = 7;
    let s = Arc::new(Server::start(SEATS).await);
    let mut ids = Vec::new();
    for i in 0..64 {
        let u = s
            .store
            .create_user(
                &s.owner,
                NewUser {
                    email: email(&format!("r{i}@a.example")),
                    phone: None,
                    role: Role::User,
                },
                s.now(),
            )
            .await
            .unwrap();
        ids.push(u.id);
    }
    let t = Arc::new(cached_token(&admin_a()).await);
    let tasks: Vec<_> = ids
        .iter()
        .map(|&id| {
            let (s, t) = (s.clone(), t.clone());
            tokio::spawn(async move {
                let path = format!("/v1/orgs/{}/users/{id}", s.org());
                let (_, h, _) = s.call("GET", &path, Some(&t), None, None).await;
                let etag = h["etag"].to_str().unwrap().to_string();
                s.call(
                    "PUT",
                    &format!("{path}/license"),
                    Some(&t),
                    Some(json!({"licensed": true})),
                    Some(&etag),
                )
                .await
            })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        let (status, _, body) = task.await.unwrap();
        match status {
            200 => won += 1,
            409 => assert_eq!(body["code"], "no_seat_available", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(won, SEATS);
    let summary = s.store.summary(&s.owner).await.unwrap();
    assert_eq!(summary.licensed, SEATS);
    assert_eq!(s.store.recount(s.org()).await.unwrap().1, SEATS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_editors_racing_on_one_user_lose_no_update() {
    let s = Arc::new(Server::start(10).await);
    let t = Arc::new(cached_token(&admin_a()).await);
    let path = format!("/v1/orgs/{}/users/{}", s.org(), s.target);
    for round in 0..10 {
        let (_, h, _) = s.call("GET", &path, Some(&t), None, None).await;
        let etag = h["etag"].to_str().unwrap().to_string();
        let phones = [
            format!("+551198765{round:04}"),
            format!("+551191234{round:04}"),
        ];
        let tasks: Vec<_> = phones
            .iter()
            .map(|p| {
                let (s, t, path, etag, p) =
                    (s.clone(), t.clone(), path.clone(), etag.clone(), p.clone());
                tokio::spawn(async move {
                    let r = s
                        .call(
                            "PATCH",
                            &path,
                            Some(&t),
                            Some(json!({"phone": p})),
                            Some(&etag),
                        )
                        .await;
                    (r.0, p)
                })
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        let winners: Vec<_> = results.iter().filter(|r| r.0 == 200).collect();
        let losers: Vec<_> = results.iter().filter(|r| r.0 == 412).collect();
        assert_eq!((winners.len(), losers.len()), (1, 1), "{results:?}");
        let (_, _, u) = s.call("GET", &path, Some(&t), None, None).await;
        let stored = u["phone"].to_string();
        let digits: String = winners[0]
            .1
            .chars()
            .filter(|c| c.is_ascii_digit())
            .collect();
        assert!(
            stored.contains(&digits[digits.len() - 8..]),
            "{stored} vs {}",
            winners[0].1
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_feed_client_from_zero_ends_with_the_servers_data() {
    let s = Server::start(200).await;
    let t = cached_token(&admin_a()).await;
    let org = format!("/v1/orgs/{}", s.org());
    let mut rng = rand::thread_rng();
    let mut local: BTreeMap<i64, Value> = BTreeMap::new();
    let mut after = 0i64;
    let mut created: Vec<i64> = Vec::new();
    for step in 0..60 {
        // Someone changes things...
        match rng.gen_range(0..4) {
            0 | 1 => {
                let (st, _, u) = s
                    .call(
                        "POST",
                        &format!("{org}/users"),
                        Some(&t),
                        Some(json!({"email": format!("f{step}@a.example")})),
                        None,
                    )
                    .await;
                assert_eq!(st, 201);
                created.push(u["id"].as_i64().unwrap());
            }
            2 if !created.is_empty() => {
                let id = created[rng.gen_range(0..created.len())];
                let (st, h, _) = s
                    .call("GET", &format!("{org}/users/{id}"), Some(&t), None, None)
                    .await;
                if st == 200 {
                    let e = h["etag"].to_str().unwrap().to_string();
                    s.call(
                        "PUT",
                        &format!("{org}/users/{id}/license"),
                        Some(&t),
                        Some(json!({"licensed": rng.gen_bool(0.5)})),
                        Some(&e),
                    )
                    .await;
                }
            }
            _ if !created.is_empty() => {
                let id = created[rng.gen_range(0..created.len())];
                let (st, h, _) = s
                    .call("GET", &format!("{org}/users/{id}"), Some(&t), None, None)
                    .await;
                if st == 200 {
                    let e = h["etag"].to_str().unwrap().to_string();
                    assert_eq!(
                        s.call(
                            "DELETE",
                            &format!("{org}/users/{id}"),
                            Some(&t),
                            None,
                            Some(&e)
                        )
                        .await
                        .0,
                        204
                    );
                }
            }
            _ => {}
        }
        // ...while the client reads a page of random size, sometimes replaying the last one.
        let replay = rng.gen_bool(0.3) && after > 0;
        let from = if replay {
            (after - rng.gen_range(1..=3)).max(0)
        } else {
            after
        };
        let limit = rng.gen_range(1..=7);
        let (st, _, page) = s
            .call(
                "GET",
                &format!("{org}/changes?after={from}&limit={limit}"),
                Some(&t),
                None,
                None,
            )
            .await;
        assert_eq!(st, 200, "{page}");
        apply(&mut local, &page);
        after = after.max(page["next"].as_i64().unwrap());
    }
    loop {
        let (_, _, page) = s
            .call(
                "GET",
                &format!("{org}/changes?after={after}&limit=5"),
                Some(&t),
                None,
                None,
            )
            .await;
        apply(&mut local, &page);
        after = page["next"].as_i64().unwrap();
        if page["done"].as_bool().unwrap() {
            break;
        }
    }
    let (_, _, list) = s
        .call(
            "GET",
            &format!("{org}/users?limit=1000"),
            Some(&t),
            None,
            None,
        )
        .await;
    let server: BTreeMap<i64, Value> = list["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["id"].as_i64().unwrap(), u.clone()))
        .collect();
    assert_eq!(local, server);

    // A month later the server has forgotten these entries: a client that last read before
    // them is told to resynchronise (410), one that is up to date carries on.
    s.store.forget_expired(s.now().plus_days(31)).await.unwrap();
    let read = |from: i64| {
        let (s, t, org) = (&s, &t, &org);
        async move {
            s.call(
                "GET",
                &format!("{org}/changes?after={from}&limit=5"),
                Some(t),
                None,
                None,
            )
            .await
        }
    };
    let (st, _, body) = read(0).await;
    assert_eq!((st, body["code"].as_str()), (410, Some("resync")), "{body}");
    let (st, _, page) = read(after).await;
    assert_eq!((st, page["done"].as_bool()), (200, Some(true)), "{page}");
}

fn apply(local: &mut BTreeMap<i64, Value>, page: &Value) {
    for c in page["changes"].as_array().unwrap() {
        if c["entity"] != "user" {
            continue;
        }
        let id = c["id"].as_i64().unwrap();
        match (c["op"].as_str().unwrap(), c.get("user")) {
            ("upsert", Some(u)) => {
                local.insert(id, u.clone());
            }
            ("upsert", None) => {} // deleted since; a later delete entry follows
            _ => {
                local.remove(&id);
            }
        }
    }
}
