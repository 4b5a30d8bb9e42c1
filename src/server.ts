import { ensureBootstrapRootKey } from "./auth/api-keys.ts";
import { createJwtVerifier } from "./auth/jwt.ts";
import type { Config } from "./config.ts";
import { type Connection, connect } from "./db/connect.ts";
import { migrateDatabase } from "./db/migrate.ts";
import { createEntitlementCache } from "./entitlements/entitlement-cache.ts";
import {
  createEntitlementListener,
  type EntitlementListener,
} from "./entitlements/entitlement-listener.ts";
import { buildApp } from "./http/app.ts";
import type { App, RouteModule } from "./http/app-types.ts";
import { createIdentityDirectory } from "./identity/create-directory.ts";
import type { JobDefinition } from "./jobs/job.ts";
import { scheduledTasks as defaultScheduledTasks, jobRegistry } from "./jobs/jobs.ts";
import { type ScheduledTask, schedulerCron, schedulerTickJob } from "./jobs/scheduler.ts";
import { startWorker, type Worker } from "./jobs/worker.ts";
import { startWorkerLiveness, type WorkerLiveness } from "./jobs/worker-liveness.ts";
import type { Logger } from "./logger.ts";
import { createPaymentProviders } from "./payments/payment-providers.ts";
import { createManualTaxCalculator } from "./taxes/manual-tax-calculator.ts";
import type { TaxCalculator } from "./taxes/tax-calculator.ts";
import { deliverStreamJob } from "./webhooks/deliver-stream.ts";
import { kickStreams } from "./webhooks/stream-jobs.ts";

export interface RunningServer {
  url: string | null;
  app: App | null;
  connection: Connection;
  stop(): Promise<void>;
}

/**
 * The composition root: database (embedded or DATABASE_URL) → migrations → bootstrap root key → worker and
 * scheduler → HTTP. `stop()` undoes it in reverse: HTTP drained, worker stopped, database closed, embedded
 * PostgreSQL stopped.
 */
export async function startServer({
  config,
  logger,
  http = true,
  worker: runWorker = true,
  jobs = jobRegistry,
  scheduledTasks = defaultScheduledTasks,
  extraRoutes = [],
  clock = () => new Date(),
  taxCalculator = createManualTaxCalculator(),
  onRootKeyGenerated,
}: {
  config: Config;
  logger: Logger;
  http?: boolean;
  worker?: boolean;
  jobs?: readonly JobDefinition[];
  scheduledTasks?: readonly ScheduledTask[];
  /** Additional route groups (tests). */
  extraRoutes?: readonly RouteModule[];
  clock?: () => Date;
  /** Computes invoices' taxes: the catalog's rates by default; an external tax service plugs in here. */
  taxCalculator?: TaxCalculator;
  onRootKeyGenerated: (secret: string) => void;
}): Promise<RunningServer> {
  const connection = await connect({ config, logger });
  let worker: Worker | null = null;
  let deliveryWorker: Worker | null = null;
  let liveness: WorkerLiveness | null = null;
  let app: App | null = null;
  let listener: EntitlementListener | null = null;
  let ready = false;
  try {
    await migrateDatabase(connection);
    const { generatedSecret } = await ensureBootstrapRootKey({
      db: connection.db,
      configuredSecret: config.rootApiKey,
      now: clock(),
    });
    if (generatedSecret) onRootKeyGenerated(generatedSecret);

    const providers = createPaymentProviders({ config });
    if (runWorker) {
      const dependencies = { db: connection.db, config, logger, providers, taxCalculator, clock };
      liveness = await startWorkerLiveness({
        pool: connection.pool,
        logger,
        // Workers that cannot be marked alive would look dead to other processes, whose sweeps would
        // run their jobs a second time: they stop taking jobs instead (running ones finish).
        onLost: () => {
          for (const stopping of [worker, deliveryWorker]) {
            stopping
              ?.stop()
              .catch((error) => logger.error({ err: error }, "stopping a worker failed"));
          }
        },
      });
      worker = await startWorker({
        pool: connection.pool,
        liveness,
        jobs: [...jobs, schedulerTickJob(scheduledTasks)],
        cron: [schedulerCron],
        concurrency: config.workerConcurrency,
        pollIntervalMs: config.workerPollIntervalMs,
        dependencies,
      });
      // Outbound deliveries run apart, with their own concurrency: slow or hanging receivers never hold
      // up renewals, grants or emails. Whatever a stopped or killed worker left pending resumes now.
      deliveryWorker = await startWorker({
        pool: connection.pool,
        liveness,
        jobs: [deliverStreamJob],
        concurrency: config.webhooks.concurrency,
        pollIntervalMs: config.workerPollIntervalMs,
        dependencies,
      });
      await kickStreams({ executor: connection.db, now: clock(), includeLeased: true });
    }
    let url: string | null = null;
    if (http) {
      // Feature checks are answered from memory while this LISTEN connection is up (docs/entitlements.md).
      listener = createEntitlementListener({
        connectionString: connection.pool.options.connectionString ?? "",
        logger,
      });
      const entitlementCache = createEntitlementCache({
        db: connection.db,
        pool: connection.pool,
        freePlanId: config.freePlanId,
        listener,
      });
      await listener.start();
      app = await buildApp(
        {
          config,
          db: connection.db,
          readDb: connection.replica?.db ?? connection.db,
          pool: connection.pool,
          logger,
          clock,
          isReady: () => ready,
          jwtVerifier: config.jwt ? createJwtVerifier(config.jwt) : undefined,
          scheduledTasks,
          directory: createIdentityDirectory({ config, db: connection.db, clock }),
          providers,
          taxCalculator,
          entitlementCache,
        },
        { extraRoutes },
      );
      url = await app.listen({ host: config.host, port: config.port });
    }
    ready = true;
    return {
      url,
      app,
      connection,
      async stop() {
        ready = false;
        await app?.close();
        await listener?.stop();
        await deliveryWorker?.stop();
        await worker?.stop();
        await liveness?.stop();
        await connection.close();
      },
    };
  } catch (error) {
    await app?.close().catch(() => {});
    await listener?.stop().catch(() => {});
    await deliveryWorker?.stop().catch(() => {});
    await worker?.stop().catch(() => {});
    await liveness?.stop().catch(() => {});
    await connection.close().catch(() => {});
    throw error;
  }
}
