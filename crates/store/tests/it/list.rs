//! The users table as a person pages through it: every sort order, both directions, page after
//! page, gives the same users in the same order as one sorted list.

use omni_core::model::{Role, Usd, User};
use omni_core::Phone;
use omni_store::{NewUser, SortField, UserEdit, UserQuery};

use crate::common::*;

const SORTS: [SortField; 8] = SortField::ALL;

/// The order a person expects for `sort`, ties broken as the table documents.
fn expected_key(sort: SortField, u: &User) -> (String, i64) {
    match sort {
        SortField::Email => (u.email.as_str().to_string(), 0),
        SortField::Phone => (u.phone.as_ref().map(Phone::e164).unwrap_or_default(), u.id),
        SortField::Role => (u.role.as_str().to_string(), u.id),
        SortField::License => (u8::from(u.licensed).to_string(), u.id),
        SortField::Budget => (format!("{:020}", u.budget.map_or(0, |b| b.0)), u.id),
        SortField::Usage => (format!("{:020}", u.usage.0), u.id),
        SortField::Created => (String::new(), u.id),
        SortField::Updated => (format!("{:020}", u.updated_at.0), u.id),
    }
}

#[test]
fn every_sort_order_pages_like_one_sorted_list() {
    rt().block_on(async {
        let db = db(40).await;
        // Created out of email order, with phones, budgets, roles and licenses in other orders
        // again, so that no two sorts agree by accident; some share a phone, some have no phone
        // or no budget (NULL sorts as the smallest value on both databases).
        let mut ids = Vec::new();
        for n in 0..24u32 {
            let i = (n * 7) % 24;
            let role = [Role::User, Role::Collaborator, Role::Administrator][(n % 3) as usize];
            let phone = (n % 5 != 0)
                .then(|| Phone::parse(Some("55"), &format!("11 9{:04}-1234", (n * 5) % 24 / 3)))
                .and_then(Result::ok);
            let u = db
                .store
                .create_user(
                    &db.owner,
                    NewUser {
                        email: email(&format!("user{i:02}@acme.com")),
                        phone,
                        role,
                    },
                    NOW,
                )
                .await
                .unwrap();
            let budget = (n % 4 != 1).then(|| Usd(i64::from((n * 11) % 24 + 1) * 1_000_000));
            let edit = UserEdit {
                budget: Some(budget),
                ..Default::default()
            };
            db.store
                .edit_user(&db.owner, u.id, edit, NOW)
                .await
                .unwrap();
            ids.push(u.id);
        }
        let every_third: Vec<_> = ids.iter().copied().step_by(3).collect();
        db.store
            .set_licensed(&db.owner, &every_third, true, NOW)
            .await
            .unwrap();
        let all: Vec<User> = db
            .store
            .list_users(
                &db.owner,
                &UserQuery {
                    limit: 1000,
                    ..Default::default()
                },
                NOW,
            )
            .await
            .unwrap()
            .users;
        assert_eq!(all.len(), 25, "the owner and the 24 users");
        assert!(all.iter().filter(|u| u.phone.is_none()).count() >= 5);
        for sort in SORTS {
            for descending in [false, true] {
                let mut expected = all.clone();
                expected.sort_by_key(|u| expected_key(sort, u));
                if descending {
                    expected.reverse();
                }
                let expected: Vec<_> = expected
                    .iter()
                    .map(|u| u.email.as_str().to_string())
                    .collect();
                let mut paged = Vec::new();
                let mut offset = 0;
                loop {
                    let q = UserQuery {
                        sort,
                        descending,
                        offset,
                        limit: 7,
                        ..Default::default()
                    };
                    let page = db.store.list_users(&db.owner, &q, NOW).await.unwrap();
                    assert_eq!(page.total, 25, "{sort:?}: the total counts every user");
                    if page.users.is_empty() {
                        break;
                    }
                    assert!(page.users.len() <= 7);
                    offset += page.users.len() as u64;
                    paged.extend(page.users);
                }
                let paged: Vec<_> = paged.iter().map(|u| u.email.as_str().to_string()).collect();
                assert_eq!(paged, expected, "{sort:?}, descending: {descending}");
            }
        }
    });
}

