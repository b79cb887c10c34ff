//! Connected mode: a change made elsewhere on the server (another administrator, the server's
//! import, provisioning) shows in the open app without a click. One task follows the server
//! organization in use through the feed's long poll (`omni_client::ServerOrganization::changes`)
//! and emits the same `data-changed` event as the local watcher ([`crate::changes`]), naming the
//! kinds of data that changed. It starts from the feed's position when it first sees a server
//! (what came before is on screen already), starts again after a change of place or a sign-in,
//! and when the feed no longer reaches back (410) reports every kind and starts again.

use std::time::Duration;

use omni_core::ErrorCode;
use tauri::{AppHandle, Manager};

use crate::changes::{ChangeKind, DataChanged};
use crate::state::AppState;

/// How long the follower rests when there is nothing to follow, or after a failure (the server
/// unreachable, a session ended): the next look comes after it.
const REST: Duration = Duration::from_secs(1);

/// Follows the server in use until the app ends (the task is aborted then).
pub async fn follow(app: AppHandle, emit: impl Fn(DataChanged)) {
    // The server followed and where its feed stood.
    let mut following: Option<(String, i64)> = None;
    loop {
        let target = app.state::<AppState>().places.followed().await;
        let Some((address, org)) = target else {
            following = None;
            tokio::time::sleep(REST).await;
            continue;
        };
        let after = match &following {
            Some((a, after)) if *a == address => *after,
            _ => -1,
        };
        let wait = if after < 0 {
            Duration::ZERO
        } else {
            omni_client::LONGEST_POLL
        };
        match org.changes(after, wait).await {
            Ok(page) => {
                if after >= 0 && !page.changes.is_empty() {
                    let mut kinds: Vec<ChangeKind> = page
                        .changes
                        .iter()
                        .map(|c| ChangeKind::of(c.entity))
                        .collect();
                    kinds.sort();
                    kinds.dedup();
                    emit(DataChanged { kinds });
                }
                following = Some((address, page.next));
            }
            Err(e) if e.code == ErrorCode::StaleVersion => {
                emit(DataChanged {
                    kinds: ChangeKind::ALL.to_vec(),
                });
                following = None;
            }
            Err(_) => tokio::time::sleep(REST).await,
        }
    }
}
