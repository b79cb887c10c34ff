// A Backend over an in-memory organization, for component tests only (the real app is tested on
// the real store end to end). `emit` plays the Rust side's `data-changed` event.
import type { Backend } from "../src/ipc/api";
import type { ChangeKind, Summary, User, UserQuery } from "../src/ipc/bindings";

export interface FakeBackend extends Backend {
  users: User[];
  emit(kinds: ChangeKind[]): void;
  calls: string[];
}

export function user(id: number, email: string, extra: Partial<User> = {}): User {
  return { id, email, phone: null, role: "user", licensed: false, budget: null, usage: 0, created_at: 0, updated_at: 0, version: 1, ...extra };
}

export function fakeBackend(users: User[] = []): FakeBackend {
  const handlers: ((kinds: ChangeKind[]) => void)[] = [];
  const summary = (): Summary => {
    const licensed = fake.users.filter((u) => u.licensed).length;
    return {
      total_users: fake.users.length,
      licensed,
      unlicensed: fake.users.length - licensed,
      administrators: fake.users.filter((u) => u.role === "administrator").length,
      seats: { purchased: 10, assigned: licensed, available: 10 - licensed },
    };
  };
  const unused = (): never => {
    throw new Error("not used by this test");
  };
  const fake: FakeBackend = {
    users,
    calls: [],
    emit: (kinds) => handlers.forEach((h) => h(kinds)),
    onDataChanged: async (h) => {
      handlers.push(h);
      return () => handlers.splice(handlers.indexOf(h), 1);
    },
    appState: async () => ({
      place: { kind: "local" },
      signed_in: true,
      org: { id: 1, name: "Acme" },
      caller: null,
      data_path: "/tmp/omni.db",
      local_org: "Acme",
      servers: [],
      session_memory_only: false,
      sync: null,
    }),
    summary: async () => {
      fake.calls.push("summary");
      return summary();
    },
    listUsers: async (q: UserQuery) => {
      fake.calls.push(`list ${q.offset}`);
      const rows = [...fake.users].sort((a, b) => a.email.localeCompare(b.email));
      return { users: rows.slice(q.offset, q.offset + q.limit).map((u) => ({ ...u, phone_shown: u.phone })), total: rows.length, total_capped: false };
    },
    setLicensed: async (ids, licensed) => {
      fake.users = fake.users.map((u) => (ids.includes(u.id) ? { ...u, licensed, version: u.version + 1 } : u));
      fake.emit(["users"]);
      return fake.users.filter((u) => ids.includes(u.id));
    },
    createOrg: unused,
    setSeats: unused,
    createUser: unused,
    editUser: unused,
    setRole: unused,
    deleteUsers: unused,
    deletedUsers: unused,
    restoreUser: unused,
    items: unused,
    createItem: unused,
    renameItem: unused,
    deleteItem: unused,
    link: unused,
    unlink: unused,
    userLinks: unused,
    itemLinks: unused,
    access: unused,
    agentReach: unused,
    directoryPage: unused,
    itemPage: unused,
    user: unused,
    chooseImportFile: unused,
    importPreview: unused,
    importCommit: unused,
    cancelImport: unused,
    saveRejected: unused,
    saveExampleCsv: unused,
    onFileDropped: async () => () => undefined,
    exportUsers: unused,
    revealExport: unused,
    audit: unused,
    exportAudit: unused,
    scimTokens: unused,
    createScimToken: unused,
    revokeScimToken: unused,
    connectServer: unused,
    signIn: unused,
    cancelSignIn: unused,
    signOut: unused,
    usePlace: unused,
    onSignInRequired: () => undefined,
    outbox: async () => [],
    pendingUsers: async () => [],
    applyAgain: unused,
    discard: unused,
  };
  return fake;
}
