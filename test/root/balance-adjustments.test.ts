import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/seeds/seed-demo.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { ledgerSum } from "../helpers/billing-scenario.ts";

/** Root balance adjustments: `adjustment` ledger entries, reason required, never below zero. */

let app: TestApp;
let organizationKey: string;
let counter = 0;

beforeAll(async () => {
  app = await startTestApp({ worker: false });
  await seedDemo({ db: app.server.connection.db, now: new Date() });
  await createOrganization("adjust-keyed");
  organizationKey = (
    await app.request("POST", "/v1/api-keys", {
      body: { scope: "organization", organizationId: "adjust-keyed", name: "k" },
    })
  ).body.secret;
});
afterAll(() => app.close());

async function createOrganization(id = `adjust-${++counter}`, currency: string | null = "USD") {
  const response = await app.request("POST", "/v1/organizations", {
    body: { id, name: `Org ${id}`, ...(currency ? { currency } : {}) },
  });
  if (response.status !== 201) throw new Error(JSON.stringify(response.body));
  return id;
}

const adjust = (organizationId: string, body: Record<string, unknown>, auth?: string) =>
  app.request("POST", `/v1/root/organizations/${organizationId}/balance-adjustments`, {
    body,
    ...(auth === undefined ? {} : { auth }),
  });

