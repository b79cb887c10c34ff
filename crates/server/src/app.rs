//! The HTTP application: shared state, the request context (who calls, at what time), the
//! router with its limits and security headers, health, readiness and discovery endpoints.
//!
//! Every `/v1/orgs/{org}/...` request resolves its caller the same way: the bearer token is
//! verified ([`crate::auth`]), it must allow the endpoint (a person's delegated token with this
//! API's scope; for usage reports, an application token with the usage app role), its tenant must be the organization's own (one tenant per
//! organization: a token never reaches another organization's data), and the person
//! (`tid`, `oid`) is resolved to a user of that organization by the store. The policy itself is
//! asked by the store inside each operation; handlers never compare roles.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put, MethodRouter};
use axum::{Json, Router};
use omni_core::model::{Id, Timestamp};
use omni_core::Email;
use omni_requests::wire::OmniConfiguration;
use omni_store::{Caller, SignIn, Store};

use crate::auth::{Claims, TokenKind, Verifier};
use crate::clock::Clock;
use crate::config::Config;
use crate::envelope::{App, RouteTemplates};
use crate::error::{ApiError, ApiResult};
use crate::pages::PageCache;
use crate::uploads::Uploads;

/// Rendered pages of the users table kept at most (about 1,800 pages of 100 users).
const PAGE_CACHE_BYTES: usize = 32 << 20;

/// What every handler can reach. Cheap to clone: one shared pointer. axum clones the state for
/// every request; a dozen reference counts bumped and dropped from two cores at once were a
/// tenth of a short request's CPU time (perf, bench/server).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The state behind [`AppState`].
pub struct Shared {
    pub store: Store,
    pub verifier: Verifier,
    pub clock: Arc<dyn Clock>,
    pub config: Config,
    pub uploads: Uploads,
    /// Rendered pages of the users table ([`crate::pages`]).
    pub pages: PageCache,
    /// Answers that do not change between requests, kept to spare every request the same
    /// lookups: tenant → organization, and (tenant, object id, organization) → user. Only
    /// positive answers are kept. Safe: every store operation re-reads the caller's role and
    /// refuses a deleted caller, and an organization's tenant never changes. A remembered user
    /// is checked to be live again once [`LIVE_CHECK_MS`] have passed since the last check; a
    /// deleted one is then forgotten, and the person signs in afresh (and is refused unless the
    /// user was restored).
    tenants: std::sync::RwLock<HashMap<String, Id>>,
    callers: std::sync::RwLock<HashMap<Person, Remembered>>,
}

/// A person's user, and when it was last found live.
#[derive(Clone, Copy)]
struct Remembered {
    caller: Caller,
    checked: Timestamp,
}

/// How long a remembered user is trusted to be live without asking the database again.
const LIVE_CHECK_MS: i64 = 1_000;

/// A person of an organization: (tenant, object id, organization).
type Person = (String, String, Id);

/// Entries each cache keeps at most before it starts afresh.
const CACHE_LIMIT: usize = 100_000;

fn remember<K: std::hash::Hash + Eq, V>(
    cache: &std::sync::RwLock<HashMap<K, V>>,
    key: K,
    value: V,
) {
    if let Ok(mut map) = cache.write() {
        if map.len() >= CACHE_LIMIT {
            map.clear();
        }
        map.insert(key, value);
    }
}

fn recall<K: std::hash::Hash + Eq, V: Clone>(
    cache: &std::sync::RwLock<HashMap<K, V>>,
    key: &K,
) -> Option<V> {
    cache.read().ok().and_then(|map| map.get(key).cloned())
}

impl AppState {
    pub fn new(store: Store, config: Config, clock: Arc<dyn Clock>) -> AppState {
        let verifier = Verifier::new(&config.authority, &config.audience, config.leeway_secs);
        AppState::with_verifier(store, config, clock, verifier)
    }

    pub fn with_verifier(
        store: Store,
        config: Config,
        clock: Arc<dyn Clock>,
        verifier: Verifier,
    ) -> AppState {
        let uploads = Uploads::new(config.upload_dir.as_deref(), config.upload_wait_secs);
        AppState(Arc::new(Shared {
            store,
            verifier,
            clock,
            config,
            uploads,
            pages: PageCache::new(PAGE_CACHE_BYTES),
            tenants: Default::default(),
            callers: Default::default(),
        }))
    }

