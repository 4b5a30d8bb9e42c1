import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rootOnlyRoutes, routeAccessTable } from "../../src/http/root-routes.ts";
import type { TestApp } from "../helpers/app.ts";
import { startJwtTestApp, type TestIssuer } from "../helpers/jwt-app.ts";

/**
 * The root-only list (`src/http/root-routes.ts`) is complete and enforced: every listed route refuses a
 * non-root organization key and a non-root JWT (even the organization's owner) with 403, and every
 * organization route refuses other organizations' credentials and roles it does not name.
 */

let app: TestApp;
let issuer: TestIssuer;
let keyOfWalk: string;
let keyOfOther: string;
let ownerToken: string;
let memberToken: string;

beforeAll(async () => {
  ({ app, issuer } = await startJwtTestApp());
  for (const id of ["walk-org", "other-org"]) {
    const response = await app.request("POST", "/v1/organizations", {
      body: { id, name: `Org ${id}`, owner: { userId: `owner-${id}` } },
    });
    if (response.status !== 201) throw new Error(JSON.stringify(response.body));
  }
  const key = async (organizationId: string) =>
    (
      await app.request("POST", "/v1/api-keys", {
        body: { scope: "organization", organizationId, name: "walk" },
      })
    ).body.secret as string;
  keyOfWalk = await key("walk-org");
  keyOfOther = await key("other-org");
  ownerToken = await issuer.sign({ sub: "owner-walk-org" });
  await app.request("PUT", "/v1/organizations/walk-org/members/plain-member", {
    body: { roles: ["member"] },
  });
  memberToken = await issuer.sign({ sub: "plain-member" });
});
afterAll(async () => {
  await app.close();
  await issuer.close();
});

const fill = (path: string) =>
  path.replace(/:orgId/g, "walk-org").replace(/:(\w+)/g, (_match, name) => `x-${name}`);

const table = () => {
  const fastify = app.server.app;
  if (!fastify) throw new Error("no HTTP app");
  return routeAccessTable(fastify);
};

describe("the root-only list", () => {
  it("lists only registered routes, and every route declaring root access is listed", () => {
    const access = table();
    const missing = rootOnlyRoutes
      .map((route) => `${route.method} ${route.path}`)
      .filter((key) => access.get(key)?.kind !== "root");
    expect(missing, "listed in src/http/root-routes.ts but not registered").toEqual([]);
    const unlisted = [...access]
      .filter(([key, routeAccess]) => routeAccess.kind === "root" && !key.startsWith("HEAD "))
      .map(([key]) => key)
      .filter((key) => !rootOnlyRoutes.some((route) => `${route.method} ${route.path}` === key));
    expect(unlisted, "root routes missing from src/http/root-routes.ts").toEqual([]);
  });

  it.each(rootOnlyRoutes.map((route) => [route.method, route.path] as const))(
    "%s %s refuses a non-root organization key and a non-root JWT with 403",
    async (method, path) => {
      const url = fill(path);
      const body = method === "GET" || method === "DELETE" ? undefined : {};
      for (const [label, auth] of [
        ["organization key", keyOfWalk],
        ["owner JWT", ownerToken],
      ] as const) {
        const response = await app.request(method, url, { auth, ...(body ? { body } : {}) });
        expect(response.status, `${label}: ${JSON.stringify(response.body)}`).toBe(403);
        expect(response.body.error.code).toBe("forbidden");
        expect(response.body.error.message).toContain("root");
      }
      if (method === "GET") {
        const head = await app.request("HEAD", url, { auth: keyOfWalk });
        expect(head.status).toBe(403);
      }
    },
  );

  it("lets root through the guard on the root-only routes (no 401/403)", async () => {
    for (const route of rootOnlyRoutes) {
      const body = route.method === "GET" || route.method === "DELETE" ? undefined : {};
      // Advancing a test clock or deleting an organization would act for real: an unknown id keeps it harmless.
      const url = fill(route.path).replace("walk-org", "no-such-org");
      const response = await app.request(route.method, url, body ? { body } : {});
      expect([401, 403], `${route.method} ${route.path}`).not.toContain(response.status);
    }
  });
});

