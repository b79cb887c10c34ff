// Short messages that confirm what just happened ("ana@acme.com deleted"), announced by the one
// polite live region (Toasts.svelte): at most three at once, each gone after a few seconds.
export interface Toast {
  id: number;
  text: string;
}

const SHOWN_MS = 6000;
const MAX = 3;
let next = 0;

export const toasts = $state<Toast[]>([]);

export function toast(text: string): void {
  next += 1;
  const id = next;
  toasts.push({ id, text });
  while (toasts.length > MAX) toasts.shift();
  setTimeout(() => dismiss(id), SHOWN_MS);
}

export function dismiss(id: number): void {
  const i = toasts.findIndex((t) => t.id === id);
  if (i >= 0) toasts.splice(i, 1);
}
