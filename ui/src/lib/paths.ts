// How a user reaches an agent, in the person's language: `group Sales → workspace EMEA`.
import type { AccessPath } from "../ipc/bindings";
import { t } from "../i18n";

export function describePath(p: AccessPath): string {
  switch (p.via) {
    case "role":
      return t(`role_${p.role}`);
    case "direct":
      return t("sharedDirectly");
    case "group":
      return `${t("kind_group")} ${p.group.name}`;
    case "workspace":
      return `${t("kind_workspace")} ${p.workspace.name}`;
    case "group_workspace":
      return `${t("kind_group")} ${p.group.name} → ${t("kind_workspace")} ${p.workspace.name}`;
  }
}
