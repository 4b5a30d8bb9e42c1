import { randomBytes } from "node:crypto";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { openDatabase } from "../../src/db/database.ts";
import { migrateDatabase } from "../../src/db/migrate.ts";
import {
  addMonths,
  ensureUsagePartitions,
  listUsagePartitions,
  monthStart,
  monthsAhead,
  usagePartitionName,
  usagePartitionsTask,
} from "../../src/entitlements/usage-partitions.ts";
import { usageRetentionTask } from "../../src/entitlements/usage-retention.ts";
import { scheduledTasks } from "../../src/jobs/jobs.ts";
import { runScheduler } from "../../src/jobs/scheduler.ts";
import { createLogger } from "../../src/logger.ts";
import { adminQuery, withDatabase } from "../global-setup.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog, createBillingOrganization } from "../helpers/billing-scenario.ts";
import { migrationsBefore } from "../helpers/migrations-before.ts";

/**
 * Usage events partitioned by month of `recorded_at` (docs/data-growth.md "Usage events"): partitions made
 * ahead by the scheduler and on demand by the write paths, exact dedup of `eventId` across months, and
 * retention that drops whole months only once no open billing period overlaps them. The system clock is
 * pinned years past today, where no partition exists yet, so every date is derived, never written down.
 */

const logger = createLogger({ level: "silent" });

/** The 10th of the month `months` after today's, at noon (UTC). */
const monthsFromToday = (months: number) =>
  new Date(addMonths(monthStart(new Date()), months).getTime() + (9 * 24 + 12) * 3_600_000);

let serial = 0;

/** An organization on the system clock, subscribed to Plus (500 encounters a period). */
async function subscribedOrganization(app: TestApp) {
  serial += 1;
  const id = `usage-${process.pid}-${serial}`;
  const created = await app.request("POST", "/v1/organizations", {
    body: { id, name: id, currency: "USD", billingAnchor: "anniversary" },
  });
  if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  const pathOf = (suffix = "") => `/v1/organizations/${id}${suffix}`;
  const card = await app.request("POST", pathOf("/payment-methods"), {
    body: { provider: "sandbox", token: "pm_sandbox_ok" },
  });
  if (card.status !== 201) throw new Error(JSON.stringify(card.body));
  const subscription = await app.request("POST", pathOf("/subscription"), {
    body: { planId: "plus", interval: "month" },
  });
  if (subscription.status !== 201) throw new Error(JSON.stringify(subscription.body));
  return { organizationId: id, path: pathOf };
}

async function used(app: TestApp, org: { path: (suffix?: string) => string }) {
  const check = await app.request("GET", org.path("/entitlements/encounters"));
  return check.body.used as number;
}

/** Where each of an organization's events is stored: event id → partition. */
async function partitionsOf(app: TestApp, organizationId: string) {
  const { rows } = await app.database.pool.query<{ event_id: string; partition: string }>(
    `select event_id, tableoid::regclass::text as partition from usage_events
      where organization_id = $1 order by event_id`,
    [organizationId],
  );
  return Object.fromEntries(rows.map((row) => [row.event_id, row.partition]));
}

