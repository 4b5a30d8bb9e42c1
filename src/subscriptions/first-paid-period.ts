import { type BillingAnchor, firstPeriod, type Interval, type Period } from "../time/index.ts";

/**
 * A subscription's first paid period from `start` (a new subscription, a trial's end, an interval change
 * at renewal): the period, the anchor later periods count from, and, for a first period cut short by the
 * `first_of_month` anchor, the full period it is cut from (its charges are prorated over it).
 */
export function firstPaidPeriod({
  billingAnchor,
  interval,
  start,
}: {
  billingAnchor: BillingAnchor;
  interval: Interval;
  start: Date;
}): { period: Period; anchorAt: Date; cutFrom: Period | null } {
  const first = firstPeriod({ billingAnchor, interval, start });
  return {
    period: first.period,
    anchorAt: first.anchor,
    cutFrom: first.isStub ? first.fullPeriod : null,
  };
}
