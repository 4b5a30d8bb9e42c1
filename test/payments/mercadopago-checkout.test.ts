import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForJobs } from "../../src/jobs/wait-for-jobs.ts";
import type { TestApp } from "../helpers/app.ts";
import { type FakeMercadoPago, startFakeMercadoPago } from "../helpers/fake-mercadopago.ts";
import {
  createCheckoutCustomer,
  paymentCounts,
  startCheckoutTestApp,
} from "../helpers/payment-scenario.ts";

/**
 * MercadoPago end to end (webhook): checkout → preference at MercadoPago (the official SDK talking to a
 * local fake) → the customer pays → signed notification → Abono fetches the payment to confirm → payment
 * success pipeline → subscription, entitlement, purchase email.
 */
const secret = "mp-webhook-secret-0123456789";
let app: TestApp;
let fake: FakeMercadoPago;

beforeAll(async () => {
  fake = await startFakeMercadoPago();
  app = await startCheckoutTestApp({
    ABONO_MERCADOPAGO_ACCESS_TOKEN: fake.accessToken,
    ABONO_MERCADOPAGO_API_URL: fake.apiUrl,
    ABONO_MERCADOPAGO_WEBHOOK_SECRET: secret,
  });
});

afterAll(async () => {
  await app?.close();
  await fake?.close();
});

async function startCheckout(planId = "premium", interval = "year") {
  const { organizationId, email } = await createCheckoutCustomer(app, {
    idPrefix: "mp",
    name: "Constructora",
    owner: "carlos",
    emailDomain: "obras.example",
    locale: "es",
  });
  const started = await app.request("POST", `/v1/organizations/${organizationId}/checkouts`, {
    body: { planId, interval, provider: "mercadopago" },
  });
  expect(started.status).toBe(201);
  return { organizationId, email, checkout: started.body.checkout };
}

function deliver(
  notification: ReturnType<FakeMercadoPago["pay"]>,
  headers: Record<string, string>,
) {
  const query = new URLSearchParams(notification.query).toString();
  return app.request("POST", `/v1/webhooks/mercadopago?${query}`, {
    auth: null,
    rawBody: notification.rawBody.toString("utf8"),
    headers: { "content-type": "application/json", ...headers },
  });
}

const signed = (notification: ReturnType<FakeMercadoPago["pay"]>) =>
  fake.signNotification({ dataId: notification.query["data.id"], secret });

const counts = (organizationId: string) => paymentCounts(app, organizationId);

