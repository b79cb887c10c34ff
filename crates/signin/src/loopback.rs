//! One sign-in in the browser (RFC 8252 §7.3, with PKCE, RFC 7636): a listener on
//! `127.0.0.1` and a port the system picks, which lives until the provider redirects the
//! browser to it with a code (or an error), the person cancels, or the wait runs out.
//!
//! It binds 127.0.0.1, never 0.0.0.0 (Windows would ask about its firewall, and another
//! computer could reach it) nor `localhost` (which may resolve to `::1` while the redirect
//! names 127.0.0.1). Only `/callback` with this attempt's `state` counts: any other request is
//! answered and forgotten, so a stray tab or a favicon request cannot end the sign-in. Each
//! connection is read on a task of its own with a timeout, so a connection that says nothing
//! (browsers open them ahead of time) cannot hold the listener up.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, TokenUrl,
};
use omni_core::{Error, ErrorCode, Reason, Timestamp};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

use crate::discover::ServerConfig;
use crate::http::{send, shorten, token_failure, TokenFailure};
use crate::tokens::Tokens;

/// How long a connection to the listener may take to send its request line and headers.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long writing the answer page may take.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// The most read of one request's head (a redirect with a code is well under 4 KB).
const MAX_HEAD: usize = 16 * 1024;
/// Random bytes of `state` (256 bits; RFC 6749 §10.10 asks for at least 128).
const STATE_BYTES: u32 = 32;

const PAGE_DONE: &str =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>Power Omni Admin</title></head>\
<body><p>You can close this tab and return to Power Omni Admin.</p></body></html>";
const PAGE_REFUSED: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Power Omni Admin</title></head>\
<body><p>The sign-in was refused. You can close this tab and return to Power Omni Admin.</p></body></html>";
const PAGE_NOT_OURS: &str =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>Power Omni Admin</title></head>\
<body><p>This sign-in link is not the one Power Omni Admin is waiting for.</p></body></html>";
const PAGE_NOT_FOUND: &str =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>Power Omni Admin</title></head>\
<body><p>Not found.</p></body></html>";

/// Stops a waiting [`SignIn::finish`] from anywhere (a Cancel button): it ends with
/// `Cancelled` + SignInCancelled and the listener closes. Cancelling after the end does
/// nothing.
#[derive(Clone)]
pub struct Canceller(Arc<watch::Sender<bool>>);

impl Canceller {
    pub fn cancel(&self) {
        self.0.send_replace(true);
    }
}

/// A sign-in under way: the listener is bound, [`SignIn::url`] is what the browser opens.
pub struct SignIn {
    listener: std::net::TcpListener,
    url: String,
    redirect_uri: String,
    state: String,
    verifier: PkceCodeVerifier,
    http: reqwest::Client,
    config: ServerConfig,
    cancel: Canceller,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

/// What a request to the listener asked.
#[derive(Debug, PartialEq, Eq)]
enum Callback {
    /// The provider's redirect with a code for this attempt.
    Code(String),
    /// The provider's redirect with an error for this attempt (its code and description).
    Refused(String),
    /// `/callback` without this attempt's `state` (or without a code): 400, keep waiting.
    NotOurs,
    /// Anything else: 404, keep waiting.
    Elsewhere,
}

impl SignIn {
    /// Binds the listener on `127.0.0.1:0` and makes the authorization URL (response_type=code,
    /// client_id, scope, redirect_uri `http://127.0.0.1:{port}/callback`, a fresh `state` and
    /// an S256 PKCE challenge). `http` is the client for the code exchange ([`crate::http_client`]).
    pub fn start(http: &reqwest::Client, config: &ServerConfig) -> Result<SignIn, Error> {
        let listener = std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| {
                Error::internal(format!(
                    "Cannot listen on 127.0.0.1 for the sign-in's answer: {e}."
                ))
            })?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::internal(format!("Cannot read the sign-in listener's port: {e}.")))?
            .port();
        let redirect_uri = format!("http://127.0.0.1:{port}/callback");
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = BasicClient::new(ClientId::new(config.client_id.clone()))
            .set_auth_uri(
                AuthUrl::new(config.authorization_endpoint.clone()).map_err(bad_endpoint)?,
            )
            .set_redirect_uri(RedirectUrl::new(redirect_uri.clone()).map_err(bad_endpoint)?);
        let (url, state) = client
            .authorize_url(|| CsrfToken::new_random_len(STATE_BYTES))
            .add_scopes(config.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            .url();
        let (cancel, _) = watch::channel(false);
        Ok(SignIn {
            listener,
            url: url.to_string(),
            redirect_uri,
            state: state.secret().clone(),
            verifier,
            http: http.clone(),
            config: config.clone(),
            cancel: Canceller(Arc::new(cancel)),
        })
    }

    /// The authorization URL to open in the browser.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `http://127.0.0.1:{port}/callback`, where the provider sends the browser back.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// What stops this sign-in from another task.
    pub fn canceller(&self) -> Canceller {
        self.cancel.clone()
    }