describe("organization routes check roles", () => {
  const organizationRoutes = () =>
    [...table()]
      .filter(
        ([key, routeAccess]) => routeAccess.kind === "organization" && !key.startsWith("HEAD "),
      )
      .map(([key, routeAccess]) => {
        const [method = "", path = ""] = key.split(" ");
        return {
          method,
          path,
          roles: routeAccess.kind === "organization" ? routeAccess.roles : [],
        };
      });

  it("has organization routes to check", () => {
    expect(organizationRoutes().length).toBeGreaterThan(10);
    expect(organizationRoutes().every((route) => route.path.includes(":orgId"))).toBe(true);
  });

  it("refuses another organization's key on every organization route", async () => {
    for (const route of organizationRoutes()) {
      const body = route.method === "GET" || route.method === "DELETE" ? undefined : {};
      const response = await app.request(route.method, fill(route.path), {
        auth: keyOfOther,
        ...(body ? { body } : {}),
      });
      expect(response.status, `${route.method} ${route.path}`).toBe(403);
    }
  });

  it("refuses a plain member on every route reserved to owners or billing admins", async () => {
    const reserved = organizationRoutes().filter((route) => !route.roles.includes("member"));
    expect(reserved.length).toBeGreaterThan(5);
    for (const route of reserved) {
      const body = route.method === "GET" || route.method === "DELETE" ? undefined : {};
      const response = await app.request(route.method, fill(route.path), {
        auth: memberToken,
        ...(body ? { body } : {}),
      });
      expect(response.status, `${route.method} ${route.path}`).toBe(403);
    }
    // …while the same member reads what members may read.
    expect(
      (await app.request("GET", "/v1/organizations/walk-org", { auth: memberToken })).status,
    ).toBe(200);
  });
});

describe("OpenAPI", () => {
  it("documents the root and audit routes with tags, summaries and descriptions", async () => {
    const document = (await app.request("GET", "/openapi.json", { auth: null })).body;
    const operation = (path: string, method: string) =>
      document.paths[path.replace(/:(\w+)/g, "{$1}")]?.[method];
    for (const [path, method, tag] of [
      ["/v1/root/organizations/:orgId/plan", "post", "root"],
      ["/v1/root/organizations/:orgId/balance-adjustments", "post", "root"],
      ["/v1/root/organizations/:orgId/entitlement-overrides", "get", "root"],
      ["/v1/root/organizations/:orgId/entitlement-overrides/:feature", "put", "root"],
      ["/v1/root/organizations/:orgId/entitlement-overrides/:feature", "delete", "root"],
      ["/v1/audit-logs", "get", "audit"],
      ["/v1/organizations/:orgId/audit-logs", "get", "audit"],
    ] as const) {
      const documented = operation(path, method);
      expect(documented, `${method} ${path}`).toBeDefined();
      expect(documented.tags).toEqual([tag]);
      expect(documented.summary.length).toBeGreaterThan(5);
      expect(documented.description.length).toBeGreaterThan(20);
      expect(documented.security).toEqual([{ bearerAuth: [] }]);
    }
    const plan = operation("/v1/root/organizations/:orgId/plan", "post");
    const body = plan.requestBody.content["application/json"].schema;
    expect(body.required).toEqual(expect.arrayContaining(["organizationId", "reason"]));
    expect(body.properties.entitlementStatus.enum).toEqual([
      "trialing",
      "active",
      "past_due",
      "canceled",
    ]);
    const providers = operation("/v1/organizations/:orgId", "get").responses["200"].content[
      "application/json"
    ].schema.properties.billingProviders;
    expect(providers.properties.manual.required).toEqual(
      expect.arrayContaining(["actor", "at", "changes", "reason", "auditLogId"]),
    );
  });
});
