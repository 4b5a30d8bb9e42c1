import { eq } from "drizzle-orm";
import { z } from "zod";
import { organizations, subscriptions } from "../db/schema/index.ts";
import { notificationMessages } from "../i18n/notification-messages.ts";
import { defineJob } from "../jobs/job.ts";
import { emailOperators, insertNotification } from "./payment-notifications.ts";

/**
 * Tells the platform's operators that a renewal failed for a reason a retry does not fix by itself: an
 * in-app notification (`renewal_failed`) and, with `ABONO_ADMIN_EMAIL`, an email. Enqueued with the
 * failure's record, once per failed attempt; idempotent by (subscription, attempt).
 */
export const adminRenewalFailedJob = defineJob({
  name: "notification.admin_renewal_failed",
  payload: z.object({ subscriptionId: z.string(), attempt: z.number().int() }),
  maxAttempts: 10,
  async handler({ payload, context }) {
    const [row] = await context.db
      .select({
        organizationId: subscriptions.organizationId,
        name: organizations.name,
        error: subscriptions.renewalError,
        nextAttemptAt: subscriptions.nextRenewalAttemptAt,
      })
      .from(subscriptions)
      .innerJoin(organizations, eq(organizations.id, subscriptions.organizationId))
      .where(eq(subscriptions.id, payload.subscriptionId));
    if (!row) return;
    const message = notificationMessages("en").adminRenewalFailed({
      organizationName: row.name,
      subscriptionId: payload.subscriptionId,
      attempts: payload.attempt,
      error: row.error ?? "(no longer failing)",
      nextAttemptAt: row.nextAttemptAt?.toISOString() ?? "(not scheduled)",
    });
    const dedupeKey = `admin_renewal_failed:${payload.subscriptionId}:${payload.attempt}`;
    await insertNotification({
      db: context.db,
      audience: "admin",
      organizationId: row.organizationId,
      userId: null,
      kind: "renewal_failed",
      dedupeKey,
      locale: "en",
      message,
      data: { subscriptionId: payload.subscriptionId, attempt: payload.attempt },
    });
    await emailOperators({ context, organizationId: row.organizationId, dedupeKey, message });
  },
});
