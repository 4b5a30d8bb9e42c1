import { describe, expect, it } from "vitest";
import type { FeatureEntitlement } from "../../src/entitlements/compute-effective-entitlement.ts";
import type { EntitlementChange } from "../../src/entitlements/entitlement-change.ts";
import { createLiveEntitlements } from "../../src/entitlements/live-entitlements.ts";
import type { LoadedEntitlement } from "../../src/entitlements/load-entitlement.ts";

const day = 24 * 60 * 60 * 1000;
const now = new Date("2026-03-10T00:00:00Z");
const periodStart = new Date("2026-03-01T00:00:00Z");
const periodEnd = new Date("2026-04-01T00:00:00Z");

const feature = (kind: "limit" | "metered", limit: bigint): FeatureEntitlement => ({
  kind,
  enabled: true,
  limit,
  overagePrice: null,
  denial: null,
});

function entitlement(seats = 5n): LoadedEntitlement {
  return {
    organizationId: "org",
    organizationStatus: "active",
    trialEndsAt: null,
    effective: {
      planId: "plus",
      status: "active",
      subscriptionActive: true,
      features: new Map([
        ["seats", feature("limit", seats)],
        ["api_calls", feature("metered", 100n)],
      ]),
    },
    meteredPeriod: { start: periodStart, end: periodEnd },
    validUntil: periodEnd,
  };
}

type CounterRow = { feature: string; period: Date; used: number; revision: number };

/** The store over a fake listener and database; `hold()` pauses the next load until `release()`. */
function harness() {
  const listener = { live: true, epoch: 1 };
  const database = {
    version: 3,
    testClockId: null as string | null,
    frozenTime: null as Date | null,
    seats: 5n,
    counters: [{ feature: "seats", period: new Date(0), used: 2, revision: 4 }] as CounterRow[],
    grants: [] as { feature: string; remaining: number; expiresAt: Date | null }[],
  };
  let loads = 0;
  let gate: { promise: Promise<void>; open: () => void } | null = null;
  const pool = {
    async query({ name }: { name: string }) {
      if (name === "abono_live_head") {
        return {
          rows: [
            {
              test_clock_id: database.testClockId,
              frozen_time: database.frozenTime,
              version: String(database.version),
            },
          ],
        };
      }
      if (name === "abono_live_counters") {
        return {
          rows: database.counters.map((row) => ({
            feature_key: row.feature,
            period_start: String(row.period.getTime()),
            used: String(row.used),
            used_purchased: "0",
            overage: "0",
            revision: String(row.revision),
          })),
        };
      }
      return {
        rows: database.grants.map((grant) => ({
          feature_key: grant.feature,
          remaining: String(grant.remaining),
          expires_at: grant.expiresAt,
        })),
      };
    },
  };
  const live = createLiveEntitlements({
    db: {} as never,
    pool: pool as never,
    freePlanId: "free",
    listener,
    load: async () => {
      loads += 1;
      const seats = database.seats;
      if (gate) await gate.promise;
      return entitlement(seats);
    },
  });
  const args = (featureKey: string, systemNow = now) => ({
    organizationId: "org",
    featureKey,
    systemNow,
  });
  return {
    listener,
    database,
    live,
    loads: () => loads,
    hold() {
      let open = () => {};
      const promise = new Promise<void>((resolve) => {
        open = resolve;
      });
      gate = { promise, open };
    },
    release() {
      gate?.open();
      gate = null;
    },
    answer: (featureKey: string, systemNow?: Date) => live.answer(args(featureKey, systemNow)),
    load: (featureKey: string) => live.answerAfterLoad(args(featureKey)),
    apply: (change: EntitlementChange) => live.apply(change),
  };
}

