import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";

/**
 * The organization id as the distribution key (docs/scaling.md, "Past one PostgreSQL"): every table of
 * the migrated schema is either a tenant table carrying `organization_id`, or one of the global tables
 * below, each with the reason it is not a tenant table. Every unique index of a tenant table either
 * carries `organization_id` or is listed with the reason it does not. A new table or unique index fails
 * this test until it is placed in one of these lists, so the schema cannot drift away from being
 * distributable without someone deciding so.
 */

/** Tables that are not tenant tables: the catalog and the service's own, shared by every organization. */
const globalTables: Record<string, string> = {
  // Catalog: read by every organization, written by operators; a reference table under Citus.
  plans: "catalog",
  plan_versions: "catalog",
  plan_prices: "catalog",
  plan_overage_prices: "catalog",
  addons: "catalog",
  addon_versions: "catalog",
  addon_prices: "catalog",
  features: "catalog",
  packs: "catalog",
  coupons: "catalog (codes redeemable by any organization; redemptions are per organization)",
  tax_rates: "catalog",
  store_products: "catalog (the stores' product ids mapped to plans)",
  issuer_settings: "the issuer of every invoice (one company)",
  // One sequence per issuer: invoice numbers are gapless across all organizations, by law.
  invoice_number_sequences: "gapless numbering across organizations",
  audit_chain: "one hash chain over every audit entry of the database",
  // The organization itself: its id is the distribution key.
  organizations: "its id is the key",
  identity_groups: "an identity spans organizations (a person's several organizations)",
  identity_group_members: "an identity spans organizations",
  operator_sessions: "the operators of the service, not of an organization",
  webhook_endpoints: "the service's endpoints, receiving every organization's events",
  webhook_streams: "one per endpoint and stream; the stream is the organization id (a text key)",
  webhook_delivery_attempts:
    "child of webhook_deliveries, reached by delivery id; a delivery of an event of no organization has none",
  test_clocks: "a clock can drive several organizations",
  idempotency_keys:
    "keyed by principal (root or an organization's API key, a portal session) and key",
  payment_events: "provider webhooks, stored before the organization they concern is known",
  store_notifications: "store notifications, stored before the organization they concern is known",
};

/**
 * Unique indexes of tenant tables without `organization_id`. Primary keys on a generated id (ULIDs,
 * unique everywhere) become (organization_id, id) when the table is distributed; the others enforce a
 * uniqueness across organizations on purpose and would need a lookup table under Citus.
 */
const uniqueWithoutKey: Record<string, string> = {
  api_keys_pkey: "generated id",
  audit_logs_pkey: "generated id",
  balance_transactions_pkey: "generated id",
  checkouts_pkey: "generated id",
  emails_pkey: "generated id",
  entitlement_grants_pkey: "generated id",
  events_pkey: "generated id",
  invoices_pkey: "generated id",
  notifications_pkey: "generated id",
  payment_methods_pkey: "generated id",
  payments_pkey: "generated id",
  pending_items_pkey: "generated id",
  portal_sessions_pkey: "generated id",
  refunds_pkey: "generated id",
  store_subscriptions_pkey: "generated id",
  subscriptions_pkey: "generated id",
  webhook_deliveries_pkey: "generated id",
  billing_customers_id_unique: "the provider's customer id, looked up from its webhooks",
  api_keys_secret_hash_unique: "a key is looked up by its secret, before its organization is known",
  portal_sessions_session_token_hash_unique: "looked up by token, before the organization is known",
  portal_sessions_link_token_hash_unique: "looked up by token, before the organization is known",
  store_account_tokens_token_unique: "the store's account token, looked up from its notifications",
  checkouts_provider_checkout_idx: "the provider's checkout id, looked up from its webhooks",
  payments_provider_payment_idx: "the provider's payment id, looked up from its webhooks",
  refunds_provider_refund_idx: "the provider's refund id, looked up from its webhooks",
  store_subscriptions_store_id_idx: "the store's subscription id, looked up from its notifications",
  invoices_number_unique: "gapless numbers across organizations",
  invoices_period_key_idx: "(subscription, period) key; the subscription id is unique everywhere",
  emails_dedupe_key_unique: "its key names the organization's records (generated ids)",
  notifications_dedupe_key_unique: "its key names the organization's records (generated ids)",
  entitlement_grants_source_unique: "its source is a generated id (a purchase, a payment)",
  founders_members_seat_unique: "a founders seat is unique across organizations by design",
  webhook_deliveries_endpoint_event_idx: "(endpoint, event): the event id is unique everywhere",
};

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

