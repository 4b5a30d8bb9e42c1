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
});
afterAll(() => app.close());

describe("downgrade and upgrade with proration (Premium → Plus mid-period)", () => {
  it("Premium 10000 → Plus 4000 on day 16 of a 31-day period credits 3096 to the balance", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    const subscribed = await app.request("POST", org.path("/subscription"), {
      body: { planId: "premium", interval: "month" },
    });
    expect(subscribed.status).toBe(201);
    expect(subscribed.body.subscription).toMatchObject({
      planId: "premium",
      status: "active",
      currentPeriodStart: "2026-01-01T00:00:00.000Z",
      currentPeriodEnd: "2026-02-01T00:00:00.000Z",
    });
    expect(subscribed.body.invoice).toMatchObject({
      kind: "subscription",
      status: "paid",
      total: 10000,
      amountPaid: 10000,
    });
    expect(subscribed.body.invoice.number).toMatch(/^ABN-\d{6}$/);

    await org.advance("2026-01-16T00:00:00Z");
    const preview = await app.request("POST", org.path("/subscription/preview-change"), {
      body: { planId: "plus", interval: "month" },
    });
    expect(preview.status).toBe(200);
    expect(preview.body.lines.map((line: { amount: number }) => line.amount)).toEqual([
      -5161, 2065,
    ]);
    expect(preview.body.lines[0]).toMatchObject({
      description: "Unused time on Premium",
      proration: true,
      periodStart: "2026-01-16T00:00:00.000Z",
      periodEnd: "2026-02-01T00:00:00.000Z",
    });
    expect(preview.body.lines[1].description).toBe("Remaining time on Plus");
    expect(preview.body).toMatchObject({
      currency: "USD",
      subtotal: -3096,
      discount: 0,
      balanceApplied: 0,
      amountDue: 0,
      // The invoice's name; `creditToBalance` stays one version as a deprecated alias (CHANGELOG.md).
      creditedToBalance: 3096,
      creditToBalance: 3096,
      balanceAfter: 3096,
      effectiveAt: "2026-01-16T00:00:00.000Z",
      settlement: null,
    });

    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "plus", interval: "month" },
    });
    expect(change.status).toBe(200);
    expect(change.body.subscription).toMatchObject({
      planId: "plus",
      currentPeriodStart: "2026-01-01T00:00:00.000Z",
      currentPeriodEnd: "2026-02-01T00:00:00.000Z",
    });
    expect(change.body.invoices).toHaveLength(1);
    expect(change.body.invoices[0]).toMatchObject({
      kind: "subscription",
      status: "paid",
      subtotal: -3096,
      total: -3096,
      creditedToBalance: 3096,
      balanceApplied: 0,
      amountDue: 0,
    });
    const balance = await app.request("GET", org.path("/balance"));
    expect(balance.body).toMatchObject({ currency: "USD", available: 3096 });
    expect(balance.body.transactions[0]).toMatchObject({
      amount: 3096,
      type: "proration_credit",
      invoiceId: change.body.invoices[0].id,
    });

    // The reverse upgrade on day 20: 12 of 31 days left. Plus's unused time is worth what was paid for it:
    // 2065 for the 16 days from day 16, 12 of them unused → 1548.75; and Premium's credit (5161) was
    // 0.22 short of its unused 12 days (10000 × 12/31 − 5161 × 12/16 = 3870.97 − 3870.75). Together
    // 1548.97 → 1549. Premium's remaining time: 10000 × 12/31 = 3870.97 → 3871. Net 3871 − 1549 = 2322,
    // paid from the balance first.
    await org.advance("2026-01-20T00:00:00Z");
    const upgrade = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "premium", interval: "month" },
    });
    expect(upgrade.status).toBe(200);
    expect(upgrade.body.invoices[0].lines.map((line: { amount: number }) => line.amount)).toEqual([
      -1549, 3871,
    ]);
    expect(upgrade.body.invoices[0]).toMatchObject({
      total: 2322,
      balanceApplied: 2322,
      amountDue: 0,
      status: "paid",
    });
    expect((await app.request("GET", org.path("/balance"))).body.available).toBe(774);
    expect(await ledgerSum(app, org.organizationId)).toBe(774);
  });

  it("charges an upgrade at once, applying the balance before the card", async () => {
    const org = await createBillingOrganization(app, { start: "2026-03-01T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "premium", interval: "month" },
    });
    await org.advance("2026-03-16T12:00:00Z");
    const down = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "plus", interval: "month" },
    });
    const credit = down.body.invoices[0].creditedToBalance;
    expect(credit).toBeGreaterThan(0);
    await org.advance("2026-03-17T00:00:00Z");
    // Up to the annual Premium: the unused Plus month is credited, a full year starts now.
    const preview = await app.request("POST", org.path("/subscription/preview-change"), {
      body: { planId: "premium", interval: "year" },
    });
    const up = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "premium", interval: "year" },
    });
    const invoice = up.body.invoices[0];
    expect(invoice.total).toBe(preview.body.subtotal);
    expect(invoice.balanceApplied).toBe(Math.min(credit, invoice.total));
    expect(invoice.amountDue).toBe(invoice.total - invoice.balanceApplied);
    expect(invoice.amountPaid).toBe(invoice.amountDue);
    expect(invoice.amountDue).toBeGreaterThan(0);
    const payments = await app.database.pool.query(
      "select amount::int, status from payments where invoice_id = $1",
      [invoice.id],
    );
    expect(payments.rows).toEqual([{ amount: invoice.amountDue, status: "succeeded" }]);
    expect((await app.request("GET", org.path("/balance"))).body.available).toBe(0);
  });

  it("denies an upgrade whose payment is declined: 402, nothing changed, the invoice void and the attempt kept", async () => {
    const org = await createBillingOrganization(app, { start: "2026-04-01T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    await app.request("POST", org.path("/payment-methods"), {
      body: { provider: "sandbox", token: "pm_sandbox_declined", default: true },
    });
    await org.advance("2026-04-10T00:00:00Z");
    const before = await app.request("GET", org.path("/subscription"));
    const entitlementBefore = await app.database.pool.query(
      "select plan_id, status from organization_entitlements where organization_id = $1",
      [org.organizationId],
    );
    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "premium", interval: "month" },
    });
    expect(change.status).toBe(402);
    expect(change.body.error.code).toBe("payment_failed");
    expect((await app.request("GET", org.path("/subscription"))).body).toEqual(before.body);
    const entitlementAfter = await app.database.pool.query(
      "select plan_id, status from organization_entitlements where organization_id = $1",
      [org.organizationId],
    );
    expect(entitlementAfter.rows).toEqual(entitlementBefore.rows);
    const voided = await app.request("GET", `/v1/invoices/${change.body.error.details.invoiceId}`);
    expect(voided.body.status).toBe("void");
    const attempts = await app.database.pool.query(
      "select status, failure_code from payments where invoice_id = $1",
      [voided.body.id],
    );
    expect(attempts.rows).toEqual([{ status: "failed", failure_code: "card_declined" }]);
    expect(await ledgerSum(app, org.organizationId)).toBe(0);
  });
});

