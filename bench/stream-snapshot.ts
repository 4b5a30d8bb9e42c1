/**
 * The entitlement stream's `organizations=all` snapshot at scale: seeds N organizations (default 10,000;
 * `seedOrganizations`, set-based), then reads every organization's effective entitlement and summary
 * (what each snapshot event carries) two ways in the same run: one organization after another
 * (`loadEntitlement` + `summarizeEntitlement`, about a dozen queries each: the baseline) and set-based in
 * batches of `--batch` (`loadEntitlements` + `summarizeEntitlements`, the stream's reader). Checks both
 * give the same summaries, then times `GET /v1/entitlements/stream?organizations=all` until `ready` over
 * HTTP. The server, PostgreSQL and this script share the machine.
 *
 *   npm run bench:stream-snapshot -- [--organizations 10000] [--batch 500]
 */
import { isDeepStrictEqual, parseArgs } from "node:util";
import { loadEntitlement } from "../src/entitlements/load-entitlement.ts";
import { loadEntitlements } from "../src/entitlements/load-entitlements.ts";
import {
  type EntitlementSummary,
  summarizeEntitlement,
  summarizeEntitlements,
} from "../src/entitlements/summarize-entitlement.ts";
import { benchRootKey, startBenchServer } from "./bench-server.ts";
import { loadAverage, machineLine } from "./machine.ts";
import { seedOrganizations } from "./seed-organizations.ts";

const { values } = parseArgs({
  options: {
    organizations: { type: "string", default: "10000" },
    batch: { type: "string", default: "500" },
  },
});
const count = Number(values.organizations);
const batchSize = Number(values.batch);

async function main() {
  const loadBefore = loadAverage();
  const abono = await startBenchServer();
  try {
    await abono.call("POST", "/v1/features", { key: "seats", name: "Seats", kind: "limit" });
    await abono.call("POST", "/v1/features", {
      key: "encounters",
      name: "Encounters",
      kind: "metered",
    });
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
        features: { seats: 5, encounters: 1000 },
      });
    }
    const db = abono.server.connection.db;
    await seedOrganizations({ db, count, planIds: ["plus", "premium"], now: new Date() });
    const { rows } = await abono.server.connection.pool.query<{ id: string }>(
      "select id from organizations where status <> 'deleted' order by id",
    );
    const ids = rows.map((row) => row.id);
    const systemNow = new Date();

    const oneByOne = new Map<string, EntitlementSummary>();
    const singleStarted = performance.now();
    for (const organizationId of ids) {
      const entitlement = await loadEntitlement({
        executor: db,
        organizationId,
        freePlanId: "free",
        systemNow,
      });
      oneByOne.set(
        organizationId,
        await summarizeEntitlement({ executor: db, entitlement, now: systemNow }),
      );
    }
    const singleSeconds = (performance.now() - singleStarted) / 1000;

    const batched = new Map<string, EntitlementSummary>();
    const batchStarted = performance.now();
    for (let start = 0; start < ids.length; start += batchSize) {
      const loaded = await loadEntitlements({
        executor: db,
        organizationIds: ids.slice(start, start + batchSize),
        freePlanId: "free",
        systemNow,
      });
      const summaries = await summarizeEntitlements({
        executor: db,
        loaded: [...loaded.values()].map((entitlement) => ({ entitlement, now: systemNow })),
      });
      for (const [id, summary] of summaries) batched.set(id, summary);
    }
    const batchSeconds = (performance.now() - batchStarted) / 1000;
    const same =
      batched.size === oneByOne.size &&
      ids.every((id) => isDeepStrictEqual(batched.get(id), oneByOne.get(id)));
    if (!same) throw new Error("the set-based summaries differ from the one-by-one ones");

    const streamStarted = performance.now();
    const response = await fetch(`${abono.url}/v1/entitlements/stream?organizations=all`, {
      headers: { authorization: `Bearer ${benchRootKey}` },
    });
    let events = 0;
    let buffer = "";
    const decoder = new TextDecoder();
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) throw new Error("the stream ended before ready");
      buffer += decoder.decode(value, { stream: true });
      events += buffer.split("event: entitlement\n").length - 1;
      const ready = buffer.includes("event: ready\n");
      buffer = buffer.slice(buffer.lastIndexOf("\n\n") + 2);
      if (ready) break;
    }
    await reader.cancel();
    const streamSeconds = (performance.now() - streamStarted) / 1000;
    if (events < ids.length) throw new Error(`${events} snapshot events for ${ids.length}`);

    console.log(machineLine());
    console.log(`load average before ${loadBefore}, after ${loadAverage()}`);
    console.log(`${ids.length} organizations (seeded ${count}, deleted ones left out)`);
    console.log(
      `one by one (baseline):   ${singleSeconds.toFixed(2)} s  (${((singleSeconds * 1e6) / ids.length).toFixed(0)} µs per organization)`,
    );
    console.log(
      `set-based, batches of ${batchSize}: ${batchSeconds.toFixed(2)} s  (${((batchSeconds * 1e6) / ids.length).toFixed(0)} µs per organization), ${(singleSeconds / batchSeconds).toFixed(1)}× faster, identical summaries`,
    );
    console.log(
      `GET /v1/entitlements/stream?organizations=all until ready: ${streamSeconds.toFixed(2)} s (${events} events)`,
    );
  } finally {
    await abono.close();
  }
}

await main();
