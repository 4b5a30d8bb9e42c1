import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { insertBareOrganization } from "../helpers/bare-organization.ts";

let app: TestApp;
let memberKey: string;

beforeAll(async () => {
  app = await startTestApp({ worker: false });
  await insertBareOrganization(app, "org_reader");
  memberKey = (
    await app.request("POST", "/v1/api-keys", {
      body: { scope: "organization", organizationId: "org_reader", name: "reader" },
    })
  ).body.secret;
  for (const feature of [
    { key: "preventive_maintenance", name: "Preventive maintenance", kind: "boolean" },
    { key: "active_preventives", name: "Active preventives", kind: "limit", unit: "preventive" },
    { key: "encounters", name: "Encounters", kind: "metered", unit: "encounter" },
  ]) {
    expect((await app.request("POST", "/v1/features", { body: feature })).status).toBe(201);
  }
});
afterAll(() => app.close());

const proPlan = {
  id: "pro",
  name: "Pro",
  tier: 20,
  prices: [
    { interval: "month", currency: "USD", unitAmount: 4900 },
    { interval: "year", currency: "USD", unitAmount: 49000 },
  ],
  trialDays: 14,
  features: { preventive_maintenance: true, active_preventives: 100, encounters: 500 },
  overage: { encounters: { unitAmount: 25, currency: "USD" } },
};

describe("features", () => {
  it("creates, lists and reads features; keys are permanent", async () => {
    const list = await app.request("GET", "/v1/features", { auth: memberKey });
    expect(list.status).toBe(200);
    expect(list.body.data.map((feature: { key: string }) => feature.key)).toEqual([
      "active_preventives",
      "encounters",
      "preventive_maintenance",
    ]);
    const one = await app.request("GET", "/v1/features/encounters", { auth: memberKey });
    expect(one.body).toMatchObject({ key: "encounters", kind: "metered", unit: "encounter" });
    const again = await app.request("POST", "/v1/features", {
      body: { key: "encounters", name: "x", kind: "limit" },
    });
    expect(again.status).toBe(400);
    expect(again.body.error.message).toMatch(/already exists/);
  });

  it("rejects a bad kind and a bad key", async () => {
    const response = await app.request("POST", "/v1/features", {
      body: { key: "has space", name: "x", kind: "percent" },
    });
    expect(response.status).toBe(400);
    const paths = response.body.error.details.issues.map((issue: { path: string }) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(["body.key", "body.kind"]));
  });

  it("is root-only to write", async () => {
    const response = await app.request("POST", "/v1/features", {
      body: { key: "seats", name: "Seats", kind: "limit" },
      auth: memberKey,
    });
    expect(response.status).toBe(403);
  });
});