describe("settlement before a plan change (what is owed to date is paid first)", () => {
  it("invoices what is owed to date first; declined → 402 and nothing changes", async () => {
    const org = await createBillingOrganization(app, { start: "2026-05-01T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    await org.advance("2026-05-11T00:00:00Z");
    await app.request("POST", org.path("/subscription/items"), {
      body: { addonId: "seat", quantity: 2 },
    });
    await org.advance("2026-05-20T00:00:00Z");
    await app.request("POST", org.path("/payment-methods"), {
      body: { provider: "sandbox", token: "pm_sandbox_declined", default: true },
    });
    const preview = await app.request("POST", org.path("/subscription/preview-change"), {
      body: { planId: "premium", interval: "month" },
    });
    // 2 seats × 1500 × 21/31 days = 2032.26 → 2032.
    expect(preview.body.settlement).toMatchObject({ total: 2032, amountDue: 2032 });

    const before = await app.request("GET", org.path("/subscription"));
    const invoicesBefore = (await app.request("GET", org.path("/invoices"))).body.data.length;
    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "premium", interval: "month" },
    });
    expect(change.status).toBe(402);
    const voided = await app.request("GET", `/v1/invoices/${change.body.error.details.invoiceId}`);
    expect(voided.body).toMatchObject({
      kind: "settlement",
      status: "void",
      total: 2032,
      balanceApplied: 0,
    });
    expect((await app.request("GET", org.path("/subscription"))).body).toEqual(before.body);
    const invoices = (await app.request("GET", org.path("/invoices"))).body.data;
    expect(invoices).toHaveLength(invoicesBefore + 1);
    const unbilled = await app.database.pool.query(
      "select count(*)::int as count from pending_items where organization_id = $1 and invoice_id is null",
      [org.organizationId],
    );
    expect(unbilled.rows[0].count).toBe(1);
    expect(await ledgerSum(app, org.organizationId)).toBe(0);

    // With a working card the same change settles first, then prorates.
    await app.request("POST", org.path("/payment-methods"), {
      body: { provider: "sandbox", token: "pm_sandbox_ok", default: true },
    });
    const retried = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "premium", interval: "month" },
    });
    expect(retried.status).toBe(200);
    expect(retried.body.invoices.map((invoice: { kind: string }) => invoice.kind)).toEqual([
      "settlement",
      "subscription",
    ]);
    expect(retried.body.invoices[0]).toMatchObject({
      total: 2032,
      amountPaid: 2032,
      balanceApplied: 0,
      status: "paid",
    });
  });

  it("a settlement that nets negative (seats removed) is credited, and the preview says so", async () => {
    const org = await createBillingOrganization(app, { start: "2026-02-01T00:00:00Z" });
    await org.subscribe("plus", "month");
    await app.request("POST", org.path("/subscription/items"), {
      body: { addonId: "seat", quantity: 2 },
    });
    await org.advance("2026-03-01T00:00:00Z"); // renewal: Plus 4000, 2 seats 3000, February's seats 3000
    // 15 March 00:00: 17 of March's 31 days left. The 2 seats billed 3000 for March are worth
    // 3000 × 17/31 = 1645.16 → 1645, credited on the next invoice (pending).
    await org.advance("2026-03-15T00:00:00Z");
    await app.request("POST", org.path("/subscription/items"), {
      body: { addonId: "seat", quantity: 0 },
    });
    const preview = await app.request("POST", org.path("/subscription/preview-change"), {
      body: { planId: "premium", interval: "month" },
    });
    expect(preview.status).toBe(200);
    expect(preview.body.settlement).toMatchObject({
      subtotal: -1645,
      discount: 0,
      total: -1645,
      amountDue: 0,
      creditedToBalance: 1645,
    });
    expect(preview.body.settlement.lines).toEqual([
      expect.objectContaining({ amount: -1645, discount: 0, kind: "pending_item" }),
    ]);
    // The change: Plus's unused 17 days (4000 × 17/31 = 2193.55 → 2194) against Premium's
    // (10000 × 17/31 = 5483.87 → 5484): 3290, of which the settlement's 1645 is paid from the balance.
    expect(preview.body).toMatchObject({
      subtotal: 3290,
      balanceApplied: 1645,
      amountDue: 1645,
      creditedToBalance: 0,
      balanceAfter: 0,
    });

    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "premium", interval: "month" },
    });
    expect(change.status).toBe(200);
    const [settlement, invoice] = change.body.invoices;
    expect(settlement).toMatchObject({
      kind: "settlement",
      total: preview.body.settlement.total,
      amountDue: preview.body.settlement.amountDue,
      creditedToBalance: preview.body.settlement.creditedToBalance,
    });
    expect(invoice).toMatchObject({
      subtotal: preview.body.subtotal,
      balanceApplied: preview.body.balanceApplied,
      amountDue: preview.body.amountDue,
    });
    const balance = await app.request("GET", org.path("/balance"));
    expect(balance.body.available).toBe(preview.body.balanceAfter);
  });

  it("issues no settlement invoice when nothing is owed", async () => {
    const org = await createBillingOrganization(app, { start: "2026-05-01T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "premium", interval: "month" },
    });
    expect(change.body.invoices.map((invoice: { kind: string }) => invoice.kind)).toEqual([
      "subscription",
    ]);
  });

  it("never applies the credit balance to a settlement invoice", async () => {
    const org = await createBillingOrganization(app, { start: "2026-06-01T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "premium", interval: "month" },
    });
    await org.advance("2026-06-11T00:00:00Z");
    await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "plus", interval: "month" },
    });
    const credit = (await app.request("GET", org.path("/balance"))).body.available;
    expect(credit).toBeGreaterThan(0);
    await app.request("POST", org.path("/subscription/items"), {
      body: { addonId: "seat", quantity: 1 },
    });
    await org.advance("2026-06-15T00:00:00Z");
    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "premium", interval: "month" },
    });
    const settlement = change.body.invoices[0];
    expect(settlement.kind).toBe("settlement");
    expect(settlement.balanceApplied).toBe(0);
    expect(settlement.amountPaid).toBe(settlement.total);
  });
});

