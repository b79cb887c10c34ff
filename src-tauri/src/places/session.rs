//! Signing in to a server and keeping the session: the browser flow (omni-signin), the session
//! handed to the client as its credentials, its start after a sign-in or from the keyring at
//! start, its end (refused, or signed out).

use std::sync::Arc;
use std::time::Duration;

use omni_client::{Credentials, ServerOrganization};
use omni_core::error::Result;
use omni_core::{Error, ErrorCode, Reason};
use omni_requests::Answer;
use omni_signin::{AccountKey, Secret, ServerConfig, Session, SignIn};
use omni_store::{SqliteFootprint, Store};

use super::{poisoned, signed_out, Account, Connected, PlaceKey, Places};
use crate::connected::ConnectedOrganization;
use crate::state::now;

/// How long the app waits for the browser's sign-in before it gives up.
pub const SIGN_IN_WAIT: Duration = Duration::from_secs(5 * 60);

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
}
