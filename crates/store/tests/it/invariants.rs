//! Property test: random sequences of operations by random actors never oversubscribe seats,
//! never leave the organization without an Administrator, never let a Collaborator create an
//! Administrator, and keep the dashboard counters equal to the rows.

use omni_core::model::Role;
use omni_store::{Caller, NewUser, UserQuery};
use proptest::prelude::*;

use crate::common::*;

#[derive(Debug, Clone)]
enum Op {
    Create {
        actor: usize,
        role: Role,
    },
    SetRole {
        actor: usize,
        target: usize,
        role: Role,
    },
    Delete {
        actor: usize,
        targets: Vec<usize>,
    },
    Restore {
        actor: usize,
        target: usize,
    },
    License {
        actor: usize,
        targets: Vec<usize>,
        on: bool,
    },
    Seats {
        actor: usize,
        seats: i64,
    },
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![
        Just(Role::User),
        Just(Role::Collaborator),
        Just(Role::Administrator)
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0..12usize;
    prop_oneof![
        (who.clone(), role()).prop_map(|(actor, role)| Op::Create { actor, role }),
        (who.clone(), who.clone(), role()).prop_map(|(actor, target, role)| Op::SetRole {
            actor,
            target,
            role
        }),
        (who.clone(), prop::collection::vec(0..12usize, 1..4))
            .prop_map(|(actor, targets)| Op::Delete { actor, targets }),
        (who.clone(), who.clone()).prop_map(|(actor, target)| Op::Restore { actor, target }),
        (
            who.clone(),
            prop::collection::vec(0..12usize, 1..5),
            any::<bool>()
        )
            .prop_map(|(actor, targets, on)| Op::License { actor, targets, on }),
        (who, 0..6i64).prop_map(|(actor, seats)| Op::Seats { actor, seats }),
    ]
}

/// Someone still allowed to read the dashboard (the owner may have been deleted).
async fn viewer(db: &Db, ids: &[i64]) -> Caller {
    for id in ids {
        let c = Caller {
            org: db.owner.org,
            user: *id,
        };
        if db.store.summary(&c).await.is_ok() {
            return c;
        }
    }
    panic!("nobody can open the Users module any more");
}

async fn check(db: &Db, ids: &[i64]) {
    let s = db.store.summary(&viewer(db, ids).await).await.unwrap();
    assert!(
        s.seats.assigned <= s.seats.purchased,
        "seats oversubscribed: {s:?}"
    );
    assert!(s.administrators >= 1, "no Administrator left");
    let (total, licensed, admins) = db.store.recount(db.owner.org).await.unwrap();
    assert_eq!(
        (s.total_users, s.licensed, s.administrators),
        (total, licensed, admins),
        "counters drifted"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn random_operations_keep_the_invariants(ops in prop::collection::vec(op(), 1..40)) {
        rt().block_on(async {
            let db = db(3).await;
            let mut ids = vec![db.owner.user];
            let mut n = 0;
            for op in ops {
                let pick = |i: usize| ids[i % ids.len()];
                let caller = |i: usize| Caller { org: db.owner.org, user: pick(i) };
                let s = &db.store;
                let admins_before = s.recount(db.owner.org).await.unwrap().2;
                let (actor, result) = match &op {
                    Op::Create { actor, role } => {
                        n += 1;
                        let r = s.create_user(&caller(*actor), NewUser { email: email(&format!("u{n}@acme.com")), phone: None, role: *role }, NOW).await;
                        let new_id = r.as_ref().ok().map(|u| u.id);
                        (*actor, r.map(|_| new_id))
                    }
                    Op::SetRole { actor, target, role } => (*actor, s.set_role(&caller(*actor), &[pick(*target)], *role, NOW).await.map(|_| None)),
                    Op::Delete { actor, targets } => {
                        let t: Vec<i64> = targets.iter().map(|i| pick(*i)).collect();
                        (*actor, s.delete_users(&caller(*actor), &t, NOW).await.map(|_| None))
                    }
                    Op::Restore { actor, target } => (*actor, s.restore_user(&caller(*actor), pick(*target), NOW).await.map(|_| None)),
                    Op::License { actor, targets, on } => {
                        let t: Vec<i64> = targets.iter().map(|i| pick(*i)).collect();
                        (*actor, s.set_licensed(&caller(*actor), &t, *on, NOW).await.map(|_| None))
                    }
                    Op::Seats { actor, seats } => (*actor, s.set_seats(&caller(*actor), *seats, NOW).await.map(|_| None)),
                };
                let acting = s.user(&viewer(&db, &ids).await, pick(actor), NOW).await.ok().map(|u| u.role);
                if let Ok(Some(id)) = result { ids.push(id); }
                let admins_after = s.recount(db.owner.org).await.unwrap().2;
                if result.is_ok() && acting == Some(Role::Collaborator) {
                    assert!(admins_after <= admins_before, "a Collaborator added an Administrator with {op:?}");
                }
                check(&db, &ids).await;
            }
            // The table agrees with the counters too.
            let page = db.store.list_users(&viewer(&db, &ids).await, &UserQuery { limit: 1000, ..Default::default() }, NOW).await.unwrap();
            assert_eq!(page.users.len() as i64, page.total);
        });
    }
}
