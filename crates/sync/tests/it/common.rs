//! Fixtures: the OpenID provider minting real tokens for the owner of organization A
//! (tenant-a), an omni-server on its own SQLite database with a clock the test can move, and a
//! copy of the organization in a file of its own.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use omni_client::{Credentials, ServerOrganization, Url};
use omni_core::model::{Id, Timestamp};
use omni_core::Email;
use omni_server::auth::Verifier;
use omni_server::clock::{Clock, OffsetClock};
use omni_server::{AppState, Config};
use omni_store::{Caller, Store};
use omni_sync::Copy;

pub fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

/// The owner's session: a real delegated token, minted afresh when the server refuses one.
pub struct Owner {
    current: Mutex<Option<String>>,
}

impl Owner {
    pub fn new() -> Owner {
        Owner {
            current: Mutex::new(None),
        }
    }

    async fn mint() -> String {
        let person = [
            ("person_oid", "oid-admin-a".to_string()),
            ("person_email", "owner@a.example".to_string()),
            ("person_scp", "access_as_user".to_string()),
        ];
        omni_test_oidc::client_credentials("tenant-a", "api://omni", &person).await
    }
}

impl Credentials for Owner {
    fn token(&self) -> BoxFuture<'_, omni_core::error::Result<String>> {
        Box::pin(async move {
            let held = self.current.lock().unwrap().clone();
            match held {
                Some(t) => Ok(t),
                None => {
                    let t = Owner::mint().await;
                    *self.current.lock().unwrap() = Some(t.clone());
                    Ok(t)
                }
            }
        })
    }

    fn rejected(&self, _token: String) -> BoxFuture<'_, omni_core::error::Result<String>> {
        Box::pin(async move {
            let t = Owner::mint().await;
            *self.current.lock().unwrap() = Some(t.clone());
            Ok(t)
        })
    }
}

pub struct Server {
    pub url: Url,
    pub store: Store,
    pub owner: Caller,
    pub clock: Arc<OffsetClock>,
    pub dir: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    /// omni-server in this process, on a new SQLite database, with organization A of tenant-a
    /// and `seats` seats.
    pub async fn start(seats: i64) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("omni.db").display());
        let store = Store::connect_bounded(&url, 8, omni_store::Patience::SERVER)
            .await
            .unwrap();
        let clock = Arc::new(OffsetClock::default());
        let owner = store
            .create_org(
                "A",
                &email("owner@a.example"),
                seats,
                Some("tenant-a"),
                clock.now(),
            )
            .await
            .unwrap();
        let config = Config {
            authority: format!("http://127.0.0.1:{}", omni_test_oidc::port()),
            audience: "api://omni".into(),
            client_id: "desktop".into(),
            upload_dir: Some(dir.path().join("uploads")),
            ..Config::default()
        };
        let verifier = Verifier::new(&config.authority, &config.audience, config.leeway_secs);
        let state = AppState::with_verifier(
            store.clone(),
            config,
            clock.clone() as Arc<dyn Clock>,
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
            clock,
            dir,
            _shutdown: tx,
        }
    }

    pub fn org(&self) -> Id {
        self.owner.org
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Organization A as its owner reaches it through the client.
    pub fn client(&self) -> ServerOrganization {
        ServerOrganization::new(
            self.url.clone(),
            self.org(),
            omni_client::http_client().unwrap(),
            Arc::new(Owner {
                current: Mutex::new(None),
            }),
        )
    }

    /// Where this test's copy lives.
    pub fn copy_file(&self) -> PathBuf {
        self.dir.path().join("copy").join("copy.db")
    }

    /// The copy, opened (again) on its file.
    pub async fn copy(&self) -> Copy {
        Copy::new(Store::open(&self.copy_file()).await.unwrap(), self.org())
    }
}

/// A fresh token of the owner, for a client in another process.
pub async fn owner_token() -> String {
    Owner::mint().await
}

/// A token given once (a client process's): sent as it is, and again when refused.
pub struct Fixed(pub String);

impl Credentials for Fixed {
    fn token(&self) -> BoxFuture<'_, omni_core::error::Result<String>> {
        Box::pin(async move { Ok(self.0.clone()) })
    }

    fn rejected(&self, _token: String) -> BoxFuture<'_, omni_core::error::Result<String>> {
        Box::pin(async move { Ok(self.0.clone()) })
    }
}

/// A TCP proxy in front of the server that the test can cut: while cut it hangs up on every
/// new connection and has dropped the open ones (a request in flight may have reached the
/// server, its answer lost), so the client behind it is offline.
pub struct Cuttable {
    pub url: Url,
    up: Arc<std::sync::atomic::AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
}

impl Cuttable {
    pub async fn start(upstream: &Url) -> Cuttable {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        let server = format!(
            "{}:{}",
            upstream.host_str().unwrap(),
            upstream.port().unwrap()
        );
        let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let (cut, _) = tokio::sync::watch::channel(0u64);
        let (up2, cut2) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !up2.load(std::sync::atomic::Ordering::SeqCst) {
                    continue;
                }
                let mut cutting = cut2.subscribe();
                let server = server.clone();
                tokio::spawn(async move {
                    let Ok(mut upstream) = tokio::net::TcpStream::connect(&server).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {}
                        _ = cutting.changed() => {}
                    }
                });
            }
        });
        Cuttable { url, up, cut }
    }

    /// Online (`true`) or cut.
    pub fn set_up(&self, up: bool) {
        self.up.store(up, std::sync::atomic::Ordering::SeqCst);
        if !up {
            self.cut.send_modify(|n| *n += 1);
        }
    }
}

pub fn no_progress() -> omni_requests::ProgressSink {
    Arc::new(|_| {})
}
