//! The permission policy: the one place that decides whether an actor may do an action, and the
//! invariants every write must keep.
//!
//! Every write path (the CLI, the desktop app, the server, CSV import) asks [`authorize`] with the
//! actor's *current* role, and calls the invariant checks with counts read inside the same
//! transaction that writes.
//!
//! It is also the one place roles are compared. What other modules need to know of a role asks
//! here: who sees every agent ([`sees_every_agent`], for effective access and the table's role
//! filter), who counts as an Administrator ([`is_administrator`], [`administrators_delta`], for
//! the counters the invariants are checked against). The store's SQL that selects the roles
//! seeing every agent (`role <> 'user'`, the `users_role` partial index) states the same rule.
//! (An edit that asks whether a user's role changed compares two values, not a role with a rule.)

use crate::error::{Error, ErrorCode, Result};
use crate::model::{Id, Role};
use crate::reason::Reason;

/// Who is acting: a registered user of the organization, with their role as stored now; or
/// the organization's identity provider through a SCIM provisioning token
/// ([`Actor::provisioning`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: Id,
    pub role: Role,
    /// A provisioning token (SCIM) rather than a person: it may do what an Administrator may,
    /// except anything that makes or changes an Administrator's role, the seats, and the
    /// provisioning tokens themselves.
    pub provisioner: bool,
}

impl Actor {
    /// A registered user with `role`.
    pub fn user(id: Id, role: Role) -> Actor {
        Actor {
            id,
            role,
            provisioner: false,
        }
    }

    /// A SCIM provisioning token, acting under its own id (never a user's).
    pub fn provisioning(id: Id) -> Actor {
        Actor {
            id,
            role: Role::Administrator,
            provisioner: true,
        }
    }
}

/// Everything a person can ask the product to do, with the facts the decision depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Open the Users module: dashboard, table, search, export, effective access, audit log.
    ViewUsers,
    /// Create a user with this role.
    CreateUser { role: Role },
    /// Edit a user's details (phone) whose current role is `target`.
    EditUser { target: Role },
    /// Delete a user whose current role is `target`.
    DeleteUser { target_id: Id, target: Role },
    /// Restore a deleted user whose role was `target`.
    RestoreUser { target: Role },
    /// Change a user's role.
    ChangeRole { target_id: Id, from: Role, to: Role },
    /// Assign or unassign a license.
    ManageLicenses,
    /// Change the number of purchased seats.
    SetSeats,
    /// Set or clear a user's monthly budget.
    SetBudget,
    /// Create, rename or delete groups, workspaces and agents, and link or unlink them.
    ManageDirectory,
    /// Import users from CSV giving them `role`, and licenses when `licenses`.
    Import { role: Role, licenses: bool },
    /// Create, list or revoke SCIM provisioning tokens and change the provisioning settings.
    ManageProvisioning,
}

