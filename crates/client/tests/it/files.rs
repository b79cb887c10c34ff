//! An import's upload, preview and commit, and an export's download, through the client with
//! their progress, against a real server; and a commit cancelled before it was sent.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use omni_core::model::Role;
use omni_core::ErrorCode;
use omni_requests::{Organization, ProgressSink, Staged};
use omni_store::{ExportScope, ImportOptions, Progress, UserQuery};

use crate::common::*;

fn recorder() -> (ProgressSink, Arc<Mutex<Vec<Progress>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    let sink: ProgressSink = Arc::new(move |p| kept.lock().unwrap().push(p));
    (sink, seen)
}

/// A CSV of `n` new users (and the existing user@a.example with a new phone): email, country
/// code and phone on each line, no header.
fn csv(n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        out.push_str(&format!("person{i:05}@a.example\n"));
    }
    out.push_str("user@a.example,55,11 98765-4321\n");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_is_previewed_then_committed_and_the_export_reads_it_back() {
    let s = Server::start(10).await;
    let org = s.as_person(Session::new(OWNER));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("people.csv");
    let text = csv(3_000);
    std::fs::write(&file, &text).unwrap();
    let options = ImportOptions {
        role: Role::Collaborator,
        licensed: false,
    };

    let (sink, seen) = recorder();
    let (report, staged) = org
        .import_preview(file.clone(), options, sink)
        .await
        .unwrap();
    assert_eq!((report.created, report.updated), (3_000, 1), "{report:?}");
    assert!(!report.committed);
    assert_eq!(
        org.summary().await.unwrap().total_users,
        4,
        "a preview changes nothing"
    );
    let seen = seen.lock().unwrap().clone();
    let bytes = text.len() as u64;
    assert_eq!(
        seen.first(),
        Some(&Progress {
            done: 0,
            total: bytes
        })
    );
    assert_eq!(
        seen.last(),
        Some(&Progress {
            done: bytes,
            total: bytes
        })
    );
    assert!(seen.windows(2).all(|w| w[0].done <= w[1].done), "{seen:?}");
    assert!(matches!(staged, Staged::Upload(_)));

    let (sink, _) = recorder();
    let cancel = Arc::new(AtomicBool::new(false));
    let report = org
        .import_commit(staged, options, sink, cancel)
        .await
        .unwrap();
    assert!(report.committed);
    assert_eq!(report.created, 3_000);
    let summary = org.summary().await.unwrap();
    assert_eq!(summary.total_users, 3_004);
    let q = UserQuery {
        search: Some("person00042".into()),
        limit: 10,
        ..UserQuery::default()
    };
    assert_eq!(
        org.list_users(q).await.unwrap().users[0].role,
        Role::Collaborator
    );

    // The whole list, then one view of it.
    let to = dir.path().join("all.csv");
    let (sink, seen) = recorder();
    let rows = org
        .export(ExportScope::All, to.clone(), sink)
        .await
        .unwrap();
    assert_eq!(rows, 3_004);
    let written = std::fs::read_to_string(&to).unwrap();
    assert!(written.starts_with("\u{feff}"));
    assert_eq!(
        written.lines().count(),
        3_005,
        "the header and a row per user"
    );
    assert!(written.contains("person02999@a.example"));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.first(),
        Some(&Progress {
            done: 0,
            total: 3_004
        })
    );
    assert_eq!(
        seen.last(),
        Some(&Progress {
            done: 3_004,
            total: 3_004
        })
    );
    assert!(seen.len() >= 3, "reports as rows arrive: {seen:?}");

    let to = dir.path().join("view.csv");
    let (sink, _) = recorder();
    let view = ExportScope::View {
        query: UserQuery {
            search: Some("person000".into()),
            descending: true,
            ..UserQuery::default()
        },
    };
    let rows = org.export(view, to.clone(), sink).await.unwrap();
    assert_eq!(rows, 100);
    let written = std::fs::read_to_string(&to).unwrap();
    let first = written.lines().nth(1).unwrap();
    assert!(first.starts_with("person00099@a.example"), "{first}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_cancelled_before_it_is_sent_changes_nothing_and_a_refusal_leaves_no_file() {
    let s = Server::start(10).await;
    let org = s.as_person(Session::new(OWNER));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("people.csv");
    std::fs::write(&file, csv(10)).unwrap();
    let (sink, _) = recorder();
    let options = ImportOptions::default();
    let (_, staged) = org
        .import_preview(file, options, sink.clone())
        .await
        .unwrap();
    let cancel = Arc::new(AtomicBool::new(true));
    let e = org
        .import_commit(staged.clone(), options, sink.clone(), cancel)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Cancelled);
    assert_eq!(org.summary().await.unwrap().total_users, 4);
    // The upload is still there to commit.
    let report = org
        .import_commit(
            staged,
            options,
            sink.clone(),
            Arc::new(AtomicBool::new(false)),
        )
        .await
        .unwrap();
    assert_eq!(report.created, 10);

    // A User may not export: refused before a file is made.
    let user = s.as_person(Session::new(Person {
        oid: "oid-user-a",
        email: "user@a.example",
    }));
    let to = dir.path().join("never.csv");
    let e = user
        .export(ExportScope::All, to.clone(), sink)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied, "{e:?}");
    assert!(!to.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_cut_short_is_an_error_and_leaves_no_file() {
    let (url, _) = fake_by(Arc::new(|line: &str| {
        if line.contains("/users?") {
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 43\r\n\
             connection: close\r\n\r\n{\"users\":[],\"total\":3,\"total_capped\":false}"
        } else {
            // The header and one row, then the connection closes without the last chunk.
            "HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ntransfer-encoding: chunked\r\n\
             connection: close\r\n\r\n1d\r\nemail,phone\r\nana@a.example,\r\n\r\n"
        }
    }))
    .await;
    let org = omni_client::ServerOrganization::new(
        url,
        1,
        omni_client::http_client().unwrap(),
        Session::stale(OWNER, true),
    );
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("cut.csv");
    let (sink, _) = recorder();
    let e = org
        .export(ExportScope::All, to.clone(), sink)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Unreachable, "{e:?}");
    assert!(!to.exists(), "a part of the file is not left for the whole");
}