/** Lets a started load reach the (held) entitlement load. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

const counter = (used: number, revision: number, period = new Date(0)): EntitlementChange => ({
  kind: "counter",
  organizationId: "org",
  featureKey: period.getTime() === 0 ? "seats" : "api_calls",
  periodStart: period.getTime(),
  used: BigInt(used),
  usedPurchased: 0n,
  overage: 0n,
  revision,
});

describe("checks answered from memory", () => {
  it("answers once the organization is loaded, and only while the listener is live in the same epoch", async () => {
    const store = harness();
    expect(store.answer("seats")).toBeUndefined();
    expect((await store.load("seats")).used).toBe(2n);
    expect(store.answer("seats")).toMatchObject({ used: 2n, remaining: 3n });
    store.listener.live = false;
    expect(store.answer("seats")).toBeUndefined();
    store.listener.live = true;
    store.listener.epoch += 1;
    expect(store.answer("seats")).toBeUndefined();
    await store.load("seats");
    expect(() => store.answer("nope")).toThrow(/nope/);
  });

  it("applies a counter value only when its revision is newer than the one held", async () => {
    const store = harness();
    await store.load("seats");
    store.apply(counter(1, 3));
    store.apply(counter(2, 4));
    expect(store.answer("seats")?.used).toBe(2n);
    store.apply(counter(4, 6));
    store.apply(counter(3, 5));
    expect(store.answer("seats")?.used).toBe(4n);
    // A counter that did not exist at the load takes any revision; one of another period is ignored.
    store.apply(counter(7, 0, periodStart));
    store.apply(counter(50, 9, new Date("2026-02-01T00:00:00Z")));
    expect(store.answer("api_calls")?.used).toBe(7n);
  });

  it("keeps the counter changes notified while a load runs", async () => {
    const store = harness();
    store.hold();
    const answer = store.load("seats");
    store.apply(counter(3, 5));
    store.apply(counter(1, 3));
    store.release();
    expect((await answer).used).toBe(3n);
    expect(store.answer("seats")?.used).toBe(3n);
  });

  it("answers from a load overtaken by a newer entitlement version but does not keep it", async () => {
    const store = harness();
    store.hold();
    const answer = store.load("seats");
    store.apply({ kind: "version", organizationId: "org", version: 4 });
    store.release();
    expect((await answer).limit).toBe(5n);
    expect(store.answer("seats")).toBeUndefined();
    store.database.version = 4;
    store.database.seats = 8n;
    expect((await store.load("seats")).limit).toBe(8n);
    expect(store.answer("seats")?.limit).toBe(8n);
    expect(store.loads()).toBe(2);
  });

  it("keeps a load whose version already includes the notified one", async () => {
    const store = harness();
    store.hold();
    const answer = store.load("seats");
    store.apply({ kind: "version", organizationId: "org", version: 3 });
    store.release();
    await answer;
    expect(store.answer("seats")?.limit).toBe(5n);
  });

  it("starts a new load rather than join one a change has spoiled", async () => {
    const store = harness();
    store.hold();
    const first = store.load("seats");
    await tick();
    store.apply({ kind: "organization", organizationId: "org" });
    store.database.seats = 9n;
    const second = store.load("seats");
    await tick();
    expect(store.loads()).toBe(2);
    store.release();
    expect((await first).limit).toBe(5n);
    expect((await second).limit).toBe(9n);
    expect(store.answer("seats")?.limit).toBe(9n);
  });

  it("joins a running load when nothing was notified since it started", async () => {
    const store = harness();
    store.hold();
    const first = store.load("seats");
    await tick();
    const second = store.load("api_calls");
    store.release();
    await Promise.all([first, second]);
    expect(store.loads()).toBe(1);
  });

  it("never keeps a load that started before the listener was lost", async () => {
    const store = harness();
    store.hold();
    const answer = store.load("seats");
    store.listener.epoch += 1;
    store.live.reset();
    store.release();
    await answer;
    expect(store.answer("seats")).toBeUndefined();
  });

  it("drops the organization on a newer version, consumed grants, its clock moving and catalog changes", async () => {
    const store = harness();
    await store.load("seats");
    store.apply({ kind: "version", organizationId: "org", version: 3 });
    store.apply({ kind: "version", organizationId: "other", version: 99 });
    expect(store.answer("seats")).toBeDefined();
    store.apply({ kind: "version", organizationId: "org", version: 4 });
    expect(store.answer("seats")).toBeUndefined();

    store.database.version = 4;
    await store.load("seats");
    store.apply({ kind: "organization", organizationId: "org" });
    expect(store.answer("seats")).toBeUndefined();

    store.database.testClockId = "clock_1";
    store.database.frozenTime = new Date("2026-03-20T00:00:00Z");
    await store.load("seats");
    store.apply({ kind: "clock", testClockId: "clock_2" });
    expect(store.answer("seats")).toBeDefined();
    store.apply({ kind: "clock", testClockId: "clock_1" });
    expect(store.answer("seats")).toBeUndefined();

    await store.load("seats");
    store.apply({ kind: "all" });
    expect(store.answer("seats")).toBeUndefined();
  });

  it("judges time at each check: purchased units expire, the entitlement expires at its horizon", async () => {
    const store = harness();
    store.database.grants = [
      { feature: "api_calls", remaining: 10, expiresAt: new Date(now.getTime() + day) },
      { feature: "api_calls", remaining: 5, expiresAt: null },
    ];
    expect((await store.load("api_calls")).purchased).toBe(15n);
    expect(store.answer("api_calls", new Date(now.getTime() + 2 * day))?.purchased).toBe(5n);
    expect(store.answer("api_calls", periodEnd)).toBeUndefined();
  });

  it("lives in the organization's test clock time", async () => {
    const store = harness();
    store.database.testClockId = "clock_1";
    store.database.frozenTime = new Date(periodEnd.getTime() - 1);
    await store.load("seats");
    // The system clock is past the horizon; the organization's frozen clock is not.
    expect(store.answer("seats", new Date(periodEnd.getTime() + day))).toBeDefined();
  });
});
