import type { z } from "zod";
import type { Config } from "../config.ts";
import type { Database } from "../db/database.ts";
import type { Logger } from "../logger.ts";
import type { PaymentProviders } from "../payments/payment-providers.ts";
import type { TaxCalculator } from "../taxes/tax-calculator.ts";

/** What every job handler receives besides its payload; wired once in `startWorker`. */
export interface JobDependencies {
  db: Database;
  config: Config;
  logger: Logger;
  providers: PaymentProviders;
  taxCalculator: TaxCalculator;
  /** The system's "now" (the server's clock; tests pin it). Organizations' times come from their clocks. */
  clock: () => Date;
}

export interface JobContext extends JobDependencies {
  jobId: string;
  attempt: number;
}

export interface JobDefinition<Payload extends z.ZodType = z.ZodType> {
  /** The task identifier in graphile-worker, e.g. `billing.renew`. */
  name: string;
  payload: Payload;
  maxAttempts?: number;
  handler(args: { payload: z.output<Payload>; context: JobContext }): Promise<void>;
}

/** A typed job: name → zod payload → one handler. */
export function defineJob<Payload extends z.ZodType>(
  definition: JobDefinition<Payload>,
): JobDefinition<Payload> {
  return definition;
}