    /// Waits up to `wait` for the provider's redirect, answers the browser, closes the
    /// listener and exchanges the code (with the PKCE verifier) for tokens. `now` is read once,
    /// when the exchange is sent: the tokens expire counting from then.
    ///
    /// Refusals: `Cancelled` + SignInTimedOut{minutes} after `wait`, `Cancelled` +
    /// SignInCancelled after [`Canceller::cancel`], `SignInRequired` + SignInRefused when the
    /// provider redirected with an error or refused the code; the errors of an unreachable
    /// token endpoint (`Unreachable`).
    pub async fn finish<F: Fn() -> Timestamp>(
        self,
        wait: Duration,
        now: F,
    ) -> Result<Tokens, Error> {
        let SignIn {
            listener,
            state,
            verifier,
            http,
            config,
            redirect_uri,
            cancel,
            ..
        } = self;
        let mut cancelled = cancel.0.subscribe();
        let listener = TcpListener::from_std(listener)
            .map_err(|e| Error::internal(format!("Cannot serve the sign-in listener: {e}.")))?;
        let code = tokio::time::timeout(wait, async {
            tokio::select! {
                code = serve(listener, &state) => code,
                _ = cancelled.wait_for(|c| *c) => Err(cancelled_error()),
            }
        })
        .await
        .map_err(|_| timed_out(wait))??;

        let client = BasicClient::new(ClientId::new(config.client_id.clone()))
            .set_token_uri(TokenUrl::new(config.token_endpoint.clone()).map_err(bad_endpoint)?)
            .set_redirect_uri(RedirectUrl::new(redirect_uri).map_err(bad_endpoint)?);
        let sent_at = now();
        let transport = |request| send(http.clone(), request);
        let exchange = client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(verifier)
            .request_async(&transport);
        let answer = tokio::select! {
            answer = exchange => answer,
            _ = cancelled.wait_for(|c| *c) => return Err(cancelled_error()),
        };
        match answer {
            Ok(response) => Ok(Tokens::from_response(&response, sent_at)),
            Err(e) => Err(match token_failure(e, &config.token_endpoint) {
                TokenFailure::Refused(detail) => refused(detail),
                TokenFailure::NoAnswer(e) => e,
            }),
        }
    }
}

/// Serves `listener` until a callback for `state` arrives; returns its code. The listener is
/// closed before the browser gets its page, so a second redirect finds the port closed.
async fn serve(listener: TcpListener, state: &str) -> Result<String, Error> {
    let (requests, mut received) = mpsc::channel::<(String, TcpStream)>(16);
    loop {
        let (target, stream) = tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    let requests = requests.clone();
                    tokio::spawn(async move {
                        let mut stream = stream;
                        if let Ok(Some(target)) =
                            tokio::time::timeout(READ_TIMEOUT, read_target(&mut stream)).await
                        {
                            let _ = requests.send((target, stream)).await;
                        }
                    });
                } else {
                    // Out of file descriptors or the like: let it pass rather than spin.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                continue;
            }
            Some(request) = received.recv() => request,
        };
        match callback(&target, state) {
            Callback::Code(code) => {
                drop(listener);
                answer(stream, "200 OK", PAGE_DONE).await;
                return Ok(code);
            }
            Callback::Refused(detail) => {
                drop(listener);
                answer(stream, "200 OK", PAGE_REFUSED).await;
                return Err(refused(detail));
            }
            Callback::NotOurs => {
                tokio::spawn(answer(stream, "400 Bad Request", PAGE_NOT_OURS));
            }
            Callback::Elsewhere => {
                tokio::spawn(answer(stream, "404 Not Found", PAGE_NOT_FOUND));
            }
        }
    }
}

/// The request target of a GET (its path and query), once the head has arrived; None for
/// anything that is not an HTTP/1 GET, or a head larger than [`MAX_HEAD`].
async fn read_target(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 || head.len() + n > MAX_HEAD {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = std::str::from_utf8(&head).ok()?;
    let mut parts = head.lines().next()?.split(' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(method), Some(target), Some(version)) if version.starts_with("HTTP/1.") => {
            Some(if method == "GET" {
                target.to_string()
            } else {
                // Not a redirect: answered 404 like any other path.
                String::new()
            })
        }
        _ => None,
    }
}

/// What the request for `target` is, for the attempt whose state is `state`.
fn callback(target: &str, state: &str) -> Callback {
    if !target.starts_with('/') {
        return Callback::Elsewhere;
    }
    let Ok(url) = url::Url::parse(&format!("http://127.0.0.1{target}")) else {
        return Callback::Elsewhere;
    };
    if url.path() != "/callback" {
        return Callback::Elsewhere;
    }
    let (mut got_state, mut code, mut error, mut description) = (None, None, None, None);
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "state" => got_state = Some(v.into_owned()),
            "code" => code = Some(v.into_owned()),
            "error" => error = Some(v.into_owned()),
            "error_description" => description = Some(v.into_owned()),
            _ => {}
        }
    }
    if !got_state.is_some_and(|s| same(&s, state)) {
        return Callback::NotOurs;
    }
    match (error, code) {
        (Some(error), _) => Callback::Refused(match description {
            Some(d) if !d.is_empty() => format!("{}: {}", shorten(&error, 60), shorten(&d, 200)),
            _ => shorten(&error, 60),
        }),
        (None, Some(code)) if !code.is_empty() => Callback::Code(code),
        _ => Callback::NotOurs,
    }
}

