import { describe, expect, it } from "vitest";
import { thresholdsCrossed } from "../../../src/events/usage-thresholds.ts";

describe("usage thresholds", () => {
  const crossed = (before: bigint, after: bigint, limit: bigint | null, thresholds = [80, 100]) =>
    thresholdsCrossed({ before, after, limit, thresholds });

  it("reports each threshold a change rises through, once", () => {
    expect(crossed(0n, 79n, 100n)).toEqual([]);
    expect(crossed(79n, 80n, 100n)).toEqual([80]);
    expect(crossed(80n, 99n, 100n)).toEqual([]);
    expect(crossed(99n, 100n, 100n)).toEqual([100]);
    expect(crossed(0n, 150n, 100n)).toEqual([80, 100]);
    expect(crossed(100n, 150n, 100n)).toEqual([]);
  });

  it("rounds each mark up to a whole count, and ignores unlimited, zero limits and decreases", () => {
    // 80 % of 5 is 4; 80 % of 7 is 5.6, reached at 6.
    expect(crossed(3n, 4n, 5n)).toEqual([80]);
    expect(crossed(4n, 5n, 7n)).toEqual([]);
    expect(crossed(5n, 6n, 7n)).toEqual([80]);
    expect(crossed(0n, 10n, null)).toEqual([]);
    expect(crossed(0n, 10n, 0n)).toEqual([]);
    expect(crossed(90n, 50n, 100n)).toEqual([]);
  });

  it("uses a feature's own thresholds, sorted and without repeats", () => {
    expect(crossed(0n, 100n, 100n, [100, 50, 50, 90])).toEqual([50, 90, 100]);
  });
});
