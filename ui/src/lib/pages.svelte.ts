// Which page each screen shows: the Users screen shows its table or a user's page, the
// Directory its lists or an item's page. A link anywhere (a member on an item's page, a group
// on a user's page) opens a page here and asks the shell to show its screen; Back returns to
// the screen the page was opened from.
import type { DirectoryKind } from "../ipc/bindings";

export type ScreenName = "users" | "deleted" | "directory" | "audit" | "settings";

export interface ItemRef {
  kind: DirectoryKind;
  id: number;
}

interface Pages {
  /** The user whose page the Users screen shows, and the screen it was opened from. */
  user: { id: number; from: ScreenName } | null;
  /** The item whose page the Directory shows, and the screen it was opened from. */
  item: (ItemRef & { from: ScreenName }) | null;
  /** A screen the shell should show next (a link on another screen's page asked for it). */
  wanted: ScreenName | null;
}

export const pages = $state<Pages>({ user: null, item: null, wanted: null });

/** Opens a user's page from the screen `from`. */
export function openUser(id: number, from: ScreenName): void {
  pages.user = { id, from };
  if (from !== "users") pages.wanted = "users";
}

/** Opens a group's, workspace's or agent's page from the screen `from`. */
export function openItem(item: ItemRef, from: ScreenName): void {
  pages.item = { ...item, from };
  if (from !== "directory") pages.wanted = "directory";
}

/** Closes the user's page, back to where it was opened from. */
export function closeUser(): void {
  const from = pages.user?.from ?? "users";
  pages.user = null;
  if (from !== "users") pages.wanted = from;
}

/** Closes the item's page, back to where it was opened from. */
export function closeItem(): void {
  const from = pages.item?.from ?? "directory";
  pages.item = null;
  if (from !== "directory") pages.wanted = from;
}
