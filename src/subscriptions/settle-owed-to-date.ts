import type { BillingContext } from "../billing/billing-operation.ts";
import type { Executor } from "../db/database.ts";
import {
  findUnbilledOverage,
  markOverageBilled,
  type OveragePrices,
  overageLines,
  type UnbilledOverage,
} from "../entitlements/overage.ts";
import type { BillingMessages } from "../i18n/billing-messages.ts";
import type { DraftLine } from "../invoicing/compute-invoice-totals.ts";
import { type Invoice, issueInvoice, newInvoiceId } from "../invoicing/invoices.ts";
import type { RenewalPendingItem } from "./build-renewal-lines.ts";
import {
  markPendingItemsBilled,
  type PendingItemRow,
  type SubscriptionRow,
  unbilledPendingItems,
} from "./subscription-records.ts";

/** A pending prorated item as an invoice line. */
export function pendingItemLine(item: RenewalPendingItem): DraftLine {
  return {
    kind: "pending_item",
    description: item.description,
    amount: item.amount,
    discount: item.discount,
    addonId: item.addonId,
    quantity: item.quantity,
    unitAmount: null,
    proration: true,
    periodStart: item.periodStart,
    periodEnd: item.periodEnd,
  };
}

/** What an organization owes for services used to date, and its lines. */
export interface OwedToDate {
  pending: PendingItemRow[];
  overage: UnbilledOverage[];
  lines: DraftLine[];
}

/**
 * What is owed to date (docs/billing.md "Changing plan", step 1): the unbilled pending items and the unbilled metered
 * overage, at the current plan version's overage prices.
 */
export async function findOwedToDate({
  executor,
  organizationId,
  overagePrices,
  currency,
  messages,
  now,
}: {
  executor: Executor;
  organizationId: string;
  overagePrices: OveragePrices;
  currency: string;
  messages: BillingMessages;
  now: Date;
}): Promise<OwedToDate> {
  const pending = await unbilledPendingItems({ executor, organizationId });
  const overage = await findUnbilledOverage({ executor, organizationIds: [organizationId] });
  return {
    pending,
    overage,
    lines: [
      ...pending.map(pendingItemLine),
      ...overageLines({ overage, prices: overagePrices, currency, messages, periodEnd: now }),
    ],
  };
}

/**
 * Settlement (docs/billing.md "Changing plan"): what is owed to date is invoiced as a `settlement` invoice (the credit balance
 * never applies) and charged at once; a decline aborts the operation. Answers the invoice as charged;
 * nothing owed → no invoice.
 */
export async function settleOwedToDate({
  context,
  subscription,
  owed,
  billingReason,
}: {
  context: Pick<BillingContext, "tx" | "organization" | "now" | "services" | "chargeOrAbort">;
  subscription: SubscriptionRow;
  owed: OwedToDate;
  billingReason: string;
}): Promise<Invoice | null> {
  if (owed.lines.length === 0) return null;
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
      lines: owed.lines,
      coupon: null,
      periodStart: null,
      periodEnd: now,
      periodKey: null,
    },
    services,
    now,
    // Charged next, which numbers it: the number's counter is not held across the provider's answer.
    numberAfterCharge: true,
  });
  await markPendingItemsBilled({ executor: tx, items: owed.pending, invoiceId: settlement.id });
  await markOverageBilled({ executor: tx, overage: owed.overage });
  return chargeOrAbort(settlement);
}
