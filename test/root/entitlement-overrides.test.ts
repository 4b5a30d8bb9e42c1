import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/seeds/seed-demo.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

/** Root's per-feature entitlement overrides: validated against the catalog, expiring, audited. */

let app: TestApp;
let counter = 0;

beforeAll(async () => {
  app = await startTestApp();
  await seedDemo({ db: app.server.connection.db, now: new Date() });
});
afterAll(() => app.close());

async function createOrganization({ clock }: { clock?: string } = {}) {
  const id = `override-${++counter}`;
  let testClockId: string | undefined;
  if (clock) {
    testClockId = (await app.request("POST", "/v1/test-clocks", { body: { frozenTime: clock } }))
      .body.id;
  }
  const response = await app.request("POST", "/v1/organizations", {
    body: { id, name: `Org ${id}`, currency: "USD", ...(testClockId ? { testClockId } : {}) },
  });
  if (response.status !== 201) throw new Error(JSON.stringify(response.body));
  return { id, testClockId };
}

const override = (organizationId: string, feature: string, body: Record<string, unknown>) =>
  app.request("PUT", `/v1/root/organizations/${organizationId}/entitlement-overrides/${feature}`, {
    body,
  });
const overrides = async (organizationId: string) =>
  (await app.request("GET", `/v1/root/organizations/${organizationId}/entitlement-overrides`)).body
    .data;
const check = async (organizationId: string, feature: string) =>
  (await app.request("GET", `/v1/organizations/${organizationId}/entitlements/${feature}`)).body;

