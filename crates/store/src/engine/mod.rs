//! The store's engine: how a write reaches the database, apart from what the write means.
//!
//! The product's operations (users, licenses, the directory, import, …) live at the top of the
//! crate and say what changes and who may change it. What is here only makes those writes fast
//! and safe on SQLite and PostgreSQL: the write transaction and its turn ([`WriteTx`]), license
//! changes committed in groups ([`license_groups`]), the SQLite statements run on the caller's
//! own thread ([`direct_sqlite`]), checkpoints of the write-ahead log off the write path
//! ([`checkpoints`]), large writes' indexes set aside and built again ([`bulk`]), organizations' feed positions read for many requests at once
//! ([`table_version`]), and the queue-or-take-the-turn wait both of those use ([`turns`]).

pub(crate) mod bulk;
pub(crate) mod checkpoints;
pub(crate) mod direct_sqlite;
pub(crate) mod license_groups;
pub(crate) mod table_version;
pub(crate) mod turns;
pub(crate) mod wakeups;

use omni_core::error::Result;
use omni_core::model::Id;

use crate::db;
use crate::dialect::Backend;
use crate::outage;
use crate::Store;

/// A write transaction, holding the in-process write gate (SQLite) until it ends. Reads as the
/// connection it runs on; ends with [`WriteTx::commit`], or rolls back when dropped.
pub(crate) struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _gate: Option<tokio::sync::OwnedMutexGuard<()>>,
    checkpoints: Option<std::sync::Arc<checkpoints::Checkpointer>>,
    /// The organization written, whose feed readers its commit wakes.
    wake: Option<wakeups::Wake>,
}

impl WriteTx {
    /// Commits. A failure because the database stopped answering says that the change may or
    /// may not have been saved ([`outage::commit_failed`]).
    pub(crate) async fn commit(mut self) -> Result<()> {
        if let Some(wake) = &self.wake {
            // PostgreSQL delivers it to the other processes' listeners when this commits.
            if Backend::of(&self.tx) == Backend::Postgres {
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(wakeups::CHANNEL)
                    .bind(wake.org.to_string())
                    .execute(&mut *self.tx)
                    .await
                    .map_err(db::internal)?;
            }
        }
        self.tx.commit().await.map_err(outage::commit_failed)?;
        if let Some(checkpoints) = &self.checkpoints {
            checkpoints.committed();
        }
        if let Some(wake) = &self.wake {
            wake.fire();
        }
        Ok(())
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &sqlx::AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }
}

impl Store {
    /// Starts a write transaction that serialises the writers of organization `org` (`None`
    /// when creating one). SQLite: `BEGIN IMMEDIATE`, which holds the database's write lock from
    /// the first statement. PostgreSQL (READ COMMITTED): `BEGIN`, then the organization's row
    /// locked `FOR UPDATE` before anything is read, so every later statement of the transaction
    /// sees all that the previous writer committed (counters, seats, versions) and read-then-write
    /// sequences cannot interleave within an organization.
    pub(crate) async fn begin_write(&self, org: Option<Id>) -> Result<WriteTx> {
        match self.backend {
            Backend::Sqlite => {
                let gate = self.write_turn().await?;
                let tx = self
                    .writer
                    .as_ref()
                    .unwrap_or(&self.pool)
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(db::internal)?;
                Ok(WriteTx {
                    tx,
                    _gate: Some(gate),
                    checkpoints: self.checkpoints.clone(),
                    wake: self.wake(org),
                })
            }
            Backend::Postgres => {
                let mut tx = self.pool.begin().await.map_err(db::internal)?;
                if let Some(org) = org {
                    sqlx::query("SELECT id FROM orgs WHERE id = $1 FOR UPDATE")
                        .bind(org)
                        .execute(&mut *tx)
                        .await
                        .map_err(db::internal)?;
                }
                Ok(WriteTx {
                    tx,
                    _gate: None,
                    checkpoints: None,
                    wake: self.wake(org),
                })
            }
        }
    }

    /// Who a write of `org` wakes when it commits.
    pub(crate) fn wake(&self, org: Option<Id>) -> Option<wakeups::Wake> {
        org.map(|org| wakeups::Wake {
            org,
            wakeups: self.wakeups.clone(),
        })
    }

    /// This process's turn to write (SQLite), waited for as long as [`Patience::turn`] says.
    pub(crate) async fn write_turn(&self) -> Result<tokio::sync::OwnedMutexGuard<()>> {
        let turn = self.write_gate.clone().lock_owned();
        match self.patience.turn {
            None => Ok(turn.await),
            Some(bound) => tokio::time::timeout(bound, turn)
                .await
                .map_err(|_| outage::turn_timed_out(bound)),
        }
    }
}
