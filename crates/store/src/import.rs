//! CSV import: a preview that classifies every line before anything is written, and a commit that
//! applies the same classification in one transaction (all or nothing).
//!
//! A parser thread decodes and validates the file through [`omni_core::csv::ImportReader`], finds
//! duplicates inside it and writes each batch's rows as the JSON text the database reads them
//! from, while the database task classifies and writes the previous batch: the two overlap on
//! two cores. Memory holds three batches at most, the emails seen so far and the per-line issues,
//! never the file. A batch's new users are inserted by one statement; their change-feed
//! entries, the counters and one audit entry are written in the same transaction.

use rustc_hash::FxHashMap as HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use omni_core::csv::{CsvError, ImportReader, ImportRecord, ImportRow, LineIssue};
use omni_core::error::Result;
use omni_core::model::{Id, Role, Timestamp};
use omni_core::policy::{self, Action};
use omni_core::{Error, ErrorCode, Phone, Reason};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;

use crate::db::{actor, internal, reserve_seq};
use crate::dialect::{Backend, JsonRows};
use crate::engine::bulk::{BulkCache, BulkWrite};
use crate::feed::{self, ChangeOp, FeedEntity};
use crate::org::{bump_counters, counters};
use crate::{audit, Caller, Store};

mod seen;
use seen::SeenEmails;

/// Rows looked up and inserted per statement (bound as one JSON text, so any number fits). A
/// multi-row INSERT on SQLite keeps a statement journal (a copy of each page before the
/// statement first changes it), and a file in random order changes pages all over the emails'
/// index: larger statements copy the pages they share once instead of once per statement. At
/// a million rows, 50,000 rather than 4,000 took 15 to 25 % off the import (`bench/run`), for
/// about 35 to 50 MB more at the peak: the journal of the last statements holds most of the
/// emails' index.
const BATCH: usize = 50_000;

/// What the person chose in the preview for the users the file creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportOptions {
    pub role: Role,
    /// Give each new user a license (Administrators only; needs enough free seats).
    pub licensed: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            role: Role::User,
            licensed: false,
        }
    }
}

/// A user the file matches whose phone it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PhoneChange {
    pub line: u64,
    pub email: String,
    pub before: Option<String>,
    pub after: String,
}

/// The outcome of a preview (nothing written) or a commit (everything written).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportReport {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub invalid: u64,
    pub duplicates_in_file: u64,
    /// e.g. the header row that was skipped.
    pub warnings: Vec<LineIssue>,
    /// Invalid lines and duplicates, in file order; what "Save rejected lines" writes.
    pub errors: Vec<LineIssue>,
    /// What the import changes for users who exist already.
    pub updates: Vec<PhoneChange>,
    /// Seats the new users need when licensed, and seats free now.
    pub seats_needed: u64,
    pub seats_available: i64,
    /// The file's encoding and separator as detected.
    pub encoding: String,
    pub delimiter: String,
    /// True when the import was written.
    pub committed: bool,
}

/// A preview: the report of a dry run.
pub type ImportPlan = ImportReport;

/// Progress of a long operation: `done` out of `total` units (bytes for imports, rows for exports;
/// `total` is 0 when unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

struct Pending {
    line: u64,
    row: ImportRow,
}

/// What the parser thread sends: lines in file order, and how far into the file it is.
enum Parsed {
    Row(Pending),
    Invalid(LineIssue),
    Duplicate(LineIssue),
    Header(LineIssue),
}

/// Up to [`BATCH`] rows of the file with the other lines among them, in file order.
struct Batch {
    lines: Vec<Parsed>,
    /// The rows as [`ROW`]s, what [`Run::insert`] and [`Run::lookup`] bind ([`rows_json`]).
    rows: Option<String>,
    /// How far into the file the parser is at the batch's end, in bytes.
    read: u64,
}

/// The rows among `lines` as the JSON text the database reads, in email order: the batch's
/// statement then meets the emails' index page after page rather than at random places, which
/// took about a tenth off SQLite's time for a million rows in random order. New users' ids
/// follow that order within a batch; the report keeps the file's.
fn rows_json(lines: &[Parsed]) -> Result<Option<String>> {
    let mut rows: Vec<&Pending> = lines
        .iter()
        .filter_map(|p| match p {
            Parsed::Row(p) => Some(p),
            _ => None,
        })
        .collect();
    rows.sort_unstable_by(|a, b| a.row.email.as_str().cmp(b.row.email.as_str()));
    let mut json = JsonRows::new();
    for p in rows {
        json.push(&(p.row.email.as_str(), p.row.phone.as_ref().map(Phone::e164)))?;
    }
    json.finish()
}

