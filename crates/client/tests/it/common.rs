//! Fixtures: the OpenID provider (tests/oidc) minting real tokens, an omni-server on its own
//! SQLite database (organization A of tenant-a: its owner, a Collaborator, a User, a target user
//! and the group Sales), credentials that mint tokens for one person, and small HTTP servers
//! that are not omni-servers.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use omni_client::{Credentials, ServerOrganization, Url};
use omni_core::model::{Id, Role};
use omni_core::Email;
use omni_server::auth::Verifier;
use omni_server::clock::{Clock, OffsetClock};
use omni_server::{AppState, Config};
use omni_store::{Caller, DirectoryKind, NewUser, Store};

/// The provider's port (crate omni-test-oidc: started once per test binary).
pub fn provider() -> u16 {
    omni_test_oidc::port()
}

pub fn authority() -> String {
    format!("http://127.0.0.1:{}", provider())
}

/// A person of tenant-a signing in through the desktop: a delegated token with the API's scope.
#[derive(Clone, Debug)]
pub struct Person {
    pub oid: &'static str,
    pub email: &'static str,
}

pub const OWNER: Person = Person {
    oid: "oid-admin-a",
    email: "owner@a.example",
};
pub const COLLAB: Person = Person {
    oid: "oid-collab-a",
    email: "collab@a.example",
};

/// A real access token from the provider (client credentials, with the person's claims).
pub async fn mint(p: &Person) -> String {
    let person = [
        ("person_oid", p.oid.to_string()),
        ("person_email", p.email.to_string()),
        ("person_scp", "access_as_user".to_string()),
    ];
    omni_test_oidc::client_credentials("tenant-a", "api://omni", &person).await
}

/// What a session would do: a token per person, minted afresh when the server refuses one.
pub struct Session {
    person: Person,
    current: Mutex<Option<String>>,
    /// Every token handed back as refused, in order.
    pub rejected: Mutex<Vec<String>>,
    /// Whether a refusal is answered with a token the server refuses too.
    refresh_fails: bool,
    pub asked: AtomicUsize,
}

impl Session {
    pub fn new(person: Person) -> Arc<Session> {
        Arc::new(Session {
            person,
            current: Mutex::new(None),
            rejected: Mutex::default(),
            refresh_fails: false,
            asked: AtomicUsize::new(0),
        })
    }

    /// A session whose first token the server refuses (expired, say); `refresh_fails`: and
    /// whose refreshed token too.
    pub fn stale(person: Person, refresh_fails: bool) -> Arc<Session> {
        Arc::new(Session {
            person,
            current: Mutex::new(Some("not.a.token".into())),
            rejected: Mutex::default(),
            refresh_fails,
            asked: AtomicUsize::new(0),
        })
    }

    pub fn rejected(&self) -> Vec<String> {
        self.rejected.lock().unwrap().clone()
    }
}

impl Credentials for Session {
    fn token(&self) -> BoxFuture<'_, omni_core::error::Result<String>> {
        Box::pin(async move {
            self.asked.fetch_add(1, Ordering::SeqCst);
            let held = self.current.lock().unwrap().clone();
            match held {
                Some(t) => Ok(t),
                None => {
                    let t = mint(&self.person).await;
                    *self.current.lock().unwrap() = Some(t.clone());
                    Ok(t)
                }
            }
        })
    }

    fn rejected(&self, token: String) -> BoxFuture<'_, omni_core::error::Result<String>> {
        Box::pin(async move {
            self.rejected.lock().unwrap().push(token);
            let fresh = match self.refresh_fails {
                true => "still.not.a.token".to_string(),
                false => mint(&self.person).await,
            };
            *self.current.lock().unwrap() = Some(fresh.clone());
            Ok(fresh)
        })
    }
}

pub fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

