import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp, testRootKey } from "../helpers/app.ts";
import { createBillingCatalog, createBillingOrganization } from "../helpers/billing-scenario.ts";
import { processTestTimeout, runCli } from "../helpers/process.ts";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ worker: false });
  await createBillingCatalog(app);
});
afterAll(() => app?.close());

describe("abono entitlements check (the CLI through @abono/client)", {
  timeout: processTestTimeout,
}, () => {
  it("answers from a running service: allowed (0), refused (3), unknown (1), no key (2)", async () => {
    const org = await createBillingOrganization(app, { start: new Date().toISOString() });
    await org.subscribe("plus");
    const used = await app.request("POST", org.path("/usage"), {
      body: { feature: "encounters", quantity: 7, eventId: "cli-1" },
    });
    expect(used.status).toBe(200);
    const environment = { ABONO_URL: app.baseUrl, ABONO_API_KEY: testRootKey };

    const allowed = runCli(
      ["entitlements", "check", org.organizationId, "encounters"],
      environment,
    );
    expect(await allowed.exited).toBe(0);
    expect(allowed.output()).toContain(
      `${org.organizationId} may use encounters (limit 500, used 7, remaining 493)`,
    );

    await app.request(
      "PUT",
      `/v1/root/organizations/${org.organizationId}/entitlement-overrides/seats`,
      { body: { value: false, reason: "cli test" } },
    );
    const refused = runCli(
      ["entitlements", "check", org.organizationId, "seats", "--json"],
      environment,
    );
    expect(await refused.exited).toBe(3);
    expect(JSON.parse(refused.output().trim())).toMatchObject({ feature: "seats", allowed: false });

    const unknown = runCli(["entitlements", "check", "no-such-org", "seats"], environment);
    expect(await unknown.exited).toBe(1);
    expect(unknown.output()).toContain("not_found");

    const keyless = runCli(["entitlements", "check", org.organizationId, "seats"], {
      ABONO_URL: app.baseUrl,
    });
    expect(await keyless.exited).toBe(2);
    expect(keyless.output()).toContain("ABONO_API_KEY");
  });
});
