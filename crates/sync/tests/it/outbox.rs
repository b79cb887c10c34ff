//! Offline edits through a real omni-server: shown in the copy at once and queued; sent once
//! when the server answers again, even when an answer was lost; a stale or refused one becomes
//! a conflict with its three values and does not block the ones behind it; no answer stops the
//! sending and keeps the entries.

use omni_client::ServerOrganization;
use omni_core::model::{Id, Role, Usd, User};
use omni_core::ErrorCode;
use omni_store::sync::{EntryState, OfflineEdit};
use omni_store::NewUser;
use omni_sync::Copy;
use serde_json::json;

use crate::common::{email, no_progress, Server};
use crate::dump::canonical_dump;

async fn new_user(s: &Server, name: &str, role: Role) -> User {
    let new = NewUser {
        email: email(&format!("{name}@a.example")),
        phone: None,
        role,
    };
    s.store.create_user(&s.owner, new, s.now()).await.unwrap()
}

async fn on_server(s: &Server, id: Id) -> User {
    s.store.user(&s.owner, id, s.now()).await.unwrap()
}

async fn in_copy(s: &Server, copy: &Copy, id: Id) -> User {
    copy.store.user(&s.owner, id, s.now()).await.unwrap()
}

async fn assert_same(s: &Server, copy: &Copy) {
    let now = s.now();
    assert_eq!(
        canonical_dump(&copy.store, &s.owner, now).await,
        canonical_dump(&s.store, &s.owner, now).await,
        "the copy differs from the server"
    );
}

