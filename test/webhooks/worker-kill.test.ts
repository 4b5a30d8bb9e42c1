import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog, createBillingOrganization } from "../helpers/billing-scenario.ts";
import { runCli } from "../helpers/process.ts";
import { startWebhookReceiver } from "../helpers/webhook-receiver.ts";

/**
 * A worker process killed (SIGKILL) while a receiver holds its request loses nothing: the next worker
 * sends the delivery again (same `webhook-id`) once the dead one's lease runs out, then the rest in order.
 */
let app: TestApp;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let hang = true;

beforeAll(async () => {
  // The API alone: events are recorded and their jobs queued, for the worker processes below to run.
  app = await startTestApp({ worker: false });
  await createBillingCatalog(app);
  receiver = await startWebhookReceiver({
    respond: () => (hang ? { status: 200, hang: true } : { status: 200 }),
  });
});
afterAll(async () => {
  await receiver.close();
  await app.close();
});

describe("a worker killed mid-delivery", () => {
  it("loses nothing: the delivery goes out again from the next worker, and the rest follow in order", async () => {
    const created = await app.request("POST", "/v1/webhook-endpoints", {
      body: { url: receiver.url, events: ["balance.changed"] },
    });
    expect(created.status).toBe(201);
    receiver.setSecrets([created.body.secret]);
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    for (const amount of [100, 200, 300]) {
      const adjusted = await app.request(
        "POST",
        `/v1/root/organizations/${org.organizationId}/balance-adjustments`,
        { body: { amount, reason: "kill test" } },
      );
      expect(adjusted.status).toBe(201);
    }
    const environment = {
      DATABASE_URL: app.database.url,
      ABONO_TEST_MODE: "true",
      ABONO_LOG_LEVEL: "warn",
      ABONO_WEBHOOK_TIMEOUT_MS: "1000",
    };

    const first = runCli(["worker"], environment);
    await receiver.waitFor(() => receiver.received.length === 1, 60_000);
    process.kill(-(first.child.pid ?? 0), "SIGKILL");
    await first.exited;
    const [pending] = (
      await app.database.pool.query(
        "select status, attempts from webhook_deliveries order by sequence limit 1",
      )
    ).rows;
    expect(pending).toEqual({ status: "pending", attempts: 0 });

    hang = false;
    const second = runCli(["worker"], environment);
    try {
      await receiver.waitFor(() => receiver.processed.length === 3, 60_000);
    } finally {
      process.kill(-(second.child.pid ?? 0), "SIGTERM");
      await second.exited;
    }
    const ids = receiver.received.map((entry) => entry.headers["webhook-id"]);
    expect(ids[1]).toBe(ids[0]);
    expect(receiver.received.every((entry) => entry.verified)).toBe(true);
    expect(receiver.processed.map((entry) => entry.event.sequence)).toEqual(
      [...receiver.processed.map((entry) => entry.event.sequence as number)].sort((a, b) => a - b),
    );
    const { rows } = await app.database.pool.query(
      "select status, count(*)::int as count from webhook_deliveries group by status",
    );
    expect(rows).toEqual([{ status: "delivered", count: 3 }]);
  });
});
