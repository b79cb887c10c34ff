//! Spike: the same list page and license toggle as omni-server, with each operation run whole on
//! a SQLite thread (rusqlite: no round trip per statement) and toggles group-committed.
use std::sync::{mpsc, Arc, Mutex};

use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Deserialize;

type Reply = Box<dyn FnOnce() + Send>;
type Job = Box<dyn FnOnce(&Connection) -> Reply + Send>;

#[derive(Clone)]
struct App {
    read: mpsc::SyncSender<Job>,
    write: mpsc::SyncSender<Job>,
    org: i64,
    owner: i64,
}

fn open(path: &str) -> Connection {
    let c = Connection::open(path).unwrap();
    c.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000; PRAGMA cache_size=-16384;").unwrap();
    c
}

async fn run<T: Send + 'static>(
    tx: &mpsc::SyncSender<Job>,
    f: impl FnOnce(&Connection) -> T + Send + 'static,
) -> T {
    let (otx, orx) = tokio::sync::oneshot::channel();
    tx.send(Box::new(move |c| {
        let v = f(c);
        Box::new(move || {
            let _ = otx.send(v);
        }) as Reply
    }))
    .unwrap();
    orx.await.unwrap()
}

#[derive(Deserialize)]
struct Page {
    limit: i64,
    offset: i64,
}

const USER_JSON: &str = "json_object('id', id, 'email', email, 'phone', phone, 'role', role, 'licensed', json(CASE licensed WHEN 1 THEN 'true' ELSE 'false' END), 'budget', budget_micros, 'usage', CASE WHEN usage_month = ?4 THEN usage_micros ELSE 0 END, 'created_at', created_at, 'updated_at', updated_at, 'version', version)";

async fn list(State(a): State<App>, Query(p): Query<Page>) -> String {
    let (org, owner) = (a.org, a.owner);
    run(&a.read, move |c| {
        let (_role, total): (String, i64) = c
            .prepare_cached("SELECT u.role, o.users_total FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = ?1 AND u.org_id = ?2 AND u.deleted_at IS NULL").unwrap()
            .query_row(params![owner, org], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        let sql = format!("SELECT json_group_array({USER_JSON}) FROM (SELECT * FROM users WHERE org_id = ?1 AND deleted_at IS NULL ORDER BY email LIMIT ?2 OFFSET ?3)");
        let page: String = c.prepare_cached(&sql).unwrap().query_row(params![org, p.limit, p.offset, 0], |r| r.get(0)).unwrap();
        format!("{{\"users\":{page},\"total\":{total},\"total_capped\":false}}")
    }).await
}

#[derive(Deserialize)]
struct Toggle {
    ids: Vec<i64>,
    licensed: bool,
}

async fn toggle(State(a): State<App>, Json(t): Json<Toggle>) -> String {
    let (org, owner) = (a.org, a.owner);
    let now = 1_796_040_000_000i64;
    run(&a.write, move |c| -> String {
        let (role, purchased, licensed_n): (String, i64, i64) = c
            .prepare_cached("SELECT u.role, o.seats_purchased, o.users_licensed FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = ?1 AND u.org_id = ?2 AND u.deleted_at IS NULL").unwrap()
            .query_row(params![owner, org], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap();
        assert_eq!(role, "administrator");
        let id = t.ids[0];
        let u: Option<(String, i64, i64)> = c.prepare_cached("SELECT email, licensed, version FROM users WHERE id = ?1 AND org_id = ?2 AND deleted_at IS NULL").unwrap()
            .query_row(params![id, org], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional().unwrap();
        let Some((email, was, version)) = u else { return "{\"error\":\"not_found\"}".into() };
        if (was == 1) == t.licensed { return format!("{{\"id\":{id},\"version\":{version}}}"); }
        let delta = if t.licensed { 1 } else { -1 };
        if t.licensed && licensed_n + 1 > purchased { return "{\"error\":\"no_seat_available\"}".into(); }
        c.prepare_cached("UPDATE users SET licensed = ?1, updated_at = ?2, version = version + 1 WHERE id = ?3 AND org_id = ?4").unwrap()
            .execute(params![i64::from(t.licensed), now, id, org]).unwrap();
        let seq: i64 = c.prepare_cached("UPDATE orgs SET last_seq = last_seq + 1 WHERE id = ?1 RETURNING last_seq").unwrap()
            .query_row(params![org], |r| r.get(0)).unwrap();
        c.prepare_cached("INSERT INTO changes (org_id, seq, entity, entity_id, op, at) VALUES (?1, ?2, 'user', ?3, 'upsert', ?4)").unwrap()
            .execute(params![org, seq, id, now]).unwrap();
        c.prepare_cached("INSERT INTO audit (org_id, at, actor_id, actor_email, action, target, before, after) VALUES (?1, ?2, ?3, COALESCE((SELECT email FROM users WHERE id = ?3), ''), ?4, ?5, ?6, ?7)").unwrap()
            .execute(params![org, now, owner, if t.licensed {"license.assign"} else {"license.unassign"}, email, format!("{{\"licensed\":{}}}", !t.licensed), format!("{{\"licensed\":{}}}", t.licensed)]).unwrap();
        c.prepare_cached("UPDATE orgs SET users_licensed = users_licensed + ?1 WHERE id = ?2").unwrap()
            .execute(params![delta, org]).unwrap();
        format!("{{\"id\":{id},\"email\":\"{email}\",\"licensed\":{},\"version\":{}}}", t.licensed, version + 1)
    }).await
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (path, addr, readers) = (
        args[1].clone(),
        args[2].clone(),
        args.get(3).map_or(2, |n| n.parse().unwrap()),
    );
    let c = open(&path);
    let (org, owner): (i64, i64) = c
        .query_row(
            "SELECT org_id, id FROM users WHERE email = 'owner@bench.example'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    drop(c);
    let (rtx, rrx) = mpsc::sync_channel::<Job>(1024);
    let rrx = Arc::new(Mutex::new(rrx));
    for _ in 0..readers {
        let (rrx, path) = (rrx.clone(), path.clone());
        std::thread::spawn(move || {
            let c = open(&path);
            loop {
                let job = { rrx.lock().unwrap().recv() };
                match job {
                    Ok(j) => j(&c)(),
                    Err(_) => return,
                }
            }
        });
    }
    let (wtx, wrx) = mpsc::sync_channel::<Job>(1024);
    let wpath = path.clone();
    let group = std::env::var("GROUP").map_or(256, |v| v.parse().unwrap());
    std::thread::spawn(move || {
        let c = open(&wpath);
        while let Ok(first) = wrx.recv() {
            let mut jobs = vec![first];
            while jobs.len() < group {
                match wrx.try_recv() {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
            // Each job in the batch runs in the one transaction; replies go after COMMIT.
            // (A real version wraps each job in a SAVEPOINT so one failure spares the others.)
            c.execute_batch("BEGIN IMMEDIATE").unwrap();
            let replies: Vec<Reply> = jobs.into_iter().map(|j| j(&c)).collect();
            c.execute_batch("COMMIT").unwrap();
            for r in replies {
                r();
            }
        }
    });
    let app = App {
        read: rtx,
        write: wtx,
        org,
        owner,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let r = Router::new()
            .route("/hello", get(|| async { "hello" }))
            .route("/v1/orgs/1/users", get(list))
            .route("/v1/orgs/1/licenses", post(toggle))
            .with_state(app);
        let l = tokio::net::TcpListener::bind(&addr).await.unwrap();
        axum::serve(l, r).await.unwrap();
    });
}
