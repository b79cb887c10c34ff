// First run: name the organization, its owner (the first Administrator) and the seats bought.
import { busy, field, h, showError } from "../dom";
import { t } from "../i18n";
import { BackendError, type Backend } from "../ipc/api";

export function firstRun(backend: Backend, done: () => void): HTMLElement {
  const name = h("input", { type: "text", autocomplete: "organization", required: true });
  const owner = h("input", { type: "email", autocomplete: "email", required: true });
  const seats = h("input", { type: "number", min: 0, step: 1, value: 10 });
  const fields = { name: field(t("orgName"), name), owner: field(t("ownerEmail"), owner, t("ownerHint")), seats: field(t("seats"), seats, t("seatsHint")) };
  const general = h("p", { role: "alert", class: "form-error", hidden: true });
  const submit = h("button", { type: "submit", class: "primary" }, t("createOrg"));
  const form = h("form", { class: "card setup", "aria-labelledby": "setup-title" },
    h("h1", { id: "setup-title" }, t("setupTitle")),
    h("p", {}, t("setupIntro")),
    fields.name.row, fields.owner.row, fields.seats.row, general, submit);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    for (const f of Object.values(fields)) f.error.textContent = "";
    general.hidden = true;
    void busy(submit, async () => {
      try {
        await backend.createOrg(name.value, owner.value, Number(seats.value || 0));
        done();
      } catch (err) {
        const target = err instanceof BackendError && err.field ? fields[err.field as keyof typeof fields] : undefined;
        if (target) target.error.textContent = err instanceof Error ? err.message : String(err);
        else showError(general, err);
      }
    });
  });
  queueMicrotask(() => name.focus());
  return h("div", { class: "centered" }, form);
}
