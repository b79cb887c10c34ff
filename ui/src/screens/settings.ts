// Settings: where the data lives, theme (light, dark, system) and language.
import { h } from "../dom";
import { language, languages, setLanguage, t, type Language } from "../i18n";
import type { Screen } from "../main";

export type Theme = "system" | "light" | "dark";

export function savedTheme(): Theme {
  const v = localStorage.getItem("theme");
  return v === "light" || v === "dark" ? v : "system";
}

export function applyTheme(theme: Theme): void {
  const dark = theme === "dark" || (theme === "system" && window.matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.dataset["theme"] = dark ? "dark" : "light";
}

export function settingsScreen(dataPath: string, relaunch: () => void): Screen {
  const theme = h("select", { id: "theme" }, h("option", { value: "system" }, t("themeSystem")), h("option", { value: "light" }, t("themeLight")), h("option", { value: "dark" }, t("themeDark")));
  theme.value = savedTheme();
  theme.addEventListener("change", () => {
    localStorage.setItem("theme", theme.value);
    applyTheme(theme.value as Theme);
  });
  const lang = h("select", { id: "language" }, ...Object.entries(languages).map(([code, name]) => h("option", { value: code }, name)));
  lang.value = language();
  lang.addEventListener("change", () => {
    localStorage.setItem("language", lang.value);
    setLanguage(lang.value as Language);
    relaunch();
  });
  const element = h("section", { class: "page settings" },
    h("h1", {}, t("settingsTitle")),
    h("div", { class: "field" }, h("span", { class: "label", id: "data-label" }, t("dataLocation")), h("code", { "aria-labelledby": "data-label" }, dataPath)),
    h("div", { class: "field" }, h("label", { for: "theme" }, t("theme")), theme),
    h("div", { class: "field" }, h("label", { for: "language" }, t("language")), lang),
    h("h2", {}, t("shortcuts")),
    h("ul", {}, h("li", {}, t("shortcutSearch")), h("li", {}, t("shortcutCreate")), h("li", {}, t("shortcutDelete")), h("li", {}, t("shortcutClose"))));
  return { element };
}
