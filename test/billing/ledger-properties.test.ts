import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import {
  couponKinds,
  createBillingCatalog,
  createBillingOrganization,
  createCoupons,
  ledgerSum,
} from "../helpers/billing-scenario.ts";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  await createBillingCatalog(app);
  await createCoupons(app);
});
afterAll(() => app.close());

const plan = fc.constantFrom("free", "plus", "premium", "trial-pro");
const interval = fc.constantFrom("month", "year");
const coupon = fc.constantFrom(null, ...couponKinds.map((kind) => kind.code));
/** Random steps, weighted towards what moves money: changes now, seats, time across boundaries. */
const operations = ({ coupons }: { coupons: boolean }) =>
  fc.oneof(
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("subscribe" as const),
        planId: plan,
        interval,
        couponCode: coupons ? coupon : fc.constant(null),
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant("change" as const),
        planId: plan,
        interval,
        timing: fc.constantFrom("now", "now", "now", "period_end"),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant("items" as const),
        quantity: fc.integer({ min: 0, max: 12 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("cancel" as const),
        atPeriodEnd: fc.boolean(),
        creditUnusedTime: fc.boolean(),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("card" as const),
        token: fc.constantFrom("pm_sandbox_ok", "pm_sandbox_ok", "pm_sandbox_declined"),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("advance" as const),
        seconds: fc.integer({ min: 1, max: 40 * 24 * 3600 }),
      }),
    },
    {
      // Just before or after the current period's end: renewals with changes a minute away.
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("edge" as const),
        seconds: fc.integer({ min: -3600, max: 3600 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("adjust" as const),
        amount: fc.integer({ min: 1, max: 5000 }),
      }),
    },
  );
type Operation = typeof operations extends (...args: never[]) => fc.Arbitrary<infer T> ? T : never;

type BillingOrganization = Awaited<ReturnType<typeof createBillingOrganization>>;

/** One step of a random sequence, over HTTP; the clock only moves forward. */
async function runStep(org: BillingOrganization, step: Operation, clock: { time: number }) {
  const post = (suffix: string, body: unknown) => app.request("POST", org.path(suffix), { body });
  switch (step.kind) {
    case "subscribe":
      return post("/subscription", {
        planId: step.planId,
        interval: step.interval,
        ...(step.couponCode ? { couponCode: step.couponCode } : {}),
      });
    case "change":
      return post("/subscription/change", {
        planId: step.planId,
        interval: step.interval,
        timing: step.timing,
      });
    case "items":
      return post("/subscription/items", { addonId: "seat", quantity: step.quantity });
    case "cancel":
      return post("/subscription/cancel", {
        atPeriodEnd: step.atPeriodEnd,
        creditUnusedTime: step.creditUnusedTime,
      });
    case "card":
      return post("/payment-methods", { provider: "sandbox", token: step.token, default: true });
    case "adjust":
      return app.request(
        "POST",
        `/v1/root/organizations/${org.organizationId}/balance-adjustments`,
        {
          body: { amount: step.amount, reason: "goodwill" },
        },
      );
    case "advance":
    case "edge": {
      let target = clock.time + step.seconds * 1000;
      if (step.kind === "edge") {
        const subscription = await app.request("GET", org.path("/subscription"));
        if (subscription.status !== 200) return null;
        target = Date.parse(subscription.body.currentPeriodEnd) + step.seconds * 1000;
      }
      if (target > clock.time) {
        clock.time = target;
        await org.advance(new Date(target).toISOString());
      }
      return null;
    }
  }
}

interface InvoiceBody {
  subtotal: number;
  discount: number;
  total: number;
  balanceApplied: number;
  creditedToBalance: number;
  amountDue: number;
  amountPaid: number;
  lines: { amount: number; discount: number }[];
}

function assertTotalsRules(invoice: InvoiceBody) {
  for (const value of [
    invoice.subtotal,
    invoice.discount,
    invoice.total,
    invoice.balanceApplied,
    invoice.creditedToBalance,
    invoice.amountDue,
    invoice.amountPaid,
    ...invoice.lines.map((line) => line.amount),
  ]) {
    expect(Number.isInteger(value)).toBe(true);
  }
  expect(invoice.subtotal).toBe(invoice.lines.reduce((sum, line) => sum + line.amount, 0));
  // The lines' discounts are the invoice's, none more than its line; credits carry none.
  expect(invoice.discount).toBe(invoice.lines.reduce((sum, line) => sum + line.discount, 0));
  for (const line of invoice.lines) {
    expect(line.discount).toBeGreaterThanOrEqual(0);
    expect(line.discount).toBeLessThanOrEqual(Math.max(line.amount, 0));
  }
  expect(invoice.total).toBe(invoice.subtotal - invoice.discount);
  expect(invoice.balanceApplied).toBeGreaterThanOrEqual(0);
  expect(invoice.creditedToBalance).toBeGreaterThanOrEqual(0);
  if (invoice.total >= 0) {
    expect(invoice.amountDue).toBe(invoice.total - invoice.balanceApplied);
    expect(invoice.creditedToBalance).toBe(0);
  } else {
    expect(invoice.creditedToBalance).toBe(-invoice.total);
    expect(invoice.balanceApplied).toBe(0);
    expect(invoice.amountDue).toBe(0);
  }
}

