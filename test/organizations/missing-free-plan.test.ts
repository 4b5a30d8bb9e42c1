import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/logger.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import { startTestApp, type TestApp, testRootKey } from "../helpers/app.ts";
import { createBillingCatalog, createBillingOrganization } from "../helpers/billing-scenario.ts";

/**
 * The free plan (ABONO_FREE_PLAN_ID) is the operator's to create. When it is missing, whatever needs it
 * answers a 4xx saying what to do, never a 500 (an empty catalog: test/organizations/provisioning.test.ts).
 */
describe("a free plan id that names no plan (ABONO_FREE_PLAN_ID changed after organizations exist)", () => {
  let app: TestApp;
  let misconfigured: RunningServer;
  let organization: Awaited<ReturnType<typeof createBillingOrganization>>;
  const request = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${misconfigured.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${testRootKey}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };

  beforeAll(async () => {
    app = await startTestApp({ worker: false });
    await createBillingCatalog(app);
    organization = await createBillingOrganization(app, {
      start: new Date(Date.UTC(new Date().getUTCFullYear(), 0, 1)).toISOString(),
    });
    await organization.subscribe("plus");
    const config = loadConfig({
      DATABASE_URL: app.database.url,
      PORT: "0",
      ABONO_LOG_LEVEL: process.env.ABONO_TEST_LOG_LEVEL ?? "silent",
      ABONO_ROOT_API_KEY: testRootKey,
      ABONO_TEST_MODE: "true",
      ABONO_FREE_PLAN_ID: "gone",
    });
    misconfigured = await startServer({
      config,
      logger: createLogger({ level: config.logLevel }),
      worker: false,
      onRootKeyGenerated: () => {},
    });
  });
  afterAll(async () => {
    await misconfigured?.stop();
    await app.close();
  });

  it("still reads organizations and entitlements", async () => {
    const id = organization.organizationId;
    for (const path of [
      "/v1/organizations",
      `/v1/organizations/${id}`,
      `/v1/organizations/${id}/entitlement`,
      `/v1/organizations/${id}/entitlements/encounters`,
      `/v1/organizations/${id}/subscription`,
    ]) {
      const response = await request("GET", path);
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
    }
  });

  it("refuses a new organization with invalid_state", async () => {
    const response = await request("POST", "/v1/organizations", { name: "Late Comer" });
    expect(response.status).toBe(409);
    expect(response.body.error).toMatchObject({
      code: "invalid_state",
      details: { freePlanId: "gone" },
    });
  });

  it("cancels a subscription at once without a 500, then reads the organization without it", async () => {
    const id = organization.organizationId;
    const canceled = await request("POST", `/v1/organizations/${id}/subscription/cancel`, {
      atPeriodEnd: false,
    });
    expect(canceled.status).toBeLessThan(500);
    expect(canceled.status).toBe(200);
    for (const path of [
      `/v1/organizations/${id}`,
      `/v1/organizations/${id}/entitlement`,
      `/v1/organizations/${id}/entitlements/encounters`,
    ]) {
      const response = await request("GET", path);
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
    }
  });
});
