//! A signed-in session: the current access token, refreshed before it expires, and the refresh
//! token in the vault.
//!
//! Refresh tokens rotate at every use, and two refreshes racing with the same refresh token
//! can end a session (the provider may treat the second as a replay). So refreshing happens in
//! one place, one at a time: every caller takes the same lock, and whoever finds the token
//! still expiring refreshes while the others wait, then find the new one. A caller whose token
//! the server refused says which token ([`Session::rejected`]): if another caller replaced it
//! meanwhile, it gets the new one without another request.
//!
//! A refused refresh (`invalid_grant` and the like) ends the session for good: the vault entry
//! is deleted and every later call answers SignInRequired without asking the provider again,
//! so a refused session never loops. A refresh that gets no answer keeps the session: the
//! next call tries again.

use std::sync::{Arc, Mutex as StdMutex};

use oauth2::basic::BasicClient;
use oauth2::{ClientId, RefreshToken, Scope, TokenUrl};
use omni_core::{Error, ErrorCode, Reason, Timestamp};
use tokio::sync::Mutex;

use crate::claims::Claims;
use crate::discover::ServerConfig;
use crate::http::{send, token_failure, TokenFailure};
use crate::tokens::{Secret, Tokens};
use crate::vault::{AccountKey, Vault};

/// An access token that expires within this many milliseconds is refreshed first: it could
/// expire on its way to the server.
pub(crate) const REFRESH_MARGIN_MS: i64 = 60_000;

/// A signed-in session with one server. Clones share it (one refresh for all of them).
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: ServerConfig,
    account: AccountKey,
    vault: Arc<dyn Vault>,
    state: Mutex<State>,
    vault_problem: StdMutex<Option<String>>,
}

enum State {
    Live(Tokens),
    /// Ended: SignInAgain (refused) or SignedOut.
    Ended(Reason),
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("server", &self.inner.config.server)
            .field("account", &self.inner.account)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// The session of a sign-in that just finished: stores the refresh token (when there is
    /// one) in `vault` under `account`, replacing any. When the vault refuses, the session
    /// still works, in memory only: [`Session::vault_problem`] says why.
    pub async fn new(
        http: &reqwest::Client,
        config: &ServerConfig,
        account: AccountKey,
        tokens: Tokens,
        vault: Arc<dyn Vault>,
    ) -> Session {
        let refresh = tokens.refresh.clone();
        let session = Session::with(http, config, account, vault, State::Live(tokens));
        session.store(refresh).await;
        session
    }

    /// The session kept in `vault` under `account`, refreshed now; None when the vault holds
    /// none. Errors: SignInRequired + SignInAgain when the provider refuses the stored token
    /// (the entry is deleted); Unreachable when it does not answer (the entry stays: try
    /// again later); Internal when the vault fails.
    pub async fn restore(
        http: &reqwest::Client,
        config: &ServerConfig,
        account: AccountKey,
        vault: Arc<dyn Vault>,
        now: Timestamp,
    ) -> Result<Option<Session>, Error> {
        let stored = {
            let (vault, account) = (vault.clone(), account.clone());
            blocking(move || vault.load(&account)).await?
        };
        let Some(refresh) = stored else {
            return Ok(None);
        };
        let tokens = Tokens {
            access: Secret::new(""),
            expires_at: Timestamp(i64::MIN),
            refresh: Some(refresh),
        };
        let session = Session::with(http, config, account, vault, State::Live(tokens));
        session.access_token(now).await?;
        Ok(Some(session))
    }

    fn with(
        http: &reqwest::Client,
        config: &ServerConfig,
        account: AccountKey,
        vault: Arc<dyn Vault>,
        state: State,
    ) -> Session {
        Session {
            inner: Arc::new(Inner {
                http: http.clone(),
                config: config.clone(),
                account,
                vault,
                state: Mutex::new(state),
                vault_problem: StdMutex::new(None),
            }),
        }
    }

    /// The access token to send now: the current one, or a refreshed one when it expires
    /// within a minute of `now`. Errors: SignInRequired (+ SignInAgain or SignedOut) once the
    /// session has ended; Unreachable when the provider does not answer.
    pub async fn access_token(&self, now: Timestamp) -> Result<Secret, Error> {
        let mut state = self.inner.state.lock().await;
        match &*state {
            State::Ended(reason) => Err(ended(reason)),
            State::Live(tokens)
                if tokens.expires_at.0.saturating_sub(REFRESH_MARGIN_MS) > now.0 =>
            {
                Ok(tokens.access.clone())
            }
            State::Live(_) => self.refresh(&mut state, now).await,
        }
    }

