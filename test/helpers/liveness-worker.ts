/**
 * A separate process running one graphile worker with liveness, whose only job (`test.liveness_probe`)
 * announces itself and never finishes: killing this process leaves the job locked by a worker that is
 * really gone. Run with `node --import tsx test/helpers/liveness-worker.ts` and DATABASE_URL set.
 */
import { z } from "zod";
import type { Config } from "../../src/config.ts";
import { openDatabase } from "../../src/db/database.ts";
import { defineJob } from "../../src/jobs/job.ts";
import { startWorker } from "../../src/jobs/worker.ts";
import { startWorkerLiveness } from "../../src/jobs/worker-liveness.ts";
import { createLogger } from "../../src/logger.ts";
import type { PaymentProviders } from "../../src/payments/payment-providers.ts";
import type { TaxCalculator } from "../../src/taxes/tax-calculator.ts";

const livenessProbeJob = defineJob({
  name: "test.liveness_probe",
  payload: z.object({ label: z.string() }),
  maxAttempts: 5,
  async handler({ payload, context }) {
    console.log(`took ${payload.label} as job ${context.jobId}`);
    await new Promise(() => {});
  },
});

const { pool, db } = openDatabase({
  connectionString: process.env.DATABASE_URL ?? "",
  maxConnections: 4,
});
const logger = createLogger({ level: "warn" });
const liveness = await startWorkerLiveness({ pool, logger });
await startWorker({
  pool,
  liveness,
  jobs: [livenessProbeJob],
  concurrency: 1,
  pollIntervalMs: 50,
  dependencies: {
    db,
    logger,
    clock: () => new Date(),
    config: {} as Config,
    providers: {} as PaymentProviders,
    taxCalculator: {} as TaxCalculator,
  },
});
console.log("liveness worker ready");
