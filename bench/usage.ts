/**
 * Batch usage ingestion over HTTP (`POST /v1/usage/batch`, 10,000 events per request, unlimited metered
 * feature, 100 organizations) beside raw inserts of the same rows on the same database, in the same run
 * (see usage-ingestion.ts): the baseline is one raw statement claiming the ids in a table like
 * `usage_event_ids` and inserting the claimed events into a table partitioned like `usage_events` (what
 * the design cannot do without); a raw insert into one plain table unique on the event id (the shape before
 * partitioning) is printed beside it. Each run inserts each batch raw, then sends the same events over HTTP,
 * batch by batch (new ids per run); the client, the server and PostgreSQL share the machine, and the
 * client builds and serializes each batch in the server's process.
 *
 *   npm run bench:usage -- [--batches 20] [--runs 3]
 */
import { parseArgs } from "node:util";
import { startBenchServer } from "./bench-server.ts";
import { loadAverage, machineLine } from "./machine.ts";
import { eventsPerBatch, prepareUsageIngestion } from "./usage-ingestion.ts";

const { values } = parseArgs({
  options: {
    batches: { type: "string", default: "20" },
    runs: { type: "string", default: "3" },
  },
});
const batches = Number(values.batches);
const runs = Number(values.runs);

async function main() {
  const abono = await startBenchServer({
    environment: { ABONO_BODY_LIMIT_BYTES: String(20 * 1024 * 1024) },
  });
  const call = abono.call;
  try {
    await call("POST", "/v1/features", { key: "api_calls", name: "API calls", kind: "metered" });
    await call("POST", "/v1/plans", {
      id: "free",
      name: "Free",
      prices: [{ interval: "month", currency: "USD", unitAmount: 0 }],
      features: { api_calls: null },
    });
    const organizations = Array.from({ length: 100 }, (_, index) => `usage-${index}`);
    for (const id of organizations) await call("POST", "/v1/organizations", { id, name: id });
    const ingestion = await prepareUsageIngestion({
      call,
      pool: abono.server.connection.pool,
      organizations,
      feature: "api_calls",
    });
    // Warm both paths (the first batch also loads every organization's entitlement).
    await ingestion.warmUp("r0");

    console.log(machineLine());
    console.log(`${batches} batches × ${eventsPerBatch} events, 100 organizations, ${runs} runs`);
    const ratios: number[] = [];
    const plainRatios: number[] = [];
    for (let run = 1; run <= runs; run++) {
      const before = loadAverage();
      const figures = await ingestion.measure(`r${run}`, batches);
      const ratio = (figures.abono / figures.raw) * 100;
      const plainRatio = (figures.abono / figures.rawPlain) * 100;
      ratios.push(ratio);
      plainRatios.push(plainRatio);
      console.log(`\nrun ${run} (load average ${before} before, ${loadAverage()} after)`);
      console.log(`raw claim + partitioned insert ${String(figures.raw).padStart(9)} events/s`);
      console.log(
        `raw insert, plain table        ${String(figures.rawPlain).padStart(9)} events/s`,
      );
      console.log(`POST /v1/usage/batch           ${String(figures.abono).padStart(9)} events/s`);
      console.log(
        `ratio                           ${ratio.toFixed(1)} % of the raw claim + partitioned insert (${plainRatio.toFixed(1)} % of the plain table)`,
      );
    }
    const list = (values: number[]) => values.map((value) => `${value.toFixed(1)} %`).join(", ");
    console.log(`\nratios: ${list(ratios)} (of the plain table: ${list(plainRatios)})`);
  } finally {
    await abono.close();
  }
}

await main();
