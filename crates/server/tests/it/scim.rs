//! SCIM provisioning (issue 16) through a real server: the requests Entra ID's provisioning
//! sends, as Microsoft documents them; provisioning never grants Administrator; seats under
//! two racing provisioning runs; filters, paging, errors, ETags; and a SCIM change reaching a
//! desktop copy through the change feed.

use omni_store::scim::{ExtensionPolicy, ScimSettings};
use omni_store::ChangePage;
use serde_json::{json, Value};

use crate::common::*;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const EXT: &str = "urn:poweromni:params:scim:schemas:extension:admin:2.0:User";

/// A provisioning token of organization A, made as its owner, with these settings.
async fn token(
    s: &Server,
    name: &str,
    license_new_users: bool,
    extension: ExtensionPolicy,
) -> String {
    let (token, hash) = omni_server::scim::new_token();
    s.store
        .create_scim_token(&s.owner, name, &hash, s.now())
        .await
        .unwrap();
    s.store
        .set_scim_settings(
            &s.owner,
            ScimSettings {
                license_new_users,
                extension,
            },
            s.now(),
        )
        .await
        .unwrap();
    token
}

/// Sends a SCIM request; returns status, headers and JSON body.
async fn scim(
    s: &Server,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut rb = s
        .http
        .request(
            method.parse().unwrap(),
            format!("{}/scim/v2/{}{path}", s.url, s.org()),
        )
        .bearer_auth(token);
    if let Some(b) = body {
        rb = rb
            .header("content-type", "application/scim+json")
            .body(b.to_string());
    }
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    let res = rb.send().await.unwrap();
    let status = res.status().as_u16();
    let h = res.headers().clone();
    let text = res.text().await.unwrap();
    (
        status,
        h,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

/// The user Entra ID's provisioning creates (its documented request).
fn entra_user(email: &str, external: &str) -> Value {
    json!({
        "schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": external,
        "userName": email,
        "active": true,
        "displayName": "Ana Souza",
        "emails": [{"primary": true, "type": "work", "value": email}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Ana Souza", "familyName": "Souza", "givenName": "Ana"},
        "phoneNumbers": [{"type": "mobile", "value": "+55 11 98765-4321"}],
    })
}

fn ops(list: Value) -> Value {
    json!({"schemas": [PATCH], "Operations": list})
}

fn filter(f: &str) -> String {
    format!(
        "/Users?filter={}",
        f.replace(' ', "%20").replace('"', "%22")
    )
}

/// A SCIM error: its shape, status and scimType.
fn assert_scim_error(status: u16, body: &Value, want: u16, scim_type: Option<&str>) {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["schemas"], json!([ERROR]), "{body}");
    assert_eq!(body["status"], json!(want.to_string()), "{body}");
    assert_eq!(body["scimType"].as_str(), scim_type, "{body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entra_provisioning_creates_deactivates_restores_and_groups_people() {
    let s = Server::start(3).await;
    let t = token(&s, "Entra ID", true, ExtensionPolicy::Ignore).await;
    let seats = |s: &Server| {
        let (store, owner) = (s.store.clone(), s.owner);
        async move { store.summary(&owner).await.unwrap() }
    };
    let before = seats(&s).await;

    // Entra looks the person up by userName before creating them.
    let (st, _, found) = scim(
        &s,
        &t,
        "GET",
        &filter("userName eq \"Ana.Souza@A.example\""),
        None,
        &[],
    )
    .await;
    assert_eq!((st, found["totalResults"].clone()), (200, json!(0)));
    let (st, h, ana) = scim(
        &s,
        &t,
        "POST",
        "/Users",
        Some(entra_user("Ana.Souza@A.example", "0a1b-ana")),
        &[],
    )
    .await;
    assert_eq!(st, 201, "{ana}");
    assert_eq!(h["content-type"], "application/scim+json");
    let id = ana["id"].as_str().unwrap().to_string();
    assert_eq!(
        h["etag"].to_str().unwrap(),
        ana["meta"]["version"].as_str().unwrap()
    );
    assert_eq!(
        ana["userName"], "ana.souza@a.example",
        "the email, as everywhere"
    );
    assert_eq!(ana["phoneNumbers"][0]["value"], "+5511987654321", "E.164");
    assert_eq!(ana["externalId"], "0a1b-ana");
    // New users: role User, and (this organization asks for it) a license.
    assert_eq!(ana[EXT]["role"], "user");
    assert_eq!(ana[EXT]["licensed"], true);
    let after = seats(&s).await;
    assert_eq!(after.total_users, before.total_users + 1);
    assert_eq!(after.licensed, before.licensed + 1);

    // The lookup finds them now, by either id, case aside, and both at once.
    for f in [
        "userName eq \"ANA.SOUZA@a.example\"",
        "externalId eq \"0a1b-ana\"",
        "userName eq \"ana.souza@a.example\" and externalId eq \"0a1b-ana\"",
    ] {
        let (_, _, r) = scim(&s, &t, "GET", &filter(f), None, &[]).await;
        assert_eq!(r["totalResults"], 1, "{f}");
        assert_eq!(r["Resources"][0]["id"].as_str(), Some(id.as_str()), "{f}");
    }
    let (_, _, r) = scim(
        &s,
        &t,
        "GET",
        &filter("externalId eq \"0A1B-ANA\""),
        None,
        &[],
    )
    .await;
    assert_eq!(r["totalResults"], 0, "externalId is case-exact");

    // Capitalized ops, "False" as a string: deactivated the way a deletion is.
    let (st, _, off) = scim(
        &s,
        &t,
        "PATCH",
        &format!("/Users/{id}"),
        Some(ops(json!([
            {"op": "Replace", "path": "active", "value": "False"},
        ]))),
        &[],
    )
    .await;
    assert_eq!(st, 200, "{off}");
    assert_eq!(
        (off["active"].clone(), off[EXT]["licensed"].clone()),
        (json!(false), json!(false))
    );
    assert_eq!(seats(&s).await, before, "the seat went back to the pool");
    let deleted = s.store.deleted_users(&s.owner, s.now()).await.unwrap();
    assert!(
        deleted.iter().any(|(u, _)| u.id.to_string() == id),
        "restorable like a deleted user"
    );
    // Still seen by provisioning, inactive.
    let (st, _, seen) = scim(&s, &t, "GET", &format!("/Users/{id}"), None, &[]).await;
    assert_eq!((st, seen["active"].clone()), (200, json!(false)));

    // "True" restores them, licensed again while seats last; other attributes in the same PATCH.
    let (st, _, on) = scim(&s, &t, "PATCH", &format!("/Users/{id}"), Some(ops(json!([
        {"op": "Replace", "path": "active", "value": "True"},
        {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+351 912 345 678"},
        {"op": "Replace", "path": "displayName", "value": "Ana S."},
    ]))), &[]).await;
    assert_eq!(st, 200, "{on}");
    assert_eq!(on["active"], true);
    assert_eq!(on[EXT]["licensed"], true);
    assert_eq!(on["phoneNumbers"][0]["value"], "+351912345678");
    assert_eq!(seats(&s).await, after);

    // Groups: the product's groups; members added and removed in one PATCH.
    let (_, _, bob) = scim(
        &s,
        &t,
        "POST",
        "/Users",
        Some(entra_user("bob@a.example", "0a1b-bob")),
        &[],
    )
    .await;
    let bob_id = bob["id"].as_str().unwrap().to_string();
    let (st, _, g) = scim(
        &s,
        &t,
        "POST",
        "/Groups",
        Some(json!({
            "schemas": [GROUP], "displayName": "Engineering", "externalId": "g-eng",
            "members": [{"value": id}],
        })),
        &[],
    )
    .await;
    assert_eq!(st, 201, "{g}");
    let gid = g["id"].as_str().unwrap().to_string();
    let (st, _, g) = scim(
        &s,
        &t,
        "PATCH",
        &format!("/Groups/{gid}"),
        Some(ops(json!([
            {"op": "Add", "path": "members", "value": [{"value": bob_id}]},
            {"op": "Remove", "path": "members", "value": [{"value": id}]},
        ]))),
        &[],
    )
    .await;
    assert_eq!(st, 200, "{g}");
    assert_eq!(g["members"].as_array().unwrap().len(), 1);
    assert_eq!(g["members"][0]["value"].as_str(), Some(bob_id.as_str()));
    let links = s
        .store
        .user_links(&s.owner, bob_id.parse().unwrap())
        .await
        .unwrap();
    assert!(
        links.iter().any(|(_, item)| item.name == "Engineering"),
        "a product group's link"
    );
    let (_, _, r) = scim(
        &s,
        &t,
        "GET",
        "/Groups?filter=displayName%20eq%20%22Engineering%22&excludedAttributes=members",
        None,
        &[],
    )
    .await;
    assert_eq!(r["totalResults"], 1);
    assert!(r["Resources"][0].get("members").is_none());

    // The audit log names the token; the token shows when it was used.
    let query = omni_store::AuditQuery {
        limit: 50,
        ..Default::default()
    };
    let audit = s.store.audit(&s.owner, &query).await.unwrap().entries;
    assert!(audit
        .iter()
        .any(|e| e.actor == "SCIM: Entra ID" && e.action == "user.delete"));
    assert!(audit
        .iter()
        .any(|e| e.actor == "SCIM: Entra ID" && e.action == "link.add"));
    let tokens = s.store.scim_tokens(&s.owner).await.unwrap();
    assert!(tokens[0].last_used_at.is_some());

    // Deleted: gone for provisioning, still restorable by an Administrator.
    let (st, _, _) = scim(&s, &t, "DELETE", &format!("/Users/{bob_id}"), None, &[]).await;
    assert_eq!(st, 204);
    let (st, _, body) = scim(&s, &t, "GET", &format!("/Users/{bob_id}"), None, &[]).await;
    assert_scim_error(st, &body, 404, None);
    s.store
        .restore_user(&s.owner, bob_id.parse().unwrap(), s.now())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_scim_request_can_grant_administrator() {
    let s = Server::start(3).await;
    let t = token(&s, "Entra ID", false, ExtensionPolicy::Apply).await;
    let (_, _, u) = scim(
        &s,
        &t,
        "POST",
        "/Users",
        Some(entra_user("carla@a.example", "c")),
        &[],
    )
    .await;
    let id = u["id"].as_str().unwrap().to_string();
    let before = s.snapshot().await;
    let admin = json!({"role": "administrator"});
    let mut create = entra_user("dora@a.example", "d");
    create[EXT] = admin.clone();
    let mut put = u.clone();
    put[EXT] = json!({"role": "administrator", "licensed": false});
    let owner = s.owner.user;
    let attempts = [
        ("POST", "/Users".to_string(), create),
        ("PUT", format!("/Users/{id}"), put),
        (
            "PATCH",
            format!("/Users/{id}"),
            ops(
                json!([{"op": "replace", "path": format!("{EXT}:role"), "value": "Administrator"}]),
            ),
        ),
        (
            "PATCH",
            format!("/Users/{id}"),
            ops(json!([{"op": "Replace", "value": {EXT: admin}}])),
        ),
        // Nor change an Administrator's role.
        (
            "PATCH",
            format!("/Users/{owner}"),
            ops(json!([{"op": "replace", "path": format!("{EXT}:role"), "value": "user"}])),
        ),
    ];
    for (method, path, body) in attempts {
        let (st, _, b) = scim(&s, &t, method, &path, Some(body), &[]).await;
        assert_scim_error(st, &b, 403, None);
    }
    assert_eq!(s.snapshot().await, before, "a refusal changes nothing");
    // What it may do: make someone a Collaborator.
    let (st, _, b) = scim(
        &s,
        &t,
        "PATCH",
        &format!("/Users/{id}"),
        Some(ops(json!([
            {"op": "replace", "path": format!("{EXT}:role"), "value": "collaborator"},
        ]))),
        &[],
    )
    .await;
    assert_eq!((st, b[EXT]["role"].clone()), (200, json!("collaborator")));

    // Settings: ignored, the role stays; refused, the request is.
    s.store
        .set_scim_settings(
            &s.owner,
            ScimSettings {
                license_new_users: false,
                extension: ExtensionPolicy::Ignore,
            },
            s.now(),
        )
        .await
        .unwrap();
    let (st, _, b) = scim(
        &s,
        &t,
        "PATCH",
        &format!("/Users/{id}"),
        Some(ops(json!([
            {"op": "replace", "path": format!("{EXT}:role"), "value": "administrator"},
        ]))),
        &[],
    )
    .await;
    assert_eq!((st, b[EXT]["role"].clone()), (200, json!("collaborator")));
    s.store
        .set_scim_settings(
            &s.owner,
            ScimSettings {
                license_new_users: false,
                extension: ExtensionPolicy::Refuse,
            },
            s.now(),
        )
        .await
        .unwrap();
    let (st, _, b) = scim(
        &s,
        &t,
        "PATCH",
        &format!("/Users/{id}"),
        Some(ops(json!([
            {"op": "replace", "path": format!("{EXT}:budget"), "value": "50"},
        ]))),
        &[],
    )
    .await;
    assert_scim_error(st, &b, 403, None);
    // A token cannot manage tokens either (the store's policy).
    let as_token = omni_store::Caller::provisioning(s.org(), 1);
    assert!(s.store.scim_tokens(&as_token).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_racing_provisioning_runs_never_oversubscribe_seats() {
    let s = Server::start(5).await;
    let one = token(&s, "Entra ID", true, ExtensionPolicy::Ignore).await;
    let two = token(&s, "Entra ID (second app)", true, ExtensionPolicy::Ignore).await;
    let before = s.store.summary(&s.owner).await.unwrap();
    assert_eq!(before.licensed, 0);
    let run = |t: String, tag: &'static str| {
        let url = format!("{}/scim/v2/{}/Users", s.url, s.org());
        let http = s.http.clone();
        tokio::spawn(async move {
            let mut out = Vec::new();
            for i in 0..6 {
                let body = entra_user(&format!("{tag}{i}@a.example"), &format!("{tag}{i}"));
                let res = http
                    .post(&url)
                    .bearer_auth(&t)
                    .header("content-type", "application/scim+json")
                    .body(body.to_string())
                    .send()
                    .await
                    .unwrap();
                let st = res.status().as_u16();
                out.push((st, res.json::<Value>().await.unwrap()));
            }
            out
        })
    };
    let (a, b) = tokio::join!(run(one, "run-a-"), run(two, "run-b-"));
    let all: Vec<_> = a.unwrap().into_iter().chain(b.unwrap()).collect();
    let created = all.iter().filter(|(st, _)| *st == 201).count();
    assert_eq!(created, 5, "exactly the seats: {all:?}");
    for (st, body) in all.iter().filter(|(st, _)| *st != 201) {
        assert_scim_error(*st, body, 409, Some("invalidValue"));
        assert!(body["detail"].as_str().unwrap().contains("seat"), "{body}");
    }
    let after = s.store.summary(&s.owner).await.unwrap();
    assert_eq!((after.licensed, after.seats.purchased), (5, 5));
    assert_eq!(
        after.total_users,
        before.total_users + 5,
        "a refused creation leaves nobody behind"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_paging_and_errors_in_scims_own_shape() {
    let s = Server::start(3).await;
    let t = token(&s, "Entra ID", false, ExtensionPolicy::Ignore).await;
    for i in 0..5 {
        let (st, _, _) = scim(
            &s,
            &t,
            "POST",
            "/Users",
            Some(entra_user(&format!("p{i}@a.example"), &format!("p{i}"))),
            &[],
        )
        .await;
        assert_eq!(st, 201);
    }
    let (_, _, all) = scim(&s, &t, "GET", "/Users", None, &[]).await;
    let total = all["totalResults"].as_i64().unwrap();
    assert!(
        total >= 5 + 4,
        "the organization's users (and its deactivated one): {total}"
    );
    let (_, _, page) = scim(&s, &t, "GET", "/Users?startIndex=2&count=2", None, &[]).await;
    assert_eq!(
        (page["startIndex"].clone(), page["itemsPerPage"].clone()),
        (json!(2), json!(2))
    );
    assert_eq!(page["totalResults"].as_i64(), Some(total));
    assert_eq!(page["Resources"][0]["id"], all["Resources"][1]["id"]);
    let (_, _, none) = scim(&s, &t, "GET", "/Users?count=0", None, &[]).await;
    assert_eq!(
        (none["itemsPerPage"].clone(), none["totalResults"].as_i64()),
        (json!(0), Some(total))
    );
    let (_, _, attrs) = scim(
        &s,
        &t,
        "GET",
        "/Users?count=1&attributes=userName",
        None,
        &[],
    )
    .await;
    let r = &attrs["Resources"][0];
    assert!(
        r.get("userName").is_some() && r.get("phoneNumbers").is_none() && r.get("id").is_some()
    );

    let (st, _, b) = scim(&s, &t, "GET", &filter("userName co \"p\""), None, &[]).await;
    assert_scim_error(st, &b, 400, Some("invalidFilter"));
    let (st, _, b) = scim(&s, &t, "GET", &filter("title eq \"x\""), None, &[]).await;
    assert_scim_error(st, &b, 400, Some("invalidFilter"));
    let (st, _, b) = scim(
        &s,
        &t,
        "POST",
        "/Users",
        Some(entra_user("P0@a.example", "again")),
        &[],
    )
    .await;
    assert_scim_error(st, &b, 409, Some("uniqueness"));
    let (st, _, b) = scim(
        &s,
        &t,
        "POST",
        "/Users",
        Some(entra_user("not an email", "x")),
        &[],
    )
    .await;
    assert_scim_error(st, &b, 400, Some("invalidValue"));
    let mut bad_phone = entra_user("q@a.example", "q");
    bad_phone["phoneNumbers"] = json!([{"type": "mobile", "value": "12345"}]);
    let (st, _, b) = scim(&s, &t, "POST", "/Users", Some(bad_phone), &[]).await;
    assert_scim_error(st, &b, 400, Some("invalidValue"));
    let res = s
        .http
        .post(format!("{}/scim/v2/{}/Users", s.url, s.org()))
        .bearer_auth(&t)
        .body("{not json")
        .send()
        .await
        .unwrap();
    let st = res.status().as_u16();
    assert_scim_error(st, &res.json().await.unwrap(), 400, Some("invalidSyntax"));
    let (st, _, b) = scim(&s, &t, "GET", "/Users/999999", None, &[]).await;
    assert_scim_error(st, &b, 404, None);
    let (st, _, b) = scim(&s, &t, "GET", "/Nothing", None, &[]).await;
    assert_scim_error(st, &b, 404, None);
    let (st, _, b) = scim(&s, &t, "DELETE", "/ServiceProviderConfig", None, &[]).await;
    assert_scim_error(st, &b, 405, None);
    let (st, _, b) = scim(
        &s,
        &t,
        "PATCH",
        "/Users/1",
        Some(json!({"Operations": []})),
        &[],
    )
    .await;
    assert_scim_error(st, &b, 400, Some("invalidSyntax"));

    // Tokens: a wrong one, another organization's path, a revoked one.
    let (st, h, b) = scim(&s, "omni_scim_wrong", "GET", "/Users", None, &[]).await;
    assert_scim_error(st, &b, 401, None);
    assert!(h.contains_key("www-authenticate"));
    let res = s
        .http
        .get(format!("{}/scim/v2/{}/Users", s.url, s.owner_b.org))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status().as_u16(),
        401,
        "a token names its own organization only"
    );
    let id = s.store.scim_tokens(&s.owner).await.unwrap()[0].id;
    s.store
        .revoke_scim_token(&s.owner, id, s.now())
        .await
        .unwrap();
    let (st, _, b) = scim(&s, &t, "GET", "/Users", None, &[]).await;
    assert_scim_error(st, &b, 401, None);

    // Only the token's hash is kept.
    if std::env::var("OMNI_TEST_BACKEND").as_deref() != Ok("postgres") {
        let file = std::fs::read(s.sqlite_file()).unwrap();
        let wal = std::fs::read(s.sqlite_file().with_extension("db-wal")).unwrap_or_default();
        let needle = t.as_bytes();
        for bytes in [file, wal] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "the token itself is stored"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etags_guard_users_and_groups() {
    let s = Server::start(3).await;
    let t = token(&s, "Entra ID", false, ExtensionPolicy::Apply).await;
    let (_, h, u) = scim(
        &s,
        &t,
        "POST",
        "/Users",
        Some(entra_user("e@a.example", "e")),
        &[],
    )
    .await;
    let id = u["id"].as_str().unwrap().to_string();
    let v1 = h["etag"].to_str().unwrap().to_string();
    assert!(v1.starts_with("W/\""));
    let (st, _, _) = scim(
        &s,
        &t,
        "GET",
        &format!("/Users/{id}"),
        None,
        &[("if-none-match", &v1)],
    )
    .await;
    assert_eq!(st, 304);
    let change = ops(json!([{"op": "replace", "path": "externalId", "value": "e2"}]));
    let (st, h, _) = scim(
        &s,
        &t,
        "PATCH",
        &format!("/Users/{id}"),
        Some(change.clone()),
        &[("if-match", &v1)],
    )
    .await;
    assert_eq!(st, 200);
    let v2 = h["etag"].to_str().unwrap().to_string();
    assert_ne!(v1, v2);
    for (method, body) in [
        ("PATCH", Some(change)),
        ("PUT", Some(entra_user("e@a.example", "e3"))),
        ("DELETE", None),
    ] {
        let (st, _, b) = scim(
            &s,
            &t,
            method,
            &format!("/Users/{id}"),
            body,
            &[("if-match", &v1)],
        )
        .await;
        assert_scim_error(st, &b, 412, None);
    }
    let (_, _, now) = scim(&s, &t, "GET", &format!("/Users/{id}"), None, &[]).await;
    assert_eq!(now["externalId"], "e2", "a stale write changed nothing");

    let (_, h, g) = scim(
        &s,
        &t,
        "POST",
        "/Groups",
        Some(json!({"schemas": [GROUP], "displayName": "Ops"})),
        &[],
    )
    .await;
    let gid = g["id"].as_str().unwrap().to_string();
    let g1 = h["etag"].to_str().unwrap().to_string();
    let add = ops(json!([{"op": "add", "path": "members", "value": [{"value": id}]}]));
    let (st, h, _) = scim(
        &s,
        &t,
        "PATCH",
        &format!("/Groups/{gid}"),
        Some(add.clone()),
        &[("if-match", &g1)],
    )
    .await;
    assert_eq!(st, 200);
    assert_ne!(
        h["etag"].to_str().unwrap(),
        g1,
        "a member added moves the group's version"
    );
    let (st, _, b) = scim(
        &s,
        &t,
        "PATCH",
        &format!("/Groups/{gid}"),
        Some(add),
        &[("if-match", &g1)],
    )
    .await;
    assert_scim_error(st, &b, 412, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scim_change_reaches_a_desktop_copy_through_the_feed() {
    let s = Server::start(3).await;
    let t = token(&s, "Entra ID", true, ExtensionPolicy::Ignore).await;
    let admin = cached_token(&admin_a()).await;
    let snap = s
        .http
        .get(format!("{}/v1/orgs/{}/snapshot", s.url, s.org()))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let copy = omni_store::Store::open(&dir.path().join("copy.db"))
        .await
        .unwrap();
    let applied = copy
        .apply_snapshot(std::io::Cursor::new(snap.into_bytes()))
        .await
        .unwrap();

    let (_, _, u) = scim(
        &s,
        &t,
        "POST",
        "/Users",
        Some(entra_user("feed@a.example", "f")),
        &[],
    )
    .await;
    let id: i64 = u["id"].as_str().unwrap().parse().unwrap();
    let (_, _, g) = scim(&s, &t, "POST", "/Groups", Some(json!({"schemas": [GROUP], "displayName": "Feed", "members": [{"value": id.to_string()}]})), &[]).await;
    assert!(g["id"].is_string());

    let page: ChangePage = s
        .http
        .get(format!(
            "{}/v1/orgs/{}/changes?after={}",
            s.url,
            s.org(),
            applied.position
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(page.done && !page.changes.is_empty());
    copy.apply_changes(s.org(), &page, s.now()).await.unwrap();
    let seen = copy.user(&s.owner, id, s.now()).await.unwrap();
    assert_eq!(seen.email.as_str(), "feed@a.example");
    assert_eq!(seen.phone.unwrap().e164(), "+5511987654321");
    assert!(seen.licensed);
    let links = copy.user_links(&s.owner, id).await.unwrap();
    assert!(links.iter().any(|(_, i)| i.name == "Feed"));

    // Deactivated over SCIM: the copy sees the deletion.
    let (st, _, _) = scim(
        &s,
        &t,
        "PATCH",
        &format!("/Users/{id}"),
        Some(ops(
            json!([{"op": "Replace", "path": "active", "value": false}]),
        )),
        &[],
    )
    .await;
    assert_eq!(st, 200);
    let page: ChangePage = s
        .http
        .get(format!(
            "{}/v1/orgs/{}/changes?after={}",
            s.url,
            s.org(),
            page.next
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    copy.apply_changes(s.org(), &page, s.now()).await.unwrap();
    assert!(copy.user(&s.owner, id, s.now()).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_create_list_and_revoke_tokens_over_the_api() {
    let s = Server::start(3).await;
    let admin = cached_token(&admin_a()).await;
    let collab = cached_token(&collab_a()).await;
    let path = format!("/v1/orgs/{}/scim/tokens", s.org());
    let (st, _, made) = s
        .call(
            "POST",
            &path,
            Some(&admin),
            Some(json!({"name": "Entra ID"})),
            None,
        )
        .await;
    assert_eq!(st, 201, "{made}");
    let secret = made["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("omni_scim_"));
    // The secret works for SCIM, and is never shown again.
    let (st, _, _) = scim(&s, &secret, "GET", "/Users?count=1", None, &[]).await;
    assert_eq!(st, 200);
    let (st, _, list) = s.call("GET", &path, Some(&admin), None, None).await;
    assert_eq!(st, 200);
    assert_eq!(list[0]["name"], "Entra ID");
    assert!(list[0]["last_used_at"].is_number(), "{list}");
    assert!(!list.to_string().contains(&secret));
    // A Collaborator may not.
    for (method, body) in [("GET", None), ("POST", Some(json!({"name": "mine"})))] {
        let (st, _, b) = s.call(method, &path, Some(&collab), body, None).await;
        assert_eq!(st, 403, "{b}");
        assert_eq!(b["reason"]["key"], "only_admin_manages_provisioning");
    }
    let id = made["token"]["id"].as_i64().unwrap();
    let (st, _, revoked) = s
        .call("DELETE", &format!("{path}/{id}"), Some(&admin), None, None)
        .await;
    assert_eq!(st, 200);
    assert!(revoked["revoked_at"].is_number());
    let (st, _, _) = scim(&s, &secret, "GET", "/Users", None, &[]).await;
    assert_eq!(st, 401);
}
