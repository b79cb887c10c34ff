//! Why the web view hears about changes instead of re-reading after each action: the same
//! SQLite file is written by the app and by the `omni` CLI (and several views show the same
//! data), so after any write, wherever it came from, every view must refresh what it shows.
//!
//! One watcher task reads the local organization's position in its change feed every
//! half-second, and at once when a command of this app has written (it pokes the watcher).
//! When the position moved, it reads the feed entries since the position it last saw (a
//! bounded page: past that, every kind is reported) and emits one `data-changed` event naming
//! the kinds of data that changed. It stops when the app exits.
//!
//! On an omni-server (connected mode) the server's feed is followed instead ([`crate::follow`]),
//! and a write of this app, a sign-in or a change of place announces that everything may have
//! changed ([`Changes::announce_all`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use omni_core::{ErrorCode, Timestamp};
use omni_store::FeedEntity;
use serde::Serialize;
use tokio::sync::Notify;

use omni_requests::LocalOrganization as Acting;

/// The event's name, as the web view listens for it.
pub const DATA_CHANGED: &str = "data-changed";

/// How many feed entries one look reads at most; beyond that every kind is reported.
const PAGE: u32 = 200;

/// A kind of data a view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The users table, a user's dialogs, the recently deleted list.
    Users,
    /// Groups, workspaces, agents and their links (and so effective access).
    Directory,
    /// The organization itself and its seats.
    Org,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 3] = [ChangeKind::Users, ChangeKind::Directory, ChangeKind::Org];

    pub(crate) fn of(entity: FeedEntity) -> ChangeKind {
        match entity {
            FeedEntity::User => ChangeKind::Users,
            FeedEntity::Directory | FeedEntity::Link => ChangeKind::Directory,
            FeedEntity::Org => ChangeKind::Org,
        }
    }
}

/// The `data-changed` event's payload: each kind that changed, once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct DataChanged {
    pub kinds: Vec<ChangeKind>,
}

/// The watcher, as the app holds it: poke it after a write, stop it when the app exits.
#[derive(Debug, Default)]
pub struct Changes {
    poke: Arc<Notify>,
    stop: Arc<Notify>,
    everything: Arc<AtomicBool>,
    task: Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
    /// The server's follower ([`crate::follow`]), aborted at exit.
    follower: Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
}

impl Changes {
    /// Starts the watcher on the app's runtime: it looks every `every`, and reads the time for
    /// the feed's reads from `clock`.
    pub fn start(
        &self,
        acting: Acting,
        every: Duration,
        clock: fn() -> Timestamp,
        emit: impl Fn(DataChanged) + Send + 'static,
    ) {
        let task = tauri::async_runtime::spawn(watch(
            acting,
            every,
            clock,
            self.poke.clone(),
            self.stop.clone(),
            self.everything.clone(),
            emit,
        ));
        if let Ok(mut slot) = self.task.lock() {
            *slot = Some(task);
        }
    }

    /// Asks the watcher to look now (after this app wrote).
    pub fn poke(&self) {
        self.poke.notify_one();
    }

    /// Has the watcher report every kind of data at once (the data of another place, or of a
    /// server whose changes it cannot follow).
    pub fn announce_all(&self) {
        self.everything.store(true, Ordering::SeqCst);
        self.poke.notify_one();
    }

    /// Keeps the server's follower, to end it with the watcher.
    pub fn keep_follower(&self, task: tauri::async_runtime::JoinHandle<()>) {
        if let Ok(mut slot) = self.follower.lock() {
            *slot = Some(task);
        }
    }

    /// Stops the watcher and waits, at most `patience`, until it has ended. Call from outside
    /// the runtime (the app's exit event).
    pub fn stop(&self, patience: Duration) {
        if let Some(follower) = self.follower.lock().ok().and_then(|mut slot| slot.take()) {
            follower.abort();
        }
        self.stop.notify_one();
        let task = self.task.lock().ok().and_then(|mut slot| slot.take());
        if let Some(task) = task {
            tauri::async_runtime::block_on(async {
                let _ = tokio::time::timeout(patience, task).await;
            });
        }
    }
}

