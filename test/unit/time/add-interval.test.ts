import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addInterval, daysInMonth, isLeapYear, TimeError } from "../../../src/time/index.ts";

const at = (iso: string) => new Date(iso);
const millisecondsInDay = 86_400_000;
/** Milliseconds since UTC midnight, also for instants before 1970. */
const timeOfDay = (date: Date) =>
  ((date.getTime() % millisecondsInDay) + millisecondsInDay) % millisecondsInDay;
const addMonths = (anchor: string, count: number) =>
  addInterval({ anchor: at(anchor), interval: "month", count }).toISOString();
const addYears = (anchor: string, count: number) =>
  addInterval({ anchor: at(anchor), interval: "year", count }).toISOString();

describe("addInterval", () => {
  it("clamps relative to the original anchor: 31 Jan → 28 Feb → 31 Mar → 30 Apr → 31 May", () => {
    const anchor = "2026-01-31T00:00:00.000Z";
    expect([0, 1, 2, 3, 4].map((count) => addMonths(anchor, count))).toEqual([
      "2026-01-31T00:00:00.000Z",
      "2026-02-28T00:00:00.000Z",
      "2026-03-31T00:00:00.000Z",
      "2026-04-30T00:00:00.000Z",
      "2026-05-31T00:00:00.000Z",
    ]);
  });

  it("uses 29 February in a leap year", () => {
    expect(addMonths("2024-01-31T00:00:00.000Z", 1)).toBe("2024-02-29T00:00:00.000Z");
    expect(addMonths("2024-01-31T00:00:00.000Z", 2)).toBe("2024-03-31T00:00:00.000Z");
  });

  it("does not drift like stepping from the previous end would", () => {
    const stepped = addInterval({
      anchor: addInterval({ anchor: at("2026-01-31T00:00:00Z"), interval: "month", count: 1 }),
      interval: "month",
      count: 1,
    });
    // Stepping lands on 28 March; the anchor-relative answer is 31 March.
    expect(stepped.toISOString()).toBe("2026-03-28T00:00:00.000Z");
    expect(addMonths("2026-01-31T00:00:00.000Z", 2)).toBe("2026-03-31T00:00:00.000Z");
  });

  it("clamps a 30th anchor only in February", () => {
    expect(addMonths("2026-01-30T00:00:00.000Z", 1)).toBe("2026-02-28T00:00:00.000Z");
    expect(addMonths("2026-01-30T00:00:00.000Z", 2)).toBe("2026-03-30T00:00:00.000Z");
    expect(addMonths("2026-01-30T00:00:00.000Z", 3)).toBe("2026-04-30T00:00:00.000Z");
  });

  it("clamps a 31st anchor in 30-day months", () => {
    expect(addMonths("2026-05-31T00:00:00.000Z", 1)).toBe("2026-06-30T00:00:00.000Z");
    expect(addMonths("2026-08-31T00:00:00.000Z", 1)).toBe("2026-09-30T00:00:00.000Z");
    expect(addMonths("2026-10-31T00:00:00.000Z", 1)).toBe("2026-11-30T00:00:00.000Z");
    expect(addMonths("2026-07-31T00:00:00.000Z", 1)).toBe("2026-08-31T00:00:00.000Z");
  });

  it("keeps the anchor's time of day, to the millisecond", () => {
    expect(addMonths("2026-01-31T13:45:30.250Z", 1)).toBe("2026-02-28T13:45:30.250Z");
    expect(addMonths("2026-01-15T23:59:59.999Z", 1)).toBe("2026-02-15T23:59:59.999Z");
  });

  it("crosses year ends", () => {
    expect(addMonths("2025-12-31T00:00:00.000Z", 2)).toBe("2026-02-28T00:00:00.000Z");
    expect(addMonths("2025-11-15T08:00:00.000Z", 3)).toBe("2026-02-15T08:00:00.000Z");
    expect(addMonths("2025-12-01T00:00:00.000Z", 1)).toBe("2026-01-01T00:00:00.000Z");
    expect(addMonths("2025-01-31T00:00:00.000Z", 25)).toBe("2027-02-28T00:00:00.000Z");
  });

  it("adds years: 29 Feb 2024 → 28 Feb 2025 and 29 Feb 2028", () => {
    expect(addYears("2024-02-29T00:00:00.000Z", 1)).toBe("2025-02-28T00:00:00.000Z");
    expect(addYears("2024-02-29T00:00:00.000Z", 2)).toBe("2026-02-28T00:00:00.000Z");
    expect(addYears("2024-02-29T00:00:00.000Z", 4)).toBe("2028-02-29T00:00:00.000Z");
    expect(addYears("2026-03-15T12:00:00.000Z", 1)).toBe("2027-03-15T12:00:00.000Z");
  });

  it("follows the century rule: 2100 is not a leap year, 2000 is", () => {
    expect(addYears("2096-02-29T00:00:00.000Z", 4)).toBe("2100-02-28T00:00:00.000Z");
    expect(addYears("1996-02-29T00:00:00.000Z", 4)).toBe("2000-02-29T00:00:00.000Z");
    expect(addMonths("2100-01-31T00:00:00.000Z", 1)).toBe("2100-02-28T00:00:00.000Z");
    expect(addMonths("2000-01-31T00:00:00.000Z", 1)).toBe("2000-02-29T00:00:00.000Z");
  });

  it("goes backwards for a negative count", () => {
    expect(addMonths("2026-03-31T00:00:00.000Z", -1)).toBe("2026-02-28T00:00:00.000Z");
    expect(addMonths("2026-01-15T00:00:00.000Z", -1)).toBe("2025-12-15T00:00:00.000Z");
    expect(addYears("2028-02-29T00:00:00.000Z", -1)).toBe("2027-02-28T00:00:00.000Z");
  });

  it("returns a new Date and leaves the anchor untouched", () => {
    const anchor = at("2026-01-31T00:00:00.000Z");
    const same = addInterval({ anchor, interval: "month", count: 0 });
    const next = addInterval({ anchor, interval: "month", count: 1 });
    expect(same).not.toBe(anchor);
    expect(same.getTime()).toBe(anchor.getTime());
    expect(next.toISOString()).toBe("2026-02-28T00:00:00.000Z");
    expect(anchor.toISOString()).toBe("2026-01-31T00:00:00.000Z");
  });

  it("treats years below 100 literally (Date.UTC would map them to 19xx)", () => {
    const anchor = new Date(0);
    anchor.setUTCFullYear(50, 0, 31);
    anchor.setUTCHours(8, 0, 0, 0);
    const february = addInterval({ anchor, interval: "month", count: 1 });
    expect([february.getUTCFullYear(), february.getUTCMonth(), february.getUTCDate()]).toEqual([
      50, 1, 28,
    ]);
    expect(february.getUTCHours()).toBe(8);
    const nextYear = addInterval({ anchor, interval: "month", count: 13 });
    expect([nextYear.getUTCFullYear(), nextYear.getUTCMonth(), nextYear.getUTCDate()]).toEqual([
      51, 1, 28,
    ]);
  });

  it("refuses invalid arguments with a TimeError", () => {
    const anchor = at("2026-01-31T00:00:00.000Z");
    expect(() => addInterval({ anchor: new Date("nope"), interval: "month", count: 1 })).toThrow(
      TimeError,
    );
    expect(() => addInterval({ anchor, interval: "month", count: 1.5 })).toThrow(/whole number/);
    expect(() => addInterval({ anchor, interval: "week" as never, count: 1 })).toThrow(
      /"month" or "year"/,
    );
    expect(() => addInterval({ anchor, interval: "constructor" as never, count: 1 })).toThrow(
      TimeError,
    );
  });

  it("property: n months later is the same day (clamped), same time, exactly n calendar months on", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2200, 0, 1) }),
        fc.integer({ min: -1200, max: 1200 }),
        (anchorMilliseconds, count) => {
          const anchor = new Date(anchorMilliseconds);
          const result = addInterval({ anchor, interval: "month", count });
          const monthsOn =
            (result.getUTCFullYear() - anchor.getUTCFullYear()) * 12 +
            result.getUTCMonth() -
            anchor.getUTCMonth();
          expect(monthsOn).toBe(count);
          const lastDay = daysInMonth({
            year: result.getUTCFullYear(),
            month: result.getUTCMonth(),
          });
          expect(result.getUTCDate()).toBe(Math.min(anchor.getUTCDate(), lastDay));
          expect(timeOfDay(result)).toBe(timeOfDay(anchor));
        },
      ),
    );
  });

  it("property: k years equal 12·k months", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2200, 0, 1) }),
        fc.integer({ min: -100, max: 100 }),
        (anchorMilliseconds, count) => {
          const anchor = new Date(anchorMilliseconds);
          expect(addInterval({ anchor, interval: "year", count }).getTime()).toBe(
            addInterval({ anchor, interval: "month", count: 12 * count }).getTime(),
          );
        },
      ),
    );
  });
});

describe("daysInMonth and isLeapYear", () => {
  it.each([
    [2024, true],
    [2025, false],
    [2028, true],
    [2000, true],
    [2100, false],
    [1900, false],
  ])("%d is a leap year: %s", (year, leap) => {
    expect(isLeapYear(year)).toBe(leap);
  });

  it("knows every month's length", () => {
    expect(
      Array.from({ length: 12 }, (_unused, month) => daysInMonth({ year: 2026, month })),
    ).toEqual([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]);
    expect(daysInMonth({ year: 2024, month: 1 })).toBe(29);
    expect(daysInMonth({ year: 2100, month: 1 })).toBe(28);
    expect(() => daysInMonth({ year: 2026, month: 12 })).toThrow(RangeError);
  });
});
