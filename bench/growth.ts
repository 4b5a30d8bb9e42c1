/**
 * Ingestion and checks as the tables grow. For each stored-row count of `usage_events` (default 0, 10M and
 * 50M), tops the table up with a set-based generator (seed-usage-events.ts: 10,000 organizations, the last
 * 12 months), grows the audit, invoice and payment-event tables in proportion (seed-history.ts: the
 * `--audit`, `--invoices` and `--payment-events` counts at the largest size), runs `VACUUM ANALYZE`, then
 * measures on 100 organizations that have their share of the stored events:
 *
 * - usage ingestion (`POST /v1/usage/batch`) beside its raw-insert baseline, as bench:usage does
 *   (usage-ingestion.ts; the raw table stays small, so the baseline tracks the machine's load);
 * - entitlement checks (autocannon, 50 connections) beside a bare route, as bench:checks does
 *   (check-latency.ts).
 *
 * It prints, per size, rows and disk use per table and of the database, the seeding time and the
 * figures, then a summary with each figure's ratio to the first size's, as a markdown table.
 *
 *   npm run bench:growth -- [--events 0,10000000,50000000] [--audit 2000000] [--invoices 1000000]
 *     [--payment-events 2000000] [--organizations 10000] [--chunk 2000000] [--batches 20] [--seconds 10]
 *     [--runs 2]
 *
 * Uses DATABASE_URL's server when set, else an embedded one; the database is created and dropped by the
 * run. The seed writes as the tables' owner and turns the audit chain's trigger off while it writes its
 * own placeholder links (see seed-history.ts), and seed-organizations.ts turns its tables' triggers off.
 */
import { parseArgs } from "node:util";
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
import {
  type HistorySeed,
  seedAuditLogs,
  seedInvoices,
  seedPaymentEvents,
} from "./seed-history.ts";
import { seedOrganizations } from "./seed-organizations.ts";
import { ensureUsageEventPartitions, seedUsageEvents } from "./seed-usage-events.ts";
import { formatBytes, tableSizes } from "./table-sizes.ts";
import { eventsPerBatch, type IngestionFigures, prepareUsageIngestion } from "./usage-ingestion.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "0,10000000,50000000" },
    audit: { type: "string", default: "2000000" },
    invoices: { type: "string", default: "1000000" },
    "payment-events": { type: "string", default: "2000000" },
    organizations: { type: "string", default: "10000" },
    chunk: { type: "string", default: "2000000" },
    batches: { type: "string", default: "20" },
    seconds: { type: "string", default: "10" },
    runs: { type: "string", default: "2" },
  },
});
const sizes = values.events.split(",").map((size) => Number(size.replaceAll("_", "")));
const largest = Math.max(...sizes, 1);
const history = {
  audit: Number(values.audit),
  invoices: Number(values.invoices),
  paymentEvents: Number(values["payment-events"]),
};
const organizationCount = Number(values.organizations);
const chunk = Number(values.chunk);
const batches = Number(values.batches);
const seconds = Number(values.seconds);
const runs = Number(values.runs);
const measuredCount = 100;
const tables = [
  "usage_events",
  "usage_event_ids",
  "audit_logs",
  "audit_chain",
  "invoices",
  "invoice_lines",
  "payment_events",
];

