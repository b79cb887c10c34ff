// The audit log: who changed what, before and after, newest first.
import type { AuditEntry } from "../ipc/bindings";
import type { Backend } from "../ipc/api";
import { busy, h, messageOf } from "../dom";
import { dateTime } from "../format";
import { t } from "../i18n";
import type { Screen } from "../main";

function change(e: AuditEntry): string {
  const show = (v: unknown): string => (v === null || v === undefined ? "" : JSON.stringify(v));
  if (e.before !== null && e.after !== null) return `${show(e.before)} → ${show(e.after)}`;
  return show(e.after ?? e.before);
}

export function auditScreen(backend: Backend): Screen {
  const alert = h("div", { role: "alert", class: "alert", hidden: true });
  const body = h("tbody", {});
  const more = h("button", {}, t("loadMore"));
  let oldest: number | null = null;
  const append = async (reset: boolean): Promise<void> => {
    try {
      const entries = await backend.audit(100, reset ? null : oldest);
      if (reset) body.replaceChildren();
      for (const e of entries) {
        body.append(h("tr", {}, h("td", {}, dateTime(e.at)), h("td", {}, e.actor), h("td", {}, e.action), h("td", {}, e.target), h("td", { class: "mono" }, change(e))));
      }
      oldest = entries.at(-1)?.id ?? oldest;
      more.hidden = entries.length < 100;
    } catch (e) {
      alert.textContent = messageOf(e);
      alert.hidden = false;
    }
  };
  more.addEventListener("click", () => void busy(more, () => append(false)));
  const table = h("table", { "aria-label": t("auditTable"), class: "audit" },
    h("thead", {}, h("tr", {}, ...[t("when"), t("who"), t("action"), t("target"), t("change")].map((c) => h("th", {}, c)))), body);
  const element = h("section", { class: "page" }, h("h1", {}, t("navAudit")), alert, table, more);
  return { element, shown: () => void append(true) };
}