describe("partitions of usage events", () => {
  let app: TestApp;
  let systemNow = monthsFromToday(60);
  beforeAll(async () => {
    app = await startTestApp({ clock: () => systemNow });
    await createBillingCatalog(app);
  });
  afterAll(() => app.close());

  it("creates a missing month's partition on demand, for single events and batches", async () => {
    systemNow = monthsFromToday(60);
    const org = await subscribedOrganization(app);
    const single = await app.request("POST", org.path("/usage"), {
      body: { feature: "encounters", quantity: 2, eventId: "single-1" },
    });
    expect(single.status, JSON.stringify(single.body)).toBe(200);

    systemNow = monthsFromToday(61);
    const batch = await app.request("POST", "/v1/usage/batch", {
      body: {
        events: [1, 2, 3].map((n) => ({
          organizationId: org.organizationId,
          feature: "encounters",
          quantity: 1,
          eventId: `batch-${n}`,
        })),
      },
    });
    expect(batch.body).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
    expect(await partitionsOf(app, org.organizationId)).toEqual({
      "batch-1": usagePartitionName(monthsFromToday(61)),
      "batch-2": usagePartitionName(monthsFromToday(61)),
      "batch-3": usagePartitionName(monthsFromToday(61)),
      "single-1": usagePartitionName(monthsFromToday(60)),
    });
    expect(await used(app, org)).toBe(5);
  });

  it("counts a resent eventId once across months, whatever its timestamp, even in parallel", async () => {
    systemNow = monthsFromToday(62);
    const org = await subscribedOrganization(app);
    const single = (eventId: string) =>
      app.request("POST", org.path("/usage"), {
        body: { feature: "encounters", quantity: 1, eventId },
      });
    const batch = (eventId: string, minutes: number) =>
      app.request("POST", "/v1/usage/batch", {
        body: {
          events: [
            {
              organizationId: org.organizationId,
              feature: "encounters",
              quantity: 1,
              eventId,
              timestamp: new Date(systemNow.getTime() - minutes * 60_000).toISOString(),
            },
          ],
        },
      });
    expect((await single("resent")).body.duplicate).toBe(false);
    expect(await used(app, org)).toBe(1);

    // A month later, into another partition: the same id sent 12 times at once, by both paths, with
    // timestamps of its own month and of the previous one.
    systemNow = monthsFromToday(63);
    const resends = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        index % 2 === 0 ? single("resent") : batch("resent", index * 60 * 24 * 20),
      ),
    );
    for (const response of resends) expect(response.status).toBe(200);
    expect(
      resends.filter((response) => response.body.duplicates === 1 || response.body.duplicate),
    ).toHaveLength(12);
    expect(await used(app, org)).toBe(1);

    // A new id sent 20 times at once: exactly one counts.
    const fresh = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        index % 2 === 0 ? single("fresh") : batch("fresh", index),
      ),
    );
    const accepted = fresh.filter((response) =>
      response.body.accepted === undefined
        ? response.body.duplicate === false
        : response.body.accepted === 1,
    );
    expect(accepted).toHaveLength(1);
    expect(await used(app, org)).toBe(2);
    expect(await partitionsOf(app, org.organizationId)).toEqual({
      fresh: usagePartitionName(monthsFromToday(63)),
      resent: usagePartitionName(monthsFromToday(62)),
    });
    const { rows } = await app.database.pool.query(
      "select event_id from usage_event_ids where organization_id = $1 order by event_id",
      [org.organizationId],
    );
    expect(rows.map((row) => row.event_id)).toEqual(["fresh", "resent"]);
  });

  it("records the usage of an organization on a test clock a year ahead, on the system clock's month", async () => {
    systemNow = monthsFromToday(64);
    const clockStart = monthsFromToday(76);
    const org = await createBillingOrganization(app, { start: clockStart.toISOString() });
    await org.subscribe("plus");
    await org.advance(new Date(clockStart.getTime() + 40 * 86_400_000).toISOString());
    const response = await app.request("POST", org.path("/usage"), {
      body: { feature: "encounters", quantity: 3, eventId: "clocked" },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const { rows } = await app.database.pool.query(
      `select tableoid::regclass::text as partition, occurred_at from usage_events
        where organization_id = $1`,
      [org.organizationId],
    );
    expect(rows).toEqual([
      {
        partition: usagePartitionName(monthsFromToday(64)),
        occurred_at: new Date(clockStart.getTime() + 40 * 86_400_000),
      },
    ]);
  });

  it("keeps the current month and the next three ahead from the scheduler, idempotently, from several processes at once", async () => {
    expect(scheduledTasks).toEqual(
      expect.arrayContaining([usagePartitionsTask, usageRetentionTask]),
    );
    const now = monthsFromToday(90);
    const expected = monthsAhead(now).map(usagePartitionName);
    expect(expected).toHaveLength(4);
    // As the service's restricted role, four schedulers at once.
    const services = Array.from({ length: 4 }, () =>
      openDatabase({ connectionString: app.database.appUrl, maxConnections: 2 }),
    );
    try {
      await Promise.all(
        services.map((service) =>
          runScheduler({
            tasks: [usagePartitionsTask],
            db: service.db,
            now,
            scope: { testClockId: null },
            logger,
          }),
        ),
      );
      const partitions = await listUsagePartitions(app.database.db);
      const made = partitions.filter((partition) => expected.includes(partition.name));
      expect(made.map((partition) => partition.name)).toEqual(expected);
      // Each month's bounds, in UTC.
      expect(made.map((partition) => [partition.from, partition.to])).toEqual(
        monthsAhead(now).map((month) => [month, addMonths(month, 1)]),
      );
      // Once they exist, another pass creates nothing; a test clock's pass does nothing.
      expect(
        await ensureUsagePartitions({
          executor: services[0]?.db ?? app.database.db,
          months: [now],
        }),
      ).toEqual([]);
      await runScheduler({
        tasks: [usagePartitionsTask],
        db: app.database.db,
        now: monthsFromToday(200),
        scope: { testClockId: "clock_x" },
        logger,
      });
      expect(
        (await listUsagePartitions(app.database.db)).some(
          (partition) => partition.name === usagePartitionName(monthsFromToday(200)),
        ),
      ).toBe(false);
    } finally {
      await Promise.all(services.map((service) => service.close()));
    }
  });
});

