import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/seeds/seed-demo.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { startFakeCognito } from "../helpers/fake-cognito.ts";

async function count(app: TestApp, table: string, organizationId: string) {
  const { rows } = await app.database.pool.query(
    `select count(*)::int as count from ${table} where organization_id = $1`,
    [organizationId],
  );
  return rows[0].count as number;
}

describe("provisioning with the built-in directory", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({
      worker: false,
      environment: { ABONO_IDENTITY_ADMIN_GROUP: "abono-admin-store" },
    });
  });
  afterAll(() => app.close());

  it("refuses with invalid_state, creating nothing, while the catalog has no free plan", async () => {
    const earlyBird = {
      id: "early-bird",
      name: "Early Bird",
      owner: { userId: "user-1", email: "ana@example.com" },
    };
    const response = await app.request("POST", "/v1/organizations", { body: earlyBird });
    expect(response.status).toBe(409);
    expect(response.body.error).toMatchObject({
      code: "invalid_state",
      details: { freePlanId: "free" },
    });
    expect(response.body.error.message).toMatch(
      /free plan "free" \(ABONO_FREE_PLAN_ID\) is not in the catalog.*`abono seed demo`/,
    );
    expect((await app.request("GET", "/v1/organizations/early-bird")).status).toBe(404);
    const listed = await app.request("GET", "/v1/organizations");
    expect(listed.status).toBe(200);
    expect(listed.body.data).toEqual([]);
    for (const table of [
      "billing_customers",
      "organization_public_view",
      "organization_members",
      "organization_entitlements",
    ]) {
      expect(await count(app, table, "early-bird")).toBe(0);
    }

    // Fix the cause, send the same request again: the organization is created.
    await seedDemo({ db: app.server.connection.db, now: new Date() });
    const retried = await app.request("POST", "/v1/organizations", { body: earlyBird });
    expect(retried.status).toBe(201);
    expect(retried.body.provisioning.status).toBe("active");
    expect(await count(app, "billing_customers", "early-bird")).toBe(1);
  });

  it("provisions everything: customer, core record, public view, free entitlement, groups, owner", async () => {
    const response = await app.request("POST", "/v1/organizations", {
      body: {
        id: "legacy533",
        name: "Legacy533 QA",
        currency: "USD",
        billingAnchor: "first_of_month",
        owner: { userId: "carlos", email: "carlos@example.com" },
      },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      id: "legacy533",
      name: "Legacy533 QA",
      currency: "USD",
      billingAnchor: "first_of_month",
      status: "active",
      isActive: true,
      identityGroup: "Legacy533-Qa",
      tenantSchema: null,
      owner: { userId: "carlos", email: "carlos@example.com" },
      provisioning: { status: "active", failedStep: null },
    });
    expect(
      response.body.provisioning.steps.map((step: { step: string; status: string }) => [
        step.step,
        step.status,
      ]),
    ).toEqual([
      ["billing_customer", "done"],
      ["core_record", "done"],
      ["free_entitlement", "done"],
      ["identity_groups", "done"],
      // Tenant schemas are off here (ABONO_TENANT_SCHEMAS unset): the step made nothing.
      ["tenant_schema", "skipped"],
    ]);
    const db = app.database.pool;
    const entitlement = await db.query(
      "select * from organization_entitlements where organization_id = 'legacy533'",
    );
    expect(entitlement.rows[0]).toMatchObject({
      plan_id: "free",
      plan_version: 1,
      status: "active",
      source: "free",
    });
    const members = await db.query(
      "select user_id, roles from organization_members where organization_id = 'legacy533'",
    );
    expect(members.rows).toEqual([{ user_id: "carlos", roles: ["owner", "billing_admin"] }]);
    const groups = await db.query(
      "select group_name from identity_group_members where user_id = 'carlos' order by group_name",
    );
    expect(groups.rows.map((row) => row.group_name)).toEqual(["Legacy533-Qa", "abono-admin-store"]);

    const publicView = await app.request("GET", "/v1/public/organizations/legacy533", {
      auth: null,
    });
    expect(publicView.status).toBe(200);
    expect(publicView.body).toEqual({
      id: "legacy533",
      name: "Legacy533 QA",
      status: "active",
      isActive: true,
    });
  });

  it("generates an id when none is given, and answers 409 for a taken one", async () => {
    const generated = await app.request("POST", "/v1/organizations", {
      body: { name: "Sin Nombre" },
    });
    expect(generated.status).toBe(201);
    expect(generated.body.id).toMatch(/^org_[0-9a-z]{26}$/);
    const taken = await app.request("POST", "/v1/organizations", {
      body: { id: "legacy533", name: "Other" },
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe("conflict");
  });

  it("gives a second organization with the same name its own group", async () => {
    const twin = await app.request("POST", "/v1/organizations", {
      body: { id: "legacy-twin", name: "Legacy533 QA" },
    });
    expect(twin.status).toBe(201);
    expect(twin.body.identityGroup).toBe(`Legacy533-Qa-${twin.body.number}`);
  });

  it("lets only one of two concurrent creations of one id provision", async () => {
    const responses = await Promise.all(
      [1, 2, 3].map(() =>
        app.request("POST", "/v1/organizations", { body: { id: "racer", name: "Racer" } }),
      ),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([201, 409, 409]);
    expect(await count(app, "billing_customers", "racer")).toBe(1);
  });

  it("validates the body with messages that say what to fix", async () => {
    const response = await app.request("POST", "/v1/organizations", {
      body: { id: "Bad Id!", name: "", currency: "usd", billingAnchor: "monthly" },
    });
    expect(response.status).toBe(400);
    const paths = response.body.error.details.issues.map((issue: { path: string }) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining(["body.id", "body.name", "body.currency", "body.billingAnchor"]),
    );
    const clock = await app.request("POST", "/v1/organizations", {
      body: { name: "Clocked", testClockId: "clock_nope" },
    });
    expect(clock.status).toBe(400);
    expect(clock.body.error.message).toMatch(/no test clock "clock_nope"/);
    const currency = await app.request("POST", "/v1/organizations", {
      body: { name: "Money", currency: "XYZ" },
    });
    expect(currency.body.error.message).toMatch(/"XYZ" is not an ISO 4217 currency/);
  });

  it("attaches an organization to a test clock", async () => {
    const clock = await app.request("POST", "/v1/test-clocks", {
      body: { frozenTime: "2026-01-01T00:00:00Z" },
    });
    const organization = await app.request("POST", "/v1/organizations", {
      body: { name: "On the clock", testClockId: clock.body.id },
    });
    expect(organization.status).toBe(201);
    expect(organization.body.testClockId).toBe(clock.body.id);
  });
});

describe("provisioning with Amazon Cognito", () => {
  let app: TestApp;
  let cognito: Awaited<ReturnType<typeof startFakeCognito>>;
  beforeAll(async () => {
    cognito = await startFakeCognito();
    app = await startTestApp({
      worker: false,
      environment: {
        ABONO_IDENTITY_DIRECTORY: "cognito",
        ABONO_IDENTITY_ADMIN_GROUP: "waizant-admin-store",
        ABONO_COGNITO_USER_POOL_ID: "us-east-1_TestPool1",
        ABONO_COGNITO_REGION: "us-east-1",
        ABONO_COGNITO_ENDPOINT: cognito.endpoint,
        ABONO_COGNITO_ACCESS_KEY_ID: "AKIDTESTTESTTEST",
        ABONO_COGNITO_SECRET_ACCESS_KEY: "secret-test-key",
      },
    });
    await seedDemo({ db: app.server.connection.db, now: new Date() });
    // The store's admin group exists in the user pool beforehand, as in production.
    cognito.groups.add("waizant-admin-store");
  });
  afterAll(async () => {
    await app.close();
    await cognito.close();
  });

  it("creates the group and adds the owner to the admin and organization groups with signed API calls", async () => {
    cognito.calls.length = 0;
    const response = await app.request("POST", "/v1/organizations", {
      body: {
        id: "acme",
        name: "Acme Constructora",
        owner: { userId: "carlos", email: "carlos@example.com" },
      },
    });
    expect(response.status).toBe(201);
    expect(cognito.calls.map((call) => [call.operation, call.body])).toEqual([
      [
        "CreateGroup",
        {
          UserPoolId: "us-east-1_TestPool1",
          GroupName: "Acme-Constructora",
          Description: "Members of Acme Constructora (acme)",
        },
      ],
      [
        "AdminAddUserToGroup",
        { UserPoolId: "us-east-1_TestPool1", Username: "carlos", GroupName: "waizant-admin-store" },
      ],
      [
        "AdminAddUserToGroup",
        { UserPoolId: "us-east-1_TestPool1", Username: "carlos", GroupName: "Acme-Constructora" },
      ],
    ]);
    for (const call of cognito.calls) {
      expect(call.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDTESTTESTTEST\/\d{8}\/us-east-1\/cognito-idp\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/,
      );
    }
    expect(cognito.memberships).toContain("Acme-Constructora/carlos");
  });

  it("undoes everything when Cognito fails part-way, and finishes on retry", async () => {
    cognito.calls.length = 0;
    cognito.failing.add("AdminAddUserToGroup");
    const body = {
      id: "beta-works",
      name: "Beta Works",
      owner: { userId: "lucia", email: "lucia@example.com" },
    };
    const failed = await app.request("POST", "/v1/organizations", {
      body,
      idempotencyKey: "create-beta",
    });
    expect(failed.status).toBe(500);
    expect(failed.body.error.details.failedStep).toBe("identity_groups");

    const organization = await app.request("GET", "/v1/organizations/beta-works");
    expect(organization.body.provisioning).toMatchObject({
      status: "failed",
      failedStep: "identity_groups",
    });
    expect(organization.body.provisioning.error).toMatch(
      /AdminAddUserToGroup failed: InternalErrorException/,
    );
    for (const table of [
      "billing_customers",
      "organization_public_view",
      "organization_members",
      "organization_entitlements",
    ]) {
      expect(await count(app, table, "beta-works")).toBe(0);
    }
    // The group it had created was deleted again.
    expect(cognito.calls.map((call) => call.operation)).toContain("DeleteGroup");
    expect(cognito.calls.at(-1)).toMatchObject({
      operation: "DeleteGroup",
      body: { UserPoolId: "us-east-1_TestPool1", GroupName: "Beta-Works" },
    });
    expect(cognito.groups.has("Beta-Works")).toBe(false);

    cognito.failing.clear();
    const retried = await app.request("POST", "/v1/organizations", {
      body,
      idempotencyKey: "create-beta",
    });
    expect(retried.status).toBe(201);
    expect(retried.body.provisioning.status).toBe("active");
    expect(cognito.groups.has("Beta-Works")).toBe(true);
    expect(cognito.memberships).toContain("Beta-Works/lucia");
    expect(await count(app, "organization_public_view", "beta-works")).toBe(1);
  });

  it("retries a failed provisioning through its route, and has nothing to retry once it is active", async () => {
    cognito.failing.add("AdminAddUserToGroup");
    const failed = await app.request("POST", "/v1/organizations", {
      body: { id: "gamma-labs", name: "Gamma Labs", owner: { userId: "gabi" } },
    });
    expect(failed.status).toBe(500);
    cognito.failing.clear();

    const retried = await app.request("POST", "/v1/organizations/gamma-labs/provisioning/retry");
    expect(retried.status).toBe(200);
    expect(retried.body.provisioning).toMatchObject({ status: "active", failedStep: null });
    expect(cognito.memberships).toContain("Gamma-Labs/gabi");

    const again = await app.request("POST", "/v1/organizations/gamma-labs/provisioning/retry");
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({
      code: "invalid_state",
      message: "Organization gamma-labs is provisioned already; there is nothing to retry.",
    });
  });
});
