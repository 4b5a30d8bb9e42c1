import { describe, expect, it } from "vitest";
import type { Feature } from "../../src/catalog/catalog-types.ts";
import { type CouponInput, validateCouponInput } from "../../src/catalog/coupons.ts";
import { type PackInput, validatePackInput } from "../../src/catalog/packs.ts";

const now = new Date("2026-01-01T00:00:00Z");
const feature = (key: string, kind: Feature["kind"]): [string, Feature] => [
  key,
  { key, name: key, kind, unit: null, createdAt: now },
];
const features = new Map([feature("encounters", "metered"), feature("seats", "limit")]);

describe("validatePackInput", () => {
  const pack: PackInput = {
    id: "encounters-100",
    name: "100 encounters",
    feature: "encounters",
    quantity: 100n,
    price: { currency: "USD", unitAmount: 1500n },
    expiresAfterDays: null,
  };

  it("accepts a metered feature, a positive quantity and a known currency", () => {
    expect(validatePackInput({ input: pack, features })).toEqual([]);
  });

  it("names every problem, including those the database would refuse", () => {
    const problems = validatePackInput({
      input: {
        ...pack,
        feature: "seats",
        quantity: 0n,
        price: { currency: "XYZ", unitAmount: -1n },
        expiresAfterDays: 0,
      },
      features,
    });
    expect(problems).toEqual([
      'feature: packs top up metered features; "seats" is limit',
      "quantity: must be at least 1",
      'price.currency: "XYZ" is not an ISO 4217 currency with a known number of decimals; use a code such as USD, EUR, CLP or MXN',
      "price.unitAmount: must not be negative",
      "expiresAfterDays: must be at least 1, or left out for packs that do not expire",
    ]);
    expect(validatePackInput({ input: { ...pack, feature: "ghosts" }, features })).toEqual([
      'feature: no feature with key "ghosts"; create it with POST /v1/features first',
    ]);
  });
});

describe("validateCouponInput", () => {
  const coupon: CouponInput = {
    code: "SPRING",
    name: null,
    percentOff: 20,
    amountOff: null,
    currency: null,
    duration: "once",
    durationInMonths: null,
    maxRedemptions: null,
    expiresAt: null,
    planIds: null,
  };

  it("accepts a percentage and an amount with its currency", () => {
    expect(validateCouponInput({ input: coupon, now })).toEqual([]);
    expect(
      validateCouponInput({
        input: { ...coupon, percentOff: null, amountOff: 500n, currency: "EUR" },
        now,
      }),
    ).toEqual([]);
  });

  it("keeps percentOff within 1–100, reported once", () => {
    for (const percentOff of [0, 101]) {
      expect(validateCouponInput({ input: { ...coupon, percentOff }, now })).toEqual([
        "percentOff: must be between 1 and 100",
      ]);
    }
  });

  it("wants a positive amount in a known currency", () => {
    expect(
      validateCouponInput({
        input: { ...coupon, percentOff: null, amountOff: 0n, currency: "XYZ" },
        now,
      }),
    ).toEqual([
      "amountOff: must be a positive amount in minor units",
      'currency: "XYZ" is not an ISO 4217 currency with a known number of decimals; use a code such as USD, EUR, CLP or MXN',
    ]);
    expect(validateCouponInput({ input: { ...coupon, currency: "USD" }, now })).toEqual([
      "currency: only allowed with amountOff",
    ]);
  });

  it("ties durationInMonths to repeating and wants a future expiry", () => {
    expect(
      validateCouponInput({
        input: { ...coupon, duration: "repeating", expiresAt: now },
        now,
      }),
    ).toEqual([
      "durationInMonths: required when duration is repeating",
      "expiresAt: must be in the future",
    ]);
    expect(validateCouponInput({ input: { ...coupon, durationInMonths: 3 }, now })).toEqual([
      "durationInMonths: only allowed when duration is repeating",
    ]);
  });
});
