import { describe, expect, it } from "vitest";
import { catalogFor, languages, setLanguage, t, type Language, type Text } from "../src/i18n";
import { BackendError } from "../src/ipc/api";
import { REASON_SAMPLES, type ErrorCode, type Reason } from "../src/ipc/bindings";
import { errorText, reasonText } from "../src/lib/errors";

const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
const forms = (text: Text): string[] => (typeof text === "string" ? [text] : [text.one, text.other]);

describe("the string catalog", () => {
  it("has every key, non-empty, plural where English is, with the same placeholders in every language", () => {
    // A language may need plural forms where English does not (never the other way round).
    const en = catalogFor("en");
    for (const lang of Object.keys(languages) as Language[]) {
      const other = catalogFor(lang);
      for (const [key, text] of Object.entries(en)) {
        const translated = other[key as keyof typeof en]!;
        expect(translated, `${lang}.${key}`).toBeTruthy();
        if (typeof text !== "string") expect(typeof translated, `${lang}.${key} is plural where English is`).toBe("object");
        for (const form of forms(translated)) {
          expect(form, `${lang}.${key}`).toBeTruthy();
          expect(placeholders(form), `${lang}.${key}`).toEqual(placeholders(forms(text)[0]!));
        }
      }
    }
  });

  it("fills placeholders and switches language", () => {
    setLanguage("en");
    expect(t("seatsAssigned", { assigned: 3, purchased: 10 })).toBe("3 of 10 seats assigned");
    setLanguage("pt-BR");
    expect(t("seatsAssigned", { assigned: 3, purchased: 10 })).toBe("3 de 10 licenças atribuídas");
    expect(document.documentElement.lang).toBe("pt-BR");
    setLanguage("en");
  });

  it("says one user, two users, and writes large counts the language's way", () => {
    setLanguage("en");
    expect(t("shownOf", { count: 1 })).toBe("1 user");
    expect(t("shownOf", { count: 0 })).toBe("0 users");
    expect(t("shownOf", { count: 1234567 })).toBe("1,234,567 users");
    expect(t("exported", { count: 1, file: "a.csv" })).toBe("Exported 1 user to a.csv.");
    setLanguage("pt-BR");
    expect(t("shownOf", { count: 1 })).toBe("1 usuário");
    expect(t("shownOf", { count: 1234567 })).toBe("1.234.567 usuários");
    expect(t("deletedUsers", { count: 2 })).toBe("2 excluídos. Veja em Excluídos recentemente.");
    setLanguage("en");
  });
});

describe("refusals from the Rust side", () => {
  it("render from the UI's catalogue in every language, every parameter filled, for every reason the Rust side can send", () => {
    for (const lang of Object.keys(languages) as Language[]) {
      setLanguage(lang);
      for (const reason of REASON_SAMPLES) {
        const text = reasonText(reason);
        expect(text, `${lang}: ${reason.key}`).not.toMatch(/\{\w+\}/);
        expect(text, `${lang}: ${reason.key}`).not.toContain("err_");
        expect(text.length, `${lang}: ${reason.key}`).toBeGreaterThan(10);
      }
    }
    setLanguage("en");
  });

  it("reads in Portuguese inside a Portuguese screen, with numbers the Brazilian way", () => {
    const seats = REASON_SAMPLES.find((r) => r.key === "all_seats_assigned")!;
    setLanguage("en");
    const english = errorText(new BackendError("no_seat_available", "No license seat available", undefined, { ...seats, purchased: 1200, count: 1 } as Reason));
    expect(english).toContain("all 1,200 seats are assigned");
    setLanguage("pt-BR");
    const portuguese = errorText(new BackendError("no_seat_available", "No license seat available", undefined, { ...seats, purchased: 1200, count: 1 } as Reason));
    expect(portuguese).toContain("1.200");
    expect(portuguese).not.toContain("No license seat");
    setLanguage("en");
  });

  it("says something for every error code, also without a reason", () => {
    const codes: Record<ErrorCode, true> = {
      permission_denied: true, invalid_input: true, not_found: true, already_exists: true, no_seat_available: true,
      last_administrator: true, stale_version: true, not_initialized: true, cancelled: true, internal: true,
      unavailable: true, insufficient_storage: true, sign_in_required: true, unreachable: true,
    };
    for (const lang of Object.keys(languages) as Language[]) {
      setLanguage(lang);
      for (const code of Object.keys(codes) as ErrorCode[]) {
        const text = errorText(new BackendError(code, "detail", undefined, undefined));
        expect(text, `${lang}: ${code}`).not.toMatch(/^code_|\{\w+\}/);
      }
    }
    setLanguage("en");
  });
});
