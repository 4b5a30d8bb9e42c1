import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDueSubscriptions } from "../../bench/seed-due-subscriptions.ts";
import { scheduledTasks } from "../../src/jobs/jobs.ts";
import { runScheduler } from "../../src/jobs/scheduler.ts";
import { waitForJobs } from "../../src/jobs/wait-for-jobs.ts";
import { createLogger } from "../../src/logger.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog, createBillingOrganization } from "../helpers/billing-scenario.ts";
import { duePeriodBefore } from "../helpers/due-period.ts";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  await createBillingCatalog(app);
});
afterAll(() => app.close());

async function entitlement(organizationId: string) {
  const { rows } = await app.database.pool.query(
    "select plan_id, status, grace_ends_at from organization_entitlements where organization_id = $1",
    [organizationId],
  );
  return rows[0];
}

describe("renewals", () => {
  it("renews twelve times across month ends and a leap year, on the anchor's day", async () => {
    const org = await createBillingOrganization(app, { start: "2024-01-31T09:30:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    await org.advance("2025-01-31T09:30:00Z");
    const invoices = (
      await app.request("GET", org.path("/invoices?limit=100"))
    ).body.data.reverse();
    expect(
      invoices.map((invoice: { periodStart: string }) => invoice.periodStart.slice(0, 10)),
    ).toEqual([
      "2024-01-31",
      "2024-02-29",
      "2024-03-31",
      "2024-04-30",
      "2024-05-31",
      "2024-06-30",
      "2024-07-31",
      "2024-08-31",
      "2024-09-30",
      "2024-10-31",
      "2024-11-30",
      "2024-12-31",
      "2025-01-31",
    ]);
    for (const invoice of invoices) expect(invoice).toMatchObject({ total: 4000, status: "paid" });
    const subscription = await app.request("GET", org.path("/subscription"));
    expect(subscription.body).toMatchObject({
      currentPeriodStart: "2025-01-31T09:30:00.000Z",
      currentPeriodEnd: "2025-02-28T09:30:00.000Z",
    });
  });

  it("renews on the 1st with the first_of_month anchor", async () => {
    const org = await createBillingOrganization(app, {
      start: "2026-03-20T00:00:00Z",
      billingAnchor: "first_of_month",
    });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    await org.advance("2026-06-01T00:00:00Z");
    const invoices = (await app.request("GET", org.path("/invoices"))).body.data.reverse();
    expect(
      invoices.map((invoice: { periodStart: string; total: number }) => [
        invoice.periodStart.slice(0, 10),
        invoice.total,
      ]),
    ).toEqual([
      ["2026-03-20", 1548],
      ["2026-04-01", 4000],
      ["2026-05-01", 4000],
      ["2026-06-01", 4000],
    ]);
  });

  it("ends an annual subscription after one year instead of renewing it", async () => {
    const org = await createBillingOrganization(app, { start: "2026-02-10T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "year" },
    });
    await org.advance("2027-02-09T00:00:00Z");
    expect((await app.request("GET", org.path("/subscription"))).body.status).toBe("active");
    await org.advance("2027-02-10T00:00:00Z");
    expect((await app.request("GET", org.path("/subscription"))).status).toBe(404);
    expect((await app.request("GET", org.path("/invoices"))).body.data).toHaveLength(1);
    const { rows } = await app.database.pool.query(
      "select status, ended_at from subscriptions where organization_id = $1",
      [org.organizationId],
    );
    expect(rows).toEqual([{ status: "expired", ended_at: new Date("2027-02-10T00:00:00Z") }]);
    expect(await entitlement(org.organizationId)).toMatchObject({
      plan_id: "free",
      status: "active",
    });
  });

  it("marks the previous subscription expired when a new plan is bought outright", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    const first = await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "year" },
    });
    const second = await app.request("POST", org.path("/subscription"), {
      body: { planId: "premium", interval: "year", replaceExisting: true },
    });
    expect(second.status).toBe(201);
    const { rows } = await app.database.pool.query(
      "select id, status from subscriptions where organization_id = $1 order by id",
      [org.organizationId],
    );
    expect(rows).toEqual([
      { id: first.body.subscription.id, status: "expired" },
      { id: second.body.subscription.id, status: "active" },
    ]);
  });
});

