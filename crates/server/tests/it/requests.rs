//! What the server makes of a request's path and query: the kind named in a directory path.

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
