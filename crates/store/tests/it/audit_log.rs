//! Reading the audit log as the console does: filters by who, what, target and time; pages
//! newest first after the last entry shown, with no gap or repeat where many entries share a
//! time; every filter served by an index; the CSV export of what a filter shows.

use omni_core::model::{Role, Timestamp};
use omni_store::{AuditEntry, AuditQuery, DirectoryKind, Progress, AUDIT_ACTIONS};

use crate::common::*;

const HOUR: i64 = 3_600_000;

fn at(hours: i64) -> Timestamp {
    Timestamp(NOW.0 + hours * HOUR)
}

/// Every entry matching `q`, read in pages of `size`.
async fn all_pages(db: &Db, q: &AuditQuery, size: u32) -> Vec<AuditEntry> {
    let mut out: Vec<AuditEntry> = Vec::new();
    let mut q = AuditQuery {
        limit: size,
        ..q.clone()
    };
    loop {
        let page = db.store.audit(&db.owner, &q).await.unwrap();
        assert!(page.entries.len() <= size as usize);
        out.extend(page.entries.iter().cloned());
        if !page.more {
            return out;
        }
        assert_eq!(
            page.entries.len(),
            size as usize,
            "a page short of its size says more"
        );
        q.before = out.last().map(|e| e.id);
    }
}

fn summary(log: &[AuditEntry]) -> Vec<(String, String, String)> {
    log.iter()
        .map(|e| (e.actor.clone(), e.action.clone(), e.target.clone()))
        .collect()
}

/// The owner makes Bia an Administrator; over three hours each of them changes things.
async fn history(db: &Db) -> (omni_core::model::Id, omni_core::model::Id) {
    let s = &db.store;
    let bia = db.add("bia@acme.com", Role::Administrator).await;
    let ana = db.add("ana@acme.com", Role::User).await;
    s.set_licensed(&db.owner, &[ana], true, at(1))
        .await
        .unwrap();
    s.set_role(&db.caller(bia), &[ana], Role::Collaborator, at(2))
        .await
        .unwrap();
    s.set_seats(&db.caller(bia), 50, at(2)).await.unwrap();
    s.create_item(&db.caller(bia), DirectoryKind::Group, "Sales", at(3))
        .await
        .unwrap();
    s.set_licensed(&db.caller(bia), &[ana], false, at(3))
        .await
        .unwrap();
    (bia, ana)
}

