// An audit entry said as a sentence in the UI's language ("owner@acme.com assigned a license to
// ana@acme.com"). The Rust side keeps the entry structured (action code, actor, target, the state
// before and after as JSON); the words are chosen here, from the catalogue, so the log reads in
// the person's language. An action this UI does not know yet still reads as who, what and target.
import type { AuditEntry, JsonValue } from "../ipc/bindings";
import { t, type Key } from "../i18n";
import { count, usd } from "../format";

/** Every action the store writes, in the order the "What" filter lists them. */
export const AUDIT_ACTIONS = [
  "license.assign",
  "license.unassign",
  "user.create",
  "user.edit",
  "user.role",
  "user.delete",
  "user.restore",
  "users.import",
  "seats.set",
  "group.create",
  "group.rename",
  "group.delete",
  "workspace.create",
  "workspace.rename",
  "workspace.delete",
  "agent.create",
  "agent.rename",
  "agent.delete",
  "link.add",
  "link.remove",
  "identity.link",
  "org.create",
  "demo.generate",
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** The "What" filter's name of an action ("License assigned"). */
export function actionLabel(action: AuditAction): string {
  return t(`act_${action.replace(".", "_")}` as Key);
}

type Obj = Record<string, JsonValue | undefined>;

function obj(v: JsonValue | null): Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {};
}

function str(v: JsonValue | undefined): string | null {
  return typeof v === "string" ? v : null;
}

function num(v: JsonValue | undefined): number | null {
  return typeof v === "number" ? v : null;
}

const ROLES = ["administrator", "collaborator", "user"] as const;

function role(v: JsonValue | undefined): string {
  const r = str(v);
  return r !== null && (ROLES as readonly string[]).includes(r) ? t(`role_${r as (typeof ROLES)[number]}`) : (r ?? "");
}

/** A budget as the store records it (a decimal of US dollars, or null for no limit). */
function budget(v: JsonValue | undefined): string {
  const b = str(v);
  if (b === null || Number(b) <= 0) return t("noLimit");
  return usd(Math.round(Number(b) * 1_000_000));
}

function phone(v: JsonValue | undefined): string {
  return str(v) ?? t("say_no_phone");
}

function licensed(v: JsonValue | undefined): string {
  return v === true ? t("say_licensed") : t("say_unlicensed");
}

/** The sentences of a user's edit: one per field that changed (role, phone, budget, license). */
function userChanges(actor: string, target: string, before: Obj, after: Obj): string[] {
  const said: string[] = [];
  const changed = (k: string): boolean => k in after && JSON.stringify(before[k] ?? null) !== JSON.stringify(after[k] ?? null);
  if (changed("role")) said.push(t("say_user_role", { actor, target, from: role(before.role), to: role(after.role) }));
  if (changed("phone")) said.push(t("say_user_phone", { actor, target, from: phone(before.phone), to: phone(after.phone) }));
  if (changed("budget")) said.push(t("say_user_budget", { actor, target, from: budget(before.budget), to: budget(after.budget) }));
  if (changed("licensed")) said.push(t("say_user_license", { actor, target, from: licensed(before.licensed), to: licensed(after.licensed) }));
  return said;
}

const LINKS = ["user_group", "user_workspace", "group_workspace", "agent_workspace", "agent_user", "agent_group"] as const;

/** The entry as one sentence (or, for an edit of several fields, a sentence per field). */
export function auditSentence(e: AuditEntry): string {
  const actor = e.actor === "" ? t("say_someone") : e.actor;
  const target = e.target;
  const before = obj(e.before);
  const after = obj(e.after);
  const unknown = (): string => t("say_unknown", { actor, action: e.action, target });
  switch (e.action) {
    case "org.create":
      return t("say_org_create", { actor, target, count: num(after.seats) ?? 0 });
    case "seats.set":
      return t("say_seats_set", { actor, to: count(num(after.seats) ?? 0), from: count(num(before.seats) ?? 0) });
    case "user.create":
      return t("say_user_create", { actor, target, role: role(after.role) });
    case "user.edit":
    case "user.role": {
      const said = userChanges(actor, target, before, after);
      return said.length > 0 ? said.join(". ") : t("say_user_edit", { actor, target });
    }
    case "user.delete":
      return t("say_user_delete", { actor, target });
    case "user.restore":
      return t("say_user_restore", { actor, target });
    case "license.assign":
      return t("say_license_assign", { actor, target });
    case "license.unassign":
      return t("say_license_unassign", { actor, target });
    case "users.import":
      return t("say_users_import", { actor, count: num(after.created) ?? 0, updated: count(num(after.updated) ?? 0) });
    case "demo.generate":
      return t("say_demo_generate", { actor, count: num(after.users) ?? 0 });
    case "identity.link":
      return t("say_identity_link", { target });
    case "link.add":
    case "link.remove": {
      const kind = str(after.kind) ?? str(before.kind);
      const [a, b] = target.split(" → ");
      if (kind === null || b === undefined || !(LINKS as readonly string[]).includes(kind)) return unknown();
      const verb = e.action === "link.add" ? "add" : "remove";
      return t(`say_link_${verb}_${kind as (typeof LINKS)[number]}`, { actor, a: a ?? "", b });
    }
    default: {
      const m = /^(group|workspace|agent)\.(create|rename|delete)$/.exec(e.action);
      if (m === null) return unknown();
      const [, kind, verb] = m as unknown as [string, "group" | "workspace" | "agent", "create" | "rename" | "delete"];
      const from = str(before.name) ?? target;
      const to = str(after.name) ?? target;
      return t(`say_${kind}_${verb}`, { actor, target, from, to });
    }
  }
}
