//! The permission matrix over HTTP: every endpoint x {Administrator, Collaborator, User, no
//! token, another organization's Administrator} -> the exact status, each case on a fresh server,
//! and nothing changed on a denial (expected statuses written from the SPEC's table).

use serde_json::{json, Value};

use crate::common::*;

/// An endpoint call, built against a fresh fixture.
struct Case {
    name: &'static str,
    method: &'static str,
    path: fn(&Server) -> String,
    body: fn(&Server) -> Option<Value>,
    /// Send the target user's current ETag.
    if_match: bool,
    /// Admin, Collaborator, User, no token, other org's Admin.
    expect: [u16; 5],
}

fn o(s: &Server) -> String {
    format!("/v1/orgs/{}", s.org())
}
fn none(_: &Server) -> Option<Value> {
    None
}

fn cases() -> Vec<Case> {
    const R: u16 = 403;
    vec![
        Case {
            name: "me",
            method: "GET",
            path: |s| format!("{}/me", o(s)),
            body: none,
            if_match: false,
            expect: [200, 200, 200, 401, R],
        },
        Case {
            name: "summary",
            method: "GET",
            path: |s| format!("{}/summary", o(s)),
            body: none,
            if_match: false,
            expect: [200, 200, R, 401, R],
        },
        Case {
            name: "set seats",
            method: "PUT",
            path: |s| format!("{}/seats", o(s)),
            body: |_| Some(json!({"seats": 20})),
            if_match: false,
            expect: [200, R, R, 401, R],
        },
        Case {
            name: "list users",
            method: "GET",
            path: |s| format!("{}/users?limit=5", o(s)),
            body: none,
            if_match: false,
            expect: [200, 200, R, 401, R],
        },
        Case {
            name: "create user",
            method: "POST",
            path: |s| format!("{}/users", o(s)),
            body: |_| {
                Some(
                    json!({"email": "new@a.example", "country_code": "55", "phone": "11987654321"}),
                )
            },
            if_match: false,
            expect: [201, 201, R, 401, R],
        },
        Case {
            name: "create administrator",
            method: "POST",
            path: |s| format!("{}/users", o(s)),
            body: |_| Some(json!({"email": "boss@a.example", "role": "administrator"})),
            if_match: false,
            expect: [201, R, R, 401, R],
        },
        Case {
            name: "get user",
            method: "GET",
            path: |s| format!("{}/users/{}", o(s), s.target),
            body: none,
            if_match: false,
            expect: [200, 200, R, 401, R],
        },
        Case {
            name: "edit phone",
            method: "PATCH",
            path: |s| format!("{}/users/{}", o(s), s.target),
            body: |_| Some(json!({"phone": "+55 11 98765-4321"})),
            if_match: true,
            expect: [200, 200, R, 401, R],
        },
        Case {
            name: "make collaborator",
            method: "PATCH",
            path: |s| format!("{}/users/{}", o(s), s.target),
            body: |_| Some(json!({"role": "collaborator"})),
            if_match: true,
            expect: [200, 200, R, 401, R],
        },
        Case {
            name: "make administrator",
            method: "PATCH",
            path: |s| format!("{}/users/{}", o(s), s.target),
            body: |_| Some(json!({"role": "administrator"})),
            if_match: true,
            expect: [200, R, R, 401, R],
        },
        Case {
            name: "set budget",
            method: "PATCH",
            path: |s| format!("{}/users/{}", o(s), s.target),
            body: |_| Some(json!({"budget": "50"})),
            if_match: true,
            expect: [200, R, R, 401, R],
        },
        Case {
            name: "delete user",
            method: "DELETE",
            path: |s| format!("{}/users/{}", o(s), s.target),
            body: none,
            if_match: true,
            expect: [204, 204, R, 401, R],
        },
        Case {
            name: "license toggle",
            method: "PUT",
            path: |s| format!("{}/users/{}/license", o(s), s.target),
            body: |_| Some(json!({"licensed": true})),
            if_match: true,
            expect: [200, R, R, 401, R],
        },
        Case {
            name: "bulk licenses",
            method: "POST",
            path: |s| format!("{}/licenses", o(s)),
            body: |s| Some(json!({"ids": [s.target, s.user], "licensed": true})),
            if_match: false,
            expect: [200, R, R, 401, R],
        },
        Case {
            name: "bulk make collaborator",
            method: "POST",
            path: |s| format!("{}/roles", o(s)),
            body: |s| Some(json!({"ids": [s.target, s.user], "role": "collaborator"})),
            if_match: false,
            expect: [200, 200, R, 401, R],
        },
        Case {
            name: "bulk make administrator",
            method: "POST",
            path: |s| format!("{}/roles", o(s)),
            body: |s| Some(json!({"ids": [s.target], "role": "administrator"})),
            if_match: false,
            expect: [200, R, R, 401, R],
        },
        Case {
            name: "bulk delete",
            method: "POST",
            path: |s| format!("{}/deleted-users", o(s)),
            body: |s| Some(json!({"ids": [s.target, s.user]})),
            if_match: false,
            expect: [204, 204, R, 401, R],
        },
        Case {
            name: "restore user",
            method: "POST",
            path: |s| format!("{}/users/{}/restore", o(s), s.deleted),
            body: none,
            if_match: false,
            expect: [200, 200, R, 401, R],
        },
        Case {
            name: "deleted users",
            method: "GET",
            path: |s| format!("{}/deleted-users", o(s)),
            body: none,
            if_match: false,
            expect: [200, 200, R, 401, R],
        },
        Case {
            name: "access",
            method: "GET",
            path: |s| format!("{}/users/{}/access", o(s), s.target),
            body: none,
            if_match: false,
            expect: [200, 200, R, 401, R],
        },
        Case {
            name: "user links",
            method: "GET",
            path: |s| format!("{}/users/{}/links", o(s), s.target),
            body: none,
            if_match: false,
            expect: [200, 200, R, 401, R],
        },
        Case {
            name: "list groups",
            method: "GET",
            path: |s| format!("{}/directory/groups", o(s)),
            body: none,
            if_match: false,
            expect: [200, 200, R, 401, R],
        },
        Case {
            name: "create group",
            method: "POST",
            path: |s| format!("{}/directory/groups", o(s)),
            body: |_| Some(json!({"name": "Finance"})),
            if_match: false,
            expect: [201, 201, R, 401, R],
        },
        Case {
            name: "rename group",
            method: "PATCH",
            path: |s| format!("{}/directory/groups/{}", o(s), s.group),
            body: |_| Some(json!({"name": "Sales EU"})),
            if_match: false,
            expect: [200, 200, R, 401, R],
        },
        Case {
            name: "delete group",
            method: "DELETE",
            path: |s| format!("{}/directory/groups/{}", o(s), s.group),
            body: none,
            if_match: false,
            expect: [204, 204, R, 401, R],
        },
        Case {
            name: "link",
            method: "POST",
            path: |s| format!("{}/links", o(s)),
            body: |s| Some(json!({"kind": "user_group", "a": s.target, "b": s.group})),
            if_match: false,
            expect: [200, 200, R, 401, R],
        },
        Case {
            name: "item links",
            method: "GET",
            path: |s| format!("{}/links?item={}", o(s), s.group),
            body: none,
            if_match: false,
            expect: [200, 200, R, 401, R],
        },
        Case {
            name: "changes",
            method: "GET",
            path: |s| format!("{}/changes?after=0&limit=10", o(s)),
            body: none,
            if_match: false,
            expect: [200, 200, R, 401, R],
        },
        Case {
            name: "audit",
            method: "GET",
            path: |s| format!("{}/audit", o(s)),
            body: none,
            if_match: false,
            expect: [200, 200, R, 401, R],
        },
        Case {
            name: "audit, filtered",
            method: "GET",
            path: |s| {
                format!(
                    "{}/audit?actor=owner%40a.example&action=user.create&limit=2",
                    o(s)
                )
            },
            body: none,
            if_match: false,
            expect: [200, 200, R, 401, R],
        },
        Case {
            name: "audit export",
            method: "GET",
            path: |s| format!("{}/audit/export?target=Sales", o(s)),
            body: none,
            if_match: false,
            expect: [200, 200, R, 401, R],
        },
        Case {
            name: "export",
            method: "GET",
            path: |s| format!("{}/export", o(s)),
            body: none,
            if_match: false,
            expect: [200, 200, R, 401, R],
        },
        Case {
            // A person's token is refused as a token before its organization is looked at.
            name: "usage (people cannot report)",
            method: "POST",
            path: |s| format!("{}/usage", o(s)),
            body: |s| Some(json!({"event_id": "e1", "user_id": s.target, "amount_micros": 1000})),
            if_match: false,
            expect: [401, 401, 401, 401, 401],
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_for_every_kind_of_caller() {
    let personas = [
        Some(admin_a()),
        Some(collab_a()),
        Some(user_a()),
        None,
        Some(admin_b()),
    ];
    let names = [
        "Administrator",
        "Collaborator",
        "User",
        "no token",
        "other org's Administrator",
    ];
    let mut failures = Vec::new();
    for case in cases() {
        for (i, p) in personas.iter().enumerate() {
            let s = Server::start(10).await;
            let token = match p {
                Some(p) => Some(cached_token(p).await),
                None => None,
            };
            let etag = if case.if_match {
                let (_, h, _) = s
                    .call(
                        "GET",
                        &format!("{}/users/{}", o(&s), s.target),
                        Some(&cached_token(&admin_a()).await),
                        None,
                        None,
                    )
                    .await;
                Some(h["etag"].to_str().unwrap().to_string())
            } else {
                None
            };
            let before = s.snapshot().await;
            let (status, _, body) = s
                .call(
                    case.method,
                    &(case.path)(&s),
                    token.as_deref(),
                    (case.body)(&s),
                    etag.as_deref(),
                )
                .await;
            let after = s.snapshot().await;
            if status != case.expect[i] {
                failures.push(format!(
                    "{} as {}: {status}, expected {} ({body})",
                    case.name, names[i], case.expect[i]
                ));
            }
            if status >= 400 {
                if before != after {
                    failures.push(format!(
                        "{} as {}: denied but changed something",
                        case.name, names[i]
                    ));
                }
                if !body["code"].is_string() || !body["message"].is_string() {
                    failures.push(format!("{} as {}: error body {body}", case.name, names[i]));
                }
            } else if case.method != "GET" && before == after {
                failures.push(format!(
                    "{} as {}: allowed but changed nothing",
                    case.name, names[i]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_writes_need_a_current_if_match() {
    let s = Server::start(10).await;
    let t = cached_token(&admin_a()).await;
    let path = format!("{}/users/{}", o(&s), s.target);
    let before = s.snapshot().await;
    let (status, _, body) = s
        .call(
            "PATCH",
            &path,
            Some(&t),
            Some(json!({"phone": "+5511987654321"})),
            None,
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (428, Some("precondition_required"))
    );
    let (status, _, _) = s
        .call(
            "PATCH",
            &path,
            Some(&t),
            Some(json!({"phone": "+5511987654321"})),
            Some("\"999\""),
        )
        .await;
    assert_eq!(status, 412);
    let (status, _, _) = s.call("DELETE", &path, Some(&t), None, None).await;
    assert_eq!(status, 428);
    let (status, _, _) = s
        .call(
            "PUT",
            &format!("{path}/license"),
            Some(&t),
            Some(json!({"licensed": true})),
            Some("\"999\""),
        )
        .await;
    assert_eq!(status, 412);
    assert_eq!(before, s.snapshot().await);
    let (_, h, u) = s.call("GET", &path, Some(&t), None, None).await;
    assert_eq!(h["etag"].to_str().unwrap(), format!("\"{}\"", u["version"]));
    let (status, h2, _) = s
        .call(
            "PATCH",
            &path,
            Some(&t),
            Some(json!({"phone": "+5511987654321"})),
            Some(h["etag"].to_str().unwrap()),
        )
        .await;
    assert_eq!(status, 200);
    assert_ne!(h2["etag"], h["etag"]);
    // The policy's refusal says why.
    let c = cached_token(&collab_a()).await;
    let (_, h, _) = s.call("GET", &path, Some(&t), None, None).await;
    let (status, _, body) = s
        .call(
            "PATCH",
            &path,
            Some(&c),
            Some(json!({"role": "administrator"})),
            Some(h["etag"].to_str().unwrap()),
        )
        .await;
    assert_eq!(status, 403);
    assert!(body["message"].as_str().unwrap().len() > 10, "{body}");
}
