//! What the app keeps between commands: the organization it works on, the values behind the handles the
//! web view holds (chosen files, import previews, exports), and the change watcher to poke
//! after a write.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use omni_core::error::Result;
use omni_core::Error;
use omni_requests::{LocalOrganization, Organization, Staged};
use omni_store::Store;

use crate::changes::Changes;
use crate::handles::{ExportId, FileId, Handles, PreviewId};
use crate::places::{PlaceKey, Places};

/// An import previewed from a chosen file (the file, or the server's copy of it), and the
/// cancel switch of its commit once running.
#[derive(Debug, Clone)]
pub struct Preview {
    pub staged: Staged,
    pub cancel: Arc<AtomicBool>,
}

pub struct AppState {
    /// The organization in this computer's database (there may be none yet).
    pub local: LocalOrganization,
    pub db_path: PathBuf,
    /// This computer's organization or an omni-server's, and the sessions.
    pub places: Places,
    pub files: Mutex<Handles<FileId, PathBuf>>,
    pub previews: Mutex<Handles<PreviewId, Preview>>,
    pub exports: Mutex<Handles<ExportId, PathBuf>>,
    pub changes: Changes,
}

impl AppState {
    pub fn new(store: Store, db_path: PathBuf, places: Places) -> AppState {
        AppState {
            local: LocalOrganization::new(store, now),
            db_path,
            places,
            files: Mutex::default(),
            previews: Mutex::default(),
            exports: Mutex::default(),
            changes: Changes::default(),
        }
    }

    /// The organization the app works on now.
    pub async fn org(&self) -> Result<Arc<dyn Organization>> {
        match self.places.current().await {
            PlaceKey::Local => Ok(Arc::new(self.local.clone())),
            PlaceKey::Server { .. } => self.places.server_org().await,
        }
    }

    /// The local database.
    pub fn store(&self) -> &Store {
        self.local.store()
    }

    /// Passes on a write's result, telling the change watcher when it succeeded (so the app's
    /// own changes reach every view at once).
    pub fn wrote<T>(&self, result: Result<T>) -> Result<T> {
        if result.is_ok() {
            if self.places.on_server() {
                self.changes.announce_all();
            } else {
                self.changes.poke();
            }
        }
        result
    }

    /// Locks a mutex, turning a poisoned lock into an error instead of a panic.
    pub fn lock<'a, T>(m: &'a Mutex<T>) -> Result<std::sync::MutexGuard<'a, T>> {
        m.lock().map_err(|_| {
            Error::internal(
                "The app's state is unavailable after an earlier failure; restart the app.",
            )
        })
    }
}

/// The one place the desktop app reads the clock.
pub fn now() -> omni_core::Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    omni_core::Timestamp(ms)
}
