//! Why a request was refused, as data: a stable key with the values the sentence names. The
//! desktop app sends it beside the English `message`, so the UI can say the same thing in the
//! person's language (its catalogue, ui/src/reasons.ts, has one entry per key with `{field}`
//! placeholders). [`Reason::english`] is the one place the English sentence lives: the CLI,
//! the server and the app's `message` all read it from here.
//!
//! Fields are flat: numbers, strings, and the string enums [`crate::model::Role`] (fields named
//! `role`, `from` or `to`) and [`DirectoryKind`] (fields named `kind`). A number that decides a plural in some
//! language is named `count`.

use serde::{Deserialize, Serialize};

use crate::model::{DirectoryKind, Id};

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "key", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Reason {
    // The policy's refusals.
    RoleIsUser,
    OnlyAdminCreatesAdmin,
    OnlyAdminEditsAdmin,
    CannotDeleteSelf,
    OnlyAdminDeletesAdmin,
    OnlyAdminRestoresAdmin,
    CannotChangeOwnRole,
    OnlyAdminGrantsAdmin,
    OnlyAdminChangesAdminRole,
    OnlyAdminManagesLicenses,
    OnlyAdminSetsSeats,
    OnlyAdminSetsBudgets,
    OnlyAdminImportsAdmins,
    OnlyAdminImportsLicenses,
    OnlyAdminManagesProvisioning,
    NotRegistered,
    // The invariants every write keeps.
    LastAdministrator,
    NoSeats,
    AllSeatsAssigned { purchased: i64, count: i64 },
    SeatsNegative,
    SeatsBelowAssigned { assigned: i64, count: i64 },
    StaleUser { email: String },
    // Things that are not there.
    NoUser { id: Id },
    NoUserWithId { id: Id },
    NoDeletedUser { id: Id },
    NotAUser { email: String },
    RestoreExpired { email: String, days: i64 },
    NoItem { kind: DirectoryKind, id: Id },
    NothingHasId { id: Id },
    NoItemNamed { kind: DirectoryKind, name: String },
    NotInitialized,
    // Things that are there already.
    UserExists { email: String },
    ItemExists { kind: DirectoryKind, name: String },
    RestoreConflict { email: String },
    OrgExists,
    // Values that cannot be used.
    EmailEmpty,
    EmailTooLong,
    EmailNoAt,
    EmailNothingBeforeAt,
    EmailLocalTooLong,
    EmailBadLocalCharacter { character: String },
    EmailMisplacedDot,
    EmailNoDomain,
    EmailDomainNoDot { domain: String },
    EmailDomainEmptyPart { domain: String },
    EmailDomainPartTooLong,
    EmailBadDomainCharacter { character: String },
    EmailDomainHyphen { domain: String },
    EmailBadTopLevelDomain { domain: String },
    PhoneEmpty,
    PhoneBadCharacter { character: String },
    PhoneBadCountryCode { text: String },
    PhoneUnassignedCountryCode { code: i64 },
    PhoneNoCountryCode,
    PhoneNotANumber { number: String, detail: String },
    PhoneCountryCodeDiffers { written: i64, given: i64 },
    PhoneInvalidForCountry { number: String, code: i64 },
    PhoneUnformattable,
    PhoneNotE164 { number: String },
    BadAmount { text: String },
    UnknownRole { text: String },
    OrgNameMissing,
    ItemNameMissing { kind: DirectoryKind },
    ItemNameTooLong { kind: DirectoryKind },
    // The desktop app's files and handles.
    UnknownFile { id: String },
    UnknownPreview { id: String },
    UnknownExport { id: String },
    BadLocation { detail: String },
    CannotReadFile { path: String, detail: String },
    CannotOpenFile { path: String, detail: String },
    CannotCreateFile { path: String, detail: String },
    CannotWriteFile { path: String, detail: String },
    // An operation stopped by the person.
    ImportCancelled,
    // Connected mode: reaching a server and signing in to it.
    ServerAddressInvalid { address: String },
    ServerUnreachable { address: String, detail: String },
    ServerCertificate { address: String, detail: String },
    NotAnOmniServer { address: String },
    ServerUnavailable { seconds: i64 },
    SignInCancelled,
    SignInTimedOut { minutes: i64 },
    SignInRefused { detail: String },
    SignInAgain,
    SignedOut,
    // Offline, an edit the outbox cannot hold (only licenses, roles and budgets wait there).
    NeedsServer,
}