#[test]
fn audit_filters_by_who_what_target_and_time() {
    rt().block_on(async {
        let db = db(40).await;
        history(&db).await;
        let s = &db.store;
        let read =
            |q: AuditQuery| async move { summary(&s.audit(&db.owner, &q).await.unwrap().entries) };
        let e = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());

        // Who: an email, in any case.
        let by_bia = read(AuditQuery {
            actor: Some(" Bia@ACME.com ".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(
            by_bia,
            [
                e("bia@acme.com", "license.unassign", "ana@acme.com"),
                e("bia@acme.com", "group.create", "Sales"),
                e("bia@acme.com", "seats.set", "license pool"),
                e("bia@acme.com", "user.role", "ana@acme.com"),
            ]
        );
        // What.
        let licenses = read(AuditQuery {
            action: Some("license.assign".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(
            licenses,
            [e("owner@acme.com", "license.assign", "ana@acme.com")]
        );
        // To whom: an email in any case, or a name as written.
        let ana = read(AuditQuery {
            target: Some("ANA@acme.com".into()),
            ..Default::default()
        })
        .await;
        let actions: Vec<&str> = ana.iter().map(|x| x.1.as_str()).collect();
        assert_eq!(
            actions,
            [
                "license.unassign",
                "user.role",
                "license.assign",
                "user.create"
            ]
        );
        assert_eq!(
            read(AuditQuery {
                target: Some("sales".into()),
                ..Default::default()
            })
            .await,
            []
        );
        // When: from (inclusive) until (exclusive).
        let hour_two = read(AuditQuery {
            from: Some(at(2)),
            until: Some(at(3)),
            ..Default::default()
        })
        .await;
        assert_eq!(
            hour_two,
            [
                e("bia@acme.com", "seats.set", "license pool"),
                e("bia@acme.com", "user.role", "ana@acme.com"),
            ]
        );
        // All at once.
        let narrow = read(AuditQuery {
            actor: Some("bia@acme.com".into()),
            action: Some("license.unassign".into()),
            target: Some("ana@acme.com".into()),
            from: Some(at(3)),
            until: Some(at(4)),
            ..Default::default()
        })
        .await;
        assert_eq!(
            narrow,
            [e("bia@acme.com", "license.unassign", "ana@acme.com")]
        );
        // Every action written is one the front ends know how to say.
        let whole = s.audit(&db.owner, &AuditQuery::default()).await.unwrap();
        for e in &whole.entries {
            assert!(AUDIT_ACTIONS.contains(&e.action.as_str()), "{e:?}");
        }
        // The seats' entry keeps the numbers a sentence needs.
        let seats = s
            .audit(
                &db.owner,
                &AuditQuery {
                    action: Some("seats.set".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let seats = &seats.entries[0];
        assert_eq!(seats.before.as_ref().unwrap()["seats"], 40);
        assert_eq!(seats.after.as_ref().unwrap()["seats"], 50);
    });
}

#[test]
fn audit_pages_over_ties_have_no_gap_and_no_repeat() {
    rt().block_on(async {
        let db = db(500).await;
        let ids = db.add_users(120).await;
        let s = &db.store;
        // 120 entries at one time (one bulk change), then 60 more at the same later time.
        s.set_licensed(&db.owner, &ids, true, at(1)).await.unwrap();
        s.set_licensed(&db.owner, &ids[..60], false, at(2))
            .await
            .unwrap();
        let whole = s
            .audit(
                &db.owner,
                &AuditQuery {
                    limit: 1000,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(!whole.more);
        assert_eq!(whole.entries.len(), 1 + 120 + 120 + 60);
        // Newest first: by time, then by id among entries of the same time.
        assert!(whole
            .entries
            .windows(2)
            .all(|w| (w[0].at, w[0].id) > (w[1].at, w[1].id)));
        for size in [1, 7, 100, 301] {
            let paged = all_pages(&db, &AuditQuery::default(), size).await;
            assert_eq!(paged, whole.entries, "pages of {size}");
        }
        // The same under a filter, across the tie.
        let assigned = all_pages(
            &db,
            &AuditQuery {
                action: Some("license.assign".into()),
                ..Default::default()
            },
            9,
        )
        .await;
        assert_eq!(assigned.len(), 120);
        let mut targets: Vec<&str> = assigned.iter().map(|e| e.target.as_str()).collect();
        targets.sort_unstable();
        targets.dedup();
        assert_eq!(targets.len(), 120, "each user once");
        // An id that is not this organization's entry: nothing older.
        let none = s
            .audit(
                &db.owner,
                &AuditQuery {
                    before: Some(i64::MAX),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(none.entries.is_empty() && !none.more);
    });
}

#[test]
fn audit_pages_use_an_index_and_never_sort() {
    rt().block_on(async {
        let db = db(10).await;
        history(&db).await;
        let postgres = db.store.backend() == omni_store::Backend::Postgres;
        let cases: [(&str, AuditQuery); 5] = [
            ("audit_time", AuditQuery::default()),
            (
                "audit_actor",
                AuditQuery {
                    actor: Some("bia@acme.com".into()),
                    ..Default::default()
                },
            ),
            (
                "audit_action",
                AuditQuery {
                    action: Some("seats.set".into()),
                    ..Default::default()
                },
            ),
            (
                "audit_target",
                AuditQuery {
                    target: Some("ana@acme.com".into()),
                    ..Default::default()
                },
            ),
            (
                "audit_time",
                AuditQuery {
                    from: Some(at(1)),
                    until: Some(at(3)),
                    ..Default::default()
                },
            ),
        ];
        for (index, q) in cases {
            for deep in [false, true] {
                let plan = db
                    .store
                    .explain_audit(db.owner.org, &q, deep)
                    .await
                    .unwrap();
                assert!(plan.contains(index), "{q:?} deep {deep}: {plan}");
                if postgres {
                    assert!(!plan.contains("Sort"), "{q:?} deep {deep}: {plan}");
                } else {
                    assert!(!plan.contains("TEMP B-TREE"), "{q:?} deep {deep}: {plan}");
                }
            }
        }
    });
}

#[test]
fn audit_export_writes_what_the_filter_shows_as_safe_csv() {
    rt().block_on(async {
        let db = db(40).await;
        history(&db).await;
        let s = &db.store;
        s.create_item(&db.owner, DirectoryKind::Group, "=HYPERLINK(\"x\")", at(4))
            .await
            .unwrap();
        let reports = std::sync::Mutex::new(Vec::<Progress>::new());
        let progress = |p: Progress| reports.lock().unwrap().push(p);
        let (bytes, n) = s
            .export_audit(&db.owner, &AuditQuery::default(), Vec::new(), &progress)
            .await
            .unwrap();
        let whole = s.audit(&db.owner, &AuditQuery::default()).await.unwrap();
        assert_eq!(n as usize, whole.entries.len());
        assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], "time,actor,action,target,before,after");
        assert_eq!(lines.len(), whole.entries.len() + 2, "{text}");
        assert_eq!(
            lines[1],
            format!(
                "{},owner@acme.com,group.create,\"'=HYPERLINK(\"\"x\"\")\",,\"{{\"\"name\"\":\"\"=HYPERLINK(\\\"\"x\\\"\")\"\"}}\"",
                at(4).rfc3339()
            )
        );
        assert_eq!(
            lines[3],
            format!(
                "{},bia@acme.com,group.create,Sales,,\"{{\"\"name\"\":\"\"Sales\"\"}}\"",
                at(3).rfc3339()
            )
        );
        let reports = reports.lock().unwrap().clone();
        assert_eq!(reports.first(), Some(&Progress { done: 0, total: n }));
        assert_eq!(reports.last(), Some(&Progress { done: n, total: n }));

        // A filter exports what it shows.
        let q = AuditQuery {
            actor: Some("bia@acme.com".into()),
            action: Some("seats.set".into()),
            ..Default::default()
        };
        let (bytes, n) = s
            .export_audit(&db.owner, &q, Vec::new(), &|_| {})
            .await
            .unwrap();
        assert_eq!(n, 1);
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert!(
            text.ends_with(&format!(
                "{},bia@acme.com,seats.set,license pool,\"{{\"\"seats\"\":40}}\",\"{{\"\"seats\"\":50}}\"\r\n",
                at(2).rfc3339()
            )),
            "{text}"
        );
    });
}
