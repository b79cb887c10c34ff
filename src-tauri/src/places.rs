//! Where the app works: the organization in this computer's database ("Local"), or an
//! organization on an omni-server the person signed in to ("Connected"). Both stay known at
//! once: the local file stays on disk while the app works on a server, and one click switches.
//!
//! What is remembered between runs (`places.json` beside the database): which place is in use
//! and, per server, its address, what its `/.well-known/omni-configuration` said, and who signed
//! in last (email, name, organization), for the screens. Never a token: the refresh token is in
//! the OS keyring ([`omni_signin::Vault`]), the access token in this process's memory only.
//!
//! Signing in runs the browser flow of [`omni_signin::SignIn`]: the system browser is opened on
//! the authorization URL by the opener (`OMNI_BROWSER`, a command given the URL, replaces the
//! system's for tests), the loopback listener waits at most [`SIGN_IN_WAIT`], and Cancel in the
//! app stops it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use omni_client::{Credentials, ServerOrganization};
use omni_core::error::Result;
use omni_core::model::{Id, Role};
use omni_core::{Error, ErrorCode, Reason};
use omni_requests::{Answer, Organization};
use omni_signin::{AccountKey, Canceller, Secret, ServerConfig, Session, SignIn, Vault, VaultKind};
use serde::{Deserialize, Serialize};

use crate::connected::ConnectedOrganization;
use crate::state::now;
use omni_core::model::Timestamp;
use omni_store::{SqliteFootprint, Store};

/// How long the app waits for the browser's sign-in before it gives up.
pub const SIGN_IN_WAIT: Duration = Duration::from_secs(5 * 60);

/// A place the app can work on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlaceKey {
    /// The organization in this computer's database.
    #[default]
    Local,
    /// The organization of whoever signs in to the omni-server at `address`.
    Server { address: String },
}

/// Who signed in to a server last, as shown (nothing secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Account {
    pub email: String,
    pub name: Option<String>,
    pub org_id: Id,
    pub org_name: String,
    pub role: Role,
}

/// A server the app knows.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct KnownServer {
    config: ServerConfig,
    account: Option<Account>,
}

/// What `places.json` holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Remembered {
    current: PlaceKey,
    servers: Vec<KnownServer>,
}

/// A server as the screens show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ServerShown {
    pub address: String,
    /// Signed in now, in this run.
    pub signed_in: bool,
    /// Who signed in last (also when signed out since).
    pub account: Option<Account>,
}

/// The session of a signed-in server, and the organization as the app works on it (read from
/// its local copy, changed on the server).
struct Connected {
    address: String,
    session: Arc<Session>,
    org: Arc<ConnectedOrganization>,
}

/// How the local copy of the server in use stands, as the screens say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// The first download is under way: reads go to the server meanwhile.
    Downloading,
    /// The copy follows the server.
    UpToDate,
    /// The server cannot be reached: the screens show the copy as of `synced_at`.
    Offline,
}

/// The copy's state and when the server was last heard from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SyncShown {
    pub state: SyncState,
    pub synced_at: Option<Timestamp>,
}

struct Inner {
    remembered: Remembered,
    connected: Option<Connected>,
}

/// The places, as the app holds them (one per app).
pub struct Places {
    file: PathBuf,
    /// omni-server's API: bounded connects, no bound on a whole request (an import's upload).
    http: reqwest::Client,
    /// Discovery and the identity provider: every request bounded.
    signin_http: reqwest::Client,
    vault: Arc<dyn Vault>,
    vault_kind: VaultKind,
    inner: tokio::sync::Mutex<Inner>,
    pending: Mutex<Option<Canceller>>,
    /// Whether the place in use is a server (read without waiting for `inner`).
    server_in_use: AtomicBool,
    /// Whether the server in use answered its last request (the feed follower says).
    online: AtomicBool,
}

/// Gives the client the session's access token, and a fresh one when the server refused it.
struct SessionCredentials(Arc<Session>);

