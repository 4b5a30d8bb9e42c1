import { generateKeyPairSync, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PayPalConfig } from "../../src/config.ts";
import { MoneyError } from "../../src/money/index.ts";
import {
  type CheckoutProvider,
  type CheckoutRequest,
  WebhookVerificationError,
} from "../../src/payments/checkout-provider.ts";
import { PaymentMethodRejectedError } from "../../src/payments/payment-provider.ts";
import { fromPayPalValue } from "../../src/providers/paypal/from-paypal-value.ts";
import { PayPalApiError } from "../../src/providers/paypal/paypal-api-error.ts";
import { paypalApiOrigin } from "../../src/providers/paypal/paypal-api-origin.ts";
import { createPayPalProvider } from "../../src/providers/paypal/paypal-provider.ts";
import { toPayPalValue } from "../../src/providers/paypal/to-paypal-value.ts";
import { crc32, type FakePayPal, startFakePayPal } from "../helpers/fake-paypal.ts";

let fake: FakePayPal;
let provider: CheckoutProvider;

function configFor(overrides: Partial<PayPalConfig> = {}): PayPalConfig {
  return {
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    webhookId: fake.webhookId,
    environment: "sandbox",
    apiUrl: fake.apiUrl,
    ...overrides,
  };
}

function checkoutRequest(overrides: Partial<CheckoutRequest> = {}): CheckoutRequest {
  const checkoutId = `chk_${randomUUID().replaceAll("-", "")}`;
  return {
    checkoutId,
    organizationId: "org_paypal_test",
    amount: 1999n,
    currency: "USD",
    description: "Pro (monthly)",
    customerEmail: "owner@example.com",
    locale: "en",
    successUrl: `https://app.example.com/billing/checkout/${checkoutId}/success`,
    cancelUrl: `https://app.example.com/billing/checkout/${checkoutId}/cancel`,
    webhookUrl: "https://abono.example.com/v1/webhooks/paypal",
    ...overrides,
  };
}

/** Creates a checkout and returns the ids and the request body PayPal received for it. */
async function newCheckout(overrides: Partial<CheckoutRequest> = {}) {
  const request = checkoutRequest(overrides);
  const session = await provider.createCheckout(request);
  const received = fake.requestsTo("POST", "/v2/checkout/orders").at(-1);
  return { request, session, orderId: session.providerCheckoutId, received };
}

async function capturedPayment(overrides: Partial<CheckoutRequest> = {}) {
  const checkout = await newCheckout(overrides);
  fake.approve(checkout.orderId);
  const notice = await provider.capture?.({
    providerCheckoutId: checkout.orderId,
    checkoutId: checkout.request.checkoutId,
  });
  if (notice?.kind !== "payment_succeeded") throw new Error(`capture gave ${notice?.kind}`);
  return { ...checkout, captureId: notice.providerPaymentId, notice };
}

const anyEvent = { eventType: "PAYMENT.CAPTURE.COMPLETED", resourceType: "capture", resource: {} };

function deliver(
  signed: { rawBody: Buffer; headers: Record<string, string | undefined> },
  { now = new Date(), to = provider }: { now?: Date; to?: CheckoutProvider } = {},
) {
  return to.verifyWebhook({ rawBody: signed.rawBody, headers: signed.headers, query: {}, now });
}

beforeAll(async () => {
  fake = await startFakePayPal();
  provider = createPayPalProvider(configFor());
});

afterAll(async () => {
  await fake.close();
});

