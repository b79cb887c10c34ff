//! Single-user operations as a person would check them: counters, refusals and their reasons,
//! delete and restore, versions, budgets and usage, effective access.

use omni_core::model::{Role, Timestamp, Usd};
use omni_core::{ErrorCode, Phone};
use omni_store::{DirectoryKind, LinkKind, NewUser, UserEdit};

use crate::common::*;

#[test]
fn creating_a_user_moves_the_counters() {
    rt().block_on(async {
        let db = db(2).await;
        let phone = Phone::parse(Some("55"), "(11) 98765-4321").ok();
        let u = db
            .store
            .create_user(
                &db.owner,
                NewUser {
                    email: email("Ana@ACME.com"),
                    phone,
                    role: Role::User,
                },
                NOW,
            )
            .await
            .unwrap();
        assert_eq!(u.email.as_str(), "ana@acme.com");
        assert_eq!(
            u.phone.as_ref().map(Phone::e164).as_deref(),
            Some("+5511987654321")
        );
        assert!(!u.licensed, "new users start unlicensed");
        let s = db.store.summary(&db.owner).await.unwrap();
        assert_eq!(
            (s.total_users, s.licensed, s.unlicensed, s.administrators),
            (2, 0, 2, 1)
        );
        let again = db
            .store
            .create_user(
                &db.owner,
                NewUser {
                    email: email("ana@acme.com"),
                    phone: None,
                    role: Role::User,
                },
                NOW,
            )
            .await;
        assert_eq!(again.unwrap_err().code, ErrorCode::AlreadyExists);
    });
}

#[test]
fn nobody_changes_their_own_role_and_the_last_admin_stays() {
    rt().block_on(async {
        let db = db(2).await;
        let e = db
            .store
            .set_role(&db.owner, &[db.owner.user], Role::User, NOW)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::PermissionDenied);
        let collab = db.add("c@acme.com", Role::Collaborator).await;
        let e = db
            .store
            .set_role(&db.caller(collab), &[collab], Role::User, NOW)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::PermissionDenied);
        // A second admin demotes the owner; then the second admin is the last one.
        let admin2 = db.add("a2@acme.com", Role::Administrator).await;
        db.store
            .set_role(&db.caller(admin2), &[db.owner.user], Role::User, NOW)
            .await
            .unwrap();
        let e = db
            .store
            .delete_users(&db.caller(collab), &[admin2], NOW)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::PermissionDenied);
        // The last admin cannot be deleted by anyone (not even through a selection).
        let third = db.add_as(admin2, "a3@acme.com", Role::Administrator).await;
        db.store
            .delete_users(&db.caller(third), &[admin2], NOW)
            .await
            .unwrap();
        let e = db
            .store
            .delete_users(&db.caller(third), &[third], NOW)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::PermissionDenied, "self-deletion");
        assert_eq!(
            db.store
                .summary(&db.caller(third))
                .await
                .unwrap()
                .administrators,
            1
        );
    });
}

#[test]
fn the_only_administrator_stays_one() {
    rt().block_on(async {
        let db = db(0).await;
        let collab = db.caller(db.add("c@acme.com", Role::Collaborator).await);
        let s = &db.store;
        // Neither they themselves nor a Collaborator can demote or delete the only Administrator.
        for (who, what) in [(db.owner, "self"), (collab, "collaborator")] {
            assert!(
                s.set_role(&who, &[db.owner.user], Role::Collaborator, NOW)
                    .await
                    .is_err(),
                "{what} demoted"
            );
            assert!(
                s.delete_users(&who, &[db.owner.user], NOW).await.is_err(),
                "{what} deleted"
            );
        }
        assert_eq!(s.summary(&db.owner).await.unwrap().administrators, 1);
    });
}

