import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog } from "../helpers/billing-scenario.ts";

/** `q` of GET /v1/organizations and GET /v1/admin/organizations (docs/backoffice.md "Organizations"). */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ worker: false });
  await createBillingCatalog(app);
  for (const [id, name, email] of [
    ["acme-ar", "Acme Argentina", "ana@acme.example"],
    ["acme-mx", "Acme México", "luis@acme.example"],
    ["globex", "Globex 100% Corp", "hank@globex.example"],
  ] as const) {
    const created = await app.request("POST", "/v1/organizations", {
      body: { id, name, owner: { userId: `u-${id}`, email } },
    });
    expect(created.status).toBe(201);
  }
  await app.database.pool.query(
    `insert into organization_billing_providers (organization_id, provider, data, updated_at)
     values ('globex', 'stripe', '{"customerId": "cus_GLOBEX123"}', now())`,
  );
});
afterAll(() => app.close());

const idsFor = async (path: string) =>
  ((await app.request("GET", path)).body.data as { id: string }[]).map((row) => row.id);

describe("organization search", () => {
  it("finds by id prefix, name, owner email (any case) and a provider reference (exact)", async () => {
    expect(await idsFor("/v1/admin/organizations?q=acme")).toEqual(["acme-ar", "acme-mx"]);
    expect(await idsFor("/v1/admin/organizations?q=m%C3%A9xico")).toEqual(["acme-mx"]);
    expect(await idsFor("/v1/admin/organizations?q=HANK%40GLOBEX")).toEqual(["globex"]);
    expect(await idsFor("/v1/admin/organizations?q=cus_GLOBEX123")).toEqual(["globex"]);
    expect(await idsFor("/v1/admin/organizations?q=cus_GLOBEX")).toEqual([]);
    // LIKE's wildcards are matched literally.
    expect(await idsFor("/v1/admin/organizations?q=100%25")).toEqual(["globex"]);
    expect(await idsFor("/v1/admin/organizations?q=a_m")).toEqual([]);
    expect(await idsFor("/v1/organizations?q=acme-a")).toEqual(["acme-ar"]);
  });

  it("pages a search by id with a cursor", async () => {
    const first = await app.request("GET", "/v1/admin/organizations?q=acme&limit=1");
    expect(first.body).toMatchObject({ hasMore: true, nextCursor: "acme-ar" });
    const second = await app.request(
      "GET",
      `/v1/admin/organizations?q=acme&limit=1&cursor=${first.body.nextCursor}`,
    );
    expect(second.body.data.map((row: { id: string }) => row.id)).toEqual(["acme-mx"]);
    expect(second.body.hasMore).toBe(false);
  });

  it("gives each row its plan, MRR and balance", async () => {
    await app.request("POST", "/v1/organizations/acme-ar/payment-methods", {
      body: { provider: "sandbox", token: "pm_sandbox_ok" },
    });
    const subscribed = await app.request("POST", "/v1/organizations/acme-ar/subscription", {
      body: { planId: "premium", interval: "year" },
    });
    expect(subscribed.status).toBe(201);
    await app.request("POST", "/v1/root/organizations/acme-ar/balance-adjustments", {
      body: { amount: 1234, currency: "USD", reason: "OPS-3" },
    });
    const [row] = (await app.request("GET", "/v1/admin/organizations?q=acme-ar")).body.data;
    expect(row).toMatchObject({
      planId: "premium",
      subscriptionStatus: "active",
      // 1,000.00 a year: 83.33 a month.
      monthlyRecurringRevenue: { currency: "USD", amount: 8333 },
      balance: 1234,
      providers: expect.any(Array),
    });
  });

  it("is root only", async () => {
    const key = await app.request("POST", "/v1/api-keys", {
      body: { scope: "organization", organizationId: "globex", name: "globex" },
    });
    const refused = await app.request("GET", "/v1/admin/organizations?q=acme", {
      auth: key.body.secret,
    });
    expect(refused.status).toBe(403);
  });
});