enum Chunk {
    Lines(Batch),
    Done { encoding: String },
    Failed(Error),
}

/// Reads, validates and de-duplicates the file on its own thread, sending chunks of lines.
/// Stops quietly when the receiver goes away (an error or a cancel on the database side).
fn spawn_parser<R: Read + Send + 'static>(
    file: R,
    first: tokio::sync::oneshot::Sender<Result<(String, String)>>,
    tx: tokio::sync::mpsc::Sender<Chunk>,
) {
    std::thread::spawn(move || {
        let mut reader = match ImportReader::new(file) {
            Ok(r) => r,
            Err(e) => {
                let _ = first.send(Err(e.into()));
                return;
            }
        };
        let f = reader.format();
        let delimiter = match f.delimiter {
            b'\t' => "tab".to_string(),
            d => char::from(d).to_string(),
        };
        if first.send(Ok((f.encoding.to_string(), delimiter))).is_err() {
            return;
        }
        let mut seen = SeenEmails::new();
        let mut lines = Vec::new();
        let mut rows = 0;
        while let Some(record) = reader.next() {
            let parsed = match classify(record, &mut seen) {
                Ok(parsed) => parsed,
                Err(e) => {
                    let _ = tx.blocking_send(Chunk::Failed(e));
                    return;
                }
            };
            rows += usize::from(matches!(parsed, Parsed::Row(_)));
            lines.push(parsed);
            if rows >= BATCH || lines.len() >= 2 * BATCH {
                rows = 0;
                if !send(&tx, std::mem::take(&mut lines), reader.bytes_read()) {
                    return;
                }
            }
        }
        if !lines.is_empty() && !send(&tx, lines, reader.bytes_read()) {
            return;
        }
        let _ = tx.blocking_send(Chunk::Done {
            encoding: reader.format().encoding.to_string(),
        });
    });
}

/// A line of the file as the database task takes it: a new email's row, or what is wrong with it.
fn classify(
    record: std::result::Result<ImportRecord, CsvError>,
    seen: &mut SeenEmails,
) -> Result<Parsed> {
    Ok(match record? {
        ImportRecord::Row { line, row } => match seen.first_line(row.email.as_str(), line)? {
            Some(first) => Parsed::Duplicate(LineIssue {
                line,
                value: row.email.to_string(),
                reason: format!(
                    "duplicate: {} is already on line {first} of this file",
                    row.email
                ),
            }),
            None => Parsed::Row(Pending { line, row }),
        },
        ImportRecord::Invalid(issue) => Parsed::Invalid(issue),
        ImportRecord::HeaderSkipped(issue) => Parsed::Header(issue),
    })
}

/// Hands `lines` (read up to byte `read`) to the database task; false when it has gone.
fn send(tx: &tokio::sync::mpsc::Sender<Chunk>, lines: Vec<Parsed>, read: u64) -> bool {
    let chunk = match rows_json(&lines) {
        Ok(rows) => Chunk::Lines(Batch { lines, rows, read }),
        Err(e) => Chunk::Failed(e),
    };
    tx.blocking_send(chunk).is_ok()
}

struct Run<'a> {
    org: Id,
    /// The highest user id before this import: rows above it are the import's own.
    max_before: Id,
    opts: ImportOptions,
    write: bool,
    now: Timestamp,
    report: ImportReport,
    cancel: Option<&'a AtomicBool>,
}

/// The columns of [`Batch::rows`], as [`Backend::json_rows`] reads them.
const ROW: [(&str, bool); 2] = [("email", false), ("phone", false)];