/// `'c'`, as Rust writes a character (the first of `s`).
fn quoted_char(s: &str) -> String {
    s.chars()
        .next()
        .map(|c| format!("{c:?}"))
        .unwrap_or_default()
}

impl Reason {
    /// The sentence for a person, in English.
    pub fn english(&self) -> String {
        use Reason::*;
        let text = match self {
            RoleIsUser => "Your role is User: only Administrators and Collaborators can manage the organization's users.",
            OnlyAdminCreatesAdmin => "Only an Administrator can create an Administrator.",
            OnlyAdminEditsAdmin => "Only an Administrator can edit an Administrator.",
            CannotDeleteSelf => "You cannot delete your own account; ask another Administrator.",
            OnlyAdminDeletesAdmin => "Only an Administrator can delete an Administrator.",
            OnlyAdminRestoresAdmin => "Only an Administrator can restore an Administrator.",
            CannotChangeOwnRole => "Nobody can change their own role; ask another Administrator.",
            OnlyAdminGrantsAdmin => "Only an Administrator can give the Administrator role.",
            OnlyAdminChangesAdminRole => "Only an Administrator can change an Administrator's role.",
            OnlyAdminManagesLicenses => "Only an Administrator can assign or unassign licenses.",
            OnlyAdminSetsSeats => "Only an Administrator can change the number of seats.",
            OnlyAdminSetsBudgets => "Only an Administrator can set budgets.",
            OnlyAdminImportsAdmins => "Only an Administrator can import users as Administrators; choose User or Collaborator.",
            OnlyAdminImportsLicenses => "Only an Administrator can assign licenses during an import; import without licenses.",
            OnlyAdminManagesProvisioning => "Only an Administrator can manage provisioning (SCIM) tokens and settings.",
            NotRegistered => "Your account is not a registered user of this organization (it may have been deleted).",
            LastAdministrator => "This is the organization's last Administrator: make someone else an Administrator first.",
            NoSeats => "No license seat available: the organization has 0 seats. Add seats first.",
            AllSeatsAssigned { purchased, count } => return format!("No license seat available: all {purchased} seats are assigned ({count} more needed). Unassign a license or add seats."),
            SeatsNegative => "The number of seats cannot be negative.",
            SeatsBelowAssigned { assigned, count } => return format!("{assigned} licenses are assigned, so seats cannot go below {assigned}: unassign {count} licenses first."),
            StaleUser { email } => return format!("{email} was changed by someone else since you opened it: reload and try again."),
            NoUser { id } => return format!("No user has id {id} in this organization."),
            NoUserWithId { id } => return format!("No user has id {id}."),
            NoDeletedUser { id } => return format!("No recently deleted user has id {id}."),
            NotAUser { email } => return format!("{email} is not a user of this organization."),
            RestoreExpired { email, days } => return format!("{email} was deleted more than {days} days ago and can no longer be restored."),
            NoItem { kind, id } => return format!("No {} has id {id}.", kind.as_str()),
            NothingHasId { id } => return format!("Nothing has id {id}."),
            NoItemNamed { kind, name } => return format!("No {} is named {name:?}.", kind.as_str()),
            NotInitialized => "No organization here yet: create one with `omni init --org NAME --owner EMAIL`.",
            UserExists { email } => return format!("{email} is already a user of this organization."),
            ItemExists { kind, name } => return format!("A {} named {name:?} already exists.", kind.as_str()),
            RestoreConflict { email } => return format!("{email} cannot be restored: another user now has that email."),
            OrgExists => "This app already holds an organization.",
            OrgNameMissing => "The organization needs a name.",
            ItemNameMissing { kind } => return format!("The {} needs a name.", kind.as_str()),
            ItemNameTooLong { kind } => return format!("The {} name is longer than 200 characters.", kind.as_str()),
            UnknownFile { id } => return format!("Unknown file {id}: choose the file to import again."),
            UnknownPreview { id } => return format!("Unknown import preview {id}: preview the file again."),
            UnknownExport { id } => return format!("Unknown export {id}: export the users again."),
            BadLocation { detail } => return format!("That location cannot be used: {detail}."),
            CannotReadFile { path, detail } => return format!("Cannot read {path}: {detail}."),
            CannotOpenFile { path, detail } => return format!("Cannot open {path}: {detail}."),
            CannotCreateFile { path, detail } => return format!("Cannot create {path}: {detail}."),
            CannotWriteFile { path, detail } => return format!("Cannot write {path}: {detail}."),
            ImportCancelled => "The import was cancelled; nothing was changed.",
            ServerAddressInvalid { address } => return format!("{address:?} is not a server address: type it as https://omni.example.com."),
            ServerUnreachable { address, detail } => return format!("Cannot reach {address}: {detail}. Check the address and your network."),
            ServerCertificate { address, detail } => return format!("{address} has a TLS certificate this computer does not trust ({detail}): ask your administrator."),
            NotAnOmniServer { address } => return format!("{address} answered, but it is not an omni-server: check the address."),
            ServerUnavailable { seconds } => return format!("The server is unavailable for now; try again in {seconds} s."),
            SignInCancelled => "Sign-in was cancelled.",
            SignInTimedOut { minutes } => return format!("Sign-in took longer than {minutes} minutes and was stopped: sign in again."),
            SignInRefused { detail } => return format!("The sign-in was refused: {detail}."),
            SignInAgain => "Your session has ended: sign in again.",
            SignedOut => "You are signed out: sign in to work on this organization.",
            NeedsServer => "This change needs the server: reconnect and try again. Offline you can create and edit users, assign licenses, change roles, set budgets and add people to groups, workspaces and agents.",
            // The reasons about one value: a sentence made of their clause.
            _ => {
                return match (self.email_detail(), self.phone_detail(), self.value_detail()) {
                    (Some(d), _, _) => format!("Invalid email: {d}."),
                    (_, Some(d), _) => format!("Invalid phone: {d}."),
                    (_, _, Some(d)) => format!("{d}."),
                    _ => String::new(),
                }
            }
        };
        text.to_string()
    }

