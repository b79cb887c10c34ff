// Generated from the command table in src-tauri/src/ipc.rs. Do not edit:
// run `UPDATE_BINDINGS=1 cargo test -p omni-admin` after changing a command.

import { Channel, invoke } from "@tauri-apps/api/core";
import type { AgentAccess, AppInfo, AuditPage, AuditQuery, ChosenFile, Created, DeletedUser, DirectoryItem, DirectoryKind, DirectoryPage, DirectoryQuery, ExportDone, ExportId, ExportScope, FileId, ImportOptions, ImportPreview, ImportReport, ItemPage, ItemQuery, LineIssue, LinkKind, LinkedItem, OutboxItem, PlaceKey, PreviewId, Progress, Role, ScimToken, ScimTokenCreated, ServerShown, ShownPage, Summary, User, UserForm, UserQuery, UserReach } from "./bindings";

/** The event the app emits after data changed (payload: DataChanged). */
export const DATA_CHANGED = "data-changed";

/** The event the app emits when a file is dropped on the window (payload: ChosenFile). */
export const FILE_DROPPED = "file-dropped";

/** Every command of the app, typed. */
export const commands = {
  appState: () => invoke<AppInfo>("app_state"),
  createOrg: (name: string, owner: string, seats: number) => invoke<Summary>("create_org", { name, owner, seats }),
  summary: () => invoke<Summary>("summary"),
  setSeats: (seats: number) => invoke<Summary>("set_seats", { seats }),
  audit: (query: AuditQuery) => invoke<AuditPage>("audit", { query }),
  listUsers: (query: UserQuery) => invoke<ShownPage>("list_users", { query }),
  createUser: (form: UserForm) => invoke<Created>("create_user", { form }),
  scimTokens: () => invoke<Array<ScimToken>>("scim_tokens"),
  createScimToken: (name: string) => invoke<ScimTokenCreated>("create_scim_token", { name }),
  revokeScimToken: (id: number) => invoke<ScimToken>("revoke_scim_token", { id }),
  editUser: (id: number, form: UserForm) => invoke<User>("edit_user", { id, form }),
  setRole: (ids: Array<number>, role: Role) => invoke<Array<User>>("set_role", { ids, role }),
  setLicensed: (ids: Array<number>, licensed: boolean) => invoke<Array<User>>("set_licensed", { ids, licensed }),
  deleteUsers: (ids: Array<number>) => invoke<null>("delete_users", { ids }),
  deletedUsers: () => invoke<Array<DeletedUser>>("deleted_users"),
  restoreUser: (id: number) => invoke<User>("restore_user", { id }),
  items: (kind: DirectoryKind) => invoke<Array<DirectoryItem>>("items", { kind }),
  createItem: (kind: DirectoryKind, name: string) => invoke<DirectoryItem>("create_item", { kind, name }),
  renameItem: (kind: DirectoryKind, id: number, name: string) => invoke<DirectoryItem>("rename_item", { kind, id, name }),
  deleteItem: (kind: DirectoryKind, id: number) => invoke<null>("delete_item", { kind, id }),
  link: (kind: LinkKind, a: number, b: number) => invoke<boolean>("link", { kind, a, b }),
  unlink: (kind: LinkKind, a: number, b: number) => invoke<boolean>("unlink", { kind, a, b }),
  userLinks: (user: number) => invoke<Array<LinkedItem>>("user_links", { user }),
  itemLinks: (item: number) => invoke<Array<LinkedItem>>("item_links", { item }),
  access: (user: number) => invoke<Array<AgentAccess>>("access", { user }),
  agentReach: (agent: number) => invoke<Array<UserReach>>("agent_reach", { agent }),
  directoryPage: (query: DirectoryQuery) => invoke<DirectoryPage>("directory_page", { query }),
  itemPage: (query: ItemQuery) => invoke<ItemPage>("item_page", { query }),
  user: (id: number) => invoke<User>("user", { id }),
  chooseImportFile: () => invoke<ChosenFile | null>("choose_import_file"),
  importPreview: (file: FileId, options: ImportOptions, onProgress: Channel<Progress>) => invoke<ImportPreview>("import_preview", { file, options, onProgress }),
  importCommit: (preview: PreviewId, options: ImportOptions, onProgress: Channel<Progress>) => invoke<ImportReport>("import_commit", { preview, options, onProgress }),
  cancelImport: (preview: PreviewId) => invoke<null>("cancel_import", { preview }),
  saveRejected: (issues: Array<LineIssue>) => invoke<string | null>("save_rejected", { issues }),
  exportUsers: (scope: ExportScope, onProgress: Channel<Progress>) => invoke<ExportDone | null>("export_users", { scope, onProgress }),
  exportAudit: (query: AuditQuery, onProgress: Channel<Progress>) => invoke<ExportDone | null>("export_audit", { query, onProgress }),
  revealExport: (id: ExportId) => invoke<null>("reveal_export", { id }),
  connectServer: (address: string) => invoke<ServerShown>("connect_server", { address }),
  signIn: (address: string) => invoke<AppInfo>("sign_in", { address }),
  cancelSignIn: () => invoke<null>("cancel_sign_in"),
  signOut: () => invoke<AppInfo>("sign_out"),
  usePlace: (place: PlaceKey) => invoke<AppInfo>("use_place", { place }),
  outbox: () => invoke<Array<OutboxItem>>("outbox"),
  pendingUsers: () => invoke<Array<number>>("pending_users"),
  applyAgain: (entry: number) => invoke<null>("apply_again", { entry }),
  discard: (entry: number) => invoke<null>("discard", { entry }),
  saveExampleCsv: () => invoke<string | null>("save_example_csv"),
};
