import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDueSubscriptions } from "../../bench/seed-due-subscriptions.ts";
import type { BillingServices } from "../../src/billing/billing-operation.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/logger.ts";
import { createPaymentProviders } from "../../src/payments/payment-providers.ts";
import { renewBatch } from "../../src/subscriptions/renew-batch.ts";
import { renewSubscription } from "../../src/subscriptions/renew-subscription.ts";
import { createManualTaxCalculator } from "../../src/taxes/manual-tax-calculator.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog } from "../helpers/billing-scenario.ts";

/**
 * The billing run renews plain subscriptions in set-based batches (`renewBatch`) and everything else one
 * by one (`renewSubscription`). For a plain subscription both must write exactly the same thing: twin
 * organizations with add-ons, pending items, a credit balance, a coupon, metered overage and a root
 * override go one through each path, and every row they leave is compared.
 */
let app: TestApp;
let services: BillingServices;
const periodStart = new Date("2026-10-01T00:00:00Z");
const dueAt = new Date("2026-11-01T00:00:00Z");
const systemNow = new Date("2026-11-01T00:05:00Z");

beforeAll(async () => {
  app = await startTestApp({ worker: false });
  await createBillingCatalog(app);
  const post = async (path: string, body: unknown) => {
    const response = await app.request("POST", path, { body });
    if (response.status !== 201) throw new Error(`${path}: ${JSON.stringify(response.body)}`);
  };
  await post("/v1/plans", {
    id: "metered",
    name: "Metered",
    prices: [{ interval: "month", currency: "USD", unitAmount: 4000 }],
    features: { encounters: 500, seats: 5 },
    overage: { encounters: { unitAmount: 7, currency: "USD" } },
  });
  await post("/v1/addons", {
    id: "analytics",
    name: "Analytics",
    kind: "service",
    prices: [{ interval: "month", currency: "USD", unitAmount: 500 }],
    features: {},
  });
  await post("/v1/coupons", { code: "TENOFF", percentOff: 10, duration: "forever" });
  await post("/v1/tax-rates", { id: "ar-iva-21", name: "IVA", percentage: "21", country: "AR" });
  const config = loadConfig({ DATABASE_URL: app.database.url, ABONO_TEST_MODE: "true" });
  services = {
    db: app.server.connection.db,
    config,
    logger: createLogger({ level: "silent" }),
    providers: createPaymentProviders({ config }),
    taxCalculator: createManualTaxCalculator(),
  };
});
afterAll(() => app.close());

/** A plain due subscription with everything a renewal invoice can carry. */
async function seedTwin(prefix: string, token: string) {
  await seedDueSubscriptions({
    db: services.db,
    count: 1,
    planId: "metered",
    periodStart,
    dueAt,
    prefix,
  });
  const organizationId = `${prefix}-1`;
  const subscriptionId = `sub_${prefix}_1`;
  const query = (text: string, values: unknown[]) => app.database.pool.query(text, values);
  await query("update payment_methods set token = $2 where organization_id = $1", [
    organizationId,
    token,
  ]);
  await query(
    "update subscriptions set coupon_code = 'TENOFF', coupon_redeemed_at = $2 where id = $1",
    [subscriptionId, periodStart],
  );
  // Items and pending items are inserted out of order: the invoice lists them by add-on and by id.
  await query(
    `insert into subscription_items (subscription_id, organization_id, addon_id, addon_version, quantity,
                                     created_at, updated_at)
     values ($1, $3, 'seat', 1, 2, $2, $2), ($1, $3, 'analytics', 1, 1, $2, $2)`,
    [subscriptionId, periodStart, organizationId],
  );
  for (const [suffix, amount] of [
    ["b", -750],
    ["a", 2032],
  ] as const) {
    await query(
      `insert into pending_items (id, organization_id, subscription_id, description, amount, currency,
                                  addon_id, quantity, period_start, period_end, created_at)
       values ($1, $2, $3, $4, $5, 'USD', 'seat', 1, $6, $7, $6)`,
      [
        `pi_${prefix}_${suffix}`,
        organizationId,
        subscriptionId,
        `Pending ${suffix}`,
        amount,
        new Date("2026-10-11T00:00:00Z"),
        dueAt,
      ],
    );
  }
  await query(
    `insert into balance_transactions (id, organization_id, amount, currency, type, description, actor, created_at)
     values ($1, $2, 1000, 'USD', 'adjustment', 'Goodwill', 'root', $3)`,
    [`txn_${prefix}_seed`, organizationId, periodStart],
  );
  await query(
    `insert into usage_counters (organization_id, feature_key, period_start, used, overage, overage_billed, updated_at)
     values ($1, 'encounters', $2, 500, 30, 0, $2)`,
    [organizationId, periodStart],
  );
  // A root override on the entitlement: the renewal sets it from the subscription again.
  await query(
    `update organization_entitlements set plan_id = 'premium', source = 'manual',
            manual_features = '{"encounters": 9}'::jsonb where organization_id = $1`,
    [organizationId],
  );
  // Compared below: the events the renewal published, after those of the seeding.
  const seeded = await query(
    "select coalesce(max(sequence), 0)::int as last from events where organization_id = $1",
    [organizationId],
  );
  return { organizationId, subscriptionId, seededEvents: seeded.rows[0].last as number };
}

