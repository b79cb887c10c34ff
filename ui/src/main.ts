// Boot: apply the saved theme and language, ask the backend whether an organization exists, and
// show either the first-run screen or the app shell with its navigation.
import { h } from "./dom";
import { setLanguage, t, type Language, languages } from "./i18n";
import { localBackend, type Backend } from "./ipc/api";
import { firstRun } from "./screens/first-run";
import { usersScreen } from "./screens/users";
import { deletedScreen } from "./screens/deleted";
import { directoryScreen } from "./screens/directory";
import { auditScreen } from "./screens/audit";
import { settingsScreen, applyTheme, savedTheme } from "./screens/settings";

export interface Screen {
  element: HTMLElement;
  /** Called when the screen is shown again. */
  shown?(): void;
  /** Keyboard shortcuts of this screen; returns true when handled. */
  key?(e: KeyboardEvent): boolean;
}

type ScreenName = "users" | "deleted" | "directory" | "audit" | "settings";

function savedLanguage(): Language {
  const l = localStorage.getItem("language");
  return l !== null && l in languages ? (l as Language) : navigator.language.startsWith("pt") ? "pt-BR" : "en";
}

async function boot(backend: Backend): Promise<void> {
  setLanguage(savedLanguage());
  applyTheme(savedTheme());
  const root = document.getElementById("app")!;
  const info = await backend.appState();
  if (info.org === null) {
    root.replaceChildren(firstRun(backend, () => void boot(backend)));
    return;
  }
  const screens = new Map<ScreenName, Screen>();
  const make = (name: ScreenName): Screen => {
    switch (name) {
      case "users":
        return usersScreen(backend);
      case "deleted":
        return deletedScreen(backend);
      case "directory":
        return directoryScreen(backend);
      case "audit":
        return auditScreen(backend);
      case "settings":
        return settingsScreen(info.data_path, () => void boot(backend));
    }
  };
  const main = h("main", { class: "content" });
  let current: ScreenName = "users";
  const labels: Record<ScreenName, string> = {
    users: t("navUsers"),
    deleted: t("navDeleted"),
    directory: t("navDirectory"),
    audit: t("navAudit"),
    settings: t("navSettings"),
  };
  const buttons = new Map<ScreenName, HTMLButtonElement>();
  const show = (name: ScreenName): void => {
    current = name;
    let screen = screens.get(name);
    if (!screen) {
      screen = make(name);
      screens.set(name, screen);
    }
    main.replaceChildren(screen.element);
    screen.shown?.();
    for (const [n, b] of buttons) b.setAttribute("aria-current", n === name ? "page" : "false");
  };
  const nav = h("nav", { "aria-label": t("navMain"), class: "nav" }, h("div", { class: "brand" }, info.org.name));
  for (const name of Object.keys(labels) as ScreenName[]) {
    const b = h("button", { class: "nav-item" }, labels[name]);
    b.addEventListener("click", () => show(name));
    buttons.set(name, b);
    nav.append(b);
  }
  root.replaceChildren(h("div", { class: "shell" }, nav, main));
  show("users");
  document.onkeydown = (e: KeyboardEvent) => {
    if (document.querySelector("dialog[open]")) return;
    if (screens.get(current)?.key?.(e)) e.preventDefault();
  };
}

void boot(localBackend).catch((e: unknown) => {
  document.getElementById("app")!.replaceChildren(h("p", { role: "alert" }, t("unexpected", { message: e instanceof Error ? e.message : String(e) })));
});
