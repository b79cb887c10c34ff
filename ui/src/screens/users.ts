// The Users screen: the counters and seat pool, search and filters, the virtualized table, and
// bulk actions over the selection. Every refusal of the policy appears in the alert region.
import type { Role, Summary, User, UserQuery } from "../ipc/bindings";
import type { Backend } from "../ipc/api";
import { busy, h, messageOf, openDialog, toast } from "../dom";
import { count } from "../format";
import { t } from "../i18n";
import { UsersTable } from "../table/users-table";
import type { Screen } from "../main";
import { createUserDialog, deleteUsersDialog, editUserDialog, relationshipsDialog, changeRoleDialog } from "./user-dialogs";
import { importDialog } from "./import";
import { exportDialog } from "./export";

const ROLES: Role[] = ["administrator", "collaborator", "user"];

function counter(label: string): { el: HTMLElement; value: HTMLElement } {
  const id = `c-${label.replace(/\W/g, "")}`;
  const value = h("span", { class: "value" }, "–");
  const el = h("div", { class: "counter", role: "group", "aria-labelledby": id }, h("span", { class: "label", id }, label), value);
  return { el, value };
}

export function usersScreen(backend: Backend): Screen {
  const counters = { total: counter(t("totalUsers")), licensed: counter(t("licensed")), unlicensed: counter(t("unlicensed")), admins: counter(t("administrators")) };
  const meter = h("meter", { "aria-label": t("seatsMeter"), min: 0, max: 1, value: 0 });
  const seatsText = h("span", { class: "seats-text" });
  const seatsButton = h("button", { class: "link" }, t("changeSeats"));
  const summaryEl = h("section", { "aria-label": t("summary"), class: "summary" },
    counters.total.el, counters.licensed.el, counters.unlicensed.el, counters.admins.el,
    h("div", { class: "seats" }, meter, seatsText, seatsButton));
  const alert = h("div", { role: "alert", class: "alert", hidden: true });
  const report = (e: unknown): void => {
    alert.textContent = messageOf(e);
    alert.hidden = false;
  };
  const clearAlert = (): void => {
    alert.hidden = true;
    alert.textContent = "";
  };

  let summary: Summary | null = null;
  const refreshSummary = async (): Promise<void> => {
    try {
      summary = await backend.summary();
      counters.total.value.textContent = count(summary.total_users);
      counters.licensed.value.textContent = count(summary.licensed);
      counters.unlicensed.value.textContent = count(summary.unlicensed);
      counters.admins.value.textContent = count(summary.administrators);
      meter.max = Math.max(1, summary.seats.purchased);
      meter.value = summary.seats.assigned;
      meter.setAttribute("aria-valuenow", String(summary.seats.assigned));
      meter.setAttribute("aria-valuemax", String(summary.seats.purchased));
      meter.setAttribute("aria-valuetext", t("seatsAssigned", { assigned: summary.seats.assigned, purchased: summary.seats.purchased }));
      seatsText.textContent = `${t("seatsAssigned", { assigned: count(summary.seats.assigned), purchased: count(summary.seats.purchased) })} · ${t("seatsAvailable", { available: count(summary.seats.available) })}`;
    } catch (e) {
      report(e);
    }
  };

  // Toolbar.
  const search = h("input", { type: "search", "aria-label": t("searchUsers"), placeholder: t("searchPlaceholder") });
  const roleFilter = h("select", { "aria-label": t("roleFilter") }, h("option", { value: "" }, t("anyRole")), ...ROLES.map((r) => h("option", { value: r }, t(`role_${r}`))));
  const licenseFilter = h("select", { "aria-label": t("licenseFilter") }, h("option", { value: "" }, t("anyLicense")), h("option", { value: "yes" }, t("onlyLicensed")), h("option", { value: "no" }, t("onlyUnlicensed")));
  const overBudget = h("input", { type: "checkbox", id: "over-budget" });
  const createButton = h("button", { class: "primary" }, t("create"));
  const importButton = h("button", {}, t("import"));
  const exportButton = h("button", {}, t("export"));
  const countLine = h("span", { class: "count", "aria-live": "polite" });
  const toolbar = h("div", { class: "toolbar", role: "toolbar", "aria-label": t("usersTable") },
    search, roleFilter, licenseFilter, h("label", { class: "check" }, overBudget, t("overBudget")),
    h("span", { class: "grow" }), countLine, createButton, importButton, exportButton);

  // Bulk actions.
  const selectedText = h("span", {});
  const bulkAssign = h("button", {}, t("assignLicenses"));
  const bulkUnassign = h("button", {}, t("unassignLicenses"));
  const bulkRole = h("button", {}, t("changeRole"));
  const bulkDelete = h("button", { class: "danger" }, t("deleteSelected"));
  const bulkClear = h("button", { class: "link" }, t("clearSelection"));
  const bulk = h("div", { class: "bulk", role: "toolbar", "aria-label": t("selected", { count: "" }).trim(), hidden: true },
    selectedText, bulkAssign, bulkUnassign, bulkRole, bulkDelete, bulkClear);

  const query = (): UserQuery => ({
    search: search.value.trim() === "" ? null : search.value.trim(),
    role: roleFilter.value === "" ? null : (roleFilter.value as Role),
    licensed: licenseFilter.value === "" ? null : licenseFilter.value === "yes",
    near_or_over_budget: overBudget.checked,
    sort: table?.currentQuery().sort ?? "email",
    descending: table?.currentQuery().descending ?? false,
    offset: 0,
    limit: 100,
  });

  const afterChange = (): void => {
    void refreshSummary();
    table.refresh();
  };

  const toggleLicense = async (user: User): Promise<void> => {
    clearAlert();
    try {
      const [updated] = await backend.setLicensed([user.id], !user.licensed);
      if (updated) table.updateUser(updated);
      void refreshSummary();
    } catch (e) {
      report(e);
    }
  };

  const table: UsersTable = new UsersTable(backend, {
    onEdit: (u) => editUserDialog(backend, u, (saved) => { table.updateUser(saved); afterChange(); }),
    onDelete: (users) => deleteUsersDialog(backend, users, () => { table.clearSelection(); afterChange(); }),
    onRelationships: (u) => relationshipsDialog(backend, u),
    onToggleLicense: (u) => void toggleLicense(u),
    onSelection: (ids) => {
      bulk.hidden = ids.length === 0;
      selectedText.textContent = t("selected", { count: ids.length });
    },
    onTotal: (total, capped) => {
      countLine.textContent = UsersTable.countText(total, capped);
    },
    onError: report,
  }, { search: null, role: null, licensed: null, near_or_over_budget: false, sort: "email", descending: false, offset: 0, limit: 100 });

  let searchTimer = 0;
  search.addEventListener("input", () => {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => table.setQuery(query()), 120);
  });
  for (const control of [roleFilter, licenseFilter, overBudget]) control.addEventListener("change", () => table.setQuery(query()));

  createButton.addEventListener("click", () => createUserDialog(backend, () => afterChange()));
  importButton.addEventListener("click", () => importDialog(backend, summary, () => afterChange()));
  exportButton.addEventListener("click", () => exportDialog(backend, table.currentQuery()));
  seatsButton.addEventListener("click", () => seatsDialog(backend, summary, () => void refreshSummary()));

  const bulkLicense = (on: boolean, button: HTMLButtonElement) => () => {
    clearAlert();
    void busy(button, async () => {
      try {
        await backend.setLicensed(table.selectedUsers().map((u) => u.id), on);
        afterChange();
      } catch (e) {
        report(e);
      }
    });
  };
  bulkAssign.addEventListener("click", bulkLicense(true, bulkAssign));
  bulkUnassign.addEventListener("click", bulkLicense(false, bulkUnassign));
  bulkRole.addEventListener("click", () => changeRoleDialog(backend, table.selectedUsers(), () => afterChange()));
  bulkDelete.addEventListener("click", () => deleteUsersDialog(backend, table.selectedUsers(), () => { table.clearSelection(); afterChange(); }));
  bulkClear.addEventListener("click", () => table.clearSelection());

  const element = h("section", { class: "users", "aria-label": t("navUsers") }, summaryEl, toolbar, bulk, alert, table.element);
  table.setQuery(query());
  void refreshSummary();

  return {
    element,
    shown: () => afterChange(),
    key: (e) => {
      const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement;
      if ((e.key === "/" && !typing) || (e.key === "f" && e.ctrlKey)) {
        search.focus();
        return true;
      }
      if (e.key === "n" && e.ctrlKey) {
        createUserDialog(backend, () => afterChange());
        return true;
      }
      if (e.key === "Delete" && !typing && table.selectedUsers().length > 0) {
        deleteUsersDialog(backend, table.selectedUsers(), () => { table.clearSelection(); afterChange(); });
        return true;
      }
      return false;
    },
  };
}

function seatsDialog(backend: Backend, summary: Summary | null, done: () => void): void {
  const d = openDialog(t("changeSeats"));
  const input = h("input", { type: "number", min: 0, step: 1, value: summary?.seats.purchased ?? 0, id: "seats-input" });
  const error = h("p", { role: "alert", class: "field-error" });
  d.body.append(h("label", { for: "seats-input" }, t("seats")), input, error);
  const save = h("button", { class: "primary" }, t("save"));
  const cancel = h("button", {}, t("cancel"));
  cancel.addEventListener("click", d.close);
  save.addEventListener("click", () => void busy(save, async () => {
    try {
      await backend.setSeats(Number(input.value || 0));
      d.close();
      done();
      toast(t("saved"));
    } catch (e) {
      error.textContent = messageOf(e);
    }
  }));
  d.actions.append(cancel, save);
  input.focus();
}
