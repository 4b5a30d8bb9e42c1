import type { TestApp } from "./app.ts";

export interface OpenedPortal {
  /** The `Cookie` header value the browser would send. */
  cookie: string;
  csrfToken: string;
  /** Where the link redirected to. */
  location: string;
}

/** Creates a portal session link for an organization (as root unless `auth` is given); 201 or it throws. */
export async function createPortalLink(
  app: TestApp,
  organizationId: string,
  body: Record<string, unknown> = {},
  auth?: string,
): Promise<{ id: string; url: string; expiresAt: string; role: string }> {
  const created = await app.request("POST", `/v1/organizations/${organizationId}/portal-sessions`, {
    body,
    ...(auth === undefined ? {} : { auth }),
  });
  if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  return created.body;
}

/** Opens a link as a browser would (no redirect followed): the session cookie and its CSRF token. */
export async function openPortalLink(app: TestApp, url: string): Promise<OpenedPortal> {
  const response = await fetch(url, { redirect: "manual" });
  if (response.status !== 303) throw new Error(`link answered ${response.status}`);
  const setCookie = response.headers.get("set-cookie") ?? "";
  const cookie = setCookie.split(";")[0] ?? "";
  const session = await app.request("GET", "/v1/portal-session", {
    auth: null,
    headers: { cookie },
  });
  if (session.status !== 200) throw new Error(JSON.stringify(session.body));
  return {
    cookie,
    csrfToken: session.body.csrfToken,
    location: response.headers.get("location") ?? "",
  };
}
