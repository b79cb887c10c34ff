import { describe, expect, it } from "vitest";
import type { AuditEntry, AuditPage, AuditQuery } from "../src/ipc/bindings";
import { isAbout, userHistory } from "../src/lib/user-history";

const entry = (id: number, target: string, action = "user.edit"): AuditEntry => ({
  id,
  at: id,
  actor: "owner@acme.com",
  action,
  target,
  before: null,
  after: null,
});

describe("a user's history", () => {
  it("takes the entries about the user: as the target, or one end of a link", () => {
    expect(isAbout(entry(1, "ana@acme.com"), "Ana@acme.com")).toBe(true);
    expect(isAbout(entry(2, "ana@acme.com → Sales", "link.add"), "ana@acme.com")).toBe(true);
    expect(isAbout(entry(3, "Coach → ana@acme.com", "link.add"), "ana@acme.com")).toBe(true);
    expect(isAbout(entry(4, "diana@acme.com"), "ana@acme.com")).toBe(false);
    expect(isAbout(entry(5, "ana@acme.com.br"), "ana@acme.com")).toBe(false);
  });

  it("reads the log a page at a time, newest first, until it has enough or the log ends", async () => {
    // 450 entries, newest first; every tenth is about Ana.
    const log = Array.from({ length: 450 }, (_, i) => entry(450 - i, i % 10 === 0 ? "ana@acme.com" : "bo@acme.com"));
    const asked: (number | null)[] = [];
    const backend = {
      audit: ({ limit, before }: AuditQuery): Promise<AuditPage> => {
        asked.push(before);
        const start = before === null ? 0 : log.findIndex((e) => e.id < before);
        const entries = log.slice(start, start + limit);
        return Promise.resolve({ entries, more: start + limit < log.length });
      },
    };
    const some = await userHistory(backend, "ana@acme.com", 5);
    expect(some.map((e) => e.id)).toEqual([450, 440, 430, 420, 410]);
    expect(asked).toEqual([null]);
    asked.length = 0;
    const all = await userHistory(backend, "ana@acme.com", 100);
    expect(all).toHaveLength(45);
    expect(asked).toEqual([null, 251, 51]);
  });
});
