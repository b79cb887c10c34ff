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

export type ErrorCode = "permission_denied" | "invalid_input" | "not_found" | "already_exists" | "no_seat_available" | "last_administrator" | "stale_version" | "not_initialized" | "cancelled" | "internal" | "unavailable" | "insufficient_storage" | "sign_in_required" | "unreachable";

export type DirectoryKind = "group" | "workspace" | "agent";

export type Reason = { "key": "role_is_user" } | { "key": "only_admin_creates_admin" } | { "key": "only_admin_edits_admin" } | { "key": "cannot_delete_self" } | { "key": "only_admin_deletes_admin" } | { "key": "only_admin_restores_admin" } | { "key": "cannot_change_own_role" } | { "key": "only_admin_grants_admin" } | { "key": "only_admin_changes_admin_role" } | { "key": "only_admin_manages_licenses" } | { "key": "only_admin_sets_seats" } | { "key": "only_admin_sets_budgets" } | { "key": "only_admin_imports_admins" } | { "key": "only_admin_imports_licenses" } | { "key": "only_admin_manages_provisioning" } | { "key": "not_registered" } | { "key": "last_administrator" } | { "key": "no_seats" } | { "key": "all_seats_assigned", purchased: number, count: number, } | { "key": "seats_negative" } | { "key": "seats_below_assigned", assigned: number, count: number, } | { "key": "stale_user", email: string, } | { "key": "no_user", id: number, } | { "key": "no_user_with_id", id: number, } | { "key": "no_deleted_user", id: number, } | { "key": "not_a_user", email: string, } | { "key": "restore_expired", email: string, days: number, } | { "key": "no_item", kind: DirectoryKind, id: number, } | { "key": "nothing_has_id", id: number, } | { "key": "no_item_named", kind: DirectoryKind, name: string, } | { "key": "not_initialized" } | { "key": "user_exists", email: string, } | { "key": "item_exists", kind: DirectoryKind, name: string, } | { "key": "restore_conflict", email: string, } | { "key": "org_exists" } | { "key": "email_empty" } | { "key": "email_too_long" } | { "key": "email_no_at" } | { "key": "email_nothing_before_at" } | { "key": "email_local_too_long" } | { "key": "email_bad_local_character", character: string, } | { "key": "email_misplaced_dot" } | { "key": "email_no_domain" } | { "key": "email_domain_no_dot", domain: string, } | { "key": "email_domain_empty_part", domain: string, } | { "key": "email_domain_part_too_long" } | { "key": "email_bad_domain_character", character: string, } | { "key": "email_domain_hyphen", domain: string, } | { "key": "email_bad_top_level_domain", domain: string, } | { "key": "phone_empty" } | { "key": "phone_bad_character", character: string, } | { "key": "phone_bad_country_code", text: string, } | { "key": "phone_unassigned_country_code", code: number, } | { "key": "phone_no_country_code" } | { "key": "phone_not_a_number", number: string, detail: string, } | { "key": "phone_country_code_differs", written: number, given: number, } | { "key": "phone_invalid_for_country", number: string, code: number, } | { "key": "phone_unformattable" } | { "key": "phone_not_e164", number: string, } | { "key": "bad_amount", text: string, } | { "key": "unknown_role", text: string, } | { "key": "org_name_missing" } | { "key": "item_name_missing", kind: DirectoryKind, } | { "key": "item_name_too_long", kind: DirectoryKind, } | { "key": "unknown_file", id: string, } | { "key": "unknown_preview", id: string, } | { "key": "unknown_export", id: string, } | { "key": "bad_location", detail: string, } | { "key": "cannot_read_file", path: string, detail: string, } | { "key": "cannot_open_file", path: string, detail: string, } | { "key": "cannot_create_file", path: string, detail: string, } | { "key": "cannot_write_file", path: string, detail: string, } | { "key": "import_cancelled" } | { "key": "server_address_invalid", address: string, } | { "key": "server_unreachable", address: string, detail: string, } | { "key": "server_certificate", address: string, detail: string, } | { "key": "not_an_omni_server", address: string, } | { "key": "server_unavailable", seconds: number, } | { "key": "sign_in_cancelled" } | { "key": "sign_in_timed_out", minutes: number, } | { "key": "sign_in_refused", detail: string, } | { "key": "sign_in_again" } | { "key": "signed_out" } | { "key": "needs_server" };

