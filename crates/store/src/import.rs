//! CSV import: a preview that classifies every line before anything is written, and a commit that
//! applies the same classification in one transaction (all or nothing).
//!
//! Both stream the file through [`omni_core::csv::ImportReader`] in batches: memory holds one
//! batch, the set of emails seen so far (to find duplicates inside the file) and the per-line
//! issues, never the file. New users are inserted with multi-row statements; the change feed and
//! counters are written in the same transaction, the audit log gets one entry for the import.

use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};

use omni_core::csv::{ImportReader, ImportRecord, ImportRow, LineIssue};
use omni_core::error::Result;
use omni_core::model::{Id, Role, Timestamp};
use omni_core::policy::{self, Action};
use omni_core::{Error, ErrorCode, Phone};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, SqliteConnection};

use crate::db::{actor, internal, reserve_seq};
use crate::feed::{self, ChangeOp, FeedEntity};
use crate::org::{bump_counters, counters};
use crate::{audit, Caller, Store};

/// Rows looked up and inserted per statement.
const BATCH: usize = 1000;

/// What the person chose in the preview for the users the file creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
pub struct PhoneChange {
    pub line: u64,
    pub email: String,
    pub before: Option<String>,
    pub after: String,
}

/// The outcome of a preview (nothing written) or a commit (everything written).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

struct Pending {
    line: u64,
    row: ImportRow,
}

struct Run<'a> {
    org: Id,
    opts: ImportOptions,
    write: bool,
    now: Timestamp,
    seen: HashMap<Box<str>, u64>,
    report: ImportReport,
    batch: Vec<Pending>,
    cancel: Option<&'a AtomicBool>,
}

impl Run<'_> {
    async fn flush(&mut self, conn: &mut SqliteConnection) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(Error::new(
                ErrorCode::Cancelled,
                "The import was cancelled; nothing was changed.",
            ));
        }
        let batch = std::mem::take(&mut self.batch);
        // Which of these emails exist already, with their phones.
        let mut sql = String::from("SELECT email, id, phone FROM users WHERE org_id = $1 AND deleted_at IS NULL AND email IN (");
        let mut args = SqliteArguments::default();
        args.add(self.org).map_err(internal)?;
        for (i, p) in batch.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("${}", i + 2));
            args.add(p.row.email.as_str().to_string())
                .map_err(internal)?;
        }
        sql.push(')');
        let existing: Vec<(String, Id, Option<String>)> = sqlx::query_as_with(&sql, args)
            .fetch_all(&mut *conn)
            .await
            .map_err(internal)?;
        let existing: HashMap<String, (Id, Option<String>)> = existing
            .into_iter()
            .map(|(e, id, p)| (e, (id, p)))
            .collect();
        let mut creates: Vec<&Pending> = Vec::with_capacity(batch.len());
        let mut updates: Vec<(Id, &Pending, String)> = Vec::new();
        for p in &batch {
            match existing.get(p.row.email.as_str()) {
                None => creates.push(p),
                Some((id, before)) => match p.row.phone.as_ref().map(Phone::e164) {
                    Some(after) if before.as_deref() != Some(after.as_str()) => {
                        self.report.updates.push(PhoneChange {
                            line: p.line,
                            email: p.row.email.to_string(),
                            before: before.clone(),
                            after: after.clone(),
                        });
                        updates.push((*id, p, after));
                    }
                    _ => self.report.unchanged += 1,
                },
            }
        }
        self.report.created += creates.len() as u64;
        self.report.updated += updates.len() as u64;
        if !self.write {
            return Ok(());
        }
        if !creates.is_empty() {
            self.insert(conn, &creates).await?;
        }
        for (id, _, phone) in updates {
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

    async fn insert(&self, conn: &mut SqliteConnection, rows: &[&Pending]) -> Result<()> {
        let mut sql = String::from("INSERT INTO users (org_id, email, phone, role, licensed, created_at, updated_at) VALUES ");
        let mut args = SqliteArguments::default();
        args.add(self.org).map_err(internal)?;
        args.add(self.opts.role.as_str()).map_err(internal)?;
        args.add(self.opts.licensed).map_err(internal)?;
        args.add(self.now.0).map_err(internal)?;
        for (i, p) in rows.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            let n = 5 + 2 * i;
            sql.push_str(&format!("($1,${},${},$2,$3,$4,$4)", n, n + 1));
            args.add(p.row.email.as_str().to_string())
                .map_err(internal)?;
            args.add(p.row.phone.as_ref().map(Phone::e164))
                .map_err(internal)?;
        }
        sql.push_str(" RETURNING id");
        let ids: Vec<(Id,)> = sqlx::query_as_with(&sql, args)
            .fetch_all(&mut *conn)
            .await
            .map_err(internal)?;
        // One feed entry per new user, in one statement.
        let first = reserve_seq(conn, self.org, ids.len() as i64).await?;
        let mut sql =
            String::from("INSERT INTO changes (org_id, seq, entity, entity_id, op, at) VALUES ");
        let mut args = SqliteArguments::default();
        args.add(self.org).map_err(internal)?;
        args.add(self.now.0).map_err(internal)?;
        for (i, (id,)) in ids.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "($1,${},'user',${},'upsert',$2)",
                3 + 2 * i,
                4 + 2 * i
            ));
            args.add(first + i as i64).map_err(internal)?;
            args.add(*id).map_err(internal)?;
        }
        sqlx::query_with(&sql, args)
            .execute(&mut *conn)
            .await
            .map_err(internal)?;
        Ok(())
    }

    async fn take(&mut self, conn: &mut SqliteConnection, record: ImportRecord) -> Result<()> {
        match record {
            ImportRecord::Row { line, row } => {
                let key: Box<str> = row.email.as_str().into();
                if let Some(first) = self.seen.get(&key) {
                    self.report.duplicates_in_file += 1;
                    self.report.errors.push(LineIssue {
                        line,
                        value: row.email.to_string(),
                        reason: format!(
                            "duplicate: {} is already on line {first} of this file",
                            row.email
                        ),
                    });
                    return Ok(());
                }
                self.seen.insert(key, line);
                self.batch.push(Pending { line, row });
                if self.batch.len() >= BATCH {
                    self.flush(conn).await?;
                }
            }
            ImportRecord::Invalid(issue) => {
                self.report.invalid += 1;
                self.report.errors.push(issue);
            }
            ImportRecord::HeaderSkipped(issue) => self.report.warnings.push(issue),
        }
        Ok(())
    }
}

