import { describe, expect, it } from "vitest";
import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { BackendError } from "../src/ipc/api";
import { REASON_SAMPLES, type UserForm } from "../src/ipc/bindings";
import { setLanguage } from "../src/i18n";
import FormHarness from "./FormHarness.svelte";
import { fakeBackend, user } from "./fake-backend";

describe("a refused form", () => {
  it("marks the field at fault invalid, ties the reason to it, focuses it, and keeps what was typed", async () => {
    setLanguage("en");
    const keys = userEvent.setup();
    const backend = fakeBackend();
    const reason = REASON_SAMPLES.find((r) => r.key.startsWith("email_"))!;
    let sent: UserForm | null = null;
    backend.createUser = async (form) => {
      sent = form;
      if (form.email.includes("@")) return { user: { ...user(7, form.email), phone_shown: null }, not_done: null };
      throw new BackendError("invalid_input", "Invalid email", "email", reason);
    };
    render(FormHarness, { backend });

    const email = screen.getByRole("textbox", { name: "Email" });
    expect(document.activeElement).toBe(email);
    await keys.type(email, "ana-at-acme.com");
    await keys.click(screen.getByRole("textbox", { name: "Phone" }));
    await keys.keyboard("{Enter}");

    await waitFor(() => expect(email.getAttribute("aria-invalid")).toBe("true"));
    expect(document.activeElement).toBe(email);
    const described = (email.getAttribute("aria-describedby") ?? "").split(" ").map((id) => document.getElementById(id)?.textContent ?? "");
    expect(described.join(" ")).toMatch(/email/i);
    expect((email as HTMLInputElement).value).toBe("ana-at-acme.com");
    expect(sent!.email).toBe("ana-at-acme.com");

    // Fixed and sent again: the dialog closes.
    await keys.clear(email);
    await keys.type(email, "ana@acme.com{Enter}");
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  });

  it("shows the budget set, not No limit, and marks nothing invalid before a refusal", () => {
    setLanguage("en");
    render(FormHarness, { backend: fakeBackend(), user: user(3, "bia@acme.com", { budget: 50_000_000 }) });
    const budget = screen.getByRole("textbox", { name: "Monthly budget (USD)" });
    expect((budget as HTMLInputElement).value).toBe("50");
    expect((screen.getByRole("checkbox", { name: "No limit" }) as HTMLInputElement).checked).toBe(false);
    expect(budget.getAttribute("aria-invalid")).toBeNull();
  });
});
