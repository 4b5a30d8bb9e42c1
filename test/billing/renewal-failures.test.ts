import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type CliProcess, runCli } from "../helpers/process.ts";

/**
 * Renewals under usage beyond 2^31−1 units, over HTTP against two `abono serve` processes sharing one
 * database (each with its worker), as the original report ran it: the renewal invoices the usage (every
 * quantity is a bigint), and a renewal that cannot be invoiced is recorded once, reported by the test
 * clock's advance, and retried only after its backoff instead of looping.
 */
let database: TestDatabase;
const servers: CliProcess[] = [];
const urls: string[] = [];
const rootKey = `abono_sk_${randomBytes(24).toString("hex")}`;
// Derived from now (a test clock's time, never the wall clock's): the first of a month next year.
const start = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 0, 1));
const later = (days: number, minutes = 0) =>
  new Date(start.getTime() + days * 86_400_000 + minutes * 60_000).toISOString();

async function call(server: number, method: string, path: string, body?: unknown) {
  const response = await fetch(`${urls[server]}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${rootKey}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function created(server: number, path: string, body: unknown) {
  const response = await call(server, "POST", path, body);
  if (response.status !== 201) throw new Error(`${path}: ${JSON.stringify(response)}`);
  return response.body;
}

beforeAll(async () => {
  database = await createTestDatabase();
  for (let index = 0; index < 2; index++) {
    const server = runCli(["serve"], {
      DATABASE_URL: database.url,
      ABONO_TEST_MODE: "true",
      ABONO_ROOT_API_KEY: rootKey,
      PORT: "0",
      HOST: "127.0.0.1",
      ABONO_LOG_LEVEL: "info",
    });
    servers.push(server);
    const [, url] = await server.waitForOutput(/Abono is listening on (http:\/\/[\d.:]+)/);
    urls.push(url ?? "");
  }
  await created(0, "/v1/features", { key: "calls", name: "Calls", kind: "metered" });
  await created(0, "/v1/plans", {
    id: "free",
    name: "Free",
    prices: [{ interval: "month", currency: "USD", unitAmount: 0 }],
    features: { calls: 0 },
  });
  await created(0, "/v1/plans", {
    id: "api",
    name: "API",
    prices: [{ interval: "month", currency: "USD", unitAmount: 1000 }],
    features: { calls: 1000 },
    overage: { calls: { unitAmount: 1, currency: "USD" } },
  });
  // The largest overage price the catalog takes: a million units of it is beyond any invoice.
  await created(0, "/v1/plans", {
    id: "heavy",
    name: "Heavy",
    prices: [{ interval: "month", currency: "USD", unitAmount: 1000 }],
    features: { calls: 0 },
    overage: { calls: { unitAmount: 10_000_000_000, currency: "USD" } },
  });
}, 120_000);

afterAll(async () => {
  for (const server of servers) {
    process.kill(-(server.child.pid ?? 0), "SIGTERM");
    await server.exited;
  }
  await database?.drop();
});

let organizations = 0;
async function subscribedOrganization(planId: string) {
  const clock = await created(0, "/v1/test-clocks", { frozenTime: start.toISOString() });
  organizations += 1;
  const organization = await created(1, "/v1/organizations", {
    id: `renewal-${organizations}`,
    name: `Renewal ${organizations}`,
    currency: "USD",
    testClockId: clock.id,
  });
  const path = `/v1/organizations/${organization.id}`;
  await created(1, `${path}/payment-methods`, { provider: "sandbox", token: "pm_sandbox_ok" });
  const subscription = await created(0, `${path}/subscription`, { planId, interval: "month" });
  return {
    organizationId: organization.id as string,
    subscriptionId: subscription.subscription?.id ?? subscription.id,
    clockId: clock.id as string,
    path,
  };
}

/** Usage of `total` units, a million per event (the largest event), through the batch endpoint. */
async function recordUsage(server: number, organizationId: string, total: number) {
  const events = [];
  for (let left = total, index = 0; left > 0; index++) {
    const quantity = Math.min(left, 1_000_000);
    events.push({ organizationId, feature: "calls", quantity, eventId: `use-${index}` });
    left -= quantity;
  }
  const response = await call(server, "POST", "/v1/usage/batch", { events });
  expect(response.status).toBe(200);
  expect(response.body.accepted).toBe(events.length);
}

async function failedJobs(): Promise<number> {
  const { rows } = await database.pool.query(
    "select count(*)::int as count from graphile_worker._private_jobs where last_error is not null",
  );
  return rows[0].count;
}

describe("renewals with usage beyond 2^31−1 units, two processes", () => {
  it("invoices the overage with bigint quantities, and the advance answers ready", async () => {
    const { organizationId, clockId, path } = await subscribedOrganization("api");
    const total = 2 ** 31 + 200_000_000; // 2,347,483,648 units: beyond int4
    await recordUsage(1, organizationId, total);

    const advanced = await call(0, "POST", `/v1/test-clocks/${clockId}/advance`, {
      frozenTime: later(32),
    });
    expect(advanced.status).toBe(200);
    expect(advanced.body.status).toBe("ready");
    expect(advanced.body.failures).toEqual([]);

    const invoices = await call(1, "GET", `${path}/invoices`);
    const renewal = invoices.body.data.find(
      (invoice: { billingReason: string }) => invoice.billingReason === "subscription_cycle",
    );
    expect(renewal).toBeDefined();
    const overage = renewal.lines.find((line: { kind: string }) => line.kind === "overage");
    expect(overage).toMatchObject({ quantity: total - 1000, unitAmount: 1, amount: total - 1000 });
    expect(renewal.total).toBe(1000 + total - 1000);
    expect(renewal.status).toBe("paid");
    const { rows } = await database.pool.query(
      "select quantity::text from invoice_lines where invoice_id = $1 and kind = 'overage'",
      [renewal.id],
    );
    expect(rows).toEqual([{ quantity: String(total - 1000) }]);
    expect(await failedJobs()).toBe(0);
  }, 120_000);

  it("records a renewal that cannot be invoiced, reports it, and retries it only after a backoff", async () => {
    const { organizationId, subscriptionId, clockId, path } = await subscribedOrganization("heavy");
    await recordUsage(1, organizationId, 1_000_000);

    const first = await call(0, "POST", `/v1/test-clocks/${clockId}/advance`, {
      frozenTime: later(32),
    });
    expect(first.status).toBe(200);
    expect(first.body.status).toBe("failed");
    expect(first.body.failures).toEqual([
      expect.objectContaining({
        organizationId,
        subscriptionId,
        work: "renewal",
        attempts: 1,
        error: expect.stringMatching(/too large/),
      }),
    ]);
    const flagged = async () =>
      (
        await database.pool.query(
          `select status, renewal_attempts, renewal_error, renewal_failed_at, next_renewal_attempt_at
             from subscriptions where id = $1`,
          [subscriptionId],
        )
      ).rows[0];
    const afterFirst = await flagged();
    expect(afterFirst).toMatchObject({ status: "active", renewal_attempts: 1 });
    expect(afterFirst.renewal_error).toMatch(/too large/);
    expect(afterFirst.next_renewal_attempt_at.getTime()).toBeGreaterThan(
      new Date(later(32)).getTime(),
    );

    // Nothing was invoiced, the failure is on record for the operator, and access is in its grace period.
    const invoices = await call(1, "GET", `${path}/invoices`);
    expect(
      invoices.body.data.filter(
        (invoice: { billingReason: string }) => invoice.billingReason === "subscription_cycle",
      ),
    ).toEqual([]);
    const audit = await database.pool.query(
      "select action, metadata from audit_logs where organization_id = $1 and action = 'subscription.renewal_errored'",
      [organizationId],
    );
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0].metadata).toMatchObject({ attempt: 1 });
    const notices = await call(0, "GET", "/v1/notifications");
    expect(notices.status).toBe(200);
    expect(
      notices.body.data.filter(
        (notice: { kind: string; organizationId: string }) =>
          notice.kind === "renewal_failed" && notice.organizationId === organizationId,
      ),
    ).toHaveLength(1);
    const entitlement = await call(1, "GET", `${path}/entitlement`);
    expect(entitlement.body.status).toBe("past_due");

    // The other process advancing a minute later finds nothing due: the backoff holds.
    const soon = await call(1, "POST", `/v1/test-clocks/${clockId}/advance`, {
      frozenTime: later(32, 1),
    });
    expect(soon.body.status).toBe("failed");
    expect((await flagged()).renewal_attempts).toBe(1);

    // Past the backoff, one more attempt (not hundreds), again recorded and reported.
    const next = await call(1, "POST", `/v1/test-clocks/${clockId}/advance`, {
      frozenTime: later(33),
    });
    expect(next.body.status).toBe("failed");
    expect(next.body.failures[0]).toMatchObject({ subscriptionId, attempts: 2 });
    expect((await flagged()).renewal_attempts).toBe(2);
    const attempts = await database.pool.query(
      "select count(*)::int as count from audit_logs where organization_id = $1 and action = 'subscription.renewal_errored'",
      [organizationId],
    );
    expect(attempts.rows[0].count).toBe(2);

    // Past the grace period the organization is on the free plan's features, as when past_due.
    await call(0, "POST", `/v1/test-clocks/${clockId}/advance`, { frozenTime: later(45) });
    const lapsed = await call(1, "GET", `${path}/entitlements/calls`);
    expect(lapsed.body.allowed).toBe(false);
    expect(await failedJobs()).toBe(0);
  }, 180_000);
});
