import { describe, expect, it } from "vitest";
import { formatMoney } from "../../../web/src/i18n/format-money.ts";

/** The portal's money formatting: minor units to the currency's decimals by Intl, never through a float. */
describe("formatMoney", () => {
  it("formats minor units with the currency's own number of decimals, in each language", () => {
    expect(formatMoney(3096, "USD", "en")).toBe("$30.96");
    expect(formatMoney(-5161, "USD", "en")).toBe("-$51.61");
    expect(formatMoney(3096, "USD", "es")).toBe("30,96\u00a0US$");
    expect(formatMoney(5, "USD", "en")).toBe("$0.05");
    expect(formatMoney(0, "USD", "en")).toBe("$0.00");
    // No decimals (CLP, JPY) and three (KWD).
    expect(formatMoney(15000, "CLP", "es")).toBe("15.000\u00a0CLP");
    expect(formatMoney(1234, "JPY", "en")).toBe("¥1,234");
    expect(formatMoney(1234, "KWD", "en")).toBe("KWD\u00a01.234");
  });

  it("is exact where a float is not: amounts beyond 2^53 minor units and sums that floats round", () => {
    expect(formatMoney(9_007_199_254_740_993n, "USD", "en")).toBe("$90,071,992,547,409.93");
    expect(formatMoney(30n, "USD", "en")).toBe("$0.30");
  });
});
