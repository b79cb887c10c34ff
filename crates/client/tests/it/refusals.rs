//! What goes wrong, as the desktop receives it: the server's refusals with their reason and
//! field, a refused token (refreshed once, then "sign in again"), a server that cannot be
//! reached, something that is not an omni-server, and a server that is unavailable for now.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use omni_client::{ServerOrganization, Url};
use omni_core::model::{Role, Usd};
use omni_core::{ErrorCode, Reason};
use omni_requests::Organization;
use omni_store::{NewUser, UserEdit, UserQuery};

use crate::common::*;

fn at(url: &Url, session: Arc<Session>) -> ServerOrganization {
    ServerOrganization::new(url.clone(), 1, omni_client::http_client().unwrap(), session)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_arrives_with_its_reason_and_a_field_error_with_its_field() {
    let s = Server::start(10).await;
    let collab = s.as_person(Session::new(COLLAB));
    let new = NewUser {
        email: email("boss@a.example"),
        phone: None,
        role: Role::Administrator,
    };
    let e = collab.create_user(new).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied);
    assert_eq!(e.reason, Some(Reason::OnlyAdminCreatesAdmin), "{e:?}");
    assert_eq!(e.message, Reason::OnlyAdminCreatesAdmin.english());

    let owner = s.as_person(Session::new(OWNER));
    let e = owner
        .edit_user(
            s.target,
            UserEdit {
                budget: Some(Some(Usd(-1))),
                ..UserEdit::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert_eq!(e.field.as_deref(), Some("budget"));
    assert!(matches!(e.reason, Some(Reason::BadAmount { .. })), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_handed_back_once_and_the_fresh_one_used() {
    let s = Server::start(10).await;
    let session = Session::stale(OWNER, false);
    let org = s.as_person(session.clone());
    let summary = org.summary().await.unwrap();
    assert_eq!(summary.total_users, 4);
    assert_eq!(session.rejected(), vec!["not.a.token".to_string()]);
    // The next request uses the fresh token at once.
    org.list_users(UserQuery {
        limit: 1,
        ..UserQuery::default()
    })
    .await
    .unwrap();
    assert_eq!(session.rejected().len(), 1);
    assert_eq!(session.asked.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_refused_twice_means_sign_in_again() {
    let s = Server::start(10).await;
    let session = Session::stale(OWNER, true);
    let org = s.as_person(session.clone());
    let e = org.summary().await.unwrap_err();
    assert_eq!(e.code, ErrorCode::SignInRequired);
    assert_eq!(e.reason, Some(Reason::SignInAgain));
    assert_eq!(session.rejected(), vec!["not.a.token".to_string()]);
    assert!(
        !e.message.contains("token."),
        "no token in the error: {e:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_not_listening_is_unreachable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let e = at(&url, Session::stale(OWNER, true))
        .summary()
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Unreachable);
    let Some(Reason::ServerUnreachable { address, detail }) = e.reason else {
        panic!("{e:?}");
    };
    assert_eq!(address, format!("http://127.0.0.1:{port}"));
    assert!(detail.to_lowercase().contains("refused"), "{detail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn something_that_is_not_an_omni_server_says_so() {
    let (url, hits) = fake(
        "HTTP/1.1 404 Not Found\r\ncontent-type: text/html\r\ncontent-length: 20\r\n\
         connection: close\r\n\r\n<h1>Not Found</h1>\r\n",
    )
    .await;
    let e = at(&url, Session::stale(OWNER, true))
        .summary()
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Unreachable);
    assert_eq!(
        e.reason,
        Some(Reason::NotAnOmniServer {
            address: url.as_str().trim_end_matches('/').to_string()
        }),
        "{e:?}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // A page that answers 200 to anything is no omni-server either.
    let (url, _) = fake(
        "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 13\r\n\
         connection: close\r\n\r\n<p>hello</p>\n",
    )
    .await;
    let e = at(&url, Session::stale(OWNER, true))
        .summary()
        .await
        .unwrap_err();
    assert!(
        matches!(e.reason, Some(Reason::NotAnOmniServer { .. })),
        "{e:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unavailable_server_is_asked_three_times_for_a_read_or_a_write() {
    let (url, hits) = fake(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 1\r\ncontent-length: 60\r\nconnection: close\r\n\r\n\
         {\"code\":\"unavailable\",\"message\":\"The database is not there\"}",
    )
    .await;
    let org = at(&url, Session::stale(OWNER, true));
    let started = std::time::Instant::now();
    let e = org.summary().await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unavailable);
    assert_eq!(e.reason, Some(Reason::ServerUnavailable { seconds: 1 }));
    assert_eq!(e.message, "The database is not there");
    assert_eq!(hits.load(Ordering::SeqCst), 3, "asked, then twice again");
    assert!(started.elapsed() >= std::time::Duration::from_secs(2));

    // A write too: its Idempotency-Key lets the server run it once however often it is sent.
    let e = org.set_licensed(vec![1], true).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unavailable);
    assert_eq!(hits.load(Ordering::SeqCst), 6, "sent, then twice again");
}