describe("balance adjustments", () => {
  it("credits and debits with adjustment entries visible in the balance, audited with the reason", async () => {
    const organizationId = await createOrganization();
    const credit = await adjust(organizationId, {
      amount: 2500,
      reason: "Service outage compensation OPS-200",
      description: "Compensation for the outage of March 3",
    });
    expect(credit.status).toBe(201);
    expect(credit.body).toMatchObject({
      transaction: {
        amount: 2500,
        currency: "USD",
        type: "adjustment",
        invoiceId: null,
        description: "Compensation for the outage of March 3",
        actor: expect.stringMatching(/^key_/),
      },
      balance: { currency: "USD", available: 2500 },
      auditLogId: expect.stringMatching(/^aud_/),
    });
    expect(credit.body.transaction.id).toMatch(/^txn_/);
    const debit = await adjust(organizationId, {
      amount: -1000,
      reason: "Partial reversal OPS-201",
    });
    expect(debit.status).toBe(201);
    expect(debit.body.balance.available).toBe(1500);
    // Without a description, the customer sees the reason.
    expect(debit.body.transaction.description).toBe("Partial reversal OPS-201");

    const balance = await app.request("GET", `/v1/organizations/${organizationId}/balance`);
    expect(balance.body.available).toBe(1500);
    expect(balance.body.transactions.map((entry: { amount: number }) => entry.amount)).toEqual([
      -1000, 2500,
    ]);
    expect(await ledgerSum(app, organizationId)).toBe(1500);

    const audit = await app.request(
      "GET",
      `/v1/audit-logs?organizationId=${organizationId}&action=root.balance_adjusted`,
    );
    expect(audit.body.data[0]).toMatchObject({
      id: debit.body.auditLogId,
      reason: "Partial reversal OPS-201",
      before: { available: "2500", currency: "USD" },
      after: { available: "1500", currency: "USD" },
      metadata: { transactionId: debit.body.transaction.id, amount: "-1000" },
      requestId: debit.headers.get("x-request-id"),
    });
  });

  it("never takes the balance below zero: 409 invalid_state and nothing written", async () => {
    const organizationId = await createOrganization();
    await adjust(organizationId, { amount: 300, reason: "OPS-202" });
    const over = await adjust(organizationId, { amount: -301, reason: "OPS-203" });
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe("invalid_state");
    expect(over.body.error.message).toContain("the largest debit is -300");
    expect(await ledgerSum(app, organizationId)).toBe(300);
    const exact = await adjust(organizationId, { amount: -300, reason: "OPS-204" });
    expect(exact.status).toBe(201);
    expect(exact.body.balance.available).toBe(0);
    const fresh = await createOrganization();
    expect((await adjust(fresh, { amount: -1, reason: "OPS-205" })).status).toBe(409);
  });

  it("never takes the balance past what a JSON number holds exactly: 409 invalid_state and nothing written", async () => {
    const organizationId = await createOrganization();
    const largest = Number.MAX_SAFE_INTEGER;
    expect((await adjust(organizationId, { amount: largest - 10, reason: "OPS-210" })).status).toBe(
      201,
    );
    const over = await adjust(organizationId, { amount: 11, reason: "OPS-211" });
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe("invalid_state");
    expect(over.body.error.message).toContain("the largest credit now is 10");
    const balance = await app.request("GET", `/v1/organizations/${organizationId}/balance`);
    expect(balance.status).toBe(200);
    expect(balance.body.available).toBe(largest - 10);
    expect((await adjust(organizationId, { amount: 10, reason: "OPS-212" })).status).toBe(201);
  });

  it("serializes concurrent debits on the organization's lock: 10 × −100 against 500 → exactly 5", async () => {
    const organizationId = await createOrganization();
    await adjust(organizationId, { amount: 500, reason: "OPS-206" });
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        adjust(organizationId, { amount: -100, reason: `Parallel ${index}` }),
      ),
    );
    expect(responses.filter((response) => response.status === 201)).toHaveLength(5);
    expect(responses.filter((response) => response.status === 409)).toHaveLength(5);
    expect(await ledgerSum(app, organizationId)).toBe(0);
  });

  it.each([
    [{ amount: 100 }, "reason is required"],
    [{ amount: 100, reason: "  " }, "reason is required"],
    [{ reason: "OPS" }, "amount is required"],
    [{ amount: 0, reason: "OPS" }, "amount must not be zero"],
    [{ amount: 10.5, reason: "OPS" }, "whole number of minor units"],
    [{ amount: "100", reason: "OPS" }, "amount"],
    [{ amount: 1e16, reason: "OPS" }, "amount"],
    [{ amount: 100, reason: "OPS", currency: "usd" }, "ISO 4217"],
    [{ amount: 100, reason: "OPS", currency: "EUR" }, "is billed in USD"],
    [{ amount: 100, reason: "OPS", type: "refund_to_balance" }, "type"],
  ])("refuses %j with 400", async (body, message) => {
    const organizationId = await createOrganization();
    const response = await adjust(organizationId, body);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("validation_error");
    expect(response.body.error.message).toContain(message);
    expect(await ledgerSum(app, organizationId)).toBe(0);
  });

  it("asks for a currency when the organization has none yet, then makes it the billing currency", async () => {
    const organizationId = await createOrganization(undefined, null);
    const without = await adjust(organizationId, { amount: 100, reason: "OPS-207" });
    expect(without.status).toBe(400);
    expect(without.body.error.message).toContain("no billing currency yet");
    const withCurrency = await adjust(organizationId, {
      amount: 100,
      currency: "CLP",
      reason: "OPS-208",
    });
    expect(withCurrency.status).toBe(201);
    expect(withCurrency.body.balance).toEqual({ currency: "CLP", available: 100 });
    expect((await app.request("GET", `/v1/organizations/${organizationId}`)).body.currency).toBe(
      "CLP",
    );
  });

  it("answers 404 for an unknown organization and 403 to non-root callers", async () => {
    expect((await adjust("nobody-here", { amount: 100, reason: "OPS" })).status).toBe(404);
    const byKey = await adjust("adjust-keyed", { amount: 100, reason: "OPS" }, organizationKey);
    expect(byKey.status).toBe(403);
    expect(await ledgerSum(app, "adjust-keyed")).toBe(0);
  });

  it("replays a repeated Idempotency-Key: one ledger entry", async () => {
    const organizationId = await createOrganization();
    const send = () =>
      app.request("POST", `/v1/root/organizations/${organizationId}/balance-adjustments`, {
        body: { amount: 700, reason: "OPS-209" },
        idempotencyKey: `adjust-${organizationId}`,
      });
    const first = await send();
    const second = await send();
    expect(second.status).toBe(201);
    expect(second.body.transaction.id).toBe(first.body.transaction.id);
    expect(await ledgerSum(app, organizationId)).toBe(700);
  });
});
