/**
 * Renewal throughput: seeds N subscriptions due at one instant, runs the billing run (`abono billing-run`:
 * set-based batches, sandbox provider), and prints renewals per second and the cost per renewal. Beside it, in the same run
 * and database, two baselines: the very rows the renewals wrote, written again for a second cohort with
 * set-based SQL and nothing else (`--write-chunk` organizations per transaction, the same concurrency:
 * the physical limit, see renewal-baseline.ts; "run/limit" is the run's speed as a share of it), and the
 * same number of no-op jobs through the same worker (what the queue alone costs; at most `--noop-jobs`,
 * 100,000 by default: a million queued no-op jobs measure a queue table far larger than any the billing
 * run makes, which queues one job per 100 renewals).
 *
 *   npx tsx bench/renewals.ts [sizes…] [--concurrency 8] [--write-chunk 100] [--noop-jobs 100000] [--profile] [--cpu-prof dir]
 *   (default sizes: 10000 100000)
 *
 * "stmts/each" counts the statements the run sent per renewal (triggers' own work not counted). With
 * `--profile`, it also prints the time the run's statements took by kind and what the database's
 * backends were doing during the run (sampled every 20 ms: running, or waiting and on what). With
 * `--cpu-prof dir`, this process's CPU profile of the run alone (not the seeding or the baselines) is
 * written to `dir/renewals-<size>.cpuprofile` (open it in Chrome's DevTools or speedscope).
 *
 * Uses DATABASE_URL's server when set, else an embedded PostgreSQL in a temporary directory.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { runBillingCycle } from "../src/billing/run-billing-cycle.ts";
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/db/database.ts";
import { migrateDatabase } from "../src/db/migrate.ts";
import { enqueueJobs } from "../src/jobs/enqueue-job.ts";
import { defineJob } from "../src/jobs/job.ts";
import { waitForJobs } from "../src/jobs/wait-for-jobs.ts";
import { startWorker } from "../src/jobs/worker.ts";
import { createLogger } from "../src/logger.ts";
import { createPaymentProviders } from "../src/payments/payment-providers.ts";
import { createManualTaxCalculator } from "../src/taxes/manual-tax-calculator.ts";
import { startBenchPostgres } from "./bench-database.ts";
import { machineLine } from "./machine.ts";
import { prepareRenewalBaseline } from "./renewal-baseline.ts";
import { seedDueSubscriptions } from "./seed-due-subscriptions.ts";
import { seedPlusPlan } from "./seed-plus-plan.ts";
import { profileStatements, sampleWaits } from "./statement-profile.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    concurrency: { type: "string", default: "8" },
    "write-chunk": { type: "string", default: "100" },
    "noop-jobs": { type: "string", default: "100000" },
    profile: { type: "boolean", default: false },
    "cpu-prof": { type: "string" },
  },
});
const sizes = positionals.length > 0 ? positionals.map(Number) : [10_000, 100_000];
const concurrency = Number(values.concurrency);
const writeChunk = Number(values["write-chunk"]);
const noopJobs = Number(values["noop-jobs"]);
const loadLine = () =>
  os
    .loadavg()
    .map((load) => load.toFixed(1))
    .join(" ");

const noop = defineJob({
  name: "bench.noop",
  payload: z.object({ index: z.number() }),
  async handler() {},
});

const format = new Intl.NumberFormat("en", { maximumFractionDigits: 2 });

async function main() {
  const postgres = await startBenchPostgres();
  const logger = createLogger({ level: "warn" });
  console.log(`${machineLine()}; worker concurrency ${concurrency}`);
  console.log(
    `size      renewals/s   ms/each stmts/each | set-based writes/s ms/each  run/limit | no-op jobs/s  ms/each   (writes: ${writeChunk} organizations per transaction)`,
  );
  for (const size of sizes) {
    const database = await postgres.createDatabase();
    const connection = {
      ...openDatabase({ connectionString: database.url, maxConnections: concurrency + 6 }),
      embedded: null,
    };
    try {
      await migrateDatabase(connection);
      const config = loadConfig({
        DATABASE_URL: database.url,
        ABONO_TEST_MODE: "true",
        ABONO_LOG_LEVEL: "warn",
      });
      const db = connection.db;
      const now = new Date();
      await seedPlusPlan({ db, now });
      const dueAt = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
      const periodStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
      await seedDueSubscriptions({
        db,
        count: size,
        planId: "plus",
        periodStart,
        dueAt,
        triggers: false,
      });
      // The baseline's cohort: seeded alike, but not due (the run leaves it alone).
      const notDue = new Date(Date.UTC(now.getUTCFullYear() + 1, now.getUTCMonth(), 1));
      await seedDueSubscriptions({
        db,
        count: size,
        planId: "plus",
        periodStart,
        dueAt: notDue,
        prefix: "base",
        triggers: false,
      });

      // Baseline: the same number of no-op jobs through the same worker.
      const baselineWorker = await startWorker({
        pool: connection.pool,
        jobs: [noop],
        concurrency,
        pollIntervalMs: 100,
        dependencies: {
          db,
          config,
          logger,
          providers: createPaymentProviders({ config }),
          taxCalculator: createManualTaxCalculator(),
          clock: () => new Date(),
        },
      });
      const noops = Math.min(size, noopJobs);
      const baselineStart = performance.now();
      for (let start = 0; start < noops; start += 2000) {
        await enqueueJobs(
          db,
          noop,
          Array.from({ length: Math.min(2000, noops - start) }, (_, index) => ({
            payload: { index: start + index },
          })),
        );
      }
      await waitForJobs({ db, queueName: null, deadline: Number.POSITIVE_INFINITY });
      const baselineMs = performance.now() - baselineStart;
      await baselineWorker.stop();

      const statements = profileStatements();
      const waits = values.profile ? sampleWaits({ url: database.url }) : null;
      const inspector = values["cpu-prof"] ? new Session() : null;
      if (inspector) {
        inspector.connect();
        await inspector.post("Profiler.enable");
        await inspector.post("Profiler.start");
      }
      statements.start();
      const cpuBefore = process.cpuUsage();
      const report = await runBillingCycle({
        services: {
          db,
          config,
          logger,
          providers: createPaymentProviders({ config }),
          taxCalculator: createManualTaxCalculator(),
        },
        concurrency,
        logger,
      });
      const cpu = process.cpuUsage(cpuBefore);
      const profile = statements.stop();
      if (inspector && values["cpu-prof"]) {
        const { profile: cpuProfile } = await inspector.post("Profiler.stop");
        inspector.disconnect();
        await mkdir(values["cpu-prof"], { recursive: true });
        const file = path.join(values["cpu-prof"], `renewals-${size}.cpuprofile`);
        await writeFile(file, JSON.stringify(cpuProfile));
        console.log(`  CPU profile of the run: ${file}`);
      }
      const waited = waits ? await waits.stop() : [];
      const { rows } = await db.execute<{ invoices: number }>(
        sql`select count(*)::int as invoices from invoices where billing_reason = 'subscription_cycle' and status = 'paid'`,
      );
      const renewed = rows[0]?.invoices ?? 0;
      if (renewed !== size) throw new Error(`expected ${size} renewals, found ${renewed}`);

      const rate = (ms: number, count = size) => format.format((count / ms) * 1000).padStart(10);
      const per = (ms: number, count = size) => format.format(ms / count).padStart(6);
      // The run's own figures at once (the baseline after it takes as long again).
      process.stdout.write(
        `${String(size).padEnd(9)} ${rate(report.durationMs)}   ${per(report.durationMs)} ${format.format(profile.statements / size).padStart(10)} | `,
      );

      // Baseline 2: the same rows written again with set-based SQL only (bench/renewal-baseline.ts).
      const writes = await prepareRenewalBaseline({
        pool: connection.pool,
        from: "bench",
        to: "base",
        chunkSize: writeChunk,
        issuer: config.invoicePrefix,
      });
      const writesMs = await writes.run(concurrency);
      const { rows: written } = await db.execute<{ invoices: number }>(
        sql`select count(*)::int as invoices from invoices where billing_reason = 'subscription_cycle' and status = 'paid' and organization_id like 'base-%'`,
      );
      if (written[0]?.invoices !== size)
        throw new Error(`the baseline wrote ${written[0]?.invoices} invoices, not ${size}`);
      console.log(
        `${rate(writesMs)}   ${per(writesMs)}   ${format.format((writesMs / report.durationMs) * 100).padStart(5)} %   | ${rate(baselineMs, noops)}   ${per(baselineMs, noops)}${noops < size ? ` (${format.format(noops)} jobs)` : ""}   (run ${format.format(report.durationMs / 1000)} s, load ${loadLine()})`,
      );
      if (values.profile) {
        console.log(
          `  this process's CPU during the run: ${format.format((cpu.user + cpu.system) / 1000 / size)} ms per renewal (${format.format(((cpu.user + cpu.system) / 1000 / report.durationMs) * 100)} % of one core; user ${format.format(cpu.user / 1000 / size)}, system ${format.format(cpu.system / 1000 / size)})`,
        );
        console.log("  statements of the run, by kind (count per renewal, total ms per renewal):");
        for (const entry of profile.byKind.slice(0, 25)) {
          console.log(
            `    ${entry.kind.padEnd(44)} ${format.format(entry.count / size).padStart(8)} ${format.format(entry.ms / size).padStart(8)}`,
          );
        }
        console.log("  the database's active backends during the run (share of samples):");
        for (const entry of waited.slice(0, 12)) {
          console.log(
            `    ${entry.state.padEnd(44)} ${format.format(entry.share * 100).padStart(6)} %`,
          );
        }
      }
    } finally {
      await connection.close();
      await database.drop();
    }
  }
  await postgres.stop();
}

await main();