    /// The organization bound to `tenant`, if any.
    pub async fn org_of_tenant(&self, tenant: &str) -> ApiResult<Option<Id>> {
        if let Some(org) = recall(&self.tenants, &tenant.to_string()) {
            return Ok(Some(org));
        }
        let org = self.store.org_by_tenant(tenant).await?.map(|o| o.id);
        if let Some(id) = org {
            remember(&self.tenants, tenant.to_string(), id);
        }
        Ok(org)
    }

    /// Verifies a bearer token at `now`.
    pub async fn verify(&self, token: &str, now: Timestamp) -> ApiResult<Claims> {
        let state = self.clone();
        self.verifier
            .verify(token, now, |tid| async move {
                matches!(state.org_of_tenant(&tid).await, Ok(Some(_)))
            })
            .await
            .map_err(|r| ApiError::invalid_token(r.0))
    }
}

fn bearer(parts: &Parts) -> ApiResult<&str> {
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or_else(ApiError::no_token)?
        .to_str()
        .map_err(|_| ApiError::invalid_token("The Authorization header is not valid."))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| ApiError::invalid_token("Use the Bearer scheme."))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::invalid_token("Use the Bearer scheme."));
    }
    Ok(token.trim())
}

/// The organization id in the path.
async fn path_org(parts: &mut Parts, state: &AppState) -> ApiResult<Id> {
    let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
        .await
        .map_err(|_| ApiError::bad_request("The path is not valid."))?;
    params
        .get("org")
        .and_then(|o| o.parse::<Id>().ok())
        .ok_or_else(|| ApiError::bad_request("The organization id in the path is not a number."))
}

/// The organization of `org` when it is bound to the token's tenant; 403 otherwise (the same
/// answer whether or not `org` exists, so nothing is disclosed).
async fn own_org(state: &AppState, claims: &Claims, org: Id) -> ApiResult<()> {
    match state.org_of_tenant(&claims.tid).await? {
        Some(o) if o == org => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "permission_denied",
            "This organization belongs to another Entra ID tenant than your sign-in.",
        )),
    }
}

/// A person's token: delegated (`scp`) and holding this API's scope (`user_scope`). Anything
/// else is refused with 401: an application token, a delegated token for another scope, or a
/// token with neither.
fn person_token(state: &AppState, claims: &Claims) -> ApiResult<()> {
    let scope = &state.config.user_scope;
    match claims.kind() {
        TokenKind::Delegated if claims.has_scope(scope) => Ok(()),
        TokenKind::Delegated => Err(ApiError::invalid_token(format!(
            "The access token does not grant this API's {scope} scope: sign in again asking for it."
        ))),
        TokenKind::Application => Err(ApiError::invalid_token(format!(
            "An application token cannot call this endpoint: it needs a signed-in person's \
             token with the {scope} scope."
        ))),
        TokenKind::Neither => Err(neither(state)),
    }
}

/// An application's token (`roles`, no `scp`) holding the app role `role`, which `what` needs.
/// Anything else is refused with 401.
fn application_token(state: &AppState, claims: &Claims, role: &str, what: &str) -> ApiResult<()> {
    match claims.kind() {
        TokenKind::Application if claims.has_role(role) => Ok(()),
        TokenKind::Application => Err(ApiError::invalid_token(format!(
            "The application token lacks the {role} app role that {what} needs."
        ))),
        TokenKind::Delegated => Err(ApiError::invalid_token(format!(
            "A signed-in person's token cannot be used for {what}: it needs an application \
             token with the {role} app role."
        ))),
        TokenKind::Neither => Err(neither(state)),
    }
}

fn neither(state: &AppState) -> ApiError {
    ApiError::invalid_token(format!(
        "The access token allows nothing here: it has neither a delegated scope (scp, needs {}) \
         nor an app role (roles, e.g. {}).",
        state.config.user_scope, state.config.usage_role
    ))
}

/// Who calls and when: the signed-in user of the organization in the path, and the request's
/// one reading of the clock.
pub struct Ctx {
    pub caller: Caller,
    pub now: Timestamp,
}

