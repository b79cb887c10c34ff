// The count line above the users grid: "1 user", "1,234 users", or "10,000+ users" when the
// store stopped counting.
import { count } from "../format";
import { t } from "../i18n";

export function countText(total: number, capped: boolean): string {
  return capped ? t("shownOfCapped", { total: count(total) }) : t("shownOf", { count: total });
}
