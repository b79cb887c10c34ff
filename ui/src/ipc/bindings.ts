// Generated from the Rust types by src-tauri/src/bindings.rs (ts-rs). Do not edit:
// run `UPDATE_BINDINGS=1 cargo test -p omni-admin` after changing a payload type.

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]: JsonValue } | null;

export type Email = string;

export type Phone = string;

export type Usd = number;

export type Timestamp = number;

export type Role = "user" | "collaborator" | "administrator";

export type User = { id: number, email: Email, phone: Phone | null, role: Role, licensed: boolean, 
/**
 * Monthly budget; `None` means no limit.
 */
budget: Usd | null, 
/**
 * Spend in the current calendar month.
 */
usage: Usd, created_at: Timestamp, updated_at: Timestamp, 
/**
 * Bumped on every change; writers must present the version they read.
 */
version: number, };

export type BudgetState = "no_limit" | "within" | "near" | "over";

export type Seats = { purchased: number, assigned: number, available: number, };

export type Summary = { total_users: number, licensed: number, unlicensed: number, administrators: number, seats: Seats, };

export type ErrorCode = "permission_denied" | "invalid_input" | "not_found" | "already_exists" | "no_seat_available" | "last_administrator" | "stale_version" | "not_initialized" | "cancelled" | "internal" | "unavailable" | "insufficient_storage";

export type Error = { code: ErrorCode, message: string, 
/**
 * The input field at fault, when there is one (forms show the message beside it).
 */
field?: string, };

export type Named = { id: number, name: string, };

export type AccessPath = { "via": "role", role: Role, } | { "via": "direct" } | { "via": "group", group: Named, } | { "via": "workspace", workspace: Named, } | { "via": "group_workspace", group: Named, workspace: Named, };

export type AgentAccess = { agent: Named, paths: Array<AccessPath>, };

export type UserReach = { user: Named, paths: Array<AccessPath>, };

export type LineIssue = { 
/**
 * Physical line number (1-based, blank lines counted), as a text editor shows it.
 */
line: number, 
/**
 * The line's content as the user would recognise it: its fields re-joined with the file's
 * delimiter, cut to about 200 characters.
 */
value: string, 
/**
 * One sentence saying what is wrong and, where possible, how to fix it.
 */
reason: string, };

export type SortField = "email" | "phone" | "role" | "license" | "budget" | "usage" | "created" | "updated";

export type UserQuery = { 
/**
 * Start of the email, or `@` and the start of the domain.
 */
search: string | null, role: Role | null, licensed: boolean | null, 
/**
 * Only users at or above 80 % of a budget.
 */
near_or_over_budget: boolean, sort: SortField, descending: boolean, offset: number, limit: number, };

export type UserPage = { users: Array<User>, 
/**
 * Users matching the query; at most [`COUNT_CAP`] when `total_capped`.
 */
total: number, total_capped: boolean, };

export type ImportOptions = { role: Role, 
/**
 * Give each new user a license (Administrators only; needs enough free seats).
 */
licensed: boolean, };

export type PhoneChange = { line: number, email: string, before: string | null, after: string, };

export type ImportReport = { created: number, updated: number, unchanged: number, invalid: number, duplicates_in_file: number, 
/**
 * e.g. the header row that was skipped.
 */
warnings: Array<LineIssue>, 
/**
 * Invalid lines and duplicates, in file order; what "Save rejected lines" writes.
 */
errors: Array<LineIssue>, 
/**
 * What the import changes for users who exist already.
 */
updates: Array<PhoneChange>, 
/**
 * Seats the new users need when licensed, and seats free now.
 */
seats_needed: number, seats_available: number, 
/**
 * The file's encoding and separator as detected.
 */
encoding: string, delimiter: string, 
/**
 * True when the import was written.
 */
committed: boolean, };

export type Progress = { done: number, total: number, };

export type ExportScope = { "scope": "all" } | { "scope": "view", query: UserQuery, };

export type DirectoryKind = "group" | "workspace" | "agent";

export type DirectoryItem = { id: number, kind: DirectoryKind, name: string, version: number, };

export type LinkKind = "user_group" | "user_workspace" | "group_workspace" | "agent_workspace" | "agent_user" | "agent_group";

export type AuditEntry = { id: number, at: Timestamp, actor: string, action: string, target: string, before: JsonValue | null, after: JsonValue | null, };

export type Org = { id: number, name: string, owner_email: string, entra_tenant: string | null, created_at: Timestamp, };

export type AppInfo = { org: Org | null, data_path: string, };

export type UserForm = { email: string, country_code: string, phone: string, role: Role, 
/**
 * USD per month; empty or zero means no limit.
 */
budget: string, 
/**
 * The version the dialog was opened with (Edit only).
 */
version: number | null, };

export type DeletedUser = { user: User, deleted_at: Timestamp, };

export type LinkedItem = { kind: LinkKind, item: DirectoryItem, };

export type ChosenFile = { name: string, bytes: number, };

export type ExportDone = { file: string, rows: number, };
