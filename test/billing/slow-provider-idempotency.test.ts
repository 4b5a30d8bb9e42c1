import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testRootKey } from "../helpers/app.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type FakeStripe, startFakeStripe } from "../helpers/fake-stripe.ts";
import { type CliProcess, runCli } from "../helpers/process.ts";

/**
 * One Idempotency-Key, two service processes on one database, and a Stripe that answers a charge after
 * longer than the Idempotency-Key lease (shortened to 1 s for the test). A retry on the other process
 * must never execute the purchase a second time: while the first process is alive it renews its lease
 * and the retry waits for its response; when the first process is killed mid-charge, the retry takes the
 * key over and finds the same PaymentIntent at Stripe. Either way: one invoice, one payment, one
 * PaymentIntent, one grant.
 */
const leaseMs = 1_000;

let database: TestDatabase;
let fake: FakeStripe;
const processes: CliProcess[] = [];

interface Service {
  process: CliProcess;
  url: string;
}

async function startService(): Promise<Service> {
  const process = runCli(["serve"], {
    DATABASE_URL: database.url,
    PORT: "0",
    ABONO_ROOT_API_KEY: testRootKey,
    ABONO_TEST_MODE: "true",
    ABONO_LOG_LEVEL: "info",
    ABONO_STRIPE_SECRET_KEY: fake.secretKey,
    ABONO_STRIPE_API_URL: fake.apiUrl,
    ABONO_TEST_IDEMPOTENCY_LEASE_MS: String(leaseMs),
  });
  processes.push(process);
  const [, url] = await process.waitForOutput(/Abono is listening on (http:\/\/[\d.:]+)/);
  return { process, url: url ?? "" };
}

async function call(
  service: Service,
  method: string,
  path: string,
  body?: unknown,
  idempotencyKey?: string,
) {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${testRootKey}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    body: text ? JSON.parse(text) : null,
    replayed: response.headers.get("idempotent-replayed"),
  };
}

async function created(service: Service, path: string, body: unknown) {
  const response = await call(service, "POST", path, body);
  if (response.status !== 201) throw new Error(`${path}: ${response.status} ${response.text}`);
  return response.body;
}