#[test]
fn delete_frees_the_seat_and_restore_brings_back_the_user_not_the_license() {
    rt().block_on(async {
        let db = db(1).await;
        let ana = db.add("ana@acme.com", Role::User).await;
        let bia = db.add("bia@acme.com", Role::User).await;
        db.store
            .set_licensed(&db.owner, &[ana], true, NOW)
            .await
            .unwrap();
        let e = db
            .store
            .set_licensed(&db.owner, &[bia], true, NOW)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::NoSeatAvailable);
        db.store.delete_users(&db.owner, &[ana], NOW).await.unwrap();
        db.store
            .set_licensed(&db.owner, &[bia], true, NOW)
            .await
            .unwrap();
        let deleted = db.store.deleted_users(&db.owner, NOW).await.unwrap();
        assert_eq!(deleted.len(), 1);
        let back = db
            .store
            .restore_user(&db.owner, ana, NOW.plus_days(29))
            .await
            .unwrap();
        assert!(!back.licensed);
        let s = db.store.summary(&db.owner).await.unwrap();
        assert_eq!((s.total_users, s.licensed, s.seats.available), (3, 1, 0));
        // After 30 days a deleted user is gone for good.
        db.store.delete_users(&db.owner, &[ana], NOW).await.unwrap();
        let e = db
            .store
            .restore_user(&db.owner, ana, NOW.plus_days(31))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
        assert_eq!(
            db.store
                .purge_deleted(db.owner.org, NOW.plus_days(31))
                .await
                .unwrap(),
            1
        );
        // Restoring when the email is taken again is refused with the reason.
        let c = db.add("cid@acme.com", Role::User).await;
        db.store.delete_users(&db.owner, &[c], NOW).await.unwrap();
        db.add("cid@acme.com", Role::User).await;
        let e = db.store.restore_user(&db.owner, c, NOW).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::AlreadyExists);
    });
}

#[test]
fn seats_cannot_drop_below_assigned() {
    rt().block_on(async {
        let db = db(2).await;
        let a = db.add("a@acme.com", Role::User).await;
        let b = db.add("b@acme.com", Role::User).await;
        db.store
            .set_licensed(&db.owner, &[a, b], true, NOW)
            .await
            .unwrap();
        let e = db.store.set_seats(&db.owner, 1, NOW).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::NoSeatAvailable);
        assert!(e.message.contains("unassign 1"), "{}", e.message);
        // Bulk assign is all or nothing.
        db.store
            .set_licensed(&db.owner, &[a, b], false, NOW)
            .await
            .unwrap();
        let c = db.add("c@acme.com", Role::User).await;
        let e = db
            .store
            .set_licensed(&db.owner, &[a, b, c], true, NOW)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::NoSeatAvailable);
        assert_eq!(db.store.summary(&db.owner).await.unwrap().licensed, 0);
    });
}

#[test]
fn a_collaborator_edits_a_phone_with_the_budget_left_as_it_was() {
    // The Edit form sends the budget it showed; only a change of it needs an Administrator.
    rt().block_on(async {
        let db = db(2).await;
        let ana = db.add("ana@acme.com", Role::User).await;
        db.store
            .set_budget(&db.owner, ana, Some(Usd::dollars(50)), NOW)
            .await
            .unwrap();
        let collab = db.caller(db.add("c@acme.com", Role::Collaborator).await);
        let phone = Phone::parse(Some("55"), "11987654321").ok();
        let edit = |budget: Usd| UserEdit {
            phone: Some(phone.clone()),
            budget: Some(Some(budget)),
            ..UserEdit::default()
        };
        let saved = db
            .store
            .edit_user(&collab, ana, edit(Usd::dollars(50)), NOW)
            .await
            .unwrap();
        assert_eq!(saved.phone, phone);
        assert_eq!(saved.budget, Some(Usd::dollars(50)));

        let e = db
            .store
            .edit_user(&collab, ana, edit(Usd::dollars(80)), NOW)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::PermissionDenied);
        assert_eq!(e.message, "Only an Administrator can set budgets.");
    });
}

#[test]
fn stale_versions_are_refused() {
    rt().block_on(async {
        let db = db(0).await;
        let id = db.add("a@acme.com", Role::User).await;
        let u = db.store.user(&db.owner, id, NOW).await.unwrap();
        let edit = UserEdit {
            budget: Some(Some(Usd::dollars(10))),
            expected_version: Some(u.version),
            ..Default::default()
        };
        let saved = db
            .store
            .edit_user(&db.owner, id, edit.clone(), NOW)
            .await
            .unwrap();
        assert_eq!(saved.version, u.version + 1);
        let e = db
            .store
            .edit_user(&db.owner, id, edit, NOW)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::StaleVersion);
    });
}

