//! What every request and response goes through, once, around the routes: writes run to their
//! end in a task of their own, errors leave as `{code, message}`, and every response carries
//! the security headers.
//!
//! One service does it all. As `Router::layer`s, each of these wrapped every route, and for
//! every request axum cloned that route's whole stack into a new box and polled through a
//! future per layer: a tenth of a short request's CPU time (perf, bench/server).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::{Service, ServiceExt};

use crate::error::{structured_errors, ApiError};

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

/// The whole application: [`crate::app::router`]'s routes in their envelope.
#[derive(Clone)]
pub struct App {
    routes: Router,
}

impl App {
    pub fn new(routes: Router) -> App {
        App { routes }
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
        Box::pin(async move {
            let res = run_to_completion(routes, req).await;
            let mut res = structured_errors(res).await;
            let headers = res.headers_mut();
            for (name, value) in SECURITY_HEADERS {
                if !headers.contains_key(&name) {
                    headers.insert(name, HeaderValue::from_static(value));
                }
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
/// A read has nothing to finish: it runs in its connection's task, without a task of its own.
async fn run_to_completion(routes: Router, req: Request) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        return match routes.oneshot(req).await {
            Ok(res) => res,
            Err(never) => match never {},
        };
    }
    match tokio::spawn(routes.oneshot(req)).await {
        Ok(Ok(res)) => res,
        Ok(Err(never)) => match never {},
        // The store's internal errors take the same way: logged, and a plain 500 for the client.
        Err(e) => ApiError::from(omni_core::Error::internal(format!(
            "a request's task failed: {e}"
        )))
        .into_response(),
    }
}