pub struct Server {
    pub url: Url,
    pub store: Store,
    pub owner: Caller,
    pub collab: Id,
    pub user: Id,
    pub target: Id,
    pub group: Id,
    _dir: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    /// omni-server in this process, on a new SQLite database, with organization A of tenant-a.
    pub async fn start(seats: i64) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("omni.db").display());
        let store = Store::connect_bounded(&url, 8, omni_store::Patience::SERVER)
            .await
            .unwrap();
        let clock = OffsetClock::default();
        let now = clock.now();
        let owner = store
            .create_org("A", &email("owner@a.example"), seats, Some("tenant-a"), now)
            .await
            .unwrap();
        let add = |e: &'static str, role: Role| {
            let store = store.clone();
            async move {
                let new = NewUser {
                    email: email(e),
                    phone: None,
                    role,
                };
                store.create_user(&owner, new, now).await.unwrap().id
            }
        };
        let collab = add("collab@a.example", Role::Collaborator).await;
        let user = add("user@a.example", Role::User).await;
        let target = add("target@a.example", Role::User).await;
        let group = store
            .create_item(&owner, DirectoryKind::Group, "Sales", now)
            .await
            .unwrap()
            .id;
        let config = Config {
            authority: authority(),
            audience: "api://omni".into(),
            client_id: "desktop".into(),
            upload_dir: Some(dir.path().join("uploads")),
            upload_wait_secs: 600,
            ..Config::default()
        };
        let verifier = Verifier::new(&config.authority, &config.audience, config.leeway_secs);
        let state = AppState::with_verifier(
            store.clone(),
            config,
            Arc::new(clock) as Arc<dyn Clock>,
            verifier,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(omni_server::serve(
            listener,
            omni_server::router(state),
            async move {
                let _ = rx.await;
            },
        ));
        Server {
            url,
            store,
            owner,
            collab,
            user,
            target,
            group,
            _dir: dir,
            _shutdown: tx,
        }
    }

    pub fn org(&self) -> Id {
        self.owner.org
    }

    /// Organization A as `session`'s person reaches it through the client.
    pub fn as_person(&self, session: Arc<Session>) -> ServerOrganization {
        ServerOrganization::new(
            self.url.clone(),
            self.org(),
            omni_client::http_client().unwrap(),
            session,
        )
    }
}

/// An HTTP server that answers every request with `response` (a whole HTTP/1.1 answer) and
/// counts the requests; its address.
pub async fn fake(response: &'static str) -> (Url, Arc<AtomicUsize>) {
    fake_by(Arc::new(move |_: &str| response)).await
}

/// An HTTP server that answers each request with what `answer` gives for its request line
/// (`GET /path HTTP/1.1`), then closes the connection; its address, and how many it answered.
pub async fn fake_by(
    answer: Arc<dyn Fn(&str) -> &'static str + Send + Sync>,
) -> (Url, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let counted = counted.clone();
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                // The head, then as much body as it declares.
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&seen).to_ascii_lowercase();
                let end = head.find("\r\n\r\n").unwrap() + 4;
                let declared: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map(|v| v.trim().parse().unwrap())
                    .unwrap_or(0);
                let mut body = seen.len() - end;
                while body < declared {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => body += n,
                    }
                }
                counted.fetch_add(1, Ordering::SeqCst);
                let line = String::from_utf8_lossy(&seen)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string();
                let _ = conn.write_all(answer(&line).as_bytes()).await;
                let _ = conn.shutdown().await;
            });
        }
    });
    (url, hits)
}

/// What a [`proxy`] does with one write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// Sends it to the server and its answer back.
    Relay,
    /// Sends it to the server, waits for the whole answer, then hangs up on the client without
    /// a byte of it: the write happened, the client cannot know.
    LoseAnswer,
    /// Answers 503 with `Retry-After: 1` itself; the server never sees it.
    Unavailable,
}

/// One request as a [`proxy`] saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    /// `POST /v1/orgs/1/users`.
    pub method: String,
    pub path: String,
    pub key: Option<String>,
    /// What the proxy did with it, and the server's answer's status when there was one.
    pub act: Act,
    pub status: Option<u16>,
    /// Whether the server's answer said `Idempotent-Replayed: true`.
    pub replayed: bool,
}

