import { type BillingServices, quotedInvoice } from "../billing/billing-operation.ts";
import type { Invoice } from "../invoicing/invoices.ts";
import { renewSubscription } from "./renew-subscription.ts";
import { findLiveSubscription } from "./subscription-records.ts";

/**
 * The next renewal invoice of an organization's subscription as it stands now: the renewal itself, run
 * ahead of its time and stopped before the charge, then rolled back (plan, add-ons, pending prorated
 * items, overage so far, coupon, credit balance). Null when nothing will renew: no live subscription, one
 * that ends at the period end, or one that is past due (its open invoice is what is owed).
 */
export async function previewRenewal({
  services,
  organizationId,
  systemNow,
}: {
  services: BillingServices;
  organizationId: string;
  systemNow: Date;
}): Promise<Invoice | null> {
  const live = await findLiveSubscription({ executor: services.db, organizationId });
  if (!live || live.cancelAtPeriodEnd) return null;
  if (live.status !== "active" && live.status !== "trialing") return null;
  return quotedInvoice(() =>
    renewSubscription({
      services,
      subscriptionId: live.id,
      dueAt: live.currentPeriodEnd,
      systemNow,
      quote: true,
    }),
  );
}
