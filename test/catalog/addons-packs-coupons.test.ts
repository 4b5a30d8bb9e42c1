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
    { key: "seats", name: "Seats", kind: "limit", unit: "seat" },
    { key: "priority_support", name: "Priority support", kind: "boolean" },
    { key: "encounters", name: "Encounters", kind: "metered", unit: "encounter" },
  ]) {
    await app.request("POST", "/v1/features", { body: feature });
  }
  await app.request("POST", "/v1/plans", {
    body: {
      id: "plus",
      name: "Plus",
      prices: [{ interval: "month", currency: "USD", unitAmount: 2900 }],
      features: { seats: 3, encounters: 100 },
    },
  });
});
afterAll(() => app.close());

describe("add-ons", () => {
  it("creates a license add-on and a service add-on", async () => {
    const license = await app.request("POST", "/v1/addons", {
      body: {
        id: "extra-seat",
        name: "Extra seat",
        kind: "license",
        prices: [
          { interval: "month", currency: "USD", unitAmount: 900 },
          { interval: "year", currency: "USD", unitAmount: 9000 },
        ],
        features: { seats: 1 },
      },
    });
    expect(license.status).toBe(201);
    expect(license.body).toMatchObject({
      id: "extra-seat",
      kind: "license",
      version: 1,
      features: { seats: 1 },
    });
    const service = await app.request("POST", "/v1/addons", {
      body: {
        id: "support",
        name: "Priority support",
        kind: "service",
        prices: [{ interval: "month", currency: "USD", unitAmount: 4900 }],
        features: { priority_support: true },
      },
    });
    expect(service.status).toBe(201);
    const list = await app.request("GET", "/v1/addons", { auth: memberKey });
    expect(list.body.data.map((addon: { id: string }) => addon.id)).toEqual([
      "extra-seat",
      "support",
    ]);
  });

  it("rejects what an add-on cannot add", async () => {
    const response = await app.request("POST", "/v1/addons", {
      body: {
        id: "bad-addon",
        name: "Bad",
        kind: "license",
        prices: [{ interval: "month", currency: "USD", unitAmount: 100 }],
        features: { seats: 0, priority_support: false, ghosts: 1 },
      },
    });
    expect(response.status).toBe(400);
    const problems = response.body.error.details.problems.join("\n");
    expect(problems).toMatch(/features\.seats: .* positive whole number of seat/);
    expect(problems).toMatch(/features\.priority_support: .* use true/);
    expect(problems).toMatch(/no feature with key "ghosts"/);
  });

  it("versions add-ons on PATCH and keeps the old version readable", async () => {
    const patched = await app.request("PATCH", "/v1/addons/extra-seat", {
      body: { prices: [{ interval: "month", currency: "USD", unitAmount: 1200 }] },
    });
    expect(patched.status).toBe(200);
    // Fields not sent keep their values; the head's own columns (kind) come along.
    expect(patched.body).toMatchObject({
      version: 2,
      currentVersion: 2,
      kind: "license",
      name: "Extra seat",
      features: { seats: 1 },
      prices: [{ interval: "month", currency: "USD", unitAmount: 1200 }],
    });
    expect(patched.body.prices).toHaveLength(1);
    const old = await app.request("GET", "/v1/addons/extra-seat?version=1", { auth: memberKey });
    expect(old.body).toMatchObject({ version: 1, currentVersion: 2, kind: "license" });
    expect(old.body.prices).toEqual([
      { interval: "month", currency: "USD", unitAmount: 900 },
      { interval: "year", currency: "USD", unitAmount: 9000 },
    ]);
    const current = await app.request("GET", "/v1/addons/extra-seat", { auth: memberKey });
    expect(current.body).toMatchObject({ version: 2, prices: [{ unitAmount: 1200 }] });
    for (const version of [3, 99999999999]) {
      const missing = await app.request("GET", `/v1/addons/extra-seat?version=${version}`);
      expect(missing.status).toBe(404);
    }
    expect((await app.request("GET", "/v1/addons/nope")).status).toBe(404);
  });

  it("is root-only to write and archives", async () => {
    const attempt = await app.request("PATCH", "/v1/addons/support", {
      body: { name: "x" },
      auth: memberKey,
    });
    expect(attempt.status).toBe(403);
    const archived = await app.request("POST", "/v1/addons/support/archive");
    expect(archived.body.archived).toBe(true);
    const list = await app.request("GET", "/v1/addons", { auth: memberKey });
    expect(list.body.data.map((addon: { id: string }) => addon.id)).toEqual(["extra-seat"]);
    const rootList = await app.request("GET", "/v1/addons?includeArchived=true");
    expect(rootList.body.data.map((addon: { id: string }) => addon.id)).toEqual([
      "extra-seat",
      "support",
    ]);
    const restored = await app.request("POST", "/v1/addons/support/unarchive");
    expect(restored.body).toMatchObject({ id: "support", kind: "service", archived: false });
    const after = await app.request("GET", "/v1/addons", { auth: memberKey });
    expect(after.body.data.map((addon: { id: string }) => addon.id)).toEqual([
      "extra-seat",
      "support",
    ]);
  });
});

