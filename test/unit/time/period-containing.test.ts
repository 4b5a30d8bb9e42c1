import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addInterval,
  type Interval,
  nextPeriod,
  type Period,
  periodContaining,
  TimeError,
} from "../../../src/time/index.ts";

const at = (iso: string) => new Date(iso);
const asText = (period: Period) => [period.start.toISOString(), period.end.toISOString()];

describe("periodContaining", () => {
  const anchor = at("2026-01-31T10:00:00.000Z");

  it("returns the first period for at = anchor (start is inclusive)", () => {
    expect(asText(periodContaining({ anchor, interval: "month", at: anchor }))).toEqual([
      "2026-01-31T10:00:00.000Z",
      "2026-02-28T10:00:00.000Z",
    ]);
  });

  it("keeps the last millisecond before the end in the period", () => {
    expect(
      asText(periodContaining({ anchor, interval: "month", at: at("2026-02-28T09:59:59.999Z") })),
    ).toEqual(["2026-01-31T10:00:00.000Z", "2026-02-28T10:00:00.000Z"]);
  });

  it("puts the end instant in the next period (end is exclusive)", () => {
    expect(
      asText(periodContaining({ anchor, interval: "month", at: at("2026-02-28T10:00:00.000Z") })),
    ).toEqual(["2026-02-28T10:00:00.000Z", "2026-03-31T10:00:00.000Z"]);
  });

  it("finds a period far from the anchor", () => {
    expect(
      asText(periodContaining({ anchor, interval: "month", at: at("2030-06-15T00:00:00.000Z") })),
    ).toEqual(["2030-05-31T10:00:00.000Z", "2030-06-30T10:00:00.000Z"]);
    expect(
      asText(periodContaining({ anchor, interval: "month", at: at("2030-06-30T10:00:00.000Z") })),
    ).toEqual(["2030-06-30T10:00:00.000Z", "2030-07-31T10:00:00.000Z"]);
  });

  it("handles a date early in a month whose period began the month before", () => {
    expect(
      asText(periodContaining({ anchor, interval: "month", at: at("2026-05-01T00:00:00.000Z") })),
    ).toEqual(["2026-04-30T10:00:00.000Z", "2026-05-31T10:00:00.000Z"]);
  });

  it("finds yearly periods around 29 February", () => {
    const leapAnchor = at("2024-02-29T00:00:00.000Z");
    expect(
      asText(
        periodContaining({ anchor: leapAnchor, interval: "year", at: at("2025-03-01T00:00:00Z") }),
      ),
    ).toEqual(["2025-02-28T00:00:00.000Z", "2026-02-28T00:00:00.000Z"]);
    expect(
      asText(
        periodContaining({ anchor: leapAnchor, interval: "year", at: at("2025-02-27T23:59:59Z") }),
      ),
    ).toEqual(["2024-02-29T00:00:00.000Z", "2025-02-28T00:00:00.000Z"]);
    expect(
      asText(
        periodContaining({ anchor: leapAnchor, interval: "year", at: at("2028-02-28T23:59:59Z") }),
      ),
    ).toEqual(["2027-02-28T00:00:00.000Z", "2028-02-29T00:00:00.000Z"]);
    expect(
      asText(
        periodContaining({ anchor: leapAnchor, interval: "year", at: at("2028-02-29T00:00:00Z") }),
      ),
    ).toEqual(["2028-02-29T00:00:00.000Z", "2029-02-28T00:00:00.000Z"]);
  });

  it("refuses at before the anchor", () => {
    expect(() =>
      periodContaining({ anchor, interval: "month", at: at("2026-01-31T09:59:59.999Z") }),
    ).toThrow(TimeError);
    expect(() =>
      periodContaining({ anchor, interval: "month", at: at("2026-01-31T09:59:59.999Z") }),
    ).toThrow(/before the anchor/);
  });

  it("refuses invalid dates", () => {
    expect(() => periodContaining({ anchor, interval: "month", at: new Date("x") })).toThrow(
      TimeError,
    );
  });

  it("property: the period contains at and lies on the anchor's schedule", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }),
        fc.integer({ min: 0, max: 20 * 366 * 86_400_000 }),
        fc.constantFrom<Interval>("month", "year"),
        (anchorMilliseconds, offset, interval) => {
          const anchor = new Date(anchorMilliseconds);
          const instant = new Date(anchorMilliseconds + offset);
          const period = periodContaining({ anchor, interval, at: instant });
          expect(period.start.getTime()).toBeLessThanOrEqual(instant.getTime());
          expect(instant.getTime()).toBeLessThan(period.end.getTime());
          // The end is one interval after the start on the anchor's schedule…
          const previous = periodContaining({ anchor, interval, at: period.start });
          expect(previous.start.getTime()).toBe(period.start.getTime());
          expect(previous.end.getTime()).toBe(period.end.getTime());
          // …and it is the next period's start.
          expect(periodContaining({ anchor, interval, at: period.end }).start.getTime()).toBe(
            period.end.getTime(),
          );
          // The period start is anchor + k intervals for some k.
          const monthsApart =
            (period.start.getUTCFullYear() - anchor.getUTCFullYear()) * 12 +
            period.start.getUTCMonth() -
            anchor.getUTCMonth();
          const count = interval === "year" ? monthsApart / 12 : monthsApart;
          expect(Number.isInteger(count)).toBe(true);
          expect(addInterval({ anchor, interval, count }).getTime()).toBe(period.start.getTime());
        },
      ),
    );
  });
});

