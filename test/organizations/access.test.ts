import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../helpers/app.ts";
import { startJwtTestApp, type TestIssuer } from "../helpers/jwt-app.ts";

let app: TestApp;
let issuer: TestIssuer;
let keyA: string;

beforeAll(async () => {
  ({ app, issuer } = await startJwtTestApp());
  await app.request("POST", "/v1/organizations", {
    body: { id: "org-a", name: "Alpha Obras", owner: { userId: "ana", email: "ana@example.com" } },
  });
  await app.request("POST", "/v1/organizations", {
    body: {
      id: "org-b",
      name: "Beta Obras",
      owner: { userId: "bruno", email: "bruno@example.com" },
    },
  });
  keyA = (
    await app.request("POST", "/v1/api-keys", {
      body: { scope: "organization", organizationId: "org-a", name: "a" },
    })
  ).body.secret;
});
afterAll(async () => {
  await app.close();
  await issuer.close();
});

describe("organization access", () => {
  it("keeps an organization key of A out of B", async () => {
    expect((await app.request("GET", "/v1/organizations/org-a", { auth: keyA })).status).toBe(200);
    const other = await app.request("GET", "/v1/organizations/org-b", { auth: keyA });
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe("forbidden");
    expect(
      (await app.request("GET", "/v1/organizations/org-b/members", { auth: keyA })).status,
    ).toBe(403);
  });

  it("keeps a member of A (by membership) out of B", async () => {
    const ana = await issuer.sign({ sub: "ana", email: "ana@example.com" });
    const own = await app.request("GET", "/v1/organizations/org-a", { auth: ana });
    expect(own.status).toBe(200);
    expect((await app.request("GET", "/v1/organizations/org-b", { auth: ana })).status).toBe(403);
  });

  it("makes a user whose token carries the organization's group a member of it, and of it only", async () => {
    const token = await issuer.sign({ sub: "someone-new", "cognito:groups": ["Beta-Obras"] });
    const me = await app.request("GET", "/v1/me", { auth: token });
    expect(me.body.organizations).toEqual([{ organizationId: "org-b", roles: ["member"] }]);
    expect((await app.request("GET", "/v1/organizations/org-b", { auth: token })).status).toBe(200);
    expect((await app.request("GET", "/v1/organizations/org-a", { auth: token })).status).toBe(403);
    // A member reads but does not administer.
    const rename = await app.request("PATCH", "/v1/organizations/org-b", {
      body: { name: "Mine now" },
      auth: token,
    });
    expect(rename.status).toBe(403);
    expect(rename.body.error.code).toBe("forbidden");
    expect((await app.request("GET", "/v1/organizations/org-b")).body.name).toBe("Beta Obras");
  });

  it("lets a signed-in user create an organization and become its owner and billing admin", async () => {
    const token = await issuer.sign({ sub: "founder-7", email: "f7@example.com" });
    const created = await app.request("POST", "/v1/organizations", {
      body: { name: "Gamma Works" },
      auth: token,
    });
    expect(created.status).toBe(201);
    expect(created.body.owner).toEqual({ userId: "founder-7", email: "f7@example.com" });
    const members = await app.request("GET", `/v1/organizations/${created.body.id}/members`, {
      auth: token,
    });
    expect(members.body.data).toEqual([
      expect.objectContaining({ userId: "founder-7", roles: ["owner", "billing_admin"] }),
    ]);
    const forSomeoneElse = await app.request("POST", "/v1/organizations", {
      body: { name: "Delta", owner: { userId: "victim" } },
      auth: token,
    });
    expect(forSomeoneElse.status).toBe(403);
    const byKey = await app.request("POST", "/v1/organizations", {
      body: { name: "Epsilon" },
      auth: keyA,
    });
    expect(byKey.status).toBe(403);
    const { rows } = await app.database.pool.query(
      "select name from organizations where name in ('Delta', 'Epsilon')",
    );
    expect(rows).toEqual([]);
  });

  it("lets owners manage members but keeps one owner", async () => {
    const ana = await issuer.sign({ sub: "ana" });
    const asAna = (method: string, userId: string, body?: unknown) =>
      app.request(method, `/v1/organizations/org-a/members/${userId}`, {
        auth: ana,
        ...(body === undefined ? {} : { body }),
      });
    const roles = async () =>
      Object.fromEntries(
        (
          (await app.request("GET", "/v1/organizations/org-a/members")).body.data as {
            userId: string;
            roles: string[];
          }[]
        ).map((member) => [member.userId, member.roles]),
      );

    const added = await asAna("PUT", "pedro", { email: "pedro@example.com", roles: ["member"] });
    expect(added.status).toBe(200);
    const pedro = await issuer.sign({ sub: "pedro" });
    expect((await app.request("GET", "/v1/organizations/org-a", { auth: pedro })).status).toBe(200);
    const pedroAdds = await app.request("PUT", "/v1/organizations/org-a/members/mallory", {
      body: { roles: ["owner"] },
      auth: pedro,
    });
    expect(pedroAdds.status).toBe(403);
    expect(await roles()).toEqual({ ana: ["owner", "billing_admin"], pedro: ["member"] });

    const lastOwner = await asAna("DELETE", "ana");
    expect(lastOwner.status).toBe(409);
    expect(lastOwner.body.error.code).toBe("invalid_state");
    const demote = await asAna("PUT", "ana", { roles: ["member"] });
    expect(demote.status).toBe(409);
    expect(demote.body.error.code).toBe("invalid_state");
    expect((await roles()).ana).toEqual(["owner", "billing_admin"]);

    const removed = await asAna("DELETE", "pedro");
    expect(removed.status).toBe(200);
    expect((await app.request("GET", "/v1/organizations/org-a", { auth: pedro })).status).toBe(403);
    expect(await roles()).toEqual({ ana: ["owner", "billing_admin"] });
  });
});

