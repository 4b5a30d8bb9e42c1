import { describe, expect, it } from "vitest";
import { MoneyError, prorationFraction } from "../../../src/money/index.ts";

const day = 86_400n;
const periodStart = new Date("2026-04-01T00:00:00.000Z");
const periodEnd = new Date("2026-05-01T00:00:00.000Z");

describe("prorationFraction", () => {
  it("counts whole seconds from now to the period end over the period length", () => {
    const fraction = prorationFraction({
      periodStart,
      periodEnd,
      now: new Date("2026-04-16T00:00:00.000Z"),
    });
    expect(fraction).toEqual({ numerator: 15n * day, denominator: 30n * day });
  });

  it("counts seconds, not days", () => {
    const fraction = prorationFraction({
      periodStart,
      periodEnd,
      now: new Date("2026-04-30T23:59:30.000Z"),
    });
    expect(fraction).toEqual({ numerator: 30n, denominator: 30n * day });
  });

  it("is the full period when now is the period start", () => {
    expect(prorationFraction({ periodStart, periodEnd, now: periodStart })).toEqual({
      numerator: 30n * day,
      denominator: 30n * day,
    });
  });

  it("clamps now before the period start to the full period", () => {
    expect(
      prorationFraction({ periodStart, periodEnd, now: new Date("2026-03-15T00:00:00.000Z") }),
    ).toEqual({ numerator: 30n * day, denominator: 30n * day });
  });

  it("is zero when now is the period end", () => {
    expect(prorationFraction({ periodStart, periodEnd, now: periodEnd })).toEqual({
      numerator: 0n,
      denominator: 30n * day,
    });
  });

  it("clamps now after the period end to zero", () => {
    expect(
      prorationFraction({ periodStart, periodEnd, now: new Date("2026-06-01T00:00:00.000Z") }),
    ).toEqual({ numerator: 0n, denominator: 30n * day });
  });

  it("truncates each instant to its whole second", () => {
    const fraction = prorationFraction({
      periodStart: new Date("2026-04-01T00:00:00.999Z"),
      periodEnd: new Date("2026-04-01T00:01:40.001Z"),
      now: new Date("2026-04-01T00:00:10.500Z"),
    });
    expect(fraction).toEqual({ numerator: 90n, denominator: 100n });
  });

  it("floors instants before 1970 too (not toward zero)", () => {
    const fraction = prorationFraction({
      periodStart: new Date("1969-12-31T23:59:59.500Z"),
      periodEnd: new Date("1970-01-01T00:00:01.000Z"),
      now: new Date("1970-01-01T00:00:00.000Z"),
    });
    expect(fraction).toEqual({ numerator: 1n, denominator: 2n });
  });

  it("returns bigints", () => {
    const { numerator, denominator } = prorationFraction({
      periodStart,
      periodEnd,
      now: periodStart,
    });
    expect(typeof numerator).toBe("bigint");
    expect(typeof denominator).toBe("bigint");
  });

  it.each([
    ["an empty period", periodStart, periodStart],
    ["a period that ends before it starts", periodEnd, periodStart],
    [
      "a period shorter than one second",
      new Date("2026-04-01T00:00:00.100Z"),
      new Date("2026-04-01T00:00:00.900Z"),
    ],
  ])("refuses %s", (_name, start, end) => {
    expect(() => prorationFraction({ periodStart: start, periodEnd: end, now: start })).toThrow(
      MoneyError,
    );
    expect(() => prorationFraction({ periodStart: start, periodEnd: end, now: start })).toThrow(
      /periodEnd must be after periodStart/,
    );
  });

  it("refuses an invalid date", () => {
    expect(() =>
      prorationFraction({ periodStart, periodEnd, now: new Date("not a date") }),
    ).toThrow(/now must be a valid Date/);
    expect(() =>
      prorationFraction({ periodStart: "2026-04-01" as never, periodEnd, now: periodStart }),
    ).toThrow(MoneyError);
  });
});
