import { AbonoError } from "@abono/client";
import { createContext, type ReactNode, useContext } from "react";
import { api, setBearerToken, setCsrfToken, unwrap } from "./api/client.ts";
import { isLocale } from "./i18n/i18n.tsx";
import type { Locale } from "./i18n/messages.ts";

/** Who is using the portal, for which organization, and what they may do. */
export interface Portal {
  organizationId: string;
  organizationName: string;
  /** The locale the organization or the session asks for (the switch may override it). */
  locale: Locale;
  currency: string | null;
  /** Owners and billing admins pay and change; members only look. */
  canPay: boolean;
  returnUrl: string | null;
  /** A portal session cookie (sign-out ends it) or a host product's JWT. */
  mode: "session" | "jwt";
}

const PortalContext = createContext<Portal | null>(null);

export function PortalProvider({ portal, children }: { portal: Portal; children: ReactNode }) {
  return <PortalContext.Provider value={portal}>{children}</PortalContext.Provider>;
}

export function usePortal(): Portal {
  const portal = useContext(PortalContext);
  if (!portal) throw new Error("usePortal outside PortalProvider");
  return portal;
}

/**
 * How the portal was opened (docs/portal.md): a host product's JWT in the URL fragment
 * (`#access_token=…`, with `?org=`), taken out of the address bar at once; otherwise the session cookie a
 * portal link set. Null when neither is there (or the session ended).
 */
export async function loadPortal(): Promise<Portal | null> {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const token = fragment.get("access_token");
  const query = new URLSearchParams(window.location.search);
  if (token) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    setBearerToken(token);
    const organizationId = query.get("org");
    if (!organizationId) return null;
    try {
      const [me, organization] = await Promise.all([
        unwrap(api.GET("/v1/me")),
        unwrap(
          api.GET("/v1/organizations/{orgId}", { params: { path: { orgId: organizationId } } }),
        ),
      ]);
      const roles = me.organizations.find(
        (entry) => entry.organizationId === organizationId,
      )?.roles;
      return {
        organizationId,
        organizationName: organization.name,
        locale: organization.locale,
        currency: organization.currency,
        canPay:
          me.root || roles?.some((role) => role === "owner" || role === "billing_admin") === true,
        returnUrl: query.get("return"),
        mode: "jwt",
      };
    } catch (error) {
      if (error instanceof AbonoError && (error.status === 401 || error.status === 403))
        return null;
      throw error;
    }
  }
  try {
    const session = await unwrap(api.GET("/v1/portal-session"));
    setCsrfToken(session.csrfToken);
    return {
      organizationId: session.organizationId,
      organizationName: session.organization.name,
      locale: isLocale(session.locale) ? session.locale : session.organization.locale,
      currency: session.organization.currency,
      canPay: session.role !== "member",
      returnUrl: session.returnUrl,
      mode: "session",
    };
  } catch (error) {
    if (error instanceof AbonoError && (error.status === 401 || error.status === 404)) return null;
    throw error;
  }
}
