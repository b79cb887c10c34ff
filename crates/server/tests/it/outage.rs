//! omni-server through a database outage (issue 17, docs/database-outage.md).
//!
//! PostgreSQL (`OMNI_TEST_BACKEND=postgres`): a cluster of the test's own (scripts/postgres),
//! stopped cleanly (`pg_ctl -m fast`), then at once (`-m immediate`), then frozen (SIGSTOP to
//! its processes, connections left open) while clients keep sending reads and writes, some in
//! flight at the stop, more arriving during it. Every answer
//! must be a success or 503 `unavailable` with `Retry-After` and a `{code, message}` body,
//! within the bound (never a 500); `/readyz` 503 within a second; `/healthz` 200 throughout.
//! Started again, the next request succeeds at once and so does every one after it (none fails
//! on a connection kept from before); the data written before is whole, every user whose
//! creation was answered 201 exists, and the counters agree with the rows. The figures
//! measured are printed (run with `--nocapture`).
//!
//! SQLite (the default backend): the file's write lock held by another program for longer
//! than the busy timeout: writes are refused in time with nothing written, reads and
//! `/readyz` still answer, the upkeep reports the database unavailable, and the next write
//! after the lock is let go succeeds.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use omni_store::UserQuery;
use serde_json::{json, Value};
use sqlx::{Connection, Executor};

use crate::common::*;

/// The longest any answer may take: what issue 17 allows (omni-server's own bound on a request
/// is 4.5 s, `omni_server::envelope::REQUEST_BOUND`).
const BOUND: Duration = Duration::from_secs(5);
/// The longest `/readyz` may take.
const READY: Duration = Duration::from_secs(1);
/// Clients sending requests all along.
const CLIENTS: usize = 6;

fn on_postgres() -> bool {
    std::env::var("OMNI_TEST_BACKEND").as_deref() == Ok("postgres")
}

/// A PostgreSQL cluster of this test's own, which it may stop and start (the shared one other
/// tests use stays up). Removed when dropped.
struct Cluster {
    url: String,
    dir: String,
}

fn script() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/postgres")
}

