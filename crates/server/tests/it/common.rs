//! Fixtures: the OpenID provider process, tokens for any person of any tenant, and a server on
//! its own database with two organizations (tenant-a: owner, collaborator, user, a target user,
//! a deleted user and a group; tenant-b: its owner).
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use omni_core::model::{Id, Role, Timestamp};
use omni_core::Email;
use omni_server::auth::Verifier;
use omni_server::clock::{Clock, OffsetClock};
use omni_server::{AppState, Config};
use omni_store::{Caller, DirectoryKind, NewUser, Store};
use serde_json::Value;

/// The provider (crate omni-test-oidc), started once per test binary.
pub struct Provider {
    pub port: u16,
}

pub fn provider() -> Provider {
    Provider {
        port: omni_test_oidc::port(),
    }
}

pub fn authority() -> String {
    format!("http://127.0.0.1:{}", provider().port)
}

pub fn issuer(tenant: &str) -> String {
    format!("{}/{tenant}/v2.0", authority())
}

/// A person asking for a token.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Person {
    pub tenant: &'static str,
    pub oid: String,
    pub email: Option<String>,
    /// Delegated scopes (`scp`), space-separated: a person's token has them.
    pub scp: Option<String>,
    /// App roles (`roles`), space-separated: an application's token has them.
    pub roles: Option<String>,
    pub resource: &'static str,
}

/// A person signing in through a client: a delegated token with this API's scope.
pub fn person(tenant: &'static str, oid: &str, email: &str) -> Person {
    Person {
        tenant,
        oid: oid.into(),
        email: Some(email.into()),
        scp: Some("access_as_user".into()),
        roles: None,
        resource: "api://omni",
    }
}

/// An application of `tenant` (no person, no `scp`) with the app roles `roles`.
pub fn application(tenant: &'static str, oid: &str, roles: &str) -> Person {
    Person {
        tenant,
        oid: oid.into(),
        email: None,
        scp: None,
        roles: Some(roles.into()),
        resource: "api://omni",
    }
}

/// A real access token from the provider (client credentials with a resource indicator).
pub async fn token(p: &Person) -> String {
    let mut person = vec![("person_oid", p.oid.clone())];
    if let Some(e) = &p.email {
        person.push(("person_email", e.clone()));
    }
    if let Some(s) = &p.scp {
        person.push(("person_scp", s.clone()));
    }
    if let Some(r) = &p.roles {
        person.push(("person_roles", r.clone()));
    }
    omni_test_oidc::client_credentials(p.tenant, p.resource, &person).await
}

/// The tests' own HTTP client for the provider and the server: bounded, so a request that is
/// never answered fails its test instead of hanging the suite.
pub fn helper_http() -> reqwest::Client {
    omni_test_oidc::http()
}

/// Tokens are cached per person (they last an hour).
pub async fn cached_token(p: &Person) -> String {
    static CACHE: OnceLock<Mutex<HashMap<Person, String>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(t) = cache.lock().unwrap().get(p) {
        return t.clone();
    }
    let t = token(p).await;
    cache.lock().unwrap().insert(p.clone(), t.clone());
    t
}

