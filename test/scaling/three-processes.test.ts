import { randomUUID } from "node:crypto";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp, testRootKey } from "../helpers/app.ts";
import {
  createBillingCatalog,
  createBillingOrganization,
  ledgerSum,
} from "../helpers/billing-scenario.ts";
import { type CliProcess, processTestTimeout, runCli } from "../helpers/process.ts";
import { startWebhookReceiver } from "../helpers/webhook-receiver.ts";

/**
 * Three `abono serve` processes on one database under mixed load (checks, usage up to a limit, plan changes,
 * renewals through test clocks, balance adjustments, outbound webhooks) while one of them is killed (SIGKILL)
 * and started again every few seconds. Clients do what a careful client does: on a dropped connection they
 * send the same request, with the same Idempotency-Key, to another process. Afterwards the money and the
 * limits must be exact. `npm run bench:chaos` runs the same at a larger size for longer.
 */
const loadMs = Number(process.env.ABONO_CHAOS_LOAD_MS ?? 20_000);
const killEveryMs = 3_000;

let app: TestApp;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

interface Node {
  port: number;
  process: CliProcess | null;
  up: boolean;
}
const nodes: Node[] = [];

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function environmentFor(port: number): Record<string, string> {
  return {
    DATABASE_URL: app.database.appUrl,
    ABONO_MIGRATION_DATABASE_URL: app.database.url,
    PORT: String(port),
    ABONO_ROOT_API_KEY: testRootKey,
    ABONO_TEST_MODE: "true",
    ABONO_LOG_LEVEL: "info",
    ABONO_WEBHOOK_TIMEOUT_MS: "2000",
    // A request cut off by a kill holds its Idempotency-Key this long before a retry may run it.
    ABONO_TEST_IDEMPOTENCY_LEASE_MS: "1500",
  };
}

async function start(node: Node): Promise<void> {
  const child = runCli(["serve"], environmentFor(node.port));
  node.process = child;
  await child.waitForOutput(/Abono is listening on/, 90_000);
  node.up = true;
}

async function kill(node: Node): Promise<void> {
  node.up = false;
  const child = node.process;
  if (!child) return;
  try {
    process.kill(-(child.child.pid ?? 0), "SIGKILL");
  } catch {
    // already gone
  }
  await child.exited;
  node.process = null;
}

let cursor = 0;
function pickNode(): Node | undefined {
  for (let offset = 0; offset < nodes.length; offset += 1) {
    const node = nodes[(cursor + offset) % nodes.length];
    if (node?.up) {
      cursor += 1;
      return node;
    }
  }
  return undefined;
}

const stats = { retries: 0, requests: 0, alreadyMade: 0 };

/**
 * One request, sent until some process gives a definitive answer: a dropped connection or "still being
 * processed" (the key's holder was killed) is sent again, same key, to the next live process.
 */
