//! The Directory's pages: a list's counts and search and paging, an item's links and members.

use omni_core::model::Role;
use omni_core::ErrorCode;
use omni_store::{DirectoryKind, DirectoryQuery, ItemQuery, LinkKind};

use crate::common::{db, rt, NOW};

fn list(kind: DirectoryKind, search: Option<&str>, offset: u64, limit: u32) -> DirectoryQuery {
    DirectoryQuery {
        kind,
        search: search.map(str::to_string),
        offset,
        limit,
    }
}

#[test]
fn a_list_counts_what_each_item_holds_and_leaves_deleted_users_out() {
    rt().block_on(async {
        let d = db(10).await;
        let s = &d.store;
        let o = &d.owner;
        let ana = d.add("ana@acme.com", Role::User).await;
        let bo = d.add("bo@acme.com", Role::User).await;
        let sales = s
            .create_item(o, DirectoryKind::Group, "Sales", NOW)
            .await
            .unwrap();
        let ops = s
            .create_item(o, DirectoryKind::Group, "Ops", NOW)
            .await
            .unwrap();
        let emea = s
            .create_item(o, DirectoryKind::Workspace, "EMEA", NOW)
            .await
            .unwrap();
        let coach = s
            .create_item(o, DirectoryKind::Agent, "Sales Coach", NOW)
            .await
            .unwrap();
        for (k, a, b) in [
            (LinkKind::UserGroup, ana, sales.id),
            (LinkKind::UserGroup, bo, sales.id),
            (LinkKind::UserWorkspace, ana, emea.id),
            (LinkKind::GroupWorkspace, sales.id, emea.id),
            (LinkKind::AgentGroup, coach.id, sales.id),
            (LinkKind::AgentWorkspace, coach.id, emea.id),
            (LinkKind::AgentUser, coach.id, bo),
        ] {
            assert!(s.link(o, k, a, b, NOW).await.unwrap());
        }
        s.delete_users(o, &[bo], NOW).await.unwrap();

        let groups = s
            .directory_page(o, &list(DirectoryKind::Group, None, 0, 100))
            .await
            .unwrap();
        assert_eq!(groups.total, 2);
        let rows: Vec<(&str, i64, i64, i64, i64)> = groups
            .entries
            .iter()
            .map(|e| {
                (
                    e.item.name.as_str(),
                    e.users,
                    e.groups,
                    e.workspaces,
                    e.agents,
                )
            })
            .collect();
        // By name; Bo is deleted, so Sales has one member.
        assert_eq!(rows, vec![("Ops", 0, 0, 0, 0), ("Sales", 1, 0, 1, 1)]);
        assert_eq!(groups.entries[0].item.id, ops.id);

        let spaces = s
            .directory_page(o, &list(DirectoryKind::Workspace, None, 0, 100))
            .await
            .unwrap();
        let e = &spaces.entries[0];
        assert_eq!((e.users, e.groups, e.workspaces, e.agents), (1, 1, 0, 1));
        let agents = s
            .directory_page(o, &list(DirectoryKind::Agent, None, 0, 100))
            .await
            .unwrap();
        let e = &agents.entries[0];
        assert_eq!((e.users, e.groups, e.workspaces, e.agents), (0, 1, 1, 0));
    });
}

#[test]
fn a_list_searches_any_part_of_the_name_in_any_case_and_pages() {
    rt().block_on(async {
        let d = db(10).await;
        let s = &d.store;
        let o = &d.owner;
        for i in 0..25 {
            s.create_item(o, DirectoryKind::Group, &format!("Team {i:02}"), NOW)
                .await
                .unwrap();
        }
        s.create_item(o, DirectoryKind::Group, "100% sales_ops", NOW)
            .await
            .unwrap();
        let page = s
            .directory_page(o, &list(DirectoryKind::Group, None, 10, 10))
            .await
            .unwrap();
        assert_eq!(page.total, 26);
        let names: Vec<&str> = page.entries.iter().map(|e| e.item.name.as_str()).collect();
        assert_eq!(names.first(), Some(&"Team 09"));
        assert_eq!(names.len(), 10);
        let found = s
            .directory_page(o, &list(DirectoryKind::Group, Some(" tEAm 1"), 0, 100))
            .await
            .unwrap();
        assert_eq!(found.total, 10, "Team 10 to Team 19");
        // LIKE's wildcards are plain characters in a search.
        let pct = s
            .directory_page(o, &list(DirectoryKind::Group, Some("0%"), 0, 100))
            .await
            .unwrap();
        let names: Vec<&str> = pct.entries.iter().map(|e| e.item.name.as_str()).collect();
        assert_eq!(names, vec!["100% sales_ops"]);
        let under = s
            .directory_page(o, &list(DirectoryKind::Group, Some("s_o"), 0, 100))
            .await
            .unwrap();
        assert_eq!(under.total, 1);
        let none = s
            .directory_page(o, &list(DirectoryKind::Group, Some("m_0"), 0, 100))
            .await
            .unwrap();
        assert_eq!(none.total, 0);
        // Another kind's items never show.
        let agents = s
            .directory_page(o, &list(DirectoryKind::Agent, None, 0, 100))
            .await
            .unwrap();
        assert_eq!(agents.total, 0);
    });
}