describe("interval changes reset the anchor", () => {
  it("monthly → annual credits the unused month and starts a full year now; annual → monthly likewise", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    await org.advance("2026-01-16T00:00:00Z");
    const toYear = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "plus", interval: "year" },
    });
    expect(toYear.status).toBe(200);
    expect(toYear.body.subscription).toMatchObject({
      interval: "year",
      currentPeriodStart: "2026-01-16T00:00:00.000Z",
      currentPeriodEnd: "2027-01-16T00:00:00.000Z",
    });
    const lines = toYear.body.invoices[0].lines;
    expect(
      lines.map((line: { amount: number; proration: boolean }) => [line.amount, line.proration]),
    ).toEqual([
      [-2065, true],
      [40000, false],
    ]);
    expect(toYear.body.invoices[0]).toMatchObject({
      total: 37935,
      amountDue: 37935,
      amountPaid: 37935,
    });

    // Back to monthly on 16 Jul 2026: 184 of 365 days left → credit round(40000 × 184/365) = 20164.
    await org.advance("2026-07-16T00:00:00Z");
    const toMonth = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "plus", interval: "month" },
    });
    expect(toMonth.body.subscription).toMatchObject({
      interval: "month",
      currentPeriodStart: "2026-07-16T00:00:00.000Z",
      currentPeriodEnd: "2026-08-16T00:00:00.000Z",
    });
    expect(toMonth.body.invoices[0].lines.map((line: { amount: number }) => line.amount)).toEqual([
      -20164, 4000,
    ]);
    expect(toMonth.body.invoices[0]).toMatchObject({
      total: -16164,
      creditedToBalance: 16164,
      amountDue: 0,
    });
    expect((await app.request("GET", org.path("/balance"))).body.available).toBe(16164);

    // The next renewal follows the new anchor and takes the balance first.
    await org.advance("2026-08-16T00:00:00Z");
    const subscription = await app.request("GET", org.path("/subscription"));
    expect(subscription.body).toMatchObject({
      currentPeriodStart: "2026-08-16T00:00:00.000Z",
      currentPeriodEnd: "2026-09-16T00:00:00.000Z",
    });
    expect((await app.request("GET", org.path("/balance"))).body.available).toBe(12164);
  });
});

