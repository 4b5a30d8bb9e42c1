import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import {
  createBillingCatalog,
  createBillingOrganization,
  createCoupons,
  ledgerSum,
} from "../helpers/billing-scenario.ts";

/**
 * docs/billing.md "What a credit for unused time is worth": a credit for unused time is never more than
 * what was actually charged for that time, and a coupon still in force discounts the prorated charge of
 * the new plan too. The four ways of creating money from nothing that an audit found, over HTTP.
 *
 * Plans: Basic 1000/month, 10000/year; Standard 2000/month, 20000/year (USD cents). The seat add-on
 * costs 1500/month.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  await createBillingCatalog(app);
  const post = async (path: string, body: unknown) => {
    const response = await app.request("POST", path, { body });
    if (response.status !== 201) throw new Error(`${path}: ${JSON.stringify(response.body)}`);
  };
  for (const [id, name, month, year] of [
    ["basic", "Basic", 1000, 10000],
    ["standard", "Standard", 2000, 20000],
  ] as const) {
    await post("/v1/plans", {
      id,
      name,
      prices: [
        { interval: "month", currency: "USD", unitAmount: month },
        { interval: "year", currency: "USD", unitAmount: year },
      ],
      features: { encounters: 100, seats: 3 },
    });
  }
  await createCoupons(app);
});
afterAll(() => app.close());

const amounts = (lines: { amount: number }[]) => lines.map((line) => line.amount);

describe("a credit for unused time is never more than what was charged for it", () => {
  it("100% coupon on 20.00/month, no card: a change to 10.00 at mid-period credits nothing", async () => {
    const org = await createBillingOrganization(app, {
      start: "2026-01-01T00:00:00Z",
      paymentToken: null,
    });
    const subscribed = await app.request("POST", org.path("/subscription"), {
      body: { planId: "standard", interval: "month", couponCode: "FREE100" },
    });
    expect(subscribed.status).toBe(201);
    expect(subscribed.body.invoice).toMatchObject({ subtotal: 2000, discount: 2000, total: 0 });

    // 16 Jan 12:00 is the middle of the 31-day period: f = 1/2.
    await org.advance("2026-01-16T12:00:00Z");
    const preview = await app.request("POST", org.path("/subscription/preview-change"), {
      body: { planId: "basic", interval: "month" },
    });
    expect(preview.status).toBe(200);
    // Nothing was paid for the unused half: the credit is 0. The remaining half of Basic (500) is
    // discounted 100% by the forever coupon, as its full charge would be.
    expect(amounts(preview.body.lines)).toEqual([0, 500]);
    expect(preview.body.lines.map((line: { discount: number }) => line.discount)).toEqual([0, 500]);
    expect(preview.body).toMatchObject({
      subtotal: 500,
      discount: 500,
      amountDue: 0,
      creditedToBalance: 0,
      balanceAfter: 0,
    });

    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "basic", interval: "month" },
    });
    expect(change.status).toBe(200);
    expect(change.body.invoices[0]).toMatchObject({
      subtotal: 500,
      discount: 500,
      total: 0,
      creditedToBalance: 0,
      amountDue: 0,
    });
    expect((await app.request("GET", org.path("/balance"))).body.available).toBe(0);
    expect(await ledgerSum(app, org.organizationId)).toBe(0);
  });

  it("100% once coupon on the annual plan, changed an hour later to monthly: nothing credited", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    const subscribed = await app.request("POST", org.path("/subscription"), {
      body: { planId: "standard", interval: "year", couponCode: "ONCE100" },
    });
    expect(subscribed.body.invoice).toMatchObject({ subtotal: 20000, discount: 20000, total: 0 });

    await org.advance("2026-01-01T01:00:00Z");
    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "basic", interval: "month" },
    });
    expect(change.status).toBe(200);
    // The year cost 0, so its unused time is worth 0; the once coupon is spent, so the new month of
    // Basic is charged in full (to the card).
    const invoice = change.body.invoices[0];
    expect(amounts(invoice.lines)).toEqual([0, 1000]);
    expect(invoice).toMatchObject({
      discount: 0,
      total: 1000,
      creditedToBalance: 0,
      amountDue: 1000,
      amountPaid: 1000,
    });
    expect((await app.request("GET", org.path("/balance"))).body.available).toBe(0);
  });

  it("25% forever coupon on the annual plan (paid 150.00), changed an hour later to monthly: credits at most the unused 150.00", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    const subscribed = await app.request("POST", org.path("/subscription"), {
      body: { planId: "standard", interval: "year", couponCode: "QUARTER" },
    });
    expect(subscribed.body.invoice).toMatchObject({
      subtotal: 20000,
      discount: 5000,
      total: 15000,
      amountPaid: 15000,
    });

    await org.advance("2026-01-01T01:00:00Z");
    const preview = await app.request("POST", org.path("/subscription/preview-change"), {
      body: { planId: "standard", interval: "month" },
    });
    // Unused: 365 days less 1 hour of 365 days, of the 15000 paid:
    // 15000 × 31532400 / 31536000 = 14998.29 → 14998. The new month, 2000, is 25% off (500).
    expect(amounts(preview.body.lines)).toEqual([-14998, 2000]);
    expect(preview.body).toMatchObject({
      subtotal: -12998,
      discount: 500,
      creditedToBalance: 13498,
      amountDue: 0,
    });
    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "standard", interval: "month" },
    });
    const invoice = change.body.invoices[0];
    expect(invoice).toMatchObject({ total: -13498, creditedToBalance: 13498 });
    // What was credited plus what the new month cost after its discount is what the unused year was worth.
    expect(invoice.creditedToBalance + 2000 - 500).toBe(14998);
    expect((await app.request("GET", org.path("/balance"))).body.available).toBe(13498);
  });

  it("an upgrade under a 25% forever coupon costs 25% less", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    const subscribed = await app.request("POST", org.path("/subscription"), {
      body: { planId: "basic", interval: "month", couponCode: "QUARTER" },
    });
    expect(subscribed.body.invoice).toMatchObject({ total: 750 });
    await org.advance("2026-01-16T12:00:00Z");
    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "standard", interval: "month" },
    });
    // Half of the 750 paid comes back (375); half of Standard is 1000, 25% off (250): 375 to pay, which
    // is the list-price difference (1000 − 500 = 500) less 25%.
    const invoice = change.body.invoices[0];
    expect(amounts(invoice.lines)).toEqual([-375, 1000]);
    expect(invoice.lines.map((line: { discount: number }) => line.discount)).toEqual([0, 250]);
    expect(invoice).toMatchObject({
      subtotal: 625,
      discount: 250,
      total: 375,
      amountPaid: 375,
      couponCode: "QUARTER",
    });
  });

  it("an amount-off coupon is taken once a period: a change moves its unused part to the new plan", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    const subscribed = await app.request("POST", org.path("/subscription"), {
      body: { planId: "standard", interval: "month", couponCode: "FIVEOFF" },
    });
    expect(subscribed.body.invoice).toMatchObject({ subtotal: 2000, discount: 500, total: 1500 });
    await org.advance("2026-01-16T12:00:00Z");
    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "premium", interval: "month" },
    });
    // Half of the 1500 paid comes back (750), with half of the 500 off it had (250); half of Premium
    // is 5000, and those 250 off go to it: 4750. Over January the coupon took 250 + 250 = 500.
    const invoice = change.body.invoices[0];
    expect(amounts(invoice.lines)).toEqual([-750, 5000]);
    expect(invoice.lines.map((line: { discount: number }) => line.discount)).toEqual([0, 250]);
    expect(invoice).toMatchObject({ subtotal: 4250, discount: 250, total: 4000, amountPaid: 4000 });
    await org.advance("2026-02-01T00:00:00Z");
    const [renewal] = (await app.request("GET", org.path("/invoices"))).body.data;
    expect(renewal).toMatchObject({ subtotal: 10000, discount: 500, total: 9500 });
  });

  it("a first_of_month stub: its unused time is worth the stub's price, not a month's", async () => {
    const org = await createBillingOrganization(app, {
      start: "2026-01-30T00:00:00Z",
      billingAnchor: "first_of_month",
    });
    const subscribed = await org.subscribe("plus");
    // 30 January to 1 February: 2 of January's 31 days, 4000 × 2/31 = 258.06 → 258.
    expect(subscribed.invoice.total).toBe(258);
    await org.advance("2026-01-31T00:00:00Z");
    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "premium", interval: "month" },
    });
    // Half of the 258 paid comes back (129); the last day of January on Premium is priced as the stub
    // was, over the month: 10000 × 1/31 = 322.58 → 323.
    expect(amounts(change.body.invoices[0].lines)).toEqual([-129, 323]);
    expect(change.body.invoices[0]).toMatchObject({ total: 194, amountPaid: 194 });
  });

  it("licenses under a 100% forever coupon: 10 added at 23:59, billed free, removed at 00:01 credit nothing", async () => {
    const org = await createBillingOrganization(app, {
      start: "2026-01-01T00:00:00Z",
      paymentToken: null,
    });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "standard", interval: "month", couponCode: "FREE100" },
    });
    // 60 s before the period end: 10 × 1500 × 60 / 2678400 = 0.34 → 0, nothing pending.
    await org.advance("2026-01-31T23:59:00Z");
    const added = await app.request("POST", org.path("/subscription/items"), {
      body: { addonId: "seat", quantity: 10 },
    });
    expect(added.status).toBe(200);
    await org.advance("2026-02-01T00:00:00Z");
    const invoices = async () => (await app.request("GET", org.path("/invoices"))).body.data;
    const [renewal] = await invoices();
    expect(amounts(renewal.lines)).toEqual([2000, 15000]);
    expect(renewal).toMatchObject({ subtotal: 17000, discount: 17000, total: 0 });

    await org.advance("2026-02-01T00:01:00Z");
    const removed = await app.request("POST", org.path("/subscription/items"), {
      body: { addonId: "seat", quantity: 0 },
    });
    expect(removed.status).toBe(200);
    // The 10 seats cost nothing this period, so their unused time is worth nothing.
    await org.advance("2026-03-01T00:00:00Z");
    const [next] = await invoices();
    expect(next.periodStart).toBe("2026-03-01T00:00:00.000Z");
    expect(next).toMatchObject({ subtotal: 2000, discount: 2000, total: 0, creditedToBalance: 0 });
    expect((await app.request("GET", org.path("/balance"))).body.available).toBe(0);
    expect(await ledgerSum(app, org.organizationId)).toBe(0);
  });
});
