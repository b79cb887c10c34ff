import { describe, expect, it } from "vitest";
import { catalogFor, languages, setLanguage, t, type Language } from "../src/i18n";

const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();

describe("the string catalog", () => {
  it("has every key, non-empty, with the same placeholders in every language", () => {
    const en = catalogFor("en");
    for (const lang of Object.keys(languages) as Language[]) {
      const other = catalogFor(lang);
      for (const [key, text] of Object.entries(en)) {
        const translated = other[key as keyof typeof en];
        expect(translated, `${lang}.${key}`).toBeTruthy();
        expect(placeholders(translated), `${lang}.${key}`).toEqual(placeholders(text));
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
});