/// Decides whether `actor` may perform `action`. A refusal says why, in a sentence for a person.
pub fn authorize(actor: &Actor, action: &Action) -> Result<()> {
    use Role::*;
    let role = actor.role;
    // Before the User role's refusal: changing one's own role is refused for everyone, and that
    // is the reason to give.
    if let Action::ChangeRole { target_id, .. } = *action {
        if target_id == actor.id {
            return deny(Reason::CannotChangeOwnRole);
        }
    }
    if role == User {
        return deny(Reason::RoleIsUser);
    }
    if actor.provisioner {
        // An identity provider never makes anyone an Administrator, nor changes one's role.
        match *action {
            Action::CreateUser {
                role: Administrator,
            } => return deny(Reason::OnlyAdminCreatesAdmin),
            Action::ChangeRole {
                to: Administrator, ..
            } => return deny(Reason::OnlyAdminGrantsAdmin),
            Action::ChangeRole {
                from: Administrator,
                ..
            } => return deny(Reason::OnlyAdminChangesAdminRole),
            Action::Import {
                role: Administrator,
                ..
            } => return deny(Reason::OnlyAdminImportsAdmins),
            Action::SetSeats => return deny(Reason::OnlyAdminSetsSeats),
            Action::ManageProvisioning => return deny(Reason::OnlyAdminManagesProvisioning),
            _ => {}
        }
    }
    let admin = role == Administrator;
    let unless_admin = |reason: Reason| if admin { Ok(()) } else { deny(reason) };
    match *action {
        Action::ViewUsers | Action::ManageDirectory => Ok(()),
        Action::CreateUser {
            role: Administrator,
        } => unless_admin(Reason::OnlyAdminCreatesAdmin),
        Action::EditUser {
            target: Administrator,
        } => unless_admin(Reason::OnlyAdminEditsAdmin),
        Action::DeleteUser { target_id, .. } if target_id == actor.id => {
            deny(Reason::CannotDeleteSelf)
        }
        Action::DeleteUser {
            target: Administrator,
            ..
        } => unless_admin(Reason::OnlyAdminDeletesAdmin),
        Action::RestoreUser {
            target: Administrator,
        } => unless_admin(Reason::OnlyAdminRestoresAdmin),
        Action::ChangeRole {
            to: Administrator, ..
        } => unless_admin(Reason::OnlyAdminGrantsAdmin),
        Action::ChangeRole {
            from: Administrator,
            ..
        } => unless_admin(Reason::OnlyAdminChangesAdminRole),
        Action::CreateUser { .. }
        | Action::EditUser { .. }
        | Action::DeleteUser { .. }
        | Action::RestoreUser { .. }
        | Action::ChangeRole { .. } => Ok(()),
        Action::ManageLicenses => unless_admin(Reason::OnlyAdminManagesLicenses),
        Action::SetSeats => unless_admin(Reason::OnlyAdminSetsSeats),
        Action::SetBudget => unless_admin(Reason::OnlyAdminSetsBudgets),
        Action::Import {
            role: Administrator,
            ..
        } => unless_admin(Reason::OnlyAdminImportsAdmins),
        Action::Import { licenses: true, .. } => unless_admin(Reason::OnlyAdminImportsLicenses),
        Action::Import { .. } => Ok(()),
        Action::ManageProvisioning => unless_admin(Reason::OnlyAdminManagesProvisioning),
    }
}

fn deny(reason: Reason) -> Result<()> {
    Err(Error::because(ErrorCode::PermissionDenied, reason))
}

/// Whether `role` sees every agent of the organization, whatever its links (Administrators and
/// Collaborators): effective access counts it as a path of its own.
pub fn sees_every_agent(role: Role) -> bool {
    role != Role::User
}

/// Whether `role` counts towards the Administrators the organization keeps (the count
/// [`ensure_administrator_remains`] is given).
pub fn is_administrator(role: Role) -> bool {
    role == Role::Administrator
}

/// How a user's change moves the organization's count of Administrators: `from` is their role
/// before, `to` after (`None`: not a live user, before a creation or after a deletion).
pub fn administrators_delta(from: Option<Role>, to: Option<Role>) -> i64 {
    let counted = |role: Option<Role>| i64::from(role.is_some_and(is_administrator));
    counted(to) - counted(from)
}

/// The organization must keep at least one Administrator. `admins_after` is the count the change
/// would leave, read in the writing transaction.
pub fn ensure_administrator_remains(admins_after: i64) -> Result<()> {
    if admins_after < 1 {
        Err(Error::because(
            ErrorCode::LastAdministrator,
            Reason::LastAdministrator,
        ))
    } else {
        Ok(())
    }
}

/// Assigned seats never exceed purchased ones.
pub fn ensure_seats(purchased: i64, assigned_after: i64) -> Result<()> {
    if assigned_after <= purchased {
        return Ok(());
    }
    let reason = if purchased == 0 {
        Reason::NoSeats
    } else {
        Reason::AllSeatsAssigned {
            purchased,
            count: assigned_after - purchased,
        }
    };
    Err(Error::because(ErrorCode::NoSeatAvailable, reason))
}

