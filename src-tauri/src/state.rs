//! What the app keeps between commands: the store, who acts, the values behind the handles the
//! web view holds (chosen files, import previews, exports), and the change watcher to poke
//! after a write.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use omni_core::error::Result;
use omni_core::Error;
use omni_store::{Caller, Store};

use crate::changes::Changes;
use crate::handles::{ExportId, FileId, Handles, PreviewId};

/// An import previewed from a chosen file, and the cancel switch of its commit once running.
#[derive(Debug, Clone)]
pub struct Preview {
    pub path: PathBuf,
    pub cancel: Arc<AtomicBool>,
}

pub struct AppState {
    pub store: Store,
    pub db_path: PathBuf,
    pub acting: Acting,
    pub files: Mutex<Handles<FileId, PathBuf>>,
    pub previews: Mutex<Handles<PreviewId, Preview>>,
    pub exports: Mutex<Handles<ExportId, PathBuf>>,
    pub changes: Changes,
}

impl AppState {
    pub fn new(store: Store, db_path: PathBuf) -> AppState {
        AppState {
            acting: Acting::new(store.clone()),
            store,
            db_path,
            files: Mutex::default(),
            previews: Mutex::default(),
            exports: Mutex::default(),
            changes: Changes::default(),
        }
    }

    /// Who acts (see [`Acting`]).
    pub async fn caller(&self) -> Result<Caller> {
        self.acting.caller().await
    }

    /// Passes on a write's result, telling the change watcher when it succeeded (so the app's
    /// own changes reach every view at once).
    pub fn wrote<T>(&self, result: Result<T>) -> Result<T> {
        if result.is_ok() {
            self.changes.poke();
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

/// Who acts, in local mode: the organization's owner (or, once the owner's account is gone, the
/// oldest Administrator). Resolved once; resolved again when the store no longer knows that
/// user. Safe to keep: every store operation re-reads this user's role. Shared by the commands
/// and the change watcher (cheap to clone).
#[derive(Debug, Clone)]
pub struct Acting {
    store: Store,
    cached: Arc<Mutex<Option<Caller>>>,
}

impl Acting {
    pub fn new(store: Store) -> Acting {
        Acting {
            store,
            cached: Arc::default(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub async fn caller(&self) -> Result<Caller> {
        let cached = *AppState::lock(&self.cached)?;
        if let Some(c) = cached {
            if self.store.is_live(&c).await? {
                return Ok(c);
            }
        }
        let org = self.store.local_org().await?;
        let c = self.store.owner(&org).await?;
        *AppState::lock(&self.cached)? = Some(c);
        Ok(c)
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