describe("MercadoPago checkout", () => {
  it("checkout → payment → notification → active subscription, entitlement, purchase email", async () => {
    const { organizationId, email, checkout } = await startCheckout();
    expect(checkout).toMatchObject({ provider: "mercadopago", status: "open", amount: 100000 });
    expect(checkout.redirectUrl).toContain("mercadopago.com/checkout/v1/redirect?pref_id=");
    const preference = fake.preferences.get(checkout.providerCheckoutId);
    expect(preference?.body).toMatchObject({ external_reference: checkout.id });
    expect(preference?.item.unit_price).toBe(1000);

    const notification = fake.pay(checkout.providerCheckoutId, { status: "approved" });
    const response = await deliver(notification, signed(notification));
    expect(response.status).toBe(200);
    expect(response.body.outcome).toBe("processed");
    expect(fake.requestsTo("GET", `/v1/payments/${notification.paymentId}`)).toHaveLength(1);

    const subscription = await app.request(
      "GET",
      `/v1/organizations/${organizationId}/subscription`,
    );
    expect(subscription.body).toMatchObject({
      planId: "premium",
      interval: "year",
      status: "active",
    });
    const entitlement = await app.request("GET", `/v1/organizations/${organizationId}/entitlement`);
    expect(entitlement.body).toMatchObject({ planId: "premium", status: "active" });
    expect(entitlement.body.limits.encounters).toBe(3000);

    await waitForJobs({ db: app.database.db, queueName: null, deadline: Date.now() + 30_000 });
    const mailbox = await app.request("GET", `/v1/mailbox?to=${email}`);
    expect(mailbox.body.data).toHaveLength(1);
    expect(mailbox.body.data[0].subject).toBe("Tu suscripción a Premium está activa");
    expect(mailbox.body.data[0].text).toContain("MercadoPago");

    const events = await app.request("GET", "/v1/payment-events?provider=mercadopago&limit=100");
    const stored = events.body.data.find(
      (event: { checkoutId: string | null }) => event.checkoutId === checkout.id,
    );
    expect(stored).toMatchObject({ verified: true, outcome: "processed", eventType: "payment" });
  });

  it("a bad or stale signature → 400, stored unverified, nothing changes", async () => {
    const { organizationId, checkout } = await startCheckout("plus", "month");
    const notification = fake.pay(checkout.providerCheckoutId, { status: "approved" });
    const before = await counts(organizationId);

    const forged = fake.signNotification({
      dataId: notification.query["data.id"],
      secret: "not-the-secret-at-all",
    });
    const bad = await deliver(notification, forged);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("webhook_signature_invalid");

    const stale = fake.signNotification({
      dataId: notification.query["data.id"],
      secret,
      ts: Math.floor(Date.now() / 1000) - 301,
    });
    const old = await deliver(notification, stale);
    expect(old.status).toBe(400);
    expect(old.body.error.code).toBe("webhook_signature_invalid");

    expect(await counts(organizationId)).toEqual(before);
    const entitlement = await app.request("GET", `/v1/organizations/${organizationId}/entitlement`);
    expect(entitlement.body.planId).toBe("free");
    const rejected = await app.request(
      "GET",
      "/v1/payment-events?provider=mercadopago&verified=false",
    );
    // Both requests for this payment, newest first, each with the reason it was refused.
    const forThisPayment = rejected.body.data.filter(
      (event: { query: Record<string, string> }) =>
        event.query["data.id"] === notification.query["data.id"],
    );
    expect(forThisPayment).toEqual([
      expect.objectContaining({
        verified: false,
        outcome: "rejected",
        verificationError: expect.stringMatching(/s away from now/),
      }),
      expect.objectContaining({
        verified: false,
        outcome: "rejected",
        verificationError: expect.stringMatching(/x-signature does not match/),
      }),
    ]);
  });

  it("the same notification delivered 10 times concurrently → one payment, one subscription", async () => {
    const { organizationId, checkout } = await startCheckout("plus", "month");
    const notification = fake.pay(checkout.providerCheckoutId, { status: "approved" });
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => deliver(notification, signed(notification))),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
    const outcomes = responses.map((response) => response.body.outcome).sort();
    expect(outcomes.filter((outcome) => outcome === "processed")).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === "duplicate")).toHaveLength(9);
    expect(await counts(organizationId)).toEqual({ payments: 1, subscriptions: 1, invoices: 1 });
  });

  it("a rejected payment leaves the organization as it was", async () => {
    const { organizationId, checkout } = await startCheckout("plus", "month");
    const before = await counts(organizationId);
    const notification = fake.pay(checkout.providerCheckoutId, {
      status: "rejected",
      statusDetail: "cc_rejected_insufficient_amount",
    });
    const response = await deliver(notification, signed(notification));
    expect(response.status).toBe(200);
    expect(response.body.outcome).toBe("failed_payment");
    expect(await counts(organizationId)).toEqual(before);
    const entitlement = await app.request("GET", `/v1/organizations/${organizationId}/entitlement`);
    expect(entitlement.body.planId).toBe("free");
    const after = await app.request(
      "GET",
      `/v1/organizations/${organizationId}/checkouts/${checkout.id}`,
    );
    expect(after.body).toMatchObject({ status: "failed", failureCode: "insufficient_funds" });
  });

  it("a refund at MercadoPago flows back to the payment and the invoice, once", async () => {
    const { organizationId, checkout } = await startCheckout("plus", "month");
    const paid = fake.pay(checkout.providerCheckoutId, { status: "approved" });
    await deliver(paid, signed(paid));
    const refunded = fake.refund(paid.paymentId, 15);
    const first = await deliver(refunded, signed(refunded));
    expect(first.body.outcome).toBe("refund processed");
    const again = await deliver(refunded, signed(refunded));
    expect(again.body.outcome).toBe("refund duplicate");
    const invoices = await app.request("GET", `/v1/organizations/${organizationId}/invoices`);
    expect(invoices.body.data[0]).toMatchObject({ amountPaid: 4000, amountRefunded: 1500 });
    const { rows } = await app.database.pool.query(
      "select amount_refunded::int as refunded, status from payments where organization_id = $1",
      [organizationId],
    );
    expect(rows).toEqual([{ refunded: 1500, status: "succeeded" }]);
    const audit = await app.request(
      "GET",
      `/v1/audit-logs?organizationId=${organizationId}&action=payment.refunded`,
    );
    expect(audit.body.data).toHaveLength(1);
  });

  it("a payment that can no longer be applied is kept, refunded and reported to the operators", async () => {
    const { organizationId, checkout } = await startCheckout("plus", "month");
    const suspended = await app.request("POST", `/v1/root/organizations/${organizationId}/plan`, {
      body: { organizationId, organizationStatus: "suspended", reason: "Fraud review OPS-77" },
    });
    expect(suspended.status).toBe(200);
    const notification = fake.pay(checkout.providerCheckoutId, { status: "approved" });
    const response = await deliver(notification, signed(notification));
    expect(response.status).toBe(200);
    expect(response.body.outcome).toMatch(/^unapplied: /);
    // The refund runs as a job (retried if the provider is down).
    await waitForJobs({ db: app.database.db, queueName: null, deadline: Date.now() + 30_000 });

    const { rows } = await app.database.pool.query(
      `select p.failure_code, p.status, p.amount_refunded::int as refunded,
              (select count(*)::int from refunds r where r.payment_id = p.id) as refunds
         from payments p where p.organization_id = $1`,
      [organizationId],
    );
    expect(rows).toEqual([
      { failure_code: "not_applied", status: "refunded", refunded: 4000, refunds: 1 },
    ]);
    expect(fake.requestsTo("POST", `/v1/payments/${notification.paymentId}/refunds`)).toHaveLength(
      1,
    );
    expect((await counts(organizationId)).subscriptions).toBe(0);

    // MercadoPago now reports the payment refunded: the refund is on record already.
    const again = await deliver(notification, signed(notification));
    expect(again.body.outcome).toBe("refund duplicate");

    await waitForJobs({ db: app.database.db, queueName: null, deadline: Date.now() + 30_000 });
    const admin = await app.request("GET", "/v1/notifications");
    expect(
      admin.body.data.filter(
        (item: { organizationId: string; kind: string }) =>
          item.organizationId === organizationId && item.kind === "payment_unapplied",
      ),
    ).toHaveLength(1);
    const status = await app.request(
      "GET",
      `/v1/organizations/${organizationId}/checkouts/${checkout.id}`,
    );
    expect(status.body).toMatchObject({ status: "failed", failureCode: "not_applied" });
  });

  it("a refund the provider fails to make is retried by the worker, once it answers again", async () => {
    const { organizationId, checkout } = await startCheckout("plus", "month");
    await app.request("POST", `/v1/root/organizations/${organizationId}/plan`, {
      body: { organizationId, organizationStatus: "suspended", reason: "Fraud review OPS-78" },
    });
    const notification = fake.pay(checkout.providerCheckoutId, { status: "approved" });
    // The SDK itself tries 4 times; all of them fail, so only the job's retry can refund.
    for (let attempt = 0; attempt < 4; attempt++) {
      fake.failNext({ method: "POST", path: /\/refunds$/, status: 503 });
    }
    const response = await deliver(notification, signed(notification));
    expect(response.body.outcome).toMatch(/^unapplied: /);

    const deadline = Date.now() + 20_000;
    let refunded = 0;
    while (refunded !== 4000 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const { rows } = await app.database.pool.query(
        "select amount_refunded::int as refunded from payments where organization_id = $1",
        [organizationId],
      );
      refunded = rows[0]?.refunded ?? 0;
    }
    expect(refunded).toBe(4000);
    const attempts = fake.requestsTo("POST", `/v1/payments/${notification.paymentId}/refunds`);
    expect(attempts.length).toBe(5);
    // Every attempt carried the same idempotency key: the refund cannot happen twice.
    expect(new Set(attempts.map((attempt) => attempt.headers["x-idempotency-key"])).size).toBe(1);
  }, 30_000);

  it("a signed notification MercadoPago cannot confirm → 502 provider_error (delivered again later), stored as failed", async () => {
    const body = JSON.stringify({
      id: 987654321,
      type: "payment",
      action: "payment.created",
      data: { id: "555000111" },
    });
    const response = await app.request(
      "POST",
      "/v1/webhooks/mercadopago?data.id=555000111&type=payment",
      {
        auth: null,
        rawBody: body,
        headers: {
          "content-type": "application/json",
          ...fake.signNotification({ dataId: "555000111", secret }),
        },
      },
    );
    expect(response.status).toBe(502);
    expect(response.body.error.code).toBe("provider_error");
    const events = await app.request("GET", "/v1/payment-events?provider=mercadopago&limit=1");
    expect(events.body.data[0]).toMatchObject({ verified: true, body });
    expect(events.body.data[0].outcome).toMatch(/^failed: /);
  });
});
