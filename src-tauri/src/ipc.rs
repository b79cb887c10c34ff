//! The one table of the commands the web view may invoke: each command's name, arguments and
//! result, written once in Rust. `ui/src/ipc/commands.ts` (typed wrappers over `invoke`) is
//! rendered from it next to the bindings, and the shell's tests check it against the command
//! functions' signatures, build.rs, `generate_handler!` and the capability, so the UI cannot
//! call a command by a wrong name or with wrong arguments without a type error.

use std::collections::BTreeSet;
use std::marker::PhantomData;

use tauri::ipc::Channel;
use ts_rs::{Config, TS};

/// A type as written in Rust and as named in TypeScript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typed {
    pub rust: &'static str,
    pub ts: String,
}

/// One argument of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    pub name: &'static str,
    pub ty: Typed,
}

/// One command: what the web view invokes, with what, and what it gets back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub name: &'static str,
    pub args: Vec<Arg>,
    pub returns: Typed,
}

/// Names a type in TypeScript; a `Channel<T>` (which ts-rs does not know) as `Channel<T>`.
/// Picked by method resolution: the channel case needs no auto-reference, so it wins where it
/// applies.
struct TsOf<T>(PhantomData<T>);

trait ChannelTs {
    fn ts(&self, cfg: &Config) -> String;
}
impl<T: TS> ChannelTs for TsOf<Channel<T>> {
    fn ts(&self, cfg: &Config) -> String {
        format!("Channel<{}>", T::name(cfg))
    }
}

trait PlainTs {
    fn ts(&self, cfg: &Config) -> String;
}
impl<T: TS> PlainTs for &TsOf<T> {
    fn ts(&self, cfg: &Config) -> String {
        T::name(cfg)
    }
}

macro_rules! command_table {
    ($($name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty;)*) => {
        /// Every command, in the order the wrappers list them.
        pub fn table(cfg: &Config) -> Vec<Command> {
            vec![$(Command {
                name: stringify!($name),
                args: vec![$(Arg {
                    name: stringify!($arg),
                    ty: Typed {
                        rust: stringify!($ty),
                        ts: (&TsOf::<$ty>(PhantomData)).ts(cfg),
                    },
                }),*],
                returns: Typed {
                    rust: stringify!($ret),
                    ts: (&TsOf::<$ret>(PhantomData)).ts(cfg),
                },
            }),*]
        }
    };
}

mod types {
    pub use crate::commands::directory::LinkedItem;
    pub use crate::commands::files::{ChosenFile, ExportDone, ImportPreview};
    pub use crate::commands::org::AppInfo;
    pub use crate::commands::scim::ScimTokenCreated;
    pub use crate::commands::users::{Created, DeletedUser, ShownPage, UserForm};
    pub use crate::handles::{ExportId, FileId, PreviewId};
    pub use crate::outbox::OutboxItem;
    pub use crate::places::{PlaceKey, ServerShown};
    pub use omni_core::access::{AgentAccess, UserReach};
    pub use omni_core::csv::LineIssue;
    pub use omni_core::model::{Id, Role, Summary, User};
    pub use omni_requests::ScimToken;
    pub use omni_store::{
        AuditPage, AuditQuery, DirectoryItem, DirectoryKind, DirectoryPage, DirectoryQuery,
        ExportScope, ImportOptions, ImportReport, ItemPage, ItemQuery, LinkKind, Progress,
        UserQuery,
    };
}
use types::*;

