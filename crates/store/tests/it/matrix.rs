//! The whole permission matrix of SPEC.md, through the public store API: every acting role ×
//! every action × every target role. The expected answers are written here from the SPEC's
//! table, independently of the policy code; a denial must change nothing.

use omni_core::model::{Role, Usd};
use omni_core::ErrorCode;
use omni_store::{DirectoryKind, ImportOptions, UserEdit, UserQuery};

use crate::common::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    View,
    Create,
    Edit,
    Delete,
    Restore,
    RoleTo(Role),
    AssignLicense,
    UnassignLicense,
    SetSeats,
    SetBudget,
    Directory,
    Import { licenses: bool },
}

/// The SPEC's table, row by row.
fn allowed(actor: Role, act: Act, target: Role) -> bool {
    use Role::*;
    match actor {
        User => false,
        Administrator => true,
        Collaborator => match act {
            Act::View | Act::Directory => true,
            Act::Create | Act::Edit | Act::Delete | Act::Restore => target != Administrator,
            Act::RoleTo(to) => target != Administrator && to != Administrator,
            Act::AssignLicense | Act::UnassignLicense | Act::SetSeats | Act::SetBudget => false,
            Act::Import { licenses } => !licenses && target != Administrator,
        },
    }
}

/// Sets up a target user of role `target`, performs `act` as `actor`, and on a refusal checks
/// that nothing changed.
async fn perform(
    db: &Db,
    actor: omni_store::Caller,
    act: Act,
    target: Role,
) -> Result<(), ErrorCode> {
    let s = &db.store;
    let t = db
        .add(&format!("target-{}@acme.com", target.as_str()), target)
        .await;
    match act {
        Act::Restore => s.delete_users(&db.owner, &[t], NOW).await.unwrap(),
        Act::UnassignLicense => drop(s.set_licensed(&db.owner, &[t], true, NOW).await.unwrap()),
        _ => {}
    }
    let before = db.snapshot().await;
    let r = match act {
        Act::View => s
            .list_users(
                &actor,
                &UserQuery {
                    limit: 10,
                    ..Default::default()
                },
                NOW,
            )
            .await
            .map(|_| ()),
        Act::Create => s
            .create_user(
                &actor,
                omni_store::NewUser {
                    email: email("new@acme.com"),
                    phone: None,
                    role: target,
                },
                NOW,
            )
            .await
            .map(|_| ()),
        Act::Edit => {
            let phone = omni_core::Phone::parse(Some("55"), "11987654321").ok();
            s.edit_user(
                &actor,
                t,
                UserEdit {
                    phone: Some(phone),
                    ..Default::default()
                },
                NOW,
            )
            .await
            .map(|_| ())
        }
        Act::Delete => s.delete_users(&actor, &[t], NOW).await,
        Act::Restore => s.restore_user(&actor, t, NOW).await.map(|_| ()),
        Act::RoleTo(to) => s.set_role(&actor, &[t], to, NOW).await.map(|_| ()),
        Act::AssignLicense => s.set_licensed(&actor, &[t], true, NOW).await.map(|_| ()),
        Act::UnassignLicense => s.set_licensed(&actor, &[t], false, NOW).await.map(|_| ()),
        Act::SetSeats => s.set_seats(&actor, 20, NOW).await.map(|_| ()),
        Act::SetBudget => s
            .set_budget(&actor, t, Some(Usd::dollars(50)), NOW)
            .await
            .map(|_| ()),
        Act::Directory => s
            .create_item(&actor, DirectoryKind::Group, "Sales", NOW)
            .await
            .map(|_| ()),
        Act::Import { licenses } => {
            let file = "imported@acme.com,55,11987654321\n".as_bytes();
            let opts = ImportOptions {
                role: target,
                licensed: licenses,
            };
            s.import_commit(&actor, file, opts, 0, &|_| {}, None, NOW)
                .await
                .map(|_| ())
        }
    };
    if r.is_err() {
        assert_eq!(
            before,
            db.snapshot().await,
            "a refused {act:?} changed something"
        );
    } else if act != Act::View {
        assert_ne!(
            before,
            db.snapshot().await,
            "an allowed {act:?} changed nothing"
        );
    }
    r.map_err(|e| e.code)
}

