//! The users table as a person pages through it: every sort order, both directions, page after
//! page, gives the same users in the same order as one sorted list.

use omni_core::model::{Role, Usd, User};
use omni_core::Phone;
use omni_store::{NewUser, SortField, UserEdit, UserQuery};

use crate::common::*;

const SORTS: [SortField; 8] = [
    SortField::Email,
    SortField::Phone,
    SortField::Role,
    SortField::License,
    SortField::Budget,
    SortField::Usage,
    SortField::Created,
    SortField::Updated,
];

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
