import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDueSubscriptions } from "../../bench/seed-due-subscriptions.ts";
import { seedPlusPlan } from "../../bench/seed-plus-plan.ts";
import type { BillingServices } from "../../src/billing/billing-operation.ts";
import { runBillingCycle } from "../../src/billing/run-billing-cycle.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/logger.ts";
import { createPaymentProviders } from "../../src/payments/payment-providers.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { runCli } from "../helpers/process.ts";

/**
 * Billing runs in real time: one that starts days late charges each declined card once and schedules
 * dunning from that real attempt; two that overlap report, between them, exactly the invoices made.
 */
const day = 86_400_000;
let database: TestDatabase;
let services: BillingServices;

beforeAll(async () => {
  database = await createTestDatabase();
  await seedPlusPlan({ db: database.db, now: new Date() });
  const config = loadConfig({ DATABASE_URL: database.url, ABONO_TEST_MODE: "true" });
  services = {
    db: database.db,
    config,
    logger: createLogger({ level: "silent" }),
    providers: createPaymentProviders({ config }),
  };
});
afterAll(() => database.drop());

const query = async (text: string, values: unknown[] = []) =>
  (await database.pool.query(text, values)).rows;

describe("a billing run that starts days late", () => {
  // A pinned clock: the period ended at `dueAt`, the run starts four days and an hour later.
  const dueAt = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 2, 1));
  const periodStart = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 1, 1));
  const runAt = new Date(dueAt.getTime() + 4 * day + 3_600_000);

  beforeAll(async () => {
    await seedDueSubscriptions({
      db: database.db,
      count: 3,
      planId: "plus",
      periodStart,
      dueAt,
      prefix: "late",
    });
    await query(
      "update payment_methods set token = 'pm_sandbox_declined' where organization_id like 'late-%'",
    );
    // One of them ends its trial at the boundary: it renews on its own, not in a batch.
    await query(
      "update subscriptions set status = 'trialing', trial_ends_at = current_period_end where organization_id = 'late-3'",
    );
  });

  it("makes one attempt per card, dated when it happened, and schedules the retry from it", async () => {
    const report = await runBillingCycle({
      services,
      concurrency: 2,
      clock: () => runAt,
      logger: services.logger,
    });
    expect(report.renewals).toBe(3);
    expect(report.retries).toBe(0);

    const payments = await query(
      "select organization_id, status, created_at from payments where organization_id like 'late-%' order by organization_id",
    );
    expect(payments).toEqual(
      ["late-1", "late-2", "late-3"].map((organizationId) => ({
        organization_id: organizationId,
        status: "failed",
        created_at: runAt,
      })),
    );
    const subscriptions = await query(
      `select organization_id, status, payment_attempts, past_due_since, next_payment_attempt_at
         from subscriptions where organization_id like 'late-%' order by organization_id`,
    );
    for (const subscription of subscriptions) {
      expect(subscription).toMatchObject({
        status: "past_due",
        payment_attempts: 1,
        past_due_since: runAt,
        next_payment_attempt_at: new Date(runAt.getTime() + day),
      });
    }
    // The invoice keeps its period: it bills the period that started at the boundary.
    const invoices = await query(
      "select period_start, status from invoices where organization_id like 'late-%'",
    );
    expect(invoices).toHaveLength(3);
    for (const invoice of invoices)
      expect(invoice).toEqual({ period_start: dueAt, status: "open" });
    const grace = await query(
      "select grace_ends_at from organization_entitlements where organization_id like 'late-%'",
    );
    for (const row of grace) expect(row.grace_ends_at).toEqual(new Date(runAt.getTime() + 7 * day));
  });

  it("retries once when the retry is due, two days later than that for the next", async () => {
    // The retry runs late too (an hour after it was due): the next is spaced from when it happened.
    const retryAt = new Date(runAt.getTime() + day + 3_600_000);
    const report = await runBillingCycle({
      services,
      concurrency: 2,
      clock: () => retryAt,
      logger: services.logger,
    });
    expect(report).toMatchObject({ renewals: 0, retries: 3 });
    const payments = await query(
      "select created_at from payments where organization_id like 'late-%' and created_at > $1",
      [runAt],
    );
    expect(payments).toEqual([retryAt, retryAt, retryAt].map((at) => ({ created_at: at })));
    const subscriptions = await query(
      "select payment_attempts, next_payment_attempt_at from subscriptions where organization_id like 'late-%'",
    );
    for (const subscription of subscriptions) {
      expect(subscription).toEqual({
        payment_attempts: 2,
        next_payment_attempt_at: new Date(retryAt.getTime() + 2 * day),
      });
    }
  });
});

describe("two billing runs that overlap", () => {
  it("report, between them, exactly the renewals committed (in process)", async () => {
    const dueAt = new Date(Date.UTC(new Date().getUTCFullYear() + 2, 5, 1));
    const periodStart = new Date(Date.UTC(new Date().getUTCFullYear() + 2, 4, 1));
    await seedDueSubscriptions({
      db: database.db,
      count: 450,
      planId: "plus",
      periodStart,
      dueAt,
      prefix: "overlap",
    });
    const clock = () => new Date(dueAt.getTime() + 60_000);
    const run = () => runBillingCycle({ services, concurrency: 3, clock, logger: services.logger });
    const reports = await Promise.all([run(), run(), run()]);
    const [{ count }] = await query(
      "select count(*)::int as count from invoices where organization_id like 'overlap-%'",
    );
    expect(count).toBe(450);
    expect(reports.reduce((sum, report) => sum + report.renewals, 0)).toBe(450);
  });

  it("print, between them, exactly the renewals committed (two abono billing-run processes)", async () => {
    const cliDatabase = await createTestDatabase();
    try {
      await seedPlusPlan({ db: cliDatabase.db, now: new Date() });
      // Due in real time: the CLI's billing run uses the system clock.
      const dueAt = new Date(Date.now() - 3_600_000);
      await seedDueSubscriptions({
        db: cliDatabase.db,
        count: 800,
        planId: "plus",
        periodStart: new Date(dueAt.getTime() - 30 * day),
        dueAt,
        prefix: "cli",
      });
      const environment = {
        DATABASE_URL: cliDatabase.url,
        ABONO_TEST_MODE: "true",
        ABONO_LOG_LEVEL: "warn",
      };
      const runs = [0, 1].map(() => runCli(["billing-run", "--concurrency", "2"], environment));
      const exits = await Promise.all(runs.map((run) => run.exited));
      expect(exits).toEqual([0, 0]);
      const printed = runs.map((run) => {
        const match = /Billing run finished: (\d+) renewals/.exec(run.output());
        if (!match) throw new Error(run.output());
        return Number(match[1]);
      });
      const { rows } = await cliDatabase.pool.query(
        "select count(*)::int as count from invoices where organization_id like 'cli-%'",
      );
      expect(rows[0].count).toBe(800);
      expect(printed.reduce((sum, value) => sum + value, 0)).toBe(800);
    } finally {
      await cliDatabase.drop();
    }
  }, 120_000);
});
