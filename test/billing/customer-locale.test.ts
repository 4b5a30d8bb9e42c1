import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDueSubscriptions } from "../../bench/seed-due-subscriptions.ts";
import type { BillingServices } from "../../src/billing/billing-operation.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/logger.ts";
import { createPaymentProviders } from "../../src/payments/payment-providers.ts";
import { renewBatch } from "../../src/subscriptions/renew-batch.ts";
import { createManualTaxCalculator } from "../../src/taxes/manual-tax-calculator.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import {
  createBillingCatalog,
  createBillingOrganization,
  createEncounterPack,
} from "../helpers/billing-scenario.ts";
import { duePeriodBefore } from "../helpers/due-period.ts";
import { inflatePdf, readPdfText } from "../helpers/pdf-text.ts";

/**
 * What the customer reads (ledger entries, invoice lines, the PDF) is written in the organization's
 * locale: a Spanish organization reads no English words that Abono wrote.
 */

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  await createBillingCatalog(app);
  await createEncounterPack(app);
});
afterAll(() => app.close());

const expected = {
  es: {
    credit: (number: string) => `Nota de crédito ${number}`,
    applied: (number: string) => `Aplicado a la factura ${number}`,
    pack: "Paquete de recarga: 100 encounters",
    packTimesTwo: "Paquete de recarga: 100 encounters × 2",
  },
  en: {
    credit: (number: string) => `Credit note ${number}`,
    applied: (number: string) => `Applied to invoice ${number}`,
    pack: "Top-up pack: 100 encounters",
    packTimesTwo: "Top-up pack: 100 encounters × 2",
  },
} as const;

interface LedgerEntry {
  type: string;
  invoiceId: string | null;
  description: string;
}

describe.each(["es", "en"] as const)("an organization in %s", (locale) => {
  const texts = expected[locale];

  it("reads its ledger entries in its locale: credit from a downgrade, then applied to the renewal", async () => {
    const org = await createBillingOrganization(app, { start: "2026-03-01T00:00:00Z", locale });
    await org.subscribe("premium");
    await org.advance("2026-03-16T00:00:00Z");
    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "plus", interval: "month" },
    });
    expect(change.status).toBe(200);
    const credit = change.body.invoices.at(-1);
    expect(credit.creditedToBalance).toBeGreaterThan(0);
    await org.advance("2026-04-01T00:00:00Z");
    const renewal = (await app.request("GET", org.path("/invoices"))).body.data[0];
    expect(renewal).toMatchObject({ billingReason: "subscription_cycle" });
    expect(renewal.balanceApplied).toBeGreaterThan(0);

    const balance = await app.request("GET", org.path("/balance"));
    const entries: LedgerEntry[] = balance.body.transactions;
    expect(
      entries.map(({ type, invoiceId, description }) => ({ type, invoiceId, description })),
    ).toEqual([
      {
        type: "applied_to_invoice",
        invoiceId: renewal.id,
        description: texts.applied(renewal.number),
      },
      { type: "proration_credit", invoiceId: credit.id, description: texts.credit(credit.number) },
    ]);
  });

  it("reads its pack invoice line in its locale, on the invoice and in its PDF", async () => {
    const org = await createBillingOrganization(app, { start: "2026-03-01T00:00:00Z", locale });
    const one = await app.request("POST", org.path("/purchases"), {
      body: { packId: "encounters-100" },
    });
    expect(one.status).toBe(201);
    expect(one.body.invoice.lines.map((line: { description: string }) => line.description)).toEqual(
      [texts.pack],
    );
    const two = await app.request("POST", org.path("/purchases"), {
      body: { packId: "encounters-100", quantity: 2 },
    });
    expect(two.body.invoice.lines[0].description).toBe(texts.packTimesTwo);

    const pdf = await fetch(`${app.baseUrl}/v1/invoices/${one.body.invoice.id}/pdf`, {
      headers: { authorization: "Bearer abono_sk_test_root_key_0123456789abcdefghij" },
    });
    expect(pdf.status).toBe(200);
    const text = readPdfText({ pdf: inflatePdf(Buffer.from(await pdf.arrayBuffer())) }).text;
    expect(text).toContain(texts.pack);
  });

  it("reads the batched renewal's ledger entry in its locale", async () => {
    const config = loadConfig({ DATABASE_URL: app.database.url, ABONO_TEST_MODE: "true" });
    const services: BillingServices = {
      db: app.server.connection.db,
      config,
      logger: createLogger({ level: "silent" }),
      providers: createPaymentProviders({ config }),
      taxCalculator: createManualTaxCalculator(),
    };
    // Dates derived from now, as a billing run finds them: a period that ended an hour ago.
    const { periodStart, dueAt } = duePeriodBefore(new Date());
    const prefix = `locale-batch-${locale}`;
    await seedDueSubscriptions({
      db: services.db,
      count: 1,
      planId: "plus",
      periodStart,
      dueAt,
      prefix,
    });
    const organizationId = `${prefix}-1`;
    await app.database.pool.query("update organizations set locale = $2 where id = $1", [
      organizationId,
      locale,
    ]);
    await app.database.pool.query(
      `insert into balance_transactions (id, organization_id, amount, currency, type, description, actor, created_at)
       values ($1, $2, 1000, 'USD', 'adjustment', 'Goodwill', 'root', $3)`,
      [`txn_${prefix}_seed`, organizationId, periodStart],
    );
    const counts = await renewBatch({
      services,
      due: [{ subscriptionId: `sub_${prefix}_1`, dueAt }],
      systemNow: new Date(),
    });
    expect(counts).toMatchObject({ renewed: 1 });
    const { rows } = await app.database.pool.query(
      `select t.description, i.number from balance_transactions t join invoices i on i.id = t.invoice_id
        where t.organization_id = $1 and t.type = 'applied_to_invoice'`,
      [organizationId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].description).toBe(texts.applied(rows[0].number));
  });
});
