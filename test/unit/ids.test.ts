import { describe, expect, it } from "vitest";
import { newId } from "../../src/ids.ts";

describe("newId", () => {
  it("is prefixed and sorts by creation time, also within one millisecond", () => {
    const ids = [
      newId("sub", 1_000),
      newId("sub", 1_000),
      newId("sub", 2_000),
      newId("sub", 2_000),
    ];
    for (const id of ids) expect(id).toMatch(/^sub_[0-9a-z]{26}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
