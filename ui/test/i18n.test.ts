import { describe, expect, it } from "vitest";
import { catalogFor, languages, setLanguage, t, type Language, type Text } from "../src/i18n";

const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
const forms = (text: Text): string[] => (typeof text === "string" ? [text] : [text.one, text.other]);

describe("the string catalog", () => {
  it("has every key, non-empty, plural where English is, with the same placeholders in every language", () => {
    const en = catalogFor("en");
    for (const lang of Object.keys(languages) as Language[]) {
      const other = catalogFor(lang);
      for (const [key, text] of Object.entries(en)) {
        const translated = other[key as keyof typeof en];
        expect(translated, `${lang}.${key}`).toBeTruthy();
        expect(typeof translated, `${lang}.${key} is plural in every language or in none`).toBe(typeof text);
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
