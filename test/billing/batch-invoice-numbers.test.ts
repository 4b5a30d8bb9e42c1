import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDueSubscriptions } from "../../bench/seed-due-subscriptions.ts";
import { seedPlusPlan } from "../../bench/seed-plus-plan.ts";
import type { BillingServices } from "../../src/billing/billing-operation.ts";
import { runBillingCycle } from "../../src/billing/run-billing-cycle.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/logger.ts";
import { createPaymentProviders } from "../../src/payments/payment-providers.ts";
import { renewBatch } from "../../src/subscriptions/renew-batch.ts";
import { createManualTaxCalculator } from "../../src/taxes/manual-tax-calculator.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";

/**
 * The batch takes its block of invoice numbers and writes everything that names them in one statement:
 * numbers stay gapless and in order across batches running at once, the invoice events and the ledger
 * carry the invoice's own number, and a batch that fails after taking its block gives it back.
 */
let database: TestDatabase;
let services: BillingServices;
const dueAt = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 2, 1));
const periodStart = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 1, 1));
const runAt = new Date(dueAt.getTime() + 3_600_000);

beforeAll(async () => {
  database = await createTestDatabase();
  await seedPlusPlan({ db: database.db, now: new Date() });
  const config = loadConfig({ DATABASE_URL: database.url, ABONO_TEST_MODE: "true" });
  services = {
    db: database.db,
    config,
    logger: createLogger({ level: "silent" }),
    providers: createPaymentProviders({ config }),
    taxCalculator: createManualTaxCalculator(),
  };
});
afterAll(() => database.drop());

const query = async (text: string, values: unknown[] = []) =>
  (await database.pool.query(text, values)).rows;

describe("invoice numbers of the billing run's batches", () => {
  it("gives back the block of a batch that fails after taking it", async () => {
    await seedDueSubscriptions({
      db: database.db,
      count: 2,
      planId: "plus",
      periodStart,
      dueAt,
      prefix: "fail",
    });
    // A ledger entry the batch applies: its description names the number.
    await query(
      `insert into balance_transactions (id, organization_id, amount, currency, type, description, created_at)
       values ('txn_fail_credit', 'fail-1', 500, 'USD', 'adjustment', 'credit', $1)`,
      [periodStart],
    );
    // Refuses the batch's events at the end of its numbered statement, after the counter was taken.
    await query(`create function refuse_event() returns trigger language plpgsql as $$
      begin raise exception 'refused'; end $$`);
    await query(
      "create trigger refuse_event before insert on events for each row when (NEW.organization_id = 'fail-2' and NEW.type = 'subscription.renewed') execute function refuse_event()",
    );
    const due = ["fail-1", "fail-2"].map((id) => ({
      subscriptionId: `sub_${id.replace("-", "_")}`,
      dueAt,
    }));
    await expect(renewBatch({ services, due, systemNow: runAt })).rejects.toMatchObject({
      message: expect.stringContaining("with taken as"),
      cause: expect.objectContaining({ message: "refused" }),
    });
    expect(
      await query("select count(*)::int as n from invoices where organization_id like 'fail-%'"),
    ).toEqual([{ n: 0 }]);
    // The counter's first block was taken and rolled back with the batch: no number is lost.
    expect(await query("select last_number::int from invoice_number_sequences")).toEqual([]);
    await query("drop trigger refuse_event on events");
    const result = await renewBatch({ services, due, systemNow: runAt });
    expect(result.renewed).toBe(2);
    const numbered = await query(
      "select organization_id, number from invoices where organization_id like 'fail-%' order by number",
    );
    expect(numbered.map((row) => row.number)).toEqual(["ABN-000001", "ABN-000002"]);
    const ledger = await query(
      "select description, invoice_id from balance_transactions where organization_id = 'fail-1' and type = 'applied_to_invoice'",
    );
    const own = numbered.find((row) => row.organization_id === "fail-1")?.number;
    expect(ledger).toHaveLength(1);
    expect(ledger[0]?.description).toBe(`Applied to invoice ${own}`);
  });

  it("numbers 450 renewals in 5 concurrent batches without a gap, each event naming its invoice's number", async () => {
    await seedDueSubscriptions({
      db: database.db,
      count: 450,
      planId: "plus",
      periodStart,
      dueAt,
      prefix: "many",
    });
    const report = await runBillingCycle({
      services,
      concurrency: 4,
      clock: () => runAt,
      logger: services.logger,
    });
    expect(report.renewals).toBe(450);
    const numbers = (await query("select number from invoices order by number")).map(
      (row) => row.number,
    );
    expect(numbers).toEqual(
      Array.from({ length: 452 }, (_, index) => `ABN-${String(index + 1).padStart(6, "0")}`),
    );
    expect(await query("select last_number::int from invoice_number_sequences")).toEqual([
      { last_number: 452 },
    ]);
    const mismatched = await query(`
      select e.type, e.data->>'number' as event_number, i.number
        from events e join invoices i on i.id = e.data->>'invoiceId'
       where e.type in ('invoice.created', 'invoice.paid')
         and (e.data->>'number') is distinct from i.number`);
    expect(mismatched).toEqual([]);
    expect(
      await query(
        "select type, count(*)::int as n from events where type in ('invoice.created', 'invoice.paid') group by type order by type",
      ),
    ).toEqual([
      { type: "invoice.created", n: 452 },
      { type: "invoice.paid", n: 452 },
    ]);
  });
});
