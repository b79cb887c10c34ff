//! What to sign in to, asked of the server a person typed: its `/.well-known/omni-configuration`
//! names the authority, client and scopes, and the authority's OpenID configuration names the
//! endpoints. Each way this can fail gets its own reason, so the person reads "no such host" or
//! "not an omni-server" rather than a stack of HTTP errors.

use omni_core::{Error, ErrorCode, Reason};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::http::{no_answer, read_body, unavailable};

/// Everything a sign-in needs, from the server and its authority. The desktop remembers it
/// (it serializes) and asks again when a sign-in fails with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerConfig {
    /// The server, normalised: scheme and host (and path, when the server lives under one),
    /// no trailing slash, e.g. `https://omni.contoso.com`.
    pub server: String,
    /// Where to sign in, e.g. `https://login.microsoftonline.com/{tenant}/v2.0`.
    pub authority: String,
    pub client_id: String,
    /// The scopes to ask for (with `offline_access` for a refresh token).
    pub scopes: Vec<String>,
    /// The audience of the server's access tokens.
    pub audience: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
}

/// The shape of `GET /.well-known/omni-configuration` (crates/server/src/app.rs).
#[derive(Deserialize)]
struct OmniConfiguration {
    authority: String,
    client_id: String,
    scopes: Vec<String>,
    audience: String,
}

/// The part of an OpenID Provider's metadata used here.
#[derive(Deserialize)]
struct OpenIdConfiguration {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
}

/// The server address a person typed, as a URL: `https://` is added when there is no scheme,
/// a trailing slash dropped. Plain `http` is accepted only for this computer (127.0.0.1,
/// `::1`, localhost), where nothing travels over a network.
pub fn normalise_address(address: &str) -> Result<String, Error> {
    let typed = address.trim();
    let invalid = || {
        Error::because(
            ErrorCode::InvalidInput,
            Reason::ServerAddressInvalid {
                address: typed.to_string(),
            },
        )
        .on_field("server")
    };
    if typed.is_empty() || typed.chars().any(char::is_whitespace) {
        return Err(invalid());
    }
    let with_scheme = if typed.contains("://") {
        typed.to_string()
    } else {
        format!("https://{typed}")
    };
    let url = Url::parse(&with_scheme).map_err(|_| invalid())?;
    let fits = web_url(&url)
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none();
    if !fits {
        return Err(invalid());
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// https, or http to this computer; with a host.
fn web_url(url: &Url) -> bool {
    match (url.scheme(), url.host()) {
        (_, None) => false,
        ("https", Some(_)) => true,
        ("http", Some(host)) => match host {
            url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
            url::Host::Ipv4(ip) => ip.is_loopback(),
            url::Host::Ipv6(ip) => ip.is_loopback(),
        },
        _ => false,
    }
}

/// Asks the server at `address` (as a person typed it) what to sign in to, then its authority
/// where. Refusals: `InvalidInput` + ServerAddressInvalid for an address that is not one;
/// `Unreachable` + ServerUnreachable (no answer: "connection refused", "no such host", "timed
/// out"), ServerCertificate (a certificate this computer does not trust), NotAnOmniServer
/// (it answered, but not with an omni configuration) or ServerUnavailable (502–504).
pub async fn discover(http: &reqwest::Client, address: &str) -> Result<ServerConfig, Error> {
    let server = normalise_address(address)?;
    let not_omni = || {
        Error::because(
            ErrorCode::Unreachable,
            Reason::NotAnOmniServer {
                address: server.clone(),
            },
        )
    };
    let omni: OmniConfiguration = get_json(
        http,
        &format!("{server}/.well-known/omni-configuration"),
        &server,
    )
    .await?
    .ok_or_else(not_omni)?;
    let authority = omni.authority.trim_end_matches('/').to_string();
    let authority_url = Url::parse(&authority).map_err(|_| not_omni())?;
    if !web_url(&authority_url) || omni.client_id.is_empty() {
        return Err(not_omni());
    }

    let strange_authority = |detail: &str| {
        Error::because(
            ErrorCode::Unreachable,
            Reason::ServerUnreachable {
                address: authority.clone(),
                detail: detail.to_string(),
            },
        )
    };
    let openid: OpenIdConfiguration = get_json(
        http,
        &format!("{authority}/.well-known/openid-configuration"),
        &authority,
    )
    .await?
    .ok_or_else(|| strange_authority("it has no OpenID configuration"))?;
    // OpenID Connect Discovery 1.0 §4.3: the issuer is the URL its configuration was asked
    // of. Entra's multi-tenant authorities (common, organizations) answer with a template.
    let issuer = openid.issuer.trim_end_matches('/');
    if issuer != authority && !issuer.contains("{tenantid}") {
        return Err(strange_authority(
            "its OpenID configuration names another issuer",
        ));
    }
    for endpoint in [&openid.authorization_endpoint, &openid.token_endpoint] {
        if !Url::parse(endpoint).is_ok_and(|u| web_url(&u)) {
            return Err(strange_authority(
                "its OpenID configuration names an endpoint that is not https",
            ));
        }
    }
    Ok(ServerConfig {
        server,
        authority,
        client_id: omni.client_id,
        scopes: omni.scopes,
        audience: omni.audience,
        authorization_endpoint: openid.authorization_endpoint,
        token_endpoint: openid.token_endpoint,
    })
}

/// GET `url` for a JSON document of shape `T`: None when what answered is not that (another
/// status, HTML, another shape); an error when nothing answered, or 502–504.
async fn get_json<T: DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
    address: &str,
) -> Result<Option<T>, Error> {
    let response = http
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| no_answer(address, &e))?;
    if let Some(e) = unavailable(&response) {
        return Err(e);
    }
    if response.status() != reqwest::StatusCode::OK {
        return Ok(None);
    }
    let Some(body) = read_body(response).await else {
        return Ok(None);
    };
    Ok(serde_json::from_slice(&body).ok())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn an_address_without_a_scheme_is_https() {
        assert_eq!(
            normalise_address(" omni.contoso.com/ ").as_deref(),
            Ok("https://omni.contoso.com")
        );
        assert_eq!(
            normalise_address("https://omni.contoso.com:8443/omni/").as_deref(),
            Ok("https://omni.contoso.com:8443/omni")
        );
        assert_eq!(
            normalise_address("http://127.0.0.1:8080").as_deref(),
            Ok("http://127.0.0.1:8080")
        );
    }

    #[test]
    fn garbage_and_plain_http_to_another_computer_are_refused() {
        for typed in [
            "",
            "   ",
            "not a server",
            "https://",
            "ftp://omni.contoso.com",
            "http://omni.contoso.com",
            "https://user:pw@omni.contoso.com",
            "https://omni.contoso.com/?x=1",
            "https://exa mple.com",
        ] {
            let e = normalise_address(typed).expect_err(typed);
            assert_eq!(e.code, ErrorCode::InvalidInput, "{typed}");
            assert!(
                matches!(e.reason, Some(Reason::ServerAddressInvalid { .. })),
                "{typed}: {e:?}"
            );
            assert_eq!(e.field.as_deref(), Some("server"));
        }
    }
}
