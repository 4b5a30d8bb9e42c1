import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import {
  createBillingCatalog,
  createBillingOrganization,
  createCoupons,
} from "../helpers/billing-scenario.ts";

/**
 * Migration 0017 gives lines issued before it what new lines store: each invoice's coupon discount
 * shared over its full charges (the unused time of a discounted line is valued net of it), and the
 * add-on of add-on lines. Run on lines written by the service and then stripped of both, it restores
 * exactly what the service wrote.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  await createBillingCatalog(app);
  await createCoupons(app, [
    { code: "ODD555", amountOff: 555, currency: "USD", duration: "forever" },
  ]);
});
afterAll(() => app.close());

describe("migration 0017 backfill", () => {
  it("shares old invoices' discounts over their full charges and names their add-ons", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month", couponCode: "ODD555" },
    });
    await app.request("POST", org.path("/subscription/items"), {
      body: { addonId: "seat", quantity: 2 },
    });
    await org.advance("2026-02-01T00:00:00Z");
    const lines = () =>
      app.database.pool
        .query(
          `select l.kind, l.amount::int, l.discount::int, l.addon_id
             from invoice_lines l join invoices i on i.id = l.invoice_id
            where i.organization_id = $1 order by l.invoice_id, l.position`,
          [org.organizationId],
        )
        .then((result) => result.rows);
    const written = await lines();
    // 555 off 4000 + 3000: 317.14 and 237.86 → 317 and 238 (the leftover unit to the larger remainder).
    expect(written).toEqual([
      { kind: "plan", amount: 4000, discount: 555, addon_id: null },
      { kind: "plan", amount: 4000, discount: 317, addon_id: null },
      { kind: "addon", amount: 3000, discount: 238, addon_id: "seat" },
      { kind: "pending_item", amount: 3000, discount: 0, addon_id: "seat" },
    ]);

    await app.database.pool.query(
      `update invoice_lines set discount = 0, addon_id = null
        where invoice_id in (select id from invoices where organization_id = $1)`,
      [org.organizationId],
    );
    const migration = await fs.readFile(
      path.resolve(import.meta.dirname, "../../drizzle/0017_proration_discounts.sql"),
      "utf8",
    );
    const [sharesDiscounts, namesAddons] = migration.split("--> statement-breakpoint").slice(-2);
    expect(sharesDiscounts).toMatch(/UPDATE invoice_lines l\s+SET discount/);
    expect(namesAddons).toMatch(/SET addon_id = v.addon_id/);
    await app.database.pool.query(sharesDiscounts ?? "");
    await app.database.pool.query(namesAddons ?? "");
    // Pending items' lines are not add-on lines of the catalog's description; they keep no add-on.
    expect(await lines()).toEqual(
      written.map((line) => (line.kind === "pending_item" ? { ...line, addon_id: null } : line)),
    );

    // Lines issued before taxes store no taxable amount: the API shows what they charged,
    // amount − discount (4000 − 555 = 3445; 4000 − 317 = 3683, 3000 − 238 = 2762, 3000 − 0).
    await app.database.pool.query(
      `update invoice_lines set taxable_amount = null
        where invoice_id in (select id from invoices where organization_id = $1)`,
      [org.organizationId],
    );
    const invoices = (await app.request("GET", org.path("/invoices"))).body.data;
    const taxable = invoices
      .reverse()
      .flatMap((invoice: { lines: { taxableAmount: number }[] }) =>
        invoice.lines.map((line) => line.taxableAmount),
      );
    expect(taxable).toEqual([3445, 3683, 2762, 3000]);
  });
});
