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
    // Each unit reports what it committed itself: a subscription renewed by another run meanwhile, or
    // whose organization another operation holds, counts nothing here (and the next pass sees it again).
    const units: (() => Promise<Committed>)[] = [];
    for (let start = 0; start < plain.length; start += renewalBatchSize) {
      const due = plain.slice(start, start + renewalBatchSize);
      units.push(async () => {
        const outcome = await renewBatch({ services, due, systemNow: clock() });
        return { renewals: outcome.renewed + outcome.pastDue, retries: 0 };
      });
    }
    for (const entry of single) {
      units.push(async () => {
        const outcome = await renewSubscription({
          services,
          subscriptionId: entry.subscriptionId,
          dueAt: entry.dueAt,
          systemNow: clock(),
        });
        return { renewals: outcome === "renewed" || outcome === "past_due" ? 1 : 0, retries: 0 };
      });
    }
    for (const entry of dueRetries) {
      units.push(async () => {
        const outcome = await retrySubscriptionPayment({
          services,
          subscriptionId: entry.subscriptionId,
          attemptAt: entry.attemptAt,
          systemNow: clock(),
        });
        return { renewals: 0, retries: outcome === "skipped" ? 0 : 1 };
      });
    }
    if (units.length === 0) break;
    const committed = await runWithConcurrency({ units, concurrency });
    renewals += committed.renewals;
    retries += committed.retries;
    logger.info(
      {
        pass: passes,
        due: plain.length + single.length + dueRetries.length,
        renewals: committed.renewals,
        retries: committed.retries,
      },
      "billing run pass finished",
    );
    if (passes > 1000) throw new Error("The billing run did not settle after 1000 passes");
  }
  return { passes, renewals, retries, durationMs: performance.now() - started };
}

/** What one unit of the run committed: invoices issued by renewals, and payment retries made. */
interface Committed {
  renewals: number;
  retries: number;
}

async function runWithConcurrency({
  units,
  concurrency,
}: {
  units: (() => Promise<Committed>)[];
  concurrency: number;
}): Promise<Committed> {
  const total: Committed = { renewals: 0, retries: 0 };
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, units.length) }, async () => {
    while (next < units.length) {
      const unit = units[next];
      next += 1;
      if (!unit) continue;
      const committed = await unit();
      total.renewals += committed.renewals;
      total.retries += committed.retries;
    }
  });
  await Promise.all(lanes);
  return total;
}
