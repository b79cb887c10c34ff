//! The copy, through a real omni-server: its first download reads as the server does, it
//! converges after random edits, resumes after a kill between pages, and is rebuilt when the
//! feed no longer reaches back to it.

use std::time::Duration;

use omni_store::ChangePage;
use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::common::{no_progress, Server};
use crate::dump::{canonical_dump, table, SORTS};
use crate::edits::{populate, random_edits};

async fn assert_same(s: &Server, copy: &omni_sync::Copy, when: &str) {
    let now = s.now();
    let server = canonical_dump(&s.store, &s.owner, now).await;
    let copied = canonical_dump(&copy.store, &s.owner, now).await;
    for (c, v) in copied.lines().zip(server.lines()) {
        assert_eq!(c, v, "the copy differs from the server {when}");
    }
    assert_eq!(copied.lines().count(), server.lines().count(), "{when}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_download_reads_as_the_server() {
    let s = Server::start(20).await;
    populate(&s, 30).await;
    let copy = s.copy().await;
    assert_eq!(copy.status().await.unwrap(), None);
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    let progress: omni_requests::ProgressSink =
        std::sync::Arc::new(move |p| sink.lock().unwrap().push(p));
    let contact = s.now();
    let outcome = copy.refresh(&s.client(), progress, contact).await.unwrap();
    let applied = outcome.snapshot.clone().expect("a snapshot");
    assert_eq!(applied.counts.users, 31);
    assert_eq!(applied.counts.deleted_users, 1);
    assert!(!outcome.rebuilt);
    let last = *seen.lock().unwrap().last().unwrap();
    // Header, org, 31 users, 3 items, 3 links, end.
    assert_eq!((last.done, last.total), (40, 40));
    let now = s.now();
    for sort in SORTS {
        for desc in [false, true] {
            assert_eq!(
                table(&copy.store, &s.owner, sort, desc, now).await,
                table(&s.store, &s.owner, sort, desc, now).await,
                "sorted by {sort:?}, descending {desc}"
            );
        }
    }
    assert_eq!(
        copy.store.deleted_users(&s.owner, now).await.unwrap().len(),
        1
    );
    assert_same(&s, &copy, "after its first download").await;
    let status = copy.status().await.unwrap().unwrap();
    assert_eq!(
        status.position,
        s.store.table_version(&s.owner).await.unwrap()
    );
    assert_eq!(status.synced_at, Some(contact));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_copy_converges_after_random_edits() {
    let s = Server::start(12).await;
    populate(&s, 15).await;
    let copy = s.copy().await;
    let server = s.client();
    copy.refresh(&server, no_progress(), s.now()).await.unwrap();
    let mut rng = StdRng::seed_from_u64(14);
    let mut serial = 15;
    for round in 0..8 {
        random_edits(&s, &mut rng, 40, &mut serial).await;
        if round % 2 == 0 {
            let outcome = copy.refresh(&server, no_progress(), s.now()).await.unwrap();
            assert!(
                outcome.snapshot.is_none(),
                "round {round} followed the feed"
            );
        } else {
            let changed = copy
                .follow(&server, Duration::from_secs(1), s.now())
                .await
                .unwrap();
            assert!(!changed.is_empty(), "round {round}: changes were seen");
        }
        assert_same(&s, &copy, &format!("after round {round}")).await;
    }
    // Nothing new: a long poll ends empty and changes nothing.
    let changed = copy
        .follow(&server, Duration::from_secs(1), s.now())
        .await
        .unwrap();
    assert!(changed.is_empty());
}

/// Splits a page in two at its middle, as two pages read one after the other would be.
fn halves(page: &ChangePage) -> (ChangePage, ChangePage) {
    let mid = page.changes.len() / 2;
    let first = ChangePage {
        changes: page.changes[..mid].to_vec(),
        next: page.changes[mid - 1].seq,
        done: false,
    };
    let second = ChangePage {
        changes: page.changes[mid..].to_vec(),
        ..page.clone()
    };
    (first, second)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_killed_between_pages_resumes_without_gap_or_duplicate() {
    let s = Server::start(12).await;
    populate(&s, 10).await;
    let server = s.client();
    let copy = s.copy().await;
    copy.refresh(&server, no_progress(), s.now()).await.unwrap();
    let start = copy.status().await.unwrap().unwrap().position;
    let mut rng = StdRng::seed_from_u64(7);
    random_edits(&s, &mut rng, 60, &mut 10).await;
    let page = server.changes(start, Duration::ZERO).await.unwrap();
    assert!(page.changes.len() > 10 && page.done);
    let (first, second) = halves(&page);
    let at = copy
        .store
        .apply_changes(s.org(), &first, s.now())
        .await
        .unwrap();
    assert_eq!(at, first.next);
    // The process dies here: the copy's store goes, the file stays.
    drop(copy);
    let copy = s.copy().await;
    assert_eq!(copy.status().await.unwrap().unwrap().position, first.next);
    // Applying the first page again (a reply that came twice) changes nothing.
    let before = canonical_dump(&copy.store, &s.owner, s.now()).await;
    copy.store
        .apply_changes(s.org(), &first, s.now())
        .await
        .unwrap();
    assert_eq!(canonical_dump(&copy.store, &s.owner, s.now()).await, before);
    assert_eq!(copy.status().await.unwrap().unwrap().position, first.next);
    // The restarted engine reads on from where the copy was.
    let outcome = copy.refresh(&server, no_progress(), s.now()).await.unwrap();
    assert!(outcome.snapshot.is_none());
    assert_eq!(outcome.position, page.next);
    assert_same(&s, &copy, "after resuming").await;
    // The whole page once more, and its second half: nothing moves.
    copy.store
        .apply_changes(s.org(), &page, s.now())
        .await
        .unwrap();
    copy.store
        .apply_changes(s.org(), &second, s.now())
        .await
        .unwrap();
    assert_eq!(copy.status().await.unwrap().unwrap().position, page.next);
    assert_same(&s, &copy, "after pages applied again").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_the_feed_no_longer_reaches_is_rebuilt() {
    let s = Server::start(12).await;
    populate(&s, 10).await;
    let server = s.client();
    let copy = s.copy().await;
    copy.refresh(&server, no_progress(), s.now()).await.unwrap();
    let mut rng = StdRng::seed_from_u64(410);
    random_edits(&s, &mut rng, 30, &mut 10).await;
    // The server trims its feed past the copy's position, as it will 31 days from now.
    let later = s.now().plus_days(31);
    assert!(s.store.trim_feed(s.org(), later).await.unwrap() > 0);
    random_edits(&s, &mut rng, 10, &mut 10).await;
    let err = server
        .changes(
            copy.status().await.unwrap().unwrap().position,
            Duration::ZERO,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, omni_core::ErrorCode::StaleVersion);
    let outcome = copy.refresh(&server, no_progress(), s.now()).await.unwrap();
    assert!(outcome.rebuilt && outcome.snapshot.is_some());
    assert_same(&s, &copy, "after its rebuild").await;
    random_edits(&s, &mut rng, 20, &mut 10).await;
    copy.follow(&server, Duration::from_secs(1), s.now())
        .await
        .unwrap();
    assert_same(&s, &copy, "following after its rebuild").await;
}
