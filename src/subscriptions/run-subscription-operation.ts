import { eq } from "drizzle-orm";
import {
  type BillingContext,
  type BillingServices,
  runBillingOperation,
} from "../billing/billing-operation.ts";
import { subscriptions } from "../db/schema/index.ts";
import { organizationOfSubscription, type SubscriptionRow } from "./subscription-records.ts";

/**
 * A billing operation on one subscription named by id (the renewal and dunning jobs): it runs under the
 * subscription's organization's lock and gets the subscription as read under that lock. A subscription
 * that does not exist is "skipped".
 */
export async function runSubscriptionOperation<Result>({
  services,
  subscriptionId,
  systemNow,
  actor,
  operation,
  quote = false,
}: {
  services: BillingServices;
  subscriptionId: string;
  systemNow: Date;
  actor: string;
  /** Stop at the first charge and roll back (`quotedInvoice`). */
  quote?: boolean;
  operation(context: BillingContext & { subscription: SubscriptionRow }): Promise<Result>;
}): Promise<Result | "skipped"> {
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
    quote,
    async operation(context) {
      const [subscription] = await context.tx
        .select()
        .from(subscriptions)
        .where(eq(subscriptions.id, subscriptionId));
      return subscription ? operation({ ...context, subscription }) : "skipped";
    },
  });
}
