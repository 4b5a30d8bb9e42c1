/**
 * Entitlement checks over HTTP (`GET /v1/organizations/:orgId/entitlements/:feature`) with autocannon,
 * 50 connections, beside a bare Fastify route answering a constant JSON body in the same run (see
 * check-latency.ts). Each run measures the bare route, then the checks; autocannon, both servers and their
 * event loop share one process, and PostgreSQL runs on the same machine.
 *
 *   npm run bench:checks -- [--seconds 10] [--runs 3] [--organizations 100] [--worker]
 *
 * `--worker` runs autocannon in a worker thread, so the servers' event loop does only server work.
 */
import { parseArgs } from "node:util";
import { seedDemo } from "../src/seeds/seed-demo.ts";
import { startBenchServer } from "./bench-server.ts";
import {
  checkRequests,
  checksFromMemory,
  type LatencyFigures,
  measureLatency,
  startBareCheckRoute,
  warmUpLatency,
} from "./check-latency.ts";
import { loadAverage, machineLine } from "./machine.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    runs: { type: "string", default: "3" },
    worker: { type: "boolean", default: false },
    organizations: { type: "string", default: "100" },
  },
});
const seconds = Number(values.seconds);
const runs = Number(values.runs);
const organizationCount = Number(values.organizations);
const worker = values.worker;

const row = (name: string, figures: LatencyFigures) =>
  `${name.padEnd(20)}${figures.rps.toFixed(0).padStart(8)}   ${String(figures.p50).padStart(6)}   ${String(figures.p99).padStart(6)}`;

async function main() {
  const abono = await startBenchServer();
  const bare = await startBareCheckRoute();
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
    const checks = checkRequests(organizations, [
      "encounters",
      "active_preventives",
      "preventive_maintenance",
    ]);
    // Warm both servers and the entitlement cache.
    await warmUpLatency(bare.url);
    await warmUpLatency(abono.url, checks);
    const fromMemory = await checksFromMemory(abono.server.connection.pool);
    console.log(machineLine());
    console.log(
      `${organizationCount} organizations × 3 features, 50 connections, ${seconds} s each, ${runs} runs, autocannon ${worker ? "in a worker thread" : "on the servers' event loop"}; checks answered ${fromMemory ? "from memory (listener connected)" : "from the database (no listener)"}`,
    );
    const ratios: number[] = [];
    for (let run = 1; run <= runs; run++) {
      const before = loadAverage();
      const baseline = await measureLatency({ url: bare.url, seconds, worker });
      const checked = await measureLatency({ url: abono.url, seconds, requests: checks, worker });
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
