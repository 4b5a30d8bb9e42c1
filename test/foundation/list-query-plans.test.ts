import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";

/**
 * The lists the backoffice and the portal page through read a page by keyset (`cursor` = the last row's
 * sort key) on an index, so a page costs the same whatever the table's size. The tables are seeded with
 * enough rows (set-based, in SQL) that the planner prefers an index whenever one fits; the queries the
 * server really sends for each list are captured and run through `EXPLAIN (FORMAT JSON)`: none may scan a
 * large table sequentially.
 */

// `usage_events` (partitioned by month) and `usage_event_ids` grow without bound too, but no list pages
// through them: ingestion writes them and reads them back by primary key only (docs/data-growth.md).
const largeTables = [
  "invoices",
  "audit_logs",
  "events",
  "payment_events",
  "webhook_deliveries",
  "checkouts",
  "notifications",
  "balance_transactions",
];
const organizations = 200;
const rowsPerTable = 20_000;

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Cond"?: string;
  Plans?: PlanNode[];
}

function seqScans(node: PlanNode): string[] {
  const own =
    node["Node Type"] === "Seq Scan" && largeTables.includes(node["Relation Name"] ?? "")
      ? [node["Relation Name"] as string]
      : [];
  return [...own, ...(node.Plans ?? []).flatMap(seqScans)];
}

/** The index conditions of every index scan in the plan (a filter the index serves shows here). */
function indexConds(node: PlanNode): string[] {
  return [
    ...(node["Index Cond"] ? [node["Index Cond"]] : []),
    ...(node.Plans ?? []).flatMap(indexConds),
  ];
}

/** A list narrowed to one organization must reach its rows through the index, not filter a scan. */
function expectOrganizationIndexed(path: string, plan: PlanNode, text: string): void {
  if (!path.includes(`/organizations/${org}/`) && !path.includes(`organizationId=${org}`)) return;
  expect(
    indexConds(plan).some((cond) => cond.includes("organization_id")),
    `${path}: ${text}`,
  ).toBe(true);
}

interface CapturedQuery {
  text: string;
  values: unknown[];
}

let app: TestApp;
let captured: CapturedQuery[] = [];
const originalQuery = pg.Client.prototype.query;

async function explain(query: CapturedQuery): Promise<PlanNode> {
  const result = await app.database.pool.query(`explain (format json) ${query.text}`, query.values);
  return (result.rows[0]["QUERY PLAN"] as { Plan: PlanNode }[])[0]?.Plan as PlanNode;
}

/** The SELECTs on the large tables the server sends while answering `path`. */
async function queriesOf(path: string): Promise<CapturedQuery[]> {
  captured = [];
  const response = await app.request("GET", path);
  expect(response.status, `${path}: ${JSON.stringify(response.body)}`).toBe(200);
  expect((response.body.data ?? response.body.transactions).length).toBeGreaterThan(0);
  const mine = captured.filter(
    ({ text }) =>
      /^\s*(with|select)\b/i.test(text) && largeTables.some((table) => text.includes(`"${table}"`)),
  );
  expect(mine.length, `${path} sent no query on the large tables`).toBeGreaterThan(0);
  return mine;
}

