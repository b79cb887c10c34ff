//! The HTTP this crate speaks, in one place: the client (redirects off, bounded waits), how a
//! failed request becomes a sentence a person can act on ("connection refused", "no such host",
//! an untrusted certificate), and the bridge that carries oauth2's token requests over reqwest.

use std::error::Error as StdError;
use std::time::Duration;

use oauth2::basic::BasicErrorResponse;
use oauth2::{HttpRequest, HttpResponse, RequestTokenError};
use omni_core::{Error, ErrorCode, Reason};

/// How long a connection may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a whole request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The most this crate reads of an answer (a discovery document or a token response is a few
/// KB): a misdirected address cannot make it read a large download.
pub(crate) const MAX_BODY: usize = 1 << 20;
/// How long to suggest waiting when a server is unavailable and does not say (`Retry-After`).
const DEFAULT_RETRY_SECONDS: i64 = 30;

/// The HTTP client to give [`crate::discover`], [`crate::SignIn`] and [`crate::Session`]:
/// rustls with the platform's web roots, redirects off (a token request that is redirected is
/// not followed to wherever it points: OAuth endpoints do not redirect), 10 s to connect and
/// 30 s per request.
pub fn http_client() -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("omni-admin/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::internal(format!("Cannot set up HTTP: {e}.")))
}

/// The error for a request to `address` that got no answer: an untrusted certificate, or
/// unreachable with a short detail.
pub(crate) fn no_answer(address: &str, e: &reqwest::Error) -> Error {
    let mut texts = Vec::new();
    let mut io_kind = None;
    let mut source: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            io_kind.get_or_insert(io.kind());
        }
        texts.push(s.to_string().to_lowercase());
        source = s.source();
    }
    let all = texts.join(" | ");
    if all.contains("certificate") {
        return Error::because(
            ErrorCode::Unreachable,
            Reason::ServerCertificate {
                address: address.to_string(),
                detail: certificate_detail(&all).to_string(),
            },
        );
    }
    let detail = if e.is_timeout() || all.contains("timed out") {
        "timed out".to_string()
    } else if io_kind == Some(std::io::ErrorKind::ConnectionRefused)
        || all.contains("connection refused")
    {
        "connection refused".to_string()
    } else if all.contains("dns error")
        || all.contains("failed to lookup address")
        || all.contains("name or service not known")
        || all.contains("no such host")
    {
        "no such host".to_string()
    } else if io_kind == Some(std::io::ErrorKind::ConnectionReset)
        || all.contains("connection reset")
    {
        "the connection was reset".to_string()
    } else {
        // The innermost cause says most; a request error never carries a token.
        texts
            .last()
            .cloned()
            .unwrap_or_else(|| "network error".into())
    };
    Error::because(
        ErrorCode::Unreachable,
        Reason::ServerUnreachable {
            address: address.to_string(),
            detail,
        },
    )
}

fn certificate_detail(all: &str) -> &'static str {
    if all.contains("unknownissuer") || all.contains("unknown issuer") {
        "issued by an unknown authority"
    } else if all.contains("causedasendentity") {
        // A self-signed certificate (a CA's, used as the server's own).
        "self-signed"
    } else if all.contains("expired") {
        "expired"
    } else if all.contains("notvalidforname") || all.contains("not valid for name") {
        "issued for another name"
    } else if all.contains("revoked") {
        "revoked"
    } else {
        "not valid"
    }
}

/// A server that answered 502, 503 or 504: it exists but cannot serve now.
pub(crate) fn unavailable(response: &reqwest::Response) -> Option<Error> {
    let status = response.status().as_u16();
    if !matches!(status, 502..=504) {
        return None;
    }
    let seconds = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_RETRY_SECONDS);
    Some(Error::because(
        ErrorCode::Unreachable,
        Reason::ServerUnavailable { seconds },
    ))
}

/// The body of `response`, at most [`MAX_BODY`] bytes (None beyond, or when the connection
/// breaks).
pub(crate) async fn read_body(mut response: reqwest::Response) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        if body.len() + chunk.len() > MAX_BODY {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    Some(body)
}

/// One oauth2 request over `http`. A 502–504 answer is an error here (the provider is down:
/// the session stays); other answers go back to oauth2, which reads an OAuth error body.
pub(crate) async fn send(
    http: reqwest::Client,
    request: HttpRequest,
) -> Result<HttpResponse, Error> {
    let address = request
        .uri()
        .host()
        .map(str::to_string)
        .unwrap_or_else(|| request.uri().to_string());
    let request = reqwest::Request::try_from(request)
        .map_err(|e| Error::internal(format!("Cannot make the token request: {e}.")))?;
    let response = http
        .execute(request)
        .await
        .map_err(|e| no_answer(&address, &e))?;
    if let Some(e) = unavailable(&response) {
        return Err(e);
    }
    let mut answer = oauth2::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        answer = answer.header(name, value);
    }
    let body = read_body(response).await.ok_or_else(|| {
        Error::because(
            ErrorCode::Unreachable,
            Reason::ServerUnreachable {
                address: address.clone(),
                detail: "the answer was cut off or too long".into(),
            },
        )
    })?;
    answer
        .body(body)
        .map_err(|e| Error::internal(format!("Cannot read the token answer: {e}.")))
}

/// How a token request ended when it did not give tokens.
#[derive(Debug)]
pub(crate) enum TokenFailure {
    /// The provider refused the grant (`invalid_grant`, `invalid_client`, …): a person must
    /// sign in again. The text is the OAuth error code and its description.
    Refused(String),
    /// No usable answer (network, provider down, an answer that is not OAuth): try later.
    NoAnswer(Error),
}

pub(crate) fn token_failure(
    e: RequestTokenError<Error, BasicErrorResponse>,
    endpoint: &str,
) -> TokenFailure {
    match e {
        RequestTokenError::ServerResponse(r) => {
            let mut detail = r.error().to_string();
            if let Some(description) = r.error_description() {
                // Entra's descriptions run to several lines with trace ids: the first says it.
                let first = description.lines().next().unwrap_or_default();
                detail = format!("{detail}: {}", shorten(first, 200));
            }
            TokenFailure::Refused(detail)
        }
        RequestTokenError::Request(e) => TokenFailure::NoAnswer(e),
        RequestTokenError::Parse(..) | RequestTokenError::Other(_) => {
            TokenFailure::NoAnswer(Error::because(
                ErrorCode::Unreachable,
                Reason::ServerUnreachable {
                    address: endpoint.to_string(),
                    detail: "the sign-in service gave an answer this app does not understand"
                        .into(),
                },
            ))
        }
    }
}

/// At most `max` characters of `s`.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
