// The UI's one door to its data. Screens call a `Backend`, never `invoke`, and the Backend keeps
// no state of its own between calls: a long operation is a handle the UI passes back (a chosen
// file is a `FileId`, a preview a `PreviewId` the commit names, an export an `ExportId`), so the
// same interface can be served by omni-server later, which already works by upload id.
import { Channel } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { commands, DATA_CHANGED, FILE_DROPPED } from "./commands";
import type {
  AgentAccess,
  AppInfo,
  AuditPage,
  AuditQuery,
  ChangeKind,
  ChosenFile,
  Created,
  DataChanged,
  DeletedUser,
  DirectoryItem,
  DirectoryKind,
  DirectoryPage,
  DirectoryQuery,
  Error as IpcError,
  ExportDone,
  ExportId,
  ExportScope,
  FileId,
  ImportOptions,
  ImportPreview,
  ImportReport,
  ItemPage,
  ItemQuery,
  LineIssue,
  LinkedItem,
  LinkKind,
  OutboxItem,
  PlaceKey,
  PreviewId,
  Progress,
  Reason,
  Role,
  ScimToken,
  ScimTokenCreated,
  ServerShown,
  ShownPage,
  Summary,
  User,
  UserForm,
  UserQuery,
  UserReach,
} from "./bindings";

export interface Backend {
  appState(): Promise<AppInfo>;
  createOrg(name: string, owner: string, seats: number): Promise<Summary>;
  summary(): Promise<Summary>;
  setSeats(seats: number): Promise<Summary>;
  listUsers(query: UserQuery): Promise<ShownPage>;
  /** Creates the user, then sets the budget and the license the form asks for. */
  createUser(form: UserForm): Promise<Created>;
  editUser(id: number, form: UserForm): Promise<User>;
  setRole(ids: number[], role: Role): Promise<User[]>;
  setLicensed(ids: number[], licensed: boolean): Promise<User[]>;
  deleteUsers(ids: number[]): Promise<void>;
  deletedUsers(): Promise<DeletedUser[]>;
  restoreUser(id: number): Promise<User>;
  items(kind: DirectoryKind): Promise<DirectoryItem[]>;
  createItem(kind: DirectoryKind, name: string): Promise<DirectoryItem>;
  renameItem(kind: DirectoryKind, id: number, name: string): Promise<DirectoryItem>;
  deleteItem(kind: DirectoryKind, id: number): Promise<void>;
  link(kind: LinkKind, a: number, b: number): Promise<boolean>;
  unlink(kind: LinkKind, a: number, b: number): Promise<boolean>;
  userLinks(user: number): Promise<LinkedItem[]>;
  itemLinks(item: number): Promise<LinkedItem[]>;
  access(user: number): Promise<AgentAccess[]>;
  agentReach(agent: number): Promise<UserReach[]>;
  /** One page of the groups, workspaces or agents, with their counts. */
  directoryPage(query: DirectoryQuery): Promise<DirectoryPage>;
  /** An item's page: its links and a page of its members. */
  itemPage(query: ItemQuery): Promise<ItemPage>;
  /** One user, for their page. */
  user(id: number): Promise<User>;
  /** Asks the person for a file to import; `null` when they cancel. */
  chooseImportFile(): Promise<ChosenFile | null>;
  importPreview(file: FileId, options: ImportOptions, progress: (p: Progress) => void): Promise<ImportPreview>;
  importCommit(preview: PreviewId, options: ImportOptions, progress: (p: Progress) => void): Promise<ImportReport>;
  cancelImport(preview: PreviewId): Promise<void>;
  saveRejected(issues: LineIssue[]): Promise<string | null>;
  /** Saves the example import file where the person chooses; `null` when they cancel. */
  saveExampleCsv(): Promise<string | null>;
  /** Calls `handler` with each file dropped on the window; returns the unsubscribe. */
  onFileDropped(handler: (file: ChosenFile) => void): Promise<() => void>;
  exportUsers(scope: ExportScope, progress: (p: Progress) => void): Promise<ExportDone | null>;
  revealExport(id: ExportId): Promise<void>;
  /** A page of the audit log, newest first, as `query` filters it (after `query.before`). */
  audit(query: AuditQuery): Promise<AuditPage>;
  /** Every entry `query` filters, as CSV, to a file chosen in the native save dialog. */
  exportAudit(query: AuditQuery, progress: (p: Progress) => void): Promise<ExportDone | null>;
  /** SCIM provisioning tokens of the organization on the server in use (Administrators). */
  scimTokens(): Promise<ScimToken[]>;
  /** Creates a provisioning token; its secret is in the answer only. */
  createScimToken(name: string): Promise<ScimTokenCreated>;
  revokeScimToken(id: number): Promise<ScimToken>;
  /** Calls `handler` whenever the data changes, whoever changed it; returns the unsubscribe. */
  onDataChanged(handler: (kinds: ChangeKind[]) => void): Promise<() => void>;
  /** Reads what the omni-server at `address` says about signing in, and remembers it. */
  connectServer(address: string): Promise<ServerShown>;
  /** Signs in to a known server in the system browser; it becomes the place in use. */
  signIn(address: string): Promise<AppInfo>;
  /** Stops a sign-in waiting for the browser. */
  cancelSignIn(): Promise<void>;
  /** Signs out of the server in use. */
  signOut(): Promise<AppInfo>;
  /** Works on another place (this computer's organization, or a known server). */
  usePlace(place: PlaceKey): Promise<AppInfo>;
  /** Calls `handler` whenever a command is refused because the session has ended. */
  onSignInRequired(handler: () => void): void;
  /** Connected: the edits made offline, waiting or needing attention (empty elsewhere). */
  outbox(): Promise<OutboxItem[]>;
  /** Connected: the users with an edit waiting to be sent. */
  pendingUsers(): Promise<number[]>;
  /** Makes a conflicting offline edit again, on the user as the server has them now. */
  applyAgain(entry: number): Promise<void>;
  /** Drops an offline edit (a conflict given up, or a waiting edit taken back). */
  discard(entry: number): Promise<void>;
}

