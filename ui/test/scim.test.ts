import { describe, expect, it } from "vitest";
import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import type { ScimToken } from "../src/ipc/bindings";
import { setLanguage } from "../src/i18n";
import ScimHarness from "./ScimHarness.svelte";
import { fakeBackend } from "./fake-backend";

describe("provisioning tokens", () => {
  it("shows a new token's secret once, lists tokens with their last use, and revokes one", async () => {
    setLanguage("en");
    const keys = userEvent.setup();
    const backend = fakeBackend();
    let tokens: ScimToken[] = [{ id: 1, name: "Old", created_at: 0, last_used_at: null, revoked_at: null }];
    let loads = 0;
    backend.scimTokens = async () => {
      loads += 1;
      return tokens;
    };
    backend.createScimToken = async (name) => {
      const token = { id: 2, name, created_at: 1, last_used_at: null, revoked_at: null };
      tokens = [token, ...tokens];
      return { token, secret: "omni_scim_secret" };
    };
    backend.revokeScimToken = async (id) => {
      tokens = tokens.map((t) => (t.id === id ? { ...t, revoked_at: 5 } : t));
      return tokens.find((t) => t.id === id) as ScimToken;
    };
    render(ScimHarness, { backend });
    expect(await screen.findByText("Never used")).toBeTruthy();

    await keys.type(screen.getByRole("textbox", { name: "Token name" }), "Entra ID");
    await keys.click(screen.getByRole("button", { name: "Create token" }));
    const secret = await screen.findByRole("textbox", { name: "Copy this token now: it is shown only once." });
    expect((secret as HTMLInputElement).value).toBe("omni_scim_secret");
    expect(screen.getByRole("button", { name: "Revoke Entra ID" })).toBeTruthy();

    await keys.click(screen.getByRole("button", { name: "Revoke Old" }));
    await waitFor(() => expect(screen.queryByRole("button", { name: "Revoke Old" })).toBeNull());
    expect(loads).toBe(3);
  });
});
