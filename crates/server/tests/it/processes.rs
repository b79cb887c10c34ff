//! Several omni-server processes on one PostgreSQL, as behind a load balancer without sticky
//! sessions: the real binary, started twice (issue 14).

use std::time::{Duration, Instant};

use omni_core::model::Timestamp;
use serde_json::Value;
use tokio::process::{Child, Command};

use crate::common::*;

/// `omni-server serve` on `database`, with uploads in `upload_dir`; its address.
async fn spawn(database: &str, upload_dir: &std::path::Path) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_omni-server"))
        .arg("serve")
        .env("OMNI_SERVER_DATABASE", database)
        .env("OMNI_SERVER_LISTEN", format!("127.0.0.1:{port}"))
        .env("OMNI_SERVER_AUTHORITY", authority())
        .env("OMNI_SERVER_AUDIENCE", "api://omni")
        .env("OMNI_SERVER_UPLOAD_DIR", upload_dir)
        .env("OMNI_SERVER_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        if let Ok(res) = helper_http().get(format!("{url}/readyz")).send().await {
            if res.status().is_success() {
                break;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "omni-server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_wake_each_others_long_polls_and_share_uploads() {
    if std::env::var("OMNI_TEST_BACKEND").as_deref() != Ok("postgres") {
        // Several processes run on PostgreSQL only (docs/server.md).
        return;
    }
    let database = fresh_postgres_url().await;
    let store = server_store(&database).await;
    let now = Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    );
    let owner = store
        .create_org("A", &email("owner@a.example"), 10, Some("tenant-a"), now)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_a, a) = spawn(&database, dir.path()).await;
    let (_b, b) = spawn(&database, dir.path()).await;
    let t = cached_token(&admin_a()).await;
    let http = helper_http();
    let org = owner.org;

    // A long poll held by B wakes when a change commits through A.
    let feed: Value = http
        .get(format!("{b}/v1/orgs/{org}/changes?after=0"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let at = feed["next"].as_i64().unwrap();
    let poll = {
        let (http, t, b) = (http.clone(), t.clone(), b.clone());
        tokio::spawn(async move {
            let res = http
                .get(format!("{b}/v1/orgs/{org}/changes?after={at}&wait=20"))
                .bearer_auth(&t)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), 200);
            let page: Value = res.json().await.unwrap();
            (Instant::now(), page)
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !poll.is_finished(),
        "B holds the poll while nothing changes"
    );
    let res = http
        .post(format!("{a}/v1/orgs/{org}/users"))
        .bearer_auth(&t)
        .json(&serde_json::json!({"email": "new@a.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let committed = Instant::now();
    let created: Value = res.json().await.unwrap();
    let (answered, page) = poll.await.unwrap();
    let took = answered.saturating_duration_since(committed);
    // Under B's own second look (1 s after the poll began, 500 ms before the commit): the
    // notification woke it.
    assert!(
        took < Duration::from_millis(300),
        "B woke {took:?} after A's commit"
    );
    assert_eq!(page["changes"][0]["id"], created["id"], "{page}");

    // An import uploaded through A commits through B.
    let res = http
        .post(format!("{a}/v1/orgs/{org}/imports"))
        .bearer_auth(&t)
        .header("content-type", "text/csv")
        .body("i1@a.example\r\ni2@a.example\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let preview: Value = res.json().await.unwrap();
    let upload = preview["upload"].as_str().unwrap();
    let res = http
        .post(format!("{b}/v1/orgs/{org}/imports/{upload}/commit"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["created"], 2, "{report}");
    // Taken once: A cannot commit it again.
    let res = http
        .post(format!("{a}/v1/orgs/{org}/imports/{upload}/commit"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
}