    /// For a value that cannot be used (an email, a phone number, an amount, a role): what is
    /// wrong with it, as a clause (`the email has no @`). CSV import reports quote it after the
    /// line's value; [`Reason::english`] makes a sentence of it.
    pub fn detail(&self) -> Option<String> {
        self.email_detail()
            .or_else(|| self.phone_detail())
            .or_else(|| self.value_detail())
    }

    fn email_detail(&self) -> Option<String> {
        use Reason::*;
        let text = match self {
            EmailEmpty => "the email is empty",
            EmailTooLong => "the email is longer than 254 characters",
            EmailNoAt => "the email has no @",
            EmailNothingBeforeAt => "the email has nothing before the @",
            EmailLocalTooLong => "the part before the @ is longer than 64 characters",
            EmailBadLocalCharacter { character } => {
                return Some(format!(
                    "the email contains {}, which is not allowed before the @",
                    quoted_char(character)
                ))
            }
            EmailMisplacedDot => "the part before the @ has a misplaced dot",
            EmailNoDomain => "the email has no domain after the @",
            EmailDomainNoDot { domain } => {
                return Some(format!("the domain {domain:?} has no dot (e.g. acme.com)"))
            }
            EmailDomainEmptyPart { domain } => {
                return Some(format!("the domain {domain:?} has an empty part"))
            }
            EmailDomainPartTooLong => "a part of the domain is longer than 63 characters",
            EmailBadDomainCharacter { character } => {
                return Some(format!(
                    "the domain contains {}, which is not allowed",
                    quoted_char(character)
                ))
            }
            EmailDomainHyphen { domain } => {
                return Some(format!(
                    "the domain {domain:?} has a part that starts or ends with -"
                ))
            }
            EmailBadTopLevelDomain { domain } => {
                return Some(format!(
                    "the domain {domain:?} does not end in a valid top-level domain"
                ))
            }
            _ => return None,
        };
        Some(text.to_string())
    }

