import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { type FakeStripe, fakeStripeEnvironment, startFakeStripe } from "../helpers/fake-stripe.ts";

/**
 * `POST /v1/webhooks/:provider` is open to anyone who can reach it, so it has limits of its own: providers
 * that are not configured are refused before anything is stored, bodies have a small size limit, a body
 * that fails verification is kept only as its first bytes with its hash, and each source address is rate
 * limited. The app trusts `X-Forwarded-For` here, so each test is its own source address.
 */
let app: TestApp;
let fake: FakeStripe;
const ratePerMinute = 5;
const bodyLimit = 64 * 1024;

beforeAll(async () => {
  fake = await startFakeStripe();
  app = await startTestApp({
    worker: false,
    environment: {
      ...fakeStripeEnvironment(fake),
      ABONO_TRUST_PROXY: "true",
      ABONO_WEBHOOK_RATE_LIMIT: String(ratePerMinute),
      ABONO_WEBHOOK_BODY_LIMIT_BYTES: String(bodyLimit),
    },
  });
});

afterAll(async () => {
  await app?.close();
  await fake?.close();
});

let nextSource = 1;
/** A source address of its own for each call site, so rate limits of one test do not touch another. */
const newSource = () => `203.0.113.${nextSource++}`;

function post(
  provider: string,
  body: string,
  { source, headers = {} }: { source: string; headers?: Record<string, string> },
) {
  return app.request("POST", `/v1/webhooks/${provider}`, {
    auth: null,
    rawBody: body,
    headers: { "content-type": "application/json", "x-forwarded-for": source, ...headers },
  });
}

async function storedEvents(provider: string) {
  const response = await app.request("GET", `/v1/payment-events?provider=${provider}&limit=100`);
  expect(response.status).toBe(200);
  return response.body.data as Record<string, unknown>[];
}

/** Posts a body with a forged Stripe signature: 400, and the stored event it names. */
async function rejectedAndStored(body: string) {
  const response = await post("stripe", body, {
    source: newSource(),
    headers: { "stripe-signature": "t=1,v1=00" },
  });
  expect(response.status).toBe(400);
  expect(response.body.error.code).toBe("webhook_signature_invalid");
  const stored = await storedEvents("stripe");
  return stored.find((event) => event.id === response.body.error.details.paymentEventId);
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("providers that are not configured", () => {
  for (const provider of ["apple", "google", "mercadopago", "paypal"]) {
    it(`${provider}: 404 before anything is stored`, async () => {
      const response = await post(provider, JSON.stringify({ signedPayload: "x".repeat(10_000) }), {
        source: newSource(),
      });
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe("not_found");
      expect(response.body.error.message).toContain(`${provider} is not configured`);
      expect(response.body.error.message).toContain("Nothing was stored");
      expect(await storedEvents(provider)).toEqual([]);
    });
  }
});

describe("what is stored", () => {
  it("a body that fails verification keeps its first 2 KiB, with the hash and size of all of it", async () => {
    const body = JSON.stringify({ id: "evt_forged", padding: "é".repeat(30_000) });
    const event = await rejectedAndStored(body);
    expect(event).toMatchObject({
      verified: false,
      outcome: "rejected",
      bodySha256: sha256(body),
      bodyBytes: Buffer.byteLength(body),
      bodyTruncated: true,
    });
    expect(Buffer.byteLength(String(event?.body))).toBeLessThanOrEqual(2048 + 2);
    expect(body.startsWith(String(event?.body).replace(/\uFFFD$/, ""))).toBe(true);
  });

  it("a verified body is stored whole, with its hash", async () => {
    const stripeEvent = {
      id: "evt_edge_whole",
      object: "event",
      type: "customer.created",
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: "cus_edge", object: "customer", note: "ñ".repeat(5_000) } },
    };
    const signed = fake.webhookRequest(stripeEvent as never);
    const response = await post("stripe", signed.body, {
      source: newSource(),
      headers: signed.headers,
    });
    expect(response.status).toBe(200);
    const [event] = (await storedEvents("stripe")).filter(
      (stored) => stored.providerEventId === "evt_edge_whole",
    );
    expect(event).toMatchObject({
      verified: true,
      body: signed.body,
      bodySha256: sha256(signed.body),
      bodyBytes: Buffer.byteLength(signed.body),
      bodyTruncated: false,
    });
  });

  it("a body with a NUL byte answers 400, not 500, and stays on record (NUL escaped)", async () => {
    const event = await rejectedAndStored('{"message":"a\u0000b"}');
    expect(event).toMatchObject({ verified: false, body: '{"message":"a\\u0000b"}' });
  });

  it(`a body over ABONO_WEBHOOK_BODY_LIMIT_BYTES answers 413 and is not stored`, async () => {
    const before = (await storedEvents("stripe")).length;
    const response = await post("stripe", JSON.stringify({ padding: "x".repeat(bodyLimit) }), {
      source: newSource(),
      headers: { "stripe-signature": "t=1,v1=00" },
    });
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe("payload_too_large");
    expect(response.body.error.message).toContain("ABONO_WEBHOOK_BODY_LIMIT_BYTES");
    expect((await storedEvents("stripe")).length).toBe(before);
  });

  it("the API's own body limit still applies elsewhere (a body over the webhook limit is fine there)", async () => {
    const response = await app.request("POST", "/v1/organizations", {
      body: { id: "edge-big-body", name: "x".repeat(bodyLimit + 10) },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("validation_error");
  });
});

describe("rate limit per source address", () => {
  it(`more than ${ratePerMinute} a minute from one address answer 429 rate_limited; another address is unaffected`, async () => {
    const source = newSource();
    const before = (await storedEvents("stripe")).length;
    const responses = await Promise.all(
      Array.from({ length: ratePerMinute + 4 }, () =>
        post("stripe", '{"id":"evt_flood"}', {
          source,
          headers: { "stripe-signature": "t=1,v1=00" },
        }),
      ),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([...Array(ratePerMinute).fill(400), ...Array(4).fill(429)]);
    const limited = responses.find((response) => response.status === 429);
    expect(limited?.body).toEqual({
      error: {
        code: "rate_limited",
        message: expect.stringContaining(`at most ${ratePerMinute} a minute`),
        details: { retryAfterSeconds: expect.any(Number) },
      },
    });
    expect(Number(limited?.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited?.headers.get("x-request-id")).toMatch(/^req_/);
    // Refused before the body was read: only the allowed ones were stored.
    expect((await storedEvents("stripe")).length).toBe(before + ratePerMinute);

    const other = await post("stripe", '{"id":"evt_other"}', {
      source: newSource(),
      headers: { "stripe-signature": "t=1,v1=00" },
    });
    expect(other.status).toBe(400);
  });

  it("the rest of the API is not limited by the webhook allowance", async () => {
    const source = newSource();
    for (let index = 0; index <= ratePerMinute; index += 1) {
      await post("stripe", "{}", { source, headers: { "stripe-signature": "t=1,v1=00" } });
    }
    const responses = await Promise.all(
      Array.from({ length: ratePerMinute * 2 }, () =>
        app.request("GET", "/health", { auth: null, headers: { "x-forwarded-for": source } }),
      ),
    );
    expect(responses.every((response) => response.status === 200)).toBe(true);
  });
});