/** Everything a renewal wrote for one organization, with its own ids and numbers made generic. */
async function renewalRecord({
  organizationId,
  subscriptionId,
  seededEvents,
}: {
  organizationId: string;
  subscriptionId: string;
  seededEvents: number;
}) {
  const one = async (text: string) => (await app.database.pool.query(text, [organizationId])).rows;
  const invoices = await one(
    `select id, number, kind, status, billing_reason, currency, locale, subtotal, discount, total,
            balance_applied, credited_to_balance, amount_due, amount_paid, coupon_code, period_start,
            period_end, created_at, finalized_at, paid_at, tax, tax_included, reverse_charge,
            customer_details, issuer_details, document_type, credited_to, corrects_invoice_ids
       from invoices where organization_id = $1`,
  );
  expect(invoices).toHaveLength(1);
  const { id: invoiceId, number, ...invoice } = invoices[0];
  const record = {
    invoice,
    lines: await one(
      `select position, organization_id, kind, description, amount, discount, addon_id, quantity, unit_amount, proration,
              period_start, period_end, taxable_amount, tax_amount, tax_rate_id, tax_name, tax_percentage,
              tax_inclusive
         from invoice_lines where invoice_id = (select id from invoices where organization_id = $1)
        order by position`,
    ),
    payments: await one(
      `select invoice_id, provider, amount, currency, status, failure_code, failure_message, created_at
         from payments where organization_id = $1`,
    ),
    ledger: await one(
      `select amount, currency, type, invoice_id, description, actor, created_at
         from balance_transactions where organization_id = $1 order by id`,
    ),
    subscription: await one(
      `select plan_id, plan_version, interval, status, anchor_at, current_period_start, current_period_end,
              past_due_since, payment_attempts, next_payment_attempt_at, ends_at, scheduled_change, updated_at
         from subscriptions where organization_id = $1`,
    ),
    entitlement: await one(
      `select plan_id, plan_version, status, trial_ends_at, grace_ends_at, source, manual_features, updated_at
         from organization_entitlements where organization_id = $1`,
    ),
    pending: await one(
      "select id, invoice_id from pending_items where organization_id = $1 order by id",
    ),
    usage: await one(
      "select overage, overage_billed from usage_counters where organization_id = $1",
    ),
    audit: await one(
      `select action, actor, reason, before, after, metadata, request_id, created_at
         from audit_logs where organization_id = $1 order by action`,
    ),
    events: (
      await app.database.pool.query(
        "select type, data, created_at from events where organization_id = $1 and sequence > $2 order by type, sequence",
        [organizationId, seededEvents],
      )
    ).rows,
  };
  // Generated ids the two paths cannot share, in the order they were made.
  const transactionIds = await one(
    `select id from balance_transactions where organization_id = $1
     union all select id from (select id from payments where organization_id = $1 order by id) p`,
  );
  const prefix = organizationId.slice(0, -"-1".length);
  let text = JSON.stringify(record);
  for (const [index, { id }] of transactionIds.entries())
    text = text.replaceAll(id, `<id ${index}>`);
  return JSON.parse(
    text
      .replaceAll(invoiceId, "<invoice>")
      .replaceAll(number, "<number>")
      .replaceAll(subscriptionId, "<subscription>")
      .replaceAll(organizationId, "<organization>")
      .replaceAll(prefix, "<prefix>"),
  );
}

