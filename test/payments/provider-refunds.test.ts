import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../helpers/app.ts";
import { type FakeMercadoPago, startFakeMercadoPago } from "../helpers/fake-mercadopago.ts";
import { type FakePayPal, startFakePayPal } from "../helpers/fake-paypal.ts";
import {
  deliverStripeEvent,
  type FakeStripe,
  fakeStripeEnvironment,
  type StripeEvent,
  startFakeStripe,
} from "../helpers/fake-stripe.ts";
import { createCheckoutCustomer, startCheckoutTestApp } from "../helpers/payment-scenario.ts";

/**
 * `POST /v1/invoices/:id/refunds` with `to: "payment_method"` end to end for every provider: the refund
 * goes through the provider's own refund API (the official SDK talking to a local fake), then the
 * provider's refund notice (Stripe `charge.refunded`, MercadoPago `payment.updated`, PayPal
 * `PAYMENT.CAPTURE.REFUNDED`) arrives: it is recognized as the refund already on record, not a payment and
 * not a second refund.
 */
const mercadoPagoSecret = "mp-webhook-secret-0123456789";
let app: TestApp;
let stripe: FakeStripe;
let mercadoPago: FakeMercadoPago;
let payPal: FakePayPal;

beforeAll(async () => {
  stripe = await startFakeStripe();
  mercadoPago = await startFakeMercadoPago();
  payPal = await startFakePayPal();
  app = await startCheckoutTestApp({
    ...fakeStripeEnvironment(stripe),
    ABONO_MERCADOPAGO_ACCESS_TOKEN: mercadoPago.accessToken,
    ABONO_MERCADOPAGO_API_URL: mercadoPago.apiUrl,
    ABONO_MERCADOPAGO_WEBHOOK_SECRET: mercadoPagoSecret,
    ABONO_PAYPAL_CLIENT_ID: payPal.clientId,
    ABONO_PAYPAL_CLIENT_SECRET: payPal.clientSecret,
    ABONO_PAYPAL_WEBHOOK_ID: payPal.webhookId,
    ABONO_PAYPAL_API_URL: payPal.apiUrl,
  });
});

afterAll(async () => {
  await app?.close();
  await Promise.all([stripe?.close(), mercadoPago?.close(), payPal?.close()]);
});

/** A customer who bought Premium monthly (100.00 USD) through `provider`'s checkout. */
async function startCheckout(provider: "stripe" | "mercadopago" | "paypal") {
  const { organizationId } = await createCheckoutCustomer(app, {
    idPrefix: `rf-${provider}`,
    name: "Refunds",
    owner: "ana",
    emailDomain: "refunds.example",
    locale: "en",
  });
  const started = await app.request("POST", `/v1/organizations/${organizationId}/checkouts`, {
    body: { planId: "premium", interval: "month", provider },
  });
  expect(started.status).toBe(201);
  return { organizationId, checkout: started.body.checkout };
}

async function paidInvoice(organizationId: string) {
  const invoices = await app.request("GET", `/v1/organizations/${organizationId}/invoices`);
  const [invoice] = invoices.body.data;
  expect(invoice).toMatchObject({ status: "paid", amountPaid: 10000 });
  return invoice;
}

const refund = (invoiceId: string, amount?: number) =>
  app.request("POST", `/v1/invoices/${invoiceId}/refunds`, {
    body: { ...(amount === undefined ? {} : { amount }), to: "payment_method", reason: "T-77" },
  });

/** The payment's refunds as Abono has them: the cumulative amount, its status and the refunds rows. */
async function recorded(organizationId: string) {
  const { rows } = await app.database.pool.query(
    `select p.amount_refunded::int as refunded, p.status,
            (select count(*)::int from refunds r where r.payment_id = p.id) as refunds,
            (select count(*)::int from payments q where q.organization_id = p.organization_id) as payments
       from payments p where p.organization_id = $1`,
    [organizationId],
  );
  return rows[0];
}

