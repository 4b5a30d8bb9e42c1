import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { billingMessages } from "../../src/i18n/billing-messages.ts";
import type { DraftLine } from "../../src/invoicing/compute-invoice-totals.ts";
import { periodChargeLines } from "../../src/subscriptions/period-charge-lines.ts";
import { firstPeriod, type Interval } from "../../src/time/index.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog, createBillingOrganization } from "../helpers/billing-scenario.ts";

/**
 * Every path that starts a period bills it with `periodChargeLines`: subscribing, subscribing again,
 * a change that starts a new period, an interval change at renewal, a trial's end and a renewal. For
 * each, the lines that start the period are exactly what `periodChargeLines` gives for the
 * subscription's state (plan, interval, add-ons, period), so the same state is billed the same way
 * whatever path started its period. (The billing run's batches produce what the single renewal does,
 * row for row: renewal-paths.test.ts.)
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ environment: { ABONO_ANNUAL_AUTO_RENEW: "true" } });
  await createBillingCatalog(app);
});
afterAll(() => app.close());

const plans = {
  plus: { name: "Plus", month: 4000n, year: 40000n },
  "trial-pro": { name: "Trial Pro", month: 5000n, year: 0n },
};
const seatPrices = [
  { interval: "month" as const, currency: "USD", unitAmount: 1500n },
  { interval: "year" as const, currency: "USD", unitAmount: 15000n },
];

/** What `periodChargeLines` bills for a state, as the API shows invoice lines (untaxed). */
function expectedLines({
  planId,
  interval,
  seats,
  period,
  cutFrom = null,
}: {
  planId: keyof typeof plans;
  interval: Interval;
  seats: number;
  period: { start: Date; end: Date };
  cutFrom?: { start: Date; end: Date } | null;
}) {
  const plan = plans[planId];
  const lines = periodChargeLines({
    plan: { name: plan.name, unitAmount: plan[interval] },
    addons:
      seats > 0
        ? [{ addonId: "seat", name: "Extra seat", quantity: BigInt(seats), prices: seatPrices }]
        : [],
    interval,
    currency: "USD",
    period,
    cutFrom,
    messages: billingMessages("en"),
  });
  return lines.map((line: DraftLine) => ({
    kind: line.kind,
    description: line.description,
    amount: Number(line.amount),
    discount: 0,
    quantity: Number(line.quantity),
    unitAmount: Number(line.unitAmount),
    proration: line.proration,
    periodStart: line.periodStart?.toISOString(),
    periodEnd: line.periodEnd?.toISOString(),
    // No tax rate applies to these organizations: each line is untaxed, on its amount after its discount.
    taxableAmount: Number(line.amount),
    taxAmount: 0,
    taxRateId: null,
    taxName: null,
    taxPercentage: null,
    taxInclusive: null,
  }));
}

/** The lines that start the invoice's period (credits before them and pending items after left out). */
function periodLines(invoice: { lines: Record<string, unknown>[] }, count: number) {
  const first = invoice.lines.findIndex((line) => line.kind === "plan");
  return invoice.lines.slice(first, first + count);
}

const periodOf = (invoice: { periodStart: string; periodEnd: string }) => ({
  start: new Date(invoice.periodStart),
  end: new Date(invoice.periodEnd),
});

async function latestInvoice(org: { path: (suffix: string) => string }) {
  const [invoice] = (await app.request("GET", org.path("/invoices"))).body.data;
  return invoice;
}

async function setSeats(org: { path: (suffix: string) => string }, quantity: number) {
  const response = await app.request("POST", org.path("/subscription/items"), {
    body: { addonId: "seat", quantity },
  });
  expect(response.status).toBe(200);
}

