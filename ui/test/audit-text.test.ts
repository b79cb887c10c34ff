import { afterEach, describe, expect, it } from "vitest";
import type { AuditEntry, JsonValue } from "../src/ipc/bindings";
import { AUDIT_ACTIONS, actionLabel, auditSentence } from "../src/lib/audit-text";
import { setLanguage } from "../src/i18n";

function entry(action: string, target: string, before: JsonValue | null, after: JsonValue | null, actor = "owner@acme.com"): AuditEntry {
  return { id: 1, at: 0, actor, action, target, before, after };
}

const snapshot = (role: string, budget: string | null, phone: string | null = null) => ({
  email: "ana@acme.com",
  phone,
  role,
  licensed: false,
  budget,
});

afterEach(() => setLanguage("en"));

describe("audit sentences", () => {
  it("say each action the store writes as a sentence", () => {
    setLanguage("en");
    expect(auditSentence(entry("license.assign", "ana@acme.com", { licensed: false }, { licensed: true }))).toBe(
      "owner@acme.com assigned a license to ana@acme.com",
    );
    expect(auditSentence(entry("license.unassign", "ana@acme.com", { licensed: true }, { licensed: false }))).toBe(
      "owner@acme.com removed ana@acme.com's license",
    );
    expect(auditSentence(entry("user.role", "ana@acme.com", { role: "user" }, { role: "collaborator" }))).toBe(
      "owner@acme.com changed ana@acme.com's role from User to Collaborator",
    );
    expect(auditSentence(entry("seats.set", "license pool", { seats: 40 }, { seats: 50 }))).toBe("owner@acme.com set the seats to 50 (was 40)");
    expect(auditSentence(entry("user.edit", "ana@acme.com", snapshot("user", null), snapshot("user", "50")))).toBe(
      "owner@acme.com set ana@acme.com's monthly budget to $50.00 (was no limit)",
    );
    expect(
      auditSentence(entry("user.role", "ana@acme.com", snapshot("user", null, "+5511987654321"), snapshot("administrator", null, null))),
    ).toBe("owner@acme.com changed ana@acme.com's role from User to Administrator. owner@acme.com changed ana@acme.com's phone from +5511987654321 to none");
    expect(auditSentence(entry("user.create", "ana@acme.com", null, snapshot("collaborator", null)))).toBe(
      "owner@acme.com created the user ana@acme.com as Collaborator",
    );
    expect(auditSentence(entry("group.rename", "Sales EMEA", { name: "Sales" }, { name: "Sales EMEA" }))).toBe(
      "owner@acme.com renamed the group Sales to Sales EMEA",
    );
    expect(auditSentence(entry("agent.delete", "Helper", { name: "Helper" }, null))).toBe("owner@acme.com deleted the agent Helper");
    expect(auditSentence(entry("link.add", "ana@acme.com → Sales", null, { kind: "user_group" }))).toBe("owner@acme.com added ana@acme.com to the group Sales");
    expect(auditSentence(entry("link.remove", "Helper → Sales", { kind: "agent_group" }, null))).toBe(
      "owner@acme.com stopped sharing the agent Helper with the group Sales",
    );
    expect(auditSentence(entry("users.import", "CSV import", null, { created: 1200, updated: 3 }))).toBe(
      "owner@acme.com imported a CSV file: 1,200 users created, 3 updated",
    );
    expect(auditSentence(entry("org.create", "Acme", null, { owner: "owner@acme.com", seats: 1 }))).toBe(
      "owner@acme.com created the organization Acme with 1 seat",
    );
    expect(auditSentence(entry("identity.link", "ana@acme.com", null, { tenant: "t", object_id: "o" }))).toBe(
      "ana@acme.com signed in for the first time and was linked to their work account",
    );
    expect(auditSentence(entry("user.delete", "ana@acme.com", snapshot("user", null), null, ""))).toBe("Someone deleted ana@acme.com");
    expect(auditSentence(entry("something.new", "x", null, null))).toBe("owner@acme.com: something.new x");
  });

  it("speak Portuguese", () => {
    setLanguage("pt-BR");
    expect(auditSentence(entry("license.assign", "ana@acme.com", { licensed: false }, { licensed: true }))).toBe(
      "owner@acme.com atribuiu uma licença a ana@acme.com",
    );
    expect(auditSentence(entry("user.role", "ana@acme.com", { role: "user" }, { role: "collaborator" }))).toBe(
      "owner@acme.com mudou o perfil de ana@acme.com de Usuário para Colaborador",
    );
    expect(auditSentence(entry("seats.set", "license pool", { seats: 1000 }, { seats: 1500 }))).toBe(
      "owner@acme.com definiu as licenças em 1.500 (eram 1.000)",
    );
    expect(actionLabel("license.assign")).toBe("Licença atribuída");
  });

  it("name every action in the What filter, in both languages", () => {
    for (const lang of ["en", "pt-BR"] as const) {
      setLanguage(lang);
      const labels = AUDIT_ACTIONS.map(actionLabel);
      expect(new Set(labels).size).toBe(AUDIT_ACTIONS.length);
      for (const l of labels) expect(l).not.toMatch(/^act_/);
    }
  });
});
