import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MoneyError, prorate, prorationFraction } from "../../../src/money/index.ts";

const absolute = (value: bigint) => (value < 0n ? -value : value);

const secondsInDay = 86_400;
const earliest = Date.UTC(2000, 0, 1);
const latest = Date.UTC(2100, 0, 1);

/** A period of at least one second, starting at any millisecond between 2000 and 2100. */
const periodArbitrary = fc
  .record({
    startMilliseconds: fc.integer({ min: earliest, max: latest }),
    durationMilliseconds: fc.integer({ min: 1000, max: 400 * secondsInDay * 1000 }),
  })
  .map(({ startMilliseconds, durationMilliseconds }) => {
    // Align the end so the period is at least one whole second once truncated.
    const endMilliseconds = Math.floor(startMilliseconds / 1000) * 1000 + durationMilliseconds;
    return { periodStart: new Date(startMilliseconds), periodEnd: new Date(endMilliseconds) };
  });

const unitAmountArbitrary = fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n });
const quantityArbitrary = fc.integer({ min: 0, max: 10_000 });

describe("prorate", () => {
  it("charges the remaining share of the period", () => {
    const fraction = prorationFraction({
      periodStart: new Date("2026-04-01T00:00:00Z"),
      periodEnd: new Date("2026-05-01T00:00:00Z"),
      now: new Date("2026-04-16T00:00:00Z"),
    });
    expect(prorate({ unitAmount: 3000n, quantity: 1, fraction })).toBe(1500n);
    expect(prorate({ unitAmount: 3000n, quantity: 4n, fraction })).toBe(6000n);
    expect(prorate({ unitAmount: -3000n, quantity: 4, fraction })).toBe(-6000n);
  });

  it("prorates CLP (no minor unit) to whole pesos", () => {
    // 17 of 31 days of 9990 CLP = 5478.39 → 5478.
    const fraction = prorationFraction({
      periodStart: new Date("2026-01-01T00:00:00Z"),
      periodEnd: new Date("2026-02-01T00:00:00Z"),
      now: new Date("2026-01-15T00:00:00Z"),
    });
    expect(fraction).toEqual({ numerator: 17n * 86_400n, denominator: 31n * 86_400n });
    expect(prorate({ unitAmount: 9990n, quantity: 1, fraction })).toBe(5478n);
    expect(prorate({ unitAmount: -9990n, quantity: 1, fraction })).toBe(-5478n);
  });

  it.each([
    [1000n, 1, 1n, 3n, 333n],
    [1000n, 1, 2n, 3n, 667n],
    [-1000n, 1, 2n, 3n, -667n],
    [1n, 1, 1n, 2n, 1n],
    [-1n, 1, 1n, 2n, -1n],
    [1999n, 0, 1n, 2n, 0n],
    [1999n, 5, 0n, 9n, 0n],
    [1999n, 5, 9n, 9n, 9995n],
  ])("%s × %d × %s/%s = %s", (unitAmount, quantity, numerator, denominator, expected) => {
    expect(prorate({ unitAmount, quantity, fraction: { numerator, denominator } })).toBe(expected);
  });

  it("rounds once per line, not once per unit", () => {
    // 3 × 0.5 = 1.5 → 2; rounding each unit (0.5 → 1) would give 3.
    expect(
      prorate({ unitAmount: 1n, quantity: 3, fraction: { numerator: 1n, denominator: 2n } }),
    ).toBe(2n);
  });

  it.each([
    ["a zero denominator", 0n, 0n],
    ["a negative numerator", -1n, 2n],
    ["a fraction above one", 3n, 2n],
    ["a negative denominator", -1n, -2n],
  ])("refuses %s", (_name, numerator, denominator) => {
    expect(() =>
      prorate({ unitAmount: 100n, quantity: 1, fraction: { numerator, denominator } }),
    ).toThrow(/not between 0 and 1/);
  });

  it("refuses a fractional quantity and a number unit amount", () => {
    const fraction = { numerator: 1n, denominator: 2n };
    expect(() => prorate({ unitAmount: 100n, quantity: 1.5, fraction })).toThrow(MoneyError);
    expect(() => prorate({ unitAmount: 100 as never, quantity: 1, fraction })).toThrow(MoneyError);
  });

  it("property (a): a full period (now = period start) costs exactly unitAmount × quantity", () => {
    fc.assert(
      fc.property(
        periodArbitrary,
        unitAmountArbitrary,
        quantityArbitrary,
        ({ periodStart, periodEnd }, unitAmount, quantity) => {
          const fraction = prorationFraction({ periodStart, periodEnd, now: periodStart });
          expect(prorate({ unitAmount, quantity, fraction })).toBe(unitAmount * BigInt(quantity));
        },
      ),
    );
  });

  it("property (b): a credit and a charge of the same price over the same fraction cancel exactly", () => {
    fc.assert(
      fc.property(
        periodArbitrary,
        fc.double({ min: 0, max: 1, noNaN: true }),
        unitAmountArbitrary,
        quantityArbitrary,
        ({ periodStart, periodEnd }, position, unitAmount, quantity) => {
          const span = periodEnd.getTime() - periodStart.getTime();
          const now = new Date(periodStart.getTime() + Math.floor(position * span));
          const fraction = prorationFraction({ periodStart, periodEnd, now });
          const charge = prorate({ unitAmount, quantity, fraction });
          const credit = prorate({ unitAmount: -unitAmount, quantity, fraction });
          expect(credit).toBe(-charge);
          expect(charge + credit).toBe(0n);
        },
      ),
    );
  });

  it("property (b): the credit/charge symmetry holds on exact ties too", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 9n }), (halfDenominator) => {
        const fraction = { numerator: halfDenominator, denominator: 2n * halfDenominator };
        const charge = prorate({ unitAmount: 1n, quantity: 1, fraction });
        expect(charge).toBe(1n);
        expect(prorate({ unitAmount: -1n, quantity: 1, fraction })).toBe(-charge);
      }),
    );
  });

  it("property (c): the result is a whole amount within half a unit of the exact value", () => {
    fc.assert(
      fc.property(
        periodArbitrary,
        fc.integer({ min: earliest, max: latest }),
        unitAmountArbitrary,
        quantityArbitrary,
        ({ periodStart, periodEnd }, nowMilliseconds, unitAmount, quantity) => {
          const fraction = prorationFraction({
            periodStart,
            periodEnd,
            now: new Date(nowMilliseconds),
          });
          const result = prorate({ unitAmount, quantity, fraction });
          expect(typeof result).toBe("bigint");
          const exact = unitAmount * BigInt(quantity) * fraction.numerator;
          const twiceError = 2n * absolute(result * fraction.denominator - exact);
          expect(twiceError <= fraction.denominator).toBe(true);
          if (twiceError === fraction.denominator) {
            expect(absolute(result * fraction.denominator) > absolute(exact)).toBe(true);
          }
        },
      ),
    );
  });

  it("property (d): at the period end the proration is zero", () => {
    fc.assert(
      fc.property(
        periodArbitrary,
        unitAmountArbitrary,
        quantityArbitrary,
        ({ periodStart, periodEnd }, unitAmount, quantity) => {
          const fraction = prorationFraction({ periodStart, periodEnd, now: periodEnd });
          expect(prorate({ unitAmount, quantity, fraction })).toBe(0n);
        },
      ),
    );
  });

  it("property (e): a later now never yields a larger proration for a non-negative price", () => {
    fc.assert(
      fc.property(
        periodArbitrary,
        fc.integer({ min: earliest - 1000 * secondsInDay, max: latest + 1000 * secondsInDay }),
        fc.integer({ min: 0, max: 500 * secondsInDay * 1000 }),
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        quantityArbitrary,
        ({ periodStart, periodEnd }, earlierMilliseconds, gap, unitAmount, quantity) => {
          const earlier = prorate({
            unitAmount,
            quantity,
            fraction: prorationFraction({
              periodStart,
              periodEnd,
              now: new Date(earlierMilliseconds),
            }),
          });
          const later = prorate({
            unitAmount,
            quantity,
            fraction: prorationFraction({
              periodStart,
              periodEnd,
              now: new Date(earlierMilliseconds + gap),
            }),
          });
          expect(later <= earlier).toBe(true);
          expect(later >= 0n).toBe(true);
          expect(earlier <= unitAmount * BigInt(quantity)).toBe(true);
        },
      ),
    );
  });

  it("property (e): inside the period, monotonic for every now pair including sub-second steps", () => {
    fc.assert(
      fc.property(
        periodArbitrary,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.bigInt({ min: 1n, max: 10n ** 9n }),
        ({ periodStart, periodEnd }, first, second, unitAmount) => {
          const span = periodEnd.getTime() - periodStart.getTime();
          const [earlierPosition, laterPosition] =
            first <= second ? [first, second] : [second, first];
          const at = (position: number) =>
            prorate({
              unitAmount,
              quantity: 1,
              fraction: prorationFraction({
                periodStart,
                periodEnd,
                now: new Date(periodStart.getTime() + Math.floor(position * span)),
              }),
            });
          expect(at(laterPosition) <= at(earlierPosition)).toBe(true);
        },
      ),
    );
  });
});
