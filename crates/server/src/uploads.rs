//! CSV files waiting between their upload (which answers a preview) and their commit.
//!
//! A file of a million users is tens of megabytes, so an upload is written to a file as it
//! arrives and never held in memory. The files live in `omni-uploads` inside the operator's
//! `upload_dir` (the system's temporary folder by default), named by their upload's id; the
//! upload's owner, options, size and arrival are kept in the database
//! ([`omni_store::Upload`]). So with several server processes on one database and one shared
//! `upload_dir`, an upload taken by one process commits through any other. Disk use is bounded:
//! at most [`SPOOLING_AT_ONCE`] uploads are written at once by a process (others wait their
//! turn), each person keeps at most [`PER_PERSON`] uploads waiting (a new one pushes out their
//! own oldest, never anyone else's), and an upload is forgotten, its file deleted, at the first
//! upload after its wait (`upload_wait_secs`) ran out, or by the hourly upkeep. The time is a
//! parameter.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::StatusCode;
use futures_util::StreamExt;
use omni_core::model::Timestamp;
use omni_store::{Caller, ImportOptions, Store, Upload};
use tempfile::TempPath;
use tokio::io::AsyncWriteExt;

use crate::error::{ApiError, ApiResult};

/// Uploads one person may keep waiting at once.
pub const PER_PERSON: usize = 4;

/// Uploads written to disk at the same time; more wait for their turn.
pub const SPOOLING_AT_ONCE: usize = 4;

/// How long an upload may wait for its turn, and how long it may send nothing, before it is
/// refused: four stalled uploads must not hold every turn for ever.
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// The folder of uploads inside `upload_dir`, shared by every process.
pub const FOLDER: &str = "omni-uploads";

/// The uploads waiting for their commit. One per server process.
pub struct Uploads {
    dir: PathBuf,
    wait_ms: i64,
    writing: tokio::sync::Semaphore,
}

/// A file in the uploads folder, deleted when dropped (unless kept).
pub struct Spooled {
    path: TempPath,
    bytes: u64,
}

impl Spooled {
    /// The file, opened for reading by the import.
    pub fn open(&self) -> ApiResult<std::fs::File> {
        std::fs::File::open(&self.path).map_err(|e| {
            tracing::error!(error = %e, path = %self.path.display(), "cannot reopen a spooled upload");
            lost()
        })
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

fn lost() -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "The server lost the uploaded file; upload it again.",
    )
}

/// An upload taken for its commit; [`Uploads::put_back`] returns it when the commit failed.
pub struct Taken {
    pub id: String,
    pub file: Spooled,
    pub options: ImportOptions,
    upload: Upload,
}

impl Uploads {
    /// Uploads kept in `parent` (the system's temporary folder when `None`), each waiting at
    /// most `wait_secs` for its commit.
    pub fn new(parent: Option<&Path>, wait_secs: u64) -> Uploads {
        Uploads {
            dir: parent
                .map_or_else(std::env::temp_dir, Path::to_path_buf)
                .join(FOLDER),
            wait_ms: i64::try_from(wait_secs.saturating_mul(1000)).unwrap_or(i64::MAX),
            writing: tokio::sync::Semaphore::new(SPOOLING_AT_ONCE),
        }
    }

    fn file_of(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.csv"))
    }

    fn expired_before(&self, now: Timestamp) -> Timestamp {
        Timestamp(now.0.saturating_sub(self.wait_ms))
    }

    /// Deletes the files of uploads the store forgot.
    fn delete_files(&self, ids: &[String]) {
        for id in ids {
            let _ = std::fs::remove_file(self.file_of(id));
        }
    }

