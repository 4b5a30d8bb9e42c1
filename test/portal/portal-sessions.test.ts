import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog } from "../helpers/billing-scenario.ts";
import { startJwksServer } from "../helpers/jwks-server.ts";
import { createPortalLink, openPortalLink } from "../helpers/portal-session.ts";

/**
 * Billing portal sessions over HTTP: the single-use link, the cookie session scoped to one organization and
 * role, CSRF protection of cookie-authenticated changes, expiry and sign-out.
 */
let app: TestApp;
let issuer: Awaited<ReturnType<typeof startJwksServer>>;
/** The service's clock, moved forward by the expiry tests. */
let offsetMs = 0;

beforeAll(async () => {
  issuer = await startJwksServer();
  app = await startTestApp({
    worker: false,
    clock: () => new Date(Date.now() + offsetMs),
    environment: {
      ABONO_JWT_JWKS_URL: issuer.jwksUrl,
      ABONO_JWT_ISSUER: issuer.issuer,
      ABONO_JWT_AUDIENCE: issuer.audience,
    },
  });
  await createBillingCatalog(app);
  for (const [id, owner] of [
    ["acme", "ana"],
    ["other", "otto"],
  ] as const) {
    const created = await app.request("POST", "/v1/organizations", {
      body: { id, name: id.toUpperCase(), currency: "USD", locale: "es", owner: { userId: owner } },
    });
    expect(created.status).toBe(201);
  }
});
afterAll(async () => {
  await app.close();
  await issuer.close();
});

const cookieRequest = (
  method: string,
  path: string,
  { cookie, csrfToken, body }: { cookie: string; csrfToken?: string; body?: unknown },
) =>
  app.request(method, path, {
    auth: null,
    headers: { cookie, ...(csrfToken ? { "x-csrf-token": csrfToken } : {}) },
    ...(body === undefined ? {} : { body }),
  });