impl Store {
    /// Classifies every line of `file` without writing anything.
    pub async fn import_preview<R: Read>(
        &self,
        caller: &Caller,
        file: R,
        opts: ImportOptions,
        total_bytes: u64,
        progress: &(dyn Fn(Progress) + Sync),
        now: Timestamp,
    ) -> Result<ImportReport> {
        let mut tx = self.pool().begin().await.map_err(internal)?;
        let report = run(
            &mut tx,
            caller,
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

    /// Imports `file`: every valid line is applied in one transaction, or none is. Setting
    /// `cancel` stops it, changing nothing.
    #[allow(clippy::too_many_arguments)]
    pub async fn import_commit<R: Read>(
        &self,
        caller: &Caller,
        file: R,
        opts: ImportOptions,
        total_bytes: u64,
        progress: &(dyn Fn(Progress) + Sync),
        cancel: Option<&AtomicBool>,
        now: Timestamp,
    ) -> Result<ImportReport> {
        let mut tx = self.begin_write().await?;
        let mut report = run(
            &mut tx,
            caller,
            file,
            opts,
            true,
            total_bytes,
            progress,
            cancel,
            now,
        )
        .await?;
        tx.commit().await.map_err(internal)?;
        report.committed = true;
        Ok(report)
    }
}

#[allow(clippy::too_many_arguments)]
async fn run<R: Read>(
    conn: &mut SqliteConnection,
    caller: &Caller,
    file: R,
    opts: ImportOptions,
    write: bool,
    total_bytes: u64,
    progress: &(dyn Fn(Progress) + Sync),
    cancel: Option<&AtomicBool>,
    now: Timestamp,
) -> Result<ImportReport> {
    let a = actor(conn, caller).await?;
    policy::authorize(
        &a,
        &Action::Import {
            role: opts.role,
            licenses: opts.licensed,
        },
    )?;
    let mut reader = ImportReader::new(file)?;
    let format = reader.format().clone();
    let mut run = Run {
        org: caller.org,
        opts,
        write,
        now,
        seen: HashMap::new(),
        report: ImportReport {
            encoding: format.encoding.to_string(),
            delimiter: match format.delimiter {
                b'\t' => "tab".to_string(),
                d => char::from(d).to_string(),
            },
            ..ImportReport::default()
        },
        batch: Vec::with_capacity(BATCH),
        cancel,
    };
    let mut last_report = 0u64;
    while let Some(record) = reader.next() {
        run.take(conn, record?).await?;
        let done = reader.bytes_read();
        if done - last_report >= 1 << 20 {
            last_report = done;
            progress(Progress {
                done,
                total: total_bytes,
            });
        }
    }
    run.flush(conn).await?;
    progress(Progress {
        done: reader.bytes_read(),
        total: total_bytes,
    });
    // The encoding can be settled late (a Windows-1252 byte after a plain-ASCII start).
    run.report.encoding = reader.format().encoding.to_string();
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
        let admins = if opts.role == Role::Administrator {
            created
        } else {
            0
        };
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
