//! CSV import through the store: preview writes nothing, commit is all or nothing, the report
//! names lines; export round-trips and neutralises formulas.

use omni_core::model::Role;
use omni_core::ErrorCode;
use omni_store::{ExportScope, ImportOptions, UserQuery};

use crate::common::*;

const MESSY: &str = "\u{feff}E-mail;Country code;Phone\r\n\
ANA@acme.com ; 55 ; (11) 98765-4321\r\n\
\r\n\
bruno@acme.com;;\r\n\
not-an-email;55;11987654321\r\n\
ana@acme.com;55;11987654321\r\n\
existing@acme.com;+44;07911 123456\r\n\
carla@acme.com;55;12\r\n";

#[test]
fn preview_classifies_every_line_and_writes_nothing() {
    rt().block_on(async {
        let db = db(5).await;
        db.add("existing@acme.com", Role::User).await;
        let before = db.snapshot().await;
        let r = db
            .store
            .import_preview(
                &db.owner,
                MESSY.as_bytes(),
                ImportOptions::default(),
                0,
                &|_| {},
                NOW,
            )
            .await
            .unwrap();
        assert_eq!(db.snapshot().await, before, "a preview wrote something");
        assert_eq!(
            (
                r.created,
                r.updated,
                r.unchanged,
                r.invalid,
                r.duplicates_in_file
            ),
            (2, 1, 0, 2, 1)
        );
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.warnings[0].line, 1);
        let lines: Vec<u64> = r.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [5, 6, 8]);
        assert!(
            r.errors[1].reason.contains("line 2"),
            "{}",
            r.errors[1].reason
        );
        assert_eq!(r.updates[0].after, "+447911123456");
        assert_eq!(r.delimiter, ";");
        assert!(!r.committed);
        // Commit does what the preview said.
        let c = db
            .store
            .import_commit(
                &db.owner,
                MESSY.as_bytes(),
                ImportOptions::default(),
                0,
                &|_| {},
                None,
                NOW,
            )
            .await
            .unwrap();
        assert_eq!(
            (c.created, c.updated, c.invalid),
            (r.created, r.updated, r.invalid)
        );
        let ana = db
            .store
            .user_by_email(&db.owner, &email("ana@acme.com"), NOW)
            .await
            .unwrap();
        assert_eq!(ana.phone.unwrap().e164(), "+5511987654321");
        assert_eq!(ana.role, Role::User);
        assert!(!ana.licensed);
        assert_eq!(db.store.summary(&db.owner).await.unwrap().total_users, 4);
    });
}

#[test]
fn an_import_that_needs_more_seats_than_exist_writes_nothing() {
    rt().block_on(async {
        let db = db(2).await;
        let before = db.snapshot().await;
        let file = "a@acme.com\nb@acme.com\nc@acme.com\n";
        let opts = ImportOptions {
            role: Role::Collaborator,
            licensed: true,
        };
        let e = db
            .store
            .import_commit(&db.owner, file.as_bytes(), opts, 0, &|_| {}, None, NOW)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::NoSeatAvailable);
        assert_eq!(db.snapshot().await, before);
        let ok = db
            .store
            .import_commit(
                &db.owner,
                "a@acme.com\nb@acme.com\n".as_bytes(),
                opts,
                0,
                &|_| {},
                None,
                NOW,
            )
            .await
            .unwrap();
        assert_eq!(ok.created, 2);
        let s = db.store.summary(&db.owner).await.unwrap();
        assert_eq!((s.licensed, s.seats.available), (2, 0));
    });
}

#[test]
fn cancelling_an_import_changes_nothing() {
    rt().block_on(async {
        let db = db(0).await;
        let before = db.snapshot().await;
        let file: String = (0..5000).map(|i| format!("u{i}@acme.com\n")).collect();
        let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let e = db
            .store
            .import_commit(
                &db.owner,
                std::io::Cursor::new(file.into_bytes()),
                Default::default(),
                0,
                &|_| {},
                Some(cancel),
                NOW,
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Cancelled);
        assert_eq!(db.snapshot().await, before);
    });
}

