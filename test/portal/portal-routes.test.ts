import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog, createBillingOrganization } from "../helpers/billing-scenario.ts";

/**
 * The API routes the billing portal needs besides the existing ones: the next invoice, undoing a
 * cancellation, setting the default and removing payment methods, quoting a checkout (live coupon
 * validation), the configured providers and the public plans.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  await createBillingCatalog(app);
  const coupon = await app.request("POST", "/v1/coupons", {
    body: { code: "HALF", percentOff: 50, duration: "once" },
  });
  expect(coupon.status).toBe(201);
  const plusOnly = await app.request("POST", "/v1/coupons", {
    body: { code: "PLUSONLY", percentOff: 10, duration: "once", planIds: ["plus"] },
  });
  expect(plusOnly.status).toBe(201);
});
afterAll(() => app.close());

describe("GET /v1/organizations/:orgId/upcoming-invoice", () => {
  it("shows the renewal as the renewal would make it, with pending prorated add-ons, without saving anything", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await org.subscribe("plus");
    await org.advance("2026-01-16T00:00:00Z");
    const seats = await app.request("POST", org.path("/subscription/items"), {
      body: { addonId: "seat", quantity: 2 },
    });
    expect(seats.status).toBe(200);
    const invoicesBefore = (await app.request("GET", org.path("/invoices"))).body.data.length;

    const upcoming = await app.request("GET", org.path("/upcoming-invoice"));
    expect(upcoming.status).toBe(200);
    const invoice = upcoming.body.invoice;
    expect(invoice).toMatchObject({
      id: "upcoming",
      kind: "subscription",
      number: null,
      currency: "USD",
      periodStart: "2026-02-01T00:00:00.000Z",
      periodEnd: "2026-03-01T00:00:00.000Z",
    });
    // Plan 40.00, two seats 2 × 15.00 for the new period, and the prorated seats for Jan 16–Feb 1 (16/31).
    expect(invoice.lines.map((line: { amount: number }) => line.amount)).toEqual([
      4000, 3000, 1548,
    ]);
    expect(invoice.total).toBe(8548);
    expect(invoice.amountDue).toBe(8548);
    // Nothing was saved: no invoice, and asking again gives the same answer.
    expect((await app.request("GET", org.path("/invoices"))).body.data).toHaveLength(
      invoicesBefore,
    );
    expect((await app.request("GET", org.path("/upcoming-invoice"))).body).toEqual(upcoming.body);
  });

  it("has no upcoming invoice on the free plan or once canceled at the period end", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    expect((await app.request("GET", org.path("/upcoming-invoice"))).body).toEqual({
      invoice: null,
    });
    await org.subscribe("plus");
    await app.request("POST", org.path("/subscription/cancel"), { body: { atPeriodEnd: true } });
    expect((await app.request("GET", org.path("/upcoming-invoice"))).body).toEqual({
      invoice: null,
    });
  });
});

describe("POST /v1/organizations/:orgId/subscription/resume", () => {
  it("undoes a cancellation at the period end, so the subscription renews", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await org.subscribe("plus");
    const noCancel = await app.request("POST", org.path("/subscription/resume"));
    expect(noCancel.status).toBe(409);
    expect(noCancel.body.error.code).toBe("invalid_state");

    await app.request("POST", org.path("/subscription/cancel"), { body: { atPeriodEnd: true } });
    const resumed = await app.request("POST", org.path("/subscription/resume"));
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({
      planId: "plus",
      status: "active",
      cancelAtPeriodEnd: false,
      canceledAt: null,
    });
    await org.advance("2026-02-01T00:00:05Z");
    const after = await app.request("GET", org.path("/subscription"));
    expect(after.body).toMatchObject({
      status: "active",
      currentPeriodStart: "2026-02-01T00:00:00.000Z",
    });
    const audit = await app.request(
      "GET",
      `/v1/audit-logs?organizationId=${org.organizationId}&action=subscription.cancel_undone`,
    );
    expect(audit.body.data).toHaveLength(1);
  });
});

describe("payment methods: default and removal", () => {
  it("moves the default, and promotes the newest remaining method when the default is removed", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    const first = (await app.request("GET", org.path("/payment-methods"))).body.data[0];
    const second = (
      await app.request("POST", org.path("/payment-methods"), {
        body: { provider: "sandbox", token: "pm_sandbox_declined" },
      })
    ).body;
    expect(second.default).toBe(false);

    const made = await app.request("POST", org.path(`/payment-methods/${second.id}/default`));
    expect(made.status).toBe(200);
    expect(made.body).toMatchObject({ id: second.id, default: true });
    // The new default is charged: the sandbox's declining card refuses the subscription.
    const declined = await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    expect(declined.status).toBe(402);

    const removed = await app.request("DELETE", org.path(`/payment-methods/${second.id}`));
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({
      removed: { id: second.id, default: false },
      newDefault: { id: first.id, default: true },
    });
    const listed = (await app.request("GET", org.path("/payment-methods"))).body.data;
    expect(listed.map((method: { id: string }) => method.id)).toEqual([first.id]);
    expect(
      (
        await app.request("POST", org.path("/subscription"), {
          body: { planId: "plus", interval: "month" },
        })
      ).status,
    ).toBe(201);

    const last = await app.request("DELETE", org.path(`/payment-methods/${first.id}`));
    expect(last.body.newDefault).toBeNull();
    expect((await app.request("DELETE", org.path(`/payment-methods/${first.id}`))).status).toBe(
      404,
    );
    const other = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    expect(
      (await app.request("POST", other.path(`/payment-methods/${second.id}/default`))).status,
    ).toBe(404);
  });
});

describe("POST /v1/organizations/:orgId/checkouts/quote", () => {
  it("quotes a new subscription with a coupon as the checkout would charge it", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    const quote = await app.request("POST", org.path("/checkouts/quote"), {
      body: { planId: "premium", interval: "month", couponCode: "HALF" },
    });
    expect(quote.status).toBe(200);
    expect(quote.body).toMatchObject({
      planId: "premium",
      currency: "USD",
      subtotal: 10000,
      discount: 5000,
      amount: 5000,
      isUpgrade: false,
      providers: ["sandbox"],
    });
    const started = await app.request("POST", org.path("/checkouts"), {
      body: { planId: "premium", interval: "month", couponCode: "HALF", provider: "sandbox" },
    });
    expect(started.body.checkout.amount).toBe(quote.body.amount);
  });

  it("says why a coupon cannot be used", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    for (const [couponCode, reason] of [
      ["NOPE", /no active coupon/],
      ["PLUSONLY", /premium/],
    ] as const) {
      const quote = await app.request("POST", org.path("/checkouts/quote"), {
        body: { planId: "premium", interval: "month", couponCode },
      });
      expect(quote.status).toBe(400);
      expect(quote.body.error.code).toBe("validation_error");
      expect(quote.body.error.message).toMatch(reason);
    }
  });
});

describe("catalog and providers for the portal", () => {
  it("lists the offered plans without authentication, with the features they name", async () => {
    await app.request("POST", "/v1/plans/trial-pro/archive");
    const plans = await app.request("GET", "/v1/public/plans", { auth: null });
    expect(plans.status).toBe(200);
    expect(plans.body.data.map((plan: { id: string }) => plan.id)).toEqual([
      "free",
      "plus",
      "premium",
    ]);
    expect(plans.body.data[1]).toEqual({
      id: "plus",
      version: 1,
      name: "Plus",
      description: null,
      tier: 20,
      prices: [
        { interval: "month", currency: "USD", unitAmount: 4000 },
        { interval: "year", currency: "USD", unitAmount: 40000 },
      ],
      trialDays: 0,
      features: { encounters: 500, seats: 5 },
      overage: {},
    });
    expect(plans.body.features).toEqual([
      { key: "encounters", name: "Encounters", kind: "metered", unit: null },
      { key: "seats", name: "Seats", kind: "limit", unit: null },
    ]);
  });

  it("says which providers are configured", async () => {
    const providers = await app.request("GET", "/v1/payment-providers");
    expect(providers.body).toEqual({
      testMode: true,
      data: [{ name: "sandbox", checkout: true, cardSetup: false }],
    });
  });
});
