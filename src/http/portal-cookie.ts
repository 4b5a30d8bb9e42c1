import type { PortalConfig } from "../config.ts";
import { portalSessionMaxMs } from "../portal/portal-sessions.ts";

/**
 * The billing portal's session cookie (docs/portal.md): httpOnly, SameSite as configured, `Secure` (and
 * then named with the `__Host-` prefix, which pins it to this host and path `/`) when served over https.
 */
export const portalCookieName = (config: PortalConfig) =>
  config.secureCookie ? "__Host-abono_portal" : "abono_portal";

/** The portal session token in a `Cookie` header, if any. */
export const readPortalCookie = (config: PortalConfig, header: string | undefined) =>
  readSessionCookie(portalCookieName(config), header);

/** A session token (portal or backoffice) named `name` in a `Cookie` header, if any. */
export function readSessionCookie(name: string, header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const separator = part.indexOf("=");
    if (separator < 0 || part.slice(0, separator).trim() !== name) continue;
    const value = part.slice(separator + 1).trim();
    return /^[A-Za-z0-9_-]{20,100}$/.test(value) ? value : null;
  }
  return null;
}

const sameSite = { lax: "Lax", strict: "Strict", none: "None" } as const;

/** `Set-Cookie` for a session token, or (`null`) clearing the cookie. */
export function portalCookieHeader(config: PortalConfig, token: string | null): string {
  return [
    `${portalCookieName(config)}=${token ?? ""}`,
    "Path=/",
    "HttpOnly",
    `SameSite=${sameSite[config.cookieSameSite]}`,
    ...(config.secureCookie ? ["Secure"] : []),
    `Max-Age=${token === null ? 0 : Math.floor(portalSessionMaxMs / 1000)}`,
  ].join("; ");
}
