// Directory: create, rename and delete groups, workspaces and agents.
import type { DirectoryKind } from "../ipc/bindings";
import type { Backend } from "../ipc/api";
import { busy, h, messageOf, openDialog } from "../dom";
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
        return h("li", {}, h("span", {}, item.name), rename, del);
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
