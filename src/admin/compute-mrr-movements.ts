import { monthlyAmount } from "./compute-dashboard.ts";

/** From `at` on, a subscription's MRR (minor units of `currency`) is `amount`; 0 when it is not paying. */
export interface MrrChange {
  subscriptionId: string;
  currency: string;
  at: Date;
  amount: bigint;
}

/** One month's MRR movements in one currency (docs/backoffice.md "MRR movements"). */
export interface MrrMovement {
  /** `YYYY-MM`, UTC. */
  month: string;
  currency: string;
  opening: bigint;
  new: bigint;
  expansion: bigint;
  contraction: bigint;
  churn: bigint;
  closing: bigint;
}

/** What a subscription's history says, in order: the events that change what it pays. */
export type SubscriptionStep =
  | {
      kind: "started";
      at: Date;
      planId: string;
      interval: "month" | "year";
      trialEndsAt: Date | null;
    }
  | { kind: "plan_changed"; at: Date; planId: string; interval: "month" | "year" }
  | { kind: "ended"; at: Date };

/** The list price of a plan in one interval and currency for a subscription at an instant. */
export type PriceAt = (query: {
  planId: string;
  interval: "month" | "year";
  at: Date;
}) => bigint | null;

/**
 * A subscription's MRR changes from its history (pure): from its start (or its trial's end) its plan's list
 * price as a monthly amount (yearly ÷ 12), a plan change moves it to the new plan's, its end (canceled or
 * expired) makes it 0. A trial is 0 until it ends; a trial that ends after `until`, or after the
 * subscription ended, never counts.
 */
export function mrrChangesFromSteps({
  subscriptionId,
  currency,
  steps,
  priceAt,
}: {
  subscriptionId: string;
  currency: string;
  steps: readonly SubscriptionStep[];
  priceAt: PriceAt;
}): MrrChange[] {
  const changes: MrrChange[] = [];
  const amountOf = (planId: string, interval: "month" | "year", at: Date) => {
    const price = priceAt({ planId, interval, at });
    return price === null ? 0n : monthlyAmount({ interval, amount: price });
  };
  const endedAt = steps.find((step) => step.kind === "ended")?.at ?? null;
  for (const step of steps) {
    if (step.kind === "ended") {
      changes.push({ subscriptionId, currency, at: step.at, amount: 0n });
      break;
    }
    let at = step.at;
    if (step.kind === "started" && step.trialEndsAt && step.trialEndsAt > step.at) {
      changes.push({ subscriptionId, currency, at: step.at, amount: 0n });
      at = step.trialEndsAt;
      if (endedAt && at >= endedAt) continue;
    }
    changes.push({
      subscriptionId,
      currency,
      at,
      amount: amountOf(step.planId, step.interval, at),
    });
  }
  return changes.sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** The first instant of `YYYY-MM` (UTC) and of the month after it. */
export function monthBounds(month: string): { start: Date; end: Date } {
  const [year, monthNumber] = month.split("-").map(Number) as [number, number];
  return {
    start: new Date(Date.UTC(year, monthNumber - 1, 1)),
    end: new Date(Date.UTC(year, monthNumber, 1)),
  };
}

/** The `count` months (`YYYY-MM`, UTC) up to and including `now`'s, oldest first. */
export function lastMonths({ now, count }: { now: Date; count: number }): string[] {
  return Array.from({ length: count }, (_, index) => {
    const date = new Date(
      Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (count - 1 - index), 1),
    );
    return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, "0")}`;
  });
}

/**
 * MRR movements per month and currency (pure; docs/backoffice.md "MRR movements"). Each subscription's MRR
 * at the month's start (opening) is compared with its MRR at the month's end (closing; for the current
 * month, at `now`): from 0 to more is new, from more to 0 is churn, up is expansion, down is contraction.
 * So opening + new + expansion − contraction − churn = closing, and a subscription that starts and ends in
 * the same month moves nothing. Currencies are never summed together.
 */
export function computeMrrMovements({
  changes,
  months,
  now,
}: {
  changes: readonly MrrChange[];
  months: readonly string[];
  now: Date;
}): MrrMovement[] {
  const bySubscription = new Map<string, MrrChange[]>();
  for (const change of changes) {
    const list = bySubscription.get(change.subscriptionId) ?? [];
    list.push(change);
    bySubscription.set(change.subscriptionId, list);
  }
  for (const list of bySubscription.values()) list.sort((a, b) => a.at.getTime() - b.at.getTime());
  const amountAt = (list: readonly MrrChange[], instant: Date) => {
    let amount = 0n;
    for (const change of list) {
      if (change.at.getTime() > instant.getTime()) break;
      amount = change.amount;
    }
    return amount;
  };
  const movements: MrrMovement[] = [];
  for (const month of months) {
    const { start, end } = monthBounds(month);
    if (start > now) continue;
    const closingAt = end > now ? now : new Date(end.getTime() - 1);
    const byCurrency = new Map<string, MrrMovement>();
    for (const list of bySubscription.values()) {
      const currency = list[0]?.currency;
      if (currency === undefined) continue;
      const opening = amountAt(list, new Date(start.getTime() - 1));
      const closing = amountAt(list, closingAt);
      if (opening === 0n && closing === 0n) continue;
      const movement = byCurrency.get(currency) ?? {
        month,
        currency,
        opening: 0n,
        new: 0n,
        expansion: 0n,
        contraction: 0n,
        churn: 0n,
        closing: 0n,
      };
      movement.opening += opening;
      movement.closing += closing;
      if (opening === 0n) movement.new += closing;
      else if (closing === 0n) movement.churn += opening;
      else if (closing > opening) movement.expansion += closing - opening;
      else movement.contraction += opening - closing;
      byCurrency.set(currency, movement);
    }
    movements.push(
      ...[...byCurrency.values()].sort((a, b) => a.currency.localeCompare(b.currency)),
    );
  }
  return movements;
}