describe("createCheckout through the PayPal server SDK", () => {
  it("creates a CAPTURE order carrying the checkout id, amount, URLs and request id, and returns the payer-action link", async () => {
    const { request, session, received } = await newCheckout();

    expect(session.redirectUrl).toBe(
      `https://www.sandbox.paypal.com/checkoutnow?token=${session.providerCheckoutId}`,
    );
    expect(fake.order(session.providerCheckoutId)?.status).toBe("PAYER_ACTION_REQUIRED");
    expect(received?.headers["paypal-request-id"]).toBe(request.checkoutId);
    expect(received?.headers.authorization).toMatch(/^Bearer A21AA/);
    expect(received?.body).toEqual({
      intent: "CAPTURE",
      purchase_units: [
        {
          reference_id: request.checkoutId,
          custom_id: request.checkoutId,
          description: "Pro (monthly)",
          amount: { currency_code: "USD", value: "19.99" },
        },
      ],
      payment_source: {
        paypal: {
          email_address: "owner@example.com",
          experience_context: {
            return_url: request.successUrl,
            cancel_url: request.cancelUrl,
            locale: "en-US",
            user_action: "PAY_NOW",
            shipping_preference: "NO_SHIPPING",
          },
        },
      },
    });
  });

  it("gets its OAuth token with Basic client credentials, once, and reuses it", async () => {
    const fresh = createPayPalProvider(configFor());
    const before = fake.requestsTo("POST", "/v1/oauth2/token").length;
    await fresh.createCheckout(checkoutRequest());
    await fresh.createCheckout(checkoutRequest());
    await deliver(fake.signWebhook(fake.event(anyEvent)), { to: fresh });
    const tokenCalls = fake.requestsTo("POST", "/v1/oauth2/token").slice(before);

    expect(tokenCalls).toHaveLength(1);
    expect(tokenCalls[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${fake.clientId}:${fake.clientSecret}`).toString("base64")}`,
    );
    expect(tokenCalls[0]?.body).toEqual({ grant_type: "client_credentials" });
  });

  it("sends whole-unit currencies without decimals and large amounts exactly", async () => {
    const yen = await newCheckout({ amount: 1500n, currency: "JPY" });
    const large = await newCheckout({ amount: 123456789012345678n, currency: "USD" });
    const cents = await newCheckout({ amount: 5n, currency: "EUR" });
    const dollars = await newCheckout({ amount: 100000n, currency: "TWD" });

    expect(yen.received?.rawBody).toContain('"amount":{"currency_code":"JPY","value":"1500"}');
    expect(large.received?.rawBody).toContain('"value":"1234567890123456.78"');
    expect(cents.received?.rawBody).toContain('"value":"0.05"');
    expect(dollars.received?.rawBody).toContain('"amount":{"currency_code":"TWD","value":"1000"}');
  });

  it("asks for the Spanish checkout page and leaves the email out when there is none", async () => {
    const { received } = await newCheckout({ locale: "es", customerEmail: null });
    const paypal = (received?.body as any)?.payment_source.paypal;

    expect(paypal.experience_context.locale).toBe("es-ES");
    expect(paypal).not.toHaveProperty("email_address");
  });

  it("throws PayPalApiError when PayPal refuses the credentials", async () => {
    const wrong = createPayPalProvider(configFor({ clientSecret: "not-the-secret" }));

    await expect(wrong.createCheckout(checkoutRequest())).rejects.toMatchObject({
      name: "PayPalApiError",
      statusCode: 401,
    });
  });
});

describe("capture", () => {
  it("before the buyer approves is a payment_failed (authentication_required) that can be retried after approval", async () => {
    const { request, orderId } = await newCheckout();

    const early = await provider.capture?.({
      providerCheckoutId: orderId,
      checkoutId: request.checkoutId,
    });
    expect(early).toMatchObject({
      kind: "payment_failed",
      checkoutId: request.checkoutId,
      providerPaymentId: null,
      code: "authentication_required",
    });

    fake.approve(orderId);
    const later = await provider.capture?.({
      providerCheckoutId: orderId,
      checkoutId: request.checkoutId,
    });
    expect(later?.kind).toBe("payment_succeeded");
  });

  it("after approval reports payment_succeeded with the capture id, not the order id", async () => {
    const { request, orderId, captureId, notice } = await capturedPayment();
    const order = fake.order(orderId);
    const captureRequest = fake.requestsTo("POST", `/v2/checkout/orders/${orderId}/capture`)[0];

    expect(notice).toEqual({
      kind: "payment_succeeded",
      checkoutId: request.checkoutId,
      providerPaymentId: order?.purchase_units[0]?.payments?.captures[0]?.id,
      amount: 1999n,
      currency: "USD",
    });
    expect(captureId).not.toBe(orderId);
    expect(captureRequest?.headers["paypal-request-id"]).toBe(`capture-${request.checkoutId}`);
    expect(captureRequest?.headers.prefer).toBe("return=representation");
  });

  it("repeated gives the same capture (PayPal-Request-Id replay), and still does once PayPal forgot the id (ORDER_ALREADY_CAPTURED)", async () => {
    const { request, orderId, notice } = await capturedPayment({ amount: 1500n, currency: "JPY" });
    const again = { providerCheckoutId: orderId, checkoutId: request.checkoutId };

    expect(await provider.capture?.(again)).toEqual(notice);
    expect(fake.order(orderId)?.purchase_units[0]?.payments?.captures).toHaveLength(1);

    fake.forgetRequestIds();
    expect(await provider.capture?.(again)).toEqual(notice);
    expect(fake.requestsTo("GET", `/v2/checkout/orders/${orderId}`)).toHaveLength(1);
    expect(notice).toMatchObject({ amount: 1500n, currency: "JPY" });
  });

  it("takes the checkout id from the order's custom_id when retried under another id", async () => {
    const { request, orderId, captureId } = await capturedPayment();

    const notice = await provider.capture?.({
      providerCheckoutId: orderId,
      checkoutId: "chk_other",
    });
    expect(notice).toMatchObject({
      kind: "payment_succeeded",
      checkoutId: request.checkoutId,
      providerPaymentId: captureId,
    });
  });

  it("with a declined funding source (INSTRUMENT_DECLINED) is payment_failed card_declined", async () => {
    const { request, orderId } = await newCheckout();
    fake.decline(orderId);

    expect(
      await provider.capture?.({ providerCheckoutId: orderId, checkoutId: request.checkoutId }),
    ).toMatchObject({
      kind: "payment_failed",
      checkoutId: request.checkoutId,
      providerPaymentId: null,
      code: "card_declined",
    });
  });

  it("maps a PENDING capture to pending and a DECLINED capture to payment_failed, both with the capture id", async () => {
    const pending = await newCheckout();
    fake.approve(pending.orderId, { captureStatus: "PENDING" });
    const declined = await newCheckout();
    fake.approve(declined.orderId, { captureStatus: "DECLINED" });

    const pendingNotice = await provider.capture?.({
      providerCheckoutId: pending.orderId,
      checkoutId: pending.request.checkoutId,
    });
    const declinedNotice = await provider.capture?.({
      providerCheckoutId: declined.orderId,
      checkoutId: declined.request.checkoutId,
    });

    expect(pendingNotice).toEqual({
      kind: "pending",
      checkoutId: pending.request.checkoutId,
      providerPaymentId: fake.order(pending.orderId)?.purchase_units[0]?.payments?.captures[0]?.id,
    });
    expect(declinedNotice).toMatchObject({
      kind: "payment_failed",
      checkoutId: declined.request.checkoutId,
      providerPaymentId: fake.order(declined.orderId)?.purchase_units[0]?.payments?.captures[0]?.id,
      code: "card_declined",
    });
  });

  it("of an unknown order throws PayPalApiError with PayPal's issue", async () => {
    const failure = await provider
      .capture?.({ providerCheckoutId: "5O190127TN364715T", checkoutId: "chk_unknown" })
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(PayPalApiError);
    expect(failure).toMatchObject({ statusCode: 404, issue: "INVALID_RESOURCE_ID" });
  });

  it("and the PAYMENT.CAPTURE.COMPLETED webhook name the same payment", async () => {
    const { captureId, notice } = await capturedPayment();
    const verified = await deliver(fake.signWebhook(fake.captureCompletedEvent(captureId)));

    expect(await provider.interpretWebhook(verified)).toEqual(notice);
  });
});

describe("verifyWebhook with PayPal's verify-webhook-signature API", () => {
  it("accepts a correctly signed event and returns its id, type and body", async () => {
    const { captureId } = await capturedPayment();
    const event = fake.captureCompletedEvent(captureId);
    const signed = fake.signWebhook(event);

    const verified = await deliver(signed);
    const call = fake.requestsTo("POST", "/v1/notifications/verify-webhook-signature").at(-1);

    expect(verified).toEqual({
      eventId: event.id,
      eventType: "PAYMENT.CAPTURE.COMPLETED",
      payload: event,
    });
    expect(event.id).toMatch(/^WH-/);
    expect(call?.headers.authorization).toMatch(/^Bearer A21AA/);
    expect(call?.body).toEqual({
      auth_algo: "SHA256withRSA",
      cert_url: fake.certUrl,
      transmission_id: signed.headers["paypal-transmission-id"],
      transmission_sig: signed.headers["paypal-transmission-sig"],
      transmission_time: signed.headers["paypal-transmission-time"],
      webhook_id: fake.webhookId,
      webhook_event: event,
    });
    expect(call?.rawBody.endsWith(`"webhook_event":${signed.rawBody.toString()}}`)).toBe(true);
  });

  it("is checked against a certificate the fake serves at cert_url", async () => {
    const response = await fetch(fake.certUrl);

    expect(await response.text()).toMatch(/^-----BEGIN (CERTIFICATE|PUBLIC KEY)-----/);
  });

  it("rejects a body changed after signing", async () => {
    const { captureId } = await capturedPayment();
    const signed = fake.signWebhook(fake.captureCompletedEvent(captureId));
    const tampered = Buffer.from(
      signed.rawBody.toString().replace('"value":"19.99"', '"value":"1999.00"'),
    );

    expect(tampered.equals(signed.rawBody)).toBe(false);
    await expect(deliver({ ...signed, rawBody: tampered })).rejects.toThrow(/not valid/);
  });

  it("rejects an event signed for another webhook", async () => {
    const { captureId } = await capturedPayment();
    const signed = fake.signWebhook(fake.captureCompletedEvent(captureId), "8PT597110X687430L");

    await expect(deliver(signed)).rejects.toBeInstanceOf(WebhookVerificationError);
  });

  it("rejects a signature by another key, and a certificate PayPal did not issue", async () => {
    const { captureId } = await capturedPayment();
    const event = fake.captureCompletedEvent(captureId);
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });

    await expect(deliver(fake.signWebhook(event, fake.webhookId, { privateKey }))).rejects.toThrow(
      WebhookVerificationError,
    );
    await expect(
      deliver(
        fake.signWebhook(event, fake.webhookId, { certUrl: "https://attacker.example/cert.pem" }),
      ),
    ).rejects.toThrow(WebhookVerificationError);
  });

  it("rejects a stale or future transmission time before asking PayPal", async () => {
    const { captureId } = await capturedPayment();
    const event = fake.captureCompletedEvent(captureId);
    const now = new Date();
    const calls = () =>
      fake.requestsTo("POST", "/v1/notifications/verify-webhook-signature").length;
    const before = calls();

    const stale = fake.signWebhook(event, fake.webhookId, {
      transmissionTime: new Date(now.getTime() - 301_000),
    });
    const future = fake.signWebhook(event, fake.webhookId, {
      transmissionTime: new Date(now.getTime() + 301_000),
    });
    await expect(deliver(stale, { now })).rejects.toThrow(/more than 300 seconds/);
    await expect(deliver(future, { now })).rejects.toThrow(/more than 300 seconds/);
    expect(calls()).toBe(before);

    const recent = fake.signWebhook(event, fake.webhookId, {
      transmissionTime: new Date(now.getTime() - 299_000),
    });
    await expect(deliver(recent, { now })).resolves.toMatchObject({ eventId: event.id });
  });

  it.each([
    "paypal-transmission-id",
    "paypal-transmission-time",
    "paypal-transmission-sig",
    "paypal-cert-url",
    "paypal-auth-algo",
  ])("rejects a webhook without %s", async (name) => {
    const signed = fake.signWebhook(fake.event(anyEvent));
    const headers: Record<string, string | undefined> = { ...signed.headers, [name]: undefined };

    await expect(deliver({ ...signed, headers })).rejects.toThrow(
      new WebhookVerificationError(`The PayPal webhook lacks its signature headers: ${name}.`),
    );
  });

  it("rejects everything when no webhook id is configured", async () => {
    const unconfigured = createPayPalProvider(configFor({ webhookId: undefined }));
    const signed = fake.signWebhook(fake.event(anyEvent));

    await expect(deliver(signed, { to: unconfigured })).rejects.toThrow(
      new WebhookVerificationError(
        "PayPal webhooks are not configured: set ABONO_PAYPAL_WEBHOOK_ID",
      ),
    );
  });

  it("rejects when the verification call fails, and a body that is not an event", async () => {
    const signed = fake.signWebhook(fake.event(anyEvent));
    const wrongSecret = createPayPalProvider(configFor({ clientSecret: "not-the-secret" }));

    await expect(deliver(signed, { to: wrongSecret })).rejects.toThrow(
      /PayPal could not verify the webhook signature: .*HTTP 401/,
    );
    await expect(deliver({ ...signed, rawBody: Buffer.from("[1,2]") })).rejects.toThrow(
      WebhookVerificationError,
    );
  });
});