/** A refusal or failure as the backend reports it: `{code, message, field?, reason?}`. */
export class BackendError extends Error {
  constructor(
    readonly code: IpcError["code"],
    message: string,
    readonly field: string | undefined,
    readonly reason: Reason | undefined,
  ) {
    super(message);
  }
}

/** Turns whatever a command threw into a `BackendError`. */
export function asBackendError(e: unknown): BackendError {
  if (e instanceof BackendError) return e;
  if (typeof e === "object" && e !== null && "code" in e && "message" in e) {
    const err = e as IpcError;
    return new BackendError(err.code, err.message, err.field, err.reason);
  }
  return new BackendError("internal", e instanceof Error ? e.message : String(e), undefined, undefined);
}

let sessionEnded: (() => void) | null = null;

/**
 * Every answer and refusal that crosses IPC, when an end-to-end test asks for them by setting
 * `window.__omniIpcLog` to an array (the test that searches them for tokens). Tauri's own IPC
 * functions cannot be wrapped from outside (they are read-only), and every command goes through
 * `call`, so this is where the whole traffic is seen. Nothing is recorded otherwise.
 */
function recorded(answer: unknown): void {
  const log = (globalThis as { __omniIpcLog?: unknown }).__omniIpcLog;
  if (Array.isArray(log)) log.push(JSON.stringify(answer ?? null));
}

async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    const answer = await run();
    recorded(answer);
    return answer;
  } catch (e) {
    recorded(e);
    const err = asBackendError(e);
    if (err.code === "sign_in_required") sessionEnded?.();
    throw err;
  }
}

function channel(progress: (p: Progress) => void): Channel<Progress> {
  const ch = new Channel<Progress>();
  ch.onmessage = progress;
  return ch;
}