impl Run<'_> {
    /// Classifies (and, when writing, applies) one batch of the file.
    async fn batch(&mut self, conn: &mut AnyConnection, batch: Batch) -> Result<()> {
        let mut rows = Vec::with_capacity(batch.lines.len());
        for parsed in batch.lines {
            match parsed {
                Parsed::Row(p) => rows.push(p),
                Parsed::Invalid(issue) => {
                    self.report.invalid += 1;
                    self.report.errors.push(issue);
                }
                Parsed::Duplicate(issue) => {
                    self.report.duplicates_in_file += 1;
                    self.report.errors.push(issue);
                }
                Parsed::Header(issue) => self.report.warnings.push(issue),
            }
        }
        match batch.rows {
            Some(json) => self.rows(conn, &rows, &json).await,
            None => Ok(()),
        }
    }

    /// `rows`, which `json` holds as [`ROW`]s.
    async fn rows(&mut self, conn: &mut AnyConnection, rows: &[Pending], json: &str) -> Result<()> {
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(Error::because(
                ErrorCode::Cancelled,
                Reason::ImportCancelled,
            ));
        }
        // Committing: insert the batch, skipping emails that exist already; only when some were
        // skipped, look those up (rows older than this import) to see what the file changes.
        // Previewing: look the whole batch up.
        let existing = if self.write {
            let inserted = self.insert(conn, json).await?;
            if inserted == rows.len() as u64 {
                self.report.created += inserted;
                return Ok(());
            }
            self.lookup(conn, json, Some(self.max_before)).await?
        } else {
            self.lookup(conn, json, None).await?
        };
        let mut updates: Vec<(Id, String)> = Vec::new();
        for p in rows {
            match existing.get(p.row.email.as_str()) {
                None => self.report.created += 1,
                Some((id, before)) => match p.row.phone.as_ref().map(Phone::e164) {
                    Some(after) if before.as_deref() != Some(after.as_str()) => {
                        self.report.updates.push(PhoneChange {
                            line: p.line,
                            email: p.row.email.to_string(),
                            before: before.clone(),
                            after: after.clone(),
                        });
                        updates.push((*id, after));
                    }
                    _ => self.report.unchanged += 1,
                },
            }
        }
        self.report.updated += updates.len() as u64;
        if !self.write {
            return Ok(());
        }
        for (id, phone) in updates {
            sqlx::query(
                "UPDATE users SET phone = $1, updated_at = $2, version = version + 1 WHERE id = $3",
            )
            .bind(phone)
            .bind(self.now.0)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(internal)?;
            feed::append(
                conn,
                self.org,
                FeedEntity::User,
                id,
                ChangeOp::Upsert,
                self.now,
            )
            .await?;
        }
        Ok(())
    }

    /// The live users among the emails of `json` (only those with ids up to `up_to`), with
    /// their ids and phones: each email looked up by the emails' index.
    async fn lookup(
        &self,
        conn: &mut AnyConnection,
        json: &str,
        up_to: Option<Id>,
    ) -> Result<HashMap<String, (Id, Option<String>)>> {
        let sql = format!(
            "SELECT u.email, u.id, u.phone FROM ({}) AS r JOIN users u \
             ON u.org_id = $1 AND u.email = r.email AND u.deleted_at IS NULL AND u.id <= $2",
            Backend::of(conn).json_rows("$3", &ROW)
        );
        let rows: Vec<(String, Id, Option<String>)> = sqlx::query_as(&sql)
            .bind(self.org)
            .bind(up_to.unwrap_or(Id::MAX))
            .bind(json)
            .fetch_all(&mut *conn)
            .await
            .map_err(internal)?;
        Ok(rows.into_iter().map(|(e, id, p)| (e, (id, p))).collect())
    }

    /// One statement inserting the users of `json` whose emails are not taken yet; returns how
    /// many it added. Their feed entries are written at the end, set-based.
    async fn insert(&self, conn: &mut AnyConnection, json: &str) -> Result<u64> {
        // `WHERE true`: SQLite reads an upsert clause after a SELECT only behind a WHERE.
        let sql = format!(
            "INSERT INTO users (org_id, email, phone, role, licensed, created_at, updated_at) \
             SELECT $1, r.email, r.phone, $2, $3, $4, $4 FROM ({}) AS r WHERE true \
             ON CONFLICT (org_id, email) WHERE deleted_at IS NULL DO NOTHING",
            Backend::of(conn).json_rows("$5", &ROW)
        );
        let done = sqlx::query(&sql)
            .bind(self.org)
            .bind(self.opts.role.as_str())
            .bind(i64::from(self.opts.licensed))
            .bind(self.now.0)
            .bind(json)
            .execute(&mut *conn)
            .await
            .map_err(internal)?;
        Ok(done.rows_affected())
    }
}

