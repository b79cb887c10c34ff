//! Generates the app's command permissions: only the commands listed here exist for the web
//! view, and capabilities/main.json grants each one by name.

const COMMANDS: &[&str] = &[
    "app_state",
    "create_org",
    "summary",
    "list_users",
    "create_user",
    "edit_user",
    "set_role",
    "set_licensed",
    "delete_users",
    "deleted_users",
    "restore_user",
    "set_seats",
    "items",
    "create_item",
    "rename_item",
    "delete_item",
    "link",
    "unlink",
    "user_links",
    "item_links",
    "access",
    "agent_reach",
    "directory_page",
    "item_page",
    "user",
    "choose_import_file",
    "import_preview",
    "import_commit",
    "cancel_import",
    "save_rejected",
    "export_users",
    "export_audit",
    "reveal_export",
    "audit",
    "scim_tokens",
    "create_scim_token",
    "revoke_scim_token",
    "connect_server",
    "sign_in",
    "cancel_sign_in",
    "sign_out",
    "use_place",
    "outbox",
    "pending_users",
    "apply_again",
    "discard",
    "save_example_csv",
];

fn main() {
    let attrs = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attrs) {
        panic!("tauri-build failed: {e:#}");
    }
}