    /// The server refused `token` (401): a fresh token, refreshed now unless another caller
    /// already replaced `token` (then the current one, without a request).
    pub async fn rejected(&self, token: &Secret, now: Timestamp) -> Result<Secret, Error> {
        let mut state = self.inner.state.lock().await;
        match &*state {
            State::Ended(reason) => Err(ended(reason)),
            State::Live(tokens) if tokens.access != *token => Ok(tokens.access.clone()),
            State::Live(_) => self.refresh(&mut state, now).await,
        }
    }

    /// Forgets the tokens and deletes the vault entry. Later calls answer SignInRequired +
    /// SignedOut. The error is the vault's, when it cannot delete (the tokens are forgotten
    /// anyway).
    pub async fn sign_out(&self) -> Result<(), Error> {
        let mut state = self.inner.state.lock().await;
        *state = State::Ended(Reason::SignedOut);
        self.delete_stored().await
    }

    /// What the current access token says about the person (no refresh, no request); None
    /// once the session has ended or when the token is not a JWT.
    pub async fn claims(&self) -> Option<Claims> {
        match &*self.inner.state.lock().await {
            State::Live(tokens) => tokens.claims(),
            State::Ended(_) => None,
        }
    }

    /// Why the refresh token is not in the vault, when the vault refused it (the session then
    /// lives in memory only).
    pub fn vault_problem(&self) -> Option<String> {
        self.inner
            .vault_problem
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    pub fn account(&self) -> &AccountKey {
        &self.inner.account
    }

    /// One refresh, under the lock `state` is guarded by.
    async fn refresh(&self, state: &mut State, now: Timestamp) -> Result<Secret, Error> {
        let State::Live(tokens) = &*state else {
            return Err(Error::internal("The session has ended."));
        };
        let Some(refresh) = tokens.refresh.clone() else {
            // No refresh token (no offline_access): the session ends with its access token.
            return Err(self.end(state).await);
        };
        let config = &self.inner.config;
        let client = BasicClient::new(ClientId::new(config.client_id.clone())).set_token_uri(
            TokenUrl::new(config.token_endpoint.clone())
                .map_err(|e| Error::internal(format!("The token endpoint is not a URL: {e}.")))?,
        );
        let http = self.inner.http.clone();
        let transport = |request| send(http.clone(), request);
        let answer = client
            .exchange_refresh_token(&RefreshToken::new(refresh.expose().to_string()))
            .add_scopes(config.scopes.iter().cloned().map(Scope::new))
            .request_async(&transport)
            .await;
        match answer {
            Ok(response) => {
                let mut fresh = Tokens::from_response(&response, now);
                match &fresh.refresh {
                    Some(rotated) if *rotated != refresh => {
                        self.store(Some(rotated.clone())).await;
                    }
                    Some(_) => {}
                    // RFC 6749 §6: the provider may keep the refresh token as it is.
                    None => fresh.refresh = Some(refresh),
                }
                let access = fresh.access.clone();
                *state = State::Live(fresh);
                Ok(access)
            }
            Err(e) => match token_failure(e, &config.token_endpoint) {
                TokenFailure::Refused(_) => Err(self.end(state).await),
                TokenFailure::NoAnswer(e) => Err(e),
            },
        }
    }

    /// Ends the session after a refusal: the vault entry goes, later calls answer
    /// SignInRequired + SignInAgain.
    async fn end(&self, state: &mut State) -> Error {
        *state = State::Ended(Reason::SignInAgain);
        // The session is over either way; a vault that cannot delete shows at the next start
        // as a refused restore, which deletes again.
        let _ = self.delete_stored().await;
        ended(&Reason::SignInAgain)
    }

    /// Stores `refresh` in the vault (or deletes the entry when there is none), noting a
    /// refusal in [`Session::vault_problem`].
    async fn store(&self, refresh: Option<Secret>) {
        let (vault, account) = (self.inner.vault.clone(), self.inner.account.clone());
        let outcome = blocking(move || match refresh {
            Some(secret) => vault.save(&account, &secret).inspect_err(|_| {
                // An older token under this name would restore a session that is not this
                // one: remove it.
                let _ = vault.delete(&account);
            }),
            None => vault.delete(&account),
        })
        .await;
        *self
            .inner
            .vault_problem
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = outcome.err().map(|e| e.message);
    }

    async fn delete_stored(&self) -> Result<(), Error> {
        let (vault, account) = (self.inner.vault.clone(), self.inner.account.clone());
        blocking(move || vault.delete(&account)).await
    }
}

fn ended(reason: &Reason) -> Error {
    Error::because(ErrorCode::SignInRequired, reason.clone())
}

/// `f` on tokio's blocking threads (keyring calls block on D-Bus or a system call).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::internal(format!("The keyring call stopped: {e}.")))?
}
