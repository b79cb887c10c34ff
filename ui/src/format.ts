// Formatting of money, counts, dates and budgets for people, through `Intl` in the UI's
// language: `$12.40` in English, `US$ 12,40` in Brazilian Portuguese. Money arrives as integer
// micro-dollars and is never rounded before it is shown, except to the cent where a table says so.
import type { User } from "./ipc/bindings";
import { language, t } from "./i18n";

const MICROS = 1_000_000;

function money(micros: number, maxDecimals: number): string {
  return new Intl.NumberFormat(language(), {
    style: "currency",
    currency: "USD",
    minimumFractionDigits: 2,
    maximumFractionDigits: maxDecimals,
  }).format(micros / MICROS);
}

/** `$12.40` from micro-dollars: cents always shown, more decimals only when not zero. */
export function usd(micros: number): string {
  return money(micros, 6);
}

/** `$12.40` rounded to the cent, for tables (the export keeps every decimal). */
export function usdCents(micros: number): string {
  return money(Math.round(micros / 10_000) * 10_000, 2);
}

/** What the budget field of the Edit dialog shows: `50`, `12.40`, or empty for no limit. The
 * field takes a plain decimal with a dot, whatever the language. */
export function budgetInput(micros: number | null): string {
  if (micros === null || micros <= 0) return "";
  const whole = Math.floor(micros / MICROS);
  const frac = String(micros % MICROS).padStart(6, "0").replace(/0+$/, "");
  return frac === "" ? String(whole) : `${whole}.${frac.padEnd(2, "0")}`;
}

export type BudgetLevel = "none" | "ok" | "near" | "over";

/** Where usage stands: over the budget, at 80 % or more of it, within it, or no limit. */
export function budgetLevel(budget: number | null, usage: number): BudgetLevel {
  if (budget === null || budget <= 0) return "none";
  if (usage > budget) return "over";
  if (usage * 10 >= budget * 8) return "near";
  return "ok";
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
  return new Intl.DateTimeFormat(language(), { dateStyle: "medium", timeStyle: "short" }).format(new Date(ms));
}

/** A count with thousands separators in the person's language. */
export function count(n: number): string {
  return new Intl.NumberFormat(language()).format(n);
}
