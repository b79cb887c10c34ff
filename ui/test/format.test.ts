import { describe, expect, it } from "vitest";
import { budgetFill, budgetInput, budgetLevel, budgetText, count, phoneParts, seatLevel, usd, usdCents } from "../src/format";
import { setLanguage } from "../src/i18n";

describe("money", () => {
  it("prints micro-dollars as dollars without losing precision", () => {
    expect(usd(12_400_000)).toBe("$12.40");
    expect(usd(123)).toBe("$0.000123");
    expect(usd(1_234_567_890_000)).toBe("$1,234,567.89");
    expect(usd(-5_000_000)).toBe("-$5.00");
  });

  it("writes money and counts the way the language does", () => {
    setLanguage("pt-BR");
    expect(usd(1_234_567_890_000).replace(/\s/g, " ")).toBe("US$ 1.234.567,89");
    expect(count(1234567)).toBe("1.234.567");
    setLanguage("en");
    expect(count(1234567)).toBe("1,234,567");
  });

  it("rounds to the cent for the table", () => {
    expect(usdCents(9_526_000)).toBe("$9.53");
    expect(usdCents(9_524_999)).toBe("$9.52");
  });

  it("fills the budget field for editing", () => {
    expect(budgetInput(null)).toBe("");
    expect(budgetInput(50_000_000)).toBe("50");
    expect(budgetInput(12_400_000)).toBe("12.40");
    expect(budgetInput(1_500_000_000)).toBe("1500");
  });
});

describe("budget", () => {
  it("says where usage stands", () => {
    expect(budgetLevel(null, 5)).toBe("none");
    expect(budgetLevel(0, 5)).toBe("none");
    expect(budgetLevel(10_000_000, 5_000_000)).toBe("ok");
    expect(budgetLevel(10_000_000, 8_000_000)).toBe("near");
    expect(budgetLevel(10_000_000, 10_000_001)).toBe("over");
    expect(budgetFill(10_000_000, 25_000_000)).toBe(1);
  });

  it("reads like the spec: $12.40 / $50.00 or no limit", () => {
    setLanguage("en");
    expect(budgetText({ budget: 50_000_000, usage: 12_400_000 })).toBe("$12.40 / $50.00");
    expect(budgetText({ budget: null, usage: 12_400_000 })).toBe("$12.40 / no limit");
    setLanguage("pt-BR");
    expect(budgetText({ budget: null, usage: 0 }).replace(/\s/g, " ")).toBe("US$ 0,00 / sem limite");
    expect(budgetText({ budget: 50_000_000, usage: 12_400_000 }).replace(/\s/g, " ")).toBe("US$ 12,40 / US$ 50,00");
    setLanguage("en");
  });
});

describe("seats", () => {
  it("warns near full and says when none are left", () => {
    expect(seatLevel({ purchased: 100, assigned: 50, available: 50 })).toBe("ok");
    expect(seatLevel({ purchased: 100, assigned: 90, available: 10 })).toBe("near");
    expect(seatLevel({ purchased: 10, assigned: 7, available: 3 })).toBe("near");
    expect(seatLevel({ purchased: 10, assigned: 10, available: 0 })).toBe("out");
    expect(seatLevel({ purchased: 0, assigned: 0, available: 0 })).toBe("out");
  });
});

describe("phones", () => {
  it("splits the shown phone into its country code and national number for Edit", () => {
    expect(phoneParts("+5511987654321", "+55 11 98765-4321")).toEqual({ countryCode: "55", national: "11 98765-4321" });
    expect(phoneParts("+447911123456", "+44 7911 123456")).toEqual({ countryCode: "44", national: "7911 123456" });
    // Without the shown form the whole E.164 value goes in the number field, never beside an empty code alone.
    expect(phoneParts("+5511987654321", null)).toEqual({ countryCode: "", national: "+5511987654321" });
    expect(phoneParts(null, null)).toEqual({ countryCode: "", national: "" });
  });
});
