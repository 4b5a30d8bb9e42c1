/**
 * Batch usage ingestion over HTTP (`POST /v1/usage/batch`, 10,000 events per request, unlimited metered
 * feature, 100 organizations) beside a raw `INSERT … SELECT unnest(…)` of the same rows into an
 * identical table on the same database, in the same run. Each run inserts the raw rows, then sends the same
 * events (new ids per run) over HTTP; the client, the server and PostgreSQL share the machine, and the
 * client builds and serializes each batch in the server's process.
 *
 *   npm run bench:usage -- [--batches 20] [--runs 3]
 */
import { parseArgs } from "node:util";
import { startBenchServer } from "./bench-server.ts";
import { loadAverage, machineLine } from "./machine.ts";

const { values } = parseArgs({
  options: {
    batches: { type: "string", default: "20" },
    runs: { type: "string", default: "3" },
  },
});
const batches = Number(values.batches);
const runs = Number(values.runs);
const perBatch = 10_000;

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
    const batch = (run: number, number: number) =>
      Array.from({ length: perBatch }, (_, index) => ({
        organizationId: organizations[index % organizations.length] ?? "usage-0",
        feature: "api_calls",
        quantity: 1,
        eventId: `r${run}-b${number}-e${index}`,
      }));

    const pool = abono.server.connection.pool;
    await pool.query("create table raw_usage_events (like usage_events including all)");
    const rawInsert = (events: ReturnType<typeof batch>) =>
      pool.query(
        `insert into raw_usage_events (organization_id, event_id, feature_key, quantity, occurred_at, recorded_at)
         select o, e, f, q, now(), now() from unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) as t(o, e, f, q)
         on conflict do nothing`,
        [
          events.map((event) => event.organizationId),
          events.map((event) => event.eventId),
          events.map((event) => event.feature),
          events.map((event) => event.quantity),
        ],
      );
    // Warm both paths (the first batch also loads every organization's entitlement).
    await rawInsert(batch(0, 0));
    await call("POST", "/v1/usage/batch", { events: batch(0, 0) });

    const total = batches * perBatch;
    const rate = (ms: number) => Math.floor((total / ms) * 1000);
    console.log(machineLine());
    console.log(`${batches} batches × ${perBatch} events, 100 organizations, ${runs} runs`);
    const ratios: number[] = [];
    for (let run = 1; run <= runs; run++) {
      const before = loadAverage();
      const rawStart = performance.now();
      for (let number = 0; number < batches; number++) await rawInsert(batch(run, number));
      const rawMs = performance.now() - rawStart;

      const abonoStart = performance.now();
      let accepted = 0;
      for (let number = 0; number < batches; number++) {
        accepted += (
          await call<{ accepted: number }>("POST", "/v1/usage/batch", {
            events: batch(run, number),
          })
        ).accepted;
      }
      const abonoMs = performance.now() - abonoStart;
      if (accepted !== total) throw new Error(`accepted ${accepted} of ${total}`);
      const ratio = (rate(abonoMs) / rate(rawMs)) * 100;
      ratios.push(ratio);
      console.log(`\nrun ${run} (load average ${before} before, ${loadAverage()} after)`);
      console.log(`raw INSERT … SELECT unnest   ${String(rate(rawMs)).padStart(9)} events/s`);
      console.log(`POST /v1/usage/batch          ${String(rate(abonoMs)).padStart(9)} events/s`);
      console.log(`ratio                          ${ratio.toFixed(1)} % of the raw insert`);
    }
    console.log(`\nratios: ${ratios.map((ratio) => `${ratio.toFixed(1)} %`).join(", ")}`);
  } finally {
    await abono.close();
  }
}

await main();
