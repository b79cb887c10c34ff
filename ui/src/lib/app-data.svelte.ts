// What the app shows, in one reactive store: who acts, the dashboard's summary, and a version per
// kind of data. The Rust side emits `data-changed` after every change it makes and whenever the
// data file changes under it (the `omni` CLI, later the sync engine), so a screen never refreshes
// another by hand: each reads the versions it depends on and loads again when they move.
import { getContext, setContext } from "svelte";
import type { Backend } from "../ipc/api";
import type { AppInfo, ChangeKind, Summary } from "../ipc/bindings";

export class AppData {
  info = $state<AppInfo | null>(null);
  summary = $state<Summary | null>(null);
  /** Moves whenever users change (rows, roles, licenses, budgets, deletions). */
  usersVersion = $state(0);
  /** Moves whenever groups, workspaces, agents or their links change. */
  directoryVersion = $state(0);
  /** Moves with any change at all (the audit log shows every kind). */
  anyVersion = $state(0);
  /** Connected: the users with an edit made offline still waiting to be sent. */
  pending = $state<readonly number[]>([]);
  /** The last failure to refresh, for the screen that shows the summary. */
  error = $state<unknown>(null);

  private refreshing = false;
  private again = false;

  constructor(readonly backend: Backend) {}

  /** Loads who acts and the summary, then follows changes; returns the unsubscribe. */
  async start(): Promise<() => void> {
    const unlisten = await this.backend.onDataChanged((kinds) => this.changed(kinds));
    this.backend.onSignInRequired(() => void this.refresh());
    this.info = await this.backend.appState();
    if (this.info.org !== null) await this.refresh();
    return unlisten;
  }

  /** Whether the organization in use can be read now: local, or a server signed in to. */
  get reachable(): boolean {
    return this.info !== null && this.info.org !== null && (this.info.place.kind === "local" || this.info.signed_in);
  }

  /** Applies a `data-changed` event. */
  changed(kinds: ChangeKind[]): void {
    if (kinds.includes("users")) this.usersVersion += 1;
    if (kinds.includes("directory")) this.directoryVersion += 1;
    this.anyVersion += 1;
    void this.refresh();
  }

  /** Reads who acts and the summary again; calls arriving meanwhile coalesce into one more read. */
  async refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return;
    }
    this.refreshing = true;
    try {
      do {
        this.again = false;
        const before = this.info?.place;
        this.info = await this.backend.appState();
        // Another place: nothing shown so far belongs to it.
        if (before !== undefined && JSON.stringify(before) !== JSON.stringify(this.info.place)) {
          this.summary = null;
          this.changed(["users", "directory", "org"]);
        }
        if (this.reachable) this.summary = await this.backend.summary();
        const waiting = this.info.sync?.waiting ?? 0;
        this.pending = waiting > 0 ? await this.backend.pendingUsers() : [];
        this.error = null;
      } while (this.again);
    } catch (e) {
      this.error = e;
    } finally {
      this.refreshing = false;
    }
  }
}

const KEY = Symbol("app-data");

export function provideAppData(data: AppData): void {
  setContext(KEY, data);
}

/** The app's store, from any component under App. */
export function appData(): AppData {
  return getContext<AppData>(KEY);
}
