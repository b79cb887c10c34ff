// The person's preferences, kept in the web view's local storage: theme and language.
import { languages, type Language } from "../i18n";

export type Theme = "system" | "light" | "dark";

export function savedTheme(): Theme {
  const v = localStorage.getItem("theme");
  return v === "light" || v === "dark" ? v : "system";
}

export function applyTheme(theme: Theme): void {
  const dark = theme === "dark" || (theme === "system" && window.matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.dataset["theme"] = dark ? "dark" : "light";
}

export function saveTheme(theme: Theme): void {
  localStorage.setItem("theme", theme);
  applyTheme(theme);
}

export function savedLanguage(): Language {
  const l = localStorage.getItem("language");
  if (l !== null && l in languages) return l as Language;
  return navigator.language.startsWith("pt") ? "pt-BR" : "en";
}

export function saveLanguage(lang: Language): void {
  localStorage.setItem("language", lang);
}
