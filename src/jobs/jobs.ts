import { refundUnappliedPaymentJob } from "../checkout/refund-unapplied-payment.ts";
import { applyGrantJob } from "../entitlements/purchase-pack.ts";
import { usagePartitionsTask } from "../entitlements/usage-partitions.ts";
import { usageRetentionTask } from "../entitlements/usage-retention.ts";
import { eventJobs } from "../events/event-jobs.ts";
import { trialWillEndJob, trialWillEndTask } from "../events/trial-will-end.ts";
import { purgeExpiredIdempotencyKeys } from "../idempotency/idempotency-store.ts";
import { eventMessageJob } from "../notifications/event-messages.ts";
import { notificationJobs } from "../notifications/payment-notifications.ts";
import { adminRenewalFailedJob } from "../notifications/renewal-notifications.ts";
import { adminWebhookDisabledJob } from "../notifications/webhook-notifications.ts";
import {
  storeReconciliationJob,
  storeReconciliationTask,
} from "../stores/reconcile-store-subscriptions.ts";
import { renewBatchJob } from "../subscriptions/renew-batch.ts";
import { renewalsTask, renewSubscriptionJob } from "../subscriptions/renew-subscription.ts";
import { dunningTask, retryPaymentJob } from "../subscriptions/retry-payment.ts";
import { webhookSweepTask } from "../webhooks/webhook-sweep.ts";
import type { JobDefinition } from "./job.ts";
import type { ScheduledTask } from "./scheduler.ts";

/** Work the scheduler looks for on every tick (and on every test-clock advance). */
export const scheduledTasks: readonly ScheduledTask[] = [
  purgeExpiredIdempotencyKeys,
  renewalsTask,
  dunningTask,
  trialWillEndTask,
  webhookSweepTask,
  storeReconciliationTask,
  usagePartitionsTask,
  usageRetentionTask,
];

/** Every job the worker runs, besides the scheduler's own tick. */
export const jobRegistry: readonly JobDefinition[] = [
  ...eventJobs,
  renewSubscriptionJob,
  renewBatchJob,
  retryPaymentJob,
  applyGrantJob,
  ...notificationJobs,
  adminRenewalFailedJob,
  refundUnappliedPaymentJob,
  trialWillEndJob,
  adminWebhookDisabledJob,
  eventMessageJob,
  storeReconciliationJob,
];
