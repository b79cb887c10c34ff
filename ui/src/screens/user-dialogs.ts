// The dialogs of a user row: Create, Edit, Delete, Change role (bulk) and Relationships. A
// refused save keeps the dialog open with everything typed, and shows the reason beside the
// field at fault (or above the buttons).
import type { DirectoryItem, DirectoryKind, LinkKind, Role, User, UserForm } from "../ipc/bindings";
import { BackendError, type Backend } from "../ipc/api";
import { busy, field, h, messageOf, openDialog, toast } from "../dom";
import { budgetInput } from "../format";
import { t } from "../i18n";

const ROLES: Role[] = ["administrator", "collaborator", "user"];

function roleSelect(selected: Role): HTMLSelectElement {
  const s = h("select", {}, ...ROLES.map((r) => h("option", { value: r }, t(`role_${r}`))));
  s.value = selected;
  return s;
}

interface FormFields {
  rows: HTMLElement[];
  errors: Record<string, HTMLElement>;
  read(): UserForm;
}

function userFields(user: User | null): FormFields {
  const email = h("input", { type: "email", autocomplete: "off", value: user?.email ?? "" });
  const cc = h("input", { type: "text", inputmode: "numeric", class: "short", placeholder: "55" });
  const phone = h("input", { type: "tel", value: user?.phone ?? "" });
  const role = roleSelect(user?.role ?? "user");
  const budget = h("input", { type: "text", inputmode: "decimal", value: budgetInput(user?.budget ?? null) });
  const f = {
    email: field(t("email"), email),
    country_code: field(t("countryCode"), cc),
    phone: field(t("phone"), phone),
    role: field(t("role"), role),
    budget: field(t("budget"), budget, t("budgetHint")),
  };
  if (user) email.disabled = true;
  const rows = user ? [f.email.row, f.country_code.row, f.phone.row, f.role.row, f.budget.row] : [f.email.row, f.country_code.row, f.phone.row, f.role.row];
  return {
    rows,
    errors: { email: f.email.error, country_code: f.country_code.error, phone: f.phone.error, role: f.role.error, budget: f.budget.error },
    read: () => ({ email: email.value, country_code: cc.value, phone: phone.value, role: role.value as Role, budget: budget.value, version: user?.version ?? null }),
  };
}

/** Saves with `save`; a refusal lands beside its field or in `general`, and the dialog stays. */
function wireSave(d: ReturnType<typeof openDialog>, fields: FormFields, save: () => Promise<void>): void {
  const general = h("p", { role: "alert", class: "form-error", hidden: true });
  const saveButton = h("button", { class: "primary", type: "submit" }, t("save"));
  const cancel = h("button", { type: "button" }, t("cancel"));
  const form = h("form", { class: "form" }, ...fields.rows, general);
  d.body.append(form);
  d.actions.append(cancel, saveButton);
  cancel.addEventListener("click", d.close);
  const submit = (e: Event): void => {
    e.preventDefault();
    for (const el of Object.values(fields.errors)) el.textContent = "";
    general.hidden = true;
    void busy(saveButton, async () => {
      try {
        await save();
      } catch (err) {
        const spot = err instanceof BackendError && err.field ? fields.errors[err.field] : undefined;
        if (spot) spot.textContent = messageOf(err);
        else {
          general.textContent = messageOf(err);
          general.hidden = false;
        }
      }
    });
  };
  form.addEventListener("submit", submit);
  saveButton.addEventListener("click", submit);
  form.querySelector<HTMLElement>("input:not([disabled]), select")?.focus();
}

export function createUserDialog(backend: Backend, done: (u: User) => void): void {
  const d = openDialog(t("createUserTitle"));
  const fields = userFields(null);
  wireSave(d, fields, async () => {
    const user = await backend.createUser(fields.read());
    d.close();
    toast(t("createdUser", { email: user.email }));
    done(user);
  });
}

export function editUserDialog(backend: Backend, user: User, done: (u: User) => void): void {
  const d = openDialog(t("editUserTitle"));
  d.body.append(h("p", { class: "subtitle" }, user.email));
  const fields = userFields(user);
  wireSave(d, fields, async () => {
    const saved = await backend.editUser(user.id, fields.read(), true);
    d.close();
    toast(t("saved"));
    done(saved);
  });
}

export function deleteUsersDialog(backend: Backend, users: User[], done: () => void): void {
  if (users.length === 0) return;
  const d = openDialog(t("deleteUserTitle"));
  const text = users.length === 1 ? t("deleteConfirm", { email: users[0]!.email }) : t("deleteManyConfirm", { count: users.length });
  const error = h("p", { role: "alert", class: "form-error", hidden: true });
  d.body.append(h("p", {}, text), error);
  const del = h("button", { class: "danger" }, t("delete"));
  const cancel = h("button", {}, t("cancel"));
  cancel.addEventListener("click", d.close);
  del.addEventListener("click", () => void busy(del, async () => {
    try {
      await backend.deleteUsers(users.map((u) => u.id));
      d.close();
      toast(t("deletedUsers", { count: users.length }));
      done();
    } catch (e) {
      error.textContent = messageOf(e);
      error.hidden = false;
    }
  }));
  d.actions.append(cancel, del);
  cancel.focus();
}

