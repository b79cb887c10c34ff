// The users table: virtualized (only the visible rows exist in the DOM), paged from the store
// 100 rows at a time, so it stays instant at a million users. Rows are ARIA table rows named
// after the user's email; every control in them has an accessible name.
import type { SortField, User, UserPage, UserQuery } from "../ipc/bindings";
import type { Backend } from "../ipc/api";
import { h } from "../dom";
import { budgetFill, budgetLevel, budgetText, count } from "../format";
import { t } from "../i18n";
import { PageCache, pagesFor, rowWindow } from "./window";

const ROW_HEIGHT = 44;

/** Stroke icons (24×24 paths), drawn as SVG so they need no icon font. */
const ICONS = {
  edit: "M4 20h4L19 9l-4-4L4 16v4zM14 6l4 4",
  links: "M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1",
  trash: "M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13M10 11v6M14 11v6",
} as const;

function icon(name: keyof typeof ICONS): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", ICONS[name]);
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "2");
  path.setAttribute("stroke-linecap", "round");
  path.setAttribute("stroke-linejoin", "round");
  svg.append(path);
  return svg;
}
const PAGE = 100;

export interface TableEvents {
  onEdit(user: User): void;
  onDelete(users: User[]): void;
  onRelationships(user: User): void;
  onToggleLicense(user: User): void;
  onSelection(ids: number[]): void;
  onTotal(total: number, capped: boolean): void;
  onError(e: unknown): void;
}

interface Column {
  key: string;
  label: () => string;
  sort?: SortField;
}

const COLUMNS: Column[] = [
  { key: "select", label: () => "" },
  { key: "email", label: () => t("colEmail"), sort: "email" },
  { key: "phone", label: () => t("colPhone"), sort: "phone" },
  { key: "license", label: () => t("colLicense"), sort: "license" },
  { key: "role", label: () => t("colRole"), sort: "role" },
  { key: "budget", label: () => t("colBudget"), sort: "usage" },
  { key: "actions", label: () => t("colActions") },
];

export class UsersTable {
  readonly element: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly rows: HTMLElement;
  private readonly header: HTMLElement;
  private readonly cache = new PageCache<User>(PAGE);
  private readonly inflight = new Set<number>();
  private query: UserQuery;
  private total = 0;
  private generation = 0;
  private readonly selected = new Map<number, User>();
  private frame = 0;

