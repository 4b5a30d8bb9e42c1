import { describe, expect, it } from "vitest";
import { prorate, prorationFraction } from "../../../src/money/index.ts";
import {
  type FirstPeriod,
  firstPeriod,
  nextPeriod,
  type Period,
  TimeError,
} from "../../../src/time/index.ts";

const at = (iso: string) => new Date(iso);
const asText = (period: Period) => [period.start.toISOString(), period.end.toISOString()];
const describeFirst = (first: FirstPeriod) => ({
  period: asText(first.period),
  fullPeriod: asText(first.fullPeriod),
  isStub: first.isStub,
  anchor: first.anchor.toISOString(),
});

/** The stub's price as the billing rules define it: prorated against the full period it belongs to. */
const stubPrice = ({ first, unitAmount }: { first: FirstPeriod; unitAmount: bigint }) =>
  prorate({
    unitAmount,
    quantity: 1,
    fraction: prorationFraction({
      periodStart: first.fullPeriod.start,
      periodEnd: first.fullPeriod.end,
      now: first.period.start,
    }),
  });

describe("firstPeriod with the anniversary anchor", () => {
  it("is a full month from the start, and the start is the anchor", () => {
    const first = firstPeriod({
      billingAnchor: "anniversary",
      interval: "month",
      start: at("2026-01-15T10:30:00.000Z"),
    });
    expect(describeFirst(first)).toEqual({
      period: ["2026-01-15T10:30:00.000Z", "2026-02-15T10:30:00.000Z"],
      fullPeriod: ["2026-01-15T10:30:00.000Z", "2026-02-15T10:30:00.000Z"],
      isStub: false,
      anchor: "2026-01-15T10:30:00.000Z",
    });
  });

  it("clamps a start on the 31st and keeps the 31st for later periods", () => {
    const first = firstPeriod({
      billingAnchor: "anniversary",
      interval: "month",
      start: at("2026-01-31T00:00:00.000Z"),
    });
    expect(asText(first.period)).toEqual(["2026-01-31T00:00:00.000Z", "2026-02-28T00:00:00.000Z"]);
    const second = nextPeriod({ anchor: first.anchor, interval: "month", period: first.period });
    expect(asText(second)).toEqual(["2026-02-28T00:00:00.000Z", "2026-03-31T00:00:00.000Z"]);
  });

  it("runs a full year from 29 Feb 2024 to 28 Feb 2025", () => {
    const first = firstPeriod({
      billingAnchor: "anniversary",
      interval: "year",
      start: at("2024-02-29T00:00:00.000Z"),
    });
    expect(asText(first.period)).toEqual(["2024-02-29T00:00:00.000Z", "2025-02-28T00:00:00.000Z"]);
    expect(first.isStub).toBe(false);
  });

  it("charges the full price (the fraction is 1)", () => {
    const first = firstPeriod({
      billingAnchor: "anniversary",
      interval: "month",
      start: at("2026-01-15T10:30:00.000Z"),
    });
    expect(stubPrice({ first, unitAmount: 2990n })).toBe(2990n);
  });
});

