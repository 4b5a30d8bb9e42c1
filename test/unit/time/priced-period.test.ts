import { describe, expect, it } from "vitest";
import { firstPeriod, pricedPeriod } from "../../../src/time/index.ts";

const at = (text: string) => new Date(text);

describe("pricedPeriod", () => {
  it("is the full interval a first_of_month stub is cut from", () => {
    for (const interval of ["month", "year"] as const) {
      const first = firstPeriod({
        billingAnchor: "first_of_month",
        interval,
        start: at("2026-01-30T00:00:00Z"),
      });
      expect(first.isStub).toBe(true);
      expect(pricedPeriod({ period: first.period, anchor: first.anchor, interval })).toEqual(
        first.fullPeriod,
      );
    }
  });

  it("is the period itself for full periods, anniversary or first_of_month", () => {
    const anniversary = { start: at("2026-01-31T00:00:00Z"), end: at("2026-02-28T00:00:00Z") };
    expect(
      pricedPeriod({ period: anniversary, anchor: at("2026-01-31T00:00:00Z"), interval: "month" }),
    ).toBe(anniversary);
    const later = { start: at("2026-03-01T00:00:00Z"), end: at("2026-04-01T00:00:00Z") };
    expect(
      pricedPeriod({ period: later, anchor: at("2026-02-01T00:00:00Z"), interval: "month" }),
    ).toBe(later);
    // A first period that starts on the 1st is a whole month, though it ends a month after the anchor.
    const whole = { start: at("2026-02-01T00:00:00Z"), end: at("2026-03-01T00:00:00Z") };
    expect(
      pricedPeriod({ period: whole, anchor: at("2026-02-01T00:00:00Z"), interval: "month" }),
    ).toBe(whole);
  });
});
