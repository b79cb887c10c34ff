//! License changes, committed in groups.
//!
//! SQLite has one writer at a time: run one license request per transaction and every toggle
//! pays a dozen statement round trips and a commit of its own while all the others wait. So
//! each request joins a queue; whoever holds the writer's turn takes every waiting request of
//! one organization and commits them together, with a fixed number of statements per group
//! (each reads or writes the rows of the whole group at once), then answers each. What each
//! request may change is decided by [`crate::licenses::decide`], one request after the other.
//! Requests that touch a user already taken into the group wait for the next one, so the
//! changes to each user keep their order.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, PoisonError};

use omni_core::error::Result;
use omni_core::model::{Id, Timestamp, User};
use omni_core::policy::Actor;
use omni_core::Error;
use serde_json::json;
use tokio::sync::oneshot;

use super::direct_sqlite::{Arg, DirectTx};
use super::turns::{answer_or_turn, Wait};
use crate::db::{actor_of, internal, json_text, not_registered, RESERVE_SEQ};
use crate::feed::{self, ChangeOp, FeedEntity};
use crate::licenses::{decide, LicenseChange, Plan};
use crate::org::{Counters, BUMP_COUNTERS};
use crate::rows::{users_from_json, USER_COLUMNS};
use crate::{idempotency, Store};

/// At most this many users are written by one group (a single larger request still goes alone).
const GROUP_USERS: usize = 10_000;

/// Users a group may hold to run on a runtime worker ([`Store::run_group`]).
const INLINE_USERS: usize = 256;

/// Rows a statement writes at most.
const ROWS_PER_STATEMENT: usize = 10_000;

/// The requests waiting to be committed, and the writer's turn.
#[derive(Debug, Default)]
pub(crate) struct LicenseQueue {
    waiting: Mutex<VecDeque<Request>>,
    turn: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// One license change, with where to send its outcome.
#[derive(Debug)]
struct Request {
    change: LicenseChange,
    reply: oneshot::Sender<Result<Vec<User>>>,
}

impl Request {
    /// Requests of one group share the organization and the month (a user's usage is read as of
    /// the month).
    fn group(&self) -> (Id, Timestamp) {
        (self.change.caller.org, self.change.now.month_start())
    }
}

impl LicenseQueue {
    fn push(&self, request: Request) {
        self.waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(request);
    }

    /// Takes the oldest request and the ones of its organization that follow it, in arrival
    /// order, up to the first that belongs to another month, touches a user already taken or
    /// would pass [`GROUP_USERS`] users. Requests of other organizations keep their places.
    fn take_group(&self) -> Vec<Request> {
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(first) = waiting.pop_front() else {
            return Vec::new();
        };
        let group = first.group();
        let mut touched: HashSet<Id> = first.change.targets.iter().map(|t| t.0).collect();
        let mut size = first.change.targets.len();
        let mut taken = vec![first];
        let mut left = VecDeque::with_capacity(waiting.len());
        while let Some(r) = waiting.pop_front() {
            if r.change.caller.org != group.0 {
                left.push_back(r);
                continue;
            }
            let fits = r.group() == group
                && size + r.change.targets.len() <= GROUP_USERS
                && r.change.targets.iter().all(|t| !touched.contains(&t.0));
            if !fits {
                left.push_back(r);
                break;
            }
            size += r.change.targets.len();
            touched.extend(r.change.targets.iter().map(|t| t.0));
            taken.push(r);
        }
        left.append(&mut waiting);
        *waiting = left;
        taken
    }
}

impl Store {
    /// Queues the change, then commits groups while holding the writer's turn until its own
    /// outcome has arrived ([`super::turns`]).
    pub(crate) async fn commit_license_change(&self, change: LicenseChange) -> Result<Vec<User>> {
        if idempotency::holds(&change.caller) {
            return self.commit_keyed(change).await;
        }
        let (reply, mut outcome) = oneshot::channel();
        self.licenses.push(Request { change, reply });
        loop {
            let turn = match answer_or_turn(&mut outcome, &self.licenses.turn).await {
                Wait::Answered(result) => return result,
                Wait::Dropped => return Err(interrupted()),
                Wait::Turn(turn) => turn,
            };
            // The turn goes to a task of its own, which commits group after group while
            // requests are waiting, then lets it go. It runs on even if this request stops
            // waiting (this request's answer comes with its group). Handing the turn from
            // request to request instead would wake a waiting task for every group.
            let store = self.clone();
            tokio::spawn(async move {
                loop {
                    let group = store.licenses.take_group();
                    if group.is_empty() {
                        break;
                    }
                    store.run_group(group).await;
                    // The requests just answered run before the next group starts.
                    tokio::task::yield_now().await;
                }
                drop(turn);
            });
        }
    }

