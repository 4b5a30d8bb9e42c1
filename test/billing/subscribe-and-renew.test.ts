import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import {
  createBillingCatalog,
  createBillingOrganization,
  ledgerSum,
} from "../helpers/billing-scenario.ts";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  await createBillingCatalog(app);
  await app.request("POST", "/v1/coupons", {
    body: { code: "GRATIS100", percentOff: 100, duration: "once" },
  });
  await app.request("POST", "/v1/coupons", {
    body: {
      code: "HALF3",
      percentOff: 50,
      duration: "repeating",
      durationInMonths: 3,
      planIds: ["plus"],
    },
  });
  await app.request("POST", "/v1/coupons", {
    body: { code: "ONLYTWO", percentOff: 10, duration: "once", maxRedemptions: 2 },
  });
});
afterAll(() => app.close());

describe("subscribe", () => {
  it("declined → 402 and no subscription; the void invoice and the attempt are kept", async () => {
    const org = await createBillingOrganization(app, {
      start: "2026-01-01T00:00:00Z",
      paymentToken: "pm_sandbox_declined",
    });
    const response = await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    expect(response.status).toBe(402);
    expect(response.body.error.code).toBe("payment_failed");
    const subscription = await app.request("GET", org.path("/subscription"));
    expect(subscription.status).toBe(404);
    const invoices = (await app.request("GET", org.path("/invoices"))).body.data;
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatchObject({ status: "void", total: 4000 });
    const entitlement = await app.database.pool.query(
      "select plan_id from organization_entitlements where organization_id = $1",
      [org.organizationId],
    );
    expect(entitlement.rows[0].plan_id).toBe("free");
  });

  it("without a payment method a paid plan answers 402 saying how to add one", async () => {
    const org = await createBillingOrganization(app, {
      start: "2026-01-01T00:00:00Z",
      paymentToken: null,
    });
    const response = await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    expect(response.status).toBe(402);
    expect(response.body.error.message).toMatch(/payment-methods/);
  });

  it("activates with a 100% coupon and no payment method", async () => {
    const org = await createBillingOrganization(app, {
      start: "2026-01-01T00:00:00Z",
      paymentToken: null,
    });
    const response = await app.request("POST", org.path("/subscription"), {
      body: { planId: "premium", interval: "month", couponCode: "gratis100" },
    });
    expect(response.status).toBe(201);
    expect(response.body.subscription).toMatchObject({ status: "active", couponCode: "GRATIS100" });
    expect(response.body.invoice).toMatchObject({
      subtotal: 10000,
      discount: 10000,
      total: 0,
      amountDue: 0,
      status: "paid",
    });
  });

  it("starts a trial when the plan has trial days, and charges at trial end", async () => {
    const org = await createBillingOrganization(app, { start: "2026-02-01T00:00:00Z" });
    const response = await app.request("POST", org.path("/subscription"), {
      body: { planId: "trial-pro", interval: "month" },
    });
    expect(response.status).toBe(201);
    expect(response.body.subscription).toMatchObject({
      status: "trialing",
      trialEndsAt: "2026-02-15T00:00:00.000Z",
      currentPeriodEnd: "2026-02-15T00:00:00.000Z",
    });
    expect(response.body.invoice).toMatchObject({ total: 0, status: "paid" });
    await org.advance("2026-02-15T00:00:00Z");
    const after = await app.request("GET", org.path("/subscription"));
    expect(after.body).toMatchObject({
      status: "active",
      currentPeriodStart: "2026-02-15T00:00:00.000Z",
      currentPeriodEnd: "2026-03-15T00:00:00.000Z",
    });
    const invoices = (await app.request("GET", org.path("/invoices"))).body.data;
    expect(invoices[0]).toMatchObject({ billingReason: "trial_end", total: 5000, status: "paid" });
  });

  it("prorates the first period to the next 1st with the first_of_month anchor", async () => {
    const org = await createBillingOrganization(app, {
      start: "2026-01-15T00:00:00Z",
      billingAnchor: "first_of_month",
    });
    const response = await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    // 17 of January's 31 days: round(4000 × 17/31) = 2194.
    expect(response.body.invoice).toMatchObject({ total: 2194 });
    expect(response.body.invoice.lines[0].description).toBe("Plus (first period, prorated)");
    expect(response.body.subscription.currentPeriodEnd).toBe("2026-02-01T00:00:00.000Z");
    await org.advance("2026-03-01T00:00:00Z");
    const subscription = await app.request("GET", org.path("/subscription"));
    expect(subscription.body.currentPeriodStart).toBe("2026-03-01T00:00:00.000Z");
    const totals = (await app.request("GET", org.path("/invoices"))).body.data.map(
      (invoice: { total: number }) => invoice.total,
    );
    expect(totals).toEqual([4000, 4000, 2194]);
  });

  it("applies a repeating coupon for its months and enforces allowed plans", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-10T00:00:00Z" });
    const wrongPlan = await app.request("POST", org.path("/subscription"), {
      body: { planId: "premium", interval: "month", couponCode: "HALF3" },
    });
    expect(wrongPlan.status).toBe(400);
    expect(wrongPlan.body.error.message).toMatch(/applies only to plus/);
    const response = await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month", couponCode: "HALF3" },
    });
    expect(response.body.invoice).toMatchObject({ discount: 2000, total: 2000 });
    await org.advance("2026-05-10T00:00:00Z");
    const discounts = (await app.request("GET", org.path("/invoices"))).body.data
      .map((invoice: { discount: number }) => invoice.discount)
      .reverse();
    expect(discounts).toEqual([2000, 2000, 2000, 0, 0]);
  });

  it("never redeems a coupon beyond its limit, even under concurrency", async () => {
    const orgs = await Promise.all(
      Array.from({ length: 6 }, () =>
        createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" }),
      ),
    );
    const responses = await Promise.all(
      orgs.map((org) =>
        app.request("POST", org.path("/subscription"), {
          body: { planId: "plus", interval: "month", couponCode: "ONLYTWO" },
        }),
      ),
    );
    expect(responses.filter((response) => response.status === 201)).toHaveLength(2);
    expect(responses.filter((response) => response.status === 409)).toHaveLength(4);
    const coupon = await app.request("GET", "/v1/coupons/ONLYTWO");
    expect(coupon.body.timesRedeemed).toBe(2);
  });

  it("refuses a second subscription", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    const again = await app.request("POST", org.path("/subscription"), {
      body: { planId: "premium", interval: "month" },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("invalid_state");
  });
});

