//! CSV files waiting between their upload (which answers a preview) and their commit.
//!
//! A file of a million users is tens of megabytes, so an upload is written to a file in the
//! spool folder as it arrives and never held in memory; memory keeps only its owner, options,
//! size and path. Each person keeps at most [`PER_PERSON`] uploads (a new one pushes out their
//! own oldest), so nobody's uploads can push out another's, and an upload is forgotten a while
//! after it arrived (the operator's `upload_wait_secs`, an hour by default). A file is deleted when its upload is committed, pushed out
//! or forgotten. The time is a parameter.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use axum::body::Body;
use axum::http::StatusCode;
use futures_util::StreamExt;
use omni_core::model::Timestamp;
use omni_store::{Caller, ImportOptions};
use tempfile::TempPath;

use crate::error::{ApiError, ApiResult};

/// Uploads one person may keep waiting at once.
pub const PER_PERSON: usize = 4;

/// The uploads waiting for their commit. One per server.
pub struct Uploads {
    dir: PathBuf,
    wait_ms: i64,
    waiting: Mutex<HashMap<String, Waiting>>,
}

/// A file in the spool folder, deleted when dropped.
pub struct Spooled {
    path: TempPath,
    bytes: u64,
}

impl Spooled {
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

/// An upload taken for its commit.
pub struct Taken {
    pub file: Spooled,
    pub options: ImportOptions,
}

struct Waiting {
    caller: Caller,
    options: ImportOptions,
    file: Spooled,
    arrived: Timestamp,
}

impl Uploads {
    /// Uploads spooled in `dir` (the system's temporary folder when `None`), each waiting at
    /// most `wait_secs` for its commit.
    pub fn new(dir: Option<&Path>, wait_secs: u64) -> Uploads {
        Uploads {
            dir: dir.map_or_else(std::env::temp_dir, Path::to_path_buf),
            wait_ms: i64::try_from(wait_secs.saturating_mul(1000)).unwrap_or(i64::MAX),
            waiting: Mutex::new(HashMap::new()),
        }
    }

    /// Writes `body` to a new file of the spool folder, refusing it (413) beyond `limit` bytes.
    pub async fn spool(&self, body: Body, limit: u64) -> ApiResult<Spooled> {
        let spool_failed = |e: std::io::Error| {
            tracing::error!(error = %e, dir = %self.dir.display(), "cannot spool an upload");
            ApiError::new(
                StatusCode::INSUFFICIENT_STORAGE,
                "internal",
                "The server has no room to keep the file; try again later.",
            )
        };
        let dir = self.dir.clone();
        let file = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            tempfile::Builder::new()
                .prefix("omni-upload-")
                .suffix(".csv")
                .tempfile_in(dir)
        })
        .await
        .map_err(|e| spool_failed(std::io::Error::other(e)))?
        .map_err(spool_failed)?;
        let (file, path) = file.into_parts();
        let mut out = tokio::fs::File::from_std(file);
        let mut bytes = 0u64;
        let mut chunks = body.into_data_stream();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|_| {
                ApiError::bad_request("The upload was interrupted: send the file again.")
            })?;
            bytes += chunk.len() as u64;
            if bytes > limit {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    format!(
                        "The file is larger than the {} MB this server accepts: split it.",
                        limit >> 20
                    ),
                ));
            }
            tokio::io::AsyncWriteExt::write_all(&mut out, &chunk)
                .await
                .map_err(spool_failed)?;
        }
        let mut file = out.into_std().await;
        tokio::task::spawn_blocking(move || file.flush())
            .await
            .map_err(|e| spool_failed(std::io::Error::other(e)))?
            .map_err(spool_failed)?;
        Ok(Spooled { path, bytes })
    }

    /// Keeps `file` waiting for `caller`'s commit; returns the id to commit it by.
    pub fn keep(
        &self,
        caller: Caller,
        options: ImportOptions,
        file: Spooled,
        now: Timestamp,
    ) -> String {
        let id = format!("{:032x}", rand::random::<u128>());
        let mut gone = Vec::new();
        if let Ok(mut waiting) = self.waiting.lock() {
            forget_expired(&mut waiting, now, self.wait_ms, &mut gone);
            let mut mine: Vec<(Timestamp, String)> = waiting
                .iter()
                .filter(|(_, w)| w.caller == caller)
                .map(|(k, w)| (w.arrived, k.clone()))
                .collect();
            mine.sort();
            let over = (mine.len() + 1).saturating_sub(PER_PERSON);
            for (_, k) in mine.into_iter().take(over) {
                gone.extend(waiting.remove(&k));
            }
            waiting.insert(
                id.clone(),
                Waiting {
                    caller,
                    options,
                    file,
                    arrived: now,
                },
            );
        }
        // Files are deleted here, outside the lock.
        drop(gone);
        id
    }

    /// Takes `caller`'s upload `id` for its commit: `not_found` when it is someone else's, was
    /// committed already, was pushed out or has expired.
    pub fn take(&self, caller: &Caller, id: &str, now: Timestamp) -> ApiResult<Taken> {
        let mut gone = Vec::new();
        let taken = self.waiting.lock().ok().and_then(|mut waiting| {
            forget_expired(&mut waiting, now, self.wait_ms, &mut gone);
            match waiting.get(id) {
                Some(w) if w.caller == *caller => waiting.remove(id),
                _ => None,
            }
        });
        drop(gone);
        taken
            .map(|w| Taken {
                file: w.file,
                options: w.options,
            })
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!(
                        "No upload of yours has that id: it was committed already, or a newer \
                         upload of yours replaced it, or it waited more than {} minutes. Upload \
                         the file again.",
                        self.wait_ms / 60_000
                    ),
                )
            })
    }
}

fn forget_expired(
    waiting: &mut HashMap<String, Waiting>,
    now: Timestamp,
    wait_ms: i64,
    gone: &mut Vec<Waiting>,
) {
    let expired: Vec<String> = waiting
        .iter()
        .filter(|(_, w)| now.0 - w.arrived.0 >= wait_ms)
        .map(|(k, _)| k.clone())
        .collect();
    for k in expired {
        gone.extend(waiting.remove(&k));
    }
}