describe("add-ons across an interval change", () => {
  it("refuses (400) an interval the subscription's add-ons have no price for, now or at period end", async () => {
    const addon = await app.request("POST", "/v1/addons", {
      body: {
        id: "support",
        name: "Support",
        kind: "service",
        prices: [{ interval: "month", currency: "USD", unitAmount: 900 }],
        features: {},
      },
    });
    expect(addon.status).toBe(201);
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    await app.request("POST", org.path("/subscription/items"), {
      body: { addonId: "support", quantity: 1 },
    });
    const before = await app.request("GET", org.path("/subscription"));
    for (const timing of ["now", "period_end"]) {
      const change = await app.request("POST", org.path("/subscription/change"), {
        body: { planId: "premium", interval: "year", timing },
      });
      expect(change.status).toBe(400);
      expect(change.body.error).toMatchObject({
        code: "validation_error",
        details: { addonId: "support" },
      });
      expect(change.body.error.message).toMatch(/no yearly price in USD; remove it/);
    }
    expect((await app.request("GET", org.path("/subscription"))).body).toEqual(before.body);
    // The same interval keeps the add-on; without it the interval change goes through.
    const sameInterval = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "premium", interval: "month" },
    });
    expect(sameInterval.status).toBe(200);
    await app.request("POST", org.path("/subscription/items"), {
      body: { addonId: "support", quantity: 0 },
    });
    const toYear = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "premium", interval: "year" },
    });
    expect(toYear.status).toBe(200);
    expect(toYear.body.subscription).toMatchObject({ planId: "premium", interval: "year" });
    const again = await app.request("POST", org.path("/subscription/items"), {
      body: { addonId: "support", quantity: 1 },
    });
    expect(again.status).toBe(400);
    expect(again.body.error.message).toMatch(/^Add-on "support" has no yearly price in USD/);
  });
});

describe("concurrent plan changes", () => {
  it("20 parallel changes on one organization leave one result and a balanced ledger", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "premium", interval: "month" },
    });
    await org.advance("2026-01-16T00:00:00Z");
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        app.request("POST", org.path("/subscription/change"), {
          body: { planId: "plus", interval: "month" },
        }),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(19);
    for (const loser of responses.filter((response) => response.status === 409)) {
      expect(loser.body.error.code).toBe("invalid_state");
      expect(loser.body.error.details.subscription.planId).toBe("plus");
    }
    // The downgrade's one document is a credit note (docs/billing.md "Credit notes").
    const creditNotes = (await app.request("GET", org.path("/credit-notes"))).body.data;
    expect(
      creditNotes.filter(
        (note: { billingReason: string }) => note.billingReason === "subscription_change",
      ),
    ).toHaveLength(1);
    const invoices = (await app.request("GET", org.path("/invoices?documentType=invoice"))).body
      .data;
    expect(
      invoices.filter(
        (invoice: { billingReason: string }) => invoice.billingReason === "subscription_change",
      ),
    ).toHaveLength(0);
    const balance = await app.request("GET", org.path("/balance"));
    expect(balance.body.available).toBe(3096);
    expect(await ledgerSum(app, org.organizationId)).toBe(3096);
  });
});
