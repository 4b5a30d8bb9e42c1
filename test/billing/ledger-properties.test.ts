import fc from "fast-check";
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

const plan = fc.constantFrom("free", "plus", "premium", "trial-pro");
const interval = fc.constantFrom("month", "year");
const operation = fc.oneof(
  fc.record({ kind: fc.constant("subscribe" as const), planId: plan, interval }),
  ...Array.from({ length: 3 }, () =>
    fc.record({
      kind: fc.constant("change" as const),
      planId: plan,
      interval,
      timing: fc.constantFrom("now", "now", "period_end"),
    }),
  ),
  fc.record({ kind: fc.constant("items" as const), quantity: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ kind: fc.constant("cancel" as const), atPeriodEnd: fc.boolean() }),
  fc.record({
    kind: fc.constant("card" as const),
    token: fc.constantFrom("pm_sandbox_ok", "pm_sandbox_declined"),
  }),
  fc.record({
    kind: fc.constant("advance" as const),
    seconds: fc.integer({ min: 1, max: 50 * 24 * 3600 }),
  }),
);

interface InvoiceBody {
  subtotal: number;
  discount: number;
  total: number;
  balanceApplied: number;
  creditedToBalance: number;
  amountDue: number;
  amountPaid: number;
  lines: { amount: number }[];
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
        fc.array(operation, { minLength: 3, maxLength: 15 }),
        async (firstPlan, firstInterval, operations) => {
          const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
          let time = Date.parse("2026-01-01T00:00:00Z");
          // Most sequences start subscribed, so that changes, add-ons and cancellations have work to do.
          const steps = [
            { kind: "subscribe" as const, planId: firstPlan, interval: firstInterval },
            ...operations,
          ];
          for (const step of steps) {
            let response: { status: number; body: unknown } | null = null;
            switch (step.kind) {
              case "subscribe":
                response = await app.request("POST", org.path("/subscription"), {
                  body: { planId: step.planId, interval: step.interval },
                });
                break;
              case "change":
                response = await app.request("POST", org.path("/subscription/change"), {
                  body: { planId: step.planId, interval: step.interval, timing: step.timing },
                });
                break;
              case "items":
                response = await app.request("POST", org.path("/subscription/items"), {
                  body: { addonId: "seat", quantity: step.quantity },
                });
                break;
              case "cancel":
                response = await app.request("POST", org.path("/subscription/cancel"), {
                  body: { atPeriodEnd: step.atPeriodEnd },
                });
                break;
              case "card":
                response = await app.request("POST", org.path("/payment-methods"), {
                  body: { provider: "sandbox", token: step.token, default: true },
                });
                break;
              case "advance":
                time += step.seconds * 1000;
                await org.advance(new Date(time).toISOString());
                break;
            }
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
});
