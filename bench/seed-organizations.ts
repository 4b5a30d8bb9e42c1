import { sql } from "drizzle-orm";
import type { Database } from "../src/db/database.ts";

/** The companies organization names are made of, so that a name fragment matches a share of them. */
const companies = [
  "Acme",
  "Globex",
  "Initech",
  "Umbrella",
  "Hooli",
  "Vandelay",
  "Soylent",
  "Tyrell",
  "Wonka",
  "Cyberdyne",
  "Stark",
  "Wayne",
  "Oscorp",
  "Pied Piper",
  "Massive Dynamic",
  "Aperture",
];
const kinds = ["Clínica", "Labs", "Logistics", "Studio", "Foods", "Consulting", "Motors", "Health"];

const tables = [
  "organizations",
  "subscriptions",
  "organization_entitlements",
  "balance_transactions",
  "organization_billing_providers",
];

/**
 * Seeds `count` organizations as an operator's backoffice finds them after years of business, with
 * set-based SQL (generate_series), so 100,000 take seconds: names like "Acme Labs 4711" (16 companies × 8
 * kinds), an owner (`owner-<n>@<company>.example`); per `n`: 1 in 20 suspended and 1 in 100 deleted; 6 in
 * 10 subscribed (`planIds` in turn, month or year, USD), of which 1 in 12 trialing and 1 in 20 past due,
 * the rest on the free plan; a credit balance for 1 in 4; a provider record for 9 in 10 (stripe, paypal,
 * mercadopago in turn; `customerId` `cus_<prefix>_<n>`). Organization ids are `<prefix>-<n>`, zero-padded
 * to 6 digits so their order is `n`'s.
 */
export async function seedOrganizations({
  db,
  count,
  planIds,
  now,
  prefix = "org",
}: {
  db: Database;
  count: number;
  planIds: readonly string[];
  now: Date;
  prefix?: string;
}): Promise<void> {
  const at = now.toISOString();
  const companyList = sql.param(companies);
  const kindList = sql.param(kinds);
  const planList = sql.param([...planIds]);
  await db.transaction(async (tx) => {
    // Seeded history needs no `entitlement.updated` event per row: the (deferred, per-row) triggers are off
    // while it is written, in this transaction only (the tables' owner may; foreign keys stay checked).
    for (const table of tables)
      await tx.execute(sql.raw(`alter table ${table} disable trigger user`));
    await tx.execute(sql`
      create temporary table seeded on commit drop as
      select g as n, ${prefix} || '-' || lpad(g::text, 6, '0') as id,
             (${companyList}::text[])[1 + g % 16] as company,
             (${kindList}::text[])[1 + (g / 16) % 8] as kind,
             (${planList}::text[])[1 + g % cardinality(${planList}::text[])] as plan_id
        from generate_series(1, ${count}) g`);
    await tx.execute(sql`
      insert into organizations (id, name, currency, billing_anchor, locale, status, identity_group,
                                 owner_user_id, owner_email, provisioning_status, provisioning_started_at,
                                 created_at, updated_at)
      select id, company || ' ' || kind || ' ' || n, 'USD', 'anniversary', 'en',
             case when n % 100 = 0 then 'deleted' when n % 20 = 0 then 'suspended' else 'active' end,
             id || '-group', 'user-' || n,
             'owner-' || n || '@' || lower(replace(company, ' ', '')) || '.example',
             'active', ${at}::timestamptz, ${at}::timestamptz - (n % 1000) * interval '1 day',
             ${at}::timestamptz
        from seeded`);
    await tx.execute(sql`
      insert into subscriptions (id, organization_id, plan_id, plan_version, interval, currency, status,
                                 anchor_at, current_period_start, current_period_end, trial_ends_at,
                                 created_at, updated_at)
      select 'sub_' || id, id, plan_id, 1, case when n % 3 = 0 then 'year' else 'month' end, 'USD',
             case when n % 12 = 1 then 'trialing' when n % 20 = 3 then 'past_due' else 'active' end,
             ${at}::timestamptz - interval '10 days', ${at}::timestamptz - interval '10 days',
             ${at}::timestamptz + interval '20 days',
             case when n % 12 = 1 then ${at}::timestamptz + interval '4 days' end,
             ${at}::timestamptz - interval '10 days', ${at}::timestamptz
        from seeded where n % 10 < 6`);
    await tx.execute(sql`
      insert into organization_entitlements (organization_id, plan_id, plan_version, status, source, updated_at)
      select s.id, coalesce(sub.plan_id, 'free'), 1, coalesce(sub.status, 'active'),
             case when sub.id is null then 'free' else 'subscription' end, ${at}::timestamptz
        from seeded s left join subscriptions sub on sub.organization_id = s.id`);
    await tx.execute(sql`
      insert into balance_transactions (id, organization_id, amount, currency, type, description, actor,
                                        created_at)
      select 'btx_' || id, id, 100 * (1 + n % 50), 'USD', 'adjustment', 'Goodwill credit', 'root',
             ${at}::timestamptz
        from seeded where n % 4 = 2`);
    await tx.execute(sql`
      insert into organization_billing_providers (organization_id, provider, data, updated_at)
      select id, (array['stripe', 'paypal', 'mercadopago'])[1 + n % 3],
             jsonb_build_object('customerId', 'cus_' || ${prefix} || '_' || n), ${at}::timestamptz
        from seeded where n % 10 <> 9`);
    for (const table of tables)
      await tx.execute(sql.raw(`alter table ${table} enable trigger user`));
  });
  // As autovacuum would soon after such an insert: give the planner real statistics.
  await db.execute(
    sql`analyze organizations, subscriptions, organization_entitlements, balance_transactions,
                organization_billing_providers`,
  );
}