describe("renewal paths", () => {
  it.each([
    ["paid", "pm_sandbox_ok"],
    ["declined", "pm_sandbox_declined"],
  ])(
    "a %s plain renewal is the same row for row through renewBatch and renewSubscription",
    async (name, token) => {
      const single = await seedTwin(`twin-${name}-single`, token);
      const batched = await seedTwin(`twin-${name}-batch`, token);

      const outcome = await renewSubscription({
        services,
        subscriptionId: single.subscriptionId,
        dueAt,
        systemNow,
      });
      expect(outcome).toBe(name === "paid" ? "renewed" : "past_due");
      const counts = await renewBatch({
        services,
        due: [{ subscriptionId: batched.subscriptionId, dueAt }],
        systemNow,
      });
      expect(counts).toEqual(
        name === "paid"
          ? { renewed: 1, pastDue: 0, skipped: 0 }
          : { renewed: 0, pastDue: 1, skipped: 0 },
      );

      const expected = await renewalRecord(single);
      expect(await renewalRecord(batched)).toEqual(expected);
      // Each line carries its invoice's organization (the distribution key).
      expect(expected.lines.length).toBeGreaterThan(0);
      for (const line of expected.lines) expect(line.organization_id).toBe("<organization>");

      // Plan 4000 + analytics 500 + 2 seats 3000 + pending 2032 − 750 + 30 × 7 overage = 8992;
      // 10 % off the 7710 of non-proration charges = 771; the balance covers 1000 of the 8221.
      expect(expected.invoice).toMatchObject({
        subtotal: "8992",
        discount: "771",
        total: "8221",
        balance_applied: "1000",
        amount_due: "7221",
        status: name === "paid" ? "paid" : "open",
      });
      // The 771 off is shared over the full charges in proportion: 400, 50, 300 and 21.
      expect(
        expected.lines.map(
          (line: { kind: string; amount: string; discount: string; addon_id: string | null }) => [
            line.kind,
            line.amount,
            line.discount,
            line.addon_id,
          ],
        ),
      ).toEqual([
        ["plan", "4000", "400", null],
        ["addon", "500", "50", "analytics"],
        ["addon", "3000", "300", "seat"],
        ["pending_item", "2032", "0", "seat"],
        ["pending_item", "-750", "0", "seat"],
        ["overage", "210", "21", null],
      ]);
      expect(expected.entitlement[0]).toMatchObject({
        plan_id: "metered",
        source: "subscription",
        manual_features: null,
        status: name === "paid" ? "active" : "past_due",
      });
      expect(expected.usage).toEqual([{ overage: "30", overage_billed: "30" }]);
      expect(
        expected.pending.every((item: { invoice_id: string }) => item.invoice_id === "<invoice>"),
      ).toBe(true);

      // Run again: both paths see the period billed and do nothing.
      await renewSubscription({
        services,
        subscriptionId: single.subscriptionId,
        dueAt,
        systemNow,
      });
      expect(
        await renewBatch({
          services,
          due: [{ subscriptionId: batched.subscriptionId, dueAt }],
          systemNow,
        }),
      ).toEqual({ renewed: 0, pastDue: 0, skipped: 1 });
      expect(await renewalRecord(batched)).toEqual(expected);
    },
  );

  it("a renewal that credits more than it charges is the same credit note through both paths", async () => {
    const twins = [];
    for (const name of ["twin-credit-single", "twin-credit-batch"]) {
      const twin = await seedTwin(name, "pm_sandbox_ok");
      // Licenses removed during the period, worth more than the whole renewal.
      await app.database.pool.query(
        `insert into pending_items (id, organization_id, subscription_id, description, amount, currency,
                                    addon_id, quantity, period_start, period_end, created_at)
         values ($1, $2, $3, 'Removed seats', -30000, 'USD', 'seat', 20, $4, $5, $4)`,
        [`pi_${name}_c`, twin.organizationId, twin.subscriptionId, periodStart, dueAt],
      );
      twins.push(twin);
    }
    const [single, batched] = twins as [(typeof twins)[0], (typeof twins)[0]];
    expect(
      await renewSubscription({
        services,
        subscriptionId: single.subscriptionId,
        dueAt,
        systemNow,
      }),
    ).toBe("renewed");
    expect(
      await renewBatch({
        services,
        due: [{ subscriptionId: batched.subscriptionId, dueAt }],
        systemNow,
      }),
    ).toEqual({ renewed: 1, pastDue: 0, skipped: 0 });
    const expected = await renewalRecord(single);
    expect(await renewalRecord(batched)).toEqual(expected);
    // 8992 − 30000 = −21008 before the coupon's 771 off the full charges: −21779, all credited.
    expect(expected.invoice).toMatchObject({
      document_type: "credit_note",
      credited_to: "balance",
      subtotal: "-21008",
      discount: "771",
      total: "-21779",
      balance_applied: "0",
      credited_to_balance: "21779",
      amount_due: "0",
    });
    expect(expected.payments).toEqual([]);
    expect(
      expected.ledger.map((entry: { type: string; amount: string }) => [entry.type, entry.amount]),
    ).toEqual(
      expect.arrayContaining([
        ["adjustment", "1000"],
        ["proration_credit", "21779"],
      ]),
    );
    expect(expected.ledger).toHaveLength(2);
    expect(expected.events.map((event: { type: string }) => event.type)).toContain(
      "credit_note.created",
    );
    expect(expected.events.map((event: { type: string }) => event.type)).not.toContain(
      "invoice.created",
    );
  });

  it("taxes a plain renewal the same way through both paths: per line, after the coupon's share", async () => {
    const single = await seedTwin("twin-taxed-single", "pm_sandbox_ok");
    const batched = await seedTwin("twin-taxed-batch", "pm_sandbox_ok");
    for (const { organizationId } of [single, batched]) {
      await app.database.pool.query(
        `update organizations set billing_legal_name = 'Twin S.A.', tax_id = '30-71234567-1',
                tax_id_type = 'ar_cuit',
                billing_address = '{"line1": "Calle 1", "line2": null, "city": "Córdoba", "region": null, "postalCode": null, "country": "AR"}'::jsonb
          where id = $1`,
        [organizationId],
      );
    }
    await renewSubscription({ services, subscriptionId: single.subscriptionId, dueAt, systemNow });
    await renewBatch({
      services,
      due: [{ subscriptionId: batched.subscriptionId, dueAt }],
      systemNow,
    });
    const expected = await renewalRecord(single);
    expect(await renewalRecord(batched)).toEqual(expected);

    // The 771 off (10 % of the 7710 of full charges) is shared 4000 : 500 : 3000 : 210 → 400, 50, 300,
    // 21; the pending items carry none. IVA 21 % on what is left of each line, rounded once:
    //   3600 → 756; 450 → 94.5 → 95; 2700 → 567; 2032 → 426.72 → 427; −750 → −157.5 → −158;
    //   189 → 39.69 → 40. Tax 1727; total 8221 + 1727 = 9948; the balance covers 1000: 8948 due.
    expect(
      expected.lines.map((line: { taxable_amount: string; tax_amount: string }) => [
        line.taxable_amount,
        line.tax_amount,
      ]),
    ).toEqual([
      ["3600", "756"],
      ["450", "95"],
      ["2700", "567"],
      ["2032", "427"],
      ["-750", "-158"],
      ["189", "40"],
    ]);
    expect(expected.invoice).toMatchObject({
      subtotal: "8992",
      discount: "771",
      tax: "1727",
      tax_included: "0",
      total: "9948",
      balance_applied: "1000",
      amount_due: "8948",
      status: "paid",
      customer_details: { legalName: "Twin S.A.", taxId: "30-71234567-1" },
      issuer_details: { legalName: "Abono" },
    });
    expect(expected.payments[0]).toMatchObject({ amount: "8948", status: "succeeded" });
  });
});
