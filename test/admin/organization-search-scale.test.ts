import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedOrganizations } from "../../bench/seed-organizations.ts";
import { organizationListQuery } from "../../src/organizations/organizations.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog } from "../helpers/billing-scenario.ts";

/**
 * The organization search and list at a small scale (docs/backoffice.md "Search at scale"): 3,000
 * organizations seeded set-based, results checked against a plain scan, and every search and filter
 * answered through the indexes.
 */
const count = 3000;
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ worker: false });
  await createBillingCatalog(app);
  await seedOrganizations({
    // As the tables' owner (the seed turns their triggers off while it writes).
    db: app.database.db,
    count,
    planIds: ["plus", "premium"],
    now: new Date(),
  });
}, 60_000);
afterAll(() => app.close());

const pool = () => app.database.pool;

/** Every id the admin list returns for `query`, page after page. */
async function allIds(query: string) {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { status: number; body: any } = await app.request(
      "GET",
      `/v1/admin/organizations?limit=100&${query}${cursor ? `&cursor=${cursor}` : ""}`,
    );
    expect(page.status).toBe(200);
    ids.push(...page.body.data.map((row: { id: string }) => row.id));
    cursor = page.body.hasMore ? page.body.nextCursor : null;
  } while (cursor);
  return ids;
}

/** The same answer by a plain scan, written differently (position() instead of LIKE). */
async function scanIds(where: string, params: unknown[]) {
  const { rows } = await pool().query(
    `select o.id from organizations o where ${where} and o.id like 'org-%' order by o.id`,
    params,
  );
  return rows.map((row: { id: string }) => row.id);
}

describe("organization search at scale", () => {
  it("finds by name fragment, owner email, id prefix and provider reference, page after page", async () => {
    const fragment = await allIds("q=vandelay%20logistics");
    expect(fragment.length).toBeGreaterThan(20);
    expect(fragment).toEqual(
      await scanIds("position('vandelay logistics' in lower(o.name)) > 0", []),
    );
    expect(await allIds("q=OWNER-1234%40")).toEqual(["org-001234"]);
    expect(await allIds("q=org-00012")).toEqual(
      Array.from({ length: 10 }, (_, index) => `org-000${120 + index}`),
    );
    expect(await allIds("q=cus_org_2345")).toEqual(["org-002345"]);
    // Under 3 characters, a name matches from its start only.
    expect(await allIds("q=ac")).toEqual(await scanIds("lower(o.name) like 'ac%'", []));
  });

  it("filters by status, plan and provider on the server, combined with a search", async () => {
    expect(await allIds("status=suspended")).toEqual(await scanIds("o.status = 'suspended'", []));
    expect(await allIds("planId=premium")).toEqual(
      await scanIds(
        "exists (select 1 from organization_entitlements e where e.organization_id = o.id and e.plan_id = $1)",
        ["premium"],
      ),
    );
    expect(await allIds("provider=paypal&q=acme")).toEqual(
      await scanIds(
        "position('acme' in lower(o.name)) > 0 and exists (select 1 from organization_billing_providers p where p.organization_id = o.id and p.provider = $1)",
        ["paypal"],
      ),
    );
    const [first] = (await app.request("GET", "/v1/admin/organizations?q=org-000042")).body.data;
    expect(first).toMatchObject({ id: "org-000042", planId: "plus", providers: ["stripe"] });
  });

  it("answers every search and filter through an index, never a sequential scan of organizations", async () => {
    const db = app.server.connection.db;
    const searchIndexes = [
      "organizations_id_prefix_idx",
      "organizations_name_trgm_idx",
      "organizations_owner_email_trgm_idx",
      "organization_billing_providers_data_idx",
    ];
    const cases: [
      Parameters<typeof organizationListQuery>[0] extends infer O ? Partial<O> : never,
      string[],
    ][] = [
      [{ search: "vandelay logistics" }, searchIndexes],
      [{ search: "owner-1234@" }, searchIndexes],
      [{ search: "org-00012" }, searchIndexes],
      [{ search: "cus_org_2345" }, searchIndexes],
      [{ search: "ac" }, searchIndexes],
      // Either the search's indexes or the status index: the planner picks the narrower.
      [{ search: "acme", status: "active" }, []],
      [{ status: "suspended" }, ["organizations_status_idx"]],
      [{ planId: "premium" }, ["organization_entitlements_plan_id_idx"]],
      [{ provider: "paypal" }, ["organization_billing_providers_provider_idx"]],
    ];
    const client = await pool().connect();
    try {
      // At 3,000 rows a sequential scan, or walking the primary key, is cheapest; forbidding both shows
      // which indexes *can* answer each search and filter (at 100,000 rows the planner picks them itself:
      // \`npm run bench:admin -- --explain\`). Without a usable index the plan keeps its Seq Scan.
      await client.query("set enable_seqscan = off");
      await client.query("set enable_indexscan = off");
      for (const [options, indexes] of cases) {
        const { sql: text, params } = organizationListQuery({
          db,
          limit: 51,
          cursor: undefined,
          ...options,
        }).toSQL();
        const { rows } = await client.query(`explain (format json) ${text}`, params);
        const plan = JSON.stringify(rows[0]["QUERY PLAN"]);
        expect(plan, JSON.stringify(options)).not.toMatch(
          /"Node Type":"Seq Scan"[^}]*"Relation Name":"organizations"/,
        );
        for (const index of indexes)
          expect(plan, JSON.stringify(options)).toContain(`"Index Name":"${index}"`);
      }
      // The former search (ILIKE over name with no index) does show it: the assertion can fail.
      const { rows } = await client.query(
        "explain (format json) select * from organizations where billing_email ilike '%vandelay%'",
      );
      expect(JSON.stringify(rows[0]["QUERY PLAN"])).toMatch(/"Node Type":"Seq Scan"/);
    } finally {
      await client.query("reset enable_seqscan");
      await client.query("reset enable_indexscan");
      client.release();
    }
  });
});
