//! The first download of a local copy: `GET /snapshot` streamed into
//! [`omni_store::Store::apply_snapshot`] as it arrives, so a million users are never held in
//! memory (a snapshot of 1M users is a few hundred MB of NDJSON).
//!
//! The store parses a snapshot on a thread of its own from a blocking reader; the body arrives
//! as async chunks. A short channel joins the two: the download hands each chunk over and waits
//! while the channel is full, so at most [`AHEAD`] chunks sit in memory and a slow disk slows
//! the download instead of growing a buffer. (Spooling to a temporary file would be simpler to
//! retry but writes every byte twice and needs the space.) A download cut short ends the
//! reader with an error, and the store keeps the copy as it was: it applies a snapshot only
//! once its `end` line arrived.

use std::io::Read;

use bytes::Bytes;
use omni_core::error::Result;
use omni_requests::ProgressSink;
use omni_store::sync::{Applied, Record};
use omni_store::{Progress, Store};
use reqwest::Method;
use tokio::sync::mpsc;

use crate::files::{no_answer, STALL};
use crate::organization::ServerOrganization;
use crate::transport::Bound;

/// Chunks of the body waiting for the store's parser at most.
const AHEAD: usize = 16;

/// Records between two progress reports.
const REPORT_EVERY: u64 = 10_000;

impl ServerOrganization {
    /// Downloads the organization's snapshot into `copy` (replacing what it held of the
    /// organization, in one transaction), reporting progress in records (lines) out of the
    /// header's counts. A download cut short leaves `copy` as it was.
    pub async fn download_snapshot(&self, copy: &Store, progress: ProgressSink) -> Result<Applied> {
        let res = self
            .conn
            .send(Method::GET, &self.at("/snapshot"), Bound::File, Ok)
            .await?;
        let (send, chunks) = mpsc::channel::<std::io::Result<Bytes>>(AHEAD);
        let reader = std::io::BufReader::with_capacity(
            1 << 20,
            ChannelReader {
                chunks,
                current: Bytes::new(),
            },
        );
        let pump = async move {
            let mut res = res;
            let mut lines = Lines::default();
            progress(Progress { done: 0, total: 0 });
            loop {
                let chunk = tokio::time::timeout(STALL, res.chunk())
                    .await
                    .map_err(|_| no_answer(&self.conn))
                    .and_then(|c| c.map_err(|e| self.conn.failed(&e)));
                let chunk = match chunk {
                    Ok(Some(chunk)) => chunk,
                    Ok(None) => break,
                    Err(e) => {
                        let _ = send
                            .send(Err(std::io::Error::other(e.message.clone())))
                            .await;
                        return Err(e);
                    }
                };
                let before = lines.done;
                lines.feed(&chunk);
                if send.send(Ok(chunk)).await.is_err() {
                    // The store stopped reading: its own error says why.
                    return Ok(());
                }
                if lines.done / REPORT_EVERY != before / REPORT_EVERY {
                    progress(lines.progress());
                }
            }
            progress(lines.progress());
            Ok(())
        };
        let (pumped, applied) = tokio::join!(pump, copy.apply_snapshot(reader));
        pumped?;
        applied
    }
}

/// Counts the snapshot's lines as they pass, and reads its total from the header line.
#[derive(Default)]
struct Lines {
    /// The header line until it is whole.
    first: Vec<u8>,
    total: Option<u64>,
    done: u64,
}

impl Lines {
    fn feed(&mut self, chunk: &[u8]) {
        if self.total.is_none() {
            let end = chunk.iter().position(|&b| b == b'\n');
            self.first
                .extend_from_slice(&chunk[..end.map_or(chunk.len(), |e| e + 1)]);
            if end.is_some() {
                // Header, org and end lines, and one line per record.
                self.total = Some(match serde_json::from_slice(&self.first) {
                    Ok(Record::Header(h)) => 3 + h.counts.users + h.counts.items + h.counts.links,
                    _ => 0,
                });
                self.first = Vec::new();
            }
        }
        self.done += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
    }

    fn progress(&self) -> Progress {
        let total = self.total.unwrap_or(0);
        Progress {
            done: self.done,
            total: total.max(self.done),
        }
    }
}

/// A blocking reader over the chunks the download hands over (read on the store's parser
/// thread, never on the runtime).
struct ChannelReader {
    chunks: mpsc::Receiver<std::io::Result<Bytes>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(chunk) => self.current = chunk?,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}