let organizationCount = 0;
/** An organization with a Stripe card on file. */
async function customer(service: Service): Promise<string> {
  organizationCount += 1;
  const id = `slow-${process.pid}-${organizationCount}`;
  await created(service, "/v1/organizations", { id, name: `Slow ${organizationCount}` });
  await created(service, `/v1/organizations/${id}/payment-methods`, {
    provider: "stripe",
    token: "pm_card_visa",
  });
  return id;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The PaymentIntent creations Stripe received for the organization (replays included). */
function intentRequests(organizationId: string) {
  return fake.requestsTo("POST", "/v1/payment_intents").filter((request) => {
    const metadata = request.body.metadata;
    return typeof metadata === "object" && !Array.isArray(metadata)
      ? metadata.organizationId === organizationId
      : false;
  });
}

function paymentIntentsOf(organizationId: string) {
  return [...fake.paymentIntents.values()].filter(
    (intent) => (intent.metadata as Record<string, string>).organizationId === organizationId,
  );
}

async function recorded(organizationId: string) {
  const { rows } = await database.pool.query(
    `select (select count(*)::int from invoices where organization_id = $1) as invoices,
            (select count(*)::int from payments where organization_id = $1) as payments,
            (select count(*)::int from payments where organization_id = $1 and status = 'succeeded') as succeeded,
            (select count(*)::int from entitlement_grants where organization_id = $1) as grants`,
    [organizationId],
  );
  return rows[0] as { invoices: number; payments: number; succeeded: number; grants: number };
}

let first: Service;
let second: Service;

beforeAll(async () => {
  database = await createTestDatabase();
  fake = await startFakeStripe();
  [first, second] = await Promise.all([startService(), startService()]);
  await created(first, "/v1/features", { key: "encounters", name: "Encounters", kind: "metered" });
  await created(first, "/v1/plans", {
    id: "free",
    name: "Free",
    tier: 0,
    features: { encounters: 10 },
    prices: [{ interval: "month", currency: "USD", unitAmount: 0 }],
  });
  await created(first, "/v1/packs", {
    id: "encounters-500",
    name: "500 encounters",
    feature: "encounters",
    quantity: 500,
    price: { currency: "USD", unitAmount: 4500 },
  });
}, 120_000);

afterAll(async () => {
  for (const started of processes) {
    if (started.child.exitCode === null && started.child.signalCode === null) {
      started.child.kill("SIGKILL");
      await started.exited;
    }
  }
  await fake?.close();
  await database?.drop();
});

describe("a charge slower than the Idempotency-Key lease, retried on another process", () => {
  it("while the first process is alive, the retry waits for its response: one purchase", async () => {
    const organizationId = await customer(first);
    const path = `/v1/organizations/${organizationId}/purchases`;
    const body = { packId: "encounters-500" };
    const key = `slow-alive-${organizationId}`;
    // Stripe charges at once but answers after four leases.
    fake.holdNext({ path: "/v1/payment_intents", ms: 4 * leaseMs });

    const original = call(first, "POST", path, body, key);
    await waitFor(() => intentRequests(organizationId).length === 1, "the charge to reach Stripe");
    await new Promise((resolve) => setTimeout(resolve, 2 * leaseMs));
    const retry = await call(second, "POST", path, body, key);
    const answer = await original;

    expect(intentRequests(organizationId)).toHaveLength(1);
    expect(paymentIntentsOf(organizationId)).toHaveLength(1);
    expect(answer.status).toBe(201);
    expect(answer.body.invoice).toMatchObject({ status: "paid", amountPaid: 4500 });
    expect(retry.status).toBe(201);
    expect(retry.replayed).toBe("true");
    expect(retry.body).toEqual(answer.body);
    await expect
      .poll(() => recorded(organizationId), { timeout: 10_000 })
      .toEqual({ invoices: 1, payments: 1, succeeded: 1, grants: 1 });
  }, 60_000);

  it("when the first process stalls past its lease, the retry takes over; the stalled one commits nothing and refunds nothing", async () => {
    const organizationId = await customer(first);
    const path = `/v1/organizations/${organizationId}/purchases`;
    const body = { packId: "encounters-500" };
    const key = `slow-stalled-${organizationId}`;
    fake.holdNext({ path: "/v1/payment_intents", ms: 2 * leaseMs });

    const original = call(first, "POST", path, body, key);
    await waitFor(() => intentRequests(organizationId).length === 1, "the charge to reach Stripe");
    // The first process freezes (no heartbeat) for longer than the lease: the retry takes the key over.
    // It then waits for the organization's lock, which the frozen purchase's transaction still holds.
    process.kill(-(first.process.child.pid ?? 0), "SIGSTOP");
    let retry: ReturnType<typeof call> | undefined;
    try {
      await new Promise((resolve) => setTimeout(resolve, 1.5 * leaseMs));
      retry = call(second, "POST", path, body, key);
      await new Promise((resolve) => setTimeout(resolve, leaseMs));
    } finally {
      process.kill(-(first.process.child.pid ?? 0), "SIGCONT");
    }
    // The first process wakes up, gets Stripe's answer, and its commit is refused by the fence.
    const late = await original;
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: "conflict" });
    expect(late.body.error.message).toMatch(/another attempt with the same key took over/);
    const taken = await retry;
    expect(taken?.status).toBe(201);
    expect(taken?.replayed).toBeNull();
    expect(taken?.body.invoice).toMatchObject({ status: "paid", amountPaid: 4500 });

    const intents = paymentIntentsOf(organizationId);
    expect(intents).toHaveLength(1);
    expect(fake.requestsTo("POST", "/v1/refunds")).toHaveLength(0);
    await expect
      .poll(() => recorded(organizationId), { timeout: 10_000 })
      .toEqual({ invoices: 1, payments: 1, succeeded: 1, grants: 1 });
    const again = await call(second, "POST", path, body, key);
    expect(again.replayed).toBe("true");
    expect(again.body.invoice.id).toBeDefined();
  }, 60_000);

  it("when the first process dies mid-charge, the retry takes over and gets the same PaymentIntent: one charge", async () => {
    const organizationId = await customer(second);
    const path = `/v1/organizations/${organizationId}/purchases`;
    const body = { packId: "encounters-500" };
    const key = `slow-killed-${organizationId}`;
    // Stripe charges at once; its answer would come long after the process is gone.
    fake.holdNext({ path: "/v1/payment_intents", ms: 60_000 });

    const original = call(first, "POST", path, body, key).catch((error: unknown) => error);
    await waitFor(() => intentRequests(organizationId).length === 1, "the charge to reach Stripe");
    process.kill(-(first.process.child.pid ?? 0), "SIGKILL");
    await first.process.exited;
    expect(await original).toBeInstanceOf(Error);

    const retry = await call(second, "POST", path, body, key);
    expect(retry.status).toBe(201);
    expect(retry.body.invoice).toMatchObject({ status: "paid", amountPaid: 4500 });

    // The retry sent the same Stripe idempotency key and was answered with the first PaymentIntent.
    const sent = intentRequests(organizationId);
    expect(sent).toHaveLength(2);
    expect(sent[1]?.idempotencyKey).toBe(sent[0]?.idempotencyKey);
    expect(sent[1]?.replayed).toBe(true);
    const intents = paymentIntentsOf(organizationId);
    expect(intents).toHaveLength(1);
    const { rows } = await database.pool.query(
      "select provider_payment_id from payments where organization_id = $1",
      [organizationId],
    );
    expect(rows).toEqual([{ provider_payment_id: intents[0]?.id }]);
    await expect
      .poll(() => recorded(organizationId), { timeout: 10_000 })
      .toEqual({ invoices: 1, payments: 1, succeeded: 1, grants: 1 });

    // And the key now replays that response.
    const again = await call(second, "POST", path, body, key);
    expect(again.replayed).toBe("true");
    expect(again.body).toEqual(retry.body);
  }, 60_000);

  it("when a process died after committing but before storing its response, the retry records nothing twice and refunds nothing", async () => {
    const organizationId = await customer(second);
    const path = `/v1/organizations/${organizationId}/purchases`;
    const body = { packId: "encounters-500" };
    const key = `lost-response-${organizationId}`;
    const done = await call(second, "POST", path, body, key);
    expect(done.status).toBe(201);
    // As if the process had died right after its commit: the key is still in progress, its lease lapsed.
    await database.pool.query(
      `update idempotency_keys set state = 'in_progress', response_status = null, response_body = null,
              locked_at = now() - interval '1 hour'
        where key = $1`,
      [key],
    );
    const retry = await call(second, "POST", path, body, key);
    expect(retry.status).toBe(409);
    expect(retry.body.error.message).toMatch(/already made and recorded this payment/);
    expect(paymentIntentsOf(organizationId)).toHaveLength(1);
    expect(fake.requestsTo("POST", "/v1/refunds")).toHaveLength(0);
    await expect
      .poll(() => recorded(organizationId), { timeout: 10_000 })
      .toEqual({ invoices: 1, payments: 1, succeeded: 1, grants: 1 });
  }, 60_000);
});