describe("interpretWebhook", () => {
  const interpret = (event: { id: string; event_type: string; resource?: unknown }) =>
    provider.interpretWebhook({ eventId: event.id, eventType: event.event_type, payload: event });

  it("PAYMENT.CAPTURE.COMPLETED is payment_succeeded for the capture and checkout", async () => {
    const { request, captureId } = await capturedPayment({ amount: 1500n, currency: "JPY" });

    expect(await interpret(fake.captureCompletedEvent(captureId))).toEqual({
      kind: "payment_succeeded",
      checkoutId: request.checkoutId,
      providerPaymentId: captureId,
      amount: 1500n,
      currency: "JPY",
    });
  });

  it("PAYMENT.CAPTURE.DENIED and DECLINED are payment_failed", async () => {
    const { request, captureId } = await capturedPayment();
    const denied = fake.captureDeniedEvent(captureId);

    expect(await interpret(denied)).toMatchObject({
      kind: "payment_failed",
      checkoutId: request.checkoutId,
      providerPaymentId: captureId,
      code: "card_declined",
    });
    expect(await interpret({ ...denied, event_type: "PAYMENT.CAPTURE.DECLINED" })).toMatchObject({
      kind: "payment_failed",
      providerPaymentId: captureId,
    });
  });

  it("PAYMENT.CAPTURE.REFUNDED is refunded with the cumulative amount, the capture from the up link and the refund id", async () => {
    const { captureId } = await capturedPayment();
    const first = fake.refund(captureId, 500n);
    const second = fake.refund(captureId, 499n);

    expect(await interpret(first)).toEqual({
      kind: "refunded",
      providerPaymentId: captureId,
      amountRefunded: 500n,
      currency: "USD",
      providerRefundId: first.resource.id,
    });
    expect(await interpret(second)).toEqual({
      kind: "refunded",
      providerPaymentId: captureId,
      amountRefunded: 999n,
      currency: "USD",
      providerRefundId: second.resource.id,
    });

    const { seller_payable_breakdown: _, ...withoutBreakdown } = second.resource;
    expect(await interpret({ ...second, resource: withoutBreakdown })).toMatchObject({
      amountRefunded: 499n,
    });
  });

  it("CHECKOUT.ORDER.APPROVED is pending for the checkout; other events are ignored", async () => {
    const { request, orderId } = await newCheckout();
    const approved = fake.approve(orderId);

    expect(await interpret(approved)).toEqual({
      kind: "pending",
      checkoutId: request.checkoutId,
      providerPaymentId: null,
    });
    expect(
      await interpret(
        fake.event({
          eventType: "CUSTOMER.DISPUTE.CREATED",
          resourceType: "dispute",
          resource: {},
        }),
      ),
    ).toEqual({
      kind: "ignored",
      reason: "PayPal event CUSTOMER.DISPUTE.CREATED is not acted on.",
    });
  });

  it("a known event without the resource it needs throws PayPalApiError", async () => {
    const broken = fake.event({
      eventType: "PAYMENT.CAPTURE.COMPLETED",
      resourceType: "capture",
      resource: { id: "X" },
    });

    await expect(interpret(broken)).rejects.toBeInstanceOf(PayPalApiError);
  });
});