describe("refunds to the payment method through each provider", () => {
  it("Stripe: partial then full, through the Refunds API; charge.refunded finds them on record", async () => {
    const { organizationId, checkout } = await startCheckout("stripe");
    const { events, paymentIntentId } = stripe.completeCheckout(checkout.providerCheckoutId);
    for (const event of events) await deliverStripe(event);
    const invoice = await paidInvoice(organizationId);

    const partial = await refund(invoice.id, 2500);
    expect(partial.status).toBe(201);
    expect(partial.body.refunds).toEqual([
      expect.objectContaining({ provider: "stripe", amount: 2500 }),
    ]);
    const atStripe = [...stripe.refunds.values()].filter(
      (entry) => entry.payment_intent === paymentIntentId,
    );
    expect(atStripe.map((entry) => entry.amount)).toEqual([2500]);
    expect(partial.body.refunds[0].providerRefundId).toBe(atStripe[0]?.id);
    const notice = stripe.events.findLast((event) => event.type === "charge.refunded");
    if (!notice) throw new Error("no charge.refunded");
    const delivered = await deliverStripe(notice);
    expect(delivered.body.outcome).toBe("refund duplicate");
    expect(await recorded(organizationId)).toEqual({
      refunded: 2500,
      status: "succeeded",
      refunds: 1,
      payments: 1,
    });

    const rest = await refund(invoice.id);
    expect(rest.status).toBe(201);
    expect(rest.body.creditNote.total).toBe(-7500);
    const last = stripe.events.findLast((event) => event.type === "charge.refunded");
    if (!last) throw new Error("no charge.refunded");
    expect((await deliverStripe(last)).body.outcome).toBe("refund duplicate");
    expect(await recorded(organizationId)).toEqual({
      refunded: 10000,
      status: "refunded",
      refunds: 2,
      payments: 1,
    });
  });

  it("MercadoPago: through the payment's refunds API; the payment.updated notice finds it on record", async () => {
    const { organizationId, checkout } = await startCheckout("mercadopago");
    const paid = mercadoPago.pay(checkout.providerCheckoutId, { status: "approved" });
    expect((await deliverMercadoPago(paid)).body.outcome).toBe("processed");
    const invoice = await paidInvoice(organizationId);

    // MercadoPago refuses: 502 provider_error, and nothing changes (no credit note, nothing refunded).
    mercadoPago.failNext({ method: "POST", path: /\/refunds$/, status: 400 });
    const refused = await refund(invoice.id, 4000);
    expect(refused.status).toBe(502);
    expect(refused.body.error.code).toBe("provider_error");
    expect(refused.body.error.message).toContain("Nothing was changed");
    expect(
      (await app.request("GET", `/v1/organizations/${organizationId}/credit-notes`)).body.data,
    ).toHaveLength(0);
    expect(await recorded(organizationId)).toMatchObject({ refunded: 0, refunds: 0 });

    const partial = await refund(invoice.id, 4000);
    expect(partial.status).toBe(201);
    expect(partial.body.refunds).toEqual([
      expect.objectContaining({ provider: "mercadopago", amount: 4000 }),
    ]);
    const posted = mercadoPago.requestsTo("POST", `/v1/payments/${paid.paymentId}/refunds`);
    expect(posted).toHaveLength(2);
    const notice = mercadoPago.update(paid.paymentId, { status: "approved" });
    expect((await deliverMercadoPago(notice)).body.outcome).toBe("refund duplicate");
    expect(await recorded(organizationId)).toEqual({
      refunded: 4000,
      status: "succeeded",
      refunds: 1,
      payments: 1,
    });
  });

  it("PayPal: through the capture's refund API; PAYMENT.CAPTURE.REFUNDED finds it on record", async () => {
    const { organizationId, checkout } = await startCheckout("paypal");
    payPal.approve(checkout.providerCheckoutId);
    const captured = await app.request(
      "POST",
      `/v1/organizations/${organizationId}/checkouts/${checkout.id}/capture`,
    );
    expect(captured.status).toBe(200);
    const invoice = await paidInvoice(organizationId);

    const full = await refund(invoice.id);
    expect(full.status).toBe(201);
    expect(full.body.refunds).toEqual([
      expect.objectContaining({ provider: "paypal", amount: 10000 }),
    ]);
    expect(payPal.requestsTo("POST", /\/v2\/payments\/captures\/[^/]+\/refund$/)).toHaveLength(1);
    const notice = payPal.events.findLast(
      (event) => event.event_type === "PAYMENT.CAPTURE.REFUNDED",
    );
    if (!notice) throw new Error("no PAYMENT.CAPTURE.REFUNDED");
    expect((await deliverPayPal(notice)).body.outcome).toBe("refund duplicate");
    expect(await recorded(organizationId)).toEqual({
      refunded: 10000,
      status: "refunded",
      refunds: 1,
      payments: 1,
    });
    // Nothing is left to refund.
    expect((await refund(invoice.id, 1)).status).toBe(409);
  });
});

function deliverStripe(event: StripeEvent) {
  return deliverStripeEvent(app, stripe, event);
}

function deliverMercadoPago(notification: ReturnType<FakeMercadoPago["pay"]>) {
  const query = new URLSearchParams(notification.query).toString();
  const signature = mercadoPago.signNotification({
    dataId: notification.query["data.id"] ?? "",
    secret: mercadoPagoSecret,
  });
  return app.request("POST", `/v1/webhooks/mercadopago?${query}`, {
    auth: null,
    rawBody: notification.rawBody.toString("utf8"),
    headers: { "content-type": "application/json", ...signature },
  });
}

function deliverPayPal(event: Parameters<FakePayPal["signWebhook"]>[0]) {
  const signed = payPal.signWebhook(event);
  return app.request("POST", "/v1/webhooks/paypal", {
    auth: null,
    rawBody: signed.rawBody.toString("utf8"),
    headers: { ...signed.headers, "content-type": "application/json" },
  });
}
