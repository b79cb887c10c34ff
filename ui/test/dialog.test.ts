import { describe, expect, it, vi } from "vitest";
import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import DialogHarness from "./DialogHarness.svelte";

describe("the dialog", () => {
  it("is named by its title, takes focus, keeps Tab inside, closes on Escape and gives focus back", async () => {
    const user = userEvent.setup();
    render(DialogHarness, { onsubmit: () => {} });
    const opener = screen.getByRole("button", { name: "Open" });
    await user.click(opener);

    const dialog = screen.getByRole("dialog", { name: "Create user" });
    const email = screen.getByRole("textbox", { name: "Email" });
    expect(document.activeElement).toBe(email);

    // Tab from the last control wraps to the first; Shift+Tab from the first to the last.
    screen.getByRole("button", { name: "Save" }).focus();
    await user.tab();
    expect(document.activeElement).toBe(email);
    await user.tab({ shift: true });
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "Save" }));
    expect(dialog.contains(document.activeElement)).toBe(true);

    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.activeElement).toBe(opener);
  });

  it("submits on Enter in a field", async () => {
    const user = userEvent.setup();
    const onsubmit = vi.fn();
    render(DialogHarness, { onsubmit });
    await user.click(screen.getByRole("button", { name: "Open" }));
    await user.type(screen.getByRole("textbox", { name: "Email" }), "ana@acme.com{Enter}");
    expect(onsubmit).toHaveBeenCalledTimes(1);
  });
});