#[test]
fn the_table_version_read_for_many_callers_at_once_answers_each_its_own() {
    use futures_util::future::join_all;
    rt().block_on(async {
        let db = db(5).await;
        let member = db.add("member@acme.com", Role::Collaborator).await;
        let plain = db.add("plain@acme.com", Role::User).await;
        let gone = db.add("gone@acme.com", Role::User).await;
        db.store
            .delete_users(&db.owner, &[gone], NOW)
            .await
            .unwrap();
        let other = db
            .store
            .create_org("Globex", &email("owner@globex.com"), 1, None, NOW)
            .await
            .unwrap();
        db.add_as(db.owner.user, "more@acme.com", Role::User).await;
        let callers = [
            db.owner,
            db.caller(member),
            db.caller(gone),
            other,
            db.caller(plain),
            // A user of one organization naming another.
            omni_store::Caller {
                org: other.org,
                user: member,
            },
        ];
        let answer = |r: omni_core::error::Result<i64>| match r {
            Ok(v) => format!("{v}"),
            Err(e) => format!("{:?}", e.code),
        };
        let mut one_by_one = Vec::new();
        for c in &callers {
            one_by_one.push(answer(db.store.table_version(c).await));
        }
        let at_once: Vec<String> = join_all(callers.iter().map(|c| db.store.table_version(c)))
            .await
            .into_iter()
            .map(answer)
            .collect();
        assert_eq!(at_once, one_by_one);
        let acme: i64 = one_by_one[0].parse().unwrap();
        let globex: i64 = one_by_one[3].parse().unwrap();
        assert_eq!(
            one_by_one[1], one_by_one[0],
            "one organization, one position"
        );
        assert_ne!(acme, globex, "each organization has its own feed");
        assert_eq!(one_by_one[2], "PermissionDenied", "a deleted caller");
        assert_eq!(one_by_one[4], "PermissionDenied", "the User role");
        assert_eq!(one_by_one[5], "PermissionDenied", "not a user there");

        // A change moves the position for its organization only.
        db.store
            .set_licensed(&db.owner, &[member], true, NOW)
            .await
            .unwrap();
        assert!(db.store.table_version(&db.owner).await.unwrap() > acme);
        assert_eq!(db.store.table_version(&other).await.unwrap(), globex);
    });
}

#[test]
fn a_caller_whose_version_reader_stops_halfway_still_gets_an_answer() {
    rt().block_on(async {
        let db = db(5).await;
        let collab = db.caller(db.add("collab@acme.com", Role::Collaborator).await);
        let expected = db.store.table_version(&db.owner).await.unwrap();
        let s = &db.store;
        // A read can finish within the poll that sends it (the database's thread is quick):
        // then this attempt shows nothing, and another is made.
        let mut shown = false;
        for _ in 0..50 {
            // A reader holds the turn while two more callers queue behind it.
            let mut first = Box::pin(s.table_version(&db.owner));
            let mut leader = Box::pin(s.table_version(&db.owner));
            let mut follower = Box::pin(s.table_version(&collab));
            if poll(&mut first).await.is_ready() {
                continue;
            }
            assert!(poll(&mut leader).await.is_pending());
            assert!(poll(&mut follower).await.is_pending());
            assert_eq!(first.await.unwrap(), expected);
            // The next takes the turn and both queued callers with it, then is dropped (its
            // client went away) before it answers them.
            if poll(&mut leader).await.is_ready() {
                assert_eq!(follower.await.unwrap(), expected);
                continue;
            }
            drop(leader);
            let answer = tokio::time::timeout(std::time::Duration::from_secs(10), follower).await;
            assert_eq!(answer.expect("the follower is answered").unwrap(), expected);
            shown = true;
            break;
        }
        assert!(
            shown,
            "a reader was dropped halfway at least once in 50 attempts"
        );
    });
}
