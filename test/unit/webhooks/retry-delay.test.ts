import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.ts";
import { retryDelay } from "../../../src/webhooks/retry-delay.ts";

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;

describe("the default retry schedule", () => {
  const { webhooks } = loadConfig({});

  it("waits 5 s, 5 min, 30 min, 2 h, 5 h, then 10 h, about three days in all, then gives up", () => {
    expect(webhooks.retrySchedule).toEqual([
      5 * second,
      5 * minute,
      30 * minute,
      2 * hour,
      5 * hour,
      ...Array.from({ length: 6 }, () => 10 * hour),
    ]);
    const total = webhooks.retrySchedule.reduce((sum, delay) => sum + delay, 0);
    expect(total / (24 * hour)).toBeGreaterThan(2.8);
    expect(total / (24 * hour)).toBeLessThan(3.2);
    expect(
      retryDelay({
        attempts: webhooks.retrySchedule.length + 1,
        schedule: webhooks.retrySchedule,
        random: 0.5,
      }),
    ).toBeNull();
  });

  it("spreads each delay by ±20 %", () => {
    const schedule = webhooks.retrySchedule;
    expect(retryDelay({ attempts: 1, schedule, random: 0 })).toBe(4 * second);
    expect(retryDelay({ attempts: 1, schedule, random: 0.5 })).toBe(5 * second);
    const longest = retryDelay({ attempts: 4, schedule, random: 0.999_999 }) ?? 0;
    expect(longest).toBeLessThanOrEqual(2.4 * hour);
    expect(longest).toBeGreaterThan(2.4 * hour - second);
  });

  it("gives 10 s per attempt and disables an endpoint after 5 days of failures", () => {
    expect(webhooks.timeoutMs).toBe(10 * second);
    expect(webhooks.disableAfterMs).toBe(5 * 24 * hour);
  });
});
