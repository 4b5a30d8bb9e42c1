import { describe, expect, it } from "vitest";
import { computeDashboard } from "../../src/admin/compute-dashboard.ts";

describe("computeDashboard", () => {
  it("counts active and past-due list prices as MRR per currency (yearly ÷ 12, rounded), not trials", () => {
    const { monthlyRecurringRevenue, subscriptionsByPlan } = computeDashboard({
      groups: [
        {
          planId: "plus",
          interval: "month",
          currency: "USD",
          status: "active",
          count: 3,
          listAmount: 12_000n,
        },
        {
          planId: "premium",
          interval: "year",
          currency: "USD",
          status: "active",
          count: 1,
          listAmount: 100_000n,
        },
        {
          planId: "premium",
          interval: "month",
          currency: "USD",
          status: "past_due",
          count: 1,
          listAmount: 10_000n,
        },
        {
          planId: "premium",
          interval: "month",
          currency: "USD",
          status: "trialing",
          count: 2,
          listAmount: 20_000n,
        },
        {
          planId: "plus",
          interval: "month",
          currency: "EUR",
          status: "active",
          count: 1,
          listAmount: 3_700n,
        },
        // Beyond 2^53 minor units the sum stays exact.
        {
          planId: "giant",
          interval: "month",
          currency: "CLP",
          status: "active",
          count: 1,
          listAmount: 2n ** 60n,
        },
      ],
    });
    // 12,000 + round(100,000 / 12 = 8,333.33) + 10,000
    expect(monthlyRecurringRevenue.get("USD")).toBe(30_333n);
    expect(monthlyRecurringRevenue.get("EUR")).toBe(3_700n);
    expect(monthlyRecurringRevenue.get("CLP")).toBe(2n ** 60n);
    expect(subscriptionsByPlan).toEqual([
      { planId: "plus", active: 4, trialing: 0, pastDue: 0 },
      { planId: "premium", active: 1, trialing: 2, pastDue: 1 },
      { planId: "giant", active: 1, trialing: 0, pastDue: 0 },
    ]);
  });

  it("rounds a yearly price half away from zero", () => {
    const { monthlyRecurringRevenue } = computeDashboard({
      groups: [
        {
          planId: "a",
          interval: "year",
          currency: "USD",
          status: "active",
          count: 1,
          listAmount: 18n,
        },
      ],
    });
    expect(monthlyRecurringRevenue.get("USD")).toBe(2n); // 1.5 → 2
  });
});