impl Credentials for SessionCredentials {
    fn token(&self) -> Answer<'_, String> {
        Box::pin(async move {
            let t = self.0.access_token(now()).await?;
            Ok(t.expose().to_string())
        })
    }
    fn rejected(&self, token: String) -> Answer<'_, String> {
        Box::pin(async move {
            let t = self.0.rejected(&Secret::new(token), now()).await?;
            Ok(t.expose().to_string())
        })
    }
}

fn signed_out() -> Error {
    Error::because(ErrorCode::SignInRequired, Reason::SignedOut)
}

fn poisoned() -> Error {
    Error::internal("The app's state is unavailable after an earlier failure; restart the app.")
}

impl Places {
    /// The places remembered beside the database `db` (none yet: Local). Blocks while it
    /// asks the OS keyring whether it answers: call it at start.
    pub fn open(db: &Path, http: reqwest::Client) -> Result<Places> {
        let signin_http = omni_signin::http_client()?;
        let file = db.with_file_name("places.json");
        let remembered = std::fs::read(&file)
            .ok()
            .and_then(|b| serde_json::from_slice::<Remembered>(&b).ok())
            .unwrap_or_default();
        let (vault, vault_kind) = omni_signin::open_vault();
        let server_in_use = AtomicBool::new(remembered.current != PlaceKey::Local);
        Ok(Places {
            online: AtomicBool::new(true),
            server_in_use,
            file,
            http,
            signin_http,
            vault,
            vault_kind,
            inner: tokio::sync::Mutex::new(Inner {
                remembered,
                connected: None,
            }),
            pending: Mutex::new(None),
        })
    }

    /// Why sessions last only until the app closes, when no OS keyring keeps them (none
    /// answers, or it refused the session of the server in use).
    pub async fn storage_note(&self) -> Option<String> {
        if let VaultKind::MemoryOnly { why } = &self.vault_kind {
            return Some(why.clone());
        }
        let inner = self.inner.lock().await;
        inner
            .connected
            .as_ref()
            .and_then(|c| c.session.vault_problem())
    }

    /// Whether the place in use is a server.
    pub fn on_server(&self) -> bool {
        self.server_in_use.load(Ordering::SeqCst)
    }

    /// The place in use.
    pub async fn current(&self) -> PlaceKey {
        self.inner.lock().await.remembered.current.clone()
    }

    /// The servers known, for the screens.
    pub async fn servers(&self) -> Vec<ServerShown> {
        let inner = self.inner.lock().await;
        inner
            .remembered
            .servers
            .iter()
            .map(|s| ServerShown {
                address: s.config.server.clone(),
                signed_in: inner
                    .connected
                    .as_ref()
                    .is_some_and(|c| c.address == s.config.server),
                account: s.account.clone(),
            })
            .collect()
    }

    /// The organization of the signed-in server in use (SignInRequired when nobody is).
    pub async fn server_org(&self) -> Result<Arc<dyn Organization>> {
        let inner = self.inner.lock().await;
        let PlaceKey::Server { address } = &inner.remembered.current else {
            return Err(signed_out());
        };
        match &inner.connected {
            Some(c) if &c.address == address => Ok(c.org.clone()),
            _ => Err(signed_out()),
        }
    }

    /// Whether the server in use can be reached; answers whether that changed.
    pub fn set_online(&self, online: bool) -> bool {
        self.online.swap(online, Ordering::SeqCst) != online
    }

    /// How the copy of the server in use stands (None: no server in use, or signed out).
    pub async fn sync_shown(&self) -> Option<SyncShown> {
        let (_, org) = self.followed().await?;
        let status = org.copy.status().await.ok().flatten();
        let online = self.online.load(Ordering::SeqCst);
        Some(match status {
            None => SyncShown {
                state: SyncState::Downloading,
                synced_at: None,
            },
            Some(s) => SyncShown {
                state: if online {
                    SyncState::UpToDate
                } else {
                    SyncState::Offline
                },
                synced_at: s.synced_at,
            },
        })
    }

