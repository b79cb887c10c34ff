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

/** A phone as the Edit dialog shows it: the country code and the national number as people
 * write them, from the table's `+55 11 98765-4321` (the Rust side formats it). Without that, the
 * E.164 value alone, whole in the number field (which reads its own `+55`), never an empty
 * country code beside a national number. */
export function phoneParts(e164: string | null, shown: string | null): { countryCode: string; national: string } {
  const m = shown === null ? null : /^\+(\d{1,3}) (.+)$/.exec(shown);
  if (m) return { countryCode: m[1]!, national: m[2]! };
  return { countryCode: "", national: e164 ?? "" };
}

export type SeatLevel = "ok" | "near" | "out";

/** How close the seat pool is to running out: none left, near full (3 or fewer left, or 90 %
 * assigned), or fine. */
export function seatLevel(seats: { purchased: number; assigned: number; available: number }): SeatLevel {
  if (seats.available <= 0) return "out";
  if (seats.available <= 3 || seats.assigned * 10 >= seats.purchased * 9) return "near";
  return "ok";
}
