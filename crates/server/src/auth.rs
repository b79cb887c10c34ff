//! Bearer access tokens from Microsoft Entra ID, validated as Microsoft documents: the RS256
//! signature against the keys the tenant's OpenID discovery document points to, the issuer
//! including the tenant (`{authority}/{tid}/v2.0`), the audience of this API, `exp`/`nbf` with
//! a small leeway, and `tid` bound to an organization. What the token allows (its delegated
//! scope or its app role) is checked by the caller of [`Verifier::verify`], per endpoint
//! ([`Claims::kind`]).
//!
//! Order matters: the tenant is checked against the organizations *before* anything is
//! fetched, so a token cannot make the server request an arbitrary URL; the algorithm
//! allow-list (RS256 only) rejects `alg: none` and HMAC tokens signed with a public key before
//! any key is chosen. Keys are cached per issuer and fetched again once when a token names an
//! unknown `kid` (key rollover needs no restart), at most once per [`REFETCH_EVERY`] (by default) so garbage
//! `kid`s cannot make the server hammer the provider. The time is a parameter.
//!
//! A client sends the same token with every request for its whole life (an hour with Entra),
//! and checking its RS256 signature is the dearest step of a request. So a token that passed is
//! remembered, byte for byte, with its claims: the next request with it skips the parsing and
//! the signature, but is still refused once it expires, and once its signing key is no longer
//! among the issuer's cached keys (the key was dropped at a refetch).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use omni_core::model::Timestamp;
use serde::Deserialize;
use tokio::sync::{Mutex, RwLock};

/// The least time between two fetches of one issuer's keys caused by unknown `kid`s.
pub const REFETCH_EVERY: Duration = Duration::from_secs(5);

/// Why a token was refused (each becomes a 401 with this sentence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected(pub String);

fn reject(s: impl Into<String>) -> Rejected {
    Rejected(s.into())
}

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Claims {
    pub tid: String,
    pub oid: String,
    pub iss: String,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub upn: Option<String>,
    /// Delegated scopes, space-separated: present only in a token issued to a client acting
    /// for a signed-in person.
    #[serde(default)]
    pub scp: Option<String>,
    /// App roles (application tokens, e.g. the platform's metering).
    #[serde(default)]
    pub roles: Vec<String>,
    pub exp: i64,
    #[serde(default)]
    pub nbf: Option<i64>,
}

/// Whom a token was issued for, by Entra ID's convention: a delegated token carries `scp`
/// (a person signed in through a client); an application token carries `roles` and no `scp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Delegated,
    Application,
    /// Neither `scp` nor `roles`: the token allows nothing here.
    Neither,
}

impl Claims {
    pub fn kind(&self) -> TokenKind {
        if self.scp.is_some() {
            TokenKind::Delegated
        } else if !self.roles.is_empty() {
            TokenKind::Application
        } else {
            TokenKind::Neither
        }
    }

    /// Whether the delegated scopes include `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scp
            .as_deref()
            .is_some_and(|s| s.split_whitespace().any(|x| x == scope))
    }

    /// Whether the app roles include `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// The sign-in name, when the token has one.
    pub fn sign_in_name(&self) -> Option<&str> {
        self.preferred_username
            .as_deref()
            .or(self.email.as_deref())
            .or(self.upn.as_deref())
    }
}

#[derive(Deserialize)]
struct Unverified {
    tid: Option<String>,
    iss: Option<String>,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

struct IssuerKeys {
    keys: HashMap<String, DecodingKey>,
    fetched: Instant,
}

/// Validates tokens; holds the key cache. One per server.
pub struct Verifier {
    authority: String,
    audience: String,
    leeway_secs: i64,
    http: reqwest::Client,
    cache: RwLock<HashMap<String, IssuerKeys>>,
    refetch: Mutex<()>,
    refetch_every: Duration,
    /// Tokens that passed every check: token → (its claims, its key's id).
    passed: std::sync::RwLock<HashMap<String, Passed>>,
}

/// A token that passed, as [`Verifier`] remembers it.
#[derive(Clone)]
struct Passed {
    claims: Claims,
    kid: String,
}

/// Tokens [`Verifier`] remembers at most before it starts afresh (a token is about 1–2 KB).
const PASSED_LIMIT: usize = 4096;

impl Verifier {
    pub fn new(authority: &str, audience: &str, leeway_secs: u64) -> Verifier {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Verifier {
            authority: authority.trim_end_matches('/').to_string(),
            audience: audience.to_string(),
            leeway_secs: leeway_secs as i64,
            http,
            cache: RwLock::new(HashMap::new()),
            refetch: Mutex::new(()),
            refetch_every: REFETCH_EVERY,
            passed: std::sync::RwLock::new(HashMap::new()),
        }
    }

    /// Changes the least time between two key fetches of one issuer (tests use zero).
    pub fn with_refetch_interval(mut self, every: Duration) -> Verifier {
        self.refetch_every = every;
        self
    }

    /// The issuer a tenant's tokens must carry.
    pub fn issuer_for(&self, tenant: &str) -> String {
        format!("{}/{tenant}/v2.0", self.authority)
    }

