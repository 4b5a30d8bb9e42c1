import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { runCli } from "../helpers/process.ts";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ worker: false });
});
afterAll(() => app.close());

describe("abono seed demo", () => {
  it("loads the demo catalog once, and a second run changes nothing", async () => {
    const first = runCli(["seed", "demo"], { DATABASE_URL: app.database.url });
    expect(await first.exited).toBe(0);
    expect(first.output()).toMatch(/created 20, already present 0/);
    const second = runCli(["seed", "demo"], { DATABASE_URL: app.database.url });
    expect(await second.exited).toBe(0);
    expect(second.output()).toMatch(/created 0, already present 20/);
  });

  it("gives the plans the documented limits and prices", async () => {
    const plans = await app.request("GET", "/v1/plans?limit=100");
    const byId = Object.fromEntries(plans.body.data.map((plan: { id: string }) => [plan.id, plan]));
    expect(Object.keys(byId)).toEqual([
      "free",
      "demo",
      "starter",
      "plus",
      "pro",
      "premium",
      "teams",
      "enterprise",
    ]);
    // The preventive maintenance gate (may the organization use it at all) and the limit on active
    // preventives: every plan that allows some active preventives opens the gate.
    expect(byId.demo.features).toMatchObject({
      active_preventives: 5,
      preventive_maintenance: true,
    });
    expect(byId.free.features).toMatchObject({
      active_preventives: 3,
      preventive_maintenance: true,
    });
    expect(byId.pro.features).toMatchObject({
      active_preventives: 100,
      preventive_maintenance: true,
    });
    expect(byId.enterprise.features).toMatchObject({ active_preventives: 1000, encounters: null });
    for (const plan of Object.values(byId) as { features: Record<string, unknown> }[]) {
      expect(Object.keys(plan.features)).not.toContain("PREVENTIVES");
      expect(Object.keys(plan.features)).not.toContain("preventives");
    }
    expect(byId.plus.prices).toEqual([
      { interval: "month", currency: "USD", unitAmount: 2900 },
      { interval: "year", currency: "USD", unitAmount: 29000 },
    ]);
    expect(byId.teams.prices).toEqual([{ interval: "year", currency: "USD", unitAmount: 199000 }]);
    const packs = await app.request("GET", "/v1/packs");
    expect(packs.body.data.map((pack: { id: string }) => pack.id)).toEqual([
      "encounters-100",
      "encounters-1000",
      "encounters-500",
    ]);
    const founders = await app.request("GET", "/v1/coupons/FOUNDERS");
    expect(founders.body).toMatchObject({ percentOff: 30, duration: "forever" });
  });

  it("gives every feature a key no other key equals without regard to case", async () => {
    const features = await app.request("GET", "/v1/features?limit=100");
    const keys: string[] = features.body.data.map((feature: { key: string }) => feature.key);
    expect(keys).toEqual(expect.arrayContaining(["preventive_maintenance", "active_preventives"]));
    expect(new Set(keys.map((key) => key.toLowerCase())).size).toBe(keys.length);
    const byKey = Object.fromEntries(
      features.body.data.map((feature: { key: string; kind: string }) => [
        feature.key,
        feature.kind,
      ]),
    );
    expect(byKey).toMatchObject({ preventive_maintenance: "boolean", active_preventives: "limit" });
  });

  it("names the available seeds on a wrong name", async () => {
    const wrong = runCli(["seed", "nope"], { DATABASE_URL: app.database.url });
    expect(await wrong.exited).toBe(2);
    expect(wrong.output()).toMatch(/available: demo/);
  });
});
