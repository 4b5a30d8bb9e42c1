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
    expect(byId.demo.features.preventives).toBe(5);
    expect(byId.free.features).toMatchObject({ preventives: 3, PREVENTIVES: false });
    expect(byId.pro.features).toMatchObject({ preventives: 100, PREVENTIVES: true });
    expect(byId.enterprise.features).toMatchObject({ preventives: 1000, encounters: null });
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

  it("names the available seeds on a wrong name", async () => {
    const wrong = runCli(["seed", "nope"], { DATABASE_URL: app.database.url });
    expect(await wrong.exited).toBe(2);
    expect(wrong.output()).toMatch(/available: demo/);
  });
});