impl Ctx {
    /// The person of `claims` as a user of `org` (already known to be the token's tenant's):
    /// remembered, or signed in by the store. Every endpoint a person calls resolves its caller
    /// here.
    async fn resolve(state: &AppState, claims: &Claims, org: Id, now: Timestamp) -> ApiResult<Ctx> {
        let email = claims.sign_in_name().and_then(|e| Email::parse(e).ok());
        let who = SignIn {
            tenant: &claims.tid,
            object_id: &claims.oid,
            email: email.as_ref(),
        };
        let key = (claims.tid.clone(), claims.oid.clone(), org);
        // A remembered user still has to be live (a deleted one signs in afresh, and is refused).
        let cached = match recall(&state.callers, &key) {
            Some(r) if (0..LIVE_CHECK_MS).contains(&(now.0 - r.checked.0)) => Some(r.caller),
            Some(r) if state.store.is_live(&r.caller).await? => {
                let fresh = Remembered { checked: now, ..r };
                remember(&state.callers, key.clone(), fresh);
                Some(r.caller)
            }
            _ => None,
        };
        let caller = match cached {
            Some(c) => c,
            None => {
                let caller = state.store.sign_in(org, &who, now).await?;
                remember(
                    &state.callers,
                    key,
                    Remembered {
                        caller,
                        checked: now,
                    },
                );
                caller
            }
        };
        Ok(Ctx { caller, now })
    }
}

impl FromRequestParts<AppState> for Ctx {
    /// A refusal, or the answer kept under the request's idempotency key.
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Ctx, Response> {
        let ctx = async {
            let now = state.clock.now();
            let claims = state.verify(bearer(parts)?, now).await?;
            person_token(state, &claims)?;
            let org = path_org(parts, state).await?;
            own_org(state, &claims, org).await?;
            Ctx::resolve(state, &claims, org, now).await
        }
        .await
        .map_err(IntoResponse::into_response)?;
        crate::idempotency::check(&state.store, &ctx.caller).await?;
        Ok(ctx)
    }
}

/// Who calls and when, for a request whose path names no organization (`GET /v1/me`): the
/// signed-in user of the organization bound to the token's tenant.
pub struct TenantCtx {
    pub ctx: Ctx,
    /// The token's tenant (`tid`).
    pub tenant: String,
}

impl FromRequestParts<AppState> for TenantCtx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<TenantCtx> {
        let now = state.clock.now();
        let claims = state.verify(bearer(parts)?, now).await?;
        person_token(state, &claims)?;
        // The verifier refused a token of a tenant bound to no organization; this answers the
        // same should the binding be gone since.
        let org = state.org_of_tenant(&claims.tid).await?.ok_or_else(|| {
            ApiError::invalid_token(
                "The access token's tenant is not bound to any organization on this server.",
            )
        })?;
        let ctx = Ctx::resolve(state, &claims, org, now).await?;
        Ok(TenantCtx {
            ctx,
            tenant: claims.tid,
        })
    }
}

/// An application (not a person) of the organization's tenant holding the app role that
/// reports usage: the platform's metering.
pub struct Reporter {
    pub org: Id,
    pub now: Timestamp,
}

impl FromRequestParts<AppState> for Reporter {
    /// A refusal, or the answer kept under the request's idempotency key (an application's
    /// keys are kept as user 0's).
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Reporter, Response> {
        let reporter = async {
            let now = state.clock.now();
            let claims = state.verify(bearer(parts)?, now).await?;
            application_token(state, &claims, &state.config.usage_role, "reporting usage")?;
            let org = path_org(parts, state).await?;
            own_org(state, &claims, org).await?;
            Ok::<_, ApiError>(Reporter { org, now })
        }
        .await
        .map_err(IntoResponse::into_response)?;
        let app = Caller {
            org: reporter.org,
            user: 0,
        };
        crate::idempotency::check(&state.store, &app).await?;
        Ok(reporter)
    }
}

#[utoipa::path(get, path = "/.well-known/omni-configuration", tag = "meta",
    responses((status = 200, body = OmniConfiguration)))]
pub async fn omni_configuration(State(s): State<AppState>) -> Json<OmniConfiguration> {
    Json(OmniConfiguration {
        authority: s.config.client_authority.clone(),
        client_id: s.config.client_id.clone(),
        scopes: s.config.scopes.clone(),
        audience: s.config.audience.clone(),
    })
}