    /// Commits one group where the runtime runs it: on a SQLite file its statements take a
    /// few hundred microseconds and need no other thread ([`super::direct_sqlite`]), so a worker
    /// runs them, and the requests they answer wake on that worker. A group of more than
    /// [`INLINE_USERS`] users would hold a worker too long: it runs on a blocking thread.
    async fn run_group(&self, group: Vec<Request>) {
        let users: usize = group.iter().map(|r| r.change.targets.len()).sum();
        if !self.runs_sqlite_here() || users <= INLINE_USERS {
            return self.commit_group(group).await;
        }
        let store = self.clone();
        let runtime = tokio::runtime::Handle::current();
        let done = tokio::task::spawn_blocking(move || runtime.block_on(store.commit_group(group)));
        // A panic there dropped the group's requests: they were answered as interrupted.
        let _ = done.await;
    }

    /// Decides and writes one group in one transaction, then answers each request: with its
    /// users, with the policy's refusal, or with the database's failure when the commit fails.
    async fn commit_group(&self, group: Vec<Request>) {
        let Some(first) = group.first() else {
            return;
        };
        let (org, now) = (first.change.caller.org, first.change.now);
        let mut plans: Vec<Result<Plan>> = Vec::with_capacity(group.len());
        let written = async {
            let mut tx = self.begin_direct(org).await?;
            let mut state = read_state(&mut tx, org, &group, now).await?;
            // The group's rows change at one time: the latest its requests were made at.
            let at = group.iter().map(|r| r.change.now).max().unwrap_or(now);
            for r in &group {
                let plan = decide(&r.change, at, &state.actors, &state.users, &mut state.seats);
                plans.push(plan);
            }
            write(&mut tx, org, at, &group, &plans).await?;
            tx.commit().await
        }
        .await;
        for (i, r) in group.into_iter().enumerate() {
            let answer = match (&written, plans.get_mut(i)) {
                (_, Some(Err(refused))) => Err(refused.clone()),
                (Err(failed), _) => Err(failed.clone()),
                (Ok(()), Some(Ok(plan))) => Ok(std::mem::take(&mut plan.after)),
                (Ok(()), None) => Err(Error::internal("The license change was not decided.")),
            };
            // A requester that stopped waiting needs no answer.
            let _ = r.reply.send(answer);
        }
    }
}

impl Store {
    /// A change whose request carries an idempotency key: decided and written alone, like a
    /// group of one, and its transaction left open for the answer to be saved with it
    /// ([`crate::idempotency`]). A group shares one transaction between requests, so it
    /// cannot hold one open for one request's answer.
    async fn commit_keyed(&self, change: LicenseChange) -> Result<Vec<User>> {
        let (org, now) = (change.caller.org, change.now);
        let (reply, _unused) = oneshot::channel();
        let group = [Request { change, reply }];
        let mut tx = self.begin_direct(org).await?;
        let mut state = read_state(&mut tx, org, &group, now).await?;
        let plan = decide(
            &group[0].change,
            now,
            &state.actors,
            &state.users,
            &mut state.seats,
        );
        let plans = [plan];
        write(&mut tx, org, now, &group, &plans).await?;
        let [plan] = plans;
        let plan = plan?;
        idempotency::keep(tx);
        Ok(plan.after)
    }
}

fn interrupted() -> Error {
    Error::internal("The license change was interrupted before it committed: try again.")
}

/// What a group is decided on, read at its start.
struct GroupState {
    /// The callers found live in the organization, as the policy sees them.
    actors: HashMap<Id, Actor>,
    seats: Counters,
    /// The live users among the requests' targets, by id.
    users: HashMap<Id, User>,
}

/// Reads the callers, the counters and the targeted users, in one
/// statement (users packed as JSON, [`crate::rows::users_from_json`]).
async fn read_state(
    tx: &mut DirectTx,
    org: Id,
    group: &[Request],
    now: Timestamp,
) -> Result<GroupState> {
    let backend = tx.backend();
    let sql = format!(
        "SELECT o.seats_purchased, o.users_total, o.users_licensed, o.users_admins, \
         (SELECT {} FROM users u WHERE u.org_id = o.id AND u.deleted_at IS NULL AND {}), \
         (SELECT {} FROM users WHERE org_id = o.id AND deleted_at IS NULL AND {}) \
         FROM orgs o WHERE o.id = $2",
        backend.json_agg_array("u.id, u.role", "u.id"),
        backend.id_in_json("u.id", "$3"),
        backend.json_agg_array(USER_COLUMNS, "id"),
        backend.id_in_json("id", "$4"),
    );
    let callers: HashSet<Id> = group.iter().map(|r| r.change.caller.user).collect();
    let ids: Vec<Id> = group
        .iter()
        .flat_map(|r| r.change.targets.iter().map(|t| t.0))
        .collect();
    let args = [
        Arg::Int(now.month_start().0),
        Arg::Int(org),
        Arg::Text(json_text(&callers)?),
        Arg::Text(json_text(&ids)?),
    ];
    let row = tx.row(&sql, &args).await?.ok_or_else(not_registered)?;
    let [purchased, total, licensed, admins, actors, users] = &row[..] else {
        return Err(internal(format!("expected 6 columns, read {}", row.len())));
    };
    let actors: Vec<(Id, String)> = serde_json::from_str(actors.text()?).map_err(internal)?;
    let actors = actors
        .into_iter()
        .map(|(id, role)| Ok((id, actor_of(id, &role)?)))
        .collect::<Result<_>>()?;
    Ok(GroupState {
        actors,
        seats: Counters {
            purchased: purchased.int()?,
            total: total.int()?,
            licensed: licensed.int()?,
            admins: admins.int()?,
        },
        users: users_from_json(users.text()?)?
            .into_iter()
            .map(|u| (u.id, u))
            .collect(),
    })
}

/// Writes every allowed plan of the group: the users' rows (updated `at` the group's time), one
/// feed entry and one audit entry per changed user (in request order, then id order, at each
/// request's time), and the organization's license count.
/// Each statement takes all its rows as one JSON array, so its text (and its prepared
/// statement) is the same for every group.
async fn write(
    tx: &mut DirectTx,
    org: Id,
    at: Timestamp,
    group: &[Request],
    plans: &[Result<Plan>],
) -> Result<()> {
    // (request, user) for every license that flips.
    let mut changes: Vec<(&Request, &User)> = Vec::new();
    for (r, plan) in group.iter().zip(plans) {
        if let Ok(plan) = plan {
            let by_id: HashMap<Id, &User> = plan.after.iter().map(|u| (u.id, u)).collect();
            changes.extend(
                plan.changing
                    .iter()
                    .filter_map(|id| Some((r, *by_id.get(id)?))),
            );
        }
    }
    if changes.is_empty() {
        return Ok(());
    }
    let backend = tx.backend();
    let update = format!(
        "UPDATE users SET licensed = $2, updated_at = $3, version = version + 1 \
         WHERE org_id = $1 AND {}",
        backend.id_in_json("id", "$4")
    );
    let entries = backend.json_rows(
        "$2",
        &[
            ("at", true),
            ("actor", true),
            ("action", false),
            ("target", false),
            ("before_state", false),
            ("after_state", false),
        ],
    );
    // As [`crate::audit::record`] writes them one at a time.
    let audit = format!(
        "INSERT INTO audit (org_id, at, actor_id, actor_email, action, target, before, after) \
         SELECT $1, f.at, f.actor, COALESCE((SELECT email FROM users WHERE id = f.actor), ''), \
         f.action, f.target, f.before_state, f.after_state FROM ({entries}) AS f"
    );
    let feed = feed::entries_insert(backend);
    // A bulk request over a whole organization goes in slices: the JSON of each stays small.
    for chunk in changes.chunks(ROWS_PER_STATEMENT) {
        for licensed in [true, false] {
            let ids: Vec<Id> = chunk
                .iter()
                .filter(|(r, _)| r.change.licensed == licensed)
                .map(|(_, u)| u.id)
                .collect();
            if ids.is_empty() {
                continue;
            }
            let args = [
                Arg::Int(org),
                Arg::Int(i64::from(licensed)),
                Arg::Int(at.0),
                Arg::Text(json_text(&ids)?),
            ];
            tx.execute(&update, &args).await?;
        }
        let entries: Vec<_> = chunk.iter().map(|(r, u)| (u.id, r.change.now)).collect();
        // As [`feed::append_all`] reserves and appends them.
        let n = entries.len() as i64;
        let reserved = tx.row(RESERVE_SEQ, &[Arg::Int(n), Arg::Int(org)]).await?;
        let last = reserved
            .as_ref()
            .and_then(|row| row.first())
            .ok_or_else(not_registered)?
            .int()?;
        let args = [
            Arg::Int(org),
            Arg::Text(FeedEntity::User.as_str().to_owned()),
            Arg::Text(ChangeOp::Upsert.as_str().to_owned()),
            Arg::Text(feed::entries_json(last - n + 1, &entries)?),
        ];
        tx.execute(&feed, &args).await?;
        let rows: Vec<_> = chunk
            .iter()
            .map(|(r, u)| {
                let (action, before, after) = if r.change.licensed {
                    ("license.assign", false, true)
                } else {
                    ("license.unassign", true, false)
                };
                let state = |licensed: bool| json!({ "licensed": licensed }).to_string();
                json!([
                    r.change.now.0,
                    r.change.caller.user,
                    action,
                    u.email.as_str(),
                    state(before),
                    state(after)
                ])
            })
            .collect();
        tx.execute(&audit, &[Arg::Int(org), Arg::Text(json_text(&rows)?)])
            .await?;
    }

    let delta: i64 = changes
        .iter()
        .map(|(r, _)| if r.change.licensed { 1 } else { -1 })
        .sum();
    // As [`crate::org::bump_counters`] moves them.
    let args = [Arg::Int(0), Arg::Int(delta), Arg::Int(0), Arg::Int(org)];
    tx.execute(BUMP_COUNTERS, &args).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Caller;

    fn request(org: Id, ids: &[Id], now: i64) -> (Request, oneshot::Receiver<Result<Vec<User>>>) {
        let (reply, rx) = oneshot::channel();
        let change = LicenseChange {
            caller: Caller { org, user: 1 },
            targets: ids.iter().map(|&id| (id, None)).collect(),
            licensed: true,
            now: Timestamp(now),
        };
        let r = Request { change, reply };
        (r, rx)
    }

    fn taken(q: &LicenseQueue) -> Vec<Vec<Id>> {
        q.take_group()
            .iter()
            .map(|r| r.change.targets.iter().map(|t| t.0).collect())
            .collect()
    }

    #[test]
    fn a_group_keeps_each_users_changes_in_order() {
        let q = LicenseQueue::default();
        let mut answers = Vec::new();
        for ids in [&[1, 2][..], &[3], &[2], &[4], &[2, 5], &[6]] {
            let (r, rx) = request(1, ids, 0);
            q.push(r);
            answers.push(rx);
        }
        // [2] waits for the next group (user 2 is taken), and everything behind it too: a
        // request never overtakes an earlier one of its organization (they share the seats).
        assert_eq!(taken(&q), vec![vec![1, 2], vec![3]]);
        assert_eq!(taken(&q), vec![vec![2], vec![4]]);
        assert_eq!(taken(&q), vec![vec![2, 5], vec![6]]);
        assert!(q.take_group().is_empty());
    }

    #[test]
    fn a_group_is_one_organization_and_one_month() {
        let q = LicenseQueue::default();
        let month = 31 * 24 * 3_600_000;
        let mut answers = Vec::new();
        let asks = [
            (1, &[1][..], 0),
            (2, &[2], 0),
            (1, &[3], 0),
            (1, &[4], month),
            (1, &[5], 0),
        ];
        for (org, ids, now) in asks {
            let (r, rx) = request(org, ids, now);
            q.push(r);
            answers.push(rx);
        }
        assert_eq!(taken(&q), vec![vec![1], vec![3]]);
        assert_eq!(taken(&q), vec![vec![2]]);
        assert_eq!(taken(&q), vec![vec![4]]);
        assert_eq!(taken(&q), vec![vec![5]]);
    }

    #[test]
    fn a_group_stops_at_its_size_but_a_larger_request_goes_alone() {
        let q = LicenseQueue::default();
        let big: Vec<Id> = (1..=GROUP_USERS as Id + 5).collect();
        let half: Vec<Id> = (100_000..100_000 + GROUP_USERS as Id / 2 + 1).collect();
        let mut answers = Vec::new();
        for ids in [&big[..], &half, &half[..1]] {
            let (r, rx) = request(1, ids, 0);
            q.push(r);
            answers.push(rx);
        }
        assert_eq!(q.take_group().len(), 1);
        assert_eq!(q.take_group().len(), 1);
        assert_eq!(q.take_group().len(), 1);
    }
}