#[test]
fn license_and_delete_at_a_version_check_it_in_their_transaction() {
    rt().block_on(async {
        let db = db(2).await;
        let id = db.add("a@acme.com", Role::User).await;
        let read = db.store.user(&db.owner, id, NOW).await.unwrap();
        // Someone else edits the user after this editor read it.
        let edit = UserEdit {
            budget: Some(Some(Usd::dollars(10))),
            ..Default::default()
        };
        db.store.edit_user(&db.owner, id, edit, NOW).await.unwrap();
        let before = db.snapshot().await;
        let e = db
            .store
            .set_license_at(&db.owner, id, read.version, true, NOW)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::StaleVersion);
        let e = db
            .store
            .delete_user_at(&db.owner, id, read.version, NOW)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::StaleVersion);
        assert_eq!(
            db.snapshot().await,
            before,
            "a stale request changes nothing"
        );

        // At the current version both go through; a second delete finds nobody.
        let now_at = db.store.user(&db.owner, id, NOW).await.unwrap().version;
        let u = db
            .store
            .set_license_at(&db.owner, id, now_at, true, NOW)
            .await
            .unwrap();
        assert!(u.licensed);
        db.store
            .delete_user_at(&db.owner, id, u.version, NOW)
            .await
            .unwrap();
        let e = db
            .store
            .delete_user_at(&db.owner, id, u.version, NOW)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
    });
}

#[test]
fn usage_is_idempotent_and_resets_each_month() {
    rt().block_on(async {
        let db = db(0).await;
        let id = db.add("a@acme.com", Role::User).await;
        db.store
            .set_budget(&db.owner, id, Some(Usd::dollars(50)), NOW)
            .await
            .unwrap();
        assert!(db
            .store
            .record_usage(db.owner.org, "ev-1", id, Usd::cents(1240), NOW)
            .await
            .unwrap());
        assert!(!db
            .store
            .record_usage(db.owner.org, "ev-1", id, Usd::cents(1240), NOW)
            .await
            .unwrap());
        let u = db.store.user(&db.owner, id, NOW).await.unwrap();
        assert_eq!(
            format!("{} / {}", u.usage, u.budget.unwrap()),
            "$12.40 / $50.00"
        );
        let next_month = Timestamp(NOW.month_start().0).plus_days(32);
        let u = db.store.user(&db.owner, id, next_month).await.unwrap();
        assert_eq!(u.usage, Usd(0));
        // Zero budget means no limit.
        let u = db
            .store
            .set_budget(&db.owner, id, Some(Usd(0)), NOW)
            .await
            .unwrap();
        assert_eq!(u.budget, None);
    });
}

