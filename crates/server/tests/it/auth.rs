//! Token validation against the real provider: the accepted token, key rollover, and every
//! rejected case, each answered 401 with a `WWW-Authenticate` challenge (403 for a valid token
//! of another organization's tenant). Cases a provider never issues (expired, not yet valid,
//! `alg: none`, HMAC with the public key, a tampered signature) are made by hand, signed with
//! the provider's own current key where a signature is needed.

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::common::*;

fn b64(v: &serde_json::Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

async fn summary(s: &Server, token: &str) -> (u16, reqwest::header::HeaderMap) {
    let (status, headers, _) = s
        .call(
            "GET",
            &format!("/v1/orgs/{}/summary", s.org()),
            Some(token),
            None,
            None,
        )
        .await;
    (status, headers)
}

async fn assert_401(s: &Server, token: &str, why: &str) {
    let before = s.snapshot().await;
    let (status, headers) = summary(s, token).await;
    assert_eq!(status, 401, "{why}");
    let challenge = headers
        .get("www-authenticate")
        .unwrap_or_else(|| panic!("{why}: no WWW-Authenticate"))
        .to_str()
        .unwrap();
    assert!(challenge.starts_with("Bearer"), "{why}: {challenge}");
    assert!(challenge.contains("invalid_token"), "{why}: {challenge}");
    assert_eq!(
        before,
        s.snapshot().await,
        "{why}: a rejected token changed something"
    );
}

/// Claims like the provider's, for hand-made tokens.
fn claims(s: &Server, tenant: &str, exp_in: i64, nbf_in: Option<i64>) -> serde_json::Value {
    let now = s.now().0 / 1000;
    let mut c = json!({
        "tid": tenant, "oid": "oid-admin-a", "preferred_username": "owner@a.example",
        "scp": "access_as_user",
        "iss": issuer(tenant), "aud": "api://omni", "iat": now, "exp": now + exp_in,
    });
    if let Some(n) = nbf_in {
        c["nbf"] = json!(now + n);
    }
    c
}

fn sign(kid: &str, pem: &str, claims: &serde_json::Value) -> String {
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some(kid.into());
    jsonwebtoken::encode(
        &h,
        claims,
        &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_token_from_the_orgs_tenant_is_accepted_and_links_the_person() {
    let s = Server::start(10).await;
    let t = token(&admin_a()).await;
    let (status, _, body) = s
        .call(
            "GET",
            &format!("/v1/orgs/{}/me", s.org()),
            Some(&t),
            None,
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["id"], json!(s.owner.user));
    assert_eq!(body["user"]["role"], json!("administrator"));
    let ids = s.store.identities(s.org()).await.unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(
        (ids[0].tenant.as_str(), ids[0].object_id.as_str()),
        ("tenant-a", "oid-admin-a")
    );
    // A hand-made token signed with the provider's current key passes too (the control case
    // for the hand-made rejections below).
    let (kid, pem, _) = signing_key("tenant-a").await;
    assert_eq!(
        summary(&s, &sign(&kid, &pem, &claims(&s, "tenant-a", 600, None)))
            .await
            .0,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_rollover_needs_no_restart() {
    let s = Server::start(10).await;
    // A tenant of its own: other tests running meanwhile must not see its keys change.
    let org = s
        .store
        .create_org("D", &email("owner@d.example"), 5, Some("tenant-d"), s.now())
        .await
        .unwrap()
        .org;
    let p = person("tenant-d", "oid-admin-d", "owner@d.example");
    let path = format!("/v1/orgs/{org}/summary");
    let old = token(&p).await;
    assert_eq!(s.call("GET", &path, Some(&old), None, None).await.0, 200);
    rotate("tenant-d").await;
    let new = token(&p).await;
    let kid = |t: &str| jsonwebtoken::decode_header(t).unwrap().kid.unwrap();
    assert_ne!(kid(&old), kid(&new), "the provider signs with the new key");
    assert_eq!(s.call("GET", &path, Some(&new), None, None).await.0, 200);
    // Tokens signed before the rollover stay valid while the old key is published.
    assert_eq!(s.call("GET", &path, Some(&old), None, None).await.0, 200);
    // Once it is revoked, a token the server accepted before is refused too (when the keys are
    // next fetched: here a token naming a key not seen yet makes the server fetch them).
    retire_old_keys("tenant-d").await;
    rotate("tenant-d").await;
    let newest = token(&p).await;
    assert_eq!(s.call("GET", &path, Some(&newest), None, None).await.0, 200);
    assert_eq!(s.call("GET", &path, Some(&old), None, None).await.0, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_token_is_refused_with_401() {
    let s = Server::start(10).await;
    // No token at all.
    let (status, headers, _) = s
        .call(
            "GET",
            &format!("/v1/orgs/{}/summary", s.org()),
            None,
            None,
            None,
        )
        .await;
    assert_eq!(status, 401);
    assert_eq!(headers["www-authenticate"], "Bearer realm=\"omni\"");

    // From the real provider.
    let wrong_audience = Person {
        resource: "api://other",
        ..admin_a()
    };
    assert_401(&s, &token(&wrong_audience).await, "wrong audience").await;
    let rogue = Person {
        tenant: "rogue",
        ..admin_a()
    };
    assert_401(&s, &token(&rogue).await, "wrong issuer").await;
    let unknown = Person {
        tenant: "tenant-c",
        ..admin_a()
    };
    assert_401(&s, &token(&unknown).await, "unknown tenant").await;
    let real = token(&admin_a()).await;
    let unused = token(&admin_a()).await;
    // Accepted once, so the server remembers it: it must still expire.
    assert_eq!(summary(&s, &real).await.0, 200);
    s.clock.set_offset_ms(2 * 3600 * 1000);
    assert_401(
        &s,
        &real,
        "expired (a real token used before, two hours later)",
    )
    .await;
    assert_401(&s, &unused, "expired (a real token, two hours later)").await;
    s.clock.set_offset_ms(0);
    assert_eq!(summary(&s, &real).await.0, 200);

    // Made by hand, for what a provider never issues.
    let (kid, pem, public_pem) = signing_key("tenant-a").await;
    assert_401(
        &s,
        &sign(&kid, &pem, &claims(&s, "tenant-a", -3600, None)),
        "expired",
    )
    .await;
    assert_401(
        &s,
        &sign(&kid, &pem, &claims(&s, "tenant-a", 7200, Some(3600))),
        "not yet valid",
    )
    .await;
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT", "kid": kid})),
        b64(&claims(&s, "tenant-a", 600, None))
    );
    assert_401(&s, &none, "alg none").await;
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some(kid.clone());
    let hmac = jsonwebtoken::encode(
        &h,
        &claims(&s, "tenant-a", 600, None),
        &EncodingKey::from_secret(public_pem.as_bytes()),
    )
    .unwrap();
    assert_401(&s, &hmac, "HMAC signed with the public key").await;
    // A real token whose payload was changed (a different person), signature kept.
    let parts: Vec<&str> = real.split('.').collect();
    let mut payload: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[1])
            .unwrap(),
    )
    .unwrap();
    payload["oid"] = json!("oid-someone-else");
    let tampered = format!("{}.{}.{}", parts[0], b64(&payload), parts[2]);
    assert_401(&s, &tampered, "tampered payload").await;
    let mut sig = parts[2].as_bytes().to_vec();
    sig[10] = if sig[10] == b'A' { b'B' } else { b'A' };
    let tampered_sig = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        String::from_utf8(sig).unwrap()
    );
    assert_401(&s, &tampered_sig, "tampered signature").await;
    // Signed by a key the tenant never published (tenant-c's), naming its kid.
    let (other_kid, other_pem, _) = signing_key("tenant-c").await;
    assert_401(
        &s,
        &sign(&other_kid, &other_pem, &claims(&s, "tenant-a", 600, None)),
        "unknown kid",
    )
    .await;
    assert_401(&s, "not-a-jwt", "garbage").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_token_of_another_tenant_reaches_nothing_here() {
    let s = Server::start(10).await;
    let before = s.snapshot().await;
    let t = token(&admin_b()).await;
    // Valid for its own organization...
    let (status, _, _) = s
        .call(
            "GET",
            &format!("/v1/orgs/{}/summary", s.owner_b.org),
            Some(&t),
            None,
            None,
        )
        .await;
    assert_eq!(status, 200);
    // ...refused on this one, read or write.
    let (status, _, body) = s
        .call(
            "GET",
            &format!("/v1/orgs/{}/users", s.org()),
            Some(&t),
            None,
            None,
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "permission_denied");
    let (status, _, _) = s
        .call(
            "POST",
            &format!("/v1/orgs/{}/users", s.org()),
            Some(&t),
            Some(json!({"email": "x@b.example"})),
            None,
        )
        .await;
    assert_eq!(status, 403);
    // A person of tenant-b claiming an email registered in A links to nothing there.
    let impostor = person("tenant-b", "oid-x", "collab@a.example");
    let (status, _, _) = s
        .call(
            "GET",
            &format!("/v1/orgs/{}/summary", s.org()),
            Some(&token(&impostor).await),
            None,
            None,
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(before, s.snapshot().await);
    assert!(s.store.identities(s.org()).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_user_is_refused_at_once_and_back_when_restored() {
    let s = Server::start(10).await;
    let t = token(&user_a()).await;
    let me = format!("/v1/orgs/{}/me", s.org());
    let (status, _, body) = s.call("GET", &me, Some(&t), None, None).await;
    assert_eq!(status, 200, "{body}");
    let id = body["user"]["id"].as_i64().unwrap();

    // Deleted: the very next request is refused by the store, though the server remembers the
    // person (and trusts that memory for a second).
    s.store
        .delete_users(&s.owner, &[id], s.now())
        .await
        .unwrap();
    let (status, _, body) = s.call("GET", &me, Some(&t), None, None).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("may have been deleted"),
        "{body}"
    );

    // Once the remembered user is due for its check, the person signs in afresh, and is refused.
    s.clock.set_offset_ms(2_000);
    let (status, _, body) = s.call("GET", &me, Some(&t), None, None).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("ask an administrator"),
        "{body}"
    );

    // Restored: the same token reaches the same user again.
    s.store.restore_user(&s.owner, id, s.now()).await.unwrap();
    let (status, _, body) = s.call("GET", &me, Some(&t), None, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["id"], json!(id));
}

/// `path` of the server as `token`: the status and the error's code and message.
async fn refusal(s: &Server, method: &str, path: &str, token: &str) -> (u16, String, String) {
    let body = (method == "POST")
        .then(|| json!({"event_id": "e-scope", "user_id": s.target, "amount_micros": 7}));
    let (status, headers, v) = s.call(method, path, Some(token), body, None).await;
    if status == 401 {
        let challenge = headers["www-authenticate"].to_str().unwrap();
        assert!(challenge.contains("invalid_token"), "{challenge}");
    }
    (
        status,
        v["code"].as_str().unwrap_or_default().into(),
        v["message"].as_str().unwrap_or_default().into(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delegated_token_needs_this_apis_scope() {
    let s = Server::start(10).await;
    let before = s.snapshot().await;
    let summary = format!("/v1/orgs/{}/summary", s.org());
    let usage = format!("/v1/orgs/{}/usage", s.org());
    // The person's token with this API's scope (among others) is accepted.
    let with_scope = Person {
        scp: Some("openid access_as_user".into()),
        ..admin_a()
    };
    assert_eq!(
        refusal(&s, "GET", &summary, &token(&with_scope).await)
            .await
            .0,
        200
    );
    // A delegated token for another scope is refused, wherever it goes.
    let other_scope = Person {
        scp: Some("Files.Read".into()),
        ..admin_a()
    };
    let t = token(&other_scope).await;
    for (method, path) in [("GET", summary.as_str()), ("GET", "/v1/me")] {
        let (status, code, message) = refusal(&s, method, path, &t).await;
        assert_eq!((status, code.as_str()), (401, "invalid_token"), "{path}");
        assert!(message.contains("access_as_user scope"), "{message}");
    }
    // A person's token, even with the scope and an app role beside it, cannot report usage.
    let person_with_role = Person {
        roles: Some("Usage.Report".into()),
        ..admin_a()
    };
    let (status, _, message) = refusal(&s, "POST", &usage, &token(&person_with_role).await).await;
    assert_eq!(status, 401);
    assert!(message.contains("application token"), "{message}");
    assert_eq!(before, s.snapshot().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_token_only_reaches_what_its_app_role_allows() {
    let s = Server::start(10).await;
    let summary = format!("/v1/orgs/{}/summary", s.org());
    let users = format!("/v1/orgs/{}/users", s.org());
    let usage = format!("/v1/orgs/{}/usage", s.org());
    let metering = token(&application("tenant-a", "platform-app", "Usage.Report")).await;
    // Its role allows usage reports...
    let (status, _, message) = refusal(&s, "POST", &usage, &metering).await;
    assert_eq!(status, 200, "{message}");
    // ...and nothing a person does.
    let before = s.snapshot().await;
    for (method, path) in [
        ("GET", summary.as_str()),
        ("GET", users.as_str()),
        ("GET", "/v1/me"),
    ] {
        let (status, code, message) = refusal(&s, method, path, &metering).await;
        assert_eq!((status, code.as_str()), (401, "invalid_token"), "{path}");
        assert!(message.contains("application token"), "{message}");
    }
    // An application without the usage role cannot report.
    let other = token(&application("tenant-a", "other-app", "Directory.Read")).await;
    let (status, code, message) = refusal(&s, "POST", &usage, &other).await;
    assert_eq!((status, code.as_str()), (401, "invalid_token"));
    assert!(message.contains("Usage.Report"), "{message}");
    assert_eq!(before, s.snapshot().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_with_neither_scope_nor_app_role_is_refused() {
    let s = Server::start(10).await;
    let before = s.snapshot().await;
    let neither = Person {
        scp: None,
        roles: None,
        ..admin_a()
    };
    let t = token(&neither).await;
    for (method, path) in [
        ("GET", format!("/v1/orgs/{}/summary", s.org())),
        ("GET", format!("/v1/orgs/{}/me", s.org())),
        ("GET", "/v1/me".to_string()),
        ("POST", format!("/v1/orgs/{}/usage", s.org())),
    ] {
        let (status, code, message) = refusal(&s, method, &path, &t).await;
        assert_eq!((status, code.as_str()), (401, "invalid_token"), "{path}");
        assert!(message.contains("neither"), "{message}");
    }
    assert_eq!(before, s.snapshot().await);
    assert!(s.store.identities(s.org()).await.unwrap().is_empty());
}
