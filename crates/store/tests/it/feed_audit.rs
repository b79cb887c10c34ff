//! The change feed rebuilds the data exactly (deletions included, replays harmless); the audit
//! log records privileged changes with before and after.

use std::collections::BTreeMap;

use omni_core::model::{Role, Usd};
use omni_core::ErrorCode;
use omni_store::{ChangeOp, DirectoryKind, FeedEntity, LinkKind, UserQuery};

use crate::common::*;

#[test]
fn a_client_reading_the_feed_with_random_pages_and_replays_ends_with_the_data() {
    rt().block_on(async {
        let db = db(5).await;
        let s = &db.store;
        let o = &db.owner;
        let mut ids = Vec::new();
        for i in 0..30 {
            ids.push(
                db.add(
                    &format!("u{i}@acme.com"),
                    if i % 5 == 0 {
                        Role::Collaborator
                    } else {
                        Role::User
                    },
                )
                .await,
            );
        }
        s.set_licensed(o, &ids[..5], true, NOW).await.unwrap();
        s.delete_users(o, &ids[10..15], NOW).await.unwrap();
        s.restore_user(o, ids[12], NOW).await.unwrap();
        s.set_budget(o, ids[1], Some(Usd::dollars(9)), NOW)
            .await
            .unwrap();
        let g = s
            .create_item(o, DirectoryKind::Group, "Sales", NOW)
            .await
            .unwrap()
            .id;
        s.link(o, LinkKind::UserGroup, ids[2], g, NOW)
            .await
            .unwrap();
        s.link(o, LinkKind::UserGroup, ids[3], g, NOW)
            .await
            .unwrap();
        s.unlink(o, LinkKind::UserGroup, ids[3], g, NOW)
            .await
            .unwrap();
        s.import_commit(
            o,
            "new1@acme.com\nnew2@acme.com,55,11987654321\n".as_bytes(),
            Default::default(),
            0,
            &|_| {},
            None,
            NOW,
        )
        .await
        .unwrap();

        // The client: a map of users by id, pages of 1 to 7 changes, each page read twice.
        let mut users: BTreeMap<i64, String> = BTreeMap::new();
        let mut links = BTreeMap::new();
        let mut after = 0;
        let mut sizes = [3u32, 1, 7, 2, 5, 4, 6].into_iter().cycle();
        loop {
            let size = sizes.next().unwrap();
            for _replay in 0..2 {
                let page = s.changes(o, after, size, NOW).await.unwrap();
                for c in &page.changes {
                    match (c.entity, c.op) {
                        (FeedEntity::User, ChangeOp::Upsert) => {
                            if let Some(u) = &c.user {
                                users.insert(
                                    c.id,
                                    format!("{} {} {} {:?}", u.email, u.role, u.licensed, u.budget),
                                );
                            }
                        }
                        (FeedEntity::User, ChangeOp::Delete) => {
                            users.remove(&c.id);
                        }
                        (FeedEntity::Link, ChangeOp::Upsert) => {
                            if let Some(l) = c.link {
                                links.insert(c.id, (l.a, l.b));
                            }
                        }
                        (FeedEntity::Link, ChangeOp::Delete) => {
                            links.remove(&c.id);
                        }
                        _ => {}
                    }
                }
                if _replay == 1 {
                    after = page.next;
                    if page.done {
                        let server = s
                            .list_users(
                                o,
                                &UserQuery {
                                    limit: 1000,
                                    ..Default::default()
                                },
                                NOW,
                            )
                            .await
                            .unwrap();
                        let want: BTreeMap<i64, String> = server
                            .users
                            .iter()
                            .map(|u| {
                                (
                                    u.id,
                                    format!("{} {} {} {:?}", u.email, u.role, u.licensed, u.budget),
                                )
                            })
                            .collect();
                        assert_eq!(users, want);
                        assert_eq!(
                            links.values().copied().collect::<Vec<_>>(),
                            vec![(ids[2], g)]
                        );
                        return;
                    }
                }
            }
        }
    });
}

