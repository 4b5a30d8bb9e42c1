import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../helpers/app.ts";
import { startJwtTestApp, type TestIssuer } from "../helpers/jwt-app.ts";

/** Root's danger-zone plan override: one test per guardrail, plus the trace, the cache and replays. */

let app: TestApp;
let issuer: TestIssuer;
let organizationKey: string;
let ownerToken: string;
let counter = 0;

beforeAll(async () => {
  ({ app, issuer } = await startJwtTestApp());
  await createOrganization("acme-prod");
  organizationKey = (
    await app.request("POST", "/v1/api-keys", {
      body: { scope: "organization", organizationId: "acme-prod", name: "acme server" },
    })
  ).body.secret;
  ownerToken = await issuer.sign({ sub: "owner-acme", email: "owner@acme.test" });
});
afterAll(async () => {
  await app.close();
  await issuer.close();
});

async function createOrganization(id = `root-org-${++counter}`) {
  const response = await app.request("POST", "/v1/organizations", {
    body: { id, name: `Org ${id}`, currency: "USD", owner: { userId: "owner-acme" } },
  });
  if (response.status !== 201) throw new Error(JSON.stringify(response.body));
  return id;
}

const setPlan = (organizationId: string, body: Record<string, unknown>, auth?: string) =>
  app.request("POST", `/v1/root/organizations/${organizationId}/plan`, {
    body,
    ...(auth === undefined ? {} : { auth }),
  });

async function entitlementRow(organizationId: string) {
  const { rows } = await app.database.pool.query(
    `select plan_id, plan_version, status, source, manual_features, updated_at
       from organization_entitlements where organization_id = $1`,
    [organizationId],
  );
  return rows[0];
}

async function auditRows(organizationId: string) {
  const { rows } = await app.database.pool.query(
    "select * from audit_logs where organization_id = $1 and action like 'root.%' order by id",
    [organizationId],
  );
  return rows;
}

async function recordUsage(organizationId: string, feature: string, quantity: number) {
  const response = await app.request("POST", `/v1/organizations/${organizationId}/usage`, {
    body: { feature, quantity, eventId: `${feature}-${Math.random()}` },
  });
  if (response.status !== 200) throw new Error(JSON.stringify(response.body));
}