describe("plans", () => {
  it("creates a plan with prices, features, trial and overage", async () => {
    const response = await app.request("POST", "/v1/plans", { body: proPlan });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      id: "pro",
      version: 1,
      currentVersion: 1,
      name: "Pro",
      tier: 20,
      trialDays: 14,
      features: { preventive_maintenance: true, active_preventives: 100, encounters: 500 },
      overage: { encounters: { unitAmount: 25, currency: "USD" } },
      archived: false,
    });
    expect(response.body.prices).toEqual(
      expect.arrayContaining([
        { interval: "month", currency: "USD", unitAmount: 4900 },
        { interval: "year", currency: "USD", unitAmount: 49000 },
      ]),
    );
  });

  it("lets any authenticated caller read plans, ordered by tier", async () => {
    await app.request("POST", "/v1/plans", {
      body: {
        id: "free",
        name: "Free",
        tier: 0,
        prices: [{ interval: "month", currency: "USD", unitAmount: 0 }],
        features: { preventive_maintenance: false, active_preventives: 3, encounters: 20 },
      },
    });
    // Tier order differs from id order ("basic" < "free" < "pro").
    await app.request("POST", "/v1/plans", {
      body: {
        id: "basic",
        name: "Basic",
        tier: 10,
        prices: [{ interval: "month", currency: "USD", unitAmount: 900 }],
        features: { active_preventives: 10 },
      },
    });
    const list = await app.request("GET", "/v1/plans", { auth: memberKey });
    expect(list.status).toBe(200);
    expect(list.body.data.map((plan: { id: string }) => plan.id)).toEqual(["free", "basic", "pro"]);
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? "" : `&cursor=${cursor}`;
      const page = await app.request("GET", `/v1/plans?limit=1${query}`, { auth: memberKey });
      expect(page.status).toBe(200);
      walked.push(...page.body.data.map((plan: { id: string }) => plan.id));
      cursor = page.body.hasMore ? page.body.nextCursor : null;
    } while (cursor !== null && walked.length < 10);
    expect(walked).toEqual(["free", "basic", "pro"]);
    for (const cursor of ["pro", "x:pro", "99999999999:pro", "12abc:pro"]) {
      const bad = await app.request("GET", `/v1/plans?cursor=${cursor}`, { auth: memberKey });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toBe("cursor: use the nextCursor value of the previous page");
    }
    expect((await app.request("GET", "/v1/plans", { auth: null })).status).toBe(401);
  });

  it("reports every problem of an invalid plan in one 400", async () => {
    const response = await app.request("POST", "/v1/plans", {
      body: {
        id: "broken",
        name: "Broken",
        prices: [
          { interval: "month", currency: "ABC", unitAmount: 100 },
          { interval: "year", currency: "USD", unitAmount: 100 },
          { interval: "year", currency: "USD", unitAmount: 200 },
        ],
        features: { unknownFeature: true, active_preventives: true, preventive_maintenance: 3 },
        overage: { active_preventives: { unitAmount: 1, currency: "USD" } },
      },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("validation_error");
    const problems: string[] = response.body.error.details.problems;
    expect(problems.join("\n")).toMatch(/"ABC" is not an ISO 4217 currency/);
    expect(problems.join("\n")).toMatch(/a second yearly price in USD/);
    expect(problems.join("\n")).toMatch(/no feature with key "unknownFeature"; create it/);
    expect(problems.join("\n")).toMatch(
      /features\.active_preventives: .* give a whole-number limit, or null/,
    );
    expect(problems.join("\n")).toMatch(/features\.preventive_maintenance: .* boolean feature/);
    expect(problems.join("\n")).toMatch(
      /overage\.active_preventives: overage is priced only for metered/,
    );
    expect((await app.request("GET", "/v1/plans/broken")).status).toBe(404);
  });

  it("rejects negative prices, a duplicate id, and currencies in lower case", async () => {
    const negative = await app.request("POST", "/v1/plans", {
      body: {
        ...proPlan,
        id: "negative",
        prices: [{ interval: "month", currency: "USD", unitAmount: -1 }],
      },
    });
    expect(negative.status).toBe(400);
    expect(negative.body.error.message).toMatch(
      /body\.prices\.0\.unitAmount: must not be negative/,
    );

    const duplicate = await app.request("POST", "/v1/plans", { body: proPlan });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body.error.message).toMatch(/already exists.*PATCH \/v1\/plans\/pro/);

    const lower = await app.request("POST", "/v1/plans", {
      body: {
        ...proPlan,
        id: "lower",
        prices: [{ interval: "month", currency: "usd", unitAmount: 1 }],
      },
    });
    expect(lower.status).toBe(400);
    expect(lower.body.error.message).toMatch(/upper case/);
  });

  it("refuses amounts an invoice could not hold (price or overage over 10^10 minor units)", async () => {
    const huge = await app.request("POST", "/v1/plans", {
      body: {
        ...proPlan,
        id: "huge",
        prices: [{ interval: "month", currency: "USD", unitAmount: 10_000_000_001 }],
        overage: { encounters: { unitAmount: 9_007_199_254_740_991, currency: "USD" } },
      },
    });
    expect(huge.status).toBe(400);
    expect(huge.body.error.message).toMatch(
      /body\.prices\.0\.unitAmount: is too large: at most 10000000000 minor units/,
    );
    expect(huge.body.error.message).toMatch(/body\.overage\.encounters\.unitAmount: is too large/);
    const atLimit = await app.request("POST", "/v1/plans", {
      body: {
        ...proPlan,
        id: "at-limit",
        prices: [{ interval: "month", currency: "USD", unitAmount: 10_000_000_000 }],
      },
    });
    expect(atLimit.status).toBe(201);
  });

  it("accepts a currency without minor units and stores whole units (CLP)", async () => {
    const response = await app.request("POST", "/v1/plans", {
      body: {
        id: "pro-cl",
        name: "Pro Chile",
        prices: [{ interval: "month", currency: "CLP", unitAmount: 45990 }],
        features: { active_preventives: 100 },
      },
    });
    expect(response.status).toBe(201);
    expect(response.body.prices).toEqual([
      { interval: "month", currency: "CLP", unitAmount: 45990 },
    ]);
  });

  it("is root-only to write", async () => {
    const create = await app.request("POST", "/v1/plans", {
      body: { ...proPlan, id: "sneaky" },
      auth: memberKey,
    });
    expect(create.status).toBe(403);
    const patch = await app.request("PATCH", "/v1/plans/pro", {
      body: { name: "x" },
      auth: memberKey,
    });
    expect(patch.status).toBe(403);
    const archive = await app.request("POST", "/v1/plans/pro/archive", { auth: memberKey });
    expect(archive.status).toBe(403);
  });
});

