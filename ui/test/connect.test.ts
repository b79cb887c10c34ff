import { describe, expect, it } from "vitest";
import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { BackendError } from "../src/ipc/api";
import type { AppInfo } from "../src/ipc/bindings";
import { setLanguage } from "../src/i18n";
import ConnectHarness from "./ConnectHarness.svelte";
import { fakeBackend } from "./fake-backend";

describe("connecting to a server", () => {
  it("says what is wrong with an address, on its field, and keeps what was typed", async () => {
    setLanguage("en");
    const keys = userEvent.setup();
    const backend = fakeBackend();
    backend.connectServer = async (address) => {
      throw new BackendError("unreachable", "Cannot reach", "address", { key: "not_an_omni_server", address });
    };
    render(ConnectHarness, { backend, onsignedin: () => undefined });
    const field = screen.getByRole("textbox", { name: "Server address" });
    expect(document.activeElement).toBe(field);
    await keys.type(field, "https://acme.com{Enter}");
    await waitFor(() => expect(field.getAttribute("aria-invalid")).toBe("true"));
    const described = (field.getAttribute("aria-describedby") ?? "").split(" ").map((id) => document.getElementById(id)?.textContent ?? "");
    expect(described.join(" ")).toContain("https://acme.com answered, but it is not an omni-server: check the address.");
    expect((field as HTMLInputElement).value).toBe("https://acme.com");
  });

  it("signs in through the browser, waits with Cancel, and says when it was cancelled", async () => {
    setLanguage("en");
    const keys = userEvent.setup();
    const backend = fakeBackend();
    let signedIn = 0;
    let finish: ((ok: boolean) => void) | null = null;
    backend.connectServer = async (address) => ({ address: `${address}/`.replace(/\/+$/, ""), signed_in: false, account: null });
    backend.signIn = (address) =>
      new Promise<AppInfo>((resolve, reject) => {
        expect(address).toBe("https://omni.acme.com");
        finish = (ok) => (ok ? resolve({} as AppInfo) : reject(new BackendError("cancelled", "Sign-in was cancelled.", undefined, { key: "sign_in_cancelled" })));
      });
    backend.cancelSignIn = async () => finish?.(false);
    render(ConnectHarness, { backend, onsignedin: () => (signedIn += 1) });

    await keys.type(screen.getByRole("textbox", { name: "Server address" }), "https://omni.acme.com{Enter}");
    const signIn = await screen.findByRole("button", { name: "Sign in with your work account" });
    await waitFor(() => expect(document.activeElement).toBe(signIn));
    expect(screen.getByRole("heading", { name: "Sign in to https://omni.acme.com" })).toBeTruthy();

    await keys.click(signIn);
    expect(await screen.findByRole("status")).toHaveProperty("textContent", "Waiting for you to sign in in your browser…");
    await keys.click(screen.getByRole("button", { name: "Cancel" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Sign-in was cancelled.");
    expect(signedIn).toBe(0);

    // Again, and the browser comes back.
    await keys.click(screen.getByRole("button", { name: "Sign in with your work account" }));
    await screen.findByRole("status");
    finish!(true);
    await waitFor(() => expect(signedIn).toBe(1));
  });
});