describe("the production cron path", () => {
  it("renews real-time subscriptions through batch jobs, once, however often the scheduler runs", async () => {
    const db = app.server.connection.db;
    // The scheduler reads the real clock: exactly one period is due on any date.
    const { periodStart, dueAt } = duePeriodBefore(new Date());
    await seedDueSubscriptions({
      db,
      count: 250,
      planId: "plus",
      periodStart,
      dueAt,
      prefix: "cron",
    });
    const logger = createLogger({ level: "silent" });
    for (let pass = 0; pass < 3; pass++) {
      await runScheduler({
        tasks: scheduledTasks,
        db,
        now: new Date(),
        scope: { testClockId: null },
        logger,
      });
    }
    await waitForJobs({ db, queueName: null, deadline: Date.now() + 60_000 });
    const { rows } = await app.database.pool.query(`
      select count(*)::int as invoices, count(distinct subscription_id)::int as subscriptions,
             sum(total)::int as total, count(*) filter (where status = 'paid')::int as paid
        from invoices where organization_id like 'cron-%'`);
    expect(rows[0]).toEqual({ invoices: 250, subscriptions: 250, total: 250 * 4000, paid: 250 });
    const renewed = await app.database.pool.query(
      "select count(*)::int as count from subscriptions where organization_id like 'cron-%' and current_period_start = $1",
      [dueAt],
    );
    expect(renewed.rows[0].count).toBe(250);
    const published = await app.database.pool.query(
      "select count(*)::int as count from events where type = 'subscription.renewed' and organization_id like 'cron-%' and published_at is not null",
    );
    expect(published.rows[0].count).toBe(250);
    // Numbered after the batch's charges, still gapless, and the events name the invoices' numbers.
    const numbers = await app.database.pool.query(`
      select count(distinct number)::int as distinct_numbers,
             (max(substring(number from '[0-9]+$')::int) - min(substring(number from '[0-9]+$')::int) + 1)::int as span,
             count(*) filter (where e.data->>'number' = i.number)::int as events_with_number
        from invoices i
        join events e on e.type = 'invoice.paid' and e.data->>'invoiceId' = i.id
       where i.organization_id like 'cron-%'`);
    expect(numbers.rows[0]).toEqual({ distinct_numbers: 250, span: 250, events_with_number: 250 });
  });
});