#[test]
fn audit_records_who_what_before_and_after() {
    rt().block_on(async {
        let db = db(1).await;
        let a = db.add("ana@acme.com", Role::User).await;
        db.store
            .set_role(&db.owner, &[a], Role::Collaborator, NOW)
            .await
            .unwrap();
        db.store
            .set_licensed(&db.owner, &[a], true, NOW)
            .await
            .unwrap();
        let log = db
            .store
            .audit(
                &db.owner,
                &omni_store::AuditQuery {
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .entries;
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            ["license.assign", "user.role", "user.create", "org.create"]
        );
        let role = &log[1];
        assert_eq!(role.actor, "owner@acme.com");
        assert_eq!(role.target, "ana@acme.com");
        assert_eq!(role.before.as_ref().unwrap()["role"], "user");
        assert_eq!(role.after.as_ref().unwrap()["role"], "collaborator");
        assert_eq!(role.at, NOW);
        let license = &log[0];
        assert_eq!(
            (license.actor.as_str(), license.target.as_str(), license.at),
            ("owner@acme.com", "ana@acme.com", NOW)
        );
        assert_eq!(license.before.as_ref().unwrap()["licensed"], false);
        assert_eq!(license.after.as_ref().unwrap()["licensed"], true);
    });
}

#[test]
fn expired_deletions_and_feed_entries_are_forgotten_and_a_client_too_far_behind_resyncs() {
    rt().block_on(async {
        let db = db(5).await;
        let s = &db.store;
        let o = &db.owner;
        let gone = db.add("old@acme.com", Role::User).await;
        s.delete_users(o, &[gone], NOW).await.unwrap();
        // Enough entries that dropping them takes more than one transaction.
        let file: String = (0..12_000).map(|i| format!("bulk{i}@acme.com\n")).collect();
        let file = std::io::Cursor::new(file.into_bytes());
        s.import_commit(o, file, Default::default(), 0, &|_| {}, None, NOW)
            .await
            .unwrap();
        // And enough deleted users that purging them takes more than one transaction.
        let mut bulk = Vec::new();
        for offset in [0, 1000, 2000] {
            let q = UserQuery {
                search: Some("bulk".into()),
                offset,
                limit: 1000,
                ..Default::default()
            };
            bulk.extend(
                s.list_users(o, &q, NOW)
                    .await
                    .unwrap()
                    .users
                    .iter()
                    .map(|u| u.id),
            );
        }
        s.delete_users(o, &bulk[..2500], NOW).await.unwrap();
        let later = NOW.plus_days(20);
        let new = omni_store::NewUser {
            email: email("new@acme.com"),
            phone: None,
            role: Role::User,
        };
        let kept = s.create_user(o, new, later).await.unwrap().id;
        // Usage reported twice in `later`'s month, and once in the month after.
        for e in ["ev-1", "ev-2"] {
            assert!(s
                .record_usage(o.org, e, kept, Usd::cents(100), later)
                .await
                .unwrap());
        }
        let next_month = later.month_start().plus_days(40);
        assert!(s
            .record_usage(o.org, "ev-3", kept, Usd::cents(100), next_month)
            .await
            .unwrap());
        let before = every_change_after(s, o, 0, later).await;
        let last_of_now = before
            .iter()
            .filter(|c| c.at == NOW)
            .map(|c| c.seq)
            .max()
            .unwrap();
        // Twenty days on, nothing has expired yet.
        assert_eq!(s.forget_expired(later).await.unwrap(), Default::default());

        // Thirty-one days after NOW: the deleted user is purged, NOW's feed entries dropped.
        let t = NOW.plus_days(31);
        let f = s.forget_expired(t).await.unwrap();
        assert_eq!(
            f.users, 2501,
            "the first deleted user and the 2,500 bulk ones"
        );
        assert_eq!(
            f.changes, last_of_now as u64,
            "every entry up to NOW's last"
        );
        assert!(s.deleted_users(o, t).await.unwrap().is_empty());
        // Usage events stay while their month or the next is running.
        assert_eq!(f.usage_events, 0);
        // A client that last read before the floor must resynchronise...
        let e = s.changes(o, 0, 1000, t).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::StaleVersion);
        // ...one that had read up to it carries on, and misses nothing newer.
        let rest = every_change_after(s, o, last_of_now, t).await;
        let after: Vec<_> = before
            .iter()
            .filter(|c| c.seq > last_of_now)
            .map(|c| c.seq)
            .collect();
        assert_eq!(rest.iter().map(|c| c.seq).collect::<Vec<_>>(), after);
        assert!(rest.iter().any(|c| c.id == kept));
        // A second pass finds nothing more to forget.
        assert_eq!(s.forget_expired(t).await.unwrap(), Default::default());
        // Two months on they go; the next month's event stays, and still refuses its repeat.
        let f = s.forget_expired(next_month.plus_days(31)).await.unwrap();
        assert_eq!(f.usage_events, 2);
        assert!(!s
            .record_usage(o.org, "ev-3", kept, Usd::cents(100), next_month)
            .await
            .unwrap());
    });
}

/// Every change after `after`, page by page.
async fn every_change_after(
    s: &omni_store::Store,
    o: &omni_store::Caller,
    mut after: i64,
    now: omni_core::model::Timestamp,
) -> Vec<omni_store::Change> {
    let mut all = Vec::new();
    loop {
        let page = s.changes(o, after, 10_000, now).await.unwrap();
        all.extend(page.changes);
        after = page.next;
        if page.done {
            return all;
        }
    }
}

#[test]
fn purging_users_deletes_their_links_and_the_feed_says_so() {
    rt().block_on(async {
        let db = db(5).await;
        let (s, o) = (&db.store, &db.owner);
        let g = s
            .create_item(o, DirectoryKind::Group, "Sales", NOW)
            .await
            .unwrap()
            .id;
        let (ana, bia) = (
            db.add("ana@acme.com", Role::User).await,
            db.add("bia@acme.com", Role::User).await,
        );
        for u in [ana, bia] {
            s.link(o, LinkKind::UserGroup, u, g, NOW).await.unwrap();
        }
        let links = |page: &omni_store::ChangePage, op: ChangeOp| -> Vec<i64> {
            let kept = page.changes.iter();
            kept.filter(|c| c.entity == FeedEntity::Link && c.op == op)
                .map(|c| c.id)
                .collect()
        };
        let before = s.changes(o, 0, 1000, NOW).await.unwrap();
        let made = links(&before, ChangeOp::Upsert);
        assert_eq!(made.len(), 2);
        s.delete_users(o, &[ana, bia], NOW).await.unwrap();
        assert_eq!(s.purge_deleted(o.org, NOW.plus_days(31)).await.unwrap(), 2);
        let after = s.changes(o, before.next, 1000, NOW).await.unwrap();
        let mut gone = links(&after, ChangeOp::Delete);
        gone.sort();
        assert_eq!(gone, made, "one delete entry per link");
    });
}