describe("licenses and services (add-ons billed on the next invoice)", () => {
  it("a license added mid-period issues no invoice; the renewal carries the prorated line and the full charge", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    await org.advance("2026-01-11T00:00:00Z");
    const items = await app.request("POST", org.path("/subscription/items"), {
      body: { addonId: "seat", quantity: 2 },
    });
    expect(items.status).toBe(200);
    expect(items.body.items).toEqual([{ addonId: "seat", quantity: 2 }]);
    expect((await app.request("GET", org.path("/invoices"))).body.data).toHaveLength(1);

    await org.advance("2026-02-01T00:00:00Z");
    const invoices = (await app.request("GET", org.path("/invoices"))).body.data;
    expect(invoices).toHaveLength(2);
    const renewal = invoices[0];
    expect(
      renewal.lines.map((line: { description: string; amount: number; proration: boolean }) => [
        line.description,
        line.amount,
        line.proration,
      ]),
    ).toEqual([
      ["Plus (monthly)", 4000, false],
      ["Extra seat × 2", 3000, false],
      ["Remaining time on 2 × Extra seat", 2032, true],
    ]);
    expect(renewal).toMatchObject({
      total: 9032,
      amountPaid: 9032,
      status: "paid",
      billingReason: "subscription_cycle",
    });
  });

  it("removing a license credits the unused time on the next invoice", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    await app.request("POST", org.path("/subscription/items"), {
      body: { addonId: "seat", quantity: 1 },
    });
    await org.advance("2026-02-01T00:00:00Z");
    await org.advance("2026-02-15T00:00:00Z");
    await app.request("POST", org.path("/subscription/items"), {
      body: { addonId: "seat", quantity: 0 },
    });
    await org.advance("2026-03-01T00:00:00Z");
    const renewal = (await app.request("GET", org.path("/invoices"))).body.data[0];
    // 14 of February's 28 days: −round(1500 × 14/28) = −750.
    expect(renewal.lines.map((line: { amount: number }) => line.amount)).toEqual([4000, -750]);
    expect(renewal.total).toBe(3250);
  });
});

describe("scheduled changes", () => {
  it("timing period_end changes nothing now and applies the new plan at the renewal, without proration", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "premium", interval: "month" },
    });
    await org.advance("2026-01-20T00:00:00Z");
    const preview = await app.request("POST", org.path("/subscription/preview-change"), {
      body: { planId: "plus", interval: "month", timing: "period_end" },
    });
    expect(preview.body).toMatchObject({
      lines: [],
      amountDue: 0,
      effectiveAt: "2026-02-01T00:00:00.000Z",
    });
    const scheduled = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "plus", interval: "month", timing: "period_end" },
    });
    expect(scheduled.body.invoices).toEqual([]);
    expect(scheduled.body.subscription).toMatchObject({
      planId: "premium",
      scheduledChange: {
        planId: "plus",
        interval: "month",
        effectiveAt: "2026-02-01T00:00:00.000Z",
      },
    });
    await org.advance("2026-02-01T00:00:00Z");
    const after = await app.request("GET", org.path("/subscription"));
    expect(after.body).toMatchObject({
      planId: "plus",
      scheduledChange: null,
      currentPeriodStart: "2026-02-01T00:00:00.000Z",
    });
    const renewal = (await app.request("GET", org.path("/invoices"))).body.data[0];
    expect(
      renewal.lines.map((line: { amount: number; proration: boolean }) => [
        line.amount,
        line.proration,
      ]),
    ).toEqual([[4000, false]]);
  });
});

