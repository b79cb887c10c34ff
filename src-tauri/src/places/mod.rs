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
//! app stops it ([`session`]).

mod remembered;
mod session;

pub use remembered::{Account, PlaceKey, ServerShown, SyncShown, SyncState};
use remembered::{KnownServer, Remembered};
pub use session::SIGN_IN_WAIT;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use omni_core::error::Result;
use omni_core::model::Id;
use omni_core::{Error, ErrorCode, Reason};
use omni_requests::Organization;
use omni_signin::{Canceller, ServerConfig, Vault, VaultKind};

use crate::connected::ConnectedOrganization;

/// The session of a signed-in server, and the organization as the app works on it (read from
/// its local copy, changed on the server).
struct Connected {
    address: String,
    session: Arc<session::SessionCredentials>,
    org: Arc<ConnectedOrganization>,
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
        let session = {
            let inner = self.inner.lock().await;
            inner.connected.as_ref().map(|c| c.session.clone())?
        };
        session.vault_problem().await
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
        let (waiting, needs_attention) = org.outbox_counts().await.unwrap_or_default();
        Some(match status {
            None => SyncShown {
                state: SyncState::Downloading,
                synced_at: None,
                waiting,
                needs_attention,
                percent: org.download_percent(),
            },
            Some(s) => SyncShown {
                state: if online {
                    SyncState::UpToDate
                } else {
                    SyncState::Offline
                },
                synced_at: s.synced_at,
                waiting,
                needs_attention,
                percent: None,
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
