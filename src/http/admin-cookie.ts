import { operatorSessionMaxMs } from "../admin/operator-sessions.ts";
import type { PortalConfig } from "../config.ts";
import { readSessionCookie } from "./portal-cookie.ts";

/**
 * The backoffice's session cookie (docs/backoffice.md): httpOnly, always SameSite=Strict (the backoffice is
 * never framed or linked into from another site), `Secure` and `__Host-` prefixed when served over https.
 */
export const adminCookieName = (config: PortalConfig) =>
  config.secureCookie ? "__Host-abono_admin" : "abono_admin";

/** The backoffice session token in a `Cookie` header, if any. */
export const readAdminCookie = (config: PortalConfig, header: string | undefined) =>
  readSessionCookie(adminCookieName(config), header);

/** `Set-Cookie` for a backoffice session token, or (`null`) clearing the cookie. */
export function adminCookieHeader(config: PortalConfig, token: string | null): string {
  return [
    `${adminCookieName(config)}=${token ?? ""}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Strict",
    ...(config.secureCookie ? ["Secure"] : []),
    `Max-Age=${token === null ? 0 : Math.floor(operatorSessionMaxMs / 1000)}`,
  ].join("; ");
}