/** The Tauri shell, through its generated command wrappers (it works on a local or a server organization). */
export const tauriBackend: Backend = {
  appState: () => call(() => commands.appState()),
  createOrg: (name, owner, seats) => call(() => commands.createOrg(name, owner, seats)),
  summary: () => call(() => commands.summary()),
  setSeats: (seats) => call(() => commands.setSeats(seats)),
  listUsers: (query) => call(() => commands.listUsers(query)),
  createUser: (form) => call(() => commands.createUser(form)),
  editUser: (id, form) => call(() => commands.editUser(id, form)),
  setRole: (ids, role) => call(() => commands.setRole(ids, role)),
  setLicensed: (ids, licensed) => call(() => commands.setLicensed(ids, licensed)),
  deleteUsers: (ids) => call(async () => void (await commands.deleteUsers(ids))),
  deletedUsers: () => call(() => commands.deletedUsers()),
  restoreUser: (id) => call(() => commands.restoreUser(id)),
  items: (kind) => call(() => commands.items(kind)),
  createItem: (kind, name) => call(() => commands.createItem(kind, name)),
  renameItem: (kind, id, name) => call(() => commands.renameItem(kind, id, name)),
  deleteItem: (kind, id) => call(async () => void (await commands.deleteItem(kind, id))),
  link: (kind, a, b) => call(() => commands.link(kind, a, b)),
  unlink: (kind, a, b) => call(() => commands.unlink(kind, a, b)),
  userLinks: (user) => call(() => commands.userLinks(user)),
  itemLinks: (item) => call(() => commands.itemLinks(item)),
  access: (user) => call(() => commands.access(user)),
  agentReach: (agent) => call(() => commands.agentReach(agent)),
  directoryPage: (query) => call(() => commands.directoryPage(query)),
  itemPage: (query) => call(() => commands.itemPage(query)),
  user: (id) => call(() => commands.user(id)),
  chooseImportFile: () => call(() => commands.chooseImportFile()),
  importPreview: (file, options, progress) => call(() => commands.importPreview(file, options, channel(progress))),
  importCommit: (preview, options, progress) => call(() => commands.importCommit(preview, options, channel(progress))),
  cancelImport: (preview) => call(async () => void (await commands.cancelImport(preview))),
  saveRejected: (issues) => call(() => commands.saveRejected(issues)),
  saveExampleCsv: () => call(() => commands.saveExampleCsv()),
  onFileDropped: (handler) => listen<ChosenFile>(FILE_DROPPED, (event) => handler(event.payload)),
  exportUsers: (scope, progress) => call(() => commands.exportUsers(scope, channel(progress))),
  revealExport: (id) => call(async () => void (await commands.revealExport(id))),
  audit: (query) => call(() => commands.audit(query)),
  exportAudit: (query, progress) => call(() => commands.exportAudit(query, channel(progress))),
  scimTokens: () => call(() => commands.scimTokens()),
  createScimToken: (name) => call(() => commands.createScimToken(name)),
  revokeScimToken: (id) => call(() => commands.revokeScimToken(id)),
  onDataChanged: (handler) =>
    listen<DataChanged>(DATA_CHANGED, (event) => {
      recorded(event.payload);
      handler(event.payload.kinds);
    }),
  connectServer: (address) => call(() => commands.connectServer(address)),
  signIn: (address) => call(() => commands.signIn(address)),
  cancelSignIn: () => call(async () => void (await commands.cancelSignIn())),
  signOut: () => call(() => commands.signOut()),
  usePlace: (place) => call(() => commands.usePlace(place)),
  onSignInRequired: (handler) => {
    sessionEnded = handler;
  },
  outbox: () => call(() => commands.outbox()),
  pendingUsers: () => call(() => commands.pendingUsers()),
  applyAgain: (entry) => call(async () => void (await commands.applyAgain(entry))),
  discard: (entry) => call(async () => void (await commands.discard(entry))),
};
