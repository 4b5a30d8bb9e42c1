import { eq } from "drizzle-orm";
import { z } from "zod";
import { webhookEndpoints } from "../db/schema/index.ts";
import { notificationMessages } from "../i18n/notification-messages.ts";
import { defineJob } from "../jobs/job.ts";
import { emailOperators, insertNotification } from "./payment-notifications.ts";

/**
 * Tells the platform's operators that a webhook endpoint was disabled (it answered 410 Gone, or failed
 * without a success for too long): an in-app notification (`webhook_endpoint_disabled`) and, with
 * `ABONO_ADMIN_EMAIL`, an email. Idempotent by (endpoint, time of disabling).
 */
export const adminWebhookDisabledJob = defineJob({
  name: "notification.admin_webhook_disabled",
  payload: z.object({ endpointId: z.string(), disabledAt: z.iso.datetime() }),
  maxAttempts: 10,
  async handler({ payload, context }) {
    const [endpoint] = await context.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, payload.endpointId));
    if (!endpoint) return;
    const message = notificationMessages("en").adminWebhookDisabled({
      endpointId: endpoint.id,
      destination: endpoint.url,
      reason: endpoint.disabledReason ?? "(enabled again since)",
    });
    const dedupeKey = `admin_webhook_disabled:${payload.endpointId}:${payload.disabledAt}`;
    await insertNotification({
      db: context.db,
      audience: "admin",
      organizationId: null,
      userId: null,
      kind: "webhook_endpoint_disabled",
      dedupeKey,
      locale: "en",
      message,
      data: { endpointId: endpoint.id, disabledAt: payload.disabledAt },
    });
    await emailOperators({ context, organizationId: null, dedupeKey, message });
  },
});