#[test]
fn a_large_import_leaves_the_phone_index_whole_whether_it_commits_or_not() {
    rt().block_on(async {
        let db = db(0).await;
        let index = db.sqlite_index("users_phone").await;
        let on_sqlite = db.store.backend() == omni_store::Backend::Sqlite;
        assert_eq!(
            index.is_some(),
            on_sqlite,
            "the migrations create the phone index"
        );
        // Large enough for the import to set the index aside and build it again at the end.
        let file: String = (0..25_000u64)
            .map(|i| format!("p{i:05}@acme.com,55,119{:08}\n", (i * 7919) % 100_000_000))
            .collect();
        let import = |cancelled: bool| {
            let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(cancelled));
            let bytes = file.len() as u64;
            let file = std::io::Cursor::new(file.clone().into_bytes());
            let opts = Default::default();
            db.store
                .import_commit(&db.owner, file, opts, bytes, &|_| {}, Some(cancel), NOW)
        };
        let e = import(true).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Cancelled);
        let after_cancel = db.sqlite_index("users_phone").await;
        assert_eq!(after_cancel, index, "rolled back whole");
        let report = import(false).await.unwrap();
        assert_eq!(report.created, 25_000);
        assert_eq!(
            db.sqlite_index("users_phone").await,
            index,
            "built again as defined"
        );
        let rows = db.planner_users().await;
        assert!(
            rows >= Some(25_000),
            "the planner knows the table grew: {rows:?}"
        );
        let q = UserQuery {
            sort: omni_store::SortField::Phone,
            offset: 12_000,
            limit: 500,
            ..Default::default()
        };
        let page = db.store.list_users(&db.owner, &q, NOW).await.unwrap();
        let phones: Vec<String> = page
            .users
            .iter()
            .map(|u| u.phone.as_ref().unwrap().e164())
            .collect();
        let mut sorted = phones.clone();
        sorted.sort();
        assert_eq!(phones.len(), 500);
        assert_eq!(phones, sorted, "a page sorted by phone is in phone order");
    });
}

#[test]
fn an_import_of_several_batches_finds_the_users_it_has_in_each() {
    rt().block_on(async {
        let db = db(0).await;
        let late = db.add("late@acme.com", Role::User).await;
        db.add("early@acme.com", Role::User).await;
        // More lines than one statement writes (50,000), with users the organization has, a
        // duplicate of the first batch and an invalid line in the second.
        let mut lines: Vec<String> = (0..60_000).map(|i| format!("n{i}@acme.com")).collect();
        lines[2] = "early@acme.com".into();
        lines[52_000] = "n10@acme.com".into();
        lines[55_000] = "late@acme.com,55,11987654321".into();
        lines[58_000] = "not-an-email".into();
        let file = lines.join("\n");
        let counts = |r: &omni_store::ImportReport| {
            let c = (r.created, r.updated, r.unchanged, r.invalid);
            (c, r.duplicates_in_file)
        };
        let expected = ((59_996, 1, 1, 1), 1);
        let preview = db.import_preview(&file).await;
        assert_eq!(counts(&preview), expected);
        let lines: Vec<u64> = preview.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [52_001, 58_001]);
        assert!(
            preview.errors[0].reason.contains("line 11"),
            "{}",
            preview.errors[0].reason
        );
        let changes: Vec<(u64, &str)> = preview
            .updates
            .iter()
            .map(|u| (u.line, u.email.as_str()))
            .collect();
        assert_eq!(changes, [(55_001, "late@acme.com")]);

        let report = db.import(&file).await;
        assert_eq!(counts(&report), expected);
        assert_eq!(report.updates, preview.updates);
        let s = db.store.summary(&db.owner).await.unwrap();
        assert_eq!(
            s.total_users,
            3 + 59_996,
            "the owner, the two users, the new ones"
        );
        let user = db.store.user(&db.owner, late, NOW).await.unwrap();
        assert_eq!(
            user.phone.map(|p| p.e164()).as_deref(),
            Some("+5511987654321")
        );
    });
}