/// The provider's current signing key of `tenant`: (kid, private PEM, public PEM).
pub async fn signing_key(tenant: &str) -> (String, String, String) {
    let v: Value = helper_http()
        .get(format!("{}/_control/{tenant}/key", authority()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        v["kid"].as_str().unwrap().into(),
        v["private_pem"].as_str().unwrap().into(),
        v["public_pem"].as_str().unwrap().into(),
    )
}

pub async fn rotate(tenant: &str) {
    control(tenant, "rotate").await;
}

/// Revokes every signing key of `tenant` but the newest.
pub async fn retire_old_keys(tenant: &str) {
    control(tenant, "retire").await;
}

async fn control(tenant: &str, what: &str) {
    let res = helper_http()
        .post(format!("{}/_control/{tenant}/{what}", authority()))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
}

/// A fresh store: SQLite in `dir`, or a new PostgreSQL schema.
pub async fn fresh_store(dir: &std::path::Path) -> Store {
    match std::env::var("OMNI_TEST_BACKEND").as_deref() {
        Ok("postgres") => server_store(&fresh_postgres_url().await).await,
        _ => {
            server_store(&format!(
                "sqlite://{}?mode=rwc",
                dir.join("omni.db").display()
            ))
            .await
        }
    }
}

/// The URL of a new, empty PostgreSQL schema in the database at `OMNI_TEST_POSTGRES`.
pub async fn fresh_postgres_url() -> String {
    use sqlx::Connection;
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let url = std::env::var("OMNI_TEST_POSTGRES").expect("OMNI_TEST_POSTGRES");
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let schema = format!("s{}_{n}_{nanos}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::Executor::execute(&mut admin, format!("CREATE SCHEMA {schema}").as_str())
        .await
        .unwrap();
    admin.close().await.unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}")
}

/// The store at `url` as `omni-server serve` opens it: its waits for the database bounded.
pub async fn server_store(url: &str) -> Store {
    Store::connect_bounded(url, 8, omni_store::Patience::SERVER)
        .await
        .unwrap()
}

pub struct Server {
    pub url: String,
    /// The server's state, as its handlers and its hourly upkeep see it.
    pub state: AppState,
    pub store: Store,
    pub clock: OffsetClock,
    pub owner: Caller,
    pub owner_b: Caller,
    pub collab: Id,
    pub user: Id,
    pub target: Id,
    pub deleted: Id,
    pub group: Id,
    pub http: reqwest::Client,
    /// Where the server spools CSV uploads.
    pub upload_dir: std::path::PathBuf,
    _dir: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

pub fn admin_a() -> Person {
    person("tenant-a", "oid-admin-a", "owner@a.example")
}
pub fn collab_a() -> Person {
    person("tenant-a", "oid-collab-a", "collab@a.example")
}
pub fn user_a() -> Person {
    person("tenant-a", "oid-user-a", "user@a.example")
}
pub fn admin_b() -> Person {
    person("tenant-b", "oid-admin-b", "owner@b.example")
}

pub fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

impl Server {
    pub async fn start(seats: i64) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let store = fresh_store(dir.path()).await;
        Server::start_on(store, dir, seats).await
    }

    /// [`Server::start`] on `store`, with its files (uploads; a SQLite store's database) in
    /// `dir`.
    pub async fn start_on(store: Store, dir: tempfile::TempDir, seats: i64) -> Server {
        let clock = OffsetClock::default();
        let now = clock.now();
        let owner = store
            .create_org("A", &email("owner@a.example"), seats, Some("tenant-a"), now)
            .await
            .unwrap();
        let owner_b = store
            .create_org("B", &email("owner@b.example"), 5, Some("tenant-b"), now)
            .await
            .unwrap();
        let add = |e: &'static str, role: Role| {
            let store = store.clone();
            async move {
                store
                    .create_user(
                        &owner,
                        NewUser {
                            email: email(e),
                            phone: None,
                            role,
                        },
                        now,
                    )
                    .await
                    .unwrap()
                    .id
            }
        };
        let collab = add("collab@a.example", Role::Collaborator).await;
        let user = add("user@a.example", Role::User).await;
        let target = add("target@a.example", Role::User).await;
        let deleted = add("gone@a.example", Role::User).await;
        store.delete_users(&owner, &[deleted], now).await.unwrap();
        let group = store
            .create_item(&owner, DirectoryKind::Group, "Sales", now)
            .await
            .unwrap()
            .id;
        let config = Config {
            authority: authority(),
            audience: "api://omni".into(),
            client_id: "desktop".into(),
            max_import_bytes: 1 << 20,
            upload_dir: Some(dir.path().join("uploads")),
            upload_wait_secs: 600,
            ..Config::default()
        };
        let upload_dir = dir.path().join("uploads");
        let verifier = Verifier::new(&config.authority, &config.audience, config.leeway_secs)
            .with_refetch_interval(std::time::Duration::ZERO);
        let state = AppState::with_verifier(
            store.clone(),
            config,
            Arc::new(clock.clone()) as Arc<dyn Clock>,
            verifier,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(omni_server::serve(
            listener,
            omni_server::router(state.clone()),
            async move {
                let _ = rx.await;
            },
        ));
        Server {
            url,
            state,
            store,
            clock,
            owner,
            owner_b,
            collab,
            user,
            target,
            deleted,
            group,
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap(),
            upload_dir,
            _dir: dir,
            _shutdown: tx,
        }
    }

    /// How many uploads wait on disk (in the server's spool folder inside `upload_dir`).
    pub fn spooled(&self) -> usize {
        let Ok(folders) = std::fs::read_dir(&self.upload_dir) else {
            return 0;
        };
        folders
            .flatten()
            .filter_map(|f| std::fs::read_dir(f.path()).ok())
            .map(|files| files.count())
            .sum()
    }

    /// The SQLite database file, when the server runs on SQLite ([`fresh_store`]).
    pub fn sqlite_file(&self) -> std::path::PathBuf {
        self._dir.path().join("omni.db")
    }

    pub fn org(&self) -> Id {
        self.owner.org
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Imports `csv` into the organization as its owner, straight through the store (a
    /// test's set-up, not the upload it may be testing).
    pub async fn import_csv(&self, csv: String) {
        let len = csv.len() as u64;
        self.store
            .import_commit(
                &self.owner,
                std::io::Cursor::new(csv.into_bytes()),
                omni_store::ImportOptions::default(),
                len,
                &|_| {},
                None,
                self.now(),
            )
            .await
            .unwrap();
    }

    /// Sends a request; returns the status, headers and JSON body (Null when none).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        if_match: Option<&str>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut rb = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.url));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        if let Some(m) = if_match {
            rb = rb.header("if-match", m);
        }
        let res = rb.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let v = serde_json::from_str(&text).unwrap_or(Value::Null);
        (status, headers, v)
    }

    /// Everything a denial must leave untouched, read through the store as the owner.
    pub async fn snapshot(&self) -> String {
        let now = self.now();
        let s = self.store.summary(&self.owner).await.unwrap();
        let q = omni_store::UserQuery {
            limit: 1000,
            ..Default::default()
        };
        let users = self.store.list_users(&self.owner, &q, now).await.unwrap();
        let feed = self
            .store
            .changes(&self.owner, 0, 10_000, now)
            .await
            .unwrap();
        let groups = self
            .store
            .items(&self.owner, DirectoryKind::Group)
            .await
            .unwrap();
        let b = self.store.summary(&self.owner_b).await.unwrap();
        format!("{s:?}\n{:?}\n{}\n{groups:?}\n{b:?}", users.users, feed.next)
    }
}