impl Seen {
    pub fn is_write(&self) -> bool {
        self.method != "GET"
    }
}

pub struct Proxy {
    pub url: Url,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Proxy {
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn writes(&self) -> Vec<Seen> {
        self.seen().into_iter().filter(Seen::is_write).collect()
    }
}

/// A TCP proxy in front of the server at `upstream`: one request per connection, each sent on
/// with `Connection: close`. Writes (any method but GET) meet `plan` in order (then
/// [`Act::Relay`]); reads are relayed. Records every request.
pub async fn proxy(upstream: &Url, plan: Vec<Act>) -> Proxy {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    let server = format!(
        "{}:{}",
        upstream.host_str().unwrap(),
        upstream.port().unwrap()
    );
    let seen = Arc::new(Mutex::new(Vec::<Seen>::new()));
    let plan = Arc::new(Mutex::new(std::collections::VecDeque::from(plan)));
    let recorded = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let (server, seen, plan) = (server.clone(), recorded.clone(), plan.clone());
            tokio::spawn(async move {
                let Some(request) = read_request(&mut client).await else {
                    return;
                };
                let head = String::from_utf8_lossy(&request).to_string();
                let line = head.lines().next().unwrap_or("").to_string();
                let mut words = line.split(' ');
                let method = words.next().unwrap_or("").to_string();
                let path = words.next().unwrap_or("").to_string();
                let key = header_of(&head, "idempotency-key");
                let act = match method.as_str() {
                    "GET" => Act::Relay,
                    _ => plan.lock().unwrap().pop_front().unwrap_or(Act::Relay),
                };
                let mut seen_now = Seen {
                    method,
                    path,
                    key,
                    act,
                    status: None,
                    replayed: false,
                };
                if act == Act::Unavailable {
                    seen.lock().unwrap().push(seen_now);
                    let body = r#"{"code":"unavailable","message":"Not now"}"#;
                    let answer = format!(
                        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
                         retry-after: 1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = client.write_all(answer.as_bytes()).await;
                    let _ = client.shutdown().await;
                    return;
                }
                // The request as it came, but for the server to close after its answer.
                let at = request.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
                let mut sent = request[..at].to_vec();
                sent.extend_from_slice(b"connection: close\r\n");
                sent.extend_from_slice(&request[at..]);
                let mut upstream = tokio::net::TcpStream::connect(&server).await.unwrap();
                upstream.write_all(&sent).await.unwrap();
                let mut answer = Vec::new();
                upstream.read_to_end(&mut answer).await.unwrap();
                let answer_head = String::from_utf8_lossy(&answer).to_ascii_lowercase();
                seen_now.status = answer_head.split(' ').nth(1).and_then(|s| s.parse().ok());
                seen_now.replayed =
                    header_of(&answer_head, "idempotent-replayed").as_deref() == Some("true");
                seen.lock().unwrap().push(seen_now);
                if act == Act::Relay {
                    let _ = client.write_all(&answer).await;
                    let _ = client.shutdown().await;
                }
                // LoseAnswer: dropping `client` closes the connection unanswered.
            });
        }
    });
    Proxy { url, seen }
}

/// A whole HTTP/1.1 request: its head, then its body by `Content-Length`, or chunks up to the
/// last one.
async fn read_request(conn: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut seen = Vec::new();
    let mut buf = [0u8; 8192];
    let end = loop {
        if let Some(i) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match conn.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&seen[..end]).to_ascii_lowercase();
    let declared: Option<usize> = header_of(&head, "content-length").map(|v| v.parse().unwrap());
    let chunked = header_of(&head, "transfer-encoding").is_some_and(|v| v.contains("chunked"));
    loop {
        let done = match declared {
            Some(n) => seen.len() >= end + n,
            None => !chunked || seen[end..].ends_with(b"0\r\n\r\n"),
        };
        if done {
            return Some(seen);
        }
        match conn.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// The value of header `name` (lowercase) in an HTTP head.
fn header_of(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}
