import type { Executor } from "../db/database.ts";
import { listItems, type SubscriptionRow } from "./subscription-records.ts";

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
    items: items.map((item) => ({ addonId: item.addonId, quantity: item.quantity })),
    scheduledChange: subscription.scheduledChange,
    createdAt: subscription.createdAt,
  };
}