describe("organization_id as the distribution key", () => {
  it("every table is a tenant table carrying organization_id, or a listed global table", async () => {
    const { rows } = await database.pool.query<{ table: string; tenant: boolean }>(`
      select c.relname as table,
             exists (select 1 from pg_attribute a
                      where a.attrelid = c.oid and a.attname = 'organization_id' and not a.attisdropped) as tenant
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition
         and c.relname not like '\\_\\_%'`);
    expect(rows.length).toBeGreaterThan(40);
    const unlisted = rows
      .filter((row) => !row.tenant && !(row.table in globalTables))
      .map((row) => row.table);
    expect(unlisted, "tables without organization_id that are not listed as global").toEqual([]);
    // The list stays exact: a listed table that gained the key (or was dropped) leaves it.
    const stale = Object.keys(globalTables).filter(
      (table) => !rows.some((row) => row.table === table && !row.tenant),
    );
    expect(stale, "listed global tables that carry organization_id or no longer exist").toEqual([]);
  });

  it("counts a partitioned table once: usage_events' monthly partitions are its children, indexed like it", async () => {
    // usage_events has no unique key (event ids are unique in usage_event_ids, keyed by organization_id):
    // each partition has indexes, and every one starts with organization_id.
    const { rows } = await database.pool.query<{ partition: string; keyed: boolean }>(`
      select c.relname as partition,
             exists (select 1 from pg_index x where x.indrelid = c.oid)
             and not exists (select 1 from pg_index x
                               join pg_attribute a on a.attrelid = c.oid and a.attnum = x.indkey[0]
                              where x.indrelid = c.oid and a.attname <> 'organization_id') as keyed
        from pg_inherits i join pg_class c on c.oid = i.inhrelid
       where i.inhparent = 'public.usage_events'::regclass`);
    // The current month and three ahead at least, each named by its month.
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const row of rows) {
      expect(row.partition).toMatch(/^usage_events_\d{4}_\d{2}$/);
      expect(row.keyed, row.partition).toBe(true);
    }
  });

  it("every unique index of a tenant table carries organization_id, or is listed with its reason", async () => {
    const { rows } = await database.pool.query<{ index: string; keyed: boolean }>(`
      select i.relname as index,
             exists (select 1 from unnest(x.indkey) k
                       join pg_attribute a on a.attrelid = t.oid and a.attnum = k
                      where a.attname = 'organization_id') as keyed
        from pg_index x
        join pg_class i on i.oid = x.indexrelid
        join pg_class t on t.oid = x.indrelid
        join pg_namespace n on n.oid = t.relnamespace
       where n.nspname = 'public' and x.indisunique and t.relkind in ('r', 'p') and not t.relispartition
         and exists (select 1 from pg_attribute a
                      where a.attrelid = t.oid and a.attname = 'organization_id' and not a.attisdropped)`);
    expect(rows.filter((row) => row.keyed).length).toBeGreaterThan(10);
    const unlisted = rows
      .filter((row) => !row.keyed && !(row.index in uniqueWithoutKey))
      .map((row) => row.index);
    expect(unlisted, "unique indexes without organization_id, not listed").toEqual([]);
    const stale = Object.keys(uniqueWithoutKey).filter(
      (index) => !rows.some((row) => row.index === index && !row.keyed),
    );
    expect(stale, "listed unique indexes that carry organization_id or no longer exist").toEqual(
      [],
    );
  });
});
