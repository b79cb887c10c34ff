//! Sign-in identities and concurrent writers: linking by (tenant, object id), and the seat pool
//! under many writers at once (SQLite's write lock, PostgreSQL's organization row lock).

use std::sync::Arc;

use omni_core::model::Role;
use omni_core::ErrorCode;
use omni_store::{SignIn, Store};

use crate::common::*;

#[test]
fn the_email_links_only_at_first_sign_in_and_only_in_the_orgs_tenant() {
    rt().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = fresh_store(dir.path()).await;
        let owner = store
            .create_org("Acme", &email("owner@acme.com"), 5, Some("tenant-a"), NOW)
            .await
            .unwrap();
        let ana = email("ana@acme.com");
        let u = store
            .create_user(
                &owner,
                omni_store::NewUser {
                    email: ana.clone(),
                    phone: None,
                    role: Role::User,
                },
                NOW,
            )
            .await
            .unwrap();
        // Another tenant claiming the same email links nothing.
        let foreign = SignIn {
            tenant: "tenant-b",
            object_id: "oid-x",
            email: Some(&ana),
        };
        let e = store.sign_in(owner.org, &foreign, NOW).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::PermissionDenied);
        assert!(store.identities(owner.org).await.unwrap().is_empty());
        // The org's own tenant links at first sign-in.
        let first = SignIn {
            tenant: "tenant-a",
            object_id: "oid-ana",
            email: Some(&ana),
        };
        let c = store.sign_in(owner.org, &first, NOW).await.unwrap();
        assert_eq!(c.user, u.id);
        // Later sign-ins use the link, whatever email the token carries now.
        let renamed = email("ana.silva@acme.com");
        let later = SignIn {
            tenant: "tenant-a",
            object_id: "oid-ana",
            email: Some(&renamed),
        };
        assert_eq!(store.sign_in(owner.org, &later, NOW).await.unwrap(), c);
        // A second person with the same email cannot take the linked user.
        let other = SignIn {
            tenant: "tenant-a",
            object_id: "oid-other",
            email: Some(&ana),
        };
        assert!(store.sign_in(owner.org, &other, NOW).await.is_err());
        assert_eq!(store.identities(owner.org).await.unwrap().len(), 1);
        // A deleted user's identity no longer signs in.
        store.delete_users(&owner, &[u.id], NOW).await.unwrap();
        let e = store.sign_in(owner.org, &first, NOW).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::PermissionDenied);
    });
}

#[test]
fn concurrent_writers_never_oversubscribe_seats() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store: Store = fresh_store(dir.path()).await;
        let owner = store
            .create_org("Acme", &email("owner@acme.com"), 5, None, NOW)
            .await
            .unwrap();
        let mut ids = Vec::new();
        for i in 0..32 {
            let u = store
                .create_user(
                    &owner,
                    omni_store::NewUser {
                        email: email(&format!("u{i}@acme.com")),
                        phone: None,
                        role: Role::User,
                    },
                    NOW,
                )
                .await
                .unwrap();
            ids.push(u.id);
        }
        let store = Arc::new(store);
        let tasks: Vec<_> = ids
            .iter()
            .map(|&id| {
                let store = store.clone();
                tokio::spawn(async move { store.set_licensed(&owner, &[id], true, NOW).await })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(e) => assert_eq!(e.code, ErrorCode::NoSeatAvailable, "{e}"),
            }
        }
        assert_eq!(ok, 5);
        let s = store.summary(&owner).await.unwrap();
        assert_eq!(s.licensed, 5);
        assert_eq!(store.recount(owner.org).await.unwrap().1, 5);
    });
}

#[test]
fn a_local_database_gets_one_organization_however_many_first_runs_race() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store: Store = fresh_store(dir.path()).await;
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .create_local_org(&format!("Acme {i}"), &email("owner@acme.com"), 5, NOW)
                        .await
                })
            })
            .collect();
        let mut created = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => created += 1,
                Err(e) => {
                    assert_eq!(e.code, ErrorCode::AlreadyExists, "{e:?}");
                    assert_eq!(e.reason, Some(omni_core::Reason::OrgExists));
                }
            }
        }
        assert_eq!(created, 1);
        assert_eq!(store.orgs().await.unwrap().len(), 1);
    });
}