describe("nextPeriod", () => {
  it("lists twelve consecutive monthly periods from 31 Jan 2024 (a leap year) exactly", () => {
    const anchor = at("2024-01-31T00:00:00.000Z");
    let period = periodContaining({ anchor, interval: "month", at: anchor });
    const periods = [asText(period)];
    for (let index = 1; index < 12; index += 1) {
      period = nextPeriod({ anchor, interval: "month", period });
      periods.push(asText(period));
    }
    expect(periods).toEqual([
      ["2024-01-31T00:00:00.000Z", "2024-02-29T00:00:00.000Z"],
      ["2024-02-29T00:00:00.000Z", "2024-03-31T00:00:00.000Z"],
      ["2024-03-31T00:00:00.000Z", "2024-04-30T00:00:00.000Z"],
      ["2024-04-30T00:00:00.000Z", "2024-05-31T00:00:00.000Z"],
      ["2024-05-31T00:00:00.000Z", "2024-06-30T00:00:00.000Z"],
      ["2024-06-30T00:00:00.000Z", "2024-07-31T00:00:00.000Z"],
      ["2024-07-31T00:00:00.000Z", "2024-08-31T00:00:00.000Z"],
      ["2024-08-31T00:00:00.000Z", "2024-09-30T00:00:00.000Z"],
      ["2024-09-30T00:00:00.000Z", "2024-10-31T00:00:00.000Z"],
      ["2024-10-31T00:00:00.000Z", "2024-11-30T00:00:00.000Z"],
      ["2024-11-30T00:00:00.000Z", "2024-12-31T00:00:00.000Z"],
      ["2024-12-31T00:00:00.000Z", "2025-01-31T00:00:00.000Z"],
    ]);
  });

  it("steps yearly periods from 29 Feb 2024", () => {
    const anchor = at("2024-02-29T00:00:00.000Z");
    const first = periodContaining({ anchor, interval: "year", at: anchor });
    const second = nextPeriod({ anchor, interval: "year", period: first });
    const fifth = nextPeriod({
      anchor,
      interval: "year",
      period: nextPeriod({
        anchor,
        interval: "year",
        period: nextPeriod({ anchor, interval: "year", period: second }),
      }),
    });
    expect(asText(first)).toEqual(["2024-02-29T00:00:00.000Z", "2025-02-28T00:00:00.000Z"]);
    expect(asText(second)).toEqual(["2025-02-28T00:00:00.000Z", "2026-02-28T00:00:00.000Z"]);
    expect(asText(fifth)).toEqual(["2028-02-29T00:00:00.000Z", "2029-02-28T00:00:00.000Z"]);
  });

  it("refuses a period whose end is not on the anchor's schedule", () => {
    const anchor = at("2026-01-15T00:00:00.000Z");
    const misaligned = { start: anchor, end: at("2026-02-20T00:00:00.000Z") };
    expect(() => nextPeriod({ anchor, interval: "month", period: misaligned })).toThrow(TimeError);
    expect(() => nextPeriod({ anchor, interval: "month", period: misaligned })).toThrow(
      /not a period boundary/,
    );
  });
});
