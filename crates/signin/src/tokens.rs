//! What a sign-in yields, in types that cannot leak: a [`Secret`] prints as `[secret]`, has no
//! `Display` and no `Serialize`, so a token reaches a log or a file only through
//! [`Secret::expose`], which a reviewer can find.

use std::fmt;

use oauth2::basic::BasicTokenResponse;
use oauth2::TokenResponse;
use omni_core::Timestamp;

use crate::claims::Claims;

/// A token. Compare two with `==`; read it with [`Secret::expose`] (to send it, or store it in
/// the keyring) and nowhere else.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The token itself: for an `Authorization: Bearer` header or the keyring, never a log.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[secret]")
    }
}

/// The tokens of one sign-in or refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    /// The bearer token for the omni-server's API.
    pub access: Secret,
    /// When `access` expires (the provider's `expires_in` counted from the time the request
    /// was sent).
    pub expires_at: Timestamp,
    /// Present when the provider gave one (it does with the `offline_access` scope).
    pub refresh: Option<Secret>,
}

/// How long an access token lives when the provider does not say (`expires_in` is optional in
/// RFC 6749): an hour, the usual lifetime; a refused token is refreshed anyway
/// ([`crate::Session::rejected`]).
const DEFAULT_LIFETIME_MS: i64 = 3_600_000;

impl Tokens {
    pub(crate) fn from_response(response: &BasicTokenResponse, sent_at: Timestamp) -> Tokens {
        let lifetime = response
            .expires_in()
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(DEFAULT_LIFETIME_MS);
        Tokens {
            access: Secret::new(response.access_token().secret().clone()),
            expires_at: Timestamp(sent_at.0.saturating_add(lifetime)),
            refresh: response
                .refresh_token()
                .map(|r| Secret::new(r.secret().clone())),
        }
    }

    /// What the access token says about the person, for the desktop to show; see [`Claims`].
    pub fn claims(&self) -> Option<Claims> {
        Claims::of(&self.access)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_does_not_show_in_debug_output() {
        let tokens = Tokens {
            access: Secret::new("eyJhbGciOi.access"),
            expires_at: Timestamp(5),
            refresh: Some(Secret::new("refresh-0.AXkA")),
        };
        let shown = format!("{tokens:?} {tokens:#?}");
        assert!(!shown.contains("eyJhbGciOi"), "{shown}");
        assert!(!shown.contains("AXkA"), "{shown}");
        assert!(shown.contains("[secret]"));
        assert_eq!(tokens.access.expose(), "eyJhbGciOi.access");
    }
}
