//! Idempotency keys: a client that sends a write again (its answer was lost, the connection
//! dropped, the app was killed) must not change anything twice, and must hear the first answer.
//!
//! A front end runs the request inside a [`Scope`] (a task-local: no operation's signature
//! changes). When the operation's write is about to commit ([`crate::write::Write::commit`], or
//! a keyed license change, which leaves the group queue for a transaction of its own), the
//! transaction is not committed but handed to the scope, still open. The front end renders its
//! answer and [`Store::settle`] writes it under the key *in that same transaction*, then
//! commits: the change and its answer are saved together or not at all, even across a crash
//! between the commit and the answer. A refusal changes nothing; its answer is saved in a
//! transaction of its own, so a retry hears the same refusal. A retry with the same key and the
//! same request gets the saved answer ([`Store::idempotent_answer`]); the same key with another
//! request is refused by the front end. Two requests racing with one key: the second to settle
//! finds the key taken, rolls its own change back and answers the first one's answer.
//!
//! A request runs at most one write transaction of its own (every operation does), so holding
//! it open until the answer is rendered never waits on itself.

use std::sync::{Arc, Mutex, PoisonError};

use omni_core::error::Result;
use omni_core::model::{Id, Timestamp};

use crate::db::{internal, json_text};
use crate::engine::direct_sqlite::{Arg, DirectTx};
use crate::{Caller, Store};

/// How long a key and its answer are kept at least (retention drops them after).
pub const IDEMPOTENCY_KEPT_MS: i64 = 24 * 3_600_000;

/// An answer as sent: status, the headers that matter to a client (content type, ETag), body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// An answer kept under a key, with the hash of the request that got it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub request_hash: String,
    pub answer: Answer,
}

/// What [`Store::settle`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// The answer is saved under the key (with the change, if any) and the change committed.
    Saved,
    /// Another request with the same key settled first: this one's change was rolled back, and
    /// that one's answer stands.
    Taken(Stored),
}

tokio::task_local! {
    static SCOPE: Arc<Scope>;
}

/// One request's key: who sends it (known once the front end resolved the caller), the hash of
/// the request, and the write transaction waiting for its answer.
pub struct Scope {
    org: Id,
    key: String,
    hash: String,
    caller: Mutex<Option<Id>>,
    pending: Mutex<Option<DirectTx>>,
}

impl std::fmt::Debug for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope")
            .field("org", &self.org)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Scope {
    /// A scope for a request to organization `org` with `key`, whose method, path and body hash
    /// to `hash`.
    pub fn new(org: Id, key: String, hash: String) -> Arc<Scope> {
        Arc::new(Scope {
            org,
            key,
            hash,
            caller: Mutex::new(None),
            pending: Mutex::new(None),
        })
    }

    /// Runs `f` (the request) inside this scope.
    pub async fn run<F: std::future::Future>(self: &Arc<Scope>, f: F) -> F::Output {
        SCOPE.scope(self.clone(), f).await
    }

    /// The scope of the running task, if it runs in one.
    pub fn current() -> Option<Arc<Scope>> {
        SCOPE.try_with(Arc::clone).ok()
    }

    /// Says who sends the request (user id 0 for an application).
    pub fn acting(&self, caller: &Caller) {
        if caller.org == self.org {
            *self.caller.lock().unwrap_or_else(PoisonError::into_inner) = Some(caller.user);
        }
    }

    /// True once [`Scope::acting`] said who sends the request.
    pub fn caller_known(&self) -> bool {
        self.caller().is_some()
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn request_hash(&self) -> &str {
        &self.hash
    }

    fn caller(&self) -> Option<Caller> {
        let user = (*self.caller.lock().unwrap_or_else(PoisonError::into_inner))?;
        Some(Caller {
            org: self.org,
            user,
        })
    }

    fn take_pending(&self) -> Option<DirectTx> {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// True when the running task's request carries a key for `caller` and has no transaction
/// waiting yet: its write is then kept open for its answer ([`keep`]).
pub(crate) fn holds(caller: &Caller) -> bool {
    SCOPE
        .try_with(|s| {
            s.caller() == Some(*caller)
                && s.pending
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .is_none()
        })
        .unwrap_or(false)
}

/// Hands `tx` to the running task's scope, uncommitted, for [`Store::settle`]. Only after
/// [`holds`] said yes.
pub(crate) fn keep(tx: DirectTx) {
    let _ = SCOPE.try_with(|s| {
        *s.pending.lock().unwrap_or_else(PoisonError::into_inner) = Some(tx);
    });
}

/// Whether the request's write, if it wrote, is still to be committed.
pub fn has_pending(scope: &Scope) -> bool {
    scope
        .pending
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .is_some()
}

const SELECT: &str = "SELECT request_hash, status, headers, body FROM idempotency_keys \
     WHERE org_id = $1 AND caller_id = $2 AND idem_key = $3";

const INSERT: &str = "INSERT INTO idempotency_keys \
     (org_id, caller_id, idem_key, request_hash, status, headers, body, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
     ON CONFLICT (org_id, caller_id, idem_key) DO NOTHING RETURNING created_at";

type Row = (String, i64, String, String);

fn stored((request_hash, status, headers, body): Row) -> Result<Stored> {
    let headers: Vec<(String, String)> = serde_json::from_str(&headers).map_err(internal)?;
    Ok(Stored {
        request_hash,
        answer: Answer {
            status: u16::try_from(status).map_err(internal)?,
            headers,
            body,
        },
    })
}

impl Store {
    /// The answer kept under `caller`'s `key`, if any.
    pub async fn idempotent_answer(&self, caller: &Caller, key: &str) -> Result<Option<Stored>> {
        let row: Option<Row> = sqlx::query_as(SELECT)
            .bind(caller.org)
            .bind(caller.user)
            .bind(key)
            .fetch_optional(self.pool())
            .await
            .map_err(internal)?;
        row.map(stored).transpose()
    }

    /// Saves `answer` under the scope's key, in the transaction its write left open (then
    /// commits it), or in one of its own when nothing was written (a refusal). When the key
    /// was taken meanwhile, rolls the write back and returns the answer kept.
    pub async fn settle(&self, scope: &Scope, answer: &Answer, now: Timestamp) -> Result<Settled> {
        let caller = scope
            .caller()
            .ok_or_else(|| internal("an idempotency key settled before its caller was known"))?;
        let mut tx = match scope.take_pending() {
            Some(tx) => tx,
            None => self.begin_direct(caller.org).await?,
        };
        let args = [
            Arg::Int(caller.org),
            Arg::Int(caller.user),
            Arg::Text(scope.key.clone()),
            Arg::Text(scope.hash.clone()),
            Arg::Int(i64::from(answer.status)),
            Arg::Text(json_text(&answer.headers)?),
            Arg::Text(answer.body.clone()),
            Arg::Int(now.0),
        ];
        if tx.row(INSERT, &args).await?.is_some() {
            tx.commit().await?;
            return Ok(Settled::Saved);
        }
        drop(tx);
        match self.idempotent_answer(&caller, &scope.key).await? {
            Some(kept) => Ok(Settled::Taken(kept)),
            None => Err(internal("an idempotency key vanished while it was settled")),
        }
    }

    /// Drops the keys older than [`IDEMPOTENCY_KEPT_MS`] before `now`. Returns how many.
    pub async fn drop_old_idempotency_keys(&self, now: Timestamp) -> Result<u64> {
        let mut tx = self.begin_write(None).await?;
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(now.0 - IDEMPOTENCY_KEPT_MS)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}
