// Formatting of money, time and budgets for people. Money arrives as integer micro-dollars.
import type { User } from "./ipc/bindings";
import { language, t } from "./i18n";

const MICROS = 1_000_000;

/** `$12.40` from micro-dollars: cents always shown, more decimals only when not zero. */
export function usd(micros: number): string {
  const sign = micros < 0 ? "-" : "";
  const abs = Math.abs(micros);
  const whole = Math.floor(abs / MICROS);
  let frac = String(abs % MICROS).padStart(6, "0");
  while (frac.length > 2 && frac.endsWith("0")) frac = frac.slice(0, -1);
  return `${sign}$${whole.toLocaleString("en-US")}.${frac}`;
}

/** What the budget field of the Edit dialog shows: `50`, `12.4`, or empty for no limit. */
export function budgetInput(micros: number | null): string {
  if (micros === null || micros <= 0) return "";
  return usd(micros).replace("$", "").replace(/,/g, "").replace(/\.00$/, "");
}

export type BudgetLevel = "none" | "ok" | "near" | "over";

/** Where usage stands: over the budget, at 80 % or more of it, within it, or no limit. */
export function budgetLevel(budget: number | null, usage: number): BudgetLevel {
  if (budget === null || budget <= 0) return "none";
  if (usage > budget) return "over";
  if (usage * 10 >= budget * 8) return "near";
  return "ok";
}

/** `$12.40` rounded to the cent, for tables (the export keeps every decimal). */
export function usdCents(micros: number): string {
  return usd(Math.round(micros / 10_000) * 10_000);
}

/** `$12.40 / $50.00`, or `$12.40 / no limit`. */
export function budgetText(user: Pick<User, "budget" | "usage">): string {
  const limit = user.budget === null ? t("noLimit") : usdCents(user.budget);
  return `${usdCents(user.usage)} / ${limit}`;
}

/** Fill of the usage bar, 0 to 1. */
export function budgetFill(budget: number | null, usage: number): number {
  if (budget === null || budget <= 0) return 0;
  return Math.min(1, usage / budget);
}

/** A date and time in the person's language. */
export function dateTime(ms: number): string {
  return new Date(ms).toLocaleString(language(), { dateStyle: "medium", timeStyle: "short" });
}

/** A count with thousands separators in the person's language. */
export function count(n: number): string {
  return n.toLocaleString(language());
}

/** `+55 11987654321` from E.164, splitting the country code the backend gave. */
export function phoneText(e164: string | null): string {
  return e164 ?? "";
}
