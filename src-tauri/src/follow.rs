//! Connected mode: the local copy of the server's organization follows the server, and a change
//! made elsewhere (another administrator, the server's import, provisioning) shows in the open
//! app without a click. One task downloads the copy when it has none, then long-polls the feed
//! and applies each page to the copy (`omni_sync::Copy::follow`), and emits the same
//! `data-changed` event as the local watcher ([`crate::changes`]) with the kinds of data that
//! changed. When the server cannot be reached it marks the place offline (the screens say so and
//! keep reading the copy) and tries again every second.
//!
//! The same task sends the outbox (the edits made offline, [`crate::outbox`]) whenever the
//! server answers and edits wait, and as soon as one is queued; when the sending gets no
//! answer (unreachable, 5xx) it waits before the next try, 1 s doubling to 30 s.

use std::time::{Duration, Instant};

use tauri::{AppHandle, Manager};

use crate::changes::{ChangeKind, DataChanged};
use crate::connected::{offline, ConnectedOrganization};
use crate::state::{now, AppState};

/// How long the follower rests when there is nothing to follow, or after a failure (the server
/// unreachable, a session ended): the next look comes after it.
const REST: Duration = Duration::from_secs(1);

/// The first and the longest wait before the outbox is sent again after no answer.
const FIRST_RETRY: Duration = Duration::from_secs(1);
const LAST_RETRY: Duration = Duration::from_secs(30);

/// When the outbox may be sent again: after a sending that got no answer, a wait that
/// doubles each time, up to [`LAST_RETRY`]; after an answer, at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    next: Duration,
    until: Option<Instant>,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            next: FIRST_RETRY,
            until: None,
        }
    }
}

impl Backoff {
    /// Whether sending may be tried at `now`.
    pub fn ready(&self, now: Instant) -> bool {
        self.until.is_none_or(|u| now >= u)
    }
    /// The server did not answer at `now`: wait, and wait longer next time.
    pub fn failed(&mut self, now: Instant) {
        self.until = Some(now + self.next);
        self.next = (self.next * 2).min(LAST_RETRY);
    }
    /// The server answered.
    pub fn answered(&mut self) {
        *self = Backoff::default();
    }
}

/// Follows the server in use until the app ends (the task is aborted then).
pub async fn follow(app: AppHandle, emit: impl Fn(DataChanged)) {
    let mut backoff = Backoff::default();
    loop {
        let places = &app.state::<AppState>().places;
        let Some((_, org)) = places.followed().await else {
            tokio::time::sleep(REST).await;
            continue;
        };
        let followed = if org.copy_complete().await {
            // A queued edit ends the wait: it is sent at once when the server answers.
            tokio::select! {
                f = org.copy.follow(&org.server, omni_client::LONGEST_POLL, now()) => Some(f),
                () = org.queued.notified() => None,
            }
        } else {
            Some(download(&org, &emit).await)
        };
        let mut kinds: Vec<ChangeKind> = Vec::new();
        match followed {
            Some(Ok(changed)) => {
                kinds.extend(changed.into_iter().map(ChangeKind::of));
                // Back online: the status line changes with the organization's data.
                if places.set_online(true) {
                    kinds.push(ChangeKind::Org);
                }
            }
            Some(Err(e)) => {
                if offline(&e) {
                    // Sent at once when the server answers again.
                    backoff.answered();
                    if places.set_online(false) {
                        emit(DataChanged {
                            kinds: vec![ChangeKind::Org],
                        });
                    }
                }
                tokio::time::sleep(REST).await;
                continue;
            }
            None => {}
        }
        if backoff.ready(Instant::now()) {
            match send(&org).await {
                Sent::Nothing => {}
                Sent::Answered(k) => {
                    backoff.answered();
                    kinds.extend(k);
                }
                Sent::NoAnswer(k) => {
                    backoff.failed(Instant::now());
                    kinds.extend(k);
                }
            }
        }
        kinds.sort();
        kinds.dedup();
        if !kinds.is_empty() {
            emit(DataChanged { kinds });
        }
    }
}

/// How often the status line hears of the first download's progress ("Syncing 45 %").
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// The copy's first download (or its catching up), telling the screens how far it is.
async fn download(
    org: &ConnectedOrganization,
    emit: &impl Fn(DataChanged),
) -> omni_core::error::Result<Vec<omni_store::FeedEntity>> {
    let refresh = org
        .copy
        .refresh(&org.server, org.download_progress(), now());
    tokio::pin!(refresh);
    let mut tick = tokio::time::interval(PROGRESS_EVERY);
    tick.tick().await;
    loop {
        tokio::select! {
            r = &mut refresh => return r.map(|o| o.changed),
            _ = tick.tick() => emit(DataChanged { kinds: vec![ChangeKind::Org] }),
        }
    }
}

/// What a sending of the outbox did, and which kinds of data it changed.
enum Sent {
    /// Nothing waited.
    Nothing,
    Answered(Vec<ChangeKind>),
    /// The server gave no answer to an entry: try again after a wait.
    NoAnswer(Vec<ChangeKind>),
}

/// Sends the outbox when entries wait.
async fn send(org: &ConnectedOrganization) -> Sent {
    match org.pending_users().await {
        Ok(p) if !p.is_empty() => {}
        _ => return Sent::Nothing,
    }
    // The rows, the counters and the status line's counts change.
    let changed = vec![ChangeKind::Users, ChangeKind::Org];
    match org.send_outbox().await {
        Ok(out) if out.stopped_offline => Sent::NoAnswer(changed),
        Ok(_) => Sent::Answered(changed),
        Err(e) if offline(&e) => Sent::NoAnswer(changed),
        Err(e) => {
            eprintln!("warning: cannot send the offline edits: {}", e.message);
            Sent::NoAnswer(changed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_after_no_answer_doubles_from_one_second_to_thirty() {
        let t = Instant::now();
        let mut b = Backoff::default();
        assert!(b.ready(t));
        let mut waits = Vec::new();
        for _ in 0..7 {
            b.failed(t);
            let until = b.until.map(|u| u - t).unwrap_or_default();
            waits.push(until.as_secs());
            assert!(!b.ready(t));
            assert!(b.ready(t + until));
        }
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30]);
        b.answered();
        assert!(b.ready(t));
        b.failed(t);
        assert_eq!(b.until.map(|u| (u - t).as_secs()), Some(1));
    }
}