#[utoipa::path(get, path = "/healthz", tag = "meta", responses((status = 200, description = "The process is alive")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// How long `/readyz` waits for the database: a probe hears within a second that this server
/// cannot serve (its own timeout is commonly 1 s or more), and the server's pool, which waits
/// longer for a connection ([`omni_store::Patience::SERVER`]), is not what it measures.
pub const READY_BOUND: std::time::Duration = std::time::Duration::from_millis(800);

#[utoipa::path(get, path = "/readyz", tag = "meta", responses(
    (status = 200, description = "The database answers"),
    (status = 503, description = "The database does not answer within 800 ms; `Retry-After` says when to ask again",
        body = crate::error::ErrorBody, headers(("Retry-After" = u32, description = "Seconds")))))]
pub async fn readyz(State(s): State<AppState>) -> Response {
    match tokio::time::timeout(READY_BOUND, s.store.ping()).await {
        Ok(Ok(())) => "ready".into_response(),
        Ok(Err(_)) | Err(_) => {
            ApiError::unavailable("The database does not answer.").into_response()
        }
    }
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "There is nothing at this address.",
    )
}

/// The whole application: every route, in the envelope every request goes through
/// ([`crate::envelope`]), which logs each request under its route's template.
pub fn router(state: AppState) -> App {
    use crate::api;
    let max_body = state.config.max_body_bytes;
    // Each organization's routes, written out in full: a nested router would rewrite the path
    // of every request on its way in.
    let org = |path: &str| format!("/v1/orgs/{{org}}{path}");
    let routes: Vec<(String, MethodRouter<AppState>)> = vec![
        ("/healthz".into(), get(healthz)),
        ("/readyz".into(), get(readyz)),
        (
            "/.well-known/omni-configuration".into(),
            get(omni_configuration),
        ),
        ("/openapi.json".into(), get(crate::openapi::openapi_json)),
        ("/v1/me".into(), get(api::my_org)),
        (org("/me"), get(api::me)),
        (org("/summary"), get(api::summary)),
        (org("/seats"), put(api::set_seats)),
        (org("/users"), get(api::list_users).post(api::create_user)),
        (
            org("/users/{id}"),
            get(api::get_user)
                .patch(api::edit_user)
                .delete(api::delete_user),
        ),
        (org("/users/{id}/license"), put(api::set_license)),
        (org("/users/{id}/restore"), post(api::restore_user)),
        (org("/users/{id}/access"), get(api::access)),
        (org("/users/{id}/links"), get(api::user_links)),
        (
            org("/deleted-users"),
            get(api::deleted_users).post(api::delete_users),
        ),
        (org("/licenses"), post(api::bulk_license)),
        (org("/roles"), post(api::bulk_role)),
        (org("/directory"), get(api::directory_page)),
        (
            org("/directory/{kind}"),
            get(api::items).post(api::create_item),
        ),
        (
            org("/directory/{kind}/{id}"),
            get(api::item_page)
                .patch(api::rename_item)
                .delete(api::delete_item),
        ),
        (org("/directory/{kind}/{id}/reach"), get(api::agent_reach)),
        (
            org("/links"),
            get(api::item_links).post(api::link).delete(api::unlink),
        ),
        (org("/changes"), get(api::changes)),
        (org("/snapshot"), get(api::snapshot)),
        (org("/audit"), get(api::audit)),
        // The upload streams to a file and enforces `max_import_bytes` itself.
        (org("/imports"), post(api::import_upload)),
        (org("/imports/{upload}/commit"), post(api::import_commit)),
        (org("/export"), get(api::export)),
        (org("/audit/export"), get(api::export_audit)),
        (org("/usage"), post(api::record_usage)),
        (
            org("/scim/tokens"),
            get(api::scim_tokens).post(api::create_scim_token),
        ),
        (
            org("/scim/tokens/{id}"),
            axum::routing::delete(api::revoke_scim_token),
        ),
    ];
    let routes: Vec<_> = routes
        .into_iter()
        .chain(crate::scim::routes::routes())
        .collect();
    let mut templates = RouteTemplates::default();
    let mut router = Router::new();
    for (path, methods) in routes {
        templates.add(&path);
        router = router.route(&path, methods);
    }
    let routes = router
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state.clone());
    let keys = crate::idempotency::Keys {
        store: state.store.clone(),
        clock: state.clock.clone(),
        max_body,
    };
    App::new(routes, templates, keys)
}
