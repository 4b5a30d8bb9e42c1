/**
 * Entitlement checks over HTTP (`GET /v1/organizations/:orgId/entitlements/:feature`) with autocannon,
 * 50 connections, beside a bare Fastify route answering a constant JSON body in the same run. Each run
 * measures the bare route, then the checks; autocannon, both servers and their event loop share one
 * process, and PostgreSQL runs on the same machine.
 *
 *   npm run bench:checks -- [--seconds 10] [--runs 3] [--organizations 100] [--worker]
 *
 * `--worker` runs autocannon in a worker thread, so the servers' event loop does only server work.
 */
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import Fastify from "fastify";
import { seedDemo } from "../src/seeds/seed-demo.ts";
import { benchRootKey, startBenchServer } from "./bench-server.ts";
import { loadAverage, machineLine } from "./machine.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    runs: { type: "string", default: "3" },
    worker: { type: "boolean", default: false },
    organizations: { type: "string", default: "100" },
  },
});
const duration = Number(values.seconds);
const runs = Number(values.runs);
const organizationCount = Number(values.organizations);

async function measure(url: string, requests?: autocannon.Request[]) {
  const result = await autocannon({
    url,
    connections: 50,
    duration,
    ...(values.worker ? { workers: 1 } : {}),
    headers: { authorization: `Bearer ${benchRootKey}` },
    ...(requests ? { requests } : {}),
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors on ${url}`);
  return { rps: result.requests.average, p99: result.latency.p99, p50: result.latency.p50 };
}

const row = (name: string, figures: { rps: number; p50: number; p99: number }) =>
  `${name.padEnd(20)}${figures.rps.toFixed(0).padStart(8)}   ${String(figures.p50).padStart(6)}   ${String(figures.p99).padStart(6)}`;

async function main() {
  const abono = await startBenchServer();
  const bare = Fastify({ logger: false });
  bare.get("/check", async () => ({
    feature: "encounters",
    allowed: true,
    limit: 500,
    used: 0,
    remaining: 500,
  }));
  const bareUrl = await bare.listen({ port: 0, host: "127.0.0.1" });
  try {
    await seedDemo({ db: abono.server.connection.db, now: new Date() });
    const organizations: string[] = [];
    for (let index = 0; index < organizationCount; index++) {
      await abono.call("POST", "/v1/organizations", {
        id: `bench-${index}`,
        name: `Bench ${index}`,
      });
      organizations.push(`bench-${index}`);
    }
    const checks = organizations.flatMap((id) =>
      ["encounters", "active_preventives", "preventive_maintenance"].map((feature) => ({
        method: "GET" as const,
        path: `/v1/organizations/${id}/entitlements/${feature}`,
      })),
    );
    // Warm both servers and the entitlement cache.
    await autocannon({ url: bareUrl, connections: 10, amount: 5000 });
    await autocannon({
      url: abono.url,
      connections: 10,
      amount: 5000,
      headers: { authorization: `Bearer ${benchRootKey}` },
      requests: checks,
    });
    const { rows } = await abono.server.connection.pool.query(
      `select count(*)::int as count from pg_stat_activity
        where datname = current_database() and application_name = 'abono-entitlement-listener'`,
    );
    console.log(machineLine());
    console.log(
      `${organizationCount} organizations × 3 features, 50 connections, ${duration} s each, ${runs} runs, autocannon ${values.worker ? "in a worker thread" : "on the servers' event loop"}; checks answered ${rows[0]?.count === 1 ? "from memory (listener connected)" : "from the database (no listener)"}`,
    );
    const ratios: number[] = [];
    for (let run = 1; run <= runs; run++) {
      const before = loadAverage();
      const baseline = await measure(`${bareUrl}/check`);
      const checked = await measure(abono.url, checks);
      const ratio = (checked.rps / baseline.rps) * 100;
      ratios.push(ratio);
      console.log(`\nrun ${run} (load average ${before} before, ${loadAverage()} after)`);
      console.log("                       req/s   p50 ms   p99 ms");
      console.log(row("bare Fastify route", baseline));
      console.log(row("entitlement check", checked));
      console.log(`ratio               ${ratio.toFixed(1)} % of the bare route`);
    }
    console.log(`\nratios: ${ratios.map((ratio) => `${ratio.toFixed(1)} %`).join(", ")}`);
  } finally {
    await bare.close();
    await abono.close();
  }
}

await main();
