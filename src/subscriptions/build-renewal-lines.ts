import type { Price } from "../catalog/catalog-types.ts";
import type { BillingMessages } from "../i18n/billing-messages.ts";
import type { DraftLine } from "../invoicing/compute-invoice-totals.ts";
import type { Interval, Period } from "../time/index.ts";
import { pendingItemLine } from "./settle-pending-items.ts";

export interface RenewalAddon {
  name: string;
  quantity: number;
  prices: Price[];
}

export interface RenewalPendingItem {
  description: string;
  amount: bigint;
  quantity: number | null;
  periodStart: Date;
  periodEnd: Date;
}

/**
 * The lines of a renewal invoice after the plan line: each add-on's full charge for the new period, then
 * the pending prorated items of the period that ended (BILLING-RULES "Licenses and services").
 */
export function buildRenewalLines({
  addons,
  pending,
  interval,
  currency,
  period,
  messages,
}: {
  addons: readonly RenewalAddon[];
  pending: readonly RenewalPendingItem[];
  interval: Interval;
  currency: string;
  period: Period;
  messages: BillingMessages;
}): DraftLine[] {
  const addonLines: DraftLine[] = addons.map((addon) => {
    const price = addon.prices.find(
      (entry) => entry.interval === interval && entry.currency === currency,
    );
    if (!price) throw new Error(`Add-on ${addon.name} has no ${interval}ly price in ${currency}`);
    return {
      kind: "addon",
      description: messages.addonCharge({ addon: addon.name, quantity: addon.quantity }),
      amount: price.unitAmount * BigInt(addon.quantity),
      quantity: addon.quantity,
      unitAmount: price.unitAmount,
      proration: false,
      periodStart: period.start,
      periodEnd: period.end,
    };
  });
  const pendingLines = pending.map(pendingItemLine);
  return [...addonLines, ...pendingLines];
}