describe("ledger and invoice invariants", () => {
  it("hold over random sequences of subscribe, change, add-on, cancel and time", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("plus", "premium"),
        interval,
        fc.array(operations({ coupons: false }), { minLength: 3, maxLength: 15 }),
        async (firstPlan, firstInterval, steps) => {
          const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
          const clock = { time: Date.parse("2026-01-01T00:00:00Z") };
          // Most sequences start subscribed, so that changes, add-ons and cancellations have work to do.
          await runStep(
            org,
            { kind: "subscribe", planId: firstPlan, interval: firstInterval, couponCode: null },
            clock,
          );
          for (const step of steps) {
            const response = await runStep(org, step, clock);
            // Refusals are fine (no subscription yet, declined, same plan…); a server error never is.
            if (response) expect(response.status).toBeLessThan(500);

            const balance = await app.request("GET", org.path("/balance?limit=100"));
            expect(balance.body.available).toBeGreaterThanOrEqual(0);
            expect(balance.body.available).toBe(await ledgerSum(app, org.organizationId));
          }
          const { rows } = await app.database.pool.query(
            "select amount::text from balance_transactions where organization_id = $1 order by id",
            [org.organizationId],
          );
          let running = 0;
          for (const row of rows) {
            expect(row.amount).toMatch(/^-?\d+$/);
            running += Number(row.amount);
            expect(running).toBeGreaterThanOrEqual(0);
          }
          const invoices = await app.request("GET", org.path("/invoices?limit=100"));
          for (const invoice of invoices.body.data) assertTotalsRules(invoice);
        },
      ),
      { numRuns: 30 },
    );
  }, 240_000);

  /**
   * docs/billing.md "What unused time is worth": whatever a customer does (subscribe with any coupon,
   * change plan or interval, now or at the period end, add and remove seats, cancel with or without a
   * credit, renew across any boundary, a minute before or after it), the credit balance never receives
   * more than was actually paid (by card, or from the balance itself) plus what root added. A credit
   * for time nobody paid for would break it (a 100% coupon's downgrade, seats billed free then removed).
   */
  it("never credit more than was paid, whatever the coupons", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          { planId: "plus", interval: "month" },
          { planId: "plus", interval: "year" },
          { planId: "premium", interval: "month" },
          { planId: "premium", interval: "year" },
          { planId: "trial-pro", interval: "month" },
        ),
        coupon,
        fc.constantFrom(true, true, true, false),
        fc.array(operations({ coupons: true }), { minLength: 8, maxLength: 20 }),
        async (firstPlan, firstCoupon, card, steps) => {
          const org = await createBillingOrganization(app, {
            start: "2026-01-01T00:00:00Z",
            paymentToken: card ? "pm_sandbox_ok" : null,
          });
          const clock = { time: Date.parse("2026-01-01T00:00:00Z") };
          const first = { kind: "subscribe" as const, ...firstPlan, couponCode: firstCoupon };
          for (const step of [first, ...steps]) {
            const response = await runStep(org, step, clock);
            if (response) expect(response.status).toBeLessThan(500);
            const { rows } = await app.database.pool.query(
              `select
                 (select coalesce(sum(amount - amount_refunded), 0) from payments
                   where organization_id = $1 and status <> 'failed')::bigint as paid,
                 (select coalesce(sum(amount) filter (where type = 'proration_credit'), 0)
                    from balance_transactions where organization_id = $1)::bigint as credited,
                 (select coalesce(-sum(amount) filter (where type = 'applied_to_invoice'), 0)
                    from balance_transactions where organization_id = $1)::bigint as applied,
                 (select coalesce(sum(amount) filter (where type = 'adjustment'), 0)
                    from balance_transactions where organization_id = $1)::bigint as adjusted`,
              [org.organizationId],
            );
            const { paid, credited, applied, adjusted } = rows[0];
            // Root's adjustments count once they pay an invoice (`applied`); the bound holds without them.
            expect(Number(credited)).toBeLessThanOrEqual(Number(paid) + Number(applied));
            expect(Number(credited)).toBeLessThanOrEqual(
              Number(paid) + Number(applied) + Number(adjusted),
            );
          }
          const invoices = await app.request("GET", org.path("/invoices?limit=100"));
          for (const invoice of invoices.body.data) assertTotalsRules(invoice);
        },
      ),
      { numRuns: 40 },
    );
  }, 240_000);
});
