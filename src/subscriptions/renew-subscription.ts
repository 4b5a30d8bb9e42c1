import { and, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import { z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import type { BillingServices } from "../billing/billing-operation.ts";
import { loadAddonVersions } from "../catalog/addons.ts";
import { getPlan } from "../catalog/plans.ts";
import type { Database } from "../db/database.ts";
import { invoices, organizations, subscriptions } from "../db/schema/index.ts";
import { findUnbilledOverage, markOverageBilled } from "../entitlements/overage.ts";
import { publishEvent } from "../events/publish-event.ts";
import { billingMessages } from "../i18n/billing-messages.ts";
import { invoicePeriodKey, issueInvoice, newInvoiceId } from "../invoicing/invoices.ts";
import { enqueueJobs } from "../jobs/enqueue-job.ts";
import { defineJob } from "../jobs/job.ts";
import {
  enqueueBatchSize,
  maxDuePerPass,
  queueForScope,
  type ScheduledTask,
  type SchedulerScope,
} from "../jobs/scheduler.ts";
import { addDays, nextPeriod } from "../time/index.ts";
import { buildRenewalLines } from "./build-renewal-lines.ts";
import { firstPaidPeriod } from "./first-paid-period.ts";
import { periodAddons } from "./period-addons.ts";
import { type DueRenewal, isPlainRenewal, renewBatchJob } from "./renew-batch.ts";
import { renewOrRecordFailure } from "./renewal-failures.ts";
import { runSubscriptionOperation } from "./run-subscription-operation.ts";
import { subscriptionDiscount } from "./subscription-discount.ts";
import {
  fallBackToFreePlan,
  listItems,
  markPendingItemsBilled,
  requirePrice,
  setEntitlement,
  unbilledPendingItems,
} from "./subscription-records.ts";
import { subscriptionView } from "./subscription-view.ts";

const actor = "system:renewal";

/** A renewal that went through (or ended the subscription) clears an earlier failure's record. */
const renewalFailureCleared = {
  renewalFailedAt: null,
  renewalError: null,
  renewalAttempts: 0,
  nextRenewalAttemptAt: null,
};

/**
 * Moves a subscription across the period boundary `dueAt` (a period end or a trial end): ends it if it
 * was canceled at period end; applies a change scheduled for the period end; then invoices the next
 * period (plan + add-ons + pending items − coupon − balance) and charges it. A declined renewal leaves
 * the invoice open and the subscription `past_due`. The invoice is keyed by (subscription, period), so
 * running this twice for one boundary bills once.
 */
export async function renewSubscription({
  services,
  subscriptionId,
  dueAt,
  systemNow,
  quote = false,
}: {
  services: BillingServices;
  subscriptionId: string;
  dueAt: Date;
  systemNow: Date;
  /** Run it before its time, stopped at the charge and rolled back: the upcoming invoice (`previewRenewal`). */
  quote?: boolean;
}): Promise<"renewed" | "past_due" | "ended" | "skipped"> {
  return runSubscriptionOperation({
    services,
    subscriptionId,
    systemNow,
    actor,
    quote,
    async operation({ tx, organization, now, queueName, chargeOrKeepOpen, subscription }) {
      if (subscription.status !== "active" && subscription.status !== "trialing") return "skipped";
      const organizationId = organization.id;
      const boundary = subscription.currentPeriodEnd;
      if (boundary.getTime() !== dueAt.getTime() || (boundary > now && !quote)) return "skipped";
      const at = boundary;
      const before = await subscriptionView({ executor: tx, subscription });

      const scheduled = subscription.scheduledChange;
      // Canceled at period end, or an annual subscription's year is over (docs/billing.md "Lifecycle"): it ends here.
      const annualEnd =
        subscription.endsAt !== null && subscription.endsAt <= boundary && scheduled === null;
      if (subscription.cancelAtPeriodEnd || annualEnd) {
        const status = subscription.cancelAtPeriodEnd ? "canceled" : "expired";
        const [ended] = await tx
          .update(subscriptions)
          .set({ status, endedAt: at, updatedAt: at, ...renewalFailureCleared })
          .where(eq(subscriptions.id, subscription.id))
          .returning();
        await fallBackToFreePlan({
          executor: tx,
          organizationId,
          freePlanId: services.config.freePlanId,
          now: at,
        });
        await recordAudit({
          executor: tx,
          entry: {
            action: `subscription.${status}`,
            actor,
            organizationId,
            before,
            after: ended ? await subscriptionView({ executor: tx, subscription: ended }) : null,
          },
          now: at,
        });
        await publishEvent({
          executor: tx,
          type: `subscription.${status}`,
          organizationId,
          data: { subscriptionId, endedAt: at, atPeriodEnd: subscription.cancelAtPeriodEnd },
          now: at,
          queueName,
        });
        return "ended";
      }
      const plan = await getPlan({
        db: tx,
        planId: scheduled?.planId ?? subscription.planId,
        version: scheduled ? undefined : subscription.planVersion,
      });
      const interval = scheduled?.interval ?? subscription.interval;
      const unitAmount = requirePrice({ plan, interval, currency: subscription.currency });
      const messages = billingMessages(organization.locale);

      const trialEnding = subscription.status === "trialing";
      const intervalChanges = scheduled !== null && scheduled.interval !== subscription.interval;
      // A trial's end or an interval change starts a first period (and anchor) from the boundary.
      const first =
        trialEnding || intervalChanges
          ? firstPaidPeriod({ billingAnchor: organization.billingAnchor, interval, start: at })
          : null;
      const period =
        first?.period ??
        nextPeriod({
          anchor: subscription.anchorAt,
          interval,
          period: { start: subscription.currentPeriodStart, end: subscription.currentPeriodEnd },
        });
      const anchorAt = first?.anchorAt ?? subscription.anchorAt;
      const periodKey = invoicePeriodKey({ subscriptionId, periodStart: period.start });
      const [already] = await tx
        .select({ id: invoices.id })
        .from(invoices)
        .where(eq(invoices.periodKey, periodKey));
      if (already) return "skipped";

      const items = await listItems({ executor: tx, subscriptionId });
      const addonOf = await loadAddonVersions(
        tx,
        items.map((item) => [item.addonId, item.addonVersion]),
      );
      const pending = await unbilledPendingItems({ executor: tx, organizationId });
      const overage = await findUnbilledOverage({
        executor: tx,
        organizationIds: [organizationId],
      });
      // Overage is billed at the prices of the plan version of the period that ended.
      const endedPlan = scheduled
        ? await getPlan({ db: tx, planId: subscription.planId, version: subscription.planVersion })
        : plan;
      const lines = buildRenewalLines({
        plan: { name: plan.name, unitAmount },
        addons: periodAddons({ items, addons: addonOf }),
        cutFrom: first?.cutFrom ?? null,
        pending,
        overage,
        overagePrices: endedPlan.overage,
        interval,
        currency: subscription.currency,
        period,
        endedAt: at,
        messages,
      });
      const invoice = await issueInvoice({
        executor: tx,
        draft: {
          id: newInvoiceId(at),
          organizationId,
          subscriptionId,
          kind: "subscription",
          billingReason: trialEnding ? "trial_end" : "subscription_cycle",
          currency: subscription.currency,
          locale: organization.locale,
          lines,
          coupon: await subscriptionDiscount({ tx, subscription, periodStart: period.start }),
          periodStart: period.start,
          periodEnd: period.end,
          periodKey,
        },
        services,
        now: at,
        // Charged next, which numbers it: the number's counter is not held across the provider's answer.
        numberAfterCharge: true,
      });
      await markPendingItemsBilled({ executor: tx, items: pending, invoiceId: invoice.id });
      await markOverageBilled({ executor: tx, overage });
      // The charge happens now: a run that starts late does not date it back to the boundary (whose
      // time the invoice keeps). A test clock that jumped ahead simulates the time in between instead.
      const attemptAt = organization.testClockId === null ? now : at;
      const paid = await chargeOrKeepOpen(invoice, attemptAt);
      const status = paid ? "active" : "past_due";
      const { dunningRetryDays, pastDueGraceDays, annualAutoRenew } = services.config.lifecycle;
      const firstRetryDays = dunningRetryDays[0] ?? 1;
      const [renewed] = await tx
        .update(subscriptions)
        .set({
          planId: plan.id,
          planVersion: plan.version,
          interval,
          status,
          anchorAt,
          currentPeriodStart: period.start,
          currentPeriodEnd: period.end,
          scheduledChange: null,
          ...(intervalChanges
            ? { endsAt: interval === "year" && !annualAutoRenew ? period.end : null }
            : {}),
          pastDueSince: paid ? null : attemptAt,
          paymentAttempts: paid ? 0 : 1,
          nextPaymentAttemptAt: paid ? null : addDays({ date: attemptAt, days: firstRetryDays }),
          ...renewalFailureCleared,
          updatedAt: at,
        })
        .where(eq(subscriptions.id, subscriptionId))
        .returning();
      await setEntitlement({
        executor: tx,
        organizationId,
        planId: plan.id,
        planVersion: plan.version,
        status,
        trialEndsAt: null,
        graceEndsAt: paid ? null : addDays({ date: attemptAt, days: pastDueGraceDays }),
        source: "subscription",
        now: at,
      });
      await recordAudit({
        executor: tx,
        entry: {
          action: paid ? "subscription.renewed" : "subscription.renewal_failed",
          actor,
          organizationId,
          before,
          after: renewed ? await subscriptionView({ executor: tx, subscription: renewed }) : null,
          metadata: { invoiceId: invoice.id, amountDue: invoice.amountDue },
        },
        now: at,
      });
      await publishEvent({
        executor: tx,
        type: "subscription.renewed",
        organizationId,
        data: {
          subscriptionId,
          invoiceId: invoice.id,
          status,
          periodStart: period.start,
          periodEnd: period.end,
        },
        now: at,
        queueName,
      });
      return paid ? "renewed" : "past_due";
    },
  });
}

export const renewSubscriptionJob = defineJob({
  name: "subscription.renew",
  payload: z.object({ subscriptionId: z.string(), dueAt: z.iso.datetime() }),
  async handler({ payload, context }) {
    await renewOrRecordFailure({
      services: context,
      subscriptionId: payload.subscriptionId,
      dueAt: new Date(payload.dueAt),
      systemNow: new Date(),
    });
  },
});

/** How many plain renewals one batch takes. */
export const renewalBatchSize = 100;

/**
 * The subscriptions whose period (or trial) has ended, split into plain renewals of real-time
 * organizations (the set-based fast path, `renewBatch`) and every other boundary (trial end, cancel at
 * period end, scheduled change, annual expiry, test clocks: `renewSubscription`).
 */
export async function findDueRenewals({
  db,
  now,
  scope,
}: {
  db: Database;
  now: Date;
  scope: SchedulerScope;
}): Promise<{ plain: DueRenewal[]; single: DueRenewal[] }> {
  const due = await db
    .select({
      id: subscriptions.id,
      currentPeriodEnd: subscriptions.currentPeriodEnd,
      status: subscriptions.status,
      cancelAtPeriodEnd: subscriptions.cancelAtPeriodEnd,
      scheduledChange: subscriptions.scheduledChange,
      endsAt: subscriptions.endsAt,
      renewalAttempts: subscriptions.renewalAttempts,
    })
    .from(subscriptions)
    .innerJoin(organizations, eq(organizations.id, subscriptions.organizationId))
    .where(
      and(
        inArray(subscriptions.status, ["active", "trialing"]),
        lte(subscriptions.currentPeriodEnd, now),
        // A renewal that failed waits for its backoff (see `recordRenewalFailure`).
        or(
          isNull(subscriptions.nextRenewalAttemptAt),
          lte(subscriptions.nextRenewalAttemptAt, now),
        ),
        sql`${organizations.testClockId} is not distinct from ${scope.testClockId}`,
      ),
    )
    .orderBy(subscriptions.currentPeriodEnd, subscriptions.id)
    .limit(maxDuePerPass);
  const plain: DueRenewal[] = [];
  const single: DueRenewal[] = [];
  for (const row of due) {
    // One that failed before goes alone, so it cannot take a batch down with it again.
    const isPlain = scope.testClockId === null && row.renewalAttempts === 0 && isPlainRenewal(row);
    (isPlain ? plain : single).push({ subscriptionId: row.id, dueAt: row.currentPeriodEnd });
  }
  return { plain, single };
}

/** The cron's (and test clocks') renewal task: one job per boundary, plain renewals in batch jobs. */
export const renewalsTask: ScheduledTask = {
  name: "subscriptions.renewals",
  async run({ db, now, scope }) {
    const { plain, single } = await findDueRenewals({ db, now, scope });
    for (let start = 0; start < single.length; start += enqueueBatchSize) {
      await enqueueJobs(
        db,
        renewSubscriptionJob,
        single.slice(start, start + enqueueBatchSize).map((entry) => ({
          payload: { subscriptionId: entry.subscriptionId, dueAt: entry.dueAt.toISOString() },
          options: {
            jobKey: `renew:${entry.subscriptionId}:${entry.dueAt.toISOString()}`,
            queueName: queueForScope(scope),
          },
        })),
      );
    }
    const batches = [];
    for (let start = 0; start < plain.length; start += renewalBatchSize) {
      const chunk = plain.slice(start, start + renewalBatchSize);
      const first = chunk[0];
      batches.push({
        payload: {
          renewals: chunk.map((entry) => ({
            subscriptionId: entry.subscriptionId,
            dueAt: entry.dueAt.toISOString(),
          })),
        },
        options: { jobKey: `renew-batch:${first?.subscriptionId}:${first?.dueAt.toISOString()}` },
      });
    }
    for (let start = 0; start < batches.length; start += enqueueBatchSize) {
      await enqueueJobs(db, renewBatchJob, batches.slice(start, start + enqueueBatchSize));
    }
    return plain.length + single.length;
  },
};
