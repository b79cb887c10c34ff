// Keyboard focus, as the WAI-ARIA patterns want it: what can take focus inside a container,
// and the first field a refusal marked invalid.
import { tick } from "svelte";

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** The elements inside `root` that Tab reaches, in order. */
export function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.closest("[hidden]") && !el.closest("[inert]"));
}

/** After the DOM shows the refusal, puts focus on the first field marked invalid in `root`. */
export async function focusFirstInvalid(root: HTMLElement | undefined): Promise<boolean> {
  await tick();
  const field = root?.querySelector<HTMLElement>('[aria-invalid="true"]');
  field?.focus();
  return field !== null && field !== undefined;
}