describe("trials and dunning", () => {
  it("trial → past_due without a card → recovered at the first retry once a card is added", async () => {
    const org = await createBillingOrganization(app, {
      start: "2026-01-01T00:00:00Z",
      paymentToken: null,
    });
    const subscribed = await app.request("POST", org.path("/subscription"), {
      body: { planId: "trial-pro", interval: "month" },
    });
    expect(subscribed.body.subscription.status).toBe("trialing");
    await org.advance("2026-01-15T00:00:00Z");
    expect((await app.request("GET", org.path("/subscription"))).body.status).toBe("past_due");
    const open = (await app.request("GET", org.path("/invoices"))).body.data[0];
    expect(open).toMatchObject({ status: "open", amountDue: 5000, billingReason: "trial_end" });
    expect(await entitlement(org.organizationId)).toMatchObject({
      status: "past_due",
      grace_ends_at: new Date("2026-01-22T00:00:00Z"),
    });

    await app.request("POST", org.path("/payment-methods"), {
      body: { provider: "sandbox", token: "pm_sandbox_ok" },
    });
    await org.advance("2026-01-16T00:00:00Z");
    expect((await app.request("GET", org.path("/subscription"))).body).toMatchObject({
      status: "active",
      currentPeriodStart: "2026-01-15T00:00:00.000Z",
    });
    expect((await app.request("GET", `/v1/invoices/${open.id}`)).body).toMatchObject({
      status: "paid",
      amountPaid: 5000,
    });
    expect(await entitlement(org.organizationId)).toMatchObject({
      status: "active",
      grace_ends_at: null,
    });
  });

  it("past_due → retries after 1, 3 and 5 days → canceled, uncollectible, free plan", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    await app.request("POST", org.path("/payment-methods"), {
      body: { provider: "sandbox", token: "pm_sandbox_declined", default: true },
    });
    await org.advance("2026-02-01T00:00:00Z");
    expect((await app.request("GET", org.path("/subscription"))).body.status).toBe("past_due");
    await org.advance("2026-02-05T23:00:00Z");
    expect((await app.request("GET", org.path("/subscription"))).body.status).toBe("past_due");
    await org.advance("2026-02-06T00:00:00Z");
    expect((await app.request("GET", org.path("/subscription"))).status).toBe(404);

    const renewal = (await app.request("GET", org.path("/invoices"))).body.data[0];
    expect(renewal).toMatchObject({ status: "uncollectible", amountDue: 4000, amountPaid: 0 });
    const attempts = await app.database.pool.query(
      "select status, created_at from payments where invoice_id = $1 order by created_at",
      [renewal.id],
    );
    expect(
      attempts.rows.map((row) => [row.status, row.created_at.toISOString().slice(0, 10)]),
    ).toEqual([
      ["failed", "2026-02-01"],
      ["failed", "2026-02-02"],
      ["failed", "2026-02-04"],
      ["failed", "2026-02-06"],
    ]);
    expect(await entitlement(org.organizationId)).toMatchObject({
      plan_id: "free",
      status: "active",
    });
  });
});

describe("founders program", () => {
  let founders: TestApp;
  beforeAll(async () => {
    founders = await startTestApp({
      environment: {
        ABONO_FOUNDERS_OPENS_AT: "2026-01-01T00:00:00Z",
        ABONO_FOUNDERS_CLOSES_AT: "2026-07-01T00:00:00Z",
        ABONO_FOUNDERS_SEATS: "2",
        ABONO_FOUNDERS_BENEFIT: "discount:30",
      },
    });
    await createBillingCatalog(founders);
  });
  afterAll(() => founders.close());

  it("registers annual subscribers while open, up to the seat count, with the benefit on the subscription", async () => {
    const orgs = await Promise.all(
      Array.from({ length: 3 }, () =>
        createBillingOrganization(founders, { start: "2026-03-01T00:00:00Z" }),
      ),
    );
    const monthly = await createBillingOrganization(founders, { start: "2026-03-01T00:00:00Z" });
    const late = await createBillingOrganization(founders, { start: "2026-07-02T00:00:00Z" });
    await founders.request("POST", monthly.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    await founders.request("POST", late.path("/subscription"), {
      body: { planId: "plus", interval: "year" },
    });
    const responses = await Promise.all(
      orgs.map((org) =>
        founders.request("POST", org.path("/subscription"), {
          body: { planId: "plus", interval: "year" },
        }),
      ),
    );
    const totals = responses.map((response) => response.body.invoice.total).sort();
    expect(totals).toEqual([28000, 28000, 40000]);

    const { rows } = await founders.database.pool.query(
      "select organization_id, seat, benefit from founders_members order by seat",
    );
    expect(rows.map((row) => row.seat)).toEqual([1, 2]);
    for (const row of rows) expect(row.benefit).toMatchObject({ kind: "discount", percentOff: 30 });
    const members = rows.map((row) => row.organization_id);
    expect(members).not.toContain(monthly.organizationId);
    expect(members).not.toContain(late.organizationId);
    const benefits = await founders.database.pool.query(
      "select organization_id, founder_benefit from subscriptions where founder_benefit is not null",
    );
    expect(benefits.rows.map((row) => row.organization_id).sort()).toEqual([...members].sort());
  });
});
