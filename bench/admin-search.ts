/**
 * The backoffice at scale: seeds N organizations (default 100,000; `seedOrganizations`, set-based), then
 * measures over HTTP, one request at a time, p50 and p99 of the organization search and list
 * (`GET /v1/admin/organizations`: id prefix, name fragment, owner email, provider reference, filters, a
 * later page) and of the endpoints the organization page reads. Beside them, in the same run: a bare
 * Fastify route answering a constant body (what HTTP and JSON alone cost) and the single primary-key
 * SELECT of an organization through pg (what one database round trip costs).
 *
 *   npm run bench:admin -- [--organizations 100000] [--requests 300] [--explain]
 *
 * `--explain` prints each search's query plan. Uses DATABASE_URL's server when set, else an embedded one.
 */
import { parseArgs } from "node:util";
import Fastify from "fastify";
import { organizationListQuery } from "../src/organizations/organizations.ts";
import { benchRootKey, startBenchServer } from "./bench-server.ts";
import { loadAverage, machineLine } from "./machine.ts";
import { seedOrganizations } from "./seed-organizations.ts";

const { values } = parseArgs({
  options: {
    organizations: { type: "string", default: "100000" },
    requests: { type: "string", default: "300" },
    explain: { type: "boolean", default: false },
  },
});
const count = Number(values.organizations);
const requests = Number(values.requests);

const idOf = (n: number) => `org-${String(n).padStart(6, "0")}`;
/** A number in 1..count that changes with each request, so no two requests in a row read the same rows. */
const pick = (index: number) => 1 + ((index * 7919) % count);

function percentile(sorted: number[], fraction: number) {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? 0;
}

async function measure(run: (index: number) => Promise<void>) {
  for (let index = 0; index < 20; index++) await run(index);
  const times: number[] = [];
  for (let index = 0; index < requests; index++) {
    const started = performance.now();
    await run(index);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
}

async function main() {
  const abono = await startBenchServer();
  const bare = Fastify({ logger: false });
  bare.get("/organization", async () => ({
    id: "org-000001",
    name: "Acme Labs 1",
    status: "active",
  }));
  const bareUrl = await bare.listen({ port: 0, host: "127.0.0.1" });
  try {
    await abono.call("POST", "/v1/features", { key: "seats", name: "Seats", kind: "limit" });
    for (const [id, month] of [
      ["free", 0],
      ["plus", 4000],
      ["premium", 10000],
    ] as const) {
      await abono.call("POST", "/v1/plans", {
        id,
        name: id,
        prices: [
          { interval: "month", currency: "USD", unitAmount: month },
          { interval: "year", currency: "USD", unitAmount: month * 10 },
        ],
        features: { seats: 5 },
      });
    }
    const db = abono.server.connection.db;
    const seedStarted = performance.now();
    await seedOrganizations({ db, count, planIds: ["plus", "premium"], now: new Date() });
    const seeded = ((performance.now() - seedStarted) / 1000).toFixed(1);

    const get = async (path: string) => {
      const response = await fetch(`${abono.url}${path}`, {
        headers: { authorization: `Bearer ${benchRootKey}` },
      });
      // An organization on the free plan has no subscription: its 404 is the page's answer too.
      const expected = path.endsWith("/subscription") ? [200, 404] : [200];
      if (!expected.includes(response.status)) throw new Error(`${path}: ${response.status}`);
      return response.json() as Promise<{ data?: unknown[] }>;
    };
    const list = "/v1/admin/organizations?limit=50";
    const searches: [string, (n: number) => string][] = [
      ["list, first page", () => list],
      ["list, a later page", (n) => `${list}&cursor=${idOf(n)}`],
      ["id prefix", (n) => `${list}&q=${idOf(n).slice(0, 9)}`],
      ["name fragment", (n) => `${list}&q=vandelay%20logistics%20${n % 1000}`],
      ["common fragment", () => `${list}&q=labs`],
      ["owner email", (n) => `${list}&q=owner-${n}%40`],
      ["provider reference", (n) => `${list}&q=cus_org_${n}`],
      ["status=suspended", (n) => `${list}&status=suspended&cursor=${idOf(n)}`],
      ["planId=premium", (n) => `${list}&planId=premium&cursor=${idOf(n)}`],
      ["provider=paypal", (n) => `${list}&provider=paypal&cursor=${idOf(n)}`],
      ["q + status", () => `${list}&q=acme&status=active`],
    ];
    const detail: [string, (id: string) => string][] = [
      ["organization", (id) => `/v1/organizations/${id}`],
      ["subscription", (id) => `/v1/organizations/${id}/subscription`],
      ["entitlement", (id) => `/v1/organizations/${id}/entitlement`],
      ["balance", (id) => `/v1/organizations/${id}/balance`],
      ["invoices", (id) => `/v1/organizations/${id}/invoices`],
      ["members", (id) => `/v1/organizations/${id}/members`],
      ["audit trail", (id) => `/v1/organizations/${id}/audit-logs`],
    ];
    // Sanity: the searches find what was seeded.
    const found = await get(`${list}&q=cus_org_4242`);
    if (found.data?.length !== 1) throw new Error("the provider reference search found nothing");

    if (values.explain) {
      for (const [search, filters] of [
        ["vandelay logistics 42", {}],
        ["labs", {}],
        ["org-00042", {}],
        ["owner-4242@", {}],
        ["cus_org_4242", {}],
        [undefined, { status: "suspended" as const }],
        [undefined, { planId: "premium" }],
        [undefined, { provider: "paypal" }],
      ] as const) {
        const query = organizationListQuery({
          db,
          limit: 51,
          cursor: undefined,
          search,
          ...filters,
        });
        const { sql: text, params } = query.toSQL();
        const plan = await abono.server.connection.pool.query(
          `explain (analyze, costs off) ${text}`,
          params,
        );
        console.log(`\n${search ?? JSON.stringify(filters)}:`);
        for (const row of plan.rows) console.log(`  ${row["QUERY PLAN"]}`);
      }
    }

    console.log(machineLine());
    console.log(
      `${count.toLocaleString("en")} organizations seeded in ${seeded} s; ${requests} requests per row, one at a time; load average ${loadAverage()} before`,
    );
    const row = (name: string, figures: { p50: number; p99: number }) =>
      console.log(
        `${name.padEnd(34)}${figures.p50.toFixed(2).padStart(8)}${figures.p99.toFixed(2).padStart(9)}`,
      );
    console.log(`${"".padEnd(34)}  p50 ms   p99 ms`);
    row(
      "baseline: bare Fastify route",
      await measure(async () => {
        await (await fetch(`${bareUrl}/organization`)).json();
      }),
    );
    row(
      "baseline: primary-key SELECT (pg)",
      await measure(async (index) => {
        await abono.server.connection.pool.query("select * from organizations where id = $1", [
          idOf(pick(index)),
        ]);
      }),
    );
    for (const [name, path] of searches) {
      row(
        `search: ${name}`,
        await measure(async (index) => {
          await get(path(pick(index)));
        }),
      );
    }
    for (const [name, path] of detail) {
      row(
        `detail: ${name}`,
        await measure(async (index) => {
          await get(path(idOf(pick(index))));
        }),
      );
    }
    console.log(`load average ${loadAverage()} after`);
  } finally {
    await bare.close();
    await abono.close();
  }
}

await main();
