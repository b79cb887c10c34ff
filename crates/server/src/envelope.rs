//! What every request and response goes through, once, around the routes: writes run to their
//! end in a task of their own, no request waits longer than [`REQUEST_BOUND`] for its answer
//! (a database that stops answering must not hold clients, connections and tasks), errors
//! leave as `{code, message}`, every response carries the security headers, and every request
//! is logged in one line: method, route template, status and latency.
//!
//! One service does it all. As `Router::layer`s, each of these wrapped every route, and for
//! every request axum cloned that route's whole stack into a new box and polled through a
//! future per layer: a tenth of a short request's CPU time (perf, bench/server).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::{Service, ServiceExt};

use crate::error::{structured_errors, ApiError};
use crate::idempotency::{self, Keys};

/// Sent with every response (unless a handler set its own).
const SECURITY_HEADERS: [(HeaderName, &str); 6] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; frame-ancestors 'none'",
    ),
    (header::CACHE_CONTROL, "no-store"),
    (header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"),
];

/// The longest a request waits for its answer (the response's head; a body streams after it)
/// before it is answered 503 `unavailable`. Every wait of the store for the database ends
/// sooner ([`omni_store::Patience::SERVER`], 2 s), so when the database is down or locked the
/// store's own refusal comes first; this bound is for what no such wait covers: a database
/// that accepted a statement and stopped answering (frozen, cut off by the network), or an
/// identity provider slow to give its keys. Under 5 s, so a client, a probe or a load balancer
/// (whose timeouts are commonly 5 to 30 s) hears a refusal rather than timing out itself. An
/// import's upload and commit do work proportional to their file and are not bounded; each
/// of their waits for the database is.
pub const REQUEST_BOUND: Duration = Duration::from_millis(4_500);

/// The whole application: [`crate::app::router`]'s routes in their envelope.
#[derive(Clone)]
pub struct App {
    routes: Router,
    templates: Arc<RouteTemplates>,
    keys: Keys,
}

impl App {
    pub fn new(routes: Router, templates: RouteTemplates, keys: Keys) -> App {
        App {
            routes,
            templates: Arc::new(templates),
            keys,
        }
    }
}

/// The routes' templates (`/v1/orgs/{org}/users/{id}`), to log a request under its route
/// rather than its path: a path carries ids (one line per user would not add up), and
/// whatever a client sent.
pub struct RouteTemplates {
    routes: matchit::Router<Arc<str>>,
    none: Arc<str>,
}

impl Default for RouteTemplates {
    fn default() -> RouteTemplates {
        RouteTemplates {
            routes: matchit::Router::new(),
            none: Arc::from("-"),
        }
    }
}

impl RouteTemplates {
    /// Adds a route's template, written as axum's routes are.
    pub fn add(&mut self, template: &str) {
        // A template the matcher refuses is one axum refuses too (it panics first): none here.
        let _ = self.routes.insert(template, Arc::from(template));
    }

    /// The template `path` matches; a path of no route is logged as `-`.
    fn of(&self, path: &str) -> Arc<str> {
        match self.routes.at(path) {
            Ok(found) => found.value.clone(),
            Err(_) => self.none.clone(),
        }
    }
}

/// What a request's log line needs from the request, taken when the line will be written.
struct Logged {
    method: Method,
    route: Arc<str>,
    started: Instant,
}

impl Logged {
    fn of(req: &Request, templates: &RouteTemplates) -> Option<Logged> {
        tracing::enabled!(target: "omni_server::request", tracing::Level::INFO).then(|| Logged {
            method: req.method().clone(),
            route: templates.of(req.uri().path()),
            started: Instant::now(),
        })
    }

    /// One line: method, route template, status, and the time to the response's head in
    /// microseconds (a streamed body, an export, goes on after it).
    fn write(self, res: &Response) {
        tracing::info!(
            target: "omni_server::request",
            method = %self.method,
            route = %self.route,
            status = res.status().as_u16(),
            latency_us = self.started.elapsed().as_micros() as u64,
            "request"
        );
    }
}

