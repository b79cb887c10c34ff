//! The measuring client of `bench/sync`: the desktop's local copy driven exactly as the app
//! drives it (a `Store` on a copy file with the desktop's footprint, `omni_sync::Copy::refresh`
//! for the first download, `Copy::follow` with the longest poll in a loop), against an
//! omni-server the script started. It lives outside the app so that it can time each step and
//! report its own peak memory, which is the copy engine's share of the app's.
//!
//! ```text
//! sync_bench download SERVER_URL ORG COPY_FILE
//!     prints "seconds peak_kib users": Copy::refresh on an empty copy file
//! sync_bench changes SERVER_URL ORG COPY_FILE [BULK] [SINGLES] [ROUNDS]
//!     with the follower long-polling, commits BULK license changes in one request ROUNDS times
//!     (default 1000 users, 3 rounds), then SINGLES single changes (default 50), and prints when
//!     the copy showed each
//! ```
//!
//! The token is read from `OMNI_BENCH_TOKEN` (a test provider's token, never an argument).
//! Ids 2..: the users the script imported after the owner (id 1), unlicensed at the start.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use omni_client::{Credentials, ServerOrganization, Url, LONGEST_POLL};
use omni_core::model::{Id, Timestamp};
use omni_core::Error;
use omni_requests::Organization;
use omni_store::{Caller, SqliteFootprint, Store};
use omni_sync::Copy;
use tokio::sync::watch;

struct Token(String);

impl Credentials for Token {
    fn token(&self) -> BoxFuture<'_, omni_core::error::Result<String>> {
        Box::pin(async move { Ok(self.0.clone()) })
    }

    fn rejected(&self, _token: String) -> BoxFuture<'_, omni_core::error::Result<String>> {
        Box::pin(async move { Err(Error::internal("the bench's token was refused")) })
    }
}

fn now() -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    Timestamp(ms)
}

/// This process's peak resident memory (VmHWM), in KiB.
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `q` quantile (nearest rank) of `v`.
fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((q * s.len() as f64).ceil() as usize).clamp(1, s.len());
    s[rank - 1]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "sync_bench download|changes SERVER_URL ORG COPY_FILE [BULK] [SINGLES] [ROUNDS]";
    assert!(args.len() >= 4, "{usage}");
    let url = Url::parse(&args[1]).expect("SERVER_URL");
    let org: Id = args[2].parse().expect("ORG");
    let file = PathBuf::from(&args[3]);
    let token = std::env::var("OMNI_BENCH_TOKEN").expect("OMNI_BENCH_TOKEN");
    let http = omni_client::http_client().unwrap();
    let server = ServerOrganization::new(url, org, http, Arc::new(Token(token)));
    // As the app opens a copy (src-tauri/src/places/session.rs).
    let store = Store::open_with(&file, SqliteFootprint::DESKTOP)
        .await
        .unwrap();
    let copy = Copy::new(store, org);
    let arg = |i: usize, default: u32| args.get(i).map_or(default, |v| v.parse().unwrap());
    match args[0].as_str() {
        "download" => download(&copy, &server).await,
        "changes" => changes(copy, server, arg(4, 1000), arg(5, 50), arg(6, 3)).await,
        _ => panic!("{usage}"),
    }
}

async fn download(copy: &Copy, server: &ServerOrganization) {
    assert!(
        copy.status().await.unwrap().is_none(),
        "the copy file must be new"
    );
    let start = Instant::now();
    let outcome = copy.refresh(server, Arc::new(|_| {}), now()).await.unwrap();
    let secs = start.elapsed().as_secs_f64();
    let users = outcome.snapshot.map_or(0, |a| a.counts.users);
    println!("{secs:.3} {} {users}", peak_kib());
}

/// What the follower last saw: how many pages it applied, when it had applied (and read) the
/// last one, and the licensed users the copy then counted.
type Seen = (u64, Instant, i64);

