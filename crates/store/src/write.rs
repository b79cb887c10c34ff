//! The sequence every operation that writes repeats: begin the organization's write
//! transaction, read who acts with their role as stored now, ask the policy, change the rows,
//! record the change in the feed and the audit log, commit.
//!
//! [`Store::write`] begins and reads the caller; [`Write`] carries the rest, so an operation
//! states only what is its own (the action it asks about, the rows it changes, what it records)
//! and every write asks the policy with the caller's current role, numbers its feed entries
//! under the organization's lock and names its actor the same way. Dropping a [`Write`] without
//! [`Write::commit`] (a refusal, an error) rolls everything back.

use omni_core::error::Result;
use omni_core::model::{Id, Timestamp};
use omni_core::policy::{self, Action, Actor};

use crate::db::actor;
use crate::engine::direct_sqlite::DirectTx;
use crate::engine::WriteTx;
use crate::feed::{self, ChangeOp, FeedEntity};
use crate::{audit, idempotency, Caller, Store};

/// One operation's write in progress: its transaction, who acts, and when.
pub(crate) struct Write {
    /// The transaction the operation's own statements run on.
    pub tx: WriteTx,
    pub caller: Caller,
    /// The caller as the policy sees them, read in this transaction.
    pub actor: Actor,
    pub now: Timestamp,
}

impl Store {
    /// Begins a write of `caller`'s organization at `now` and reads the caller's current role
    /// (refused when they are no longer a live user).
    pub(crate) async fn write(&self, caller: &Caller, now: Timestamp) -> Result<Write> {
        let mut tx = self.begin_write(Some(caller.org)).await?;
        let actor = actor(&mut tx, caller).await?;
        Ok(Write {
            tx,
            caller: *caller,
            actor,
            now,
        })
    }
}

impl Write {
    /// Asks the policy whether the caller may do `action`.
    pub(crate) fn authorize(&self, action: &Action) -> Result<()> {
        policy::authorize(&self.actor, action)
    }

    /// Appends to the change feed that `entity` `id` changed.
    pub(crate) async fn feed(&mut self, entity: FeedEntity, id: Id, op: ChangeOp) -> Result<()> {
        feed::append(&mut self.tx, self.caller.org, entity, id, op, self.now).await
    }

    /// Appends to the audit log that the caller did `action` to `target` (an email or a name),
    /// with the state before and after.
    pub(crate) async fn audit(
        &mut self,
        action: &str,
        target: &str,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> Result<()> {
        audit::record(
            &mut self.tx,
            &self.caller,
            self.now,
            action,
            target,
            before,
            after,
        )
        .await
    }

    /// Commits everything the operation wrote; or, when the request carries an idempotency key,
    /// leaves the transaction open for its answer ([`crate::idempotency`]), which commits it.
    pub(crate) async fn commit(self) -> Result<()> {
        if idempotency::holds(&self.caller) {
            idempotency::keep(DirectTx::Pooled(self.tx));
            return Ok(());
        }
        self.tx.commit().await
    }
}