#[test]
fn export_round_trips_and_neutralises_formulas() {
    rt().block_on(async {
        let db = db(5).await;
        let file = "=1+2@acme.com,55,11987654321\n+sum@acme.com\n-x@acme.com,1,2125550100\njoão@exemplo.com.br\n";
        db.import(file).await;
        let (bytes, n) = db.store.export(&db.owner, &ExportScope::All, Vec::new(), &|_| {}, NOW).await.unwrap();
        assert_eq!(n, 5);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("\u{feff}email,country_code,phone,role,licensed"), "{text}");
        for line in text.lines().skip(1) {
            let first = line.trim_start_matches('"');
            assert!(!first.starts_with(['=', '+', '-', '@', '\t', '\r']), "formula cell: {line}");
        }
        assert!(text.contains("'=1+2@acme.com,55,11987654321"), "{text}");
        // Import the export into a fresh organization: the same emails and phones come back.
        let other = db_at_least().await;
        let r = other.store.import_commit(&other.owner, std::io::Cursor::new(bytes.clone()), Default::default(), 0, &|_| {}, None, NOW).await.unwrap();
        assert_eq!(r.warnings.len(), 1, "the header is recognised");
        assert_eq!(r.created, 4, "{r:?}");
        let q = UserQuery { limit: 100, ..Default::default() };
        let show = |p: omni_store::UserPage| p.users.into_iter().map(|u| (u.email.to_string(), u.phone.map(|p| p.e164()))).collect::<Vec<_>>();
        let mine = show(db.store.list_users(&db.owner, &q, NOW).await.unwrap());
        let theirs = show(other.store.list_users(&other.owner, &q, NOW).await.unwrap());
        assert_eq!(mine, theirs);
    });
}

/// A second organization whose owner has the same email as the first's (so the lists compare).
async fn db_at_least() -> Db {
    db(0).await
}

#[test]
fn the_view_exports_only_what_the_table_shows() {
    rt().block_on(async {
        let db = db(5).await;
        for e in ["ana@acme.com", "anabel@acme.com", "bruno@acme.com"] {
            db.add(e, Role::User).await;
        }
        let q = UserQuery {
            search: Some("ana".into()),
            ..Default::default()
        };
        let (bytes, n) = db
            .store
            .export(
                &db.owner,
                &ExportScope::View { query: q },
                Vec::new(),
                &|_| {},
                NOW,
            )
            .await
            .unwrap();
        assert_eq!(n, 2);
        assert!(!String::from_utf8(bytes).unwrap().contains("bruno"));
    });
}

#[test]
fn search_filters_and_sorting() {
    rt().block_on(async {
        let db = db(5).await;
        for e in [
            "ana@acme.com",
            "anabel@other.org",
            "bruno@acme.com",
            "carla@acme.com",
        ] {
            db.add(e, Role::User).await;
        }
        let c = db
            .store
            .user_by_email(&db.owner, &email("carla@acme.com"), NOW)
            .await
            .unwrap();
        db.store
            .set_licensed(&db.owner, &[c.id], true, NOW)
            .await
            .unwrap();
        let list = |q: UserQuery| {
            let s = db.store.clone();
            let o = db.owner;
            async move {
                let p = s
                    .list_users(&o, &UserQuery { limit: 100, ..q }, NOW)
                    .await
                    .unwrap();
                (
                    p.users
                        .into_iter()
                        .map(|u| u.email.to_string())
                        .collect::<Vec<_>>(),
                    p.total,
                )
            }
        };
        assert_eq!(
            list(UserQuery {
                search: Some("AN".into()),
                ..Default::default()
            })
            .await,
            (vec!["ana@acme.com".into(), "anabel@other.org".into()], 2)
        );
        assert_eq!(
            list(UserQuery {
                search: Some("@other".into()),
                ..Default::default()
            })
            .await
            .0,
            ["anabel@other.org"]
        );
        assert_eq!(
            list(UserQuery {
                licensed: Some(true),
                ..Default::default()
            })
            .await
            .0,
            ["carla@acme.com"]
        );
        assert_eq!(
            list(UserQuery {
                role: Some(Role::Administrator),
                ..Default::default()
            })
            .await
            .0,
            ["owner@acme.com"]
        );
        let desc = list(UserQuery {
            descending: true,
            ..Default::default()
        })
        .await;
        assert_eq!(desc.0.first().map(String::as_str), Some("owner@acme.com"));
        assert_eq!(desc.1, 5);
        let paged = db
            .store
            .list_users(
                &db.owner,
                &UserQuery {
                    limit: 2,
                    offset: 2,
                    ..Default::default()
                },
                NOW,
            )
            .await
            .unwrap();
        assert_eq!(
            paged
                .users
                .iter()
                .map(|u| u.email.as_str())
                .collect::<Vec<_>>(),
            ["bruno@acme.com", "carla@acme.com"]
        );
    });
}