describe("packs", () => {
  it("creates an encounter pack with an expiry", async () => {
    const response = await app.request("POST", "/v1/packs", {
      body: {
        id: "encounters-500",
        name: "500 encounters",
        feature: "encounters",
        quantity: 500,
        price: { currency: "USD", unitAmount: 4500 },
        expiresAfterDays: 90,
      },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      id: "encounters-500",
      feature: "encounters",
      quantity: 500,
      price: { currency: "USD", unitAmount: 4500 },
      expiresAfterDays: 90,
    });
    const read = await app.request("GET", "/v1/packs/encounters-500", { auth: memberKey });
    expect(read.body.quantity).toBe(500);
  });

  it("only tops up metered features, with a positive quantity and a real currency", async () => {
    const limitPack = await app.request("POST", "/v1/packs", {
      body: {
        id: "seats-5",
        name: "5 seats",
        feature: "seats",
        quantity: 5,
        price: { currency: "XYZ", unitAmount: 1 },
      },
    });
    expect(limitPack.status).toBe(400);
    const problems = limitPack.body.error.details.problems.join("\n");
    expect(problems).toMatch(/packs top up metered features; "seats" is limit/);
    expect(problems).toMatch(/"XYZ" is not an ISO 4217 currency/);
    const zero = await app.request("POST", "/v1/packs", {
      body: {
        id: "zero",
        name: "0",
        feature: "encounters",
        quantity: 0,
        price: { currency: "USD", unitAmount: 1 },
      },
    });
    expect(zero.status).toBe(400);
    expect(zero.body.error.message).toMatch(/quantity: must be at least 1/);
  });

  it("archives a pack: hidden from the list, still readable, offered again on unarchive", async () => {
    const ids = async (query = "") =>
      (await app.request("GET", `/v1/packs${query}`)).body.data.map(
        (pack: { id: string }) => pack.id,
      );
    const archived = await app.request("POST", "/v1/packs/encounters-500/archive");
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({ id: "encounters-500", archived: true, quantity: 500 });
    // Archiving again keeps the first archivedAt.
    const again = await app.request("POST", "/v1/packs/encounters-500/archive");
    expect(again.body.archivedAt).toBe(archived.body.archivedAt);
    expect(await ids()).not.toContain("encounters-500");
    expect(await ids("?includeArchived=true")).toContain("encounters-500");
    const member = await app.request("GET", "/v1/packs?includeArchived=true", { auth: memberKey });
    expect(member.body.data.map((pack: { id: string }) => pack.id)).not.toContain("encounters-500");
    expect((await app.request("GET", "/v1/packs/encounters-500", { auth: memberKey })).status).toBe(
      200,
    );
    const restored = await app.request("POST", "/v1/packs/encounters-500/unarchive");
    expect(restored.body).toMatchObject({ archived: false, archivedAt: null });
    expect(await ids()).toContain("encounters-500");
    expect((await app.request("POST", "/v1/packs/nope/archive")).status).toBe(404);
    const memberArchive = await app.request("POST", "/v1/packs/encounters-500/archive", {
      auth: memberKey,
    });
    expect(memberArchive.status).toBe(403);
  });

  it("is root-only to write", async () => {
    const response = await app.request("POST", "/v1/packs", {
      body: {
        id: "p",
        name: "p",
        feature: "encounters",
        quantity: 1,
        price: { currency: "USD", unitAmount: 1 },
      },
      auth: memberKey,
    });
    expect(response.status).toBe(403);
  });
});

