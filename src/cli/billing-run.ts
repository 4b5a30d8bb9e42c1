import { type Command, InvalidArgumentError } from "commander";
import { runBillingCycle } from "../billing/run-billing-cycle.ts";
import { connect } from "../db/connect.ts";
import { migrateDatabase } from "../db/migrate.ts";
import { createPaymentProviders } from "../payments/payment-providers.ts";
import { createManualTaxCalculator } from "../taxes/manual-tax-calculator.ts";
import { exitCodes, withContext } from "./command-context.ts";

const seconds = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });

function wholeNumberAtLeastOne(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < 1) {
    throw new InvalidArgumentError("It must be a whole number ≥ 1.");
  }
  return number;
}

export function registerBillingRun(program: Command) {
  program
    .command("billing-run")
    .description("Renew every due subscription and retry due payments now, then exit")
    .option(
      "--concurrency <n>",
      "subscriptions renewed in parallel (default: ABONO_WORKER_CONCURRENCY)",
      wholeNumberAtLeastOne,
    )
    .action(
      withContext(async ({ config, logger }, options: { concurrency?: number }) => {
        const concurrency = options.concurrency ?? config.workerConcurrency;
        const connection = await connect({ config, logger, maxConnections: concurrency + 4 });
        try {
          await migrateDatabase(connection);
          const report = await runBillingCycle({
            services: {
              db: connection.db,
              config,
              logger,
              providers: createPaymentProviders({ config }),
              taxCalculator: createManualTaxCalculator(),
            },
            concurrency,
            logger,
          });
          console.log(
            `Billing run finished: ${report.renewals} renewals and ${report.retries} payment retries in ${report.passes} passes, ${seconds.format(report.durationMs / 1000)} s.`,
          );
          return exitCodes.ok;
        } finally {
          await connection.close();
        }
      }),
    );
}