/// A client of a server that is not there: a port nothing listens on.
async fn stopped(s: &Server) -> ServerOrganization {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = omni_client::Url::parse(&format!("http://{}", l.local_addr().unwrap())).unwrap();
    drop(l);
    let live = s.client();
    ServerOrganization::new(
        url,
        live.org(),
        omni_client::http_client().unwrap(),
        std::sync::Arc::new(crate::common::Owner::new()),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_edit_shows_at_once_and_reaches_the_server_once() {
    let s = Server::start(10).await;
    let ann = new_user(&s, "ann", Role::User).await;
    let bob = new_user(&s, "bob", Role::User).await;
    let copy = s.copy().await;
    let server = s.client();
    copy.refresh(&server, no_progress(), s.now()).await.unwrap();
    let licensed = copy.store.summary(&s.owner).await.unwrap().licensed;

    // Offline: the server is not asked.
    let me = s.owner.user;
    let edits = [
        OfflineEdit::SetLicensed {
            user: ann.id,
            licensed: true,
            based_on: ann.version,
        },
        OfflineEdit::SetRole {
            user: bob.id,
            role: Role::Collaborator,
            based_on: bob.version,
        },
        // A second edit of the same user, on top of the first.
        OfflineEdit::SetBudget {
            user: ann.id,
            budget: Some(Usd(50_000_000)),
            based_on: ann.version,
        },
    ];
    for e in &edits {
        copy.store
            .queue_edit(s.org(), me, e.clone(), s.now())
            .await
            .unwrap();
    }
    let a = in_copy(&s, &copy, ann.id).await;
    assert!(a.licensed);
    assert_eq!(a.budget, Some(Usd(50_000_000)));
    assert_eq!(
        a.version, ann.version,
        "the copy keeps the server's version"
    );
    assert_eq!(in_copy(&s, &copy, bob.id).await.role, Role::Collaborator);
    assert_eq!(
        copy.store.summary(&s.owner).await.unwrap().licensed,
        licensed + 1
    );
    let mut pending = vec![ann.id, bob.id];
    pending.sort();
    assert_eq!(copy.store.pending_users(s.org()).await.unwrap(), pending);
    let outbox = copy.store.outbox(s.org()).await.unwrap();
    assert_eq!(outbox.len(), 3);
    assert!(outbox.iter().all(|e| e.state == EntryState::Pending));
    assert_eq!(outbox[0].edit, edits[0]);
    assert_eq!(outbox[0].was, json!(false));
    assert!(!on_server(&s, ann.id).await.licensed);

    // A new snapshot (the server's older state of ann) keeps the edits shown.
    copy.store
        .apply_snapshot(std::io::Cursor::new(snapshot(&s).await))
        .await
        .unwrap();
    assert!(in_copy(&s, &copy, ann.id).await.licensed);
    assert_eq!(
        in_copy(&s, &copy, ann.id).await.budget,
        Some(Usd(50_000_000))
    );

    // The first entry's answer is lost: it reached the server, the copy never heard.
    let first = &copy.store.outbox(s.org()).await.unwrap()[0];
    server.send_edit(&first.edit, &first.key).await.unwrap();
    let out = copy.send_outbox(&server, s.now()).await.unwrap();
    assert_eq!(
        (out.sent, out.conflicts, out.stopped_offline),
        (3, 0, false)
    );

    let a = on_server(&s, ann.id).await;
    assert!(a.licensed);
    assert_eq!(a.budget, Some(Usd(50_000_000)));
    assert_eq!(a.version, ann.version + 2, "the license was changed once");
    let licenses = s
        .store
        .audit(
            &s.owner,
            &omni_store::AuditQuery {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .entries
        .into_iter()
        .filter(|e| e.target.starts_with("ann@") && e.action.contains("licen"))
        .count();
    assert_eq!(licenses, 1, "the audit log shows the license once");
    assert_eq!(on_server(&s, bob.id).await.role, Role::Collaborator);
    assert!(copy.store.outbox(s.org()).await.unwrap().is_empty());
    assert!(copy.store.pending_users(s.org()).await.unwrap().is_empty());
    assert_same(&s, &copy).await;
}

/// The server's snapshot of organization A, as the copy downloads it.
async fn snapshot(s: &Server) -> Vec<u8> {
    let mut out = Vec::new();
    let mut stream = s.store.snapshot(&s.owner).await.unwrap();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_edit_is_a_conflict_with_its_three_values_and_blocks_nothing() {
    let s = Server::start(10).await;
    let ann = new_user(&s, "ann", Role::User).await;
    let bob = new_user(&s, "bob", Role::User).await;
    let copy = s.copy().await;
    let server = s.client();
    copy.refresh(&server, no_progress(), s.now()).await.unwrap();
    let me = s.owner.user;
    copy.store
        .queue_edit(
            s.org(),
            me,
            OfflineEdit::SetRole {
                user: ann.id,
                role: Role::Administrator,
                based_on: ann.version,
            },
            s.now(),
        )
        .await
        .unwrap();
    copy.store
        .queue_edit(
            s.org(),
            me,
            OfflineEdit::SetBudget {
                user: bob.id,
                budget: Some(Usd(10_000_000)),
                based_on: bob.version,
            },
            s.now(),
        )
        .await
        .unwrap();
    // Meanwhile someone else makes ann a Collaborator on the server.
    s.store
        .set_role(&s.owner, &[ann.id], Role::Collaborator, s.now())
        .await
        .unwrap();
    // The feed brings it before the entry is sent: the copy still shows the pending edit.
    copy.refresh(&server, no_progress(), s.now()).await.unwrap();
    assert_eq!(in_copy(&s, &copy, ann.id).await.role, Role::Administrator);

    let out = copy.send_outbox(&server, s.now()).await.unwrap();
    assert_eq!(
        (out.sent, out.conflicts, out.stopped_offline),
        (1, 1, false)
    );
    let outbox = copy.store.outbox(s.org()).await.unwrap();
    assert_eq!(outbox.len(), 1);
    let c = &outbox[0];
    assert_eq!(c.edit.user(), ann.id);
    assert_eq!(c.edit.value(), json!("administrator"), "the value set");
    assert_eq!(c.was, json!("user"), "the value it was based on");
    match &c.state {
        EntryState::Conflict {
            server_value,
            error,
        } => {
            assert_eq!(server_value, &json!("collaborator"), "the server's value");
            assert_eq!(error.code, ErrorCode::StaleVersion);
        }
        other => panic!("not a conflict: {other:?}"),
    }
    // Not settled by last-writer-wins: the server keeps its value, the copy shows it.
    assert_eq!(on_server(&s, ann.id).await.role, Role::Collaborator);
    assert_eq!(in_copy(&s, &copy, ann.id).await.role, Role::Collaborator);
    assert!(copy.store.pending_users(s.org()).await.unwrap().is_empty());
    // The entry behind it was sent.
    assert_eq!(on_server(&s, bob.id).await.budget, Some(Usd(10_000_000)));
    assert_same(&s, &copy).await;

    copy.store.discard(c.id).await.unwrap();
    assert!(copy.store.outbox(s.org()).await.unwrap().is_empty());
    assert_same(&s, &copy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_license_without_a_seat_is_refused_offline_or_a_conflict_once_sent() {
    let s = Server::start(10).await;
    let ann = new_user(&s, "ann", Role::User).await;
    let bob = new_user(&s, "bob", Role::User).await;
    let cid = new_user(&s, "cid", Role::User).await;
    // One seat left.
    let licensed = s.store.summary(&s.owner).await.unwrap().licensed;
    s.store
        .set_seats(&s.owner, licensed + 1, s.now())
        .await
        .unwrap();
    let copy = s.copy().await;
    let server = s.client();
    copy.refresh(&server, no_progress(), s.now()).await.unwrap();
    let me = s.owner.user;
    copy.store
        .queue_edit(
            s.org(),
            me,
            OfflineEdit::SetLicensed {
                user: ann.id,
                licensed: true,
                based_on: ann.version,
            },
            s.now(),
        )
        .await
        .unwrap();
    // The copy has no seat left for a second one: refused at once, nothing queued.
    let refused = copy
        .store
        .queue_edit(
            s.org(),
            me,
            OfflineEdit::SetLicensed {
                user: cid.id,
                licensed: true,
                based_on: cid.version,
            },
            s.now(),
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::NoSeatAvailable);
    assert!(!in_copy(&s, &copy, cid.id).await.licensed);
    assert_eq!(copy.store.outbox(s.org()).await.unwrap().len(), 1);
    // Meanwhile the last seat goes to bob on the server.
    s.store
        .set_licensed(&s.owner, &[bob.id], true, s.now())
        .await
        .unwrap();

    let out = copy.send_outbox(&server, s.now()).await.unwrap();
    assert_eq!(
        (out.sent, out.conflicts, out.stopped_offline),
        (0, 1, false)
    );
    let outbox = copy.store.outbox(s.org()).await.unwrap();
    match &outbox[0].state {
        EntryState::Conflict {
            server_value,
            error,
        } => {
            assert_eq!(server_value, &json!(false));
            assert_eq!(error.code, ErrorCode::NoSeatAvailable);
            assert!(error.reason.is_some(), "the refusal says why");
        }
        other => panic!("not a conflict: {other:?}"),
    }
    assert!(!on_server(&s, ann.id).await.licensed);
    assert!(!in_copy(&s, &copy, ann.id).await.licensed);
    assert!(in_copy(&s, &copy, bob.id).await.licensed);
    assert_same(&s, &copy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_answer_stops_the_sending_and_keeps_the_entries() {
    let s = Server::start(10).await;
    let ann = new_user(&s, "ann", Role::User).await;
    let bob = new_user(&s, "bob", Role::Collaborator).await;
    let copy = s.copy().await;
    let server = s.client();
    copy.refresh(&server, no_progress(), s.now()).await.unwrap();
    let me = s.owner.user;
    let first = copy
        .store
        .queue_edit(
            s.org(),
            me,
            OfflineEdit::SetLicensed {
                user: ann.id,
                licensed: true,
                based_on: ann.version,
            },
            s.now(),
        )
        .await
        .unwrap();
    copy.store
        .queue_edit(
            s.org(),
            me,
            OfflineEdit::SetRole {
                user: bob.id,
                role: Role::User,
                based_on: bob.version,
            },
            s.now(),
        )
        .await
        .unwrap();

    // A third edit, taken back before it is sent: the row shows what it was again.
    let taken_back = copy
        .store
        .queue_edit(
            s.org(),
            me,
            OfflineEdit::SetBudget {
                user: ann.id,
                budget: Some(Usd(7_000_000)),
                based_on: ann.version,
            },
            s.now(),
        )
        .await
        .unwrap();
    assert_eq!(
        in_copy(&s, &copy, ann.id).await.budget,
        Some(Usd(7_000_000))
    );
    copy.store.discard(taken_back.id).await.unwrap();
    let a = in_copy(&s, &copy, ann.id).await;
    assert_eq!((a.budget, a.licensed), (None, true));

    let out = copy.send_outbox(&stopped(&s).await, s.now()).await.unwrap();
    assert_eq!((out.sent, out.conflicts, out.stopped_offline), (0, 0, true));
    let outbox = copy.store.outbox(s.org()).await.unwrap();
    assert_eq!(outbox.len(), 2);
    assert!(outbox.iter().all(|e| e.state == EntryState::Pending));
    assert_eq!(outbox[0].key, first.key, "sent again with the same key");
    assert!(in_copy(&s, &copy, ann.id).await.licensed);
    assert!(!on_server(&s, ann.id).await.licensed);

    // Back: both go.
    let out = copy.send_outbox(&server, s.now()).await.unwrap();
    assert_eq!(
        (out.sent, out.conflicts, out.stopped_offline),
        (2, 0, false)
    );
    assert!(on_server(&s, ann.id).await.licensed);
    assert_eq!(on_server(&s, bob.id).await.role, Role::User);
    assert_same(&s, &copy).await;
}