// Each line must read as the command function's signature does (without the `State` and
// `AppHandle` arguments Tauri supplies): the shell's tests compare them.
command_table! {
    app_state() -> AppInfo;
    create_org(name: String, owner: String, seats: i64) -> Summary;
    summary() -> Summary;
    set_seats(seats: i64) -> Summary;
    audit(query: AuditQuery) -> AuditPage;
    list_users(query: UserQuery) -> ShownPage;
    create_user(form: UserForm) -> Created;
    scim_tokens() -> Vec<ScimToken>;
    create_scim_token(name: String) -> ScimTokenCreated;
    revoke_scim_token(id: Id) -> ScimToken;
    edit_user(id: Id, form: UserForm) -> User;
    set_role(ids: Vec<Id>, role: Role) -> Vec<User>;
    set_licensed(ids: Vec<Id>, licensed: bool) -> Vec<User>;
    delete_users(ids: Vec<Id>) -> ();
    deleted_users() -> Vec<DeletedUser>;
    restore_user(id: Id) -> User;
    items(kind: DirectoryKind) -> Vec<DirectoryItem>;
    create_item(kind: DirectoryKind, name: String) -> DirectoryItem;
    rename_item(kind: DirectoryKind, id: Id, name: String) -> DirectoryItem;
    delete_item(kind: DirectoryKind, id: Id) -> ();
    link(kind: LinkKind, a: Id, b: Id) -> bool;
    unlink(kind: LinkKind, a: Id, b: Id) -> bool;
    user_links(user: Id) -> Vec<LinkedItem>;
    item_links(item: Id) -> Vec<LinkedItem>;
    access(user: Id) -> Vec<AgentAccess>;
    agent_reach(agent: Id) -> Vec<UserReach>;
    directory_page(query: DirectoryQuery) -> DirectoryPage;
    item_page(query: ItemQuery) -> ItemPage;
    user(id: Id) -> User;
    choose_import_file() -> Option<ChosenFile>;
    import_preview(file: FileId, options: ImportOptions, on_progress: Channel<Progress>) -> ImportPreview;
    import_commit(preview: PreviewId, options: ImportOptions, on_progress: Channel<Progress>) -> ImportReport;
    cancel_import(preview: PreviewId) -> ();
    save_rejected(issues: Vec<LineIssue>) -> Option<String>;
    export_users(scope: ExportScope, on_progress: Channel<Progress>) -> Option<ExportDone>;
    export_audit(query: AuditQuery, on_progress: Channel<Progress>) -> Option<ExportDone>;
    reveal_export(id: ExportId) -> ();
    connect_server(address: String) -> ServerShown;
    sign_in(address: String) -> AppInfo;
    cancel_sign_in() -> ();
    sign_out() -> AppInfo;
    use_place(place: PlaceKey) -> AppInfo;
    outbox() -> Vec<OutboxItem>;
    pending_users() -> Vec<Id>;
    apply_again(entry: i64) -> ();
    discard(entry: i64) -> ();
    save_example_csv() -> Option<String>;
}

/// `snake_case` as `camelCase` (Tauri's convention for command arguments).
fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The whole `ui/src/ipc/commands.ts`. `declared` are the type names bindings.ts exports (the
/// ones imported from it).
pub fn render_commands(declared: &BTreeSet<String>) -> String {
    let cfg = crate::bindings::config();
    let table = table(&cfg);
    let mut used = BTreeSet::new();
    let mut lines = Vec::new();
    for c in &table {
        let types = c.args.iter().map(|a| &a.ty.ts).chain([&c.returns.ts]);
        for ts in types {
            for word in ts.split(|ch: char| !(ch.is_alphanumeric() || ch == '_')) {
                if declared.contains(word) {
                    used.insert(word.to_string());
                }
            }
        }
        let params: Vec<String> = c
            .args
            .iter()
            .map(|a| format!("{}: {}", camel(a.name), a.ty.ts))
            .collect();
        let keys: Vec<String> = c.args.iter().map(|a| camel(a.name)).collect();
        let payload = if keys.is_empty() {
            String::new()
        } else {
            format!(", {{ {} }}", keys.join(", "))
        };
        lines.push(format!(
            "  {}: ({}) => invoke<{}>(\"{}\"{}),\n",
            camel(c.name),
            params.join(", "),
            c.returns.ts,
            c.name,
            payload
        ));
    }
    let mut out = String::from(
        "// Generated from the command table in src-tauri/src/ipc.rs. Do not edit:\n\
         // run `UPDATE_BINDINGS=1 cargo test -p omni-admin` after changing a command.\n\n\
         import { Channel, invoke } from \"@tauri-apps/api/core\";\n",
    );
    out.push_str(&format!(
        "import type {{ {} }} from \"./bindings\";\n\n",
        used.into_iter().collect::<Vec<_>>().join(", ")
    ));
    out.push_str(&format!(
        "/** The event the app emits after data changed (payload: DataChanged). */\n\
         export const DATA_CHANGED = \"{}\";\n\n",
        crate::changes::DATA_CHANGED
    ));
    out.push_str(&format!(
        "/** The event the app emits when a file is dropped on the window (payload: ChosenFile). */\n\
         export const FILE_DROPPED = \"{}\";\n\n",
        crate::commands::files::FILE_DROPPED
    ));
    out.push_str("/** Every command of the app, typed. */\nexport const commands = {\n");
    for l in lines {
        out.push_str(&l);
    }
    out.push_str("};\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_and_plain_types_are_named_as_typescript_reads_them() {
        let cfg = crate::bindings::config();
        let table = table(&cfg);
        let preview = table.iter().find(|c| c.name == "import_preview");
        let ts: Vec<String> = preview
            .map(|c| c.args.iter().map(|a| a.ty.ts.clone()).collect())
            .unwrap_or_default();
        assert_eq!(ts, ["FileId", "ImportOptions", "Channel<Progress>"]);
        let returns = |name: &str| {
            table
                .iter()
                .find(|c| c.name == name)
                .map(|c| c.returns.ts.clone())
        };
        assert_eq!(returns("delete_users").as_deref(), Some("null"));
        assert_eq!(
            returns("choose_import_file").as_deref(),
            Some("ChosenFile | null")
        );
        assert_eq!(camel("on_progress"), "onProgress");
        assert_eq!(camel("app_state"), "appState");
    }
}
