import { and, eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import { type BillingServices, runBillingOperation } from "../billing/billing-operation.ts";
import { getAddon } from "../catalog/addons.ts";
import { pendingItems, subscriptionItems } from "../db/schema/index.ts";
import { invalidState, validationError } from "../errors.ts";
import { publishEvent } from "../events/publish-event.ts";
import { billingMessages } from "../i18n/billing-messages.ts";
import { newId } from "../ids.ts";
import { computeItemProration } from "./compute-item-proration.ts";
import { loadPeriodCharges } from "./period-charges.ts";
import { subscriptionDiscount } from "./subscription-discount.ts";
import { findLiveSubscription, requirePrice } from "./subscription-records.ts";
import { type SubscriptionView, subscriptionView } from "./subscription-view.ts";

/**
 * Sets how many of an add-on (licenses, services) the subscription has. A change mid-period creates a
 * pending prorated item (`computeItemProration`) that the next subscription invoice carries; no invoice
 * is issued now. During a trial nothing is prorated (charges start at trial end).
 */
export async function setItemQuantity({
  services,
  organizationId,
  addonId,
  quantity,
  actor,
  systemNow,
}: {
  services: BillingServices;
  organizationId: string;
  addonId: string;
  quantity: number;
  actor: string;
  systemNow: Date;
}): Promise<SubscriptionView> {
  return runBillingOperation({
    services,
    organizationId,
    systemNow,
    actor,
    async operation({ tx, organization, now, queueName }) {
      const subscription = await findLiveSubscription({ executor: tx, organizationId });
      if (
        !subscription ||
        (subscription.status !== "active" && subscription.status !== "trialing")
      ) {
        throw invalidState(
          `Organization ${organizationId} has no active subscription to add ${addonId} to.`,
        );
      }
      const itemKey = and(
        eq(subscriptionItems.subscriptionId, subscription.id),
        eq(subscriptionItems.addonId, addonId),
        eq(subscriptionItems.organizationId, subscription.organizationId),
      );
      const [existing] = await tx.select().from(subscriptionItems).where(itemKey);
      const addon = await getAddon({ db: tx, addonId, version: existing?.addonVersion });
      if (!existing && addon.archivedAt !== null) {
        throw validationError(
          `addonId: the add-on "${addonId}" is archived and not offered any more.`,
        );
      }
      const before = await subscriptionView({ executor: tx, subscription });
      const target = BigInt(quantity);
      const previous = existing?.quantity ?? 0n;
      const delta = target - previous;
      if (delta === 0n) return before;
      const unitAmount = requirePrice({
        plan: addon,
        interval: subscription.interval,
        currency: subscription.currency,
        what: "Add-on",
      });

      if (subscription.status === "active") {
        const messages = billingMessages(organization.locale);
        const charges = await loadPeriodCharges({ executor: tx, subscription });
        const proration = computeItemProration({
          unitAmount,
          previous,
          target,
          period: { start: subscription.currentPeriodStart, end: subscription.currentPeriodEnd },
          anchor: subscription.anchorAt,
          interval: subscription.interval,
          now,
          charges: charges.addons.get(addonId) ?? [],
          coupon: await subscriptionDiscount({
            tx,
            subscription,
            periodStart: subscription.currentPeriodStart,
          }),
        });
        if (proration) {
          await tx.insert(pendingItems).values({
            id: newId("pi", now.getTime()),
            organizationId,
            subscriptionId: subscription.id,
            description:
              delta > 0n
                ? messages.addonAdded({ addon: addon.name, quantity: delta })
                : messages.addonRemoved({ addon: addon.name, quantity: -delta }),
            amount: proration.amount,
            discount: proration.discount,
            currency: subscription.currency,
            addonId,
            quantity: delta,
            periodStart: now,
            periodEnd: subscription.currentPeriodEnd,
            createdAt: now,
          });
        }
      }

      if (quantity === 0) {
        await tx.delete(subscriptionItems).where(itemKey);
      } else if (existing) {
        await tx.update(subscriptionItems).set({ quantity: target, updatedAt: now }).where(itemKey);
      } else {
        await tx.insert(subscriptionItems).values({
          subscriptionId: subscription.id,
          organizationId: subscription.organizationId,
          addonId,
          addonVersion: addon.version,
          quantity: target,
          createdAt: now,
          updatedAt: now,
        });
      }
      const after = await subscriptionView({ executor: tx, subscription });
      await recordAudit({
        executor: tx,
        entry: {
          action: "subscription.items_changed",
          actor,
          organizationId,
          before,
          after,
          metadata: { addonId, quantity },
        },
        now,
      });
      await publishEvent({
        executor: tx,
        type: "subscription.updated",
        organizationId,
        data: {
          subscriptionId: subscription.id,
          reason: "items_changed",
          addonId,
          quantity,
          previousQuantity: Number(previous),
        },
        now,
        queueName,
      });
      return after;
    },
  });
}
