import { describe, expect, it } from "vitest";
import {
  computeMrrMovements,
  lastMonths,
  type MrrChange,
  mrrChangesFromSteps,
} from "../../src/admin/compute-mrr-movements.ts";

/** An instant `days` days into `month` (YYYY-MM), UTC; the year only labels the test data. */
const day = (month: string, days: number) =>
  new Date(`${month}-${String(days).padStart(2, "0")}T12:00:00Z`);
const change = (subscriptionId: string, at: Date, amount: bigint, currency = "USD"): MrrChange => ({
  subscriptionId,
  currency,
  at,
  amount,
});

describe("computeMrrMovements", () => {
  it("splits each month's change into new, expansion, contraction and churn, per currency", () => {
    const changes = [
      // a: 40.00 from January, upgraded to 100.00 in February: new 4000 (Jan), expansion 6000 (Feb).
      change("a", day("2030-01", 10), 4000n),
      change("a", day("2030-02", 5), 10000n),
      // b: 100.00 from before January, downgraded to 40.00 in February, canceled in March.
      change("b", day("2029-12", 1), 10000n),
      change("b", day("2030-02", 20), 4000n),
      change("b", day("2030-03", 3), 0n),
      // c: a yearly 1,000.00 as 8,333 a month, in EUR: never summed with USD.
      change("c", day("2030-02", 1), 8333n, "EUR"),
      // d: starts and ends inside January: moves nothing.
      change("d", day("2030-01", 2), 5000n),
      change("d", day("2030-01", 25), 0n),
    ];
    const movements = computeMrrMovements({
      changes,
      months: ["2030-01", "2030-02", "2030-03"],
      now: day("2030-03", 15),
    });
    expect(movements).toEqual([
      {
        month: "2030-01",
        currency: "USD",
        opening: 10000n,
        new: 4000n,
        expansion: 0n,
        contraction: 0n,
        churn: 0n,
        closing: 14000n,
      },
      {
        month: "2030-02",
        currency: "EUR",
        opening: 0n,
        new: 8333n,
        expansion: 0n,
        contraction: 0n,
        churn: 0n,
        closing: 8333n,
      },
      {
        month: "2030-02",
        currency: "USD",
        opening: 14000n,
        new: 0n,
        expansion: 6000n,
        contraction: 6000n,
        churn: 0n,
        closing: 14000n,
      },
      {
        month: "2030-03",
        currency: "EUR",
        opening: 8333n,
        new: 0n,
        expansion: 0n,
        contraction: 0n,
        churn: 0n,
        closing: 8333n,
      },
      {
        month: "2030-03",
        currency: "USD",
        opening: 14000n,
        new: 0n,
        expansion: 0n,
        contraction: 0n,
        churn: 4000n,
        closing: 10000n,
      },
    ]);
    for (const row of movements)
      expect(row.opening + row.new + row.expansion - row.contraction - row.churn).toBe(row.closing);
  });

  it("counts a change at a month's first instant in that month, and the current month up to now", () => {
    const start = new Date("2030-02-01T00:00:00Z");
    const changes = [change("a", start, 4000n), change("b", day("2030-02", 20), 1000n)];
    const movements = computeMrrMovements({
      changes,
      months: ["2030-01", "2030-02"],
      now: day("2030-02", 10),
    });
    // January: nothing was paying, no row. February: b starts after now, not yet.
    expect(movements).toHaveLength(1);
    expect(movements[0]).toMatchObject({
      month: "2030-02",
      opening: 0n,
      new: 4000n,
      closing: 4000n,
    });
  });
});

describe("mrrChangesFromSteps", () => {
  const prices: Record<string, bigint> = {
    "plus/month": 4000n,
    "plus/year": 40000n,
    "premium/month": 10000n,
  };
  const priceAt = ({ planId, interval }: { planId: string; interval: string }) =>
    prices[`${planId}/${interval}`] ?? null;

  it("is 0 during a trial, the plan's monthly price from its end, the new plan's after a change, 0 once ended", () => {
    expect(
      mrrChangesFromSteps({
        subscriptionId: "s",
        currency: "USD",
        priceAt,
        steps: [
          {
            kind: "started",
            at: day("2030-01", 1),
            planId: "plus",
            interval: "year",
            trialEndsAt: day("2030-01", 15),
          },
          { kind: "plan_changed", at: day("2030-02", 1), planId: "premium", interval: "month" },
          { kind: "ended", at: day("2030-03", 1) },
        ],
      }).map(({ at, amount }) => [at.toISOString().slice(0, 10), amount]),
    ).toEqual([
      ["2030-01-01", 0n],
      // 400.00 a year: 33.33 a month.
      ["2030-01-15", 3333n],
      ["2030-02-01", 10000n],
      ["2030-03-01", 0n],
    ]);
  });

  it("never counts a trial canceled before it ended", () => {
    const changes = mrrChangesFromSteps({
      subscriptionId: "s",
      currency: "USD",
      priceAt,
      steps: [
        {
          kind: "started",
          at: day("2030-01", 1),
          planId: "plus",
          interval: "month",
          trialEndsAt: day("2030-01", 15),
        },
        { kind: "ended", at: day("2030-01", 10) },
      ],
    });
    expect(changes.map((row) => row.amount)).toEqual([0n, 0n]);
  });
});

describe("lastMonths", () => {
  it("lists the months up to now's, across a year's end", () => {
    expect(lastMonths({ now: day("2031-02", 3), count: 4 })).toEqual([
      "2030-11",
      "2030-12",
      "2031-01",
      "2031-02",
    ]);
  });
});
