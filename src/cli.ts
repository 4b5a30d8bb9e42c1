import { parseArgs } from "node:util";
import { createApiKey } from "./auth/api-keys.ts";
import { runBillingCycle } from "./billing/run-billing-cycle.ts";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { connect } from "./db/connect.ts";
import { migrateDatabase } from "./db/migrate.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createPaymentProviders } from "./payments/payment-providers.ts";
import { isCatalogEmpty, seeds } from "./seeds/seed-demo.ts";
import { startServer } from "./server.ts";

const usage = `Usage: abono <command>

Commands:
  serve                 Run migrations, then the API, the worker and the scheduler (default)
  worker                Run migrations, then only the worker and the scheduler
  migrate               Apply database migrations and exit
  keys create --root [--name <name>]
  keys create --organization <orgId> [--name <name>]
                        Create an API key and print its secret once
  billing-run [--concurrency <n>]
                        Renew every due subscription and retry due payments now, then exit
  seed demo             Load the demo catalog (plans, add-ons, packs, coupons); safe to repeat
  audit verify [--anchor <seq>:<hash>]
                        Check the audit trail's hash chain; exit 1 at the first broken link
  help                  Show this help

Configuration comes from environment variables; see README.md.`;

async function main(argv: string[]): Promise<number> {
  const [command = "serve", ...rest] = argv;
  if (command === "help" || command === "--help" || command === "-h") {
    console.log(usage);
    return 0;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  switch (command) {
    case "serve":
      return serve({ config, logger, http: true });
    case "worker":
      return serve({ config, logger, http: false });
    case "migrate":
      return migrate({ config, logger });
    case "keys":
      return keys({ config, logger, args: rest });
    case "billing-run":
      return billingRun({ config, logger, args: rest });
    case "seed":
      return seed({ config, logger, name: rest[0] });
    case "audit":
      return (await import("./audit/audit-command.ts")).auditCommand({
        config,
        logger,
        args: rest,
      });
    default:
      console.error(`Unknown command "${command}".\n\n${usage}`);
      return 2;
  }
}

async function serve({ config, logger, http }: { config: Config; logger: Logger; http: boolean }) {
  const server = await startServer({
    config,
    logger,
    http,
    onRootKeyGenerated: (secret) => {
      console.log(
        [
          "",
          "  A root API key was generated. It is shown only this once; store it now:",
          "",
          `    ${secret}`,
          "",
          "  Use it as `Authorization: Bearer <key>`. Set ABONO_ROOT_API_KEY to choose your own.",
          "",
        ].join("\n"),
      );
    },
  });
  if (await isCatalogEmpty(server.connection.db)) {
    console.log(
      "\n  The catalog is empty. Load a demo catalog (plans free … enterprise, add-ons, packs, coupons) with:\n\n    npx abono seed demo\n",
    );
  }
  logger.info(
    { url: server.url, testMode: config.testMode, embedded: server.connection.embedded !== null },
    http ? `Abono is listening on ${server.url}` : "Abono worker is running",
  );
  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn(`Received ${signal} again; exiting without waiting`);
        process.exit(1);
      }
      stopping = true;
      logger.info(`Received ${signal}; draining HTTP, stopping the worker and the database`);
      server.stop().then(
        () => {
          logger.info("Stopped cleanly");
          resolve(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, "Shutdown failed");
          resolve(1);
        },
      );
    };
    process.on("SIGINT", shutdown);
    process.on("SIGTERM", shutdown);
  });
}

async function migrate({ config, logger }: { config: Config; logger: Logger }) {
  const connection = await connect({ config, logger, maxConnections: 2 });
  try {
    await migrateDatabase(connection);
    logger.info("Migrations applied");
    return 0;
  } finally {
    await connection.close();
  }
}

async function keys({ config, logger, args }: { config: Config; logger: Logger; args: string[] }) {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      root: { type: "boolean", default: false },
      organization: { type: "string" },
      name: { type: "string" },
    },
  });
  if (positionals[0] !== "create" || values.root === Boolean(values.organization)) {
    console.error(
      "Usage: abono keys create --root [--name <name>]\n       abono keys create --organization <orgId> [--name <name>]",
    );
    return 2;
  }
  const connection = await connect({ config, logger, maxConnections: 2 });
  try {
    await migrateDatabase(connection);
    const { key, secret } = await createApiKey({
      executor: connection.db,
      name: values.name ?? (values.root ? "Root key (CLI)" : `Key for ${values.organization}`),
      keyScope: values.organization
        ? { scope: "organization", organizationId: values.organization }
        : { scope: "root" },
      createdBy: "cli",
      now: new Date(),
    });
    console.log(
      `Created ${key.scope} key ${key.id}. Its secret is shown only once:\n\n  ${secret}\n`,
    );
    return 0;
  } finally {
    await connection.close();
  }
}

const seconds = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });

async function billingRun({
  config,
  logger,
  args,
}: {
  config: Config;
  logger: Logger;
  args: string[];
}) {
  const { values } = parseArgs({ args, options: { concurrency: { type: "string" } } });
  const concurrency = values.concurrency
    ? Number.parseInt(values.concurrency, 10)
    : config.workerConcurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    console.error("--concurrency must be a whole number ≥ 1");
    return 2;
  }
  const connection = await connect({ config, logger, maxConnections: concurrency + 4 });
  try {
    await migrateDatabase(connection);
    const report = await runBillingCycle({
      services: {
        db: connection.db,
        config,
        logger,
        providers: createPaymentProviders({ config }),
      },
      concurrency,
      logger,
    });
    console.log(
      `Billing run finished: ${report.renewals} renewals and ${report.retries} payment retries in ${report.passes} passes, ${seconds.format(report.durationMs / 1000)} s.`,
    );
    return 0;
  } finally {
    await connection.close();
  }
}

async function seed({
  config,
  logger,
  name,
}: {
  config: Config;
  logger: Logger;
  name: string | undefined;
}) {
  const available = Object.keys(seeds);
  if (name === undefined || !Object.hasOwn(seeds, name)) {
    console.error(`Usage: abono seed <name>   (available: ${available.join(", ")})`);
    return 2;
  }
  const connection = await connect({ config, logger, maxConnections: 2 });
  try {
    await migrateDatabase(connection);
    const report = await seeds[name as keyof typeof seeds]({ db: connection.db, now: new Date() });
    console.log(
      `Seed "${name}": created ${report.created.length}, already present ${report.skipped.length}.`,
    );
    for (const entry of report.created) console.log(`  + ${entry}`);
    return 0;
  } finally {
    await connection.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // An option parseArgs does not know, or one missing its value: a usage error, not a crash.
    if (String((error as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS_")) {
      console.error(`${(error as Error).message}\n\n${usage}`);
      process.exit(2);
    }
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
