import type { Logger } from "../logger.ts";
import { renewBatch } from "../subscriptions/renew-batch.ts";
import {
  findDueRenewals,
  renewalBatchSize,
  renewSubscription,
} from "../subscriptions/renew-subscription.ts";
import { findDueRetries, retrySubscriptionPayment } from "../subscriptions/retry-payment.ts";
import type { BillingServices } from "./billing-operation.ts";

export interface BillingCycleReport {
  passes: number;
  renewals: number;
  retries: number;
  durationMs: number;
}

/**
 * A billing run on demand (`abono billing-run`, the benchmark, the crash test): finds due renewals and
 * payment retries of real-time organizations, as the cron's scheduler does, and runs them in this
 * process — plain renewals in set-based batches, other boundaries one by one — `concurrency` at a time,
 * pass after pass until nothing is due. Every unit is its own transaction and invoices are keyed by
 * (subscription, period), so killing the run at any point and starting it again renews each due
 * subscription exactly once. Domain events are left in the outbox for the service's worker.
 */
export async function runBillingCycle({
  services,
  concurrency,
  clock = () => new Date(),
  logger,
}: {
  services: BillingServices;
  concurrency: number;
  clock?: () => Date;
  logger: Logger;
}): Promise<BillingCycleReport> {
  const started = performance.now();
  const { db } = services;
  const scope = { testClockId: null };
  let passes = 0;
  let renewals = 0;
  let retries = 0;
  for (;;) {
    passes += 1;
    const now = clock();
    const { plain, single } = await findDueRenewals({ db, now, scope });
    const dueRetries = await findDueRetries({ db, now, scope });
    const units: (() => Promise<unknown>)[] = [];
    for (let start = 0; start < plain.length; start += renewalBatchSize) {
      const due = plain.slice(start, start + renewalBatchSize);
      units.push(() => renewBatch({ services, due, systemNow: clock() }));
    }
    for (const entry of single) {
      units.push(() =>
        renewSubscription({
          services,
          subscriptionId: entry.subscriptionId,
          dueAt: entry.dueAt,
          systemNow: clock(),
        }),
      );
    }
    for (const entry of dueRetries) {
      units.push(() =>
        retrySubscriptionPayment({
          services,
          subscriptionId: entry.subscriptionId,
          attemptAt: entry.attemptAt,
          systemNow: clock(),
        }),
      );
    }
    if (units.length === 0) break;
    await runWithConcurrency({ units, concurrency });
    renewals += plain.length + single.length;
    retries += dueRetries.length;
    logger.info(
      { pass: passes, renewals: plain.length + single.length, retries: dueRetries.length },
      "billing run pass finished",
    );
    if (passes > 1000) throw new Error("The billing run did not settle after 1000 passes");
  }
  return { passes, renewals, retries, durationMs: performance.now() - started };
}

async function runWithConcurrency({
  units,
  concurrency,
}: {
  units: (() => Promise<unknown>)[];
  concurrency: number;
}): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, units.length) }, async () => {
    while (next < units.length) {
      const unit = units[next];
      next += 1;
      if (unit) await unit();
    }
  });
  await Promise.all(lanes);
}
