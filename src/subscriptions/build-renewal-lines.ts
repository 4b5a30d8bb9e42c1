import { type OveragePrices, overageLines, type UnbilledOverage } from "../entitlements/overage.ts";
import type { BillingMessages } from "../i18n/billing-messages.ts";
import type { DraftLine } from "../invoicing/compute-invoice-totals.ts";
import type { Interval, Period } from "../time/index.ts";
import { type PeriodAddon, periodChargeLines } from "./period-charge-lines.ts";
import { pendingItemLine } from "./settle-owed-to-date.ts";

export interface RenewalPendingItem {
  description: string;
  amount: bigint;
  /** The coupon discount the prorated charge carries (0 for a credit, which is valued net already). */
  discount: bigint;
  addonId: string | null;
  quantity: bigint | null;
  periodStart: Date;
  periodEnd: Date;
}

/**
 * The lines of a renewal invoice, for the single renewal and the billing run's batches alike: the lines
 * that start the new period (`periodChargeLines`: the plan, each add-on's full charge), the pending
 * prorated items of the period that ended (docs/billing.md "Add-ons"), then that period's metered overage
 * in arrears at the ended plan version's prices.
 */
export function buildRenewalLines({
  plan,
  addons,
  cutFrom = null,
  pending,
  overage,
  overagePrices,
  interval,
  currency,
  period,
  endedAt,
  messages,
}: {
  plan: { name: string; unitAmount: bigint };
  addons: readonly PeriodAddon[];
  /** The full period a first period cut short by the `first_of_month` anchor is cut from. */
  cutFrom?: Period | null;
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
  return [
    ...periodChargeLines({ plan, addons, interval, currency, period, cutFrom, messages }),
    ...pending.map(pendingItemLine),
    ...overageLines({ overage, prices: overagePrices, currency, messages, periodEnd: endedAt }),
  ];
}
