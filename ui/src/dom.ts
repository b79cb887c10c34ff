// A few DOM helpers: element creation, modal dialogs with focus handling, and messages.
import { t } from "./i18n";
import { BackendError } from "./ipc/api";

type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;
type Child = Node | string | null | undefined | false;


/** Creates an element: attributes (`on*` become listeners, booleans toggle), then children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") {
      el.addEventListener(k.slice(2).toLowerCase(), v);
    } else if (k === "class") {
      el.className = String(v);
    } else if (v === true) {
      el.setAttribute(k, "");
    } else {
      el.setAttribute(k, String(v));
    }
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return el;
}

/** A labelled form field; the returned `error` element shows that field's refusal inline. */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement, hint?: string): { row: HTMLElement; error: HTMLElement } {
  const id = `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  const error = h("p", { class: "field-error", role: "alert", id: `${id}-err` });
  input.setAttribute("aria-describedby", `${id}-err`);
  const row = h("div", { class: "field" }, h("label", { for: id }, label), input, hint ? h("p", { class: "hint" }, hint) : null, error);
  return { row, error };
}

export interface Dialog {
  root: HTMLDialogElement;
  body: HTMLElement;
  actions: HTMLElement;
  close(): void;
}

/** Opens a modal dialog named `title`. Escape and Cancel close it; focus returns where it was. */
export function openDialog(title: string, onClose?: () => void): Dialog {
  const previous = document.activeElement as HTMLElement | null;
  const titleId = `d-${Math.random().toString(36).slice(2, 9)}`;
  const body = h("div", { class: "dialog-body" });
  const actions = h("div", { class: "dialog-actions" });
  const root = h("dialog", { "aria-labelledby": titleId, class: "dialog" }, h("h2", { id: titleId }, title), body, actions);
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    root.close();
    root.remove();
    onClose?.();
    previous?.focus();
  };
  root.addEventListener("cancel", (e) => {
    e.preventDefault();
    close();
  });
  document.body.append(root);
  root.showModal();
  return { root, body, actions, close };
}

/** Shows a message that announces itself to screen readers and fades after a while. */
export function toast(message: string): void {
  const region = document.getElementById("toasts") ?? document.body.appendChild(h("div", { id: "toasts", role: "status", "aria-live": "polite" }));
  const note = h("div", { class: "toast" }, message);
  region.append(note);
  setTimeout(() => note.remove(), 6000);
}

/** The sentence to show for a failure. */
export function messageOf(e: unknown): string {
  if (e instanceof BackendError) return e.message;
  return t("unexpected", { message: e instanceof Error ? e.message : String(e) });
}

/** Shows a refusal in `where` (a role=alert element) and keeps it until the next action. */
export function showError(where: HTMLElement, e: unknown): void {
  where.textContent = messageOf(e);
  where.hidden = false;
}

/** Runs `action` with `button` disabled, so a slow save cannot be sent twice. */
export async function busy<T>(button: HTMLButtonElement, action: () => Promise<T>): Promise<T> {
  button.disabled = true;
  try {
    return await action();
  } finally {
    button.disabled = false;
  }
}
