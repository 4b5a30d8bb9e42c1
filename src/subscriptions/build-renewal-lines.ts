import type { Price } from "../catalog/catalog-types.ts";
import { type OveragePrices, overageLines, type UnbilledOverage } from "../entitlements/overage.ts";
import type { BillingMessages } from "../i18n/billing-messages.ts";
import type { DraftLine } from "../invoicing/compute-invoice-totals.ts";
import type { Interval, Period } from "../time/index.ts";
import { pendingItemLine } from "./settle-owed-to-date.ts";

export interface RenewalAddon {
  name: string;
  quantity: bigint;
  prices: Price[];
}

export interface RenewalPendingItem {
  description: string;
  amount: bigint;
  quantity: bigint | null;
  periodStart: Date;
  periodEnd: Date;
}

/**
 * The lines of a renewal invoice, for the single renewal and the billing run's batches alike: the plan
 * line, each add-on's full charge for the new period, the pending prorated items of the period that ended
 * (docs/billing.md "Add-ons"), then that period's metered overage in arrears at the ended
 * plan version's prices.
 */
export function buildRenewalLines({
  planLine,
  addons,
  pending,
  overage,
  overagePrices,
  interval,
  currency,
  period,
  endedAt,
  messages,
}: {
  planLine: DraftLine;
  addons: readonly RenewalAddon[];
  pending: readonly RenewalPendingItem[];
  overage: readonly UnbilledOverage[];
  overagePrices: OveragePrices;
  interval: Interval;
  currency: string;
  period: Period;
  /** The boundary: when the period that ended, ended. */
  endedAt: Date;
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
      amount: price.unitAmount * addon.quantity,
      quantity: addon.quantity,
      unitAmount: price.unitAmount,
      proration: false,
      periodStart: period.start,
      periodEnd: period.end,
    };
  });
  return [
    planLine,
    ...addonLines,
    ...pending.map(pendingItemLine),
    ...overageLines({ overage, prices: overagePrices, currency, messages, periodEnd: endedAt }),
  ];
}
