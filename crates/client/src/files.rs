//! An import's upload and an export's download: files of up to a million users, streamed and
//! never held in memory, their progress reported as they go.
//!
//! - The upload sends the file in chunks straight from the disk; its progress is in bytes
//!   handed to the connection, out of the file's size (as a local preview reports bytes read).
//! - The download writes the CSV to its file as it arrives and counts its rows on the way
//!   (records, not lines: a quoted cell may hold a line break); its progress is in rows, out of
//!   the view's count when the server gave one. A download cut short deletes its file.

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use omni_core::error::Result;
use omni_core::{Error, ErrorCode, Reason};
use omni_requests::wire::{ImportParams, ImportPreview};
use omni_requests::ProgressSink;
use omni_store::Progress;
use reqwest::{header, Method};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::transport::{Bound, Connection, ATTEMPTS, REQUEST_TIMEOUT, RETRY_CAP};

/// Bytes read from the file per chunk of an upload.
const CHUNK: usize = 256 << 10;

/// The longest a download may receive nothing before it is given up.
pub(crate) const STALL: Duration = Duration::from_secs(60);

/// Rows between two progress reports of a download.
const REPORT_EVERY: u64 = 1_000;

fn cannot(reason: Reason) -> Error {
    Error::because(ErrorCode::InvalidInput, reason)
}

/// The file at `file`, as a body streamed from the disk, reporting bytes sent to `progress`.
fn file_body(file: &Path, progress: ProgressSink) -> Result<reqwest::Body> {
    let opened = std::fs::File::open(file).map_err(|e| {
        cannot(Reason::CannotOpenFile {
            path: file.display().to_string(),
            detail: e.to_string(),
        })
    })?;
    let total = opened.metadata().map(|m| m.len()).unwrap_or(0);
    progress(Progress { done: 0, total });
    let start = (Some(tokio::fs::File::from_std(opened)), 0u64);
    let chunks = futures_util::stream::unfold(start, move |(file, done)| {
        let progress = progress.clone();
        async move {
            let mut file = file?;
            let mut buf = vec![0u8; CHUNK];
            match file.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    let done = done + n as u64;
                    progress(Progress { done, total });
                    Some((Ok(Bytes::from(buf)), (Some(file), done)))
                }
                // Ends the body: the server refuses what it received as cut short.
                Err(e) => Some((Err(e), (None, done))),
            }
        }
    });
    Ok(reqwest::Body::wrap_stream(chunks))
}

/// Uploads `file` to `path` (`POST /imports`), which answers its preview.
pub(crate) async fn upload(
    conn: &Connection,
    path: &str,
    params: &ImportParams,
    file: &Path,
    progress: ProgressSink,
) -> Result<ImportPreview> {
    let res = conn
        .upload(path, |rb| {
            Ok(rb
                .query(params)
                .header(header::CONTENT_TYPE, "text/csv")
                .body(file_body(file, progress.clone())?))
        })
        .await?;
    conn.json(res).await
}

/// Counts the records of a CSV as it streams: line ends outside quoted cells.
#[derive(Debug, Default)]
pub(crate) struct Records {
    quoted: bool,
    ends: u64,
}

impl Records {
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                b'"' => self.quoted = !self.quoted,
                b'\n' if !self.quoted => self.ends += 1,
                _ => {}
            }
        }
    }

    /// The rows after the header row.
    pub fn rows(&self) -> u64 {
        self.ends.saturating_sub(1)
    }
}

/// Downloads the export at `path` (`GET /export?params`, `GET /audit/export?params`) into the new file `to`; answers how
/// many rows it holds. `total` is the view's count (0 when unknown).
pub(crate) async fn download<P: serde::Serialize + Sync>(
    conn: &Connection,
    path: &str,
    params: &P,
    to: &Path,
    total: u64,
    progress: ProgressSink,
) -> Result<u64> {
    // The answer's head comes at once (the body streams after it); a read sent again waits at
    // most RETRY_CAP before each new attempt.
    let head = REQUEST_TIMEOUT + (ATTEMPTS - 1) * RETRY_CAP;
    let send = conn.send(Method::GET, path, Bound::File, |rb| Ok(rb.query(params)));
    let mut res = tokio::time::timeout(head, send)
        .await
        .map_err(|_| no_answer(conn))??;
    let write_failed = |e: std::io::Error| {
        cannot(Reason::CannotWriteFile {
            path: to.display().to_string(),
            detail: e.to_string(),
        })
    };
    let file = tokio::fs::File::create(to).await.map_err(|e| {
        cannot(Reason::CannotCreateFile {
            path: to.display().to_string(),
            detail: e.to_string(),
        })
    })?;
    let mut out = tokio::io::BufWriter::with_capacity(1 << 20, file);
    let mut records = Records::default();
    let mut reported = 0;
    progress(Progress { done: 0, total });
    let received: Result<()> = async {
        loop {
            let chunk = tokio::time::timeout(STALL, res.chunk())
                .await
                .map_err(|_| no_answer(conn))?
                .map_err(|e| conn.failed(&e))?;
            let Some(chunk) = chunk else { break };
            records.feed(&chunk);
            out.write_all(&chunk).await.map_err(write_failed)?;
            if records.rows() - reported >= REPORT_EVERY {
                reported = records.rows();
                progress(Progress {
                    done: reported,
                    total: total.max(reported),
                });
            }
        }
        out.flush().await.map_err(write_failed)
    }
    .await;
    if let Err(e) = received {
        drop(out);
        let _ = tokio::fs::remove_file(to).await;
        return Err(e);
    }
    let rows = records.rows();
    progress(Progress {
        done: rows,
        total: rows,
    });
    Ok(rows)
}

pub(crate) fn no_answer(conn: &Connection) -> Error {
    Error::because(
        ErrorCode::Unreachable,
        Reason::ServerUnreachable {
            address: conn.address().to_string(),
            detail: "it stopped answering".into(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_records_not_lines() {
        let csv = "\u{feff}email,phone\r\n\"a@x.com\",\"line one\r\nline two\"\r\nb@x.com,\"say \"\"hi\"\"\r\n\"\r\nc@x.com,\r\n";
        let mut whole = Records::default();
        whole.feed(csv.as_bytes());
        assert_eq!(whole.rows(), 3);
        // However the stream is cut into chunks.
        for size in [1, 2, 3, 7] {
            let mut r = Records::default();
            for piece in csv.as_bytes().chunks(size) {
                r.feed(piece);
            }
            assert_eq!(r.rows(), 3, "chunks of {size}");
        }
        assert_eq!(Records::default().rows(), 0);
    }
}