export function changeRoleDialog(backend: Backend, users: User[], done: () => void): void {
  if (users.length === 0) return;
  const d = openDialog(t("changeRoleTitle", { count: users.length }));
  const role = roleSelect("user");
  const f = field(t("role"), role);
  const error = h("p", { role: "alert", class: "form-error", hidden: true });
  d.body.append(f.row, error);
  const apply = h("button", { class: "primary" }, t("apply"));
  const cancel = h("button", {}, t("cancel"));
  cancel.addEventListener("click", d.close);
  apply.addEventListener("click", () => void busy(apply, async () => {
    try {
      await backend.setRole(users.map((u) => u.id), role.value as Role);
      d.close();
      toast(t("saved"));
      done();
    } catch (e) {
      error.textContent = messageOf(e);
      error.hidden = false;
    }
  }));
  d.actions.append(cancel, apply);
  role.focus();
}

/** How a user links to each kind, and which end is which. */
const LINKS: { kind: DirectoryKind; link: LinkKind; title: () => string; userIsA: boolean }[] = [
  { kind: "group", link: "user_group", title: () => t("groups"), userIsA: true },
  { kind: "workspace", link: "user_workspace", title: () => t("workspaces"), userIsA: true },
  { kind: "agent", link: "agent_user", title: () => t("agents"), userIsA: false },
];

export function relationshipsDialog(backend: Backend, user: User): void {
  const d = openDialog(t("relationshipsFor", { email: user.email }));
  const error = h("p", { role: "alert", class: "form-error", hidden: true });
  const accessList = h("ul", { "aria-label": t("effectiveAccess"), class: "access" });
  const sections = h("div", { class: "relationships" });
  d.body.append(error, sections, h("h3", {}, t("effectiveAccess")), accessList);
  const close = h("button", { class: "primary" }, t("close"));
  close.addEventListener("click", d.close);
  d.actions.append(close);

  const loadAccess = async (): Promise<void> => {
    const access = await backend.access(user.id);
    accessList.replaceChildren(...(access.length === 0
      ? [h("li", { class: "muted" }, t("noAccess"))]
      : access.map((a) => h("li", {}, `${a.agent.name} — ${a.paths.map(describePath).join("; ")}`))));
  };

  const load = async (): Promise<void> => {
    const [links, ...lists] = await Promise.all([backend.userLinks(user.id), ...LINKS.map((l) => backend.items(l.kind))]);
    const linked = new Set(links.map((l) => `${l.kind}:${l.item.id}`));
    sections.replaceChildren(...LINKS.map((spec, i) => {
      const items: DirectoryItem[] = lists[i] ?? [];
      const legendId = `rel-${spec.kind}`;
      const boxes = items.map((item) => {
        const box = h("input", { type: "checkbox", id: `rel-${item.id}` });
        box.checked = linked.has(`${spec.link}:${item.id}`);
        box.addEventListener("change", () => void (async () => {
          error.hidden = true;
          const [a, b] = spec.userIsA ? [user.id, item.id] : [item.id, user.id];
          try {
            if (box.checked) await backend.link(spec.link, a, b);
            else await backend.unlink(spec.link, a, b);
            await loadAccess();
          } catch (e) {
            box.checked = !box.checked;
            error.textContent = messageOf(e);
            error.hidden = false;
          }
        })());
        return h("label", { class: "check", for: `rel-${item.id}` }, box, item.name);
      });
      return h("fieldset", { role: "group", "aria-labelledby": legendId }, h("legend", { id: legendId }, spec.title()),
        ...(boxes.length > 0 ? boxes : [h("p", { class: "muted" }, t("noItems"))]));
    }));
    await loadAccess();
  };
  void load().catch((e: unknown) => {
    error.textContent = messageOf(e);
    error.hidden = false;
  });
}

type Path = Awaited<ReturnType<Backend["access"]>>[number]["paths"][number];

/** `group Sales → workspace EMEA`, in the person's language. */
export function describePath(p: Path): string {
  switch (p.via) {
    case "role":
      return t(`role_${p.role}`);
    case "direct":
      return t("sharedDirectly");
    case "group":
      return `${t("kind_group")} ${p.group.name}`;
    case "workspace":
      return `${t("kind_workspace")} ${p.workspace.name}`;
    case "group_workspace":
      return `${t("kind_group")} ${p.group.name} → ${t("kind_workspace")} ${p.workspace.name}`;
  }
}
