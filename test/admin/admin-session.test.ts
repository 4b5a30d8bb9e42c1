import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../helpers/app.ts";
import { startJwtTestApp, type TestIssuer } from "../helpers/jwt-app.ts";
import { createPortalLink, openPortalLink } from "../helpers/portal-session.ts";

/** Backoffice sign-in (docs/backoffice.md): a root credential → an httpOnly SameSite=Strict cookie session. */
let app: TestApp;
let issuer: TestIssuer;
beforeAll(async () => {
  ({ app, issuer } = await startJwtTestApp());
  await app.request("POST", "/v1/organizations", { body: { id: "acme", name: "Acme SA" } });
});
afterAll(async () => {
  await app.close();
  await issuer.close();
});

async function signIn(credential: string) {
  const response = await app.request("POST", "/v1/admin-session", {
    auth: null,
    body: { credential },
  });
  const cookie = response.headers.get("set-cookie")?.split(";")[0] ?? "";
  return { response, cookie };
}

const withCookie = (cookie: string, extra: Record<string, string> = {}) => ({
  auth: null,
  headers: { cookie, "x-abono-backoffice": "1", ...extra },
});

describe("backoffice session", () => {
  it("signs in with a root key into an httpOnly SameSite=Strict cookie; changes need the CSRF token; audited as the key", async () => {
    const { response, cookie } = await signIn("abono_sk_test_root_key_0123456789abcdefghij");
    expect(response.status).toBe(201);
    const setCookie = response.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(
      /^abono_admin=[\w-]{40,}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/,
    );
    expect(response.body.actor).toMatch(/^key_/);
    expect(response.body.credentialKind).toBe("api_key");

    const current = await app.request("GET", "/v1/admin-session", withCookie(cookie));
    expect(current.status).toBe(200);
    expect(current.body.csrfToken).toBe(response.body.csrfToken);
    const list = await app.request("GET", "/v1/organizations?q=acme", withCookie(cookie));
    expect(list.status).toBe(200);
    expect(list.body.data.map((organization: { id: string }) => organization.id)).toEqual(["acme"]);

    const body = { organizationId: "acme", entitlementStatus: "active", reason: "OPS-1 check" };
    const noCsrf = await app.request("POST", "/v1/root/organizations/acme/plan", {
      ...withCookie(cookie),
      body,
    });
    expect(noCsrf.status).toBe(403);
    const changed = await app.request("POST", "/v1/root/organizations/acme/plan", {
      ...withCookie(cookie, { "x-csrf-token": response.body.csrfToken }),
      body,
    });
    expect(changed.status).toBe(200);
    const audit = await app.request("GET", `/v1/audit-logs?action=root.organization_plan_set`);
    const entry = audit.body.data.find((row: { id: string }) => row.id === changed.body.auditLogId);
    expect(entry.actor).toBe(response.body.actor);
    expect(entry.requestId).toMatch(/^req_/);

    const out = await app.request(
      "DELETE",
      "/v1/admin-session",
      withCookie(cookie, { "x-csrf-token": response.body.csrfToken }),
    );
    expect(out.status).toBe(200);
    expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
    expect((await app.request("GET", "/v1/organizations", withCookie(cookie))).status).toBe(401);
  });

  it("signs in with a JWT carrying the root claim, as that user", async () => {
    const token = await issuer.sign({ sub: "ops-ana", email: "ana@example.com", root: true });
    const { response, cookie } = await signIn(token);
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ actor: "user:ops-ana", email: "ana@example.com" });
    // The session ends no later than the token.
    expect(new Date(response.body.endsAt).getTime()).toBeLessThanOrEqual(Date.now() + 11 * 60_000);
    expect((await app.request("GET", "/v1/organizations", withCookie(cookie))).status).toBe(200);
    // Without the backoffice's header the cookie is not used (a portal cookie in the same browser would be).
    const unmarked = await app.request("GET", "/v1/organizations", {
      auth: null,
      headers: { cookie },
    });
    expect(unmarked.status).toBe(401);
  });

  it("refuses a non-root credential: an organization key, an organization user's JWT, an unknown key", async () => {
    const key = await app.request("POST", "/v1/api-keys", {
      body: { scope: "organization", organizationId: "acme", name: "acme backend" },
    });
    expect((await signIn(key.body.secret)).response.status).toBe(403);
    const user = await issuer.sign({ sub: "u1", groups: ["org:acme:owner"] });
    const refused = await signIn(user);
    expect(refused.response.status).toBe(403);
    expect(refused.response.headers.get("set-cookie")).toBeNull();
    expect((await signIn("abono_sk_not_a_real_key_000000000000000000")).response.status).toBe(401);
    expect((await signIn("")).response.status).toBe(400);
    // Nor can a non-root credential read the backoffice's data directly.
    const direct = await app.request("GET", "/v1/organizations", { auth: key.body.secret });
    expect(direct.status).toBe(403);
    const session = await app.request("GET", "/v1/admin-session", { auth: key.body.secret });
    expect(session.status).toBe(403);
  });

  it("stops working when its key is revoked, and a forged cookie is refused", async () => {
    const key = await app.request("POST", "/v1/api-keys", {
      body: { scope: "root", name: "ops laptop" },
    });
    const { response, cookie } = await signIn(key.body.secret);
    expect(response.status).toBe(201);
    expect((await app.request("GET", "/v1/organizations", withCookie(cookie))).status).toBe(200);
    await app.request("DELETE", `/v1/api-keys/${key.body.id}`);
    expect((await app.request("GET", "/v1/organizations", withCookie(cookie))).status).toBe(401);
    const forged = withCookie(`abono_admin=${"x".repeat(43)}`);
    expect((await app.request("GET", "/v1/organizations", forged)).status).toBe(401);
  });

  it("lives beside a billing portal session in the same browser: each area uses its own cookie", async () => {
    const operator = await signIn("abono_sk_test_root_key_0123456789abcdefghij");
    const link = await createPortalLink(app, "acme");
    const portal = await openPortalLink(app, link.url);
    const both = `${operator.cookie}; ${portal.cookie}`;
    const portalSession = await app.request("GET", "/v1/portal-session", {
      auth: null,
      headers: { cookie: both },
    });
    expect(portalSession.status).toBe(200);
    expect(portalSession.body.organizationId).toBe("acme");
    const backoffice = await app.request("GET", "/v1/admin-session", withCookie(both));
    expect(backoffice.status).toBe(200);
    expect(backoffice.body.actor).toBe(operator.response.body.actor);
  });

  it("serves the app at /admin and below, never framed", async () => {
    for (const page of ["/admin", "/admin/organizations/acme", "/admin/plans"]) {
      const response = await fetch(`${app.baseUrl}${page}`);
      expect(response.status, page).toBe(200);
      expect(response.headers.get("content-security-policy")).toBe("frame-ancestors 'none'");
      expect(await response.text()).toContain('<div id="root">');
    }
  });

  it("ends after the idle timeout", async () => {
    const { response, cookie } = await signIn("abono_sk_test_root_key_0123456789abcdefghij");
    await app.database.pool.query(
      "update operator_sessions set expires_at = now() - interval '1 second' where id = $1",
      [response.body.id],
    );
    expect((await app.request("GET", "/v1/organizations", withCookie(cookie))).status).toBe(401);
  });
});
