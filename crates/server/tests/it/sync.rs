//! Connected mode, part 2: the snapshot, Idempotency-Key and the long poll, through a real
//! server (issue 14).

use std::time::{Duration, Instant};

use omni_store::sync::Record;
use omni_store::{Store, UserQuery};
use serde_json::{json, Value};

use crate::common::*;

/// Sends a request with an optional Idempotency-Key; returns status, headers and body text.
pub async fn keyed(
    s: &Server,
    method: &str,
    path: &str,
    body: Option<Value>,
    key: Option<&str>,
    if_match: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let t = cached_token(&admin_a()).await;
    let mut rb = s
        .http
        .request(method.parse().unwrap(), format!("{}{path}", s.url))
        .bearer_auth(t);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    if let Some(k) = key {
        rb = rb.header("idempotency-key", k);
    }
    if let Some(m) = if_match {
        rb = rb.header("if-match", m);
    }
    let res = rb.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.text().await.unwrap())
}

/// The snapshot's bytes as the server sent them.
async fn snapshot_bytes(s: &Server) -> (u16, String) {
    let t = cached_token(&admin_a()).await;
    let res = s
        .http
        .get(format!("{}/v1/orgs/{}/snapshot", s.url, s.org()))
        .bearer_auth(t)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

fn records(ndjson: &str) -> Vec<Record> {
    ndjson
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A copy: a fresh SQLite store with the snapshot applied.
async fn copy_of(
    ndjson: &str,
) -> (
    Store,
    tempfile::TempDir,
    omni_core::error::Result<omni_store::sync::Applied>,
) {
    let dir = tempfile::tempdir().unwrap();
    let copy = Store::open(&dir.path().join("copy.db")).await.unwrap();
    let applied = copy
        .apply_snapshot(std::io::Cursor::new(ndjson.as_bytes().to_vec()))
        .await;
    (copy, dir, applied)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_holds_the_organization_and_a_copy_made_from_it_equals_the_server() {
    let s = Server::start(10).await;
    let now = s.now();
    s.store
        .set_licensed(&s.owner, &[s.target], true, now)
        .await
        .unwrap();
    s.store
        .link(
            &s.owner,
            omni_store::LinkKind::UserGroup,
            s.user,
            s.group,
            now,
        )
        .await
        .unwrap();
    let (status, text) = snapshot_bytes(&s).await;
    assert_eq!(status, 200, "{text}");
    let recs = records(&text);
    let Record::Header(h) = &recs[0] else {
        panic!("no header: {text}")
    };
    let Record::End(end) = recs.last().unwrap() else {
        panic!("no end")
    };
    assert_eq!((end.position, end.counts), (h.position, h.counts));
    let feed = s.store.changes(&s.owner, 0, 10_000, now).await.unwrap();
    assert_eq!(
        h.position, feed.next,
        "the snapshot is at the feed's position"
    );
    // Live users equal the users table read through the list endpoint; the deleted one is there.
    let (_, _, page) = s
        .call(
            "GET",
            &format!("/v1/orgs/{}/users?limit=1000", s.org()),
            Some(&cached_token(&admin_a()).await),
            None,
            None,
        )
        .await;
    let listed: Vec<(i64, String, i64, bool)> = page["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["id"].as_i64().unwrap(),
                u["email"].as_str().unwrap().into(),
                u["version"].as_i64().unwrap(),
                u["licensed"].as_bool().unwrap(),
            )
        })
        .collect();
    let mut live: Vec<(i64, String, i64, bool)> = recs
        .iter()
        .filter_map(|r| match r {
            Record::User(u) if u.deleted_at.is_none() => {
                Some((u.id, u.email.clone(), u.version, u.licensed))
            }
            _ => None,
        })
        .collect();
    let mut listed_sorted = listed.clone();
    listed_sorted.sort();
    live.sort();
    assert_eq!(live, listed_sorted);
    assert!(recs
        .iter()
        .any(|r| matches!(r, Record::User(u) if u.id == s.deleted && u.deleted_at.is_some())));
    assert_eq!(h.counts.deleted_users, 1);
    assert!(recs
        .iter()
        .any(|r| matches!(r, Record::Item(i) if i.id == s.group && i.name == "Sales")));
    assert_eq!(h.counts.links, 1);

    // The copy answers as the server does.
    let (copy, _dir, applied) = copy_of(&text).await;
    let applied = applied.unwrap();
    assert_eq!(applied.position, h.position);
    let q = UserQuery {
        limit: 1000,
        ..Default::default()
    };
    let here = copy.list_users(&s.owner, &q, now).await.unwrap();
    let there = s.store.list_users(&s.owner, &q, now).await.unwrap();
    assert_eq!(format!("{:?}", here.users), format!("{:?}", there.users));
    assert_eq!(
        copy.summary(&s.owner).await.unwrap(),
        s.store.summary(&s.owner).await.unwrap()
    );
    assert_eq!(
        format!("{:?}", copy.deleted_users(&s.owner, now).await.unwrap()),
        format!("{:?}", s.store.deleted_users(&s.owner, now).await.unwrap())
    );
    assert_eq!(
        format!("{:?}", copy.user_links(&s.owner, s.user).await.unwrap()),
        format!("{:?}", s.store.user_links(&s.owner, s.user).await.unwrap())
    );
    // The copy's feed starts where the snapshot is.
    let copy_feed = copy.changes(&s.owner, h.position, 10, now).await.unwrap();
    assert!(copy_feed.changes.is_empty() && copy_feed.next == h.position);

    // A user without the right to read the table gets no snapshot.
    let u = cached_token(&user_a()).await;
    let (st, _, _) = s
        .call(
            "GET",
            &format!("/v1/orgs/{}/snapshot", s.org()),
            Some(&u),
            None,
            None,
        )
        .await;
    assert_eq!(st, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_snapshot_is_refused_and_leaves_the_copy_as_it_was() {
    let s = Server::start(10).await;
    let (_, text) = snapshot_bytes(&s).await;
    let lines: Vec<&str> = text.lines().collect();
    for keep in [lines.len() - 1, 3, 1] {
        let cut = lines[..keep].join("\n") + "\n";
        let (copy, _dir, applied) = copy_of(&cut).await;
        let e = applied.unwrap_err();
        assert!(e.message.contains("incomplete"), "{}", e.message);
        assert!(copy.orgs().await.unwrap().is_empty(), "nothing applied");
    }
    // A copy holding an older snapshot keeps it when a newer one is cut.
    let (copy, _dir, applied) = copy_of(&text).await;
    applied.unwrap();
    let cut = lines[..lines.len() - 1].join("\n") + "\n";
    let e = copy
        .apply_snapshot(std::io::Cursor::new(cut.into_bytes()))
        .await;
    assert!(e.is_err());
    assert_eq!(copy.summary(&s.owner).await.unwrap().total_users, 4);
}

/// The copy's indexes of the users table, by name, as its schema states them.
async fn user_indexes(copy_file: &std::path::Path) -> Vec<(String, String)> {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", copy_file.display()))
        .await
        .unwrap();
    sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'users' \
         AND sql IS NOT NULL ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_first_download_builds_the_copys_indexes_again() {
    // Large enough for the copy to build its random-order indexes after the rows.
    let s = Server::start(10).await;
    let csv: String = (0..25_000)
        .map(|i| {
            format!(
                "person{:05}@{}.example,55,119{:08}\n",
                (i * 7919) % 25_000,
                i % 40,
                i * 37
            )
        })
        .collect();
    s.import_csv(csv).await;
    let (_, text) = snapshot_bytes(&s).await;
    let fresh = tempfile::tempdir().unwrap();
    Store::open(&fresh.path().join("fresh.db")).await.unwrap();
    let schema = user_indexes(&fresh.path().join("fresh.db")).await;
    assert!(schema.iter().any(|(n, _)| n == "users_email"), "{schema:?}");

    // A cut download leaves the copy's indexes as they were.
    let lines: Vec<&str> = text.lines().collect();
    let cut = lines[..lines.len() - 1].join("\n") + "\n";
    let (copy, dir, applied) = copy_of(&cut).await;
    assert!(applied.is_err());
    drop(copy);
    assert_eq!(user_indexes(&dir.path().join("copy.db")).await, schema);

    // A whole one: every index is there again, and the copy answers through them.
    let (copy, dir, applied) = copy_of(&text).await;
    applied.unwrap();
    let now = s.now();
    let q = UserQuery {
        search: Some("person12345@".into()),
        limit: 10,
        ..Default::default()
    };
    let found = copy.list_users(&s.owner, &q, now).await.unwrap();
    assert_eq!(
        format!("{:?}", found.users),
        format!(
            "{:?}",
            s.store.list_users(&s.owner, &q, now).await.unwrap().users
        )
    );
    assert_eq!(found.users.len(), 1);
    assert_eq!(
        copy.summary(&s.owner).await.unwrap(),
        s.store.summary(&s.owner).await.unwrap()
    );
    drop(copy);
    assert_eq!(user_indexes(&dir.path().join("copy.db")).await, schema);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_taken_during_writes_is_one_moment_of_the_organization() {
    let s = Server::start(1_000).await;
    let store = s.store.clone();
    let owner = s.owner;
    let writer = tokio::spawn(async move {
        for i in 0..300 {
            let u = store
                .create_user(
                    &owner,
                    omni_store::NewUser {
                        email: email(&format!("w{i}@a.example")),
                        phone: None,
                        role: omni_core::model::Role::User,
                    },
                    Timestamp(1),
                )
                .await
                .unwrap();
            store
                .set_licensed(&owner, &[u.id], true, Timestamp(1))
                .await
                .unwrap();
        }
    });
    let mut taken = 0;
    while !writer.is_finished() || taken == 0 {
        let (_, text) = snapshot_bytes(&s).await;
        let recs = records(&text);
        let Record::Header(h) = &recs[0] else {
            panic!()
        };
        let Record::Org(org) = &recs[1] else { panic!() };
        let live: Vec<_> = recs
            .iter()
            .filter_map(|r| match r {
                Record::User(u) if u.deleted_at.is_none() => Some(u),
                _ => None,
            })
            .collect();
        // The counters, the rows and the position are of one moment.
        assert_eq!(org.users_total, live.len() as i64);
        assert_eq!(
            org.users_licensed,
            live.iter().filter(|u| u.licensed).count() as i64
        );
        let feed = s.store.changes(&s.owner, 0, 10_000, s.now()).await.unwrap();
        let changed_by_then: std::collections::HashSet<i64> = feed
            .changes
            .iter()
            .filter(|c| c.seq <= h.position && c.entity == omni_store::FeedEntity::User)
            .map(|c| c.id)
            .collect();
        let in_snapshot: std::collections::HashSet<i64> = recs
            .iter()
            .filter_map(|r| match r {
                Record::User(u) => Some(u.id),
                _ => None,
            })
            .collect();
        assert_eq!(
            changed_by_then, in_snapshot,
            "exactly the users created up to its position"
        );
        taken += 1;
    }
    writer.await.unwrap();
    assert!(taken >= 2, "snapshots taken while writing: {taken}");
}

use omni_core::model::Timestamp;

fn users_path(s: &Server) -> String {
    format!("/v1/orgs/{}/users", s.org())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_twice_changes_once_and_answers_the_same() {
    let s = Server::start(1).await;
    let before = s.store.summary(&s.owner).await.unwrap();
    let body = json!({"email": "new@a.example", "role": "collaborator"});
    let first = keyed(
        &s,
        "POST",
        &users_path(&s),
        Some(body.clone()),
        Some("k-create"),
        None,
    )
    .await;
    let again = keyed(
        &s,
        "POST",
        &users_path(&s),
        Some(body),
        Some("k-create"),
        None,
    )
    .await;
    assert_eq!(first.0, 201, "{}", first.2);
    assert_eq!((again.0, &again.2), (first.0, &first.2));
    assert_eq!(again.1["etag"], first.1["etag"]);
    assert_eq!(again.1["idempotent-replayed"], "true");
    assert_eq!(
        s.store.summary(&s.owner).await.unwrap().total_users,
        before.total_users + 1
    );
    // The same key with another request is refused.
    let other = keyed(
        &s,
        "POST",
        &users_path(&s),
        Some(json!({"email": "other@a.example"})),
        Some("k-create"),
        None,
    )
    .await;
    assert_eq!(other.0, 422, "{}", other.2);
    assert!(other.2.contains("idempotency_key_reused"));
    assert!(s
        .store
        .user_id(s.org(), &email("other@a.example"))
        .await
        .is_err());

    // A license toggle sent twice: one change, the first answer (not a 412 for the version).
    let path = format!("/v1/orgs/{}/users/{}/license", s.org(), s.target);
    let v = s
        .store
        .user(&s.owner, s.target, s.now())
        .await
        .unwrap()
        .version;
    let tag = format!("\"{v}\"");
    let feed_before = s
        .store
        .changes(&s.owner, 0, 10_000, s.now())
        .await
        .unwrap()
        .next;
    let one = keyed(
        &s,
        "PUT",
        &path,
        Some(json!({"licensed": true})),
        Some("k-lic"),
        Some(&tag),
    )
    .await;
    let two = keyed(
        &s,
        "PUT",
        &path,
        Some(json!({"licensed": true})),
        Some("k-lic"),
        Some(&tag),
    )
    .await;
    assert_eq!(one.0, 200, "{}", one.2);
    assert_eq!((two.0, two.2.clone()), (one.0, one.2.clone()));
    assert_eq!(
        s.store
            .changes(&s.owner, 0, 10_000, s.now())
            .await
            .unwrap()
            .next,
        feed_before + 1
    );

    // A refusal is kept: the bulk change finds no seat (1 seat, taken), and the retry hears the
    // same refusal even once seats were bought.
    let bulk = format!("/v1/orgs/{}/licenses", s.org());
    let body = json!({"ids": [s.user], "licensed": true});
    let refused = keyed(&s, "POST", &bulk, Some(body.clone()), Some("k-bulk"), None).await;
    assert_eq!(refused.0, 409, "{}", refused.2);
    s.store.set_seats(&s.owner, 5, s.now()).await.unwrap();
    let retried = keyed(&s, "POST", &bulk, Some(body.clone()), Some("k-bulk"), None).await;
    assert_eq!((retried.0, retried.2), (409, refused.2));
    // A new key runs it; that key twice changes once.
    let at = s
        .store
        .changes(&s.owner, 0, 10_000, s.now())
        .await
        .unwrap()
        .next;
    let ok = keyed(
        &s,
        "POST",
        &bulk,
        Some(body.clone()),
        Some("k-bulk-2"),
        None,
    )
    .await;
    let ok2 = keyed(&s, "POST", &bulk, Some(body), Some("k-bulk-2"), None).await;
    assert_eq!(ok.0, 200, "{}", ok.2);
    assert_eq!((ok2.0, ok2.2), (ok.0, ok.2));
    assert_eq!(
        s.store
            .changes(&s.owner, 0, 10_000, s.now())
            .await
            .unwrap()
            .next,
        at + 1
    );
}

/// What the desktop's outbox sends (issue 14, edits made offline): a link made and removed,
/// and a user's edit at the version it was based on (`If-Match`), each sent twice with its
/// key, change once and answer the first answer: not "already linked", not a 412.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_edits_sent_twice_change_once() {
    let s = Server::start(5).await;
    let group = s
        .store
        .create_item(
            &s.owner,
            omni_store::DirectoryKind::Group,
            "Offline",
            s.now(),
        )
        .await
        .unwrap();
    let links = format!("/v1/orgs/{}/links", s.org());
    let body = json!({"kind": "user_group", "a": s.target, "b": group.id});
    let position = |s: &Server| {
        let (store, owner, now) = (s.store.clone(), s.owner, s.now());
        async move { store.changes(&owner, 0, 10_000, now).await.unwrap().next }
    };
    for (method, key) in [("POST", "k-link"), ("DELETE", "k-unlink")] {
        let at = position(&s).await;
        let one = keyed(&s, method, &links, Some(body.clone()), Some(key), None).await;
        let two = keyed(&s, method, &links, Some(body.clone()), Some(key), None).await;
        assert_eq!(one.0, 200, "{}", one.2);
        assert_eq!(one.2, r#"{"changed":true}"#);
        assert_eq!((two.0, &two.2), (one.0, &one.2), "{method}");
        assert_eq!(two.1["idempotent-replayed"], "true");
        assert_eq!(position(&s).await, at + 1, "{method} changed once");
    }
    assert!(s
        .store
        .user_links(&s.owner, s.target)
        .await
        .unwrap()
        .is_empty());

    let path = format!("/v1/orgs/{}/users/{}", s.org(), s.target);
    let v = s
        .store
        .user(&s.owner, s.target, s.now())
        .await
        .unwrap()
        .version;
    let tag = format!("\"{v}\"");
    let edit = json!({"phone": "+12025550143", "role": "collaborator"});
    let one = keyed(
        &s,
        "PATCH",
        &path,
        Some(edit.clone()),
        Some("k-edit"),
        Some(&tag),
    )
    .await;
    let two = keyed(
        &s,
        "PATCH",
        &path,
        Some(edit.clone()),
        Some("k-edit"),
        Some(&tag),
    )
    .await;
    assert_eq!(one.0, 200, "{}", one.2);
    assert_eq!((two.0, &two.2), (one.0, &one.2));
    assert_eq!(two.1["etag"], format!("\"{}\"", v + 1).as_str());
    // A new key at the old version is stale: the edit was based on what is no longer there.
    let stale = keyed(&s, "PATCH", &path, Some(edit), Some("k-edit-2"), Some(&tag)).await;
    assert_eq!(stale.0, 412, "{}", stale.2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_requests_with_one_key_change_once() {
    let s = std::sync::Arc::new(Server::start(10).await);
    let body = json!({"email": "race@a.example"});
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (s, body) = (s.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            keyed(
                &s,
                "POST",
                &users_path(&s),
                Some(body),
                Some("k-race"),
                None,
            )
            .await
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        let (st, _, text) = t.await.unwrap();
        answers.push((st, text));
    }
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, 201);
    assert_eq!(s.store.summary(&s.owner).await.unwrap().total_users, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_commit_sent_twice_imports_once() {
    let s = Server::start(10).await;
    let t = cached_token(&admin_a()).await;
    let res = s
        .http
        .post(format!("{}/v1/orgs/{}/imports", s.url, s.org()))
        .bearer_auth(&t)
        .header("content-type", "text/csv")
        .body("a1@a.example\r\na2@a.example\r\n")
        .send()
        .await
        .unwrap();
    let preview: Value = res.json().await.unwrap();
    let commit = format!(
        "/v1/orgs/{}/imports/{}/commit",
        s.org(),
        preview["upload"].as_str().unwrap()
    );
    let one = keyed(&s, "POST", &commit, None, Some("k-import"), None).await;
    let two = keyed(&s, "POST", &commit, None, Some("k-import"), None).await;
    assert_eq!(one.0, 200, "{}", one.2);
    assert_eq!((two.0, two.2), (one.0, one.2));
    assert_eq!(s.store.summary(&s.owner).await.unwrap().total_users, 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_is_kept_a_day_then_forgotten() {
    let s = Server::start(10).await;
    let body = json!({"name": "Ops"});
    let path = format!("/v1/orgs/{}/directory/groups", s.org());
    let first = keyed(&s, "POST", &path, Some(body.clone()), Some("k-day"), None).await;
    assert_eq!(first.0, 201, "{}", first.2);
    // The server's upkeep at these times (its clock stays: the token would expire).
    let at = |hours: i64| Timestamp(s.now().0 + hours * 3_600_000);
    let f = s.store.forget_expired(at(23)).await.unwrap();
    assert_eq!(f.idempotency_keys, 0);
    let kept = keyed(&s, "POST", &path, Some(body.clone()), Some("k-day"), None).await;
    assert_eq!((kept.0, kept.2), (first.0, first.2.clone()));
    let f = s.store.forget_expired(at(25)).await.unwrap();
    assert_eq!(f.idempotency_keys, 1);
    // Forgotten: the request runs again (and the name is taken now).
    let again = keyed(&s, "POST", &path, Some(body), Some("k-day"), None).await;
    assert_eq!(again.0, 409, "{}", again.2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_poll_wakes_at_a_commit_and_times_out_empty() {
    let s = Server::start(10).await;
    let t = cached_token(&admin_a()).await;
    let at = s
        .store
        .changes(&s.owner, 0, 10_000, s.now())
        .await
        .unwrap()
        .next;
    let url = format!("{}/v1/orgs/{}/changes?after={at}&wait=20", s.url, s.org());
    let http = s.http.clone();
    let tt = t.clone();
    let poll = tokio::spawn(async move {
        let res = http.get(url).bearer_auth(tt).send().await.unwrap();
        let page: Value = res.json().await.unwrap();
        (Instant::now(), page)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!poll.is_finished(), "held while nothing changes");
    s.store
        .set_licensed(&s.owner, &[s.target], true, s.now())
        .await
        .unwrap();
    let committed = Instant::now();
    let (answered, page) = poll.await.unwrap();
    let took = answered.saturating_duration_since(committed);
    assert!(took < Duration::from_millis(100), "woken after {took:?}");
    assert_eq!(page["changes"][0]["id"], s.target);

    // Nothing new: an empty page after `wait`, past the server's 4.5 s bound for other reads.
    let started = Instant::now();
    let next = page["next"].as_i64().unwrap();
    let res = s
        .http
        .get(format!(
            "{}/v1/orgs/{}/changes?after={next}&wait=5",
            s.url,
            s.org()
        ))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let empty: Value = res.json().await.unwrap();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(5) && took < Duration::from_secs(6),
        "{took:?}"
    );
    assert_eq!(empty, json!({"changes": [], "next": next, "done": true}));
}
