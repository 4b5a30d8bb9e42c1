import type { BillingContext } from "../billing/billing-operation.ts";
import { markOverageBilled, type UnbilledOverage } from "../entitlements/overage.ts";
import type { DraftLine } from "../invoicing/compute-invoice-totals.ts";
import { type Invoice, issueInvoice, newInvoiceId } from "../invoicing/invoices.ts";
import type { RenewalPendingItem } from "./build-renewal-lines.ts";
import {
  markPendingItemsBilled,
  type PendingItemRow,
  type SubscriptionRow,
} from "./subscription-records.ts";

/** A pending prorated item as an invoice line. */
export function pendingItemLine(item: RenewalPendingItem): DraftLine {
  return {
    kind: "pending_item",
    description: item.description,
    amount: item.amount,
    quantity: item.quantity,
    unitAmount: null,
    proration: true,
    periodStart: item.periodStart,
    periodEnd: item.periodEnd,
  };
}

/**
 * Settlement (BILLING-RULES): what is owed to date is invoiced as a `settlement` invoice (the credit balance
 * never applies) and charged at once; a decline aborts the operation. Nothing owed → no invoice.
 */
export async function settlePendingItems({
  context,
  subscription,
  pending,
  overage,
  overageCharges,
  billingReason,
}: {
  context: Pick<BillingContext, "tx" | "organization" | "now" | "services" | "chargeOrAbort">;
  subscription: SubscriptionRow;
  pending: readonly PendingItemRow[];
  /** Unbilled metered overage and its lines (see `overageLines`). */
  overage: readonly UnbilledOverage[];
  overageCharges: readonly DraftLine[];
  billingReason: string;
}): Promise<Invoice | null> {
  if (pending.length === 0 && overageCharges.length === 0) return null;
  const { tx, organization, now, services, chargeOrAbort } = context;
  const settlement = await issueInvoice({
    executor: tx,
    draft: {
      id: newInvoiceId(now),
      organizationId: organization.id,
      subscriptionId: subscription.id,
      kind: "settlement",
      billingReason,
      currency: subscription.currency,
      locale: organization.locale,
      lines: [...pending.map(pendingItemLine), ...overageCharges],
      coupon: null,
      periodStart: null,
      periodEnd: now,
      periodKey: null,
    },
    numberPrefix: services.config.invoicePrefix,
    now,
  });
  await markPendingItemsBilled({ executor: tx, items: pending, invoiceId: settlement.id });
  await markOverageBilled({ executor: tx, overage });
  await chargeOrAbort(settlement);
  return settlement;
}
