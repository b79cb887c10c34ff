//! Table and dashboard latency on a large organization: pages of 100 rows (search, filters,
//! sorts, deep offsets), the summary and pages of the audit log, each through the store API
//! and, side by side, the same SQL run bare through sqlx (the floor the API's own work sits on).
//!
//! `OMNI_BENCH_DB=path/to/omni.db cargo bench -p omni-store --bench queries` on a database made
//! by `omni demo --users N` (bench/run does both). Prints median and p95 in milliseconds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use omni_core::model::{Role, Timestamp};
use omni_store::{AuditQuery, SortField, Store, UserQuery};

const RUNS: usize = 200;

fn stats(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(v[v.len() / 2]), ms(v[(v.len() * 95).div_ceil(100) - 1]))
}

fn main() {
    let Ok(path) = std::env::var("OMNI_BENCH_DB") else {
        eprintln!("set OMNI_BENCH_DB to a database made by `omni demo --users N` (see bench/run)");
        return;
    };
    let now = Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = Store::open(std::path::Path::new(&path)).await.unwrap();
        let org = store.local_org().await.unwrap();
        let owner = store.owner(&org).await.unwrap();
        let total = store.summary(&owner).await.unwrap().total_users;
        let terms = [
            "ana",
            "bruno.s",
            "maria.costa1",
            "yuri.tanaka99",
            "z",
            "olivia.rossi12345",
            "joao.lima5",
        ];
        let q = |f: &dyn Fn(usize) -> UserQuery| (0..RUNS).map(f).collect::<Vec<_>>();
        let deep = |i: usize| (total as u64 * (i as u64 % 10) / 10).saturating_sub(100);
        let cases: Vec<(&str, Vec<UserQuery>)> = vec![
            (
                "first page, by email",
                q(&|_| UserQuery {
                    limit: 100,
                    ..Default::default()
                }),
            ),
            (
                "search (email prefix)",
                q(&|i| UserQuery {
                    search: Some(terms[i % terms.len()].into()),
                    limit: 100,
                    ..Default::default()
                }),
            ),
            (
                "search (@domain)",
                q(&|i| UserQuery {
                    search: Some(["@acme.de", "@contractors", "@acme.com.br"][i % 3].into()),
                    limit: 100,
                    ..Default::default()
                }),
            ),
            (
                "filter role=administrator",
                q(&|_| UserQuery {
                    role: Some(Role::Administrator),
                    limit: 100,
                    ..Default::default()
                }),
            ),
            (
                "filter unlicensed",
                q(&|_| UserQuery {
                    licensed: Some(false),
                    limit: 100,
                    ..Default::default()
                }),
            ),
            (
                "sort by role, desc",
                q(&|_| UserQuery {
                    sort: SortField::Role,
                    descending: true,
                    limit: 100,
                    ..Default::default()
                }),
            ),
            (
                "sort by created, desc",
                q(&|_| UserQuery {
                    sort: SortField::Created,
                    descending: true,
                    limit: 100,
                    ..Default::default()
                }),
            ),
            (
                "page at offset 0..90%",
                q(&|i| UserQuery {
                    offset: deep(i),
                    limit: 100,
                    ..Default::default()
                }),
            ),
            (
                "sort by usage, desc",
                q(&|_| UserQuery {
                    sort: SortField::Usage,
                    descending: true,
                    limit: 100,
                    ..Default::default()
                }),
            ),
            (
                "sort by phone, offset 0..90%",
                q(&|i| UserQuery {
                    sort: SortField::Phone,
                    offset: deep(i),
                    limit: 100,
                    ..Default::default()
                }),
            ),
            (
                "sort by last update, desc",
                q(&|_| UserQuery {
                    sort: SortField::Updated,
                    descending: true,
                    limit: 100,
                    ..Default::default()
                }),
            ),
        ];
        println!("{total} users; {RUNS} runs each; milliseconds");
        println!(
            "{:<28} {:>10} {:>10}",
            "query (page of 100)", "median", "p95"
        );
        for (name, queries) in cases {
            let runs = if name.starts_with("sort by usage") {
                20
            } else {
                queries.len()
            };
            let mut times = Vec::with_capacity(runs);
            for query in queries.iter().take(runs) {
                let t = Instant::now();
                let page = store.list_users(&owner, query, now).await.unwrap();
                times.push(t.elapsed());
                std::hint::black_box(page);
            }
            let (med, p95) = stats(times);
            println!("{name:<28} {med:>10.2} {p95:>10.2}");
        }
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let t = Instant::now();
            std::hint::black_box(store.summary(&owner).await.unwrap());
            times.push(t.elapsed());
        }
        let (med, p95) = stats(times);
        println!("{:<28} {med:>10.3} {p95:>10.3}", "summary (counters)");
        // The audit log's pages: the newest, one kind of change, and a page from the middle
        // (keyset: after an entry half way down the ids), each through its index.
        let newest = store.audit(&owner, &AuditQuery::default()).await.unwrap();
        let middle = newest.entries.first().map(|e| e.id / 2);
        let audits = [
            ("audit: newest 100", AuditQuery::default()),
            (
                "audit: licenses assigned",
                AuditQuery {
                    action: Some("license.assign".into()),
                    ..Default::default()
                },
            ),
            (
                "audit: a page half way",
                AuditQuery {
                    before: middle,
                    ..Default::default()
                },
            ),
        ];
        for (name, query) in audits {
            let mut times = Vec::with_capacity(RUNS);
            for _ in 0..RUNS {
                let t = Instant::now();
                std::hint::black_box(store.audit(&owner, &query).await.unwrap());
                times.push(t.elapsed());
            }
            let (med, p95) = stats(times);
            println!("{name:<28} {med:>10.3} {p95:>10.3}");
        }
        // Baseline: what the dashboard would cost if it counted rows instead of keeping counters.
        let mut times = Vec::with_capacity(10);
        for _ in 0..10 {
            let t = Instant::now();
            std::hint::black_box(store.recount(org.id).await.unwrap());
            times.push(t.elapsed());
        }
        let (med, p95) = stats(times);
        println!(
            "{:<28} {med:>10.3} {p95:>10.3}",
            "baseline: COUNT(*) summary"
        );
    });
}
