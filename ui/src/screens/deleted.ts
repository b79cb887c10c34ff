// Recently deleted: users deleted in the last 30 days, each with Restore (the license does not
// come back).
import type { Backend } from "../ipc/api";
import { busy, h, messageOf, toast } from "../dom";
import { dateTime } from "../format";
import { t } from "../i18n";
import type { Screen } from "../main";

export function deletedScreen(backend: Backend): Screen {
  const alert = h("div", { role: "alert", class: "alert", hidden: true });
  const body = h("div", { role: "rowgroup" });
  const table = h("div", { role: "table", "aria-label": t("deletedTable"), class: "simple-table" },
    h("div", { role: "rowgroup" }, h("div", { role: "row", class: "row header" },
      h("div", { role: "columnheader", class: "cell" }, t("colEmail")),
      h("div", { role: "columnheader", class: "cell" }, t("colRole")),
      h("div", { role: "columnheader", class: "cell" }, t("deletedAt")),
      h("div", { role: "columnheader", class: "cell" }, t("colActions")))),
    body);
  const empty = h("p", { class: "muted", hidden: true }, t("nothingDeleted"));
  const load = async (): Promise<void> => {
    try {
      const list = await backend.deletedUsers();
      empty.hidden = list.length > 0;
      body.replaceChildren(...list.map(({ user, deleted_at }) => {
        const restore = h("button", { "aria-label": t("restore", { email: user.email }) }, t("restoreLabel"));
        restore.addEventListener("click", () => void busy(restore, async () => {
          try {
            await backend.restoreUser(user.id);
            toast(t("restored", { email: user.email }));
            await load();
          } catch (e) {
            alert.textContent = messageOf(e);
            alert.hidden = false;
          }
        }));
        return h("div", { role: "row", class: "row", "aria-label": user.email },
          h("div", { role: "cell", class: "cell" }, user.email),
          h("div", { role: "cell", class: "cell" }, t(`role_${user.role}`)),
          h("div", { role: "cell", class: "cell" }, dateTime(deleted_at)),
          h("div", { role: "cell", class: "cell" }, restore));
      }));
    } catch (e) {
      alert.textContent = messageOf(e);
      alert.hidden = false;
    }
  };
  const element = h("section", { class: "page", "aria-labelledby": "deleted-title" }, h("h1", { id: "deleted-title" }, t("navDeleted")), alert, table, empty);
  return { element, shown: () => void load() };
}