describe("refund", () => {
  it("refunds the exact decimal under Abono's refund id, once", async () => {
    const { captureId } = await capturedPayment({ amount: 123456789012345678n });
    const refundId = `ref_${randomUUID()}`;
    const request = {
      providerPaymentId: captureId,
      amount: 100000000000001n,
      currency: "USD",
      refundId,
    };

    const result = await provider.refund(request);
    const again = await provider.refund(request);
    const calls = fake.requestsTo("POST", `/v2/payments/captures/${captureId}/refund`);

    const refundEvents = fake.events.filter(
      (event) =>
        event.event_type === "PAYMENT.CAPTURE.REFUNDED" &&
        event.resource.links.some((link: any) => link.href.endsWith(captureId)),
    );
    expect(refundEvents).toHaveLength(1);
    expect(result).toEqual({ status: "succeeded", providerRefundId: refundEvents[0]?.resource.id });
    expect(again).toEqual(result);
    expect(calls).toHaveLength(2);
    expect(calls.map((call) => call.headers["paypal-request-id"])).toEqual([refundId, refundId]);
    expect(calls[0]?.body).toEqual({ amount: { currency_code: "USD", value: "1000000000000.01" } });
  });

  it("is a failed result when PayPal refuses it", async () => {
    const { captureId } = await capturedPayment();

    expect(
      await provider.refund({
        providerPaymentId: captureId,
        amount: 2000n,
        currency: "USD",
        refundId: `ref_${randomUUID()}`,
      }),
    ).toMatchObject({
      status: "failed",
      message: expect.stringContaining("REFUND_AMOUNT_EXCEEDED"),
    });
    expect(
      await provider.refund({
        providerPaymentId: "0VF52814937998046",
        amount: 100n,
        currency: "USD",
        refundId: `ref_${randomUUID()}`,
      }),
    ).toMatchObject({ status: "failed", message: expect.stringContaining("404") });
  });
});