const number = new Intl.NumberFormat("en");
const median = (list: number[]) => {
  const sorted = [...list].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
const elapsed = (started: number) => (performance.now() - started) / 1000;

interface Phase {
  events: number;
  seedSeconds: number;
  vacuumSeconds: number;
  databaseBytes: number;
  eventBytes: number;
  ingestion: IngestionFigures;
  check: LatencyFigures;
  bare: LatencyFigures;
}

async function main() {
  const abono = await startBenchServer({
    environment: { ABONO_BODY_LIMIT_BYTES: String(20 * 1024 * 1024) },
  });
  const bare = await startBareCheckRoute();
  const pool = abono.server.connection.pool;
  const seeder = await pool.connect();
  try {
    const now = new Date();
    const call = abono.call;
    await call("POST", "/v1/features", { key: "api_calls", name: "API calls", kind: "metered" });
    await call("POST", "/v1/features", { key: "emails_sent", name: "Emails", kind: "metered" });
    await call("POST", "/v1/features", { key: "seats", name: "Seats", kind: "limit" });
    for (const [id, unitAmount, emails, seats] of [
      ["free", 0, 1000, 3],
      ["plus", 4000, 100_000, 10],
    ] as const) {
      await call("POST", "/v1/plans", {
        id,
        name: id,
        prices: [{ interval: "month", currency: "USD", unitAmount }],
        features: { api_calls: null, emails_sent: emails, seats },
      });
    }
    let started = performance.now();
    await seedOrganizations({
      db: abono.server.connection.db,
      count: organizationCount,
      planIds: ["plus"],
      now,
    });
    console.log(machineLine());
    console.log(
      `${number.format(organizationCount)} organizations seeded in ${elapsed(started).toFixed(1)} s`,
    );
    const partitions = await ensureUsageEventPartitions(seeder, now);
    console.log(
      partitions.length > 0
        ? `usage_events is partitioned: partitions ${partitions[0]} … ${partitions.at(-1)} ready`
        : "usage_events is a plain table",
    );
    const { rows: measuredRows } = await pool.query(
      `select o.id from organizations o join organization_entitlements e on e.organization_id = o.id
        where o.status = 'active' and e.status = 'active' order by o.id limit $1`,
      [measuredCount],
    );
    const measured = measuredRows.map((row: { id: string }) => row.id);
    const ingestion = await prepareUsageIngestion({
      call,
      pool,
      organizations: measured,
      feature: "api_calls",
    });
    const checks = checkRequests(measured, ["api_calls", "emails_sent", "seats"]);
    console.log(
      `measured on ${measured.length} active organizations: ingestion ${batches} batches × ${number.format(eventsPerBatch)} events, checks ${measured.length} × 3 features, 50 connections, ${seconds} s; ${runs} runs per size (medians)`,
    );

    const seeded = { events: 0, audit: 0, invoices: 0, paymentEvents: 0 };
    const phases: Phase[] = [];
    for (const [index, events] of sizes.entries()) {
      console.log(`\n== ${number.format(events)} usage events (load average ${loadAverage()})`);
      started = performance.now();
      const progress = (table: string, target: number) => (written: number) =>
        console.log(
          `  ${table} +${number.format(written)} of +${number.format(target)} (${elapsed(started).toFixed(0)} s)`,
        );
      const topUp = async (
        table: string,
        key: keyof typeof seeded,
        target: number,
        seed: (options: HistorySeed) => Promise<void>,
      ) => {
        const count = target - seeded[key];
        if (count <= 0) return;
        await seed({
          db: seeder,
          from: seeded[key],
          count,
          organizations: organizationCount,
          now,
          chunk,
          progress: progress(table, count),
        });
        seeded[key] = target;
      };
      await topUp("usage_events", "events", events, seedUsageEvents);
      const share = events / largest;
      await topUp("audit_logs", "audit", Math.round(history.audit * share), seedAuditLogs);
      await topUp("invoices", "invoices", Math.round(history.invoices * share), seedInvoices);
      await topUp(
        "payment_events",
        "paymentEvents",
        Math.round(history.paymentEvents * share),
        seedPaymentEvents,
      );
      const seedSeconds = elapsed(started);
      started = performance.now();
      await seeder.query("vacuum analyze");
      const vacuumSeconds = elapsed(started);
      const sizesNow = await tableSizes(seeder, tables);
      console.log(
        `  seeded in ${seedSeconds.toFixed(1)} s, VACUUM ANALYZE ${vacuumSeconds.toFixed(1)} s`,
      );
      for (const size of sizesNow.tables)
        console.log(
          `  ${size.table.padEnd(16)}${number.format(size.rows).padStart(14)} rows ${formatBytes(size.bytes).padStart(11)}`,
        );
      console.log(`  database${formatBytes(sizesNow.databaseBytes).padStart(37)}`);

      await ingestion.warmUp(`w${index}`);
      const ingested: IngestionFigures[] = [];
      for (let run = 1; run <= runs; run++) {
        const figures = await ingestion.measure(`p${index}r${run}`, batches);
        ingested.push(figures);
        console.log(
          `  ingestion run ${run}: ${number.format(figures.abono)} events/s, raw claim + partitioned insert ${number.format(figures.raw)} events/s, raw plain insert ${number.format(figures.rawPlain)} events/s (load average ${loadAverage()})`,
        );
      }
      await warmUpLatency(bare.url);
      await warmUpLatency(abono.url, checks);
      const bareRuns: LatencyFigures[] = [];
      const checkRuns: LatencyFigures[] = [];
      for (let run = 1; run <= runs; run++) {
        const baseline = await measureLatency({ url: bare.url, seconds });
        const checked = await measureLatency({ url: abono.url, seconds, requests: checks });
        bareRuns.push(baseline);
        checkRuns.push(checked);
        console.log(
          `  checks run ${run}: p50 ${checked.p50} ms, p99 ${checked.p99} ms, ${checked.rps.toFixed(0)} req/s; bare route p50 ${baseline.p50} ms, p99 ${baseline.p99} ms, ${baseline.rps.toFixed(0)} req/s (load average ${loadAverage()})`,
        );
      }
      const medians = (list: LatencyFigures[]): LatencyFigures => ({
        rps: median(list.map((figures) => figures.rps)),
        p50: median(list.map((figures) => figures.p50)),
        p99: median(list.map((figures) => figures.p99)),
      });
      phases.push({
        events,
        seedSeconds,
        vacuumSeconds,
        databaseBytes: sizesNow.databaseBytes,
        eventBytes: sizesNow.tables[0]?.bytes ?? 0,
        ingestion: {
          abono: median(ingested.map((figures) => figures.abono)),
          raw: median(ingested.map((figures) => figures.raw)),
          rawPlain: median(ingested.map((figures) => figures.rawPlain)),
        },
        check: medians(checkRuns),
        bare: medians(bareRuns),
      });
    }
    console.log(
      `\nchecks answered ${(await checksFromMemory(pool)) ? "from memory (listener connected)" : "from the database (no listener)"}`,
    );
    printSummary(phases);
  } finally {
    seeder.release();
    await bare.close();
    await abono.close();
  }
}

/** Each figure, and its ratio to the first size's: raw and relative to its own baseline of the same run. */
function printSummary(phases: Phase[]) {
  const first = phases[0];
  if (!first) return;
  const percent = (value: number, reference: number) =>
    reference > 0 ? `${((value / reference) * 100).toFixed(0)} %` : "–";
  const ingestionShare = (phase: Phase) => phase.ingestion.abono / phase.ingestion.raw;
  const checkShare = (phase: Phase) => phase.check.p99 / Math.max(phase.bare.p99, 1);
  console.log(
    `\nRatios are to the ${number.format(first.events)}-event figures; "vs baseline" divides each figure by its own baseline first.\n`,
  );
  console.log(
    "| usage events | usage_events on disk | database | seed + VACUUM ANALYZE | ingestion events/s (raw insert) | ingestion vs first | vs first, per baseline | check p50 / p99 ms (bare route) | check p99 vs first | vs first, per baseline |",
  );
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const phase of phases) {
    console.log(
      `| ${number.format(phase.events)} | ${formatBytes(phase.eventBytes)} | ${formatBytes(phase.databaseBytes)} | ${phase.seedSeconds.toFixed(0)} s + ${phase.vacuumSeconds.toFixed(0)} s | ${number.format(phase.ingestion.abono)} (${number.format(phase.ingestion.raw)}) | ${percent(phase.ingestion.abono, first.ingestion.abono)} | ${percent(ingestionShare(phase), ingestionShare(first))} | ${phase.check.p50} / ${phase.check.p99} (${phase.bare.p50} / ${phase.bare.p99}) | ${percent(phase.check.p99, first.check.p99)} | ${percent(checkShare(phase), checkShare(first))} |`,
    );
  }
}

await main();
