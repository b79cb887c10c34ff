// What a person reads when something is refused or fails: the refusal's reason rendered from the
// UI's own catalogue in the UI's language (roles and kinds translated, numbers through Intl),
// or, for a failure without a reason, a sentence for its code.
import { asBackendError } from "../ipc/api";
import type { Reason, Role } from "../ipc/bindings";
import { t, type Key } from "../i18n";

/** Reason parameters that hold a role, and the one that holds a directory kind. */
const ROLE_PARAMS = new Set(["role", "from", "to"]);
const ROLES: readonly string[] = ["user", "collaborator", "administrator"] satisfies Role[];
const KINDS: readonly string[] = ["group", "workspace", "agent"];

/** A reason as a sentence in the current language. */
export function reasonText(reason: Reason): string {
  const { key, ...params } = reason;
  const filled: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(params) as [string, unknown][]) {
    if (ROLE_PARAMS.has(name) && typeof value === "string" && ROLES.includes(value)) filled[name] = t(`role_${value}` as Key);
    else if (name === "kind" && typeof value === "string" && KINDS.includes(value)) filled[name] = t(`kind_${value}` as Key);
    else if (typeof value === "number" || typeof value === "string") filled[name] = value;
  }
  return t(`err_${key}` as Key, filled);
}

/** The sentence to show for anything a backend call threw. */
export function errorText(e: unknown): string {
  const err = asBackendError(e);
  if (err.reason) return reasonText(err.reason);
  return t(`code_${err.code}` as Key, { message: err.message });
}

/** The form field a refusal names, when there is one. */
export function errorField(e: unknown): string | undefined {
  return asBackendError(e).field;
}
