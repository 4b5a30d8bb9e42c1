import { describe, expect, it } from "vitest";
import { createManualClock, fixedClock, systemClock, TimeError } from "../../../src/time/index.ts";

describe("systemClock", () => {
  it("reads the wall clock", () => {
    const before = Date.now();
    const now = systemClock.now().getTime();
    const after = Date.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(after);
  });
});

describe("fixedClock", () => {
  it("always returns the same instant, as a fresh copy", () => {
    const date = new Date("2026-01-15T10:30:00.000Z");
    const clock = fixedClock(date);
    const first = clock.now();
    const second = clock.now();
    expect(first.toISOString()).toBe("2026-01-15T10:30:00.000Z");
    expect(second.toISOString()).toBe("2026-01-15T10:30:00.000Z");
    expect(first).not.toBe(second);
    expect(first).not.toBe(date);
  });

  it("cannot be moved by mutating its input or its output", () => {
    const date = new Date("2026-01-15T10:30:00.000Z");
    const clock = fixedClock(date);
    date.setUTCFullYear(2000);
    clock.now().setUTCFullYear(1999);
    expect(clock.now().toISOString()).toBe("2026-01-15T10:30:00.000Z");
  });

  it("refuses an invalid date", () => {
    expect(() => fixedClock(new Date("x"))).toThrow(TimeError);
  });
});

describe("createManualClock", () => {
  it("starts at the given instant and advances to a later one", () => {
    const clock = createManualClock(new Date("2026-01-15T00:00:00.000Z"));
    expect(clock.now().toISOString()).toBe("2026-01-15T00:00:00.000Z");
    clock.advanceTo(new Date("2026-02-15T00:00:00.000Z"));
    expect(clock.now().toISOString()).toBe("2026-02-15T00:00:00.000Z");
  });

  it("accepts advancing to the current instant", () => {
    const clock = createManualClock(new Date("2026-01-15T00:00:00.000Z"));
    clock.advanceTo(new Date("2026-01-15T00:00:00.000Z"));
    expect(clock.now().toISOString()).toBe("2026-01-15T00:00:00.000Z");
  });

  it("refuses to move back and stays where it was", () => {
    const clock = createManualClock(new Date("2026-01-15T00:00:00.000Z"));
    expect(() => clock.advanceTo(new Date("2026-01-14T23:59:59.999Z"))).toThrow(TimeError);
    expect(() => clock.advanceTo(new Date("2026-01-14T23:59:59.999Z"))).toThrow(/only advances/);
    expect(clock.now().toISOString()).toBe("2026-01-15T00:00:00.000Z");
  });

  it("advances by milliseconds", () => {
    const clock = createManualClock(new Date("2026-01-15T00:00:00.000Z"));
    clock.advanceBy({ milliseconds: 86_400_000 });
    clock.advanceBy({ milliseconds: 0 });
    expect(clock.now().toISOString()).toBe("2026-01-16T00:00:00.000Z");
    expect(() => clock.advanceBy({ milliseconds: -1 })).toThrow(TimeError);
    expect(() => clock.advanceBy({ milliseconds: 0.5 })).toThrow(TimeError);
    expect(clock.now().toISOString()).toBe("2026-01-16T00:00:00.000Z");
  });

  it("is not moved by mutating its input or output", () => {
    const start = new Date("2026-01-15T00:00:00.000Z");
    const clock = createManualClock(start);
    start.setUTCFullYear(2000);
    clock.now().setUTCFullYear(1999);
    expect(clock.now().toISOString()).toBe("2026-01-15T00:00:00.000Z");
  });

  it("refuses invalid dates", () => {
    expect(() => createManualClock(new Date("x"))).toThrow(TimeError);
    const clock = createManualClock(new Date("2026-01-15T00:00:00.000Z"));
    expect(() => clock.advanceTo(new Date("x"))).toThrow(TimeError);
  });
});
