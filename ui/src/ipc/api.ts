// The UI's one door to its data. Screens call `backend`, never `invoke` directly, so a second,
// remote backend (omni-server, in connected mode) can slot in behind the same interface.
import { Channel, invoke } from "@tauri-apps/api/core";
import type {
  AgentAccess,
  AppInfo,
  AuditEntry,
  ChosenFile,
  DeletedUser,
  DirectoryItem,
  DirectoryKind,
  Error as IpcError,
  ExportDone,
  ExportScope,
  ImportOptions,
  ImportReport,
  LineIssue,
  LinkKind,
  Progress,
  Role,
  Summary,
  User,
  UserForm,
  LinkedItem,
  UserPage,
  UserQuery,
  UserReach,
} from "./bindings";

export interface Backend {
  appState(): Promise<AppInfo>;
  createOrg(name: string, owner: string, seats: number): Promise<Summary>;
  summary(): Promise<Summary>;
  setSeats(seats: number): Promise<Summary>;
  listUsers(query: UserQuery): Promise<UserPage>;
  createUser(form: UserForm): Promise<User>;
  editUser(id: number, form: UserForm, withBudget: boolean): Promise<User>;
  setRole(ids: number[], role: Role): Promise<User[]>;
  setLicensed(ids: number[], licensed: boolean): Promise<User[]>;
  deleteUsers(ids: number[]): Promise<void>;
  deletedUsers(): Promise<DeletedUser[]>;
  restoreUser(id: number): Promise<User>;
  items(kind: DirectoryKind): Promise<DirectoryItem[]>;
  createItem(kind: DirectoryKind, name: string): Promise<DirectoryItem>;
  renameItem(id: number, name: string): Promise<DirectoryItem>;
  deleteItem(id: number): Promise<void>;
  link(kind: LinkKind, a: number, b: number): Promise<boolean>;
  unlink(kind: LinkKind, a: number, b: number): Promise<boolean>;
  userLinks(user: number): Promise<LinkedItem[]>;
  itemLinks(item: number): Promise<LinkedItem[]>;
  access(user: number): Promise<AgentAccess[]>;
  agentReach(agent: number): Promise<UserReach[]>;
  chooseImportFile(): Promise<ChosenFile | null>;
  importPreview(options: ImportOptions, progress: (p: Progress) => void): Promise<ImportReport>;
  importCommit(options: ImportOptions, progress: (p: Progress) => void): Promise<ImportReport>;
  cancelImport(): Promise<void>;
  saveRejected(issues: LineIssue[]): Promise<string | null>;
  exportUsers(scope: ExportScope, progress: (p: Progress) => void): Promise<ExportDone | null>;
  revealExport(): Promise<void>;
  audit(limit: number, before: number | null): Promise<AuditEntry[]>;
}

/** A refusal or failure as the backend reports it: `{code, message, field?}`. */
export class BackendError extends Error {
  constructor(
    readonly code: IpcError["code"],
    message: string,
    readonly field: string | undefined,
  ) {
    super(message);
  }
}

function asBackendError(e: unknown): BackendError {
  if (typeof e === "object" && e !== null && "code" in e && "message" in e) {
    const err = e as IpcError;
    return new BackendError(err.code, err.message, err.field);
  }
  return new BackendError("internal", String(e), undefined);
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asBackendError(e);
  }
}

function channel(progress: (p: Progress) => void): Channel<Progress> {
  const ch = new Channel<Progress>();
  ch.onmessage = progress;
  return ch;
}

/** The embedded local store, through the Tauri shell's commands. */
export const localBackend: Backend = {
  appState: () => call("app_state"),
  createOrg: (name, owner, seats) => call("create_org", { name, owner, seats }),
  summary: () => call("summary"),
  setSeats: (seats) => call("set_seats", { seats }),
  listUsers: (query) => call("list_users", { query }),
  createUser: (form) => call("create_user", { form }),
  editUser: (id, form, withBudget) => call("edit_user", { id, form, withBudget }),
  setRole: (ids, role) => call("set_role", { ids, role }),
  setLicensed: (ids, licensed) => call("set_licensed", { ids, licensed }),
  deleteUsers: (ids) => call("delete_users", { ids }),
  deletedUsers: () => call("deleted_users"),
  restoreUser: (id) => call("restore_user", { id }),
  items: (kind) => call("items", { kind }),
  createItem: (kind, name) => call("create_item", { kind, name }),
  renameItem: (id, name) => call("rename_item", { id, name }),
  deleteItem: (id) => call("delete_item", { id }),
  link: (kind, a, b) => call("link", { kind, a, b }),
  unlink: (kind, a, b) => call("unlink", { kind, a, b }),
  userLinks: (user) => call("user_links", { user }),
  itemLinks: (item) => call("item_links", { item }),
  access: (user) => call("access", { user }),
  agentReach: (agent) => call("agent_reach", { agent }),
  chooseImportFile: () => call("choose_import_file"),
  importPreview: (options, progress) => call("import_preview", { options, onProgress: channel(progress) }),
  importCommit: (options, progress) => call("import_commit", { options, onProgress: channel(progress) }),
  cancelImport: () => call("cancel_import"),
  saveRejected: (issues) => call("save_rejected", { issues }),
  exportUsers: (scope, progress) => call("export_users", { scope, onProgress: channel(progress) }),
  revealExport: () => call("reveal_export"),
  audit: (limit, before) => call("audit", { limit, before }),
};