    /// Checks `token` at `now`. `tenant_known` says whether a tenant is bound to an
    /// organization (asked before any key is fetched).
    pub async fn verify<F, Fut>(
        &self,
        token: &str,
        now: Timestamp,
        tenant_known: F,
    ) -> Result<Claims, Rejected>
    where
        F: FnOnce(String) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        if let Some(p) = self.passed_before(token) {
            if self.cached(&p.claims.iss, &p.kid).await.is_some() {
                self.check_time(&p.claims, now)?;
                return Ok(p.claims);
            }
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| {
            reject(
                "The access token is malformed or uses an algorithm this server does not accept.",
            )
        })?;
        if header.alg != Algorithm::RS256 {
            return Err(reject(format!(
                "The access token is signed with {:?}; only RS256 is accepted.",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| reject("The access token names no signing key (kid)."))?;
        let payload = token
            .split('.')
            .nth(1)
            .and_then(|p| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(p)
                    .ok()
            })
            .and_then(|b| serde_json::from_slice::<Unverified>(&b).ok())
            .ok_or_else(|| reject("The access token is malformed."))?;
        let tid = payload
            .tid
            .filter(|t| {
                !t.is_empty()
                    && t.len() <= 64
                    && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
            .ok_or_else(|| reject("The access token has no valid tenant (tid)."))?;
        let issuer = self.issuer_for(&tid);
        if payload.iss.as_deref() != Some(issuer.as_str()) {
            return Err(reject(
                "The access token's issuer is not its tenant's issuer.",
            ));
        }
        if !tenant_known(tid.clone()).await {
            return Err(reject(
                "The access token's tenant is not bound to any organization on this server.",
            ));
        }
        let key = self.key(&issuer, &kid).await?;
        let mut v = Validation::new(Algorithm::RS256);
        v.set_audience(&[&self.audience]);
        v.set_issuer(&[&issuer]);
        // exp/nbf are checked below against the request's time, not the library's clock.
        v.validate_exp = false;
        v.validate_nbf = false;
        v.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data = jsonwebtoken::decode::<Claims>(token, &key, &v).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind::*;
            reject(match e.kind() {
                InvalidAudience => "The access token is not for this API (audience).",
                InvalidIssuer => "The access token's issuer is not its tenant's issuer.",
                InvalidSignature => "The access token's signature is not valid.",
                MissingRequiredClaim(_) => "The access token lacks a required claim.",
                _ => "The access token is not valid.",
            })
        })?;
        let claims = data.claims;
        self.check_time(&claims, now)?;
        if claims.tid != tid || claims.oid.is_empty() {
            return Err(reject("The access token has no valid tenant or object id."));
        }
        self.remember_passed(token, &claims, kid);
        Ok(claims)
    }

    /// `exp` and `nbf` against the request's time, with the leeway.
    fn check_time(&self, claims: &Claims, now: Timestamp) -> Result<(), Rejected> {
        let now_s = now.0.div_euclid(1000);
        if claims.exp + self.leeway_secs < now_s {
            return Err(reject("The access token has expired: sign in again."));
        }
        if claims.nbf.is_some_and(|nbf| nbf - self.leeway_secs > now_s) {
            return Err(reject("The access token is not valid yet."));
        }
        Ok(())
    }

    fn passed_before(&self, token: &str) -> Option<Passed> {
        self.passed.read().ok()?.get(token).cloned()
    }

    fn remember_passed(&self, token: &str, claims: &Claims, kid: String) {
        if let Ok(mut passed) = self.passed.write() {
            if passed.len() >= PASSED_LIMIT {
                passed.clear();
            }
            let claims = claims.clone();
            passed.insert(token.to_string(), Passed { claims, kid });
        }
    }

    /// The key `kid` of `issuer`: from the cache, else fetched (once per unknown kid, rate
    /// limited).
    async fn key(&self, issuer: &str, kid: &str) -> Result<DecodingKey, Rejected> {
        if let Some(k) = self.cached(issuer, kid).await {
            return Ok(k);
        }
        let _one_fetch_at_a_time = self.refetch.lock().await;
        // Another request may have fetched while this one waited.
        if let Some(k) = self.cached(issuer, kid).await {
            return Ok(k);
        }
        let recent = self
            .cache
            .read()
            .await
            .get(issuer)
            .is_some_and(|c| c.fetched.elapsed() < self.refetch_every);
        if recent {
            return Err(reject("The access token is signed with an unknown key."));
        }
        let keys = self.fetch(issuer).await?;
        let found = keys.keys.get(kid).cloned();
        self.cache.write().await.insert(issuer.to_string(), keys);
        found.ok_or_else(|| reject("The access token is signed with an unknown key."))
    }

    async fn cached(&self, issuer: &str, kid: &str) -> Option<DecodingKey> {
        self.cache
            .read()
            .await
            .get(issuer)
            .and_then(|c| c.keys.get(kid).cloned())
    }

    async fn fetch(&self, issuer: &str) -> Result<IssuerKeys, Rejected> {
        let unavailable = |what: &str| {
            tracing::warn!(issuer, what, "cannot fetch signing keys");
            reject("The identity provider's signing keys are unavailable; try again later.")
        };
        let doc: Discovery = self
            .http
            .get(format!("{issuer}/.well-known/openid-configuration"))
            .send()
            .await
            .map_err(|_| unavailable("discovery request"))?
            .error_for_status()
            .map_err(|_| unavailable("discovery status"))?
            .json()
            .await
            .map_err(|_| unavailable("discovery document"))?;
        if doc.issuer != issuer {
            return Err(unavailable("discovery issuer mismatch"));
        }
        let set: JwkSet = self
            .http
            .get(&doc.jwks_uri)
            .send()
            .await
            .map_err(|_| unavailable("jwks request"))?
            .error_for_status()
            .map_err(|_| unavailable("jwks status"))?
            .json()
            .await
            .map_err(|_| unavailable("jwks document"))?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let (Some(kid), Ok(key)) = (jwk.common.key_id.clone(), DecodingKey::from_jwk(jwk))
            else {
                continue;
            };
            keys.insert(kid, key);
        }
        Ok(IssuerKeys {
            keys,
            fetched: Instant::now(),
        })
    }
}
