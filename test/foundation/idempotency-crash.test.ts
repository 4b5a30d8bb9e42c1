import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp, testRootKey } from "../helpers/app.ts";
import {
  createBillingCatalog,
  createBillingOrganization,
  ledgerSum,
} from "../helpers/billing-scenario.ts";
import { type CliProcess, processTestTimeout, runCli } from "../helpers/process.ts";

/**
 * A process that dies right after committing a request's change (SIGKILL from inside, at the instant
 * after the commit: `ABONO_TEST_KILL_AFTER_COMMIT`), before its client got any answer. The client sends the
 * same request with the same Idempotency-Key to another process: the change is on record exactly once and
 * the resend is answered with the answer of the execution that made it, never by a second execution.
 */
let app: TestApp;
const children: CliProcess[] = [];

/** An `abono serve` process that dies right after committing for the request with `key`. */
async function startDoomedProcess(key: string): Promise<{ url: string; child: CliProcess }> {
  const child = runCli(["serve"], {
    DATABASE_URL: app.database.appUrl,
    ABONO_MIGRATION_DATABASE_URL: app.database.url,
    PORT: "0",
    ABONO_ROOT_API_KEY: testRootKey,
    ABONO_TEST_MODE: "true",
    ABONO_LOG_LEVEL: "info",
    ABONO_WORKER_CONCURRENCY: "1",
    ABONO_TEST_KILL_AFTER_COMMIT: key,
  });
  children.push(child);
  const [, url] = await child.waitForOutput(/Abono is listening on (http:\/\/[\d.:]+)/, 90_000);
  return { url: url ?? "", child };
}

/** Sends to the doomed process, which must die without answering. */
async function sendAndLoseTheAnswer(
  doomed: { url: string; child: CliProcess },
  path: string,
  key: string,
  body: unknown,
) {
  const answer = await fetch(`${doomed.url}${path}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${testRootKey}`,
      "content-type": "application/json",
      "idempotency-key": key,
    },
    body: JSON.stringify(body),
  }).then(
    (response) => `answered ${response.status}`,
    () => "connection lost",
  );
  expect(answer).toBe("connection lost");
  expect(await doomed.child.exited).toBeNull(); // killed by a signal, not exited
}

/** The resend to a live process, twice: the same status and the very same body both times. */
async function resend(path: string, key: string, body: unknown) {
  const first = await app.request("POST", path, { body, idempotencyKey: key });
  const again = await app.request("POST", path, { body, idempotencyKey: key });
  expect(first.headers.get("idempotent-replayed")).toBe("true");
  expect(again.status).toBe(first.status);
  expect(JSON.stringify(again.body)).toBe(JSON.stringify(first.body));
  return first;
}

beforeAll(async () => {
  // A short lease: a key left running by the dead process may be taken over within a second and a half.
  app = await startTestApp({
    worker: false,
    environment: { ABONO_TEST_IDEMPOTENCY_LEASE_MS: "1500" },
  });
  await createBillingCatalog(app);
}, processTestTimeout);

afterAll(async () => {
  for (const child of children) {
    try {
      process.kill(-(child.child.pid ?? 0), "SIGKILL");
    } catch {
      // already gone
    }
    await child.exited;
  }
  await app?.close();
});

describe("a process killed between committing a change and answering", () => {
  it(
    "plan change: changed and charged once; the resend gets the change's answer",
    async () => {
      const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
      await org.subscribe("plus");
      const key = `crash-change-${org.organizationId}`;
      const path = org.path("/subscription/change");
      const body = { planId: "premium", interval: "month" };
      const doomed = await startDoomedProcess(key);
      await sendAndLoseTheAnswer(doomed, path, key, body);
      // After the lease a second execution could run: wait past it.
      await new Promise((resolve) => setTimeout(resolve, 2_000));

      const answer = await resend(path, key, body);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body.subscription.planId).toBe("premium");
      const { rows: invoices } = await app.database.pool.query<{ id: string }>(
        "select id from invoices where organization_id = $1 and amount_due > 0 order by created_at",
        [org.organizationId],
      );
      // The subscription's first invoice and the upgrade's, no second upgrade.
      expect(invoices).toHaveLength(2);
      expect(answer.body.invoices.map((invoice: { id: string }) => invoice.id)).toEqual([
        invoices[1]?.id,
      ]);
      const { rows: changes } = await app.database.pool.query(
        "select id from audit_logs where organization_id = $1 and action = 'subscription.changed'",
        [org.organizationId],
      );
      expect(changes).toHaveLength(1);
    },
    processTestTimeout,
  );

  it(
    "balance adjustment: one ledger entry; the resend names it",
    async () => {
      const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
      const key = `crash-adjust-${org.organizationId}`;
      const path = `/v1/root/organizations/${org.organizationId}/balance-adjustments`;
      const body = { amount: 700, reason: "Outage credit OPS-310" };
      const doomed = await startDoomedProcess(key);
      await sendAndLoseTheAnswer(doomed, path, key, body);
      await new Promise((resolve) => setTimeout(resolve, 2_000));

      const answer = await resend(path, key, body);
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      expect(await ledgerSum(app, org.organizationId)).toBe(700);
      const { rows } = await app.database.pool.query<{ id: string }>(
        "select id from balance_transactions where organization_id = $1",
        [org.organizationId],
      );
      expect(rows.map((row) => row.id)).toEqual([answer.body.transaction.id]);
      expect(answer.body.balance.available).toBe(700);
    },
    processTestTimeout,
  );

  it(
    "usage record: counted once; the resend gets the first answer, not a duplicate's",
    async () => {
      const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
      await org.subscribe("free");
      const key = `crash-usage-${org.organizationId}`;
      const path = org.path("/usage");
      const body = { feature: "encounters", quantity: 3, eventId: `event-${org.organizationId}` };
      const doomed = await startDoomedProcess(key);
      await sendAndLoseTheAnswer(doomed, path, key, body);
      await new Promise((resolve) => setTimeout(resolve, 2_000));

      const answer = await resend(path, key, body);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body).toEqual({ allowed: true, used: 3, remaining: 7, duplicate: false });
      const { rows } = await app.database.pool.query(
        "select quantity::int as quantity from usage_events where organization_id = $1",
        [org.organizationId],
      );
      expect(rows).toEqual([{ quantity: 3 }]);
    },
    processTestTimeout,
  );
});