describe("retention", () => {
  let app: TestApp;
  // At noon sharp: retention runs on the tick at the top of an hour.
  const systemNow = monthsFromToday(36);
  const month = (offset: number) => addMonths(monthStart(systemNow), offset);
  beforeAll(async () => {
    app = await startTestApp({ clock: () => systemNow });
    await createBillingCatalog(app);
  });
  afterAll(() => app.close());

  it("is refused when not a whole number of months from 1", () => {
    expect(loadConfig({ ABONO_USAGE_RETENTION_MONTHS: "3" }).usageRetentionMonths).toBe(3);
    expect(loadConfig({}).usageRetentionMonths).toBe(null);
    expect(() => loadConfig({ ABONO_USAGE_RETENTION_MONTHS: "0" })).toThrow(
      /ABONO_USAGE_RETENTION_MONTHS/,
    );
    expect(() => loadConfig({ ABONO_USAGE_RETENTION_MONTHS: "1.5" })).toThrow(
      /ABONO_USAGE_RETENTION_MONTHS/,
    );
  });

  it("drops the months past the retention once no open billing period overlaps them, with their event ids", async () => {
    const org = await subscribedOrganization(app);
    // Events of six months ago to three months ago (as if recorded then), one per month.
    for (const offset of [-6, -5, -4, -3]) {
      const recordedAt = new Date(month(offset).getTime() + 5 * 86_400_000).toISOString();
      await ensureUsagePartitions({ executor: app.database.db, months: [month(offset)] });
      await app.database.pool.query(
        `insert into usage_events (organization_id, event_id, feature_key, quantity, occurred_at, recorded_at)
         values ($1, $2, 'encounters', 1, $3, $3)`,
        [org.organizationId, `old${offset}`, recordedAt],
      );
      await app.database.pool.query(
        "insert into usage_event_ids (organization_id, event_id, recorded_at) values ($1, $2, $3)",
        [org.organizationId, `old${offset}`, recordedAt],
      );
    }
    // This month's usage, through the API.
    const current = await app.request("POST", org.path("/usage"), {
      body: { feature: "encounters", quantity: 4, eventId: "now-1" },
    });
    expect(current.status).toBe(200);
    // Another organization's current period started four months ago (not invoiced yet, e.g. past due).
    const other = await subscribedOrganization(app);
    const openSince = new Date(month(-4).getTime() + 10 * 86_400_000);
    await app.database.pool.query(
      "update subscriptions set current_period_start = $2 where organization_id = $1",
      [other.organizationId, openSince.toISOString()],
    );

    const service = openDatabase({ connectionString: app.database.appUrl, maxConnections: 2 });
    const retain = (environment: Record<string, string>) =>
      runScheduler({
        tasks: [usageRetentionTask],
        db: service.db,
        now: systemNow,
        scope: { testClockId: null },
        logger,
        config: loadConfig(environment),
      });
    const names = async () =>
      (await listUsagePartitions(app.database.db)).map((partition) => partition.name);
    try {
      // Unset: kept forever. Set, but not at the top of an hour: nothing yet.
      await retain({});
      await runScheduler({
        tasks: [usageRetentionTask],
        db: service.db,
        now: new Date(systemNow.getTime() + 60_000),
        scope: { testClockId: null },
        logger,
        config: loadConfig({ ABONO_USAGE_RETENTION_MONTHS: "2" }),
      });
      expect(await names()).toEqual(
        expect.arrayContaining([-6, -5, -4, -3].map((offset) => usagePartitionName(month(offset)))),
      );

      // Two months kept: months −6 … −3 are past it, but the open period overlaps −4 and −3.
      await retain({ ABONO_USAGE_RETENTION_MONTHS: "2" });
      const afterFirst = await names();
      expect(afterFirst).not.toContain(usagePartitionName(month(-6)));
      expect(afterFirst).not.toContain(usagePartitionName(month(-5)));
      expect(afterFirst).toContain(usagePartitionName(month(-4)));
      expect(afterFirst).toContain(usagePartitionName(month(-3)));
      expect(afterFirst).toContain(usagePartitionName(systemNow));
      const ids = async () =>
        (
          await app.database.pool.query(
            "select event_id from usage_event_ids where organization_id = $1 order by event_id",
            [org.organizationId],
          )
        ).rows.map((row) => row.event_id);
      expect(await ids()).toEqual(["now-1", "old-3", "old-4"]);
      // (Today's months, made by the migration, are long past the pinned clock's retention too.)
      const { rows: audit } = await app.database.pool.query(
        `select actor, before from audit_logs
          where action = 'usage.partition_dropped' and before->>'name' = any($1) order by id`,
        [[-6, -5, -4, -3].map((offset) => usagePartitionName(month(offset)))],
      );
      expect(audit).toEqual([
        {
          actor: "system:usage_retention",
          before: expect.objectContaining({ name: usagePartitionName(month(-6)), events: 1 }),
        },
        {
          actor: "system:usage_retention",
          before: expect.objectContaining({ name: usagePartitionName(month(-5)), events: 1 }),
        },
      ]);

      // Past the dedup window, a dropped event's id counts again; a kept one is still a duplicate;
      // this month's usage is untouched.
      expect(await used(app, org)).toBe(4);
      const resend = (eventId: string) =>
        app.request("POST", org.path("/usage"), {
          body: { feature: "encounters", quantity: 1, eventId },
        });
      expect((await resend("old-6")).body.duplicate).toBe(false);
      expect((await resend("old-4")).body.duplicate).toBe(true);
      expect((await resend("now-1")).body.duplicate).toBe(true);
      expect(await used(app, org)).toBe(5);

      // Once that period is invoiced (the subscription moved on), the rest past the retention goes.
      await app.database.pool.query(
        "update subscriptions set current_period_start = $2 where organization_id = $1",
        [other.organizationId, systemNow.toISOString()],
      );
      await retain({ ABONO_USAGE_RETENTION_MONTHS: "2" });
      const afterSecond = await names();
      expect(afterSecond).not.toContain(usagePartitionName(month(-4)));
      expect(afterSecond).not.toContain(usagePartitionName(month(-3)));
      expect(afterSecond).toContain(usagePartitionName(systemNow));
      expect(await ids()).toEqual(["now-1", "old-6"]);
      expect(await used(app, org)).toBe(5);
    } finally {
      await service.close();
    }
  });
});

