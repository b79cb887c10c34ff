//! What the app keeps between commands: the store, the file the person chose to import, the
//! cancel switch of the running import, the last export (for "show in folder").

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use omni_core::error::Result;
use omni_core::Error;
use omni_store::{Caller, Store};

pub struct AppState {
    pub store: Store,
    pub db_path: PathBuf,
    pub import_file: Mutex<Option<PathBuf>>,
    pub cancel: Mutex<Arc<AtomicBool>>,
    pub last_export: Mutex<Option<PathBuf>>,
    /// Who acts, once known. Safe to keep: every store operation re-reads this user's role.
    caller: Mutex<Option<Caller>>,
}

impl AppState {
    pub fn new(store: Store, db_path: PathBuf) -> AppState {
        AppState {
            store,
            db_path,
            import_file: Mutex::new(None),
            cancel: Mutex::new(Arc::new(AtomicBool::new(false))),
            last_export: Mutex::new(None),
            caller: Mutex::new(None),
        }
    }

    /// Who acts: in local mode, the organization's owner (or, once the owner's account is gone,
    /// the oldest Administrator). Resolved once; resolved again when the store no longer knows
    /// that user.
    pub async fn caller(&self) -> Result<Caller> {
        let cached = *Self::lock(&self.caller)?;
        if let Some(c) = cached {
            if self.store.is_live(&c).await? {
                return Ok(c);
            }
        }
        let org = self.store.local_org().await?;
        let c = self.store.owner(&org).await?;
        *Self::lock(&self.caller)? = Some(c);
        Ok(c)
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