describe("organization status and the public view", () => {
  it("syncs the public view on suspension and deletion, and keeps the records", async () => {
    const suspended = await app.request("PATCH", "/v1/organizations/org-b", {
      body: { status: "suspended" },
    });
    expect(suspended.status).toBe(200);
    expect(suspended.body).toMatchObject({ status: "suspended", isActive: false });
    expect(
      (await app.request("GET", "/v1/public/organizations/org-b", { auth: null })).body,
    ).toEqual({
      id: "org-b",
      name: "Beta Obras",
      status: "suspended",
      isActive: false,
    });
    const deleted = await app.request("DELETE", "/v1/organizations/org-b");
    expect(deleted.body.status).toBe("deleted");
    expect(
      (await app.request("GET", "/v1/public/organizations/org-b", { auth: null })).body.status,
    ).toBe("deleted");
    const { rows } = await app.database.pool.query(
      "select (select count(*) from billing_customers where organization_id = 'org-b')::int as customers, (select count(*) from organization_entitlements where organization_id = 'org-b')::int as entitlements",
    );
    expect(rows[0]).toEqual({ customers: 1, entitlements: 1 });
    const restored = await app.request("PATCH", "/v1/organizations/org-b", {
      body: { status: "active" },
    });
    expect(restored.body.isActive).toBe(true);
  });

  it("lets only root change the status; owners rename, and the public view follows", async () => {
    const ana = await issuer.sign({ sub: "ana" });
    const status = await app.request("PATCH", "/v1/organizations/org-a", {
      body: { status: "deleted" },
      auth: ana,
    });
    expect(status.status).toBe(403);
    const renamed = await app.request("PATCH", "/v1/organizations/org-a", {
      body: { name: "Alfa Obras SpA" },
      auth: ana,
    });
    expect(renamed.status).toBe(200);
    expect(
      (await app.request("GET", "/v1/public/organizations/org-a", { auth: null })).body.name,
    ).toBe("Alfa Obras SpA");
  });

  it("shows only id, name, status and isActive publicly, and 404 for unknown ids", async () => {
    const view = await app.request("GET", "/v1/public/organizations/org-a", { auth: null });
    expect(Object.keys(view.body).sort()).toEqual(["id", "isActive", "name", "status"]);
    expect((await app.request("GET", "/v1/public/organizations/nope", { auth: null })).status).toBe(
      404,
    );
  });
});