describe("every path that starts a period bills it with periodChargeLines", () => {
  it("subscribing, and subscribing again after a cancellation", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    const { invoice } = await org.subscribe("plus", "month");
    expect(invoice.lines).toEqual(
      expectedLines({ planId: "plus", interval: "month", seats: 0, period: periodOf(invoice) }),
    );
    await org.advance("2026-01-10T00:00:00Z");
    const canceled = await app.request("POST", org.path("/subscription/cancel"), {
      body: { atPeriodEnd: false },
    });
    expect(canceled.status).toBe(200);
    const again = await org.subscribe("plus", "year");
    expect(again.invoice.lines).toEqual(
      expectedLines({
        planId: "plus",
        interval: "year",
        seats: 0,
        period: periodOf(again.invoice),
      }),
    );
  });

  it("a first_of_month stub: plan and add-ons prorated over the month it is cut from", async () => {
    const org = await createBillingOrganization(app, {
      start: "2026-01-15T00:00:00Z",
      billingAnchor: "first_of_month",
    });
    // A trial ends on 29 January and starts a stub to 1 February, with 2 seats set during the trial.
    await org.subscribe("trial-pro", "month");
    await setSeats(org, 2);
    await org.advance("2026-01-29T00:00:00Z");
    const invoice = await latestInvoice(org);
    const first = firstPeriod({
      billingAnchor: "first_of_month",
      interval: "month",
      start: new Date("2026-01-29T00:00:00Z"),
    });
    const expected = expectedLines({
      planId: "trial-pro",
      interval: "month",
      seats: 2,
      period: first.period,
      cutFrom: first.fullPeriod,
    });
    // 3 of January's 31 days: 5000 × 3/31 = 483.87 → 484; 2 seats 3000 × 3/31 = 290.32 → 290.
    expect(expected.map((line) => line.amount)).toEqual([484, 290]);
    expect(invoice.lines).toEqual(expected);
    expect(invoice.billingReason).toBe("trial_end");
  });

  it("a change that starts a new period, an interval change at renewal, and the renewal after it: the same lines for the same state", async () => {
    // Now: Plus monthly with 2 seats → Plus yearly on 15 January.
    const now = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await now.subscribe("plus", "month");
    await setSeats(now, 2);
    await now.advance("2026-01-15T00:00:00Z");
    const changed = await app.request("POST", now.path("/subscription/change"), {
      body: { planId: "plus", interval: "year" },
    });
    expect(changed.status).toBe(200);
    const changeInvoice = changed.body.invoices.at(-1);
    const state = { planId: "plus" as const, interval: "year" as const, seats: 2 };
    expect(periodLines(changeInvoice, 2)).toEqual(
      expectedLines({ ...state, period: periodOf(changeInvoice) }),
    );

    // At renewal: the same change scheduled for the period end (1 February).
    const scheduled = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await scheduled.subscribe("plus", "month");
    await setSeats(scheduled, 2);
    const atEnd = await app.request("POST", scheduled.path("/subscription/change"), {
      body: { planId: "plus", interval: "year", timing: "period_end" },
    });
    expect(atEnd.status).toBe(200);
    await scheduled.advance("2026-02-01T00:00:00Z");
    const renewalWithChange = await latestInvoice(scheduled);
    expect(periodLines(renewalWithChange, 2)).toEqual(
      expectedLines({ ...state, period: periodOf(renewalWithChange) }),
    );

    // The renewal a year later.
    await now.advance("2027-01-15T00:00:00Z");
    const renewal = await latestInvoice(now);
    expect(renewal.billingReason).toBe("subscription_cycle");
    expect(renewal.lines).toEqual(expectedLines({ ...state, period: periodOf(renewal) }));

    // One state, three paths, one set of lines (apart from the dates of the period).
    const withoutDates = (lines: Record<string, unknown>[]) =>
      lines.map(({ periodStart, periodEnd, ...line }) => line);
    expect(withoutDates(periodLines(changeInvoice, 2))).toEqual(withoutDates(renewal.lines));
    expect(withoutDates(periodLines(renewalWithChange, 2))).toEqual(withoutDates(renewal.lines));
  });
});
