//! The endpoints the desktop app's connected mode needs beside the others: many users' role or
//! deletion at once, a directory item's links, whom an agent reaches; the refusals' reason and
//! field, which a client shows in the person's language; and an export larger than one chunk.

use serde_json::{json, Value};

use crate::common::*;

fn o(s: &Server) -> String {
    format!("/v1/orgs/{}", s.org())
}

async fn role_of(s: &Server, t: &str, id: i64) -> String {
    let (st, _, u) = s
        .call("GET", &format!("{}/users/{id}", o(s)), Some(t), None, None)
        .await;
    assert_eq!(st, 200, "{u}");
    u["role"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_change_for_many_users_at_once_or_for_none() {
    let s = Server::start(10).await;
    let t = cached_token(&admin_a()).await;
    let (st, _, body) = s
        .call(
            "POST",
            &format!("{}/roles", o(&s)),
            Some(&t),
            Some(json!({"ids": [s.target, s.user], "role": "Collaborator"})),
            None,
        )
        .await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body.as_array().unwrap().len(), 2);
    assert_eq!(role_of(&s, &t, s.target).await, "collaborator");
    assert_eq!(role_of(&s, &t, s.user).await, "collaborator");

    // A Collaborator cannot make an Administrator: refused with its reason, nothing changed.
    let c = cached_token(&collab_a()).await;
    let before = s.snapshot().await;
    let (st, _, body) = s
        .call(
            "POST",
            &format!("{}/roles", o(&s)),
            Some(&c),
            Some(json!({"ids": [s.target], "role": "administrator"})),
            None,
        )
        .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (403, Some("permission_denied"))
    );
    assert!(body["reason"]["key"].is_string(), "{body}");
    assert_eq!(before, s.snapshot().await);

    // A role name nobody has is refused on the form's field.
    let (st, _, body) = s
        .call(
            "POST",
            &format!("{}/roles", o(&s)),
            Some(&t),
            Some(json!({"ids": [s.target], "role": "owner"})),
            None,
        )
        .await;
    assert_eq!((st, body["code"].as_str()), (400, Some("invalid_input")));
    assert_eq!(body["field"], "role");
    assert_eq!(body["reason"]["key"], "unknown_role", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_are_deleted_many_at_once_or_none() {
    let s = Server::start(10).await;
    let t = cached_token(&admin_a()).await;
    let before = s.snapshot().await;
    let (st, _, body) = s
        .call(
            "POST",
            &format!("{}/deleted-users", o(&s)),
            Some(&t),
            Some(json!({"ids": [s.target, 987_654]})),
            None,
        )
        .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    assert_eq!(before, s.snapshot().await, "an unknown id deletes nobody");

    let (st, _, _) = s
        .call(
            "POST",
            &format!("{}/deleted-users", o(&s)),
            Some(&t),
            Some(json!({"ids": [s.target, s.user]})),
            None,
        )
        .await;
    assert_eq!(st, 204);
    let (_, _, gone) = s
        .call(
            "GET",
            &format!("{}/deleted-users", o(&s)),
            Some(&t),
            None,
            None,
        )
        .await;
    let ids: Vec<i64> = gone
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| pair[0]["id"].as_i64().unwrap())
        .collect();
    for id in [s.target, s.user, s.deleted] {
        assert!(ids.contains(&id), "{id} not in {ids:?}");
    }
}

async fn create(s: &Server, t: &str, kind: &str, name: &str) -> i64 {
    let (st, _, item) = s
        .call(
            "POST",
            &format!("{}/directory/{kind}", o(s)),
            Some(t),
            Some(json!({"name": name})),
            None,
        )
        .await;
    assert_eq!(st, 201, "{item}");
    item["id"].as_i64().unwrap()
}

async fn link(s: &Server, t: &str, kind: &str, a: i64, b: i64) {
    let (st, _, body) = s
        .call(
            "POST",
            &format!("{}/links", o(s)),
            Some(t),
            Some(json!({"kind": kind, "a": a, "b": b})),
            None,
        )
        .await;
    assert_eq!((st, body["changed"].as_bool()), (200, Some(true)), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_items_links_and_whom_an_agent_reaches() {
    let s = Server::start(10).await;
    let t = cached_token(&admin_a()).await;
    let ws = create(&s, &t, "workspaces", "Field").await;
    let agent = create(&s, &t, "agents", "Helper").await;
    link(&s, &t, "group_workspace", s.group, ws).await;
    link(&s, &t, "agent_workspace", agent, ws).await;
    link(&s, &t, "agent_user", agent, s.target).await;

    let links = |item: i64| {
        let s = &s;
        let t = &t;
        async move {
            let (st, _, body) = s
                .call(
                    "GET",
                    &format!("{}/links?item={item}", o(s)),
                    Some(t),
                    None,
                    None,
                )
                .await;
            assert_eq!(st, 200, "{body}");
            body.as_array()
                .unwrap()
                .iter()
                .map(|pair| {
                    (
                        pair[0].as_str().unwrap().to_string(),
                        pair[1]["name"].clone(),
                    )
                })
                .collect::<Vec<(String, Value)>>()
        }
    };
    assert_eq!(
        links(s.group).await,
        vec![("group_workspace".to_string(), json!("Field"))]
    );
    assert_eq!(
        links(agent).await,
        vec![("agent_workspace".to_string(), json!("Field"))]
    );
    let (st, _, _) = s
        .call("GET", &format!("{}/links", o(&s)), Some(&t), None, None)
        .await;
    assert_eq!(st, 400, "the item is required");

    let (st, _, reach) = s
        .call(
            "GET",
            &format!("{}/directory/agents/{agent}/reach", o(&s)),
            Some(&t),
            None,
            None,
        )
        .await;
    assert_eq!(st, 200, "{reach}");
    let names: Vec<&str> = reach
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["user"]["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"target@a.example"), "{names:?}");
    assert!(!names.contains(&"user@a.example"), "{names:?}");
    // Only agents reach users; an id that is no agent is not found.
    for path in [
        format!("{}/directory/groups/{agent}/reach", o(&s)),
        format!("{}/directory/agents/{}/reach", o(&s), s.group),
    ] {
        let (st, _, body) = s.call("GET", &path, Some(&t), None, None).await;
        assert_eq!(
            (st, body["code"].as_str()),
            (404, Some("not_found")),
            "{path}"
        );
    }
    // A User sees no directory.
    let u = cached_token(&user_a()).await;
    let (st, _, _) = s
        .call(
            "GET",
            &format!("{}/directory/agents/{agent}/reach", o(&s)),
            Some(&u),
            None,
            None,
        )
        .await;
    assert_eq!(st, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directorys_pages_list_counts_and_an_items_members() {
    let s = Server::start(10).await;
    let t = cached_token(&admin_a()).await;
    let ws = create(
        &s,
        &t,
        "workspaces",
        "Field Sales and Customer Success, Southern Europe",
    )
    .await;
    let agent = create(&s, &t, "agents", "Helper").await;
    link(&s, &t, "group_workspace", s.group, ws).await;
    link(&s, &t, "user_group", s.target, s.group).await;
    link(&s, &t, "agent_group", agent, s.group).await;

    let get = |path: String| {
        let s = &s;
        let t = &t;
        async move {
            let (st, _, body) = s.call("GET", &path, Some(t), None, None).await;
            (st, body)
        }
    };
    let (st, page) = get(format!("{}/directory?kind=groups&limit=10", o(&s))).await;
    assert_eq!(st, 200, "{page}");
    let entry = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["item"]["id"] == json!(s.group))
        .unwrap_or_else(|| panic!("the group in {page}"))
        .clone();
    assert_eq!(
        (&entry["users"], &entry["workspaces"], &entry["agents"]),
        (&json!(1), &json!(1), &json!(1)),
        "{entry}"
    );
    // The whole name, searched by any part of it in any case.
    let (st, found) = get(format!(
        "{}/directory?kind=workspaces&search=SOUTHERN",
        o(&s)
    ))
    .await;
    assert_eq!(st, 200, "{found}");
    assert_eq!(found["total"], 1);
    assert_eq!(
        found["entries"][0]["item"]["name"],
        "Field Sales and Customer Success, Southern Europe"
    );
    let (st, _) = get(format!("{}/directory?kind=people", o(&s))).await;
    assert_eq!(st, 404);

    let (st, item) = get(format!("{}/directory/groups/{}?limit=5", o(&s), s.group)).await;
    assert_eq!(st, 200, "{item}");
    assert_eq!(item["member_link"], "user_group");
    assert_eq!(item["members_total"], 1);
    assert_eq!(item["members"][0]["email"], "target@a.example");
    let linked: Vec<&str> = item["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    // By the other item's name: the workspace "Field …", then the agent "Helper".
    assert_eq!(linked, vec!["group_workspace", "agent_group"]);
    // Another kind's path finds no item with that id.
    let (st, body) = get(format!("{}/directory/agents/{}", o(&s), s.group)).await;
    assert_eq!((st, body["code"].as_str()), (404, Some("not_found")));
    // A User sees no directory.
    let u = cached_token(&user_a()).await;
    let (st, _, _) = s
        .call(
            "GET",
            &format!("{}/directory?kind=groups", o(&s)),
            Some(&u),
            None,
            None,
        )
        .await;
    assert_eq!(st, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_carries_its_reason_and_field_and_a_plain_one_neither() {
    let s = Server::start(10).await;
    let t = cached_token(&admin_a()).await;
    let (st, _, body) = s
        .call(
            "POST",
            &format!("{}/users", o(&s)),
            Some(&t),
            Some(json!({"email": "nobody"})),
            None,
        )
        .await;
    assert_eq!((st, body["code"].as_str()), (400, Some("invalid_input")));
    assert_eq!(body["field"], "email");
    assert!(body["reason"]["key"].is_string(), "{body}");
    assert_eq!(body["message"], "Invalid email: the email has no @.");
    // An answer without reason or field leaves both out, as before.
    let (st, _, body) = s.call("GET", "/nowhere", None, None, None).await;
    assert_eq!(st, 404);
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["code", "message"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_of_many_chunks_streams_to_its_end() {
    let s = Server::start(10).await;
    let csv: String = (0..3_000)
        .map(|i| format!("person{i:05}@a.example\n"))
        .collect();
    s.import_csv(csv).await;
    let t = cached_token(&admin_a()).await;
    let res = s
        .http
        .get(format!("{}{}/export", s.url, o(&s)))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(
        text.len() > 128 << 10,
        "more than two chunks: {}",
        text.len()
    );
    // The header, the fixture's four live users and the imported ones.
    assert_eq!(text.lines().count(), 1 + 4 + 3_000);
    assert!(text.contains("person02999@a.example"));
}