describe("firstPeriod with the first_of_month anchor", () => {
  it("runs a prorated stub to the next 1st, part of the calendar month", () => {
    const first = firstPeriod({
      billingAnchor: "first_of_month",
      interval: "month",
      start: at("2026-01-15T10:30:00.000Z"),
    });
    expect(describeFirst(first)).toEqual({
      period: ["2026-01-15T10:30:00.000Z", "2026-02-01T00:00:00.000Z"],
      fullPeriod: ["2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"],
      isStub: true,
      anchor: "2026-02-01T00:00:00.000Z",
    });
  });

  it("then runs 1st to 1st", () => {
    const first = firstPeriod({
      billingAnchor: "first_of_month",
      interval: "month",
      start: at("2026-01-15T10:30:00.000Z"),
    });
    const second = nextPeriod({ anchor: first.anchor, interval: "month", period: first.period });
    const third = nextPeriod({ anchor: first.anchor, interval: "month", period: second });
    expect(asText(second)).toEqual(["2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"]);
    expect(asText(third)).toEqual(["2026-03-01T00:00:00.000Z", "2026-04-01T00:00:00.000Z"]);
  });

  it("is a full month, not a stub, when the start is exactly a 1st at 00:00 UTC", () => {
    const first = firstPeriod({
      billingAnchor: "first_of_month",
      interval: "month",
      start: at("2026-03-01T00:00:00.000Z"),
    });
    expect(describeFirst(first)).toEqual({
      period: ["2026-03-01T00:00:00.000Z", "2026-04-01T00:00:00.000Z"],
      fullPeriod: ["2026-03-01T00:00:00.000Z", "2026-04-01T00:00:00.000Z"],
      isStub: false,
      anchor: "2026-03-01T00:00:00.000Z",
    });
  });

  it("needs a 1st strictly after the start: one millisecond past midnight is a stub to the next month", () => {
    const first = firstPeriod({
      billingAnchor: "first_of_month",
      interval: "month",
      start: at("2026-03-01T00:00:00.001Z"),
    });
    expect(asText(first.period)).toEqual(["2026-03-01T00:00:00.001Z", "2026-04-01T00:00:00.000Z"]);
    expect(asText(first.fullPeriod)).toEqual([
      "2026-03-01T00:00:00.000Z",
      "2026-04-01T00:00:00.000Z",
    ]);
    expect(first.isStub).toBe(true);
  });

  it("crosses the year end", () => {
    const first = firstPeriod({
      billingAnchor: "first_of_month",
      interval: "month",
      start: at("2026-12-20T00:00:00.000Z"),
    });
    expect(asText(first.period)).toEqual(["2026-12-20T00:00:00.000Z", "2027-01-01T00:00:00.000Z"]);
    expect(asText(first.fullPeriod)).toEqual([
      "2026-12-01T00:00:00.000Z",
      "2027-01-01T00:00:00.000Z",
    ]);
  });

  it("prorates the stub by seconds over the full calendar month", () => {
    // 15 Jan 00:00 → 1 Feb: 17 of January's 31 days.
    const january = firstPeriod({
      billingAnchor: "first_of_month",
      interval: "month",
      start: at("2026-01-15T00:00:00.000Z"),
    });
    expect(stubPrice({ first: january, unitAmount: 3100n })).toBe(1700n);
    expect(stubPrice({ first: january, unitAmount: 9990n })).toBe(5478n); // CLP: 5478.39
    // 15 Feb 00:00 → 1 Mar 2026: 14 of February's 28 days.
    const february = firstPeriod({
      billingAnchor: "first_of_month",
      interval: "month",
      start: at("2026-02-15T00:00:00.000Z"),
    });
    expect(stubPrice({ first: february, unitAmount: 1001n })).toBe(501n); // 500.5 → 501
    // 31 Jan 12:00 → 1 Feb: 12 hours of 31 days.
    const lastDay = firstPeriod({
      billingAnchor: "first_of_month",
      interval: "month",
      start: at("2026-01-31T12:00:00.000Z"),
    });
    expect(stubPrice({ first: lastDay, unitAmount: 6200n })).toBe(100n);
  });

  it("for a yearly price, stubs to the next 1st of a month and then runs full years from it", () => {
    const first = firstPeriod({
      billingAnchor: "first_of_month",
      interval: "year",
      start: at("2026-01-15T00:00:00.000Z"),
    });
    expect(describeFirst(first)).toEqual({
      period: ["2026-01-15T00:00:00.000Z", "2026-02-01T00:00:00.000Z"],
      fullPeriod: ["2025-02-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"],
      isStub: true,
      anchor: "2026-02-01T00:00:00.000Z",
    });
    const second = nextPeriod({ anchor: first.anchor, interval: "year", period: first.period });
    expect(asText(second)).toEqual(["2026-02-01T00:00:00.000Z", "2027-02-01T00:00:00.000Z"]);
    // 17 days of the 365-day year ending at the anchor.
    expect(stubPrice({ first, unitAmount: 36500n })).toBe(1700n);
  });

  it("for a yearly price starting exactly on a 1st, is a full year", () => {
    const first = firstPeriod({
      billingAnchor: "first_of_month",
      interval: "year",
      start: at("2024-03-01T00:00:00.000Z"),
    });
    expect(asText(first.period)).toEqual(["2024-03-01T00:00:00.000Z", "2025-03-01T00:00:00.000Z"]);
    expect(first.isStub).toBe(false);
  });
});

describe("firstPeriod arguments", () => {
  it("refuses an unknown billing anchor, even on a 1st", () => {
    expect(() =>
      firstPeriod({
        billingAnchor: "last_of_month" as never,
        interval: "month",
        start: at("2026-03-01T00:00:00.000Z"),
      }),
    ).toThrow(TimeError);
  });

  it("refuses an invalid start", () => {
    expect(() =>
      firstPeriod({ billingAnchor: "anniversary", interval: "month", start: new Date("x") }),
    ).toThrow(/start must be a valid Date/);
  });

  it("returns Dates the caller can mutate without touching the input", () => {
    const start = at("2026-01-15T10:30:00.000Z");
    const first = firstPeriod({ billingAnchor: "anniversary", interval: "month", start });
    first.period.start.setUTCFullYear(2000);
    first.anchor.setUTCFullYear(2001);
    expect(start.toISOString()).toBe("2026-01-15T10:30:00.000Z");
  });
});