#[test]
fn effective_access_names_every_path() {
    rt().block_on(async {
        let db = db(0).await;
        let s = &db.store;
        let o = &db.owner;
        let ana = db.add("ana@acme.com", Role::User).await;
        let sales = s
            .create_item(o, DirectoryKind::Group, "Sales", NOW)
            .await
            .unwrap()
            .id;
        let emea = s
            .create_item(o, DirectoryKind::Workspace, "EMEA", NOW)
            .await
            .unwrap()
            .id;
        let deals = s
            .create_item(o, DirectoryKind::Workspace, "Deals", NOW)
            .await
            .unwrap()
            .id;
        let names = [
            "Direct",
            "ViaGroup",
            "ViaWorkspace",
            "ViaGroupWorkspace",
            "Unreachable",
        ];
        let mut agents = Vec::new();
        for n in names {
            agents.push(
                s.create_item(o, DirectoryKind::Agent, n, NOW)
                    .await
                    .unwrap()
                    .id,
            );
        }
        assert!(
            s.access(o, ana).await.unwrap().is_empty(),
            "registered is not enough"
        );
        s.link(o, LinkKind::AgentUser, agents[0], ana, NOW)
            .await
            .unwrap();
        s.link(o, LinkKind::UserGroup, ana, sales, NOW)
            .await
            .unwrap();
        s.link(o, LinkKind::AgentGroup, agents[1], sales, NOW)
            .await
            .unwrap();
        s.link(o, LinkKind::UserWorkspace, ana, emea, NOW)
            .await
            .unwrap();
        s.link(o, LinkKind::AgentWorkspace, agents[2], emea, NOW)
            .await
            .unwrap();
        s.link(o, LinkKind::GroupWorkspace, sales, deals, NOW)
            .await
            .unwrap();
        s.link(o, LinkKind::AgentWorkspace, agents[3], deals, NOW)
            .await
            .unwrap();
        assert!(
            !s.link(o, LinkKind::AgentUser, agents[0], ana, NOW)
                .await
                .unwrap(),
            "linking twice is harmless"
        );
        let got: Vec<(String, String)> = s
            .access(o, ana)
            .await
            .unwrap()
            .into_iter()
            .map(|a| {
                (
                    a.agent.name,
                    a.paths
                        .iter()
                        .map(|p| p.describe())
                        .collect::<Vec<_>>()
                        .join("; "),
                )
            })
            .collect();
        let want = [
            ("Direct", "shared with the user"),
            ("ViaGroup", "group Sales"),
            ("ViaGroupWorkspace", "group Sales → workspace Deals"),
            ("ViaWorkspace", "workspace EMEA"),
        ];
        assert_eq!(
            got,
            want.map(|(a, b)| (a.to_string(), b.to_string())).to_vec()
        );
        // From the agent's side: who reaches it, and how (the owner by role).
        let reach: Vec<(String, String)> = s
            .agent_reach(o, agents[3])
            .await
            .unwrap()
            .into_iter()
            .map(|r| {
                (
                    r.user.name,
                    r.paths
                        .iter()
                        .map(|p| p.describe())
                        .collect::<Vec<_>>()
                        .join("; "),
                )
            })
            .collect();
        assert_eq!(
            reach,
            [
                (
                    "ana@acme.com".to_string(),
                    "group Sales → workspace Deals".to_string()
                ),
                (
                    "owner@acme.com".to_string(),
                    "role administrator (sees every agent)".to_string()
                ),
            ]
        );
        assert_eq!(
            s.agent_reach(o, sales).await.unwrap_err().code,
            ErrorCode::NotFound
        );
        // Administrators see every agent.
        assert_eq!(s.access(o, o.user).await.unwrap().len(), 5);
        // Removing the group removes both group paths.
        s.delete_item(o, None, sales, NOW).await.unwrap();
        let left: Vec<String> = s
            .access(o, ana)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.agent.name)
            .collect();
        assert_eq!(left, ["Direct", "ViaWorkspace"]);
    });
}

