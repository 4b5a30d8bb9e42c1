import { describe, expect, it } from "vitest";
import { featureState, usageLevel } from "../../../packages/react/src/feature-state.ts";
import { abonoMessages, fillMessage, pluralKey } from "../../../packages/react/src/messages.ts";

const entitlement = {
  features: { exports: true, sso: false, encounters: true, seats: true, api: true },
  limits: { encounters: 10, seats: 5, api: null },
  usage: { seats: 5, api: 1234 },
  balances: { encounters: { included: 10, purchased: 100, used: 104, remaining: 6 } },
};

/** `@abono/react`'s reading of an entitlement: what useEntitlement, UsageMeter and Paywall show. */
describe("featureState", () => {
  it("reads a metered feature from its balance: the limit is included plus purchased", () => {
    expect(featureState(entitlement, "encounters")).toEqual({
      allowed: true,
      limit: 110,
      used: 104,
      remaining: 6,
      unlimited: false,
      counted: true,
    });
  });

  it("refuses a limit feature at its limit, allows an unlimited one", () => {
    expect(featureState(entitlement, "seats")).toMatchObject({ allowed: false, remaining: 0 });
    expect(featureState(entitlement, "api")).toMatchObject({
      allowed: true,
      limit: null,
      used: 1234,
      unlimited: true,
    });
  });

  it("reads flags, and refuses an unknown feature", () => {
    expect(featureState(entitlement, "exports")).toMatchObject({ allowed: true, counted: false });
    expect(featureState(entitlement, "sso").allowed).toBe(false);
    expect(featureState(entitlement, "nothing").allowed).toBe(false);
  });
});

describe("usageLevel", () => {
  it("is near from 80 % of the limit, over at it, unlimited without one", () => {
    expect(usageLevel(7, 10)).toBe("ok");
    expect(usageLevel(8, 10)).toBe("near");
    expect(usageLevel(10, 10)).toBe("over");
    expect(usageLevel(0, 0)).toBe("over");
    expect(usageLevel(5, null)).toBe("unlimited");
    expect(usageLevel(5, 10, 0.5)).toBe("near");
  });
});

describe("messages", () => {
  it("has every key in both languages and fills placeholders", () => {
    expect(Object.keys(abonoMessages.es).sort()).toEqual(Object.keys(abonoMessages.en).sort());
    expect(fillMessage(abonoMessages.es["usage.used"], { used: "9", limit: "10" })).toBe(
      "9 de 10 usados",
    );
    expect(fillMessage("{a} {b}", { a: 1 })).toBe("1 {b}");
  });

  it("says one or many by the language's plural rules", () => {
    const remaining = (locale: "es" | "en", count: number) =>
      fillMessage(abonoMessages[locale][pluralKey("usage.remaining", count, locale)], {
        remaining: count,
      });
    expect([0, 1, 2].map((count) => remaining("es", count))).toEqual([
      "Quedan 0",
      "Queda 1",
      "Quedan 2",
    ]);
    expect([0, 1, 2].map((count) => remaining("en", count))).toEqual([
      "0 left",
      "1 left",
      "2 left",
    ]);
    // Spanish's "many" (a million) has no message of its own: the plural.
    expect(remaining("es", 1_000_000)).toBe("Quedan 1000000");
    const trial = (count: number) =>
      fillMessage(abonoMessages.es[pluralKey("plan.trial", count, "es")], { days: count });
    expect([trial(1), trial(14)]).toEqual(["1 día de prueba gratis", "14 días de prueba gratis"]);
  });
});
