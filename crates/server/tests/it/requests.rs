//! What the server makes of a request's path and query: the kind named in a directory path,
//! the export's order, and who may export (the policy decides, before a byte streams).

use omni_store::DirectoryKind;
use serde_json::json;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_path_of_another_kind_finds_nothing() {
    let s = Server::start(10).await;
    let t = cached_token(&admin_a()).await;
    let org = format!("/v1/orgs/{}", s.org());
    let agent = s
        .store
        .create_item(&s.owner, DirectoryKind::Agent, "Bot", s.now())
        .await
        .unwrap()
        .id;
    let (st, _, body) = s
        .call(
            "PATCH",
            &format!("{org}/directory/groups/{agent}"),
            Some(&t),
            Some(json!({"name": "Renamed"})),
            None,
        )
        .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    let (st, _, body) = s
        .call(
            "DELETE",
            &format!("{org}/directory/workspaces/{agent}"),
            Some(&t),
            None,
            None,
        )
        .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    let agents = s.store.items(&s.owner, DirectoryKind::Agent).await.unwrap();
    assert_eq!(
        agents.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        ["Bot"],
        "the agent is neither renamed nor deleted"
    );
    // Its own kind's path still reaches it.
    let (st, _, body) = s
        .call(
            "PATCH",
            &format!("{org}/directory/agents/{agent}"),
            Some(&t),
            Some(json!({"name": "Renamed"})),
            None,
        )
        .await;
    assert_eq!(
        (st, body["name"].as_str()),
        (200, Some("Renamed")),
        "{body}"
    );
    let (st, _, _) = s
        .call(
            "DELETE",
            &format!("{org}/directory/agents/{agent}"),
            Some(&t),
            None,
            None,
        )
        .await;
    assert_eq!(st, 204);
}

async fn export(s: &Server, token: &str, query: &str) -> (u16, String) {
    let res = s
        .http
        .get(format!("{}/v1/orgs/{}/export{query}", s.url, s.org()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

fn emails(csv: &str) -> Vec<String> {
    csv.lines()
        .skip(1)
        .map(|l| l.split([';', ',']).next().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_in_descending_order_is_in_descending_order() {
    let s = Server::start(10).await;
    let t = cached_token(&admin_a()).await;
    let (st, csv) = export(&s, &t, "").await;
    assert_eq!(st, 200);
    let mut ascending = emails(&csv);
    assert_eq!(ascending.len(), 4, "{csv}");
    let mut sorted = ascending.clone();
    sorted.sort();
    assert_eq!(ascending, sorted, "{csv}");
    let (st, csv) = export(&s, &t, "?desc=true").await;
    assert_eq!(st, 200);
    ascending.reverse();
    assert_eq!(emails(&csv), ascending, "{csv}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_decides_who_exports() {
    let s = Server::start(10).await;
    let (st, csv) = export(&s, &cached_token(&collab_a()).await, "").await;
    assert_eq!(st, 200, "{csv}");
    let (st, body) = export(&s, &cached_token(&user_a()).await, "").await;
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (st, body["code"].as_str(), body["message"].as_str()),
        (
            403,
            Some("permission_denied"),
            Some(omni_core::Reason::RoleIsUser.english().as_str())
        )
    );
}
