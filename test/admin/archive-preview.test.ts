import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import {
  createBillingCatalog,
  createBillingOrganization,
  createCoupons,
  createEncounterPack,
} from "../helpers/billing-scenario.ts";

/**
 * `GET <catalog entry>/archive-preview` (docs/backoffice.md "Archiving"): who archiving a plan, add-on,
 * pack or coupon touches, read before confirming; root only, and it changes nothing.
 */
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
  await createBillingCatalog(app);
  await createEncounterPack(app);
  await createCoupons(app, [{ code: "PREVIEW25", percentOff: 25, duration: "forever" }]);
}, 60_000);
afterAll(async () => {
  await app?.close();
});

describe("archive preview", () => {
  it("lists the live subscriptions per plan version, add-on and coupon, with their organizations", async () => {
    const first = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await app.request("POST", first.path("/subscription"), {
      body: { planId: "plus", interval: "month", couponCode: "PREVIEW25" },
    });
    const items = await app.request("POST", first.path("/subscription/items"), {
      body: { addonId: "seat", quantity: 2 },
    });
    expect(items.status).toBe(200);
    const edited = await app.request("PATCH", "/v1/plans/plus", { body: { name: "Plus 2" } });
    expect(edited.body.version).toBe(2);
    const second = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await second.subscribe("plus");
    // A canceled subscription is nobody's concern any more.
    const gone = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await gone.subscribe("plus");
    await app.request("POST", gone.path("/subscription/cancel"), { body: { atPeriodEnd: false } });

    const plan = await app.request("GET", "/v1/plans/plus/archive-preview");
    expect(plan.status).toBe(200);
    expect(plan.body).toMatchObject({
      kind: "plan",
      id: "plus",
      archived: false,
      subscriptions: 2,
      organizations: 2,
      byVersion: [
        { version: 1, subscriptions: 1 },
        { version: 2, subscriptions: 1 },
      ],
    });
    expect(plan.body.affected.map((row: { organizationId: string }) => row.organizationId)).toEqual(
      [first.organizationId, second.organizationId].sort(),
    );
    expect(plan.body.affected).toContainEqual(
      expect.objectContaining({
        organizationId: first.organizationId,
        organizationName: expect.stringMatching(/^Billing /),
        status: "active",
        version: 1,
      }),
    );

    const addon = await app.request("GET", "/v1/addons/seat/archive-preview");
    expect(addon.body).toMatchObject({
      subscriptions: 1,
      byVersion: [{ version: 1, subscriptions: 1 }],
      affected: [expect.objectContaining({ organizationId: first.organizationId })],
    });
    const coupon = await app.request("GET", "/v1/coupons/PREVIEW25/archive-preview");
    expect(coupon.body).toMatchObject({
      subscriptions: 1,
      redemptions: 1,
      byVersion: [],
      affected: [expect.objectContaining({ organizationId: first.organizationId, version: null })],
    });
    const pack = await app.request("GET", "/v1/packs/encounters-100/archive-preview");
    expect(pack.body).toMatchObject({ subscriptions: 0, organizations: 0, affected: [] });

    // Reading it changes nothing; archiving then shows in the preview's state.
    expect((await app.request("GET", "/v1/plans/plus")).body.archived).toBe(false);
    await app.request("POST", "/v1/plans/plus/archive");
    const after = await app.request("GET", "/v1/plans/plus/archive-preview");
    expect(after.body).toMatchObject({ archived: true, subscriptions: 2 });
    await app.request("POST", "/v1/plans/plus/unarchive");
  });

  it("answers 404 for an unknown entry and 403 to anyone but root", async () => {
    const missing = await app.request("GET", "/v1/plans/nope/archive-preview");
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("not_found");
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    const key = await app.request("POST", "/v1/api-keys", {
      body: { scope: "organization", organizationId: org.organizationId, name: "backend" },
    });
    const refused = await app.request("GET", "/v1/plans/plus/archive-preview", {
      auth: key.body.secret,
    });
    expect(refused.status).toBe(403);
  });
});
