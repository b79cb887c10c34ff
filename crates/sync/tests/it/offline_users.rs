//! Users created and edited offline, and links made and removed offline, through a real
//! omni-server: shown at once under a provisional id, sent once in order, the provisional row
//! replaced by the server's user (never shown twice, even when the feed brings it first), and
//! a refused creation a conflict that takes the edits made on that user with it, saying why,
//! without blocking the others; and the copy's seats, raised for a moment to fit an offline
//! license over the server's, back to the server's once it settles.

use omni_core::model::{DirectoryKind, Role, User};
use omni_core::{ErrorCode, Phone};
use omni_store::sync::{EntryState, OfflineEdit};
use omni_store::{LinkKind, NewUser, UserEdit, UserQuery};
use omni_sync::Copy;

use crate::common::{email, no_progress, Server};
use crate::dump::canonical_dump;

fn new_user(name: &str) -> NewUser {
    NewUser {
        email: email(&format!("{name}@a.example")),
        phone: None,
        role: Role::User,
    }
}

async fn assert_same(s: &Server, copy: &Copy) {
    let now = s.now();
    assert_eq!(
        canonical_dump(&copy.store, &s.owner, now).await,
        canonical_dump(&s.store, &s.owner, now).await,
        "the copy differs from the server"
    );
}

async fn users_named(store: &omni_store::Store, s: &Server, name: &str) -> Vec<User> {
    let q = UserQuery {
        search: Some(format!("{name}@")),
        limit: 100,
        ..UserQuery::default()
    };
    store.list_users(&s.owner, &q, s.now()).await.unwrap().users
}

