import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDueSubscriptions } from "../../bench/seed-due-subscriptions.ts";
import { seedPlusPlan } from "../../bench/seed-plus-plan.ts";
import type { BillingServices } from "../../src/billing/billing-operation.ts";
import { runBillingCycle } from "../../src/billing/run-billing-cycle.ts";
import { loadConfig } from "../../src/config.ts";
import { type DatabaseHandle, openDatabase } from "../../src/db/database.ts";
import { createLogger } from "../../src/logger.ts";
import { createPaymentProviders } from "../../src/payments/payment-providers.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { duePeriodBefore } from "../helpers/due-period.ts";

/**
 * Two billing runs overlap over the same due subscriptions: each reports only the renewals it committed
 * itself, so the two reports add up to the invoices written, and a run afterwards reports none.
 */
const count = 300;
// Dates derived from the real clock (the billing run uses it): exactly one period is due on any date.
const { periodStart, dueAt } = duePeriodBefore(new Date());
let database: TestDatabase;
const handles: DatabaseHandle[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  await seedPlusPlan({ db: database.db, now: new Date() });
  await seedDueSubscriptions({
    db: database.db,
    count,
    planId: "plus",
    periodStart,
    dueAt,
    prefix: "overlap",
  });
});
afterAll(async () => {
  await Promise.all(handles.map((handle) => handle.close()));
  await database.drop();
});

/** Services as `abono billing-run` builds them, each run with its own connection pool. */
function runServices(): BillingServices {
  const config = loadConfig({ DATABASE_URL: database.url, ABONO_TEST_MODE: "true" });
  const handle = openDatabase({ connectionString: database.url, maxConnections: 6 });
  handles.push(handle);
  return {
    db: handle.db,
    config,
    logger: createLogger({ level: "silent" }),
    providers: createPaymentProviders({ config }),
  };
}

describe("billing run report", () => {
  it("counts only what each of two overlapping runs committed", async () => {
    const logger = createLogger({ level: "silent" });
    const [first, second] = await Promise.all([
      runBillingCycle({ services: runServices(), concurrency: 2, logger }),
      runBillingCycle({ services: runServices(), concurrency: 2, logger }),
    ]);
    const { rows } = await database.pool.query(
      "select count(*)::int as invoices, count(distinct subscription_id)::int as subscriptions from invoices",
    );
    expect(rows[0]).toEqual({ invoices: count, subscriptions: count });
    expect(first.renewals + second.renewals).toBe(count);
    expect(first.retries + second.retries).toBe(0);

    const third = await runBillingCycle({ services: runServices(), concurrency: 2, logger });
    expect(third.renewals).toBe(0);
    expect(third.retries).toBe(0);
  }, 120_000);
});
