import type { Executor } from "../db/database.ts";
import { toNumber } from "../money/index.ts";
import {
  listItems,
  type SubscriptionItemRow,
  type SubscriptionRow,
} from "./subscription-records.ts";

export interface SubscriptionView {
  id: string;
  organizationId: string;
  planId: string;
  planVersion: number;
  interval: "month" | "year";
  currency: string;
  status: SubscriptionRow["status"];
  currentPeriodStart: Date;
  currentPeriodEnd: Date;
  trialEndsAt: Date | null;
  cancelAtPeriodEnd: boolean;
  canceledAt: Date | null;
  endedAt: Date | null;
  couponCode: string | null;
  items: { addonId: string; quantity: number }[];
  scheduledChange: SubscriptionRow["scheduledChange"];
  createdAt: Date;
}

export async function subscriptionView({
  executor,
  subscription,
}: {
  executor: Executor;
  subscription: SubscriptionRow;
}): Promise<SubscriptionView> {
  const items = await listItems({ executor, subscriptionId: subscription.id });
  return toSubscriptionView({ subscription, items });
}

/** The view of a subscription row with its items (ordered by add-on, as `listItems` returns them). */
export function toSubscriptionView({
  subscription,
  items,
}: {
  subscription: SubscriptionRow;
  items: readonly Pick<SubscriptionItemRow, "addonId" | "quantity">[];
}): SubscriptionView {
  return {
    id: subscription.id,
    organizationId: subscription.organizationId,
    planId: subscription.planId,
    planVersion: subscription.planVersion,
    interval: subscription.interval,
    currency: subscription.currency,
    status: subscription.status,
    currentPeriodStart: subscription.currentPeriodStart,
    currentPeriodEnd: subscription.currentPeriodEnd,
    trialEndsAt: subscription.trialEndsAt,
    cancelAtPeriodEnd: subscription.cancelAtPeriodEnd,
    canceledAt: subscription.canceledAt,
    endedAt: subscription.endedAt,
    couponCode: subscription.couponCode,
    items: items.map((item) => ({ addonId: item.addonId, quantity: toNumber(item.quantity) })),
    scheduledChange: subscription.scheduledChange,
    createdAt: subscription.createdAt,
  };
}
