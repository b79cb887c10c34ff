//! Every operation of the interface once, through the client against a real server, each
//! checked by its effect as the desktop would read it back.

use omni_core::model::{Role, Usd};
use omni_core::{ErrorCode, Phone};
use omni_requests::Organization;
use omni_store::{
    AuditQuery, DirectoryKind, DirectoryQuery, ItemQuery, LinkKind, NewUser, UserEdit, UserQuery,
};

use crate::common::*;

fn search(s: &str) -> UserQuery {
    UserQuery {
        search: Some(s.into()),
        limit: 100,
        ..UserQuery::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organization_and_its_users() {
    let s = Server::start(10).await;
    let org = s.as_person(Session::new(OWNER));

    let me = org.whoami().await.unwrap();
    assert_eq!((me.org.id, me.org.name.as_str()), (s.org(), "A"));
    assert_eq!(me.user.email.as_str(), "owner@a.example");
    assert_eq!(me.user.role, Role::Administrator);

    let before = org.summary().await.unwrap();
    assert_eq!(before.total_users, 4);
    let after = org.set_seats(20).await.unwrap();
    assert_eq!(after.seats.purchased, 20);

    let page = |q: AuditQuery| {
        let org = &org;
        async move { org.audit(q).await.unwrap() }
    };
    let audit = page(AuditQuery {
        limit: 2,
        ..AuditQuery::default()
    })
    .await;
    assert_eq!(
        audit.entries[0].action, "seats.set",
        "the seat change is audited"
    );
    assert!(audit.more);
    let older = page(AuditQuery {
        limit: 100,
        before: Some(audit.entries[1].id),
        ..AuditQuery::default()
    })
    .await;
    assert!(
        older.entries.iter().all(|e| e.id < audit.entries[1].id),
        "{older:?}"
    );
    // The filters reach the server: the seat change alone.
    let seats = page(AuditQuery {
        action: Some("seats.set".into()),
        actor: Some("Owner@A.example".into()),
        from: Some(audit.entries[0].at),
        ..AuditQuery::default()
    })
    .await;
    assert_eq!(seats.entries.len(), 1, "{seats:?}");
    assert_eq!(seats.entries[0].after.as_ref().unwrap()["seats"], 20);
    // The export downloads every entry the filters select.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.csv");
    let rows = org
        .export_audit(
            AuditQuery {
                action: Some("seats.set".into()),
                limit: 1,
                ..AuditQuery::default()
            },
            file.clone(),
            std::sync::Arc::new(|_| {}),
        )
        .await
        .unwrap();
    assert_eq!(rows, 1);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("\u{feff}time,actor,action,target,before,after\r\n"),
        "{text}"
    );
    assert!(
        text.contains(",owner@a.example,seats.set,license pool,"),
        "{text}"
    );

    let new = NewUser {
        email: email("nova@a.example"),
        phone: None,
        role: Role::Collaborator,
    };
    let nova = org.create_user(new).await.unwrap();
    let page = org.list_users(search("nova")).await.unwrap();
    assert_eq!(page.users, vec![nova.clone()]);
    assert_eq!(page.total, 1);
    let sorted = org
        .list_users(UserQuery {
            sort: omni_store::SortField::Created,
            descending: true,
            limit: 2,
            ..UserQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(sorted.users[0].id, nova.id, "newest first");
    assert_eq!((sorted.users.len(), sorted.total), (2, 5));

    // An edit without a version changes the user as it is now; with one, only at it.
    let phone = Phone::parse(None, "+55 11 98765-4321").unwrap();
    let edited = org
        .edit_user(
            nova.id,
            UserEdit {
                phone: Some(Some(phone.clone())),
                budget: Some(Some(Usd(12_500_000))),
                ..UserEdit::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.phone, Some(phone));
    assert_eq!(edited.budget, Some(Usd(12_500_000)));
    let cleared = org
        .edit_user(
            nova.id,
            UserEdit {
                phone: Some(None),
                budget: Some(None),
                expected_version: Some(edited.version),
                ..UserEdit::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((cleared.phone, cleared.budget), (None, None));
    let e = org
        .edit_user(
            nova.id,
            UserEdit {
                role: Some(Role::User),
                expected_version: Some(edited.version),
                ..UserEdit::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::StaleVersion, "{e:?}");

    let changed = org
        .set_role(vec![s.target, s.user], Role::Collaborator)
        .await
        .unwrap();
    assert!(changed.iter().all(|u| u.role == Role::Collaborator));
    let page = org.list_users(search("target")).await.unwrap();
    assert_eq!(page.users[0].role, Role::Collaborator);

    let licensed = org.set_licensed(vec![s.target], true).await.unwrap();
    assert!(licensed[0].licensed);
    assert_eq!(org.summary().await.unwrap().licensed, 1);

    org.delete_users(vec![s.target, nova.id]).await.unwrap();
    assert_eq!(org.list_users(search("target")).await.unwrap().total, 0);
    let gone = org.deleted_users().await.unwrap();
    let ids: Vec<_> = gone.iter().map(|(u, _)| u.id).collect();
    assert!(ids.contains(&s.target) && ids.contains(&nova.id), "{ids:?}");
    assert!(gone.iter().all(|(_, at)| at.0 > 0));
    let back = org.restore_user(s.target).await.unwrap();
    assert_eq!(back.id, s.target);
    assert!(!back.licensed, "restored without its license");
    assert_eq!(org.list_users(search("target")).await.unwrap().total, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_its_links_and_access() {
    let s = Server::start(10).await;
    let org = s.as_person(Session::new(OWNER));

    let groups = org.items(DirectoryKind::Group).await.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!((groups[0].id, groups[0].name.as_str()), (s.group, "Sales"));
    let ws = org
        .create_item(DirectoryKind::Workspace, "Feld".into())
        .await
        .unwrap();
    let ws = org
        .rename_item(DirectoryKind::Workspace, ws.id, "Field".into())
        .await
        .unwrap();
    assert_eq!(
        org.items(DirectoryKind::Workspace).await.unwrap(),
        vec![ws.clone()]
    );
    let agent = org
        .create_item(DirectoryKind::Agent, "Helper".into())
        .await
        .unwrap();

    assert!(org
        .link(LinkKind::UserGroup, s.user, s.group)
        .await
        .unwrap());
    assert!(!org
        .link(LinkKind::UserGroup, s.user, s.group)
        .await
        .unwrap());
    assert!(org
        .link(LinkKind::GroupWorkspace, s.group, ws.id)
        .await
        .unwrap());
    assert!(org
        .link(LinkKind::AgentWorkspace, agent.id, ws.id)
        .await
        .unwrap());

    let links = org.user_links(s.user).await.unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!((links[0].0, links[0].1.id), (LinkKind::UserGroup, s.group));
    let links = org.item_links(s.group).await.unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(
        (links[0].0, links[0].1.id),
        (LinkKind::GroupWorkspace, ws.id)
    );

    // The user reaches the agent through the group's workspace, and the agent the user.
    let access = org.access(s.user).await.unwrap();
    assert_eq!(access.len(), 1);
    assert_eq!(access[0].agent.id, agent.id);
    let reach = org.agent_reach(agent.id).await.unwrap();
    assert!(reach.iter().any(|r| r.user.id == s.user), "{reach:?}");
    assert!(!reach.iter().any(|r| r.user.id == s.target), "{reach:?}");

    // The Directory's pages, and a user's: the same answers as a local organization's.
    let page = org
        .directory_page(DirectoryQuery {
            kind: DirectoryKind::Workspace,
            search: Some("fie".into()),
            offset: 0,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    let e = &page.entries[0];
    assert_eq!((e.item.id, e.groups, e.agents), (ws.id, 1, 1));
    let group = org
        .item_page(ItemQuery {
            kind: DirectoryKind::Group,
            id: s.group,
            search: None,
            offset: 0,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(
        group.members.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![s.user]
    );
    assert_eq!(group.links.len(), 1);
    assert_eq!(org.user(s.user).await.unwrap().id, s.user);

    assert!(org
        .unlink(LinkKind::UserGroup, s.user, s.group)
        .await
        .unwrap());
    assert!(!org
        .unlink(LinkKind::UserGroup, s.user, s.group)
        .await
        .unwrap());
    assert!(org.access(s.user).await.unwrap().is_empty());

    org.delete_item(DirectoryKind::Agent, agent.id)
        .await
        .unwrap();
    assert!(org.items(DirectoryKind::Agent).await.unwrap().is_empty());
    let e = org
        .delete_item(DirectoryKind::Group, ws.id)
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::NotFound,
        "a workspace is no group: {e:?}"
    );
}
