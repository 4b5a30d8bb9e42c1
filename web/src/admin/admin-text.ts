import { AbonoError } from "@abono/client";
import { useI18n } from "../i18n/i18n.tsx";
import { type AdminMessageKey, adminCatalogs } from "./admin-messages.ts";

export type AdminText = ReturnType<typeof useAdminText>;

/** The backoffice's texts in the chosen language, with the portal's money and date formatting. */
export function useAdminText() {
  const i18n = useI18n();
  const messages = adminCatalogs[i18n.locale];
  const t = (key: AdminMessageKey, values: Record<string, string | number> = {}) =>
    messages[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
      name in values ? String(values[name]) : whole,
    );
  /** An API error for an operator: the API's own message is precise and meant for them. */
  const errorOf = (error: unknown) => {
    if (!(error instanceof AbonoError)) return t("error.generic");
    if (error.code === "network_error" || error.code === "timeout") return t("error.network");
    return `${error.message} (${error.code})`;
  };
  const dateTime = (value: string) =>
    new Date(value).toISOString().replace("T", " ").slice(0, 19).concat(" UTC");
  return { ...i18n, t, errorOf, dateTime };
}
