import { and, desc, eq, lte, sql } from "drizzle-orm";
import { z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import { type BillingServices, runBillingOperation } from "../billing/billing-operation.ts";
import type { Database } from "../db/database.ts";
import { invoices, organizations, subscriptions } from "../db/schema/index.ts";
import { publishEvent } from "../events/publish-event.ts";
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
import {
  fallBackToFreePlan,
  organizationOfSubscription,
  setEntitlement,
} from "./subscription-records.ts";
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
  const organizationId = await organizationOfSubscription({
    executor: services.db,
    subscriptionId,
  });
  if (organizationId === null) return "skipped";
  return runBillingOperation({
    services,
    organizationId,
    systemNow,
    actor,
    async operation({ tx, now, queueName, chargeOrKeepOpen }) {
      const [subscription] = await tx
        .select()
        .from(subscriptions)
        .where(eq(subscriptions.id, subscriptionId));
      if (
        subscription?.status !== "past_due" ||
        subscription.nextPaymentAttemptAt?.getTime() !== attemptAt.getTime() ||
        attemptAt > now
      ) {
        return "skipped";
      }
      const at = attemptAt;
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
      const { dunningRetryDays } = services.config.lifecycle;
      const attempts = subscription.paymentAttempts + 1;
      const nextRetryDays = dunningRetryDays[attempts - 1];
      const since = subscription.pastDueSince ?? at;

      let outcome: "recovered" | "retry_scheduled" | "canceled";
      if (paid) {
        outcome = "recovered";
        await tx
          .update(subscriptions)
          .set({
            status: "active",
            pastDueSince: null,
            paymentAttempts: 0,
            nextPaymentAttemptAt: null,
            updatedAt: at,
          })
          .where(eq(subscriptions.id, subscriptionId));
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
      } else if (nextRetryDays !== undefined) {
        outcome = "retry_scheduled";
        await tx
          .update(subscriptions)
          .set({
            paymentAttempts: attempts,
            nextPaymentAttemptAt: addDays({ date: since, days: nextRetryDays }),
            updatedAt: at,
          })
          .where(eq(subscriptions.id, subscriptionId));
      } else {
        outcome = "canceled";
        await tx
          .update(subscriptions)
          .set({
            status: "canceled",
            canceledAt: at,
            endedAt: at,
            paymentAttempts: attempts,
            nextPaymentAttemptAt: null,
            updatedAt: at,
          })
          .where(eq(subscriptions.id, subscriptionId));
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
      const [after] = await tx
        .select()
        .from(subscriptions)
        .where(eq(subscriptions.id, subscriptionId));
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
        type:
          outcome === "recovered"
            ? "subscription.recovered"
            : outcome === "canceled"
              ? "subscription.canceled"
              : "invoice.payment_failed",
        organizationId,
        data: { subscriptionId, invoiceId: open?.id ?? null, attempt: attempts, outcome },
        now: at,
        queueName,
      });
      return outcome;
    },
  });
}

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