/// The watcher's loop: look, then wait for the next tick, a poke or the stop.
pub async fn watch(
    acting: Acting,
    every: Duration,
    clock: fn() -> Timestamp,
    poke: Arc<Notify>,
    stop: Arc<Notify>,
    everything: Arc<AtomicBool>,
    emit: impl Fn(DataChanged),
) {
    let mut seen = Seen::Unknown;
    loop {
        tokio::select! {
            biased;
            () = stop.notified() => return,
            kinds = look(&acting, &mut seen, clock()) => {
                let kinds = if everything.swap(false, Ordering::SeqCst) {
                    ChangeKind::ALL.to_vec()
                } else {
                    kinds
                };
                if !kinds.is_empty() {
                    emit(DataChanged { kinds });
                }
            }
        }
        tokio::select! {
            biased;
            () = stop.notified() => return,
            () = poke.notified() => {}
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// Where the feed stood at the last look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Not looked yet: the first position read is where changes start.
    Unknown,
    /// There was no organization yet: everything in the feed is new once there is one.
    NoOrg,
    At(i64),
}

/// One look: the kinds of data changed since `seen` (none on the first look, or when the
/// database cannot be read just now; the next look tries again).
pub async fn look(acting: &Acting, seen: &mut Seen, now: Timestamp) -> Vec<ChangeKind> {
    let caller = match acting.caller().await {
        Ok(c) => c,
        Err(e) => {
            if e.code == ErrorCode::NotInitialized {
                *seen = Seen::NoOrg;
            }
            return Vec::new();
        }
    };
    let store = acting.store();
    let Ok(position) = store.table_version(&caller).await else {
        return Vec::new();
    };
    let after = match *seen {
        Seen::Unknown => 0,
        Seen::NoOrg => 0,
        Seen::At(p) => p,
    };
    let first = *seen == Seen::Unknown;
    *seen = Seen::At(position);
    if first || position == after {
        return Vec::new();
    }
    if position < after {
        // Another database took this one's place: everything may differ.
        return ChangeKind::ALL.to_vec();
    }
    match store.changes(&caller, after, PAGE, now).await {
        Ok(page) if page.done => {
            let mut kinds: Vec<ChangeKind> = page
                .changes
                .iter()
                .map(|c| ChangeKind::of(c.entity))
                .collect();
            kinds.sort();
            kinds.dedup();
            kinds
        }
        // More than a page, or the feed no longer reaches back there.
        _ => ChangeKind::ALL.to_vec(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use omni_core::{Email, Role};
    use omni_store::{DirectoryKind, NewUser, Store};

    const NOW: Timestamp = Timestamp(1_796_047_451_000);

    fn clock() -> Timestamp {
        NOW
    }

    /// A fresh database file, and two handles on it: the app's and another program's.
    async fn two_handles(name: &str) -> (Store, Store, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "omni-admin-changes-{name}-{}-{}",
            std::process::id(),
            crate::state::now().0
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("omni.db");
        let app = Store::open(&path).await.unwrap();
        let cli = Store::open(&path).await.unwrap();
        (app, cli, dir)
    }

    fn user(email: &str) -> NewUser {
        NewUser {
            email: Email::parse(email).unwrap(),
            phone: None,
            role: Role::User,
        }
    }

    #[tokio::test]
    async fn a_write_by_another_handle_on_the_same_file_is_seen_with_its_kind() {
        let (app, cli, dir) = two_handles("look").await;
        let acting = Acting::new(app.clone(), clock);
        let mut seen = Seen::Unknown;
        assert_eq!(look(&acting, &mut seen, NOW).await, vec![]);
        assert_eq!(seen, Seen::NoOrg);
        let owner = Email::parse("ana@acme.com").unwrap();
        let caller = cli.create_org("Acme", &owner, 2, None, NOW).await.unwrap();
        assert_eq!(
            look(&acting, &mut seen, NOW).await,
            vec![ChangeKind::Users, ChangeKind::Org],
            "a first organization, with its owner"
        );
        assert_eq!(look(&acting, &mut seen, NOW).await, vec![], "no change");
        cli.create_user(&caller, user("bo@acme.com"), NOW)
            .await
            .unwrap();
        assert_eq!(look(&acting, &mut seen, NOW).await, vec![ChangeKind::Users]);
        cli.create_item(&caller, DirectoryKind::Group, "Sales", NOW)
            .await
            .unwrap();
        cli.set_seats(&caller, 5, NOW).await.unwrap();
        assert_eq!(
            look(&acting, &mut seen, NOW).await,
            vec![ChangeKind::Directory, ChangeKind::Org]
        );
        app.close().await;
        cli.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn more_than_a_page_reports_every_kind_and_the_first_look_nothing() {
        let (app, cli, dir) = two_handles("page").await;
        let owner = Email::parse("ana@acme.com").unwrap();
        let caller = cli.create_org("Acme", &owner, 2, None, NOW).await.unwrap();
        let acting = Acting::new(app.clone(), clock);
        let mut seen = Seen::Unknown;
        assert_eq!(look(&acting, &mut seen, NOW).await, vec![], "first look");
        let csv: String = (0..=PAGE).map(|i| format!("u{i}@acme.com\n")).collect();
        cli.import_commit(
            &caller,
            std::io::Cursor::new(csv.into_bytes()),
            omni_store::ImportOptions::default(),
            0,
            &|_| {},
            None,
            NOW,
        )
        .await
        .unwrap();
        assert_eq!(
            look(&acting, &mut seen, NOW).await,
            ChangeKind::ALL.to_vec()
        );
        app.close().await;
        cli.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn the_watcher_emits_within_a_tick_answers_a_poke_and_stops() {
        let (app, cli, dir) = two_handles("watch").await;
        let owner = Email::parse("ana@acme.com").unwrap();
        let caller = cli.create_org("Acme", &owner, 2, None, NOW).await.unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let poke = Arc::new(Notify::new());
        let stop = Arc::new(Notify::new());
        let everything = Arc::new(AtomicBool::new(false));
        // A tick far longer than the test: only a poke makes it look again. Its first look
        // (where changes start) races with the writes below, so write until one is reported.
        let task = tokio::spawn(watch(
            Acting::new(app.clone(), clock),
            Duration::from_secs(3600),
            clock,
            poke.clone(),
            stop.clone(),
            everything.clone(),
            move |d| {
                let _ = tx.send(d);
            },
        ));
        let mut got = None;
        for i in 0..20 {
            cli.create_user(&caller, user(&format!("u{i}@acme.com")), NOW)
                .await
                .unwrap();
            poke.notify_one();
            if let Ok(event) = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await {
                got = event;
                break;
            }
        }
        assert_eq!(
            got,
            Some(DataChanged {
                kinds: vec![ChangeKind::Users]
            })
        );
        // Announced: every kind at once, with no write.
        everything.store(true, Ordering::SeqCst);
        poke.notify_one();
        let all = tokio::time::timeout(Duration::from_secs(2), rx.recv()).await;
        assert_eq!(
            all.ok().flatten(),
            Some(DataChanged {
                kinds: ChangeKind::ALL.to_vec()
            })
        );
        stop.notify_one();
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .unwrap()
            .unwrap();
        app.close().await;
        cli.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