/// Equal, in a time that does not depend on where two strings of the same length differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

async fn answer(mut stream: TcpStream, status: &str, page: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n{page}",
        page.len()
    );
    let _ = tokio::time::timeout(WRITE_TIMEOUT, async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
}

fn cancelled_error() -> Error {
    Error::because(ErrorCode::Cancelled, Reason::SignInCancelled)
}

fn timed_out(wait: Duration) -> Error {
    let minutes = i64::try_from(wait.as_millis().div_ceil(60_000)).unwrap_or(i64::MAX);
    Error::because(ErrorCode::Cancelled, Reason::SignInTimedOut { minutes })
}

fn refused(detail: String) -> Error {
    Error::because(ErrorCode::SignInRequired, Reason::SignInRefused { detail })
}

fn bad_endpoint(e: url::ParseError) -> Error {
    Error::internal(format!("The sign-in endpoint is not a URL: {e}."))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use base64::Engine;
    use sha2::Digest;

    fn config() -> ServerConfig {
        ServerConfig {
            server: "https://omni.contoso.com".into(),
            authority: "https://login.example.com/t".into(),
            client_id: "omni-desktop".into(),
            scopes: vec!["api://omni/access_as_user".into(), "offline_access".into()],
            audience: "api://omni".into(),
            authorization_endpoint: "https://login.example.com/t/authorize".into(),
            token_endpoint: "https://login.example.com/t/token".into(),
        }
    }

    fn query(url: &str) -> std::collections::HashMap<String, String> {
        url::Url::parse(url)
            .unwrap()
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn the_challenge_is_the_sha256_of_the_verifier() {
        let http = reqwest::Client::new();
        let sign_in = SignIn::start(&http, &config()).unwrap();
        let verifier = sign_in.verifier.secret();
        assert!((43..=128).contains(&verifier.len()), "{}", verifier.len());
        assert!(
            verifier
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)),
            "{verifier}"
        );
        let q = query(sign_in.url());
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()));
        assert_eq!(q["code_challenge"], expected);
        assert_eq!(q["code_challenge_method"], "S256");
    }

    #[test]
    fn the_url_asks_for_a_code_for_this_client_with_a_fresh_state() {
        let http = reqwest::Client::new();
        let first = SignIn::start(&http, &config()).unwrap();
        let second = SignIn::start(&http, &config()).unwrap();
        let q = query(first.url());
        assert!(first
            .url()
            .starts_with("https://login.example.com/t/authorize?"));
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "omni-desktop");
        assert_eq!(q["scope"], "api://omni/access_as_user offline_access");
        assert_eq!(q["redirect_uri"], first.redirect_uri());
        assert!(first.redirect_uri().starts_with("http://127.0.0.1:"));
        assert!(first.redirect_uri().ends_with("/callback"));
        // 32 random bytes, base64url: 43 characters, 256 bits.
        assert_eq!(q["state"].len(), 43);
        assert_eq!(q["state"], first.state);
        let q2 = query(second.url());
        assert_ne!(q["state"], q2["state"]);
        assert_ne!(q["code_challenge"], q2["code_challenge"]);
        assert_ne!(first.redirect_uri(), second.redirect_uri());
    }

    #[test]
    fn only_the_callback_with_this_state_counts() {
        let s = "abc";
        assert_eq!(
            callback("/callback?code=c1&state=abc", s),
            Callback::Code("c1".into())
        );
        assert_eq!(
            callback("/callback?code=c1&state=abd", s),
            Callback::NotOurs
        );
        assert_eq!(callback("/callback?code=c1", s), Callback::NotOurs);
        assert_eq!(callback("/callback?state=abc", s), Callback::NotOurs);
        assert_eq!(
            callback("/callback?error=access_denied&state=abc", s),
            Callback::Refused("access_denied".into())
        );
        assert_eq!(
            callback(
                "/callback?error=access_denied&error_description=The+user+said+no&state=abc",
                s
            ),
            Callback::Refused("access_denied: The user said no".into())
        );
        assert_eq!(
            callback("/callback?error=access_denied&state=x", s),
            Callback::NotOurs
        );
        assert_eq!(callback("/favicon.ico", s), Callback::Elsewhere);
        assert_eq!(
            callback("/callbackx?code=c&state=abc", s),
            Callback::Elsewhere
        );
        assert_eq!(callback("", s), Callback::Elsewhere);
        assert_eq!(callback("http://evil/callback", s), Callback::Elsewhere);
    }

    #[test]
    fn the_timeout_names_whole_minutes() {
        assert_eq!(
            timed_out(Duration::from_secs(300)).reason,
            Some(Reason::SignInTimedOut { minutes: 5 })
        );
    }
}