    /// Writes `body` to a new file of the spool folder, refusing it (413) beyond `limit` bytes:
    /// at once when its declared length says so, else as soon as it grows past the limit.
    pub async fn spool(&self, body: Body, declared: Option<u64>, limit: u64) -> ApiResult<Spooled> {
        if declared.is_some_and(|n| n > limit) {
            return Err(too_large(limit));
        }
        let _turn = tokio::time::timeout(PATIENCE, self.writing.acquire())
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "The server is receiving other files; try again in a minute.",
                )
            })?
            .map_err(|_| spool_failed(&self.dir, std::io::Error::other("closed")))?;
        let file = self.new_file().map_err(|e| spool_failed(&self.dir, e))?;
        let (file, path) = file.into_parts();
        let failed = |e| spool_failed(&path, e);
        let mut out = tokio::fs::File::from_std(file);
        let mut bytes = 0u64;
        let mut chunks = body.into_data_stream();
        let interrupted =
            || ApiError::bad_request("The upload was interrupted: send the file again.");
        loop {
            let next = tokio::time::timeout(PATIENCE, chunks.next())
                .await
                .map_err(|_| {
                    ApiError::new(
                        StatusCode::REQUEST_TIMEOUT,
                        "timeout",
                        "The upload stalled (nothing arrived for 30 seconds): send the file again.",
                    )
                    .closing()
                })?;
            let Some(chunk) = next else { break };
            let chunk = chunk.map_err(|_| interrupted())?;
            bytes += chunk.len() as u64;
            if bytes > limit {
                return Err(too_large(limit));
            }
            out.write_all(&chunk).await.map_err(failed)?;
        }
        // Completes the last write and reports its error (a full disk shows here).
        out.flush().await.map_err(failed)?;
        Ok(Spooled { path, bytes })
    }

    /// A new empty file in the uploads folder (made on first use).
    fn new_file(&self) -> std::io::Result<tempfile::NamedTempFile> {
        std::fs::create_dir_all(&self.dir)?;
        tempfile::Builder::new()
            .prefix(".spooling-")
            .suffix(".csv")
            .tempfile_in(&self.dir)
    }

    /// Keeps `file` waiting for `caller`'s commit; returns the id to commit it by.
    pub async fn keep(
        &self,
        store: &Store,
        caller: Caller,
        options: ImportOptions,
        file: Spooled,
        now: Timestamp,
    ) -> ApiResult<String> {
        let id = format!("{:032x}", rand::random::<u128>());
        let upload = Upload {
            id: id.clone(),
            caller,
            options,
            bytes: file.bytes,
            arrived: now,
        };
        let path = self.file_of(&id);
        file.path
            .persist(&path)
            .map_err(|e| spool_failed(&path, e.error))?;
        match store
            .keep_upload(&upload, PER_PERSON, self.expired_before(now))
            .await
        {
            Ok(gone) => {
                self.delete_files(&gone);
                Ok(id)
            }
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                Err(e.into())
            }
        }
    }

    /// Returns an upload whose commit failed for a reason the person can fix (seats, rights),
    /// under the same id and with its first arrival time.
    pub async fn put_back(&self, store: &Store, t: Taken) -> ApiResult<()> {
        // The file stays where it is.
        let _ = t.file.path.keep();
        store.put_back_upload(&t.upload).await?;
        Ok(())
    }

    /// Forgets the uploads that waited `upload_wait_secs`, deleting their files, and returns how
    /// many (the server does this every hour; uploads do it too as they come).
    pub async fn forget_expired(&self, store: &Store, now: Timestamp) -> ApiResult<usize> {
        let gone = store.forget_uploads(self.expired_before(now)).await?;
        self.delete_files(&gone);
        Ok(gone.len())
    }

    /// Takes `caller`'s upload `id` for its commit (through whichever process it was uploaded):
    /// `not_found` when it is someone else's, was committed already, was pushed out or has
    /// expired.
    pub async fn take(
        &self,
        store: &Store,
        caller: &Caller,
        id: &str,
        now: Timestamp,
    ) -> ApiResult<Taken> {
        let taken = store
            .take_upload(caller, id, self.expired_before(now))
            .await?;
        let Some(upload) = taken else {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!(
                    "No upload of yours has that id: it was committed already, or newer \
                     uploads of yours replaced it, or it waited more than {}. Upload the \
                     file again.",
                    minutes_or_seconds(self.wait_ms)
                ),
            ));
        };
        let path = self.file_of(&upload.id);
        let missing = |e: std::io::Error| {
            tracing::error!(error = %e, path = %self.file_of(id).display(), "an upload's file is missing: is upload_dir shared by every server process?");
            lost()
        };
        std::fs::metadata(&path).map_err(missing)?;
        let path = TempPath::try_from_path(path).map_err(missing)?;
        Ok(Taken {
            id: upload.id.clone(),
            file: Spooled {
                path,
                bytes: upload.bytes,
            },
            options: upload.options,
            upload,
        })
    }
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!(
            "The file is larger than the {} this server accepts: split it.",
            size(limit)
        ),
    )
    .closing()
}

/// 507 when the disk is full; 500 for any other failure to write the file.
fn spool_failed(at: &Path, e: std::io::Error) -> ApiError {
    tracing::error!(error = %e, path = %at.display(), "cannot spool an upload");
    if e.kind() == std::io::ErrorKind::StorageFull {
        ApiError::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "internal",
            "The server has no room to keep the file; try again later.",
        )
    } else {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "The server cannot keep the uploaded file; try again later.",
        )
    }
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} MB", bytes >> 20)
    } else if bytes >= 1 << 10 {
        format!("{} KB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

fn minutes_or_seconds(ms: i64) -> String {
    if ms >= 60_000 {
        format!("{} minutes", ms / 60_000)
    } else {
        format!("{} seconds", ms / 1000)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_stalled_upload_is_refused_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let uploads = Uploads::new(Some(dir.path()), 60);
        // Sends one line, then nothing ever again.
        let first = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(
            "ana@acme.com\n",
        ))]);
        let body = Body::from_stream(first.chain(futures_util::stream::pending()));
        let e = uploads.spool(body, None, 1 << 20).await.err().unwrap();
        assert_eq!((e.status, e.code), (StatusCode::REQUEST_TIMEOUT, "timeout"));
        assert!(e.closes);
        let left: usize = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|d| std::fs::read_dir(d.path()).unwrap().count())
            .sum();
        assert_eq!(left, 0, "the partial file is deleted");
    }

    #[test]
    fn limits_read_in_units_a_person_knows() {
        assert_eq!(size(256 << 20), "256 MB");
        assert_eq!(size(512 << 10), "512 KB");
        assert_eq!(size(100), "100 bytes");
        assert_eq!(minutes_or_seconds(3_600_000), "60 minutes");
        assert_eq!(minutes_or_seconds(30_000), "30 seconds");
    }
}
