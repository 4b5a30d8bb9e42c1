import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForJobs } from "../../src/jobs/wait-for-jobs.ts";
import type { TestApp } from "../helpers/app.ts";
import { type FakePayPal, startFakePayPal } from "../helpers/fake-paypal.ts";
import {
  createCheckoutCustomer,
  paymentCounts,
  startCheckoutTestApp,
} from "../helpers/payment-scenario.ts";

/**
 * PayPal end to end (capture API): checkout → order at PayPal (the official SDK talking to a
 * local fake) → the buyer approves → Abono captures → payment success pipeline; the
 * `PAYMENT.CAPTURE.COMPLETED` webhook for the same capture is then a no-op.
 */
let app: TestApp;
let fake: FakePayPal;

beforeAll(async () => {
  fake = await startFakePayPal();
  app = await startCheckoutTestApp({
    ABONO_PAYPAL_CLIENT_ID: fake.clientId,
    ABONO_PAYPAL_CLIENT_SECRET: fake.clientSecret,
    ABONO_PAYPAL_WEBHOOK_ID: fake.webhookId,
    ABONO_PAYPAL_API_URL: fake.apiUrl,
  });
});

afterAll(async () => {
  await app?.close();
  await fake?.close();
});

async function startCheckout(planId = "premium", interval = "month") {
  const { organizationId, email } = await createCheckoutCustomer(app, {
    idPrefix: "pp",
    name: "Estudio",
    owner: "lucia",
    emailDomain: "estudio.example",
    locale: "en",
  });
  const started = await app.request("POST", `/v1/organizations/${organizationId}/checkouts`, {
    body: { planId, interval, provider: "paypal" },
  });
  expect(started.status).toBe(201);
  const checkout = started.body.checkout;
  return {
    organizationId,
    email,
    checkout,
    capture: () =>
      app.request("POST", `/v1/organizations/${organizationId}/checkouts/${checkout.id}/capture`),
  };
}

const captureIdOf = (orderId: string): string => {
  const id = fake.order(orderId)?.purchase_units[0]?.payments?.captures[0]?.id;
  if (!id) throw new Error(`order ${orderId} has no capture`);
  return id;
};

function deliver(signed: { headers: Record<string, string>; rawBody: Buffer }) {
  return app.request("POST", "/v1/webhooks/paypal", {
    auth: null,
    rawBody: signed.rawBody.toString("utf8"),
    headers: { ...signed.headers, "content-type": "application/json" },
  });
}

const counts = (organizationId: string) => paymentCounts(app, organizationId);

