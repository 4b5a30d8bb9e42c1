import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog, createBillingOrganization } from "../helpers/billing-scenario.ts";

/**
 * docs/billing.md "Add-ons": a change that starts a new period bills the add-ons for it, as a renewal
 * does, and credits their unused time in the period it leaves. Plus 4000/month, 40000/year; Premium
 * 10000/month, 100000/year; seat 1500/month, 15000/year.
 */
let app: TestApp;
beforeAll(async () => {
  // Annual subscriptions renew instead of ending after their year.
  app = await startTestApp({ environment: { ABONO_ANNUAL_AUTO_RENEW: "true" } });
  await createBillingCatalog(app);
});
afterAll(() => app.close());

/** Plus monthly from 1 January with 2 seats, renewed on 1 February (plan + seats), at 15 February noon. */
async function plusWithTwoSeats() {
  const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
  await org.subscribe("plus", "month");
  const seats = await app.request("POST", org.path("/subscription/items"), {
    body: { addonId: "seat", quantity: 2 },
  });
  expect(seats.status).toBe(200);
  await org.advance("2026-02-01T00:00:00Z");
  const [renewal] = (await app.request("GET", org.path("/invoices"))).body.data;
  // Plan, 2 seats for February, and January's 2 seats added at the start (pending, whole month).
  expect(renewal.lines.map((line: { amount: number }) => line.amount)).toEqual([4000, 3000, 3000]);
  // The middle of February's 28 days: f = 1/2.
  await org.advance("2026-02-15T00:00:00Z");
  return org;
}

describe("a change that starts a new period bills the add-ons", () => {
  it("Plus monthly with 2 seats → Premium yearly: the seats are billed for the year", async () => {
    const org = await plusWithTwoSeats();
    const preview = await app.request("POST", org.path("/subscription/preview-change"), {
      body: { planId: "premium", interval: "year" },
    });
    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "premium", interval: "year" },
    });
    expect(change.status).toBe(200);
    const invoice = change.body.invoices[0];
    // Unused half of Plus (−2000) and of the 2 seats (−1500); a year of Premium and of 2 seats.
    expect(
      invoice.lines.map((line: { kind: string; amount: number }) => [line.kind, line.amount]),
    ).toEqual([
      ["proration", -2000],
      ["proration", -1500],
      ["plan", 100000],
      ["addon", 30000],
    ]);
    expect(invoice.lines[3]).toMatchObject({
      quantity: 2,
      unitAmount: 15000,
      periodStart: "2026-02-15T00:00:00.000Z",
      periodEnd: "2027-02-15T00:00:00.000Z",
    });
    expect(invoice).toMatchObject({ total: 126500, amountPaid: 126500 });
    expect(preview.body.lines).toEqual(
      invoice.lines.map(({ quantity, unitAmount, ...line }: Record<string, unknown>) => line),
    );
    expect(preview.body.amountDue).toBe(126500);
    expect(change.body.subscription.items).toEqual([{ addonId: "seat", quantity: 2 }]);
  });

  it("Plus monthly → Plus yearly with 2 seats: the seats are billed for the year", async () => {
    const org = await plusWithTwoSeats();
    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "plus", interval: "year" },
    });
    expect(change.status).toBe(200);
    expect(change.body.invoices[0].lines.map((line: { amount: number }) => line.amount)).toEqual([
      -2000, -1500, 40000, 30000,
    ]);
    expect(change.body.invoices[0].total).toBe(66500);
    // The next renewal, a year later, bills the same plan and seats again.
    await org.advance("2027-02-15T00:00:00Z");
    const [renewal] = (await app.request("GET", org.path("/invoices"))).body.data;
    expect(renewal.lines.map((line: { amount: number }) => line.amount)).toEqual([40000, 30000]);
  });

  it("an immediate cancel that credits unused time credits the add-ons' too", async () => {
    const org = await plusWithTwoSeats();
    const canceled = await app.request("POST", org.path("/subscription/cancel"), {
      body: { atPeriodEnd: false, creditUnusedTime: true },
    });
    expect(canceled.status).toBe(200);
    const [credit] = canceled.body.invoices;
    expect(
      credit.lines.map((line: { description: string; amount: number }) => [
        line.description,
        line.amount,
      ]),
    ).toEqual([
      ["Unused time on Plus", -2000],
      ["Unused time on 2 × Extra seat", -1500],
    ]);
    expect(credit).toMatchObject({ total: -3500, creditedToBalance: 3500 });
    expect((await app.request("GET", org.path("/balance"))).body.available).toBe(3500);
  });
});