async fn run_script(args: &[&str]) -> String {
    let out = tokio::process::Command::new(script())
        .args(args)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "scripts/postgres {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

impl Cluster {
    async fn start() -> Cluster {
        // Durable: a commit is confirmed once PostgreSQL has written it, as on a real server
        // (the shared cluster's asynchronous commit loses the last ones to an immediate stop).
        let out = run_script(&["start", "durable"]).await;
        let var = |name: &str| {
            out.lines()
                .find_map(|l| l.strip_prefix(&format!("export {name}=")))
                .unwrap_or_else(|| panic!("no {name} in {out}"))
                .to_string()
        };
        Cluster {
            url: var("OMNI_TEST_POSTGRES"),
            dir: var("OMNI_PG_DIR"),
        }
    }

    async fn down(&self, mode: &str) {
        run_script(&["down", &self.dir, mode]).await;
    }

    async fn up(&self) {
        run_script(&["up", &self.dir]).await;
    }

    /// Sends `signal` to the cluster's processes (the postmaster and its children), which this
    /// test started: STOP freezes the database with its connections open, CONT thaws it.
    async fn signal(&self, signal: &str) {
        let pid_file = format!("{}/data/postmaster.pid", self.dir);
        let text = std::fs::read_to_string(&pid_file).unwrap();
        let postmaster = text.lines().next().unwrap().trim().to_string();
        let mut pids = vec![postmaster.clone()];
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            // pid (comm) state ppid ...: the fields after the command's closing parenthesis.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1));
            if ppid == Some(postmaster.as_str()) {
                pids.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        let ok = tokio::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .args(&pids)
            .status()
            .await
            .unwrap();
        assert!(ok.success(), "kill -{signal} {pids:?}");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new(script())
            .args(["stop", &self.dir])
            .status();
    }
}

/// One answer, as a client saw it.
#[derive(Debug, Clone)]
struct Answer {
    what: &'static str,
    started: Instant,
    took: Duration,
    status: u16,
    code: Option<String>,
    /// The body is `{code, message}` with a non-empty message.
    shaped: bool,
    retry_after: bool,
    /// The email of a user whose creation was answered 201.
    created: Option<String>,
}

impl Answer {
    fn refused(&self) -> bool {
        self.status == 503
            && self.code.as_deref() == Some("unavailable")
            && self.shaped
            && self.retry_after
    }

    fn succeeded(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Where a client sends its requests.
#[derive(Clone)]
struct Target {
    url: String,
    org: i64,
    token: String,
    http: reqwest::Client,
}

impl Target {
    fn of(s: &Server, token: &str) -> Target {
        Target {
            url: s.url.clone(),
            org: s.org(),
            token: token.to_string(),
            http: s.http.clone(),
        }
    }

    /// Sends one request and times its answer.
    async fn send(
        &self,
        what: &'static str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let path = path.replace("{org}", &self.org.to_string());
        let mut rb = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.url))
            .timeout(Duration::from_secs(60))
            .bearer_auth(&self.token);
        let email = body
            .as_ref()
            .and_then(|b| b["email"].as_str())
            .map(str::to_string);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let started = Instant::now();
        let res = rb
            .send()
            .await
            .unwrap_or_else(|e| panic!("{what}: no answer: {e}"));
        let status = res.status().as_u16();
        let retry_after = res.headers().contains_key("retry-after");
        let text = res.text().await.unwrap_or_default();
        let took = started.elapsed();
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let code = v["code"].as_str().map(str::to_string);
        let shaped = code.is_some() && v["message"].as_str().is_some_and(|m| !m.is_empty());
        Answer {
            what,
            started,
            took,
            status,
            code,
            shaped,
            retry_after,
            created: (status == 201).then_some(email).flatten(),
        }
    }
}

/// Clients sending reads and writes until stopped (the table, the summary, a license change of
/// the client's own user, a new user, in turn), and a probe asking for readiness and health
/// every 100 ms, as a load balancer does.
struct Load {
    stop: Arc<AtomicBool>,
    clients: Vec<tokio::task::JoinHandle<Vec<Answer>>>,
}

impl Load {
    fn start(target: &Target, phase: &'static str, own_users: &[i64]) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let mut clients: Vec<_> = own_users
            .iter()
            .enumerate()
            .map(|(c, &user)| {
                let (t, stop) = (target.clone(), stop.clone());
                tokio::spawn(async move {
                    let mut answers = Vec::new();
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        n += 1;
                        let a = match n % 4 {
                            0 => {
                                t.send("list", "GET", "/v1/orgs/{org}/users?limit=50", None)
                                    .await
                            }
                            1 => {
                                t.send("summary", "GET", "/v1/orgs/{org}/summary", None)
                                    .await
                            }
                            2 => {
                                let body = json!({"ids": [user], "licensed": n % 8 == 2});
                                t.send("license", "POST", "/v1/orgs/{org}/licenses", Some(body))
                                    .await
                            }
                            _ => {
                                let email = format!("{phase}-{c}-{n}@a.example");
                                let body = json!({"email": email});
                                t.send("create", "POST", "/v1/orgs/{org}/users", Some(body))
                                    .await
                            }
                        };
                        answers.push(a);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    answers
                })
            })
            .collect();
        let (t, probe_stop) = (target.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            while !probe_stop.load(Ordering::Relaxed) {
                answers.push(t.send("readyz", "GET", "/readyz", None).await);
                answers.push(t.send("healthz", "GET", "/healthz", None).await);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            answers
        }));
        Load { stop, clients }
    }

    async fn stop(self) -> Vec<Answer> {
        self.stop.store(true, Ordering::Relaxed);
        let mut all = Vec::new();
        for c in self.clients {
            all.extend(c.await.unwrap());
        }
        all
    }
}

/// What each answer broke of the rules, one line each.
fn violations(answers: &[Answer]) -> Vec<String> {
    let mut out = Vec::new();
    for a in answers {
        let broken = match a.what {
            "healthz" => a.status != 200,
            "readyz" => !(a.status == 200 || a.refused()) || a.took > READY,
            _ => !(a.succeeded() || a.refused()) || a.took > BOUND,
        };
        if broken {
            out.push(format!("{a:?}"));
        }
    }
    out
}

/// Milliseconds: (median, max) of `took` over `answers`.
fn spread(answers: &[&Answer]) -> (u128, u128) {
    let mut ms: Vec<u128> = answers.iter().map(|a| a.took.as_millis()).collect();
    ms.sort_unstable();
    match ms.len() {
        0 => (0, 0),
        n => (ms[n / 2], ms[n - 1]),
    }
}

/// Every user of the organization, page by page, through the store.
async fn all_users(s: &Server) -> Vec<omni_core::model::User> {
    let mut users = Vec::new();
    loop {
        let q = UserQuery {
            limit: 1000,
            offset: users.len() as u64,
            ..Default::default()
        };
        let page = s.store.list_users(&s.owner, &q, s.now()).await.unwrap();
        let done = page.users.len() < 1000;
        users.extend(page.users);
        if done {
            return users;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_stopped_and_started_again_under_load() {
    if !on_postgres() {
        return;
    }
    let pg = Cluster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_on(server_store(&pg.url).await, dir, 1_000).await;
    let t = Target::of(&s, &cached_token(&admin_a()).await);

    // Written before the outage: 20 users, 10 of them licensed; and one user per client for
    // its license changes.
    let mut before = Vec::new();
    for i in 0..20 {
        let a = t
            .send(
                "create",
                "POST",
                "/v1/orgs/{org}/users",
                Some(json!({"email": format!("before-{i}@a.example")})),
            )
            .await;
        assert_eq!(a.status, 201, "{a:?}");
    }
    let users = all_users(&s).await;
    for u in users
        .iter()
        .filter(|u| u.email.as_str().starts_with("before-"))
    {
        before.push(u.id);
    }
    let body = json!({"ids": before[..10], "licensed": true});
    let a = t
        .send("license", "POST", "/v1/orgs/{org}/licenses", Some(body))
        .await;
    assert_eq!(a.status, 200, "{a:?}");
    let mut own = Vec::new();
    for c in 0..CLIENTS {
        let body = json!({"email": format!("client-{c}@a.example")});
        let (st, _, v) = s
            .call(
                "POST",
                &format!("/v1/orgs/{}/users", s.org()),
                Some(&t.token),
                Some(body),
                None,
            )
            .await;
        assert_eq!(st, 201);
        own.push(v["id"].as_i64().unwrap());
    }
    let read_before = |ids: Vec<i64>| {
        let t = t.clone();
        async move {
            let mut out = Vec::new();
            for id in ids {
                let path = format!("/v1/orgs/{}/users/{id}", t.org);
                let res = t
                    .http
                    .get(format!("{}{path}", t.url))
                    .bearer_auth(&t.token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status().as_u16(), 200);
                out.push(res.json::<Value>().await.unwrap());
            }
            out
        }
    };
    let written_before = read_before(before.clone()).await;

    let mut created = Vec::new();
    let mut report = Vec::new();
    // Stopped cleanly, stopped at once, and frozen with its connections open (a database that
    // took the statements and does not answer them: a hung machine, a cut network).
    for mode in ["fast", "immediate", "frozen"] {
        let load = Load::start(&t, mode, &own);
        // Requests in flight when the database stops, and more arriving during the outage.
        tokio::time::sleep(Duration::from_millis(700)).await;
        let stop = Instant::now();
        match mode {
            "frozen" => pg.signal("STOP").await,
            _ => pg.down(mode).await,
        }
        let stopped = stop.elapsed();
        tokio::time::sleep(Duration::from_secs(6)).await;
        match mode {
            "frozen" => pg.signal("CONT").await,
            _ => pg.up().await,
        }
        let up = Instant::now();
        // The next request succeeds, at once.
        let first = t
            .send("summary", "GET", "/v1/orgs/{org}/summary", None)
            .await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let answers = load.stop().await;

        assert!(
            first.succeeded(),
            "{mode}: first request after the restart: {first:?}"
        );
        assert!(
            first.took < READY,
            "{mode}: first request after the restart: {first:?}"
        );
        let broken = violations(&answers);
        assert!(
            broken.is_empty(),
            "{mode}: {} answers broke the rules:\n{}",
            broken.len(),
            broken.join("\n")
        );
        // None fails once the database is back: no connection of before is handed out.
        let after: Vec<&Answer> = answers.iter().filter(|a| a.started >= up).collect();
        let failed: Vec<&&Answer> = after.iter().filter(|a| !a.succeeded()).collect();
        assert!(
            failed.is_empty(),
            "{mode}: failed after the restart: {failed:#?}"
        );
        assert!(
            after.len() >= CLIENTS,
            "{mode}: too few requests after the restart"
        );
        // The outage was seen: requests arrived during it and were refused.
        let api: Vec<&Answer> = answers
            .iter()
            .filter(|a| !matches!(a.what, "readyz" | "healthz"))
            .collect();
        let refused: Vec<&Answer> = api.iter().copied().filter(|a| a.refused()).collect();
        let ready_refused: Vec<&Answer> = answers
            .iter()
            .filter(|a| a.what == "readyz" && a.refused())
            .collect();
        assert!(
            refused.len() >= CLIENTS,
            "{mode}: only {} requests refused",
            refused.len()
        );
        assert!(
            !ready_refused.is_empty(),
            "{mode}: /readyz never said the database was down"
        );
        created.extend(answers.iter().filter_map(|a| a.created.clone()));

        let (med, max) = spread(&refused);
        let (rmed, rmax) = spread(&ready_refused);
        let writes = refused
            .iter()
            .filter(|a| matches!(a.what, "create" | "license"))
            .count();
        report.push(format!(
            "{mode:9} stop {:>4} ms | {:>4} answers, {:>3} API refused ({writes} writes): median {med} ms, max {max} ms | /readyz 503: median {rmed} ms, max {rmax} ms | first after start {} ms, {} after it all succeeded",
            stopped.as_millis(),
            answers.len(),
            refused.len(),
            first.took.as_millis(),
            after.len(),
        ));
    }

    // The data written before the outage is whole, every creation answered 201 was saved, and
    // the counters agree with the rows.
    assert_eq!(read_before(before).await, written_before);
    let users = all_users(&s).await;
    let emails: std::collections::HashSet<&str> = users.iter().map(|u| u.email.as_str()).collect();
    for e in &created {
        assert!(
            emails.contains(e.as_str()),
            "{e} was answered 201 but is missing"
        );
    }
    let summary = s.store.summary(&s.owner).await.unwrap();
    assert_eq!(summary.total_users, users.len() as i64);
    assert_eq!(
        summary.licensed,
        users.iter().filter(|u| u.licensed).count() as i64
    );
    eprintln!(
        "database outage (PostgreSQL), {CLIENTS} clients:\n{}",
        report.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_locked_by_another_program() {
    if on_postgres() {
        return;
    }
    let s = Server::start(10).await;
    let t = Target::of(&s, &cached_token(&admin_a()).await);
    // Signed in before (a first sign-in writes: it links the person to their user).
    let a = t.send("me", "GET", "/v1/orgs/{org}/me", None).await;
    assert_eq!(a.status, 200, "{a:?}");
    let before = s.snapshot().await;

    // Another program holds the file's write lock, longer than the server waits for it.
    let url = format!("sqlite://{}", s.sqlite_file().display());
    let mut other = sqlx::SqliteConnection::connect(&url).await.unwrap();
    other.execute("BEGIN EXCLUSIVE").await.unwrap();
    let license = json!({"ids": [s.target], "licensed": true});
    let writes = [
        (
            "create",
            "POST",
            "/v1/orgs/{org}/users",
            Some(json!({"email": "locked@a.example"})),
        ),
        (
            "license",
            "POST",
            "/v1/orgs/{org}/licenses",
            Some(license.clone()),
        ),
        (
            "seats",
            "PUT",
            "/v1/orgs/{org}/seats",
            Some(json!({"seats": 20})),
        ),
        (
            "group",
            "POST",
            "/v1/orgs/{org}/directory/groups",
            Some(json!({"name": "Locked"})),
        ),
    ];
    let sent = writes
        .iter()
        .cycle()
        .take(8)
        .map(|(what, method, path, body)| {
            let t = t.clone();
            async move { t.send(what, method, path, body.clone()).await }
        });
    let (answers, reads) = tokio::join!(futures_util::future::join_all(sent), async {
        vec![
            t.send("list", "GET", "/v1/orgs/{org}/users", None).await,
            t.send("readyz", "GET", "/readyz", None).await,
        ]
    });
    for a in &answers {
        assert!(a.refused(), "{a:?}");
        assert!(a.took <= BOUND, "{a:?}");
    }
    // Reads go on beside the lock (write-ahead log), and so the database is ready.
    for a in &reads {
        assert_eq!(a.status, 200, "{a:?}");
    }
    // The upkeep hears that the database is unavailable (and tries again soon, not in an hour).
    let upkeep = omni_server::forget_expired(&s.state).await;
    assert!(
        matches!(upkeep, omni_server::Upkeep::Unavailable(_)),
        "{upkeep:?}"
    );
    other.execute("ROLLBACK").await.unwrap();
    other.close().await.unwrap();

    // Nothing was written, and the next write succeeds.
    assert_eq!(s.snapshot().await, before);
    let a = t
        .send("license", "POST", "/v1/orgs/{org}/licenses", Some(license))
        .await;
    assert_eq!(a.status, 200, "{a:?}");
    let (med, max) = spread(&answers.iter().collect::<Vec<_>>());
    eprintln!(
        "SQLite locked by another program: {} writes refused, median {med} ms, max {max} ms",
        answers.len()
    );
}