    fn phone_detail(&self) -> Option<String> {
        use Reason::*;
        let text = match self {
            PhoneEmpty => "the phone number is empty",
            PhoneBadCharacter { character } => {
                return Some(format!(
                    "the phone number contains {}; use digits only",
                    quoted_char(character)
                ))
            }
            PhoneBadCountryCode { text } => {
                return Some(format!(
                    "{text:?} is not a country calling code (1 to 3 digits, e.g. 55 for Brazil)"
                ))
            }
            PhoneUnassignedCountryCode { code } => {
                return Some(format!("+{code} is not an assigned country calling code"))
            }
            PhoneNoCountryCode => {
                "the phone number has no country code: give one (e.g. 55) or write it as +55…"
            }
            PhoneNotANumber { number, detail } => {
                return Some(format!("{number:?} is not a phone number ({detail})"))
            }
            PhoneCountryCodeDiffers { written, given } => {
                return Some(format!(
                "the number is written with +{written} but the country code column says {given}"
            ))
            }
            PhoneInvalidForCountry { number, code } => {
                return Some(format!(
                    "{number:?} is not a valid phone number for country code +{code}"
                ))
            }
            PhoneUnformattable => "the number could not be formatted",
            PhoneNotE164 { number } => return Some(format!("{number:?} is not in E.164 form")),
            _ => return None,
        };
        Some(text.to_string())
    }

    fn value_detail(&self) -> Option<String> {
        match self {
            Reason::BadAmount { text } => Some(format!("{text:?} is not an amount in US dollars: write it like 50 or 12.40 (at most 6 decimals)")),
            Reason::UnknownRole { text } => Some(format!("unknown role {text:?}: use administrator, collaborator or user")),
            _ => None,
        }
    }
}