async fn changes(copy: Copy, server: ServerOrganization, bulk: u32, singles: u32, rounds: u32) {
    copy.refresh(&server, Arc::new(|_| {}), now())
        .await
        .unwrap();
    let me = server.whoami().await.unwrap();
    let caller = Caller {
        org: copy.org,
        user: me.user.id,
    };
    let mut licensed = copy.store.summary(&caller).await.unwrap().licensed;
    let (tx, mut seen) = watch::channel::<Seen>((0, Instant::now(), licensed));
    let server = Arc::new(server);
    {
        // The app's follower (src-tauri/src/follow.rs), with the read a screen makes when told
        // that data changed.
        let (copy, server) = (copy.clone(), server.clone());
        tokio::spawn(async move {
            let mut pages = 0;
            loop {
                match copy.follow(&server, LONGEST_POLL, now()).await {
                    Ok(changed) if changed.is_empty() => {}
                    Ok(_) => {
                        let summary = copy.store.summary(&caller).await.unwrap();
                        pages += 1;
                        let _ = tx.send((pages, Instant::now(), summary.licensed));
                    }
                    Err(e) => {
                        eprintln!("follow: {}", e.message);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        });
    }
    // Lets the follower's long poll reach the server before a change commits.
    let settle = || tokio::time::sleep(Duration::from_millis(100));

    println!(
        "{:<44} {:>10} {:>10} {:>10}",
        "", "write ms", "after ans", "after req"
    );
    let mut rows = Vec::new();
    for round in 0..rounds {
        settle().await;
        let on = round % 2 == 0;
        let ids = (2..2 + i64::from(bulk)).collect();
        let expected = licensed + if on { 1 } else { -1 } * i64::from(bulk);
        let r = commit(&server, &mut seen, ids, on, expected).await;
        licensed = expected;
        println!(
            "{:<44} {:>10.1} {:>10.1} {:>10.1}",
            format!("{bulk} changes in one commit, round {}", round + 1),
            r.0,
            r.1,
            r.2
        );
        rows.push(r);
    }
    if rounds > 0 {
        let med =
            |f: fn(&(f64, f64, f64)) -> f64| quantile(&rows.iter().map(f).collect::<Vec<_>>(), 0.5);
        println!(
            "{:<44} {:>10.1} {:>10.1} {:>10.1}",
            format!("{bulk} changes: median of {rounds} (goal < 200)"),
            med(|r| r.0),
            med(|r| r.1),
            med(|r| r.2)
        );
    }

    let mut singles_rows = Vec::new();
    for i in 0..i64::from(singles) {
        settle().await;
        let expected = licensed + 1;
        let ids = vec![2 + i64::from(bulk) + i];
        let r = commit(&server, &mut seen, ids, true, expected).await;
        licensed = expected;
        singles_rows.push(r);
    }
    if singles > 0 {
        for (q, name) in [(0.5, "median"), (0.95, "p95 (goal < 1000)")] {
            let at = |f: fn(&(f64, f64, f64)) -> f64| {
                quantile(&singles_rows.iter().map(f).collect::<Vec<_>>(), q)
            };
            println!(
                "{:<44} {:>10.1} {:>10.1} {:>10.1}",
                format!("1 change, {name} of {singles}"),
                at(|r| r.0),
                at(|r| r.1),
                at(|r| r.2)
            );
        }
    }
    println!(
        "peak memory of this client: {:.1} MB",
        peak_kib() as f64 / 1024.0
    );
}

/// Commits `ids` licensed (or not) in one request and waits for the copy to count `expected`
/// licensed users: (the write's time, applied after its answer, applied after its request was
/// sent), in milliseconds. The commit happened between the request and the answer.
async fn commit(
    server: &ServerOrganization,
    seen: &mut watch::Receiver<Seen>,
    ids: Vec<Id>,
    on: bool,
    expected: i64,
) -> (f64, f64, f64) {
    let before = seen.borrow_and_update().0;
    let sent = Instant::now();
    let users = server.set_licensed(ids.clone(), on).await.unwrap();
    let answered = Instant::now();
    assert_eq!(users.len(), ids.len());
    let applied = tokio::time::timeout(
        Duration::from_secs(60),
        seen.wait_for(|s| s.0 > before && s.2 == expected),
    )
    .await
    .expect("the copy did not show the change within 60 s")
    .unwrap()
    .1;
    (
        ms(answered - sent),
        ms(applied.saturating_duration_since(answered)),
        ms(applied - sent),
    )
}
