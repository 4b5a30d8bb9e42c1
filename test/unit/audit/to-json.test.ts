import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toJson } from "../../../src/audit/record-audit.ts";

/** What an audit entry's JSON copy has always been: a round trip through JSON text, bigints as text. */
const throughText = (value: unknown) =>
  value === undefined
    ? null
    : JSON.parse(
        JSON.stringify(value, (_key, item) => (typeof item === "bigint" ? item.toString() : item)),
      );

const outcome = (run: () => unknown) => {
  try {
    return { value: run() };
  } catch (error) {
    return { error: (error as Error).name };
  }
};

const leaf = fc.oneof(
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.double(),
  fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY),
  fc.bigInt(),
  fc.date({ noInvalidDate: false }),
  fc.constant(() => 1),
);
const data = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, leaf, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 5 }),
  object: fc.dictionary(fc.string(), tie("value"), { maxKeys: 5 }),
})).value;

describe("toJson", () => {
  it("copies data exactly as a round trip through JSON text would, bigints as text", () => {
    fc.assert(
      fc.property(data, (value) => {
        expect(outcome(() => toJson(value))).toStrictEqual(outcome(() => throughText(value)));
      }),
      { numRuns: 2000 },
    );
  });

  it("copies a subscription's view: dates as ISO text, no undefined, nothing shared with the input", () => {
    const view = {
      id: "sub_1",
      currentPeriodStart: new Date("2026-04-01T00:00:00Z"),
      trialEndsAt: null,
      canceledAt: undefined,
      items: [{ addonId: "seats", quantity: 3 }],
      metadata: { amountDue: 1999n },
    };
    const copy = toJson(view) as typeof view;
    expect(copy).toStrictEqual(throughText(view));
    expect(copy.currentPeriodStart).toBe("2026-04-01T00:00:00.000Z");
    expect(copy.metadata.amountDue).toBe("1999");
    expect("canceledAt" in copy).toBe(false);
    expect(copy.items).not.toBe(view.items);
  });

  it("takes the round trip for what it does not copy itself: toJSON methods, class instances, __proto__", () => {
    class Money {
      amount = 5n;
    }
    const odd = [
      { toJSON: () => "custom" },
      new Money(),
      new Map([["a", 1]]),
      JSON.parse('{"__proto__": {"a": 1}}'),
      Object.assign([1, 2], { toJSON: () => "list" }),
    ];
    for (const value of odd) expect(toJson(value)).toStrictEqual(throughText(value));
    expect(() => toJson(() => 1)).toThrow();
  });
});
