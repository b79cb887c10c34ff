//! The TypeScript declarations of every IPC payload, generated from the Rust types with ts-rs.
//! `ui/src/ipc/bindings.ts` is committed; a test fails when it drifts from the Rust types
//! (`UPDATE_BINDINGS=1 cargo test -p omni-admin` rewrites it).

use ts_rs::TS;

macro_rules! decls {
    ($cfg:expr; $($t:ty),* $(,)?) => {
        vec![$(<$t as TS>::decl($cfg)),*]
    };
}

/// The whole bindings file.
pub fn render() -> String {
    use omni_core::access::{AccessPath, AgentAccess, Named, UserReach};
    use omni_core::csv::LineIssue;
    use omni_core::model::{BudgetState, Role, Seats, Summary, Timestamp, Usd, User};
    use omni_core::{Email, Error, ErrorCode, Phone};
    use omni_store::{
        AuditEntry, DirectoryItem, DirectoryKind, ExportScope, ImportOptions, ImportReport,
        LinkKind, Org, PhoneChange, Progress, SortField, UserPage, UserQuery,
    };

    use crate::commands::directory::LinkedItem;
    use crate::commands::files::{ChosenFile, ExportDone};
    use crate::commands::org::AppInfo;
    use crate::commands::users::{DeletedUser, UserForm};

    // 64-bit integers cross IPC as JSON numbers (ids, versions, micro-dollars and milliseconds
    // all stay far below 2^53).
    let cfg = ts_rs::Config::new().with_large_int("number");
    let decls = decls![&cfg;
        serde_json::Value, Email, Phone, Usd, Timestamp, Role, User, BudgetState, Seats, Summary, ErrorCode, Error, Named, AccessPath,
        AgentAccess, UserReach, LineIssue, SortField, UserQuery, UserPage, ImportOptions, PhoneChange, ImportReport, Progress,
        ExportScope, DirectoryKind, DirectoryItem, LinkKind, AuditEntry, Org, AppInfo, UserForm, DeletedUser,
        LinkedItem, ChosenFile, ExportDone,
    ];
    let mut out = String::from(
        "// Generated from the Rust types by src-tauri/src/bindings.rs (ts-rs). Do not edit:\n\
         // run `UPDATE_BINDINGS=1 cargo test -p omni-admin` after changing a payload type.\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push_str("\n\n");
    }
    out.trim_end().to_string() + "\n"
}
