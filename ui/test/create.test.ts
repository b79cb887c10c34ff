import { describe, expect, it } from "vitest";
import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import type { Summary, UserForm } from "../src/ipc/bindings";
import { setLanguage } from "../src/i18n";
import FormHarness from "./FormHarness.svelte";
import { fakeBackend, user } from "./fake-backend";

const seats = (available: number): Summary => ({
  total_users: 1,
  licensed: 10 - available,
  unlicensed: 0,
  administrators: 1,
  seats: { purchased: 10, assigned: 10 - available, available },
});

describe("Create user", () => {
  it("sends role, license and budget, and Create another keeps the dialog open, cleared and focused", async () => {
    setLanguage("en");
    const keys = userEvent.setup();
    const backend = fakeBackend();
    const sent: UserForm[] = [];
    backend.createUser = async (form) => {
      sent.push(form);
      return { user: { ...user(7, form.email, { licensed: form.licensed }), phone_shown: null }, not_done: null };
    };
    render(FormHarness, { backend, summary: seats(3) });
    const dialog = screen.getByRole("dialog", { name: "Create user" });
    expect(screen.getByText("3 seats left.")).toBeTruthy();

    await keys.type(screen.getByRole("textbox", { name: "Email" }), "ana@acme.com");
    await keys.selectOptions(screen.getByRole("combobox", { name: "Role" }), "Collaborator");
    // The role's line says what it may do, read with the picker.
    const role = screen.getByRole("combobox", { name: "Role" });
    const described = (role.getAttribute("aria-describedby") ?? "").split(" ").map((id) => document.getElementById(id)?.textContent ?? "");
    expect(described.join(" ")).toMatch(/no licenses/);
    await keys.click(screen.getByRole("checkbox", { name: "Give a license" }));
    // "No limit" is a choice of its own: the amount appears once it is unticked.
    expect(screen.queryByRole("textbox", { name: "Monthly budget (USD)" })).toBeNull();
    await keys.click(screen.getByRole("checkbox", { name: "No limit" }));
    await keys.type(screen.getByRole("textbox", { name: "Monthly budget (USD)" }), "25");
    await keys.click(screen.getByRole("button", { name: "Create another" }));

    await waitFor(() => expect(screen.getByText("ana@acme.com created, with a license.")).toBeTruthy());
    expect(sent[0]).toMatchObject({ email: "ana@acme.com", role: "collaborator", licensed: true, budget: "25" });
    expect(dialog.isConnected).toBe(true);
    const email = screen.getByRole("textbox", { name: "Email" }) as HTMLInputElement;
    expect(email.value).toBe("");
    expect(document.activeElement).toBe(email);

    // Enter saves and closes; the budget left as "No limit" is sent as none.
    await keys.type(email, "bia@acme.com{Enter}");
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(sent[1]).toMatchObject({ email: "bia@acme.com", budget: "", licensed: false });
  }, 30_000);

  it("offers Change seats instead of a license when no seat is left", async () => {
    setLanguage("pt-BR");
    let asked = 0;
    render(FormHarness, { backend: fakeBackend(), summary: seats(0), onseats: () => (asked += 1) });
    expect((screen.getByRole("checkbox", { name: "Dar uma licença" }) as HTMLInputElement).disabled).toBe(true);
    await userEvent.setup().click(screen.getByRole("button", { name: "Alterar licenças" }));
    expect(asked).toBe(1);
    setLanguage("en");
  });
});

describe("Edit user", () => {
  it("shows the country code and the national number, and the budget's own No limit choice", () => {
    setLanguage("en");
    render(FormHarness, {
      backend: fakeBackend(),
      user: { ...user(3, "bia@acme.com", { phone: "+5511987654321", budget: null }), phone_shown: "+55 11 98765-4321" },
    });
    expect((screen.getByRole("textbox", { name: "Country code" }) as HTMLInputElement).value).toBe("55");
    expect((screen.getByRole("textbox", { name: "Phone" }) as HTMLInputElement).value).toBe("11 98765-4321");
    expect((screen.getByRole("checkbox", { name: "No limit" }) as HTMLInputElement).checked).toBe(true);
  });
});
