import type { Logger } from "../logger.ts";
import { findDueRenewals, renewalBatchSize } from "../subscriptions/renew-subscription.ts";
import {
  renewBatchOrRecordFailures,
  renewOrRecordFailure,
} from "../subscriptions/renewal-failures.ts";
import { findDueRetries, retrySubscriptionPayment } from "../subscriptions/retry-payment.ts";
import type { BillingServices } from "./billing-operation.ts";
import { isTransientError } from "./is-transient-error.ts";

export interface BillingCycleReport {
  passes: number;
  /** Renewal invoices this run itself committed (paid or left open for dunning). */
  renewals: number;
  /** Payment retries this run itself made. */
  retries: number;
  /** Subscriptions this run ended at their boundary (canceled at period end, annual expiry). */
  ended: number;
  /** Renewals and retries that failed: recorded for an operator, or left for a later run. */
  failed: number;
  durationMs: number;
}

/**
 * A billing run on demand (`abono billing-run`, the benchmark, the crash test): finds due renewals and
 * payment retries of real-time organizations, as the cron's scheduler does, and runs them in this
 * process — plain renewals in set-based batches, other boundaries one by one — `concurrency` at a time,
 * pass after pass until nothing is due. Every unit is its own transaction and invoices are keyed by
 * (subscription, period), so killing the run at any point and starting it again renews each due
 * subscription exactly once. The report counts what this run committed, not what it found: with another
 * run at the same time, what one commits the other skips, and the two reports add up to the invoices
 * made. A renewal that fails for good is recorded (see `recordRenewalFailure`) and waits for its backoff;
 * one that fails transiently is left for a later run, not retried in this one. Domain events are left in
 * the outbox for the service's worker.
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
  const counts = { renewals: 0, retries: 0, ended: 0, failed: 0 };
  // What failed transiently in this run: a later run (or the cron) tries it again, not the next pass.
  const leftForLater = new Set<string>();
  const failedTransiently = (subscriptionIds: readonly string[], error: unknown) => {
    for (const id of subscriptionIds) leftForLater.add(id);
    counts.failed += subscriptionIds.length;
    logger.warn(
      { err: error, subscriptionIds },
      "billing work failed transiently; left for a later run",
    );
  };
  let passes = 0;
  for (;;) {
    passes += 1;
    const now = clock();
    const found = await findDueRenewals({ db, now, scope });
    const pending = (entry: { subscriptionId: string }) => !leftForLater.has(entry.subscriptionId);
    const plain = found.plain.filter(pending);
    const single = found.single.filter(pending);
    const dueRetries = (await findDueRetries({ db, now, scope })).filter(pending);
    const units: (() => Promise<void>)[] = [];
    // A unit's transient failure leaves its subscriptions for a later run; renewals record any other
    // failure themselves (answered "failed"), so what else escapes is a fault and ends the run.
    const addUnit = (subscriptionIds: readonly string[], work: () => Promise<void>) =>
      units.push(async () => {
        try {
          await work();
        } catch (error) {
          if (!isTransientError(error)) throw error;
          failedTransiently(subscriptionIds, error);
        }
      });
    for (let start = 0; start < plain.length; start += renewalBatchSize) {
      const due = plain.slice(start, start + renewalBatchSize);
      addUnit(
        due.map((entry) => entry.subscriptionId),
        async () => {
          const result = await renewBatchOrRecordFailures({ services, due, systemNow: clock() });
          counts.renewals += result.renewed + result.pastDue;
          counts.failed += result.failed;
        },
      );
    }
    for (const entry of single) {
      addUnit([entry.subscriptionId], async () => {
        const outcome = await renewOrRecordFailure({ services, ...entry, systemNow: clock() });
        if (outcome === "renewed" || outcome === "past_due") counts.renewals += 1;
        if (outcome === "ended") counts.ended += 1;
        if (outcome === "failed") counts.failed += 1;
      });
    }
    for (const entry of dueRetries) {
      addUnit([entry.subscriptionId], async () => {
        const outcome = await retrySubscriptionPayment({ services, ...entry, systemNow: clock() });
        if (outcome !== "skipped") counts.retries += 1;
      });
    }
    if (units.length === 0) break;
    const before = { ...counts };
    await runWithConcurrency({ units, concurrency });
    logger.info(
      {
        pass: passes,
        renewals: counts.renewals - before.renewals,
        retries: counts.retries - before.retries,
        failed: counts.failed - before.failed,
      },
      "billing run pass finished",
    );
    if (passes > 1000) throw new Error("The billing run did not settle after 1000 passes");
  }
  return { passes, ...counts, durationMs: performance.now() - started };
}

async function runWithConcurrency({
  units,
  concurrency,
}: {
  units: (() => Promise<void>)[];
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
