import type { BillingMessages } from "../i18n/billing-messages.ts";
import type { DraftLine } from "../invoicing/compute-invoice-totals.ts";
import { prorate, prorationFraction } from "../money/index.ts";
import { type BillingAnchor, firstPeriod, type Interval, type Period } from "../time/index.ts";

/**
 * The plan's charge for a period: its full price, or, for a first period cut short by the
 * `first_of_month` anchor, the price prorated over the full period it is cut from.
 */
export function planChargeLine({
  planName,
  interval,
  unitAmount,
  period,
  cutFrom = null,
  messages,
}: {
  planName: string;
  interval: Interval;
  unitAmount: bigint;
  period: Period;
  cutFrom?: Period | null;
  messages: BillingMessages;
}): DraftLine {
  return {
    kind: "plan",
    description: cutFrom
      ? messages.firstPeriod({ plan: planName })
      : messages.planCharge({ plan: planName, interval }),
    amount: cutFrom
      ? prorate({
          unitAmount,
          quantity: 1n,
          fraction: prorationFraction({
            periodStart: cutFrom.start,
            periodEnd: cutFrom.end,
            now: period.start,
          }),
        })
      : unitAmount,
    quantity: 1n,
    unitAmount,
    proration: false,
    periodStart: period.start,
    periodEnd: period.end,
  };
}

/**
 * A subscription's first paid period from `start` (a new subscription, a trial's end, an interval change
 * at renewal): the period, the anchor later periods count from, and its plan line.
 */
export function firstPaidPeriod({
  billingAnchor,
  interval,
  start,
  planName,
  unitAmount,
  messages,
}: {
  billingAnchor: BillingAnchor;
  interval: Interval;
  start: Date;
  planName: string;
  unitAmount: bigint;
  messages: BillingMessages;
}): { period: Period; anchorAt: Date; line: DraftLine } {
  const first = firstPeriod({ billingAnchor, interval, start });
  return {
    period: first.period,
    anchorAt: first.anchor,
    line: planChargeLine({
      planName,
      interval,
      unitAmount,
      period: first.period,
      cutFrom: first.isStub ? first.fullPeriod : null,
      messages,
    }),
  };
}