export type Error = { code: ErrorCode, message: string, 
/**
 * Why, as data (`message` is its English sentence). None for internal failures.
 */
reason?: Reason, 
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

export type DirectoryItem = { id: number, kind: DirectoryKind, name: string, version: number, };

export type LinkKind = "user_group" | "user_workspace" | "group_workspace" | "agent_workspace" | "agent_user" | "agent_group";

export type AuditEntry = { id: number, at: Timestamp, 
/**
 * The email of who acted (empty when their account is gone).
 */
actor: string, 
/**
 * What was done: `user.create`, `license.assign`, `group.rename`, ... (see [`ACTIONS`]).
 */
action: string, 
/**
 * What it was done to: an email, an item's name, `a → b` for a link.
 */
target: string, before: JsonValue | null, after: JsonValue | null, };

export type AuditQuery = { 
/**
 * Who acted: their email, exactly (any case).
 */
actor: string | null, 
/**
 * What was done: one action's code (`license.assign`).
 */
action: string | null, 
/**
 * What it was done to: an email (any case) or a name, exactly.
 */
target: string | null, 
/**
 * From this time on (inclusive).
 */
from: Timestamp | null, 
/**
 * Before this time (exclusive).
 */
until: Timestamp | null, 
/**
 * Older than this entry: the id of the last entry already shown.
 */
before: number | null, 
/**
 * At most this many entries (1 to [`AuditQuery::MAX_LIMIT`]; 0 reads as 100).
 */
limit: number, };

export type AuditPage = { entries: Array<AuditEntry>, 
/**
 * Whether older entries match too (ask again with `before` = the last entry's id).
 */
more: boolean, };

export type OrgShown = { id: number, name: string, };

export type CallerInfo = { id: number, 
/**
 * The person's name, as their identity provider gives it (connected mode only).
 */
name: string | null, email: Email, role: Role, };

export type PlaceKey = { "kind": "local" } | { "kind": "server", address: string, };

export type Account = { email: string, name: string | null, org_id: number, org_name: string, role: Role, 
/**
 * Their user in the organization (so the local copy can be read as them offline).
 */
user_id: number | null, };

export type ServerShown = { address: string, 
/**
 * Signed in now, in this run.
 */
signed_in: boolean, 
/**
 * Who signed in last (also when signed out since).
 */
account: Account | null, };

export type SyncState = "downloading" | "up_to_date" | "offline";

export type SyncShown = { state: SyncState, synced_at: Timestamp | null, 
/**
 * Edits made offline, waiting to be sent ("3 changes waiting").
 */
waiting: number, 
/**
 * Offline edits the server refused or found stale ("1 needs your attention").
 */
needs_attention: number, 
/**
 * While downloading: how far, once the snapshot's size is known ("Syncing 45 %").
 */
percent: number | null, };

export type AppInfo = { place: PlaceKey, 
/**
 * Signed in to the server in use in this run (always true for the local place).
 */
signed_in: boolean, 
/**
 * The organization in use (for a server signed out of: the one last signed in to).
 */
org: OrgShown | null, 
/**
 * Who acts (None when nobody is signed in).
 */
caller: CallerInfo | null, data_path: string, 
/**
 * The name of this computer's organization, if there is one.
 */
local_org: string | null, servers: Array<ServerShown>, 
/**
 * No OS keyring answers: a session lasts until the app closes.
 */
session_memory_only: boolean, 
/**
 * The local copy of the server in use (None for the local place, or signed out).
 */
sync: SyncShown | null, };

export type UserForm = { email: string, country_code: string, phone: string, role: Role, 
/**
 * USD per month; empty, "none" or zero means no limit.
 */
budget: string, 
/**
 * Create only: give the new user a license (Edit leaves the license as it is).
 */
licensed: boolean, 
/**
 * The version the dialog was opened with (Edit only).
 */
version: number | null, };

export type DeletedUser = { user: User, deleted_at: Timestamp, days_left: number, };

export type LinkedItem = { kind: LinkKind, item: DirectoryItem, };

export type FileId = string;

export type ChosenFile = { id: FileId, name: string, bytes: number, };

export type PreviewId = string;

export type ImportPreview = { id: PreviewId, report: ImportReport, };

export type ExportId = string;

export type ExportDone = { id: ExportId, file: string, rows: number, };

export type ChangeKind = "users" | "directory" | "org";

export type DataChanged = { kinds: Array<ChangeKind>, };

export type FieldValue = { "field": "licensed", "value": boolean } | { "field": "role", "value": Role } | { "field": "budget", "value": Usd | null } | { "field": "phone", "value": string | null } | { "field": "created", "value": string } | { "field": "linked", "value": boolean };

export type OutboxItem = { 
/**
 * The entry (for `apply_again` and `discard`).
 */
id: number, user: number, 
/**
 * The user's email in the copy (None when the user is no longer there).
 */
email: Email | null, 
/**
 * The value set ("You set").
 */
value: FieldValue | null, 
/**
 * The value it was based on ("It was").
 */
was: FieldValue | null, 
/**
 * A conflict: the server's value when it answered ("Now on the server"; None when the
 * user is gone there, or while the entry waits).
 */
server: FieldValue | null, 
/**
 * A link's item (group, workspace or agent), by name.
 */
item: string | null, 
/**
 * Waiting to be sent (false: refused or stale, it needs the person's attention).
 */
pending: boolean, 
/**
 * Why the server refused it.
 */
error: Error | null, };

export type DirectoryQuery = { kind: DirectoryKind, 
/**
 * Part of the name, in any case.
 */
search: string | null, offset: number, limit: number, };

export type DirectoryEntry = { item: DirectoryItem, 
/**
 * Users linked directly: a group's or workspace's members, the users an agent is shared
 * with. Deleted users do not count.
 */
users: number, 
/**
 * A workspace's groups; the groups an agent is shared with.
 */
groups: number, 
/**
 * The workspaces a group or agent is in.
 */
workspaces: number, 
/**
 * The agents shared with a group or in a workspace.
 */
agents: number, };

export type DirectoryPage = { entries: Array<DirectoryEntry>, 
/**
 * Items matching the query.
 */
total: number, };

export type ItemQuery = { kind: DirectoryKind, id: number, 
/**
 * The start of a member's email, as in the users table.
 */
search: string | null, offset: number, limit: number, };

export type ItemLink = { kind: LinkKind, item: DirectoryItem, };

export type Member = { id: number, email: string, role: Role, licensed: boolean, };

export type ItemPage = { item: DirectoryItem, 
/**
 * Every item linked to this one (either end), by name.
 */
links: Array<ItemLink>, 
/**
 * The link kind that makes a user a member of this item (`user_group`, `user_workspace`,
 * `agent_user`).
 */
member_link: LinkKind, 
/**
 * One page of the users linked directly, by email.
 */
members: Array<Member>, 
/**
 * Members matching the search.
 */
members_total: number, };

export type ScimToken = { id: number, name: string, created_at: Timestamp, last_used_at: Timestamp | null, revoked_at: Timestamp | null, };

export type ScimTokenCreated = { token: ScimToken, secret: string, };

export type ShownUser = { 
/**
 * `+55 11 98765-4321`: the international format of the number's country (always `+`, the
 * calling code and a space first, so Edit can show the two apart).
 */
phone_shown: string | null, id: number, email: Email, phone: Phone | null, role: Role, licensed: boolean, 
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

export type ShownPage = { users: Array<ShownUser>, 
/**
 * Users matching the query; at most the store's count cap when `total_capped`.
 */
total: number, total_capped: boolean, };

export type Created = { user: ShownUser, not_done: Error | null, };

/** One reason of each kind (from `Reason::samples()` in Rust). */
export const REASON_SAMPLES: Reason[] = [
  {"key":"role_is_user"},
  {"key":"only_admin_creates_admin"},
  {"key":"only_admin_edits_admin"},
  {"key":"cannot_delete_self"},
  {"key":"only_admin_deletes_admin"},
  {"key":"only_admin_restores_admin"},
  {"key":"cannot_change_own_role"},
  {"key":"only_admin_grants_admin"},
  {"key":"only_admin_changes_admin_role"},
  {"key":"only_admin_manages_licenses"},
  {"key":"only_admin_sets_seats"},
  {"key":"only_admin_sets_budgets"},
  {"key":"only_admin_imports_admins"},
  {"key":"only_admin_imports_licenses"},
  {"key":"only_admin_manages_provisioning"},
  {"key":"not_registered"},
  {"key":"last_administrator"},
  {"key":"no_seats"},
  {"key":"all_seats_assigned","purchased":10,"count":2},
  {"key":"seats_negative"},
  {"key":"seats_below_assigned","assigned":7,"count":2},
  {"key":"stale_user","email":"ana@acme.com"},
  {"key":"no_user","id":42},
  {"key":"no_user_with_id","id":42},
  {"key":"no_deleted_user","id":42},
  {"key":"not_a_user","email":"ana@acme.com"},
  {"key":"restore_expired","email":"ana@acme.com","days":30},
  {"key":"no_item","kind":"agent","id":7},
  {"key":"nothing_has_id","id":7},
  {"key":"no_item_named","kind":"group","name":"Sales"},
  {"key":"not_initialized"},
  {"key":"user_exists","email":"ana@acme.com"},
  {"key":"item_exists","kind":"workspace","name":"Finance"},
  {"key":"restore_conflict","email":"ana@acme.com"},
  {"key":"org_exists"},
  {"key":"email_empty"},
  {"key":"email_too_long"},
  {"key":"email_no_at"},
  {"key":"email_nothing_before_at"},
  {"key":"email_local_too_long"},
  {"key":"email_bad_local_character","character":" "},
  {"key":"email_misplaced_dot"},
  {"key":"email_no_domain"},
  {"key":"email_domain_no_dot","domain":"acme"},
  {"key":"email_domain_empty_part","domain":"acme..com"},
  {"key":"email_domain_part_too_long"},
  {"key":"email_bad_domain_character","character":"_"},
  {"key":"email_domain_hyphen","domain":"-acme.com"},
  {"key":"email_bad_top_level_domain","domain":"acme.c"},
  {"key":"phone_empty"},
  {"key":"phone_bad_character","character":"a"},
  {"key":"phone_bad_country_code","text":"5555"},
  {"key":"phone_unassigned_country_code","code":999},
  {"key":"phone_no_country_code"},
  {"key":"phone_not_a_number","number":"12","detail":"not a number"},
  {"key":"phone_country_code_differs","written":55,"given":1},
  {"key":"phone_invalid_for_country","number":"123","code":55},
  {"key":"phone_unformattable"},
  {"key":"phone_not_e164","number":"5511987654321"},
  {"key":"bad_amount","text":"12,40"},
  {"key":"unknown_role","text":"owner"},
  {"key":"org_name_missing"},
  {"key":"item_name_missing","kind":"group"},
  {"key":"item_name_too_long","kind":"agent"},
  {"key":"unknown_file","id":"f9"},
  {"key":"unknown_preview","id":"p9"},
  {"key":"unknown_export","id":"e9"},
  {"key":"bad_location","detail":"not a local path"},
  {"key":"cannot_read_file","path":"/home/ana/users.csv","detail":"No such file or directory (os error 2)"},
  {"key":"cannot_open_file","path":"/home/ana/users.csv","detail":"No such file or directory (os error 2)"},
  {"key":"cannot_create_file","path":"/home/ana/users.csv","detail":"No such file or directory (os error 2)"},
  {"key":"cannot_write_file","path":"/home/ana/users.csv","detail":"No such file or directory (os error 2)"},
  {"key":"import_cancelled"},
  {"key":"server_address_invalid","address":"omni acme"},
  {"key":"server_unreachable","address":"https://omni.acme.com","detail":"connection refused"},
  {"key":"server_certificate","address":"https://omni.acme.com","detail":"the certificate is self-signed"},
  {"key":"not_an_omni_server","address":"https://acme.com"},
  {"key":"server_unavailable","seconds":5},
  {"key":"sign_in_cancelled"},
  {"key":"sign_in_timed_out","minutes":5},
  {"key":"sign_in_refused","detail":"access_denied"},
  {"key":"sign_in_again"},
  {"key":"signed_out"},
  {"key":"needs_server"},
];
