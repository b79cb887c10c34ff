//! The permission policy: the one place that decides whether an actor may do an action, and the
//! invariants every write must keep.
//!
//! Every write path (the CLI, the desktop app, the server, CSV import) asks [`authorize`] with the
//! actor's *current* role, and calls the invariant checks with counts read inside the same
//! transaction that writes. Nothing else in the workspace compares roles.

use crate::error::{Error, ErrorCode, Result};
use crate::model::{Id, Role};

/// Who is acting: a registered user of the organization, with their role as stored now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: Id,
    pub role: Role,
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
}

/// Decides whether `actor` may perform `action`. A refusal says why, in a sentence for a person.
pub fn authorize(actor: &Actor, action: &Action) -> Result<()> {
    use Role::*;
    let role = actor.role;
    if role == User {
        return Err(Error::denied(
            "Your role is User: only Administrators and Collaborators can manage the organization's users.",
        ));
    }
    let admin = role == Administrator;
    match *action {
        Action::ViewUsers | Action::ManageDirectory => Ok(()),
        Action::CreateUser { role: new } => {
            if new == Administrator && !admin {
                Err(Error::denied(
                    "Only an Administrator can create an Administrator.",
                ))
            } else {
                Ok(())
            }
        }
        Action::EditUser { target } => {
            if target == Administrator && !admin {
                Err(Error::denied(
                    "Only an Administrator can edit an Administrator.",
                ))
            } else {
                Ok(())
            }
        }
        Action::DeleteUser { target_id, target } => {
            if target_id == actor.id {
                Err(Error::denied(
                    "You cannot delete your own account; ask another Administrator.",
                ))
            } else if target == Administrator && !admin {
                Err(Error::denied(
                    "Only an Administrator can delete an Administrator.",
                ))
            } else {
                Ok(())
            }
        }
        Action::RestoreUser { target } => {
            if target == Administrator && !admin {
                Err(Error::denied(
                    "Only an Administrator can restore an Administrator.",
                ))
            } else {
                Ok(())
            }
        }
        Action::ChangeRole {
            target_id,
            from,
            to,
        } => {
            if target_id == actor.id {
                Err(Error::denied(
                    "Nobody can change their own role; ask another Administrator.",
                ))
            } else if admin {
                Ok(())
            } else if to == Administrator {
                Err(Error::denied(
                    "Only an Administrator can give the Administrator role.",
                ))
            } else if from == Administrator {
                Err(Error::denied(
                    "Only an Administrator can change an Administrator's role.",
                ))
            } else {
                Ok(())
            }
        }
        Action::ManageLicenses => require_admin(admin, "assign or unassign licenses"),
        Action::SetSeats => require_admin(admin, "change the number of seats"),
        Action::SetBudget => require_admin(admin, "set budgets"),
        Action::Import {
            role: new,
            licenses,
        } => {
            if new == Administrator && !admin {
                Err(Error::denied(
                    "Only an Administrator can import users as Administrators; choose User or Collaborator.",
                ))
            } else if licenses && !admin {
                Err(Error::denied(
                    "Only an Administrator can assign licenses during an import; import without licenses.",
                ))
            } else {
                Ok(())
            }
        }
    }
}

fn require_admin(admin: bool, what: &str) -> Result<()> {
    if admin {
        Ok(())
    } else {
        Err(Error::denied(format!("Only an Administrator can {what}.")))
    }
}

/// The organization must keep at least one Administrator. `admins_after` is the count the change
/// would leave, read in the writing transaction.
pub fn ensure_administrator_remains(admins_after: i64) -> Result<()> {
    if admins_after < 1 {
        Err(Error::new(
            ErrorCode::LastAdministrator,
            "This is the organization's last Administrator: make someone else an Administrator first.",
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
    let message = if purchased == 0 {
        "No license seat available: the organization has 0 seats. Add seats first.".to_string()
    } else {
        let missing = assigned_after - purchased;
        format!(
            "No license seat available: all {purchased} seats are assigned ({missing} more needed). Unassign a license or add seats."
        )
    };
    Err(Error::new(ErrorCode::NoSeatAvailable, message))
}

/// Seats cannot be reduced below the number already assigned.
pub fn ensure_seat_count(new_purchased: i64, assigned: i64) -> Result<()> {
    if new_purchased < 0 {
        return Err(Error::invalid("The number of seats cannot be negative."));
    }
    if new_purchased < assigned {
        return Err(Error::new(
            ErrorCode::NoSeatAvailable,
            format!(
                "{assigned} licenses are assigned, so seats cannot go below {assigned}: unassign {} licenses first.",
                assigned - new_purchased
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor { id: 1, role }
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

    #[test]
    fn nobody_changes_their_own_role() {
        for role in Role::ALL {
            let r = authorize(
                &actor(role),
                &Action::ChangeRole {
                    target_id: 1,
                    from: role,
                    to: Role::User,
                },
            );
            assert!(r.is_err());
        }
    }

    #[test]
    fn seats_messages_count() {
        let e = ensure_seats(3, 4)
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        assert!(e.contains("all 3 seats"), "{e}");
        assert!(ensure_seats(3, 3).is_ok());
        assert!(ensure_seat_count(2, 3).is_err());
        assert!(ensure_administrator_remains(0).is_err());
    }
}
