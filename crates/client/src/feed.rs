//! The organization's change feed, followed by a connected app so that a change made elsewhere
//! (another administrator, the server's import, the CLI on the server) shows without a click:
//! a long poll that the server answers as soon as a change after `after` commits.

use std::time::Duration;

use omni_core::error::Result;
use omni_store::ChangePage;
use serde::Serialize;

use crate::organization::ServerOrganization;

/// The feed's query (`GET /changes`).
#[derive(Serialize)]
struct FeedQuery {
    after: i64,
    limit: u32,
    wait: u64,
}

/// Entries asked for per page: a bulk change of a few thousand users (one commit) arrives as
/// one page, applied in one transaction of the copy, where the server's default of 1,000
/// took two or more. About 300 bytes an entry, so a page stays near a megabyte or two.
const PAGE: u32 = 5_000;

/// The longest a long poll may wait: under the client's request bound
/// ([`crate::REQUEST_TIMEOUT`]), which also covers this request.
pub const LONGEST_POLL: Duration = Duration::from_secs(10);

impl ServerOrganization {
    /// The changes after `after`, waiting at most `wait` (capped at [`LONGEST_POLL`]) for one
    /// when there is none yet. A 410 (`resync`: the feed no longer reaches back to `after`)
    /// arrives as a `StaleVersion` error.
    pub async fn changes(&self, after: i64, wait: Duration) -> Result<ChangePage> {
        let query = FeedQuery {
            after,
            limit: PAGE,
            wait: wait.min(LONGEST_POLL).as_secs(),
        };
        self.conn.get(&self.at("/changes"), &query).await
    }
}
