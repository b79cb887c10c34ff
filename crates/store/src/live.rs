//! The live feed: a reader that has seen everything waits for the next change instead of
//! asking again and again. The waiting itself is [`crate::engine::wakeups`]'s.

use std::time::Duration;

use omni_core::error::Result;
use omni_core::policy::{self, Action};
use tokio::time::Instant;

use crate::db::{actor, internal};
use crate::engine::wakeups::LOOK_AGAIN;
use crate::{Caller, Store};

/// The longest a reader may wait for a change.
pub const LONGEST_WAIT: Duration = Duration::from_secs(30);

impl Store {
    /// Waits until organization `caller.org` has a change after sequence number `after`, or
    /// `wait` (at most [`LONGEST_WAIT`]) has passed. Returns the feed's position then. The
    /// caller must be allowed to read the feed (as [`Store::changes`]); a change committed by
    /// this process wakes the wait at once, one committed by another process on PostgreSQL as
    /// soon as its notification arrives ([`Store::listen_for_changes`]), anything else within a
    /// second.
    pub async fn wait_for_changes(
        &self,
        caller: &Caller,
        after: i64,
        wait: Duration,
    ) -> Result<i64> {
        let deadline = Instant::now() + wait.min(LONGEST_WAIT);
        let notify = self.wakeups.of(caller.org);
        let mut first = true;
        loop {
            let notified = notify.notified();
            tokio::pin!(notified);
            // Registered before the position is read: a commit in between still wakes it.
            notified.as_mut().enable();
            let position = self.position(caller, first).await?;
            first = false;
            let now = Instant::now();
            if position > after || now >= deadline {
                return Ok(position);
            }
            let look_again = (now + LOOK_AGAIN).min(deadline);
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep_until(look_again) => {}
            }
        }
    }

    /// The organization's last sequence number, asking the policy first when `check`.
    async fn position(&self, caller: &Caller, check: bool) -> Result<i64> {
        let mut conn = self.pool().acquire().await.map_err(internal)?;
        if check {
            policy::authorize(&actor(&mut conn, caller).await?, &Action::ViewUsers)?;
        }
        let (last,): (i64,) = sqlx::query_as("SELECT last_seq FROM orgs WHERE id = $1")
            .bind(caller.org)
            .fetch_one(&mut *conn)
            .await
            .map_err(internal)?;
        Ok(last)
    }
}