#[test]
fn every_role_action_and_target() {
    let acts = {
        let mut v = vec![
            Act::View,
            Act::Create,
            Act::Edit,
            Act::Delete,
            Act::Restore,
            Act::AssignLicense,
            Act::UnassignLicense,
            Act::SetSeats,
            Act::SetBudget,
            Act::Directory,
            Act::Import { licenses: false },
            Act::Import { licenses: true },
        ];
        v.extend(Role::ALL.map(Act::RoleTo));
        v
    };
    let rt = rt();
    let mut checked = 0;
    for actor_role in Role::ALL {
        for act in &acts {
            for target in Role::ALL {
                if act == &Act::RoleTo(target) {
                    continue; // not a change
                }
                rt.block_on(async {
                    let db = db(10).await;
                    // A second Administrator, so demoting or deleting one is never the last.
                    db.add("admin2@acme.com", Role::Administrator).await;
                    let actor = if actor_role == Role::Administrator {
                        db.owner
                    } else {
                        db.caller(db.add("actor@acme.com", actor_role).await)
                    };
                    let got = perform(&db, actor, *act, target).await;
                    let want = allowed(actor_role, *act, target);
                    match got {
                        Ok(()) => assert!(want, "{actor_role:?} {act:?} on {target:?} was allowed, SPEC says no"),
                        Err(code) => {
                            assert!(!want, "{actor_role:?} {act:?} on {target:?} was refused ({code:?}), SPEC says yes");
                            assert_eq!(code, ErrorCode::PermissionDenied, "{actor_role:?} {act:?} on {target:?}");
                        }
                    }
                });
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 3 * 15 * 3 - 9);
}

#[test]
fn denials_change_nothing() {
    // Each refused action, taken after the target exists, leaves the store exactly as it was.
    rt().block_on(async {
        let db = db(1).await;
        let collab = db.caller(db.add("collab@acme.com", Role::Collaborator).await);
        let user = db.caller(db.add("user@acme.com", Role::User).await);
        let admin2 = db.add("admin2@acme.com", Role::Administrator).await;
        let plain = db.add("plain@acme.com", Role::User).await;
        let before = db.snapshot().await;
        let s = &db.store;
        let denied = [
            s.set_role(&collab, &[plain], Role::Administrator, NOW)
                .await
                .err(),
            s.set_role(&collab, &[admin2], Role::User, NOW).await.err(),
            s.delete_users(&collab, &[plain, admin2], NOW).await.err(),
            s.set_licensed(&collab, &[plain], true, NOW).await.err(),
            s.set_budget(&collab, plain, Some(Usd::dollars(1)), NOW)
                .await
                .err(),
            s.set_seats(&user, 5, NOW).await.err(),
            s.create_item(&user, DirectoryKind::Agent, "X", NOW)
                .await
                .err(),
            s.import_commit(
                &collab,
                "a@acme.com\nb@acme.com\n".as_bytes(),
                ImportOptions {
                    role: Role::Administrator,
                    licensed: false,
                },
                0,
                &|_| {},
                None,
                NOW,
            )
            .await
            .err(),
        ];
        for (i, e) in denied.iter().enumerate() {
            let e = e
                .as_ref()
                .unwrap_or_else(|| panic!("action {i} was allowed"));
            assert_eq!(
                e.code,
                ErrorCode::PermissionDenied,
                "action {i}: {}",
                e.message
            );
            assert!(!e.message.is_empty());
        }
        assert_eq!(before, db.snapshot().await);
        // A seat refusal also changes nothing, and says how many seats exist.
        s.set_licensed(&db.owner, &[plain], true, NOW)
            .await
            .unwrap();
        let before = db.snapshot().await;
        let e = s
            .set_licensed(&db.owner, &[admin2], true, NOW)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::NoSeatAvailable);
        assert!(e.message.contains("all 1 seats"), "{}", e.message);
        assert_eq!(before, db.snapshot().await);
    });
}
