//! Signing in to a server and keeping the session: the browser flow (omni-signin), the session
//! handed to the client as its credentials, its start after a sign-in or from the keyring at
//! start, its end (refused, or signed out).

use std::sync::Arc;
use std::time::Duration;

use omni_client::{Credentials, ServerOrganization};
use omni_core::error::Result;
use omni_core::{Error, ErrorCode, Reason};
use omni_requests::Answer;
use omni_signin::{AccountKey, Secret, ServerConfig, Session, SignIn, Vault};
use omni_store::{SqliteFootprint, Store};

use super::{poisoned, signed_out, Account, Connected, PlaceKey, Places};
use crate::connected::ConnectedOrganization;
use crate::state::now;

/// How long the app waits for the browser's sign-in before it gives up.
pub const SIGN_IN_WAIT: Duration = Duration::from_secs(5 * 60);

/// Gives the client the session's access token, and a fresh one when the server refused it.
/// At a start with the server out of reach, there is no session yet: it is restored from the
/// keyring at the first request the server answers, so a copy opened offline goes back online
/// by itself.
pub(super) struct SessionCredentials {
    session: tokio::sync::Mutex<Option<Arc<Session>>>,
    restore: Option<Restore>,
}

/// What restoring a session from the keyring needs.
struct Restore {
    http: reqwest::Client,
    config: ServerConfig,
    key: AccountKey,
    vault: Arc<dyn Vault>,
}

impl SessionCredentials {
    fn signed_in(session: Session) -> SessionCredentials {
        SessionCredentials {
            session: tokio::sync::Mutex::new(Some(Arc::new(session))),
            restore: None,
        }
    }

    /// The session, restored from the keyring first when there is none yet.
    async fn session(&self) -> Result<Arc<Session>> {
        let mut slot = self.session.lock().await;
        if let Some(s) = slot.as_ref() {
            return Ok(s.clone());
        }
        let Some(r) = &self.restore else {
            return Err(signed_out());
        };
        let restored =
            Session::restore(&r.http, &r.config, r.key.clone(), r.vault.clone(), now()).await?;
        let session = Arc::new(
            restored
                .ok_or_else(|| Error::because(ErrorCode::SignInRequired, Reason::SignInAgain))?,
        );
        *slot = Some(session.clone());
        Ok(session)
    }

    /// Why the session is kept in memory only, when the keyring refused it.
    pub(super) async fn vault_problem(&self) -> Option<String> {
        self.session
            .lock()
            .await
            .as_ref()
            .and_then(|s| s.vault_problem())
    }

    async fn name(&self) -> Option<String> {
        let session = self.session.lock().await.clone()?;
        session.claims().await.and_then(|c| c.name)
    }

    /// Signs out: the keyring entry and the tokens go (a session never restored has only its
    /// keyring entry).
    async fn sign_out(&self) -> Result<()> {
        let session = self.session.lock().await.take();
        match (session, &self.restore) {
            (Some(s), _) => s.sign_out().await,
            (None, Some(r)) => r.vault.delete(&r.key),
            (None, None) => Ok(()),
        }
    }
}

impl Credentials for SessionCredentials {
    fn token(&self) -> Answer<'_, String> {
        Box::pin(async move {
            let t = self.session().await?.access_token(now()).await?;
            Ok(t.expose().to_string())
        })
    }
    fn rejected(&self, token: String) -> Answer<'_, String> {
        Box::pin(async move {
            let session = self.session().await?;
            let t = session.rejected(&Secret::new(token), now()).await?;
            Ok(t.expose().to_string())
        })
    }
}

fn server_url(config: &ServerConfig) -> Result<omni_client::Url> {
    omni_client::Url::parse(&config.server).map_err(|_| {
        Error::because(
            ErrorCode::InvalidInput,
            Reason::ServerAddressInvalid {
                address: config.server.clone(),
            },
        )
    })
}

impl Places {
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
        let credentials = Arc::new(SessionCredentials::signed_in(session));
        self.start_session(config, credentials).await
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
    async fn start_session(
        &self,
        config: ServerConfig,
        credentials: Arc<SessionCredentials>,
    ) -> Result<()> {
        let server = server_url(&config)?;
        let me = omni_client::my_org(&self.http, &server, credentials.clone()).await?;
        let account = Account {
            email: me.user.email.clone(),
            name: credentials.name().await,
            org_id: me.org.id,
            org_name: me.org.name.clone(),
            role: me.role,
            user_id: Some(me.user.id),
        };
        self.open_copy(config.clone(), credentials, &account, true)
            .await?;
        let mut inner = self.inner.lock().await;
        if let Some(k) = inner
            .remembered
            .servers
            .iter_mut()
            .find(|s| s.config.server == config.server)
        {
            k.account = Some(account);
        }
        self.save(&inner.remembered)
    }

    /// Works on the server's organization as `account`, reading its local copy, and makes it
    /// the place in use; `online`: the server has just answered.
    async fn open_copy(
        &self,
        config: ServerConfig,
        credentials: Arc<SessionCredentials>,
        account: &Account,
        online: bool,
    ) -> Result<()> {
        let user = account.user_id.ok_or_else(signed_out)?;
        let server_org = Arc::new(ServerOrganization::new(
            server_url(&config)?,
            account.org_id,
            self.http.clone(),
            credentials.clone(),
        ));
        let copy_file = self.copy_file(&config.server, account.org_id);
        let copy_store = Store::open_with(&copy_file, SqliteFootprint::DESKTOP).await?;
        let copy = omni_sync::Copy::new(copy_store, account.org_id);
        if !online && copy.status().await?.is_none() {
            // Nothing downloaded yet: nothing to show until the server answers.
            return Err(Error::because(
                ErrorCode::Unreachable,
                Reason::ServerUnreachable {
                    address: config.server.clone(),
                    detail: "no copy of the organization on this computer yet".into(),
                },
            ));
        }
        let org = Arc::new(ConnectedOrganization::new(server_org, copy, user));
        self.set_online(online);
        let mut inner = self.inner.lock().await;
        inner.remembered.current = PlaceKey::Server {
            address: config.server.clone(),
        };
        inner.connected = Some(Connected {
            address: config.server,
            session: credentials,
            org,
        });
        self.save(&inner.remembered)
    }

    /// At start: when the place in use is a server and the keyring holds its session, signs in
    /// again without the browser. When the server cannot be reached, the app opens the local
    /// copy as last synced (offline), and the session comes back from the keyring once the
    /// server answers. When the session has ended, the place stays, signed out.
    pub async fn resume(&self) -> Result<()> {
        let (config, account) = {
            let inner = self.inner.lock().await;
            let PlaceKey::Server { address } = &inner.remembered.current else {
                return Ok(());
            };
            let known = inner
                .remembered
                .servers
                .iter()
                .find(|s| &s.config.server == address);
            match known {
                Some(k) => (k.config.clone(), k.account.clone()),
                None => return Ok(()),
            }
        };
        let credentials = Arc::new(SessionCredentials {
            session: tokio::sync::Mutex::new(None),
            restore: Some(Restore {
                http: self.signin_http.clone(),
                key: AccountKey::for_server(&config),
                config: config.clone(),
                vault: self.vault.clone(),
            }),
        });
        match self
            .start_session(config.clone(), credentials.clone())
            .await
        {
            Err(e) if crate::connected::offline(&e) => match account {
                Some(a) => self.open_copy(config, credentials, &a, false).await,
                None => Err(e),
            },
            // No session kept (or it ended): signed out, the place stays.
            Err(e) if e.code == ErrorCode::SignInRequired => Ok(()),
            other => other,
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
}
