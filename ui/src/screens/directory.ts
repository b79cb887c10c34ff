// Directory: create, rename and delete groups, workspaces and agents.
import type { DirectoryItem, DirectoryKind, LinkKind } from "../ipc/bindings";
import type { Backend } from "../ipc/api";
import { busy, h, messageOf, openDialog } from "../dom";
import { describePath } from "./user-dialogs";
import { t } from "../i18n";
import type { Screen } from "../main";

const KINDS: DirectoryKind[] = ["group", "workspace", "agent"];
const TITLES = { group: "groups", workspace: "workspaces", agent: "agents" } as const;

export function directoryScreen(backend: Backend): Screen {
  const alert = h("div", { role: "alert", class: "alert", hidden: true });
  const report = (e: unknown): void => {
    alert.textContent = messageOf(e);
    alert.hidden = false;
  };
  const columns = KINDS.map((kind) => {
    const kindName = t(`kind_${kind}`);
    const list = h("ul", { class: "items", "aria-label": t(TITLES[kind]) });
    const input = h("input", { type: "text", "aria-label": t("newItemName", { kind: kindName }) });
    const add = h("button", { type: "submit" }, t("addItem", { kind: kindName }));
    const form = h("form", { class: "add" }, input, add);
    const load = async (): Promise<void> => {
      const items = await backend.items(kind);
      list.replaceChildren(...items.map((item) => {
        const rename = h("button", { class: "link", "aria-label": t("rename", { name: item.name }) }, t("renameLabel"));
        rename.addEventListener("click", () => {
          const d = openDialog(t("rename", { name: item.name }));
          const field = h("input", { type: "text", value: item.name, "aria-label": t("orgName").replace(/.*/, item.name) });
          const error = h("p", { role: "alert", class: "form-error" });
          const save = h("button", { class: "primary" }, t("save"));
          const cancel = h("button", {}, t("cancel"));
          cancel.addEventListener("click", d.close);
          save.addEventListener("click", () => void busy(save, async () => {
            try {
              await backend.renameItem(item.id, field.value);
              d.close();
              await load();
            } catch (e) {
              error.textContent = messageOf(e);
            }
          }));
          d.body.append(field, error);
          d.actions.append(cancel, save);
          field.focus();
        });
        const del = h("button", { class: "link danger", "aria-label": t("deleteItem", { name: item.name }) }, t("delete"));
        del.addEventListener("click", () => void backend.deleteItem(item.id).then(load, report));
        const links = kind === "workspace" ? null : h("button", { class: "link", "aria-label": kind === "agent" ? t("shareAgent", { name: item.name }) : t("groupWorkspaces", { name: item.name }) }, kind === "agent" ? t("shareLabel") : t("workspacesLabel"));
        links?.addEventListener("click", () => itemLinksDialog(backend, item));
        return h("li", {}, h("span", {}, item.name), ...(links ? [links] : []), rename, del);
      }));
    };
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      alert.hidden = true;
      void busy(add, async () => {
        try {
          await backend.createItem(kind, input.value);
          input.value = "";
          await load();
        } catch (err) {
          report(err);
        }
      });
    });
    return { element: h("section", { class: "card column", "aria-labelledby": `dir-${kind}` }, h("h2", { id: `dir-${kind}` }, t(TITLES[kind])), form, list), load };
  });
  const element = h("section", { class: "page" }, h("h1", {}, t("navDirectory")), alert, h("div", { class: "columns" }, ...columns.map((c) => c.element)));
  return { element, shown: () => void Promise.all(columns.map((c) => c.load())).catch(report) };
}

/** What a group or agent links to: a group's workspaces; the groups and workspaces an agent is
 * shared with. Each checkbox links or unlinks at once. */
function itemLinksDialog(backend: Backend, item: DirectoryItem): void {
  const specs: { kind: DirectoryKind; link: LinkKind; title: string }[] = item.kind === "agent"
    ? [{ kind: "group", link: "agent_group", title: t("groups") }, { kind: "workspace", link: "agent_workspace", title: t("workspaces") }]
    : [{ kind: "workspace", link: "group_workspace", title: t("workspaces") }];
  const d = openDialog(item.kind === "agent" ? t("shareAgent", { name: item.name }) : t("groupWorkspaces", { name: item.name }));
  const error = h("p", { role: "alert", class: "form-error", hidden: true });
  const body = h("div", { class: "relationships" });
  const reach = h("ul", { "aria-label": t("whoReaches"), class: "access" });
  d.body.append(item.kind === "agent" ? h("p", { class: "muted" }, t("shareIntro")) : "", error, body);
  const SHOWN = 200;
  const loadReach = async (): Promise<void> => {
    if (item.kind !== "agent") return;
    const all = await backend.agentReach(item.id);
    const sharedWith = all.filter((r) => r.paths.some((p) => p.via !== "role"));
    reach.replaceChildren(...(sharedWith.length === 0
      ? [h("li", { class: "muted" }, t("nobodyReaches"))]
      : sharedWith.slice(0, SHOWN).map((r) => h("li", {}, `${r.user.name} — ${r.paths.map(describePath).join("; ")}`))),
      ...(sharedWith.length > SHOWN ? [h("li", { class: "muted" }, t("moreReach", { count: sharedWith.length - SHOWN }))] : []));
  };
  if (item.kind === "agent") d.body.append(h("h3", {}, t("whoReaches")), reach);
  const close = h("button", { class: "primary" }, t("close"));
  close.addEventListener("click", d.close);
  d.actions.append(close);
  void (async () => {
    const [linked, ...lists] = await Promise.all([backend.itemLinks(item.id), ...specs.map((s) => backend.items(s.kind))]);
    const on = new Set(linked.map((l) => `${l.kind}:${l.item.id}`));
    body.replaceChildren(...specs.map((spec, i) => {
      const legendId = `share-${spec.kind}`;
      const boxes = (lists[i] ?? []).map((other) => {
        const box = h("input", { type: "checkbox", id: `share-${other.id}` });
        box.checked = on.has(`${spec.link}:${other.id}`);
        box.addEventListener("change", () => void (box.checked ? backend.link(spec.link, item.id, other.id) : backend.unlink(spec.link, item.id, other.id)).then(loadReach).catch((e: unknown) => {
          box.checked = !box.checked;
          error.textContent = messageOf(e);
          error.hidden = false;
        }));
        return h("label", { class: "check", for: `share-${other.id}` }, box, other.name);
      });
      return h("fieldset", { role: "group", "aria-labelledby": legendId }, h("legend", { id: legendId }, spec.title), ...(boxes.length > 0 ? boxes : [h("p", { class: "muted" }, t("noItems"))]));
    }));
    await loadReach();
  })().catch((e: unknown) => {
    error.textContent = messageOf(e);
    error.hidden = false;
  });
}