describe("portal session links", () => {
  it("opens once into a cookie session of the organization, then refuses the same link with a clear page", async () => {
    const link = await createPortalLink(app, "acme", {
      flow: "payment_methods",
      returnUrl: "https://app.example.com/settings",
    });
    expect(link).toMatchObject({ role: "billing_admin" });
    expect(link.url).toMatch(new RegExp(`^${app.baseUrl}/portal/session/[A-Za-z0-9_-]{43}$`));
    expect(new Date(link.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(5 * 60_000 + 5_000);

    const opened = await openPortalLink(app, link.url);
    expect(opened.location).toBe("/portal/payment-methods");
    const first = await fetch(link.url, { redirect: "manual" }).catch(() => null);
    expect(first?.status).toBe(410);

    const session = await cookieRequest("GET", "/v1/portal-session", opened);
    expect(session.body).toMatchObject({
      organizationId: "acme",
      role: "billing_admin",
      flow: "payment_methods",
      returnUrl: "https://app.example.com/settings",
      organization: { name: "ACME", locale: "es", currency: "USD" },
    });
    const me = await cookieRequest("GET", "/v1/me", opened);
    expect(me.body).toMatchObject({
      kind: "portal_session",
      root: false,
      organizations: [{ organizationId: "acme", roles: ["billing_admin"] }],
    });
    // The organization's own routes work; another organization's do not.
    expect(
      (await cookieRequest("GET", "/v1/organizations/acme/payment-methods", opened)).status,
    ).toBe(200);
    expect((await cookieRequest("GET", "/v1/organizations/other", opened)).status).toBe(403);
  });

  it("answers a reused link with a page in the organization's language saying it was used", async () => {
    const link = await createPortalLink(app, "acme", { returnUrl: "https://app.example.com/" });
    await openPortalLink(app, link.url);
    const again = await fetch(link.url, { redirect: "manual" });
    expect(again.status).toBe(410);
    expect(again.headers.get("set-cookie")).toBeNull();
    const page = await again.text();
    expect(page).toContain('lang="es"');
    expect(page).toContain('data-problem="used"');
    expect(page).toContain("ya se usó");
    expect(page).toContain('href="https://app.example.com/"');
  });

  it("lets exactly one of several concurrent openings of a link win", async () => {
    const link = await createPortalLink(app, "acme");
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => fetch(link.url, { redirect: "manual" })),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([
      303, 410, 410, 410, 410, 410, 410, 410,
    ]);
  });

  it("refuses an unknown link, in the browser's language when nothing else is known", async () => {
    const response = await fetch(`${app.baseUrl}/portal/session/${"x".repeat(43)}`, {
      headers: { "accept-language": "en-US,en;q=0.9" },
    });
    expect(response.status).toBe(410);
    const page = await response.text();
    expect(page).toContain('data-problem="unknown"');
    expect(page).toContain("The link is not valid");
  });

  it("expires an unopened link after 5 minutes, and a session after an hour without use", async () => {
    const link = await createPortalLink(app, "acme", { locale: "en" });
    const early = await createPortalLink(app, "acme");
    const opened = await openPortalLink(app, early.url);
    offsetMs = 5 * 60_000 + 1_000;
    try {
      const late = await fetch(link.url, { redirect: "manual" });
      expect(late.status).toBe(410);
      expect(await late.text()).toContain('data-problem="expired"');
      // Used within the hour, the session renews itself.
      expect((await cookieRequest("GET", "/v1/portal-session", opened)).status).toBe(200);
      offsetMs += 59 * 60_000;
      expect((await cookieRequest("GET", "/v1/portal-session", opened)).status).toBe(200);
      offsetMs += 61 * 60_000;
      const expired = await cookieRequest("GET", "/v1/portal-session", opened);
      expect(expired.status).toBe(401);
      expect(expired.body.error.message).toMatch(/expired or was ended/);
    } finally {
      offsetMs = 0;
    }
  });

  it("ends a session on sign-out", async () => {
    const opened = await openPortalLink(app, (await createPortalLink(app, "acme")).url);
    const signOut = await cookieRequest("DELETE", "/v1/portal-session", opened);
    expect(signOut.status).toBe(200);
    expect(signOut.headers.get("set-cookie")).toMatch(/Max-Age=0/);
    expect((await cookieRequest("GET", "/v1/portal-session", opened)).status).toBe(401);
  });
});

describe("cookie-authenticated requests", () => {
  it("sets an httpOnly SameSite cookie", async () => {
    const link = await createPortalLink(app, "acme");
    const response = await fetch(link.url, { redirect: "manual" });
    const cookie = response.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(
      /^abono_portal=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=43200$/,
    );
  });

  it("refuses a change without the session's CSRF token, and makes it with the token", async () => {
    const opened = await openPortalLink(app, (await createPortalLink(app, "acme")).url);
    const body = { provider: "sandbox", token: "pm_sandbox_ok" };
    const path = "/v1/organizations/acme/payment-methods";
    const forged = await cookieRequest("POST", path, { cookie: opened.cookie, body });
    expect(forged.status).toBe(403);
    expect(forged.body.error.message).toMatch(/X-CSRF-Token/);
    const wrong = await cookieRequest("POST", path, { ...opened, csrfToken: "x".repeat(43), body });
    expect(wrong.status).toBe(403);
    expect((await cookieRequest("GET", path, opened)).body.data).toHaveLength(0);
    const made = await cookieRequest("POST", path, { ...opened, body });
    expect(made.status).toBe(201);
  });

  it("keeps a session to its organization's routes: no root routes, no new organizations, no new links", async () => {
    const opened = await openPortalLink(app, (await createPortalLink(app, "acme")).url);
    for (const [method, path, body] of [
      ["POST", "/v1/organizations", { name: "Mine" }],
      ["POST", "/v1/usage/batch", { events: [] }],
      ["POST", "/v1/organizations/acme/portal-sessions", {}],
      ["POST", "/v1/plans", { id: "x", name: "x", prices: [], features: {} }],
    ] as const) {
      const response = await cookieRequest(method, path, { ...opened, body });
      expect(response.status, `${method} ${path}`).toBe(403);
    }
    expect((await cookieRequest("GET", "/v1/audit-logs", opened)).status).toBe(403);
  });

  it("gives a member session read access only: no payment methods, no plan change", async () => {
    const link = await createPortalLink(app, "acme", { role: "member" });
    expect(link.role).toBe("member");
    const opened = await openPortalLink(app, link.url);
    expect((await cookieRequest("GET", "/v1/organizations/acme/entitlement", opened)).status).toBe(
      200,
    );
    expect(
      (await cookieRequest("GET", "/v1/organizations/acme/payment-methods", opened)).status,
    ).toBe(403);
    const change = await cookieRequest(
      "POST",
      "/v1/organizations/acme/subscription/preview-change",
      {
        ...opened,
        body: { planId: "plus", interval: "month" },
      },
    );
    expect(change.status).toBe(403);
  });

  it("prefers a bearer credential over the cookie", async () => {
    const opened = await openPortalLink(app, (await createPortalLink(app, "acme")).url);
    const me = await app.request("GET", "/v1/me", { headers: { cookie: opened.cookie } });
    expect(me.body.root).toBe(true);
  });
});

describe("who may open a portal session", () => {
  it("gives a JWT user's session their own role, never more", async () => {
    const ana = await issuer.sign({ sub: "ana" });
    const link = await createPortalLink(app, "acme", {}, ana);
    expect(link.role).toBe("owner");
    await app.request("PUT", "/v1/organizations/acme/members/mia", {
      body: { roles: ["member"] },
    });
    const mia = await issuer.sign({ sub: "mia" });
    const refused = await app.request("POST", "/v1/organizations/acme/portal-sessions", {
      auth: mia,
      body: {},
    });
    expect(refused.status).toBe(403);
    const otto = await issuer.sign({ sub: "otto" });
    const foreign = await app.request("POST", "/v1/organizations/acme/portal-sessions", {
      auth: otto,
      body: {},
    });
    expect(foreign.status).toBe(403);
  });

  it("lets an organization's API key open sessions for it, billing_admin by default", async () => {
    const key = await app.request("POST", "/v1/api-keys", {
      body: { scope: "organization", organizationId: "acme", name: "acme backend" },
    });
    const link = await createPortalLink(app, "acme", {}, key.body.secret);
    expect(link.role).toBe("billing_admin");
    const foreign = await app.request("POST", "/v1/organizations/other/portal-sessions", {
      auth: key.body.secret,
      body: {},
    });
    expect(foreign.status).toBe(403);
  });

  it("validates the body", async () => {
    const bad = await app.request("POST", "/v1/organizations/acme/portal-sessions", {
      body: { flow: "teleport", returnUrl: "javascript:alert(1)" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("validation_error");
    const missing = await app.request("POST", "/v1/organizations/nobody/portal-sessions", {
      body: {},
    });
    expect(missing.status).toBe(404);
  });
});
