import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog, createBillingOrganization } from "../helpers/billing-scenario.ts";
import { startWebhookReceiver } from "../helpers/webhook-receiver.ts";

/** With private destinations not allowed (as in production), outbound requests never reach them. */
let app: TestApp;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  app = await startTestApp({ environment: { ABONO_WEBHOOK_ALLOW_PRIVATE_URLS: "false" } });
  await createBillingCatalog(app);
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await receiver.close();
  await app.close();
});

describe("SSRF protection", () => {
  it.each([
    ["http://hooks.example.com/abono", /must be an https:\/\/ URL/],
    ["https://127.0.0.1/hooks", /private, loopback or link-local address \(127\.0\.0\.1\)/],
    ["https://localhost/hooks", /private, loopback or link-local/],
    ["https://169.254.169.254/latest/meta-data", /private/],
    ["https://[::1]:8443/hooks", /private/],
    ["https://10.0.0.8/hooks", /private/],
  ])("refuses %s with 400", async (url, message) => {
    const response = await app.request("POST", "/v1/webhook-endpoints", {
      body: { url, events: ["*"] },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("validation_error");
    expect(response.body.error.message).toMatch(message);
  });

  it("refuses an SQS queue URL on a private address too", async () => {
    const response = await app.request("POST", "/v1/webhook-endpoints", {
      body: {
        kind: "sqs",
        queueUrl: "https://127.0.0.1/123456789012/subscription.fifo",
        region: "us-east-1",
        events: ["*"],
      },
    });
    expect(response.status).toBe(400);
  });

  it("does not connect to a name that resolves to a private address when delivering", async () => {
    // As if the name had resolved elsewhere when the endpoint was saved.
    const port = new URL(receiver.url).port;
    await app.database.pool.query(
      `insert into webhook_endpoints (id, kind, url, event_types, status, secret, created_at, updated_at)
       values ('whe_rebound', 'webhook', $1, '{balance.changed}', 'enabled', 'whsec_c2VjcmV0', now(), now())`,
      [`https://localhost:${port}/hooks`],
    );
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    const adjusted = await app.request(
      "POST",
      `/v1/root/organizations/${org.organizationId}/balance-adjustments`,
      { body: { amount: 100, reason: "ssrf" } },
    );
    expect(adjusted.status).toBe(201);
    const deadline = Date.now() + 15_000;
    let attempts: { error: string | null }[] = [];
    while (attempts.length === 0) {
      if (Date.now() > deadline) throw new Error("no attempt recorded");
      const list = await app.request("GET", "/v1/webhook-deliveries?endpointId=whe_rebound");
      const delivery = list.body.data[0];
      if (delivery?.attempts > 0) {
        attempts = (await app.request("GET", `/v1/webhook-deliveries/${delivery.id}`)).body
          .attemptLog;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(attempts[0]?.error).toMatch(/localhost resolves to .*a private address/);
    expect(receiver.received).toHaveLength(0);
  });
});
