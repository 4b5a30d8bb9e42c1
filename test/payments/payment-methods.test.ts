import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/seeds/seed-demo.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

/** Storing a payment method: what the caller gets when the provider or the organization is not there. */
let app: TestApp;

beforeAll(async () => {
  // Stripe configured, but its API unreachable (nothing listens on port 1).
  app = await startTestApp({
    worker: false,
    environment: {
      ABONO_STRIPE_SECRET_KEY: "sk_test_unreachable",
      ABONO_STRIPE_API_URL: "http://127.0.0.1:1",
    },
  });
  await seedDemo({ db: app.server.connection.db, now: new Date() });
  const organization = await app.request("POST", "/v1/organizations", {
    body: { id: "pm-org", name: "PM Org" },
  });
  expect(organization.status).toBe(201);
});

afterAll(async () => {
  await app?.close();
});

describe("POST /v1/organizations/:orgId/payment-methods", () => {
  it("answers 502 provider_error, not 500, when the provider cannot be reached; nothing is stored", async () => {
    const response = await app.request("POST", "/v1/organizations/pm-org/payment-methods", {
      body: { provider: "stripe", token: "pm_card_visa" },
    });
    expect(response.status).toBe(502);
    expect(response.body.error.code).toBe("provider_error");
    expect(response.body.error.message).toContain("stripe could not check the payment method");
    const { rows } = await app.database.pool.query(
      "select count(*)::int as count from payment_methods where organization_id = 'pm-org'",
    );
    expect(rows[0].count).toBe(0);
  }, 30_000);

  it("answers 404 for an unknown organization before asking the provider", async () => {
    const response = await app.request("POST", "/v1/organizations/nobody/payment-methods", {
      body: { provider: "sandbox", token: "pm_sandbox_ok" },
    });
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe("not_found");
  });
});
