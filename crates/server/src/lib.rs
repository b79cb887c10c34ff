//! omni-server: the organization's backend. Every product operation over HTTP/JSON, through the
//! same store and policy as the `omni` CLI; Entra ID access tokens; SQLite or PostgreSQL.
//!
//! - [`auth`]: token validation (discovery, JWKS cache, issuer per tenant, audience, times).
//! - [`app`]: state, the per-request caller, the routes and their limits.
//! - [`envelope`]: what every request and response goes through (tasks, errors, headers).
//! - [`api`]: the thin handlers; [`error`]: the `{code, message}` answers.
//! - [`uploads`]: CSV files spooled to disk between their preview and their commit.
//! - [`pages`]: rendered pages of the users table, kept while their organization is unchanged.
//! - [`config`], [`clock`]: what the operator sets, and where the time comes from.

pub mod api;
pub mod app;
pub mod auth;
pub mod clock;
pub mod config;
pub mod envelope;
pub mod error;
pub mod openapi;
pub mod pages;
pub mod uploads;

pub use app::{router, AppState};
pub use config::Config;

/// Forgets what has expired: in the store ([`omni_store::Store::forget_expired`]: deleted users
/// past their restore window, old change-feed entries and usage events) and the uploads that
/// waited too long for their commit, with their files. A failure is logged.
pub async fn forget_expired(state: &AppState) {
    let now = state.clock.now();
    let uploads = state.uploads.forget_expired(now);
    if uploads > 0 {
        tracing::info!(uploads, "forgot expired uploads");
    }
    match state.store.forget_expired(now).await {
        Ok(f) if f != omni_store::Forgotten::default() => {
            tracing::info!(forgotten = ?f, "forgot expired data");
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e.message, "cannot forget expired data"),
    }
}

/// [`forget_expired`] at once and then every hour, for as long as it runs.
pub async fn forget_expired_hourly(state: AppState) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every.tick().await;
        forget_expired(&state).await;
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then finishes the requests in flight
/// (graceful shutdown).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: envelope::App,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, axum::ServiceExt::into_make_service(app))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