impl Store {
    /// Classifies every line of `file` without writing anything.
    pub async fn import_preview<R: Read + Send + 'static>(
        &self,
        caller: &Caller,
        file: R,
        opts: ImportOptions,
        total_bytes: u64,
        progress: &(dyn Fn(Progress) + Sync),
        now: Timestamp,
    ) -> Result<ImportReport> {
        let mut tx = self.pool().begin().await.map_err(internal)?;
        let max_before = admit(&mut tx, caller, opts).await?;
        let report = run(
            &mut tx,
            caller,
            max_before,
            file,
            opts,
            false,
            total_bytes,
            progress,
            None,
            now,
        )
        .await?;
        tx.rollback().await.map_err(internal)?;
        Ok(report)
    }

    /// Refuses (`permission_denied`) a caller who may not import with `opts`, before any file
    /// is read: the server asks before it accepts an upload's bytes. Each import asks again.
    pub async fn may_import(&self, caller: &Caller, opts: ImportOptions) -> Result<()> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        authorize_import(&actor(&mut conn, caller).await?, opts)
    }

    /// Imports `file`: every valid line is applied in one transaction, or none is. Setting
    /// `cancel` stops it, changing nothing.
    #[allow(clippy::too_many_arguments)]
    pub async fn import_commit<R: Read + Send + 'static>(
        &self,
        caller: &Caller,
        file: R,
        opts: ImportOptions,
        total_bytes: u64,
        progress: &(dyn Fn(Progress) + Sync),
        cancel: Option<Arc<AtomicBool>>,
        now: Timestamp,
    ) -> Result<ImportReport> {
        let mut w = self.write(caller, now).await?;
        authorize_import(&w.actor, opts)?;
        let max_before = max_user_id(&mut w.tx).await?;
        let tx = &mut w.tx;
        // A large SQLite page cache for the length of the import (random index inserts), and
        // the phones' index built again after the rows when the file is large.
        let sqlite = Backend::of(tx) == Backend::Sqlite;
        let bulk = BulkWrite::begin(
            tx,
            BulkCache::Large,
            self.footprint.cache_pragma(),
            RANDOM_ORDER_INDEXES,
            rebuild_is_cheaper(total_bytes, max_before),
        )
        .await?;
        let result = run(
            tx,
            caller,
            max_before,
            file,
            opts,
            true,
            total_bytes,
            progress,
            cancel.as_deref(),
            now,
        )
        .await;
        let finished = bulk.finish(tx, result.is_ok()).await;
        let mut report = result?;
        finished?;
        w.commit().await?;
        report.committed = true;
        // PostgreSQL plans with statistics that autovacuum refreshes up to a minute later, and
        // a planner that still believes the old size (one row, for a new organization) walks
        // all of an organization's users where it should look one up by key (0.85 ms instead
        // of 0.01 for the caller and table version every request reads). A table the import
        // at least doubled (`max_before` bounds the rows before) is measured again now,
        // sampled. The import has committed either way: a failure here changes nothing it did.
        let created = i64::try_from(report.created).unwrap_or(i64::MAX);
        if !sqlite && created >= max_before.max(1) {
            let _ = sqlx::query("ANALYZE users").execute(self.pool()).await;
        }
        Ok(report)
    }
}

fn authorize_import(a: &policy::Actor, opts: ImportOptions) -> Result<()> {
    policy::authorize(
        a,
        &Action::Import {
            role: opts.role,
            licenses: opts.licensed,
        },
    )
}

/// SQLite indexes whose keys arrive in random order during an import (phones): each new row
/// lands at a random place of them, which costs a large import more than building them again
/// in one sorted pass (at a million rows: +1.1 s, about 18 %, kept up; 0.5 s built again).
const RANDOM_ORDER_INDEXES: &[&str] = &["users_phone"];

/// The bytes of a typical import line (an email and a phone; lines without a phone are
/// shorter, so this estimate errs towards fewer lines).
const TYPICAL_LINE_BYTES: u64 = 32;

/// Whether a file of `file_bytes` into a table of about `rows_now` users is large enough that setting
/// [`RANDOM_ORDER_INDEXES`] aside and building them again afterwards ([`BulkWrite`]) is cheaper than keeping
/// them up row by row: when it likely brings at least as many rows as the table has, and
/// enough rows for the difference to matter.
fn rebuild_is_cheaper(file_bytes: u64, rows_now: i64) -> bool {
    let lines = file_bytes / TYPICAL_LINE_BYTES;
    lines >= 20_000 && lines >= u64::try_from(rows_now).unwrap_or(u64::MAX)
}

/// What a preview starts with, in its transaction: the caller's right to import with `opts`,
/// then [`max_user_id`] (a commit asks the same through its [`crate::write::Write`]).
async fn admit(conn: &mut AnyConnection, caller: &Caller, opts: ImportOptions) -> Result<Id> {
    authorize_import(&actor(conn, caller).await?, opts)?;
    max_user_id(conn).await
}

