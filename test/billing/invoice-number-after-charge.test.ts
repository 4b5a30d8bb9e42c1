import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog, createBillingOrganization } from "../helpers/billing-scenario.ts";
import { type FakeStripe, fakeStripeEnvironment, startFakeStripe } from "../helpers/fake-stripe.ts";

/**
 * Invoice numbers are gapless, so the issuer's counter row is locked from the moment a number is taken
 * to the commit. A subscription, plan change or pack purchase takes its number once the provider has
 * answered the charge: a slow provider for one organization must not hold up every other organization's
 * invoices. Stripe here answers one organization's charge only after a few seconds; another
 * organization subscribes meanwhile (sandbox card) and is answered first, with the lower number.
 */
const heldMs = 4_000;

let app: TestApp;
let fake: FakeStripe;

beforeAll(async () => {
  fake = await startFakeStripe();
  app = await startTestApp({ environment: fakeStripeEnvironment(fake) });
  await createBillingCatalog(app);
});
afterAll(async () => {
  await app?.close();
  await fake?.close();
});

async function waitFor(condition: () => boolean, what: string) {
  const deadline = Date.now() + 15_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function eventsOf(organizationId: string) {
  const { rows } = await app.database.pool.query<{ type: string; data: Record<string, unknown> }>(
    `select type, data from events where organization_id = $1 order by sequence`,
    [organizationId],
  );
  return rows;
}

describe("invoice numbers and slow providers", () => {
  it("numbers an invoice after its charge, so a slow charge holds up no other organization", async () => {
    const slow = await createBillingOrganization(app, {
      start: "2026-03-01T00:00:00Z",
      paymentToken: null,
    });
    const stripeCard = await app.request("POST", slow.path("/payment-methods"), {
      body: { provider: "stripe", token: "pm_card_visa", default: true },
    });
    expect(stripeCard.status, JSON.stringify(stripeCard.body)).toBe(201);
    const quick = await createBillingOrganization(app, { start: "2026-03-01T00:00:00Z" });

    fake.holdNext({ ms: heldMs, path: "/v1/payment_intents" });
    const intentsBefore = fake.requestsTo("POST", "/v1/payment_intents").length;
    const started = Date.now();
    let slowSettledAt: number | null = null;
    const slowSubscription = app
      .request("POST", slow.path("/subscription"), { body: { planId: "plus", interval: "month" } })
      .finally(() => {
        slowSettledAt = Date.now();
      });
    // The slow organization's invoice is written and its charge is at Stripe.
    await waitFor(
      () => fake.requestsTo("POST", "/v1/payment_intents").length > intentsBefore,
      "the charge to reach Stripe",
    );

    const quickSubscription = await app.request("POST", quick.path("/subscription"), {
      body: { planId: "premium", interval: "month" },
    });
    const quickAnsweredAfter = Date.now() - started;
    expect(quickSubscription.status, JSON.stringify(quickSubscription.body)).toBe(201);
    // Answered while Stripe still holds the other charge.
    expect(slowSettledAt).toBeNull();
    expect(quickAnsweredAfter).toBeLessThan(heldMs);

    const slowResponse = await slowSubscription;
    expect(slowResponse.status, JSON.stringify(slowResponse.body)).toBe(201);
    expect(slowResponse.body.invoice.status).toBe("paid");

    // Gapless, in the order the numbers were taken: the quick one first.
    const quickNumber: string = quickSubscription.body.invoice.number;
    const slowNumber: string = slowResponse.body.invoice.number;
    const sequence = (number: string) => Number(number.split("-").at(-1));
    expect(sequence(slowNumber)).toBe(sequence(quickNumber) + 1);

    // Everything that names the number names it, in order: created, then paid.
    const invoiceEvents = (await eventsOf(slow.organizationId)).filter((event) =>
      ["invoice.created", "invoice.paid"].includes(event.type),
    );
    expect(invoiceEvents.map((event) => [event.type, event.data.number])).toEqual([
      ["invoice.created", slowNumber],
      ["invoice.paid", slowNumber],
    ]);
    const listed = await app.request("GET", slow.path("/invoices"));
    expect(listed.body.data.map((invoice: { number: string }) => invoice.number)).toEqual([
      slowNumber,
    ]);
  });

  it("names the number in the ledger entry of the balance an upgrade consumed", async () => {
    const org = await createBillingOrganization(app, { start: "2026-03-01T00:00:00Z" });
    await org.subscribe("premium");
    await org.advance("2026-03-16T00:00:00Z");
    // A downgrade credits the unused time to the balance (a credit note)…
    const down = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "plus", interval: "month" },
    });
    expect(down.status, JSON.stringify(down.body)).toBe(200);
    // …which the upgrade back consumes.
    const up = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "premium", interval: "month" },
    });
    expect(up.status, JSON.stringify(up.body)).toBe(200);

    const { rows: documents } = await app.database.pool.query<{
      id: string;
      number: string | null;
      document_type: string;
      balance_applied: string;
    }>(
      `select id, number, document_type, balance_applied::text from invoices
        where organization_id = $1 order by created_at, id`,
      [org.organizationId],
    );
    expect(documents.every((document) => document.number !== null)).toBe(true);
    const creditNote = documents.find((document) => document.document_type === "credit_note");
    const consuming = documents.find((document) => BigInt(document.balance_applied) > 0n);
    expect(creditNote).toBeDefined();
    expect(consuming).toBeDefined();
    const { rows: ledger } = await app.database.pool.query<{
      invoice_id: string;
      description: string;
    }>(
      `select invoice_id, description from balance_transactions where organization_id = $1 order by id`,
      [org.organizationId],
    );
    expect(ledger).toEqual([
      { invoice_id: creditNote?.id, description: `Credit note ${creditNote?.number}` },
      { invoice_id: consuming?.id, description: `Applied to invoice ${consuming?.number}` },
    ]);
  });
});