describe("guardrails", () => {
  it("refuses a missing or blank reason with 400 and changes nothing", async () => {
    const organizationId = await createOrganization();
    const before = await entitlementRow(organizationId);
    const missing = await setPlan(organizationId, { organizationId, planId: "pro" });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe("validation_error");
    expect(missing.body.error.message).toContain("reason is required");
    const blank = await setPlan(organizationId, { organizationId, planId: "pro", reason: "   " });
    expect(blank.status).toBe(400);
    expect(blank.body.error.code).toBe("validation_error");
    expect(await entitlementRow(organizationId)).toEqual(before);
    expect(await auditRows(organizationId)).toHaveLength(0);
  });

  it("refuses a confirmation that does not match the path with 400 confirmation_mismatch, before anything changes", async () => {
    const organizationId = await createOrganization();
    const before = await entitlementRow(organizationId);
    const response = await setPlan(organizationId, {
      organizationId: "acme-prod",
      planId: "pro",
      organizationStatus: "suspended",
      reason: "OPS-1",
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("confirmation_mismatch");
    expect(response.body.error.details).toEqual({
      expected: organizationId,
      received: "acme-prod",
    });
    expect(await entitlementRow(organizationId)).toEqual(before);
    expect(
      (await app.request("GET", `/v1/public/organizations/${organizationId}`)).body,
    ).toMatchObject({ status: "active", isActive: true });
    expect(await auditRows(organizationId)).toHaveLength(0);
    // The confirmation is checked before the organization is even looked up.
    const unknown = await setPlan("no-such-org", {
      organizationId: "typo-org",
      planId: "pro",
      reason: "OPS-1",
    });
    expect(unknown.body.error.code).toBe("confirmation_mismatch");
  });

  it("answers 404 for an unknown organization confirmed correctly", async () => {
    const response = await setPlan("no-such-org", {
      organizationId: "no-such-org",
      planId: "pro",
      reason: "OPS-1",
    });
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe("not_found");
  });

  it("refuses a non-root organization key and a non-root JWT with 403", async () => {
    const body = { organizationId: "acme-prod", planId: "enterprise", reason: "OPS-2" };
    const byKey = await setPlan("acme-prod", body, organizationKey);
    expect(byKey.status).toBe(403);
    expect(byKey.body.error.code).toBe("forbidden");
    // The owner of the organization is not root either.
    const members = await app.request("GET", "/v1/organizations/acme-prod/members", {
      auth: ownerToken,
    });
    expect(members.status).toBe(200);
    const byOwner = await setPlan("acme-prod", body, ownerToken);
    expect(byOwner.status).toBe(403);
    expect(byOwner.body.error.code).toBe("forbidden");
    const byRootClaimFalse = await setPlan(
      "acme-prod",
      body,
      await issuer.sign({ sub: "not-root", root: false }),
    );
    expect(byRootClaimFalse.status).toBe(403);
    expect(await auditRows("acme-prod")).toHaveLength(0);
  });

  it("accepts a root JWT (custom claim `root`) and records its subject as the actor", async () => {
    const organizationId = await createOrganization();
    const rootToken = await issuer.sign({ sub: "operator-1", root: true });
    const response = await setPlan(
      organizationId,
      { organizationId, entitlementStatus: "active", reason: "OPS-3" },
      rootToken,
    );
    expect(response.status).toBe(200);
    const [entry] = await auditRows(organizationId);
    expect(entry.actor).toBe("user:operator-1");
  });

  it.each([
    [{ entitlementStatus: "paused" }, "entitlementStatus", "trialing, active, past_due, canceled"],
    [{ entitlementStatus: "ACTIVE" }, "entitlementStatus", "trialing, active, past_due, canceled"],
    [{ organizationStatus: "archived" }, "organizationStatus", "active, suspended, deleted"],
    [{ organizationStatus: "" }, "organizationStatus", "active, suspended, deleted"],
    [{ provider: "stripe" }, "provider", 'provider must be "manual"'],
    [{ planId: "no spaces allowed" }, "planId", "must be 1–64"],
    [{ entitlement_status: "active" }, "body", "entitlement_status"],
  ])("refuses %j with 400 naming the allowed values", async (extra, field, allowed) => {
    const organizationId = await createOrganization();
    const before = await entitlementRow(organizationId);
    const response = await setPlan(organizationId, { organizationId, reason: "OPS-4", ...extra });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("validation_error");
    expect(response.body.error.message).toContain(field);
    expect(response.body.error.message).toContain(allowed);
    expect(await entitlementRow(organizationId)).toEqual(before);
  });
});

describe("the override", () => {
  it("sets a catalog plan: current version, source manual, trace and audit with before/after", async () => {
    const organizationId = await createOrganization();
    const response = await setPlan(organizationId, {
      organizationId,
      planId: "pro",
      entitlementStatus: "active",
      organizationStatus: "active",
      provider: "manual",
      reason: "Upgrade aprobado por soporte L2 / ticket OPS-1234",
    });
    expect(response.status).toBe(200);
    expect(response.body.warnings).toEqual([]);
    expect(response.body.planCatalogFound).toBe(true);
    expect(response.body.entitlement).toMatchObject({
      organizationId,
      planId: "pro",
      status: "active",
      organizationStatus: "active",
      features: { preventive_maintenance: true, priority_support: false },
      limits: { active_preventives: 100, encounters: 1000, seats: 10 },
    });
    expect(response.body.entitlement).toEqual(
      (await app.request("GET", `/v1/organizations/${organizationId}/entitlement`)).body,
    );
    const row = await entitlementRow(organizationId);
    expect(row).toMatchObject({
      plan_id: "pro",
      plan_version: 1,
      status: "active",
      source: "manual",
    });
    expect(row.manual_features).toBeNull();

    const requestId = response.headers.get("x-request-id");
    const [entry] = await auditRows(organizationId);
    expect(entry).toMatchObject({
      id: response.body.auditLogId,
      action: "root.organization_plan_set",
      reason: "Upgrade aprobado por soporte L2 / ticket OPS-1234",
      request_id: requestId,
    });
    expect(entry.actor).toMatch(/^key_/);
    expect(entry.before.entitlement).toMatchObject({
      planId: "free",
      status: "active",
      source: "free",
    });
    expect(entry.after.entitlement).toMatchObject({
      planId: "pro",
      status: "active",
      source: "manual",
    });
    expect(entry.metadata).toMatchObject({ planCatalogFound: true, provider: "manual" });

    // The manual trace under the organization's billing providers: who, when, what, why.
    const organization = await app.request("GET", `/v1/organizations/${organizationId}`);
    expect(organization.body.billingProviders.manual).toEqual({
      actor: entry.actor,
      at: expect.any(String),
      changes: { planId: "pro", entitlementStatus: "active", organizationStatus: "active" },
      reason: "Upgrade aprobado por soporte L2 / ticket OPS-1234",
      planCatalogFound: true,
      auditLogId: response.body.auditLogId,
      requestId,
    });
    expect(response.body.organization.billingProviders.manual.auditLogId).toBe(
      response.body.auditLogId,
    );
  });

  it("applies a plan missing from the catalog with a warning, planCatalogFound false, and the previous limits", async () => {
    const organizationId = await createOrganization();
    const before = (await app.request("GET", `/v1/organizations/${organizationId}/entitlement`))
      .body;
    const response = await setPlan(organizationId, {
      organizationId,
      planId: "legacy-gold",
      reason: "Grandfathered contract OPS-77",
    });
    expect(response.status).toBe(200);
    expect(response.body.planCatalogFound).toBe(false);
    expect(response.body.warnings).toEqual([
      expect.stringContaining('Plan "legacy-gold" is not in the catalog'),
    ]);
    expect(response.body.entitlement).toMatchObject({ planId: "legacy-gold", status: "active" });
    // Limits preserved: the free plan's values stay in force instead of everything being denied.
    expect(response.body.entitlement.limits).toEqual(before.limits);
    expect(response.body.entitlement.features).toEqual(before.features);
    const [entry] = await auditRows(organizationId);
    expect(entry.metadata.planCatalogFound).toBe(false);
    expect(entry.after.entitlement).toMatchObject({
      planId: "legacy-gold",
      planVersion: null,
      manualFeatures: { active_preventives: 3, encounters: 20, seats: 1 },
    });
    const check = await app.request(
      "GET",
      `/v1/organizations/${organizationId}/entitlements/active_preventives`,
    );
    expect(check.body).toMatchObject({ allowed: true, limit: 3 });
    const organization = await app.request("GET", `/v1/organizations/${organizationId}`);
    expect(organization.body.billingProviders.manual.planCatalogFound).toBe(false);

    // Changing only the status later keeps the snapshot; a catalog plan replaces it.
    await setPlan(organizationId, {
      organizationId,
      entitlementStatus: "past_due",
      reason: "OPS-78",
    });
    expect((await entitlementRow(organizationId)).manual_features).toMatchObject({
      active_preventives: 3,
    });
    const back = await setPlan(organizationId, { organizationId, planId: "pro", reason: "OPS-79" });
    expect(back.body.entitlement.limits.active_preventives).toBe(100);
    expect((await entitlementRow(organizationId)).manual_features).toBeNull();
  });

  it("with only organizationStatus: the entitlement row is untouched and the public view synced", async () => {
    const organizationId = await createOrganization();
    const before = await entitlementRow(organizationId);
    const response = await setPlan(organizationId, {
      organizationId,
      organizationStatus: "suspended",
      reason: "Chargeback investigation OPS-9",
    });
    expect(response.status).toBe(200);
    expect(await entitlementRow(organizationId)).toEqual(before);
    expect(response.body.organization).toMatchObject({ status: "suspended", isActive: false });
    expect(response.body.entitlement).toMatchObject({
      planId: "free",
      status: before.status,
      organizationStatus: "suspended",
    });
    expect((await app.request("GET", `/v1/public/organizations/${organizationId}`)).body).toEqual({
      id: organizationId,
      name: `Org ${organizationId}`,
      status: "suspended",
      isActive: false,
    });
    const [entry] = await auditRows(organizationId);
    expect(entry.metadata.entitlementChanged).toBe(false);
    expect(entry.before).toMatchObject({
      organization: { status: "active" },
      publicView: { status: "active", isActive: true },
    });
    expect(entry.after).toMatchObject({
      organization: { status: "suspended" },
      publicView: { status: "suspended", isActive: false },
    });

    const reactivated = await setPlan(organizationId, {
      organizationId,
      organizationStatus: "active",
      reason: "Resolved OPS-9",
    });
    expect(reactivated.body.organization.isActive).toBe(true);
    expect(
      (await app.request("GET", `/v1/public/organizations/${organizationId}`)).body,
    ).toMatchObject({ status: "active", isActive: true });
    expect(await entitlementRow(organizationId)).toEqual(before);
  });

  it("with only organizationId and reason: nothing changes, a warning says so, and it is still audited", async () => {
    const organizationId = await createOrganization();
    const before = await entitlementRow(organizationId);
    const response = await setPlan(organizationId, { organizationId, reason: "Checking OPS-10" });
    expect(response.status).toBe(200);
    expect(response.body.warnings).toEqual([expect.stringContaining("Nothing was changed")]);
    expect(await entitlementRow(organizationId)).toEqual(before);
    expect(await auditRows(organizationId)).toHaveLength(1);
  });

  it("preserves usage and limits across plan and status changes", async () => {
    const organizationId = await createOrganization();
    await setPlan(organizationId, { organizationId, planId: "starter", reason: "OPS-11" });
    await recordUsage(organizationId, "active_preventives", 7);
    await recordUsage(organizationId, "encounters", 42);
    await recordUsage(organizationId, "seats", 2);
    const override = await app.request(
      "PUT",
      `/v1/root/organizations/${organizationId}/entitlement-overrides/seats`,
      { body: { value: 30, reason: "Custom contract OPS-12" } },
    );
    expect(override.status).toBe(200);
    const counters = async () =>
      (
        await app.database.pool.query(
          `select feature_key, period_start, used, used_purchased, overage, updated_at
             from usage_counters where organization_id = $1 order by feature_key, period_start`,
          [organizationId],
        )
      ).rows;
    const countersBefore = await counters();
    expect(countersBefore).toHaveLength(3);
    const before = (await app.request("GET", `/v1/organizations/${organizationId}/entitlement`))
      .body;
    expect(before.usage).toEqual({ active_preventives: 7, encounters: 42, seats: 2 });
    expect(before.limits).toEqual({ active_preventives: 25, encounters: 200, seats: 30 });

    const upgraded = await setPlan(organizationId, {
      organizationId,
      planId: "pro",
      entitlementStatus: "active",
      reason: "OPS-13",
    });
    expect(upgraded.status).toBe(200);
    expect(upgraded.body.entitlement.usage).toEqual(before.usage);
    // The plan's limits come from the catalog (normalized by planId); root's own override stays.
    expect(upgraded.body.entitlement.limits).toEqual({
      active_preventives: 100,
      encounters: 1000,
      seats: 30,
    });
    expect(await counters()).toEqual(countersBefore);

    const pastDue = await setPlan(organizationId, {
      organizationId,
      entitlementStatus: "past_due",
      reason: "OPS-14",
    });
    expect(pastDue.body.entitlement).toMatchObject({
      planId: "pro",
      status: "past_due",
      usage: before.usage,
      limits: upgraded.body.entitlement.limits,
    });
    expect(await counters()).toEqual(countersBefore);
    const overrides = await app.request(
      "GET",
      `/v1/root/organizations/${organizationId}/entitlement-overrides`,
    );
    expect(overrides.body.data).toEqual([
      expect.objectContaining({ feature: "seats", value: 30, active: true }),
    ]);
  });

  it("is visible to the very next feature check (the entitlement cache is version-checked)", async () => {
    const organizationId = await createOrganization();
    const check = (feature: string) =>
      app.request("GET", `/v1/organizations/${organizationId}/entitlements/${feature}`);
    expect((await check("active_preventives")).body).toMatchObject({ allowed: true, limit: 3 });
    expect((await check("priority_support")).body).toMatchObject({ allowed: false });
    await setPlan(organizationId, { organizationId, planId: "enterprise", reason: "OPS-15" });
    expect((await check("active_preventives")).body).toMatchObject({ allowed: true, limit: 1000 });
    expect((await check("priority_support")).body).toMatchObject({ allowed: true });
    await setPlan(organizationId, {
      organizationId,
      organizationStatus: "suspended",
      reason: "OPS-16",
    });
    expect((await check("active_preventives")).body).toMatchObject({
      allowed: false,
      reason: "organization_inactive",
    });
    await setPlan(organizationId, {
      organizationId,
      organizationStatus: "active",
      entitlementStatus: "canceled",
      reason: "OPS-17",
    });
    // Canceled falls back to the free plan's values.
    expect((await check("active_preventives")).body).toMatchObject({ allowed: true, limit: 3 });
  });

  it("does not touch the subscription", async () => {
    const organizationId = await createOrganization();
    await app.request("POST", `/v1/organizations/${organizationId}/payment-methods`, {
      body: { provider: "sandbox", token: "pm_sandbox_ok" },
    });
    const subscribed = await app.request(
      "POST",
      `/v1/organizations/${organizationId}/subscription`,
      {
        body: { planId: "starter", interval: "month" },
      },
    );
    expect(subscribed.status).toBe(201);
    const before = (await app.request("GET", `/v1/organizations/${organizationId}/subscription`))
      .body;
    const response = await setPlan(organizationId, {
      organizationId,
      planId: "enterprise",
      reason: "Trial of enterprise OPS-18",
    });
    expect(response.body.entitlement.planId).toBe("enterprise");
    expect(response.body.warnings).toEqual([
      expect.stringContaining(`The subscription ${before.id} (plan "starter") is not changed`),
    ]);
    // `asOf` is when the answer was read (the organization's clock), not part of the subscription.
    const after = (await app.request("GET", `/v1/organizations/${organizationId}/subscription`))
      .body;
    expect({ ...after, asOf: undefined }).toEqual({ ...before, asOf: undefined });
  });

  it("replays a repeated Idempotency-Key without a second change or audit entry", async () => {
    const organizationId = await createOrganization();
    const send = () =>
      app.request("POST", `/v1/root/organizations/${organizationId}/plan`, {
        body: { organizationId, planId: "starter", reason: "OPS-19" },
        idempotencyKey: `root-plan-${organizationId}`,
      });
    const first = await send();
    const second = await send();
    expect(second.status).toBe(200);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body.auditLogId).toBe(first.body.auditLogId);
    expect(await auditRows(organizationId)).toHaveLength(1);
  });

  it("logs the override of a plan missing from the catalog in the audit trail readable by root", async () => {
    const organizationId = await createOrganization();
    await setPlan(organizationId, { organizationId, planId: "mystery", reason: "OPS-20" });
    const list = await app.request(
      "GET",
      `/v1/audit-logs?organizationId=${organizationId}&action=root.organization_plan_set`,
    );
    expect(list.body.data).toEqual([
      expect.objectContaining({
        organizationId,
        action: "root.organization_plan_set",
        reason: "OPS-20",
        metadata: expect.objectContaining({ planCatalogFound: false }),
      }),
    ]);
  });
});