/// The highest user id so far: users above it are the ones this import creates.
async fn max_user_id(conn: &mut AnyConnection) -> Result<Id> {
    let (max_before,): (Id,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM users")
        .fetch_one(&mut *conn)
        .await
        .map_err(internal)?;
    Ok(max_before)
}

/// Classifies (and, when `write`, applies) `file`, after [`admit`].
#[allow(clippy::too_many_arguments)]
async fn run<R: Read + Send + 'static>(
    conn: &mut AnyConnection,
    caller: &Caller,
    max_before: Id,
    file: R,
    opts: ImportOptions,
    write: bool,
    total_bytes: u64,
    progress: &(dyn Fn(Progress) + Sync),
    cancel: Option<&AtomicBool>,
    now: Timestamp,
) -> Result<ImportReport> {
    let (first_tx, first_rx) = tokio::sync::oneshot::channel();
    // One batch waits while the database writes another: the parser is the faster of the two.
    let (tx, mut rx) = tokio::sync::mpsc::channel(1);
    spawn_parser(file, first_tx, tx);
    let (encoding, delimiter) = first_rx
        .await
        .map_err(|_| internal("the CSV reader stopped"))??;
    let mut run = Run {
        org: caller.org,
        max_before,
        opts,
        write,
        now,
        report: ImportReport {
            encoding,
            delimiter,
            ..ImportReport::default()
        },
        cancel,
    };
    let mut last_report = 0u64;
    loop {
        match rx.recv().await {
            Some(Chunk::Lines(batch)) => {
                let done = batch.read;
                run.batch(conn, batch).await?;
                if done - last_report >= 1 << 20 {
                    last_report = done;
                    progress(Progress {
                        done,
                        total: total_bytes,
                    });
                }
            }
            Some(Chunk::Done { encoding }) => {
                // The encoding can be settled late (a Windows-1252 byte after a plain-ASCII start).
                run.report.encoding = encoding;
                break;
            }
            Some(Chunk::Failed(e)) => return Err(e),
            None => return Err(internal("the CSV reader stopped")),
        }
    }
    progress(Progress {
        done: total_bytes,
        total: total_bytes,
    });
    let c = counters(conn, caller.org).await?;
    let mut report = run.report;
    report.seats_available = c.purchased - c.licensed;
    if opts.licensed {
        report.seats_needed = report.created;
        if write {
            policy::ensure_seats(c.purchased, c.licensed + report.created as i64)?;
        }
    }
    if write {
        let created = report.created as i64;
        // Feed entries for every user this import created: the rows of this organization added
        // in this transaction, which holds the write lock.
        let first = reserve_seq(conn, caller.org, created).await?;
        // Each new user's entry takes the next number in id order. When the new ids run without
        // a gap from `max_before + 1` (SQLite, which gives each row the next id), an entry's
        // number follows from its id; a window over a million rows (ROW_NUMBER) costs a large
        // import about 0.6 s more.
        let (count, max): (i64, Id) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM users WHERE org_id = $1 AND id > $2",
        )
        .bind(caller.org)
        .bind(max_before)
        .fetch_one(&mut *conn)
        .await
        .map_err(internal)?;
        let numbering = if max - max_before == count {
            "$2 - 1 + (id - $4)"
        } else {
            "$2 - 1 + ROW_NUMBER() OVER (ORDER BY id)"
        };
        sqlx::query(&format!(
            "INSERT INTO changes (org_id, seq, entity, entity_id, op, at) \
             SELECT $1, {numbering}, 'user', id, 'upsert', $3 FROM users \
             WHERE org_id = $1 AND id > $4"
        ))
        .bind(caller.org)
        .bind(first)
        .bind(now.0)
        .bind(max_before)
        .execute(&mut *conn)
        .await
        .map_err(internal)?;
        let admins = created * policy::administrators_delta(None, Some(opts.role));
        let licensed = if opts.licensed { created } else { 0 };
        bump_counters(conn, caller.org, created, licensed, admins).await?;
        let summary = json!({
            "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
            "invalid": report.invalid, "duplicates_in_file": report.duplicates_in_file,
            "role": opts.role.as_str(), "licensed": opts.licensed,
        });
        audit::record(
            conn,
            caller,
            now,
            "users.import",
            "CSV import",
            None,
            Some(summary),
        )
        .await?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::rebuild_is_cheaper;

    #[test]
    fn indexes_are_built_again_only_for_imports_as_large_as_the_table() {
        let mb = 1 << 20;
        // A million-line file into an empty organization, or into one half its size.
        assert!(rebuild_is_cheaper(40 * mb, 1));
        assert!(rebuild_is_cheaper(40 * mb, 600_000));
        // A small file, or a large one into a much larger table.
        assert!(!rebuild_is_cheaper(100 * 1024, 1));
        assert!(!rebuild_is_cheaper(4 * mb, 1_000_000));
        // A caller that does not know the size (0) never triggers it.
        assert!(!rebuild_is_cheaper(0, 0));
    }
}
