// Export: whole list or current view, to a file chosen in the native save dialog, with progress
// and "Show in folder".
import type { ExportScope, UserQuery } from "../ipc/bindings";
import type { Backend } from "../ipc/api";
import { busy, h, messageOf, openDialog } from "../dom";
import { t } from "../i18n";

export function exportDialog(backend: Backend, view: UserQuery): void {
  const d = openDialog(t("exportTitle"));
  const whole = h("input", { type: "radio", name: "scope", id: "scope-all", checked: true });
  const current = h("input", { type: "radio", name: "scope", id: "scope-view" });
  const progress = h("progress", { "aria-label": t("exportProgress"), max: 1, value: 0, hidden: true });
  const status = h("p", { role: "status" });
  const error = h("p", { role: "alert", class: "form-error", hidden: true });
  d.body.append(
    h("div", { role: "radiogroup", class: "scopes" },
      h("label", { class: "check", for: "scope-all" }, whole, t("wholeList")),
      h("label", { class: "check", for: "scope-view" }, current, t("currentView"))),
    progress, status, error);
  const go = h("button", { class: "primary" }, t("exportButton"));
  const close = h("button", {}, t("close"));
  close.addEventListener("click", d.close);
  d.actions.append(close, go);
  go.addEventListener("click", () => void busy(go, async () => {
    error.hidden = true;
    const scope: ExportScope = current.checked ? { scope: "view", query: { ...view, offset: 0, limit: 100 } } : { scope: "all" };
    try {
      const result = await backend.exportUsers(scope, (p) => {
        progress.hidden = false;
        progress.max = Math.max(1, p.total);
        progress.value = p.done;
      });
      if (result === null) return;
      progress.value = progress.max;
      status.textContent = t("exported", { count: result.rows, file: result.file });
      const reveal = h("button", {}, t("showInFolder"));
      reveal.addEventListener("click", () => void backend.revealExport().catch((e: unknown) => {
        error.textContent = messageOf(e);
        error.hidden = false;
      }));
      d.actions.replaceChildren(reveal, close);
      close.focus();
    } catch (e) {
      error.textContent = messageOf(e);
      error.hidden = false;
    }
  }));
  go.focus();
}
