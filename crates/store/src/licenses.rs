//! Licenses: assigning and unassigning them, and the rule that decides each request.
//!
//! Toggling licenses is the busiest write of a large organization, so requests are committed
//! in groups ([`crate::engine::license_groups`]). Every request still gets exactly its own
//! outcome: [`decide`] applies the policy and the seat count to the requests of a group one by
//! one, in arrival order, so a refused request changes nothing and the requests after it see
//! the seats as if it had never come.

use std::collections::HashMap;

use omni_core::error::Result;
use omni_core::model::{Id, Timestamp, User};
use omni_core::policy::{self, Action, Actor};
use omni_core::{Error, ErrorCode, Reason};

use crate::db::not_registered;
use crate::org::Counters;
use crate::users::check_version;
use crate::{Caller, Store};

/// One request to assign or unassign licenses.
#[derive(Debug)]
pub(crate) struct LicenseChange {
    pub caller: Caller,
    /// Users with the version their editor read, when they read one.
    pub targets: Vec<(Id, Option<i64>)>,
    pub licensed: bool,
    pub now: Timestamp,
}

/// What one request changes once the policy and the seats allowed it.
pub(crate) struct Plan {
    /// Every target after the request, in id order (unchanged ones as they were).
    pub after: Vec<User>,
    /// The targets whose license flips.
    pub changing: Vec<Id>,
}

impl Store {
    /// Assigns (`licensed = true`) or unassigns licenses for several users at once. All or
    /// nothing: when the pool cannot cover every user in `ids`, nothing changes.
    pub async fn set_licensed(
        &self,
        caller: &Caller,
        ids: &[Id],
        licensed: bool,
        now: Timestamp,
    ) -> Result<Vec<User>> {
        let targets = ids.iter().map(|&id| (id, None)).collect();
        self.commit_license_change(LicenseChange {
            caller: *caller,
            targets,
            licensed,
            now,
        })
        .await
    }

    /// Assigns or unassigns one user's license, only if the user is still at
    /// `expected_version` (checked in the same transaction: `stale_version` otherwise).
    pub async fn set_license_at(
        &self,
        caller: &Caller,
        id: Id,
        expected_version: i64,
        licensed: bool,
        now: Timestamp,
    ) -> Result<User> {
        let mut users = self
            .commit_license_change(LicenseChange {
                caller: *caller,
                targets: vec![(id, Some(expected_version))],
                licensed,
                now,
            })
            .await?;
        users
            .pop()
            .ok_or_else(|| Error::because(ErrorCode::NotFound, Reason::NoUser { id }))
    }
}

/// The license rule: decides one request against what its group read at its start. `actors` are
/// the callers found live (with their current roles), `users` the live targets, `seats` the pool
/// as the requests before this one left it. The caller must be allowed to manage licenses, every
/// target must exist (at the version its editor read, when given), and an assignment must fit
/// the seats. A refusal leaves `seats` as it was; an allowed request counts the licenses it
/// flips, and its plan stamps the changed users `at` the group's time.
pub(crate) fn decide(
    r: &LicenseChange,
    at: Timestamp,
    actors: &HashMap<Id, Actor>,
    users: &HashMap<Id, User>,
    seats: &mut Counters,
) -> Result<Plan> {
    let actor = actors.get(&r.caller.user).ok_or_else(not_registered)?;
    policy::authorize(actor, &Action::ManageLicenses)?;
    let mut after = Vec::with_capacity(r.targets.len());
    for &(id, expected) in &r.targets {
        let u = users
            .get(&id)
            .ok_or_else(|| Error::because(ErrorCode::NotFound, Reason::NoUser { id }))?;
        check_version(u, expected)?;
        after.push(u.clone());
    }
    after.sort_by_key(|u| u.id);
    after.dedup_by_key(|u| u.id);
    let mut changing = Vec::new();
    for u in after.iter_mut().filter(|u| u.licensed != r.licensed) {
        changing.push(u.id);
        u.licensed = r.licensed;
        u.version += 1;
        u.updated_at = at;
    }
    let delta = changing.len() as i64 * if r.licensed { 1 } else { -1 };
    if r.licensed {
        policy::ensure_seats(seats.purchased, seats.licensed + delta)?;
    }
    seats.licensed += delta;
    Ok(Plan { after, changing })
}
