//! The rest of the surface: discovery, health, OpenAPI, headers and limits, import upload ->
//! preview -> commit, streamed export, and idempotent usage metering by an application token.

use serde_json::{json, Value};

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meta_endpoints_headers_and_limits() {
    let s = Server::start(10).await;
    let (st, h, cfg) = s
        .call("GET", "/.well-known/omni-configuration", None, None, None)
        .await;
    assert_eq!(st, 200);
    assert_eq!(cfg["client_id"], "desktop");
    assert_eq!(cfg["audience"], "api://omni");
    assert!(cfg["authority"].is_string() && cfg["scopes"].is_array());
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(h.contains_key("content-security-policy"));
    assert_eq!(s.call("GET", "/healthz", None, None, None).await.0, 200);
    assert_eq!(s.call("GET", "/readyz", None, None, None).await.0, 200);
    let (st, _, doc) = s.call("GET", "/openapi.json", None, None, None).await;
    assert_eq!(st, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for p in [
        "/v1/me",
        "/v1/orgs/{org}/users",
        "/v1/orgs/{org}/users/{id}",
        "/v1/orgs/{org}/changes",
        "/v1/orgs/{org}/imports",
        "/v1/orgs/{org}/usage",
        "/v1/orgs/{org}/scim/tokens",
        "/v1/orgs/{org}/scim/tokens/{id}",
    ] {
        assert!(
            doc["paths"][p].is_object(),
            "{p} missing from the OpenAPI document"
        );
    }
    // Every operation may be refused while the database does not answer; every change also
    // when its disk is full (docs/database-outage.md).
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item
            .as_object()
            .unwrap()
            .iter()
            .filter(|_| path.starts_with("/v1/"))
        {
            let r = &op["responses"];
            assert!(
                r["503"]["headers"]["Retry-After"].is_object(),
                "{method} {path}: no 503"
            );
            assert_eq!(
                r["507"].is_object(),
                method != "get",
                "{method} {path}: 507"
            );
        }
    }
    let (st, _, body) = s.call("GET", "/nowhere", None, None, None).await;
    assert_eq!((st, body["code"].as_str()), (404, Some("not_found")));
    // Bodies over the limit are refused before any handler runs.
    let t = cached_token(&admin_a()).await;
    let big = "x".repeat(2 << 20);
    let (st, _, body) = s
        .call(
            "POST",
            &format!("/v1/orgs/{}/directory/groups", s.org()),
            Some(&t),
            Some(json!({"name": big})),
            None,
        )
        .await;
    assert_eq!((st, body["code"].as_str()), (413, Some("too_large")));

    // What the framework refuses before a handler runs still answers {code, message}, and the
    // message says what is wrong and where.
    let groups = format!("{}/v1/orgs/{}/directory/groups", s.url, s.org());
    let bearer = t.as_str();
    let send = |rb: reqwest::RequestBuilder| async move {
        let res = rb.bearer_auth(bearer).send().await.unwrap();
        let status = res.status().as_u16();
        let body: serde_json::Value = res.json().await.unwrap_or_default();
        (status, body)
    };
    let (st, body) = send(
        s.http
            .post(&groups)
            .header("content-type", "application/json")
            .body("{\"name\": "),
    )
    .await;
    assert_eq!((st, body["code"].as_str()), (400, Some("invalid_input")));
    let (st, body) = send(s.http.post(&groups).json(&json!({"title": "Sales"}))).await;
    assert_eq!((st, body["code"].as_str()), (422, Some("invalid_input")));
    assert!(
        body["message"].as_str().unwrap().contains("name"),
        "the message names the missing field: {body}"
    );
    let (st, body) = send(s.http.post(&groups).body("name=Sales")).await;
    assert_eq!(
        (st, body["code"].as_str()),
        (415, Some("unsupported_media_type"))
    );
    let (st, body) = send(s.http.put(&groups)).await;
    assert_eq!(
        (st, body["code"].as_str()),
        (405, Some("method_not_allowed"))
    );
    let users = format!("{}/v1/orgs/{}/users?limit=many", s.url, s.org());
    let (st, body) = send(s.http.get(&users)).await;
    assert_eq!((st, body["code"].as_str()), (400, Some("invalid_input")));
    assert!(
        body["message"].as_str().unwrap().contains("limit"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_upload_preview_commit_and_export() {
    let s = Server::start(10).await;
    let t = cached_token(&admin_a()).await;
    let org = format!("/v1/orgs/{}", s.org());
    let csv =
        "\u{feff}ana@a.example;55;11987654321\r\nBAD LINE\r\nbia@a.example\r\nana@a.example\r\n";
    let before = s.snapshot().await;
    let (st, preview) = upload(&s, s.org(), &t, csv.into()).await;
    assert_eq!(st, 200, "{preview}");
    assert_eq!(preview["report"]["created"], 2);
    assert_eq!(preview["report"]["invalid"], 1);
    assert_eq!(preview["report"]["duplicates_in_file"], 1);
    assert_eq!(before, s.snapshot().await, "a preview writes nothing");
    let upload = preview["upload"].as_str().unwrap();
    assert_eq!(s.spooled(), 1, "the upload waits as a file");
    // Another person cannot commit someone else's upload.
    let c = cached_token(&collab_a()).await;
    assert_eq!(
        s.call(
            "POST",
            &format!("{org}/imports/{upload}/commit"),
            Some(&c),
            None,
            None
        )
        .await
        .0,
        404
    );
    let (st, _, report) = s
        .call(
            "POST",
            &format!("{org}/imports/{upload}/commit"),
            Some(&t),
            None,
            None,
        )
        .await;
    assert_eq!(st, 200, "{report}");
    assert_eq!(report["created"], 2);
    assert_eq!(report["committed"], true);
    assert_eq!(s.spooled(), 0, "a committed upload's file is deleted");
    assert_eq!(
        s.call(
            "POST",
            &format!("{org}/imports/{upload}/commit"),
            Some(&t),
            None,
            None
        )
        .await
        .0,
        404
    );

    let res = s
        .http
        .get(format!("{}{org}/export", s.url))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(text.contains("ana@a.example") && text.contains("bia@a.example"));
    assert_eq!(
        text.lines().count(),
        1 + 6,
        "header + every live user:\n{text}"
    );
    // The filtered view.
    let res = s
        .http
        .get(format!("{}{org}/export?search=ana", s.url))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    let text = res.text().await.unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_filters_pages_and_export() {
    let s = Server::start(10).await;
    let t = cached_token(&admin_a()).await;
    let org = format!("/v1/orgs/{}", s.org());
    let get = |query: String| {
        let (s, t, org) = (&s, &t, &org);
        async move {
            let (st, _, v) = s
                .call("GET", &format!("{org}/audit?{query}"), Some(t), None, None)
                .await;
            assert_eq!(st, 200, "{query}: {v}");
            v
        }
    };
    let actions = |v: &Value| -> Vec<String> {
        v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                format!(
                    "{} {}",
                    e["action"].as_str().unwrap(),
                    e["target"].as_str().unwrap()
                )
            })
            .collect()
    };

    // Organization A's own log only: its creation, four users, a deletion, a group, then the
    // administrator's first sign-in (the token's person linked to owner@a.example).
    let whole = get("limit=100".into()).await;
    assert_eq!(whole["more"], false);
    assert_eq!(actions(&whole).len(), 8, "{whole}");
    assert_eq!(actions(&whole)[0], "identity.link owner@a.example");
    assert!(actions(&whole).iter().all(|a| !a.contains("b.example")));
    // Pages of two after the last entry shown: the same entries, each once.
    let mut paged = Vec::new();
    let mut before = String::new();
    loop {
        let page = get(format!("limit=2{before}")).await;
        paged.extend(actions(&page));
        if page["more"] == false {
            break;
        }
        before = format!("&before={}", page["entries"][1]["id"]);
    }
    assert_eq!(paged, actions(&whole));

    // Filters: target (any case), action, actor, time.
    assert_eq!(
        actions(&get("target=Gone%40A.example".into()).await),
        ["user.delete gone@a.example", "user.create gone@a.example"]
    );
    assert_eq!(
        actions(&get("action=group.create".into()).await),
        ["group.create Sales"]
    );
    assert_eq!(
        actions(&get("actor=owner%40b.example".into()).await).len(),
        0
    );
    // The setup's seven entries share one time; the sign-in came later.
    let setup = whole["entries"][7]["at"].as_i64().unwrap();
    assert_eq!(
        actions(&get(format!("from={}", setup + 1)).await),
        ["identity.link owner@a.example"]
    );
    assert_eq!(
        actions(&get(format!("from={setup}&until={}", setup + 1)).await).len(),
        7
    );

    // The export writes what the filters select, every page, as CSV.
    let res = s
        .http
        .get(format!(
            "{}{org}/audit/export?target=gone%40a.example&limit=1",
            s.url
        ))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"audit.csv\""
    );
    let text = res.text().await.unwrap();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").collect();
    assert_eq!(lines[0], "time,actor,action,target,before,after");
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[1].contains(",owner@a.example,user.delete,gone@a.example,\"{"),
        "{text}"
    );

    // The OpenAPI document describes both, with the filters.
    let (_, _, doc) = s.call("GET", "/openapi.json", None, None, None).await;
    for path in ["/v1/orgs/{org}/audit", "/v1/orgs/{org}/audit/export"] {
        let names: Vec<&str> = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{path} missing"))
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        for name in [
            "actor", "action", "target", "from", "until", "before", "limit",
        ] {
            assert!(names.contains(&name), "{path}: {name} in {names:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_metering_is_idempotent_by_event_id() {
    let s = Server::start(10).await;
    let org = format!("/v1/orgs/{}", s.org());
    let platform = application("tenant-a", "platform-app", "Usage.Report");
    let t = token(&platform).await;
    let event = json!({"event_id": "evt-1", "user_id": s.target, "amount_micros": 1_250_000});
    let (st, _, r) = s
        .call(
            "POST",
            &format!("{org}/usage"),
            Some(&t),
            Some(event.clone()),
            None,
        )
        .await;
    assert_eq!((st, r["recorded"].as_bool()), (200, Some(true)), "{r}");
    let (st, _, r) = s
        .call("POST", &format!("{org}/usage"), Some(&t), Some(event), None)
        .await;
    assert_eq!((st, r["recorded"].as_bool()), (200, Some(false)));
    let u = s.store.user(&s.owner, s.target, s.now()).await.unwrap();
    assert_eq!(u.usage.0, 1_250_000);
    // The platform of another tenant cannot report here.
    let other = Person {
        tenant: "tenant-b",
        ..platform
    };
    let (st, _, _) = s
        .call(
            "POST",
            &format!("{org}/usage"),
            Some(&token(&other).await),
            Some(json!({"event_id": "evt-2", "user_id": s.target, "amount_micros": 5})),
            None,
        )
        .await;
    assert_eq!(st, 403);
}

/// Uploads `csv` as `token`'s person to `org` (`query` appended to the address); returns the
/// status and the answer.
async fn upload_with(
    s: &Server,
    org: i64,
    query: &str,
    token: &str,
    csv: String,
) -> (u16, serde_json::Value) {
    let res = s
        .http
        .post(format!("{}/v1/orgs/{org}/imports{query}", s.url))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or_default())
}

async fn upload(s: &Server, org: i64, token: &str, csv: String) -> (u16, serde_json::Value) {
    upload_with(s, org, "", token, csv).await
}

/// The role and license of new users may change between the preview and the commit: the
/// commit's own, asked of the policy again (a Collaborator cannot turn their upload into
/// Administrators), else the upload's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_creates_users_as_chosen_after_the_preview() {
    let s = Server::start(10).await;
    let org = format!("/v1/orgs/{}", s.org());
    let c = cached_token(&collab_a()).await;
    let (st, preview) = upload(&s, s.org(), &c, "dan@a.example\r\n".into()).await;
    assert_eq!(st, 200, "{preview}");
    let upload_id = preview["upload"].as_str().unwrap().to_string();
    let commit = |query: &'static str| format!("{org}/imports/{upload_id}/commit{query}");
    let (st, _, refused) = s
        .call("POST", &commit("?role=administrator"), Some(&c), None, None)
        .await;
    assert_eq!(st, 403, "{refused}");
    assert_eq!(refused["reason"]["key"], "only_admin_imports_admins");
    // Refused, the upload waits for a commit that may be made.
    let (st, _, report) = s
        .call("POST", &commit("?role=collaborator"), Some(&c), None, None)
        .await;
    assert_eq!(st, 200, "{report}");
    assert_eq!(report["created"], 1);
    let t = cached_token(&admin_a()).await;
    let (_, _, page) = s
        .call(
            "GET",
            &format!("{org}/users?search=dan@"),
            Some(&t),
            None,
            None,
        )
        .await;
    assert_eq!(page["users"][0]["role"], "collaborator", "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_wait_on_disk_each_persons_own_and_expire() {
    let s = Server::start(10).await;
    let a = cached_token(&admin_a()).await;
    let b = cached_token(&person("tenant-b", "oid-admin-b", "owner@b.example")).await;
    let (org_a, org_b) = (s.org(), s.owner_b.org);
    let commit = |org: i64, id: String, t: String| {
        let s = &s;
        async move {
            s.call(
                "POST",
                &format!("/v1/orgs/{org}/imports/{id}/commit"),
                Some(&t),
                None,
                None,
            )
            .await
        }
    };

    // Someone who may not import is refused before anything is stored.
    let u = cached_token(&user_a()).await;
    let (st, body) = upload(&s, org_a, &u, "new@a.example\n".into()).await;
    assert_eq!(
        (st, body["code"].as_str()),
        (403, Some("permission_denied"))
    );
    assert_eq!(s.spooled(), 0);

    // A fifth upload of one person pushes out their own oldest, nobody else's.
    let mut mine = Vec::new();
    for i in 0..5 {
        let (st, p) = upload(&s, org_a, &a, format!("new{i}@a.example\n")).await;
        assert_eq!(st, 200, "{p}");
        mine.push(p["upload"].as_str().unwrap().to_string());
        s.clock.set_offset_ms((i + 1) * 1000);
    }
    let (st, p) = upload(&s, org_b, &b, "new@b.example\n".into()).await;
    assert_eq!(st, 200, "{p}");
    let theirs = p["upload"].as_str().unwrap().to_string();
    assert_eq!(s.spooled(), 5, "four of one person's, one of the other's");
    assert_eq!(commit(org_a, mine[0].clone(), a.clone()).await.0, 404);
    let (st, _, report) = commit(org_a, mine[1].clone(), a.clone()).await;
    assert_eq!((st, report["created"].as_i64()), (200, Some(1)));
    assert_eq!(s.spooled(), 4);

    // Over the size limit: refused as it streams in, and nothing is left on disk.
    let big = "big@a.example\n".repeat((2 << 20) / 14);
    let (st, body) = upload(&s, org_a, &a, big).await;
    assert_eq!(
        (st, body["code"].as_str()),
        (413, Some("too_large")),
        "{body}"
    );
    assert_eq!(s.spooled(), 4);

    // Once the wait is over (ten minutes here) every waiting upload is forgotten, and its file
    // deleted, at the hourly upkeep even when nobody uploads or commits again.
    s.clock.set_offset_ms(11 * 60 * 1000);
    omni_server::forget_expired(&s.state).await;
    assert_eq!(s.spooled(), 0);
    let (st, _, body) = commit(org_a, mine[4].clone(), a.clone()).await;
    assert_eq!(st, 404);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Upload the file again"),
        "{body}"
    );
    assert_eq!(s.spooled(), 0);
    assert_eq!(commit(org_b, theirs, b.clone()).await.0, 404);
    s.clock.set_offset_ms(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_refused_for_want_of_seats_keeps_the_upload_for_another_try() {
    let s = Server::start(10).await;
    let t = cached_token(&admin_a()).await;
    let org = format!("/v1/orgs/{}", s.org());
    let csv: String = (0..12).map(|i| format!("seat{i}@a.example\n")).collect();
    let (st, preview) = upload_with(&s, s.org(), "?licensed=true", &t, csv).await;
    assert_eq!(st, 200, "{preview}");
    let commit = format!(
        "{org}/imports/{}/commit",
        preview["upload"].as_str().unwrap()
    );
    let (st, _, body) = s.call("POST", &commit, Some(&t), None, None).await;
    assert_eq!(
        (st, body["code"].as_str()),
        (409, Some("no_seat_available")),
        "{body}"
    );
    assert_eq!(s.spooled(), 1, "the upload still waits");
    let (st, _, _) = s
        .call(
            "PUT",
            &format!("{org}/seats"),
            Some(&t),
            Some(json!({"seats": 40})),
            None,
        )
        .await;
    assert_eq!(st, 200);
    let (st, _, report) = s.call("POST", &commit, Some(&t), None, None).await;
    assert_eq!(
        (st, report["created"].as_i64()),
        (200, Some(12)),
        "{report}"
    );
    assert_eq!(s.spooled(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_commit_completes_although_its_client_stopped_waiting() {
    let s = Server::start(10).await;
    let t = cached_token(&admin_a()).await;
    let csv: String = (0..20_000)
        .map(|i| format!("late{i:05}@a.example\n"))
        .collect();
    let (st, preview) = upload(&s, s.org(), &t, csv).await;
    assert_eq!(st, 200, "{preview}");
    let before = total_users(&s, &t).await;
    // The client gives up (and closes its connection) long before the import is done.
    let impatient = reqwest::Client::builder()
        .timeout(std::time::Duration::from_millis(30))
        .build()
        .unwrap();
    let commit = format!(
        "{}/v1/orgs/{}/imports/{}/commit",
        s.url,
        s.org(),
        preview["upload"].as_str().unwrap()
    );
    let gave_up = impatient.post(&commit).bearer_auth(&t).send().await;
    assert!(gave_up.is_err(), "the client stopped waiting");
    // The server finishes the import all the same.
    let mut now = before;
    for _ in 0..200 {
        now = total_users(&s, &t).await;
        if now == before + 20_000 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(now, before + 20_000);
}

async fn total_users(s: &Server, token: &str) -> i64 {
    let path = format!("/v1/orgs/{}/summary", s.org());
    let (_, _, v) = s.call("GET", &path, Some(token), None, None).await;
    v["total_users"].as_i64().unwrap()
}

/// The licensed flag and usage (micros) of `id` in the first page of the table, as `token` reads it.
async fn row_in_table(s: &Server, token: &str, id: i64) -> (u16, Option<(bool, i64)>) {
    let (st, _, page) = s
        .call(
            "GET",
            &format!("/v1/orgs/{}/users?limit=100", s.org()),
            Some(token),
            None,
            None,
        )
        .await;
    let row = page["users"].as_array().and_then(|users| {
        let u = users.iter().find(|u| u["id"] == id)?;
        Some((u["licensed"].as_bool()?, u["usage"].as_i64()?))
    });
    (st, row)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_the_table_follows_every_change_although_the_server_keeps_it() {
    let s = Server::start(10).await;
    let admin = token(&admin_a()).await;
    let collab = token(&collab_a()).await;
    assert_eq!(
        row_in_table(&s, &admin, s.target).await,
        (200, Some((false, 0)))
    );
    assert_eq!(
        row_in_table(&s, &collab, s.target).await,
        (200, Some((false, 0)))
    );

    // A change over HTTP.
    let (st, _, _) = s
        .call(
            "POST",
            &format!("/v1/orgs/{}/licenses", s.org()),
            Some(&admin),
            Some(json!({"ids": [s.target], "licensed": true})),
            None,
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(
        row_in_table(&s, &admin, s.target).await,
        (200, Some((true, 0)))
    );

    // A change the server never saw pass: written to the database by another program (the
    // CLI, another server).
    s.store
        .set_licensed(&s.owner, &[s.target], false, s.now())
        .await
        .unwrap();
    assert_eq!(
        row_in_table(&s, &collab, s.target).await,
        (200, Some((false, 0)))
    );
    s.store
        .record_usage(
            s.org(),
            "evt-page",
            s.target,
            omni_core::model::Usd(2_000_000),
            s.now(),
        )
        .await
        .unwrap();
    assert_eq!(
        row_in_table(&s, &admin, s.target).await,
        (200, Some((false, 2_000_000)))
    );

    // A caller removed since they last read the page is refused, not answered from it.
    s.store
        .delete_users(&s.owner, &[s.collab], s.now())
        .await
        .unwrap();
    assert_eq!(row_in_table(&s, &collab, s.target).await, (403, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn me_finds_the_organization_and_role_without_its_id() {
    let s = Server::start(10).await;
    for (p, org, name, role) in [
        (admin_a(), s.org(), "A", "administrator"),
        (collab_a(), s.org(), "A", "collaborator"),
        (user_a(), s.org(), "A", "user"),
        (admin_b(), s.owner_b.org, "B", "administrator"),
    ] {
        let t = token(&p).await;
        let (st, _, me) = s.call("GET", "/v1/me", Some(&t), None, None).await;
        assert_eq!(st, 200, "{me}");
        assert_eq!(me["org"], json!({"id": org, "name": name}), "{me}");
        assert_eq!(me["user"]["email"], json!(p.email.unwrap()));
        assert_eq!(me["role"], json!(role));
        // The same user as the organization's own `me` answers, so the same resolution.
        let (st, _, by_id) = s
            .call("GET", &format!("/v1/orgs/{org}/me"), Some(&t), None, None)
            .await;
        assert_eq!(st, 200);
        assert_eq!(me["user"]["id"], by_id["user"]["id"]);
    }
    // A person of the tenant who is not a registered user is refused, as everywhere.
    let stranger = person("tenant-a", "oid-stranger", "stranger@a.example");
    let (st, _, body) = s
        .call("GET", "/v1/me", Some(&token(&stranger).await), None, None)
        .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (403, Some("permission_denied"))
    );
    // No token, or a tenant bound to no organization: 401.
    assert_eq!(s.call("GET", "/v1/me", None, None, None).await.0, 401);
    let unbound = person("tenant-c", "oid-c", "someone@c.example");
    let (st, _, _) = s
        .call("GET", "/v1/me", Some(&token(&unbound).await), None, None)
        .await;
    assert_eq!(st, 401);
}