describe("plan versions", () => {
  it("creates a new version on PATCH and keeps the old one readable and unchanged", async () => {
    const before = await app.request("GET", "/v1/plans/pro");
    const patched = await app.request("PATCH", "/v1/plans/pro", {
      body: {
        prices: [{ interval: "month", currency: "USD", unitAmount: 5900 }],
        features: { preventive_maintenance: true, active_preventives: 150, encounters: 600 },
        overage: { encounters: { unitAmount: 20, currency: "USD" } },
      },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      version: before.body.version + 1,
      currentVersion: before.body.version + 1,
      name: "Pro",
      trialDays: 14,
      features: { active_preventives: 150 },
      prices: [{ interval: "month", currency: "USD", unitAmount: 5900 }],
    });

    const old = await app.request("GET", `/v1/plans/pro?version=${before.body.version}`);
    expect(old.status).toBe(200);
    expect(old.body).toMatchObject({
      version: before.body.version,
      currentVersion: before.body.version + 1,
      features: before.body.features,
      prices: before.body.prices,
      overage: before.body.overage,
    });
    // Nothing about the old version changed in the database.
    const { rows } = await app.database.pool.query(
      "select unit_amount from plan_prices where plan_id = 'pro' and version = $1 order by interval",
      [before.body.version],
    );
    expect(rows.map((row) => row.unit_amount)).toEqual(["4900", "49000"]);
  });

  it("validates a PATCH against the merged plan and writes nothing when invalid", async () => {
    const current = await app.request("GET", "/v1/plans/pro");
    const response = await app.request("PATCH", "/v1/plans/pro", {
      body: { features: { active_preventives: 10 } },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(
      /overage\.encounters: the plan must include "encounters"/,
    );
    const after = await app.request("GET", "/v1/plans/pro");
    expect(after.body.version).toBe(current.body.version);
  });

  it("clears a field sent as null and keeps the fields not sent", async () => {
    const described = await app.request("PATCH", "/v1/plans/basic", {
      body: { description: "For small teams" },
    });
    expect(described.body).toMatchObject({ description: "For small teams", tier: 10 });
    const cleared = await app.request("PATCH", "/v1/plans/basic", { body: { description: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({
      version: described.body.version + 1,
      name: "Basic",
      description: null,
      tier: 10,
      features: { active_preventives: 10 },
      prices: [{ interval: "month", currency: "USD", unitAmount: 900 }],
    });
  });

  it("serializes concurrent edits into consecutive versions", async () => {
    const start = (await app.request("GET", "/v1/plans/pro")).body.version;
    const responses = await Promise.all(
      Array.from({ length: 5 }, (_, index) =>
        app.request("PATCH", "/v1/plans/pro", { body: { description: `edit ${index}` } }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    const versions = responses.map((response) => response.body.version).sort();
    expect(versions).toEqual([start + 1, start + 2, start + 3, start + 4, start + 5]);
  });

  it("answers 404 for an unknown plan or version, and 400 for an empty PATCH", async () => {
    expect((await app.request("GET", "/v1/plans/nope")).status).toBe(404);
    expect((await app.request("GET", "/v1/plans/pro?version=999")).status).toBe(404);
    // Above what the version column holds: still "no such version", not an internal error.
    const huge = await app.request("GET", "/v1/plans/pro?version=99999999999");
    expect(huge.status).toBe(404);
    expect(huge.body.error.message).toBe('Plan version "pro@99999999999" was not found.');
    expect((await app.request("PATCH", "/v1/plans/nope", { body: { name: "x" } })).status).toBe(
      404,
    );
    const empty = await app.request("PATCH", "/v1/plans/pro", { body: {} });
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toMatch(/at least one field/);
  });
});

describe("archiving", () => {
  it("hides an archived plan from the list but keeps it readable; root can list it", async () => {
    const archived = await app.request("POST", "/v1/plans/pro-cl/archive");
    expect(archived.status).toBe(200);
    expect(archived.body.archived).toBe(true);
    const list = await app.request("GET", "/v1/plans", { auth: memberKey });
    expect(list.body.data.map((plan: { id: string }) => plan.id)).not.toContain("pro-cl");
    const memberAskingForArchived = await app.request("GET", "/v1/plans?includeArchived=true", {
      auth: memberKey,
    });
    expect(memberAskingForArchived.body.data.map((plan: { id: string }) => plan.id)).not.toContain(
      "pro-cl",
    );
    const rootList = await app.request("GET", "/v1/plans?includeArchived=true");
    expect(rootList.body.data.map((plan: { id: string }) => plan.id)).toContain("pro-cl");
    expect((await app.request("GET", "/v1/plans/pro-cl", { auth: memberKey })).status).toBe(200);

    const restored = await app.request("POST", "/v1/plans/pro-cl/unarchive");
    expect(restored.body).toMatchObject({ id: "pro-cl", archived: false, archivedAt: null });
    const listAgain = await app.request("GET", "/v1/plans", { auth: memberKey });
    expect(listAgain.body.data.map((plan: { id: string }) => plan.id)).toContain("pro-cl");
    expect((await app.request("POST", "/v1/plans/nope/archive")).status).toBe(404);
  });
});
