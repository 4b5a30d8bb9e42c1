import { and, eq, inArray } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { BillingServices } from "../billing/billing-operation.ts";
import { isTransientError } from "../billing/is-transient-error.ts";
import { organizationEntitlements, subscriptions } from "../db/schema/index.ts";
import { enqueueJob } from "../jobs/enqueue-job.ts";
import { queueForScope } from "../jobs/scheduler.ts";
import { adminRenewalFailedJob } from "../notifications/renewal-notifications.ts";
import { lockOrganization } from "../organizations/lock-organization.ts";
import { addDays } from "../time/index.ts";
import { type DueRenewal, renewBatch } from "./renew-batch.ts";
import { renewSubscription } from "./renew-subscription.ts";
import { organizationOfSubscription } from "./subscription-records.ts";

const actor = "system:renewal";

/** The first retry of a failed renewal comes this long after it; each further one waits twice as long. */
export const renewalRetryBaseMs = 5 * 60_000;
/** …up to once a day. */
export const renewalRetryMaxMs = 24 * 60 * 60_000;

/** How long to wait after the `attempts`-th failed attempt before the next one (pure). */
export function renewalRetryDelayMs(attempts: number): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  return Math.min(renewalRetryBaseMs * 2 ** exponent, renewalRetryMaxMs);
}

/** What a failed renewal keeps on record: short enough for a column and a notification. */
function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 1000 ? `${message.slice(0, 1000)}…` : message;
}

export type RenewalOutcome = Awaited<ReturnType<typeof renewSubscription>> | "failed";

/**
 * One renewal, with its failure handled: a transient failure (lost connection, serialization failure,
 * provider outage) is thrown again for the caller to retry; any other is recorded on the subscription
 * (`recordRenewalFailure`) and answered `failed`, so nothing retries it before its backoff.
 */
export async function renewOrRecordFailure({
  services,
  subscriptionId,
  dueAt,
  systemNow,
}: {
  services: BillingServices;
  subscriptionId: string;
  dueAt: Date;
  systemNow: Date;
}): Promise<RenewalOutcome> {
  try {
    return await renewSubscription({ services, subscriptionId, dueAt, systemNow });
  } catch (error) {
    if (isTransientError(error)) throw error;
    await recordRenewalFailure({ services, subscriptionId, dueAt, error, systemNow });
    return "failed";
  }
}

/**
 * A batch of plain renewals, with failures handled: when the batch fails for a non-transient reason (one
 * subscription whose invoice cannot be made rolls the whole batch back), each of its renewals runs again
 * on its own, so the others renew and only the failing ones are recorded.
 */
export async function renewBatchOrRecordFailures({
  services,
  due,
  systemNow,
}: {
  services: BillingServices;
  due: readonly DueRenewal[];
  systemNow: Date;
}): Promise<{ renewed: number; pastDue: number; failed: number }> {
  try {
    const { renewed, pastDue } = await renewBatch({ services, due, systemNow });
    return { renewed, pastDue, failed: 0 };
  } catch (error) {
    if (isTransientError(error)) throw error;
    services.logger.warn(
      { err: error, renewals: due.length },
      "a renewal batch failed; renewing its subscriptions one by one",
    );
    const counts = { renewed: 0, pastDue: 0, failed: 0 };
    for (const entry of due) {
      const outcome = await renewOrRecordFailure({ services, ...entry, systemNow });
      if (outcome === "renewed") counts.renewed += 1;
      if (outcome === "past_due") counts.pastDue += 1;
      if (outcome === "failed") counts.failed += 1;
    }
    return counts;
  }
}

/**
 * Records a renewal that failed for a reason a retry will not fix by itself, in one transaction under the
 * organization's lock: the subscription is flagged (`renewal_failed_at`, `renewal_error`,
 * `renewal_attempts`) and its next attempt put off with exponential backoff (`next_renewal_attempt_at`,
 * which the scheduler's due-renewal query respects); an audit entry `subscription.renewal_errored`; the
 * operators are notified on the first failure and whenever the error changes. Access: the subscription
 * keeps its status (no invoice was made, so there is nothing to dun), but the entitlement becomes
 * `past_due` with the configured grace period from the first failure, so a renewal that keeps failing
 * does not give the service away: past the grace period the organization has the free plan's features,
 * as any past-due organization. The renewal that eventually succeeds clears all of it.
 */
export async function recordRenewalFailure({
  services,
  subscriptionId,
  dueAt,
  error,
  systemNow,
}: {
  services: BillingServices;
  subscriptionId: string;
  dueAt: Date;
  error: unknown;
  systemNow: Date;
}): Promise<void> {
  const { db, config, logger } = services;
  const message = describeError(error);
  logger.error({ err: error, subscriptionId, dueAt }, "renewal failed; recorded for an operator");
  const organizationId = await organizationOfSubscription({ executor: db, subscriptionId });
  if (organizationId === null) return;
  await db.transaction(async (tx) => {
    const { organization, now } = await lockOrganization({ tx, organizationId, systemNow });
    const [subscription] = await tx
      .select()
      .from(subscriptions)
      .where(eq(subscriptions.id, subscriptionId));
    // Renewed or changed meanwhile (by another process): that boundary's failure is history.
    if (
      !subscription ||
      (subscription.status !== "active" && subscription.status !== "trialing") ||
      subscription.currentPeriodEnd.getTime() !== dueAt.getTime()
    ) {
      return;
    }
    const attempts = subscription.renewalAttempts + 1;
    const nextAttemptAt = new Date(now.getTime() + renewalRetryDelayMs(attempts));
    const firstFailedAt = subscription.renewalFailedAt ?? now;
    await tx
      .update(subscriptions)
      .set({
        renewalFailedAt: firstFailedAt,
        renewalError: message,
        renewalAttempts: attempts,
        nextRenewalAttemptAt: nextAttemptAt,
      })
      .where(eq(subscriptions.id, subscriptionId));
    await tx
      .update(organizationEntitlements)
      .set({
        status: "past_due",
        graceEndsAt: addDays({ date: firstFailedAt, days: config.lifecycle.pastDueGraceDays }),
        updatedAt: now,
      })
      .where(
        and(
          eq(organizationEntitlements.organizationId, organization.id),
          eq(organizationEntitlements.source, "subscription"),
          inArray(organizationEntitlements.status, ["active", "trialing"]),
        ),
      );
    await recordAudit({
      executor: tx,
      entry: {
        action: "subscription.renewal_errored",
        actor,
        organizationId: organization.id,
        reason: message,
        metadata: {
          subscriptionId,
          dueAt,
          attempt: attempts,
          firstFailedAt,
          nextAttemptAt,
        },
      },
      now,
    });
    if (attempts === 1 || subscription.renewalError !== message) {
      await enqueueJob(
        tx,
        adminRenewalFailedJob,
        { subscriptionId, attempt: attempts },
        { queueName: queueForScope({ testClockId: organization.testClockId }) },
      );
    }
  });
}
