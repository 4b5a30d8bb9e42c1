import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { insertBareOrganization } from "../helpers/bare-organization.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";

/**
 * DATABASE_REPLICA_URL points at a second database on the same server standing in for a replica. The two
 * hold different rows on purpose: what a list answers shows where it read; money answers must come from
 * the primary.
 */

const org = "org_replica";
let app: TestApp;
let replica: TestDatabase;

async function seed(database: TestDatabase, where: "primary" | "replica", credit: number) {
  await insertBareOrganization({ database } as TestApp, org);
  const sql = (text: string, values: unknown[] = []) => database.pool.query(text, values);
  await sql(
    `insert into invoices
       (id, number, organization_id, kind, status, billing_reason, currency, locale, subtotal, discount,
        total, balance_applied, credited_to_balance, amount_due, amount_paid, created_at)
     values ($1, $1, $2, 'one_off', 'paid', 'manual', 'USD', 'en', 100, 0, 100, 0, 0, 100, 100, now())`,
    [`inv_${where}_only`, org],
  );
  await sql(
    `insert into audit_logs (id, action, actor, organization_id, created_at)
     values ($1, 'root.marker', 'root', $2, now())`,
    [`aud_${where}_only`, org],
  );
  await sql(
    `insert into events (id, type, organization_id, sequence, data, created_at)
     values ($1, 'invoice.paid', $2, 1, '{}', now())`,
    [`evt_${where}_only`, org],
  );
  await sql(
    `insert into payment_events (id, provider, verified, headers, query, body, received_at)
     values ($1, 'stripe', true, '{}', '{}', '{}', now())`,
    [`pev_${where}_only`],
  );
  await sql(
    `insert into balance_transactions (id, organization_id, amount, currency, type, description, created_at)
     values ($1, $2, $3, 'USD', 'adjustment', 'credit', now())`,
    [`btx_${where}_only`, org, credit],
  );
}

beforeAll(async () => {
  replica = await createTestDatabase();
  app = await startTestApp({
    worker: false,
    environment: { DATABASE_REPLICA_URL: replica.appUrl },
  });
  await seed(app.database, "primary", 500);
  await seed(replica, "replica", 99_999);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await replica?.drop();
});

const ids = (body: { data: { id: string }[] }) => body.data.map((row) => row.id);

describe("read replica (DATABASE_REPLICA_URL)", () => {
  it("lists and reports read the replica", async () => {
    const lists: [string, string][] = [
      [`/v1/organizations/${org}/invoices`, "inv"],
      [`/v1/audit-logs?organizationId=${org}&action=root.marker`, "aud"],
      [`/v1/organizations/${org}/audit-logs?action=root.marker`, "aud"],
      [`/v1/events?organizationId=${org}`, "evt"],
      ["/v1/payment-events", "pev"],
    ];
    for (const [path, prefix] of lists) {
      const response = await app.request("GET", path);
      expect(response.status, path).toBe(200);
      expect(ids(response.body), path).toEqual([`${prefix}_replica_only`]);
    }
  });

  it("money answers read the primary: the balance", async () => {
    const balance = await app.request("GET", `/v1/organizations/${org}/balance`);
    expect(balance.status).toBe(200);
    expect(balance.body.available).toBe(500);
    expect(ids({ data: balance.body.transactions })).toEqual(["btx_primary_only"]);
  });

  it("writes go to the primary, and reading one back by id too", async () => {
    const created = await app.request("POST", "/v1/webhook-endpoints", {
      body: { url: "https://example.com/hook", events: ["*"] },
    });
    expect(created.status).toBe(201);
    const onPrimary = await app.database.pool.query("select id from webhook_endpoints");
    const onReplica = await replica.pool.query("select id from webhook_endpoints");
    expect(onPrimary.rows.map((row) => row.id)).toEqual([created.body.id]);
    expect(onReplica.rows).toEqual([]);
    const invoice = await app.request("GET", "/v1/invoices/inv_primary_only");
    expect(invoice.status).toBe(200);
  });
});

describe("DATABASE_REPLICA_URL configuration", () => {
  it("needs DATABASE_URL and a postgres URL", () => {
    expect(() =>
      loadConfig({ DATABASE_REPLICA_URL: "postgres://replica@127.0.0.1/abono" }),
    ).toThrow(/DATABASE_REPLICA_URL needs DATABASE_URL/);
    expect(() =>
      loadConfig({
        DATABASE_URL: "postgres://primary@127.0.0.1/abono",
        DATABASE_REPLICA_URL: "mysql://replica",
      }),
    ).toThrow(/DATABASE_REPLICA_URL/);
    expect(
      loadConfig({
        DATABASE_URL: "postgres://primary@127.0.0.1/abono",
        DATABASE_REPLICA_URL: "postgres://replica@127.0.0.1/abono",
      }).databaseReplicaUrl,
    ).toBe("postgres://replica@127.0.0.1/abono");
  });
});
