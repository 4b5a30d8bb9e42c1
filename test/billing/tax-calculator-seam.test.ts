import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTaxPercentage, taxAmount } from "../../src/money/index.ts";
import type { TaxCalculator, TaxRequest } from "../../src/taxes/tax-calculator.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog, createBillingOrganization } from "../helpers/billing-scenario.ts";

/**
 * An external tax service plugs in behind the `TaxCalculator` interface at the composition root: here a
 * stand-in that taxes US customers at 8.875% by itself (no catalog rate). Everything around it, the
 * invoice, the preview, the charge, the PDF's data, uses what it answers.
 */
const requests: Omit<TaxRequest, "executor">[] = [];
const externalService: TaxCalculator = {
  async calculate({ executor: _executor, ...request }) {
    requests.push(request);
    const percentage = parseTaxPercentage("8.875");
    return {
      lines: request.lines.map((line) =>
        request.customer.country === "US"
          ? {
              taxRateId: null,
              name: "Sales tax",
              percentage: "8.875",
              inclusive: false,
              amount: taxAmount({ amount: line.taxableAmount, percentage, inclusive: false }),
            }
          : null,
      ),
      reverseCharge: false,
    };
  },
};

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ taxCalculator: externalService });
  await createBillingCatalog(app);
});
afterAll(() => app.close());

describe("a TaxCalculator plugged in at the composition root", () => {
  it("computes the taxes of invoices and previews from the customer's billing details", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await app.request("PATCH", org.path("/billing-details"), {
      body: { address: { line1: "350 5th Ave", city: "New York", region: "NY", country: "US" } },
    });
    // Plus 4000: 4000 × 8.875% = 355.
    const subscribed = await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    expect(subscribed.body.invoice).toMatchObject({
      subtotal: 4000,
      tax: 355,
      total: 4355,
      amountPaid: 4355,
    });
    expect(subscribed.body.invoice.lines[0]).toMatchObject({
      taxRateId: null,
      taxName: "Sales tax",
      taxPercentage: "8.875",
      taxAmount: 355,
    });
    const last = requests.at(-1);
    expect(last).toMatchObject({
      customer: { organizationId: org.organizationId, country: "US", taxExempt: "none" },
      currency: "USD",
      lines: [{ taxableAmount: 4000n, kind: "plan" }],
    });

    // Half of January left (16 Jan 12:00): −2000 and +5000; taxes −177.5 → −178 and 443.75 → 444.
    await org.advance("2026-01-16T12:00:00Z");
    const preview = await app.request("POST", org.path("/subscription/preview-change"), {
      body: { planId: "premium", interval: "month" },
    });
    expect(preview.body.lines.map((line: { taxAmount: number }) => line.taxAmount)).toEqual([
      -178, 444,
    ]);
    expect(preview.body).toMatchObject({ subtotal: 3000, tax: 266, total: 3266, amountDue: 3266 });
    expect(preview.body.taxes).toEqual([
      {
        taxRateId: null,
        name: "Sales tax",
        percentage: "8.875",
        inclusive: false,
        netAmount: 3000,
        amount: 266,
      },
    ]);
  });
});
