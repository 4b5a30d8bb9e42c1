import type { BillingMessages } from "../i18n/billing-messages.ts";
import type { DraftLine } from "../invoicing/compute-invoice-totals.ts";
import { prorate, prorationFraction } from "../money/index.ts";
import { addInterval, type Interval, type Period } from "../time/index.ts";

export interface PricedPlan {
  planId: string;
  name: string;
  interval: Interval;
  unitAmount: bigint;
}

export interface PlanChangeComputation {
  lines: DraftLine[];
  /** The period the subscription is in after the change. */
  period: Period;
  /** True when the change starts a full new period now (interval change, or leaving free or trial). */
  resetsAnchor: boolean;
  effectiveAt: Date;
}

/**
 * Proration of an immediate plan change (docs/billing.md "Changing plan"), by seconds:
 * same interval → credit `−round(old × f)` and charge `+round(new × f)` over `[now, periodEnd)`;
 * interval change, or from a free plan or a trial → credit the unused paid time, then a full new period
 * starts now at the full new price. `timing: "period_end"` changes nothing now.
 */
export function computePlanChange({
  current,
  target,
  period,
  trialing,
  now,
  timing,
  messages,
}: {
  current: PricedPlan;
  target: PricedPlan;
  period: Period;
  trialing: boolean;
  now: Date;
  timing: "now" | "period_end";
  messages: BillingMessages;
}): PlanChangeComputation {
  if (timing === "period_end") {
    return { lines: [], period, resetsAnchor: false, effectiveAt: period.end };
  }
  const fraction = prorationFraction({ periodStart: period.start, periodEnd: period.end, now });
  const remaining: Period = { start: now, end: period.end };
  const paidTimeLeft = !trialing && current.unitAmount > 0n;
  const credit: DraftLine[] = paidTimeLeft
    ? [
        unusedTimeLine({
          planName: current.name,
          unitAmount: current.unitAmount,
          period,
          now,
          messages,
        }),
      ]
    : [];
  const sameInterval = current.interval === target.interval;
  if (sameInterval && paidTimeLeft) {
    return {
      lines: [
        ...credit,
        {
          kind: "proration",
          description: messages.remainingTime({ plan: target.name }),
          amount: prorate({ unitAmount: target.unitAmount, quantity: 1, fraction }),
          quantity: 1n,
          unitAmount: target.unitAmount,
          proration: true,
          periodStart: remaining.start,
          periodEnd: remaining.end,
        },
      ],
      period,
      resetsAnchor: false,
      effectiveAt: now,
    };
  }
  const newPeriod: Period = {
    start: now,
    end: addInterval({ anchor: now, interval: target.interval, count: 1 }),
  };
  return {
    lines: [
      ...credit,
      {
        kind: "plan",
        description: messages.planCharge({ plan: target.name, interval: target.interval }),
        amount: target.unitAmount,
        quantity: 1n,
        unitAmount: target.unitAmount,
        proration: false,
        periodStart: newPeriod.start,
        periodEnd: newPeriod.end,
      },
    ],
    period: newPeriod,
    resetsAnchor: true,
    effectiveAt: now,
  };
}

/**
 * The credit for the unused rest of a paid period, `−round(unitAmount × f)` over `[now, periodEnd)`
 * ("Unused time on X"): a plan change's credit line, and the credit of a cancellation that asks for it.
 */
export function unusedTimeLine({
  planName,
  unitAmount,
  period,
  now,
  messages,
}: {
  planName: string;
  unitAmount: bigint;
  period: Period;
  now: Date;
  messages: BillingMessages;
}): DraftLine {
  const fraction = prorationFraction({ periodStart: period.start, periodEnd: period.end, now });
  return {
    kind: "proration",
    description: messages.unusedTime({ plan: planName }),
    amount: prorate({ unitAmount: -unitAmount, quantity: 1, fraction }),
    quantity: 1n,
    unitAmount,
    proration: true,
    periodStart: now,
    periodEnd: period.end,
  };
}