impl Service<Request> for App {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let routes = self.routes.clone();
        let keys = self.keys.clone();
        let logged = Logged::of(&req, &self.templates);
        Box::pin(async move {
            let res = run_to_completion(routes, req, keys).await;
            let mut res = structured_errors(res).await;
            let headers = res.headers_mut();
            for (name, value) in SECURITY_HEADERS {
                if !headers.contains_key(&name) {
                    headers.insert(name, HeaderValue::from_static(value));
                }
            }
            if let Some(logged) = logged {
                logged.write(&res);
            }
            Ok(res)
        })
    }
}

/// Runs each write to its end in a task of its own, even when its client goes away. A write
/// that has begun then commits or rolls back on its own terms; cancelled halfway (the default
/// when a connection drops), it would leave its transaction for the pool to roll back later
/// while the next writer waits on SQLite's lock, and an import a client stopped waiting for
/// would be lost although it was asked for.
///
/// A read has nothing to finish: it runs in its connection's task, without a task of its own,
/// and is dropped when it has not answered within [`REQUEST_BOUND`]. A write that has not
/// answered by then is answered 503 and goes on to its end: it may still commit, which its
/// answer says ([`unfinished_write`]).
async fn run_to_completion(routes: Router, req: Request, keys: Keys) -> Response {
    let bound = bound_of(&req);
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        let read = routes.oneshot(req);
        let answered = match bound {
            Some(bound) => tokio::time::timeout(bound, read).await,
            None => Ok(read.await),
        };
        return match answered {
            Ok(Ok(res)) => res,
            Ok(Err(never)) => match never {},
            Err(_) => unanswered_read().into_response(),
        };
    }
    let mut write = if idempotency::applies(&req) {
        tokio::spawn(async move { Ok(idempotency::run(keys, routes, req).await) })
    } else {
        tokio::spawn(routes.oneshot(req))
    };
    let done = match bound {
        Some(bound) => match tokio::time::timeout(bound, &mut write).await {
            Ok(done) => done,
            Err(_) => return unfinished_write().into_response(),
        },
        None => write.await,
    };
    match done {
        Ok(Ok(res)) => res,
        Ok(Err(never)) => match never {},
        // The store's internal errors take the same way: logged, and a plain 500 for the client.
        Err(e) => ApiError::from(omni_core::Error::internal(format!(
            "a request's task failed: {e}"
        )))
        .into_response(),
    }
}

/// How long a request may wait for its answer: [`REQUEST_BOUND`], except an import's upload (a
/// file of up to `max_import_bytes` streaming in) and its commit (up to a million rows), which
/// are not bounded, and the change feed's long poll, bounded by its own `wait` (at most
/// [`omni_store::LONGEST_WAIT`]) and then [`REQUEST_BOUND`] for its page.
fn bound_of(req: &Request) -> Option<Duration> {
    let path = req.uri().path();
    let imports = *req.method() == Method::POST
        && path.starts_with("/v1/orgs/")
        && (path.ends_with("/imports") || path.contains("/imports/") && path.ends_with("/commit"));
    if imports {
        return None;
    }
    let feed =
        *req.method() == Method::GET && path.starts_with("/v1/orgs/") && path.ends_with("/changes");
    let wait = if feed {
        crate::api::wait_of(req.uri().query().unwrap_or(""))
    } else {
        Duration::ZERO
    };
    Some(REQUEST_BOUND + wait)
}

fn unanswered_read() -> ApiError {
    tracing::warn!(
        bound_ms = REQUEST_BOUND.as_millis() as u64,
        "a read did not finish in time: answering 503"
    );
    ApiError::unavailable(format!(
        "The server could not answer within {} ms (its database is not answering): try again \
         in a few seconds.",
        REQUEST_BOUND.as_millis()
    ))
}

fn unfinished_write() -> ApiError {
    tracing::warn!(
        bound_ms = REQUEST_BOUND.as_millis() as u64,
        "a write did not finish in time: answering 503, it goes on"
    );
    ApiError::unavailable(format!(
        "The change did not finish within {} ms (the database is not answering). It goes on \
         and may still be saved: read it back before you send it again.",
        REQUEST_BOUND.as_millis()
    ))
}