describe("cancel", () => {
  it("at period end keeps access until then, then falls back to the free plan", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    const canceled = await app.request("POST", org.path("/subscription/cancel"), { body: {} });
    expect(canceled.body.subscription).toMatchObject({ status: "active", cancelAtPeriodEnd: true });
    await org.advance("2026-02-01T00:00:00Z");
    expect((await app.request("GET", org.path("/subscription"))).status).toBe(404);
    expect((await app.request("GET", org.path("/invoices"))).body.data).toHaveLength(1);
    const entitlement = await app.database.pool.query(
      "select plan_id, source from organization_entitlements where organization_id = $1",
      [org.organizationId],
    );
    expect(entitlement.rows[0]).toEqual({ plan_id: "free", source: "free" });
  });

  it("now ends at once without a refund; root may credit the unused time", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "premium", interval: "month" },
    });
    await org.advance("2026-01-16T00:00:00Z");
    const canceled = await app.request("POST", org.path("/subscription/cancel"), {
      body: { atPeriodEnd: false, creditUnusedTime: true },
    });
    expect(canceled.body.subscription).toMatchObject({
      status: "canceled",
      endedAt: "2026-01-16T00:00:00.000Z",
    });
    expect(canceled.body.invoices[0]).toMatchObject({ total: -5161, creditedToBalance: 5161 });
    expect(await ledgerSum(app, org.organizationId)).toBe(5161);
  });
});

describe("cancel now settles first (what is owed to date is paid first)", () => {
  it("invoices what is owed to date before ending; a declined settlement cancels nothing", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    await org.advance("2026-01-11T00:00:00Z");
    await app.request("POST", org.path("/subscription/items"), {
      body: { addonId: "seat", quantity: 2 },
    });
    await app.request("POST", org.path("/payment-methods"), {
      body: { provider: "sandbox", token: "pm_sandbox_declined", default: true },
    });
    const declined = await app.request("POST", org.path("/subscription/cancel"), {
      body: { atPeriodEnd: false },
    });
    expect(declined.status).toBe(402);
    expect(declined.body.error.code).toBe("payment_failed");
    expect((await app.request("GET", org.path("/subscription"))).body.status).toBe("active");
    const unbilled =
      "select count(*)::int as count from pending_items where organization_id = $1 and invoice_id is null";
    expect((await app.database.pool.query(unbilled, [org.organizationId])).rows[0].count).toBe(1);

    await app.request("POST", org.path("/payment-methods"), {
      body: { provider: "sandbox", token: "pm_sandbox_ok", default: true },
    });
    const canceled = await app.request("POST", org.path("/subscription/cancel"), {
      body: { atPeriodEnd: false },
    });
    expect(canceled.status).toBe(200);
    expect(canceled.body.subscription.status).toBe("canceled");
    // 2 seats × 1500 × 21/31 days = 2032.26 → 2032, charged at once; no credit unless asked for.
    expect(canceled.body.invoices).toHaveLength(1);
    expect(canceled.body.invoices[0]).toMatchObject({
      kind: "settlement",
      billingReason: "settlement_on_cancel",
      total: 2032,
      balanceApplied: 0,
      amountPaid: 2032,
      status: "paid",
    });
    expect((await app.database.pool.query(unbilled, [org.organizationId])).rows[0].count).toBe(0);
    expect(await ledgerSum(app, org.organizationId)).toBe(0);
  });
});

describe("invoices", () => {
  it("numbers finalized invoices gaplessly, declined ones included", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    await app.request("POST", org.path("/payment-methods"), {
      body: { provider: "sandbox", token: "pm_sandbox_declined", default: true },
    });
    await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "premium", interval: "month" },
    });
    // Invoices and credit notes (this file's downgrades) each have their own gapless sequence.
    for (const [documentType, prefix] of [
      ["invoice", "ABN-"],
      ["credit_note", "ABN-NC-"],
    ] as const) {
      const { rows } = await app.database.pool.query(
        "select number from invoices where number is not null and document_type = $1 order by number",
        [documentType],
      );
      expect(rows.every((row) => row.number.startsWith(prefix))).toBe(true);
      const numbers = rows.map((row) => Number(row.number.slice(prefix.length)));
      expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, index) => index + 1));
    }
  });

  it("renders a localized PDF and keeps invoices to their organization", async () => {
    const org = await createBillingOrganization(app, {
      start: "2026-01-01T00:00:00Z",
      locale: "es",
    });
    const subscribed = await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    const invoice = subscribed.body.invoice;
    expect(invoice.lines[0].description).toBe("Plus (mensual)");
    const response = await fetch(`${app.baseUrl}/v1/invoices/${invoice.id}/pdf`, {
      headers: { authorization: "Bearer abono_sk_test_root_key_0123456789abcdefghij" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/pdf");
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe("%PDF-");

    const other = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    const key = (
      await app.request("POST", "/v1/api-keys", {
        body: { scope: "organization", organizationId: other.organizationId, name: "x" },
      })
    ).body.secret;
    expect((await app.request("GET", `/v1/invoices/${invoice.id}`, { auth: key })).status).toBe(
      404,
    );
    expect((await app.request("GET", `/v1/invoices/${invoice.id}/pdf`, { auth: key })).status).toBe(
      404,
    );
    expect((await app.request("GET", org.path("/invoices"), { auth: key })).status).toBe(403);
  });
});
