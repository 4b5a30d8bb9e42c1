import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertJsonRows } from "../../src/db/insert-json-rows.ts";
import { payments } from "../../src/db/schema/index.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";

/**
 * insertJsonRows writes exactly what Drizzle's `insert(table).values(rows)` writes: each column's value
 * mapped alike (dates, bigint amounts), null where a row says null, the database's default where a row
 * leaves out a column that has one (rows that leave out different columns go in separate statements),
 * and `set` expressions reading the row.
 */
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await database.pool.query(
    `insert into organizations
       (id, name, billing_anchor, status, identity_group, provisioning_status, provisioning_started_at,
        created_at, updated_at)
     values ('org_json', 'org_json', 'anniversary', 'active', 'org_json', 'active', now(), now(), now())`,
  );
});
afterAll(() => database.drop());

const at = new Date("2026-03-01T12:34:56.789Z");
const row = (id: string, extra: Partial<typeof payments.$inferInsert> = {}) => ({
  id,
  organizationId: "org_json",
  provider: "sandbox",
  providerPaymentId: `pp_${id}`,
  amount: 9_007_199_254_740_993n,
  currency: "USD",
  status: "succeeded" as const,
  failureMessage: 'a "quoted" \\ message, ñ',
  createdAt: at,
  ...extra,
});
const stored = async (prefix: string) =>
  (
    await database.pool.query(
      `select substring(id from 3) as id, organization_id, invoice_id, payment_method_id, provider,
              substring(provider_payment_id from 6) as provider_payment_id, amount, currency, status,
              failure_code, failure_message, amount_refunded, created_at
         from payments where id like $1 order by id`,
      [`${prefix}%`],
    )
  ).rows;

describe("insertJsonRows", () => {
  it("writes the rows Drizzle's insert writes: values, nulls and defaults, per row", async () => {
    const rows = (prefix: string) => [
      row(`${prefix}1`),
      row(`${prefix}2`, { amountRefunded: 5n, failureCode: null }),
      row(`${prefix}3`, { failureMessage: null, paymentMethodId: "pm_1" }),
    ];
    await database.db.insert(payments).values(rows("d_"));
    const inserts = insertJsonRows({ table: payments, rows: rows("j_") });
    // The second row names amount_refunded, whose default the others leave to the database: two lists.
    expect(inserts).toHaveLength(2);
    for (const insert of inserts) await database.db.execute(insert);
    const written = await stored("j_");
    expect(written).toEqual(await stored("d_"));
    expect(written.map((payment) => [payment.amount, payment.amount_refunded])).toEqual([
      ["9007199254740993", "0"],
      ["9007199254740993", "5"],
      ["9007199254740993", "0"],
    ]);
    expect(written[0]?.created_at).toEqual(at);
  });

  it("gives a column an SQL expression over the row with set", async () => {
    const [insert, ...more] = insertJsonRows({
      table: payments,
      rows: [row("s_1"), row("s_2", { failureCode: "declined" })],
      set: { failureCode: sql`upper(coalesce(r.failure_code, 'none'))` },
    });
    expect(more).toHaveLength(0);
    if (insert) await database.db.execute(insert);
    expect((await stored("s_")).map((payment) => payment.failure_code)).toEqual([
      "NONE",
      "DECLINED",
    ]);
  });
});
