//! A canonical dump of an organization as its screens read it: the dashboard, the table in
//! every order, "Recently deleted", the directory, every user's and item's links and every
//! user's effective access. Two stores that dump the same text read the same everywhere.

use std::fmt::Write;

use omni_core::model::Timestamp;
use omni_store::{Caller, DirectoryKind, SortField, Store, UserQuery};

pub const SORTS: [SortField; 8] = SortField::ALL;

/// The table in `sort`'s order (`descending` or not), every row.
pub async fn table(
    store: &Store,
    caller: &Caller,
    sort: SortField,
    descending: bool,
    now: Timestamp,
) -> String {
    let q = UserQuery {
        sort,
        descending,
        limit: 10_000,
        ..UserQuery::default()
    };
    let page = store.list_users(caller, &q, now).await.unwrap();
    format!("{page:?}")
}

pub async fn canonical_dump(store: &Store, caller: &Caller, now: Timestamp) -> String {
    let mut out = String::new();
    let summary = store.summary(caller).await.unwrap();
    writeln!(out, "summary {summary:?}").unwrap();
    for sort in SORTS {
        for desc in [false, true] {
            let t = table(store, caller, sort, desc, now).await;
            writeln!(out, "table {sort:?} {desc} {t}").unwrap();
        }
    }
    let deleted = store.deleted_users(caller, now).await.unwrap();
    writeln!(out, "deleted {deleted:?}").unwrap();
    let all = UserQuery {
        limit: 10_000,
        ..UserQuery::default()
    };
    let users = store.list_users(caller, &all, now).await.unwrap().users;
    for u in &users {
        let links = store.user_links(caller, u.id).await.unwrap();
        let access = store.access(caller, u.id).await.unwrap();
        writeln!(out, "user {} links {links:?} access {access:?}", u.id).unwrap();
    }
    for kind in [
        DirectoryKind::Group,
        DirectoryKind::Workspace,
        DirectoryKind::Agent,
    ] {
        let items = store.items(caller, kind).await.unwrap();
        writeln!(out, "items {kind:?} {items:?}").unwrap();
        for i in items {
            let links = store.item_links(caller, i.id).await.unwrap();
            writeln!(out, "item {} links {links:?}", i.id).unwrap();
        }
    }
    out
}
