import { AbonoProvider } from "@abono/react";
import type { ReactNode } from "react";
import { abono } from "./api/client.ts";
import { useI18n } from "./i18n/i18n.tsx";

/**
 * `@abono/react`'s provider for the portal's screens: the portal's client (its session or JWT), the
 * organization and the language the customer chose. The components take their colors from the portal's
 * (styles.css maps --abono-* onto them).
 */
export function PortalAbonoProvider({
  organizationId = null,
  children,
}: {
  organizationId?: string | null;
  children: ReactNode;
}) {
  const { locale } = useI18n();
  return (
    <AbonoProvider client={abono} organizationId={organizationId} locale={locale}>
      {children}
    </AbonoProvider>
  );
}
