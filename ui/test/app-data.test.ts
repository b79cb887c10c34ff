import { describe, expect, it } from "vitest";
import { flushSync } from "svelte";
import { AppData } from "../src/lib/app-data.svelte";
import { fakeBackend, user } from "./fake-backend";

const until = async (ok: () => boolean): Promise<void> => {
  for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(ok()).toBe(true);
};

describe("the app's store", () => {
  it("follows data-changed events: versions by kind, and the summary read again", async () => {
    const backend = fakeBackend([user(1, "owner@acme.com", { role: "administrator" })]);
    const data = new AppData(backend);
    const stop = await data.start();
    expect(data.summary?.total_users).toBe(1);

    backend.users.push(user(2, "ana@acme.com"));
    backend.emit(["users"]);
    flushSync();
    expect(data.usersVersion).toBe(1);
    expect(data.directoryVersion).toBe(0);
    await until(() => data.summary?.total_users === 2);

    backend.emit(["directory"]);
    expect([data.usersVersion, data.directoryVersion, data.anyVersion]).toEqual([1, 1, 2]);

    stop();
    backend.emit(["users"]);
    expect(data.usersVersion).toBe(1);
  });

  it("reads the summary once more, not once per event, when events arrive during a read", async () => {
    const backend = fakeBackend([user(1, "owner@acme.com")]);
    const data = new AppData(backend);
    await data.start();
    backend.calls.length = 0;
    for (let i = 0; i < 10; i++) backend.emit(["users"]);
    await until(() => backend.calls.filter((c) => c === "summary").length === 2);
    await new Promise((r) => setTimeout(r, 30));
    expect(backend.calls.filter((c) => c === "summary").length).toBe(2);
  });
});
