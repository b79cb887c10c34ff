//! Who is signed in, as the access token says, for the desktop to show ("Signed in as …"). The
//! payload is decoded without checking the signature: the omni-server verifies every token it
//! receives, and nothing here decides anything on these claims.

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::tokens::Secret;

/// The claims of an Entra ID (or compatible) access token the desktop may show. Each is absent
/// when the token does not carry it (or is not a JWT).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The person's object id in the directory.
    pub oid: Option<String>,
    /// The directory (tenant) id.
    pub tid: Option<String>,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
}

impl Claims {
    /// The claims of a JWT access token; None when it is not a JWT with a JSON payload.
    pub fn of(token: &Secret) -> Option<Claims> {
        let mut parts = token.expose().split('.');
        let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> Secret {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        Secret::new(format!(
            "{}.{}.sig",
            b64(r#"{"alg":"RS256"}"#),
            b64(payload)
        ))
    }

    #[test]
    fn the_claims_of_an_access_token_are_read_from_its_payload() {
        let token = jwt(
            r#"{"oid":"o-1","tid":"t-1","preferred_username":"ada@contoso.com","name":"Ada","scp":"x"}"#,
        );
        assert_eq!(
            Claims::of(&token),
            Some(Claims {
                oid: Some("o-1".into()),
                tid: Some("t-1".into()),
                preferred_username: Some("ada@contoso.com".into()),
                name: Some("Ada".into()),
            })
        );
    }

    #[test]
    fn an_opaque_token_has_no_claims() {
        assert_eq!(Claims::of(&Secret::new("opaque-token")), None);
        assert_eq!(Claims::of(&Secret::new("a.%%%.c")), None);
    }
}
