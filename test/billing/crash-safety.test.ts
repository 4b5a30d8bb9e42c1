import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDueSubscriptions } from "../../bench/seed-due-subscriptions.ts";
import { seedPlusPlan } from "../../bench/seed-plus-plan.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { duePeriodBefore } from "../helpers/due-period.ts";
import { runCli } from "../helpers/process.ts";

/**
 * A billing run over 2,000 due subscriptions is killed with SIGKILL part-way and started again: every
 * subscription is renewed exactly once — one invoice and one payment per subscription-period.
 */
const count = 2000;
// Dates derived from the real clock (the CLI's billing run uses it): exactly one period is due on any date.
const { periodStart, dueAt } = duePeriodBefore(new Date());
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await seedPlusPlan({ db: database.db, now: new Date() });
  await seedDueSubscriptions({
    db: database.db,
    count,
    planId: "plus",
    periodStart,
    dueAt,
    prefix: "crash",
  });
});
afterAll(() => database.drop());

async function invoiceCount(): Promise<number> {
  const { rows } = await database.pool.query("select count(*)::int as count from invoices");
  return rows[0].count;
}

describe("crash safety of the billing run", () => {
  it("renews each due subscription exactly once across a SIGKILL and a restart", async () => {
    const environment = {
      DATABASE_URL: database.url,
      ABONO_TEST_MODE: "true",
      ABONO_LOG_LEVEL: "warn",
    };
    const first = runCli(["billing-run", "--concurrency", "2"], environment);
    const deadline = Date.now() + 60_000;
    while ((await invoiceCount()) < 200) {
      if (Date.now() > deadline || first.child.exitCode !== null)
        throw new Error(`no progress:\n${first.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    process.kill(-(first.child.pid ?? 0), "SIGKILL");
    await first.exited;
    const afterKill = await invoiceCount();
    expect(afterKill).toBeGreaterThan(0);
    expect(afterKill).toBeLessThan(count);

    const second = runCli(["billing-run", "--concurrency", "2"], environment);
    expect(await second.exited).toBe(0);
    expect(second.output()).toMatch(/Billing run finished/);

    const { rows } = await database.pool.query(`
      select count(*)::int as invoices,
             count(distinct (subscription_id, period_start))::int as periods,
             count(*) filter (where status = 'paid')::int as paid
        from invoices`);
    expect(rows[0]).toEqual({ invoices: count, periods: count, paid: count });
    const payments = await database.pool.query(
      "select count(*)::int as payments, count(distinct invoice_id)::int as invoices from payments where status = 'succeeded'",
    );
    expect(payments.rows[0]).toEqual({ payments: count, invoices: count });
    const subscriptions = await database.pool.query(
      "select count(*)::int as renewed from subscriptions where current_period_start = $1 and status = 'active'",
      [dueAt],
    );
    expect(subscriptions.rows[0].renewed).toBe(count);
    const numbers = await database.pool.query(
      "select min(number) as first, max(number) as last, count(distinct number)::int as distinct from invoices",
    );
    expect(numbers.rows[0]).toEqual({
      first: "ABN-000001",
      last: `ABN-${String(count).padStart(6, "0")}`,
      distinct: count,
    });
  }, 120_000);
});