async function send(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const key = randomUUID();
  stats.requests += 1;
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const node = pickNode();
    if (!node) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    try {
      const response = await fetch(`http://127.0.0.1:${node.port}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${testRootKey}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...(method === "GET" ? {} : { "idempotency-key": key }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(20_000),
      });
      const parsed: any = await response.json().catch(() => null);
      const stillRunning = response.status === 409 && parsed?.error?.code === "conflict";
      if (!stillRunning && response.status < 500) return { status: response.status, body: parsed };
    } catch {
      // the process died under us: the same request, same key, goes to another one
    }
    stats.retries += 1;
    await new Promise((resolve) => setTimeout(resolve, 100 + attempt * 20));
  }
  throw new Error(`${method} ${path}: no process answered`);
}

beforeAll(async () => {
  app = await startTestApp({ worker: false });
  await createBillingCatalog(app);
  receiver = await startWebhookReceiver();
  const endpoint = await app.request("POST", "/v1/webhook-endpoints", {
    body: { url: receiver.url, events: ["balance.changed", "subscription.updated"] },
  });
  expect(endpoint.status).toBe(201);
  receiver.setSecrets([endpoint.body.secret]);
  for (let index = 0; index < 3; index += 1)
    nodes.push({ port: await freePort(), process: null, up: false });
  await Promise.all(nodes.map(start));
}, processTestTimeout);

afterAll(async () => {
  await Promise.all(nodes.map(kill));
  await receiver?.close();
  await app?.close();
});

describe("three processes on one database, one killed every few seconds", () => {
  it(
    "keeps limits exact, charges once, ledger = balance, gapless numbers, every event delivered",
    async () => {
      const start0 = "2026-01-01T00:00:00Z";
      const usageOrgs = await Promise.all(
        [0, 1].map(async () => {
          const org = await createBillingOrganization(app, { start: start0 });
          await org.subscribe("free");
          return org;
        }),
      );
      const changeOrgs = await Promise.all(
        [0, 1, 2].map(async () => {
          const org = await createBillingOrganization(app, { start: start0 });
          await org.subscribe("plus");
          return org;
        }),
      );
      const renewalOrgs = await Promise.all(
        [0, 1].map(async () => {
          const org = await createBillingOrganization(app, { start: start0 });
          await org.subscribe("plus");
          return org;
        }),
      );

      let stop = false;
      const deadline = Date.now() + loadMs;
      const running = () => !stop && Date.now() < deadline;

      // The killer: every few seconds one live process dies and is started again.
      let kills = 0;
      const restarts: Promise<unknown>[] = [];
      const startFailures: unknown[] = [];
      const killer = (async () => {
        let next = 0;
        while (running()) {
          await new Promise((resolve) => setTimeout(resolve, killEveryMs));
          if (!running()) break;
          const node = nodes[next % nodes.length] as Node;
          next += 1;
          // One stays up at least; the one killed starts again in the background while the load goes on.
          if (!node.up || nodes.filter((candidate) => candidate.up).length < 2) continue;
          await kill(node);
          kills += 1;
          restarts.push(start(node).catch((error) => startFailures.push(error)));
        }
      })();

      // Usage up to the free plan's 10 encounters, 40 attempts per organization, 8 at a time.
      const accepted = new Map<string, Set<string>>();
      const usage = usageOrgs.map(async (org) => {
        const mine = new Set<string>();
        accepted.set(org.organizationId, mine);
        const eventIds = Array.from({ length: 40 }, (_, index) => `chaos-${index}`);
        const worker = async () => {
          for (let eventId = eventIds.shift(); eventId; eventId = eventIds.shift()) {
            const answer = await send("POST", org.path("/usage"), {
              feature: "encounters",
              quantity: 1,
              eventId,
            });
            if (answer.status === 200) mine.add(eventId);
            else
              expect(answer.body?.error?.code, JSON.stringify(answer.body)).toBe("limit_exceeded");
            await send("GET", org.path("/entitlements/encounters"));
          }
        };
        await Promise.all(Array.from({ length: 8 }, worker));
      });

      // Upgrades and downgrades back and forth, one at a time per organization.
      const changes = changeOrgs.map(async (org) => {
        let planId = "premium";
        let done = 0;
        while (running() || done < 2) {
          const answer = await send("POST", org.path("/subscription/change"), {
            planId,
            interval: "month",
          });
          // A process killed after the change committed but before its answer was kept for the key: the
          // resent request finds the change made. Never charged twice (checked below).
          const madeBefore =
            answer.status === 409 && answer.body?.error?.details?.subscription?.planId === planId;
          if (!madeBefore) expect(answer.status, JSON.stringify(answer.body)).toBe(200);
          else stats.alreadyMade += 1;
          planId = planId === "premium" ? "plus" : "premium";
          done += 1;
        }
      });

      // Balance adjustments, a few in parallel.
      const adjustments = changeOrgs.map(async (org) => {
        let count = 0;
        while (running() && count < 20) {
          const answer = await send(
            "POST",
            `/v1/root/organizations/${org.organizationId}/balance-adjustments`,
            { amount: 100, reason: "chaos" },
          );
          expect(answer.status, JSON.stringify(answer.body)).toBe(201);
          count += 1;
        }
      });

      // Renewals: each organization's test clock moves a month at a time. The clock is moved through the
      // API process that is never killed (a clock whose advancing request dies stays "advancing"); the
      // renewal jobs run on the three processes' workers, which do get killed.
      const renewals = renewalOrgs.map(async (org) => {
        for (let month = 2; month <= 4 && running(); month += 1) {
          const answer = await app.request("POST", `/v1/test-clocks/${org.clockId}/advance`, {
            body: { frozenTime: `2026-0${month}-01T12:00:00Z` },
          });
          // 409: a killed worker's job is still held; it is released and run elsewhere later on.
          expect([200, 409], JSON.stringify(answer.body)).toContain(answer.status);
        }
      });

      await Promise.all([...usage, ...changes, ...adjustments, ...renewals]);
      stop = true;
      await killer;
      await Promise.all(restarts);
      expect(startFailures).toEqual([]);
      expect(kills).toBeGreaterThanOrEqual(2);

      const pool = app.database.pool;
      // Every process up again, so queued work (renewals, deliveries) finishes.
      await Promise.all(nodes.filter((node) => !node.up).map(start));
      const waitUntil = async (condition: () => Promise<boolean>, what: string) => {
        const until = Date.now() + 90_000;
        while (!(await condition())) {
          if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      };
      await waitUntil(async () => {
        const { rows } = await pool.query(
          `select count(*)::int as count from graphile_worker._private_jobs
            where run_at <= now() and (attempts = 0 or locked_at is not null)`,
        );
        return rows[0].count === 0;
      }, "every queued job, including those a killed process held");
      await waitUntil(async () => {
        const { rows } = await pool.query(
          "select count(*)::int as count from webhook_deliveries where status <> 'delivered'",
        );
        return rows[0].count === 0;
      }, "every webhook delivery");

      // Exact limits: exactly 10 events counted, the ones answered 200, whatever died on the way.
      for (const org of usageOrgs) {
        const mine = accepted.get(org.organizationId) ?? new Set();
        expect(mine.size).toBe(10);
        const { rows } = await pool.query(
          "select event_id from usage_events where organization_id = $1 order by event_id",
          [org.organizationId],
        );
        expect(rows.map((row) => row.event_id).sort()).toEqual([...mine].sort());
        const check = await app.request("GET", org.path("/entitlements/encounters"));
        expect(check.body).toMatchObject({ used: 10, remaining: 0 });
      }

      // No duplicate charges: at most one successful payment per invoice, and every paid invoice paid once.
      const duplicates = await pool.query(
        `select invoice_id, count(*)::int as count from payments
          where status in ('succeeded', 'refunded') and invoice_id is not null
          group by invoice_id having count(*) > 1`,
      );
      expect(duplicates.rows).toEqual([]);
      const unpaid = await pool.query(
        `select i.id from invoices i
          where i.amount_paid > 0
            and not exists (select 1 from payments p where p.invoice_id = i.id)`,
      );
      expect(unpaid.rows).toEqual([]);

      // Each renewal period billed once, and the renewals ran.
      const twice = await pool.query(
        `select subscription_id, period_start, count(*)::int as count from invoices
          where billing_reason = 'subscription_cycle'
          group by subscription_id, period_start having count(*) > 1`,
      );
      expect(twice.rows).toEqual([]);
      const renewed = await pool.query(
        "select count(*)::int as count from invoices where billing_reason = 'subscription_cycle' and organization_id = any($1)",
        [renewalOrgs.map((org) => org.organizationId)],
      );
      expect(renewed.rows[0].count).toBeGreaterThan(0);

      // Ledger = balance, never negative.
      for (const org of [...changeOrgs, ...renewalOrgs]) {
        const balance = await app.request("GET", org.path("/balance"));
        expect(balance.body.available).toBe(await ledgerSum(app, org.organizationId));
        expect(balance.body.available).toBeGreaterThanOrEqual(0);
      }

      // Gapless numbers in each sequence.
      for (const documentType of ["invoice", "credit_note"]) {
        const { rows } = await pool.query(
          "select number from invoices where number is not null and document_type = $1",
          [documentType],
        );
        const sequence = rows
          .map((row) => Number(/(\d+)$/.exec(row.number)?.[1]))
          .sort((a, b) => a - b);
        expect(sequence).toEqual(sequence.map((_, index) => index + 1));
      }

      // Every event the endpoint subscribes to was delivered, signed, exactly once to the receiver's logic.
      const { rows: events } = await pool.query(
        "select id from events where type in ('balance.changed', 'subscription.updated')",
      );
      expect(events.length).toBeGreaterThan(0);
      await waitUntil(
        async () => receiver.processed.length >= events.length,
        "the receiver to process every event",
      );
      expect(new Set(receiver.processed.map((entry) => entry.event.id))).toEqual(
        new Set(events.map((row) => row.id)),
      );
      expect(receiver.received.every((entry) => entry.verified)).toBe(true);
      console.log(
        `three processes: ${stats.requests} requests, ${stats.retries} resent after a kill, ${stats.alreadyMade} changes found made on resend, ${kills} kills`,
      );
    },
    processTestTimeout * 2 + loadMs,
  );
});