  constructor(
    private readonly backend: Backend,
    private readonly events: TableEvents,
    query: UserQuery,
  ) {
    this.query = query;
    this.header = h("div", { role: "row", class: "row header", "aria-rowindex": 1 });
    this.rows = h("div", { class: "rows", role: "rowgroup" });
    this.spacer = h("div", { class: "spacer" });
    this.scroller = h("div", { class: "scroller" }, this.rows, this.spacer);
    this.element = h("div", { role: "table", "aria-label": t("usersTable"), class: "users-table" }, h("div", { role: "rowgroup" }, this.header), this.scroller);
    this.scroller.addEventListener("scroll", () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(this.scroller);
    this.renderHeader();
  }

  /** Shows another query (search, filters, sort) from the top. */
  setQuery(query: UserQuery): void {
    this.query = query;
    this.generation++;
    this.cache.clear();
    this.inflight.clear();
    this.scroller.scrollTop = 0;
    this.renderHeader();
    void this.fetchPage(0);
  }

  currentQuery(): UserQuery {
    return this.query;
  }

  /** Fetches the visible rows again (after a change). */
  refresh(): void {
    this.generation++;
    this.cache.clear();
    this.inflight.clear();
    this.schedule();
    const w = this.window();
    for (const p of pagesFor(w.first, Math.max(1, w.count), PAGE)) void this.fetchPage(p);
  }

  /** Replaces one row's data where it is shown. */
  updateUser(user: User): void {
    this.cache.update((u) => u.id === user.id, user);
    if (this.selected.has(user.id)) this.selected.set(user.id, user);
    this.schedule();
  }

  selectedUsers(): User[] {
    return [...this.selected.values()];
  }

  clearSelection(): void {
    this.selected.clear();
    this.events.onSelection([]);
    this.schedule();
  }

  focusFirstRow(): void {
    this.rows.querySelector<HTMLElement>("[role=row] input")?.focus();
  }

  private window() {
    return rowWindow(this.scroller.scrollTop, this.scroller.clientHeight || 600, this.total, ROW_HEIGHT);
  }

  /** Renders once the current task is done: scroll events, arriving pages and updates in one
   * burst paint together, without waiting for an animation frame (which a busy or hidden
   * window may delay). */
  private schedule(): void {
    if (this.frame) return;
    this.frame = 1;
    queueMicrotask(() => {
      this.frame = 0;
      this.render();
    });
  }

  private async fetchPage(page: number): Promise<void> {
    if (this.cache.has(page) || this.inflight.has(page)) return;
    const generation = this.generation;
    this.inflight.add(page);
    try {
      const result: UserPage = await this.backend.listUsers({ ...this.query, offset: page * PAGE, limit: PAGE });
      if (generation !== this.generation) return;
      this.cache.put(page, result.users);
      // A capped count grows as pages beyond it turn out to be full.
      const seen = page * PAGE + result.users.length;
      const total = result.total_capped ? Math.max(result.total, seen + (result.users.length === PAGE ? PAGE : 0)) : result.total;
      if (total !== this.total) {
        this.total = total;
        this.events.onTotal(total, result.total_capped);
      }
      this.schedule();
    } catch (e) {
      if (generation === this.generation) this.events.onError(e);
    } finally {
      this.inflight.delete(page);
    }
  }

  private renderHeader(): void {
    const cells = COLUMNS.map((c) => {
      if (c.key === "select") {
        const all = h("input", { type: "checkbox", "aria-label": t("selectAll") });
        all.addEventListener("change", () => this.selectShown(all.checked));
        return h("div", { role: "columnheader", class: `cell ${c.key}` }, all);
      }
      if (!c.sort) return h("div", { role: "columnheader", class: `cell ${c.key}` }, c.label());
      const active = this.query.sort === c.sort;
      const sortState = active ? (this.query.descending ? "descending" : "ascending") : "none";
      const button = h("button", { class: "sort", "aria-label": t("sortBy", { column: c.label() }) }, c.label(), active ? (this.query.descending ? " ▼" : " ▲") : "");
      button.addEventListener("click", () => {
        const descending = active ? !this.query.descending : false;
        this.setQuery({ ...this.query, sort: c.sort ?? "email", descending });
      });
      return h("div", { role: "columnheader", "aria-sort": sortState, class: `cell ${c.key}` }, button);
    });
    this.header.replaceChildren(...cells);
  }

  private selectShown(on: boolean): void {
    const w = this.window();
    for (let i = w.first; i < w.first + w.count; i++) {
      const u = this.cache.row(i);
      if (!u) continue;
      if (on) this.selected.set(u.id, u);
      else this.selected.delete(u.id);
    }
    this.events.onSelection([...this.selected.keys()]);
    this.schedule();
  }

  private render(): void {
    const w = this.window();
    this.spacer.style.height = `${Math.max(0, w.height - this.scroller.clientHeight)}px`;
    this.rows.style.transform = `translateY(${-w.offset}px)`;
    const missing = new Set<number>();
    const fragment: HTMLElement[] = [];
    for (let i = w.first; i < w.first + w.count; i++) {
      const user = this.cache.row(i);
      if (!user) {
        missing.add(Math.floor(i / PAGE));
        fragment.push(h("div", { role: "row", class: "row placeholder", "aria-rowindex": i + 2 }, h("div", { role: "cell", class: "cell" }, t("loading"))));
        continue;
      }
      fragment.push(this.renderRow(user, i));
    }
    if (this.total === 0 && this.cache.size > 0) {
      fragment.push(h("div", { role: "row", class: "row empty" }, h("div", { role: "cell", class: "cell" }, t("noUsers"))));
    }
    this.rows.replaceChildren(...fragment);
    this.element.setAttribute("aria-rowcount", String(this.total + 1));
    for (const p of missing) void this.fetchPage(p);
  }

  private renderRow(user: User, index: number): HTMLElement {
    const email = user.email;
    const select = h("input", { type: "checkbox", "aria-label": t("selectUser", { email }) });
    select.checked = this.selected.has(user.id);
    select.addEventListener("change", () => {
      if (select.checked) this.selected.set(user.id, user);
      else this.selected.delete(user.id);
      this.events.onSelection([...this.selected.keys()]);
    });
    const license = h("button", { role: "switch", class: "switch", "aria-checked": user.licensed ? "true" : "false", "aria-label": t("licenseFor", { email }) }, h("span", { class: "knob" }));
    license.addEventListener("click", () => this.events.onToggleLicense(user));
    const level = budgetLevel(user.budget, user.usage);
    const bar = h("div", { class: `bar ${level}`, "aria-hidden": "true" }, h("div", { class: "fill" }));
    (bar.firstChild as HTMLElement).style.width = `${Math.round(budgetFill(user.budget, user.usage) * 100)}%`;
    const button = (label: string, glyph: keyof typeof ICONS, action: () => void) => {
      const b = h("button", { class: "icon", "aria-label": label, title: label }, icon(glyph));
      b.addEventListener("click", action);
      return b;
    };
    return h(
      "div",
      { role: "row", class: `row${this.selected.has(user.id) ? " selected" : ""}`, "aria-label": email, "aria-rowindex": index + 2 },
      h("div", { role: "cell", class: "cell select" }, select),
      h("div", { role: "cell", class: "cell email", title: email }, email),
      h("div", { role: "cell", class: "cell phone" }, user.phone ?? ""),
      h("div", { role: "cell", class: "cell license" }, license),
      h("div", { role: "cell", class: `cell role ${user.role}` }, t(`role_${user.role}`)),
      h("div", { role: "cell", class: `cell budget ${level}` }, h("span", { class: "budget-text" }, budgetText(user)), bar),
      h(
        "div",
        { role: "cell", class: "cell actions" },
        button(t("editUser", { email }), "edit", () => this.events.onEdit(user)),
        button(t("relationshipsFor", { email }), "links", () => this.events.onRelationships(user)),
        button(t("deleteUserAction", { email }), "trash", () => this.events.onDelete([user])),
      ),
    );
  }

  /** A short text for the count line. */
  static countText(total: number, capped: boolean): string {
    return capped ? t("shownOfCapped", { total: count(total) }) : t("shownOf", { count: total });
  }
}
