// Import: choose a file in the native dialog → preview (counts, rejected lines with line number
// and reason, duplicates, header warning; role and licenses for the new users) → confirm →
// progress → result, with "Save rejected lines…" through the native save dialog.
import type { ImportOptions, ImportReport, Role, Summary } from "../ipc/bindings";
import type { Backend } from "../ipc/api";
import { busy, h, messageOf, openDialog, toast } from "../dom";
import { count } from "../format";
import { t } from "../i18n";

const SHOWN_REJECTS = 200;

function rejectedTable(report: ImportReport): HTMLElement {
  const rows = report.errors.slice(0, SHOWN_REJECTS).map((e) =>
    h("tr", {}, h("td", {}, String(e.line)), h("td", { class: "mono" }, e.value), h("td", {}, e.reason)));
  return h("div", { class: "rejects" },
    h("table", { "aria-label": t("rejectedLines") },
      h("thead", {}, h("tr", {}, h("th", {}, t("line")), h("th", {}, t("value")), h("th", {}, t("reason")))),
      h("tbody", {}, ...rows)),
    report.errors.length > SHOWN_REJECTS ? h("p", { class: "muted" }, t("moreRejected", { count: report.errors.length - SHOWN_REJECTS })) : null);
}

function countsText(r: ImportReport): string {
  return t("previewCounts", { created: count(r.created), updated: count(r.updated), unchanged: count(r.unchanged), invalid: count(r.invalid), duplicates: count(r.duplicates_in_file) });
}

export function importDialog(backend: Backend, summary: Summary | null, done: () => void): void {
  let cancelled = false;
  const d = openDialog(t("importTitle"), () => {
    cancelled = true;
  });
  const error = h("p", { role: "alert", class: "form-error", hidden: true });
  const stage = h("div", { class: "stage" });
  const progress = h("progress", { "aria-label": t("importProgress"), max: 1, value: 0, hidden: true });
  d.body.append(h("p", {}, t("importIntro")), stage, progress, error);
  const fail = (e: unknown): void => {
    error.textContent = messageOf(e);
    error.hidden = false;
  };
  const onProgress = (p: { done: number; total: number }): void => {
    progress.hidden = false;
    progress.max = Math.max(1, p.total);
    progress.value = p.done;
  };

  const choose = h("button", { class: "primary" }, t("chooseFile"));
  const cancel = h("button", {}, t("cancel"));
  cancel.addEventListener("click", d.close);
  d.actions.append(cancel, choose);

  const role = h("select", { id: "import-role" }, ...(["user", "collaborator", "administrator"] as Role[]).map((r) => h("option", { value: r }, t(`role_${r}`))));
  const licensed = h("input", { type: "checkbox", id: "import-licensed" });
  const options = (): ImportOptions => ({ role: role.value as Role, licensed: licensed.checked });

  const showPreview = (report: ImportReport): void => {
    const seatsLine = h("p", { class: "muted" });
    const updateSeats = (): void => {
      seatsLine.textContent = licensed.checked ? t("seatsNeeded", { needed: count(report.created), available: count(summary?.seats.available ?? report.seats_available) }) : "";
    };
    licensed.addEventListener("change", updateSeats);
    updateSeats();
    stage.replaceChildren(
      h("p", { class: "counts" }, countsText(report)),
      h("p", { class: "muted" }, t("fileFormat", { encoding: report.encoding, delimiter: report.delimiter })),
      ...report.warnings.map((w) => h("p", { class: "warning", role: "note" }, `${t("line")} ${w.line}: ${w.reason}`)),
      ...(report.errors.length > 0 ? [rejectedTable(report)] : []),
      h("div", { class: "field" }, h("label", { for: "import-role" }, t("roleForNew")), role),
      h("label", { class: "check", for: "import-licensed" }, licensed, t("licenseNew")),
      seatsLine,
    );
    const confirm = h("button", { class: "primary" }, t("importConfirm"));
    confirm.addEventListener("click", () => void commit(confirm));
    d.actions.replaceChildren(cancel, confirm);
  };

  const commit = async (confirm: HTMLButtonElement): Promise<void> => {
    error.hidden = true;
    const stop = h("button", {}, t("cancelImport"));
    stop.addEventListener("click", () => void backend.cancelImport());
    d.actions.replaceChildren(stop, confirm);
    await busy(confirm, async () => {
      try {
        const report = await backend.importCommit(options(), onProgress);
        progress.value = progress.max;
        showResult(report);
        done();
      } catch (e) {
        fail(e);
        d.actions.replaceChildren(cancel, confirm);
      }
    });
  };

  const showResult = (report: ImportReport): void => {
    stage.replaceChildren(h("p", { class: "counts", role: "status" }, t("importDone", { created: count(report.created), updated: count(report.updated) })),
      h("p", {}, countsText(report)), ...(report.errors.length > 0 ? [rejectedTable(report)] : []));
    const finish = h("button", { class: "primary" }, t("done"));
    finish.addEventListener("click", d.close);
    const buttons: HTMLElement[] = [];
    if (report.errors.length > 0) {
      const save = h("button", {}, t("saveRejected"));
      save.addEventListener("click", () => void busy(save, async () => {
        try {
          const file = await backend.saveRejected(report.errors);
          if (file !== null) toast(t("savedTo", { file }));
        } catch (e) {
          fail(e);
        }
      }));
      buttons.push(save);
    }
    d.actions.replaceChildren(...buttons, finish);
    finish.focus();
  };

  choose.addEventListener("click", () => void busy(choose, async () => {
    error.hidden = true;
    try {
      const file = await backend.chooseImportFile();
      if (file === null || cancelled) return;
      stage.replaceChildren(h("p", { role: "status" }, t("checking", { name: file.name })));
      const report = await backend.importPreview(options(), onProgress);
      progress.hidden = true;
      if (!cancelled) showPreview(report);
    } catch (e) {
      fail(e);
    }
  }));
  choose.focus();
}