    /// The signed-in server organization in use, by address: what the change follower
    /// ([`crate::follow`]) polls.
    pub async fn followed(&self) -> Option<(String, Arc<ConnectedOrganization>)> {
        let inner = self.inner.lock().await;
        let PlaceKey::Server { address } = &inner.remembered.current else {
            return None;
        };
        inner
            .connected
            .as_ref()
            .filter(|c| &c.address == address)
            .map(|c| (c.address.clone(), c.org.clone()))
    }

    /// Who is signed in to the server in use, as last confirmed by it.
    pub async fn account(&self) -> Option<Account> {
        let inner = self.inner.lock().await;
        let PlaceKey::Server { address } = &inner.remembered.current else {
            return None;
        };
        inner
            .remembered
            .servers
            .iter()
            .find(|s| &s.config.server == address)
            .and_then(|s| s.account.clone())
    }

    /// Reads what the server at `address` says about signing in, and remembers it.
    pub async fn connect(&self, address: &str) -> Result<ServerShown> {
        let config = omni_signin::discover(&self.signin_http, address).await?;
        let mut inner = self.inner.lock().await;
        let server = config.server.clone();
        let known = inner
            .remembered
            .servers
            .iter_mut()
            .find(|s| s.config.server == server);
        let account = match known {
            Some(k) => {
                k.config = config;
                k.account.clone()
            }
            None => {
                inner.remembered.servers.push(KnownServer {
                    config,
                    account: None,
                });
                None
            }
        };
        self.save(&inner.remembered)?;
        Ok(ServerShown {
            signed_in: inner
                .connected
                .as_ref()
                .is_some_and(|c| c.address == server),
            address: server,
            account,
        })
    }

    fn config_of(&self, inner: &Inner, address: &str) -> Option<ServerConfig> {
        inner
            .remembered
            .servers
            .iter()
            .find(|s| s.config.server == address)
            .map(|s| s.config.clone())
    }

    /// Signs in to the known server at `address` in the system browser (opened by `open`), and
    /// makes it the place in use. Waits for the browser at most [`SIGN_IN_WAIT`];
    /// [`Places::cancel_sign_in`] stops it.
    pub async fn sign_in(
        &self,
        address: &str,
        open: impl FnOnce(&str) -> Result<()>,
    ) -> Result<()> {
        let config = {
            let inner = self.inner.lock().await;
            self.config_of(&inner, address)
        };
        let config = match config {
            Some(c) => c,
            None => {
                self.connect(address).await?;
                let inner = self.inner.lock().await;
                self.config_of(&inner, address).ok_or_else(signed_out)?
            }
        };
        let attempt = SignIn::start(&self.signin_http, &config)?;
        *self.pending.lock().map_err(|_| poisoned())? = Some(attempt.canceller());
        let opened = open(attempt.url());
        let tokens = match opened {
            Ok(()) => attempt.finish(SIGN_IN_WAIT, now).await,
            Err(e) => {
                attempt.canceller().cancel();
                Err(e)
            }
        };
        *self.pending.lock().map_err(|_| poisoned())? = None;
        let tokens = tokens?;
        let key = AccountKey::for_server(&config);
        let session =
            Session::new(&self.signin_http, &config, key, tokens, self.vault.clone()).await;
        self.start_session(config, Arc::new(session)).await
    }

    /// Stops a sign-in waiting for the browser.
    pub fn cancel_sign_in(&self) {
        if let Ok(mut pending) = self.pending.lock() {
            if let Some(c) = pending.take() {
                c.cancel();
            }
        }
    }

