import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog } from "../helpers/billing-scenario.ts";

/**
 * GET /v1/admin/dashboard/movements against PostgreSQL (docs/backoffice.md "MRR movements"): subscription
 * rows and plan-change events written as history, the clock pinned to the 15th of the current month.
 */
const today = new Date();
const at = (monthsAgo: number, day: number) =>
  new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - monthsAgo, day, 12));
const monthOf = (monthsAgo: number) => at(monthsAgo, 1).toISOString().slice(0, 7);
const now = at(0, 15);

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ worker: false, clock: () => now });
  await createBillingCatalog(app);
  const euro = await app.request("POST", "/v1/plans", {
    body: {
      id: "euro",
      name: "Euro",
      tier: 10,
      prices: [{ interval: "month", currency: "EUR", unitAmount: 2000 }],
      features: { encounters: 100, seats: 2 },
    },
  });
  expect(euro.status).toBe(201);
  for (const id of ["org-a", "org-b", "org-c", "org-d"]) {
    const created = await app.request("POST", "/v1/organizations", { body: { id, name: id } });
    expect(created.status).toBe(201);
  }
  const pool = app.database.pool;
  const subscription = async (row: {
    id: string;
    organizationId: string;
    planId: string;
    currency: string;
    status: string;
    createdAt: Date;
    trialEndsAt?: Date;
    endedAt?: Date;
  }) =>
    pool.query(
      `insert into subscriptions (id, organization_id, plan_id, plan_version, interval, currency, status,
                                  anchor_at, current_period_start, current_period_end, trial_ends_at,
                                  ended_at, created_at, updated_at)
       values ($1, $2, $3, 1, 'month', $4, $5, $6, $6, $6::timestamptz + interval '1 month', $7, $8, $6, $6)`,
      [
        row.id,
        row.organizationId,
        row.planId,
        row.currency,
        row.status,
        row.createdAt,
        row.trialEndsAt ?? null,
        row.endedAt ?? null,
      ],
    );
  // a: plus (40.00) two months ago, premium (100.00) since the 10th of last month.
  await subscription({
    id: "sub-a",
    organizationId: "org-a",
    planId: "premium",
    currency: "USD",
    status: "active",
    createdAt: at(2, 5),
  });
  await pool.query(
    `insert into events (id, type, organization_id, sequence, data, previous, created_at)
     values ('evt-a', 'subscription.plan_changed', 'org-a', 1000,
             '{"subscriptionId": "sub-a", "planId": "premium", "interval": "month"}',
             '{"planId": "plus", "interval": "month"}', $1)`,
    [at(1, 10)],
  );
  // b: premium since five months ago, canceled on the 20th of last month.
  await subscription({
    id: "sub-b",
    organizationId: "org-b",
    planId: "premium",
    currency: "USD",
    status: "canceled",
    createdAt: at(5, 1),
    endedAt: at(1, 20),
  });
  // c: 20.00 EUR since the 2nd of this month.
  await subscription({
    id: "sub-c",
    organizationId: "org-c",
    planId: "euro",
    currency: "EUR",
    status: "active",
    createdAt: at(0, 2),
  });
  // d: plus, trialing from the 1st of last month to the 15th.
  await subscription({
    id: "sub-d",
    organizationId: "org-d",
    planId: "plus",
    currency: "USD",
    status: "active",
    createdAt: at(1, 1),
    trialEndsAt: at(1, 15),
  });
  const payment = (
    id: string,
    organizationId: string,
    provider: string,
    amount: number,
    currency: string,
    status: string,
    refunded: number,
    createdAt: Date,
  ) =>
    pool.query(
      `insert into payments (id, organization_id, provider, provider_payment_id, amount, currency, status,
                             amount_refunded, created_at)
       values ($1, $2, $3, $1, $4, $5, $6, $7, $8)`,
      [id, organizationId, provider, amount, currency, status, refunded, createdAt],
    );
  await payment("pay-1", "org-a", "stripe", 4000, "USD", "succeeded", 0, at(1, 5));
  await payment("pay-2", "org-b", "paypal", 10000, "USD", "refunded", 10000, at(1, 1));
  await payment("pay-3", "org-d", "stripe", 4000, "USD", "succeeded", 0, at(1, 15));
  await payment("pay-4", "org-a", "stripe", 10000, "USD", "failed", 0, at(1, 10));
  await payment("pay-5", "org-c", "stripe", 2000, "EUR", "succeeded", 0, at(0, 2));
});
afterAll(() => app.close());

describe("dashboard movements", () => {
  it("splits MRR's change by month into new, expansion, contraction and churn, per currency", async () => {
    const response = await app.request("GET", "/v1/admin/dashboard/movements?months=3");
    expect(response.status).toBe(200);
    expect(response.body.mrrMovements).toEqual([
      // Two months ago: b paying (100.00), a new (40.00).
      {
        month: monthOf(2),
        currency: "USD",
        opening: 10000,
        new: 4000,
        expansion: 0,
        contraction: 0,
        churn: 0,
        closing: 14000,
      },
      // Last month: d's trial ended (new 40.00), a upgraded (+60.00), b canceled (−100.00).
      {
        month: monthOf(1),
        currency: "USD",
        opening: 14000,
        new: 4000,
        expansion: 6000,
        contraction: 0,
        churn: 10000,
        closing: 14000,
      },
      // This month: c in EUR, apart; USD unchanged.
      {
        month: monthOf(0),
        currency: "EUR",
        opening: 0,
        new: 2000,
        expansion: 0,
        contraction: 0,
        churn: 0,
        closing: 2000,
      },
      {
        month: monthOf(0),
        currency: "USD",
        opening: 14000,
        new: 0,
        expansion: 0,
        contraction: 0,
        churn: 0,
        closing: 14000,
      },
    ]);
  });

  it("sums payments that succeeded per month, provider and currency", async () => {
    const response = await app.request("GET", "/v1/admin/dashboard/movements?months=3");
    expect(response.body.revenueByProvider).toEqual([
      {
        month: monthOf(1),
        provider: "paypal",
        currency: "USD",
        payments: 1,
        amount: 10000,
        refunded: 10000,
      },
      {
        month: monthOf(1),
        provider: "stripe",
        currency: "USD",
        payments: 2,
        amount: 8000,
        refunded: 0,
      },
      {
        month: monthOf(0),
        provider: "stripe",
        currency: "EUR",
        payments: 1,
        amount: 2000,
        refunded: 0,
      },
    ]);
  });

  it("refuses a bad month count and a non-root caller", async () => {
    expect((await app.request("GET", "/v1/admin/dashboard/movements?months=0")).status).toBe(400);
    const key = await app.request("POST", "/v1/api-keys", {
      body: { scope: "organization", organizationId: "org-a", name: "a" },
    });
    const refused = await app.request("GET", "/v1/admin/dashboard/movements", {
      auth: key.body.secret,
    });
    expect(refused.status).toBe(403);
  });
});