/// What each of a burst of license requests asks, in arrival order.
enum Ask {
    Assign(&'static [usize]),
    Unassign(&'static [usize]),
    /// Unassign one user at the version read before the burst.
    UnassignAtFirstVersion(usize),
    /// Assign, by the plain member rather than the owner.
    AssignAsMember(usize),
    AssignMissing(usize),
}

/// The outcome of each request (`Ok` with the licensed flags it returned, or the refusal's
/// code), then every user's flag, the licensed count, and the feed and audit entries added.
async fn license_burst(concurrent: bool) -> String {
    use futures_util::future::join_all;
    let db = db(3).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(db.add(&format!("u{i}@acme.com"), Role::User).await);
    }
    let member = db.caller(ids[4]);
    let first_version = db.store.user(&db.owner, ids[0], NOW).await.unwrap().version;
    let feed_before = db
        .store
        .changes(&db.owner, 0, 10_000, NOW)
        .await
        .unwrap()
        .next;
    let audit_before = db
        .store
        .audit(
            &db.owner,
            &omni_store::AuditQuery {
                limit: 10_000,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .entries
        .len();
    let asks = [
        Ask::Assign(&[0]),
        Ask::AssignAsMember(1),
        Ask::Assign(&[1, 2]),
        Ask::Assign(&[3]), // no seat left: 0, 1 and 2 hold all three
        Ask::UnassignAtFirstVersion(0),
        Ask::AssignMissing(3),
        Ask::Unassign(&[2]),
        Ask::Assign(&[3, 3]), // the seat 2 gave back
    ];
    let (store, owner, ids) = (&db.store, db.owner, &ids);
    let requests = asks.iter().map(|ask| {
        let pick = move |ix: &[usize]| ix.iter().map(|&i| ids[i]).collect::<Vec<_>>();
        async move {
            let result = match ask {
                Ask::Assign(ix) => store.set_licensed(&owner, &pick(ix), true, NOW).await,
                Ask::Unassign(ix) => store.set_licensed(&owner, &pick(ix), false, NOW).await,
                Ask::UnassignAtFirstVersion(i) => store
                    .set_license_at(&owner, ids[*i], first_version, false, NOW)
                    .await
                    .map(|u| vec![u]),
                Ask::AssignAsMember(i) => store.set_licensed(&member, &[ids[*i]], true, NOW).await,
                Ask::AssignMissing(i) => {
                    store
                        .set_licensed(&owner, &[ids[*i], 9_999_999], true, NOW)
                        .await
                }
            };
            match result {
                Ok(users) => format!(
                    "ok {:?}",
                    users.iter().map(|u| u.licensed).collect::<Vec<_>>()
                ),
                Err(e) => format!("{:?}", e.code),
            }
        }
    });
    let outcomes = if concurrent {
        join_all(requests).await
    } else {
        let mut out = Vec::new();
        for r in requests {
            out.push(r.await);
        }
        out
    };
    let mut flags = Vec::new();
    for id in ids {
        flags.push(db.store.user(&db.owner, *id, NOW).await.unwrap().licensed);
    }
    let licensed = db.store.summary(&db.owner).await.unwrap().licensed;
    let feed = db
        .store
        .changes(&db.owner, 0, 10_000, NOW)
        .await
        .unwrap()
        .next
        - feed_before;
    let audit = db
        .store
        .audit(
            &db.owner,
            &omni_store::AuditQuery {
                limit: 10_000,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .entries
        .len()
        - audit_before;
    format!("{outcomes:?}\nflags {flags:?}\nlicensed {licensed} feed +{feed} audit +{audit}")
}

#[test]
fn license_requests_committed_together_each_get_their_own_outcome() {
    rt().block_on(async {
        let expected = format!(
            "{:?}\nflags [true, true, false, true, false]\nlicensed 3 feed +5 audit +5",
            [
                "ok [true]",
                "PermissionDenied",
                "ok [true, true]",
                "NoSeatAvailable",
                "StaleVersion",
                "NotFound",
                "ok [false]",
                "ok [true]",
            ]
        );
        // One at a time, then all at once: the waiting requests commit as groups, and every
        // request still gets exactly what it would alone, in arrival order.
        assert_eq!(license_burst(false).await, expected);
        assert_eq!(license_burst(true).await, expected);
    });
}

#[test]
fn a_license_request_that_took_the_turn_and_stopped_waiting_still_commits() {
    rt().block_on(async {
        let db = db(5).await;
        let mut ids = Vec::new();
        for i in 0..3 {
            ids.push(db.add(&format!("u{i}@acme.com"), Role::User).await);
        }
        let s = &db.store;
        // The first request takes the writer's turn; two more queue behind it.
        let mut first = Box::pin(s.set_licensed(&db.owner, &ids[..1], true, NOW));
        let mut second = Box::pin(s.set_licensed(&db.owner, &ids[1..2], true, NOW));
        let mut third = Box::pin(s.set_licensed(&db.owner, &ids[2..], true, NOW));
        assert!(poll(&mut first).await.is_pending());
        assert!(poll(&mut second).await.is_pending());
        assert!(poll(&mut third).await.is_pending());
        // Its client goes away before anything is committed.
        drop(first);
        for request in [second, third] {
            let answer = tokio::time::timeout(std::time::Duration::from_secs(10), request).await;
            let users = answer.expect("a queued request is answered").unwrap();
            assert!(users[0].licensed);
        }
        let firsts = s.user(&db.owner, ids[0], NOW).await.unwrap();
        assert!(
            firsts.licensed,
            "the request was sent: its change is committed"
        );
        assert_eq!(s.summary(&db.owner).await.unwrap().licensed, 3);
    });
}

#[test]
fn a_license_change_waits_while_another_program_holds_the_sqlite_files_lock() {
    rt().block_on(async {
        let db = db(5).await;
        let id = db.add("u@acme.com", Role::User).await;
        let Some(mut other) = db.sqlite_file().await else {
            return; // PostgreSQL: one server, row locks.
        };
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut other)
            .await
            .unwrap();
        let ids = [id];
        let mut change = Box::pin(db.store.set_licensed(&db.owner, &ids, true, NOW));
        let early = tokio::time::timeout(std::time::Duration::from_millis(300), &mut change).await;
        assert!(
            early.is_err(),
            "answered while the file was locked: {early:?}"
        );
        sqlx::query("COMMIT").execute(&mut other).await.unwrap();
        let answer = tokio::time::timeout(std::time::Duration::from_secs(10), change).await;
        let users = answer.expect("answered once the lock is free").unwrap();
        assert!(users[0].licensed);
    });
}

#[test]
fn the_sqlite_log_is_written_again_from_its_start_once_commits_pause() {
    rt().block_on(async {
        let db = db(100).await;
        if db.sqlite_log_bytes().is_none() {
            return; // PostgreSQL keeps its own log.
        }
        // Licenses assigned and taken back one user at a time: 80 commits.
        let ids = db.add_users(40).await;
        db.toggle_each(&ids).await;
        let after_first = db.sqlite_log_bytes().unwrap();
        assert!(after_first > 0);
        // The store's connections never checkpoint in their commits: its checkpointing
        // thread does, shortly after commits.
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        db.toggle_each(&ids).await;
        let after_second = db.sqlite_log_bytes().unwrap();
        assert!(
            after_second <= after_first,
            "the log grew from {after_first} to {after_second} bytes: nothing was checkpointed"
        );
    });
}

#[test]
fn the_sqlite_log_stays_bounded_under_writes_that_never_pause() {
    rt().block_on(async {
        let footprint = omni_store::SqliteFootprint {
            log_pages: 200,
            ..omni_store::SqliteFootprint::STANDARD
        };
        let Some(db) = sqlite_db(footprint, 100).await else {
            return; // PostgreSQL keeps its own log.
        };
        let ids = db.add_users(40).await;
        // 1,600 commits back to back, writing many times the bound, with no pause in which a
        // checkpoint beside them could copy the last of them.
        let restarts = db.sqlite_log_restarts().unwrap();
        let mut largest = 0;
        for _ in 0..20 {
            db.toggle_each(&ids).await;
            largest = largest.max(db.sqlite_log_bytes().unwrap());
        }
        let restarted = db.sqlite_log_restarts().unwrap() - restarts;
        assert!(
            restarted >= 2,
            "the log was written from its start {restarted} time(s) under a bound of 200 \
             pages, and grew to {largest} bytes"
        );
        // What is appended between two rounds of checkpoints stays in the log: far less than
        // the 1,600 commits wrote.
        assert!(largest < 32 << 20, "the log grew to {largest} bytes");
    });
}

#[test]
fn a_bulk_license_over_more_users_than_one_statement_writes_is_whole() {
    rt().block_on(async {
        let n = 12_000;
        let db = db(n).await;
        let file: String = (0..n).map(|i| format!("bulk{i}@acme.com\n")).collect();
        let file = std::io::Cursor::new(file.into_bytes());
        let s = &db.store;
        s.import_commit(&db.owner, file, Default::default(), 0, &|_| {}, None, NOW)
            .await
            .unwrap();
        let mut ids = Vec::new();
        loop {
            let q = omni_store::UserQuery {
                role: Some(Role::User),
                offset: ids.len() as u64,
                limit: 1000,
                ..Default::default()
            };
            let page = s.list_users(&db.owner, &q, NOW).await.unwrap();
            if page.users.is_empty() {
                break;
            }
            ids.extend(page.users.iter().map(|u| u.id));
        }
        assert_eq!(ids.len() as i64, n);
        let mut after = 0;
        loop {
            let page = s.changes(&db.owner, after, 10_000, NOW).await.unwrap();
            after = page.next;
            if page.done {
                break;
            }
        }

        let users = s.set_licensed(&db.owner, &ids, true, NOW).await.unwrap();
        assert!(users.iter().all(|u| u.licensed) && users.len() as i64 == n);
        assert_eq!(s.summary(&db.owner).await.unwrap().licensed, n);
        // One feed entry per user, with no gap where one statement's rows end.
        let mut seqs = Vec::new();
        loop {
            let page = s.changes(&db.owner, after, 5_000, NOW).await.unwrap();
            seqs.extend(page.changes.iter().map(|c| c.seq));
            after = page.next;
            if page.done {
                break;
            }
        }
        assert_eq!(seqs.len() as i64, n);
        assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "consecutive");
        let log = s
            .audit(
                &db.owner,
                &omni_store::AuditQuery {
                    limit: 10_000,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .entries;
        assert!(log.iter().all(|e| e.action == "license.assign"));
        assert_eq!(log.len(), 10_000, "the newest 10,000 of {n}");
    });
}