/// Seats cannot be reduced below the number already assigned.
pub fn ensure_seat_count(new_purchased: i64, assigned: i64) -> Result<()> {
    if new_purchased < 0 {
        return Err(Error::because(
            ErrorCode::InvalidInput,
            Reason::SeatsNegative,
        ));
    }
    if new_purchased < assigned {
        return Err(Error::because(
            ErrorCode::NoSeatAvailable,
            Reason::SeatsBelowAssigned {
                assigned,
                count: assigned - new_purchased,
            },
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor::user(1, role)
    }

    #[test]
    fn a_provisioning_token_never_grants_administrator() {
        let p = Actor::provisioning(-7);
        let denied = |a: Action| authorize(&p, &a).map_err(|e| e.code);
        for from in Role::ALL {
            let to_admin = Action::ChangeRole {
                target_id: 2,
                from,
                to: Role::Administrator,
            };
            assert_eq!(denied(to_admin), Err(ErrorCode::PermissionDenied));
        }
        let demote = Action::ChangeRole {
            target_id: 2,
            from: Role::Administrator,
            to: Role::User,
        };
        assert_eq!(denied(demote), Err(ErrorCode::PermissionDenied));
        let create = Action::CreateUser {
            role: Role::Administrator,
        };
        assert_eq!(denied(create), Err(ErrorCode::PermissionDenied));
        assert_eq!(
            denied(Action::ManageProvisioning),
            Err(ErrorCode::PermissionDenied)
        );
        assert_eq!(denied(Action::SetSeats), Err(ErrorCode::PermissionDenied));
        // What it is for: people, their licenses and budgets, groups.
        let to_collaborator = Action::ChangeRole {
            target_id: 2,
            from: Role::User,
            to: Role::Collaborator,
        };
        for ok in [
            Action::CreateUser { role: Role::User },
            Action::ManageLicenses,
            Action::SetBudget,
            Action::ManageDirectory,
            to_collaborator,
        ] {
            assert_eq!(authorize(&p, &ok), Ok(()), "{ok:?}");
        }
        assert!(authorize(
            &Actor::user(1, Role::Collaborator),
            &Action::ManageProvisioning
        )
        .is_err());
        assert!(authorize(
            &Actor::user(1, Role::Administrator),
            &Action::ManageProvisioning
        )
        .is_ok());
    }

    #[test]
    fn collaborator_never_grants_administrator() {
        let c = actor(Role::Collaborator);
        for from in Role::ALL {
            let r = authorize(
                &c,
                &Action::ChangeRole {
                    target_id: 2,
                    from,
                    to: Role::Administrator,
                },
            );
            assert_eq!(r.map_err(|e| e.code), Err(ErrorCode::PermissionDenied));
        }
        assert!(authorize(
            &c,
            &Action::CreateUser {
                role: Role::Administrator
            }
        )
        .is_err());
        assert!(authorize(
            &c,
            &Action::Import {
                role: Role::Administrator,
                licenses: false
            }
        )
        .is_err());
    }

    fn reason(r: Result<()>) -> Option<Reason> {
        r.err().and_then(|e| e.reason)
    }

    #[test]
    fn nobody_changes_their_own_role() {
        // Every role, to every role: refused for that reason (not, for the User role, because
        // Users manage nobody).
        for role in Role::ALL {
            for to in Role::ALL {
                let r = authorize(
                    &actor(role),
                    &Action::ChangeRole {
                        target_id: 1,
                        from: role,
                        to,
                    },
                );
                assert_eq!(
                    reason(r),
                    Some(Reason::CannotChangeOwnRole),
                    "{role:?} to {to:?}"
                );
            }
        }
        // Someone else's role: a User is refused as a User.
        let other = Action::ChangeRole {
            target_id: 2,
            from: Role::User,
            to: Role::Collaborator,
        };
        assert_eq!(
            reason(authorize(&actor(Role::User), &other)),
            Some(Reason::RoleIsUser)
        );
        assert_eq!(authorize(&actor(Role::Collaborator), &other), Ok(()));
    }

    #[test]
    fn seats_messages_count() {
        let e = ensure_seats(3, 4)
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        assert_eq!(e, "No license seat available: all 3 seats are assigned (1 more needed). Unassign a license or add seats.");
        assert_eq!(
            reason(ensure_seats(0, 2)),
            Some(Reason::NoSeats),
            "no seat at all"
        );
        assert!(ensure_seats(3, 3).is_ok());
        assert_eq!(
            reason(ensure_seat_count(2, 3)),
            Some(Reason::SeatsBelowAssigned {
                assigned: 3,
                count: 1
            })
        );
        assert!(ensure_administrator_remains(0).is_err());
    }
}