describe("PayPal checkout", () => {
  it("checkout → approve → capture → active subscription, entitlement, purchase email; the webhook after it is a no-op", async () => {
    const { organizationId, email, checkout, capture } = await startCheckout();
    expect(checkout).toMatchObject({ provider: "paypal", status: "open", amount: 10000 });
    expect(checkout.redirectUrl).toContain(checkout.providerCheckoutId);

    const early = await capture();
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe("invalid_state");
    expect(early.body.error.message).toContain("The buyer has not approved the order");
    expect((await counts(organizationId)).payments).toBe(0);

    fake.approve(checkout.providerCheckoutId);
    const captured = await capture();
    expect(captured.status).toBe(200);
    expect(captured.body.checkout.status).toBe("completed");
    expect(captured.body.subscription).toMatchObject({ planId: "premium", status: "active" });

    const entitlement = await app.request("GET", `/v1/organizations/${organizationId}/entitlement`);
    expect(entitlement.body).toMatchObject({ planId: "premium", status: "active" });
    const organization = await app.request("GET", `/v1/organizations/${organizationId}`);
    expect(organization.body.billingProviders.paypal).toMatchObject({
      checkoutId: checkout.id,
      providerCheckoutId: checkout.providerCheckoutId,
      planId: "premium",
    });

    const captureId = captureIdOf(checkout.providerCheckoutId);
    const webhook = await deliver(fake.signWebhook(fake.captureCompletedEvent(captureId)));
    expect(webhook.status).toBe(200);
    expect(webhook.body.outcome).toBe("duplicate");
    expect(await counts(organizationId)).toEqual({ payments: 1, subscriptions: 1, invoices: 1 });

    await waitForJobs({ db: app.database.db, queueName: null, deadline: Date.now() + 30_000 });
    const mailbox = await app.request("GET", `/v1/mailbox?to=${email}`);
    expect(mailbox.body.data).toHaveLength(1);
    expect(mailbox.body.data[0].subject).toBe("Your Premium subscription is active");
    expect(mailbox.body.data[0].text).toContain("PayPal");
  });

  it("a bad or stale signature → 400, nothing changes", async () => {
    const { organizationId, checkout } = await startCheckout("plus");
    fake.approve(checkout.providerCheckoutId);
    // Capture at PayPal without Abono (as if the capture call's answer was lost).
    const outside = await fetch(
      `${fake.apiUrl}/v2/checkout/orders/${checkout.providerCheckoutId}/capture`,
      {
        method: "POST",
        headers: {
          authorization: `Bearer ${await token()}`,
          "content-type": "application/json",
        },
      },
    );
    expect(outside.status).toBe(201);
    const event = fake.captureCompletedEvent(captureIdOf(checkout.providerCheckoutId));
    const signed = fake.signWebhook(event);
    const tampered = await deliver({
      headers: signed.headers,
      rawBody: Buffer.from(signed.rawBody.toString("utf8").replace("COMPLETED", "COMPLETED ")),
    });
    expect(tampered.status).toBe(400);
    expect(tampered.body.error.code).toBe("webhook_signature_invalid");
    const stale = await deliver(
      fake.signWebhook(event, fake.webhookId, {
        transmissionTime: new Date(Date.now() - 301_000),
      }),
    );
    expect(stale.status).toBe(400);
    expect(stale.body.error.code).toBe("webhook_signature_invalid");
    expect(await counts(organizationId)).toEqual({ payments: 0, subscriptions: 0, invoices: 0 });

    // The genuine delivery then completes the checkout (the webhook path alone).
    const genuine = await deliver(fake.signWebhook(event));
    expect(genuine.body.outcome).toBe("processed");
    expect(await counts(organizationId)).toEqual({ payments: 1, subscriptions: 1, invoices: 1 });
  });

  it("the same webhook 10 times concurrently with a capture → one payment, one subscription", async () => {
    const { organizationId, checkout, capture } = await startCheckout("plus");
    fake.approve(checkout.providerCheckoutId);
    const first = await capture();
    expect(first.status).toBe(200);
    const event = fake.captureCompletedEvent(captureIdOf(checkout.providerCheckoutId));
    const responses = await Promise.all([
      ...Array.from({ length: 10 }, () => deliver(fake.signWebhook(event))),
      capture(),
    ]);
    expect(responses.map((response) => response.status)).toEqual(Array(11).fill(200));
    // The capture came first: every webhook finds its payment, and capturing again answers the same result.
    expect(responses.slice(0, 10).map((response) => response.body.outcome)).toEqual(
      Array(10).fill("duplicate"),
    );
    expect(responses[10]?.body.checkout).toMatchObject({ id: checkout.id, status: "completed" });
    expect(responses[10]?.body.subscription.id).toBe(first.body.subscription.id);
    expect(await counts(organizationId)).toEqual({ payments: 1, subscriptions: 1, invoices: 1 });
  });

  it("a declined instrument → 402, the organization stays as it was", async () => {
    const { organizationId, checkout, capture } = await startCheckout("plus");
    fake.decline(checkout.providerCheckoutId);
    const response = await capture();
    expect(response.status).toBe(402);
    expect(response.body.error.code).toBe("payment_failed");
    expect(await counts(organizationId)).toEqual({ payments: 0, subscriptions: 0, invoices: 0 });
    const entitlement = await app.request("GET", `/v1/organizations/${organizationId}/entitlement`);
    expect(entitlement.body.planId).toBe("free");
  });

  it("a refund at PayPal flows back to the payment and the invoice", async () => {
    const { organizationId, checkout, capture } = await startCheckout("plus");
    fake.approve(checkout.providerCheckoutId);
    await capture();
    const refunded = fake.refund(captureIdOf(checkout.providerCheckoutId), 4000n);
    const response = await deliver(fake.signWebhook(refunded));
    expect(response.body.outcome).toBe("refund processed");
    const invoices = await app.request("GET", `/v1/organizations/${organizationId}/invoices`);
    expect(invoices.body.data[0]).toMatchObject({ amountPaid: 4000, amountRefunded: 4000 });
    const { rows } = await app.database.pool.query(
      "select status from payments where organization_id = $1",
      [organizationId],
    );
    expect(rows).toEqual([{ status: "refunded" }]);
  });
});

async function token(): Promise<string> {
  const response = await fetch(`${fake.apiUrl}/v1/oauth2/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${fake.clientId}:${fake.clientSecret}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials",
  });
  return ((await response.json()) as { access_token: string }).access_token;
}
