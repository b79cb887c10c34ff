//! omni-server: the organization's backend. Every product operation over HTTP/JSON, through the
//! same store and policy as the `omni` CLI; Entra ID access tokens; SQLite or PostgreSQL.
//!
//! - [`auth`]: token validation (discovery, JWKS cache, issuer per tenant, audience, times).
//! - [`app`]: state, the per-request caller, the routes and their limits.
//! - [`envelope`]: what every request and response goes through (tasks, errors, headers).
//! - [`api`]: the thin handlers; [`error`]: the `{code, message}` answers.
//! - [`idempotency`]: `Idempotency-Key` on every write, its answer kept with the change.
//! - [`uploads`]: CSV files spooled to disk between their preview and their commit.
//! - [`pages`]: rendered pages of the users table, kept while their organization is unchanged.
//! - [`scim`]: SCIM 2.0 provisioning at `/scim/v2/{org}` (docs/scim.md).
//! - [`config`], [`clock`]: what the operator sets, and where the time comes from.

pub mod api;
pub mod app;
pub mod auth;
pub mod clock;
pub mod config;
pub mod envelope;
pub mod error;
pub mod idempotency;
pub mod openapi;
pub mod pages;
pub mod scim;
pub mod uploads;

pub use app::{router, AppState};
pub use config::Config;

/// What one round of upkeep ([`forget_expired`]) found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upkeep {
    /// Done (or failed for a reason the next hour's round will meet again: logged).
    Done,
    /// The database is unavailable; what it said. Not logged: the caller says it once.
    Unavailable(String),
}

/// Forgets what has expired: in the store ([`omni_store::Store::forget_expired`]: deleted users
/// past their restore window, old change-feed entries and usage events) and the uploads that
/// waited too long for their commit, with their files. A failure is logged, unless the database
/// is only unavailable ([`Upkeep::Unavailable`]).
pub async fn forget_expired(state: &AppState) -> Upkeep {
    let now = state.clock.now();
    match state.uploads.forget_expired(&state.store, now).await {
        Ok(0) => {}
        Ok(uploads) => tracing::info!(uploads, "forgot expired uploads"),
        Err(e) if e.code == "unavailable" => return Upkeep::Unavailable(e.message),
        Err(e) => tracing::warn!(error = %e.message, "cannot forget expired uploads"),
    }
    match state.store.forget_expired(now).await {
        Ok(f) if f != omni_store::Forgotten::default() => {
            tracing::info!(forgotten = ?f, "forgot expired data");
        }
        Ok(_) => {}
        Err(e) if e.code == omni_core::ErrorCode::Unavailable => {
            return Upkeep::Unavailable(e.message);
        }
        Err(e) => tracing::warn!(error = %e.message, "cannot forget expired data"),
    }
    Upkeep::Done
}

/// How long the upkeep waits before its next round, after `unavailable` rounds in a row found
/// the database unavailable: an hour when the last one was done; otherwise 10 s, doubling with
/// each round, at most 10 minutes. So an outage of minutes delays the upkeep by about as much,
/// not by an hour, and a long one costs a try every 10 minutes, not a stream of them.
pub fn upkeep_delay(unavailable: u32) -> std::time::Duration {
    use std::time::Duration;
    match unavailable {
        0 => Duration::from_secs(3600),
        n => Duration::from_secs(10u64.saturating_mul(1u64 << (n - 1).min(16)).min(600)),
    }
}

/// [`forget_expired`] at once and then every hour, for as long as it runs. While the database
/// is unavailable it tries again sooner, backing off ([`upkeep_delay`]); it logs one line when
/// an outage begins and one when it is over.
pub async fn forget_expired_hourly(state: AppState) {
    let mut unavailable = 0u32;
    loop {
        match forget_expired(&state).await {
            Upkeep::Unavailable(why) => {
                unavailable += 1;
                let retry_in = upkeep_delay(unavailable).as_secs();
                if unavailable == 1 {
                    tracing::warn!(error = %why, retry_in, "upkeep: the database is unavailable; trying again with backoff");
                } else {
                    tracing::debug!(error = %why, unavailable, retry_in, "upkeep: the database is still unavailable");
                }
            }
            Upkeep::Done => {
                if unavailable > 0 {
                    tracing::info!(
                        tries = unavailable + 1,
                        "upkeep: the database answers again; done"
                    );
                }
                unavailable = 0;
            }
        }
        tokio::time::sleep(upkeep_delay(unavailable)).await;
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

#[cfg(test)]
mod tests {
    use super::upkeep_delay;
    use std::time::Duration;

    #[test]
    fn upkeep_backs_off_while_the_database_is_unavailable() {
        let secs: Vec<u64> = (0..9).map(|n| upkeep_delay(n).as_secs()).collect();
        assert_eq!(secs, [3600, 10, 20, 40, 80, 160, 320, 600, 600]);
        assert_eq!(upkeep_delay(u32::MAX), Duration::from_secs(600));
    }
}