beforeAll(async () => {
  app = await startTestApp({ worker: false });
  const sql = (text: string) => app.database.pool.query(text);
  await sql(`
    insert into organizations
      (id, name, billing_anchor, status, identity_group, provisioning_status, provisioning_started_at,
       created_at, updated_at)
    select 'org_plan_' || o, 'org_plan_' || o, 'anniversary', 'active', 'org_plan_' || o, 'active',
           now(), now(), now()
    from generate_series(1, ${organizations}) o`);
  await sql(`
    insert into invoices
      (id, number, organization_id, kind, document_type, status, billing_reason, currency, locale,
       subtotal, discount, tax, tax_included, total, balance_applied, credited_to_balance, amount_due,
       amount_paid, amount_refunded, created_at)
    select 'inv_' || lpad(g::text, 10, '0'), 'P-' || g, 'org_plan_' || (g % ${organizations} + 1),
           'subscription', case when g % 7 = 0 then 'credit_note' else 'invoice' end, 'paid',
           'subscription_cycle', 'USD', 'en', s, 0, 0, 0, s, 0, 0, greatest(s, 0), greatest(s, 0), 0,
           now() - g * interval '1 minute'
    from generate_series(1, ${rowsPerTable}) g,
         lateral (select case when g % 7 = 0 then -1000 else 1000 end as s) amounts`);
  await sql(`
    insert into audit_logs (id, action, actor, organization_id, created_at)
    select 'aud_' || lpad(g::text, 10, '0'), 'root.action_' || (g % 50), 'root:key_' || (g % 7),
           'org_plan_' || (g % ${organizations} + 1), now() - g * interval '1 minute'
    from generate_series(1, ${rowsPerTable}) g`);
  await sql(`
    insert into events (id, type, organization_id, sequence, data, created_at)
    select 'evt_' || lpad(g::text, 10, '0'), 'invoice.paid', 'org_plan_' || (g % ${organizations} + 1),
           g / ${organizations} + 1, '{}'::jsonb, now() - g * interval '1 minute'
    from generate_series(1, ${rowsPerTable}) g`);
  await sql(`
    insert into payment_events (id, provider, provider_event_id, verified, headers, query, body, received_at)
    select 'pev_' || lpad(g::text, 10, '0'), case when g % 2 = 0 then 'stripe' else 'mercadopago' end,
           'prov_' || g, g % 3 <> 0, '{}'::jsonb, '{}'::jsonb, '{}', now() - g * interval '1 minute'
    from generate_series(1, ${rowsPerTable}) g`);
  await sql(`
    insert into webhook_endpoints (id, kind, url, event_types, status, secret, created_at, updated_at)
    select 'we_plan_' || e, 'webhook', 'https://example.com/' || e, '{*}', 'enabled', 'whsec_x', now(), now()
    from generate_series(1, 20) e`);
  await sql(`
    insert into webhook_deliveries
      (id, endpoint_id, event_id, event_type, organization_id, stream, sequence, status, next_attempt_at,
       created_at)
    select 'wd_' || lpad(g::text, 10, '0'), 'we_plan_' || (g % 20 + 1), 'evt_' || lpad(g::text, 10, '0'),
           'invoice.paid', 'org_plan_' || (g % ${organizations} + 1), 'org_plan_' || (g % ${organizations} + 1),
           g, case when g % 100 = 0 then 'failed' else 'delivered' end, now(), now() - g * interval '1 minute'
    from generate_series(1, ${rowsPerTable}) g`);
  await sql(`
    insert into checkouts
      (id, organization_id, provider, plan_id, plan_version, interval, currency, amount, is_upgrade,
       quoted_at, status, created_by, created_at, updated_at)
    select 'chk_' || lpad(g::text, 10, '0'), 'org_plan_' || (g % ${organizations} + 1), 'stripe', 'plan_x', 1,
           'month', 'USD', 1000, false, now(), 'completed', 'root', now() - g * interval '1 minute', now()
    from generate_series(1, ${rowsPerTable}) g`);
  await sql(`
    insert into notifications (id, audience, organization_id, kind, dedupe_key, locale, title, body, created_at)
    select 'ntf_' || lpad(g::text, 10, '0'), case when g % 3 = 0 then 'user' else 'admin' end,
           'org_plan_' || (g % ${organizations} + 1), 'payment.completed', 'plan_' || g, 'en', 't', 'b',
           now() - g * interval '1 minute'
    from generate_series(1, ${rowsPerTable}) g`);
  await sql(`
    insert into balance_transactions (id, organization_id, amount, currency, type, description, created_at)
    select 'btx_' || lpad(g::text, 10, '0'), 'org_plan_' || (g % ${organizations} + 1), 100, 'USD',
           'proration_credit', 'credit', now() - g * interval '1 minute'
    from generate_series(1, ${rowsPerTable}) g`);
  await sql(`analyze organizations, ${largeTables.join(", ")}, webhook_endpoints`);
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const [first, second] = args as [string | { text: string; values?: unknown[] }, unknown];
    const text = typeof first === "string" ? first : first?.text;
    // Drizzle sends `query({ text, rowMode }, values)`; pg itself also accepts `query({ text, values })`.
    const values = typeof first === "string" ? second : (first?.values ?? second);
    if (typeof text === "string")
      captured.push({ text, values: Array.isArray(values) ? values : [] });
    return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pg.Client.prototype.query;
}, 120_000);

afterAll(async () => {
  pg.Client.prototype.query = originalQuery;
  await app?.close();
});

const org = "org_plan_17";
const lists = [
  `/v1/organizations/${org}/invoices`,
  `/v1/organizations/${org}/invoices?documentType=invoice`,
  `/v1/organizations/${org}/credit-notes?limit=5`,
  "/v1/audit-logs",
  `/v1/audit-logs?organizationId=${org}`,
  "/v1/audit-logs?action=root.action_3",
  `/v1/organizations/${org}/audit-logs`,
  "/v1/payment-events",
  "/v1/payment-events?provider=stripe",
  "/v1/webhook-deliveries",
  "/v1/webhook-deliveries?endpointId=we_plan_3",
  "/v1/webhook-deliveries?status=failed",
  "/v1/events",
  `/v1/events?organizationId=${org}`,
  `/v1/events?organizationId=${org}&order=asc`,
  "/v1/events?type=invoice.paid",
  `/v1/organizations/${org}/checkouts`,
  `/v1/organizations/${org}/balance`,
  "/v1/notifications",
  `/v1/organizations/${org}/notifications`,
];

describe("list queries on large tables", () => {
  it("the plan checker sees a sequential scan when there is one", async () => {
    const plan = await explain({
      text: "select * from invoices where currency = $1 order by created_at desc limit 21",
      values: ["USD"],
    });
    expect(seqScans(plan)).toEqual(["invoices"]);
  });

  it.each(lists)("%s pages by index, first and next page", async (path) => {
    const first = await queriesOf(path);
    for (const query of first) {
      const plan = await explain(query);
      expect(seqScans(plan), query.text).toEqual([]);
      expectOrganizationIndexed(path, plan, query.text);
    }
    const page = await app.request("GET", path);
    expect(page.body.hasMore).toBe(true);
    const separator = path.includes("?") ? "&" : "?";
    const next = await queriesOf(
      `${path}${separator}cursor=${encodeURIComponent(page.body.nextCursor)}`,
    );
    for (const query of next) {
      const plan = await explain(query);
      expect(seqScans(plan), query.text).toEqual([]);
      expectOrganizationIndexed(path, plan, query.text);
    }
  });
});
