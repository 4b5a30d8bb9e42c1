import { AbonoError } from "@abono/client";
import type { I18n } from "../i18n/i18n.tsx";

/**
 * An API error in the customer's words and language: the code decides the sentence; the API's own message
 * (English, for developers) is only quoted where it names what to fix (a field, a state).
 */
export function errorText(error: unknown, { t }: Pick<I18n, "t">): string {
  if (!(error instanceof AbonoError)) return t("error.generic");
  switch (error.code) {
    case "payment_failed":
      return error.details?.reason === "no_payment_method"
        ? t("error.no_payment_method")
        : t("error.payment_failed");
    case "network_error":
    case "timeout":
      return t("error.network");
    case "forbidden":
      return t("error.forbidden");
    case "unauthenticated":
      return t("error.unauthenticated");
    case "not_found":
      return t("error.not_found");
    case "conflict":
    case "idempotency_key_reused":
      return t("error.conflict");
    case "provider_error":
      return t("error.provider_error");
    case "invalid_state":
      return t("error.invalid_state", { message: error.message });
    case "validation_error":
      return t("error.validation_error", { message: error.message });
    default:
      return t("error.generic");
  }
}