describe("entitlement overrides", () => {
  it("overrides a limit, a boolean and unlimited; the next check sees each at once", async () => {
    const { id } = await createOrganization();
    expect(await check(id, "active_preventives")).toMatchObject({ allowed: true, limit: 3 });
    const raised = await override(id, "active_preventives", { value: 40, reason: "Pilot OPS-300" });
    expect(raised.status).toBe(200);
    expect(raised.body).toMatchObject({
      override: {
        feature: "active_preventives",
        value: 40,
        reason: "Pilot OPS-300",
        expiresAt: null,
      },
      auditLogId: expect.stringMatching(/^aud_/),
    });
    expect(await check(id, "active_preventives")).toMatchObject({ allowed: true, limit: 40 });

    expect(await check(id, "priority_support")).toMatchObject({
      allowed: false,
      reason: "not_in_plan",
    });
    await override(id, "priority_support", { value: true, reason: "Pilot OPS-300" });
    expect(await check(id, "priority_support")).toMatchObject({ allowed: true });

    await override(id, "encounters", { value: null, reason: "Unlimited for the pilot" });
    expect(await check(id, "encounters")).toMatchObject({ allowed: true, limit: null });
    await override(id, "seats", { value: false, reason: "No seats during migration" });
    expect(await check(id, "seats")).toMatchObject({ allowed: false, reason: "not_in_plan" });

    const entitlement = (await app.request("GET", `/v1/organizations/${id}/entitlement`)).body;
    expect(entitlement.limits).toEqual({ active_preventives: 40, encounters: null, seats: 0 });
    expect(entitlement.features.priority_support).toBe(true);

    const list = await app.request("GET", `/v1/root/organizations/${id}/entitlement-overrides`);
    expect(list.body.data.map((entry: { feature: string }) => entry.feature)).toEqual([
      "active_preventives",
      "encounters",
      "priority_support",
      "seats",
    ]);
    expect(list.body.data.every((entry: { active: boolean }) => entry.active)).toBe(true);
  });

  it("replaces an earlier override and audits before/after", async () => {
    const { id } = await createOrganization();
    await override(id, "seats", { value: 5, reason: "First" });
    const second = await override(id, "seats", { value: 8, reason: "Second" });
    const audit = await app.request(
      "GET",
      `/v1/audit-logs?organizationId=${id}&action=root.entitlement_override_set`,
    );
    expect(audit.body.data[0]).toMatchObject({
      id: second.body.auditLogId,
      reason: "Second",
      before: { feature: "seats", value: 5, reason: "First" },
      after: { feature: "seats", value: 8, reason: "Second" },
    });
    expect(audit.body.data[1].before).toBeNull();
  });

  it("removes an override (reason in the query or the body): the plan's value applies again", async () => {
    const { id } = await createOrganization();
    await override(id, "active_preventives", { value: 50, reason: "Temporary" });
    const withoutReason = await app.request(
      "DELETE",
      `/v1/root/organizations/${id}/entitlement-overrides/active_preventives`,
    );
    expect(withoutReason.status).toBe(400);
    expect(withoutReason.body.error.message).toContain("reason is required");
    const removed = await app.request(
      "DELETE",
      `/v1/root/organizations/${id}/entitlement-overrides/active_preventives?reason=${encodeURIComponent("Pilot over OPS-301")}`,
    );
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({
      removed: true,
      override: { feature: "active_preventives", value: 50 },
    });
    expect(await check(id, "active_preventives")).toMatchObject({ limit: 3 });
    const again = await app.request(
      "DELETE",
      `/v1/root/organizations/${id}/entitlement-overrides/active_preventives`,
      { body: { reason: "Twice" } },
    );
    expect(again.status).toBe(404);

    await override(id, "seats", { value: 9, reason: "x" });
    const byBody = await app.request(
      "DELETE",
      `/v1/root/organizations/${id}/entitlement-overrides/seats`,
      { body: { reason: "Pilot over OPS-302" } },
    );
    expect(byBody.status).toBe(200);
    const audit = await app.request(
      "GET",
      `/v1/audit-logs?organizationId=${id}&action=root.entitlement_override_removed`,
    );
    expect(audit.body.data.map((entry: { reason: string }) => entry.reason)).toEqual([
      "Pilot over OPS-302",
      "Pilot over OPS-301",
    ]);
    expect(audit.body.data[0].after).toBeNull();
  });

  it("expires on the organization's clock", async () => {
    const { id, testClockId } = await createOrganization({ clock: "2026-03-01T00:00:00Z" });
    const past = await override(id, "active_preventives", {
      value: 10,
      reason: "x",
      expiresAt: "2026-02-28T00:00:00Z",
    });
    expect(past.status).toBe(400);
    expect(past.body.error.message).toContain("expiresAt: must be in the future");
    const set = await override(id, "active_preventives", {
      value: 10,
      reason: "One week pilot",
      expiresAt: "2026-03-08T00:00:00Z",
    });
    expect(set.status).toBe(200);
    expect(await check(id, "active_preventives")).toMatchObject({ limit: 10 });
    const advanced = await app.request("POST", `/v1/test-clocks/${testClockId}/advance`, {
      body: { frozenTime: "2026-03-09T00:00:00Z" },
    });
    expect(advanced.status).toBe(200);
    expect(await check(id, "active_preventives")).toMatchObject({ limit: 3 });
    const list = await app.request("GET", `/v1/root/organizations/${id}/entitlement-overrides`);
    expect(list.body.data).toEqual([
      expect.objectContaining({ feature: "active_preventives", active: false }),
    ]);
  });

  it.each([
    ["preventive_maintenance", { value: 3, reason: "x" }, "is a boolean feature"],
    ["preventive_maintenance", { value: null, reason: "x" }, "is a boolean feature"],
    ["active_preventives", { value: true, reason: "x" }, "is a limit feature"],
    ["encounters", { value: -1, reason: "x" }, "value must not be negative"],
    ["encounters", { value: 1.5, reason: "x" }, "value must be"],
    ["encounters", { value: "10", reason: "x" }, "value must be"],
    ["encounters", { reason: "x" }, "value must be"],
    ["encounters", { value: 10 }, "reason is required"],
    ["encounters", { value: 10, reason: "x", expiresAt: "next week" }, "expiresAt must be"],
  ])("refuses %s %j with 400", async (feature, body, message) => {
    const { id } = await createOrganization();
    const response = await override(id, feature, body);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("validation_error");
    expect(response.body.error.message).toContain(message);
    expect(await overrides(id)).toEqual([]);
  });

  it("answers 404 for a feature outside the catalog or an unknown organization", async () => {
    const { id } = await createOrganization();
    const feature = await override(id, "teleportation", { value: true, reason: "x" });
    expect(feature.status).toBe(404);
    expect(feature.body.error.message).toContain("teleportation");
    expect(await overrides(id)).toEqual([]);
    expect((await override("nobody", "seats", { value: 1, reason: "x" })).status).toBe(404);
    expect(
      (await app.request("GET", "/v1/root/organizations/nobody/entitlement-overrides")).status,
    ).toBe(404);
  });
});
