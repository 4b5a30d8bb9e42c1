import { and, desc, eq, lte, sql } from "drizzle-orm";
import { z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import type { BillingServices } from "../billing/billing-operation.ts";
import type { Database } from "../db/database.ts";
import { invoices, organizations, subscriptions } from "../db/schema/index.ts";
import { type EventType, publishEvent } from "../events/publish-event.ts";
import { getInvoice } from "../invoicing/invoices.ts";
import { enqueueJobs } from "../jobs/enqueue-job.ts";
import { defineJob } from "../jobs/job.ts";
import {
  enqueueBatchSize,
  maxDuePerPass,
  queueForScope,
  type ScheduledTask,
  type SchedulerScope,
} from "../jobs/scheduler.ts";
import { addDays } from "../time/index.ts";
import { runSubscriptionOperation } from "./run-subscription-operation.ts";
import { fallBackToFreePlan, setEntitlement } from "./subscription-records.ts";
import { subscriptionView } from "./subscription-view.ts";

const actor = "system:dunning";

/**
 * Dunning: retries the open renewal invoice of a `past_due` subscription on the configured days after
 * the first failure (default 1, 3 and 5). A success makes it `active` again; after the last failed retry
 * the subscription is `canceled`, the invoice `uncollectible`, and the organization falls back to the
 * free plan. Keyed by (subscription, attempt time), so a repeated job does nothing.
 */
export async function retrySubscriptionPayment({
  services,
  subscriptionId,
  attemptAt,
  systemNow,
}: {
  services: BillingServices;
  subscriptionId: string;
  attemptAt: Date;
  systemNow: Date;
}): Promise<"recovered" | "retry_scheduled" | "canceled" | "skipped"> {
  return runSubscriptionOperation({
    services,
    subscriptionId,
    systemNow,
    actor,
    async operation({ tx, organization, now, queueName, chargeOrKeepOpen, subscription }) {
      if (
        subscription.status !== "past_due" ||
        subscription.nextPaymentAttemptAt?.getTime() !== attemptAt.getTime() ||
        attemptAt > now
      ) {
        return "skipped";
      }
      const organizationId = organization.id;
      // The attempt happens now (a late run is late); a test clock that jumped ahead simulates the time
      // in between, so its attempts happen at their scheduled instants.
      const at = organization.testClockId === null ? now : attemptAt;
      const [open] = await tx
        .select({ id: invoices.id })
        .from(invoices)
        .where(and(eq(invoices.subscriptionId, subscriptionId), eq(invoices.status, "open")))
        .orderBy(desc(invoices.createdAt))
        .limit(1);
      const before = await subscriptionView({ executor: tx, subscription });
      const paid = open
        ? await chargeOrKeepOpen(await getInvoice({ executor: tx, invoiceId: open.id }), at)
        : true;
      const attempts = subscription.paymentAttempts + 1;
      // Retries come 1, 3 and 5 days after the first failure by default, each spaced from the attempt
      // before it as it really happened: a late attempt pushes the next ones back instead of bunching them.
      const retryDays = services.config.lifecycle.dunningRetryDays;
      const nextRetryDays = retryDays[attempts - 1];
      const nextAttemptAt =
        nextRetryDays === undefined
          ? null
          : addDays({
              date: at,
              days: Math.max(nextRetryDays - (retryDays[attempts - 2] ?? 0), 0),
            });
      const outcome = paid ? "recovered" : nextAttemptAt ? "retry_scheduled" : "canceled";
      const changes = {
        recovered: {
          status: "active",
          pastDueSince: null,
          paymentAttempts: 0,
          nextPaymentAttemptAt: null,
        },
        retry_scheduled: { paymentAttempts: attempts, nextPaymentAttemptAt: nextAttemptAt },
        canceled: {
          status: "canceled",
          canceledAt: at,
          endedAt: at,
          paymentAttempts: attempts,
          nextPaymentAttemptAt: null,
        },
      } as const;

      const [after] = await tx
        .update(subscriptions)
        .set({ ...changes[outcome], updatedAt: at })
        .where(eq(subscriptions.id, subscriptionId))
        .returning();
      if (outcome === "recovered") {
        await setEntitlement({
          executor: tx,
          organizationId,
          planId: subscription.planId,
          planVersion: subscription.planVersion,
          status: "active",
          trialEndsAt: null,
          graceEndsAt: null,
          source: "subscription",
          now: at,
        });
      }
      if (outcome === "canceled") {
        if (open) {
          await tx
            .update(invoices)
            .set({ status: "uncollectible" })
            .where(eq(invoices.id, open.id));
        }
        await fallBackToFreePlan({
          executor: tx,
          organizationId,
          freePlanId: services.config.freePlanId,
          now: at,
        });
      }
      await recordAudit({
        executor: tx,
        entry: {
          action: `subscription.dunning_${outcome}`,
          actor,
          organizationId,
          before,
          after: after ? await subscriptionView({ executor: tx, subscription: after }) : null,
          metadata: { invoiceId: open?.id ?? null, attempt: attempts },
        },
        now: at,
      });
      await publishEvent({
        executor: tx,
        type: outcomeEvents[outcome],
        organizationId,
        data: { subscriptionId, invoiceId: open?.id ?? null, attempt: attempts, outcome },
        now: at,
        queueName,
      });
      return outcome;
    },
  });
}

const outcomeEvents = {
  recovered: "subscription.recovered",
  retry_scheduled: "subscription.past_due",
  canceled: "subscription.canceled",
} as const satisfies Record<string, EventType>;

export const retryPaymentJob = defineJob({
  name: "subscription.retry_payment",
  payload: z.object({ subscriptionId: z.string(), attemptAt: z.iso.datetime() }),
  async handler({ payload, context }) {
    await retrySubscriptionPayment({
      services: context,
      subscriptionId: payload.subscriptionId,
      attemptAt: new Date(payload.attemptAt),
      systemNow: new Date(),
    });
  },
});

/** Past-due subscriptions whose next payment attempt is due. */
export async function findDueRetries({
  db,
  now,
  scope,
}: {
  db: Database;
  now: Date;
  scope: SchedulerScope;
}): Promise<{ subscriptionId: string; attemptAt: Date }[]> {
  const due = await db
    .select({ id: subscriptions.id, attemptAt: subscriptions.nextPaymentAttemptAt })
    .from(subscriptions)
    .innerJoin(organizations, eq(organizations.id, subscriptions.organizationId))
    .where(
      and(
        eq(subscriptions.status, "past_due"),
        lte(subscriptions.nextPaymentAttemptAt, now),
        sql`${organizations.testClockId} is not distinct from ${scope.testClockId}`,
      ),
    )
    .orderBy(subscriptions.nextPaymentAttemptAt)
    .limit(maxDuePerPass);
  return due.flatMap((row) =>
    row.attemptAt ? [{ subscriptionId: row.id, attemptAt: row.attemptAt }] : [],
  );
}

/** The dunning task: one retry job per due attempt. */
export const dunningTask: ScheduledTask = {
  name: "subscriptions.dunning",
  async run({ db, now, scope }) {
    const retries = await findDueRetries({ db, now, scope });
    for (let start = 0; start < retries.length; start += enqueueBatchSize) {
      await enqueueJobs(
        db,
        retryPaymentJob,
        retries.slice(start, start + enqueueBatchSize).map((entry) => ({
          payload: {
            subscriptionId: entry.subscriptionId,
            attemptAt: entry.attemptAt.toISOString(),
          },
          options: {
            jobKey: `retry:${entry.subscriptionId}:${entry.attemptAt.toISOString()}`,
            queueName: queueForScope(scope),
          },
        })),
      );
    }
    return retries.length;
  },
};
