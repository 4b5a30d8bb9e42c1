import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import {
  createBillingCatalog,
  createBillingOrganization,
  createEncounterPack,
} from "../helpers/billing-scenario.ts";

/**
 * A charge that cannot even be attempted (no payment method on file) is not a decline: the answer says
 * there is no payment method and how to add one, and no invoice is recorded, so no invoice number is
 * used up. A renewal is different: its invoice is owed for the period whatever happens to the charge, so
 * it stays open (numbered) for dunning, and the failure recorded says there is no payment method.
 */

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  await createBillingCatalog(app);
  await createEncounterPack(app);
});
afterAll(() => app.close());

async function lastInvoiceNumber(): Promise<number> {
  const { rows } = await app.database.pool.query(
    "select coalesce(max(last_number), 0)::int as last from invoice_number_sequences",
  );
  return rows[0].last;
}

async function invoiceCount(organizationId: string): Promise<number> {
  const { rows } = await app.database.pool.query(
    "select count(*)::int as count from invoices where organization_id = $1",
    [organizationId],
  );
  return rows[0].count;
}

/** The 402 a charge without a payment method answers: no "declined", the way to add one. */
function expectNoPaymentMethod(
  response: {
    status: number;
    body: { error: { code: string; message: string; details: unknown } };
  },
  organizationId: string,
) {
  expect(response.status).toBe(402);
  expect(response.body.error.code).toBe("payment_failed");
  expect(response.body.error.message).toMatch(/no payment method/i);
  expect(response.body.error.message).toContain(
    `POST /v1/organizations/${organizationId}/payment-methods`,
  );
  expect(response.body.error.message).not.toMatch(/declined/i);
  expect(response.body.error.details).toMatchObject({ reason: "no_payment_method" });
  expect(response.body.error.details).not.toHaveProperty("invoiceId");
}

describe("a charge with no payment method", () => {
  it("on a first subscription: 402 saying so, no invoice, no invoice number used", async () => {
    const org = await createBillingOrganization(app, {
      start: "2026-01-01T00:00:00Z",
      paymentToken: null,
    });
    const numberBefore = await lastInvoiceNumber();
    const response = await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    expectNoPaymentMethod(response, org.organizationId);
    expect(response.body.error.details).toMatchObject({ amountDue: 4000, currency: "USD" });
    expect(await invoiceCount(org.organizationId)).toBe(0);
    expect(await lastInvoiceNumber()).toBe(numberBefore);
    expect((await app.request("GET", org.path("/subscription"))).status).toBe(404);
  });

  it("on an upgrade: 402 saying so, nothing changed, and the next invoice takes the next number", async () => {
    const org = await createBillingOrganization(app, {
      start: "2026-01-01T00:00:00Z",
      paymentToken: null,
    });
    await org.subscribe("free");
    const subscriptionBefore = (await app.request("GET", org.path("/subscription"))).body;
    const invoicesBefore = await invoiceCount(org.organizationId);
    const numberBefore = await lastInvoiceNumber();

    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "premium", interval: "month" },
    });
    expectNoPaymentMethod(change, org.organizationId);
    expect(await invoiceCount(org.organizationId)).toBe(invoicesBefore);
    expect(await lastInvoiceNumber()).toBe(numberBefore);
    expect((await app.request("GET", org.path("/subscription"))).body).toEqual(subscriptionBefore);
    const attempts = await app.database.pool.query(
      "select count(*)::int as count from payments where organization_id = $1",
      [org.organizationId],
    );
    expect(attempts.rows[0].count).toBe(0);

    // Following the message fixes it; the invoice numbers stay gapless.
    await org.setDefaultCard("pm_sandbox_ok");
    const retried = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "premium", interval: "month" },
    });
    expect(retried.status).toBe(200);
    const numbers = retried.body.invoices.map((invoice: { number: string }) =>
      Number(invoice.number.split("-").at(-1)),
    );
    expect(numbers).toEqual(numbers.map((_: number, index: number) => numberBefore + 1 + index));
  });

  it("on a pack purchase: 402 saying so, no invoice, no number, no grant", async () => {
    const org = await createBillingOrganization(app, {
      start: "2026-01-01T00:00:00Z",
      paymentToken: null,
    });
    const numberBefore = await lastInvoiceNumber();
    const response = await app.request("POST", org.path("/purchases"), {
      body: { packId: "encounters-100" },
    });
    expectNoPaymentMethod(response, org.organizationId);
    expect(response.body.error.details).toMatchObject({ amountDue: 1500, currency: "USD" });
    expect(await invoiceCount(org.organizationId)).toBe(0);
    expect(await lastInvoiceNumber()).toBe(numberBefore);
    const grants = await app.database.pool.query(
      "select count(*)::int as count from entitlement_grants where organization_id = $1",
      [org.organizationId],
    );
    expect(grants.rows[0].count).toBe(0);
  });

  it("on a stored method whose provider is not configured: 402 saying it cannot be charged here", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await app.database.pool.query(
      "update payment_methods set provider = 'stripe' where organization_id = $1",
      [org.organizationId],
    );
    const numberBefore = await lastInvoiceNumber();
    const response = await app.request("POST", org.path("/purchases"), {
      body: { packId: "encounters-100" },
    });
    expect(response.status).toBe(402);
    expect(response.body.error.message).toMatch(/stripe.*not configured/i);
    expect(response.body.error.message).toContain(
      `POST /v1/organizations/${org.organizationId}/payment-methods`,
    );
    expect(response.body.error.message).not.toMatch(/declined/i);
    expect(response.body.error.details).toMatchObject({ reason: "no_payment_method" });
    expect(await invoiceCount(org.organizationId)).toBe(0);
    expect(await lastInvoiceNumber()).toBe(numberBefore);
  });

  it("on a renewal: the owed invoice stays open and the failure says there is no payment method", async () => {
    const org = await createBillingOrganization(app, {
      start: "2026-01-01T00:00:00Z",
      paymentToken: null,
    });
    await org.subscribe("trial-pro");
    await org.advance("2026-01-15T00:00:00Z");
    expect((await app.request("GET", org.path("/subscription"))).body.status).toBe("past_due");
    const [open] = (await app.request("GET", org.path("/invoices"))).body.data;
    expect(open).toMatchObject({ status: "open", amountDue: 5000, billingReason: "trial_end" });
    expect(open.number).toMatch(/-\d{6}$/);
    const attempts = await app.database.pool.query(
      "select status, failure_code, failure_message from payments where invoice_id = $1",
      [open.id],
    );
    expect(attempts.rows).toHaveLength(1);
    expect(attempts.rows[0]).toMatchObject({ status: "failed", failure_code: "no_payment_method" });
    expect(attempts.rows[0].failure_message).toMatch(/no payment method/i);
    expect(attempts.rows[0].failure_message).toContain(
      `POST /v1/organizations/${org.organizationId}/payment-methods`,
    );
    const event = await app.database.pool.query(
      "select data from events where organization_id = $1 and type = 'invoice.payment_failed'",
      [org.organizationId],
    );
    expect(event.rows.map((row) => row.data)).toEqual([
      expect.objectContaining({
        invoiceId: open.id,
        code: "no_payment_method",
        amount: 5000,
        currency: open.currency,
      }),
    ]);
  });
});