describe("coupons", () => {
  it("creates percentage and fixed-amount coupons", async () => {
    const founders = await app.request("POST", "/v1/coupons", {
      body: {
        code: "FOUNDERS",
        percentOff: 100,
        duration: "repeating",
        durationInMonths: 12,
        maxRedemptions: 50,
        planIds: ["plus"],
      },
    });
    expect(founders.status).toBe(201);
    expect(founders.body).toMatchObject({
      code: "FOUNDERS",
      percentOff: 100,
      amountOff: null,
      duration: "repeating",
      durationInMonths: 12,
      maxRedemptions: 50,
      timesRedeemed: 0,
      planIds: ["plus"],
    });
    const fixed = await app.request("POST", "/v1/coupons", {
      body: { code: "WELCOME10", amountOff: 1000, currency: "USD", duration: "once" },
    });
    expect(fixed.status).toBe(201);
    expect(fixed.body).toMatchObject({ amountOff: 1000, currency: "USD", percentOff: null });
    const read = await app.request("GET", "/v1/coupons/founders");
    expect(read.body.code).toBe("FOUNDERS");
  });

  it("rejects inconsistent coupons with the reasons", async () => {
    const both = await app.request("POST", "/v1/coupons", {
      body: { code: "BOTH", percentOff: 10, amountOff: 100, currency: "USD", duration: "forever" },
    });
    expect(both.status).toBe(400);
    expect(both.body.error.message).toMatch(/either percentOff .* or amountOff/);

    const repeating = await app.request("POST", "/v1/coupons", {
      body: { code: "REP", percentOff: 10, duration: "repeating", planIds: ["nope"] },
    });
    const problems = repeating.body.error.details.problems.join("\n");
    expect(problems).toMatch(/durationInMonths: required when duration is repeating/);
    expect(problems).toMatch(/no plan with id "nope"/);

    const noCurrency = await app.request("POST", "/v1/coupons", {
      body: { code: "NOCUR", amountOff: 100, duration: "once" },
    });
    expect(noCurrency.body.error.message).toMatch(/currency: required with amountOff/);

    const past = await app.request("POST", "/v1/coupons", {
      body: { code: "OLD", percentOff: 5, duration: "once", expiresAt: "2020-01-01T00:00:00Z" },
    });
    expect(past.body.error.message).toMatch(/expiresAt: must be in the future/);

    const tooMuch = await app.request("POST", "/v1/coupons", {
      body: { code: "TOO", percentOff: 101, duration: "once" },
    });
    expect(tooMuch.status).toBe(400);

    const manyRedemptions = await app.request("POST", "/v1/coupons", {
      body: { code: "MANY", percentOff: 5, duration: "once", maxRedemptions: 3_000_000_000 },
    });
    expect(manyRedemptions.status).toBe(400);
    expect(manyRedemptions.body.error.message).toMatch(
      /body\.maxRedemptions: must be at most 2147483647/,
    );
  });

  it("treats codes without case: a second FOUNDERS in lower case is a duplicate", async () => {
    const response = await app.request("POST", "/v1/coupons", {
      body: { code: "founders", percentOff: 5, duration: "once" },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/already exists/);
  });

  it("is root-only, to write and to read", async () => {
    expect((await app.request("GET", "/v1/coupons", { auth: memberKey })).status).toBe(403);
    const write = await app.request("POST", "/v1/coupons", {
      body: { code: "MINE", percentOff: 50, duration: "once" },
      auth: memberKey,
    });
    expect(write.status).toBe(403);
  });

  it("archives a coupon so it is hidden from the default list", async () => {
    // Codes are found without case; the coupon keeps its own.
    const archived = await app.request("POST", "/v1/coupons/welcome10/archive");
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({ code: "WELCOME10", archived: true });
    const list = await app.request("GET", "/v1/coupons");
    expect(list.body.data.map((coupon: { code: string }) => coupon.code)).toEqual(["FOUNDERS"]);
    const all = await app.request("GET", "/v1/coupons?includeArchived=true");
    expect(all.body.data).toHaveLength(2);
    const audit = await app.request("GET", "/v1/audit-logs?action=catalog.coupon_archived&limit=1");
    expect(audit.body.data[0]).toMatchObject({
      before: { code: "WELCOME10", archivedAt: null },
      after: { code: "WELCOME10", archivedAt: archived.body.archivedAt },
    });

    const restored = await app.request("POST", "/v1/coupons/WELCOME10/unarchive");
    expect(restored.body).toMatchObject({ code: "WELCOME10", archived: false });
    const again = await app.request("GET", "/v1/coupons");
    expect(again.body.data.map((coupon: { code: string }) => coupon.code)).toEqual([
      "FOUNDERS",
      "WELCOME10",
    ]);
    expect((await app.request("POST", "/v1/coupons/NOPE/archive")).status).toBe(404);
  });
});
