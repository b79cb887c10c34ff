//! An organization's position in its change feed, read for many requests at once.
//!
//! A server that keeps rendered pages of the users table ([`Store::table_version`]) asks this
//! on every page request, to check the caller and whether its kept page is still exact. One
//! short statement each would make every request a round trip to a database thread, which on
//! two cores costs more than the rest of answering from a kept page. So requests queue, and
//! whoever takes the reader's turn answers all those waiting with one statement. Each still
//! gets a position read after it arrived, so a client reads its own writes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use omni_core::error::Result;
use omni_core::model::Id;
use omni_core::policy::{self, Action, Actor};
use tokio::sync::oneshot;

use super::turns::{answer_or_turn, Wait};
use crate::db::{internal, json_text, not_registered, stored_role};
use crate::{Caller, Store};

/// Callers waiting for their organization's position, and the reader's turn.
#[derive(Debug, Default)]
pub(crate) struct VersionQueue {
    waiting: Mutex<Vec<(Caller, oneshot::Sender<Result<i64>>)>>,
    turn: Arc<tokio::sync::Mutex<()>>,
}

impl Store {
    /// The organization's position in its change feed, once the caller may view the table.
    /// Every write to a user appends to the feed in its own transaction, so a page read at
    /// this position or later (and in the same month: usage reads as of the month) stays exact
    /// until the position moves: a server can keep rendered pages and answer from them after
    /// this one short read.
    pub async fn table_version(&self, caller: &Caller) -> Result<i64> {
        loop {
            let (reply, mut answer) = oneshot::channel();
            self.versions
                .waiting
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((*caller, reply));
            loop {
                let _turn = match answer_or_turn(&mut answer, &self.versions.turn).await {
                    Wait::Answered(result) => return result,
                    // The reader that took this request stopped halfway: ask again.
                    Wait::Dropped => break,
                    Wait::Turn(turn) => turn,
                };
                let batch = std::mem::take(
                    &mut *self
                        .versions
                        .waiting
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner),
                );
                self.answer_versions(batch).await;
            }
        }
    }

    /// Reads the callers of `batch` and their organizations' positions in one statement, and
    /// answers each.
    async fn answer_versions(&self, batch: Vec<(Caller, oneshot::Sender<Result<i64>>)>) {
        let users: Vec<Id> = batch.iter().map(|(c, _)| c.user).collect();
        let sql = format!(
            "SELECT u.id, u.org_id, u.role, o.last_seq FROM users u JOIN orgs o ON o.id = u.org_id \
             WHERE u.deleted_at IS NULL AND {}",
            self.backend().id_in_json("u.id", "$1")
        );
        let read = match json_text(&users) {
            Ok(ids) => sqlx::query_as::<_, (Id, Id, String, i64)>(&sql)
                .bind(ids)
                .fetch_all(self.pool())
                .await
                .map_err(internal),
            Err(e) => Err(e),
        };
        let found: HashMap<(Id, Id), (String, i64)> = match &read {
            Ok(rows) => rows
                .iter()
                .map(|(id, org, role, seq)| ((*org, *id), (role.clone(), *seq)))
                .collect(),
            Err(_) => HashMap::new(),
        };
        for (caller, reply) in batch {
            let answer = match &read {
                Err(e) => Err(e.clone()),
                Ok(_) => match found.get(&(caller.org, caller.user)) {
                    None => Err(not_registered()),
                    Some((role, seq)) => stored_role(role).and_then(|role| {
                        let actor = Actor::user(caller.user, role);
                        policy::authorize(&actor, &Action::ViewUsers).map(|()| *seq)
                    }),
                },
            };
            // A caller that stopped waiting needs no answer.
            let _ = reply.send(answer);
        }
    }
}
