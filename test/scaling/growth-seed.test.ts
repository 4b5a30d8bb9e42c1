import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedAuditLogs, seedInvoices, seedPaymentEvents } from "../../bench/seed-history.ts";
import { seedOrganizations } from "../../bench/seed-organizations.ts";
import { ensureUsageEventPartitions, seedUsageEvents } from "../../bench/seed-usage-events.ts";
import { tableSizes } from "../../bench/table-sizes.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog } from "../helpers/billing-scenario.ts";

/**
 * The growth benchmark's seeders (bench/growth.ts) at a tiny size: rows counted right, valid against the
 * tables' keys, foreign keys and checks (the inserts would fail otherwise), and consistent with each other.
 */
const organizations = 40;
const now = new Date("2026-06-15T12:00:00Z");
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ worker: false });
  await createBillingCatalog(app);
  await seedOrganizations({ db: app.database.db, count: organizations, planIds: ["plus"], now });
  const client = await app.database.pool.connect();
  try {
    await ensureUsageEventPartitions(client, now);
    const seed = { db: client, organizations, now, chunk: 70 };
    // Two top-ups each, in chunks smaller than a top-up.
    await seedUsageEvents({ ...seed, from: 0, count: 300 });
    await seedUsageEvents({ ...seed, from: 300, count: 200 });
    await seedAuditLogs({ ...seed, from: 0, count: 100 });
    await seedAuditLogs({ ...seed, from: 100, count: 50 });
    await seedInvoices({ ...seed, from: 0, count: 120 });
    await seedInvoices({ ...seed, from: 120, count: 30 });
    await seedPaymentEvents({ ...seed, from: 0, count: 90 });
  } finally {
    client.release();
  }
}, 60_000);
afterAll(() => app.close());

const query = async (text: string) => (await app.database.pool.query(text)).rows;

describe("growth benchmark seeders", () => {
  it("count the rows they write, and spread them over the organizations and the last year", async () => {
    const { tables } = await tableSizes(app.database.pool, [
      "usage_events",
      "invoices",
      "payment_events",
    ]);
    expect(tables.map((table) => table.rows)).toEqual([500, 150, 90]);
    expect(tables.every((table) => table.bytes > 0)).toBe(true);
    const [events] = await query(
      `select count(distinct organization_id)::int as organizations, count(distinct event_id)::int as ids,
              min(occurred_at) as first, max(recorded_at) as last,
              count(*) filter (where organization_id not in (select id from organizations))::int as orphans
         from usage_events`,
    );
    expect(events).toMatchObject({ organizations, ids: 500, orphans: 0 });
    // Every event claims its id, with the partition it went to; no claim without its event.
    const [claims] = await query(
      `select (select count(*) from usage_event_ids)::int as claims,
              (select count(*) from usage_events e join usage_event_ids d
                 on d.organization_id = e.organization_id and d.event_id = e.event_id
                and d.recorded_at = e.recorded_at)::int as matched`,
    );
    expect(claims).toEqual({ claims: 500, matched: 500 });
    expect(events.first.getTime()).toBeGreaterThan(now.getTime() - 366 * 86_400_000);
    expect(events.last.getTime()).toBeLessThanOrEqual(now.getTime());
  });

  it("writes invoices whose lines add up to their totals", async () => {
    const mismatched = await query(
      `select i.id from invoices i join invoice_lines l on l.invoice_id = i.id
        group by i.id, i.subtotal, i.discount, i.tax
       having sum(l.amount) <> i.subtotal or sum(l.discount) <> i.discount or sum(l.tax_amount) <> i.tax`,
    );
    expect(mismatched).toEqual([]);
    const [statuses] = await query(
      `select count(*) filter (where status = 'paid' and amount_paid = total)::int as paid,
              count(*) filter (where number is null)::int as unnumbered from invoices`,
    );
    expect(statuses.paid).toBeGreaterThan(100);
    expect(statuses.unnumbered).toBe(0);
  });

  it("links every audit entry into the chain, each link to the one before", async () => {
    const [chain] = await query(
      `select (select count(*) from audit_logs a where not exists
                (select 1 from audit_chain c where c.audit_id = a.id))::int as unlinked,
              (select count(*) from audit_chain c join audit_chain p on p.seq = c.seq - 1
                where c.prev_hash <> p.hash)::int as broken,
              (select max(seq) = count(*) from audit_chain) as gapless,
              (select count(*) from audit_logs where id like 'aud\\_000%')::int as seeded`,
    );
    expect(chain).toEqual({ unlinked: 0, broken: 0, gapless: true, seeded: 150 });
  });

  it("leaves the audit chain's trigger on: a live entry still gets its link", async () => {
    const response = await app.request("POST", "/v1/organizations", {
      body: { id: "after-seed", name: "After seed" },
    });
    expect(response.status).toBe(201);
    const [links] = await query(
      `select count(*) filter (where id not like 'aud\\_000%')::int as live,
              count(*) filter (where not exists (select 1 from audit_chain c where c.audit_id = a.id))::int as missing
         from audit_logs a`,
    );
    expect(links.live).toBeGreaterThan(0);
    expect(links.missing).toBe(0);
  });

  it("seeds a usage_events partitioned by month, creating the partitions it needs", async () => {
    const client = await app.database.pool.connect();
    try {
      // The migrated schema partitions usage_events by month (on recorded_at, a few ms after occurred_at).
      const partitions = await ensureUsageEventPartitions(client, now);
      // 2025-06 (365 days before) to 2026-07 (the month after `now`).
      expect(partitions[0]).toBe("usage_events_2025_06");
      expect(partitions.at(-1)).toBe("usage_events_2026_07");
      expect(partitions).toHaveLength(14);
      const before = await client.query("select count(*)::int as count from usage_events");
      await seedUsageEvents({
        db: client,
        from: 1_000_000,
        count: 400,
        organizations,
        now,
        chunk: 150,
      });
      const { rows } = await client.query(
        "select count(*)::int as count, count(distinct tableoid)::int as partitions from usage_events",
      );
      expect(rows[0].count - before.rows[0].count).toBe(400);
      const claims = await client.query(
        "select count(*)::int as count from usage_event_ids where event_id >= 'evt_000001000001'",
      );
      expect(claims.rows[0].count).toBe(400);
      expect(rows[0].partitions).toBe(13);
      const { tables } = await tableSizes(client, ["usage_events"]);
      expect(tables[0]?.rows).toBe(rows[0].count);
      expect(tables[0]?.bytes).toBeGreaterThan(0);
    } finally {
      client.release();
    }
  });
});
