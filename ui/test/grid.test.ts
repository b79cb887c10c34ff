import { describe, expect, it } from "vitest";
import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { gridMove, scrollFor } from "../src/table/grid-keys";
import { MAX_SCROLL_HEIGHT, rowWindow } from "../src/table/window";
import TableHarness from "./TableHarness.svelte";
import { fakeBackend, user } from "./fake-backend";

const shape = { rows: 1000, cols: 9, page: 9 };

describe("the grid's keys", () => {
  it("move a cell, to the row's ends, to the grid's ends and by a page, and stay inside", () => {
    const at = { row: 5, col: 3 };
    expect(gridMove("ArrowDown", false, at, shape)).toEqual({ row: 6, col: 3 });
    expect(gridMove("ArrowUp", false, at, shape)).toEqual({ row: 4, col: 3 });
    expect(gridMove("ArrowRight", false, at, shape)).toEqual({ row: 5, col: 4 });
    expect(gridMove("ArrowLeft", false, at, shape)).toEqual({ row: 5, col: 2 });
    expect(gridMove("Home", false, at, shape)).toEqual({ row: 5, col: 0 });
    expect(gridMove("End", false, at, shape)).toEqual({ row: 5, col: 8 });
    expect(gridMove("Home", true, at, shape)).toEqual({ row: 0, col: 0 });
    expect(gridMove("End", true, at, shape)).toEqual({ row: 999, col: 8 });
    expect(gridMove("PageDown", false, at, shape)).toEqual({ row: 14, col: 3 });
    expect(gridMove("PageUp", false, at, shape)).toEqual({ row: 0, col: 3 });
    expect(gridMove("ArrowUp", false, { row: 0, col: 0 }, shape)).toEqual({ row: 0, col: 0 });
    expect(gridMove("ArrowDown", false, { row: 999, col: 8 }, shape)).toEqual({ row: 999, col: 8 });
    expect(gridMove("a", false, at, shape)).toBeNull();
  });

  it("scrolls a row into view, also where a million rows scale the scrollbar", () => {
    for (const total of [50, 1_000_000]) {
      for (const row of [0, 7, 30, total - 1]) {
        const now = rowWindow(0, 440, total, 44);
        const top = scrollFor(row, now, total, 440, 44, MAX_SCROLL_HEIGHT) ?? 0;
        const after = rowWindow(top, 440, total, 44);
        expect(row >= after.first && row < after.first + after.count, `row ${row} of ${total} at ${top}: ${JSON.stringify(after)}`).toBe(true);
      }
    }
    expect(scrollFor(3, rowWindow(0, 440, 50, 44), 50, 440, 44, MAX_SCROLL_HEIGHT)).toBeNull();
  });
});

/** Waits until the focused element is named `name` (its aria-label, else its text): focus moves
 * after the grid scrolls and draws, a tick after the key. */
const focused = (name: string): Promise<void> =>
  waitFor(() => expect(document.activeElement?.getAttribute("aria-label") ?? document.activeElement?.textContent).toBe(name));

describe("the users grid", () => {
  const people = Array.from({ length: 30 }, (_, i) => user(i + 1, `user${String(i).padStart(2, "0")}@acme.com`));

  it("moves focus between rows and cells with the arrow keys, Home/End and Page Down", async () => {
    const keys = userEvent.setup();
    render(TableHarness, { backend: fakeBackend(people) });
    const grid = await screen.findByRole("grid", { name: "Users" });
    const first = await within(grid).findByRole("row", { name: "user00@acme.com" });
    const email = within(first).getByText("user00@acme.com");
    // One stop in the Tab order: the first row's email.
    expect(email.getAttribute("tabindex")).toBe("0");
    expect(grid.querySelectorAll('[tabindex="0"]').length).toBe(1);

    email.focus();
    await keys.keyboard("{ArrowDown}");
    await focused("user01@acme.com");
    await keys.keyboard("{ArrowRight}{ArrowRight}");
    await focused("License for user01@acme.com");
    await keys.keyboard("{End}");
    await focused("Delete user01@acme.com");
    await keys.keyboard("{Home}");
    await focused("Select user01@acme.com");
    await keys.keyboard("{PageDown}");
    await focused("Select user10@acme.com");
    expect(grid.querySelectorAll('[tabindex="0"]').length).toBe(1);
  });

  it("keeps focus on a license switch toggled from the keyboard, and shows the change", async () => {
    const keys = userEvent.setup();
    const backend = fakeBackend(people);
    render(TableHarness, { backend });
    const row = await screen.findByRole("row", { name: "user02@acme.com" });
    const toggle = within(row).getByRole("switch", { name: "License for user02@acme.com" });
    toggle.focus();
    await keys.keyboard("{Enter}");
    await waitFor(() => expect(within(screen.getByRole("row", { name: "user02@acme.com" })).getByRole("switch").getAttribute("aria-checked")).toBe("true"));
    expect(document.activeElement?.getAttribute("aria-label")).toBe("License for user02@acme.com");
  });

  it("shows a change made elsewhere (a data-changed event) without a click", async () => {
    const backend = fakeBackend(people.slice(0, 3));
    render(TableHarness, { backend });
    await screen.findByRole("row", { name: "user00@acme.com" });
    expect(screen.queryByRole("row", { name: "new@acme.com" })).toBeNull();
    backend.users = [...backend.users, user(99, "new@acme.com")];
    backend.emit(["users"]);
    await screen.findByRole("row", { name: "new@acme.com" });
    await waitFor(() => expect(screen.getByTestId("total").textContent).toBe("4"));
  });
});