impl Reason {
    /// One reason of each kind, with plausible values: the UI's catalogue is checked against
    /// them (every key has an entry that reads as [`Reason::english`] does).
    pub fn samples() -> Vec<Reason> {
        use Reason::*;
        let email = || "ana@acme.com".to_string();
        let path = || "/home/ana/users.csv".to_string();
        let detail = || "No such file or directory (os error 2)".to_string();
        vec![
            RoleIsUser,
            OnlyAdminCreatesAdmin,
            OnlyAdminEditsAdmin,
            CannotDeleteSelf,
            OnlyAdminDeletesAdmin,
            OnlyAdminRestoresAdmin,
            CannotChangeOwnRole,
            OnlyAdminGrantsAdmin,
            OnlyAdminChangesAdminRole,
            OnlyAdminManagesLicenses,
            OnlyAdminSetsSeats,
            OnlyAdminSetsBudgets,
            OnlyAdminImportsAdmins,
            OnlyAdminImportsLicenses,
            OnlyAdminManagesProvisioning,
            NotRegistered,
            LastAdministrator,
            NoSeats,
            AllSeatsAssigned {
                purchased: 10,
                count: 2,
            },
            SeatsNegative,
            SeatsBelowAssigned {
                assigned: 7,
                count: 2,
            },
            StaleUser { email: email() },
            NoUser { id: 42 },
            NoUserWithId { id: 42 },
            NoDeletedUser { id: 42 },
            NotAUser { email: email() },
            RestoreExpired {
                email: email(),
                days: 30,
            },
            NoItem {
                kind: DirectoryKind::Agent,
                id: 7,
            },
            NothingHasId { id: 7 },
            NoItemNamed {
                kind: DirectoryKind::Group,
                name: "Sales".into(),
            },
            NotInitialized,
            UserExists { email: email() },
            ItemExists {
                kind: DirectoryKind::Workspace,
                name: "Finance".into(),
            },
            RestoreConflict { email: email() },
            OrgExists,
            EmailEmpty,
            EmailTooLong,
            EmailNoAt,
            EmailNothingBeforeAt,
            EmailLocalTooLong,
            EmailBadLocalCharacter {
                character: " ".into(),
            },
            EmailMisplacedDot,
            EmailNoDomain,
            EmailDomainNoDot {
                domain: "acme".into(),
            },
            EmailDomainEmptyPart {
                domain: "acme..com".into(),
            },
            EmailDomainPartTooLong,
            EmailBadDomainCharacter {
                character: "_".into(),
            },
            EmailDomainHyphen {
                domain: "-acme.com".into(),
            },
            EmailBadTopLevelDomain {
                domain: "acme.c".into(),
            },
            PhoneEmpty,
            PhoneBadCharacter {
                character: "a".into(),
            },
            PhoneBadCountryCode {
                text: "5555".into(),
            },
            PhoneUnassignedCountryCode { code: 999 },
            PhoneNoCountryCode,
            PhoneNotANumber {
                number: "12".into(),
                detail: "not a number".into(),
            },
            PhoneCountryCodeDiffers {
                written: 55,
                given: 1,
            },
            PhoneInvalidForCountry {
                number: "123".into(),
                code: 55,
            },
            PhoneUnformattable,
            PhoneNotE164 {
                number: "5511987654321".into(),
            },
            BadAmount {
                text: "12,40".into(),
            },
            UnknownRole {
                text: "owner".into(),
            },
            OrgNameMissing,
            ItemNameMissing {
                kind: DirectoryKind::Group,
            },
            ItemNameTooLong {
                kind: DirectoryKind::Agent,
            },
            UnknownFile { id: "f9".into() },
            UnknownPreview { id: "p9".into() },
            UnknownExport { id: "e9".into() },
            BadLocation {
                detail: "not a local path".into(),
            },
            CannotReadFile {
                path: path(),
                detail: detail(),
            },
            CannotOpenFile {
                path: path(),
                detail: detail(),
            },
            CannotCreateFile {
                path: path(),
                detail: detail(),
            },
            CannotWriteFile {
                path: path(),
                detail: detail(),
            },
            ImportCancelled,
            ServerAddressInvalid {
                address: "omni acme".into(),
            },
            ServerUnreachable {
                address: "https://omni.acme.com".into(),
                detail: "connection refused".into(),
            },
            ServerCertificate {
                address: "https://omni.acme.com".into(),
                detail: "the certificate is self-signed".into(),
            },
            NotAnOmniServer {
                address: "https://acme.com".into(),
            },
            ServerUnavailable { seconds: 5 },
            SignInCancelled,
            SignInTimedOut { minutes: 5 },
            SignInRefused {
                detail: "access_denied".into(),
            },
            SignInAgain,
            SignedOut,
            NeedsServer,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn key(r: &Reason) -> String {
        serde_json::to_value(r)
            .ok()
            .and_then(|v| v.get("key").and_then(|k| k.as_str().map(str::to_string)))
            .unwrap_or_default()
    }

    /// Every reason's sentence, written out as the CLI, the server and the app have always
    /// said it (the UI's English catalogue must read the same).
    const ENGLISH: &[(&str, &str)] = &[
        ("role_is_user", "Your role is User: only Administrators and Collaborators can manage the organization's users."),
        ("only_admin_creates_admin", "Only an Administrator can create an Administrator."),
        ("only_admin_edits_admin", "Only an Administrator can edit an Administrator."),
        ("cannot_delete_self", "You cannot delete your own account; ask another Administrator."),
        ("only_admin_deletes_admin", "Only an Administrator can delete an Administrator."),
        ("only_admin_restores_admin", "Only an Administrator can restore an Administrator."),
        ("cannot_change_own_role", "Nobody can change their own role; ask another Administrator."),
        ("only_admin_grants_admin", "Only an Administrator can give the Administrator role."),
        ("only_admin_changes_admin_role", "Only an Administrator can change an Administrator's role."),
        ("only_admin_manages_licenses", "Only an Administrator can assign or unassign licenses."),
        ("only_admin_sets_seats", "Only an Administrator can change the number of seats."),
        ("only_admin_sets_budgets", "Only an Administrator can set budgets."),
        ("only_admin_imports_admins", "Only an Administrator can import users as Administrators; choose User or Collaborator."),
        ("only_admin_imports_licenses", "Only an Administrator can assign licenses during an import; import without licenses."),
        ("only_admin_manages_provisioning", "Only an Administrator can manage provisioning (SCIM) tokens and settings."),
        ("not_registered", "Your account is not a registered user of this organization (it may have been deleted)."),
        ("last_administrator", "This is the organization's last Administrator: make someone else an Administrator first."),
        ("no_seats", "No license seat available: the organization has 0 seats. Add seats first."),
        ("all_seats_assigned", "No license seat available: all 10 seats are assigned (2 more needed). Unassign a license or add seats."),
        ("seats_negative", "The number of seats cannot be negative."),
        ("seats_below_assigned", "7 licenses are assigned, so seats cannot go below 7: unassign 2 licenses first."),
        ("stale_user", "ana@acme.com was changed by someone else since you opened it: reload and try again."),
        ("no_user", "No user has id 42 in this organization."),
        ("no_user_with_id", "No user has id 42."),
        ("no_deleted_user", "No recently deleted user has id 42."),
        ("not_a_user", "ana@acme.com is not a user of this organization."),
        ("restore_expired", "ana@acme.com was deleted more than 30 days ago and can no longer be restored."),
        ("no_item", "No agent has id 7."),
        ("nothing_has_id", "Nothing has id 7."),
        ("no_item_named", "No group is named \"Sales\"."),
        ("not_initialized", "No organization here yet: create one with `omni init --org NAME --owner EMAIL`."),
        ("user_exists", "ana@acme.com is already a user of this organization."),
        ("item_exists", "A workspace named \"Finance\" already exists."),
        ("restore_conflict", "ana@acme.com cannot be restored: another user now has that email."),
        ("org_exists", "This app already holds an organization."),
        ("email_empty", "Invalid email: the email is empty."),
        ("email_too_long", "Invalid email: the email is longer than 254 characters."),
        ("email_no_at", "Invalid email: the email has no @."),
        ("email_nothing_before_at", "Invalid email: the email has nothing before the @."),
        ("email_local_too_long", "Invalid email: the part before the @ is longer than 64 characters."),
        ("email_bad_local_character", "Invalid email: the email contains ' ', which is not allowed before the @."),
        ("email_misplaced_dot", "Invalid email: the part before the @ has a misplaced dot."),
        ("email_no_domain", "Invalid email: the email has no domain after the @."),
        ("email_domain_no_dot", "Invalid email: the domain \"acme\" has no dot (e.g. acme.com)."),
        ("email_domain_empty_part", "Invalid email: the domain \"acme..com\" has an empty part."),
        ("email_domain_part_too_long", "Invalid email: a part of the domain is longer than 63 characters."),
        ("email_bad_domain_character", "Invalid email: the domain contains '_', which is not allowed."),
        ("email_domain_hyphen", "Invalid email: the domain \"-acme.com\" has a part that starts or ends with -."),
        ("email_bad_top_level_domain", "Invalid email: the domain \"acme.c\" does not end in a valid top-level domain."),
        ("phone_empty", "Invalid phone: the phone number is empty."),
        ("phone_bad_character", "Invalid phone: the phone number contains 'a'; use digits only."),
        ("phone_bad_country_code", "Invalid phone: \"5555\" is not a country calling code (1 to 3 digits, e.g. 55 for Brazil)."),
        ("phone_unassigned_country_code", "Invalid phone: +999 is not an assigned country calling code."),
        ("phone_no_country_code", "Invalid phone: the phone number has no country code: give one (e.g. 55) or write it as +55…."),
        ("phone_not_a_number", "Invalid phone: \"12\" is not a phone number (not a number)."),
        ("phone_country_code_differs", "Invalid phone: the number is written with +55 but the country code column says 1."),
        ("phone_invalid_for_country", "Invalid phone: \"123\" is not a valid phone number for country code +55."),
        ("phone_unformattable", "Invalid phone: the number could not be formatted."),
        ("phone_not_e164", "Invalid phone: \"5511987654321\" is not in E.164 form."),
        ("bad_amount", "\"12,40\" is not an amount in US dollars: write it like 50 or 12.40 (at most 6 decimals)."),
        ("unknown_role", "unknown role \"owner\": use administrator, collaborator or user."),
        ("org_name_missing", "The organization needs a name."),
        ("item_name_missing", "The group needs a name."),
        ("item_name_too_long", "The agent name is longer than 200 characters."),
        ("unknown_file", "Unknown file f9: choose the file to import again."),
        ("unknown_preview", "Unknown import preview p9: preview the file again."),
        ("unknown_export", "Unknown export e9: export the users again."),
        ("bad_location", "That location cannot be used: not a local path."),
        ("cannot_read_file", "Cannot read /home/ana/users.csv: No such file or directory (os error 2)."),
        ("cannot_open_file", "Cannot open /home/ana/users.csv: No such file or directory (os error 2)."),
        ("cannot_create_file", "Cannot create /home/ana/users.csv: No such file or directory (os error 2)."),
        ("cannot_write_file", "Cannot write /home/ana/users.csv: No such file or directory (os error 2)."),
        ("import_cancelled", "The import was cancelled; nothing was changed."),
        ("server_address_invalid", "\"omni acme\" is not a server address: type it as https://omni.example.com."),
        ("server_unreachable", "Cannot reach https://omni.acme.com: connection refused. Check the address and your network."),
        ("server_certificate", "https://omni.acme.com has a TLS certificate this computer does not trust (the certificate is self-signed): ask your administrator."),
        ("not_an_omni_server", "https://acme.com answered, but it is not an omni-server: check the address."),
        ("server_unavailable", "The server is unavailable for now; try again in 5 s."),
        ("sign_in_cancelled", "Sign-in was cancelled."),
        ("sign_in_timed_out", "Sign-in took longer than 5 minutes and was stopped: sign in again."),
        ("sign_in_refused", "The sign-in was refused: access_denied."),
        ("sign_in_again", "Your session has ended: sign in again."),
        ("signed_out", "You are signed out: sign in to work on this organization."),
        ("needs_server", "This change needs the server: reconnect and try again. Offline you can create and edit users, assign licenses, change roles, set budgets and add people to groups, workspaces and agents."),
    ];

    #[test]
    fn samples_cover_every_key_once_and_each_reads_as_it_always_did() {
        let samples = Reason::samples();
        let mut seen = BTreeMap::new();
        for r in &samples {
            assert!(seen.insert(key(r), r.english()).is_none(), "{r:?} twice");
        }
        let expected: BTreeMap<String, String> = ENGLISH
            .iter()
            .map(|(k, e)| (k.to_string(), e.to_string()))
            .collect();
        assert_eq!(expected.len(), ENGLISH.len(), "a key twice in ENGLISH");
        assert_eq!(seen, expected);
    }

    #[test]
    fn reasons_travel_as_a_key_and_their_fields() {
        let r = Reason::AllSeatsAssigned {
            purchased: 10,
            count: 2,
        };
        let json = serde_json::to_string(&r).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"key":"all_seats_assigned","purchased":10,"count":2}"#
        );
        let back: Option<Reason> = serde_json::from_str(&json).ok();
        assert_eq!(back, Some(r));
        let item = serde_json::to_string(&Reason::NoItem {
            kind: DirectoryKind::Agent,
            id: 7,
        })
        .unwrap_or_default();
        assert_eq!(item, r#"{"key":"no_item","kind":"agent","id":7}"#);
    }
}
