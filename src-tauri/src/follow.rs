//! Connected mode: the local copy of the server's organization follows the server, and a change
//! made elsewhere (another administrator, the server's import, provisioning) shows in the open
//! app without a click. One task downloads the copy when it has none, then long-polls the feed
//! and applies each page to the copy (`omni_sync::Copy::follow`), and emits the same
//! `data-changed` event as the local watcher ([`crate::changes`]) with the kinds of data that
//! changed. When the server cannot be reached it marks the place offline (the screens say so and
//! keep reading the copy) and tries again every second.

use std::time::Duration;

use tauri::{AppHandle, Manager};

use crate::changes::{ChangeKind, DataChanged};
use crate::connected::offline;
use crate::state::{now, AppState};

/// How long the follower rests when there is nothing to follow, or after a failure (the server
/// unreachable, a session ended): the next look comes after it.
const REST: Duration = Duration::from_secs(1);

/// Follows the server in use until the app ends (the task is aborted then).
pub async fn follow(app: AppHandle, emit: impl Fn(DataChanged)) {
    loop {
        let places = &app.state::<AppState>().places;
        let Some((_, org)) = places.followed().await else {
            tokio::time::sleep(REST).await;
            continue;
        };
        let wait = if org.copy_complete().await {
            omni_client::LONGEST_POLL
        } else {
            Duration::ZERO
        };
        match org.copy.follow(&org.server, wait, now()).await {
            Ok(changed) => {
                let mut kinds: Vec<ChangeKind> = changed.into_iter().map(ChangeKind::of).collect();
                // Back online: the status line changes with the organization's data.
                if places.set_online(true) {
                    kinds.push(ChangeKind::Org);
                }
                kinds.sort();
                kinds.dedup();
                if !kinds.is_empty() {
                    emit(DataChanged { kinds });
                }
            }
            Err(e) => {
                if offline(&e) && places.set_online(false) {
                    emit(DataChanged {
                        kinds: vec![ChangeKind::Org],
                    });
                }
                tokio::time::sleep(REST).await;
            }
        }
    }
}
