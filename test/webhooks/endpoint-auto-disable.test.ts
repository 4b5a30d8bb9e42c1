import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createManualClock } from "../../src/time/manual-clock.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog, createBillingOrganization } from "../helpers/billing-scenario.ts";
import { until } from "../helpers/until.ts";
import { startWebhookReceiver } from "../helpers/webhook-receiver.ts";

/**
 * An endpoint that fails continuously is disabled once its first failure is `ABONO_WEBHOOK_DISABLE_AFTER`
 * (5 days) old, not a moment before, and the operators get a notification and an email. The server's
 * clock is pinned (deliveries run on it) and moved by hand; the automatic retries wait a day each of
 * real time, so only the test's retries by hand send attempts.
 */
const day = 86_400_000;
const operatorsEmail = "operators@example.com";
const clock = createManualClock(new Date());
let app: TestApp;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  receiver = await startWebhookReceiver({ respond: () => ({ status: 500, body: "down" }) });
  app = await startTestApp({
    clock: () => clock.now(),
    environment: {
      ABONO_ADMIN_EMAIL: operatorsEmail,
      ABONO_WEBHOOK_RETRY_SCHEDULE: "1d,1d,1d,1d,1d,1d,1d,1d",
    },
  });
  await createBillingCatalog(app);
});
afterAll(async () => {
  await app.close();
  await receiver.close();
});

describe("an endpoint failing for 5 days", () => {
  it("is disabled at 5 days, not before, and the operators are notified and emailed", async () => {
    const created = await app.request("POST", "/v1/webhook-endpoints", {
      body: { url: receiver.url, events: ["balance.changed"] },
    });
    expect(created.status).toBe(201);
    const endpointId: string = created.body.id;
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    // A delivery is due from its commit (by the database's time): the pinned clock stands a little
    // ahead of it, so the first attempt, and the endpoint's first failure, happen at `start`.
    const start = new Date(Math.ceil(Date.now() / 1000) * 1000 + 5000);
    clock.advanceTo(start);
    const adjusted = await app.request(
      "POST",
      `/v1/root/organizations/${org.organizationId}/balance-adjustments`,
      { body: { amount: 100, reason: "a change to deliver" } },
    );
    expect(adjusted.status).toBe(201);

    const delivery = (attempts: number) =>
      until({
        what: `attempt ${attempts}`,
        read: async () => {
          const [found] = (
            await app.request("GET", `/v1/webhook-deliveries?endpointId=${endpointId}`)
          ).body.data;
          return found?.attempts === attempts ? (found as { id: string }) : undefined;
        },
      });
    const endpoint = async () =>
      (await app.request("GET", `/v1/webhook-endpoints/${endpointId}`)).body;

    const { id: deliveryId } = await delivery(1);
    expect(await endpoint()).toMatchObject({
      status: "enabled",
      failingSince: start.toISOString(),
    });

    // Attempts by hand at 2 days and just under 5 days: still failing, still enabled.
    let attempts = 1;
    for (const offset of [2 * day, 5 * day - 60_000]) {
      clock.advanceTo(new Date(start.getTime() + offset));
      const retried = await app.request("POST", `/v1/webhook-deliveries/${deliveryId}/retry`);
      expect(retried.status).toBe(200);
      attempts += 1;
      await delivery(attempts);
      expect(await endpoint()).toMatchObject({
        status: "enabled",
        failingSince: start.toISOString(),
      });
    }

    // At 5 days: disabled.
    const fiveDays = new Date(start.getTime() + 5 * day);
    clock.advanceTo(fiveDays);
    expect((await app.request("POST", `/v1/webhook-deliveries/${deliveryId}/retry`)).status).toBe(
      200,
    );
    await delivery(attempts + 1);
    const disabled = await endpoint();
    expect(disabled).toMatchObject({ status: "disabled", disabledAt: fiveDays.toISOString() });
    expect(disabled.disabledReason).toBe(
      `Every attempt failed since ${start.toISOString()} (5 days or more without a success); the last: HTTP 500`,
    );
    expect(receiver.received).toHaveLength(attempts + 1);

    const notice = await until({
      what: "the operators' notification",
      read: async () => {
        const notices: { kind: string; title: string; data: { endpointId: string } }[] = (
          await app.request("GET", "/v1/notifications?limit=100")
        ).body.data;
        return notices.find(
          (candidate) =>
            candidate.kind === "webhook_endpoint_disabled" &&
            candidate.data.endpointId === endpointId,
        );
      },
    });
    expect(notice.title).toBe(`Webhook endpoint disabled: ${receiver.url}`);
    const email = await until({
      what: "the operators' email",
      read: async () => {
        const emails: { subject: string; text: string; status: string }[] = (
          await app.request("GET", `/v1/mailbox?to=${encodeURIComponent(operatorsEmail)}`)
        ).body.data;
        return emails.find(
          (candidate) => candidate.status === "sent" && candidate.text.includes(endpointId),
        );
      },
    });
    expect(email.subject).toBe(`Webhook endpoint disabled: ${receiver.url}`);
    expect(email.text).toContain("5 days or more without a success");
    expect(email.text).toContain(`POST /v1/webhook-endpoints/${endpointId}/enable`);
  });
});