async fn synced(s: &Server) -> Copy {
    let copy = s.copy().await;
    copy.refresh(&s.client(), no_progress(), s.now())
        .await
        .unwrap();
    copy
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_created_offline_with_edits_and_links_reaches_the_server_once() {
    let s = Server::start(10).await;
    let group = s
        .store
        .create_item(&s.owner, DirectoryKind::Group, "Sales", s.now())
        .await
        .unwrap();
    let agent = s
        .store
        .create_item(&s.owner, DirectoryKind::Agent, "Helper", s.now())
        .await
        .unwrap();
    let copy = synced(&s).await;
    let (org, me) = (s.org(), s.owner.user);

    let created = copy
        .store
        .queue_create_user(org, me, new_user("cat"), s.now())
        .await
        .unwrap();
    let cat = created.edit.user();
    assert!(cat < 0, "a provisional id never collides with the server's");
    // Shown at once, in the table and the counters.
    let shown = users_named(&copy.store, &s, "cat").await;
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].id, cat);
    assert_eq!(copy.store.summary(&s.owner).await.unwrap().total_users, 2);
    assert_eq!(copy.store.pending_users(org).await.unwrap(), vec![cat]);
    // The same email again is refused at once, as the local store refuses it.
    let again = copy
        .store
        .queue_create_user(org, me, new_user("cat"), s.now())
        .await
        .unwrap_err();
    assert_eq!(again.code, ErrorCode::AlreadyExists);
    let owner_again = NewUser {
        email: email("owner@a.example"),
        ..new_user("x")
    };
    let taken = copy
        .store
        .queue_create_user(org, me, owner_again, s.now())
        .await;
    assert_eq!(taken.unwrap_err().code, ErrorCode::AlreadyExists);

    let phone = Phone::parse(Some("1"), "2025550143").unwrap();
    let nobody = OfflineEdit::EditUser {
        user: 999_999,
        edit: UserEdit {
            phone: Some(Some(phone.clone())),
            ..UserEdit::default()
        },
        based_on: 1,
    };
    let refused = copy.store.queue_edit(org, me, nobody, s.now()).await;
    assert_eq!(refused.unwrap_err().code, ErrorCode::NotFound);
    for edit in [
        OfflineEdit::EditUser {
            user: cat,
            edit: UserEdit {
                phone: Some(Some(phone.clone())),
                role: Some(Role::Collaborator),
                ..UserEdit::default()
            },
            based_on: 0,
        },
        OfflineEdit::SetLicensed {
            user: cat,
            licensed: true,
            based_on: 0,
        },
        OfflineEdit::Link {
            link: LinkKind::UserGroup,
            a: cat,
            b: group.id,
        },
        OfflineEdit::Link {
            link: LinkKind::AgentUser,
            a: agent.id,
            b: cat,
        },
    ] {
        copy.store.queue_edit(org, me, edit, s.now()).await.unwrap();
    }
    let links = copy.store.user_links(&s.owner, cat).await.unwrap();
    assert_eq!(links.len(), 2, "the links show at once: {links:?}");
    let shown = copy.store.user(&s.owner, cat, s.now()).await.unwrap();
    assert_eq!(shown.phone, Some(phone.clone()));
    assert_eq!(shown.role, Role::Collaborator);
    assert!(shown.licensed);

    let sent = copy.send_outbox(&s.client(), s.now()).await.unwrap();
    assert_eq!((sent.sent, sent.conflicts), (5, 0));
    assert!(copy.store.outbox(org).await.unwrap().is_empty());
    let on_server = users_named(&s.store, &s, "cat").await;
    assert_eq!(on_server.len(), 1, "created once");
    let real = &on_server[0];
    assert!(real.id > 0);
    assert_eq!(real.phone, Some(phone));
    assert_eq!(real.role, Role::Collaborator);
    assert!(real.licensed);
    assert_eq!(
        s.store.user_links(&s.owner, real.id).await.unwrap().len(),
        2
    );
    assert_same(&s, &copy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_bringing_the_created_user_first_shows_it_once() {
    let s = Server::start(10).await;
    let copy = synced(&s).await;
    let (org, me) = (s.org(), s.owner.user);
    let created = copy
        .store
        .queue_create_user(org, me, new_user("dan"), s.now())
        .await
        .unwrap();
    copy.store
        .queue_edit(
            org,
            me,
            OfflineEdit::SetRole {
                user: created.edit.user(),
                role: Role::Administrator,
                based_on: 0,
            },
            s.now(),
        )
        .await
        .unwrap();
    // The creation reached the server but its answer was lost.
    s.client()
        .send_offline(&created.edit, &created.key)
        .await
        .unwrap();
    copy.refresh(&s.client(), no_progress(), s.now())
        .await
        .unwrap();
    let shown = users_named(&copy.store, &s, "dan").await;
    assert_eq!(shown.len(), 1, "never twice: {shown:?}");
    assert!(
        shown[0].id > 0,
        "the server's user took the provisional row's place"
    );
    assert_eq!(copy.store.summary(&s.owner).await.unwrap().total_users, 2);

    // Sent again with the same key: the server answers the first answer, nothing twice.
    let sent = copy.send_outbox(&s.client(), s.now()).await.unwrap();
    assert_eq!((sent.sent, sent.conflicts), (2, 0));
    let on_server = users_named(&s.store, &s, "dan").await;
    assert_eq!(on_server.len(), 1);
    assert_eq!(on_server[0].role, Role::Administrator);
    assert_same(&s, &copy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_creation_takes_its_edits_with_it_and_blocks_nothing_else() {
    let s = Server::start(10).await;
    let group = s
        .store
        .create_item(&s.owner, DirectoryKind::Workspace, "Ops", s.now())
        .await
        .unwrap();
    let ann = s
        .store
        .create_user(&s.owner, new_user("ann"), s.now())
        .await
        .unwrap();
    let copy = synced(&s).await;
    let (org, me) = (s.org(), s.owner.user);
    let eve = copy
        .store
        .queue_create_user(org, me, new_user("eve"), s.now())
        .await
        .unwrap();
    let link = OfflineEdit::Link {
        link: LinkKind::UserWorkspace,
        a: eve.edit.user(),
        b: group.id,
    };
    copy.store.queue_edit(org, me, link, s.now()).await.unwrap();
    let ann_link = OfflineEdit::Link {
        link: LinkKind::UserWorkspace,
        a: ann.id,
        b: group.id,
    };
    copy.store
        .queue_edit(org, me, ann_link, s.now())
        .await
        .unwrap();
    // Meanwhile someone else creates eve on the server.
    let theirs = s
        .store
        .create_user(&s.owner, new_user("eve"), s.now())
        .await
        .unwrap();

    let sent = copy.send_outbox(&s.client(), s.now()).await.unwrap();
    assert_eq!((sent.sent, sent.conflicts), (1, 1));
    let outbox = copy.store.outbox(org).await.unwrap();
    assert_eq!(outbox.len(), 2, "{outbox:?}");
    let EntryState::Conflict {
        server_value,
        error,
    } = &outbox[0].state
    else {
        panic!("the creation is a conflict: {outbox:?}");
    };
    assert_eq!(error.code, ErrorCode::AlreadyExists);
    assert_eq!(server_value["id"], serde_json::json!(theirs.id));
    let EntryState::Conflict { error, .. } = &outbox[1].state else {
        panic!("the link to eve is a conflict too: {outbox:?}");
    };
    assert!(
        error.message.contains("eve@a.example could not be created"),
        "{}",
        error.message
    );
    // Ann's link, behind them, was sent.
    assert_eq!(s.store.user_links(&s.owner, ann.id).await.unwrap().len(), 1);
    assert_eq!(users_named(&copy.store, &s, "eve").await.len(), 1);
    assert_same(&s, &copy).await;
    for e in outbox {
        copy.store.discard(e.id).await.unwrap();
    }
    assert_same(&s, &copy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlinking_offline_and_taking_back_a_creation() {
    let s = Server::start(10).await;
    let group = s
        .store
        .create_item(&s.owner, DirectoryKind::Group, "Sales", s.now())
        .await
        .unwrap();
    let ann = s
        .store
        .create_user(&s.owner, new_user("ann"), s.now())
        .await
        .unwrap();
    s.store
        .link(&s.owner, LinkKind::UserGroup, ann.id, group.id, s.now())
        .await
        .unwrap();
    let copy = synced(&s).await;
    let (org, me) = (s.org(), s.owner.user);
    let unlink = OfflineEdit::Unlink {
        link: LinkKind::UserGroup,
        a: ann.id,
        b: group.id,
    };
    let e = copy
        .store
        .queue_edit(org, me, unlink, s.now())
        .await
        .unwrap();
    assert_eq!(e.was, serde_json::json!(true));
    assert!(copy
        .store
        .user_links(&s.owner, ann.id)
        .await
        .unwrap()
        .is_empty());
    // A refresh before it is sent keeps it shown.
    s.store
        .create_item(&s.owner, DirectoryKind::Group, "Other", s.now())
        .await
        .unwrap();
    copy.refresh(&s.client(), no_progress(), s.now())
        .await
        .unwrap();
    assert!(copy
        .store
        .user_links(&s.owner, ann.id)
        .await
        .unwrap()
        .is_empty());
    // A creation and an edit on it, taken back: both go, and the row.
    let fay = copy
        .store
        .queue_create_user(org, me, new_user("fay"), s.now())
        .await
        .unwrap();
    let lic = OfflineEdit::SetLicensed {
        user: fay.edit.user(),
        licensed: true,
        based_on: 0,
    };
    copy.store.queue_edit(org, me, lic, s.now()).await.unwrap();
    assert_eq!(copy.store.summary(&s.owner).await.unwrap().licensed, 1);
    copy.store.discard(fay.id).await.unwrap();
    assert_eq!(copy.store.outbox(org).await.unwrap().len(), 1);
    assert!(users_named(&copy.store, &s, "fay").await.is_empty());
    assert_eq!(copy.store.summary(&s.owner).await.unwrap().licensed, 0);

    let sent = copy.send_outbox(&s.client(), s.now()).await.unwrap();
    assert_eq!((sent.sent, sent.conflicts), (1, 0));
    assert!(s
        .store
        .user_links(&s.owner, ann.id)
        .await
        .unwrap()
        .is_empty());
    assert_same(&s, &copy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seats_raised_to_fit_an_offline_license_come_back_to_the_servers() {
    let s = Server::start(2).await;
    let mut ids = Vec::new();
    for name in ["ann", "bob", "cat"] {
        let u = s
            .store
            .create_user(&s.owner, new_user(name), s.now())
            .await
            .unwrap();
        ids.push(u);
    }
    s.store
        .set_licensed(&s.owner, &[ids[0].id], true, s.now())
        .await
        .unwrap();
    let copy = synced(&s).await;
    let (org, me) = (s.org(), s.owner.user);
    // Offline: bob takes the last seat in the copy; meanwhile cat takes it on the server.
    let bob = OfflineEdit::SetLicensed {
        user: ids[1].id,
        licensed: true,
        based_on: ids[1].version,
    };
    copy.store.queue_edit(org, me, bob, s.now()).await.unwrap();
    s.store
        .set_licensed(&s.owner, &[ids[2].id], true, s.now())
        .await
        .unwrap();
    copy.refresh(&s.client(), no_progress(), s.now())
        .await
        .unwrap();
    let shown = copy.store.summary(&s.owner).await.unwrap();
    assert_eq!(shown.licensed, 3, "cat from the server, bob still pending");
    // The server refuses bob: no seat. The copy's seats are the server's again.
    let sent = copy.send_outbox(&s.client(), s.now()).await.unwrap();
    assert_eq!((sent.sent, sent.conflicts), (0, 1));
    let shown = copy.store.summary(&s.owner).await.unwrap();
    assert_eq!((shown.licensed, shown.seats.purchased), (2, 2));
    assert_same(&s, &copy).await;
}