describe("stored payment methods", () => {
  it("are refused, and charges fail without calling PayPal", async () => {
    await expect(
      provider.validatePaymentMethod({ token: "anything", organizationId: "org_1", email: null }),
    ).rejects.toThrow(
      new PaymentMethodRejectedError(
        "PayPal payments are made through checkout (POST /v1/organizations/:orgId/checkout); PayPal accounts cannot be stored for automatic charges here.",
      ),
    );
    expect(
      await provider.charge({
        token: "anything",
        amount: 100n,
        currency: "USD",
        paymentId: "pay_1",
        invoiceId: "inv_1",
        organizationId: "org_1",
        description: "Pro",
      }),
    ).toMatchObject({ status: "failed", code: "processing_error", providerPaymentId: null });
  });
});

describe("PayPal amounts and origins", () => {
  it("converts between minor units and PayPal values exactly", () => {
    expect(toPayPalValue({ amount: 1999n, currency: "USD" })).toBe("19.99");
    expect(toPayPalValue({ amount: 1500n, currency: "JPY" })).toBe("1500");
    expect(toPayPalValue({ amount: 100000n, currency: "TWD" })).toBe("1000");
    expect(() => toPayPalValue({ amount: 100050n, currency: "TWD" })).toThrow(MoneyError);
    expect(fromPayPalValue({ value: "19.99", currency: "USD" })).toBe(1999n);
    expect(fromPayPalValue({ value: "19.9", currency: "USD" })).toBe(1990n);
    expect(fromPayPalValue({ value: "0.05", currency: "USD" })).toBe(5n);
    expect(fromPayPalValue({ value: "1000", currency: "TWD" })).toBe(100000n);
    expect(fromPayPalValue({ value: "1234567890123456.78", currency: "USD" })).toBe(
      123456789012345678n,
    );
    expect(() => fromPayPalValue({ value: "19.999", currency: "USD" })).toThrow(MoneyError);
    expect(() => fromPayPalValue({ value: "1e3", currency: "USD" })).toThrow(MoneyError);
  });

  it("uses PayPal's origins unless apiUrl is set", () => {
    expect(paypalApiOrigin({ environment: "sandbox", apiUrl: undefined })).toBe(
      "https://api-m.sandbox.paypal.com",
    );
    expect(paypalApiOrigin({ environment: "production", apiUrl: undefined })).toBe(
      "https://api-m.paypal.com",
    );
    expect(paypalApiOrigin({ environment: "production", apiUrl: "http://127.0.0.1:5/" })).toBe(
      "http://127.0.0.1:5",
    );
  });

  it("the fake's CRC-32 is zlib's", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
    expect(crc32(Buffer.from(""))).toBe(0);
  });
});
