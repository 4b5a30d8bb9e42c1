import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import {
  createBillingCatalog,
  createBillingOrganization,
  createEncounterPack,
} from "../helpers/billing-scenario.ts";
import { startFakeSqs } from "../helpers/fake-sqs.ts";

/**
 * The SQS destination (the `subscription` queue a consumer reads to update the product's own database):
 * the official AWS SDK talks to a fake SQS on 127.0.0.1 that verifies every SigV4 signature.
 */
const credentials = { accessKeyId: "AKIAABONOTEST0000001", secretAccessKey: "fake/secret+key" };
let app: TestApp;
let sqs: Awaited<ReturnType<typeof startFakeSqs>>;

beforeAll(async () => {
  sqs = await startFakeSqs({ credentials });
  app = await startTestApp({
    environment: {
      ABONO_SQS_ACCESS_KEY_ID: credentials.accessKeyId,
      ABONO_SQS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      ABONO_WEBHOOK_RETRY_SCHEDULE: "100ms,200ms,300ms",
    },
  });
  await createBillingCatalog(app);
  await createEncounterPack(app);
});
afterAll(async () => {
  await app.close();
  await sqs.close();
});

describe("an SQS destination", () => {
  it("puts each event on a FIFO queue, grouped by organization, signed, retried until SQS takes it", async () => {
    const created = await app.request("POST", "/v1/webhook-endpoints", {
      body: {
        kind: "sqs",
        queueUrl: sqs.queueUrl("subscription.fifo"),
        region: "us-east-1",
        events: ["payment.succeeded", "pack.granted", "subscription.created"],
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: "sqs", url: null, region: "us-east-1" });
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    sqs.state.failNext = 2;
    await org.subscribe("plus");
    const purchase = await app.request("POST", org.path("/purchases"), {
      body: { packId: "encounters-100" },
    });
    expect(purchase.status).toBe(201);

    const deadline = Date.now() + 20_000;
    while (sqs.messages.length < 4) {
      if (Date.now() > deadline) {
        throw new Error(`${sqs.messages.length} messages; refused: ${sqs.refusedSignatures}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(sqs.refusedSignatures).toEqual([]);
    const events = sqs.messages.map((message) => JSON.parse(message.body));
    expect(events.map((event) => event.type)).toEqual([
      "payment.succeeded",
      "subscription.created",
      "payment.succeeded",
      "pack.granted",
    ]);
    expect(events.map((event) => event.sequence)).toEqual(
      [...events.map((event) => event.sequence)].sort((a, b) => a - b),
    );
    for (const [index, message] of sqs.messages.entries()) {
      expect(message.queueUrl).toBe(sqs.queueUrl("subscription.fifo"));
      expect(message.groupId).toBe(org.organizationId);
      expect(message.deduplicationId).toBe(events[index].id);
      // The same signature scheme as webhooks, in the message attributes.
      expect(() =>
        new Webhook(created.body.secret).verify(message.body, message.attributes),
      ).not.toThrow();
    }
    expect(events[3].data).toMatchObject({ feature: "encounters", quantity: 100 });

    const [first] = (
      await app.request(
        "GET",
        `/v1/webhook-deliveries?endpointId=${created.body.id}&eventId=${events[0].id}`,
      )
    ).body.data;
    const detail = await app.request("GET", `/v1/webhook-deliveries/${first.id}`);
    expect(
      detail.body.attemptLog.map((attempt: { statusCode: number }) => attempt.statusCode),
    ).toEqual([500, 500, 200]);
    expect(detail.body.attemptLog[2].responseExcerpt).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuses a queue URL that is not an SQS queue's", async () => {
    const response = await app.request("POST", "/v1/webhook-endpoints", {
      body: {
        kind: "sqs",
        queueUrl: `${sqs.origin}/not-a-queue`,
        region: "us-east-1",
        events: ["*"],
      },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/must be an SQS queue URL/);
  });

  it("has a fake that refuses a signature made with another secret", async () => {
    const client = new SQSClient({
      region: "us-east-1",
      credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: "wrong" },
      maxAttempts: 1,
    });
    await expect(
      client.send(
        new SendMessageCommand({ QueueUrl: sqs.queueUrl("subscription"), MessageBody: "{}" }),
      ),
    ).rejects.toThrow();
    expect(sqs.refusedSignatures.at(-1)).toBe("signature mismatch");
  });
});
