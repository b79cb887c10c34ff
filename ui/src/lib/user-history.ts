// A user's recent history, for their page: the audit log's newest entries that name them,
// read a few pages back at most. Kept apart (and small) so that a filtered audit query can
// replace it without touching the page.
import type { Backend } from "../ipc/api";
import type { AuditEntry, AuditQuery } from "../ipc/bindings";

const PAGE = 200;
const PAGES = 5;

/** Whether `entry` is about the user with `email` (as its target, or one end of a link). */
export function isAbout(entry: AuditEntry, email: string): boolean {
  const target = entry.target.toLowerCase();
  const e = email.toLowerCase();
  return target === e || target.startsWith(`${e} →`) || target.endsWith(`→ ${e}`) || target.split(/[\s,;]+/).includes(e);
}

/** Up to `limit` entries about `email`, newest first, from the last 1,000 entries of the log. */
export async function userHistory(backend: Pick<Backend, "audit">, email: string, limit: number): Promise<AuditEntry[]> {
  const found: AuditEntry[] = [];
  let before: number | null = null;
  for (let i = 0; i < PAGES && found.length < limit; i++) {
    // Unfiltered: the target filter matches a whole email, and a link's entry names both ends.
    const query: AuditQuery = { actor: null, action: null, target: null, from: null, until: null, before, limit: PAGE };
    const page = await backend.audit(query);
    for (const entry of page.entries) if (isAbout(entry, email)) found.push(entry);
    if (!page.more) break;
    before = page.entries[page.entries.length - 1]!.id;
  }
  return found.slice(0, limit);
}