    /// Asks the server who signed in, then makes it the place in use.
    async fn start_session(&self, config: ServerConfig, session: Arc<Session>) -> Result<()> {
        let credentials: Arc<dyn Credentials> = Arc::new(SessionCredentials(session.clone()));
        let server = omni_client::Url::parse(&config.server).map_err(|_| {
            Error::because(
                ErrorCode::InvalidInput,
                Reason::ServerAddressInvalid {
                    address: config.server.clone(),
                },
            )
        })?;
        let me = omni_client::my_org(&self.http, &server, credentials.clone()).await?;
        let account = Account {
            email: me.user.email.clone(),
            name: session.claims().await.and_then(|c| c.name),
            org_id: me.org.id,
            org_name: me.org.name.clone(),
            role: me.role,
        };
        let server_org = Arc::new(ServerOrganization::new(
            server,
            me.org.id,
            self.http.clone(),
            credentials,
        ));
        let copy_file = self.copy_file(&config.server, me.org.id);
        let copy_store = Store::open_with(&copy_file, SqliteFootprint::DESKTOP).await?;
        let copy = omni_sync::Copy::new(copy_store, me.org.id);
        let org = Arc::new(ConnectedOrganization::new(server_org, copy, me.user.id));
        let mut inner = self.inner.lock().await;
        if let Some(k) = inner
            .remembered
            .servers
            .iter_mut()
            .find(|s| s.config.server == config.server)
        {
            k.account = Some(account);
        }
        inner.remembered.current = PlaceKey::Server {
            address: config.server.clone(),
        };
        inner.connected = Some(Connected {
            address: config.server,
            session,
            org,
        });
        self.save(&inner.remembered)
    }

    /// At start: when the place in use is a server and the keyring holds its session, signs in
    /// again without the browser. When the session has ended, the place stays, signed out.
    pub async fn resume(&self) -> Result<()> {
        let config = {
            let inner = self.inner.lock().await;
            let PlaceKey::Server { address } = &inner.remembered.current else {
                return Ok(());
            };
            match self.config_of(&inner, address) {
                Some(c) => c,
                None => return Ok(()),
            }
        };
        let key = AccountKey::for_server(&config);
        let restored =
            Session::restore(&self.signin_http, &config, key, self.vault.clone(), now()).await?;
        match restored {
            Some(session) => self.start_session(config, Arc::new(session)).await,
            None => Ok(()),
        }
    }

    /// Forgets the session of the server in use once it has ended (its refresh was refused: the
    /// session already removed its keyring entry), so the screens say it is signed out.
    pub async fn session_ended(&self) {
        self.inner.lock().await.connected = None;
    }

    /// Signs out of the server in use: its keyring entry and tokens go; the place stays.
    pub async fn sign_out(&self) -> Result<()> {
        let mut inner = self.inner.lock().await;
        if let Some(c) = inner.connected.take() {
            c.session.sign_out().await?;
        }
        Ok(())
    }

    /// Makes `place` the one in use (a server must be known; signing in is separate).
    pub async fn use_place(&self, place: PlaceKey) -> Result<()> {
        let mut inner = self.inner.lock().await;
        if let PlaceKey::Server { address } = &place {
            if self.config_of(&inner, address).is_none() {
                return Err(Error::because(
                    ErrorCode::NotFound,
                    Reason::NotAnOmniServer {
                        address: address.clone(),
                    },
                ));
            }
        }
        inner.remembered.current = place;
        self.save(&inner.remembered)
    }

    /// The local copy's file of organization `org` on `server`, beside the places: one per
    /// connection.
    fn copy_file(&self, server: &str, org: Id) -> PathBuf {
        let name: String = server
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        self.file.with_file_name(format!("copy-{name}-{org}.db"))
    }

    fn save(&self, remembered: &Remembered) -> Result<()> {
        self.server_in_use
            .store(remembered.current != PlaceKey::Local, Ordering::SeqCst);
        let bytes = serde_json::to_vec_pretty(remembered)
            .map_err(|e| Error::internal(format!("Cannot save the places: {e}.")))?;
        let tmp = self.file.with_extension("json.tmp");
        std::fs::write(&tmp, bytes)
            .and_then(|()| std::fs::rename(&tmp, &self.file))
            .map_err(|e| {
                Error::because(
                    ErrorCode::InvalidInput,
                    Reason::CannotWriteFile {
                        path: self.file.display().to_string(),
                        detail: e.to_string(),
                    },
                )
            })
    }
}