#[test]
fn an_items_page_has_its_links_both_ways_and_its_members_by_email() {
    rt().block_on(async {
        let d = db(10).await;
        let s = &d.store;
        let o = &d.owner;
        let ids = d.add_users(3).await;
        let gone = d.add("zed@acme.com", Role::User).await;
        let sales = s
            .create_item(o, DirectoryKind::Group, "Sales", NOW)
            .await
            .unwrap();
        let emea = s
            .create_item(o, DirectoryKind::Workspace, "EMEA", NOW)
            .await
            .unwrap();
        let coach = s
            .create_item(o, DirectoryKind::Agent, "Coach", NOW)
            .await
            .unwrap();
        for u in ids.iter().chain([&gone]) {
            s.link(o, LinkKind::UserGroup, *u, sales.id, NOW)
                .await
                .unwrap();
        }
        s.link(o, LinkKind::GroupWorkspace, sales.id, emea.id, NOW)
            .await
            .unwrap();
        s.link(o, LinkKind::AgentGroup, coach.id, sales.id, NOW)
            .await
            .unwrap();
        s.link(o, LinkKind::AgentUser, coach.id, ids[1], NOW)
            .await
            .unwrap();
        s.delete_users(o, &[gone], NOW).await.unwrap();

        let q = |search: Option<&str>, offset, limit| ItemQuery {
            kind: DirectoryKind::Group,
            id: sales.id,
            search: search.map(str::to_string),
            offset,
            limit,
        };
        let page = s.item_page(o, &q(None, 0, 2)).await.unwrap();
        assert_eq!(page.item.name, "Sales");
        assert_eq!(page.member_link, LinkKind::UserGroup);
        let links: Vec<(LinkKind, &str)> = page
            .links
            .iter()
            .map(|l| (l.kind, l.item.name.as_str()))
            .collect();
        assert_eq!(
            links,
            vec![
                (LinkKind::AgentGroup, "Coach"),
                (LinkKind::GroupWorkspace, "EMEA")
            ]
        );
        assert_eq!(page.members_total, 3, "the deleted member does not count");
        let emails: Vec<&str> = page.members.iter().map(|m| m.email.as_str()).collect();
        assert_eq!(emails, vec!["u0@acme.com", "u1@acme.com"]);
        let rest = s.item_page(o, &q(None, 2, 2)).await.unwrap();
        assert_eq!(rest.members.len(), 1);
        let found = s.item_page(o, &q(Some("U1@"), 0, 10)).await.unwrap();
        assert_eq!((found.members_total, found.members[0].id), (1, ids[1]));

        // An agent's members are the users it is shared with; its links, its groups.
        let agent = s
            .item_page(
                o,
                &ItemQuery {
                    kind: DirectoryKind::Agent,
                    id: coach.id,
                    search: None,
                    offset: 0,
                    limit: 10,
                },
            )
            .await
            .unwrap();
        assert_eq!(agent.member_link, LinkKind::AgentUser);
        assert_eq!(
            agent.members.iter().map(|m| m.id).collect::<Vec<_>>(),
            vec![ids[1]]
        );
        assert_eq!(agent.links.len(), 1);
        // A workspace's page shows the group in it.
        let ws = s
            .item_page(
                o,
                &ItemQuery {
                    kind: DirectoryKind::Workspace,
                    id: emea.id,
                    search: None,
                    offset: 0,
                    limit: 10,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            ws.links.iter().map(|l| l.item.id).collect::<Vec<_>>(),
            vec![sales.id]
        );

        // The kind must match the item's.
        let wrong = s
            .item_page(
                o,
                &ItemQuery {
                    kind: DirectoryKind::Agent,
                    id: sales.id,
                    search: None,
                    offset: 0,
                    limit: 10,
                },
            )
            .await
            .unwrap_err();
        assert_eq!(wrong.code, ErrorCode::NotFound);
    });
}

#[test]
fn a_user_sees_no_directory_pages() {
    rt().block_on(async {
        let d = db(10).await;
        let u = d.add("plain@acme.com", Role::User).await;
        let caller = d.caller(u);
        let err = d
            .store
            .directory_page(&caller, &list(DirectoryKind::Group, None, 0, 10))
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::PermissionDenied);
    });
}
