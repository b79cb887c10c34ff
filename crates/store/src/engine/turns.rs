//! Requests answered together. A request queues, then waits for its answer or for the turn,
//! whichever comes first; whoever takes the turn answers every request waiting then (license
//! groups in [`super::license_groups`], table versions in [`super::table_version`]). Answers are sent
//! before the turn is let go, so a request that finds no answer when it takes the turn is
//! still waiting in the queue.

use std::sync::Arc;

use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

/// What a queued request found.
pub(crate) enum Wait<T> {
    Answered(T),
    /// Whoever took the request stopped before answering it.
    Dropped,
    /// The turn: answer the requests waiting, this one among them.
    Turn(OwnedMutexGuard<()>),
}

/// Waits for `answer`, or for `turn` when it comes first. An answered request leaves without
/// queueing for the turn, so the next holder does not wait behind it.
pub(crate) async fn answer_or_turn<T>(
    answer: &mut oneshot::Receiver<T>,
    turn: &Arc<Mutex<()>>,
) -> Wait<T> {
    let guard = tokio::select! {
        biased;
        answered = &mut *answer => {
            return answered.map_or(Wait::Dropped, Wait::Answered);
        }
        guard = turn.clone().lock_owned() => guard,
    };
    match answer.try_recv() {
        Ok(answered) => Wait::Answered(answered),
        Err(oneshot::error::TryRecvError::Closed) => Wait::Dropped,
        Err(oneshot::error::TryRecvError::Empty) => Wait::Turn(guard),
    }
}
