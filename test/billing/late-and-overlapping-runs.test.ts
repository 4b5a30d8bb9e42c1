import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDueSubscriptions } from "../../bench/seed-due-subscriptions.ts";
import { seedPlusPlan } from "../../bench/seed-plus-plan.ts";
import type { BillingServices } from "../../src/billing/billing-operation.ts";
import { runBillingCycle } from "../../src/billing/run-billing-cycle.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/logger.ts";
import { createPaymentProviders } from "../../src/payments/payment-providers.ts";
import { createManualTaxCalculator } from "../../src/taxes/manual-tax-calculator.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { duePeriodBefore } from "../helpers/due-period.ts";
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
    taxCalculator: createManualTaxCalculator(),
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
    // Nothing is left: a run afterwards commits, and reports, nothing.
    expect(await run()).toMatchObject({ renewals: 0, retries: 0 });
  });

  it("print, between them, exactly the renewals committed (two abono billing-run processes)", async () => {
    const cliDatabase = await createTestDatabase();
    try {
      await seedPlusPlan({ db: cliDatabase.db, now: new Date() });
      // Due in real time: the CLI's billing run uses the system clock.
      const { periodStart, dueAt } = duePeriodBefore(new Date());
      await seedDueSubscriptions({
        db: cliDatabase.db,
        count: 800,
        planId: "plus",
        periodStart,
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

describe("a billing run with one renewal that cannot be made", () => {
  // Its own database: the other tests' subscriptions would fall due at this pinned clock too.
  let own: TestDatabase;
  let ownServices: BillingServices;
  beforeAll(async () => {
    own = await createTestDatabase();
    await seedPlusPlan({ db: own.db, now: new Date() });
    ownServices = { ...services, db: own.db };
  });
  afterAll(() => own.drop());
  const query = async (text: string, values: unknown[] = []) =>
    (await own.pool.query(text, values)).rows;

  it("renews the rest of its batch, records the failing one, and does not retry it before its backoff", async () => {
    const services = ownServices;
    const dueAt = new Date(Date.UTC(new Date().getUTCFullYear() + 3, 8, 1));
    const periodStart = new Date(Date.UTC(new Date().getUTCFullYear() + 3, 7, 1));
    await seedDueSubscriptions({
      db: own.db,
      count: 5,
      planId: "plus",
      periodStart,
      dueAt,
      prefix: "broken",
    });
    // The plan has no EUR price: this renewal fails the same way however often it runs.
    await query("update subscriptions set currency = 'EUR' where organization_id = 'broken-3'");
    const runAt = new Date(dueAt.getTime() + 60_000);
    const report = await runBillingCycle({
      services,
      concurrency: 2,
      clock: () => runAt,
      logger: services.logger,
    });
    expect(report).toMatchObject({ renewals: 4, failed: 1 });

    const subscriptions = await query(
      `select organization_id, status, renewal_attempts, renewal_error, next_renewal_attempt_at
         from subscriptions where organization_id like 'broken-%' order by organization_id`,
    );
    expect(subscriptions.filter((row) => row.renewal_attempts === 0)).toHaveLength(4);
    expect(subscriptions[2]).toMatchObject({
      organization_id: "broken-3",
      status: "active",
      renewal_attempts: 1,
      next_renewal_attempt_at: new Date(runAt.getTime() + 5 * 60_000),
    });
    expect(subscriptions[2].renewal_error).toMatch(/EUR/);
    const entitlement = await query(
      "select status, grace_ends_at from organization_entitlements where organization_id = 'broken-3'",
    );
    expect(entitlement).toEqual([
      { status: "past_due", grace_ends_at: new Date(runAt.getTime() + 7 * day) },
    ]);

    // Before the backoff nothing is tried; after it, one more attempt.
    const early = await runBillingCycle({
      services,
      concurrency: 2,
      clock: () => new Date(runAt.getTime() + 60_000),
      logger: services.logger,
    });
    expect(early).toMatchObject({ passes: 1, renewals: 0, failed: 0 });
    const later = await runBillingCycle({
      services,
      concurrency: 2,
      clock: () => new Date(runAt.getTime() + 6 * 60_000),
      logger: services.logger,
    });
    expect(later).toMatchObject({ renewals: 0, failed: 1 });
    const audit = await query(
      "select count(*)::int as count from audit_logs where organization_id = 'broken-3' and action = 'subscription.renewal_errored'",
    );
    expect(audit[0].count).toBe(2);

    // Fixed by the operator: the next attempt renews it and clears the record.
    await query("update subscriptions set currency = 'USD' where organization_id = 'broken-3'");
    const fixed = await runBillingCycle({
      services,
      concurrency: 2,
      clock: () => new Date(runAt.getTime() + 60 * 60_000),
      logger: services.logger,
    });
    expect(fixed).toMatchObject({ renewals: 1, failed: 0 });
    expect(
      await query(
        "select renewal_attempts, renewal_failed_at, next_renewal_attempt_at from subscriptions where organization_id = 'broken-3'",
      ),
    ).toEqual([{ renewal_attempts: 0, renewal_failed_at: null, next_renewal_attempt_at: null }]);
  });
});