describe("the migration that partitions usage_events", () => {
  it("moves the rows of a database holding events into monthly partitions, and claims their ids", async () => {
    // The migrations before this one, in a folder of their own.
    const before = await migrationsBefore("_usage_event_partitions");
    const serverUrl = inject("serverUrl");
    const name = `abono_m_${randomBytes(6).toString("hex")}`;
    await adminQuery(serverUrl, `create database ${name}`);
    const database = openDatabase({ connectionString: withDatabase(serverUrl, name) });
    try {
      await migrate(database.db, { migrationsFolder: before.folder });
      const rows = [
        ["org-a", "e1", "2024-03-01T00:00:00Z"],
        ["org-a", "e2", "2024-03-31T23:59:59.999Z"],
        ["org-b", "e1", "2024-07-15T12:00:00Z"],
        ["org-b", "e2", new Date().toISOString()],
      ];
      for (const [organizationId, eventId, recordedAt] of rows) {
        await database.pool.query(
          `insert into usage_events (organization_id, event_id, feature_key, quantity, occurred_at, recorded_at)
           values ($1, $2, 'encounters', 7, $3, $3)`,
          [organizationId, eventId, recordedAt],
        );
      }
      // The database's clock (it may differ from this process's): the migration makes its months.
      const databaseNow = async () =>
        (await database.pool.query<{ now: Date }>("select now()")).rows[0]?.now ?? new Date();
      const started = await databaseNow();
      await migrateDatabase(database);
      const finished = await databaseNow();

      const partitions = (await listUsagePartitions(database.db)).map(
        (partition) => partition.name,
      );
      expect(partitions.slice(0, 2)).toEqual(["usage_events_2024_03", "usage_events_2024_07"]);
      for (const at of [...monthsAhead(started), ...monthsAhead(finished)]) {
        expect(partitions).toContain(usagePartitionName(at));
      }
      const { rows: moved } = await database.pool.query(
        `select organization_id, event_id, quantity::int, tableoid::regclass::text as partition
           from usage_events order by organization_id, event_id`,
      );
      expect(moved).toEqual([
        {
          organization_id: "org-a",
          event_id: "e1",
          quantity: 7,
          partition: "usage_events_2024_03",
        },
        {
          organization_id: "org-a",
          event_id: "e2",
          quantity: 7,
          partition: "usage_events_2024_03",
        },
        {
          organization_id: "org-b",
          event_id: "e1",
          quantity: 7,
          partition: "usage_events_2024_07",
        },
        {
          organization_id: "org-b",
          event_id: "e2",
          quantity: 7,
          partition: usagePartitionName(new Date(rows[3]?.[2] ?? "")),
        },
      ]);
      const { rows: claimed } = await database.pool.query(
        "select organization_id, event_id from usage_event_ids order by organization_id, event_id",
      );
      expect(claimed).toEqual(
        moved.map(({ organization_id, event_id }) => ({ organization_id, event_id })),
      );
      const { rows: old } = await database.pool.query(
        "select to_regclass('usage_events_unpartitioned') as old, " +
          "(select relkind from pg_class where relname = 'usage_events') as kind",
      );
      expect(old).toEqual([{ old: null, kind: "p" }]);
    } finally {
      await database.close();
      await adminQuery(serverUrl, `drop database if exists ${name} with (force)`);
      await before.remove();
    }
  });
});
