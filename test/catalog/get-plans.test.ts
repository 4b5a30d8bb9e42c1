import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPlan, getPlans } from "../../src/catalog/plans.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ worker: false });
  for (const feature of [
    { key: "seats", name: "Seats", kind: "limit" },
    { key: "encounters", name: "Encounters", kind: "metered" },
  ]) {
    expect((await app.request("POST", "/v1/features", { body: feature })).status).toBe(201);
  }
  for (const plan of [
    {
      id: "basic",
      name: "Basic",
      tier: 10,
      prices: [{ interval: "month", currency: "USD", unitAmount: 1000 }],
      features: { seats: 1, encounters: 10 },
    },
    {
      id: "team",
      name: "Team",
      tier: 20,
      prices: [
        { interval: "year", currency: "USD", unitAmount: 40000 },
        { interval: "month", currency: "USD", unitAmount: 4000 },
        { interval: "month", currency: "EUR", unitAmount: 3800 },
      ],
      features: { seats: 5, encounters: 500 },
      overage: { encounters: { unitAmount: 25, currency: "USD" } },
    },
  ]) {
    expect((await app.request("POST", "/v1/plans", { body: plan })).status).toBe(201);
  }
  // Version 2 of Team: another price and no overage; version 1 stays as it was.
  const edited = await app.request("PATCH", "/v1/plans/team", {
    body: {
      prices: [{ interval: "month", currency: "USD", unitAmount: 9_000_000_000 }],
      overage: {},
    },
  });
  expect(edited.status).toBe(200);
  expect(edited.body.version).toBe(2);
});
afterAll(() => app.close());

describe("getPlans", () => {
  it("answers each plan as getPlan does, at its current version or the one asked for, in order", async () => {
    const db = app.server.connection.db;
    const references = [
      { planId: "team", version: 1 },
      { planId: "basic" },
      { planId: "team" },
      { planId: "team", version: 2 },
    ];
    const plans = await getPlans({ db, references });
    const one = await Promise.all(
      references.map(({ planId, version }) => getPlan({ db, planId, version })),
    );
    expect(plans).toEqual(one);
    expect(plans.map((plan) => `${plan.id}@${plan.version}`)).toEqual([
      "team@1",
      "basic@1",
      "team@2",
      "team@2",
    ]);
    expect(plans[0]?.prices).toEqual([
      { interval: "month", currency: "EUR", unitAmount: 3800n },
      { interval: "month", currency: "USD", unitAmount: 4000n },
      { interval: "year", currency: "USD", unitAmount: 40000n },
    ]);
    expect(plans[0]?.overage).toEqual({ encounters: { currency: "USD", unitAmount: 25n } });
    expect(plans[2]?.prices).toEqual([
      { interval: "month", currency: "USD", unitAmount: 9_000_000_000n },
    ]);
    expect(plans[2]?.overage).toEqual({});
  });

  it("throws not_found for a plan or a version that does not exist, as getPlan does", async () => {
    const db = app.server.connection.db;
    await expect(
      getPlans({ db, references: [{ planId: "basic" }, { planId: "gold" }] }),
    ).rejects.toMatchObject({ code: "not_found", message: expect.stringMatching(/gold/) });
    for (const version of [3, 2_147_483_648]) {
      await expect(
        getPlans({ db, references: [{ planId: "team", version }] }),
      ).rejects.toMatchObject({
        code: "not_found",
        message: expect.stringContaining(`team@${version}`),
      });
    }
    expect(await getPlans({ db, references: [] })).toEqual([]);
  });
});
