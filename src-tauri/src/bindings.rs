//! The TypeScript declarations of every IPC payload, generated from the Rust types with ts-rs.
//! `ui/src/ipc/bindings.ts` and the typed command wrappers `ui/src/ipc/commands.ts` (from
//! [`crate::ipc`]) are committed; a test fails when they drift from the Rust side
//! (`UPDATE_BINDINGS=1 cargo test -p omni-admin` rewrites them).

use std::collections::BTreeSet;

use ts_rs::TS;

macro_rules! decls {
    ($cfg:expr; $($t:ty),* $(,)?) => {
        vec![$(<$t as TS>::decl($cfg)),*]
    };
}

/// How Rust types are named in TypeScript: 64-bit integers cross IPC as JSON numbers (ids,
/// versions, micro-dollars and milliseconds all stay far below 2^53).
pub fn config() -> ts_rs::Config {
    ts_rs::Config::new().with_large_int("number")
}

/// The whole `commands.ts`.
pub fn render_commands() -> String {
    let declared: BTreeSet<String> = render()
        .lines()
        .filter_map(|l| l.strip_prefix("export type "))
        .filter_map(|l| l.split([' ', '<', '=']).next())
        .map(str::to_string)
        .collect();
    crate::ipc::render_commands(&declared)
}

/// One reason of each kind, as a runtime constant: the UI's tests check its catalogue against
/// them.
fn reason_samples() -> String {
    let mut out = String::from(
        "/** One reason of each kind (from `Reason::samples()` in Rust). */\n\
         export const REASON_SAMPLES: Reason[] = [\n",
    );
    for r in omni_core::Reason::samples() {
        let json = serde_json::to_string(&r).unwrap_or_default();
        out.push_str(&format!("  {json},\n"));
    }
    out.push_str("];\n");
    out
}

/// The whole bindings file.
pub fn render() -> String {
    use omni_core::access::{AccessPath, AgentAccess, Named, UserReach};
    use omni_core::csv::LineIssue;
    use omni_core::model::{BudgetState, Role, Seats, Summary, Timestamp, Usd, User};
    use omni_core::{Email, Error, ErrorCode, Phone, Reason};
    use omni_store::{
        AuditEntry, AuditPage, AuditQuery, DirectoryEntry, DirectoryItem, DirectoryKind,
        DirectoryPage, DirectoryQuery, ExportScope, ImportOptions, ImportReport, ItemLink,
        ItemPage, ItemQuery, LinkKind, Member, PhoneChange, Progress, SortField, UserPage,
        UserQuery,
    };

    use crate::changes::{ChangeKind, DataChanged};
    use crate::commands::directory::LinkedItem;
    use crate::commands::files::{ChosenFile, ExportDone, ImportPreview};
    use crate::commands::org::{AppInfo, CallerInfo, OrgShown};
    use crate::commands::scim::ScimTokenCreated;
    use crate::commands::users::{DeletedUser, UserForm};
    use crate::handles::{ExportId, FileId, PreviewId};
    use crate::outbox::{FieldValue, OutboxItem};
    use crate::places::{Account, PlaceKey, ServerShown, SyncShown, SyncState};
    use omni_store::scim::ScimToken;

    let cfg = config();
    let mut decls = decls![&cfg;
        serde_json::Value, Email, Phone, Usd, Timestamp, Role, User, BudgetState, Seats, Summary, ErrorCode, DirectoryKind, Reason, Error, Named, AccessPath,
        AgentAccess, UserReach, LineIssue, SortField, UserQuery, UserPage, ImportOptions, PhoneChange, ImportReport, Progress,
        ExportScope, DirectoryItem, LinkKind, AuditEntry, AuditQuery, AuditPage, OrgShown, CallerInfo, PlaceKey, Account, ServerShown, SyncState, SyncShown, AppInfo, UserForm, DeletedUser,
        LinkedItem, FileId, ChosenFile, PreviewId, ImportPreview, ExportId, ExportDone, ChangeKind, DataChanged, FieldValue, OutboxItem,
        DirectoryQuery, DirectoryEntry, DirectoryPage, ItemQuery, ItemLink, Member, ItemPage,
        ScimToken, ScimTokenCreated,
    ];
    {
        use crate::commands::users::{Created, ShownPage, ShownUser};
        decls.extend(decls![&cfg; ShownUser, ShownPage, Created]);
    }
    let mut out = String::from(
        "// Generated from the Rust types by src-tauri/src/bindings.rs (ts-rs). Do not edit:\n\
         // run `UPDATE_BINDINGS=1 cargo test -p omni-admin` after changing a payload type.\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push_str("\n\n");
    }
    out.push_str(&reason_samples());
    out.trim_end().to_string() + "\n"
}
